"""Detection-only runs: the regime stage of a config, written as a run directory.

``factor-regimes regimes run CONFIG`` computes every detector of the config
with the same call a full run makes (:func:`experiments.study.detect_study_regimes`
on :func:`experiments.study.regime_data`), so its ``regimes.csv`` holds the
same numbers as the full run's, and writes atomically
(:func:`experiments.runner.staged_dir`):

* ``config.yaml`` - the resolved config;
* ``manifest.json`` - versions, data files with sha256, seed, seconds by stage,
  ``kind: regimes``, the decision dates of the paths, and per detector its
  features, parameters, refit dates and cache status;
* ``regimes.csv`` - index ``date``, one column per detector label: the filtered
  risk-off probability (row t from models fit on data dated <= t);
* ``regime_evaluation.csv`` - one row per detector
  (:func:`regimes.evaluation.evaluation_table` with agreement between detectors);
* ``figures/regimes_<label>.png``, ``figures/regimes_comparison.png``,
  ``figures/transitions.png``;
* ``report.html`` - a short report of the above.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments.config import build_study, config_hash
from experiments.figures.regimes import regime_figure_count, write_regime_figures
from experiments.outdir import RunTargetError
from experiments.progress import expect
from experiments.run_result import FLOAT
from experiments.rundir import write_manifest
from experiments.runner import staged_dir
from experiments.schema import ConfigError
from experiments.study import StudySpec, detect_study_regimes, regime_data
from plumbing.atomic import atomic_write_text
from plumbing.paths import cache_root
from plumbing.threads import capped
from regimes import calendar
from regimes.data import CONFIG_DATA_DIR_HINT, DataSource, NoDataDirectory, make_source
from regimes.evaluation import evaluation_table
from regimes.pipeline import RegimeData, risk_off_table
from regimes.walkforward import RegimePath

Progress = Callable[[str, str], None]
_PERIOD = {"monthly": "month", "weekly": "week", "daily": "day"}
_DELAY_UNIT = {"monthly": "months", "weekly": "weeks", "daily": "trading days"}


@dataclass
class RegimeStage:
    """The regime stage of a config: its study spec, data and one path per detector label."""

    spec: StudySpec
    data: RegimeData
    paths: dict[str, RegimePath]
    timings: dict[str, float]


@dataclass
class RegimeRunOutcome:
    run_dir: Path
    config: dict
    stage: RegimeStage
    evaluation: pd.DataFrame
    manifest: dict


def config_source(config: dict) -> DataSource:
    """The data source a resolved config names (as a full run builds it)."""
    try:
        return make_source(config["data"]["source"], data_dir=config["data"].get("dir"),
                           path=config["data"].get("path"))
    except NoDataDirectory:
        raise ConfigError(f"data.source: local: {CONFIG_DATA_DIR_HINT}") from None


def regime_stage(config: dict, source: DataSource | None = None, use_cache: bool = True,
                 progress: Progress | None = None) -> RegimeStage:
    """Every detector path of a resolved config, exactly as a full run computes them."""
    say = progress or (lambda stage, detail="": None)
    spec = build_study(config, regime_cache=cache_root() if use_cache else None)
    source = source or config_source(config)
    t0 = time.perf_counter()
    say("panel", f"building {spec.frequency} panel")
    data = regime_data(spec, source)
    timings = {"panel": time.perf_counter() - t0}
    t0 = time.perf_counter()
    paths = detect_study_regimes(spec, data, progress=say)
    timings["regimes"] = time.perf_counter() - t0
    return RegimeStage(spec=spec, data=data, paths=paths, timings=timings)


def write_regimes_csv(paths: Mapping[str, RegimePath], file: Path) -> Path:
    """``regimes.csv`` (see module docstring), written as a full run writes it."""
    atomic_write_text(file, risk_off_table(paths).to_csv(float_format=FLOAT))
    return file


def regime_run_dir(config: dict, runs_dir: str | Path = "runs") -> Path:
    """Default folder: ``<runs_dir>/<name>-<config hash>-regimes`` (never a full run's folder)."""
    return Path(runs_dir) / f"{config['name']}-{config_hash(config)}-regimes"


def _detectors(stage: RegimeStage) -> dict:
    out = {}
    for spec in stage.spec.detectors:
        path = stage.paths[spec.label]
        first = path.risk_off.first_valid_index()
        # the features the path used (the panel frequency's defaults when the config names none)
        out[spec.label] = {"name": spec.name, "features": list(path.info.get("features") or spec.features),
                           "frequency": spec.frequency,
                           "params": dict(spec.params), "cache": path.info.get("cache", "off"),
                           "refit_dates": [d.date().isoformat() for d in path.refit_dates],
                           "first_output": None if first is None else first.date().isoformat()}
    return out


@capped
def run_regimes(config: dict, run_dir: Path, progress: Progress | None = None, use_cache: bool = True,
                force: bool = False, protected: tuple = ()) -> RegimeRunOutcome:
    """Run the regime stage of a resolved config and write its run directory (see module docstring).

    The output location is checked, locked and staged exactly as for a full run
    (:func:`experiments.runner.staged_dir`): before anything is computed, and nothing is left behind
    by a failure."""
    say = progress or (lambda stage, detail="": None)
    with staged_dir(run_dir, config, say, force=force, protected=protected) as (target, tmp):
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        t0 = time.perf_counter()
        source = config_source(config)
        stage = regime_stage(config, source, use_cache=use_cache, progress=say)
        paths = list(stage.paths.values())
        table = evaluation_table(paths, agreement=True).rename_axis("detector")
        timings = dict(stage.timings)
        try:
            manifest = _write_outputs(config, stage, table, timings, source, tmp, started, t0, say)
        except OSError as exc:  # read-only or full disk while writing: one line naming the folder
            raise RunTargetError(f"{target.parent}: cannot write the run directory {target.name} "
                                 f"({exc.strerror or exc})") from exc
    return RegimeRunOutcome(run_dir=target, config=config, stage=stage, evaluation=table, manifest=manifest)


def _write_outputs(config: dict, stage: RegimeStage, table: pd.DataFrame, timings: dict, source: DataSource,
                   tmp: Path, started: str, t0: float, say: Progress) -> dict:
    t_out = time.perf_counter()
    say("tables", "regimes.csv and regime_evaluation.csv")
    write_regimes_csv(stage.paths, tmp / "regimes.csv")
    atomic_write_text(tmp / "regime_evaluation.csv", table.to_csv(float_format=FLOAT))
    figures: dict[str, Path] = {}
    if config["outputs"]["figures"]:
        expect(say, "figures", regime_figure_count(stage.paths))
        figures = write_regime_figures(stage.paths, stage.data.panel, tmp / "figures", progress=say)
    dates = stage.data.dates
    extra = {"kind": "regimes", "decision_dates": {"first": dates[0].date().isoformat(),
                                                   "last": dates[-1].date().isoformat(), "n": len(dates),
                                                   "frequency": stage.data.frequency,
                                                   "rule": f"every {_PERIOD[stage.data.frequency]} from "
                                                           "data.history_start to data.end"},
             "regime_cache": {label: p.info.get("cache", "off") for label, p in stage.paths.items()},
             "detectors": _detectors(stage)}
    finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    timings["outputs"] = time.perf_counter() - t_out
    timings["total"] = time.perf_counter() - t0
    manifest = _manifest(config, tmp, started, finished, timings, source, stage, extra)
    if config["outputs"]["report"]:
        say("report", "report.html")
        write_regime_report(config, manifest, table, figures, tmp)
        timings["outputs"] = time.perf_counter() - t_out
        timings["total"] = time.perf_counter() - t0
    extra["outputs"] = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*")
                              if p.is_file() and p.name != "manifest.json")
    return _manifest(config, tmp, started, finished, timings, source, stage, extra)


