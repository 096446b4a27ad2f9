"""Reader for AQR's monthly factor workbooks (``*.xlsx``, values in decimals).

AQR's data-set workbooks (for example *Betting Against Beta Equity Factors
Monthly*, which also carries AQR's UMD and "HML Devil") hold one sheet per
factor. In every data sheet the table header ``DATE, AUS, ..., USA, ...``
stands in one row near the top (row 19 in the files seen) and dates are
``MM/DD/YYYY`` strings or Excel dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from regimes.errors import DataError

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


def read_aqr(path: str | Path, sheet: str, region: str = "USA") -> pd.Series:
    """Read one factor series (``sheet``, column ``region``) from an AQR workbook.

    Returns
    -------
    pandas.Series
        Monthly decimals dated at month end, named ``sheet``; leading
        months without a value are dropped.

    Raises
    ------
    DataError
        When the file is not a workbook, the sheet or header is missing, or
        a row has an unparsable date.
    """
    import openpyxl  # local: only needed for AQR files

    p = Path(path)
    if not p.exists():
        raise DataError(p, "file not found")
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a non-xlsx file
        raise DataError(p, f"not a readable .xlsx workbook: {exc}") from None
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
            raise DataError(f"{p}!{sheet}", f"expected a header row 'DATE, ..., {region}, ...' in the first "
                                            f"{_HEADER_SEARCH_ROWS} rows")
        col = header.index(region)
        dates, values = [], []
        for line, row in enumerate(rows, start=line + 1):
            if row is None or row[0] is None or (isinstance(row[0], str) and not row[0].strip()):
                continue
            date = _to_date(row[0])
            if date is None:
                raise DataError(f"{p}!{sheet}", f"expected a date MM/DD/YYYY, found {row[0]!r}", line=line)
            cell = row[col] if col < len(row) else None
            dates.append(date)
            values.append(np.nan if cell in (None, "") else float(cell))
    finally:
        wb.close()
    series = pd.Series(values, index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"), name=sheet, dtype=float)
    if not series.index.is_monotonic_increasing or series.index.has_duplicates:
        raise DataError(f"{p}!{sheet}", "dates must be strictly increasing without duplicates")
    first_valid = series.first_valid_index()
    return series.loc[first_valid:] if first_valid is not None else series
