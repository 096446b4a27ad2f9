"""Sparse jump model (Nystrup, Kolm & Lindstrom 2021, "Feature selection in jump models").

The statistical jump model (:mod:`regimes.detectors.jump`) weighs every
feature equally. The sparse jump model learns non-negative feature weights
``w`` with ``||w||_2 <= 1`` and ``||w||_1 <= kappa`` (the sparsity budget,
``1 <= kappa <= sqrt(n_features)``; ``kappa ** 2`` is roughly the number of
features kept), in the manner of sparse k-means (Witten & Tibshirani 2010):

1. Given ``w``, fit the jump model on the weighted squared distance
   ``sum_j w_j (x_tj - mu_kj) ** 2`` (features scaled by ``sqrt(w)``).
2. Given the state path, set ``w`` to maximize ``sum_j w_j BCSS_j`` under the
   two constraints, where ``BCSS_j = sum_k n_k (mu_kj - mean_j) ** 2`` is the
   between-state sum of squares of feature j: the solution is
   ``w = S(BCSS, delta) / ||S(BCSS, delta)||_2`` with soft-thresholding
   ``S(a, delta) = max(a - delta, 0)``, ``delta = 0`` if that meets the L1
   budget, else the ``delta`` for which ``||w||_1 = kappa`` (bisection).

Iterate until the weights stop moving. When the budget binds, features whose
between-state spread is small get weight exactly zero: they are not used at
all, in the fit or in the causal labels. (When it does not bind, every
feature keeps a weight proportional to its spread.)

Causal (online) labels: the jump model's forward programme with fixed
centroids and weights, ``argmin_k V_t(k)`` (rows <= t only, past labels never
revised).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from plumbing.errors import EstimatorInputError
from regimes.detectors import cjm as cjm_module
from regimes.detectors import jump as jump_module
from regimes.detectors._base import RegimeDetector, canonical_order, state_risk
from regimes.detectors.cjm import label_dynamics
from regimes.detectors.jump import (
    JumpModelDetector,
    _distances,
    check_states_and_penalty,
    forward_costs,
)


def sparse_weights(bcss: np.ndarray, kappa: float, tol: float = 1e-10) -> np.ndarray:
    """Weights maximizing ``bcss @ w`` with ``w >= 0``, ``||w||_2 <= 1``, ``||w||_1 <= kappa``.

    Parameters
    ----------
    bcss : ndarray of shape (n_features,)
        Between-state sums of squares (non-negative).
    kappa : float
        L1 budget, >= 1.

    Returns
    -------
    ndarray of shape (n_features,)
        Unit L2 norm; zero where ``bcss`` is below the soft threshold. Ties at the top
        share the weight (their L1 norm may then exceed ``kappa`` only if ``kappa`` is
        below the square root of their number).
    """
    a = np.maximum(np.asarray(bcss, dtype=float), 0.0)
    if not a.max() > 0:
        return np.full(len(a), 1.0 / np.sqrt(len(a)))

    def weights(delta: float) -> np.ndarray:
        s = np.maximum(a - delta, 0.0)
        return s / np.linalg.norm(s)

    w = weights(0.0)
    if w.sum() <= kappa:
        return w
    lo, hi = 0.0, float(a.max())
    for _ in range(200):  # ||w(delta)||_1 decreases in delta
        mid = 0.5 * (lo + hi)
        if mid >= a.max() or weights(mid).sum() < kappa:
            hi = mid
        else:
            lo = mid
        if hi - lo <= tol * a.max():
            break
    return weights(lo)


class SparseJumpModelDetector(RegimeDetector):
    """Sparse jump model: feature weights under a sparsity budget, causal online labels.

    Parameters
    ----------
    n_states : int, default 2
    jump_penalty : float, default 10.0
        ``lambda``, in units of the weighted squared distance.
    kappa : float, default 1.5
        L1 budget of the weights, in ``[1, sqrt(n_features)]`` (a larger value
        is capped there: no sparsity); ``kappa ** 2`` approximates the number of
        features kept.
    max_iter : int, default 10
        Weight updates (stops when the weights move less than ``tol`` in
        relative L1 norm).
    tol : float, default 1e-4
    n_init, jm_max_iter : int, default 10, 30
        Starts and alternations of each inner jump-model fit.
    feature_names : list of str or None
        Names of the columns of ``X`` (filled from the experiment's features;
        names of a DataFrame passed to ``fit`` take precedence), for
        :attr:`selected_features_`.
    risk_column : int, default 0
        Feature whose statistic orders the states (on the unweighted data).
    risk_stat : {"mean", "std", "-mean"}, default "mean"
    random_state : int, RandomState or None

    Attributes
    ----------
    feature_weights_ : ndarray of shape (n_features,)
        ``w``: non-negative, unit L2 norm, L1 norm <= kappa; zeros are dropped features.
    selected_features_ : list
        Names (or column indices) of the features with positive weight.
    centroids_ : ndarray of shape (n_states, n_features)
        Per-state means of the unweighted features, canonical order.
    labels_ : ndarray of shape (n_samples,)
        Training-window path (two-sided optimum: diagnostics only).
    objective_ : float
    n_iter_ : int
    transmat_, expected_durations_ : ndarray
        Empirical dynamics of ``labels_``.
    """

    #: Modules besides the class's own whose code changes its results (part of the regime cache key).
    code_modules = (jump_module, cjm_module)

    def __init__(self, n_states: int = 2, jump_penalty: float = 10.0, kappa: float = 1.5, max_iter: int = 10,
                 tol: float = 1e-4, n_init: int = 10, jm_max_iter: int = 30, feature_names: list | None = None,
                 risk_column: int = 0, risk_stat: str = "mean", random_state=None):
        self.n_states = n_states
        self.jump_penalty = jump_penalty
        self.kappa = kappa
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.jm_max_iter = jm_max_iter
        self.feature_names = feature_names
        self.risk_column = risk_column
        self.risk_stat = risk_stat
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        check_states_and_penalty("sjm", self.n_states, self.jump_penalty)
        if not (isinstance(self.kappa, (int, float)) and self.kappa >= 1):
            raise EstimatorInputError(f"sjm: kappa (the L1 budget of the feature weights) must be >= 1, "
                                     f"not {self.kappa!r}")
        for name in ("max_iter", "n_init", "jm_max_iter"):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and value >= 1):
                raise EstimatorInputError(f"sjm: {name} must be an integer >= 1, not {value!r}")
        names = self.feature_names
        if names is not None and len(names) != self.n_features_in_:
            raise EstimatorInputError(f"sjm: feature_names has {len(names)} names for {self.n_features_in_} features")

    def _fit(self, X: np.ndarray) -> None:
        if len(X) < 2 * self.n_states:
            raise EstimatorInputError(f"sjm: n_samples={len(X)} observations are too few for {self.n_states} states")
        p = X.shape[1]
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        w = np.full(p, 1.0 / np.sqrt(p))
        for n_iter in range(1, self.max_iter + 1):
            inner = JumpModelDetector(n_states=self.n_states, jump_penalty=self.jump_penalty, n_init=self.n_init,
                                      max_iter=self.jm_max_iter, random_state=seed).fit(X * np.sqrt(w))
            labels = inner.labels_
            centroids = np.array([X[labels == k].mean(axis=0) if np.any(labels == k) else X.mean(axis=0)
                                  for k in range(self.n_states)])
            counts = np.bincount(labels, minlength=self.n_states)
            bcss = counts @ (centroids - X.mean(axis=0)) ** 2
            new_w = sparse_weights(bcss, self.kappa)
            moved = np.abs(new_w - w).sum() / np.abs(w).sum()
            if moved <= self.tol or n_iter == self.max_iter:
                break  # keep the fit made with w (the weights its distances used)
            w = new_w
        self.converged_ = bool(moved <= self.tol)
        risk = state_risk(X, labels, self.n_states, self.risk_column, self.risk_stat,
                          means=None if self.risk_stat == "std" else centroids[:, self.risk_column])
        order = canonical_order(risk)
        rank = np.argsort(order)
        self.feature_weights_ = w
        self.centroids_ = centroids[order]
        self.labels_ = rank[labels]
        self.objective_ = inner.objective_
        self.n_iter_ = n_iter
        names = getattr(self, "feature_names_in_", None)
        names = list(names) if names is not None else (list(self.feature_names) if self.feature_names else None)
        self.selected_features_ = [str(names[j]) if names else int(j) for j in np.flatnonzero(w > 0)]
        self.transmat_, self.expected_durations_ = label_dynamics(self.labels_, self.n_states)

    def weighted_distances(self, X: np.ndarray) -> np.ndarray:
        """``sum_j w_j (x_tj - mu_kj) ** 2``, shape ``(n_samples, n_states)``; row t uses row t only."""
        return _distances(X * np.sqrt(self.feature_weights_), self.centroids_ * np.sqrt(self.feature_weights_))

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        values = forward_costs(self.weighted_distances(X), self.jump_penalty)[start:]
        return np.eye(self.n_states)[values.argmin(axis=1)]
