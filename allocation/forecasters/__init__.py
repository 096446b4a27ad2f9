"""Forecasters of next-period factor returns. Registered names:

Unconditional: ``historical_mean``, ``ridge``, ``lasso``, ``elastic_net``,
``random_forest``, ``gradient_boosting``, ``lightgbm`` (optional extra), ``mlp``,
``ensemble``. A scikit-learn model's regressor parameters sit directly under
``params`` beside ``param_grid``, ``cv_splits`` and ``gap``:
``{name: ridge, params: {alpha: 10, param_grid: {}}}``.
Regime-aware (``base`` names an unconditional model, default ``ridge``):
``regime_conditioned``, ``per_regime``, ``regime_only``.
"""

from __future__ import annotations

import inspect
from typing import Any

from allocation.forecasters._base import Forecaster, RegimeInputs, design
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
from allocation.forecasters.regressors import regressor_parameters
from plumbing.registry import Registry

FORECASTERS: Registry[Forecaster] = Registry("forecaster")
FORECASTERS.register("historical_mean")(HistoricalMean)


class _SklearnFactory:
    """Builds :class:`SklearnForecaster` ``model`` from flat parameters.

    The forecaster's own parameters are ``param_grid``, ``cv_splits``, ``gap`` and
    ``random_state``; every other one is the regressor's (``{name: ridge, params: {alpha: 10}}``).
    The signature lists both, so the registry names them all when a parameter is unknown; it
    is computed when asked for, so an optional regressor (LightGBM) is imported only then.
    """

    OWN = ("param_grid", "cv_splits", "gap", "random_state")

    def __init__(self, model: str):
        self.model = model
        self.__doc__ = f"{model}: SklearnForecaster({model!r}) with flat regressor parameters."

    @property
    def __signature__(self) -> inspect.Signature:
        kw = inspect.Parameter.KEYWORD_ONLY
        own = [inspect.Parameter("param_grid", kw, default=None), inspect.Parameter("cv_splits", kw, default=5),
               inspect.Parameter("gap", kw, default=1), inspect.Parameter("random_state", kw, default=0)]
        return inspect.Signature(own + [inspect.Parameter(k, kw, default=v)
                                        for k, v in regressor_parameters(self.model).items()])

    def __call__(self, param_grid: dict | None = None, cv_splits: int = 5, gap: int = 1, random_state: int = 0,
                 **params: Any) -> SklearnForecaster:
        return SklearnForecaster(self.model, params=params or None, param_grid=param_grid, cv_splits=cv_splits,
                                 gap=gap, random_state=random_state)


for _model in ("ridge", "lasso", "elastic_net", "random_forest", "gradient_boosting", "lightgbm", "mlp"):
    FORECASTERS.register(_model)(_SklearnFactory(_model))


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


@FORECASTERS.register("regime_only")
def _regime_only() -> RegimeOnly:
    return RegimeOnly()


@FORECASTERS.register("ensemble")
def _ensemble(members: list | None = None, random_state: int = 0) -> EnsembleForecaster:
    return EnsembleForecaster([_base(m, random_state) for m in (members or ["ridge", "random_forest"])])


def make_forecaster(name: str, random_state: int = 0, **params: Any) -> Forecaster:
    """Build a registered forecaster, passing the seed to models that take one."""
    if "random_state" in FORECASTERS.parameters(name):
        params.setdefault("random_state", random_state)
    return FORECASTERS.create(name, **params)


__all__ = ["FORECASTERS", "Forecaster", "RegimeInputs", "design", "make_forecaster"]
