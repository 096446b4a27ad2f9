"""Fault corpus for configs and sweep files: every broken input is one clear error, before any computation.

Each refused case runs the command line (``run`` or ``sweep``) on a config
built in ``tmp_path`` from the shipped quickstart (offline sample data, so
nothing heavy could run even if validation let it through) and asserts: exit
status 2, exactly one line on standard error naming the file (or ``--set``
option) and the key or line, no traceback, and nothing written to the runs
folder or anywhere else in ``tmp_path``.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from experiments.cli import main
from experiments.config import load_config
from experiments.schema import ConfigError
from tests import REPO, without_progress

CONFIGS = REPO / "configs"
QUICKSTART = (CONFIGS / "quickstart.yaml").read_text()


def _laughs(levels: int = 9) -> str:
    """The 'billion laughs' document: each level lists ten aliases of the previous one (10**9 values)."""
    lines = ["name: laughs", "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _with(section: str) -> str:
    """The quickstart with extra top-level YAML appended (a later duplicate key would be refused, so
    the cases below only add sections the quickstart does not set, or replace it whole)."""
    return QUICKSTART + section


# (case id, config file content, extra CLI arguments, substrings the one error line must contain)
RUN_CASES = [
    ("billion_laughs", _laughs(), [], ["c.yaml, line", "expands to more than"]),
    ("deep_nesting", "name: deep\ndescription: " + "[" * 300 + "]" * 300 + "\n", [], ["c.yaml, line 2", "nested deeper"]),
    ("file_too_large", "name: big\n" + "# padding\n" * 120_000, [], ["c.yaml", "larger than"]),
    ("non_utf8_bytes", b"name: x\ndescription: caf\xe9 cr\xe8me\n", [], ["c.yaml, line 2", "not UTF-8"]),
    ("control_character", "name: x\ndescription: a\x07b\n", [], ["c.yaml, line 2", "invalid YAML", "#x0007"]),
    ("nan_in_file", QUICKSTART.replace("cost_bps: 10", "cost_bps: .nan"), [],
     ["c.yaml, line", "allocation.cost_bps", "NaN"]),
    ("inf_via_set", QUICKSTART, ["--set", "allocation.static_weight=.inf"],
     ["c.yaml (--set allocation.static_weight=.inf)", "allocation.static_weight"]),
    ("nan_in_component_params", QUICKSTART.replace("target_vol: 0.12", "target_vol: .NaN"), [],
     ["c.yaml, line", "allocation.allocators.1.params.target_vol"]),
    ("minus_inf_constraint", _with("\n"), ["--set", "allocation.constraints.max_weight=-.inf"],
     ["allocation.constraints.max_weight"]),
    ("int_too_large_for_float", QUICKSTART, ["--set", "allocation.cost_bps=1" + "0" * 400],
     ["allocation.cost_bps", "too large"]),
    ("duplicate_forecaster_labels", QUICKSTART.replace("    - {name: ridge}\n",
                                                       "    - {name: ridge}\n    - {name: ridge, params: {cv_splits: 3}}\n"),
     [], ["c.yaml, line 22", "forecasting.forecasters.1", "label 'ridge'"]),
    ("exact_duplicate_forecasters", QUICKSTART.replace("    - {name: ridge}\n", "    - {name: ridge}\n    - {name: ridge}\n"),
     [], ["c.yaml, line 22", "forecasting.forecasters.1", "exact duplicate"]),
    ("duplicate_regime_forecaster_labels", QUICKSTART.replace(
        "    - {name: per_regime, params: {base: ridge}}\n",
        "    - {name: per_regime, params: {base: ridge}}\n    - {name: per_regime, params: {base: ridge, min_weight: 12}}\n"),
     [], ["forecasting.forecasters.3", "per_regime[ridge]"]),
    ("duplicate_detector_labels", QUICKSTART.replace("    - {name: jump, features", "    - {name: jump, label: hmm, features"),
     [], ["c.yaml, line 17", "regimes.detectors.1", "label 'hmm'"]),
    ("duplicate_allocator_labels", QUICKSTART, ["--set", "allocation.allocators=[{name: binary}, {name: binary, params: {scale: 0.5}}]"],
     ["--set allocation.allocators=", "allocation.allocators.1", "label 'binary'"]),
    ("duplicate_targets", QUICKSTART.replace("targets: [UMD, HML]", "targets: [UMD, HML, UMD]"), [],
     ["c.yaml, line 11", "targets", "UMD"]),
    ("duplicate_features", QUICKSTART, ["--set", "features=[UMD, rv, rv]"], ["features", "rv"]),
    ("reserved_allocator_label", QUICKSTART, ["--set", "allocation.allocators=[{name: binary, label: static}]"],
     ["allocation.allocators.0", "'static'"]),
    ("label_with_separator", QUICKSTART, ["--set", "regimes.detectors.0.label=hmm@2"],
     ["regimes.detectors.0", "may not contain @"]),
    ("huge_seed", _with("\n").replace("seed: 0", "seed: 123456789012345678901234567890"), [],
     ["c.yaml, line", "evaluation.seed", "<= 4294967295"]),
    ("exponent_read_as_text", QUICKSTART, ["--set", "regimes.detectors.0.params.tol=1e-4"],
     ["--set regimes.detectors.0.params.tol=1e-4", "regimes.detectors.0.params.tol", "YAML reads it as text"]),
    ("huge_component_seed", QUICKSTART, ["--set", "regimes.detectors.0.params.random_state=18446744073709551616"],
     ["regimes.detectors.0.params.random_state", "expected a seed"]),
    ("huge_bootstrap", QUICKSTART, ["--set", "evaluation.bootstrap_reps=1000000000000"], ["evaluation.bootstrap_reps"]),
    ("impossible_date_in_file", QUICKSTART.replace("start: 2005-01", "start: 2005-02-30"), [],
     ["c.yaml, line 9", "2005-02-30"]),
    ("impossible_date_via_set", QUICKSTART, ["--set", "data.end=2016-02-30"], ["--set data.end=2016-02-30", "2016-02-30"]),
    ("month_13", QUICKSTART, ["--set", "data.start=2005-13"], ["data.start", "2005-13"]),
    ("start_after_end_same_year", QUICKSTART.replace("end: 2016-12", "end: 2005-02").replace("start: 2005-01", "start: 2005-03-15"),
     [], ["c.yaml, line", "data.start 2005-03-15 is after data.end 2005-02"]),
    ("set_whole_section_empty", QUICKSTART, ["--set", "data={}"], ["--set data={}", "data: missing key(s) source"]),
    ("set_list_index_out_of_range", QUICKSTART, ["--set", "regimes.detectors.5.name=hmm"],
     ["--set regimes.detectors.5.name=hmm", "index 0..1"]),
    ("set_below_a_value", QUICKSTART, ["--set", "name.first=x"], ["--set name.first=x", "not a section"]),
    ("set_invalid_yaml", QUICKSTART, ["--set", "targets=[UMD"], ["--set targets=[UMD", "invalid YAML"]),
    ("unknown_component_parameter", QUICKSTART.replace("{name: jump, features: [log_rv, sp500_ret_1m]}",
                                                       "{name: jump, features: [log_rv, sp500_ret_1m], params: {penalty: 3}}"),
     [], ["c.yaml, line 17", "regimes.detectors.1", "has no parameter 'penalty'"]),
    ("component_parameter_out_of_range", QUICKSTART.replace("{name: jump, features: [log_rv, sp500_ret_1m]}",
                                                            "{name: jump, features: [log_rv, sp500_ret_1m], params: {jump_penalty: -1}}"),
     [], ["c.yaml, line 17", "regimes.detectors.1", "jump_penalty must be a finite number >= 0"]),
    ("component_parameter_wrong_type", QUICKSTART.replace("target_vol: 0.12", "target_vol: high"), [],
     ["c.yaml, line 28", "allocation.allocators.1.params.target_vol", "'high'"]),
    ("sklearn_parameter_rejected", QUICKSTART, ["--set", "forecasting.forecasters.0.params={alpha: -1}"],
     ["forecasting.forecasters.0", "alpha"]),
    ("unknown_detector_feature", QUICKSTART.replace("{name: hmm, features: [log_rv, sp500_ret_1m]}",
                                                    "{name: hmm, features: [log_rv, vol_of_vol]}"),
     [], ["c.yaml, line 16", "regimes.detectors.0", "vol_of_vol"]),
    ("detector_features_empty", QUICKSTART, ["--set", "regimes.detectors.0.features=[]"],
     ["regimes.detectors.0.features", "an empty list"]),
    ("ensemble_members_not_a_list", QUICKSTART, ["--set", "regimes.detectors=[{name: ensemble, params: {members: 5}}]"],
     ["regimes.detectors.0.params.members", "expected a list of detectors"]),
    ("rolling_window_without_length", QUICKSTART, ["--set", "forecasting.schedule.window=rolling"],
     ["forecasting.schedule", "window_length"]),
    ("data_dir_ignored_by_source", QUICKSTART.replace("  source: sample\n", "  source: sample\n  dir: /somewhere\n"), [],
     ["c.yaml, line 8", "data.dir", "source 'local'"]),
    ("analysis_parameter_wrong_type", QUICKSTART, ["--set", "analyses=[{name: vol_managed_momentum, params: {target_vol: high}}]"],
     ["analyses.0.params.target_vol", "'high'"]),
    ("non_text_key", "name: x\n? [a, b]\n: 1\n", [], ["c.yaml, line 2", "is not text"]),
    ("python_object_tag", "name: !!python/object/apply:os.system [echo hi]\n", [], ["c.yaml, line 1", "invalid YAML"]),
    ("extends_missing_file", "extends: nowhere.yaml\nname: x\n", [], ["c.yaml, line 1", "extends", "nowhere.yaml"]),
    ("config_is_a_folder", None, [], ["is a folder"]),
    # names checked against the data before anything is written (no run folder, no catalog record)
    ("target_not_in_the_data", QUICKSTART, ["--set", "targets=[UMD, XYZ]"],
     ["--set targets=[UMD, XYZ]", "targets.1", "'XYZ' is not a column of the data"]),
    ("benchmark_not_in_the_data", QUICKSTART, ["--set", "benchmarks=[SPY]"], ["benchmarks.0", "'SPY'"]),
    ("feature_not_in_the_data", QUICKSTART.replace("features: [UMD, HML, sp500_ret, rv]",
                                                   "features: [UMD, HML, sp500_ret, nosuch]"), [],
     ["c.yaml, line 12", "features.3", "'nosuch' is neither a registered feature"]),
    ("start_past_the_data", QUICKSTART, ["--set", "data.start=2030-01", "--set", "data.end=2031-12"],
     ["--set data.start=2030-01", "data.start", "no decision dates"]),
    ("history_start_before_the_data", QUICKSTART, ["--set", "data.history_start=1800-01"],
     ["--set data.history_start=1800-01", "data.history_start", "outside the factor data's coverage"]),
    ("data_dir_missing", QUICKSTART, ["--set", "data.source=local", "--set", "data.dir=/nonexistent/data"],
     ["/nonexistent/data", "data directory not found"]),
    ("extra_csv_missing", QUICKSTART, ["--set", "data.extra_csv=[/nonexistent/extra.csv]"],
     ["/nonexistent/extra.csv", "file not found"]),
    # values that gave a traceback, or silently dropped what was asked for
    ("cost_bps_huge", QUICKSTART, ["--set", "allocation.cost_bps=1.0e+300"],
     ["allocation.cost_bps", "<= 10000"]),
    ("static_weight_huge", QUICKSTART, ["--set", "allocation.static_weight=1.0e+300"],
     ["allocation.static_weight", "<= 10"]),
    ("no_detector_for_regime_forecasters", QUICKSTART, ["--set", "regimes.detectors=[]"],
     ["c.yaml, line 22", "forecasting.forecasters.1: regime_conditioned", "regimes.detectors is empty"]),
    ("no_detector_for_a_regime_allocator", QUICKSTART,
     ["--set", "regimes.detectors=[]", "--set", "forecasting.forecasters=[{name: ridge}]",
      "--set", "allocation.allocators=[{name: regime_tilt}]"],
     ["allocation.allocators.0", "regime_tilt uses regime probabilities"]),
    ("name_with_an_invisible_format_character", QUICKSTART.replace("name: quickstart", 'name: "quick\\u202estart"'),
     [], ["c.yaml: name:", "not a valid run name"]),
    ("extends_itself", "extends: c.yaml\nname: x\n", [], ["c.yaml", "'extends' forms a cycle"]),
    ("month_13_in_end_via_set", QUICKSTART, ["--set", "data.end=2005-13"], ["--set data.end=2005-13", "data.end"]),
]


def _run_cli(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code, without_progress(capsys.readouterr().err)


def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _assert_refused(code: int, err: str, expected: list[str], root: Path, before: set[str]) -> None:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    assert _listing(root) == before, "something was written"


@pytest.mark.parametrize("case", RUN_CASES, ids=[c[0] for c in RUN_CASES])
def test_broken_config_is_one_clear_error(tmp_path: Path, capsys, case) -> None:
    _, content, extra, expected = case
    path = tmp_path / "c.yaml"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    before = _listing(tmp_path)
    started = time.perf_counter()
    code, err = _run_cli(["run", str(path), "--runs-dir", str(tmp_path / "runs"), *extra], capsys)
    _assert_refused(code, err, expected, tmp_path, before)
    assert time.perf_counter() - started < 5, "validation must not compute anything"


SWEEP_CASES = [
    ("grid_nan", "grid:\n  allocation.cost_bps: [5, .nan]\n", ["s.yaml, line", "grid.allocation.cost_bps.1", "NaN"]),
    ("grid_unknown_key", "grid:\n  allocation.cots_bps: [5, 20]\n",
     ["s.yaml, line 3 (grid allocation.cots_bps=5)", "did you mean 'cost_bps'"]),
    ("grid_repeated_values", "grid:\n  allocation.cost_bps: [5, 20, 5]\n", ["s.yaml, line 3", "repeated value(s) 5"]),
    ("grid_key_also_set", "set: {allocation.cost_bps: 3}\ngrid:\n  allocation.cost_bps: [5, 20]\n",
     ["s.yaml, line 4", "also given in 'set' (line 2)"]),
    ("grid_too_large", "grid:\n" + "".join(f"  k{i}.x: [{', '.join(map(str, range(20)))}]\n" for i in range(4)),
     ["s.yaml", "more than 10,000 runs"]),
    ("set_bad_seed", "set: {evaluation.seed: -1}\ngrid:\n  allocation.cost_bps: [5, 20]\n",
     ["s.yaml, line 2 (set evaluation.seed)", "evaluation.seed"]),
    ("unknown_executor", "executor: slurm\ngrid:\n  allocation.cost_bps: [5, 20]\n", ["s.yaml, line 2", "executor"]),
    ("grid_name_escapes_the_runs_folder", "grid:\n  name: ['../x', y]\n",
     ["s.yaml, line 3 (grid name=../x)", "is a path, not a name"]),
    ("grid_cost_huge", "grid:\n  allocation.cost_bps: [5, 1.0e+300]\n",
     ["s.yaml, line 3 (grid allocation.cost_bps=1.0e+300)", "<= 10000"]),
    ("grid_point_duplicate_components", "grid:\n  forecasting.forecasters: [[{name: ridge}, {name: ridge}]]\n",
     ["s.yaml, line 3", "forecasting.forecasters.1", "exact duplicate"]),
]


@pytest.mark.parametrize("case", SWEEP_CASES, ids=[c[0] for c in SWEEP_CASES])
def test_broken_sweep_is_one_clear_error(tmp_path: Path, capsys, case) -> None:
    _, body, expected = case
    path = tmp_path / "s.yaml"
    path.write_text(f"base: {CONFIGS / 'quickstart.yaml'}\n" + body)
    before = _listing(tmp_path)
    code, err = _run_cli(["sweep", str(path), "--runs-dir", str(tmp_path / "runs")], capsys)
    _assert_refused(code, err, expected, tmp_path, before)


def test_billion_laughs_is_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(_laughs())
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ConfigError, match="expands to more than"):
            load_config(path)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_valid_inputs_that_look_unusual_are_accepted(tmp_path: Path) -> None:
    # a start and end in the same month (the end means the whole month)
    path = tmp_path / "c.yaml"
    path.write_text(QUICKSTART.replace("start: 2005-01", "start: 2010-03-15").replace("end: 2016-12", "end: 2010-03"))
    config = load_config(path)
    assert (str(config["data"]["start"]), config["data"]["end"]) == ("2010-03-15", "2010-03")
    # anchors and aliases used moderately, a byte-order mark, and extends, together
    (tmp_path / "base.yaml").write_text("\ufeff" + QUICKSTART)
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\nallocation:\n  allocators:\n"
                     "    - &vt {name: vol_target, params: {target_vol: 0.1}}\n"
                     "    - {<<: *vt, label: vt2}\n")
    config = load_config(child)
    assert config["allocation"]["allocators"] == [{"name": "vol_target", "params": {"target_vol": 0.1}},
                                                  {"name": "vol_target", "params": {"target_vol": 0.1}, "label": "vt2"}]
    assert config["data"]["source"] == "sample" and config["name"] == "child"
    # --set reaches into a list item
    config = load_config(child, ["allocation.allocators.1.params.target_vol=0.2"])
    assert config["allocation"]["allocators"][1]["params"] == {"target_vol": 0.2}


def test_errors_name_the_file_that_set_the_key(tmp_path: Path) -> None:
    """A bad value inherited through ``extends`` is reported at its own file and line."""
    (tmp_path / "base.yaml").write_text(QUICKSTART.replace("cost_bps: 10", "cost_bps: 10\n  static_weight: 1.0"))
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\nallocation:\n  allocators:\n    - {name: binary}\n"
                     "    - {name: binary, label: other}\n    - {name: sign, label: other}\n")
    with pytest.raises(ConfigError, match=r"child\.yaml, line 7: allocation\.allocators\.2: label 'other'"):
        load_config(child)
    with pytest.raises(ConfigError, match=r"child\.yaml \(--set allocation\.static_weight=\.nan\): "
                                          r"allocation\.static_weight"):
        load_config(child, ["allocation.static_weight=.nan", "allocation.allocators=[{name: binary}]"])


QUICK_RUN = {  # the quickstart made small: one fast detector, two forecasters, no figures or report
    "regimes.detectors": "[{name: jump, features: [log_rv, sp500_ret_1m]}]",
    "forecasting.forecasters": "[{name: ridge}, {name: regime_only}]",
    "allocation.allocators": "[{name: binary}]",
    "evaluation.bootstrap_reps": "50", "evaluation.spa_reps": "50", "evaluation.importance_repeats": "0",
    "outputs.figures": "false", "outputs.report": "false",
}


def test_end_date_past_the_data_is_stated_and_recorded(tmp_path: Path, capsys) -> None:
    """The sample's monthly panel ends in 2018; asking for 2030 runs to the data's end and says so."""
    path = tmp_path / "c.yaml"
    path.write_text(QUICKSTART)
    args = [a for k, v in QUICK_RUN.items() for a in ("--set", f"{k}={v}")]
    main(["run", str(path), "--runs-dir", str(tmp_path / "runs"), "--set", "data.end=2030-12", *args])
    out = capsys.readouterr().out
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    last_return = (run_dir / "returns.csv").read_text().strip().splitlines()[-1].split(",")[0]
    from regimes.data import make_source
    from regimes.panel import build_panel
    data_end = build_panel(make_source("sample"), "monthly", start="1999-01").frame.index[-1].date().isoformat()
    decided = manifest["decision_dates"]
    assert decided["clipped"] is True and decided["requested"] == ["2005-01", "2030-12"]
    assert decided["used"] == ["2005-01-31", data_end] and data_end < "2030" and last_return <= data_end
    lines = [line for line in out.splitlines() if "data.end 2030-12 is past the data" in line]
    assert len(lines) == 1 and f"decision dates used 2005-01-31..{data_end}" in lines[0], out
    assert decided["note"] in manifest["data_notes"]


def test_long_extends_chain_and_device_files_are_refused(tmp_path: Path, capsys) -> None:
    for i in range(25):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n" if i < 24 else QUICKSTART)
    before = _listing(tmp_path)
    code, err = _run_cli(["run", str(tmp_path / "c0.yaml"), "--runs-dir", str(tmp_path / "runs")], capsys)
    _assert_refused(code, err, ["c20.yaml", "more than 20 files in the 'extends' chain"], tmp_path, before)
    code, err = _run_cli(["run", "/dev/null", "--runs-dir", str(tmp_path / "runs")], capsys)
    _assert_refused(code, err, ["/dev/null: not a regular file"], tmp_path, before)


def test_a_sweep_run_refused_by_the_data_says_why(tmp_path: Path, capsys) -> None:
    """A run of a sweep that stops on a data error reports that error, not a crashed worker pool
    (the error used to be unpicklable, which the pool reported as 'BrokenProcessPool')."""
    path = tmp_path / "s.yaml"
    path.write_text(f"base: {CONFIGS / 'quickstart.yaml'}\n"
                    "set: {evaluation.bootstrap_reps: 10, evaluation.spa_reps: 10, evaluation.importance_repeats: 0,"
                    " outputs.figures: false, outputs.report: false}\n"
                    "grid:\n  targets: [[XYZ]]\n")
    code, err = _run_cli(["sweep", str(path), "--runs-dir", str(tmp_path / "runs"), "--workers", "1"], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert "'XYZ' is not a panel column" in lines[0] and "BrokenProcessPool" not in lines[0], lines[0]


def test_data_errors_cross_process_boundaries_intact() -> None:
    import pickle

    from plumbing.errors import DataError, DownloadError, SeriesMismatch
    for error in (DataError("f.csv", "bad", 3), SeriesMismatch(None, "other series"),
                  DownloadError("https://example.org/x.zip", "refused", None)):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert (copy.path, copy.message, copy.line, str(copy)) == (error.path, error.message, error.line, str(error))
