"""The replication scoreboard: Barroso & Santa-Clara's figures from the raw files, the Aliyev rows, the
``replicate`` run (scoreboard.json complete and agreeing with the configs' bands), the CLI, the output-folder
protection, and the README block equal to the generator's output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from allocation.stats import sharpe_difference_bootstrap
from experiments import replications
from experiments.analyses import AnalysisContext
from experiments.analyses.replication import replicate_aliyev2025
from experiments.analyses.replication_scoreboard import AS_PUBLISHED
from experiments.analyses.scoreboard import ROW_KEYS
from experiments.analyses.vol_managed import vol_managed_momentum
from experiments.config import load_config
from experiments.scoreboard_page import (
    read_scoreboard,
    readme_block,
    scoreboard_markdown,
)
from plumbing.errors import FactorRegimesError
from regimes.panel import build_panel
from tests import REPO

CONFIGS = REPO / "configs" / "replications"
FAST = ["barroso_santa_clara_2015", "moreira_muir_2017", "aliyev_2025"]


def raw_french(path: Path, column: str) -> pd.Series:
    """One column of the first block of a Ken French CSV, in decimals (own parser, no framework reader)."""
    lines = path.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(","))
    names = [c.strip() for c in lines[header].split(",")]
    dates, values = [], []
    for line in lines[header + 1:]:
        if not re.match(r"^\s*\d{6,8},", line):
            break
        fields = [f.strip() for f in line.split(",")]
        dates.append(fields[0])
        values.append(float(fields[names.index(column)]) / 100)
    if len(dates[0]) == 8:
        return pd.Series(values, index=pd.to_datetime(dates, format="%Y%m%d"))
    return pd.Series(values, index=pd.to_datetime(dates, format="%Y%m") + pd.offsets.MonthEnd(0))


def bands_of(name: str) -> dict[str, dict]:
    """Figure -> {paper, band, why} as written in the study's config (Moreira-Muir: its market row)."""
    params = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())["analyses"][0]["params"]
    figures = params["paper"]["figures"]
    return figures["Mkt-RF"] if name == "moreira_muir_2017" else figures


# ------------------------------------------------------------------------------ Barroso & Santa-Clara
@pytest.fixture(scope="module")
def bsc_output(local_source):
    config = load_config(CONFIGS / "barroso_santa_clara_2015.yaml")
    panel = build_panel(local_source, "monthly", start="1926-07")
    params = dict(config["analyses"][0]["params"], bootstrap_reps=99)
    return vol_managed_momentum(AnalysisContext(config, local_source, panel), **params)


def test_barroso_santa_clara_figures_equal_independent_computation(shared_data: Path, bsc_output) -> None:
    umd = raw_french(shared_data / "F-F_Momentum_Factor.CSV", "Mom")
    daily = raw_french(shared_data / "F-F_Momentum_Factor_daily.CSV", "Mom")
    weight = {}
    for month_end in umd.index:
        past = daily[daily.index <= month_end].to_numpy()[-126:]
        if len(past) == 126:
            weight[month_end] = 0.12 / np.sqrt(252 * np.mean(past ** 2))
    months = umd.loc["1927-03":"2011-12"].index
    previous = [months[0] - pd.offsets.MonthEnd(1), *months[:-1]]
    scaled = pd.Series([weight.get(p, np.nan) for p in previous], index=months) * umd.loc[months]
    scaled = scaled.dropna()
    plain = umd.loc[scaled.index].to_numpy()
    s = scaled.to_numpy()

    def sharpe(r):
        return r.mean() / r.std(ddof=1) * np.sqrt(12)

    def excess_kurtosis(r):  # the unbiased sample estimator (as pandas and Excel define it)
        n, d = len(r), r - r.mean()
        m2, m4 = np.sum(d ** 2), np.sum(d ** 4)
        return n * (n + 1) * (n - 1) / ((n - 2) * (n - 3)) * m4 / m2 ** 2 - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))

    expected = {"sharpe_plain": sharpe(plain), "sharpe_scaled": sharpe(s),
                "gain_scaled_vs_plain": sharpe(s) - sharpe(plain),
                "excess_kurtosis_plain": excess_kurtosis(plain), "excess_kurtosis_scaled": excess_kurtosis(s)}
    assert f"{scaled.index[0]:%Y-%m}" == "1927-05"  # 126 daily returns exist from April 1927
    rows = {r["figure"]: r for r in bsc_output.data["scoreboard"]}
    assert list(rows) == list(bands_of("barroso_santa_clara_2015"))
    for figure, value in expected.items():
        assert rows[figure]["value"] == pytest.approx(value, rel=1e-10, abs=1e-10), figure
    # the Ledoit-Wolf test of scaled against plain is the framework's, on these very series
    stats = bsc_output.data["periods"]["1927-05..2011-12"]["statistics"]["scaled"]
    boot = sharpe_difference_bootstrap(s, plain, reps=99, seed=0)
    assert stats["sharpe_diff_p"] == pytest.approx(boot["p_value"], abs=0)
    assert rows["sharpe_diff_p"]["value"] == stats["sharpe_diff_p"] and rows["dsr_scaled"]["value"] == stats["dsr"]
    assert 0 <= stats["dsr"] <= 1 and stats["sharpe_ci_low"] < stats["sharpe_ci_high"]


