"""Continuous jump model (Aydinhan, Kolm, Mulvey & Shu 2024).

The statistical jump model (:mod:`regimes.detectors.jump`) assigns each row
to one of K centroids. The continuous jump model assigns each row a
*probability vector* ``s_t`` on the simplex (discretized on a grid of step
``grid_size``), pays the probability-weighted squared distance to the
centroids, and a jump penalty that grows with the distance between
consecutive vectors, so that regime changes can be gradual:

    minimize  sum_t sum_k s_t[k] * ||x_t - mu_k||^2
              + lambda * sum_t (||s_t - s_{t-1}||_1 / 2) ** power

With ``power = 2`` (the paper's choice) a move from one pure state to the
other costs ``lambda``, exactly as in the discrete model, but two half steps
cost ``lambda / 2``: transitions are smooth. ``mode_loss`` adds to the cost of
leaving each grid point the log-normalizer that makes ``exp(-penalty)`` a
transition matrix (rows summing to the same value), so interior points, which
have more close neighbours, are not favoured merely for that.

Fitting alternates an exact dynamic programme over the grid (given the
centroids) and a centroid update weighted by the probabilities (given the
path). It starts from the discrete jump model's solution (itself the best of
``n_init`` seeded k-means++ starts): the discrete model is the continuous one
restricted to the simplex vertices.

Causal (online) output: the forward programme with fixed centroids,
``V_t(g) = L_t(g) + min_h (V_{t-1}(h) + P[h, g])``; the output at t is the
grid vector minimizing ``V_t``. It uses rows <= t only and never revises past
outputs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from plumbing.errors import EstimatorInputError
from regimes.detectors import jump as jump_module
from regimes.detectors._base import (
    RegimeDetector,
    canonical_order,
    state_risk,
)
from regimes.detectors.jump import (
    JumpModelDetector,
    _distances,
    check_states_and_penalty,
)

#: Largest simplex grid accepted (the programme costs grid points squared per row).
MAX_GRID_POINTS = 1500


def simplex_grid(n_states: int, grid_size: float) -> np.ndarray:
    """Probability vectors whose entries are multiples of ``1 / m``, ``m = round(1 / grid_size)``.

    Returns
    -------
    ndarray of shape (n_points, n_states)
        Rows sum to one; the pure states (vertices) are included. Lexicographic order of the counts.
    """
    m = int(round(1.0 / grid_size))
    counts = [c for c in itertools.product(range(m + 1), repeat=n_states) if sum(c) == m]
    return np.asarray(counts, dtype=float) / m


def penalty_matrix(grid: np.ndarray, jump_penalty: float, power: float = 2.0, mode_loss: bool = True) -> np.ndarray:
    """Cost of moving between grid points, shape ``(n_points, n_points)``; ``[h, g]`` is from h to g.

    ``jump_penalty * (||g - h||_1 / 2) ** power``, plus with ``mode_loss`` the row offset
    ``logsumexp(-P[h]) - logsumexp(-P[vertex])`` (zero on the vertices).
    """
    dist = cdist(grid, grid, "cityblock") / 2.0
    pen = float(jump_penalty) * dist ** float(power)
    if mode_loss:
        norm = logsumexp(-pen, axis=1)
        vertex = int(np.flatnonzero(np.isclose(grid.max(axis=1), 1.0))[0])
        pen = pen + (norm - norm[vertex])[:, None]
    return pen


def grid_forward(loss: np.ndarray, pen: np.ndarray) -> np.ndarray:
    """Forward values ``V_t(g)``, shape ``(n_samples, n_points)``; row t uses ``loss`` rows <= t.

    ``V_0 = L_0`` and ``V_t(g) = L_t(g) + min_h (V_{t-1}(h) + pen[h, g])``.
    """
    n = len(loss)
    values = np.empty_like(loss, dtype=float)
    if n == 0:
        return values
    values[0] = loss[0]
    for t in range(1, n):
        values[t] = loss[t] + (values[t - 1][:, None] + pen).min(axis=0)
    return values


def grid_best_path(loss: np.ndarray, pen: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact minimizer of ``sum_t loss[t, g_t] + sum_t pen[g_{t-1}, g_t]`` (two-sided: uses every row).

    Parameters
    ----------
    loss : ndarray of shape (n_samples, n_points)
    pen : ndarray of shape (n_points, n_points)

    Returns
    -------
    path : ndarray of shape (n_samples,)
        Grid indices (first index of lowest value on ties).
    objective : float
    """
    values = grid_forward(loss, pen)
    path = np.empty(len(loss), dtype=np.int64)
    path[-1] = int(values[-1].argmin())
    for t in range(len(loss) - 1, 0, -1):
        path[t - 1] = int((values[t - 1] + pen[:, path[t]]).argmin())
    return path, float(values[-1].min())


