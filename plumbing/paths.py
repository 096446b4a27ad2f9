"""Where the framework keeps its caches: one root for downloads and regime paths."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the cache root (CI and tests point it at a temporary folder).
CACHE_ENV = "FACTOR_REGIMES_CACHE"


def cache_root() -> Path:
    """Root of every cache: ``FACTOR_REGIMES_CACHE`` or the per-user cache directory."""
    value = os.environ.get(CACHE_ENV)
    if value:
        return Path(value)
    import platformdirs
    return Path(platformdirs.user_cache_dir("factor-regimes"))
