"""One regime pipeline: every entry point draws the same paths; detection-only runs; plot file names.

The entry points run as a user runs them (the real command line in a subprocess), each recomputing its
paths (``--no-cache``), on ``configs/regime_comparison.yaml`` restricted with ``--set`` to a short history
and few refits (all of its detectors are kept).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.progress import PROGRESS_LINE
from tests import REPO
from tests.experiments.test_cli import run_cli

ROOT = REPO
CONFIG = ROOT / "configs" / "regime_comparison.yaml"
SHORT = ("--set", "data.history_start=2005-01", "--set", "data.start=2010-01", "--set", "data.end=2014-12",
         "--set", "regimes.schedule.min_history=36", "--set", "regimes.schedule.refit_every=24")
#: Settings that keep the full run short; they change nothing in the regime stage.
LIGHT = ("--set", "forecasting.forecasters=[{name: ridge}]", "--set", "allocation.allocators=[{name: binary}]",
         "--set", "forecasting.schedule.min_train=36", "--set", "evaluation.bootstrap_reps=20",
         "--set", "evaluation.spa_reps=20", "--set", "evaluation.importance_repeats=0",
         "--set", "outputs.figures=false", "--set", "outputs.report=false")
PLOT_START = "2009-06"
FILES = ["config.yaml", "manifest.json", "regimes.csv", "regime_evaluation.csv", "report.html"]


def _labels() -> list[str]:
    detectors = yaml.safe_load(CONFIG.read_text())["regimes"]["detectors"]
    return [d.get("label") or d["name"] for d in detectors]


@pytest.fixture(scope="module")
def entry_points(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same config through ``run``, ``regimes run`` and ``regimes plot --config --start``."""
    base = tmp_path_factory.mktemp("entry_points")
    data = ("--data-dir", str(shared_data))
    out = {"run": base / "run", "regimes_run": base / "regimes_run", "plot": base / "plot"}
    results = [
        run_cli("run", str(CONFIG), "--out", str(out["run"]), "--runs-dir", str(base / "runs"), "--no-cache",
                *data, *SHORT, *LIGHT),
        run_cli("regimes", "run", str(CONFIG), "--out", str(out["regimes_run"]), "--no-cache", *data, *SHORT),
        run_cli("regimes", "plot", "--config", str(CONFIG), "--start", PLOT_START, "--out", str(out["plot"]),
                "--no-cache", *data, *SHORT),
    ]
    for result in results:
        assert result.returncode == 0, result.stderr
    return out


def _csv_text(path: Path) -> pd.DataFrame:
    """A regimes CSV as the text of its cells (so equality is equality of the written numbers)."""
    return pd.read_csv(path, index_col="date", dtype=str, keep_default_na=False)


def test_run_regimes_run_and_plot_give_identical_paths_for_every_detector(entry_points) -> None:
    labels = _labels()
    run = _csv_text(entry_points["run"] / "regimes.csv")
    detection = _csv_text(entry_points["regimes_run"] / "regimes.csv")
    (plot_csv,) = entry_points["plot"].glob("regimes_comparison-*.csv")
    plot = _csv_text(plot_csv)
    assert list(run.columns) == list(detection.columns) == list(plot.columns) == labels
    written = {name: (entry_points[name] / "regimes.csv").read_bytes() for name in ("run", "regimes_run")}
    assert written["run"] == written["regimes_run"]
    # the walk covers the whole history from data.history_start; --start only crops what is drawn
    assert run.index[0] == "2005-01-31" and run.index[-1] == "2014-12-31"
    assert plot.index[0] == "2009-06-30" and plot.index[-1] == "2014-12-31"
    pd.testing.assert_frame_equal(plot, run.loc[plot.index])
    for label in labels:  # not a comparison of empty columns: every detector has output in the drawn window
        values = pd.to_numeric(plot[label], errors="coerce")
        assert values.notna().sum() >= 48 and values.between(0, 1).all() == values.notna().all()


def test_plot_without_config_walks_the_same_dates_whatever_it_draws(entry_points, shared_data: Path,
                                                                    tmp_path: Path) -> None:
    """The old fault: the plot took its decision dates from --start, so its refits and paths differed."""
    run = _csv_text(entry_points["run"] / "regimes.csv")
    drawn = {}
    for start in ("2009-06", "2012-01"):
        out = tmp_path / start
        result = run_cli("regimes", "plot", "--detector", "hmm", "--history-start", "2005-01", "--end", "2014-12",
                         "--refit-every", "24", "--min-history", "36", "--start", start, "--out", str(out),
                         "--no-cache", "--data-dir", str(shared_data))
        assert result.returncode == 0, result.stderr
        (csv,) = out.glob("regimes_hmm-*.csv")
        drawn[start] = _csv_text(csv)
        assert drawn[start].index[0] == pd.Timestamp(start).to_period("M").end_time.date().isoformat()
    for frame in drawn.values():
        pd.testing.assert_series_equal(frame["hmm"], run.loc[frame.index, "hmm"])


