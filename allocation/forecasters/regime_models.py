"""Regime-aware forecasters built on any unconditional base forecaster.

* :class:`RegimeConditioned` - one model given the features, the filtered
  regime probabilities at the feature date, and their interactions.
* :class:`PerRegime` - one model per regime, each trained on the periods
  realized in that regime (probability weights or hard labels); the forecast
  mixes them with ``P(state_{t+1} | data <= t)``.
* :class:`RegimeOnly` - the regime-conditional mean of the target, mixed the same way.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import clone

from allocation.forecasters._base import Forecaster, RegimeInputs
from plumbing.errors import FactorRegimesError


def _need(regimes: RegimeInputs | None, field: str, who: str) -> np.ndarray:
    value = None if regimes is None else getattr(regimes, field)
    if value is None:
        raise FactorRegimesError(f"{who} needs a regime detector (no regime probabilities given)")
    return value


def _risky_columns(p: np.ndarray) -> np.ndarray:
    """Probabilities of every state but risk-on (for 2 states: the risk-off probability)."""
    return p[:, 1:]


class RegimeConditioned(Forecaster):
    """Base model on ``[x, p, x * p_risk_off]`` with ``p`` the filtered probabilities at the feature date."""

    uses_regimes = True

    def __init__(self, base: Forecaster | None = None, interactions: bool = True):
        self.base = base
        self.interactions = interactions

    def _augment(self, X: np.ndarray, regimes: RegimeInputs | None) -> np.ndarray:
        p = _risky_columns(_need(regimes, "now", "regime_conditioned"))
        parts = [X, p]
        if self.interactions:
            parts.append(X * p[:, -1:])
        return np.hstack(parts)

    def fit(self, X, y, regimes: RegimeInputs | None = None) -> RegimeConditioned:
        self.model_ = clone(self.base).fit(self._augment(X, regimes), y)
        return self

    def predict(self, X, regimes: RegimeInputs | None = None) -> np.ndarray:
        return self.model_.predict(self._augment(X, regimes))


class PerRegime(Forecaster):
    """One base model per regime, mixed by next-period regime probabilities.

    Parameters
    ----------
    base : Forecaster
        Probability weights are passed as ``sample_weight`` where ``fit``
        takes it (else rows with weight > 0.5 are used). Hyperparameters are
        chosen by the base model's inner CV on the pooled training window and
        kept fixed for the per-regime fits.
    weighting : {"proba", "hard"}
        Train regime k's model with weights ``P(state = k)`` of the target's
        period, or only on the periods labelled k.
    min_weight : float
        A regime whose total weight is below this uses the pooled model.
    """

    uses_regimes = True

    def __init__(self, base: Forecaster | None = None, weighting: str = "proba", min_weight: float = 24.0):
        self.base = base
        self.weighting = weighting
        self.min_weight = min_weight

    def fit(self, X, y, regimes: RegimeInputs | None = None) -> PerRegime:
        if self.weighting not in ("proba", "hard"):
            raise FactorRegimesError(f"per_regime: weighting must be 'proba' or 'hard', not {self.weighting!r}")
        realized = _need(regimes, "realized", "per_regime")
        pooled = clone(self.base).fit(X, y)
        # hyperparameters are chosen once, on the pooled training window, then fixed per regime
        tuned = clone(self.base)
        if getattr(pooled, "best_params_", None) is not None and "param_grid" in tuned.get_params():
            tuned.set_params(params={**(tuned.params or {}), **pooled.best_params_}, param_grid={})
        self.models_ = []
        for k in range(realized.shape[1]):
            w = realized[:, k] if self.weighting == "proba" else (realized.argmax(axis=1) == k).astype(float)
            if w.sum() < self.min_weight:
                self.models_.append(pooled)
                continue
            model = clone(tuned)
            if "sample_weight" in inspect.signature(model.fit).parameters:
                model.fit(X, y, sample_weight=w)
            else:
                keep = w > 0.5
                model.fit(X[keep], y[keep])
            self.models_.append(model)
        return self

    def predict(self, X, regimes: RegimeInputs | None = None) -> np.ndarray:
        nxt = _need(regimes, "next", "per_regime")
        preds = np.column_stack([m.predict(X) for m in self.models_])
        return (preds * nxt).sum(axis=1)


class RegimeOnly(Forecaster):
    """``sum_k P(state_{t+1} = k) * mean_k`` with ``mean_k`` the probability-weighted mean target in regime k."""

    uses_regimes = True

    def fit(self, X, y, regimes: RegimeInputs | None = None) -> RegimeOnly:
        realized = _need(regimes, "realized", "regime_only")
        weights = realized.sum(axis=0)
        overall = float(np.mean(y))
        self.means_ = np.where(weights > 1e-9, (realized * y[:, None]).sum(axis=0) / np.maximum(weights, 1e-9),
                               overall)
        return self

    def predict(self, X, regimes: RegimeInputs | None = None) -> np.ndarray:
        return _need(regimes, "next", "regime_only") @ self.means_
