"""Sweeps: local pool and Dask agree; an interrupted sweep resumes without redoing finished runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.sweep import run_sweep

QUICKSTART = Path(__file__).resolve().parent.parent / "configs" / "quickstart.yaml"
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
