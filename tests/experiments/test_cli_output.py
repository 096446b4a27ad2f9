"""What the long commands print: progress on stderr (lines when piped), --quiet, the summary's --top, file modes,
and failure messages that name only options that exist."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests import REPO
from tests.experiments.test_faults_runs import tiny_config

STAGE_LINE = re.compile(r"^\d\d:\d\d:\d\d \S")  # written independently of experiments.progress.PROGRESS_LINE


def options_of(*command: str) -> set[str]:
    """Every option name of a command of the command line (read from click, in-process)."""
    from experiments.cli import cli

    node = cli
    for name in command:
        node = node.commands[name]
    return {opt for param in node.params for opt in getattr(param, "opts", [])}


def run_cli(*args: str, cwd: Path, merged: bool = False, umask: int | None = None,
            env: dict | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point with stdout (and stderr, or both merged into one pipe, in order) piped."""
    base = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg", "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-m", "experiments.cli", *args], cwd=cwd, text=True, timeout=300,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merged else subprocess.PIPE,
                          env={**base, **(env or {})},
                          preexec_fn=None if umask is None else (lambda: os.umask(umask)))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """One tiny run piped (stdout and stderr merged, umask 027, --top 2) and the same config with --quiet."""
    folder = tmp_path_factory.mktemp("runs")
    config = tiny_config(folder, figures=True, report=True)
    env = {"FACTOR_REGIMES_CACHE": str(folder / "cache")}  # a cache of its own: the first run computes regimes
    piped = run_cli("run", str(config), "--runs-dir", str(folder / "runs"), "--out", str(folder / "piped"),
                    "--top", "2", cwd=folder, merged=True, umask=0o027, env=env)
    quiet = run_cli("run", str(config), "--runs-dir", str(folder / "runs"), "--out", str(folder / "quiet"),
                    "--top", "2", "--quiet", cwd=folder, env=env)
    return {"folder": folder, "piped": piped, "quiet": quiet}


def test_a_piped_run_prints_timestamped_stage_lines_before_the_summary(runs) -> None:
    result = runs["piped"]
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    stages = [i for i, line in enumerate(lines) if STAGE_LINE.match(line)]
    summary = next(i for i, line in enumerate(lines) if line.startswith("tiny: "))
    assert stages and stages[0] < summary
    names = [lines[i].split(" ", 1)[1].split(":")[0].split(" (")[0] for i in stages]
    for stage in ("panel", "regimes jump", "forecasts", "backtests", "statistics", "figures", "report"):
        assert stage in names, names
    regimes = next(lines[i] for i in stages if " regimes jump" in lines[i])
    manifest = json.loads((runs["folder"] / "piped" / "manifest.json").read_text())
    assert manifest["regime_cache"]["jump"] != "hit"  # computed, so its refits were counted
    assert re.search(r"regimes jump \((\d+) to do\)", regimes), regimes
    assert len(names) == len(set(names)), "one line per stage, not one per item"
    figures = next(lines[i] for i in stages if " figures " in lines[i])
    n_figures = len(list((runs["folder"] / "piped" / "figures").glob("*.png")))
    assert f"figures ({n_figures} to do)" in figures  # every figure of this run was counted in advance


def test_quiet_prints_only_the_summary(runs) -> None:
    quiet, piped = runs["quiet"], runs["piped"]
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert not [line for line in quiet.stdout.splitlines() if STAGE_LINE.match(line)]
    table = [line for line in quiet.stdout.splitlines() if line.startswith(("tiny: ", "│", "..."))]
    piped_table = [line for line in piped.stdout.splitlines() if line.startswith(("tiny: ", "│", "..."))]
    assert table and table == [line.replace(str(runs["folder"] / "piped"), str(runs["folder"] / "quiet"))
                               for line in piped_table]


def test_top_prints_the_best_rows_and_counts_the_rest(runs) -> None:
    out = runs["quiet"].stdout
    metrics = pd.read_csv(runs["folder"] / "quiet" / "metrics.csv", index_col=0)
    best = metrics["sharpe"].sort_values(ascending=False)
    shown = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert sorted(shown) == sorted(best.index[:2])
    assert f"best 2 of {len(metrics)} strategies by Sharpe" in out
    left = len(metrics) - 2
    assert f"... {left} more {'row' if left == 1 else 'rows'} in {runs['folder'] / 'quiet' / 'metrics.csv'}" in out
    for line in out.splitlines():  # one format per column: every ann_return and max_dd cell is a percentage
        if line.startswith("│"):
            cells = [c.strip() for c in line.split("│")[1:-1]]
            assert re.fullmatch(r"-?\d+\.\d\d", cells[1]) and cells[2].endswith("%") and cells[3].endswith("%")


