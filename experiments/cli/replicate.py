"""``factor-regimes replicate``: every registered replication (or the named ones) on one scoreboard."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from experiments.cli._app import cli
from experiments.cli.common import console, data_dir_option, quiet_option, reporter


@cli.command("replicate")
@click.argument("studies", nargs=-1)
@data_dir_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs") / "replications", show_default=True,
              help="Folder of the scoreboard and of each study's run directory. An existing folder is replaced "
                   "only when it is an earlier scoreboard folder holding only files a scoreboard run wrote.")
@click.option("--force", is_flag=True,
              help="Use --out even if it is not a scoreboard folder: it is moved aside (<name>.kept-<time>), never "
                   "deleted. A run directory of a config, the current folder, the home folder or the data are "
                   "never used.")
@click.option("--readme", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Also write the scoreboard into this README, between its scoreboard markers.")
@quiet_option
def replicate_command(studies: tuple[str, ...], data_dir: Path | None, out: Path, force: bool,
                      readme: Path | None, quiet: bool) -> None:
    """Run the replications STUDIES (default: every registered one) and print their scoreboard.

    Writes OUT/scoreboard.json, OUT/scoreboard.csv, OUT/index.html (one section per study: its figures,
    its rows against the bands stated in its config, the reason for each gap) and each study's own run
    directory in OUT/<study>/. Studies that cannot run yet are listed on the page without rows.
    """
    from experiments import replications, scoreboard_page

    chosen = replications.select(studies)
    protected = [Path.cwd(), Path.home(), replications.CONFIGS, data_dir]
    with reporter(quiet) as progress:  # bars on a terminal, timestamped lines when piped, nothing with --quiet
        outcomes = replications.replicate(chosen, out, data_dir=data_dir, force=force,
                                          protected=[p for p in protected if p is not None], progress=progress)
    rows = [r for o in outcomes for r in o.rows]
    table = Table(title=f"Replication scoreboard: {len(outcomes)} studies, {len(rows)} figures",
                  title_justify="left")
    for col in ("study", "figure", "paper", "value", "band", "status"):
        table.add_column(col, justify="right" if col in ("paper", "value") else "left")
    for r in rows:
        status_text = {True: "within", False: "[bold red]OUTSIDE[/bold red]", None: "not computed"}[r["within"]]
        table.add_row(escape(r["study"]), escape(r["figure"]), "" if r["paper"] is None else f"{r['paper']:.4g}",
                      "" if r["value"] is None else f"{r['value']:.4g}",
                      f"[{r['band_low']:g}, {r['band_high']:g}]", status_text)
    console.print(table)
    for name, (_, reason) in replications.PENDING.items():
        console.print(f"{escape(name)}: {escape(reason)}", soft_wrap=True)
    seconds = ", ".join(f"{o.study.name} {o.seconds:.1f}s" for o in outcomes)
    target = out.resolve()
    console.print(f"Scoreboard: {target / 'index.html'}  ({seconds})")
    if readme is not None:
        scoreboard_page.update_readme(readme, scoreboard_page.scoreboard_markdown(rows))
        console.print(f"README scoreboard updated: {readme}")
