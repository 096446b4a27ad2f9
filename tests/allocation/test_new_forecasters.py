"""The lightgbm and mlp forecasters: the optional extra's message, and the network's time-series early stopping
(validation rows at the END of the training rows, epochs in time order) against an independent replica."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor

from allocation.forecasters import FORECASTERS, make_forecaster
from allocation.forecasters.regressors import TimeSeriesMLP
from plumbing.errors import FactorRegimesError


def test_lightgbm_missing_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # "import lightgbm" now raises ImportError
    for attempt in (lambda: FORECASTERS.parameters("lightgbm"), lambda: make_forecaster("lightgbm"),
                    lambda: make_forecaster("per_regime", base="lightgbm")):
        with pytest.raises(FactorRegimesError, match=r'pip install "factor-regimes\[lightgbm\]"') as info:
            attempt()
        assert "\n" not in str(info.value)
    assert "ridge" in FORECASTERS.names() and make_forecaster("ridge") is not None  # the rest is unaffected


def test_lightgbm_parameters_are_flat() -> None:
    model = make_forecaster("lightgbm", num_leaves=3, param_grid={})
    assert model._estimator().get_params()["num_leaves"] == 3


def _replica(X, y, n_val, epochs, **kw):
    """Epoch by epoch on the first rows (in order), keeping the epoch with the lowest loss on the last rows."""
    fit, val = slice(0, len(X) - n_val), slice(len(X) - n_val, None)
    mu, sd = y[fit].mean(), y[fit].std()
    net = MLPRegressor(shuffle=False, **kw)
    best, best_loss = None, np.inf
    for _ in range(epochs):
        net.partial_fit(X[fit], (y[fit] - mu) / sd)
        loss = np.mean((net.predict(X[val]) - (y[val] - mu) / sd) ** 2)
        if loss < best_loss:
            best_loss, best = loss, net.predict(X) * sd + mu
    return best


def test_mlp_early_stopping_uses_the_last_rows() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 3))
    y = 0.02 * X[:, 0] + 0.01 * rng.standard_normal(100)
    kw = dict(hidden_layer_sizes=(8,), alpha=1e-3, learning_rate_init=0.01, batch_size=16, random_state=0)
    model = TimeSeriesMLP(max_iter=15, validation_fraction=0.2, n_iter_no_change=15, tol=0.0, **kw).fit(X, y)
    np.testing.assert_allclose(model.predict(X), _replica(X, y, 20, 15, **kw), rtol=1e-10, atol=1e-12)
    # the validation rows only choose the epoch: with other targets there, the kept network is one of the same
    # trajectory's epochs
    y2 = y.copy()
    y2[80:] = rng.standard_normal(20)
    other = TimeSeriesMLP(max_iter=15, validation_fraction=0.2, n_iter_no_change=15, tol=0.0, **kw).fit(X, y2)
    trajectory = MLPRegressor(shuffle=False, **kw)
    mu, sd = y[:80].mean(), y[:80].std()
    coefs = []
    for _ in range(15):
        trajectory.partial_fit(X[:80], (y2[:80] - mu) / sd)
        coefs.append(trajectory.coefs_[0].copy())
    assert any(np.allclose(other.model_.coefs_[0], c, rtol=0, atol=1e-12) for c in coefs)


def test_mlp_refuses_too_few_rows() -> None:
    with pytest.raises(ValueError, match="n_samples=2"):
        TimeSeriesMLP().fit(np.ones((2, 1)), np.array([0.0, 1.0]))
