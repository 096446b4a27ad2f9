"""Forecaster contract: scikit-learn regressors, regime probabilities as input columns.

A forecaster learns from training pairs ``(x_u, y_u)`` where ``x_u`` is the
feature row dated u and ``y_u`` the target return over period u+1, and
predicts ``y_t`` from ``x_t``: ``fit(X, y)`` and ``predict(X)``, as any
scikit-learn regressor.

Regime-aware forecasters (``regime_input`` not None) read the regime
probabilities from the LAST ``n_states`` columns of ``X`` (the regime block);
the columns before them are the features. Which probabilities the block holds
is the model's ``regime_input``:

* ``"now"`` - filtered probabilities dated u, the same date as ``x_u``, for
  training and prediction rows alike;
* ``"target"`` - the probabilities of the regime of the TARGET's period:
  for a training row u, the filtered probabilities dated u+1 (the regime in
  which ``y_u`` was realized, known by u+1, hence by any t > u); for a
  prediction row t, ``P(state_{t+1} | data <= t)``.

:class:`RegimeInputs` holds the three aligned arrays the walk-forward engine
has, and :func:`design` builds the matrix a given forecaster takes from them.
The walk-forward engine guarantees that every array passed to ``fit`` for a
decision date t holds only rows whose targets are realized by t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import validate_data

from plumbing.errors import EstimatorInputError


@dataclass
class RegimeInputs:
    """Regime probabilities aligned with feature rows, each shape ``(n_rows, n_states)``.

    ``now[u]`` is dated u; ``realized[u]`` is dated u+1 (the target's period);
    ``next[u]`` is ``P(state_{u+1} | data <= u)``.
    """

    now: np.ndarray
    realized: np.ndarray | None = None
    next: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> RegimeInputs:
        return RegimeInputs(*(None if a is None else a[rows] for a in (self.now, self.realized, self.next)))

    def block(self, kind: str, fit: bool) -> np.ndarray:
        """The regime block of a ``regime_input`` of ``kind`` for training (``fit``) or prediction rows."""
        if kind == "now":
            return self.now
        return self.realized if fit else self.next


def design(model, X: np.ndarray, regimes: RegimeInputs | None, fit: bool) -> np.ndarray:
    """The input matrix ``model`` takes: ``X`` with, for a regime-aware model, its regime block appended.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    regimes : RegimeInputs or None
        The same rows; required when ``model.uses_regimes``.
    fit : bool
        Training rows (a ``"target"`` block holds realized probabilities) or
        prediction rows (it holds next-period probabilities).

    Returns
    -------
    ndarray of shape (n_rows, n_features [+ n_states])
    """
    kind = getattr(model, "regime_input", None)
    if kind is None:
        return X
    if regimes is None:
        raise EstimatorInputError(f"{type(model).__name__} needs a regime detector (no regime probabilities given)")
    return np.hstack([X, regimes.block(kind, fit)])


class Forecaster(RegressorMixin, BaseEstimator):
    """Base class: ``fit(X, y)`` and ``predict(X)``; regime-aware subclasses set ``regime_input``."""

    #: None, or which probabilities the last ``n_states`` columns of X hold ("now" or "target").
    regime_input: str | None = None

    @property
    def uses_regimes(self) -> bool:
        """True when the forecaster reads a regime block from its input."""
        return self.regime_input is not None

    def feature_importances(self, feature_names: list[str]) -> dict[str, float] | None:
        """Model-native importances where the model has them (random forests, boosting)."""
        return None

    def _check(self, X, y=None, reset: bool = True, min_features: int = 1):
        """scikit-learn's input validation (2-D, numeric, finite, dense; feature count at predict)."""
        if reset:
            X, y = validate_data(self, X, y, y_numeric=True, dtype=float, ensure_min_features=min_features)
            return X, np.asarray(y, dtype=float)
        return validate_data(self, X, reset=False, dtype=float, ensure_min_features=min_features)


class RegimeAware(Forecaster):
    """Shared by forecasters with a regime block: splits ``X`` into features and regime probabilities."""

    #: the fewest feature columns before the regime block
    min_features: int = 0

    def _split(self, X, y=None, reset: bool = True):
        out = self._check(X, y, reset)
        X = out[0] if reset else out
        k = self.n_states
        if not isinstance(k, (int, np.integer)) or k < 2:
            raise EstimatorInputError(f"{type(self).__name__}: n_states must be an integer >= 2, not {k!r}")
        if X.shape[1] < k + self.min_features:
            raise EstimatorInputError(
                f"{type(self).__name__}: X has n_features={X.shape[1]} columns, but needs at least "
                f"{self.min_features} feature column(s) followed by {k} regime-probability columns")
        features, block = X[:, : X.shape[1] - k], X[:, X.shape[1] - k:]
        return (features, block, out[1]) if reset else (features, block)
