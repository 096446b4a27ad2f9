"""Run one experiment config into one run directory, atomically.

The output location is checked before any computation (safe name, no
foreign directory replaced, writable folder; see :mod:`experiments.outdir`)
and locked for the whole run. The run is built in a hidden temporary folder
beside its destination and renamed into place only when everything is
written, so an interrupted or failed run leaves nothing that looks complete
and never damages the finished directory it would replace.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from experiments.analyses import AnalysisContext, AnalysisOutput, run_analysis
from experiments.config import build_study, config_hash, load_config
from experiments.outdir import (
    RunTargetError,
    check_name,
    check_target,
    ensure_parent,
    is_run_directory,
    kept_aside_path,
    remove_empty,
    run_lock,
    target_path,
)
from experiments.progress import expect
from experiments.run_result import RunResult
from experiments.rundir import write_analysis_figures, write_manifest
from experiments.schema import ConfigError
from experiments.study import StudyResult, run_study
from plumbing.errors import DataError, FactorRegimesError, FactorRegimesWarning
from plumbing.paths import cache_root
from plumbing.threads import capped
from regimes.data import CONFIG_DATA_DIR_HINT, DataSource, NoDataDirectory, make_source
from regimes.features import FEATURES, build_features
from regimes.panel import EX_POST_COLUMNS, build_panel
from regimes.specs import DetectorSpec, resolve_panel

Progress = Callable[[str, str], None]


@dataclass
class RunOutcome:
    run_dir: Path
    config: dict
    result: StudyResult | None
    manifest: dict
    analyses: list[AnalysisOutput] | None = None
    #: The run directory's contents (:class:`RunResult`; what ``RunResult.load(run_dir)`` gives back).
    run: RunResult | None = None


def resolve(config_path: str | Path, overrides: tuple[str, ...] = (), data_dir: str | Path | None = None,
            located_out: dict | None = None) -> dict:
    """The resolved config, with ``--data-dir`` meaning a local source in that folder.

    ``located_out`` receives where each key was set (see :func:`experiments.config.load_config`).
    """
    extra = list(overrides)
    if data_dir is not None:
        extra += ["data.source=local", f"data.dir={Path(data_dir)}"]
    config = load_config(config_path, tuple(extra), located_out=located_out)
    check_name(config.get("name"), where=str(config_path))
    return config


def preflight(config: dict, config_path: str | Path, located: dict | None = None) -> DataSource:
    """Read and validate every data file the run needs, and check the config's names against the data.

    Runs before the output location is touched and before anything is computed, so a faulty data
    file, an unknown target or feature, or a date range without data stops the run with one line
    and nothing written (no run directory, no catalog record, no regime cache entry).

    Parameters
    ----------
    config : dict
        A resolved config (:func:`resolve`).
    config_path : str or Path
        The config file, named in errors about its keys.
    located : dict, optional
        Where each key was set (``located_out`` of :func:`resolve`); errors then name the line.

    Returns
    -------
    DataSource
        The source, with every series it read memoized (the run reads nothing twice).

    Raises
    ------
    DataError
        A data file is missing or malformed (naming the file and line).
    ConfigError
        ``targets``, ``benchmarks`` or ``features`` name a column the data does not have, or no
        decision date lies between ``data.start`` and ``data.end`` (naming the file, line and key).
    """
    located = located or {}

    def where(*key) -> str:
        for k in (key, key[:1]):
            if k in located:
                return located[k]
        return str(config_path)

    data = config["data"]
    try:
        source = make_source(data["source"], data_dir=data.get("dir"), path=data.get("path"))
    except NoDataDirectory:
        raise ConfigError(f"{where('data', 'source')}: data.source: local: {CONFIG_DATA_DIR_HINT}") from None
    except DataError as exc:
        if exc.path is not None:
            raise  # names the data folder
        raise ConfigError(f"{where('data', 'source')}: data.source: {exc.message}") from None
    try:
        frequency = str(data.get("frequency") or "monthly")
        panel = build_panel(source, frequency, start=str(data["history_start"]),
                            extra_csv=data.get("extra_csv") or ())
    except DataError as exc:
        if exc.path is not None:
            raise  # names the file at fault
        raise ConfigError(f"{where('data', 'history_start')}: data.history_start: {exc.message}") from None
    panels = {frequency: panel}
    if frequency == "monthly" and source.has("ff3_daily") and source.has("mom_daily"):
        panels["daily"] = build_panel(source, "daily", start=str(data["history_start"]))
    if not config.get("comparison", True):
        return source  # targets, features and detectors serve only the comparison
    columns = list(panel.frame.columns)
    for key in ("targets", "benchmarks"):
        for i, name in enumerate(config.get(key) or []):
            if name not in columns:
                raise ConfigError(f"{where(key, i)}: {key}.{i}: {name!r} is not a column of the data from "
                                  f"{source.describe()} (columns: {', '.join(columns)})")
    for i, name in enumerate(config.get("features") or []):
        if name in EX_POST_COLUMNS:
            raise ConfigError(f"{where('features', i)}: features.{i}: {name!r} is dated with hindsight (ex post) "
                              "and cannot be a forecast input")
        if name not in FEATURES and name not in columns:
            raise ConfigError(f"{where('features', i)}: features.{i}: {name!r} is neither a registered feature "
                              f"({', '.join(FEATURES)}) nor a column of the data ({', '.join(columns)})")
        if name in FEATURES:
            _check_features(panel, [name], f"{where('features', i)}: features.{i}")
    frame = panel.frame
    end = data.get("end")
    window = frame.loc[str(data["start"]): str(end) if end else None]
    if len(window) == 0:
        key = "end" if end and pd.Timestamp(str(end)) < frame.index[0] else "start"
        raise ConfigError(f"{where('data', key)}: data.{key}: no decision dates between {data['start']} and "
                          f"{end or 'the end of the data'}; the data cover {frame.index[0]:%Y-%m}.."
                          f"{frame.index[-1]:%Y-%m}")
    for i, name in enumerate(config["targets"]):
        observed = frame[name].dropna()
        if window[name].notna().sum() == 0:
            span = f"{observed.index[0]:%Y-%m}..{observed.index[-1]:%Y-%m}" if len(observed) else "no month"
            raise ConfigError(f"{where('targets', i)}: targets.{i}: {name} has no return between {data['start']} "
                              f"and {end or 'the end of the data'} (the data hold {span})")
    for i, item in enumerate(config["regimes"]["detectors"]):
        det = DetectorSpec.from_dict(item)
        here = f"{where('regimes', 'detectors', i)}: regimes.detectors.{i}"
        if frequency != "monthly":  # every detector reads the decision panel (regimes.pipeline.RegimeData)
            det = replace(det, frequency=frequency)
        try:
            det, det_panel = resolve_panel(det, panels)  # as the pipeline will (the user's own panel included)
        except FactorRegimesError:
            raise ConfigError(f"{here}: {det.label} needs the {det.frequency} panel, which the data from "
                              f"{source.describe()} cannot build (the daily Ken French files are needed)") from None
        _check_features(det_panel, list(det.features), f"{here}: {det.label}")
    return source


def _check_features(panel, names: list[str], where: str) -> None:
    """Refuse features the panel cannot compute (a column they need is absent), naming ``where``."""
    try:
        build_features(panel, names)
    except FactorRegimesError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def default_run_dir(config: dict, runs_dir: str | Path = "runs") -> Path:
    """``<runs_dir>/<name>-<config hash>``; a name that is not a plain folder name is refused."""
    check_name(config.get("name"))
    return Path(runs_dir) / f"{config['name']}-{config_hash(config)}"


@capped
def run_config(config: dict, run_dir: Path, progress: Progress | None = None, use_cache: bool = True,
               force: bool = False, protected: Iterable[str | Path] = (),
               on_finish: Callable[[RunOutcome], None] | None = None,
               source: DataSource | None = None) -> RunOutcome:
    """Run a resolved config and write its run directory (replacing an older one atomically).

    Before any computation the output location is checked (:mod:`experiments.outdir`): the run name,
    that ``run_dir`` is absent or a run directory of this same config (any other path is refused unless
    ``force``; a path holding one of ``protected`` always is), and that its folder is writable. The
    run then holds the lock on ``run_dir`` until ``on_finish`` (e.g. the catalog record) has returned,
    so two runs to one directory are serialized. A failure at any point removes everything this run
    created (its temporary folder, parent folders it made) and leaves an existing directory untouched;
    a write that fails (read-only or full disk) is raised as :class:`RunTargetError` naming the folder.
    ``source`` is the data source to read (the one :func:`preflight` validated); default: the config's.
    """
    say = progress or (lambda stage, detail="": None)
    done: dict[str, RunOutcome] = {}

    def finish() -> None:
        if on_finish is not None:
            on_finish(done["outcome"])

    with staged_dir(run_dir, config, say, force=force, protected=protected, after=finish) as (target, tmp):
        done["outcome"] = _compute_and_write(config, target, tmp, say, use_cache, source)
    return done["outcome"]


def _compute_and_write(config: dict, run_dir: Path, tmp: Path, say: Progress, use_cache: bool,
                       source: DataSource | None = None) -> RunOutcome:
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    data = config["data"]
    if source is None:
        source = make_source(data["source"], data_dir=data.get("dir"), path=data.get("path"))
    spec = build_study(config, regime_cache=cache_root() if use_cache else None)
    result = run_study(spec, source, progress=say) if config.get("comparison", True) else None
    panel = result.panel if result is not None else build_panel(source, spec.frequency, start=spec.history_start)
    context = AnalysisContext(config=config, source=source, panel=panel, result=result)
    analyses = []
    analysis_seconds: dict[str, float] = {}
    if config.get("analyses"):
        expect(say, "analyses", len(config["analyses"]))
    for item in config.get("analyses") or []:
        say("analyses", item["name"])
        t_a = time.perf_counter()
        analyses.append(run_analysis(item, context))
        analysis_seconds[item["name"]] = time.perf_counter() - t_a
    chash = config_hash(config)
    try:
        t_out = time.perf_counter()
        say("tables", "tables and manifest")
        run = RunResult.from_study(result, config, analyses)
        run.save(tmp)
        parts = {"outputs:tables": time.perf_counter() - t_out}
        t_part = time.perf_counter()
        write_analysis_figures(analyses, tmp, figures=config["outputs"]["figures"])
        if config["outputs"]["figures"] and result is not None:
            from experiments.figures.run import write_figures
            write_figures(result, tmp / "figures", progress=say)
        parts["outputs:figures"] = time.perf_counter() - t_part
        timings = dict(result.timings) if result is not None else {}
        timings.update({f"analysis:{k}": v for k, v in analysis_seconds.items()})
        finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        records = list(panel.records) + [r for r in context.records if r not in panel.records]
        run.manifest = write_manifest(result, config, tmp, started, finished, timings, chash, source.name,
                                      panel=panel, records=records)
        if config["outputs"]["report"]:
            from experiments.report import write_report
            say("report", "report.html")
            t_part = time.perf_counter()
            write_report(run, tmp)
            parts["outputs:report"] = time.perf_counter() - t_part
        timings["outputs"] = time.perf_counter() - t_out
        timings.update(parts)
        timings["total"] = time.perf_counter() - t0
        outputs = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file() and p.name != "manifest.json")
        manifest = write_manifest(result, config, tmp, started, finished, timings, chash, source.name,
                                  panel=panel, records=records, outputs=outputs)
        run.manifest = manifest
    except OSError as exc:  # read-only or full disk while writing: one line naming the folder
        raise RunTargetError(f"{run_dir.parent}: cannot write the run directory {run_dir.name} "
                             f"({exc.strerror or exc})") from exc
    return RunOutcome(run_dir=run_dir, config=config, result=result, manifest=manifest, analyses=analyses, run=run)


def _remove_stale(run_dir: Path) -> None:
    """Clean up after killed runs of this directory: remove their temporary folders, and put back a
    finished directory a kill left moved aside in the middle of a replacement.

    The caller holds the directory's lock, and every run creates these folders only while holding it,
    so any that exist now belong to runs that are gone (killed; perhaps still a zombie process).
    """
    for stale in sorted(run_dir.parent.glob(f".{run_dir.name}.old-*")):
        if not os.path.lexists(run_dir):
            os.replace(stale, run_dir)
        elif stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink()
    for stale in run_dir.parent.glob(f".{run_dir.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``; an existing ``target`` is moved aside first and removed afterwards."""
    if os.path.lexists(target):
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
        os.replace(new, target)
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
    else:
        os.replace(new, target)