def _manifest(config, folder, started, finished, timings, source, stage, extra) -> dict:
    manifest = write_manifest(None, config, folder, started, finished, timings, config_hash(config), source.name,
                              panel=stage.data.panel, records=stage.data.records)
    manifest.update(extra)
    atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2, default=str))
    return manifest


def write_regime_report(config: dict, manifest: dict, table: pd.DataFrame, figures: dict[str, Path],
                        folder: Path) -> Path:
    """A short self-contained ``report.html``: what was run, the evaluation table, the figures, provenance."""
    from experiments.report import CSS, _img, _provenance_sections
    from experiments.tables import html_table

    dates = manifest["decision_dates"]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(config['name'])}: regimes"
             f"</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(config['name'])}: regimes only</h1>",
             f"<p class='muted'>{html.escape(config.get('description') or '')} Detection-only run: the regime stage "
             f"of the config, computed as a full run computes it. Config hash {manifest['config_hash']}; seed "
             f"{manifest['seed']}.</p>"]
    if manifest.get("sample_data"):
        parts.append("<div class='banner'><b>SAMPLE DATA.</b> Older vintages shipped by installed packages; these "
                     "paths show how the framework works, not research results.</div>")
    parts += [f"<p>Every detector is refit walk-forward ({_schedule_text(config)}) on data from "
              f"{html.escape(str(config['data']['history_start']))}; the probability at each "
              f"{_PERIOD[dates.get('frequency', 'monthly')]} end "
              f"{dates['first']}..{dates['last']} ({dates['n']} dates) is filtered, from a model fit on data dated "
              "up to that date. <code>regimes.csv</code> holds the risk-off probabilities.</p>",
              "<h2>Regime evaluation</h2>", html_table(table, digits=3),
              "<p class='muted'>Labels: risk-off when the filtered probability exceeds 0.5. switches_per_year, "
              "mean_duration (periods per run of equal labels; the sample cuts the first and last), share_risk_off "
              f"and the crisis delays ({_DELAY_UNIT[dates.get('frequency', 'monthly')]} from the onset to the first "
              "risk-off label within a calendar year) describe each path; "
              "refits, flipped, flip_share, overridden and agreement (consecutive refits on their common history) "
              "its label stability; agreement_with_&lt;detector&gt; the share of common dates on which two "
              "detectors give the same label.</p>"]
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [_img(file, name) for name, file in figures.items()]
    parts += _provenance_sections(config, manifest)
    path = folder / "report.html"
    atomic_write_text(path, "\n".join(parts))
    return path


def _schedule_text(config: dict) -> str:
    s = config["regimes"]["schedule"]
    window = ("expanding window" if s["window"] == "expanding"
              else f"rolling window of {calendar.describe(s['window_length'])}")
    return (f"every {calendar.describe(s['refit_every'], 'decision dates')}, {window}, first fit after "
            f"{calendar.describe(s['min_history'])}, "
            f"labels {'aligned' if s['align_labels'] else 'not aligned'} across refits")
