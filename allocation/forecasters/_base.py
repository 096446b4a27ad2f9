"""Forecaster contract.

A forecaster learns from training pairs ``(x_u, y_u)`` where ``x_u`` is the
feature row dated u and ``y_u`` the target return over period u+1, and
predicts ``y_t`` from ``x_t``. Regime-aware forecasters also receive
:class:`RegimeInputs`:

* ``now[u]`` - filtered regime probabilities dated u (same date as ``x_u``);
* ``realized[u]`` - filtered probabilities dated u+1, the regime in which the
  training target was realized (known by u+1, hence by any t > u);
* ``next[t]`` - ``P(state_{t+1} | data <= t)``, used only to predict.

The walk-forward engine guarantees that every array passed to ``fit`` for a
decision date t holds only rows whose targets are realized by t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator


@dataclass
class RegimeInputs:
    """Regime probabilities aligned with feature rows, each shape ``(n_rows, n_states)``."""

    now: np.ndarray
    realized: np.ndarray | None = None
    next: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> RegimeInputs:
        return RegimeInputs(*(None if a is None else a[rows] for a in (self.now, self.realized, self.next)))


class Forecaster(BaseEstimator):
    """Base class: ``fit(X, y, regimes=None)`` and ``predict(X, regimes=None)``."""

    #: True when the forecaster needs regime inputs.
    uses_regimes: bool = False

    def fit(self, X: np.ndarray, y: np.ndarray, regimes: RegimeInputs | None = None) -> Forecaster:
        raise NotImplementedError

    def predict(self, X: np.ndarray, regimes: RegimeInputs | None = None) -> np.ndarray:
        raise NotImplementedError

    def feature_importances(self, feature_names: list[str]) -> dict[str, float] | None:
        """Model-native importances where the model has them (random forests, boosting)."""
        return None