@contextmanager
def staged_dir(run_dir: str | Path, config: dict, progress: Progress | None = None, force: bool = False,
               protected: Iterable[str | Path] = (), after: Callable[[], None] | None = None
               ) -> Iterator[tuple[Path, Path]]:
    """Check, lock and stage a run directory; rename it into place only on success.

    Before anything is computed (:mod:`experiments.outdir`): the run name, that ``run_dir`` is absent or
    a run directory of this same config (anything else is refused unless ``force``; a path holding one of
    ``protected`` always is), and that its folder is writable. Then the lock on ``run_dir`` is taken and
    held until ``after`` (e.g. the catalog record) has returned, so two runs to one directory are
    serialized. Yields ``(target, tmp)``: the resolved run directory and the hidden temporary folder to
    build it in. On success an older ``target`` is replaced in one rename; on any error (or
    interruption) everything this call created is removed and an existing directory is left as it was.
    """
    say = progress or (lambda stage, detail="": None)
    check_name(config.get("name"))
    target = target_path(run_dir)
    chash = config_hash(config)
    check_target(target, chash, force, protected)
    created = ensure_parent(target)
    try:
        with run_lock(target, on_wait=lambda message: say("waiting", message)):
            check_target(target, chash, force, protected)  # again: the run we waited for may have written it
            _remove_stale(target)
            tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                tmp.mkdir()
            except OSError as exc:
                raise RunTargetError(f"{target.parent}: cannot write the run directory {target.name} "
                                     f"({exc.strerror or exc})") from None
            try:
                yield target, tmp
                if os.path.lexists(target) and not is_run_directory(target):  # only with force: keep it
                    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                    kept = kept_aside_path(target, stamp)
                    os.replace(target, kept)
                    warnings.warn(FactorRegimesWarning(f"{target} was not a run directory: moved to {kept}, "
                                                       "not deleted"), stacklevel=2)
                _replace_dir(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            if after is not None:
                after()
    except BaseException:
        remove_empty(created)
        raise
