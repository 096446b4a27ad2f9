"""Regime features computed from the panel, each using data dated <= t only.

A feature is named in configs (``features: [log_vix, sp500_ret_1m, rv]``).
Each has a *risk statistic*: how a detector decides which of its states is
riskier on that feature (``mean`` for levels where high is risky, such as
VIX; ``std`` for returns, whose dispersion is the risk; ``-mean`` where low
is risky, such as drawdown). Detectors order their states by the first
feature's risk statistic unless told otherwise.

Shu, Yu & Mulvey (2024) features, from ``sp500_ret`` alone (pandas ``ewm``
with ``adjust=True``, so the value at t is the weighted average of returns
dated <= t with weights ``0.5 ** ((t - s) / h)``): ``dd_log_H`` is the log of
the exponentially weighted downside deviation ``sqrt(EW mean of
min(r, 0)**2)``, ``sortino_H`` the EW mean return divided by it (per period,
not annualized), for half-lives ``H`` in :data:`SYM_HALFLIVES` trading days.
On a panel of another frequency the half-life is converted to its periods
(``H * periods_per_year / 252``) and refused when under one period (only
``*_21`` works on monthly data). Values start after ``ceil(2 h)`` returns and
are NaN until the first negative return (no downside yet).

Standardization is not done here: the walk-forward engine standardizes with
training-window statistics only (a scaler fitted at each refit).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plumbing.errors import FactorRegimesError
from plumbing.registry import Registry
from regimes.panel import EX_POST_COLUMNS, TRADING_DAYS, Panel


@dataclass(frozen=True)
class Feature:
    """A named feature: how to compute it and how it ranks risk.

    Attributes
    ----------
    name : str
    compute : callable
        ``compute(frame, periods_per_year) -> Series`` using rows <= t for row t.
    risk_stat : {"mean", "std", "-mean"}
        Which per-state statistic of this feature is higher in riskier states.
    description : str
    """

    name: str
    compute: Callable[[pd.DataFrame, int], pd.Series]
    risk_stat: str
    description: str


def _col(name: str) -> Callable[[pd.DataFrame, int], pd.Series]:
    def compute(frame: pd.DataFrame, ppy: int) -> pd.Series:
        return frame[name]
    return compute


def _months(ppy: int, months: int) -> int:
    return max(1, round(months * ppy / 12))


def _cum_logret(months: int) -> Callable[[pd.DataFrame, int], pd.Series]:
    def compute(frame: pd.DataFrame, ppy: int) -> pd.Series:
        n = _months(ppy, months)
        return frame["sp500_logret"].rolling(n, min_periods=n).sum()
    return compute


#: Half-lives, in trading days, of the Shu, Yu & Mulvey (2024) features (as in their ``jumpmodels`` examples).
SYM_HALFLIVES = (5, 10, 21)


def _halflife_periods(days: int, ppy: int, name: str) -> float:
    """A half-life in trading days expressed in the panel's periods (refused below one period)."""
    periods = days * ppy / TRADING_DAYS
    if periods < 1.0:
        raise FactorRegimesError(f"feature {name!r} has a half-life of {days} trading days, under one period of "
                                 f"this panel ({ppy} periods a year); use it on daily data (frequency: daily)")
    return periods


def _ew_downside(frame: pd.DataFrame, ppy: int, days: int, name: str) -> tuple[pd.Series, pd.Series]:
    """Exponentially weighted mean return and downside deviation of ``sp500_ret`` (rows <= t)."""
    hl = _halflife_periods(days, ppy, name)
    ret = frame["sp500_ret"]
    warm = int(np.ceil(2 * hl))
    mean = ret.ewm(halflife=hl, min_periods=warm).mean()
    dd = np.sqrt((ret.clip(upper=0.0) ** 2).ewm(halflife=hl, min_periods=warm).mean())
    return mean, dd.where(dd > 0)  # no negative return yet: undefined, not zero


def _dd_log(days: int) -> Callable[[pd.DataFrame, int], pd.Series]:
    def compute(frame: pd.DataFrame, ppy: int) -> pd.Series:
        return np.log(_ew_downside(frame, ppy, days, f"dd_log_{days}")[1])
    return compute


def _sortino(days: int) -> Callable[[pd.DataFrame, int], pd.Series]:
    def compute(frame: pd.DataFrame, ppy: int) -> pd.Series:
        mean, dd = _ew_downside(frame, ppy, days, f"sortino_{days}")
        return mean / dd
    return compute


