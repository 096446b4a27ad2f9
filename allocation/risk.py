"""Trailing risk estimates known at each decision date.

:func:`trailing_vol` is what volatility-scaled allocators use: at decision
date t, the annualized volatility ``sqrt(ppy_daily * mean(r**2))`` of the
last ``window_days`` daily returns up to t (Barroso & Santa-Clara 2015 use
126 days), or, without daily data, of the last ``window_periods`` periodic
returns up to t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation.metrics import periods_per_year_of


def trailing_vol(decision_dates: pd.DatetimeIndex, periodic: pd.DataFrame, periods_per_year: int | None = None,
                 daily: pd.DataFrame | None = None, window_days: int = 126, window_periods: int = 36,
                 min_fraction: float = 0.8) -> pd.DataFrame:
    """Annualized trailing volatility per asset at each decision date (uses returns dated <= t).

    Parameters
    ----------
    decision_dates : DatetimeIndex
    periodic : pandas.DataFrame
        Periodic returns (e.g. monthly), indexed by period end.
    periods_per_year : int, optional
        Periods of ``periodic`` per year; default: inferred from its dates.
    daily : pandas.DataFrame, optional
        Daily returns of the same assets; preferred at t where the window has
        enough of them and the last one dated <= t is at most 7 days old.
    min_fraction : float
        Share of the window that must be present.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_dates, n_assets)``.
    """
    periods_per_year = periods_per_year_of(periodic, periods_per_year)
    out = pd.DataFrame(index=decision_dates, columns=periodic.columns, dtype=float)
    per = np.sqrt(periods_per_year * (periodic ** 2).rolling(window_periods,
                                                            min_periods=int(window_periods * min_fraction)).mean())
    out[:] = per.reindex(decision_dates, method="ffill").to_numpy()
    if daily is not None:
        cols = [c for c in periodic.columns if c in daily.columns]
        day = np.sqrt(252.0 * (daily[cols] ** 2).rolling(window_days, min_periods=int(window_days * min_fraction)).mean())
        at = day.reindex(decision_dates, method="ffill")
        # only where the daily data reach the decision date (no stale values): the last daily return dated
        # <= t must be at most a week old, judged at t (never by whether the data resume after t)
        for c in cols:
            seen = daily[c].dropna().index
            last_seen = pd.Series(seen, index=seen).reindex(decision_dates, method="ffill")
            ok = at[c].notna() & ((at.index - last_seen) <= pd.Timedelta(days=7))
            out.loc[ok.to_numpy(), c] = at.loc[ok.to_numpy(), c]
    return out


def trailing_cov(returns: pd.DataFrame, date: pd.Timestamp, window: int, weights: np.ndarray | None = None,
                 periods_per_year: int | None = None) -> np.ndarray:
    """Annualized covariance of the last ``window`` returns dated <= ``date`` (optionally weighted).

    ``periods_per_year`` defaults to the frequency of the dates of ``returns`` up to ``date``.
    """
    periods_per_year = periods_per_year_of(returns.loc[:date], periods_per_year)
    hist = returns.loc[:date].dropna().iloc[-window:]
    if len(hist) < 2:
        return np.full((returns.shape[1],) * 2, np.nan)
    x = hist.to_numpy()
    if weights is None:
        return np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1]) * periods_per_year
    w = np.asarray(weights)[-len(x):]
    w = w / w.sum()
    mu = w @ x
    d = x - mu
    return (d * w[:, None]).T @ d * periods_per_year
