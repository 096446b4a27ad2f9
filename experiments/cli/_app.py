"""The root ``factor-regimes`` command group; each command group lives in its own module."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.version_option(package_name="factor-regimes")
def cli(debug: bool) -> None:
    """factor-regimes: market regimes and regime-aware timing of the momentum (UMD) and value (HML) factors.

    Every number used for a decision at date t is computed from data dated <= t.
    """
