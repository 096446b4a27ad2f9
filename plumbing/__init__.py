"""Plumbing every package uses: errors, registries, atomic writes, thread caps, cache paths.

Nothing here knows about markets; ``regimes``, ``allocation`` and ``experiments``
all import from it, and it imports from none of them.
"""

from plumbing.errors import DataError, DownloadError, FactorRegimesError
from plumbing.paths import CACHE_ENV, cache_root
from plumbing.registry import Registry

__all__ = ["CACHE_ENV", "DataError", "DownloadError", "FactorRegimesError", "Registry", "cache_root"]
