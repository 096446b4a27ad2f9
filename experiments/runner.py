"""Run one experiment config into one run directory, atomically.

The run is built in a hidden temporary folder beside its destination and
renamed into place only when everything is written, so an interrupted or
failed run leaves nothing that looks complete.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from experiments.analyses import AnalysisContext, AnalysisOutput, run_analysis
from experiments.config import build_study, config_hash, load_config
from experiments.rundir import write_analyses, write_manifest, write_tables
from experiments.study import StudyResult, run_study
from regimes.data.download import cache_root
from regimes.data.sources import make_source
from regimes.panel import build_panel
from regimes.threads import capped

Progress = Callable[[str, str], None]


@dataclass
class RunOutcome:
    run_dir: Path
    config: dict
    result: StudyResult | None
    manifest: dict
    analyses: list[AnalysisOutput] | None = None


def resolve(config_path: str | Path, overrides: tuple[str, ...] = (), data_dir: str | Path | None = None) -> dict:
    """The resolved config, with ``--data-dir`` meaning a local source in that folder."""
    extra = list(overrides)
    if data_dir is not None:
        extra += ["data.source=local", f"data.dir={Path(data_dir)}"]
    return load_config(config_path, tuple(extra))


def default_run_dir(config: dict, runs_dir: str | Path = "runs") -> Path:
    return Path(runs_dir) / f"{config['name']}-{config_hash(config)}"


@capped
def run_config(config: dict, run_dir: Path, progress: Progress | None = None, use_cache: bool = True) -> RunOutcome:
    """Run a resolved config and write its run directory (replacing an older one atomically)."""
    say = progress or (lambda stage, detail="": None)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    data = config["data"]
    source = make_source(data["source"], data_dir=data.get("dir"), path=data.get("path"))
    spec = build_study(config, regime_cache=cache_root() if use_cache else None)
    result = run_study(spec, source, progress=say) if config.get("comparison", True) else None
    panel = result.panel if result is not None else build_panel(source, "monthly", start=spec.history_start)
    context = AnalysisContext(config=config, source=source, panel=panel, result=result)
    analyses = []
    analysis_seconds: dict[str, float] = {}
    for item in config.get("analyses") or []:
        say("analyses", item["name"])
        t_a = time.perf_counter()
        analyses.append(run_analysis(item, context))
        analysis_seconds[item["name"]] = time.perf_counter() - t_a
    run_dir = Path(run_dir)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = run_dir.parent / f".{run_dir.name}.tmp-{os.getpid()}"
    _remove_stale(run_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        t_out = time.perf_counter()
        say("outputs", "tables")
        if result is not None:
            write_tables(result, tmp)
        write_analyses(analyses, tmp, figures=config["outputs"]["figures"])
        if config["outputs"]["figures"] and result is not None:
            from experiments.figures.run import write_figures
            say("outputs", "figures")
            write_figures(result, tmp / "figures")
        timings = dict(result.timings) if result is not None else {}
        timings.update({f"analysis:{k}": v for k, v in analysis_seconds.items()})
        finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        records = list(panel.records) + [r for r in context.records if r not in panel.records]
        manifest = write_manifest(result, config, tmp, started, finished, timings, config_hash(config), source.name,
                                  panel=panel, records=records)
        if config["outputs"]["report"]:
            from experiments.report import write_report
            say("outputs", "report")
            write_report(result, config, manifest, tmp, analyses=analyses)
        timings["outputs"] = time.perf_counter() - t_out
        timings["total"] = time.perf_counter() - t0
        manifest = write_manifest(result, config, tmp, started, finished, timings, config_hash(config), source.name,
                                  panel=panel, records=records)
        _replace_dir(tmp, run_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return RunOutcome(run_dir=run_dir, config=config, result=result, manifest=manifest, analyses=analyses)


def _remove_stale(run_dir: Path) -> None:
    """Delete temporary folders of this run left by processes that no longer exist (killed runs)."""
    for stale in run_dir.parent.glob(f".{run_dir.name}.tmp-*"):
        try:
            pid = int(stale.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except PermissionError:
            pass  # alive, another user's


def _replace_dir(new: Path, target: Path) -> None:
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)