class ContinuousJumpModelDetector(RegimeDetector):
    """Continuous jump model: probability-vector states, smooth transitions, causal online output.

    Parameters
    ----------
    n_states : int, default 2
    jump_penalty : float, default 10.0
        ``lambda``: cost of a move from one pure state to another, in squared
        distance of standardized features (the same unit as ``jump``).
    grid_size : float, default 0.05
        Step of the simplex grid (21 points for 2 states, 231 for 3).
    penalty_power : {1, 2}, default 2
        Exponent of the half L1 distance in the penalty (2: the paper's squared
        distance; 1: linear, gradual paths cost as much as a jump).
    mode_loss : bool, default True
        Add the row normalizer of ``exp(-penalty)`` (see the module docstring).
    n_init : int, default 10
        Seeded k-means++ starts of the discrete jump model that initializes the fit.
    max_iter : int, default 30
        Alternations of the continuous fit (stops early when the path repeats).
    risk_column : int, default 0
    risk_stat : {"mean", "std", "-mean"}, default "mean"
    random_state : int, RandomState or None

    Attributes
    ----------
    centroids_ : ndarray of shape (n_states, n_features)
        Canonical order (state 0 risk-on).
    grid_ : ndarray of shape (n_points, n_states)
        The simplex grid, columns in canonical order.
    proba_ : ndarray of shape (n_samples, n_states)
        Training-window path (two-sided exact optimum: diagnostics only).
    labels_ : ndarray of shape (n_samples,)
        Argmax of ``proba_``.
    objective_ : float
    n_iter_ : int
    transmat_ : ndarray of shape (n_states, n_states)
        Empirical transitions of ``labels_`` (for one-step-ahead probabilities).
    expected_durations_ : ndarray of shape (n_states,)
        Mean run length of ``labels_`` per state, in periods.
    """

    #: Modules besides the class's own whose code changes its results (part of the regime cache key).
    code_modules = (jump_module,)

    def __init__(self, n_states: int = 2, jump_penalty: float = 10.0, grid_size: float = 0.05,
                 penalty_power: float = 2, mode_loss: bool = True, n_init: int = 10, max_iter: int = 30,
                 risk_column: int = 0, risk_stat: str = "mean", random_state=None):
        self.n_states = n_states
        self.jump_penalty = jump_penalty
        self.grid_size = grid_size
        self.penalty_power = penalty_power
        self.mode_loss = mode_loss
        self.n_init = n_init
        self.max_iter = max_iter
        self.risk_column = risk_column
        self.risk_stat = risk_stat
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        check_states_and_penalty("cjm", self.n_states, self.jump_penalty)
        if not (isinstance(self.grid_size, (int, float)) and 0 < self.grid_size <= 0.5
                and abs(1.0 / self.grid_size - round(1.0 / self.grid_size)) < 1e-9):
            raise EstimatorInputError(f"cjm: grid_size must be 1/m for an integer m >= 2 (0.05, 0.1, ...), "
                                     f"not {self.grid_size!r}")
        if self.penalty_power not in (1, 2):
            raise EstimatorInputError(f"cjm: penalty_power must be 1 or 2, not {self.penalty_power!r}")
        if not (isinstance(self.n_init, (int, np.integer)) and self.n_init >= 1):
            raise EstimatorInputError(f"cjm: n_init must be an integer >= 1, not {self.n_init!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise EstimatorInputError(f"cjm: max_iter must be an integer >= 1, not {self.max_iter!r}")
        points = math.comb(round(1.0 / self.grid_size) + self.n_states - 1, self.n_states - 1)
        if points > MAX_GRID_POINTS:
            raise EstimatorInputError(f"cjm: {self.n_states} states on a grid of step {self.grid_size} make {points} "
                                     f"grid points (at most {MAX_GRID_POINTS}); use a coarser grid_size")

    def _fit(self, X: np.ndarray) -> None:
        if len(X) < 2 * self.n_states:
            raise EstimatorInputError(f"cjm: n_samples={len(X)} observations are too few for {self.n_states} states")
        start = JumpModelDetector(n_states=self.n_states, jump_penalty=self.jump_penalty, n_init=self.n_init,
                                  risk_column=self.risk_column, risk_stat=self.risk_stat,
                                  random_state=self.random_state).fit(X)
        grid = simplex_grid(self.n_states, self.grid_size)
        pen = penalty_matrix(grid, self.jump_penalty, self.penalty_power, self.mode_loss)
        centroids = start.centroids_.copy()
        path, n_iter = None, 0
        for n_iter in range(1, self.max_iter + 1):
            new_path, objective = grid_best_path(_distances(X, centroids) @ grid.T, pen)
            if path is not None and np.array_equal(new_path, path):
                break
            path = new_path
            weights = grid[path]  # (n_samples, n_states)
            mass = weights.sum(axis=0)
            for k in range(self.n_states):
                if mass[k] > 0:
                    centroids[k] = weights[:, k] @ X / mass[k]
        else:
            path, objective = grid_best_path(_distances(X, centroids) @ grid.T, pen)
        proba = grid[path]
        labels = proba.argmax(axis=1)
        risk = state_risk(X, labels, self.n_states, self.risk_column, self.risk_stat,
                          means=None if self.risk_stat == "std" else centroids[:, self.risk_column])
        order = canonical_order(risk)
        self.centroids_ = centroids[order]
        self.grid_ = grid[:, order]
        self.proba_ = proba[:, order]
        self.labels_ = self.proba_.argmax(axis=1)
        self.objective_ = objective
        self.n_iter_ = n_iter
        self.transmat_, self.expected_durations_ = label_dynamics(self.labels_, self.n_states)

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        pen = penalty_matrix(self.grid_, self.jump_penalty, self.penalty_power, self.mode_loss)
        values = grid_forward(_distances(X, self.centroids_) @ self.grid_.T, pen)[start:]
        return self.grid_[values.argmin(axis=1)]


def label_dynamics(labels: np.ndarray, n_states: int) -> tuple[np.ndarray, np.ndarray]:
    """Empirical transition matrix and mean run length per state of a label path.

    Returns
    -------
    transmat : ndarray of shape (n_states, n_states)
        Row-normalized transition counts (NaN rows for states never left from).
    durations : ndarray of shape (n_states,)
        Mean length of the runs of each state, in periods (NaN if absent).
    """
    counts = np.zeros((n_states, n_states))
    np.add.at(counts, (labels[:-1], labels[1:]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        transmat = counts / counts.sum(axis=1, keepdims=True)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(labels)) + 1, [len(labels)]])
    run_states, lengths = labels[bounds[:-1]], np.diff(bounds)
    durations = np.array([lengths[run_states == k].mean() if np.any(run_states == k) else np.nan
                          for k in range(n_states)])
    return transmat, durations
