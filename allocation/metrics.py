"""Performance metrics: pure functions of a return series.

Conventions: ``returns`` are simple periodic returns in decimals (excess
returns for factor strategies), shape ``(n_periods,)``; ``periods_per_year``
annualizes (12 monthly, 252 daily): given, or, when None, inferred from the
dates of a dated series (:func:`regimes.panel.infer_periods_per_year`); an
undated series without it is an error, never a guess. NaNs are dropped. The Sharpe ratio is
the sample mean over the sample standard deviation (ddof=1) times
``sqrt(periods_per_year)``, with no autocorrelation adjustment; returns are
taken to be excess returns already.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def periods_per_year_of(returns, periods_per_year: int | None = None) -> int:
    """``periods_per_year`` if given, else inferred from the dates of ``returns`` (a dated Series or DataFrame).

    Raises
    ------
    ValueError
        Neither given nor inferable (an undated array).
    """
    if periods_per_year is not None:
        return int(periods_per_year)
    index = getattr(returns, "index", None)
    if isinstance(index, pd.DatetimeIndex) and len(index) > 1:
        from regimes.panel import infer_periods_per_year
        return infer_periods_per_year(index)
    raise ValueError("periods_per_year is needed for returns without dates")


def _clean(returns) -> np.ndarray:
    r = np.asarray(returns, dtype=float)
    return r[np.isfinite(r)]


def ann_return(returns, periods_per_year: int | None = None) -> float:
    """Arithmetic mean return times periods per year."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    r = _clean(returns)
    return float(r.mean() * periods_per_year) if len(r) else np.nan


def cagr(returns, periods_per_year: int | None = None) -> float:
    """Compound annual growth rate of the growth path ``prod(1 + r)``."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    r = _clean(returns)
    if not len(r):
        return np.nan
    growth = np.prod(1.0 + r)
    return float(growth ** (periods_per_year / len(r)) - 1.0) if growth > 0 else -1.0


def ann_vol(returns, periods_per_year: int | None = None) -> float:
    """Sample standard deviation (ddof=1) times ``sqrt(periods_per_year)``."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    r = _clean(returns)
    return float(r.std(ddof=1) * np.sqrt(periods_per_year)) if len(r) > 1 else np.nan


def sharpe(returns, periods_per_year: int | None = None) -> float:
    """Annualized Sharpe ratio of excess returns: ``mean / std(ddof=1) * sqrt(ppy)``."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    r = _clean(returns)
    if len(r) < 2:
        return np.nan
    sd = r.std(ddof=1)
    return float(r.mean() / sd * np.sqrt(periods_per_year)) if sd > 0 else np.nan


def sortino(returns, periods_per_year: int | None = None) -> float:
    """Mean over downside deviation ``sqrt(mean(min(r, 0)**2))``, annualized."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    r = _clean(returns)
    if len(r) < 2:
        return np.nan
    dd = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    return float(r.mean() / dd * np.sqrt(periods_per_year)) if dd > 0 else np.nan


def growth(returns: pd.Series) -> pd.Series:
    """Growth of one unit invested: ``cumprod(1 + r)`` (NaN returns count as 0)."""
    return (1.0 + returns.fillna(0.0)).cumprod()


def drawdown(returns: pd.Series) -> pd.Series:
    """Drawdown of the growth path from its running peak (the start counts as a peak of 1), <= 0."""
    g = growth(returns)
    peak = np.maximum(g.cummax(), 1.0)
    return g / peak - 1.0


def max_drawdown(returns) -> float:
    """Most negative drawdown (a fraction, <= 0)."""
    r = pd.Series(_clean(returns))
    return float(drawdown(r).min()) if len(r) else np.nan


def calmar(returns, periods_per_year: int | None = None) -> float:
    """CAGR over the absolute maximum drawdown."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    mdd = max_drawdown(returns)
    return float(cagr(returns, periods_per_year) / abs(mdd)) if mdd and mdd < 0 else np.nan


def skewness(returns) -> float:
    """Sample skewness (bias-corrected)."""
    r = _clean(returns)
    return float(stats.skew(r, bias=False)) if len(r) > 2 else np.nan


def excess_kurtosis(returns) -> float:
    """Sample excess kurtosis (bias-corrected; 0 for a normal distribution)."""
    r = _clean(returns)
    return float(stats.kurtosis(r, fisher=True, bias=False)) if len(r) > 3 else np.nan


def hit_rate(returns) -> float:
    """Share of periods with a positive return."""
    r = _clean(returns)
    return float(np.mean(r > 0)) if len(r) else np.nan


def information_ratio(returns, benchmark, periods_per_year: int | None = None) -> float:
    """Sharpe ratio of the active return ``returns - benchmark``."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    a = pd.Series(np.asarray(returns, dtype=float)) - pd.Series(np.asarray(benchmark, dtype=float))
    return sharpe(a, periods_per_year)


def summary(returns, periods_per_year: int | None = None) -> dict[str, float]:
    """The headline metrics of one return series."""
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    return {
        "ann_return": ann_return(returns, periods_per_year),
        "cagr": cagr(returns, periods_per_year),
        "ann_vol": ann_vol(returns, periods_per_year),
        "sharpe": sharpe(returns, periods_per_year),
        "sortino": sortino(returns, periods_per_year),
        "max_drawdown": max_drawdown(returns),
        "calmar": calmar(returns, periods_per_year),
        "skew": skewness(returns),
        "excess_kurtosis": excess_kurtosis(returns),
        "hit_rate": hit_rate(returns),
        "worst_period": float(np.min(_clean(returns))) if len(_clean(returns)) else np.nan,
        "n_periods": int(len(_clean(returns))),
    }
