"""Row-by-row parsing of comma-separated tables with line-numbered errors.

pandas' CSV reader is fast but turns a bad cell into a silent NaN column or
an ``object`` dtype; the readers here need to name the line and the column
that is wrong. The files are small (at most a few tens of thousands of rows),
so a plain Python loop is fast enough (about 50 ms for the largest file).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from plumbing.errors import DataError

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


#: A decimal number as publishers write it: optional sign, digits with an optional fraction, optional
#: exponent. Python's ``float`` also takes ``1_000`` (as 1000), ``nan``, ``inf`` and ``infinity``: the
#: first is a misread waiting to happen, the others are not numbers a data file may hold.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def parse_number(name: str, cell: str, column: str, line: int | None) -> float:
    """The finite number written in ``cell``, or a :class:`DataError` naming the file, line and column.

    Only plain decimal notation is accepted (``-1.25``, ``.5``, ``2E-3``); digit separators, hex,
    NaN and infinity are refused, and so is a number too large for a float (``1e999``).
    """
    if _NUMBER.fullmatch(cell):
        value = float(cell)
        if np.isfinite(value):
            return value
    if _NUMBER.fullmatch(cell) or _NON_FINITE.fullmatch(cell):
        raise DataError(name, f"expected a finite number in column {column!r}, found {cell!r}", line=line)
    raise DataError(name, f"expected a number in column {column!r}, found {cell!r}", line=line)


def data_end(lines: Sequence[str], first: int) -> int:
    """Index just past the last non-blank line at or after ``first`` (trailing blank lines excluded)."""
    end = len(lines)
    while end > first and not lines[end - 1].strip():
        end -= 1
    return end


def block_end(lines: Sequence[str], first: int) -> int:
    """Index of the first blank line at or after ``first`` (or ``len(lines)``)."""
    for i in range(first, len(lines)):
        if not lines[i].strip():
            return i
    return len(lines)


def parse_rows(
    name: str,
    lines: Sequence[str],
    first: int,
    columns: Sequence[str],
    date_format: str,
    missing: frozenset[str] = frozenset(),
    missing_values: frozenset[float] = frozenset(),
    stop: int | None = None,
) -> pd.DataFrame:
    """:func:`parse_table` without the line numbers."""
    return parse_table(name, lines, first, columns, date_format, missing, missing_values, stop)[0]


def parse_table(
    name: str,
    lines: Sequence[str],
    first: int,
    columns: Sequence[str],
    date_format: str,
    missing: frozenset[str] = frozenset(),
    missing_values: frozenset[float] = frozenset(),
    stop: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse ``lines[first:stop]`` as ``date,value,...`` rows into a float frame.

    Every line in the range must be a data row: a blank line or a text line
    inside it is an error naming its line (a data block is never cut short
    silently). Rows out of date order are sorted (nothing is lost: the
    same numbers as the sorted file); a date given twice is refused.

    Parameters
    ----------
    name : str
        File name for error messages.
    lines : sequence of str
        All lines of the file (so that line numbers are the file's).
    first : int
        0-based index of the first data row in ``lines``.
    columns : sequence of str
        Names of the value columns (the date column excluded).
    date_format : str
        A key of :data:`DATE_FORMATS`.
    missing : frozenset of str
        Cell texts meaning "missing" (for example ``""`` or ``"."``).
    missing_values : frozenset of float
        Numeric sentinels meaning "missing" (for example -99.99, -999).
    stop : int, optional
        0-based index just past the block. Default: the first blank line
        (the publisher's block boundary; the caller checks what follows).

    Returns
    -------
    frame : pandas.DataFrame
        Shape ``(n_rows, len(columns))``, float64, indexed by a strictly
        increasing DatetimeIndex named ``date``.
    line_numbers : numpy.ndarray
        Shape ``(n_rows,)``: the 1-based file line of each row of ``frame``.

    Raises
    ------
    DataError
        Naming the line for a blank line inside the block, a wrong number of
        fields, an unparsable date, a non-numeric or non-finite cell, a
        duplicate date, or no rows.
    """
    parse_date = DATE_FORMATS[date_format]
    n_fields = len(columns) + 1
    if stop is None:
        stop = block_end(lines, first)
    dates: list[dt.date] = []
    values: list[list[float]] = []
    for line_no in range(first, stop):
        line = lines[line_no]
        if not line.strip():
            raise DataError(name, f"blank line inside the data block (rows continue to line {stop}); "
                                  "a data file must not have gaps", line=line_no + 1)
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
            row.append(np.nan if (value := parse_number(name, cell, col, line_no + 1)) in missing_values else value)
        dates.append(date)
        values.append(row)
    if not dates:
        raise DataError(name, f"expected data rows ({date_format},...) after the header, found none", line=first + 1)
    line_numbers = np.arange(first + 1, first + 1 + len(dates))
    array = np.asarray(values, dtype=float)
    if any(b <= a for a, b in zip(dates, dates[1:])):
        order = sorted(range(len(dates)), key=lambda i: (dates[i], i))
        for a, b in zip(order, order[1:]):
            if dates[a] == dates[b]:
                raise DataError(name, f"duplicate date {dates[b].isoformat()} (also on line {line_numbers[a]})",
                                line=int(line_numbers[b]))
        dates = [dates[i] for i in order]
        array, line_numbers = array[order], line_numbers[order]
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    return pd.DataFrame(array, index=index, columns=list(columns)), line_numbers


