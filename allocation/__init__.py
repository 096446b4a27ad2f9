"""Forecasters, allocators, backtest, metrics and statistical tests.

The stages after regime detection::

    forecasters (walk-forward) -> allocators -> backtest -> statistics

Public names are re-exported here and imported on first use.
"""

from __future__ import annotations

from plumbing.lazy import lazy_exports

_EXPORTS = {
    "FORECASTERS": "allocation.forecasters", "Forecaster": "allocation.forecasters",
    "make_forecaster": "allocation.forecasters",
    "ALLOCATORS": "allocation.allocators", "Allocator": "allocation.allocators",
    "ForecastSchedule": "allocation.forecasting", "ForecastResult": "allocation.forecasting",
    "forecast_walk_forward": "allocation.forecasting",
    "Constraints": "allocation.backtest", "BacktestResult": "allocation.backtest", "run_backtest": "allocation.backtest",
    "summary": "allocation.metrics", "sharpe": "allocation.metrics", "max_drawdown": "allocation.metrics",
    "clark_west": "allocation.forecast_eval", "diebold_mariano": "allocation.forecast_eval",
    "oos_r2": "allocation.forecast_eval",
    "sharpe_difference_bootstrap": "allocation.stats", "deflated_sharpe": "allocation.stats",
    "probabilistic_sharpe": "allocation.stats", "spa_test": "allocation.stats",
    "newey_west_regression": "allocation.stats",
    "stepm": "allocation.multiple_testing", "model_confidence_set": "allocation.multiple_testing",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
