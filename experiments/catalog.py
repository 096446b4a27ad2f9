"""The run catalog: one SQLite database per runs folder, one row per config.

Columns: config hash, name, run directory (absolute), status, start and end
time, source, evaluation window, number of strategies, and the best
strategy's key metrics; ``metrics_json`` keeps every strategy's headline
metrics for ``runs compare`` and ``runs best``; ``last_failure`` and
``last_error`` say when and why the last attempt failed.

A finished run is never lost: a failed or interrupted rerun of a config whose
run is recorded ``done`` (and still verifies) only sets ``last_failure`` and
``last_error``. A record counts as done only when its directory's
``manifest.json`` carries the record's config hash; otherwise it is reported
``missing`` (no directory) or ``replaced`` (another config's run is there),
and ``runs best`` and ``runs compare`` leave it out. Recording a run marks
every other config's record at the same directory ``replaced``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.strategy_key import StrategyKey
from plumbing.errors import FactorRegimesError
from regimes.panel import infer_periods_per_year

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    config_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    run_dir TEXT NOT NULL,
    status TEXT NOT NULL,
    started TEXT,
    finished TEXT,
    source TEXT,
    window_start TEXT,
    window_end TEXT,
    n_strategies INTEGER,
    best_strategy TEXT,
    best_sharpe REAL,
    best_dsr REAL,
    metrics_json TEXT,
    last_failure TEXT,
    last_error TEXT,
    periods_per_year INTEGER
)
"""
#: Columns added after the first release (added to older catalogs when opened).
ADDED_COLUMNS = {"last_failure": "TEXT", "last_error": "TEXT", "periods_per_year": "INTEGER"}
DONE_COLUMNS = ("config_hash", "name", "run_dir", "status", "started", "finished", "source", "window_start",
                "window_end", "n_strategies", "best_strategy", "best_sharpe", "best_dsr", "metrics_json",
                "last_failure", "last_error", "periods_per_year")
#: Metrics where a lower value is better (``runs best`` ranks them ascending).
LOWER_IS_BETTER = ("ann_vol", "turnover", "sharpe_diff_p")
KEY_METRICS = ("sharpe", "ann_return", "ann_vol", "max_drawdown", "turnover", "psr", "dsr", "sharpe_diff_p",
               "n_periods")


class CatalogError(FactorRegimesError):
    """The catalog database cannot be read or written."""


def manifest_hash(run_dir: str | Path) -> str | None:
    """The config hash in a run directory's ``manifest.json`` (None when absent or unreadable)."""
    try:
        value = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8")).get("config_hash")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def verified_status(row: dict) -> str:
    """A record's status checked against its directory: ``done`` only when the manifest there carries
    the record's config hash; a ``done`` record whose directory is gone is ``missing``, one whose
    directory holds another config's run (or no run) is ``replaced``."""
    status = row["status"]
    if status != "done":
        return status
    run_dir = Path(row["run_dir"])
    if not run_dir.is_dir():
        return "missing"
    return "done" if manifest_hash(run_dir) == row["config_hash"] else "replaced"


def periods_per_year(run_dir: str | Path, manifest: dict | None = None) -> int | None:
    """The periods per year of a run's returns: recorded in its manifest, else inferred from the dates of
    its ``returns.csv`` (runs written before the manifest recorded it); None for a run without returns."""
    run_dir = Path(run_dir)
    if manifest is None:
        try:
            manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
    recorded = manifest.get("periods_per_year") if isinstance(manifest, dict) else None
    if recorded:
        return int(recorded)
    path = run_dir / "returns.csv"
    if not path.is_file():
        return None
    dates = pd.read_csv(path, usecols=[0], index_col=0).index
    return infer_periods_per_year(dates) if len(dates) > 1 else None


def _target(name: str, row: pd.Series) -> str:
    """A strategy's target from its ``metrics.csv`` row (older files without the column: from its name)."""
    value = row.get("target")
    return str(value) if isinstance(value, str) else StrategyKey.from_label(str(name)).target


