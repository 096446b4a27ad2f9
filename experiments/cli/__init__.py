"""The ``factor-regimes`` command line, one module per command group.

Errors caused by the user's input (bad data, bad config, failed download) end
with one line on standard error and exit status 2; ``--debug`` shows the
traceback instead. Usage errors (unknown option, missing argument) also exit
with status 2, as click does.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator

import click
from rich.markup import escape

from experiments.cli import (  # noqa: F401 (each registers its commands)
    config,
    data,
    regimes,
    replicate,
    run,
    runs,
    sweep,
    tearsheet,
)
from experiments.cli._app import cli
from experiments.cli.common import err_console
from plumbing.errors import FactorRegimesError, FactorRegimesWarning


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Print the framework's own warnings as one line ``warning: <message>`` on stderr while active.

    Other warnings (from libraries) keep Python's usual format; the previous
    ``warnings.showwarning`` is restored on exit.
    """
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001 (warnings' signature)
        if issubclass(category, FactorRegimesWarning):
            text = " ".join(str(message).split())  # one line, whatever the message holds
            err_console.print(f"warning: {text}", soft_wrap=True, markup=False, emoji=False, highlight=False)
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user-input errors into one line and exit status 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        with one_line_warnings():
            cli.main(args=args, prog_name="factor-regimes", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("interrupted")
        sys.exit(130)
    except click.ClickException as exc:  # a usage error (unknown option, bad value): one line, like every error
        if debug:
            raise
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        err_console.print(f"error: {escape(' '.join(exc.format_message().split()))}{escape(hint)}", soft_wrap=True)
        sys.exit(2)
    except FactorRegimesError as exc:
        if debug:
            raise
        err_console.print(f"error: {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_status)
    except KeyboardInterrupt:
        err_console.print("interrupted")


__all__ = ["cli", "main", "one_line_warnings"]
