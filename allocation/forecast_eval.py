"""Forecast evaluation: out-of-sample R^2, Clark-West, Diebold-Mariano, RMSE, hit rate.

All functions take aligned arrays of realized values and forecasts over the
same out-of-sample periods (NaN pairs are dropped).

Which test for which comparison
-------------------------------
* **Nested** models (the smaller one is a restricted version of the larger:
  any model with an intercept against the historical mean; a regime-aware
  model against its own base model): :func:`clark_west`. Under the null the
  larger model estimates parameters that are zero, which inflates its squared
  errors, so Diebold-Mariano is undersized there (Clark & West 2007).
* **Non-nested** models (neither is a restriction of the other):
  :func:`diebold_mariano`.

:func:`choose_test` encodes the rule; :func:`compare` applies it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from allocation.stats import _hac_cov, newey_west_lags

CLARK_WEST = "clark_west"
DIEBOLD_MARIANO = "diebold_mariano"


def _aligned(*arrays) -> list[np.ndarray]:
    data = np.column_stack([np.asarray(a, dtype=float) for a in arrays])
    data = data[np.isfinite(data).all(axis=1)]
    return [data[:, i] for i in range(data.shape[1])]


def oos_r2(realized, forecast, benchmark) -> float:
    """``1 - sum (y - f)^2 / sum (y - b)^2``: against the benchmark forecast b (Campbell & Thompson 2008)."""
    y, f, b = _aligned(realized, forecast, benchmark)
    denom = np.sum((y - b) ** 2)
    return float(1.0 - np.sum((y - f) ** 2) / denom) if len(y) and denom > 0 else np.nan


def rmse(realized, forecast) -> float:
    y, f = _aligned(realized, forecast)
    return float(np.sqrt(np.mean((y - f) ** 2))) if len(y) else np.nan


def hit_rate(realized, forecast) -> float:
    """Share of periods where the forecast has the sign of the realized return."""
    y, f = _aligned(realized, forecast)
    return float(np.mean(np.sign(y) == np.sign(f))) if len(y) else np.nan


def expanding_mean_forecast(target: pd.Series, dates: pd.DatetimeIndex, min_periods: int = 1) -> pd.Series:
    """The Campbell & Thompson (2008) benchmark, re-estimated at every decision date.

    Parameters
    ----------
    target : pandas.Series
        Return over period t+1 indexed by t (``Panel.forward_returns``), shape (n_rows,).
    dates : DatetimeIndex
        Decision dates (rows of ``target``).
    min_periods : int
        Realized targets needed before the first forecast (NaN before).

    Returns
    -------
    pandas.Series
        At each decision date t, the mean of every target realized by t
        (``target[u]`` for u < t, NaNs skipped); uses nothing dated after t.
    """
    realized_by_t = target.shift(1)  # target[u] is realized at u+1: at t the latest known is target[t-1]
    return realized_by_t.expanding(min_periods=max(1, min_periods)).mean().reindex(pd.DatetimeIndex(dates))


def _hac_t(d: np.ndarray, lags: int | None) -> float:
    """Mean of ``d`` over its Newey-West (Bartlett) standard error."""
    n = len(d)
    lags = newey_west_lags(n) if lags is None else lags
    var = _hac_cov(d[:, None], lags)[0, 0] / n
    return float(d.mean() / np.sqrt(var)) if var > 0 else np.nan


def clark_west(realized, forecast, benchmark, lags: int | None = None) -> dict[str, float]:
    """Clark & West (2007) test of equal predictive accuracy for nested models.

    ``f_t = (y - b)^2 - [(y - f)^2 - (b - f)^2]`` with ``b`` the forecast of the
    smaller (nested) model and ``f`` that of the larger one; the statistic is
    the HAC t-statistic of the mean of ``f_t``; one-sided p-value
    (H1: the larger model forecasts better).
    """
    y, f, b = _aligned(realized, forecast, benchmark)
    if len(y) < 10:
        return {"stat": np.nan, "p_value": np.nan}
    adj = (y - b) ** 2 - ((y - f) ** 2 - (b - f) ** 2)
    if np.allclose(adj, 0):  # identical forecasts: no evidence either way
        return {"stat": 0.0, "p_value": 0.5}
    t = _hac_t(adj, lags)
    return {"stat": t, "p_value": float(stats.norm.sf(t)) if np.isfinite(t) else np.nan}


def diebold_mariano(realized, forecast_a, forecast_b, lags: int | None = None) -> dict[str, float]:
    """Diebold-Mariano test on squared errors, ``d = e_b^2 - e_a^2`` (positive: a is better); two-sided.

    Only for non-nested models (see the module docstring). The statistic is
    the HAC t-statistic of the mean of ``d`` against the standard normal.
    """
    y, a, b = _aligned(realized, forecast_a, forecast_b)
    if len(y) < 10:
        return {"stat": np.nan, "p_value": np.nan}
    d = (y - b) ** 2 - (y - a) ** 2
    if np.allclose(d, 0):
        return {"stat": 0.0, "p_value": 1.0}
    t = _hac_t(d, lags)
    return {"stat": t, "p_value": float(2 * stats.norm.sf(abs(t))) if np.isfinite(t) else np.nan}


def choose_test(nested: bool) -> str:
    """:data:`CLARK_WEST` for nested pairs, :data:`DIEBOLD_MARIANO` otherwise."""
    return CLARK_WEST if nested else DIEBOLD_MARIANO


def compare(realized, forecast, benchmark, nested: bool, lags: int | None = None) -> dict:
    """Accuracy of ``forecast`` against ``benchmark`` with the test the nesting calls for.

    Parameters
    ----------
    realized, forecast, benchmark : array-like of shape (n,)
        Aligned over the same periods (rows with a NaN dropped).
    nested : bool
        Whether the benchmark model is a restricted version of the forecasting model.

    Returns
    -------
    dict
        ``oos_r2`` (``1 - MSE(forecast) / MSE(benchmark)``), ``rmse``,
        ``rmse_benchmark``, ``hit_rate``, ``test`` (``clark_west`` or
        ``diebold_mariano``), ``alternative`` (``one-sided`` / ``two-sided``),
        ``stat`` (positive: the forecast is more accurate), ``p_value``, ``n``.
    """
    y, f, b = _aligned(realized, forecast, benchmark)
    test = choose_test(nested)
    res = clark_west(y, f, b, lags) if nested else diebold_mariano(y, f, b, lags)
    return {"oos_r2": oos_r2(y, f, b), "rmse": rmse(y, f), "rmse_benchmark": rmse(y, b), "hit_rate": hit_rate(y, f),
            "test": test, "alternative": "one-sided" if nested else "two-sided", "stat": res["stat"],
            "p_value": res["p_value"], "n": int(len(y))}
