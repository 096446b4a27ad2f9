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
from sklearn.utils.validation import check_is_fitted

from allocation.forecasters._base import RegimeAware
from plumbing.errors import EstimatorInputError


def _risky_columns(p: np.ndarray) -> np.ndarray:
    """Probabilities of every state but risk-on (for 2 states: the risk-off probability)."""
    return p[:, 1:]


#: the checks that cannot apply to a model that needs at least one feature column before its regime block
_NEEDS_A_FEATURE = "per_regime needs at least one feature column before its n_states=2 regime columns; this check fits on 2-column data"
NEEDS_A_FEATURE: dict[str, str] = {name: _NEEDS_A_FEATURE for name in (
    "check_estimators_overwrite_params", "check_estimators_fit_returns_self", "check_readonly_memmap_input",
    "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in")}


def _weights_tags(tags):
    # the regime block is used as weights, which must be >= 0; scikit-learn's tag covers all of X (the
    # features may be negative: the checks then shift all their data to be non-negative, which is harmless)
    tags.input_tags.positive_only = True
    return tags


def _weights(block: np.ndarray, who: str) -> np.ndarray:
    """Regime probabilities used as weights: they must not be negative."""
    if (block < 0).any():
        raise EstimatorInputError(f"{who}: Negative values in data passed to the regime-probability columns (the last "
                                  "n_states of X); they are weights and must be >= 0")
    return block


class RegimeConditioned(RegimeAware):
    """Base model on ``[x, p, x * p_risk_off]`` with ``p`` the filtered probabilities at the feature date.

    Parameters
    ----------
    base : Forecaster
        Unconditional model fitted on the augmented inputs.
    interactions : bool, default True
    n_states : int, default 2
        The last ``n_states`` columns of ``X`` are the filtered regime
        probabilities dated with the row (``regime_input = "now"``).
    """

    regime_input = "now"

    def __init__(self, base=None, interactions: bool = True, n_states: int = 2):
        self.base = base
        self.interactions = interactions
        self.n_states = n_states

    def _augment(self, X: np.ndarray, p: np.ndarray) -> np.ndarray:
        p = _risky_columns(p)
        parts = [X, p]
        if self.interactions:
            parts.append(X * p[:, -1:])
        return np.hstack(parts)

    def fit(self, X, y) -> RegimeConditioned:
        """Fit the base model on the augmented training rows."""
        if self.base is None:
            raise EstimatorInputError("regime_conditioned: needs a base forecaster")
        features, p, y = self._split(X, y)
        self.model_ = clone(self.base).fit(self._augment(features, p), y)
        return self

    def predict(self, X) -> np.ndarray:
        """Forecasts, shape ``(n_rows,)``; row t uses its features and probabilities dated t."""
        check_is_fitted(self)
        features, p = self._split(X, reset=False)
        return self.model_.predict(self._augment(features, p))


class PerRegime(RegimeAware):
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
    n_states : int, default 2
        The last ``n_states`` columns of ``X`` are the probabilities of the
        target period's regime (``regime_input = "target"``): realized
        (filtered at u+1) for training rows, ``P(state_{t+1} | data <= t)``
        for prediction rows.
    """

    regime_input = "target"
    min_features = 1
    expected_failed_checks: dict[str, str] = NEEDS_A_FEATURE

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # its forecast mixes the per-regime forecasts by the regime columns, which scikit-learn's checks fill
        # with arbitrary non-negative numbers (not probabilities summing to 1)
        tags.regressor_tags.poor_score = True
        return _weights_tags(tags)

    def __init__(self, base=None, weighting: str = "proba", min_weight: float = 24.0, n_states: int = 2):
        self.base = base
        self.weighting = weighting
        self.min_weight = min_weight
        self.n_states = n_states

    def fit(self, X, y) -> PerRegime:
        """Fit the pooled model (which tunes), then one model per regime with the tuned parameters."""
        if self.weighting not in ("proba", "hard"):
            raise EstimatorInputError(f"per_regime: weighting must be 'proba' or 'hard', not {self.weighting!r}")
        if self.base is None:
            raise EstimatorInputError("per_regime: needs a base forecaster")
        X, realized, y = self._split(X, y)
        realized = _weights(realized, "per_regime")
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

    def predict(self, X) -> np.ndarray:
        """``sum_k P(state_{t+1} = k) * forecast_k(x_t)``, shape ``(n_rows,)``."""
        check_is_fitted(self)
        X, nxt = self._split(X, reset=False)
        preds = np.column_stack([m.predict(X) for m in self.models_])
        return (preds * nxt).sum(axis=1)


class RegimeOnly(RegimeAware):
    """``sum_k P(state_{t+1} = k) * mean_k`` with ``mean_k`` the probability-weighted mean target in regime k.

    Parameters
    ----------
    n_states : int, default 2
        The last ``n_states`` columns of ``X`` are the target period's regime
        probabilities (as :class:`PerRegime`); the features before them are ignored.
    """

    regime_input = "target"

    def __init__(self, n_states: int = 2):
        self.n_states = n_states

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # it ignores the features by design
        return _weights_tags(tags)

    def fit(self, X, y) -> RegimeOnly:
        """Learn the probability-weighted mean target of each regime."""
        _, realized, y = self._split(X, y)
        realized = _weights(realized, "regime_only")
        weights = realized.sum(axis=0)
        overall = float(np.mean(y))
        self.means_ = np.where(weights > 1e-9, (realized * y[:, None]).sum(axis=0) / np.maximum(weights, 1e-9),
                               overall)
        return self

    def predict(self, X) -> np.ndarray:
        """``P(state_{t+1}) @ means_``, shape ``(n_rows,)``."""
        check_is_fitted(self)
        _, nxt = self._split(X, reset=False)
        return nxt @ self.means_