def _sym_features() -> list[Feature]:
    out = []
    for days in SYM_HALFLIVES:
        out.append(Feature(f"dd_log_{days}", _dd_log(days), "mean",
                           f"log exponentially weighted downside deviation of S&P 500 returns, half-life {days} "
                           "trading days (Shu, Yu & Mulvey 2024)"))
        out.append(Feature(f"sortino_{days}", _sortino(days), "-mean",
                           f"exponentially weighted Sortino ratio of S&P 500 returns (mean / downside deviation, "
                           f"per period), half-life {days} trading days (Shu, Yu & Mulvey 2024)"))
    return out


#: Registered features by name (``FEATURES.get(name)`` is the :class:`Feature`).
FEATURES: Registry[Feature] = Registry("feature")
for _feature in [
    Feature("vix", _col("vix"), "mean", "VIX close at t (index points)"),
    Feature("log_vix", lambda f, p: np.log(f["vix"]), "mean", "log of the VIX close at t"),
    Feature("vix_change", lambda f, p: np.log(f["vix"]).diff(), "mean", "log change of the VIX over period t"),
    Feature("vix_mean", _col("vix_mean"), "mean", "mean VIX close over month t"),
    Feature("sp500_ret", _col("sp500_ret"), "std", "S&P 500 simple return over period t"),
    Feature("sp500_ret_1m", _cum_logret(1), "std", "S&P 500 log return over the month to t"),
    Feature("sp500_ret_3m", _cum_logret(3), "-mean", "S&P 500 log return over the 3 months to t"),
    Feature("rv", _col("rv"), "mean", "realized volatility of daily S&P 500 returns (annualized)"),
    Feature("log_rv", lambda f, p: np.log(f["rv"]), "mean", "log realized volatility"),
    Feature("drawdown", _col("drawdown"), "-mean", "S&P 500 drawdown from its running peak"),
    Feature("term_spread", _col("term_spread"), "-mean", "10y-2y Treasury spread (inversions precede risk-off)"),
    Feature("credit_spread", _col("credit_spread"), "mean", "Baa-10y credit spread"),
    Feature("mkt_ret", lambda f, p: f["Mkt-RF"] + f["RF"], "std", "market total return over period t (Fama-French)"),
    *_sym_features(),
]:
    FEATURES.add(_feature.name, _feature)
del _feature


def _unknown(name: str) -> FactorRegimesError:
    if name in EX_POST_COLUMNS:
        return FactorRegimesError(f"feature {name!r} is dated with hindsight (ex post) and cannot be a feature")
    close = difflib.get_close_matches(name, FEATURES, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return FactorRegimesError(f"unknown feature {name!r}{hint} (known: {', '.join(FEATURES)})")


def feature(name: str) -> Feature:
    """The registered feature ``name`` (error lists close matches)."""
    if name not in FEATURES:
        raise _unknown(name)
    return FEATURES.get(name)


def build_features(panel: Panel, names: Sequence[str]) -> pd.DataFrame:
    """Compute named features from a panel.

    Parameters
    ----------
    panel : Panel
    names : sequence of str
        Keys of :data:`FEATURES`, or panel columns named directly (for
        example a column of the user's panel CSV): a registered name wins
        over a column of the same name; ex-post columns are refused.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_dates, len(names))``, same index as the panel. Row t uses
        panel rows <= t only. Leading rows where a feature is undefined
        (before its data start, or within a rolling window's warm-up) are
        NaN; the engine drops them.

    Raises
    ------
    FactorRegimesError
        For an unknown or ex-post feature, or one whose panel column is absent.
    """
    if not names:
        raise FactorRegimesError("at least one feature is needed")
    columns = {}
    for name in names:
        if name not in FEATURES and name not in EX_POST_COLUMNS and name in panel.frame.columns:
            columns[name] = panel.frame[name].astype(float)  # a panel column named directly (the user's CSV)
            continue
        if name not in FEATURES and name not in EX_POST_COLUMNS:
            raise FactorRegimesError(f"{_unknown(name)}; nor is it a column of this panel "
                                     f"({', '.join(map(str, panel.frame.columns))})")
        feat = feature(name)
        try:
            columns[name] = feat.compute(panel.frame, panel.periods_per_year).astype(float)
        except KeyError as exc:
            raise FactorRegimesError(f"feature {name!r} needs panel column {exc.args[0]!r}, which the data "
                                     "source does not provide") from None
    return pd.DataFrame(columns, index=panel.frame.index)


def risk_stat_of(names: Sequence[str]) -> str:
    """Risk statistic of the first feature (how detectors order states by default).

    A name that is not a registered feature (a panel column named directly)
    ranks by ``"mean"`` (higher is riskier); set the detector's
    ``risk_stat`` otherwise.
    """
    if names[0] not in FEATURES and names[0] not in EX_POST_COLUMNS:
        return "mean"
    return feature(names[0]).risk_stat
