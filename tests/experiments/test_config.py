"""Experiment configs: every shipped config loads; schema errors say what, where and what is allowed."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from experiments.config import build_study, config_hash, dump_config, load_config
from experiments.config_tree import Config
from experiments.schema import ConfigError
from experiments.sweep import plan_sweep
from tests import REPO

CONFIGS = REPO / "configs"


SHIPPED = sorted(p for p in CONFIGS.rglob("*.yaml") if "sweep" not in p.name)


def leaf_paths(value, path: str = "") -> list[str]:
    """Dotted paths of the leaves of a resolved config (mappings walked; lists are leaves)."""
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in leaf_paths(v, f"{path}{k}.")]
    return [path.rstrip(".")]


def test_the_shipped_configs_include_the_replications() -> None:
    assert any(p.parent.name == "replications" for p in SHIPPED) and len(SHIPPED) >= 8


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_config_loads_builds_and_round_trips(path: Path, tmp_path: Path) -> None:
    config = load_config(path)
    spec = build_study(config)
    assert spec.assets and config["name"]
    written = tmp_path / "config.yaml"
    written.write_text(dump_config(config))  # what a run writes (experiments.rundir.write_manifest)
    again = load_config(written)
    assert again == config and config_hash(again) == config_hash(config)
    assert "extends" not in config and list(config) == [f.name for f in fields(Config) if f.name in config]
    # the file states every key of every section: nothing is left to defaults that could change later
    assert set(leaf_paths(yaml.safe_load(written.read_text()))) == set(leaf_paths(config))


def test_shipped_sweeps_expand(tmp_path: Path) -> None:
    for path in CONFIGS.glob("sweep*.yaml"):
        name, runs = plan_sweep(path, tmp_path)
        assert len(runs) >= 2 and len({r.hash for r in runs}) == len(runs)


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_unknown_key_names_key_line_and_close_match(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\ndata:\n  source: sample\n  strat: 2005-01\n")
    with pytest.raises(ConfigError, match=r"c\.yaml, line 4: data\.strat: unknown key 'strat'; did you mean 'start'\?"):
        load_config(path)
    path = _write(tmp_path, "name: x\nregimez: {}\n")
    with pytest.raises(ConfigError, match=r"line 2: regimez: unknown key 'regimez'; did you mean 'regimes'\?"):
        load_config(path)


def test_wrong_types_and_ranges_say_what_is_allowed(tmp_path: Path) -> None:
    cases = {  # line numbers count the "name: x" line written first
        "allocation:\n  cost_bps: -5\n": r"line 3: allocation\.cost_bps: expected a number >= 0, got -5",
        "regimes:\n  schedule:\n    refit_every: twelve\n": r"line 4: regimes\.schedule\.refit_every: expected an integer",
        "regimes:\n  detectors:\n    - {name: hmmm}\n": r"line 4: regimes\.detectors\.0\.name: 'hmmm' is not one of .*did you mean 'hmm'",
        "data:\n  source: web\n": r"line 3: data\.source: 'web' is not one of local, download, sample",
        "targets: UMD\n": r"line 2: targets: expected a list",
        "outputs:\n  figures: yes please\n": r"line 3: outputs\.figures: expected true or false",
    }
    for text, message in cases.items():
        with pytest.raises(ConfigError, match=message):
            load_config(_write(tmp_path, "name: x\n" + text))


def test_bad_dates(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data\.start: expected a date YYYY-MM or YYYY-MM-DD, got 'soon'"):
        load_config(_write(tmp_path, "name: x\ndata: {start: soon}\n"))
    with pytest.raises(ConfigError, match=r"data\.start 2010-01 is after data\.end 2005-12"):
        load_config(_write(tmp_path, "name: x\ndata: {start: 2010-01, end: 2005-12}\n"))


def test_invalid_yaml_and_duplicates(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"c\.yaml, line \d+: invalid YAML"):
        load_config(_write(tmp_path, "name: x\ndata: {source: sample\n"))
    with pytest.raises(ConfigError, match=r"line 3: duplicate key 'name'"):
        load_config(_write(tmp_path, "name: x\ntargets: [UMD]\nname: y\n"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_unknown_component_parameter_is_caught_before_running(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nregimes:\n  detectors:\n    - {name: jump, params: {penalty: 3}}\n")
    with pytest.raises(Exception, match=r"detector 'jump' has no parameter 'penalty'"):
        build_study(load_config(path))


def test_extends_and_set_overrides(tmp_path: Path) -> None:
    _write(tmp_path, "name: base\ndata: {source: sample, start: 2005-01}\nallocation: {cost_bps: 5}\n", "base.yaml")
    child = _write(tmp_path, "extends: base.yaml\nname: child\nallocation: {cost_bps: 20}\n")
    config = load_config(child)
    assert config["name"] == "child" and config["data"]["start"] == "2005-01" and config["allocation"]["cost_bps"] == 20
    assert config["data"]["source"] == "sample"  # from the base
    assert config["allocation"]["allocators"] == [{"name": "binary"}]  # from the defaults
    over = load_config(child, ["allocation.cost_bps=7.5", "targets=[HML]"])
    assert over["allocation"]["cost_bps"] == 7.5 and over["targets"] == ["HML"]
    assert config_hash(over) != config_hash(config)
    with pytest.raises(ConfigError, match=r"allocation\.cost_bps: expected a number"):
        load_config(child, ["allocation.cost_bps=lots"])
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_config(child, ["allocation.cost_bps"])
    _write(tmp_path, "extends: c.yaml\n", "loop.yaml")
    _write(tmp_path, "extends: loop.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config(tmp_path / "c.yaml")
