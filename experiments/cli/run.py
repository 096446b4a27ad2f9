"""``factor-regimes run``: one experiment, one run directory, one summary table."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from experiments.cli._app import cli
from experiments.cli.common import (
    column_text,
    console,
    data_dir_option,
    quiet_option,
    reporter,
)
from plumbing.errors import FactorRegimesError


@cli.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run directory (default runs/<config name>-<config hash>). An existing path is replaced only "
                   "when it is a run directory of the same config; otherwise the run is refused.")
@data_dir_option
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set data.start=2005-01 (repeatable; value parsed as YAML).")
@click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
              help="Folder of run directories and of the run catalog.")
@click.option("--no-cache", is_flag=True, help="Recompute regime paths instead of reusing cached ones.")
@click.option("--force", is_flag=True,
              help="Replace the run directory even if it is not a run of this config (its contents are deleted). "
                   "Never replaces a folder holding the current folder, the catalog, the config or the data.")
@click.option("--top", type=click.IntRange(min=0), default=15, show_default=True,
              help="Rows of the strategy table to print (best Sharpe first within each target; 0: all). "
                   "metrics.csv holds every row.")
@quiet_option
def run_command(config: Path, out: Path | None, data_dir: Path | None, overrides: tuple[str, ...], runs_dir: Path,
                no_cache: bool, force: bool, top: int, quiet: bool) -> None:
    """Run an experiment CONFIG (YAML) and write its run directory: tables, figures, report.html.

    The output location is checked before anything is computed, and two runs writing the same
    directory wait for each other. A failed or interrupted run leaves an earlier finished run of
    the config, and its catalog record, as they were.
    """
    import signal

    from experiments.catalog import Catalog
    from experiments.outdir import RunTargetError
    from experiments.runner import default_run_dir, preflight, resolve, run_config

    located: dict = {}
    resolved = resolve(config, overrides, data_dir, located_out=located)
    run_dir = out or default_run_dir(resolved, runs_dir)
    Catalog.check_writable(runs_dir)
    # every data file read and checked, and the config's names checked against the data, before
    # anything is written: a refused run leaves no run directory and no catalog record
    source = preflight(resolved, config, located)
    protected = [Path.cwd(), Path.home(), runs_dir / "catalog.sqlite", config,
                 data_dir or resolved["data"].get("dir")]

    def terminate(signum, frame):  # SIGTERM cleans up like Ctrl-C: temporary folder removed, lock released
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with reporter(quiet) as progress:
            try:
                outcome = run_config(resolved, run_dir, progress=progress, use_cache=not no_cache, force=force,
                                     protected=[p for p in protected if p is not None],
                                     on_finish=lambda done: Catalog(runs_dir).record(done), source=source)
            except RunTargetError:
                raise  # refused or unwritable before anything ran: nothing to record
            except BaseException as exc:
                try:
                    Catalog(runs_dir).record_failure(resolved, run_dir, exc)
                except (FactorRegimesError, OSError):
                    pass  # the run's own error is the one to report
                raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    _print_summary(outcome, top)


def _print_summary(outcome, top: int = 15) -> None:
    """The run's summary on standard output: analysis tables, the strategies (``top`` rows), where files are."""
    for out in outcome.analyses or []:
        for name, frame in out.tables.items():
            if len(frame) > 40:
                continue
            table = Table(title=f"{out.title}: {name}", title_justify="left")
            data = frame.reset_index()
            columns = [column_text(list(data[col])) for col in data.columns]
            for col in data.columns:
                table.add_column(escape(str(col)), justify="left" if data[col].dtype == object else "right")
            for row in zip(*columns):
                table.add_row(*[escape(v) for v in row])
            console.print(table)
    if outcome.manifest.get("mixed_vintages"):
        console.print(escape(outcome.manifest["mixed_vintages"]), soft_wrap=True)
    result = outcome.result
    if result is None:
        console.print(f"Run directory: {outcome.run_dir}")
        console.print(f"Report: {outcome.run_dir / 'report.html'}")
        return
    ranked = result.metrics.sort_values("sharpe", ascending=False)
    shown = ranked if top == 0 else ranked.head(top)
    m = shown.sort_values(["target", "sharpe"], ascending=[True, False])
    what = f"{len(ranked)} strategies" if len(shown) == len(ranked) else \
        f"best {len(shown)} of {len(ranked)} strategies by Sharpe"
    table = Table(title=f"{escape(outcome.config['name'])}: {what}, {result.window[0]}..{result.window[1]} "
                        f"(net of {outcome.config['allocation']['cost_bps']} bps)", title_justify="left")
    columns = {"strategy": [str(s) for s in m.index],
               "sharpe": [f"{v:.2f}" if v == v else "" for v in m["sharpe"]],
               "ann_return": column_text(list(m["ann_return"]), percent=True),
               "max_dd": column_text(list(m["max_drawdown"]), percent=True),
               "dsr": [f"{v:.2f}" if v == v else "" for v in m["dsr"]],
               "p vs static": [f"{v:.3f}" if v == v else "" for v in m.get("sharpe_diff_p", [float("nan")] * len(m))]}
    for col in columns:
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for row in zip(*columns.values()):
        table.add_row(*[escape(v) for v in row])
    console.print(table)
    if len(shown) < len(ranked):
        left = len(ranked) - len(shown)
        console.print(f"... {left} more {'row' if left == 1 else 'rows'} in {outcome.run_dir / 'metrics.csv'} "
                      "(--top 0 prints all)")
    cut = outcome.manifest.get("decision_dates") or {}
    if cut.get("note"):
        console.print(f"[bold]Dates cut by the data[/bold]: {escape(cut['note'])}")
    if outcome.manifest.get("sample_data"):
        console.print("[bold]SAMPLE data[/bold]: numbers show how the framework works, not research results.")
    if result.missing_returns:
        console.print(escape(result.missing_returns["message"]), soft_wrap=True)
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in outcome.manifest["seconds_by_stage"].items())
    console.print(f"Run directory: {outcome.run_dir}  ({stages})")
    console.print(f"Report: {outcome.run_dir / 'report.html'}")