def check_range(name: str, frame: pd.DataFrame, line_numbers: np.ndarray | None, what: str,
                lower: float | None = None, upper: float | None = None,
                closed: str = "neither", columns: Sequence[str] | None = None, unit: str = "") -> None:
    """Refuse the first value of ``frame`` outside ``(lower, upper)``, naming its line, column and value.

    Checks every value (not a summary statistic). NaN cells (documented
    missing markers) are skipped; infinite values are refused.

    Parameters
    ----------
    name : str
        File name for the error message.
    frame : pandas.DataFrame
        Values as read (in the file's own units).
    line_numbers : numpy.ndarray or None
        The 1-based file line of each row (from :func:`parse_table`); None
        when rows do not map to lines (the date is named in any case).
    what : str
        What the values are, for the message ("a monthly factor return").
    lower, upper : float, optional
        Bounds; None for no bound on that side.
    closed : {"neither", "left", "right", "both"}
        Which bounds are allowed values.
    columns : sequence of str, optional
        Columns to check; default all.
    unit : str
        Unit appended to numbers in the message (for example ``" %"``).
    """
    cols = list(columns) if columns is not None else list(frame.columns)
    values = frame[cols].to_numpy(dtype=float)
    ok = np.isnan(values) | np.isfinite(values)
    if lower is not None:
        ok &= np.isnan(values) | ((values >= lower) if closed in ("left", "both") else (values > lower))
    if upper is not None:
        ok &= np.isnan(values) | ((values <= upper) if closed in ("right", "both") else (values < upper))
    if ok.all():
        return
    row, col = (int(i) for i in np.argwhere(~ok)[0])
    lo = "-inf" if lower is None else f"{lower:g}{unit}"
    hi = "+inf" if upper is None else f"{upper:+g}{unit}"
    interval = ("[" if closed in ("left", "both") else "(") + f"{lo}, {hi}" + ("]" if closed in ("right", "both") else ")")
    date = frame.index[row].date().isoformat()
    raise DataError(name, f"implausible value {values[row, col]:g}{unit} in column {cols[col]!r} on {date}: "
                          f"{what} must lie in {interval}",
                    line=None if line_numbers is None else int(line_numbers[row]))


def split_header(line: str) -> list[str]:
    """Column names of a header line, stripped (the first, date, field included)."""
    return [f.strip() for f in line.split(",")]


def expect_header(name: str, line: str, line_no: int, expected: Sequence[str]) -> None:
    """Raise :class:`DataError` unless the header's fields equal ``expected`` (case-insensitive)."""
    found = split_header(line)
    if [f.lower() for f in found] != [e.lower() for e in expected]:
        raise DataError(name, f"expected header {','.join(expected)!r}, found {line.strip()!r}", line=line_no + 1)
