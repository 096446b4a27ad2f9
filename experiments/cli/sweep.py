"""``factor-regimes sweep`` and ``results``: grids of runs, and their headline results as Markdown."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from experiments.cli._app import cli
from experiments.cli.common import (
    console,
    data_dir_option,
    quiet_option,
    reporter,
)
from plumbing.errors import FactorRegimesError


@cli.command("sweep")
@click.argument("sweep_file", type=click.Path(path_type=Path))
@click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
              help="Local process pool, or a Dask cluster (a LocalCluster unless --scheduler is given). "
                   "Default: the sweep file's 'executor', else local.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes. Default: the sweep file's 'workers', else 2.")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786.")
@click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"), show_default=True)
@click.option("--max-runs", type=click.IntRange(min=1), default=None, help="Run at most N pending runs, then stop.")
@data_dir_option
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override for every run.")
@quiet_option
def sweep_command(sweep_file: Path, executor: str | None, workers: int | None, scheduler: str | None, runs_dir: Path,
                  max_runs: int | None, data_dir: Path | None, overrides: tuple[str, ...], quiet: bool) -> None:
    """Run a grid of configs (SWEEP_FILE); finished runs are skipped, so an interrupted sweep resumes.

    Each run's outcome is printed on standard output as it finishes (skip, done, failed, note), then the
    table of every run; progress (runs done of runs to do, ETA) goes to standard error. --quiet prints only
    the table.
    """
    from experiments.sweep import run_sweep

    extra = tuple(overrides) + (("data.source=local", f"data.dir={data_dir}") if data_dir else ())

    def event(kind: str, run, detail: str) -> None:
        if quiet or kind == "start":  # every run starts at once: the progress bar or lines say how far it got
            return
        console.print(f"{kind:<7} {run.hash}  {escape(' '.join(run.overrides[-3:]))}"
                      + (f"  {escape(detail)}" if detail else ""), soft_wrap=True)

    with reporter(quiet) as progress:
        rows = run_sweep(sweep_file, runs_dir, executor, workers, scheduler, max_runs, extra, on_event=event,
                         progress=progress)
    table = Table(title=f"Sweep {sweep_file.name}: {sum(r['status'] == 'done' for r in rows)} of {len(rows)} done",
                  title_justify="left")
    for col in ("config_hash", "overrides", "status", "best_sharpe", "best_strategy"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["config_hash"], escape(r["overrides"]), r["status"] + (" (earlier)" if r["skipped"] else ""),
                      "" if r["best_sharpe"] is None else f"{r['best_sharpe']:.2f}", escape(r["best_strategy"] or ""))
    console.print(table)
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        raise FactorRegimesError(f"{len(failed)} run(s) failed; first: {failed[0]['error']}")


@cli.command("results")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--readme", type=click.Path(path_type=Path), default=None,
              help="Replace the README's results section (between the results markers) instead of printing.")
def results_command(run_dirs: tuple[Path, ...], readme: Path | None) -> None:
    """Render the headline results of RUN_DIRS as Markdown (the README's Results section)."""
    from experiments.results import render, update_readme

    text = render(list(run_dirs))
    if readme is None:
        click.echo(text)
    else:
        update_readme(readme, text)
        console.print(f"updated {readme}")