def test_barroso_santa_clara_without_paper_gives_no_rows(local_source) -> None:
    config = load_config(REPO / "configs" / "vol_managed_momentum.yaml")
    panel = build_panel(local_source, "monthly", start="1926-07")
    out = vol_managed_momentum(AnalysisContext(config, local_source, panel), periods=[["2000-01", "2010-12"]],
                               bootstrap_reps=0)
    assert out.data["scoreboard"] == [] and "vol_managed_scoreboard" not in out.tables


# ----------------------------------------------------------------------------------------------- Aliyev
def test_aliyev_scoreboard_rows_equal_the_independent_protocol(shared_data: Path, local_source) -> None:
    from tests.experiments.test_replication import _paper_download, _protocol
    config = load_config(CONFIGS / "aliyev_2025.yaml")
    paper = dict(config["analyses"][0]["params"]["paper"])
    paper["figures"] = {k: v for k, v in paper["figures"].items() if "regime_conditioned" not in k}
    ctx = AnalysisContext(config, local_source, build_panel(local_source, "monthly", start="1990-01"))
    out = replicate_aliyev2025(ctx, detectors=[], vintages=[], paper=paper, bootstrap_reps=99)
    expected = _protocol(_paper_download(shared_data))
    rows = {r["figure"]: r for r in out.data["scoreboard"]}
    assert list(rows) == list(paper["figures"])
    for figure in AS_PUBLISHED:
        assert rows[figure]["value"] == pytest.approx(float(expected[figure]), abs=1e-10, rel=0), figure
    test_only = expected["test_only_alpha1"]
    assert rows["gain_test_only_alpha1"]["value"] == pytest.approx(
        test_only["sharpe_dynamic"] - test_only["sharpe_static"], abs=1e-10)
    for r in rows.values():
        band = paper["figures"][r["figure"]]["band"]
        assert r["within"] == (band[0] <= r["value"] <= band[1]), r["figure"]
    # statistics of the test months: the framework's Ledoit-Wolf test on the 0/1 series rebuilt here
    stats = out.data["statistics"]["test months, alpha=1"]["dynamic"]
    assert 0 <= stats["sharpe_diff_p"] <= 1 and 0 <= stats["dsr"] <= 1
    assert rows["sharpe_diff_p_test_only_alpha1"]["value"] == stats["sharpe_diff_p"]
    walk = out.data["statistics"]["walk forward ridge"]["dynamic"]["sharpe_diff_p"]
    assert rows["sharpe_diff_p_walk_forward_ridge"]["value"] == walk
    with pytest.raises(FactorRegimesError, match="not a figure of this study"):
        replicate_aliyev2025(ctx, detectors=[], vintages=[], paper=config["analyses"][0]["params"]["paper"])


# ---------------------------------------------------------------------------------- replicate, scoreboard
@pytest.fixture(scope="module")
def scoreboard(shared_data: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scoreboard") / "out"
    replications.replicate(replications.select(FAST), out, data_dir=shared_data)
    return out


def test_scoreboard_rows_complete_and_within_agrees_with_the_bands(scoreboard: Path) -> None:
    rows = read_scoreboard(scoreboard / "scoreboard.json")
    assert list(dict.fromkeys(r["study"] for r in rows)) == FAST
    for study in FAST:
        bands = bands_of(study)
        mine = [r for r in rows if r["study"] == study]
        assert [r["figure"] for r in mine] == list(bands), study
        for r in mine:
            spec = bands[r["figure"]]
            assert tuple(r) == ROW_KEYS
            assert r["paper"] == (None if spec["paper"] is None else float(spec["paper"]))
            assert [r["band_low"], r["band_high"]] == [float(b) for b in spec["band"]]  # never re-banded
            assert isinstance(r["value"], float) and np.isfinite(r["value"])
            assert r["within"] is (spec["band"][0] <= r["value"] <= spec["band"][1]), (study, r["figure"])
            assert r["note"].startswith("OUTSIDE") == (r["within"] is False)
            assert spec["why"] in r["note"]
    csv = pd.read_csv(scoreboard / "scoreboard.csv")
    assert list(csv.columns) == list(ROW_KEYS) and len(csv) == len(rows)
    # each study's own run directory is in its subfolder, and its rows are the ones it wrote
    bsc = json.loads((scoreboard / "barroso_santa_clara_2015" / "vol_managed_momentum.json").read_text())
    assert bsc["scoreboard"] == [r for r in rows if r["study"] == "barroso_santa_clara_2015"]


def test_scoreboard_page_sections(scoreboard: Path) -> None:
    page = (scoreboard / "index.html").read_text()
    for study in FAST:
        assert f"<h2 id='{study}'>" in page and f"href='{study}/report.html'" in page
        assert (scoreboard / study / "report.html").is_file()
    assert "<img src='barroso_santa_clara_2015/figures/vol_managed_momentum.png'" in page
    assert "not yet reproducible" not in page  # no study is pending any more
    rows = read_scoreboard(scoreboard / "scoreboard.json")
    assert "shu_yu_mulvey_2024" not in {r["study"] for r in rows}  # not run here (tests/experiments/test_shu_yu_mulvey.py)
    manifest = json.loads((scoreboard / "manifest.json").read_text())
    assert set(manifest["seconds_by_study"]) == set(FAST)


def test_scoreboard_folder_replaced_only_by_a_scoreboard(shared_data: Path, scoreboard: Path, tmp_path: Path) -> None:
    (scoreboard / "mine.txt").write_text("not written by replicate")
    with pytest.raises(FactorRegimesError, match="holds files the run did not write"):
        replications.replicate(replications.select(["barroso_santa_clara_2015"]), scoreboard, data_dir=shared_data)
    assert (scoreboard / "mine.txt").read_text() == "not written by replicate"
    (scoreboard / "mine.txt").unlink()
    run_dir = tmp_path / "a_run"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps({"config_hash": "0123456789"}))
    with pytest.raises(FactorRegimesError, match="run directory of a config"):
        replications.replicate(replications.select(["barroso_santa_clara_2015"]), run_dir, data_dir=shared_data,
                               force=True)
    assert (run_dir / "manifest.json").is_file()


