"""Reader for AQR's monthly factor workbooks (``*.xlsx``, values in decimals).

AQR's data-set workbooks (for example *Betting Against Beta Equity Factors
Monthly*, which also carries AQR's UMD and "HML Devil") hold one sheet per
factor. In every data sheet the table header ``DATE, AUS, ..., USA, ...``
stands in one row near the top (row 19 in the files seen) and dates are
``MM/DD/YYYY`` strings or Excel dates.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

from plumbing.errors import DataError
from regimes.data._table import parse_number
from regimes.data._text import read_bytes

_HEADER_SEARCH_ROWS = 60


def _to_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            month, day, year = (int(p) for p in value.strip().split("/"))
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def _blank(row: tuple | None) -> bool:
    return row is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _number(where: str, cell: object, line: int, region: str) -> float:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return np.nan
    if isinstance(cell, str):  # a number typed as text: plain decimal notation only
        return parse_number(where, cell.strip(), region, line)
    if isinstance(cell, bool):
        raise DataError(where, f"expected a number in column {region!r}, found {cell!r}", line=line)
    try:
        value = float(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(where, f"expected a number in column {region!r}, found {cell!r}", line=line) from None
    if not np.isfinite(value):
        raise DataError(where, f"expected a finite number in column {region!r}, found {cell!r}", line=line)
    return value


def read_aqr(path: str | Path, sheet: str, region: str = "USA") -> pd.Series:
    """Read one factor series (``sheet``, column ``region``) from an AQR workbook.

    Returns
    -------
    pandas.Series
        Monthly decimals dated at month end, named ``sheet``; leading
        months without a value are dropped, an empty cell later is NaN.

    Raises
    ------
    DataError
        When the file is not a readable workbook, the sheet or header is
        missing, a row has an unparsable date or a non-numeric cell, an
        empty row is followed by more rows (a table cut in two), a date
        appears twice, or a value lies outside (-100 %, +1000 %). Rows out
        of date order are sorted.
    """
    import openpyxl  # local: only needed for AQR files

    p = Path(path)
    payload = read_bytes(p)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(payload), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a non-xlsx file
        raise DataError(p, f"not a readable .xlsx workbook: {exc}") from None
    where = f"{p}!{sheet}"
    try:
        if sheet not in wb.sheetnames:
            raise DataError(p, f"no sheet {sheet!r}; sheets are {', '.join(wb.sheetnames)}")
        rows = wb[sheet].iter_rows(values_only=True)
        header: tuple | None = None
        line = 0
        for line, row in enumerate(rows, start=1):
            if row and row[0] == "DATE":
                header = row
                break
            if line > _HEADER_SEARCH_ROWS:
                break
        if header is None or region not in header:
            raise DataError(where, f"expected a header row 'DATE, ..., {region}, ...' in the first "
                                   f"{_HEADER_SEARCH_ROWS} rows")
        col = header.index(region)
        dates: list[dt.date] = []
        values: list[float] = []
        first_blank: int | None = None
        rows_of: dict[dt.date, int] = {}
        for line, row in enumerate(rows, start=line + 1):
            if _blank(row):
                first_blank = first_blank or line
                continue
            if first_blank is not None:
                raise DataError(where, f"empty row inside the table (rows continue at row {line}); "
                                       "the series would be cut short", line=first_blank)
            date = _to_date(row[0])
            if date is None:
                raise DataError(where, f"expected a date MM/DD/YYYY, found {row[0]!r}", line=line)
            if date in rows_of:
                raise DataError(where, f"duplicate date {date.isoformat()} (also on row {rows_of[date]})", line=line)
            rows_of[date] = line
            value = _number(where, row[col] if col < len(row) else None, line, region)
            if value <= -1.0 or value >= 10.0:
                raise DataError(where, f"implausible value {value:g} in column {region!r} on {date.isoformat()}: "
                                       "a monthly return in decimals must lie in (-1, +10)", line=line)
            dates.append(date)
            values.append(value)
    finally:
        wb.close()
    if not dates:
        raise DataError(where, "expected dated rows after the header, found none")
    series = pd.Series(values, index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"), name=sheet, dtype=float)
    series = series.sort_index(kind="stable")  # rows out of order: sorted, nothing lost (duplicates refused above)
    first_valid = series.first_valid_index()
    if first_valid is None:
        raise DataError(where, f"column {region!r} holds no value")
    return series.loc[first_valid:]
