"""Readers for CBOE, FRED, Yahoo-style, Stooq and user tidy CSV files.

Each reader validates the header, parses every row with line-numbered errors
(:func:`regimes.data._table.parse_rows`) and checks that the values are
plausible for what the file claims to be. All return a float DataFrame with a
strictly increasing DatetimeIndex named ``date`` (rows out of order are
sorted; a date given twice is refused).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from plumbing.errors import DataError
from regimes.data._table import (
    check_range,
    data_end,
    expect_header,
    parse_rows,
    parse_table,
    split_header,
)
from regimes.data._text import read_lines
from regimes.data.checks import check_frequency, leading_monthly_rows

CBOE_HEADER = ("DATE", "OPEN", "HIGH", "LOW", "CLOSE")
YAHOO_HEADERS = (
    ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"),
    ("Date", "Open", "High", "Low", "Close", "Volume"),
)
FRED_DATE_HEADERS = ("DATE", "observation_date")

#: Upper bound of a plausible VIX level (index points, i.e. annualized
#: implied volatility in percent); the highest close so far is 82.69.
VIX_MAX = 1000.0


def _snake(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def read_cboe_vix(path: str | Path) -> pd.DataFrame:
    """Read CBOE's ``VIX_History.csv`` (``DATE,OPEN,HIGH,LOW,CLOSE``, dates MM/DD/YYYY).

    Returns
    -------
    pandas.DataFrame
        Columns ``open, high, low, close`` in index points (VIX is a level,
        not a return, so it is not rescaled), one row per trading day.
        Use ``close``: CBOE's legacy open/high/low contain known errors.
        Every value must lie in (0, :data:`VIX_MAX`); an empty cell is NaN.
    """
    name, lines = read_lines(path)
    expect_header(name, lines[0], 0, CBOE_HEADER)
    frame, at = parse_table(name, lines, 1, [_snake(c) for c in CBOE_HEADER[1:]], "MM/DD/YYYY",
                            missing=frozenset({""}), stop=data_end(lines, 1))
    check_range(name, frame, at, "a VIX level (index points)", lower=0.0, upper=VIX_MAX)
    _check_vix_level(name, frame["close"])
    return frame


def _check_vix_level(name: str, close: pd.Series) -> None:
    values = close.dropna()
    if len(values) and not (1.0 <= values.median() <= 200.0):
        raise DataError(name, f"VIX closes should be index points between 1 and 200 (median {values.median():.4g}); "
                              "is the file in decimals?")


def read_fred(path: str | Path, percent: bool = False,
              bounds: tuple[float | None, float | None, str] | None = None) -> pd.DataFrame:
    """Read a FRED series CSV (``DATE,X`` or ``observation_date,X``).

    Parameters
    ----------
    path : str or Path
        The downloaded ``fredgraph.csv`` (or ``SERIES.csv``).
    percent : bool, default False
        The series is in percent (yields, spreads, rates): divide by 100.
    bounds : (lower, upper, closed), optional
        Plausible range of every value in the file's own units (see
        :func:`regimes.data._table.check_range`); None for no bound.

    Returns
    -------
    pandas.DataFrame
        One column named after the series id, as dated by FRED (monthly
        series are dated the first day of the month they describe); ``.``
        and empty cells are NaN.
    """
    name, lines = read_lines(path)
    header = split_header(lines[0])
    if len(header) != 2 or header[0] not in FRED_DATE_HEADERS or not header[1]:
        raise DataError(name, f"expected a FRED header 'observation_date,SERIES' or 'DATE,SERIES', "
                              f"found {lines[0].strip()!r}", line=1)
    frame, at = parse_table(name, lines, 1, [header[1]], "YYYY-MM-DD", missing=frozenset({"", "."}),
                            stop=data_end(lines, 1))
    if bounds is not None:
        lower, upper, closed = bounds
        check_range(name, frame, at, f"a value of {header[1]}", lower=lower, upper=upper, closed=closed)
    return frame / 100.0 if percent else frame


def read_yahoo(path: str | Path) -> pd.DataFrame:
    """Read a Yahoo-style OHLC CSV (``Date,Open,High,Low,Close[,Adj Close],Volume``).

    Returns
    -------
    pandas.DataFrame
        Columns ``open, high, low, close[, adj_close], volume``; prices as
        published (index points or dollars). ``adj_close`` includes
        dividends for ETFs. ``null`` cells (Yahoo's missing marker) and zero
        open/high/low prices (Yahoo's marker for an unknown price) are NaN.
        Every price must be finite and positive (closes strictly), every
        volume non-negative; anything else is refused naming its line.
    """
    frame, at, name = _read_yahoo_rows(path)
    _check_jumps(name, frame, at, [c for c in frame.columns if c != "volume"])
    return frame


def _read_yahoo_rows(path: str | Path) -> tuple[pd.DataFrame, np.ndarray, str]:
    """:func:`read_yahoo` without the row-to-row price check: (frame, file line of each row, file name)."""
    name, lines = read_lines(path)
    header = split_header(lines[0])
    if tuple(h.lower() for h in header) not in {tuple(c.lower() for c in h) for h in YAHOO_HEADERS}:
        raise DataError(name, f"expected a Yahoo header {','.join(YAHOO_HEADERS[0])!r} "
                              f"(Adj Close optional), found {lines[0].strip()!r}", line=1)
    frame, at = parse_table(name, lines, 1, [_snake(c) for c in header[1:]], "YYYY-MM-DD",
                            missing=frozenset({"", "null", "NaN", "nan"}), stop=data_end(lines, 1))
    prices = [c for c in frame.columns if c != "volume"]
    # Yahoo writes 0 where an open/high/low is unknown (for example the
    # S&P 500's opens from 1962 into the 1980s): those are missing, not prices.
    check_range(name, frame, at, "a price", lower=0.0, closed="left", columns=prices)
    for col in ("open", "high", "low"):
        frame.loc[frame[col] == 0, col] = np.nan
    check_range(name, frame, at, "a closing price", lower=0.0, columns=[c for c in prices if "close" in c])
    check_range(name, frame, at, "a traded volume", lower=0.0, closed="left", columns=["volume"])
    return frame, at, name


#: Largest factor by which a price may move from one row to the next, either way: a rise of more
#: than +1000 % (the bound on a factor return) or a fall of more than 90.9 % is a typo or a misread
#: (1e300 for 1300.5), not a market move (the largest daily moves in the files here are about 1.3x).
MAX_PRICE_JUMP = 11.0


def _check_jumps(name: str, frame: pd.DataFrame, at: np.ndarray, columns: list[str]) -> None:
    """Refuse the first price that moves by more than :data:`MAX_PRICE_JUMP` times from the previous one."""
    for col in columns:
        values = frame[col].to_numpy(dtype=float)
        rows = np.flatnonzero(np.isfinite(values))
        if len(rows) < 2:
            continue
        ratio = values[rows[1:]] / values[rows[:-1]]
        bad = np.flatnonzero((ratio >= MAX_PRICE_JUMP) | (ratio <= 1.0 / MAX_PRICE_JUMP))
        if len(bad):
            i, j = rows[bad[0]], rows[bad[0] + 1]
            raise DataError(name, f"implausible value {values[j]:g} in column {col!r} on {frame.index[j].date()}: "
                                  f"{values[j] / values[i]:.4g} times the previous value ({values[i]:g} on "
                                  f"{frame.index[i].date()}); a price may not move by a factor of "
                                  f"{MAX_PRICE_JUMP:g} or more between two rows", line=int(at[j]))


def read_stooq(path: str | Path) -> pd.DataFrame:
    """Read a Stooq daily history (``Date,Open,High,Low,Close,Volume``), without the monthly rows spliced before it.

    Stooq's S&P 500 (``^spx``, ``i=d``) begins with monthly rows dated the
    first of each month (1789-05-01 to 1885-02-01) and continues with daily
    rows (from 1885-02-17). Those leading monthly rows
    (:func:`regimes.data.checks.leading_monthly_rows`) are dropped, and the
    frame's ``attrs["note"]`` says how many, over which dates, before which
    day; everything from the first daily row on is kept and validated like
    any daily series (a gap inside it is refused by the frequency check;
    so is a whole month without a row where the monthly rows end).

    Returns
    -------
    pandas.DataFrame
        As :func:`read_yahoo`, from the first daily row on; ``attrs["note"]``
        is ``""`` when nothing was dropped.
    """
    frame, at, name = _read_yahoo_rows(path)
    dates = pd.DatetimeIndex(frame.index)
    n = leading_monthly_rows(dates)
    note = ""
    if n:
        if dates[n].to_period("M") > dates[n - 1].to_period("M") + 1:  # a whole month without a row
            raise DataError(str(path), f"no rows between {dates[n - 1].date()} and {dates[n].date()} "
                                       f"({(dates[n] - dates[n - 1]).days} days), where the monthly rows Stooq "
                                       "splices in end and its daily rows begin: rows are missing")
        note = (f"dropped {n:,} leading monthly row{'s' if n > 1 else ''} ({dates[0].date()}..{dates[n - 1].date()}) "
                f"that Stooq splices before its daily rows, which begin {dates[n].date()}")
        frame, at = frame.iloc[n:].copy(), at[n:]
    check_frequency(str(path), pd.DatetimeIndex(frame.index), "daily")  # a hole is named before a jump across it
    _check_jumps(name, frame, at, [c for c in frame.columns if c != "volume"])  # on the daily rows kept
    frame.attrs["note"] = note
    return frame


def read_tidy(path: str | Path, date_column: str | None = None, percent: bool = False) -> pd.DataFrame:
    """Read a user's tidy CSV: one date column and named numeric columns.

    Parameters
    ----------
    path : str or Path
        CSV with a header. Dates as ``YYYY-MM-DD``; empty cells are missing.
    date_column : str, optional
        Name of the date column; default the first column.
    percent : bool, default False
        Values are in percent: divide by 100.

    Returns
    -------
    pandas.DataFrame
        The numeric columns, named as in the header.
    """
    name, lines = read_lines(path)
    header = split_header(lines[0])
    if len(header) < 2 or any(not h for h in header):
        raise DataError(name, f"expected a header 'date,NAME[,NAME...]', found {lines[0].strip()!r}", line=1)
    date_col = date_column or header[0]
    if header[0] != date_col:
        raise DataError(name, f"expected the date column {date_col!r} first, found {header[0]!r}", line=1)
    if len(set(header)) != len(header):
        raise DataError(name, f"duplicate column names in header {lines[0].strip()!r}", line=1)
    frame = parse_rows(name, lines, 1, header[1:], "YYYY-MM-DD", missing=frozenset({"", "NA", "NaN", "nan"}),
                       stop=data_end(lines, 1))
    return frame / 100.0 if percent else frame