def test_run_outputs_carry_the_users_umask(runs) -> None:
    run_dir = runs["folder"] / "piped"
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"metrics.csv", "report.html", "manifest.json", "config.yaml"}
    modes = {p.relative_to(run_dir).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in files}
    assert set(modes.values()) == {0o640}, modes


def test_fetch_prints_each_failure_once_and_progress_on_stderr(tmp_path: Path) -> None:
    args = ["data", "fetch", "--series", "ff3_monthly", "--series", "mom_monthly", "--cache-dir",
            str(tmp_path / "cache"), "--retries", "1", "--timeout", "5", "--mirror", "french=http://127.0.0.1:9/ftp"]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    both = result.stdout + result.stderr
    for name in ("F-F_Research_Data_Factors_CSV.zip", "F-F_Momentum_Factor_CSV.zip"):
        assert both.count(name) == 1, both  # each reason once
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "2 of 2 downloads failed; ff3_monthly, mom_monthly (reasons above)" in errors[0]
    assert [line for line in result.stderr.splitlines() if STAGE_LINE.match(line)][0].endswith("downloads (2 to do)")
    named = set(re.findall(r"--[a-z][a-z-]+", errors[0]))
    assert named - {"--data-dir"} <= options_of("data", "fetch")  # --data-dir: the other commands' option
    assert "--data-dir" not in named or "--data-dir" in options_of("run")
    quiet = run_cli(*args, "--quiet", cwd=tmp_path)
    assert quiet.returncode == 2 and [line for line in quiet.stderr.splitlines()] == errors


def test_a_missing_data_dir_names_only_options_the_command_has(tmp_path: Path) -> None:
    config = tmp_path / "local.yaml"
    config.write_text(f"extends: {REPO / 'configs' / 'quickstart.yaml'}\nname: local\ndata: {{source: local}}\n")
    env = {"FACTOR_REGIMES_DATA_DIR": ""}
    for command in (["run"], ["regimes", "run"]):
        result = run_cli(*command, str(config), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path, env=env)
        assert result.returncode == 2, result.stderr
        error = result.stderr.strip()
        assert len(error.splitlines()) == 1 and "data directory" in error
        options = set(re.findall(r"--[a-z][a-z-]+", error))
        assert "--data-dir" in options
        assert options <= options_of(*command), f"{' '.join(command)} suggests {options - options_of(*command)}"
    info = run_cli("data", "info", "--source", "local", cwd=tmp_path, env=env)
    assert info.returncode == 2
    assert set(re.findall(r"--[a-z][a-z-]+", info.stderr)) <= options_of("data", "info")


# --- runs list, runs best, regimes list (in-process, wide console) -------------------------------------------


def _out(argv: list[str], capsys, monkeypatch) -> str:
    from experiments import cli
    from experiments.cli import common

    monkeypatch.setattr(common.console, "width", 2000)
    cli.main(argv)
    return capsys.readouterr().out


def _rows(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("│").split("│")] for line in out.splitlines()
            if line.startswith("│")]


def _record(catalog, name: str, source: str, sharpes: dict[str, float], turnover: float = 0.1) -> str:
    import json

    metrics = pd.DataFrame({"sharpe": sharpes, "dsr": 0.5, "n_periods": 180, "turnover": turnover})
    metrics.index.name = "strategy"
    manifest = {"config_hash": name * 10, "name": name, "started": "s", "finished": f"2026-01-0{len(name)}",
                "source": source, "periods_per_year": 12}
    run_dir = catalog.path.parent / name
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    catalog.record_values(run_dir, manifest, metrics, ("2005-02-28", "2016-12-31"))
    return manifest["config_hash"]


def test_runs_list_shows_counts_as_integers_and_a_failed_runs_reason(tmp_path: Path, capsys, monkeypatch) -> None:
    from experiments.catalog import Catalog

    catalog = Catalog(tmp_path)
    _record(catalog, "a", "local", {"UMD/static": 0.3, "UMD/binary/x": 0.5, "HML/static": 0.1})
    catalog.record_failure({"name": "broken", "data": {}}, tmp_path / "broken", ValueError("UMD has no return"))
    out = _out(["runs", "list", "--runs-dir", str(tmp_path)], capsys, monkeypatch)
    rows = {r[1]: r for r in _rows(out)}
    assert rows["a"][6] == "3" and rows["a"][-1] == ""  # 3 strategies, not 3.0; a done run has no reason
    assert rows["broken"][2] == "failed" and rows["broken"][-1] == "ValueError: UMD has no return"
    assert rows["broken"][6] == ""


