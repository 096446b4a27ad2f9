"""Every config value addressable by index or component label; runs compared by config hash.

The sweep and runs use the offline sample (``data.source: sample``) with a
small variant of the quickstart (one jump detector, two forecasters, one
allocator, small bootstraps, no figures), so the whole file runs in well
under a minute on two cores.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

import experiments.cli as cli
from experiments.addressing import Label, flatten, split_key
from experiments.catalog import Catalog
from experiments.cli import common
from experiments.compare import differing_parameters
from experiments.config import config_hash, load_config
from experiments.schema import ConfigError
from experiments.sweep import plan_sweep, run_sweep
from tests import REPO, without_progress

QUICKSTART = REPO / "configs" / "quickstart.yaml"
SMALL = {  # fixed for every run: one fast detector, ridge with a fixed alpha (no CV search), one allocator
    "regimes.detectors": "[{name: jump, features: [log_rv, sp500_ret_1m]}]",
    "forecasting.forecasters": "[{name: ridge, params: {param_grid: {}}}, {name: per_regime, params: {base: ridge}}]",
    "allocation.allocators": "[{name: binary}]",
    "evaluation.bootstrap_reps": "50", "evaluation.spa_reps": "50", "evaluation.importance_repeats": "0",
    "outputs.figures": "false", "outputs.report": "false",
}
PENALTY = "regimes.detectors[jump].params.jump_penalty"
ALPHA = "forecasting.forecasters[ridge].params.alpha"
PENALTIES, ALPHAS = [5, 20, 50], [1.0, 100.0]


def _cli(argv: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    """The real command line, in-process, with a console wide enough that no table wraps."""
    monkeypatch.setattr(common.console, "width", 2000)
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    captured = capsys.readouterr()
    return info.value.code, captured.out, without_progress(captured.err)


def _ok(argv: list[str], capsys, monkeypatch) -> str:
    monkeypatch.setattr(common.console, "width", 2000)
    cli.main(argv)  # returns normally on success
    return capsys.readouterr().out


def _cells(out: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is ``first``."""
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in:\n{out}")


def _header(out: str, contains: str) -> list[str]:
    for line in out.splitlines():
        if contains in line and "┃" in line:
            return [c.strip() for c in line.strip().strip("┃").split("┃")]
    raise AssertionError(f"no header with {contains!r} in:\n{out}")


# ---------------------------------------------------------------- keys

def test_keys_split_on_dots_outside_brackets() -> None:
    assert split_key("regimes.detectors[jump].params.jump_penalty", "w") == [
        "regimes", "detectors", Label("jump"), "params", "jump_penalty"]
    assert split_key("forecasting.forecasters[per_regime[ridge]].params.min_weight", "w") == [
        "forecasting", "forecasters", Label("per_regime[ridge]"), "params", "min_weight"]
    assert split_key("a.b[x.y].c", "w") == ["a", "b", Label("x.y"), "c"]  # a dot inside a label is the label's
    assert split_key("regimes.detectors.0.params.n_states", "w") == ["regimes", "detectors", "0", "params", "n_states"]
    for bad, message in [("a.b[x", "unbalanced '\\['"), ("a.b]x", "unbalanced '\\]'"), ("a.b[]", "empty label"),
                         ("[x].a", "starts with a label"), ("a.b[x]c", "after '\\]'"), ("a..b", "empty part"),
                         ("a.b.", "empty part")]:
        with pytest.raises(ConfigError, match=message):
            split_key(bad, "w")


@pytest.mark.parametrize("by_label, by_index", [
    ("regimes.detectors[jump].params.jump_penalty=5", "regimes.detectors.1.params.jump_penalty=5"),
    ("regimes.detectors[hmm].features=[log_rv]", "regimes.detectors.0.features=[log_rv]"),
    ("forecasting.forecasters[ridge].params.cv_splits=3", "forecasting.forecasters.0.params.cv_splits=3"),
    ("forecasting.forecasters[per_regime[ridge]].params.min_weight=12",
     "forecasting.forecasters.2.params.min_weight=12"),
    ("allocation.allocators[vol_target].params.target_vol=0.15", "allocation.allocators.1.params.target_vol=0.15"),
])
def test_a_label_addresses_the_same_item_as_its_index(by_label: str, by_index: str) -> None:
    a, b = load_config(QUICKSTART, [by_label]), load_config(QUICKSTART, [by_index])
    assert a == b and a != load_config(QUICKSTART)


