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

from allocation.allocators import ALLOCATORS
from allocation.backtest import Constraints
from allocation.forecasters import FORECASTERS
from allocation.forecasting import ForecastSchedule
from experiments import addressing, yamlload
from experiments.config_checks import check_config
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


#: Longest chain of ``extends`` (a file, its base, the base's base, ...).
MAX_EXTENDS = 20
#: Most bootstrap draws a config may ask for (each is a full resample of every strategy's returns).
MAX_REPS = 1_000_000
#: Largest cost a config may state, in basis points of the value traded (10,000 bps: the whole amount).
MAX_COST_BPS = 10_000
#: Largest absolute static exposure (times capital) a config may state.
MAX_LEVERAGE = 10

DETECTOR_ITEM = {"name": Choice(DETECTORS.names), "label": Str(nullable=True), "features": ListOf(Str()),
                 "frequency": Choice(["monthly", "daily"], nullable=True), "params": MapOf()}
COMPONENT = {"label": Str(nullable=True), "params": MapOf()}

SCHEMA: dict[str, Any] = {
    "name": Str(),
    "description": Str(nullable=True),
    "extends": Str(nullable=True),
    "data": {"source": Choice(["local", "download", "sample", "csv"]), "dir": Str(nullable=True),
             "path": Str(nullable=True),
             "start": Date(), "end": Date(nullable=True), "history_start": Date(),
             "frequency": Choice(["monthly"]), "extra_csv": ListOf(Str())},
    "targets": ListOf(Str(), min_items=1),
    "benchmarks": ListOf(Str()),
    "total_returns": Bool(),
    "features": ListOf(Str(), min_items=1),
    "regimes": {"schedule": {"refit_every": Int(1), "window": Choice(["expanding", "rolling"]),
                             "window_length": Int(2, nullable=True), "min_history": Int(2),
                             "align_labels": Bool(), "align_override": Num(0)},
                "detectors": ListOf(DETECTOR_ITEM, required=("name",)), "cache": Bool(), "share": Bool()},
    "forecasting": {"schedule": {"refit_every": Int(1), "window": Choice(["expanding", "rolling"]),
                                 "window_length": Int(2, nullable=True), "min_train": Int(2)},
                    "forecasters": ListOf({"name": Choice(FORECASTERS.names), **COMPONENT},
                                                   required=("name",))},
    "allocation": {"static_weight": Num(-MAX_LEVERAGE, MAX_LEVERAGE), "cost_bps": Num(0, MAX_COST_BPS),
                   "allocators": ListOf({"name": Choice(ALLOCATORS.names), "assets": Choice(["each", "all"]),
                                         **COMPONENT}, required=("name",)),
                   "constraints": {"long_only": Bool(), "max_weight": Num(0, nullable=True),
                                   "max_gross": Num(0, nullable=True), "fully_invested": Bool(),
                                   "max_turnover": Num(0, nullable=True), "adjustment": Num(0, 1)},
                   "vol_window_days": Int(10)},
    "evaluation": {"seed": Int(0, 2**32 - 1), "bootstrap_reps": Int(0, MAX_REPS), "spa_reps": Int(0, MAX_REPS),
                   "importance_repeats": Int(0, 1000)},
    "outputs": {"figures": Bool(), "report": Bool()},
    "comparison": Bool(),
    "analyses": ListOf({"name": Choice(_analysis_names), "params": MapOf()}, required=("name",)),
}

