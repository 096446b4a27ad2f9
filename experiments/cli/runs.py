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
    table = Table(title=f"Runs in {runs_dir}", title_justify="left")
    for col in ("config_hash", "name", "status", "finished", "window", "strategies", "best", "sharpe", "dsr"):
        table.add_column(col, overflow="fold")
    for _, r in frame.iterrows():
        status = r["status"] + (" (a rerun failed)" if r["status"] == "done" and r.get("last_failure") else "")
        table.add_row(r["config_hash"], escape(str(r["name"])), status, str(r["finished"] or ""),
                      f"{r['window_start'] or ''}..{r['window_end'] or ''}", str(r["n_strategies"] or ""),
                      escape(str(r["best_strategy"] or "")), _fmt(r["best_sharpe"]), _fmt(r["best_dsr"]))
    console.print(table)


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
    """The best strategies across all finished runs, with the Sharpe deflated for how many were tried.

    The deflated Sharpe ratio's trial count is the number of distinct strategies tried, across every run of
    the catalog, for the same target and evaluation window.
    """
    from experiments.catalog import KEY_METRICS, LOWER_IS_BETTER, Catalog

    if metric not in KEY_METRICS:
        raise click.BadParameter(f"choose one of {', '.join(KEY_METRICS)}", param_hint="--metric")
    frame = Catalog(runs_dir).trials() if _has_catalog(runs_dir) else None
    if frame is None or frame.empty:
        console.print(f"No finished runs in {runs_dir}.")
        return
    frame = deflate_across_trials(frame)
    best = frame.sort_values(metric, ascending=metric in LOWER_IS_BETTER).head(top)
    n_runs = frame["config_hash"].nunique()
    table = Table(title=f"Top {top} of {len(frame)} distinct strategies across {n_runs} runs by "
                        f"{metric}. DSR trials: the strategies tried across the catalog for the same target and "
                        "evaluation window", title_justify="left")
    extra = [metric] if metric != "sharpe" else []
    for col in ("run", "config_hash", "strategy", *extra, "sharpe", "trials", "E[max sharpe] by luck",
                "dsr (own run)", "dsr (trials)"):
        table.add_column(escape(col), overflow="fold")
    for _, r in best.iterrows():
        table.add_row(escape(r["run"]), r["config_hash"], escape(r["strategy"]), *[_fmt(r[metric], 3) for _ in extra],
                      _fmt(r["sharpe"]), str(int(r["n_trials"])), _fmt(r["expected_max_sharpe"]), _fmt(r["dsr"]),
                      _fmt(r["dsr_trials"]))
    console.print(table)


def deflate_across_trials(frame):
    """Add ``expected_max_sharpe`` (annualized) and ``dsr_trials`` to :meth:`Catalog.trials` rows.

    Per (target, window, periods per year): ``n_trials`` strategies and the variance of their per-period
    Sharpe ratios give the expected maximum Sharpe by luck (Bailey & Lopez de Prado 2014); the DSR is the
    probability that the true Sharpe exceeds it, with normal returns assumed (the catalog keeps no moments).
    Annualized Sharpe ratios are turned into per-period ones with each run's own ``periods_per_year``
    (recorded in its manifest, or inferred from its dates for older runs), never an assumed frequency.
    """
    import numpy as np

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
        frame.loc[idx, "dsr_trials"] = [deflated_sharpe(s, int(n), len(sr), var) if np.isfinite(s) and n else np.nan
                                        for s, n in zip(sr, frame.loc[idx, "n_periods"].fillna(0))]
    return frame