def test_runs_best_counts_keeps_data_kinds_apart_and_shows_each_column_once(tmp_path: Path, capsys,
                                                                          monkeypatch) -> None:
    from experiments.catalog import Catalog

    catalog = Catalog(tmp_path)
    _record(catalog, "real", "local", {"UMD/static": 0.30, "UMD/binary/x": 0.55})
    _record(catalog, "real2", "local", {"UMD/static": 0.30, "UMD/binary/y": 0.80, "UMD/vol_target": 0.62})
    _record(catalog, "same", "local", {"UMD/static": 0.30})  # nothing new: its one strategy repeats a trial
    _record(catalog, "sampl", "sample", {"UMD/static": 0.90, "UMD/binary/x": 2.50}, turnover=0.01)
    out = _out(["runs", "best", "--runs-dir", str(tmp_path), "--metric", "dsr", "--top", "10"], capsys,
               monkeypatch)
    titles = [line.strip() for line in out.splitlines() if " distinct strategies " in line]
    assert titles == ["published data: top 4 of 4 distinct strategies by dsr (highest first), across 3 runs",
                      "SAMPLE data: top 2 of 2 distinct strategies by dsr (highest first), across 1 run"]
    header_lines = [line for line in out.splitlines() if line.startswith("┃")]
    for line in header_lines:
        cells = [c.strip() for c in line.strip("┃").split("┃")]
        assert len(cells) == len(set(cells)), cells  # each column once (dsr not twice)
        assert "dsr (own run)" in cells and "dsr" not in cells
    published, sample = out.split("SAMPLE data: ", 1)
    assert "sampl" not in published and "real" not in sample
    header = [c.strip() for c in header_lines[0].strip("┃").split("┃")]
    col = header.index("trials")
    assert header[:5] == ["run", "config_hash", "strategy", "dsr (own run)", "sharpe"]
    trials = {r[2]: r[col] for r in _rows(published)}
    assert set(trials.values()) == {"4"}  # UMD/static of three runs is one trial; sample runs are no trials here
    assert {r[2]: r[col] for r in _rows(sample)} == {"UMD/static": "2", "UMD/binary/x": "2"}
    lowest = _out(["runs", "best", "--runs-dir", str(tmp_path), "--metric", "turnover"], capsys, monkeypatch)
    assert "by turnover (lowest first)" in lowest


def test_regimes_list_shows_every_detectors_defaults(capsys, monkeypatch) -> None:
    import inspect

    from regimes.detectors import DETECTORS
    from regimes.specs import DEFAULTS

    out = " ".join(_out(["regimes", "list"], capsys, monkeypatch).split())
    for name in DETECTORS.names():
        framework = DEFAULTS[name][2]
        signature = inspect.signature(DETECTORS.get(name))
        for param in DETECTORS.parameters(name):
            if param in framework:
                expected = f"{param}={framework[param]!r}"
            elif param == "random_state":
                expected = "random_state=evaluation.seed"
            elif signature.parameters[param].default is inspect.Parameter.empty:
                expected = f"{param} (required)"
            else:
                expected = f"{param}={signature.parameters[param].default!r}"
            assert expected in out, (name, expected)
    assert "n_states=2" in out and "jump_penalty=1.0" in out  # the monthly jump penalty, not the estimator's 10
    # what differs on another panel frequency is listed beside the monthly defaults
    assert "daily: features log_vix, dd_log_5; jump_penalty=3.0" in out
    assert "weekly: min_history=104" in out


def test_column_text_uses_one_format_per_column() -> None:
    from experiments.cli.common import column_text

    floats = column_text([0.0123, 12.5, float("nan"), -3.0, None])
    assert floats == ["0.01", "12.50", "", "-3.00", ""]  # three significant digits of 12.5: two decimals for all
    assert column_text([0.0123, 0.5]) == ["0.012", "0.500"]
    assert column_text([3, 1200.0, 7]) == ["3", "1,200", "7"]  # whole numbers print as integers
    assert column_text([0.1234, -0.05], percent=True) == ["12.3%", "-5.0%"]
    assert column_text(["hmm", 1.5]) == ["hmm", "1.50"]  # text is left as it is
    for values in ([0.000123, 0.5], [123456.7, 2.25], [1e-9, 0.0]):
        decimals = {len(t.split(".")[1]) if "." in t else 0 for t in column_text(values)}
        assert len(decimals) == 1, values
