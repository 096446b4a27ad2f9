"""Checks of a resolved config that span several keys: dates, duplicates, component parameters.

They run when the config loads, before any data is read, and every error
names the file and line of the key at fault (or the ``--set`` option that set
it), like the schema's own errors.

What is refused
---------------
- ``data.start`` after ``data.end`` or before ``data.history_start``, compared
  as calendar dates (``YYYY-MM`` as an end date means the whole month, so a
  start and end in the same month are accepted);
- a benchmark that is also a target (repeated entries of a list are refused by
  the schema: :mod:`experiments.config_tree`);
- two components of one list with the same label (the label is what names
  their strategies and columns, so one would silently replace the other), an
  exact duplicate component, a label that collides with a name the study
  adds itself (the ``historical_mean`` benchmark forecaster, the ``static``
  strategy, the unconditional base model of a regime-aware forecaster), and
  labels holding ``/`` or ``@`` (they separate the parts of strategy names);
- component parameters the component does not take, of the wrong type (a
  string where the default is a number), or that scikit-learn rejects.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from experiments.schema import ConfigError, Lines, number_hint, parse_date, where
from plumbing.errors import FactorRegimesError

Locate = Callable[[tuple], str]


def check_config(config: dict, file: str, lines: Lines) -> None:
    """Raise :class:`ConfigError` at the first cross-key problem of a resolved, schema-valid config."""
    def at(*path: Any) -> str:
        return where(tuple(path), file, lines)

    _check_dates(config, at)
    _check_frequency(config, at)
    _check_lists(config, at)
    _check_schedules(config, at)
    _check_detectors(config, at)
    _check_forecasters(config, at)
    _check_allocators(config, at)
    _check_analyses(config, at)


def _check_dates(config: dict, at: Locate) -> None:
    data = config["data"]
    start, history = parse_date(data["start"]), parse_date(data["history_start"])
    if data["end"] is not None and parse_date(data["end"], end=True) < start:
        raise ConfigError(f"{at('data', 'end')}: data.start {data['start']} is after data.end {data['end']}")
    if history > start:
        raise ConfigError(f"{at('data', 'history_start')}: data.history_start {data['history_start']} is after "
                          f"data.start {data['start']}")
    if data["source"] == "csv" and not data.get("path"):
        raise ConfigError(f"{at('data', 'source')}: data.source csv needs data.path, the panel CSV "
                          "(a 'date' column and one column per series)")
    if data.get("path") is not None and data["source"] != "csv":
        raise ConfigError(f"{at('data', 'path')}: data.path is read only by source 'csv', but data.source is "
                          f"{data['source']!r} (remove path, or set source: csv)")
    if data.get("dir") is not None and data["source"] != "local":
        raise ConfigError(f"{at('data', 'dir')}: data.dir is read only by source 'local', but data.source is "
                          f"{data['source']!r} (remove dir, or set source: local)")


def _check_frequency(config: dict, at: Locate) -> None:
    """At daily or weekly decisions every detector reads the decision panel, so a detector's ``frequency`` may
    only repeat it."""
    frequency = config["data"].get("frequency") or "monthly"
    if frequency == "monthly":
        return
    for i, item in enumerate(config["regimes"]["detectors"]):
        if item.get("frequency") not in (None, frequency):
            raise ConfigError(f"{at('regimes', 'detectors', i, 'frequency')}: {item['frequency']} features with "
                              f"{frequency} decisions; at daily and weekly decisions every detector reads the "
                              "decision panel (remove the key)")


def _check_schedules(config: dict, at: Locate) -> None:
    from allocation.backtest import Constraints
    from allocation.forecasting import ForecastSchedule
    from regimes.walkforward import Schedule

    _create(lambda: Schedule(**config["regimes"]["schedule"]).validate(), at("regimes", "schedule"))
    _create(lambda: ForecastSchedule(**config["forecasting"]["schedule"]).validate(), at("forecasting", "schedule"))
    _create(lambda: Constraints(**config["allocation"]["constraints"]).validate(), at("allocation", "constraints"))


def _check_lists(config: dict, at: Locate) -> None:
    overlap = [b for b in config.get("benchmarks") or [] if b in config["targets"]]
    if overlap:
        raise ConfigError(f"{at('benchmarks')}: {', '.join(overlap)} is already a target")


def _unique_labels(items: list[dict], labels: list[str], path: tuple, at: Locate, kind: str,
                   reserved: Mapping[str, str] = {}) -> None:
    """Labels of one component list: unique, not reserved, no separators; exact duplicates named as such."""
    for i, label in enumerate(labels):
        given = items[i].get("label") if isinstance(items[i], Mapping) else None
        if not label.strip() or (given is not None and not str(given).strip()):
            raise ConfigError(f"{at(*path, i)}: the {kind}'s label is empty (omit it to use the name)")
        bad = [c for c in "/@" if c in label]
        if bad:
            raise ConfigError(f"{at(*path, i)}: {kind} label {label!r} may not contain {' or '.join(bad)} "
                              "(they separate the parts of strategy names)")
        if label in reserved:
            raise ConfigError(f"{at(*path, i)}: {kind} label {label!r} is taken: {reserved[label]}")
        first = labels.index(label)
        if first < i:
            what = (f"an exact duplicate of item {first} ({label}); remove one" if items[first] == items[i]
                    else f"label {label!r} repeats item {first}'s (one {kind} would silently replace the other; "
                         "give each a distinct 'label')")
            raise ConfigError(f"{at(*path, i)}: {what}")


def _check_params(registry: Any, name: str, params: Mapping, at: Locate, path: tuple) -> None:
    """Parameters the component at ``path`` takes, and a number where its default is a number (and so on)."""
    try:
        valid = registry.parameters(name)
        unknown = [p for p in params if p not in valid]
        if unknown:
            registry.create(name, **params)  # raises the registry's message with close matches
        signature = inspect.signature(registry.get(name)).parameters
    except FactorRegimesError as exc:
        raise ConfigError(f"{at(*path)}: {exc}") from None
    for key, value in params.items():
        if key == "random_state" and value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32):
            raise ConfigError(f"{at(*path, 'params', key)}: expected a seed, an integer in [0, 2**32 - 1], "
                              f"got {value!r}")
        default = signature[key].default
        if default is inspect.Parameter.empty or default is None or value is None:
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = not isinstance(value, (str, bool))
            if ok and isinstance(default, int) and isinstance(value, float):
                ok = False
        elif isinstance(default, str):
            ok = isinstance(value, (str, Mapping, dt.date))  # a name, a nested component, or a YAML date
        else:
            ok = True
        if not ok:
            raise ConfigError(f"{at(*path, 'params', key)}: expected a value like the default {default!r} "
                              f"({type(default).__name__}), got {value!r}{number_hint(value)}")


def _create(build: Callable[[], Any], at: str) -> Any:
    try:
        return build()
    except FactorRegimesError as exc:
        raise ConfigError(f"{at}: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ConfigError(f"{at}: invalid parameters ({type(exc).__name__}: {exc})") from None


def _check_detectors(config: dict, at: Locate) -> None:
    from regimes.detectors import DETECTORS
    from regimes.features import FEATURES
    from regimes.specs import DetectorSpec

    items = config["regimes"]["detectors"]
    labels = [str(d.get("label") or d["name"]) for d in items]
    _unique_labels(items, labels, ("regimes", "detectors"), at, "detector",
                   {"none": "'none' marks strategies without a regime model"})
    seed = config["evaluation"]["seed"]
    for i, d in enumerate(items):
        here = at("regimes", "detectors", i)
        if d.get("features") is not None and not d["features"]:
            raise ConfigError(f"{at('regimes', 'detectors', i, 'features')}: an empty list (omit 'features' to use "
                              "the detector's default features)")
        features = list(d.get("features") or [])
        # with the user's panel CSV a feature may be one of its columns, checked when the file is read
        unknown = [f for f in features if f not in FEATURES] if config["data"]["source"] != "csv" else []
        if unknown:
            raise ConfigError(f"{here}: unknown feature(s) {', '.join(unknown)} (known: {', '.join(FEATURES)})")
        params = dict(d.get("params") or {})
        _check_params(DETECTORS, d["name"], params, at, ("regimes", "detectors", i))
        members = params.get("members")
        if d["name"] == "ensemble" and members is not None:
            if not isinstance(members, list) or not all(isinstance(m, Mapping) and "name" in m for m in members):
                raise ConfigError(f"{here}.params.members: expected a list of detectors such as "
                                  f"[{{name: hmm}}, {{name: jump}}], got {members!r}")
            for j, m in enumerate(members):
                _check_params(DETECTORS, m["name"], dict(m.get("params") or {}), at,
                              ("regimes", "detectors", i, "params", "members", j))
        base = params.get("base")
        if d["name"] == "tuned" and base is not None:
            if not (isinstance(base, Mapping) and "name" in base):
                raise ConfigError(f"{here}.params.base: expected a detector such as {{name: jump}}, got {base!r}")
            _check_params(DETECTORS, base["name"], dict(base.get("params") or {}), at,
                          ("regimes", "detectors", i, "params", "base"))
        spec = _create(lambda: DetectorSpec.from_dict(d), here)
        detector = _create(lambda: spec.build(seed), here)
        for part in [detector, *(getattr(detector, "members", None) or [])]:
            # the detector's own parameter checks, which fit() runs first, run now (on a throwaway object)
            part.n_features_in_ = len(spec.features)
            _create(part._check_params, here)


def _sklearn_parts(model: Any) -> list:
    from allocation.forecasters.models import SklearnForecaster
    if isinstance(model, SklearnForecaster):
        return [model]
    parts = [getattr(model, "base", None), *(getattr(model, "members", None) or [])]
    return [p for part in parts if part is not None for p in _sklearn_parts(part)]


def _check_forecasters(config: dict, at: Locate) -> None:
    from allocation.forecasters import FORECASTERS, make_forecaster
    from experiments.study import BENCHMARK_FORECASTER, _base_name, _label

    items = config["forecasting"]["forecasters"]
    labels = [_label(f) for f in items]
    _unique_labels(items, labels, ("forecasting", "forecasters"), at, "forecaster",
                   {BENCHMARK_FORECASTER: "every study runs it as the benchmark forecaster; remove it"})
    seed = config["evaluation"]["seed"]
    names = {f["name"] for f in items}
    for i, f in enumerate(items):
        here = at("forecasting", "forecasters", i)
        params = dict(f.get("params") or {})
        _check_params(FORECASTERS, f["name"], params, at, ("forecasting", "forecasters", i))
        model = _create(lambda: make_forecaster(f["name"], random_state=seed, **params), here)
        for part in _sklearn_parts(model):
            regressor = _create(part._estimator, here)
            if hasattr(regressor, "_parameter_constraints"):  # scikit-learn's own (LightGBM checks at fit)
                _create(regressor._validate_params, here)
            _check_fixed_and_searched(part, lambda key: at("forecasting", "forecasters", i, "params", key)
                                      if part is model else here)
        if model.uses_regimes and not config["regimes"]["detectors"] and config.get("comparison", True):
            raise ConfigError(f"{here}: {labels[i]} uses regime probabilities, but "
                              "regimes.detectors is empty, so it would silently give no strategy; add a detector "
                              "or remove it")
        base = _base_name(f) if model.uses_regimes else None
        if base and base not in names and base in labels and labels.index(base) != i:
            raise ConfigError(f"{at('forecasting', 'forecasters', labels.index(base))}: label {base!r} is taken by "
                              f"the unconditional base model of {labels[i]} (the study runs it to compare); "
                              "choose another label")


def _check_fixed_and_searched(model: Any, here: Callable[[str], str]) -> None:
    """A regressor parameter fixed in ``params`` and searched by ``param_grid`` (the default grid too): the
    search would silently override the fixed value."""
    from allocation.forecasters.models import DEFAULT_GRIDS
    grid = DEFAULT_GRIDS.get(model.model, {}) if model.param_grid is None else model.param_grid
    both = [k for k in (model.params or {}) if k in grid]
    if both:
        source = "its default param_grid" if model.param_grid is None else "param_grid"
        raise ConfigError(f"{here(both[0])}: {model.model} parameter(s) {', '.join(both)} fixed in params are also "
                          "searched "
                          f"by {source} ({', '.join(f'{k}: {list(grid[k])}' for k in both)}), which would override "
                          "the fixed value; set param_grid: {} to fix them, or remove them from params")


def _check_allocators(config: dict, at: Locate) -> None:
    from allocation.allocators import ALLOCATORS

    items = config["allocation"]["allocators"]
    labels = [str(a.get("label") or a["name"]) for a in items]
    _unique_labels(items, labels, ("allocation", "allocators"), at, "allocator",
                   {"static": "the static-exposure benchmark strategy is named 'static'"})
    for i, a in enumerate(items):
        here = at("allocation", "allocators", i)
        params = dict(a.get("params") or {})
        _check_params(ALLOCATORS, a["name"], params, at, ("allocation", "allocators", i))
        allocator = _create(lambda: ALLOCATORS.create(a["name"], **params), here)
        if getattr(allocator, "uses_regimes", False) and not config["regimes"]["detectors"] \
                and config.get("comparison", True):
            raise ConfigError(f"{here}: {labels[i]} uses regime probabilities, but "
                              "regimes.detectors is empty, so it would silently give no strategy; add a detector "
                              "or remove it")


def _check_analyses(config: dict, at: Locate) -> None:
    """Analysis parameters are checked now, not after the comparison has run: names and types by the
    registry, values by the check each analysis registers with its :class:`AnalysisReport`."""
    from experiments.analyses import ANALYSES, REPORTS
    items = config.get("analyses") or []
    _unique_labels(items, [item["name"] for item in items], ("analyses",), at, "analysis")
    for i, item in enumerate(items):
        _check_params(ANALYSES, item["name"], {k: v for k, v in (item.get("params") or {}).items() if k != "ctx"},
                      at, ("analyses", i))
        valid = [p for p in ANALYSES.parameters(item["name"]) if p != "ctx"]
        for key in item.get("params") or {}:
            if key not in valid:
                raise ConfigError(f"{at('analyses', i, 'params', key)}: analysis {item['name']!r} has no parameter "
                                  f"{key!r}; valid: {', '.join(valid)}")
        declared = REPORTS.get(item["name"])
        if declared is not None and declared.check is not None:
            try:
                declared.check(dict(item.get("params") or {}))
            except Exception as exc:  # FactorRegimesError: reworded as a config error with the file
                raise ConfigError(f"{at('analyses', i, 'params')}.{exc}") from None