def test_select_names_and_refusals() -> None:
    assert [s.name for s in replications.select([])] == replications.STUDIES.names()
    assert set(replications.STUDIES.names()) == {"aliyev_2025", "barroso_santa_clara_2015", "moreira_muir_2017",
                                                  "daniel_moskowitz_2016", "shu_yu_mulvey_2024"}
    assert replications.PENDING == {}
    for study in replications.select([]):
        config = load_config(study.config)
        assert config["name"] == study.name and study.analysis in [a["name"] for a in config["analyses"]]
    with pytest.raises(FactorRegimesError, match="did you mean moreira_muir_2017"):
        replications.select(["moreira_muir_2018"])


# ------------------------------------------------------------------------------------------- CLI, README
def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env_home = cwd / "home"
    env_home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(env_home), "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "experiments.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


def test_cli_replicate_one_study_end_to_end(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "board"
    result = run_cli("replicate", "barroso_santa_clara_2015", "--data-dir", str(shared_data.resolve()), "--out", str(out),
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_scoreboard(out / "scoreboard.json")
    assert {r["study"] for r in rows} == {"barroso_santa_clara_2015"}
    for r in rows:  # the terminal table shows every row with its status
        status = {True: "within", False: "OUTSIDE"}[r["within"]]
        assert re.search(rf"{r['figure']}\s.*{status}", result.stdout), r["figure"]
    assert "not yet reproducible" not in result.stdout and (out / "index.html").is_file()
    # piped: timestamped stage lines on stderr (the study running), the scoreboard on stdout
    assert re.search(r"^\d\d:\d\d:\d\d running: barroso_santa_clara_2015", result.stderr, re.M), result.stderr
    again = run_cli("replicate", "barroso_santa_clara_2015", "--data-dir", str(shared_data.resolve()), "--out", str(out),
                    "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # an earlier scoreboard folder is replaced
    assert again.stderr.strip() == ""  # --quiet: no progress, only the scoreboard
    assert read_scoreboard(out / "scoreboard.json") == rows  # identical data, identical rows


def test_cli_unknown_study_one_line_exit_2(tmp_path: Path) -> None:
    result = run_cli("replicate", "daniel_moskowitz", "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "did you mean daniel_moskowitz_2016" in result.stderr
    assert not (tmp_path / "x").exists()


def test_readme_block_is_the_generated_scoreboard() -> None:
    rows = read_scoreboard(REPO / "results" / "scoreboard.json")
    assert readme_block(REPO / "README.md") == scoreboard_markdown(rows)
    assert {r["study"] for r in rows} == set(replications.STUDIES.names())


def test_force_moves_a_foreign_folder_aside(shared_data: Path, tmp_path: Path) -> None:
    target = tmp_path / "folder"
    target.mkdir()
    (target / "notes.txt").write_text("the user's")
    with pytest.raises(FactorRegimesError, match="not a run directory"):
        replications.replicate(replications.select(["barroso_santa_clara_2015"]), target, data_dir=shared_data)
    with pytest.warns(UserWarning, match="moved to"):
        replications.replicate(replications.select(["barroso_santa_clara_2015"]), target, data_dir=shared_data,
                               force=True)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("folder.kept-")]
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "the user's"
    assert (target / "scoreboard.json").is_file()
