"""The user's own panel: one tidy CSV (``date`` + columns) at any frequency.

Config: ``data: {source: csv, path: FILE}``; Python: :class:`CsvSource` and
:func:`read_csv_panel`. The file is read and validated like every other
input (:func:`regimes.data.readers.read_tidy`: a header, ``YYYY-MM-DD`` dates,
rows out of order sorted, a date given twice refused, every cell numeric or
empty, each error naming its line), then:

* **frequency**: inferred from the dates
  (:func:`regimes.data.checks.infer_frequency`); daily, weekly and monthly
  are accepted, anything else is refused. A frequency the caller expects
  (``data.frequency``) must match. Monthly files must have one row per
  consecutive month, daily and weekly files no gap over
  :data:`regimes.data.checks.MAX_DAILY_GAP_DAYS` days;
* **dates**: a monthly row dated anywhere in month m is dated at m's last
  day (the panel's decision dates are month ends; moving a value later
  never lets it be used before it was known). Daily and weekly rows keep
  their dates. The user vouches that a value dated d was known at the close
  of d;
* **roles**: a column whose name matches a panel column case-insensitively
  (:data:`ROLES`: ``vix``, ``sp500``, ``sp500_ret``, ``UMD``, ``HML``,
  ``Mkt-RF``, ``RF``, ...) is renamed to it, so registered features work on
  it, and its values must be plausible for that role (VIX in index points,
  returns in decimals above -100%, prices positive, ...). Other columns keep
  their names and can be named directly as detector or forecast features
  and as targets;
* **derived columns** (each stated in :attr:`Panel.notes`): ``sp500_ret``
  from ``sp500`` closes when absent, ``sp500_logret = log(1 + sp500_ret)``
  when absent, ``drawdown`` from ``sp500`` closes when absent. Nothing else
  is computed; in particular realized volatility ``rv`` is not (its
  definition needs daily returns inside each period): give it as a column.

Missing cells stay missing (never filled); :attr:`Panel.missing` counts them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from plumbing.errors import DataError
from regimes.data._table import check_range, data_end, parse_table, split_header
from regimes.data._text import read_lines
from regimes.data.checks import (
    check_consecutive_months,
    check_daily_gaps,
    infer_frequency,
)
from regimes.data.readers import VIX_MAX
from regimes.data.sources import DataSource, LoadedSeries, make_record

#: Frequencies a user panel may have.
CSV_FREQUENCIES = ("daily", "weekly", "monthly")

_RETURNS = ("sp500_ret", "Mkt-RF", "SMB", "HML", "RMW", "CMA", "UMD", "SPY", "MTUM", "VLUE", "USMV", "QUAL")
#: Panel column -> (what it is, lower bound, upper bound, closed) for the plausibility check (decimal units).
ROLES: dict[str, tuple[str, float | None, float | None, str]] = {
    "vix": ("a VIX level (index points)", 0.0, VIX_MAX, "neither"),
    "vix_mean": ("a VIX level (index points)", 0.0, VIX_MAX, "neither"),
    "sp500": ("an S&P 500 close (index points)", 0.0, None, "neither"),
    **{name: ("a simple return in decimals (above -100%, below +100%)", -1.0, 1.0, "neither") for name in _RETURNS},
    "sp500_logret": ("a log return in decimals", -5.0, 5.0, "neither"),
    "RF": ("a risk-free return in decimals per period", -0.01, 0.05, "both"),
    "rv": ("an annualized volatility in decimals", 0.0, 5.0, "left"),
    "drawdown": ("a drawdown in decimals (between -1 and 0)", -1.0, 0.0, "right"),
    "term_spread": ("a yield spread in decimals", -0.2, 0.2, "both"),
    "term_spread_3m": ("a yield spread in decimals", -0.2, 0.2, "both"),
    "credit_spread": ("a yield spread in decimals", -0.2, 0.2, "both"),
}


def _roles(name: str, header: list[str]) -> dict[str, str]:
    """File column -> panel column; refuses two file columns taking one role."""
    canonical = {role.lower(): role for role in ROLES}
    out: dict[str, str] = {}
    for col in header:
        role = canonical.get(col.strip().lower(), col)
        if role in out.values():
            first = next(c for c, r in out.items() if r == role)
            raise DataError(name, f"columns {first!r} and {col!r} both name the panel column {role!r} "
                                  "(names are matched ignoring case); keep one", line=1)
        out[col] = role
    return out


def _check_plausible(name: str, frame: pd.DataFrame, at: np.ndarray) -> None:
    for col in frame.columns:
        if col in ROLES:
            what, lower, upper, closed = ROLES[col]
            check_range(name, frame, at, f"{what} in column {col!r}", lower=lower, upper=upper, closed=closed,
                        columns=[col])
    if "vix" in frame.columns:
        median = frame["vix"].dropna().median()
        if np.isfinite(median) and not 1.0 <= median <= 200.0:
            raise DataError(name, f"column 'vix' should hold VIX levels in index points between 1 and 200 "
                                  f"(median {median:.4g}); is it in decimals?")


def _check_frequency(name: str, index: pd.DatetimeIndex, expected: str | None) -> str:
    found = infer_frequency(index)
    if found not in CSV_FREQUENCIES:
        detail = "fewer than 3 rows" if found == "unknown" else f"{found} spacing of dates"
        raise DataError(name, f"cannot use the file's frequency ({detail}, {len(index)} rows "
                              f"{index[0].date()}..{index[-1].date()}); a panel CSV must be daily, weekly or monthly")
    if expected is not None and found != expected:
        raise DataError(name, f"expected {expected} data, found {found} data "
                              f"({len(index):,} rows {index[0].date()}..{index[-1].date()})")
    if found == "monthly":
        check_consecutive_months(name, index)
    else:
        check_daily_gaps(name, index)
    return found


def read_csv_panel_frame(path: str | Path, frequency: str | None = None) -> tuple[pd.DataFrame, str, list[str]]:
    """Read and validate a panel CSV (see module docstring).

    Parameters
    ----------
    path : str or Path
    frequency : {"daily", "weekly", "monthly"}, optional
        Expected frequency; None accepts whichever of the three is found.

    Returns
    -------
    frame : pandas.DataFrame
        Shape ``(n_dates, n_columns)``, float, indexed by ``date`` (month ends
        for monthly files); role columns renamed, derived columns added.
    frequency : str
        The frequency found.
    notes : list of str
        What was renamed or derived.

    Raises
    ------
    DataError
        For any of the faults above, naming the file (and line where there is one).
    """
    if frequency is not None and frequency not in CSV_FREQUENCIES:
        raise DataError(path, f"frequency must be one of {', '.join(CSV_FREQUENCIES)}, not {frequency!r}")
    name, lines = read_lines(path)
    header = split_header(lines[0])
    if not header or header[0].strip().lower() != "date":
        raise DataError(name, f"expected a header 'date,NAME[,NAME...]' with the date column first, found "
                              f"{lines[0].strip()!r}", line=1)
    if len(header) < 2 or any(not h.strip() for h in header[1:]):
        raise DataError(name, f"expected named data columns after 'date', found {lines[0].strip()!r}", line=1)
    if len(set(header)) != len(header):
        raise DataError(name, f"duplicate column names in header {lines[0].strip()!r}", line=1)
    stop = data_end(lines, 1)
    if stop <= 1:
        raise DataError(name, "no data rows after the header")
    frame, at = parse_table(name, lines, 1, header[1:], "YYYY-MM-DD", missing=frozenset({"", "NA", "NaN", "nan"}),
                            stop=stop)
    roles = _roles(name, header[1:])
    frame = frame.rename(columns=roles)
    at = np.asarray(at)
    _check_plausible(name, frame, at)
    found = _check_frequency(name, frame.index, frequency)
    span = f"{found}, {len(frame):,} rows {frame.index[0].date()}..{frame.index[-1].date()}"
    vouch = "the user vouches each value was known at the close of its date"
    notes = [f"panel from the user's CSV {name} ({span}); {vouch}"]
    renamed = {c: r for c, r in roles.items() if c != r}
    if renamed:
        notes.append("columns taking a panel role: " + ", ".join(f"{c} -> {r}" for c, r in renamed.items()))
    if found == "monthly":
        frame.index = pd.DatetimeIndex(frame.index + pd.offsets.MonthEnd(0), name="date")
    frame = _derive(frame, notes)
    frame.index.name = "date"
    return frame, found, notes


def _derive(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    if "sp500_ret" not in frame.columns and "sp500" in frame.columns:
        frame["sp500_ret"] = frame["sp500"].pct_change(fill_method=None)
        notes.append("sp500_ret derived from sp500 closes (no return where a close is missing)")
    if "sp500_logret" not in frame.columns and "sp500_ret" in frame.columns:
        frame["sp500_logret"] = np.log1p(frame["sp500_ret"])
        notes.append("sp500_logret derived as log(1 + sp500_ret)")
    if "drawdown" not in frame.columns and "sp500" in frame.columns:
        close = frame["sp500"]
        frame["drawdown"] = close / close.cummax() - 1.0
        notes.append("drawdown derived from sp500 closes against their running peak")
    return frame


class CsvSource(DataSource):
    """A user's panel CSV as a data source (see module docstring).

    It supplies no catalog series (``has`` is always False); panels are
    built by :meth:`panel`, which :func:`regimes.panel.build_panel` calls.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    """

    name = "csv"

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)

    def has(self, key: str) -> bool:
        return False

    def _load(self, key: str) -> LoadedSeries:
        raise DataError(self.path, f"a panel CSV supplies no catalog series ({key!r}); it is a whole panel")

    def describe(self) -> str:
        return f"the user's panel CSV {self.path}"

    def read(self, frequency: str | None = None) -> tuple[pd.DataFrame, str, list[str], object]:
        """The validated frame, its frequency, notes and :class:`FileRecord`."""
        frame, found, notes = read_csv_panel_frame(self.path, frequency)
        return frame, found, notes, make_record("csv_panel", self.path, frame, origin="csv")


def csv_panel(source: CsvSource, frequency: str | None = None, start: str | None = None,
              end: str | None = None):
    """Build a :class:`regimes.panel.Panel` from a :class:`CsvSource`.

    Parameters
    ----------
    source : CsvSource
    frequency : {"daily", "weekly", "monthly"}, optional
        Expected frequency (refused when the file has another); None infers it.
    start, end : str, optional
        First and last dates kept; both must lie inside the file's coverage
        (a range is never clipped silently).

    Returns
    -------
    Panel
        Row t holds the file's row dated t (monthly: dated within month t).
    """
    from regimes.panel import Panel, _missing_report

    frame, found, notes, record = source.read(frequency)
    first, last = frame.index[0], frame.index[-1]
    lo = pd.Timestamp(start) if start else first
    hi = pd.Timestamp(end) if end else last
    if found == "monthly":
        lo, hi = lo + pd.offsets.MonthEnd(0), hi + pd.offsets.MonthEnd(0)
    if lo > hi:
        raise DataError(source.path, f"start {lo.date()} is after end {hi.date()}")
    if lo < first or hi > last:
        raise DataError(source.path, f"requested {lo.date()}..{hi.date()} lies outside the CSV's coverage "
                                     f"{first.date()}..{last.date()} (set data.history_start / data.end inside it)")
    frame = frame.loc[lo:hi].copy()
    return Panel(frame=frame, frequency=found, source="csv", records=[record],
                 missing=_missing_report(frame, {}), notes=notes)
