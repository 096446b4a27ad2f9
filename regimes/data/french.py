"""Reader for the Ken French data library's CSV files (plain or zipped).

Handles both layouts the library has used:

* the pre-2025 layout (``created by CMPT_ME_BEME_RETS``, 8-wide fields, one
  ``Annual Factors: January-December`` line);
* the 2025-revised layout (narrower fields; in the momentum file the header
  text is wrapped over many lines and the annual title is split over two
  lines, ``Annual Factors:`` then ``January-December``).

Parsing rule (robust to both): the main block is the run of ``YYYYMM,`` or
``YYYYMMDD,`` rows that directly follows the first line starting with ``,``
(the column header) and ends at the first blank line. An annual block, if
any, is the run of ``YYYY,`` rows after the next header line that follows a
line containing ``Annual``.

Values are published in percent; they are returned in decimals. The
library's missing-value markers -99.99 and -999 become NaN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regimes.data._table import parse_rows, split_header
from regimes.data._text import read_lines
from regimes.errors import DataError

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


def read_french(path: str | Path, expected_columns: tuple[str, ...] | None = None) -> FrenchFile:
    """Read a Ken French library CSV (or the library's ``_CSV.zip``).

    Parameters
    ----------
    path : str or Path
        A ``.CSV``/``.csv`` file or a ``.zip`` holding one.
    expected_columns : tuple of str, optional
        The factor columns the file must have, in order (for example
        ``("Mkt-RF", "SMB", "HML", "RF")``).

    Returns
    -------
    FrenchFile
        The main block in decimals (and the annual block when present).

    Raises
    ------
    DataError
        Naming file and line: no header, a malformed row, a duplicate or
        out-of-order date, a non-numeric cell, or values in decimals.
    """
    name, lines = read_lines(path)
    vintage_match = re.search(r"(\d{6}) CRSP database", lines[0]) if lines else None
    header_at = _find_header(name, lines)
    columns = split_header(lines[header_at])[1:]
    if not columns or any(not c for c in columns):
        raise DataError(name, f"expected named columns after ',', found {lines[header_at].strip()!r}", line=header_at + 1)
    if expected_columns is not None and tuple(columns) != tuple(expected_columns):
        raise DataError(name, f"expected columns {','.join(expected_columns)!r}, found {','.join(columns)!r}",
                        line=header_at + 1)
    first = header_at + 1
    if first >= len(lines) or not _MAIN_ROW.match(lines[first]):
        found = lines[first].strip() if first < len(lines) else "end of file"
        raise DataError(name, f"expected YYYYMM or YYYYMMDD rows after the header, found {found!r}", line=first + 1)
    daily = len(lines[first].split(",")[0].strip()) == 8
    data = parse_rows(name, lines, first, columns, "YYYYMMDD" if daily else "YYYYMM",
                      missing_values=MISSING_MARKERS)
    _check_percent(name, data, first + 1)
    end = first + len(data)
    annual = _read_annual(name, lines, end, columns)
    return FrenchFile(
        data=data / 100.0,
        annual=None if annual is None else annual / 100.0,
        frequency="daily" if daily else "monthly",
        name=name,
        vintage=vintage_match.group(1) if vintage_match else None,
    )


def _read_annual(name: str, lines: list[str], start: int, columns: list[str]) -> pd.DataFrame | None:
    title = next((i for i in range(start, len(lines)) if "annual" in lines[i].lower()), None)
    if title is None:
        return None
    header_at = _find_header(name, lines, title)
    first = header_at + 1
    if first >= len(lines) or not _ANNUAL_ROW.match(lines[first]):
        return None
    return parse_rows(name, lines, first, columns, "YYYY", missing_values=MISSING_MARKERS)
