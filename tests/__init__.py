"""Tests, laid out like the packages they test (tests/regimes, tests/allocation, tests/experiments, tests/plumbing)."""

from pathlib import Path

#: The repository root (configs/, README.md, benchmarks/).
REPO = Path(__file__).resolve().parent.parent


def without_progress(stderr: str) -> str:
    """``stderr`` of a command without the timestamped progress lines it writes when piped.

    Tests of errors and warnings read what is left (the progress lines themselves are tested in
    ``tests/experiments/test_cli_output.py`` and ``test_progress.py``).
    """
    from experiments.progress import PROGRESS_LINE

    return "".join(line for line in stderr.splitlines(keepends=True) if not PROGRESS_LINE.match(line))