def test_regimes_run_writes_every_listed_file(entry_points, shared_data: Path) -> None:
    folder = entry_points["regimes_run"]
    labels = _labels()
    for name in FILES:
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, name
    figures = sorted(p.name for p in (folder / "figures").iterdir())
    assert {f"regimes_{label}.png" for label in labels} | {"regimes_comparison.png"} <= set(figures)
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
    config = yaml.safe_load((folder / "config.yaml").read_text())
    assert [d["name"] for d in config["regimes"]["detectors"]] == labels
    assert config["data"]["history_start"] == "2005-01" and config["regimes"]["schedule"]["refit_every"] == 24
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "regimes" and manifest["seed"] == 0 and manifest["versions"]["numpy"]
    assert {"panel", "regimes", "outputs", "total"} <= set(manifest["seconds_by_stage"])
    assert manifest["decision_dates"]["first"] == "2005-01-31" and manifest["decision_dates"]["n"] == 120
    files = {Path(r["path"]).name: r["sha256"] for r in manifest["data_files"]}
    for name in ("F-F_Research_Data_Factors.CSV", "VIX_History.csv"):
        assert files[name] == hashlib.sha256((shared_data / name).read_bytes()).hexdigest()
    assert manifest["detectors"]["hmm"]["refit_dates"] == ["2007-12-31", "2009-12-31", "2011-12-31", "2013-12-31"]
    report = (folder / "report.html").read_text()
    assert "Regime evaluation" in report and report.count("<img") == len(figures) and "agreement_with_jump" in report


def _runs(labels: np.ndarray) -> list[int]:
    lengths, count = [], 1
    for a, b in zip(labels[:-1], labels[1:]):
        if a == b:
            count += 1
        else:
            lengths.append(count)
            count = 1
    return lengths + [count]


def test_regime_evaluation_matches_the_written_paths(entry_points) -> None:
    folder = entry_points["regimes_run"]
    paths = pd.read_csv(folder / "regimes.csv", index_col="date", parse_dates=True)
    table = pd.read_csv(folder / "regime_evaluation.csv", index_col="detector")
    assert list(table.index) == list(paths.columns)
    for label in paths.columns:
        p = paths[label].dropna()
        labels = (p > 0.5).astype(int).to_numpy()
        years = (p.index[-1] - p.index[0]).days / 365.25
        row = table.loc[label]
        assert row["share_risk_off"] == pytest.approx(labels.mean())
        assert row["switches_per_year"] == pytest.approx(np.count_nonzero(np.diff(labels)) / years)
        assert row["mean_duration"] == pytest.approx(np.mean(_runs(labels)))
        assert row["refits"] == 4
        for other in paths.columns:
            both = paths[[label, other]].dropna()
            agree = ((both[label] > 0.5) == (both[other] > 0.5)).mean()
            assert row[f"agreement_with_{other}"] == pytest.approx(agree)
    assert (table["agreement_with_hmm"].drop("hmm") < 1).any()  # detectors do disagree: the column is informative


def test_crisis_analysis_draws_the_paths_of_the_run(entry_points, shared_data: Path) -> None:
    from experiments.analyses import AnalysisContext
    from experiments.analyses.crisis import crisis_study
    from experiments.runner import resolve
    from regimes.data.sources import LocalSource
    from regimes.panel import build_panel

    config = resolve(CONFIG, tuple(SHORT[1::2]), shared_data)
    source = LocalSource(shared_data)
    ctx = AnalysisContext(config=config, source=source, panel=build_panel(source, "monthly", start="2005-01"))
    windows = [{"name": "GFC", "start": "2008-09-01", "end": "2009-03-31"},
               {"name": "euro", "start": "2011-07-15", "end": "2012-06-30"}]
    out = crisis_study(ctx, windows=windows, detectors=[{"name": "hmm"}, {"name": "garch"}])
    run = pd.read_csv(entry_points["run"] / "regimes.csv", index_col="date", parse_dates=True)
    shares = out.tables["crisis_regimes"].set_index(["crisis", "detector"])["share_risk_off"]
    for w in windows:
        month_ends = run.loc[w["start"]: pd.Timestamp(w["end"]) + pd.offsets.MonthEnd(0)]
        for label in ("hmm", "garch"):
            assert shares[(w["name"], label)] == pytest.approx((month_ends[label] > 0.5).mean(), abs=0)


