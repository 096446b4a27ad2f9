"""The run catalog: one SQLite database per runs folder, one row per run.

Columns: config hash, name, run directory, status (``running`` is never
stored: a run is recorded ``done`` when its directory is in place, or
``failed``), start and end time, source, evaluation window, number of
strategies, and the best strategy's key metrics; ``metrics_json`` keeps every
strategy's headline metrics for ``runs compare`` and ``runs best``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

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
    metrics_json TEXT
)
"""
#: Metrics where a lower value is better (``runs best`` ranks them ascending).
LOWER_IS_BETTER = ("ann_vol", "turnover", "sharpe_diff_p")
KEY_METRICS = ("sharpe", "ann_return", "ann_vol", "max_drawdown", "turnover", "psr", "dsr", "sharpe_diff_p",
               "n_periods")


class Catalog:
    """Runs of one runs folder (``<runs_dir>/catalog.sqlite``)."""

    def __init__(self, runs_dir: str | Path):
        self.path = Path(runs_dir) / "catalog.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.row_factory = sqlite3.Row
        return con

    def record(self, outcome) -> None:
        """Record a finished :class:`experiments.runner.RunOutcome`."""
        result = outcome.result
        self.record_values(outcome.run_dir, outcome.manifest, None if result is None else result.metrics,
                           None if result is None else result.window)

    def record_values(self, run_dir: Path, manifest: dict, metrics: pd.DataFrame | None,
                      window: tuple | list | None) -> None:
        """Record a finished run (replacing an earlier row for the same config hash).

        ``metrics`` is None for an analysis-only run, which has no strategies to rank.
        """
        if metrics is None:
            values = (None, None, 0, None, None, None, "{}")
        else:
            best = metrics["sharpe"].idxmax()
            per = {name: {k: _num(row.get(k)) for k in KEY_METRICS} for name, row in metrics.iterrows()}
            values = (window[0], window[1], len(metrics), best, _num(metrics.loc[best, "sharpe"]),
                      _num(metrics.loc[best, "dsr"]), json.dumps(per))
        with self._connect() as con:
            con.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                manifest["config_hash"], manifest["name"], str(run_dir), "done", manifest["started"],
                manifest["finished"], manifest["source"], *values))

    def record_dir(self, run_dir: Path) -> bool:
        """Record a complete run directory found on disk (renamed into place, but never recorded because
        its sweep was killed first). Returns False when the directory is not a complete run."""
        manifest_path = Path(run_dir) / "manifest.json"
        if not manifest_path.is_file():
            return False
        manifest = json.loads(manifest_path.read_text())
        metrics_path = Path(run_dir) / "metrics.csv"
        metrics = pd.read_csv(metrics_path, index_col=0) if metrics_path.is_file() else None
        self.record_values(Path(run_dir), manifest, metrics, manifest.get("evaluation_window"))
        return True

    def record_failure(self, config: dict, run_dir: Path) -> None:
        from experiments.config import config_hash
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self._connect() as con:
            con.execute("INSERT OR REPLACE INTO runs (config_hash, name, run_dir, status, finished) VALUES (?,?,?,?,?)",
                        (config_hash(config), config["name"], str(run_dir), "failed", now))

    def get(self, config_hash: str) -> dict | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM runs WHERE config_hash = ?", (config_hash,)).fetchone()
        return dict(row) if row else None

    def is_done(self, config_hash: str) -> bool:
        row = self.get(config_hash)
        return bool(row and row["status"] == "done" and Path(row["run_dir"]).is_dir())

    def list(self) -> pd.DataFrame:
        with self._connect() as con:
            rows = con.execute("SELECT config_hash, name, status, finished, source, window_start, window_end, "
                               "n_strategies, best_strategy, best_sharpe, best_dsr, run_dir FROM runs "
                               "ORDER BY finished").fetchall()
        return pd.DataFrame([dict(r) for r in rows])

    def find(self, ref: str) -> dict:
        """A run by config hash (or unique prefix), name, or run directory."""
        from regimes.errors import FactorRegimesError
        with self._connect() as con:
            rows = [dict(r) for r in con.execute("SELECT * FROM runs").fetchall()]
        hits = [r for r in rows if r["config_hash"].startswith(ref) or r["name"] == ref
                or Path(r["run_dir"]).name == Path(ref).name]
        if len(hits) != 1:
            known = ", ".join(f"{r['name']} ({r['config_hash']})" for r in rows) or "none"
            raise FactorRegimesError(f"run {ref!r} matches {len(hits)} runs in {self.path}; runs: {known}")
        return hits[0]

    def strategies(self, refs: list[str] | None = None) -> pd.DataFrame:
        """Every strategy of the given runs (all done runs by default), one row each."""
        runs = [self.find(r) for r in refs] if refs else [r for r in self._rows() if r["status"] == "done"]
        rows = []
        for run in runs:
            for strategy, values in json.loads(run["metrics_json"] or "{}").items():
                rows.append({"run": run["name"], "config_hash": run["config_hash"], "strategy": strategy, **values})
        return pd.DataFrame(rows)

    def trials(self) -> pd.DataFrame:
        """Every distinct strategy tried, per target and evaluation window, across the done runs.

        One row per strategy of :meth:`strategies` with ``target`` (the strategy name up to its first
        ``/``: the target, the ``+``-joined targets, or ``benchmark``), ``window_start``, ``window_end``
        and ``n_trials``: the number of distinct strategies with that target and window. A strategy that
        appears in several runs with the same Sharpe ratio and length (static exposure in every run of a
        sweep, say) is one trial and one row.
        """
        frame = self.strategies()
        if frame.empty:
            return frame
        windows = {r["config_hash"]: (r["window_start"], r["window_end"]) for r in self._rows()}
        frame["window_start"] = frame["config_hash"].map(lambda h: windows[h][0])
        frame["window_end"] = frame["config_hash"].map(lambda h: windows[h][1])
        frame["target"] = frame["strategy"].str.split("/", n=1).str[0]
        frame = frame.drop_duplicates(["target", "window_start", "window_end", "strategy", "sharpe", "n_periods"])
        frame["n_trials"] = frame.groupby(["target", "window_start", "window_end"])["strategy"].transform("size")
        return frame.reset_index(drop=True)

    def rows(self) -> list[dict]:
        """Every row of the catalog, all columns (runs of any status)."""
        return self._rows()

    def _rows(self) -> list[dict]:
        with self._connect() as con:
            return [dict(r) for r in con.execute("SELECT * FROM runs").fetchall()]


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if not np.isfinite(value) else value
