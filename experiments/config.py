"""Experiment configs: load YAML (with ``extends:`` and ``--set`` overrides), validate, build a study.

A config file states only what differs from the defaults (:data:`DEFAULTS`)
or from the file it ``extends`` (a path relative to it). Loading keeps each
key's line number, so an error names the file and line. The resolved config
(defaults + bases + file + overrides) is what a run records and hashes.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from allocation.allocators import ALLOCATORS
from allocation.backtest import Constraints
from allocation.forecasters import FORECASTERS
from allocation.forecasting import ForecastSchedule
from experiments.schema import (
    Bool,
    Choice,
    ConfigError,
    Date,
    Int,
    ListOf,
    MapOf,
    Num,
    Str,
    validate,
)
from experiments.study import StudySpec
from regimes.detectors import DETECTORS
from regimes.specs import DetectorSpec
from regimes.walkforward import Schedule

def _analysis_names() -> list[str]:
    from experiments.analyses import ANALYSES
    return ANALYSES.names()


DETECTOR_ITEM = {"name": Choice(DETECTORS.names), "label": Str(nullable=True), "features": ListOf(Str()),
                 "frequency": Choice(["monthly", "daily"], nullable=True), "params": MapOf()}
COMPONENT = {"label": Str(nullable=True), "params": MapOf()}

SCHEMA: dict[str, Any] = {
    "name": Str(),
    "description": Str(nullable=True),
    "extends": Str(nullable=True),
    "data": {"source": Choice(["local", "download", "sample"]), "dir": Str(nullable=True),
             "start": Date(), "end": Date(nullable=True), "history_start": Date(),
             "frequency": Choice(["monthly"]), "extra_csv": ListOf(Str())},
    "targets": ListOf(Str(), min_items=1),
    "benchmarks": ListOf(Str()),
    "total_returns": Bool(),
    "features": ListOf(Str(), min_items=1),
    "regimes": {"schedule": {"refit_every": Int(1), "window": Choice(["expanding", "rolling"]),
                             "window_length": Int(2, nullable=True), "min_history": Int(2),
                             "align_labels": Bool(), "align_override": Num(0)},
                "detectors": ListOf(DETECTOR_ITEM), "cache": Bool(), "share": Bool()},
    "forecasting": {"schedule": {"refit_every": Int(1), "window": Choice(["expanding", "rolling"]),
                                 "window_length": Int(2, nullable=True), "min_train": Int(2)},
                    "forecasters": ListOf({"name": Choice(FORECASTERS.names), **COMPONENT})},
    "allocation": {"static_weight": Num(), "cost_bps": Num(0),
                   "allocators": ListOf({"name": Choice(ALLOCATORS.names), "assets": Choice(["each", "all"]),
                                         **COMPONENT}),
                   "constraints": {"long_only": Bool(), "max_weight": Num(0, nullable=True),
                                   "max_gross": Num(0, nullable=True), "fully_invested": Bool(),
                                   "max_turnover": Num(0, nullable=True), "adjustment": Num(0, 1)},
                   "vol_window_days": Int(10)},
    "evaluation": {"seed": Int(0), "bootstrap_reps": Int(0), "spa_reps": Int(0), "importance_repeats": Int(0)},
    "outputs": {"figures": Bool(), "report": Bool()},
    "comparison": Bool(),
    "analyses": ListOf({"name": Choice(_analysis_names), "params": MapOf()}),
}

DEFAULTS: dict[str, Any] = {
    "description": None,
    "data": {"source": "local", "dir": None, "start": "2000-01", "end": "2024-12", "history_start": "1990-01",
             "frequency": "monthly", "extra_csv": []},
    "targets": ["UMD", "HML"],
    "benchmarks": [],
    "total_returns": False,
    "features": ["UMD", "HML", "vix", "sp500_ret"],
    "regimes": {"schedule": {"refit_every": 12, "window": "expanding", "window_length": None, "min_history": 60,
                             "align_labels": True, "align_override": 0.5},
                "detectors": [{"name": "hmm"}, {"name": "jump"}], "cache": True, "share": True},
    "forecasting": {"schedule": {"refit_every": 12, "window": "expanding", "window_length": None, "min_train": 60},
                    "forecasters": [{"name": "ridge"}, {"name": "regime_conditioned"}, {"name": "per_regime"}]},
    "allocation": {"static_weight": 1.0, "cost_bps": 10.0, "allocators": [{"name": "binary"}],
                   "constraints": {"long_only": False, "max_weight": None, "max_gross": None,
                                   "fully_invested": False, "max_turnover": None, "adjustment": 1.0},
                   "vol_window_days": 126},
    "evaluation": {"seed": 0, "bootstrap_reps": 1000, "spa_reps": 1000, "importance_repeats": 5},
    "outputs": {"figures": True, "report": True},
    "comparison": True,
    "analyses": [],
}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"{loader.name}, line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        seen[key] = True
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _lines(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, key_node.value)
            out[key] = key_node.start_mark.line + 1
            out.update(_lines(value_node, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            out.update(_lines(item, (*path, i)))
    return out


def read_yaml(path: str | Path) -> tuple[dict, dict[tuple, int]]:
    """Parse a YAML mapping and the line of every key; errors name the file and line."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    text = p.read_text()
    try:
        loader = _LineLoader(text)
        loader.name = str(p)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ConfigError(f"{p}, line {mark.line + 1 if mark else '?'}: invalid YAML: {exc.problem}") from None
    if data is None:
        raise ConfigError(f"{p}: the config file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data, _lines(node)


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """``override`` on top of ``base``; mappings merge, everything else (lists too) replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and key != "params":
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_chain(path: Path, seen: tuple = ()) -> dict:
    if path.resolve() in seen:
        raise ConfigError(f"{path}: 'extends' forms a cycle")
    data, lines = read_yaml(path)
    validate(data, SCHEMA, str(path), lines)
    base = data.get("extends")
    merged = _load_chain((path.parent / base), (*seen, path.resolve())) if base else {}
    return deep_merge(merged, {k: v for k, v in data.items() if k != "extends"})


def parse_override(item: str) -> tuple[list[str], Any]:
    """``a.b=c`` -> (["a", "b"], c) with ``c`` parsed as YAML."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. data.start=2005-01")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    return key.strip().split("."), parsed


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    """The resolved config: defaults, the ``extends`` chain, the file, then ``--set`` overrides; validated."""
    p = Path(path)
    config = deep_merge(DEFAULTS, _load_chain(p))
    config.setdefault("name", p.stem)
    for item in overrides:
        keys, value = parse_override(item)
        node: dict = config
        for k in keys[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[keys[-1]] = value
    validate(config, SCHEMA, f"{p} (with --set overrides)" if overrides else str(p), {} if overrides else {})
    _check_semantics(config, p)
    return config


def _check_semantics(config: dict, path: Path) -> None:
    data = config["data"]
    if data["end"] is not None and str(data["start"]) > str(data["end"]):
        raise ConfigError(f"{path}: data.start {data['start']} is after data.end {data['end']}")
    if str(data["history_start"]) > str(data["start"]):
        raise ConfigError(f"{path}: data.history_start {data['history_start']} is after data.start {data['start']}")
    _check_analyses(config, path)
    labels = [d.get("label") or d["name"] for d in config["regimes"]["detectors"]]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ConfigError(f"{path}: regimes.detectors: labels must be unique, repeated: {', '.join(duplicates)} "
                          "(give each a 'label')")


def _check_analyses(config: dict, path: Path) -> None:
    """Analysis parameters are checked now, not after the comparison has run."""
    import pandas as pd

    from experiments.analyses import ANALYSES
    from experiments.analyses.crisis import validate_windows
    for i, item in enumerate(config.get("analyses") or []):
        valid = [p for p in ANALYSES.parameters(item["name"]) if p != "ctx"]
        for key in item.get("params") or {}:
            if key not in valid:
                raise ConfigError(f"{path}: analyses.{i}.params: analysis {item['name']!r} has no parameter {key!r}; "
                                  f"valid: {', '.join(valid)}")
        windows = (item.get("params") or {}).get("windows")
        if item["name"] == "crisis_study" and windows is not None:
            try:
                validate_windows(windows, pd.Timestamp("1800-01-01"), pd.Timestamp("2200-01-01"))
            except Exception as exc:  # FactorRegimesError: reworded as a config error with the file
                raise ConfigError(f"{path}: analyses.{i}.params.{exc}") from None


def config_hash(config: dict) -> str:
    """Short content hash of a resolved config (names runs)."""
    canonical = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:10]


