"""``factor-regimes tearsheet``: a tearsheet (yearly returns, drawdowns, heatmap, rolling risk) of any returns file."""

from __future__ import annotations

import os
from pathlib import Path

import click
import numpy as np
import pandas as pd

from experiments.cli._app import cli
from experiments.cli.common import console
from plumbing.errors import DataError, FactorRegimesError


def read_returns(path: Path) -> pd.DataFrame:
    """A returns CSV: a ``date`` column and one numeric column per strategy (periodic simple returns).

    Raises :class:`DataError` (one line naming the file) for a missing file, no ``date`` column, unparseable
    dates or values, repeated or unsorted dates, irregular spacing, a column without returns, a missing value
    between two returns of a column, or a return of -100 % or less.
    """
    from allocation.tearsheet_stats import IrregularDates, infer_frequency

    frame = _read_dated(path, "returns")
    if frame.shape[1] == 0:
        raise DataError(path, "no strategy columns besides 'date'")
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            raise DataError(path, f"column {col!r}: {frame[col][bad].iloc[0]!r} on {frame.index[bad.argmax()]:%Y-%m-%d} "
                                  "is not a number")
        frame[col] = values
        valid = values.notna()
        if not valid.any():
            raise DataError(path, f"column {col!r} has no returns")
        span = values.loc[valid.idxmax():valid[::-1].idxmax()]
        if span.isna().any():
            raise DataError(path, f"column {col!r}: missing return on {span.index[span.isna().argmax()]:%Y-%m-%d} "
                                  "between returns (a gap is not a zero return; fill or cut it yourself)")
        if not np.isfinite(span.to_numpy()).all() or (span <= -1).any():
            raise DataError(path, f"column {col!r}: returns must be finite simple returns above -1 (-100 %); are "
                                  "they percentages or prices?")
    try:
        infer_frequency(frame.index)
    except IrregularDates as exc:
        raise DataError(path, str(exc)) from None
    return frame


def read_regimes(path: Path, index: pd.DatetimeIndex) -> pd.DataFrame:
    """A regimes.csv as ``regimes run`` writes it: ``date`` and one risk-off probability column per detector."""
    frame = _read_dated(path, "regimes")
    if frame.shape[1] == 0:
        raise DataError(path, "no detector columns besides 'date'")
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        if (values.isna() & frame[col].notna()).any() or ((values < 0) | (values > 1)).any():
            raise DataError(path, f"column {col!r}: risk-off probabilities must be numbers in [0, 1]")
        frame[col] = values
    if frame.index[-1] < index[0] or frame.index[0] > index[-1]:
        raise DataError(path, f"regimes span {frame.index[0]:%Y-%m-%d}..{frame.index[-1]:%Y-%m-%d}, which does not "
                              f"overlap the returns ({index[0]:%Y-%m-%d}..{index[-1]:%Y-%m-%d})")
    return frame


def _read_dated(path: Path, what: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str)
    except FileNotFoundError:
        raise DataError(path, f"no such {what} file") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(path, f"not a readable CSV ({' '.join(str(exc).split())})") from None
    if "date" not in frame.columns:
        raise DataError(path, f"no 'date' column (columns: {', '.join(map(str, frame.columns)) or 'none'})")
    try:
        dates = pd.to_datetime(frame.pop("date"), format="mixed")
    except (ValueError, TypeError) as exc:
        raise DataError(path, f"unreadable date ({' '.join(str(exc).split())})") from None
    frame.index = pd.DatetimeIndex(dates, name="date")
    if frame.index.has_duplicates:
        raise DataError(path, f"date {frame.index[frame.index.duplicated()][0]:%Y-%m-%d} appears twice")
    if not frame.index.is_monotonic_increasing:
        raise DataError(path, "dates are not in increasing order")
    return frame


def check_out_dir(out: Path, force: bool, protected: list[Path]) -> Path:
    """The tearsheet folder: absent, empty, or an earlier tearsheet (its manifest says so) unless ``force``.

    Uses :mod:`experiments.outdir`: a folder holding the current folder, the home folder or an input is
    always refused; anything else is replaced only with ``force``, and then moved aside, not deleted.
    """
    from experiments.outdir import RunTargetError, protected_problem, target_path

    target = target_path(out)
    problem = protected_problem(target, protected)
    if problem is not None:
        raise RunTargetError(f"{target}: refusing to write a tearsheet here: {problem}")
    if os.path.lexists(target) and not force:
        if not target.is_dir():
            raise RunTargetError(f"{target}: exists and is not a folder; left untouched (choose another --out, or "
                                 "pass --force)")
        if any(target.iterdir()) and not _is_tearsheet(target):
            raise RunTargetError(f"{target}: is not empty and is not a tearsheet folder; left untouched (choose "
                                 "another --out, or pass --force to move it aside)")
    return target