class Catalog:
    """Runs of one runs folder (``<runs_dir>/catalog.sqlite``).

    Opening it creates the folder and the database; every database error is a :class:`CatalogError`
    naming the file (one line at the command line).
    """

    def __init__(self, runs_dir: str | Path):
        self.path = Path(runs_dir) / "catalog.sqlite"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogError(f"{self.path.parent}: cannot create the runs folder ({exc.strerror or exc})") from None
        with self._connect() as con:
            con.execute(SCHEMA)
            have = {r["name"] for r in con.execute("PRAGMA table_info(runs)").fetchall()}
            for column, kind in ADDED_COLUMNS.items():
                if column not in have:
                    con.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")

    @staticmethod
    def check_writable(runs_dir: str | Path) -> None:
        """Fail (:class:`CatalogError`) unless the catalog of ``runs_dir`` can be written; writes nothing.

        The folder (or its nearest existing ancestor) is probed with a temporary file; an existing
        database must be writable and is opened and write-locked, then released untouched.
        """
        from experiments.outdir import RunTargetError, probe_writable
        path = Path(runs_dir) / "catalog.sqlite"
        try:
            probe_writable(path.parent, "run catalog")  # SQLite writes a journal beside the database
        except RunTargetError as exc:
            raise CatalogError(str(exc)) from None
        if not path.exists():
            return
        if not os.access(path, os.W_OK):
            raise CatalogError(f"{path}: cannot write the run catalog (permission denied)")
        try:
            con = sqlite3.connect(path, timeout=30)
            try:
                con.execute("BEGIN IMMEDIATE")  # takes the write lock: fails on a read-only file or folder
                con.rollback()
            finally:
                con.close()
        except sqlite3.Error as exc:
            raise CatalogError(f"{path}: cannot write the run catalog ({exc})") from None

    def _connect(self) -> sqlite3.Connection:
        return _Connection(self.path)

    def record(self, outcome) -> None:
        """Record a finished :class:`experiments.runner.RunOutcome`."""
        result = outcome.result
        self.record_values(outcome.run_dir, outcome.manifest, None if result is None else result.metrics,
                           None if result is None else result.window)

    def record_values(self, run_dir: Path, manifest: dict, metrics: pd.DataFrame | None,
                      window: tuple | list | None) -> None:
        """Record a finished run (replacing an earlier row for the same config hash); any other config's
        record at the same directory becomes ``replaced``.

        ``metrics`` is None for an analysis-only run, which has no strategies to rank.
        """
        if metrics is None:
            values = (None, None, 0, None, None, None, "{}")
        else:
            best = metrics["sharpe"].idxmax()
            per = {name: {"target": _target(name, row), **{k: _num(row.get(k)) for k in KEY_METRICS}}
                   for name, row in metrics.iterrows()}
            values = (window[0], window[1], len(metrics), best, _num(metrics.loc[best, "sharpe"]),
                      _num(metrics.loc[best, "dsr"]), json.dumps(per))
        where = str(_absolute(run_dir))
        with self._connect() as con:
            con.execute(f"INSERT OR REPLACE INTO runs ({', '.join(DONE_COLUMNS)}) VALUES "
                        f"({', '.join('?' * len(DONE_COLUMNS))})", (
                            manifest["config_hash"], manifest["name"], where, "done", manifest["started"],
                            manifest["finished"], manifest["source"], *values, None, None,
                            periods_per_year(run_dir, manifest)))
            con.execute("UPDATE runs SET status = 'replaced' WHERE run_dir = ? AND config_hash != ? "
                        "AND status = 'done'", (where, manifest["config_hash"]))

    def record_dir(self, run_dir: Path) -> bool:
        """Record a complete run directory found on disk (renamed into place, but never recorded because
        its sweep was killed first). Returns False when the directory is not a complete run."""
        manifest_path = Path(run_dir) / "manifest.json"
        if not manifest_path.is_file():
            return False
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        metrics_path = Path(run_dir) / "metrics.csv"
        metrics = pd.read_csv(metrics_path, index_col=0) if metrics_path.is_file() else None
        self.record_values(Path(run_dir), manifest, metrics, manifest.get("evaluation_window"))
        return True

    def record_failure(self, config: dict, run_dir: Path, error: BaseException | str | None = None) -> None:
        """Record that a run of ``config`` failed or was interrupted.

        When the config has a finished run that still verifies (wherever it is), the record keeps it and
        only notes the failure (``last_failure``, ``last_error``); otherwise the record becomes ``failed``.
        """
        from experiments.config import config_hash
        chash = config_hash(config)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        message = _describe(error)
        with self._connect() as con:
            row = con.execute("SELECT * FROM runs WHERE config_hash = ?", (chash,)).fetchone()
            if row is not None and verified_status(dict(row)) == "done":
                con.execute("UPDATE runs SET last_failure = ?, last_error = ? WHERE config_hash = ?",
                            (now, message, chash))
            else:
                con.execute("INSERT OR REPLACE INTO runs (config_hash, name, run_dir, status, finished, "
                            "last_failure, last_error) VALUES (?,?,?,?,?,?,?)",
                            (chash, config["name"], str(_absolute(run_dir)), "failed", now, now, message))

    def get(self, config_hash: str) -> dict | None:
        """The record of a config, with ``status`` verified against its directory."""
        with self._connect() as con:
            row = con.execute("SELECT * FROM runs WHERE config_hash = ?", (config_hash,)).fetchone()
        return _verified(dict(row)) if row else None

    def is_done(self, config_hash: str) -> bool:
        row = self.get(config_hash)
        return bool(row and row["status"] == "done")

    def list(self) -> pd.DataFrame:
        """Every record (verified status), oldest first."""
        rows = sorted(self._rows(), key=lambda r: r["finished"] or "")
        columns = ["config_hash", "name", "status", "finished", "source", "window_start", "window_end",
                   "n_strategies", "best_strategy", "best_sharpe", "best_dsr", "run_dir", "last_failure",
                   "last_error"]
        return pd.DataFrame([{k: r[k] for k in columns} for r in rows], columns=columns if rows else None)

    def find(self, ref: str) -> dict:
        """A run by config hash (or unique prefix), name, or run directory."""
        rows = self._rows()
        hits = [r for r in rows if r["config_hash"].startswith(ref) or r["name"] == ref
                or Path(r["run_dir"]).name == Path(ref).name]
        if len(hits) != 1:
            known = ", ".join(f"{r['name']} ({r['config_hash']})" for r in rows) or "none"
            raise FactorRegimesError(f"run {ref!r} matches {len(hits)} runs in {self.path}; runs: {known}")
        return hits[0]

    def strategies(self, refs: list[str] | None = None) -> pd.DataFrame:
        """Every strategy of the given runs (all verified done runs by default), one row each.

        A named run that is not verified done is refused, naming its status."""
        if refs:
            runs = [self.find(r) for r in refs]
            for run in runs:
                if run["status"] != "done":
                    raise FactorRegimesError(f"run {run['name']} ({run['config_hash']}) in {self.path} is "
                                             f"{run['status']}: no finished run to compare at {run['run_dir']}")
        else:
            runs = [r for r in self._rows() if r["status"] == "done"]
        rows = []
        for run in runs:
            for strategy, values in json.loads(run["metrics_json"] or "{}").items():
                rows.append({"run": run["name"], "config_hash": run["config_hash"], "strategy": strategy, **values})
        return pd.DataFrame(rows)

    def trials(self) -> pd.DataFrame:
        """Every distinct strategy tried, per target and evaluation window, across the done runs.

        One row per strategy of :meth:`strategies` with ``source`` (the run's data source: ``sample``,
        ``local``, ``download``, ``csv``), ``target`` (the ``target`` column of the run's ``metrics.csv``: the
        target, the ``+``-joined targets, or ``benchmark``), ``window_start``, ``window_end``,
        ``periods_per_year`` (:func:`periods_per_year`) and ``n_trials``: the number of distinct strategies
        with that source, target, window and frequency (a search on the offline sample is no trial of a
        search on published data). A strategy that appears in several runs with the same Sharpe ratio and
        length (static exposure in every run of a sweep, say) is one trial and one row.
        """
        frame = self.strategies()
        if frame.empty:
            return frame
        rows = {r["config_hash"]: r for r in self._rows()}
        frame["source"] = frame["config_hash"].map(lambda h: rows[h].get("source") or "unknown")
        frame["window_start"] = frame["config_hash"].map(lambda h: rows[h]["window_start"])
        frame["window_end"] = frame["config_hash"].map(lambda h: rows[h]["window_end"])
        if "target" not in frame:  # catalogs recorded before the target was stored with each strategy
            frame["target"] = None
        frame["target"] = [t if isinstance(t, str) else StrategyKey.from_label(s).target
                           for t, s in zip(frame["target"], frame["strategy"])]
        frame["periods_per_year"] = frame["config_hash"].map(
            lambda h: rows[h].get("periods_per_year") or periods_per_year(rows[h]["run_dir"]))
        group = ["source", "target", "window_start", "window_end", "periods_per_year"]
        frame = frame.drop_duplicates([*group, "strategy", "sharpe", "n_periods"])
        frame["n_trials"] = frame.groupby(group, dropna=False)["strategy"].transform("size")
        return frame.reset_index(drop=True)

    def rows(self) -> list[dict]:
        """Every row of the catalog, all columns (runs of any status)."""
        return self._rows()

    def _rows(self) -> list[dict]:
        with self._connect() as con:
            return [_verified(dict(r)) for r in con.execute("SELECT * FROM runs").fetchall()]


class _Connection:
    """``with`` block over one SQLite connection: commit on success, roll back on error, always close;
    SQLite errors become :class:`CatalogError` naming the database."""

    def __init__(self, path: Path):
        self.path = path
        self.con: sqlite3.Connection | None = None

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.con = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as exc:
            raise CatalogError(f"{self.path}: cannot open the run catalog ({exc})") from None
        self.con.row_factory = sqlite3.Row
        return self.con

    def __exit__(self, kind, exc, tb) -> bool:
        con, self.con = self.con, None
        try:
            if kind is None:
                con.commit()
            else:
                con.rollback()
        except sqlite3.Error as error:
            if kind is None:
                exc, kind = error, type(error)
        finally:
            con.close()
        if kind is not None and issubclass(kind, sqlite3.Error):
            raise CatalogError(f"{self.path}: run catalog error ({exc})") from None
        return False


def _verified(row: dict) -> dict:
    row["status"] = verified_status(row)
    return row


def _absolute(run_dir: str | Path) -> Path:
    from experiments.outdir import target_path
    return target_path(run_dir)


def _describe(error: BaseException | str | None) -> str | None:
    if error is None or isinstance(error, str):
        return error
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if not np.isfinite(value) else value
