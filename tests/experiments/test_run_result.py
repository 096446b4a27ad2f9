"""The run result object: the run directory is its serialized form (save -> load gives back every frame), and
the report and README blocks read from a loaded result equal those of the fresh run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.analyses import REPORTS
from experiments.report import write_report
from experiments.results import render
from experiments.run_result import TABLES, RunResult
from experiments.runner import resolve, run_config
from tests import REPO

QUICKSTART = REPO / "configs" / "quickstart.yaml"


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory, shared_data):
    """The quickstart on the real data with two analyses (one with strategy tables from the comparison)."""
    root = tmp_path_factory.mktemp("run_result")
    config = resolve(QUICKSTART, ("analyses=[{name: vol_managed_momentum}, {name: crisis_study, params: "
                                  "{detectors: [{name: vix_threshold}], windows: [{name: GFC, start: 2008-09-01, "
                                  "end: 2009-03-31}, {name: Covid, start: 2020-02-15, end: 2020-04-30}]}}]",
                                  "data.end=2021-12", "evaluation.bootstrap_reps=50", "evaluation.spa_reps=50",
                                  "evaluation.importance_repeats=1"),
                     data_dir=shared_data)
    outcome = run_config(config, root / "run")
    return outcome


def _same_json(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def assert_same_result(a: RunResult, b: RunResult) -> None:
    assert a.config == b.config and _same_json(a.manifest, b.manifest)
    for attr in TABLES:
        pd.testing.assert_frame_equal(getattr(a.comparison, attr), getattr(b.comparison, attr), check_exact=True)
    assert _same_json(a.comparison.statistics, b.comparison.statistics)
    assert [x.name for x in a.analyses] == [x.name for x in b.analyses]
    for x, y in zip(a.analyses, b.analyses):
        assert sorted(x.tables) == sorted(y.tables) and _same_json(x.data, y.data)
        for stem in x.tables:
            pd.testing.assert_frame_equal(x.tables[stem], y.tables[stem], check_exact=True)


def test_load_gives_back_the_fresh_result(fresh_run) -> None:
    loaded = RunResult.load(fresh_run.run_dir)
    assert_same_result(fresh_run.run, loaded)
    assert [x.name for x in loaded.analyses] == ["vol_managed_momentum", "crisis_study"]


def test_loaded_frames_hold_the_runs_numbers(fresh_run) -> None:
    """Against the live study result: returns, weights and strategy keys, to the 10 digits a file keeps."""
    study, loaded = fresh_run.result, RunResult.load(fresh_run.run_dir).comparison
    for name, bt in study.backtests.items():
        np.testing.assert_allclose(loaded.returns[name].to_numpy(), bt.returns.reindex(loaded.returns.index),
                                   rtol=1e-9, atol=1e-15)
        w = loaded.weights[loaded.weights["strategy"] == name].pivot(index="date", columns="asset", values="weight")
        np.testing.assert_allclose(w[bt.weights.columns].to_numpy(), bt.weights.reindex(w.index).to_numpy(),
                                   rtol=1e-9, atol=1e-15)
    assert loaded.keys == study.keys  # the key columns of metrics.csv give back every field
    assert all(name == key.label for name, key in loaded.keys.items())
    assert loaded.window == study.window
    assert loaded.statistics["pbo"]["pbo"] == pytest.approx(study.pbo["pbo"], rel=1e-12)


def test_save_then_load_round_trips_and_writes_the_same_files(fresh_run, tmp_path) -> None:
    loaded = RunResult.load(fresh_run.run_dir)
    loaded.save(tmp_path)
    assert_same_result(loaded, RunResult.load(tmp_path))
    names = [name for name, _ in TABLES.values()] + ["statistics.json", "manifest.json", "config.yaml"]
    for out in loaded.analyses:
        names += [f"{stem}.csv" for stem in out.tables] + [REPORTS[out.name].json_name]
    for name in names:
        assert (tmp_path / name).read_bytes() == (Path(fresh_run.run_dir) / name).read_bytes(), name


def test_report_from_a_loaded_result_equals_the_fresh_report(fresh_run, tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(fresh_run.run_dir, copy)
    (copy / "report.html").unlink()
    write_report(RunResult.load(copy), copy)
    fresh = (Path(fresh_run.run_dir) / "report.html").read_text()
    assert (copy / "report.html").read_text() == fresh
    for out in fresh_run.run.analyses:  # every analysis's own section, in the config's order
        assert f"<h2>{REPORTS[out.name].title}</h2>" in fresh
    assert fresh.index(REPORTS["vol_managed_momentum"].title) < fresh.index(REPORTS["crisis_study"].title)
    assert "monthly net excess returns, times sqrt(12)" in fresh


def test_readme_blocks_come_from_the_loaded_result(fresh_run) -> None:
    text = render([Path(fresh_run.run_dir)])
    metrics = fresh_run.result.metrics
    umd = metrics[(metrics["target"] == "UMD") & (metrics["allocator"] != "static")]
    assert f"| {umd['sharpe'].idxmax()} |" in text
    assert "**Volatility-managed momentum**" in text and "**Factor behaviour in crises**" in text
    assert text.index("Strategy comparison") < text.index("Volatility-managed") < text.index("crises")