def test_a_label_given_in_the_config_is_the_one_addressed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    text = QUICKSTART.read_text()
    path.write_text(text.replace("    - {name: jump, features", "    - {name: jump, label: j2, features"))
    config = load_config(path, ["regimes.detectors[j2].params.jump_penalty=7"])
    assert config["regimes"]["detectors"][1]["params"] == {"jump_penalty": 7}
    with pytest.raises(ConfigError, match=r"no item of regimes\.detectors is labelled 'jump'.*labels: hmm, j2"):
        load_config(path, ["regimes.detectors[jump].params.jump_penalty=7"])


def _refused(argv: list[str], capsys, monkeypatch, tmp_path: Path, expected: list[str]) -> None:
    code, out, err = _cli(["run", *argv, "--runs-dir", str(tmp_path / "runs")], capsys, monkeypatch)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_unknown_label_is_one_line_naming_the_labels(tmp_path: Path, capsys, monkeypatch) -> None:
    _refused([str(QUICKSTART), "--set", "regimes.detectors[jmp].params.jump_penalty=5"], capsys, monkeypatch,
             tmp_path, ["(--set regimes.detectors[jmp].params.jump_penalty=5)", "no item of regimes.detectors is "
                        "labelled 'jmp'", "did you mean [jump]", "labels: hmm, jump"])
    _refused([str(QUICKSTART), "--set", "forecasting.forecasters[per_regime].params.min_weight=3"], capsys,
             monkeypatch, tmp_path, ["labels: ridge, regime_conditioned[ridge], per_regime[ridge]"])


