"""Every registered forecaster passes scikit-learn's ``check_estimator``, except the checks its class declares not
applicable in ``expected_failed_checks`` (check name -> reason); and a regime-aware forecaster composes with
scikit-learn: its regime probabilities are the last ``n_states`` input columns."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import cross_val_predict
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from allocation.forecasters import FORECASTERS, make_forecaster
from allocation.forecasters.regime_models import RegimeOnly
from allocation.forecasters.regressors import REGRESSORS

# small settings for speed; others use their defaults
FAST: dict[str, dict] = {
    "random_forest": {"n_estimators": 10},
    "gradient_boosting": {"max_iter": 10},
    "lightgbm": {"n_estimators": 20},
    "mlp": {"param_grid": {}, "max_iter": 20},
    "ensemble": {"members": ["ridge", "historical_mean"]},
}


@pytest.mark.parametrize("name", FORECASTERS.names())
def test_check_estimator(name: str) -> None:
    model = make_forecaster(name, **FAST.get(name, {}))
    declared = type(model).expected_failed_checks if hasattr(type(model), "expected_failed_checks") else {}
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in declared.values())
    with threadpool_limits(limits=1):
        results = check_estimator(model, expected_failed_checks=declared, on_skip=None)
    ran = {r["check_name"] for r in results}
    assert set(declared) <= ran, f"declared checks that do not exist: {set(declared) - ran}"
    assert not [r for r in results if r["status"] == "failed"]
    assert len(ran) > 40


def test_every_regressor_is_registered() -> None:
    assert set(REGRESSORS) <= set(FORECASTERS.names())


def test_regime_only_in_a_scikit_learn_cross_validation() -> None:
    """regime_only inside cross_val_predict: each fold's forecast is the mix of its training folds' regime means,
    computed here independently."""
    rng = np.random.default_rng(0)
    n = 60
    p = rng.dirichlet([1.0, 1.0], n)
    y = p @ np.array([0.02, -0.03]) + 0.01 * rng.standard_normal(n)
    X = np.column_stack([rng.standard_normal(n), p])  # one feature, then the regime block
    got = cross_val_predict(RegimeOnly(), X, y, cv=3)
    for test in np.array_split(np.arange(n), 3):
        train = np.setdiff1d(np.arange(n), test)
        means = (p[train] * y[train, None]).sum(axis=0) / p[train].sum(axis=0)
        np.testing.assert_allclose(got[test], p[test] @ means)


def test_flat_regressor_parameters_reach_the_regressor() -> None:
    model = make_forecaster("ridge", alpha=10.0, param_grid={})
    assert model._estimator().alpha == 10.0
    with pytest.raises(Exception, match="valid: param_grid, cv_splits, gap, random_state, alpha"):
        make_forecaster("ridge", alfa=10.0)
