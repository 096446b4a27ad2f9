"""``factor-regimes runs``: the run catalog: list, compare and rank finished runs."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from experiments.cli._app import cli
from experiments.cli.common import (
    console,
)
from plumbing.errors import FactorRegimesError


@cli.group()
def runs() -> None:
    """The run catalog: list, compare and rank finished runs."""


runs_dir_option = click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"),
                               show_default=True)


@runs.command("list")
@runs_dir_option
def runs_list(runs_dir: Path) -> None:
    """Every run in the catalog with its status and best strategy."""
    from experiments.catalog import Catalog

    if not _has_catalog(runs_dir):
        console.print(f"No runs in {runs_dir} (no catalog there).")
        return
    frame = Catalog(runs_dir).list()
    if frame.empty:
        console.print(f"No runs in {runs_dir}.")
        return
    table = Table(title=f"Runs in {runs_dir}: {len(frame)}", title_justify="left")
    for col in ("config_hash", "name", "status", "finished", "data", "window", "strategies", "best", "sharpe", "dsr",
                "reason"):
        table.add_column(col, overflow="fold", justify="right" if col in ("strategies", "sharpe", "dsr") else "left")
    for _, r in frame.iterrows():
        status, reason = r["status"], _text(r.get("last_error"))
        if status == "done" and _text(r.get("last_failure")):
            status += " (a rerun failed)"
        elif status == "done":
            reason = ""
        table.add_row(r["config_hash"], escape(str(r["name"])), status, _text(r["finished"]),
                      escape(_text(r.get("source"))),
                      f"{_text(r['window_start'])}..{_text(r['window_end'])}" if _text(r["window_start"]) else "",
                      _count(r["n_strategies"]), escape(_text(r["best_strategy"])), _fmt(r["best_sharpe"]),
                      _fmt(r["best_dsr"]), escape(reason))
    console.print(table)


def _text(value) -> str:
    """A catalog cell as text ('' for a missing value)."""
    return "" if value is None or isinstance(value, float) and value != value else str(value)


def _count(value) -> str:
    """A count as an integer ('' when missing; the catalog's frame holds counts as floats beside gaps)."""
    return "" if value is None or value != value else f"{int(value):,}"


def _has_catalog(runs_dir: Path) -> bool:
    """Whether ``runs_dir`` holds a catalog; commands that only read it never create one."""
    if os.path.lexists(runs_dir) and not runs_dir.is_dir():
        raise FactorRegimesError(f"{runs_dir}: is not a folder (--runs-dir names the folder of runs and their catalog)")
    return os.path.lexists(runs_dir / "catalog.sqlite")


def _fmt(value, digits: int = 2) -> str:
    return "" if value is None or value != value else f"{value:.{digits}f}"


@runs.command("compare")
@click.argument("refs", nargs=-1, required=True)
@runs_dir_option
@click.option("--metric", default="sharpe", show_default=True)
def runs_compare(refs: tuple[str, ...], runs_dir: Path, metric: str) -> None:
    """Runs side by side: the config values that differ, then METRIC by strategy and run.

    REFS: config hashes (or unique prefixes), run names (every run of that name) or run directories.
    Runs are keyed by config hash and shown as NAME (HASH): two runs that share a name are two columns.
    """
    from experiments.catalog import KEY_METRICS, Catalog
    from experiments.compare import compare_runs

    if metric not in KEY_METRICS:
        raise click.BadParameter(f"choose one of {', '.join(KEY_METRICS)}", param_hint="--metric")
    if not _has_catalog(runs_dir):
        raise FactorRegimesError(f"{runs_dir / 'catalog.sqlite'}: no run catalog (no runs recorded in {runs_dir}); "
                                 f"cannot find {', '.join(refs)}")
    parameters, values = compare_runs(Catalog(runs_dir), refs, metric)
    differ = Table(title=f"{len(parameters)} runs: config values that differ "
                         f"({len(parameters.columns) - 1} paths)", title_justify="left")
    differ.add_column("run", overflow="fold")
    for col in parameters.columns:
        differ.add_column(escape(str(col)), overflow="fold")
    for name, row in parameters.iterrows():
        differ.add_row(escape(str(name).rsplit(" (", 1)[0]), *[escape(str(v)) for v in row])
    console.print(differ)
    table = Table(title=f"{metric} by strategy and run", title_justify="left")
    table.add_column("strategy", overflow="fold")
    for col in values.columns:
        table.add_column(escape(str(col)), justify="right", overflow="fold")
    for name, row in values.iterrows():
        table.add_row(escape(str(name)), *[_fmt(v, 3) for v in row])
    console.print(table)


@runs.command("best")
@runs_dir_option
@click.option("--metric", default="sharpe", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
def runs_best(runs_dir: Path, metric: str, top: int) -> None:
    """The best strategies across all finished runs by METRIC, with the Sharpe deflated for how many were tried.

    Runs on the offline sample, on published data and on the user's own panel are ranked in separate tables.
    The deflated Sharpe ratio's trial count is the number of distinct strategies tried, across every run of
    the catalog, for the same target, evaluation window and kind of data.
    """
    from experiments.catalog import KEY_METRICS, LOWER_IS_BETTER, Catalog

    if metric not in KEY_METRICS:
        raise click.BadParameter(f"choose one of {', '.join(KEY_METRICS)}", param_hint="--metric")
    catalog = Catalog(runs_dir) if _has_catalog(runs_dir) else None
    frame = catalog.trials() if catalog is not None else None
    if frame is None or frame.empty:
        console.print(f"No finished runs in {runs_dir}.")
        return
    lower = metric in LOWER_IS_BETTER
    # runs counted from the catalog: a run whose every strategy repeats another run's is still a run
    runs_by_kind: dict[str, int] = {}
    for row in catalog.rows():
        if row["status"] == "done" and row["n_strategies"]:
            kind = _data_kind(row["source"])
            runs_by_kind[kind] = runs_by_kind.get(kind, 0) + 1
    n_runs_all = sum(runs_by_kind.values())
    frame["data"] = frame["source"].map(_data_kind)
    for kind, group in frame.groupby("data", sort=False):
        # each kind of data on its own: sample-data strategies are never trials of a real-data search
        group = deflate_across_trials(group.drop(columns="data"))
        best = group.sort_values(metric, ascending=lower, na_position="last").head(top)
        n_runs = runs_by_kind.get(kind, group["config_hash"].nunique())
        table = Table(title=f"{kind}: top {len(best)} of {len(group)} distinct strategies by {metric} "
                            f"({'lowest' if lower else 'highest'} first), across {n_runs} "
                            f"{'run' if n_runs == 1 else 'runs'}", title_justify="left")
        shown = [metric] + [c for c in ("sharpe", "dsr") if c != metric]
        columns = ["run", "config_hash", "strategy", *[_LABELS.get(c, c) for c in shown], "trials",
                   "E[max sharpe] by luck", "dsr (trials)"]
        for col in columns:
            table.add_column(escape(col), overflow="fold",
                             justify="left" if col in ("run", "config_hash", "strategy") else "right")
        for _, r in best.iterrows():
            table.add_row(escape(r["run"]), r["config_hash"], escape(r["strategy"]),
                          *[_fmt(r[c], 3 if c not in ("sharpe", "dsr") else 2) for c in shown],
                          _count(r["n_trials"]), _fmt(r["expected_max_sharpe"]), _fmt(r["dsr_trials"]))
        console.print(table)
    console.print(f"{n_runs_all} finished {'run' if n_runs_all == 1 else 'runs'} in {runs_dir}. DSR trials: the "
                  "strategies tried across the catalog for the same target and evaluation window, on the same "
                  "kind of data. dsr (own run): deflated Sharpe ratio for the strategies of its run; dsr (trials): "
                  "deflated for every trial.", soft_wrap=True)


#: How ``runs best`` names a run's data source (catalog column ``source``); anything else is published data.
DATA_KINDS = {"sample": "SAMPLE data", "csv": "own panel (csv)", "unknown": "data source not recorded"}


def _data_kind(source: str | None) -> str:
    return DATA_KINDS.get(source or "", "published data")
_LABELS = {"dsr": "dsr (own run)"}


def deflate_across_trials(frame):
    """Add ``expected_max_sharpe`` (annualized) and ``dsr_trials`` to :meth:`Catalog.trials` rows.

    Per (target, window, periods per year): ``n_trials`` strategies and the variance of their per-period
    Sharpe ratios give the expected maximum Sharpe by luck (Bailey & Lopez de Prado 2014); the DSR is the
    probability that the true Sharpe exceeds it, with normal returns assumed (the catalog keeps no moments).
    Annualized Sharpe ratios are turned into per-period ones with each run's own ``periods_per_year``
    (recorded in its manifest, or inferred from its dates for older runs), never an assumed frequency.
    """
    import numpy as np
    import pandas as pd

    from allocation.stats import deflated_sharpe, expected_max_sharpe

    frame = frame.copy()
    if frame["periods_per_year"].isna().any():
        missing = frame.loc[frame["periods_per_year"].isna(), "run"].unique()
        raise FactorRegimesError(f"runs {', '.join(map(str, missing))}: no periods per year recorded nor "
                                 "returns.csv to infer it from")
    ppy = frame["periods_per_year"].astype(float)
    per_period = frame["sharpe"] / np.sqrt(ppy)
    frame["expected_max_sharpe"] = np.nan
    frame["dsr_trials"] = np.nan
    for _, idx in frame.groupby(["target", "window_start", "window_end", "periods_per_year"]).groups.items():
        sr = per_period.loc[idx]
        var = float(sr.var(ddof=1)) if len(sr) > 1 else 0.0
        frame.loc[idx, "expected_max_sharpe"] = expected_max_sharpe(len(sr), var) * np.sqrt(ppy.loc[idx])
        # a strategy without a Sharpe ratio or a recorded length has no DSR (NaN), never one computed from 0 periods
        frame.loc[idx, "dsr_trials"] = [deflated_sharpe(s, int(n), len(sr), var) if np.isfinite(s) and pd.notna(n) and n
                                        else np.nan for s, n in zip(sr, frame.loc[idx, "n_periods"])]
    return frame