def _is_tearsheet(folder: Path) -> bool:
    import json

    from experiments.tearsheet import KIND
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        return False
    listed = set(manifest.get("outputs") or []) | {"manifest.json"}
    return all(str(p.relative_to(folder)) in listed for p in folder.rglob("*") if not p.is_dir())


@cli.command("tearsheet")
@click.argument("returns_csv", metavar="RETURNS.csv", type=click.Path(path_type=Path))
@click.option("--benchmark", metavar="COL", default=None,
              help="Column of RETURNS.csv to compare every strategy with (and to measure beta against).")
@click.option("--regimes", "regimes_csv", metavar="REGIMES.csv", type=click.Path(path_type=Path), default=None,
              help="A regimes.csv written by 'regimes run' (date, one risk-off probability column per detector): "
                   "risk-off periods of its first detector are shaded.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("tearsheet"), show_default=True,
              help="Output folder. An existing folder is replaced only when it is empty or an earlier tearsheet.")
@click.option("--force", is_flag=True,
              help="Write even over a folder that is not a tearsheet (it is moved aside, not deleted).")
def tearsheet_command(returns_csv: Path, benchmark: str | None, regimes_csv: Path | None, out: Path,
                      force: bool) -> None:
    """Tearsheet of RETURNS.csv: a 'date' column and one column of periodic simple returns per strategy.

    Writes OUT/tearsheet.html (summary, yearly returns, worst drawdowns, monthly-returns heatmap, rolling
    volatility and beta), yearly_returns.csv, drawdowns.csv, summary.csv and figures/. The frequency
    (daily, weekly, monthly, quarterly, annual) is inferred from the dates; irregular dates are refused.
    """
    import datetime as dt
    import shutil
    import warnings

    from experiments.outdir import RunTargetError
    from experiments.tearsheet import write_tearsheet
    from plumbing.errors import FactorRegimesWarning

    target = check_out_dir(out, force, [Path.cwd(), returns_csv] + ([regimes_csv] if regimes_csv else []))
    returns = read_returns(returns_csv)
    if benchmark is not None and benchmark not in returns.columns:
        raise FactorRegimesError(f"--benchmark {benchmark!r}: not a column of {returns_csv} (columns: "
                                 f"{', '.join(returns.columns)})")
    if benchmark is not None and returns.shape[1] < 2:
        raise FactorRegimesError(f"{returns_csv}: the benchmark {benchmark!r} is its only column; no strategy to show")
    regimes = read_regimes(regimes_csv, returns.index) if regimes_csv is not None else None
    from experiments.outdir import ensure_parent, kept_aside_path, remove_empty

    created = ensure_parent(target)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"  # built aside, renamed into place when complete
    try:
        write_tearsheet(returns, tmp, source=str(returns_csv), benchmark=benchmark,
                        # as of each return date: the latest probability dated at or before it
                        regimes=None if regimes is None else regimes.reindex(returns.index, method="ffill"),
                        regimes_source=None if regimes_csv is None else str(regimes_csv))
        if os.path.lexists(target):
            if target.is_dir() and (_is_tearsheet(target) or not any(target.iterdir())):
                shutil.rmtree(target)  # an earlier tearsheet (every file its own) or an empty folder
            else:  # only with --force (check_out_dir refused it otherwise): kept, not deleted
                kept = kept_aside_path(target, dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
                os.replace(target, kept)
                warnings.warn(FactorRegimesWarning(f"{target} was not a tearsheet folder: moved to {kept}, not "
                                                   "deleted"), stacklevel=1)
        os.replace(tmp, target)
    except OSError as exc:
        raise RunTargetError(f"{target.parent}: cannot write the tearsheet {target.name} "
                             f"({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not target.exists():
            remove_empty(created)
    path = target / "tearsheet.html"
    console.print(f"Tearsheet: {path}")