def test_ambiguous_label_is_one_line_naming_the_items(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(QUICKSTART.read_text().replace("    - {name: jump, features", "    - {name: hmm, features"))
    _refused([str(path), "--set", "regimes.detectors[hmm].params.n_states=3"], capsys, monkeypatch, tmp_path,
             ["2 items of regimes.detectors are labelled 'hmm'", "items 0, 1", "labels: hmm, hmm",
              "regimes.detectors.0"])


def test_unknown_key_under_a_label_names_the_closest_valid_paths(tmp_path: Path, capsys, monkeypatch) -> None:
    _refused([str(QUICKSTART), "--set", "regimes.detectors[jump].params.jump_penalti=5"], capsys, monkeypatch,
             tmp_path, ["regimes.detectors[jump].params.jump_penalti", "'jump' has no parameter 'jump_penalti'",
                        "did you mean 'jump_penalty'",
                        "closest valid paths: regimes.detectors[jump].params.jump_penalty"])
    _refused([str(QUICKSTART), "--set", "allocation.allocators[vol_target].parms.target_vol=0.1"], capsys,
             monkeypatch, tmp_path, ["allocation.allocators[vol_target].parms", "unknown key 'parms'",
                                     "closest valid paths: allocation.allocators[vol_target].params"])
    # a scikit-learn forecaster's regressor parameters are its own: an unknown one names them all
    _refused([str(QUICKSTART), "--set", "forecasting.forecasters[ridge].params.alfa=10"], capsys, monkeypatch,
             tmp_path, ["'ridge' has no parameter 'alfa'", "did you mean 'alpha'", "param_grid, cv_splits, gap",
                        "fit_intercept", "forecasting.forecasters[ridge].params.alpha"])


def test_a_fixed_parameter_the_search_would_override_is_refused(tmp_path: Path, capsys, monkeypatch) -> None:
    _refused([str(QUICKSTART), "--set", f"{ALPHA}=10"], capsys, monkeypatch, tmp_path,
             ["(--set forecasting.forecasters[ridge].params.alpha=10)", "also searched by its default "
              "param_grid", "param_grid: {}"])
    config = load_config(QUICKSTART, [f"{ALPHA}=10", "forecasting.forecasters[ridge].params.param_grid={}"])
    assert config["forecasting"]["forecasters"][0]["params"] == {"alpha": 10, "param_grid": {}}


# ---------------------------------------------------------------- flattening and differences

def test_flatten_keys_components_by_label() -> None:
    flat = flatten(load_config(QUICKSTART, ["regimes.detectors[jump].params.jump_penalty=5"]))
    assert flat["regimes.detectors[jump].params.jump_penalty"] == 5
    assert flat["forecasting.forecasters[per_regime[ridge]].params.base"] == "ridge"
    assert flat["targets"] == ["UMD", "HML"] and flat["data.start"] == "2005-01"


def test_differing_parameters_lists_only_what_differs() -> None:
    a = {"name": "x", "data": {"end": "2016-12", "start": "2005-01"}, "regimes": {"detectors": [{"name": "jump"}]}}
    b = {"name": "x", "data": {"end": "2012-12", "start": "2005-01"},
         "regimes": {"detectors": [{"name": "jump", "params": {"jump_penalty": 5}}]}}
    frame = differing_parameters({"a": a, "b": b})
    assert list(frame.columns) == ["data.end", "regimes.detectors[jump].params.jump_penalty"]
    assert frame.loc["a"].tolist() == ["2016-12", "(absent)"] and frame.loc["b"].tolist() == ["2012-12", "5"]
    assert differing_parameters({"a": a, "b": a}).shape == (2, 0)


# ---------------------------------------------------------------- a sweep over labelled keys

def _sweep_file(tmp_path: Path) -> Path:
    lines = ["name: labelled", f"base: {QUICKSTART}", "set:", *[f"  {k}: {v}" for k, v in SMALL.items()],
             "grid:", f"  {PENALTY}: {PENALTIES}", f"  {ALPHA}: {ALPHAS}"]
    path = tmp_path / "sweep.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_sweep_over_labelled_keys(tmp_path: Path, capsys, monkeypatch) -> None:
    sweep, runs_dir = _sweep_file(tmp_path), tmp_path / "runs"
    _, planned = plan_sweep(sweep, runs_dir)
    assert len(planned) == 6 and len({r.hash for r in planned}) == 6
    for run, (penalty, alpha) in zip(planned, itertools.product(PENALTIES, ALPHAS)):
        detectors, forecasters = run.config["regimes"]["detectors"], run.config["forecasting"]["forecasters"]
        assert detectors == [{"name": "jump", "features": ["log_rv", "sp500_ret_1m"],
                              "params": {"jump_penalty": penalty}}]
        assert forecasters == [{"name": "ridge", "params": {"param_grid": {}, "alpha": alpha}},
                               {"name": "per_regime", "params": {"base": "ridge"}}]
        assert run.config["name"] == f"quickstart,jump.jump_penalty={penalty},ridge.alpha={alpha}"
        assert run.run_dir.name == f"{run.config['name']}-{config_hash(run.config)}"

    rows = run_sweep(sweep, runs_dir, workers=2, max_runs=3)  # (5, 1.0), (5, 100.0), (20, 1.0)
    assert [r["status"] for r in rows] == ["done"] * 3 + ["pending"] * 3
    dirs = [Path(r["run_dir"]) for r in rows[:3]]
    regimes = [pd.read_csv(d / "regimes.csv", index_col="date") for d in dirs]
    forecasts = [pd.read_csv(d / "forecasts.csv").set_index(["date", "target", "model"])["forecast"] for d in dirs]

    def model(k: int, name: str) -> pd.Series:
        return forecasts[k].xs(name, level="model")
    # alpha changes the ridge forecasts only; the jump penalty changes the regimes and the regime-aware forecasts
    pd.testing.assert_frame_equal(regimes[0], regimes[1])
    assert not regimes[0]["jump"].equals(regimes[2]["jump"])
    assert not model(0, "ridge").equals(model(1, "ridge"))
    pd.testing.assert_series_equal(model(0, "ridge"), model(2, "ridge"))
    pd.testing.assert_series_equal(model(0, "per_regime[ridge]@jump"), model(1, "per_regime[ridge]@jump"))
    assert not model(0, "per_regime[ridge]@jump").equals(model(2, "per_regime[ridge]@jump"))

    names = set(Catalog(runs_dir).list()["name"])  # catalog rows show the varied values
    assert names == {planned[k].config["name"] for k in range(3)}

    out = _ok(["runs", "compare", *(r["config_hash"] for r in rows[:3]), "--runs-dir", str(runs_dir)], capsys,
              monkeypatch)
    header = _header(out, PENALTY)
    assert header == ["run", "config_hash", PENALTY, ALPHA]
    for k, (penalty, alpha) in enumerate([(5, 1.0), (5, 100.0), (20, 1.0)]):
        assert _cells(out, planned[k].config["name"]) == [planned[k].config["name"], planned[k].hash, str(penalty),
                                                          str(alpha)]


def test_run_names_of_a_sweep_stay_short_and_distinct(tmp_path: Path) -> None:
    keys = ["allocation.cost_bps", "regimes.schedule.refit_every", "forecasting.schedule.refit_every",
            "allocation.allocators[vol_target].params.target_vol"]
    values = ["[5, 20]", "[6, 12]", "[6, 12]", "[0.1, 0.15]"]
    path = tmp_path / "s.yaml"
    path.write_text(f"base: {QUICKSTART}\ngrid:\n" + "".join(f"  {k}: {v}\n" for k, v in zip(keys, values)))
    _, planned = plan_sweep(path, tmp_path / "runs")
    assert len({r.config["name"] for r in planned}) == 16
    # two refit_every keys: written in full so they stay apart, abbreviated to keep the name within 100 characters
    assert planned[0].config["name"] == ("quickstart,cost_bps=5,r.s.refit_every=6,f.s.refit_every=6,"
                                         "vol_target.target_vol=0.1")
    long = tmp_path / "long.yaml"
    long.write_text(f"base: {QUICKSTART}\ngrid:\n  description: ['{'x' * 200}', '{'y' * 200}']\n"
                    "  allocation.cost_bps: [5, 20]\n")
    _, planned = plan_sweep(long, tmp_path / "runs")
    names = [r.config["name"] for r in planned]
    assert all(len(n) <= 100 for n in names) and len(set(r.hash for r in planned)) == 4
    assert names[0] == "quickstart,description=" + "x" * 31 + "~,cost_bps=5"


# ---------------------------------------------------------------- two runs, one name

def test_compare_two_runs_sharing_a_name_shows_each_run(tmp_path: Path, capsys, monkeypatch) -> None:
    runs_dir = tmp_path / "runs"
    fixed = [arg for k, v in SMALL.items() for arg in ("--set", f"{k}={v}")]
    outs = [tmp_path / "full", tmp_path / "short"]
    for out, end in zip(outs, ["2016-12", "2012-12"]):  # the same config name, different data
        _ok(["run", str(QUICKSTART), *fixed, "--set", f"data.end={end}", "--out", str(out), "--runs-dir",
             str(runs_dir)], capsys, monkeypatch)
    catalog = Catalog(runs_dir).list()
    assert list(catalog["name"]) == ["quickstart", "quickstart"] and catalog["config_hash"].nunique() == 2
    hashes = {str(out): h for out, h in zip(catalog["run_dir"], catalog["config_hash"])}

    out = _ok(["runs", "compare", "quickstart", "--runs-dir", str(runs_dir)], capsys, monkeypatch)
    header = _header(out, "strategy")
    columns = [f"quickstart ({hashes[str(o)]})" for o in outs]
    assert sorted(header[1:]) == sorted(columns)
    for strategy in ("UMD/static", "HML/binary/ridge", "UMD/binary/per_regime[ridge]@jump"):
        cells = dict(zip(header, _cells(out, strategy)))
        for o, column in zip(outs, columns):
            own = pd.read_csv(o / "metrics.csv", index_col=0).loc[strategy, "sharpe"]
            assert cells[column] == f"{own:.3f}", (strategy, column)
        assert cells[columns[0]] != cells[columns[1]]  # different data, different figures: not averaged
    assert _header(out, "data.end")[:3] == ["run", "config_hash", "data.end"]
    rows = [[c.strip() for c in line.strip().strip("│").split("│")] for line in out.splitlines() if "│" in line]
    for o, end in zip(outs, ["2016-12", "2012-12"]):
        assert ["quickstart", hashes[str(o)], end] in [r[:3] for r in rows]

    best = _ok(["runs", "best", "--runs-dir", str(runs_dir), "--top", "50"], capsys, monkeypatch)
    assert all(h in best for h in hashes.values()) and "across 2 runs" in best
