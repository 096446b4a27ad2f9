"""Market data, features, regime detectors and regime evaluation.

Data flows one way through the framework::

    data readers -> panel and features -> regime detectors (walk-forward,
    filtered) -> forecasters -> allocators -> backtest -> statistics -> report

This package holds the first three stages.
"""

from plumbing.errors import DataError, DownloadError, FactorRegimesError

__all__ = ["DataError", "DownloadError", "FactorRegimesError"]
