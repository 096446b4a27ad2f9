"""Tests, laid out like the packages they test (tests/regimes, tests/allocation, tests/experiments, tests/plumbing)."""

from pathlib import Path

#: The repository root (configs/, README.md, benchmarks/).
REPO = Path(__file__).resolve().parent.parent
