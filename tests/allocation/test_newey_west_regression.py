"""Newey-West (HAC) standard errors of the alpha regressions, checked against a sandwich written here.

The framework computes HAC variances in two ways: its own Bartlett long-run covariance (``_hac_cov``, used by
the Sharpe-difference, Clark-West and Diebold-Mariano statistics; checked against statsmodels in
``tests/allocation/test_stats_claims.py``) and statsmodels' OLS with ``cov_type="HAC"`` (alphas and loadings against
static and the Fama-French factors, ``newey_west_regression``). The second cannot be checked against
statsmodels, which computes it, so it is checked here against the sandwich estimator written out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allocation import stats


def _ar1(rng: np.random.Generator, n: int, k: int, phi: float = 0.5) -> np.ndarray:
    """Autocorrelated columns, so the lag terms of the HAC estimator matter."""
    e = rng.standard_normal((n, k))
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def test_newey_west_regression_standard_errors_equal_a_hand_sandwich() -> None:
    """Alpha and loading t-statistics of ``newey_west_regression`` against (X'X)^-1 S (X'X)^-1, with S the
    Bartlett-weighted sum of score autocovariances (no small-sample factor, as statsmodels by default)."""
    rng = np.random.default_rng(7)
    n = 400
    f = pd.DataFrame({"m": rng.normal(0.005, 0.04, n), "s": rng.normal(0, 0.03, n)})
    y = 0.002 + 1.2 * f["m"] - 0.5 * f["s"] + 0.01 * _ar1(rng, n, 1)[:, 0]
    res = stats.newey_west_regression(y, f)
    lags = int(np.floor(4 * (n / 100) ** (2 / 9)))
    X = np.column_stack([np.ones(n), f.to_numpy()])
    beta = np.linalg.solve(X.T @ X, X.T @ y.to_numpy())
    u = X * (y.to_numpy() - X @ beta)[:, None]
    S = u.T @ u
    for j in range(1, lags + 1):
        g = u[j:].T @ u[:-j]
        S += (1 - j / (lags + 1)) * (g + g.T)
    bread = np.linalg.inv(X.T @ X)
    se = np.sqrt(np.diag(bread @ S @ bread))
    assert res.alpha == pytest.approx(beta[0], rel=1e-10)
    assert res.alpha_t == pytest.approx(beta[0] / se[0], rel=1e-8)
    assert res.beta_t["m"] == pytest.approx(beta[1] / se[1], rel=1e-8)
    assert res.beta_t["s"] == pytest.approx(beta[2] / se[2], rel=1e-8)
