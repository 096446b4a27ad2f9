"""Market data, features, regime detectors and regime evaluation.

Data flows one way through the framework::

    data readers -> panel and features -> regime detectors (walk-forward,
    filtered) -> forecasters -> allocators -> backtest -> statistics -> report

This package holds the first three stages.
"""

from __future__ import annotations

from plumbing.errors import DataError, DownloadError, FactorRegimesError
from plumbing.lazy import lazy_exports

_EXPORTS = {
    "DETECTORS": "regimes.detectors", "RegimeDetector": "regimes.detectors",
    "FEATURES": "regimes.features", "build_features": "regimes.features",
    "Panel": "regimes.panel", "build_panel": "regimes.panel",
    "detect": "regimes.pipeline", "RegimeData": "regimes.pipeline",
    "Schedule": "regimes.walkforward", "RegimePath": "regimes.walkforward", "walk_forward": "regimes.walkforward",
    "DetectorSpec": "regimes.specs",
    "SOURCES": "regimes.data", "make_source": "regimes.data",
}
__all__ = ["DataError", "DownloadError", "FactorRegimesError", *sorted(_EXPORTS)]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