def test_replication_conditions_on_the_paths_of_the_run(entry_points, shared_data: Path, monkeypatch) -> None:
    import experiments.analyses.replication as replication
    from experiments.analyses import AnalysisContext
    from experiments.runner import resolve
    from regimes.data.sources import LocalSource
    from regimes.panel import build_panel

    class Seen(Exception):
        pass

    def capture(model, X, y, dates, schedule, regimes=None, name=None, target=None):
        if regimes is None:
            return real(model, X, y, dates, schedule, name=name, target=target)
        raise Seen(regimes)

    real = replication.forecast_walk_forward
    monkeypatch.setattr(replication, "forecast_walk_forward", capture)
    config = resolve(CONFIG, tuple(SHORT[1::2]), shared_data)
    source = LocalSource(shared_data)
    ctx = AnalysisContext(config=config, source=source, panel=build_panel(source, "monthly", start="2005-01"))
    data = replication.paper_dataset(ctx.panel.frame, "2011-01", "2014-12")
    with pytest.raises(Seen) as seen:
        replication._walk_forward(ctx, data, ["jump"], seed=0)
    path = seen.value.args[0]
    written = _csv_text(entry_points["run"] / "regimes.csv")["jump"]
    assert list(path.risk_off.index.strftime("%Y-%m-%d")) == list(written.index)
    assert [("" if v != v else "%.10g" % v) for v in path.risk_off] == list(written)


def test_a_bad_config_exits_2_on_one_line_and_leaves_nothing(shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nregimes:\n  detectors:\n    - {name: hmm, params: {n_statez: 3}}\n")
    runs = tmp_path / "runs"
    result = run_cli("regimes", "run", str(bad), "--runs-dir", str(runs), "--data-dir", str(shared_data))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
    assert "n_statez" in result.stderr and "line 4" in result.stderr
    assert not runs.exists()
    # a config that fails while computing (too little history for a first fit) leaves an older run untouched
    from experiments.config import config_hash
    from experiments.runner import resolve
    sets = ("data.history_start=2014-01", "data.start=2014-01", "data.end=2014-12")
    out = tmp_path / "kept"
    out.mkdir()
    (out / "marker").write_text("older run")  # an older run directory of the same config
    (out / "manifest.json").write_text(json.dumps({"config_hash": config_hash(resolve(CONFIG, sets, shared_data)),
                                                   "outputs": ["marker"]}))
    late = run_cli("regimes", "run", str(CONFIG), "--out", str(out), "--data-dir", str(shared_data), "--no-cache",
                   *[arg for item in sets for arg in ("--set", item)])
    # progress lines written before the failure are no error lines
    errors = [line for line in late.stderr.strip().splitlines() if not PROGRESS_LINE.match(line)]
    assert late.returncode == 2 and len(errors) == 1 and "min_history" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "kept"]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "marker"]


def test_two_plots_with_different_parameters_do_not_overwrite_each_other(shared_data: Path, tmp_path: Path) -> None:
    common = ("regimes", "plot", "--detector", "jump", "--history-start", "2005-01", "--end", "2014-12",
              "--min-history", "36", "--refit-every", "24", "--start", "2009-01", "--out", str(tmp_path),
              "--data-dir", str(shared_data))
    first = run_cli(*common, "--param", "jump.jump_penalty=5")
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    second = run_cli(*common, "--param", "jump.jump_penalty=50")
    assert second.returncode == 0, second.stderr
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert {k: after[k] for k in before} == before  # the first plot's files are untouched
    new = sorted(set(after) - set(before))
    assert [Path(n).suffix for n in new] == [".csv", ".png"]
    assert all(n.startswith("regimes_jump_jump_penalty=50-") for n in new)
    assert all(n.startswith("regimes_jump_jump_penalty=5-") for n in before)
    csvs = [_csv_text(tmp_path / n) for n in sorted(after) if n.endswith(".csv")]
    assert not csvs[0].equals(csvs[1])  # a different penalty gives a different path, kept in its own file


def test_a_detection_run_that_fails_while_writing_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    import experiments.regime_run as regime_run
    from experiments.runner import resolve

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(regime_run, "write_regime_figures", boom)
    config = resolve(ROOT / "configs" / "quickstart.yaml")
    with pytest.raises(RuntimeError, match="disk full"):
        regime_run.run_regimes(config, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_path_summary_measures_no_delay_for_an_onset_outside_the_path() -> None:
    from regimes.evaluation import path_summary

    dates = pd.date_range("2009-06-30", periods=24, freq="ME")
    risk_off = pd.Series(np.r_[np.full(12, 0.9), np.full(12, 0.1)], index=dates)
    s = path_summary(risk_off, onsets={"before": "2008-09-30", "inside": "2009-09-30", "after": "2012-01-31"})
    assert np.isnan(s["delay_before"]) and s["delay_inside"] == 0 and np.isnan(s["delay_after"])
    assert s["mean_duration"] == 12 and s["mean_duration_risk_off"] == 12
