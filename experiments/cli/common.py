"""What every command group of the ``factor-regimes`` command line shares: consoles, data options, the source."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from regimes.data import DataSource, make_source

# Wide output when piped (a log file should not wrap tables); the terminal's width otherwise.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)

source_option = click.option("--source", type=click.Choice(["local", "download", "sample"]), default=None,
                             help="Where data comes from: local files, downloads from the publishers (cached), "
                                  "or the offline sample. Default: local if a data directory is known, else sample.")
data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                               help="Folder of published data files (default: $FACTOR_REGIMES_DATA_DIR).")
cache_dir_option = click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
                                help="Download cache (default: $FACTOR_REGIMES_CACHE or the per-user cache dir).")
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                          help="Override a config value, e.g. --set data.start=2005-01 (repeatable; value parsed "
                               "as YAML).")


def resolve_source(source: str | None, data_dir: Path | None, cache_dir: Path | None) -> DataSource:
    """The data source the options name; ``local`` when a data directory is known, else ``sample``."""
    from regimes.data.sources import default_data_dir

    if source is None:
        source = "local" if (data_dir is not None or default_data_dir() is not None) else "sample"
    return make_source(source, data_dir=data_dir, cache_dir=cache_dir)
