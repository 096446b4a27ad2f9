"""Shared fixtures.

Tests that read the real published files get them from
``FACTOR_REGIMES_DATA_DIR`` (CI sets it to ``../shared/data``). When the
folder is missing they fail under ``CI=true`` and are skipped, with a reason,
only on a developer's machine without the data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from regimes.data.sources import LocalSource


def _data_dir() -> Path | None:
    value = os.environ.get("FACTOR_REGIMES_DATA_DIR")
    return Path(value) if value else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real published files (``FACTOR_REGIMES_DATA_DIR``)."""
    path = _data_dir()
    if path is None or not path.is_dir():
        message = f"FACTOR_REGIMES_DATA_DIR is not a folder of published data (got {path})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " - required in CI", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def local_source(shared_data: Path) -> LocalSource:
    return LocalSource(shared_data)


@pytest.fixture(scope="session")
def monthly_panel(local_source: LocalSource):
    from regimes.panel import build_panel
    return build_panel(local_source, "monthly")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """Every cache (downloads, regime paths) goes to a temporary folder, never the user's."""
    path = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("FACTOR_REGIMES_CACHE")
    os.environ["FACTOR_REGIMES_CACHE"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("FACTOR_REGIMES_CACHE", None)
    else:
        os.environ["FACTOR_REGIMES_CACHE"] = previous
