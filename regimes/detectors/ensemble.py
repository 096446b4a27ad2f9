"""Ensemble detector: the average of its members' risk-off probabilities."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from plumbing.errors import EstimatorInputError
from regimes.detectors._base import RegimeDetector, two_state


class EnsembleDetector(RegimeDetector):
    """Average risk-off probability of member detectors fitted on the same features.

    Parameters
    ----------
    members : list of RegimeDetector
        Unfitted detectors; each is cloned and fitted.
    weights : list of float or None, default None
        Member weights (normalized); equal weights by default.

    Attributes
    ----------
    members_ : list of RegimeDetector
        Fitted clones.
    """

    def __init__(self, members: list | None = None, weights: list[float] | None = None):
        self.members = members
        self.weights = weights

    def _check_params(self) -> None:
        if not self.members:
            raise EstimatorInputError("ensemble: needs at least one member detector")
        if self.weights is not None and len(self.weights) != len(self.members):
            raise EstimatorInputError("ensemble: weights must have one entry per member")

    def _fit(self, X: np.ndarray) -> None:
        self.members_ = [clone(m).fit(X) for m in self.members]

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        w = np.ones(len(self.members_)) if self.weights is None else np.asarray(self.weights, dtype=float)
        w = w / w.sum()
        probs = np.column_stack([m.filtered_proba(X, start)[:, -1] for m in self.members_])
        return two_state(probs @ w)
