"""Sweeps: a grid of overrides over a base config, run as independent, resumable runs.

A sweep file::

    name: refit_and_costs
    base: quickstart.yaml                 # relative to the sweep file
    set: {evaluation.bootstrap_reps: 200} # optional overrides for every run
    grid:
      regimes.schedule.refit_every: [6, 12]
      allocation.cost_bps: [5, 20]

expands into the cartesian product of the grid (4 runs here). Each run is a
resolved config keyed by its content hash, written to
``<runs dir>/<base name>-<hash>/`` and recorded in the run catalog. Running
the sweep again skips every run the catalog holds as done (and whose
directory exists), so an interrupted sweep resumes where it stopped and
nothing is run twice. Runs execute on a local process pool or on a Dask
cluster (a ``LocalCluster`` when no scheduler address is given).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.catalog import Catalog
from experiments.config import config_hash, load_config, read_yaml
from experiments.schema import Anything, ConfigError, MapOf, Str, validate

SWEEP_SCHEMA = {"name": Str(), "description": Str(nullable=True), "base": Str(), "set": MapOf(),
                "grid": MapOf(nullable=False), "executor": Anything(), "workers": Anything()}


@dataclass(frozen=True)
class PlannedRun:
    """One point of the grid: its resolved config, run directory and grid values (``KEY=VALUE``)."""

    config: dict
    run_dir: Path
    overrides: tuple[str, ...]

    @property
    def hash(self) -> str:
        return config_hash(self.config)


def plan_sweep(path: str | Path, runs_dir: str | Path = "runs", extra: tuple[str, ...] = ()) -> tuple[str, list[PlannedRun]]:
    """Expand a sweep file into resolved run configs (validated before anything runs)."""
    p = Path(path)
    data, lines = read_yaml(p)
    validate(data, SWEEP_SCHEMA, str(p), lines)
    for key in ("base", "grid"):
        if key not in data:
            raise ConfigError(f"{p}: a sweep needs '{key}'")
    grid = data["grid"]
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{p}, line {lines.get(('grid', key), '?')}: grid.{key}: expected a non-empty list "
                              f"of values, got {values!r}")
    base = p.parent / data["base"]
    fixed = tuple(f"{k}={_yaml(v)}" for k, v in (data.get("set") or {}).items()) + tuple(extra)
    keys = list(grid)
    runs = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        point = tuple(f"{k}={_yaml(v)}" for k, v in zip(keys, combo))
        config = load_config(base, fixed + point)
        runs.append(PlannedRun(config, Path(runs_dir) / f"{config['name']}-{config_hash(config)}", point))
    hashes = [r.hash for r in runs]
    if len(set(hashes)) != len(hashes):
        raise ConfigError(f"{p}: the grid yields identical configs (a key has repeated values?)")
    return str(data.get("name") or p.stem), runs


def _complete(run: PlannedRun) -> bool:
    """A run directory is complete when its manifest exists (it is renamed into place last) for this config."""
    import json
    manifest = run.run_dir / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text()).get("config_hash") == run.hash
    except (OSError, ValueError):
        return False


def _yaml(value: Any) -> str:
    import yaml
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _run_one(config: dict, run_dir: str) -> dict:
    """Worker: run one config (in a separate process) and return what the catalog records."""
    from experiments.runner import run_config
    outcome = run_config(config, Path(run_dir))
    result = outcome.result
    return {"run_dir": str(outcome.run_dir), "manifest": outcome.manifest,
            "metrics": None if result is None else result.metrics, "window": None if result is None else result.window}


def run_sweep(path: str | Path, runs_dir: str | Path = "runs", executor: str = "local", workers: int = 2,
              scheduler: str | None = None, max_runs: int | None = None, extra: tuple[str, ...] = (),
              on_event: Callable[[str, PlannedRun, str], None] | None = None) -> list[dict]:
    """Run the sweep's pending runs; returns one status row per planned run.

    Parameters
    ----------
    executor : {"local", "dask"}
    workers : int
        Processes (local) or Dask workers (LocalCluster).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).
    max_runs : int, optional
        Run at most this many pending runs, then stop (the rest stay pending).
    """
    say = on_event or (lambda event, run, detail: None)
    _, planned = plan_sweep(path, runs_dir, extra)
    catalog = Catalog(runs_dir)
    for r in planned:  # finished on disk but not recorded (the sweep was killed in between): record, don't redo
        if not catalog.is_done(r.hash) and _complete(r):
            catalog.record_dir(r.run_dir)
    pending = [r for r in planned if not catalog.is_done(r.hash)]
    skipped = {r.hash for r in planned} - {r.hash for r in pending}
    for r in planned:
        if r.hash in skipped:
            say("skip", r, "done earlier")
    todo = pending if max_runs is None else pending[:max_runs]
    failures: dict[str, str] = {}
    if todo:
        if executor == "local":
            _local(todo, workers, catalog, failures, say)
        elif executor == "dask":
            _dask(todo, workers, scheduler, catalog, failures, say)
        else:
            raise ConfigError(f"executor must be 'local' or 'dask', not {executor!r}")
    rows = []
    for r in planned:
        row = catalog.get(r.hash) or {}
        status = "failed" if r.hash in failures else ("done" if catalog.is_done(r.hash) else "pending")
        rows.append({"config_hash": r.hash, "overrides": " ".join(r.overrides), "status": status,
                     "skipped": r.hash in skipped, "best_sharpe": row.get("best_sharpe"),
                     "best_strategy": row.get("best_strategy"), "run_dir": str(r.run_dir),
                     "error": failures.get(r.hash, "")})
    return rows


def _finish(run: PlannedRun, reply: dict | None, error: BaseException | None, catalog: Catalog,
            failures: dict, say) -> None:
    if error is not None:
        catalog.record_failure(run.config, run.run_dir)
        failures[run.hash] = f"{type(error).__name__}: {error}"
        say("failed", run, failures[run.hash])
    else:
        catalog.record_values(Path(reply["run_dir"]), reply["manifest"], reply["metrics"], reply["window"])
        say("done", run, reply["run_dir"])


def _one_thread() -> None:
    """Pool initializer: one BLAS/OpenMP thread per worker process (``FACTOR_REGIMES_THREADS``
    overrides it), so that ``workers`` processes do not oversubscribe the cores with
    ``workers x cores`` threads. See :mod:`regimes.threads`."""
    from regimes.threads import cap_worker_threads
    cap_worker_threads()


def _local(todo: list[PlannedRun], workers: int, catalog: Catalog, failures: dict, say) -> None:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    with ProcessPoolExecutor(max_workers=max(1, workers), initializer=_one_thread) as pool:
        futures = {pool.submit(_run_one, r.config, str(r.run_dir)): r for r in todo}
        for r in todo:
            say("start", r, "")
        for future in as_completed(futures):
            run = futures[future]
            error = future.exception()
            _finish(run, None if error else future.result(), error, catalog, failures, say)


def _dask(todo: list[PlannedRun], workers: int, scheduler: str | None, catalog: Catalog, failures: dict,
          say) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError("the dask executor needs dask[distributed]: pip install 'factor-regimes[dask]'") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = {client.submit(_run_one, r.config, str(r.run_dir), pure=False, key=f"run-{r.hash}"): r
                   for r in todo}
        for r in todo:
            say("start", r, "")
        for future in as_completed(list(futures)):
            run = futures[future]
            try:
                reply, error = future.result(), None
            except Exception as exc:  # a failed run is recorded; the others go on
                reply, error = None, exc
            _finish(run, reply, error, catalog, failures, say)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
