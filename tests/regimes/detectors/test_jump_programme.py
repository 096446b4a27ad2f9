"""The jump model's dynamic programmes against a direct implementation written here, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from regimes.detectors.jump import (
    JumpModelDetector,
    _distances,
    best_path,
    forward_costs,
)


def naive_programme(dist: np.ndarray, penalty: float) -> tuple[list[list[float]], list[int]]:
    """Textbook Viterbi recursion, one state at a time.

    ``V[t][k] = d[t][k] + min(V[t-1][k], V[t-1][j] + penalty)`` with j the first state of
    lowest value at t-1; a state keeps its own predecessor when that is strictly cheaper
    than switching. Returns the value table and the backtracked path (last state: the first
    of lowest final value).
    """
    n, k = dist.shape
    V = [[float(dist[0, s]) for s in range(k)]]
    back = [list(range(k))]
    for t in range(1, n):
        prev = V[t - 1]
        j = 0
        for s in range(1, k):
            if prev[s] < prev[j]:
                j = s
        switch = prev[j] + penalty
        row, ptr = [], []
        for s in range(k):
            if prev[s] < switch:
                row.append(float(dist[t, s]) + prev[s])
                ptr.append(s)
            else:
                row.append(float(dist[t, s]) + switch)
                ptr.append(j)
        V.append(row)
        back.append(ptr)
    last = 0
    for s in range(1, k):
        if V[-1][s] < V[-1][last]:
            last = s
    path = [last]
    for t in range(n - 1, 0, -1):
        path.append(back[t][path[-1]])
    return V, path[::-1]


def _cases():
    rng = np.random.default_rng(42)
    for n_states in (2, 3, 4):
        for n in (1, 2, 7, 300):
            X = rng.normal(size=(n, 2))
            centroids = rng.normal(size=(n_states, 2))
            yield n_states, "continuous", _distances(X, centroids), 1.7
            # ties everywhere: small integer costs and an integer penalty
            yield n_states, "integer ties", rng.integers(0, 3, size=(n, n_states)).astype(float), 2.0
            yield n_states, "rounded, zero penalty", np.round(_distances(X, centroids), 1), 0.0
            # identical states: every step is a tie between all of them
            yield n_states, "identical columns", np.repeat(rng.random((n, 1)), n_states, axis=1), 0.5


@pytest.mark.parametrize(("n_states", "kind", "dist", "penalty"), list(_cases()),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_programmes_equal_naive_recursion_exactly(n_states, kind, dist, penalty) -> None:
    V, path = naive_programme(dist, penalty)
    states, objective = best_path(dist, penalty)
    assert states.dtype == np.int64 and states.shape == (len(dist),)
    assert states.tolist() == path
    assert objective == min(V[-1])  # bit for bit, not approximately
    np.testing.assert_array_equal(forward_costs(dist, penalty), np.array(V))
    # the path's own cost is the objective (up to summation order)
    cost = dist[np.arange(len(dist)), states].sum() + penalty * np.count_nonzero(np.diff(states))
    assert cost == pytest.approx(objective, rel=1e-12, abs=1e-12)


def test_forward_costs_of_an_empty_sample() -> None:
    assert forward_costs(np.empty((0, 2)), 1.0).shape == (0, 2)


def test_fit_reaches_the_programme_optimum_for_its_centroids() -> None:
    """After the fit, no state path beats the kept one for the fitted centroids (checked with the naive DP)."""
    rng = np.random.default_rng(3)
    states = np.repeat([0, 1, 0, 1], 60)
    X = np.column_stack([states * 2.0 + rng.normal(0, 0.7, 240), rng.normal(0, 1, 240)])
    det = JumpModelDetector(jump_penalty=4.0, random_state=0).fit(X)
    V, path = naive_programme(_distances(X, det.centroids_), 4.0)
    np.testing.assert_array_equal(det.labels_, path)
    assert det.objective_ == pytest.approx(min(V[-1]), rel=1e-12)
    assert np.mean(det.labels_ == states) > 0.95
