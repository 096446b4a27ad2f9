"""Tearsheet statistics: pure functions of periodic simple returns (what quantstats users expect).

Conventions: ``returns`` are simple periodic returns in decimals indexed by
date, shape ``(n_periods,)`` (a Series) or ``(n_periods, n_strategies)`` (a
DataFrame). Leading and trailing NaNs (a strategy that starts later or ends
earlier) are dropped; a NaN between two returns is refused, never treated
as a zero return. Every value at a date uses returns dated at or before it
(rolling windows look back only); the tables are ex-post summaries of the
whole sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (name, periods per year, range of the median gap in days, range every gap must fall in).
FREQUENCIES = (
    ("daily", 252, (1, 4), (1, 10)),
    ("weekly", 52, (5, 9), (3, 11)),
    ("monthly", 12, (25, 35), (20, 40)),
    ("quarterly", 4, (80, 100), (70, 110)),
    ("annual", 1, (350, 380), (330, 400)),
)

#: Rolling window (periods) of the rolling volatility and beta at each frequency: six months of trading days
#: (as quantstats), a year of weeks, three years of months, three years of quarters.
ROLLING_WINDOW = {252: 126, 52: 52, 12: 36, 4: 12}


class IrregularDates(ValueError):
    """The dates are not sorted, repeat, or their spacing is not one known frequency."""


def infer_frequency(index: pd.DatetimeIndex) -> tuple[str, int]:
    """The sampling frequency of ``index``: ``(name, periods_per_year)``.

    Parameters
    ----------
    index : pandas.DatetimeIndex, shape (n,)
        Return dates, n >= 3.

    Returns
    -------
    tuple of (str, int)
        ``("daily", 252)``, ``("weekly", 52)``, ``("monthly", 12)``, ``("quarterly", 4)`` or ``("annual", 1)``:
        the class of the median gap between dates, every gap lying in that class's tolerance (trading-day
        calendars: weekends and holidays; month ends that are the last business day).

    Raises
    ------
    IrregularDates
        Fewer than three dates, dates not strictly increasing, or gaps that fit no single frequency (the
        message says which gap).
    """
    index = pd.DatetimeIndex(index)
    if len(index) < 3:
        raise IrregularDates(f"{len(index)} dates; at least 3 are needed to infer the frequency")
    gaps = np.asarray((index[1:] - index[:-1]) / pd.Timedelta(days=1), dtype=float)
    if (gaps <= 0).any():
        k = int(np.argmax(gaps <= 0))
        raise IrregularDates(f"dates are not strictly increasing ({index[k]:%Y-%m-%d} then {index[k + 1]:%Y-%m-%d})")
    median = float(np.median(gaps))
    for name, ppy, (lo, hi), (glo, ghi) in FREQUENCIES:
        if lo <= median <= hi:
            bad = np.flatnonzero((gaps < glo) | (gaps > ghi))
            if len(bad):
                k = int(bad[0])
                raise IrregularDates(f"irregular dates: mostly {name}, but {index[k]:%Y-%m-%d} to "
                                     f"{index[k + 1]:%Y-%m-%d} is {gaps[k]:g} days")
            return name, ppy
    raise IrregularDates(f"irregular dates: the median gap of {median:g} days is no daily, weekly, monthly, "
                         "quarterly or annual spacing")


def _span(returns: pd.Series) -> pd.Series:
    """``returns`` without leading and trailing NaNs; a NaN inside the span raises ValueError."""
    r = pd.Series(returns, dtype=float)
    valid = r.notna()
    if not valid.any():
        return r.iloc[:0]
    r = r.loc[valid.idxmax():valid[::-1].idxmax()]
    if r.isna().any():
        raise ValueError(f"{r.name}: missing return at {r.index[r.isna().argmax()]:%Y-%m-%d} between returns")
    return r


def _compound(r: pd.Series) -> float:
    return float(np.prod(1.0 + r.to_numpy()) - 1.0) if len(r) else np.nan


def yearly_returns(returns: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar year, ``prod(1 + r) - 1`` over the year's periods.

    Returns
    -------
    pandas.DataFrame, shape (n_years, n_strategies)
        Index: calendar year (int); NaN for a year without returns of that strategy. The first and last
        years may be partial (they compound the periods the data hold).
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    out = {}
    for col in frame.columns:
        r = _span(frame[col])
        out[col] = r.groupby(r.index.year).apply(_compound)
    table = pd.DataFrame(out)
    table.index.name = "year"
    return table


def monthly_table(returns: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month, laid out years by months (the monthly-returns heatmap).

    Returns
    -------
    pandas.DataFrame, shape (n_years, 12)
        Index: year; columns 1..12; NaN where the series has no return in that month. Only meaningful
        for monthly or finer returns.
    """
    r = _span(returns)
    by_month = r.groupby([r.index.year, r.index.month]).apply(_compound)
    table = by_month.unstack().reindex(columns=range(1, 13))
    table.index.name, table.columns.name = "year", "month"
    return table


