"""Sweeps: local pool and Dask agree; an interrupted sweep resumes without redoing finished runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.sweep import run_sweep
from tests import REPO

QUICKSTART = REPO / "configs" / "quickstart.yaml"
FAST = {  # a quick variant of the quickstart: one fast detector, small bootstraps, no figures
    "regimes.detectors": "[{name: jump, features: [log_rv, sp500_ret_1m]}]",
    "forecasting.forecasters": "[{name: ridge}, {name: regime_only}]",
    "allocation.allocators": "[{name: binary}]",
    "evaluation.bootstrap_reps": 50, "evaluation.spa_reps": 50, "evaluation.importance_repeats": 0,
    "outputs.figures": "false", "outputs.report": "false",
}


def _sweep_file(tmp_path: Path) -> Path:
    lines = ["name: tiny", f"base: {QUICKSTART}", "set:"] + [f"  {k}: {v}" for k, v in FAST.items()] + [
        "grid:", "  allocation.cost_bps: [5, 20]", "  forecasting.schedule.refit_every: [6, 12]"]
    path = tmp_path / "sweep.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _metrics(rows: list[dict]) -> dict[str, pd.DataFrame]:
    return {r["config_hash"]: pd.read_csv(Path(r["run_dir"]) / "metrics.csv", index_col=0) for r in rows}


def test_dask_local_cluster_matches_local_pool(tmp_path: Path) -> None:
    sweep = _sweep_file(tmp_path)
    local = run_sweep(sweep, tmp_path / "local", executor="local", workers=2)
    dask = run_sweep(sweep, tmp_path / "dask", executor="dask", workers=2)
    assert [r["status"] for r in local] == ["done"] * 4 and [r["status"] for r in dask] == ["done"] * 4
    a, b = _metrics(local), _metrics(dask)
    assert a.keys() == b.keys()
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key])


def test_interrupted_sweep_resumes_with_only_the_rest(tmp_path: Path) -> None:
    sweep = _sweep_file(tmp_path)
    runs = tmp_path / "runs"
    events: list[tuple[str, str]] = []
    first = run_sweep(sweep, runs, max_runs=2, on_event=lambda e, r, d: events.append((e, r.hash)))
    assert [r["status"] for r in first].count("done") == 2
    done_first = {h for e, h in events if e == "done"}
    stamps = {r["config_hash"]: (Path(r["run_dir"]) / "manifest.json").stat().st_mtime_ns
              for r in first if r["status"] == "done"}
    events.clear()
    second = run_sweep(sweep, runs, on_event=lambda e, r, d: events.append((e, r.hash)))
    assert [r["status"] for r in second] == ["done"] * 4
    ran_now = {h for e, h in events if e == "done"}
    assert ran_now.isdisjoint(done_first) and len(ran_now) == 2
    assert {h for e, h in events if e == "skip"} == done_first
    for h, stamp in stamps.items():  # finished runs were not touched
        run_dir = next(Path(r["run_dir"]) for r in second if r["config_hash"] == h)
        assert (run_dir / "manifest.json").stat().st_mtime_ns == stamp


def test_killed_sweep_resumes_without_redoing_or_losing_runs(tmp_path: Path) -> None:
    """SIGKILL the sweep after its second finished run; the resume runs only what had not finished."""
    import os
    import signal
    import subprocess
    import sys
    import time

    sweep = _sweep_file(tmp_path)
    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "sweep", str(sweep), "--runs-dir", str(runs),
                             "--workers", "1"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    done = 0
    deadline = time.monotonic() + 300
    while done < 2 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        done += line.startswith("done")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done == 2
    finished = {p.name for p in runs.iterdir() if (p / "manifest.json").is_file()}
    assert len(finished) >= 2
    stamps = {name: (runs / name / "manifest.json").stat().st_mtime_ns for name in finished}
    events: list[tuple[str, str]] = []
    rows = run_sweep(sweep, runs, on_event=lambda e, r, d: events.append((e, r.run_dir.name)))
    assert [r["status"] for r in rows] == ["done"] * 4
    redone = {name for e, name in events if e == "done"} & finished
    assert not redone, f"finished runs were run again: {redone}"
    assert len({name for e, name in events if e == "done"}) == 4 - len(finished)
    for name, stamp in stamps.items():
        assert (runs / name / "manifest.json").stat().st_mtime_ns == stamp
    assert not [p for p in runs.iterdir() if ".tmp-" in p.name], "no half-written run is left behind"


def test_finished_runs_missing_from_the_catalog_are_recorded_not_redone(tmp_path: Path) -> None:
    sweep = _sweep_file(tmp_path)
    runs = tmp_path / "runs"
    first = run_sweep(sweep, runs)
    assert [r["status"] for r in first] == ["done"] * 4
    (runs / "catalog.sqlite").unlink()  # as if the sweep had been killed after the runs, before recording them
    events: list[str] = []
    again = run_sweep(sweep, runs, on_event=lambda e, r, d: events.append(e))
    assert events == ["skip"] * 4 and [r["status"] for r in again] == ["done"] * 4
    # recorded from metrics.csv (10 significant digits) instead of from memory
    assert [r["best_sharpe"] for r in again] == pytest.approx([r["best_sharpe"] for r in first], rel=1e-8)


def test_the_sweeps_shared_data_gives_what_each_run_reads_itself(tmp_path: Path) -> None:
    """The sweep reads each distinct data source once; a run fed that source writes the same metrics and
    records the same files (names, sha256) as the same config run on its own."""
    import json

    from experiments import sweep as sweep_module
    from experiments.runner import run_config
    from experiments.sweep import _run_one, _shared_sources, plan_sweep

    _, planned = plan_sweep(_sweep_file(tmp_path), tmp_path / "runs")
    shared = _shared_sources(planned)
    assert list(shared) == [sweep_module._source_key(planned[0].config)]  # four runs, one data source
    source = next(iter(shared.values()))
    assert {"ff3_monthly", "sp500"} <= set(source._loaded)  # read once, here, before any run
    run = planned[0]
    _run_one(run.config, str(run.run_dir), source)
    alone = run_config(run.config, tmp_path / "alone")
    mine = json.loads((run.run_dir / "manifest.json").read_text())["data_files"]
    theirs = json.loads((alone.run_dir / "manifest.json").read_text())["data_files"]
    assert mine == theirs and all(r["sha256"] for r in mine)
    pd.testing.assert_frame_equal(pd.read_csv(run.run_dir / "metrics.csv", index_col=0),
                                  pd.read_csv(alone.run_dir / "metrics.csv", index_col=0))
