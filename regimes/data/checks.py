"""Checks every catalog series passes, whatever file or download it came from.

A reader validates the layout of its file; these functions validate what the
rows mean for the slot the file fills: the frequency (a daily file saved
under a monthly file's name is refused), one row per month in a monthly
series (a missing month is refused, naming it), and no implausible hole in
a daily series. The downloader validates a payload with the same reader and
the same checks (:func:`regimes.data.catalog.read_series`), so a cached file
passes exactly what a local file passes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plumbing.errors import DataError, SeriesMismatch

FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual")

#: Longest calendar gap (days) between two rows of a daily series. Apart from
#: :data:`KNOWN_CLOSURES`, the longest US market closure since daily data
#: begin (the 1933 bank holiday) leaves 12 days between rows; a longer hole
#: means rows were lost.
MAX_DAILY_GAP_DAYS = 14

#: Documented exchange closures longer than :data:`MAX_DAILY_GAP_DAYS`:
#: (first closed day, last closed day, what it was). A daily series may skip
#: them; the days around them still count against the limit. The NYSE was
#: closed from 31 July to 11 December 1914 (First World War); daily index
#: histories that start before it (Stooq's S&P 500 from 1885) skip it.
KNOWN_CLOSURES: tuple[tuple[pd.Timestamp, pd.Timestamp, str], ...] = (
    (pd.Timestamp("1914-07-31"), pd.Timestamp("1914-12-11"), "the NYSE closure of 1914"),
)

#: Fewest leading monthly rows :func:`leading_monthly_rows` counts as a spliced monthly history.
MIN_SPLICED_MONTHS = 12


def _gaps_days(index: pd.DatetimeIndex) -> np.ndarray:
    """Calendar days between consecutive dates, shape ``(n - 1,)``."""
    return np.asarray((index[1:] - index[:-1]) / pd.Timedelta(days=1), dtype=float)


def infer_frequency(index: pd.DatetimeIndex) -> str:
    """The frequency a strictly increasing date index has, from its median spacing.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Shape ``(n,)``, strictly increasing.

    Returns
    -------
    str
        ``"daily"`` (median spacing up to 4 days: trading days, with or
        without weekends), ``"weekly"`` (5-10), ``"monthly"`` (25-35),
        ``"quarterly"`` (80-100), ``"annual"`` (350-380), ``"irregular"``
        otherwise, or ``"unknown"`` with fewer than 3 rows.
    """
    if len(index) < 3:
        return "unknown"
    median = float(np.median(_gaps_days(index)))
    for name, low, high in (("daily", 0.5, 4.5), ("weekly", 4.5, 10), ("monthly", 25, 35),
                            ("quarterly", 80, 100), ("annual", 350, 380)):
        if low <= median <= high:
            return name
    return "irregular"


def _span(index: pd.DatetimeIndex) -> str:
    median = float(np.median(_gaps_days(index)))
    spacing = f"median spacing {median:.3g} day{'' if median == 1 else 's'}, "
    return f"{spacing}{len(index):,} rows {index[0].date()}..{index[-1].date()}"


def check_frequency(name: str, index: pd.DatetimeIndex, expected: str) -> None:
    """Refuse a series whose rows are not at the ``expected`` frequency, or that has holes.

    Parameters
    ----------
    name : str
        The file (for the message).
    index : pandas.DatetimeIndex
        The series' dates, strictly increasing (as every reader returns them).
    expected : {"daily", "monthly"}
        The frequency of the slot the file fills (``SeriesSpec.frequency``).

    Raises
    ------
    SeriesMismatch
        Naming the file, the frequency found and the median spacing (a
        daily file in a monthly slot or the reverse).
    DataError
        For a monthly series, naming the missing months; for a daily series,
        a gap of more than :data:`MAX_DAILY_GAP_DAYS` days.
    """
    found = infer_frequency(index)
    if found not in ("unknown", expected):
        hint = (f"; is this the {found} file saved under the {expected} file's name?"
                if {found, expected} == {"daily", "monthly"} else "")
        raise SeriesMismatch(name, f"expected {expected} data, found {found} data ({_span(index)}){hint}")
    if expected == "monthly":
        check_consecutive_months(name, index)
    elif expected == "daily":
        check_daily_gaps(name, index)


def check_consecutive_months(name: str, index: pd.DatetimeIndex) -> None:
    """Refuse a monthly series with a missing month or two rows in one month, naming them."""
    months = index.to_period("M")
    if months.has_duplicates:
        dup = months[months.duplicated()][0]
        raise DataError(name, f"two rows fall in the month {dup} (a monthly series has one row per month)")
    full = pd.period_range(months[0], months[-1], freq="M")
    if len(full) == len(months):
        return
    missing = full.difference(months)
    runs: list[str] = []
    start = prev = missing[0]
    for month in list(missing[1:]) + [None]:
        if month is not None and month == prev + 1:
            prev = month
            continue
        runs.append(str(start) if start == prev else f"{start}..{prev}")
        if month is not None:
            start = prev = month
    shown = ", ".join(runs[:6]) + (f", ... ({len(runs) - 6} more gaps)" if len(runs) > 6 else "")
    raise DataError(name, f"monthly series is missing {len(missing)} month{'s' if len(missing) > 1 else ''}: "
                          f"{shown} (months must be consecutive)")


def check_daily_gaps(name: str, index: pd.DatetimeIndex, max_gap_days: int = MAX_DAILY_GAP_DAYS) -> None:
    """Refuse a daily series with more than ``max_gap_days`` calendar days between two rows.

    A gap that spans one of :data:`KNOWN_CLOSURES` counts only its days
    outside the closure.
    """
    if len(index) < 2:
        return
    gaps = _gaps_days(index)
    open_days = gaps.copy()
    for first, last, _ in KNOWN_CLOSURES:
        spans = np.asarray((index[:-1] < first) & (index[1:] > last))
        open_days[spans] -= (last - first).days + 1
    worst = int(np.argmax(open_days))
    if open_days[worst] > max_gap_days:
        raise DataError(name, f"daily series has no rows between {index[worst].date()} and {index[worst + 1].date()} "
                              f"({gaps[worst]:.0f} days; at most {max_gap_days} expected outside documented market "
                              "closures): rows are missing")


def leading_monthly_rows(index: pd.DatetimeIndex, min_rows: int = MIN_SPLICED_MONTHS) -> int:
    """How many leading rows form a monthly history spliced before a daily series (0 if none).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Shape ``(n,)``, strictly increasing.
    min_rows : int, default :data:`MIN_SPLICED_MONTHS`
        Fewest rows that count as a spliced monthly history (fewer, and
        they are left in place for the daily checks to judge).

    Returns
    -------
    int
        Length of the longest prefix of rows dated the first day of
        consecutive calendar months, when it has at least ``min_rows`` rows
        and does not cover the whole index; else 0. Only dates are read.
    """
    n = 0
    while n < len(index) and index[n].day == 1 and (
            n == 0 or index[n].to_period("M") == index[n - 1].to_period("M") + 1):
        n += 1
    return n if min_rows <= n < len(index) else 0