def drawdown_periods(returns: pd.Series, top: int = 5) -> pd.DataFrame:
    """The ``top`` deepest drawdown periods of the growth path ``prod(1 + r)`` (the start counts as a peak of 1).

    A period is a maximal run of dates below the running peak.

    Returns
    -------
    pandas.DataFrame, shape (<= top, 5)
        Deepest first, columns ``start`` (first date below the peak), ``trough`` (date of the lowest
        point), ``recovery`` (first date back at or above the peak; NaT while not recovered), ``depth``
        (trough / peak - 1, < 0) and ``length`` (periods below the peak: from ``start`` up to, not
        including, ``recovery``, or to the last date).
    """
    r = _span(returns)
    cols = ["start", "trough", "recovery", "depth", "length"]
    if r.empty:
        return pd.DataFrame(columns=cols)
    growth = np.cumprod(1.0 + r.to_numpy())
    peak = np.maximum(np.maximum.accumulate(growth), 1.0)
    dd = growth / peak - 1.0
    under = dd < 0
    rows = []
    i, n = 0, len(dd)
    while i < n:
        if not under[i]:
            i += 1
            continue
        j = i
        while j < n and under[j]:
            j += 1
        k = i + int(np.argmin(dd[i:j]))
        rows.append({"start": r.index[i], "trough": r.index[k], "recovery": r.index[j] if j < n else pd.NaT,
                     "depth": float(dd[k]), "length": j - i})
        i = j
    table = pd.DataFrame(rows, columns=cols)
    return table.sort_values("depth", kind="stable").head(top).reset_index(drop=True)


def rolling_volatility(returns: pd.Series, window: int, periods_per_year: int) -> pd.Series:
    """Annualized rolling standard deviation (ddof=1) over the last ``window`` periods (NaN before a full window)."""
    r = _span(returns)
    return r.rolling(window, min_periods=window).std(ddof=1) * np.sqrt(periods_per_year)


def rolling_beta(returns: pd.Series, market: pd.Series, window: int) -> pd.Series:
    """Rolling OLS beta ``cov(r, m) / var(m)`` over the last ``window`` common dates of both series.

    Returns
    -------
    pandas.Series
        On the dates both series have a return; NaN before a full window.
    """
    both = pd.concat([_span(returns).rename("r"), _span(market).rename("m")], axis=1, join="inner")
    cov = both["r"].rolling(window, min_periods=window).cov(both["m"])
    var = both["m"].rolling(window, min_periods=window).var()
    return (cov / var).rename(returns.name)


__all__ = ["FREQUENCIES", "ROLLING_WINDOW", "IrregularDates", "drawdown_periods", "infer_frequency",
           "monthly_table", "rolling_beta", "rolling_volatility", "yearly_returns"]
