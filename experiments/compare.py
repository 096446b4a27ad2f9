"""Runs side by side: keyed by config hash, with the config parameters that differ between them.

Two runs may share a name (the same config file run on other data, say);
they are two runs, each shown with its own figures, never merged into one
column. A run is shown as ``name (hash)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.addressing import flatten
from experiments.catalog import Catalog
from plumbing.errors import FactorRegimesError

#: Flattened config paths left out of the parameter differences (the run's name is its column).
NOT_PARAMETERS = ("name",)
#: How an absent path (a key one run's config has and another's lacks) is shown.
ABSENT = "(absent)"


def run_column(run: dict) -> str:
    """How a run is named in tables: ``name (config hash)``."""
    return f"{run['name']} ({run['config_hash']})"


def select_runs(catalog: Catalog, refs: list[str] | tuple[str, ...]) -> list[dict]:
    """The catalog rows ``refs`` name, in order, each once.

    A reference is a config hash or a unique prefix of one, a run name (every
    run of that name), or a run directory. A reference matching nothing, a
    hash prefix matching several runs, and a run that is not done are errors.
    """
    rows = catalog.rows()
    out: dict[str, dict] = {}
    for ref in refs:
        by_name = [r for r in rows if r["name"] == ref or Path(r["run_dir"]).name == Path(ref).name]
        by_hash = [r for r in rows if r["config_hash"].startswith(ref)]
        exact = [r for r in by_hash if r["config_hash"] == ref]
        hits = exact or by_name or by_hash
        if not hits or (not exact and not by_name and len(by_hash) > 1):
            known = ", ".join(run_column(r) for r in rows) or "none"
            raise FactorRegimesError(f"run {ref!r} matches {len(hits)} runs in {catalog.path}"
                                     + (" (a hash prefix must be unique)" if hits else "") + f"; runs: {known}")
        for r in hits:
            if r["status"] != "done":
                raise FactorRegimesError(f"run {run_column(r)} is {r['status']}, not done: it has no results "
                                         "to compare")
            out.setdefault(r["config_hash"], r)
    return list(out.values())


def run_config(run: dict) -> dict:
    """The resolved config a run recorded (``config.yaml`` in its run directory)."""
    import yaml

    path = Path(run["run_dir"]) / "config.yaml"
    try:
        return yaml.safe_load(path.read_text())
    except OSError as exc:
        raise FactorRegimesError(f"{path}: cannot read the config of run {run_column(run)} "
                                 f"({exc.strerror or exc})") from None


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def differing_parameters(configs: dict[str, dict]) -> pd.DataFrame:
    """Flattened config paths whose values differ between runs.

    Parameters
    ----------
    configs : dict
        Column label -> resolved config.

    Returns
    -------
    pandas.DataFrame, shape (n_runs, n_differing_paths)
        Index: the column labels, in order; columns: the paths
        (``regimes.detectors[jump].params.jump_penalty``), in the order they
        first appear; values as text, :data:`ABSENT` where a run's config lacks
        the path. No columns when the configs agree everywhere.
    """
    flat = {label: {k: _shown(v) for k, v in flatten(config).items() if k not in NOT_PARAMETERS}
            for label, config in configs.items()}
    paths: list[str] = []
    for values in flat.values():
        paths += [p for p in values if p not in paths]
    differ = [p for p in paths if len({values.get(p, ABSENT) for values in flat.values()}) > 1]
    return pd.DataFrame([[flat[label].get(p, ABSENT) for p in differ] for label in configs],
                        index=pd.Index(list(configs), name="run"), columns=differ, dtype=object)


def compare_runs(catalog: Catalog, refs: list[str] | tuple[str, ...], metric: str) -> tuple[pd.DataFrame,
                                                                                             pd.DataFrame]:
    """The runs ``refs`` name: their differing parameters, and ``metric`` per strategy and run.

    Returns
    -------
    parameters : pandas.DataFrame, shape (n_runs, n_differing_paths)
        See :func:`differing_parameters`, with ``config_hash`` as the first column.
    values : pandas.DataFrame, shape (n_strategies, n_runs)
        ``metric`` of each strategy (index, in first-seen order) in each run
        (columns ``name (hash)``), as the catalog recorded it from the run's
        ``metrics.csv``; NaN where a run has no such strategy or no value.
    """
    runs = select_runs(catalog, refs)
    columns = [run_column(r) for r in runs]
    parameters = differing_parameters({c: run_config(r) for c, r in zip(columns, runs)})
    parameters.insert(0, "config_hash", [r["config_hash"] for r in runs])
    per_run = {c: json.loads(r["metrics_json"] or "{}") for c, r in zip(columns, runs)}
    strategies: list[str] = []
    for values in per_run.values():
        strategies += [s for s in values if s not in strategies]
    values = pd.DataFrame({c: [_number(per_run[c].get(s, {}).get(metric)) for s in strategies] for c in columns},
                          index=pd.Index(strategies, name="strategy"))
    return parameters, values


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)
