"""Sweeps: a grid of overrides over a base config, run as independent, resumable runs.

A sweep file::

    name: refit_and_costs
    base: quickstart.yaml                 # relative to the sweep file
    set: {evaluation.bootstrap_reps: 200} # optional overrides for every run
    grid:
      regimes.schedule.refit_every: [6, 12]
      allocation.cost_bps: [5, 20]

expands into the cartesian product of the grid (4 runs here). Keys are
``--set`` keys: list items by index or by component label
(``regimes.detectors[jump].params.jump_penalty``, see :mod:`experiments.addressing`).
Each run is a resolved config named by the base's name and its grid values
(``quickstart,refit_every=6,cost_bps=5``), keyed by its content hash, written to
``<runs dir>/<run name>-<hash>/`` and recorded in the run catalog. Running
the sweep again skips every run the catalog holds as done (and whose
directory exists), so an interrupted sweep resumes where it stopped and
nothing is run twice. Runs execute on a local process pool or on a Dask
cluster (a ``LocalCluster`` when no scheduler address is given).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.catalog import Catalog
from experiments.config import config_hash, load_config, read_yaml
from experiments.outdir import check_name
from experiments.schema import Choice, ConfigError, Int, MapOf, Str, validate

SWEEP_SCHEMA = {"name": Str(), "description": Str(nullable=True), "base": Str(), "set": MapOf(),
                "grid": MapOf(nullable=False), "executor": Choice(["local", "dask"], nullable=True),
                "workers": Int(1, 1024, nullable=True)}

#: Most runs one sweep may expand to (the product of the grid's lists).
MAX_RUNS = 10_000
#: Longest run name a sweep composes (base name and grid values; cut with "~"): it names a folder, with the
#: config hash appended.
MAX_NAME = 100


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
    if not grid:
        raise ConfigError(f"{p}, line {lines.get(('grid',), '?')}: grid: expected at least one KEY: [VALUES, ...]")
    fixed_items = dict(data.get("set") or {})
    size = 1
    for key, values in grid.items():
        at = f"{p}, line {lines.get(('grid', key), '?')}: grid.{key}"
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{at}: expected a non-empty list of values, got {values!r}")
        repeated = [_yaml(v) for i, v in enumerate(values) if v in values[:i]]
        if repeated:
            raise ConfigError(f"{at}: repeated value(s) {', '.join(repeated)} (each would be the same run)")
        if key in fixed_items:
            raise ConfigError(f"{at}: also given in 'set' (line {lines.get(('set', key), '?')}); give it in one place")
        size *= len(values)
        if size > MAX_RUNS:
            raise ConfigError(f"{p}: the grid expands to more than {MAX_RUNS:,} runs")
    base = p.parent / data["base"]
    if not base.is_file():
        raise ConfigError(f"{p}, line {lines.get(('base',), '?')}: base: {base} is not a file")
    fixed = tuple(f"{k}={_yaml(v)}" for k, v in fixed_items.items()) + tuple(extra)
    fixed_at = tuple(f"{p}, line {lines.get(('set', k), '?')} (set {k})" for k in fixed_items) + tuple(
        f"{p} (--set {item})" for item in extra)
    keys = list(grid)
    shorts = _short_keys(keys, [f"{p}, line {lines.get(('grid', k), '?')}: grid.{k}" for k in keys])
    runs = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        point = tuple(f"{k}={_yaml(v)}" for k, v in zip(keys, combo))
        point_at = tuple(f"{p}, line {lines.get(('grid', k), '?')} (grid {item})" for k, item in zip(keys, point))
        located: dict = {}
        config = load_config(base, fixed + point, fixed_at + point_at, located_out=located)
        if "name" not in keys:  # the run's name shows its grid values (the hash alone tells runs apart)
            config["name"] = _run_name(config["name"], shorts, combo)
        check_name(config.get("name"), where=located.get(("name",), str(base)))  # before any run, not in a worker
        runs.append(PlannedRun(config, Path(runs_dir) / f"{config['name']}-{config_hash(config)}", point))
    hashes = [r.hash for r in runs]
    if len(set(hashes)) != len(hashes):
        raise ConfigError(f"{p}: the grid yields identical configs (a value equal to the base's?)")
    return str(data.get("name") or p.stem), runs


def _short_keys(keys: list[str], wheres: list[str]) -> list[str]:
    """How each grid key appears in run names: its last part, after the nearest component label
    (``jump.jump_penalty`` for ``regimes.detectors[jump].params.jump_penalty``); the whole key when
    two keys would look alike."""
    from experiments.addressing import Label, show, split_key

    shorts = []
    for key, where in zip(keys, wheres):
        parts = split_key(key, where)
        labels = [str(q.text) for q in parts[:-1] if isinstance(q, Label)]
        shorts.append(".".join([*labels[-1:], str(parts[-1])]) if not isinstance(parts[-1], Label)
                      else show(parts))
    return [key if shorts.count(s) > 1 else s for key, s in zip(keys, shorts)]


def _run_name(base: str, shorts: list[str], values: tuple) -> str:
    """``base,KEY=VALUE,...`` within :data:`MAX_NAME` characters: long keys are abbreviated
    (``regimes.schedule.refit_every`` -> ``r.s.refit_every``) and values cut shorter as needed; only
    a name still too long is cut with ``~`` (then names may coincide; the config hashes never do)."""
    compact = [".".join([*(q[0] for q in s.split(".")[:-1]), s.split(".")[-1]]) if s.count(".") > 1 else s
               for s in shorts]
    name = base
    for keys, limit in ((shorts, 32), (compact, 32), (compact, 12), (compact, 6)):
        name = ",".join([base, *(f"{k}={_name_value(v, limit)}" for k, v in zip(keys, values))])
        if len(name) <= MAX_NAME:
            return name
    return name[:MAX_NAME - 1] + "~"


def _name_value(value: Any, limit: int = 32) -> str:
    """A grid value as it appears in a run name (and so a folder name): letters, digits and ``._+-`` only."""
    import re
    text = re.sub(r"[^A-Za-z0-9._+-]+", "-", _yaml(value)).strip("-") or "-"
    return text if len(text) <= limit else text[:limit - 1] + "~"


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


#: Data sources loaded once by the sweep, by :func:`_source_key` (local pool workers inherit them when forked).
_SHARED: dict[str, Any] = {}


def _source_key(config: dict) -> str:
    """What identifies a run's data source: the source's name, folder and file (not the dates)."""
    import json
    data = config["data"]
    return json.dumps([data.get("source"), data.get("dir"), data.get("path")])


def _shared_sources(todo: list[PlannedRun]) -> dict[str, Any]:
    """Each distinct data source of ``todo``, its monthly (and daily) panel series read and checked once.

    Runs then reuse the validated series (the same bytes, the same sha256 in every manifest) instead
    of each reading and checking every file again. A source that cannot be read here is left out:
    its runs read it themselves and fail, each recorded with its own error.
    """
    from plumbing.errors import FactorRegimesError
    from regimes.data import make_source
    from regimes.panel import build_panel

    shared: dict[str, Any] = {}
    for run in todo:
        key = _source_key(run.config)
        if key in shared:
            continue
        data = run.config["data"]
        try:
            source = make_source(data["source"], data_dir=data.get("dir"), path=data.get("path"))
            build_panel(source, "monthly", start=str(data["history_start"]), extra_csv=data.get("extra_csv") or ())
            if source.has("ff3_daily") and source.has("mom_daily"):
                build_panel(source, "daily", start=str(data["history_start"]))
        except (FactorRegimesError, OSError):
            continue
        shared[key] = source
    return shared


def _run_one(config: dict, run_dir: str, source=None) -> dict:
    """Worker: run one config (in a separate process) and return what the catalog records.

    ``source`` is the sweep's data source with its series already read (scattered once to Dask
    workers); otherwise a forked pool worker finds it in :data:`_SHARED`, else the run reads its data.
    In a pool worker, SIGTERM during the run raises ``KeyboardInterrupt``, so the run removes its
    temporary folder before the worker stops (see :func:`_worker_init`).
    """
    import signal
    import threading

    from experiments.runner import run_config
    if source is None:
        source = _SHARED.get(_source_key(config))
    in_main = threading.current_thread() is threading.main_thread()  # not so in a Dask worker's thread
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler) if in_main else None
    try:
        outcome = run_config(config, Path(run_dir), source=source)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    result = outcome.result
    return {"run_dir": str(outcome.run_dir), "manifest": outcome.manifest,
            "metrics": None if result is None else result.metrics, "window": None if result is None else result.window}


def run_sweep(path: str | Path, runs_dir: str | Path = "runs", executor: str | None = None, workers: int | None = None,
              scheduler: str | None = None, max_runs: int | None = None, extra: tuple[str, ...] = (),
              on_event: Callable[[str, PlannedRun, str], None] | None = None,
              progress: Callable[..., None] | None = None) -> list[dict]:
    """Run the sweep's pending runs; returns one status row per planned run.

    Parameters
    ----------
    executor : {"local", "dask"}, optional
        Default: the sweep file's ``executor``, else ``"local"``.
    workers : int, optional
        Processes (local) or Dask workers (LocalCluster). Default: the sweep
        file's ``workers``, else 2.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).
    max_runs : int, optional
        Run at most this many pending runs, then stop (the rest stay pending).
    on_event : callable, optional
        ``on_event(kind, run, detail)`` with kind ``skip``, ``start``, ``done``, ``failed`` or ``note``.
    progress : callable, optional
        A reporter of :mod:`experiments.progress`: stage ``"runs"`` with the number of runs to do, one item
        finished per run done or failed (in the order they finish).
    """
    from experiments.progress import done as item_done
    from experiments.progress import expect

    def say(event: str, run: PlannedRun, detail: str) -> None:
        if on_event is not None:
            on_event(event, run, detail)
        if event in ("done", "failed"):
            item_done(progress, "runs", f"{event} {run.hash} {' '.join(run.overrides[-3:])}")

    _, planned = plan_sweep(path, runs_dir, extra)
    settings, _ = read_yaml(path)
    executor = executor or settings.get("executor") or "local"
    workers = workers or settings.get("workers") or 2
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
        expect(progress, "runs", len(todo))
        if executor not in ("local", "dask"):
            raise ConfigError(f"executor must be 'local' or 'dask', not {executor!r}")
        _SHARED.clear()
        _SHARED.update(_shared_sources(todo))
        with _stop_on_signals():
            if executor == "local":
                _local(todo, workers, catalog, failures, say)
            else:
                _dask(todo, workers, scheduler, catalog, failures, say)
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
        cut = (reply["manifest"].get("decision_dates") or {}).get("note")
        if cut:
            say("note", run, cut)


def _worker_init(parent: int) -> None:
    """Pool initializer: die with the sweep, stop cleanly on SIGTERM, one BLAS thread.

    On Linux the kernel sends the worker SIGKILL when the sweep process dies,
    however it dies (SIGKILL included), so no worker is left computing for a
    sweep that no longer exists. SIGINT (Ctrl-C reaches the whole process
    group) is ignored: the sweep handles it by sending SIGTERM, which stops
    a run with ``KeyboardInterrupt`` (its temporary folder is removed) and
    makes an idle worker exit at once, without a traceback.
    """
    import os
    import signal
    import sys

    if sys.platform.startswith("linux"):  # workers are forked by the sweep itself (see _local)
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the sweep died before the line above took effect
            os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the sweep, which stops its workers
    signal.signal(signal.SIGTERM, _exit_quietly)  # idle: just exit; during a run, _run_one interrupts it
    _one_thread()


def _exit_quietly(signum: int, frame) -> None:
    import os
    os._exit(128 + signum)


def _one_thread() -> None:
    """Pool initializer: one BLAS/OpenMP thread per worker process (``FACTOR_REGIMES_THREADS``
    overrides it), so that ``workers`` processes do not oversubscribe the cores with
    ``workers x cores`` threads. See :mod:`plumbing.threads`."""
    from plumbing.threads import cap_worker_threads
    cap_worker_threads()


class Terminated(SystemExit):
    """The sweep received SIGTERM (exit status 143 after its workers are stopped)."""


@contextmanager
def _stop_on_signals():
    """In the main thread: SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated`, so that
    the executor's cleanup (stopping every worker) runs before the sweep exits."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated(128 + signum)

    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
                signal.SIGTERM: signal.signal(signal.SIGTERM, terminate)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_workers(pool, grace: float = 5.0) -> None:
    """Cancel pending runs, ask running workers to stop (SIGTERM: they remove their temporary
    folders), and kill any still alive after ``grace`` seconds."""
    import time

    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


def _remove_temporaries(todo: list[PlannedRun], pids: list[int]) -> None:
    """Remove the temporary run folders of stopped workers ``pids`` (all dead by now).

    A worker removes its own when SIGTERM reaches it in time; one killed after the grace period (a busy
    machine) cannot, so the sweep does, for the runs it planned and only for those workers' folders.
    """
    import shutil
    for run in todo:
        for pid in pids:
            tmp = run.run_dir.parent / f".{run.run_dir.name}.tmp-{pid}"
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)


def _local(todo: list[PlannedRun], workers: int, catalog: Catalog, failures: dict, say) -> None:
    import multiprocessing
    import os
    import sys
    from concurrent.futures import ProcessPoolExecutor, as_completed
    # on Linux, workers are forked by this process, so that they can ask to die with it (_worker_init)
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context, initializer=_worker_init,
                               initargs=(os.getpid(),))
    try:
        futures = {pool.submit(_run_one, r.config, str(r.run_dir)): r for r in todo}
        for r in todo:
            say("start", r, "")
        for future in as_completed(futures):
            run = futures[future]
            error = future.exception()
            _finish(run, None if error else future.result(), error, catalog, failures, say)
    except BaseException:  # interrupted (SIGINT, SIGTERM) or failed: no worker outlives the sweep
        pids = [p.pid for p in (getattr(pool, "_processes", None) or {}).values()]
        _stop_workers(pool)
        _remove_temporaries(todo, pids)
        raise
    pool.shutdown(wait=True)


def _dask_setup_plugin():
    """A Dask worker plugin: one BLAS/OpenMP thread per worker, and the framework imported once at start."""
    from distributed import WorkerPlugin

    class Setup(WorkerPlugin):
        def setup(self, worker) -> None:
            _one_thread()
            import experiments.runner  # noqa: F401 (paid once per worker, not in its first run)

    return Setup()


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
        client.register_plugin(_dask_setup_plugin(), name="factor-regimes-setup")
        scattered = client.scatter(dict(_SHARED), broadcast=True) if _SHARED else {}
        futures = {client.submit(_run_one, r.config, str(r.run_dir), scattered.get(_source_key(r.config)),
                                 pure=False, key=f"run-{r.hash}"): r
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
