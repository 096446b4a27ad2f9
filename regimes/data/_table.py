"""Row-by-row parsing of comma-separated tables with line-numbered errors.

pandas' CSV reader is fast but turns a bad cell into a silent NaN column or
an ``object`` dtype; the readers here need to name the line and the column
that is wrong. The files are small (at most a few tens of thousands of rows),
so a plain Python loop is fast enough (about 50 ms for the largest file).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from regimes.errors import DataError

DateParser = Callable[[str], dt.date]


def _ymd(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


def parse_yyyymm(text: str) -> dt.date:
    """``'200810'`` -> 2008-10-31 (the month's last calendar day)."""
    if len(text) != 6 or not text.isdigit():
        raise ValueError("expected YYYYMM")
    year, month = int(text[:4]), int(text[4:])
    if not 1 <= month <= 12:
        raise ValueError("month out of range")
    return _ymd(year, month, calendar.monthrange(year, month)[1])


def parse_yyyymmdd(text: str) -> dt.date:
    """``'20081010'`` -> 2008-10-10."""
    if len(text) != 8 or not text.isdigit():
        raise ValueError("expected YYYYMMDD")
    return _ymd(int(text[:4]), int(text[4:6]), int(text[6:]))


def parse_yyyy(text: str) -> dt.date:
    """``'2009'`` -> 2009-12-31 (annual blocks are dated at year end)."""
    if len(text) != 4 or not text.isdigit():
        raise ValueError("expected YYYY")
    return _ymd(int(text), 12, 31)


def parse_iso(text: str) -> dt.date:
    """``'2008-10-10'`` -> 2008-10-10."""
    if len(text) != 10:
        raise ValueError("expected YYYY-MM-DD")
    return dt.date.fromisoformat(text)


def parse_mdy(text: str) -> dt.date:
    """``'10/10/2008'`` -> 2008-10-10 (CBOE's layout)."""
    parts = text.split("/")
    if len(parts) != 3 or len(parts[2]) != 4:
        raise ValueError("expected MM/DD/YYYY")
    return _ymd(int(parts[2]), int(parts[0]), int(parts[1]))


DATE_FORMATS: dict[str, DateParser] = {
    "YYYYMM": parse_yyyymm,
    "YYYYMMDD": parse_yyyymmdd,
    "YYYY": parse_yyyy,
    "YYYY-MM-DD": parse_iso,
    "MM/DD/YYYY": parse_mdy,
}


def parse_rows(
    name: str,
    lines: Sequence[str],
    first: int,
    columns: Sequence[str],
    date_format: str,
    missing: frozenset[str] = frozenset(),
    missing_values: frozenset[float] = frozenset(),
) -> pd.DataFrame:
    """Parse ``lines[first:]`` as ``date,value,...`` rows into a float frame.

    Parameters
    ----------
    name : str
        File name for error messages.
    lines : sequence of str
        All lines of the file (so that line numbers are the file's).
    first : int
        0-based index of the first data row in ``lines``. Parsing stops at
        the first blank line or at the end.
    columns : sequence of str
        Names of the value columns (the date column excluded).
    date_format : str
        A key of :data:`DATE_FORMATS`.
    missing : frozenset of str
        Cell texts meaning "missing" (for example ``""`` or ``"."``).
    missing_values : frozenset of float
        Numeric sentinels meaning "missing" (for example -99.99, -999).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_rows, len(columns))``, float64, indexed by a strictly
        increasing DatetimeIndex named ``date``.

    Raises
    ------
    DataError
        Naming the line for a wrong number of fields, an unparsable date,
        a non-numeric cell, a duplicate or decreasing date, or no rows.
    """
    parse_date = DATE_FORMATS[date_format]
    n_fields = len(columns) + 1
    dates: list[dt.date] = []
    values: list[list[float]] = []
    line_no = first
    for line_no in range(first, len(lines)):
        line = lines[line_no]
        if not line.strip():
            break
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != n_fields:
            raise DataError(name, f"expected {n_fields} comma-separated fields (date,{','.join(columns)}), "
                                  f"found {len(fields)}: {line.strip()!r}", line=line_no + 1)
        try:
            date = parse_date(fields[0])
        except ValueError:
            raise DataError(name, f"expected a date as {date_format}, found {fields[0]!r}", line=line_no + 1) from None
        row = []
        for col, cell in zip(columns, fields[1:]):
            if cell in missing:
                row.append(np.nan)
                continue
            try:
                value = float(cell)
            except ValueError:
                raise DataError(name, f"expected a number in column {col!r}, found {cell!r}", line=line_no + 1) from None
            if not np.isfinite(value):
                raise DataError(name, f"expected a finite number in column {col!r}, found {cell!r}", line=line_no + 1)
            row.append(np.nan if value in missing_values else value)
        if dates and date <= dates[-1]:
            what = "duplicate date" if date == dates[-1] else "date out of order"
            raise DataError(name, f"{what} {date.isoformat()} (dates must be strictly increasing)", line=line_no + 1)
        dates.append(date)
        values.append(row)
    if not dates:
        raise DataError(name, f"expected data rows ({date_format},...) after the header, found none", line=first + 1)
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    return pd.DataFrame(np.asarray(values, dtype=float), index=index, columns=list(columns))


def split_header(line: str) -> list[str]:
    """Column names of a header line, stripped (the first, date, field included)."""
    return [f.strip() for f in line.split(",")]


def expect_header(name: str, line: str, line_no: int, expected: Sequence[str]) -> None:
    """Raise :class:`DataError` unless the header's fields equal ``expected`` (case-insensitive)."""
    found = split_header(line)
    if [f.lower() for f in found] != [e.lower() for e in expected]:
        raise DataError(name, f"expected header {','.join(expected)!r}, found {line.strip()!r}", line=line_no + 1)