def build_study(config: dict, regime_cache: Path | None = None) -> StudySpec:
    """Turn a resolved config into a :class:`StudySpec` (components are checked when built)."""
    reg, fc, al, ev = config["regimes"], config["forecasting"], config["allocation"], config["evaluation"]
    detectors = tuple(DetectorSpec.from_dict(d) for d in reg["detectors"])
    for det in detectors:  # parameters are checked now, not halfway through a run
        det.build(ev["seed"])
    for f in fc["forecasters"]:
        FORECASTERS.create(f["name"], **dict(f.get("params") or {}))
    for a in al["allocators"]:
        ALLOCATORS.create(a["name"], **dict(a.get("params") or {}))
    data = config["data"]
    return StudySpec(
        targets=tuple(config["targets"]), features=tuple(config["features"]), detectors=detectors,
        forecasters=tuple(fc["forecasters"]), allocators=tuple(al["allocators"]),
        static_weight=float(al["static_weight"]), start=str(data["start"]),
        end=None if data["end"] is None else str(data["end"]), history_start=str(data["history_start"]),
        regime_schedule=Schedule(**reg["schedule"]), forecast_schedule=ForecastSchedule(**fc["schedule"]),
        cost_bps=float(al["cost_bps"]), constraints=Constraints(**al["constraints"]),
        vol_window_days=int(al["vol_window_days"]), extra_csv=tuple(data.get("extra_csv") or ()),
        benchmarks=tuple(config.get("benchmarks") or ()), total_returns=bool(config.get("total_returns")),
        seed=int(ev["seed"]), bootstrap_reps=int(ev["bootstrap_reps"]),
        spa_reps=int(ev["spa_reps"]), importance_repeats=int(ev["importance_repeats"]),
        regime_cache=regime_cache if reg.get("cache", True) else None, share_regimes=bool(reg.get("share", True)))
