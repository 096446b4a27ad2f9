"""Reader for the Ken French data library's CSV files (plain or zipped).

Handles both layouts the library has used:

* the pre-2025 layout (``created by CMPT_ME_BEME_RETS``, 8-wide fields, one
  ``Annual Factors: January-December`` line);
* the 2025-revised layout (narrower fields; in the momentum file the header
  text is wrapped over many lines and the annual title is split over two
  lines, ``Annual Factors:`` then ``January-December``).

Parsing rule (robust to both): the main block is the run of ``YYYYMM,`` or
``YYYYMMDD,`` rows that directly follows the first line starting with ``,``
(the column header) and ends at the first blank line. What follows may only
be the annual block (``YYYY,`` rows after a title containing ``Annual`` and
the header again) and the ``Copyright`` footer: rows after a blank line (a
block cut in two), or any other text, are refused naming the line.

Values are published in percent; they are returned in decimals. The
library's missing-value markers -99.99 and -999 become NaN; every other value
must be a plausible return, inside (-100 %, +1000 %). The file's CRSP
vintage (``... using the 202511 CRSP database``) is read from its first lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from plumbing.errors import DataError, SeriesMismatch
from regimes.data._table import block_end, check_range, parse_table, split_header
from regimes.data._text import read_lines
from regimes.data.checks import check_frequency

MISSING_MARKERS = frozenset({-99.99, -999.0})
_MAIN_ROW = re.compile(r"^\s*(\d{6}|\d{8})\s*,")
_ANNUAL_ROW = re.compile(r"^\s*\d{4}\s*,")

#: Median absolute value (in the file's units) under which a French file is
#: taken to hold decimals instead of percent. Monthly factor returns in
#: percent have a median absolute value near 1-3, daily ones near 0.3-0.5;
#: the same data in decimals sit near 0.005-0.03.
PERCENT_FLOOR = 0.05


@dataclass(frozen=True)
class FrenchFile:
    """A parsed Ken French file.

    Attributes
    ----------
    data : pandas.DataFrame
        Main block, shape ``(n_periods, n_factors)``, decimals, indexed by
        month-end dates (monthly files) or trading days (daily files).
    annual : pandas.DataFrame or None
        Annual block (dated December 31), decimals, when the file has one.
    frequency : {"monthly", "daily"}
        Frequency of the main block.
    name : str
        The file (or ``zip!member``) that was read.
    vintage : str or None
        CRSP vintage ``YYYYMM`` stated in the file's first line, if any.
    """

    data: pd.DataFrame
    annual: pd.DataFrame | None
    frequency: str
    name: str
    vintage: str | None


def _find_header(name: str, lines: list[str], start: int = 0) -> int:
    for i in range(start, len(lines)):
        if lines[i].startswith(","):
            return i
    raise DataError(name, "expected a Ken French column header line starting with ',' (e.g. ',Mkt-RF,SMB,HML,RF'), found none")


def _check_percent(name: str, frame: pd.DataFrame, line: int) -> None:
    cols = [c for c in frame.columns if c.upper() != "RF"]
    values = frame[cols].to_numpy().ravel()
    values = values[np.isfinite(values)]
    if len(values) >= 12 and np.median(np.abs(values)) < PERCENT_FLOOR:
        raise DataError(
            name,
            f"values look like decimals (median |value| {np.median(np.abs(values)):.4f}); "
            "Ken French files are in percent (2.89 means 2.89 %)",
            line=line,
        )


def read_french(path: str | Path, expected_columns: tuple[str, ...] | None = None,
                frequency: str | None = None) -> FrenchFile:
    """Read a Ken French library CSV (or the library's ``_CSV.zip``).

    The file must follow the library's layout exactly: text lines, the
    column header, the main block (one row per period, no blank line
    inside), then optionally a blank line and the annual block (title
    ``Annual Factors: January-December`` on one or two lines, the header,
    one row per year), then blank lines and the ``Copyright`` footer.
    Anything else (a blank line inside a block, a text line, more rows
    after the footer, a file ending without the footer: truncated) is
    refused naming its line.

    Parameters
    ----------
    path : str or Path
        A ``.CSV``/``.csv`` file or a ``.zip`` holding one.
    expected_columns : tuple of str, optional
        The factor columns the file must have, in order (for example
        ``("Mkt-RF", "SMB", "HML", "RF")``).
    frequency : {"monthly", "daily"}, optional
        The frequency the file must have (YYYYMM or YYYYMMDD rows); monthly
        files must then have consecutive months and daily files no hole
        (:func:`regimes.data.checks.check_frequency`).

    Returns
    -------
    FrenchFile
        The main block in decimals (and the annual block when present),
        with the file's CRSP vintage.

    Raises
    ------
    DataError
        Naming file and line: no header, a malformed row, a blank or text
        line inside a block, a duplicate or out-of-order date, a
        non-numeric cell, a value outside (-100 %, +1000 %), values in
        decimals, or the wrong frequency.
    """
    name, lines = read_lines(path)
    header_at = _find_header(name, lines)
    vintage_match = re.search(r"(\d{6}) CRSP database", " ".join(lines[:header_at]))
    columns = split_header(lines[header_at])[1:]
    if not columns or any(not c for c in columns):
        raise DataError(name, f"expected named columns after ',', found {lines[header_at].strip()!r}", line=header_at + 1)
    if expected_columns is not None and tuple(columns) != tuple(expected_columns):
        raise SeriesMismatch(name, f"expected columns {','.join(expected_columns)!r}, found {','.join(columns)!r}",
                             line=header_at + 1)
    first = header_at + 1
    if first >= len(lines) or not _MAIN_ROW.match(lines[first]):
        found = lines[first].strip() if first < len(lines) else "end of file"
        raise DataError(name, f"expected YYYYMM or YYYYMMDD rows after the header, found {found!r}", line=first + 1)
    daily = len(lines[first].split(",")[0].strip()) == 8
    found_frequency = "daily" if daily else "monthly"
    if frequency is not None and frequency != found_frequency:
        raise SeriesMismatch(name, f"expected a {frequency} file ({'YYYYMMDD' if frequency == 'daily' else 'YYYYMM'} "
                                   f"rows), found {found_frequency} rows ({lines[first].split(',')[0].strip()}); "
                                   f"is this the {found_frequency} file saved under the {frequency} file's name?",
                             line=first + 1)
    end = block_end(lines, first)
    data, at = parse_table(name, lines, first, columns, "YYYYMMDD" if daily else "YYYYMM",
                           missing_values=MISSING_MARKERS, stop=end)
    check_range(name, data, at, f"a {found_frequency} factor return", lower=-100.0, upper=1000.0, unit=" %")
    _check_percent(name, data, first + 1)
    if frequency is not None:
        check_frequency(name, data.index, frequency)
    annual = _read_rest(name, lines, end, columns)
    return FrenchFile(
        data=data / 100.0,
        annual=None if annual is None else annual / 100.0,
        frequency=found_frequency,
        name=name,
        vintage=vintage_match.group(1) if vintage_match else None,
    )


def _next_text(lines: list[str], start: int) -> int:
    """Index of the first non-blank line at or after ``start`` (or ``len(lines)``)."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _read_rest(name: str, lines: list[str], end: int, columns: list[str]) -> pd.DataFrame | None:
    """Validate what follows the main block; return the annual block if there is one."""
    i = _next_text(lines, end)
    if i < len(lines) and (_MAIN_ROW.match(lines[i]) or _ANNUAL_ROW.match(lines[i])):
        raise DataError(name, f"blank line inside the data block (rows continue at line {i + 1}); "
                              "the block would be cut short here", line=end + 1)
    annual = None
    if i < len(lines) and "annual" in lines[i].lower():
        header_at = next((j for j in range(i + 1, min(i + 3, len(lines))) if lines[j].startswith(",")), None)
        if header_at is None or any(not lines[j].strip() for j in range(i, header_at)):
            raise DataError(name, "expected the annual block's column header (a line starting with ',') "
                                  "right after its title", line=i + 1)
        if split_header(lines[header_at])[1:] != columns:
            raise DataError(name, f"annual block columns {lines[header_at].strip()!r} differ from the main "
                                  f"block's {','.join(columns)!r}", line=header_at + 1)
        first = header_at + 1
        if first >= len(lines) or not _ANNUAL_ROW.match(lines[first]):
            found = lines[first].strip() if first < len(lines) else "end of file"
            raise DataError(name, f"expected YYYY rows after the annual header, found {found!r}", line=first + 1)
        stop = block_end(lines, first)
        annual, at = parse_table(name, lines, first, columns, "YYYY", missing_values=MISSING_MARKERS, stop=stop)
        check_range(name, annual, at, "an annual factor return", lower=-100.0, upper=1000.0, unit=" %")
        years = annual.index.year
        if len(years) != years[-1] - years[0] + 1:
            gap = next(int(y) + 1 for y, z in zip(years[:-1], years[1:]) if z != y + 1)
            raise DataError(name, f"annual block is missing the year {gap} (years must be consecutive)",
                            line=int(at[int(np.searchsorted(years, gap))]))
        i = _next_text(lines, stop)
        if i < len(lines) and (_ANNUAL_ROW.match(lines[i]) or _MAIN_ROW.match(lines[i])):
            raise DataError(name, f"blank line inside the annual block (rows continue at line {i + 1})", line=stop + 1)
    footer = False
    for j in range(i, len(lines)):
        text = lines[j].strip()
        if text and not text.lower().startswith("copyright"):
            raise DataError(name, f"unexpected line after the data {text[:60]!r}: expected only the annual block "
                                  "and the Copyright footer", line=j + 1)
        footer = footer or bool(text)
    if not footer:
        raise DataError(name, "file ends without the library's 'Copyright' footer line: a truncated download or "
                              "a cut copy? (every Ken French file ends with it)", line=len(lines))
    return annual
