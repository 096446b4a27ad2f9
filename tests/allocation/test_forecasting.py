"""Forecasting: training only on realized targets, planted signal found, null not found (prefix invariance of every
forecaster and allocator: test_prefix_invariance.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allocation.allocators import AllocationInputs
from allocation.forecast_eval import clark_west, diebold_mariano, oos_r2
from allocation.forecasters import make_forecaster
from allocation.forecasting import ForecastSchedule, forecast_walk_forward
from regimes.detectors import DETECTORS
from regimes.evaluation import simulate_regimes
from regimes.walkforward import Schedule, walk_forward

SCHEDULE = ForecastSchedule(refit_every=6, min_train=48)

def _world(seed: int = 0, n: int = 240, signal: bool = True):
    """Synthetic regimes; the factor's next return depends on the next regime when ``signal``."""
    sample = simulate_regimes(n, persistence=0.97, separation=2.5, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    mean = np.where(sample.states.to_numpy() == 0, 0.015, -0.025) if signal else 0.004
    factor = pd.Series(mean + 0.03 * rng.standard_normal(n), index=sample.frame.index, name="F")
    X = pd.DataFrame({"F_lag": factor, "noise": rng.standard_normal(n)}, index=factor.index)
    return sample, factor, X


def _path(sample, name="jump"):
    det = DETECTORS.create(name, random_state=0) if name != "vix_threshold" else DETECTORS.create(name, quantile=0.6)
    feats = sample.frame[["log_vix", "sp500_ret"]] if name != "vix_threshold" else sample.frame[["vix"]]
    return walk_forward(det, feats, schedule=Schedule(refit_every=12, min_history=36))


def test_allocation_inputs_refuse_misaligned_frames() -> None:
    """Allocators read row i as decision date i, so a frame indexed otherwise is refused (prefix invariance of
    every allocator is tested in test_prefix_invariance.py)."""
    sample, factor, _ = _world(n=60)
    frame = pd.DataFrame(0.0, index=factor.index, columns=["F"])
    with pytest.raises(ValueError, match="indexed by the decision dates"):
        AllocationInputs(dates=factor.index[1:], assets=["F"], forecasts=frame, returns=frame, vol=frame)


def test_planted_regime_signal_is_found() -> None:
    """When the next return depends on the regime, regime-aware forecasts beat the unconditional ones."""
    sample, factor, X = _world(seed=2, n=360)
    path = _path(sample, "hmm")
    y = factor.shift(-1)
    run = {name: forecast_walk_forward(make_forecaster(name), X, y, schedule=SCHEDULE,
                                       regimes=path if make_forecaster(name).uses_regimes else None).frame
           for name in ("historical_mean", "ridge", "regime_only", "per_regime", "regime_conditioned")}
    common = pd.concat([f["forecast"] for f in run.values()], axis=1).dropna().index
    realized = run["ridge"].loc[common, "realized"]
    bench = run["historical_mean"].loc[common, "forecast"]
    # the oracle knows the state of period t+1 and so forecasts its true mean: no forecaster that sees only the
    # filtered state at t can do better (bar sampling luck far smaller than the margin here)
    oracle = pd.Series(np.where(sample.states.shift(-1) == 0, 0.015, -0.025), index=sample.states.index)
    ceiling = oos_r2(realized, oracle.reindex(common), bench)
    assert 0.2 < ceiling < 0.45
    for name in ("regime_only", "per_regime", "regime_conditioned"):
        f = run[name].loc[common, "forecast"]
        assert 0.05 < oos_r2(realized, f, bench) < ceiling, name
        assert clark_west(realized, f, bench)["p_value"] < 0.01, name
        assert diebold_mariano(realized, f, run["ridge"].loc[common, "forecast"])["stat"] > 0, name


def test_null_rejection_rate_is_nominal() -> None:
    """No regime dependence: the 5 % Clark-West test of regime_only against the mean rejects at about 5 %.

    With 200 independent samples the rejection count of a correctly sized test is Binomial(200, 0.05), whose
    99 % range is 3..19 (1.5 %..9.5 %); the bounds 1 %..10 % are two-sided, so a test that never rejects
    (undersized, as Diebold-Mariano is for nested models) fails as surely as one that rejects too often."""
    rejections = []
    for seed in range(200):
        sample, factor, X = _world(seed=seed, n=240, signal=False)
        path = _path(sample, "vix_threshold")
        y = factor.shift(-1)
        reg = forecast_walk_forward(make_forecaster("regime_only"), X, y, schedule=SCHEDULE, regimes=path).frame
        mean = forecast_walk_forward(make_forecaster("historical_mean"), X, y, schedule=SCHEDULE).frame
        both = pd.concat([reg["forecast"], mean["forecast"], reg["realized"]], axis=1).dropna()
        rejections.append(clark_west(both.iloc[:, 2], both.iloc[:, 0], both.iloc[:, 1])["p_value"] < 0.05)
    assert 0.01 <= np.mean(rejections) <= 0.10, np.mean(rejections)


def test_training_rows_only_use_realized_targets() -> None:
    """At decision date t the model has seen exactly the pairs (x_u, y_u) with u < t."""
    index = pd.date_range("2000-01-31", periods=80, freq="ME")
    X = pd.DataFrame({"x": np.arange(80.0)}, index=index)
    y = pd.Series(np.arange(80.0) * 0 + np.arange(80.0), index=index)
    res = forecast_walk_forward(make_forecaster("historical_mean"), X, y,
                                schedule=ForecastSchedule(refit_every=1, min_train=10))
    # historical mean at t = mean of y_0..y_{t-1} = (t - 1) / 2
    t = np.arange(10, 80)
    np.testing.assert_allclose(res.frame["forecast"].to_numpy()[10:], (t - 1) / 2)
    assert res.frame["forecast"].iloc[:10].isna().all()


def test_permutation_importance_finds_the_informative_input() -> None:
    from allocation.importance import native_importance, permutation_importance
    rng = np.random.default_rng(0)
    index = pd.date_range("1990-01-31", periods=300, freq="ME")
    X = pd.DataFrame({"signal": rng.standard_normal(300), "noise": rng.standard_normal(300)}, index=index)
    y = 0.02 * X["signal"] + 0.005 * rng.standard_normal(300)  # y_t (return over t+1) depends on x_t
    for name in ("ridge", "random_forest"):
        res = forecast_walk_forward(make_forecaster(name), X, y, schedule=ForecastSchedule(12, min_train=60))
        imp = permutation_importance(res, X, n_repeats=5)
        assert imp.index[0] == "signal" and imp.loc["signal", "mse_increase"] > 10 * abs(imp.loc["noise", "mse_increase"])
    native = native_importance(res)
    assert native.index[0] == "signal"
    sample, factor, Xr = _world(seed=2, n=300)
    path = _path(sample, "hmm")
    res = forecast_walk_forward(make_forecaster("regime_only"), Xr, factor.shift(-1), schedule=SCHEDULE, regimes=path)
    imp = permutation_importance(res, Xr, regimes=path, n_repeats=5)
    assert imp.index[0] == "regime"


def test_closed_form_ridge_cv_picks_what_grid_search_picks() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from allocation.forecasters.models import DEFAULT_GRIDS, ridge_cv_alpha
    rng = np.random.default_rng(0)
    alphas = DEFAULT_GRIDS["ridge"]["alpha"]
    for _ in range(20):
        n = int(rng.integers(60, 300))
        X = rng.standard_normal((n, 4))
        y = 0.02 * rng.random() * X[:, 0] + 0.04 * rng.standard_normal(n)
        cv = TimeSeriesSplit(5, gap=1)
        search = GridSearchCV(Pipeline([("scale", StandardScaler()), ("model", Ridge())]), {"model__alpha": alphas},
                              cv=cv, scoring="neg_mean_squared_error").fit(X, y)
        assert ridge_cv_alpha(X, y, alphas, cv) == search.best_params_["model__alpha"]


def test_closed_form_ridge_equals_the_scikit_learn_pipeline() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from allocation.forecasters.models import ScaledRidge
    rng = np.random.default_rng(1)
    X = rng.standard_normal((150, 4)) * [1, 5, 0.1, 2] + [0, 3, -1, 0]
    y = X @ [0.2, -0.1, 3.0, 0.0] + rng.standard_normal(150)
    w = rng.random(150)
    for alpha in (0.1, 10.0, 1000.0):
        for weights in (None, w):
            pipe = Pipeline([("scale", StandardScaler()), ("model", Ridge(alpha=alpha))])
            pipe.fit(X, y, **({} if weights is None else {"model__sample_weight": weights}))
            ours = ScaledRidge(alpha).fit(X, y, weights)
            np.testing.assert_allclose(ours.predict(X[:20]), pipe.predict(X[:20]), rtol=1e-10, atol=1e-12)