DEFAULTS: dict[str, Any] = {
    "description": None,
    "data": {"source": "local", "dir": None, "path": None, "start": "2000-01", "end": "2024-12", "history_start": "1990-01",
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


def read_yaml(path: str | Path) -> tuple[dict, dict[tuple, int]]:
    """Parse a YAML mapping and the line of every key; errors name the file and line.

    The file is read with limits (size, nesting, alias expansion, UTF-8):
    see :mod:`experiments.yamlload`.
    """
    p = Path(path)
    data, node = yamlload.parse(yamlload.read_text(p), str(p))
    if data is None:
        raise ConfigError(f"{p}: the config file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data, yamlload.lines(node)


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """``override`` on top of ``base``; mappings merge, everything else (lists too) replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and key != "params":
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


#: Where each key of a layer was set: path -> "FILE, line N" or "FILE (--set KEY=VALUE)".
Located = dict[tuple, str]


def _load_chain(path: Path, seen: tuple = ()) -> tuple[dict, list[tuple[Located, tuple]]]:
    """The file merged over its ``extends`` chain, and each file's key locations (base first)."""
    if path.resolve() in seen:
        raise ConfigError(f"{path}: 'extends' forms a cycle")
    if len(seen) >= MAX_EXTENDS:
        raise ConfigError(f"{path}: more than {MAX_EXTENDS} files in the 'extends' chain")
    data, lines = read_yaml(path)
    validate(data, SCHEMA, str(path), lines)
    base = data.get("extends")
    merged: dict = {}
    layers: list[tuple[Located, tuple]] = []
    if base:
        target = path.parent / base
        if not target.is_file():
            raise ConfigError(f"{path}, line {lines.get(('extends',), '?')}: extends: {target} is not a file")
        merged, layers = _load_chain(target, (*seen, path.resolve()))
    located = {key: f"{path}, line {line}" for key, line in lines.items()}
    return deep_merge(merged, {k: v for k, v in data.items() if k != "extends"}), [*layers, (located, ())]


def _shown(item: str, limit: int = 80) -> str:
    return item if len(item) <= limit else item[:limit] + "..."


def parse_override(item: str, where: str | None = None) -> tuple[list, Any]:
    """``a.b=c`` -> (["a", "b"], c) with ``c`` parsed as YAML (with the same limits as a file).

    Keys address list items by index (``regimes.detectors.0``) or by label
    (``regimes.detectors[jump]``, a :class:`experiments.addressing.Label`); see
    :mod:`experiments.addressing`. ``where`` names the option in errors (default ``--set ITEM``).
    """
    where = where or f"--set {_shown(item)}"
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"{where}: expected KEY=VALUE, e.g. data.start=2005-01")
    keys = addressing.split_key(key.strip(), where)
    parsed, _ = yamlload.parse(value, where, with_lines=False) if value.strip() else (None, None)
    return keys, parsed


def _apply_override(config: dict, keys: list, value: Any, where: str) -> tuple:
    """Set ``value`` at ``keys`` (list items by index or label, e.g. ``regimes.detectors[jump].params.x``);
    returns the path set, with list indices as integers.

    The key must exist in the schema (and, under ``params``, be a parameter of the component): see
    :func:`experiments.addressing.resolve`.
    """
    path = addressing.resolve(config, keys, where)
    node: Any = config
    for depth, k in enumerate(path[:-1]):
        if isinstance(node, dict) and node.get(k) is None:
            node[k] = {}  # an absent (or empty) mapping such as a component's params
        node = node[k]
    node[path[-1]] = value
    return path


def _locate(config: Any, layers: list[tuple[Located, tuple]], path: tuple = (), out: Located | None = None) -> Located:
    """For every path of the resolved config, where it was last set (top layer first)."""
    out = {} if out is None else out
    for located, claims in reversed(layers):
        if path in located:
            out[path] = located[path]
            break
        claim = next((c for c in claims if path[:len(c)] == c), None)
        if claim is not None:
            out[path] = located[claim]
            break
    if isinstance(config, dict):
        for k, v in config.items():
            _locate(v, layers, (*path, k), out)
    elif isinstance(config, list):
        for i, v in enumerate(config):
            _locate(v, layers, (*path, i), out)
    return out


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = (),
                locations: list[str] | tuple[str, ...] | None = None, located_out: Located | None = None) -> dict:
    """The resolved config: defaults, the ``extends`` chain, the file, then ``--set`` overrides; validated.

    Every check runs here, before any data is read: the schema (complete:
    a ``--set`` that replaces a whole section must give all its keys), dates,
    duplicates and component parameters (:mod:`experiments.config_checks`).
    Errors name the file and line, or the ``--set`` option, of the key at fault;
    ``locations`` (one per override) names where an override came from
    instead (e.g. a sweep file's line). ``located_out``, when given, receives where each key of the
    resolved config was set (key path -> ``"FILE, line N"`` or ``"FILE (--set ...)"``), so that checks
    made later (against the data) can name the same place.
    """
    p = Path(path)
    chain, layers = _load_chain(p)
    config = deep_merge(DEFAULTS, chain)
    config.setdefault("name", p.stem)
    for i, item in enumerate(overrides):
        where = locations[i] if locations is not None else f"{p} (--set {_shown(item)})"
        keys, value = parse_override(item, where)
        set_path = _apply_override(config, keys, value, where)
        layers.append(({set_path: where}, (set_path,)))
    located = _locate(config, layers)
    validate(config, SCHEMA, str(p), located, complete=True, optional=("extends",))
    check_config(config, str(p), located)
    if located_out is not None:
        located_out.update(located)
    return config


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
