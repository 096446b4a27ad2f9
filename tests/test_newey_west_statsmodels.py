"""Newey-West (HAC) standard errors checked against statsmodels and against a sandwich written here.

The framework computes HAC variances in two ways: its own Bartlett long-run covariance (``_hac_cov``, used by
the Sharpe-difference, Clark-West and Diebold-Mariano statistics) and statsmodels' OLS with
``cov_type="HAC"`` (alphas and loadings, ``newey_west_regression``). The first is checked against
statsmodels; the second against a sandwich estimator written in this file, so neither is checked against
its own code path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.sandwich_covariance import S_hac_simple

from allocation import stats
from allocation.forecast_eval import clark_west, diebold_mariano


def _ar1(rng: np.random.Generator, n: int, k: int, phi: float = 0.5) -> np.ndarray:
    """Autocorrelated columns, so the lag terms of the HAC estimator matter."""
    e = rng.standard_normal((n, k))
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


@pytest.mark.parametrize("lags", [0, 1, 4, 12])
def test_newey_west_long_run_covariance_equals_statsmodels(lags: int) -> None:
    y = _ar1(np.random.default_rng(lags), 300, 3) + [0.5, -1.0, 2.0]
    ours = stats._hac_cov(y, lags)
    theirs = S_hac_simple(y - y.mean(axis=0), nlags=lags) / len(y)  # a Bartlett-weighted sum: divide by n
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_newey_west_t_statistics_of_forecast_tests_equal_statsmodels() -> None:
    """Diebold-Mariano and Clark-West are HAC t-statistics of a mean: statsmodels' OLS on a constant with
    Newey-West errors (no small-sample correction) gives the same t."""
    rng = np.random.default_rng(1)
    n, lags = 240, 4
    y = 0.01 * _ar1(rng, n, 1)[:, 0]
    a, b = y + rng.normal(0, 0.02, n), rng.normal(0.001, 0.015, n)
    d = (y - b) ** 2 - (y - a) ** 2
    cw = (y - b) ** 2 - ((y - a) ** 2 - (b - a) ** 2)
    for series, ours in ((d, diebold_mariano(y, a, b, lags=lags)["stat"]),
                         (cw, clark_west(y, a, b, lags=lags)["stat"])):
        fit = sm.OLS(series, np.ones(n)).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
        assert ours == pytest.approx(float(fit.tvalues[0]), rel=1e-10)


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
