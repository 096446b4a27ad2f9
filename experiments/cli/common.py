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
quiet_option = click.option("--quiet", "-q", is_flag=True,
                            help="No progress bars or progress lines on stderr; print only the summary.")
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                          help="Override a config value, e.g. --set data.start=2005-01 (repeatable; value parsed "
                               "as YAML).")


def column_text(values, percent: bool = False) -> list[str]:
    """One number format for a whole column: ``values`` as text with the same decimals throughout.

    Whole numbers print as integers (with thousands separators); other columns get two decimals, or more
    when their largest magnitude is below 1 (three significant digits of it, at most 6 decimals), or a
    percentage with one decimal with ``percent``.
    Missing values print as an empty string; text is left as it is.
    """
    import math

    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(float(v))]
    if percent:
        spec = ".1%"
    elif nums and all(float(v).is_integer() for v in nums):
        spec = ",.0f"
    else:
        top = max((abs(float(v)) for v in nums), default=0.0)
        decimals = 2 if top == 0 else max(2, min(6, 2 - math.floor(math.log10(top))))
        spec = f".{decimals}f"
    out = []
    for v in values:
        if v is None or isinstance(v, float) and v != v:
            out.append("")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(format(v, spec) if math.isfinite(float(v)) else str(v))
        else:
            out.append(str(v))
    return out


def reporter(quiet: bool):
    """The progress reporter of a long command (:mod:`experiments.progress`), on standard error."""
    from experiments.progress import make_reporter

    return make_reporter(quiet, err_console)


def resolve_source(source: str | None, data_dir: Path | None, cache_dir: Path | None) -> DataSource:
    """The data source the options name; ``local`` when a data directory is known, else ``sample``."""
    from regimes.data.sources import default_data_dir

    if source is None:
        source = "local" if (data_dir is not None or default_data_dir() is not None) else "sample"
    return make_source(source, data_dir=data_dir, cache_dir=cache_dir)
