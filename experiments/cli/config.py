"""``factor-regimes config``: every config key documented, and a config resolved as a run records it."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from experiments.cli._app import cli
from experiments.cli.common import console, data_dir_option, set_option


@cli.group()
def config() -> None:
    """Config keys and resolved configs."""


@config.command("schema")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (the README's table of keys).")
@click.option("--readme", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Replace the table between the README's config-keys markers instead of printing.")
def config_schema(markdown: bool, readme: Path | None) -> None:
    """Every config key: type, default, allowed values and what it does.

    LIST.N.KEY is a key of each item of a list of components (regimes.detectors.N.params: each detector's
    parameters); address one item with --set by index or label (regimes.detectors[jump].params.jump_penalty=5).
    """
    from experiments import config_docs

    if readme is not None:
        config_docs.update_readme(readme)
        console.print(f"updated {escape(str(readme))}")
        return
    if markdown:
        click.echo(config_docs.markdown())
        return
    click.echo(config_docs.text())


@config.command("show")
@click.argument("config_file", metavar="CONFIG", type=click.Path(path_type=Path))
@set_option
@data_dir_option
def config_show(config_file: Path, overrides: tuple[str, ...], data_dir: Path | None) -> None:
    """Print the resolved CONFIG (defaults, extends chain, file, --set) as the config.yaml a run writes."""
    from experiments.config import config_hash, dump_config
    from experiments.runner import resolve

    resolved = resolve(config_file, overrides, data_dir)
    click.echo(f"# config hash {config_hash(resolved)}")
    click.echo(dump_config(resolved), nl=False)
