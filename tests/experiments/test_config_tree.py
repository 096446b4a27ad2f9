"""The typed config tree: every key documented, with a default or required; its documentation
(``config schema``, the README table) lists every key and cannot drift."""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path

import pytest
import yaml

from allocation.backtest import Constraints
from allocation.forecasting import ForecastSchedule
from experiments import config_docs
from experiments.cli import main
from experiments.config import build_study, config_hash, load_config
from experiments.config_tree import Config
from experiments.schema import REQUIRED, ConfigError, ListOf
from experiments.study import StudySpec
from regimes.walkforward import Schedule
from tests import REPO
from tests.experiments.test_config import leaf_paths


def _trees(tree: type, seen: list | None = None) -> list[type]:
    """Every dataclass of the tree: sections and items of component lists."""
    seen = [] if seen is None else seen
    seen.append(tree)
    for f in fields(tree):
        rule = f.metadata.get("rule")
        sub = f.default_factory if rule is None else (rule.item if isinstance(rule, ListOf) else None)
        if isinstance(sub, type) and is_dataclass(sub) and sub not in seen:
            _trees(sub, seen)
    return seen


def test_every_key_has_a_one_line_description_and_a_default_or_is_required() -> None:
    for tree in _trees(Config):
        for f in fields(tree):
            doc = f.metadata.get("doc")
            assert isinstance(doc, str) and doc.strip() and "\n" not in doc, f"{tree.__name__}.{f.name}"
            if "rule" in f.metadata:  # a key (a section's default is the section itself)
                assert f.default is not MISSING or f.default_factory is not MISSING, f"{tree.__name__}.{f.name}"
    required = [(t.__name__, f.name) for t in _trees(Config) for f in fields(t) if f.default is REQUIRED]
    assert ("Config", "name") in required and ("DetectorItem", "name") in required


def test_an_item_without_its_required_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nregimes:\n  detectors:\n    - {label: j}\n")
    with pytest.raises(ConfigError, match=r"c\.yaml, line 4: regimes\.detectors\.0: missing key\(s\) name"):
        load_config(path)


def test_a_list_of_unique_values_names_the_repeated_ones_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nregimes:\n  detectors:\n    - name: hmm\n      features: [log_vix, rv, log_vix]\n")
    with pytest.raises(ConfigError, match=r"c\.yaml, line 5: regimes\.detectors\.0\.features: repeated entries: "
                                          r"log_vix \(each may appear once\)"):
        load_config(path)
    path.write_text("name: x\n")
    with pytest.raises(ConfigError, match=r"\(--set targets=\[HML, UMD, HML\]\): targets: repeated entries: HML"):
        load_config(path, ["targets=[HML, UMD, HML]"])


def test_defaults_agree_with_the_objects_they_configure(tmp_path: Path) -> None:
    path = tmp_path / "minimal.yaml"
    path.write_text("name: minimal\n")
    config = load_config(path)
    assert Schedule(**config["regimes"]["schedule"]) == Schedule()
    assert ForecastSchedule(**config["forecasting"]["schedule"]) == ForecastSchedule()
    assert Constraints(**config["allocation"]["constraints"]) == Constraints()
    built = build_study(config)
    for f in fields(StudySpec):  # the study's own defaults, except what only a config states
        if f.name in ("detectors", "regime_cache"):
            continue
        default = f.default if f.default is not MISSING else f.default_factory()
        assert getattr(built, f.name) == default, f.name


def test_config_schema_lists_every_key(capsys) -> None:
    main(["config", "schema"])
    listed = {line.split("  ")[0] for line in capsys.readouterr().out.splitlines() if not line.startswith(" ")}
    path = REPO / "configs" / "quickstart.yaml"
    resolved = load_config(path)
    expected = set(leaf_paths(resolved)) | {"extends"}
    # keys of the items of each component list, as LIST.N.KEY
    for list_path, keys in [("regimes.detectors", ("name", "label", "features", "frequency", "params")),
                            ("forecasting.forecasters", ("name", "label", "params")),
                            ("allocation.allocators", ("name", "assets", "label", "params")),
                            ("analyses", ("name", "params"))]:
        expected |= {f"{list_path}.N.{k}" for k in keys}
    assert listed == expected


def test_config_schema_states_type_default_and_range(capsys) -> None:
    main(["config", "schema"])
    out = capsys.readouterr().out
    assert "allocation.cost_bps  number (0 to 10000)  default 10.0\n    trading cost" in out
    assert "data.source  one of (local, download, sample, csv)  default local" in out
    assert "regimes.detectors.N.name  one of (hmm, jump," in out and "required\n" in out


def test_readme_table_is_the_generated_one() -> None:
    assert config_docs.readme_table(REPO / "README.md") == config_docs.markdown(), \
        "the README's table of config keys is stale: run factor-regimes config schema --readme README.md"


def test_update_readme_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\nbefore\n{config_docs.START}\nold table\n{config_docs.END}\nafter\n")
    config_docs.update_readme(readme)
    text = readme.read_text()
    assert text.startswith("# t\nbefore\n") and text.endswith(f"{config_docs.END}\nafter\n")
    assert config_docs.readme_table(readme) == config_docs.markdown()
    assert text.count("| `allocation.cost_bps` | number | `10.0` | 0 to 10000 |") == 1


def test_config_show_prints_the_resolved_config(capsys, tmp_path: Path) -> None:
    path = REPO / "configs" / "quickstart.yaml"
    main(["config", "show", str(path), "--set", "regimes.detectors[jump].params.jump_penalty=7"])
    out = capsys.readouterr().out
    expected = load_config(path, ["regimes.detectors[jump].params.jump_penalty=7"])
    assert out.startswith(f"# config hash {config_hash(expected)}\n")
    assert yaml.safe_load(out) == expected


def test_config_show_of_a_broken_config_is_one_line_and_exit_2(capsys, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nallocation:\n  cots_bps: 5\n")
    with pytest.raises(SystemExit) as info:
        main(["config", "show", str(path)])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and len(err.splitlines()) == 1
    assert "c.yaml, line 3: allocation.cots_bps: unknown key 'cots_bps'; did you mean 'cost_bps'?" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]
