"""Forecasters of next-period factor returns. Registered names:

Unconditional: ``historical_mean``, ``ridge``, ``lasso``, ``elastic_net``,
``random_forest``, ``gradient_boosting``, ``ensemble``.
Regime-aware (``base`` names an unconditional model, default ``ridge``):
``regime_conditioned``, ``per_regime``, ``regime_only``.
"""

from __future__ import annotations

from typing import Any

from allocation.forecasters._base import Forecaster, RegimeInputs
from allocation.forecasters.models import (
    EnsembleForecaster,
    HistoricalMean,
    SklearnForecaster,
)
from allocation.forecasters.regime_models import (
    PerRegime,
    RegimeConditioned,
    RegimeOnly,
)
from plumbing.registry import Registry

FORECASTERS: Registry[Forecaster] = Registry("forecaster")
FORECASTERS.register("historical_mean")(HistoricalMean)
for _model in ("ridge", "lasso", "elastic_net", "random_forest", "gradient_boosting"):
    def _factory(params: dict | None = None, param_grid: dict | None = None, cv_splits: int = 5, gap: int = 1,
                 random_state: int = 0, _model: str = _model) -> SklearnForecaster:
        return SklearnForecaster(_model, params=params, param_grid=param_grid, cv_splits=cv_splits, gap=gap,
                                 random_state=random_state)
    FORECASTERS.register(_model)(_factory)


def _base(base: str | dict | Forecaster, random_state: int) -> Forecaster:
    if isinstance(base, Forecaster):
        return base
    if isinstance(base, str):
        return make_forecaster(base, random_state=random_state)
    return make_forecaster(base["name"], random_state=random_state, **dict(base.get("params") or {}))


@FORECASTERS.register("regime_conditioned")
def _regime_conditioned(base: str | dict = "ridge", interactions: bool = True,
                        random_state: int = 0) -> RegimeConditioned:
    return RegimeConditioned(_base(base, random_state), interactions=interactions)


@FORECASTERS.register("per_regime")
def _per_regime(base: str | dict = "ridge", weighting: str = "proba", min_weight: float = 24.0,
                random_state: int = 0) -> PerRegime:
    return PerRegime(_base(base, random_state), weighting=weighting, min_weight=min_weight)


FORECASTERS.register("regime_only")(RegimeOnly)


@FORECASTERS.register("ensemble")
def _ensemble(members: list | None = None, random_state: int = 0) -> EnsembleForecaster:
    return EnsembleForecaster([_base(m, random_state) for m in (members or ["ridge", "random_forest"])])


def make_forecaster(name: str, random_state: int = 0, **params: Any) -> Forecaster:
    """Build a registered forecaster, passing the seed to models that take one."""
    if "random_state" in FORECASTERS.parameters(name):
        params.setdefault("random_state", random_state)
    return FORECASTERS.create(name, **params)


__all__ = ["FORECASTERS", "Forecaster", "RegimeInputs", "make_forecaster"]
