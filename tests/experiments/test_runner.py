"""One-command runs: every output file, determinism, nothing half-written, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from experiments.config import config_hash, load_config
from experiments.runner import resolve, run_config
from tests import REPO
from tests.experiments.test_cli import run_cli

QUICKSTART = REPO / "configs" / "quickstart.yaml"
EXPECTED = ["config.yaml", "manifest.json", "metrics.csv", "forecast_metrics.csv", "regimes.csv", "returns.csv",
            "weights.csv", "forecasts.csv", "regime_breakdown.csv", "importance.csv", "market.csv", "statistics.json",
            "report.html", "figures"]


@pytest.fixture(scope="module")
def quickstart_runs(tmp_path_factory):
    """The quickstart run twice through the real command line, into two directories; the second recomputes every
    regime path (``--no-cache``), so identical outputs show determinism, not a cache hit."""
    root = tmp_path_factory.mktemp("runs")
    outs = []
    for k, flags in ((1, ()), (2, ("--no-cache",))):
        out = root / f"qs{k}"
        result = run_cli("run", str(QUICKSTART), "--out", str(out), "--runs-dir", str(root), *flags)
        assert result.returncode == 0, result.stderr
        outs.append((out, result))
    return root, outs


def test_quickstart_writes_every_output(quickstart_runs) -> None:
    _, [(out, result), _] = quickstart_runs
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPECTED)
    metrics = pd.read_csv(out / "metrics.csv")
    for col in ("strategy", "target", "regime_model", "forecaster", "allocator", "ann_return", "ann_vol", "sharpe",
                "sortino", "max_drawdown", "calmar", "turnover", "psr", "dsr", "sharpe_diff_p", "spa_consistent"):
        assert col in metrics.columns, col
    assert set(metrics["allocator"]) == {"static", "binary", "vol_target"}
    fm = pd.read_csv(out / "forecast_metrics.csv")
    assert {"target", "model", "forecaster", "regime_model", "benchmark", "nested", "test", "test_reason", "oos_r2",
            "rmse", "hit_rate", "stat", "p_value"} <= set(fm.columns)
    assert set(fm.loc[fm["nested"], "test"]) == {"clark_west"}
    assert set(fm.loc[~fm["nested"], "test"]) <= {"diebold_mariano"}
    regimes = pd.read_csv(out / "regimes.csv", index_col="date")
    assert list(regimes.columns) == ["hmm", "jump"] and regimes.max().max() <= 1
    weights = pd.read_csv(out / "weights.csv")
    assert list(weights.columns) == ["date", "strategy", "asset", "weight"]
    forecasts = pd.read_csv(out / "forecasts.csv")
    assert list(forecasts.columns) == ["date", "target", "model", "forecast", "realized"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sample_data"] and manifest["seed"] == 0
    assert {"numpy", "pandas", "scikit-learn", "hmmlearn"} <= set(manifest["versions"])
    assert all(len(f["sha256"]) == 64 for f in manifest["data_files"])
    assert {"panel", "regimes", "forecasts", "statistics", "outputs", "total"} <= set(manifest["seconds_by_stage"])
    html = (out / "report.html").read_text()
    assert "SAMPLE DATA" in html and "data:image/png;base64," in html and "Data provenance" in html
    assert "<li><b>UMD</b>: static exposure earns a Sharpe ratio" in html
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"regimes_hmm.png", "regimes_comparison.png", "growth_UMD.png", "drawdown_HML.png",
            "rolling_sharpe_UMD.png", "weights_UMD.png", "distributions_hmm.png", "transitions.png",
            "forecasts_UMD.png", "importance_HML.png"} <= figures
    assert "quickstart" in result.stdout and "UMD/static" in result.stdout


def test_the_written_config_loads_back_to_the_same_config_and_hash(quickstart_runs) -> None:
    _, [(out, _), _] = quickstart_runs
    resolved = resolve(QUICKSTART)
    again = load_config(out / "config.yaml")
    assert again == resolved and config_hash(again) == config_hash(resolved)
    assert json.loads((out / "manifest.json").read_text())["config_hash"] == config_hash(again)


def test_report_shows_every_column_of_metrics_csv(quickstart_runs) -> None:
    """The strategies table holds every column of metrics.csv (in a scrolling table whose first column is sticky),
    each strategy by name, and the tearsheets of the selected strategies."""
    _, [(out, _), _] = quickstart_runs
    html = (out / "report.html").read_text()
    start = html.index("<h2>Strategies</h2>")
    table = html[html.index("<table class='sticky'>", start):html.index("</table>", start)]
    header = table[:table.index("</thead>")]
    metrics = pd.read_csv(out / "metrics.csv")
    for col in metrics.columns:
        assert f"<th>{col}</th>" in header, col
    for name in metrics["strategy"]:
        assert f">{name}<" in table, name
    assert "<h2>Tearsheets</h2>" in html and "<b>Yearly returns</b>" in html and "<b>Worst drawdowns</b>" in html


def test_same_config_and_seed_give_identical_outputs(quickstart_runs) -> None:
    _, [(a, _), (b, _)] = quickstart_runs
    cache = json.loads((b / "manifest.json").read_text())["regime_cache"]
    assert cache and "hit" not in cache.values(), cache  # every regime path of the second run was recomputed
    for name in ("metrics.csv", "returns.csv", "weights.csv", "forecasts.csv", "regimes.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_runs_catalog_commands(quickstart_runs) -> None:
    root, _ = quickstart_runs
    listing = run_cli("runs", "list", "--runs-dir", str(root))
    assert listing.returncode == 0 and "quickstart" in listing.stdout and "done" in listing.stdout
    best = run_cli("runs", "best", "--runs-dir", str(root), "--metric", "sharpe")
    assert best.returncode == 0 and "DSR trials: the strategies tried across the catalog for the same target" \
        in " ".join(best.stdout.split())
    lowest = run_cli("runs", "best", "--runs-dir", str(root), "--metric", "turnover", "--top", "1")
    metrics = pd.read_csv(next(p for p in root.iterdir() if p.name == "qs1") / "metrics.csv", index_col=0)
    assert lowest.returncode == 0 and metrics["turnover"].idxmin().split("/")[0] in lowest.stdout
    assert "static" in lowest.stdout  # static holdings trade least
    compare = run_cli("runs", "compare", "quickstart", "--runs-dir", str(root))
    assert compare.returncode == 0 and "UMD/static" in compare.stdout
    missing = run_cli("runs", "compare", "nope", "--runs-dir", str(root))
    assert missing.returncode == 2 and "matches 0 runs" in missing.stderr


def test_a_failing_run_leaves_nothing_that_looks_complete(tmp_path: Path, monkeypatch) -> None:
    import experiments.figures.run as figures

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(figures, "write_figures", boom)
    config = resolve(QUICKSTART, ("evaluation.bootstrap_reps=20", "evaluation.spa_reps=20",
                                  "evaluation.importance_repeats=0"))
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="disk full"):
        run_config(config, out)
    assert list(tmp_path.iterdir()) == []


def test_bad_config_and_out_of_coverage_dates_exit_2(tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("extends: " + str(QUICKSTART) + "\nallocation:\n  alocators: []\n")
    result = run_cli("run", str(typo), "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "typo.yaml, line 3: allocation.alocators: unknown key 'alocators'; did you mean 'allocators'?" in result.stderr
    dates = run_cli("run", str(QUICKSTART), "--set", "data.history_start=1900-01", "--runs-dir", str(tmp_path))
    assert dates.returncode == 2 and "coverage 1926-07-31..2018-11-30" in dates.stderr
    assert not any(p.name.startswith("quickstart") for p in tmp_path.iterdir())
