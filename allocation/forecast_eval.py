"""Forecast evaluation: out-of-sample R^2, Clark-West, Diebold-Mariano, RMSE, hit rate.

All functions take aligned arrays of realized values and forecasts over the
same out-of-sample periods (NaN pairs are dropped).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from allocation.stats import _hac_cov


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


def _hac_t(d: np.ndarray, lags: int | None) -> float:
    n = len(d)
    lags = int(np.floor(4 * (n / 100) ** (2 / 9))) if lags is None else lags
    var = _hac_cov(d[:, None], lags)[0, 0] / n
    return float(d.mean() / np.sqrt(var)) if var > 0 else np.nan


def clark_west(realized, forecast, benchmark, lags: int | None = None) -> dict[str, float]:
    """Clark & West (2007) test of equal predictive accuracy for nested models.

    ``f_t = (y - b)^2 - [(y - f)^2 - (b - f)^2]``; the statistic is the HAC
    t-statistic of its mean; one-sided p-value (H1: the larger model forecasts better).
    """
    y, f, b = _aligned(realized, forecast, benchmark)
    if len(y) < 10:
        return {"stat": np.nan, "p_value": np.nan}
    adj = (y - b) ** 2 - ((y - f) ** 2 - (b - f) ** 2)
    t = _hac_t(adj, lags)
    return {"stat": t, "p_value": float(stats.norm.sf(t)) if np.isfinite(t) else np.nan}


def diebold_mariano(realized, forecast_a, forecast_b, lags: int | None = None) -> dict[str, float]:
    """Diebold-Mariano test on squared errors, ``d = e_b^2 - e_a^2`` (positive: a is better); two-sided."""
    y, a, b = _aligned(realized, forecast_a, forecast_b)
    if len(y) < 10:
        return {"stat": np.nan, "p_value": np.nan}
    d = (y - b) ** 2 - (y - a) ** 2
    if np.allclose(d, 0):
        return {"stat": 0.0, "p_value": 1.0}
    t = _hac_t(d, lags)
    return {"stat": t, "p_value": float(2 * stats.norm.sf(abs(t))) if np.isfinite(t) else np.nan}


def forecast_table(realized: pd.Series, forecast: pd.Series, benchmark: pd.Series,
                   unconditional: pd.Series | None = None) -> dict[str, float]:
    """The standard row: ``oos_r2, rmse, hit_rate, clark_west_stat, clark_west_p, dm_*`` (vs unconditional)."""
    cw = clark_west(realized, forecast, benchmark)
    row = {"oos_r2": oos_r2(realized, forecast, benchmark), "rmse": rmse(realized, forecast),
           "hit_rate": hit_rate(realized, forecast), "clark_west_stat": cw["stat"], "clark_west_p": cw["p_value"],
           "n": int(len(_aligned(realized, forecast, benchmark)[0]))}
    if unconditional is not None:
        dm = diebold_mariano(realized, forecast, unconditional)
        row.update({"dm_vs_unconditional_stat": dm["stat"], "dm_vs_unconditional_p": dm["p_value"]})
    return row
