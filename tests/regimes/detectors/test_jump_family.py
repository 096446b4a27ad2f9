"""Continuous and sparse jump models, and in-fold model selection (issue #13, items 6 and 7).

Known truths: exact recovery on noiseless two-state series, brute-force
optima of the grid programme, an independent solver for the sparse weights,
synthetic panels whose best penalty / number of states is known; and prefix
invariance of every output, through the walk-forward engine.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from plumbing.errors import FactorRegimesError
from plumbing.threads import limit_threads
from regimes.detectors import (
    ContinuousJumpModelDetector,
    GaussianHMMDetector,
    JumpModelDetector,
    SparseJumpModelDetector,
    TunedDetector,
    VixThresholdDetector,
)
from regimes.detectors.cjm import (
    grid_best_path,
    grid_forward,
    penalty_matrix,
    simplex_grid,
)
from regimes.detectors.jump import _distances, best_path
from regimes.detectors.sjm import sparse_weights
from regimes.specs import DetectorSpec
from regimes.walkforward import Schedule, walk_forward
from tests import REPO


def _two_state_truth(n_blocks: int = 8, length: int = 40) -> np.ndarray:
    return np.repeat(np.arange(n_blocks) % 2, length)


def _noisy_panel(seed: int, n_blocks: int = 16, length: int = 60, n_noise: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Two persistent states seen in two informative features (plus noise) and ``n_noise`` pure-noise features."""
    rng = np.random.default_rng(seed)
    truth = _two_state_truth(n_blocks, length)
    informative = np.column_stack([1.6 * truth, -1.2 * truth]) + 0.6 * rng.normal(size=(len(truth), 2))
    X = np.column_stack([informative, rng.normal(size=(len(truth), n_noise))])
    return (X - X.mean(axis=0)) / X.std(axis=0), truth


# -- continuous jump model ------------------------------------------------------------

def test_grid_programme_is_exact_against_enumeration() -> None:
    rng = np.random.default_rng(0)
    grid = simplex_grid(2, 0.5)  # 3 points: (0, 1), (0.5, 0.5), (1, 0)
    assert sorted(map(tuple, grid)) == [(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)]
    X = rng.normal(size=(7, 2))
    loss = _distances(X, np.array([[-0.5, 0.2], [0.6, -0.1]])) @ grid.T
    pen = penalty_matrix(grid, 1.7, power=2, mode_loss=True)
    best = min((sum(loss[t, g] for t, g in enumerate(path)) + sum(pen[a, b] for a, b in zip(path, path[1:])), path)
               for path in itertools.product(range(len(grid)), repeat=len(X)))
    path, objective = grid_best_path(loss, pen)
    assert objective == pytest.approx(best[0]) and tuple(path) == best[1]
    assert grid_forward(loss, pen)[-1].min() == pytest.approx(best[0])


def test_penalty_matrix_prices_moves_by_squared_half_l1_distance() -> None:
    grid = simplex_grid(2, 0.25)  # steps of 0.25
    pen = penalty_matrix(grid, 8.0, power=2, mode_loss=False)
    pure0, pure1, half = (int(np.flatnonzero(np.all(np.isclose(grid, v), axis=1))[0])
                          for v in ([1.0, 0.0], [0.0, 1.0], [0.5, 0.5]))
    assert pen[pure0, pure1] == pytest.approx(8.0)  # a full jump costs lambda, as in the discrete model
    assert pen[pure0, half] + pen[half, pure1] == pytest.approx(4.0)  # two half steps cost lambda / 2
    assert np.allclose(np.diag(pen), 0.0)
    with_mode = penalty_matrix(grid, 8.0, power=2, mode_loss=True)
    row_mass = np.exp(-with_mode).sum(axis=1)
    np.testing.assert_allclose(row_mass, row_mass[pure0])  # exp(-penalty) is a transition matrix up to a constant
    assert with_mode[pure0, pure1] == pytest.approx(8.0)


def test_cjm_exact_recovery_on_a_noiseless_two_state_series() -> None:
    truth = _two_state_truth()
    centres = np.array([[-1.0, 0.5], [1.0, -0.5]])
    X = centres[truth]
    det = ContinuousJumpModelDetector(jump_penalty=1.0, random_state=0).fit(X)
    np.testing.assert_array_equal(det.proba_, np.eye(2)[truth])  # two-sided training path
    np.testing.assert_allclose(det.centroids_, centres)
    np.testing.assert_array_equal(det.predict_proba(X), np.eye(2)[truth])  # causal online output
    np.testing.assert_allclose(det.transmat_.sum(axis=1), 1.0)


def test_cjm_moves_gradually_where_the_discrete_model_jumps() -> None:
    """On a ramp between the centroids, the continuous path passes through intermediate vectors in order."""
    centres = np.array([[-1.0, 0.0], [1.0, 0.0]])
    ramp = centres[0] + (centres[1] - centres[0]) * np.linspace(0, 1, 22)[1:-1, None]
    X = np.vstack([np.tile(centres[0], (30, 1)), ramp, np.tile(centres[1], (30, 1))])
    grid = simplex_grid(2, 0.05)
    path, _ = grid_best_path(_distances(X, centres) @ grid.T, penalty_matrix(grid, 20.0))
    risk_off = grid[path][:, 1]
    assert np.all(np.diff(risk_off) >= 0) and risk_off[0] == 0 and risk_off[-1] == 1
    assert len(np.unique(risk_off[(risk_off > 0) & (risk_off < 1)])) >= 4
    states, _ = best_path(_distances(X, centres), 20.0)
    assert np.count_nonzero(np.diff(states)) == 1 and set(np.unique(states)) == {0, 1}


def test_cjm_parameter_errors_are_one_line() -> None:
    X = np.random.default_rng(0).normal(size=(50, 2))
    for params, match in [({"grid_size": 0.3}, "grid_size must be 1/m"), ({"penalty_power": 3}, "penalty_power"),
                          ({"n_states": 4, "grid_size": 0.01}, "grid points"), ({"jump_penalty": -1}, "jump_penalty")]:
        with pytest.raises(FactorRegimesError, match=match) as info:
            ContinuousJumpModelDetector(**params).fit(X)
        assert "\n" not in str(info.value)


# -- sparse jump model -----------------------------------------------------------------

@pytest.mark.parametrize("kappa", [1.0, 1.2, 1.5, 3.0])
def test_sparse_weights_solve_the_constrained_problem(kappa: float) -> None:
    """Against an independent solver (SLSQP) of max a.w s.t. w >= 0, ||w||_2 <= 1, ||w||_1 <= kappa."""
    a = np.array([3.0, 1.0, 0.5, 0.05])
    w = sparse_weights(a, kappa)
    res = minimize(lambda v: -a @ v, np.full(4, 0.25), method="SLSQP", bounds=[(0, None)] * 4,
                   constraints=[{"type": "ineq", "fun": lambda v: 1 - v @ v},
                                {"type": "ineq", "fun": lambda v: kappa - v.sum()}], options={"ftol": 1e-12})
    assert a @ w == pytest.approx(-res.fun, rel=1e-6)
    np.testing.assert_allclose(w, res.x, atol=1e-4)
    assert np.linalg.norm(w) == pytest.approx(1.0) and w.sum() <= kappa + 1e-9


def test_sjm_exact_recovery_and_zero_weights_on_noise_features() -> None:
    truth = _two_state_truth()
    rng = np.random.default_rng(1)
    signal = np.column_stack([2.0 * truth, -1.0 * truth])
    X = np.column_stack([signal, 0.3 * rng.normal(size=(len(truth), 3))])
    det = SparseJumpModelDetector(jump_penalty=0.5, kappa=1.2, random_state=0).fit(X)
    assert np.all(det.feature_weights_[2:] == 0) and np.all(det.feature_weights_[:2] > 0)
    assert np.linalg.norm(det.feature_weights_) == pytest.approx(1.0)
    assert det.feature_weights_.sum() == pytest.approx(1.2, abs=1e-6)
    assert det.selected_features_ == [0, 1]
    np.testing.assert_array_equal(det.labels_, truth)
    np.testing.assert_array_equal(det.predict(X), truth)  # causal online labels
    np.testing.assert_allclose(det.centroids_[:, :2], signal[[0, 40]])


def test_sjm_selects_the_informative_features_of_a_noisy_panel() -> None:
    X, truth = _noisy_panel(seed=3)
    names = ["vix", "trend", "n1", "n2", "n3", "n4"]
    frame = pd.DataFrame(X, columns=names)
    det = SparseJumpModelDetector(jump_penalty=5.0, kappa=1.3, random_state=0).fit(frame)
    assert det.selected_features_ == ["vix", "trend"], det.feature_weights_
    assert np.all(det.feature_weights_[2:] == 0)
    assert np.mean(det.predict(frame) == truth) > 0.95  # the columns it was fitted on, by name


def test_sjm_reports_feature_names_without_warnings() -> None:
    """Names from a DataFrame (predicting on frames) or from ``feature_names`` (arrays, as the walk-forward
    fits and filters): the same fit, the same outputs, selected features by name, and no warning at all."""
    X, _ = _noisy_panel(seed=3, n_blocks=10)
    names = ["vix", "trend", "n1", "n2", "n3", "n4"]
    frame = pd.DataFrame(X, columns=names, index=pd.bdate_range("2005-01-03", periods=len(X)))
    params = {"jump_penalty": 5.0, "kappa": 1.3}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_frame = SparseJumpModelDetector(**params, random_state=0).fit(frame)
        proba_frame = by_frame.filtered_proba(frame, start=100)
        labels_frame = by_frame.predict(frame)
        by_names = SparseJumpModelDetector(**params, feature_names=names, random_state=0).fit(X)
        proba_array = by_names.filtered_proba(X, start=100)
        labels_array = by_names.predict(X)
        det = DetectorSpec.from_dict({"name": "sjm", "features": names, "params": params}).build(seed=0)
        path = walk_forward(det, frame, schedule=Schedule(refit_every=150, min_history=300))
    assert by_frame.selected_features_ == by_names.selected_features_ == ["vix", "trend"]
    np.testing.assert_array_equal(by_frame.feature_weights_, by_names.feature_weights_)
    np.testing.assert_array_equal(proba_frame, proba_array)
    np.testing.assert_array_equal(labels_frame, labels_array)
    assert len(path.refit_dates) == len(path.info["selected"]) == 3  # rows 300, 450 and 600 of 600
    for weights in path.info["selected"].values():  # every refit's weights, by feature name
        assert list(weights["feature_weights"]) == names
        assert weights["feature_weights"]["vix"] > 0 and weights["feature_weights"]["n3"] == 0.0


@pytest.mark.parametrize("make", [JumpModelDetector, ContinuousJumpModelDetector, SparseJumpModelDetector],
                         ids=["jump", "cjm", "sjm"])
def test_fit_on_names_then_an_array_warns_like_every_scikit_learn_estimator(make) -> None:
    """Fitted on named columns, given an unnamed array: scikit-learn's warning that the columns cannot be checked,
    the same for sjm as for jump and cjm (the walk-forward never mixes the two)."""
    X, _ = _noisy_panel(seed=3, n_blocks=4)
    det = make(random_state=0).fit(pd.DataFrame(X, columns=["vix", "trend", "n1", "n2", "n3", "n4"]))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        det.predict(X)


def test_sjm_parameter_errors_are_one_line() -> None:
    X = np.random.default_rng(0).normal(size=(50, 3))
    for params, match in [({"kappa": 0.5}, "kappa"), ({"feature_names": ["a"]}, "feature_names has 1 names"),
                          ({"max_iter": 0}, "max_iter")]:
        with pytest.raises(FactorRegimesError, match=match):
            SparseJumpModelDetector(**params).fit(X)


# -- in-fold model selection ---------------------------------------------------------------

@pytest.mark.parametrize("true_states", [2, 3])
def test_tuned_picks_the_true_number_of_hmm_states(true_states: int) -> None:
    rng = np.random.default_rng(true_states)
    truth = np.repeat(np.arange(10) % true_states, 60)
    X = np.array([[0.0, 0.0], [3.0, 1.0], [6.0, -1.0]])[truth] + rng.normal(size=(len(truth), 2))
    with limit_threads():
        for criterion in ("bic", "likelihood"):
            det = TunedDetector(GaussianHMMDetector(n_init=2, random_state=0), {"n_states": [2, 3]},
                                criterion=criterion).fit(X)
            assert det.selected_params_ == {"n_states": true_states}, (criterion, det.cv_results_)
            assert det.predict_proba(X).shape == (len(X), 3)  # the widest candidate's layout
    if true_states == 2:  # a 2-state choice fills the outer columns; the neutral one stays empty
        np.testing.assert_array_equal(det.predict_proba(X)[:, 1], 0.0)
        assert np.mean(det.predict(X) == 2 * truth) > 0.95


def _timing_panel(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(20) % 2, 100)
    X = np.column_stack([truth * 1.0, -truth * 0.8]) + rng.normal(size=(len(truth), 2))
    ret = np.where(truth == 0, 0.002, -0.004) + 0.01 * rng.normal(size=len(truth))
    index = pd.bdate_range("2001-01-01", periods=len(truth))
    return pd.DataFrame({"vix": X[:, 0], "trend": X[:, 1], "ret": ret}, index=index), truth


@pytest.mark.parametrize("criterion", ["likelihood", "sharpe"])
def test_tuned_picks_the_persistent_penalty(criterion: str) -> None:
    """Penalty 0 flickers (k-means), 1e5 collapses to one regime; the persistent truth wants the middle one."""
    frame, _ = _timing_panel()
    grid = {"jump_penalty": [0.0, 10.0, 1e5]}
    extra = {"return_column": "ret", "cost_bps": 10.0} if criterion == "sharpe" else {}
    features = frame if criterion == "sharpe" else frame[["vix", "trend"]]
    det = TunedDetector(JumpModelDetector(random_state=0), grid, criterion=criterion, **extra).fit(features)
    assert det.selected_params_ == {"jump_penalty": 10.0}, det.cv_results_
    assert [r["params"] for r in det.cv_results_] == list(map(lambda v: {"jump_penalty": v}, grid["jump_penalty"]))
    if criterion == "sharpe":
        assert det.best_estimator_.n_features_in_ == 2  # the return column is not a base input
        assert det.cv_results_[1]["score"] > max(det.cv_results_[0]["score"], det.cv_results_[2]["score"])


def test_tuned_picks_the_separating_vix_threshold() -> None:
    """VIX near 15 in calm spells, near 25 in stress spells where returns are negative: level 20 times best."""
    rng = np.random.default_rng(4)
    truth = np.repeat(np.arange(24) % 2, 50)
    vix = np.where(truth == 1, 25.0, 15.0) + rng.normal(size=len(truth))
    ret = np.where(truth == 0, 0.002, -0.004) + 0.01 * rng.normal(size=len(truth))
    X = np.column_stack([vix, ret])
    det = TunedDetector(VixThresholdDetector(), {"level": [12.0, 20.0, 25.0]}, criterion="sharpe",
                        return_column=1).fit(X)
    assert det.selected_params_ == {"level": 20.0}, det.cv_results_
    assert det.output_kind == "label" and det.best_estimator_.n_features_in_ == 1
    np.testing.assert_array_equal(det.predict(X), (vix > 20).astype(int))  # raw VIX reached the rule


def test_tuned_walk_forward_is_prefix_invariant_and_records_each_choice() -> None:
    frame, _ = _timing_panel(seed=1)
    det = TunedDetector(JumpModelDetector(random_state=0, n_init=3), {"jump_penalty": [0.0, 10.0, 1e5]},
                        criterion="sharpe", return_column=2)
    schedule = Schedule(refit_every=250, min_history=500)
    full = walk_forward(det, frame, schedule=schedule)
    cut = frame.index[1400]
    part = walk_forward(det, frame.loc[:cut], schedule=schedule)
    pd.testing.assert_frame_equal(part.proba, full.proba.loc[:cut])
    chosen = full.info["selected"]
    assert list(chosen) == [d.isoformat() for d in full.refit_dates]
    assert all(set(v["params"]) == {"jump_penalty"} for v in chosen.values())
    for record in chosen.values():  # every candidate's score is kept; the chosen one has the best
        scores = [c["score"] for c in record["candidates"]]
        assert [c["params"]["jump_penalty"] for c in record["candidates"]] == [0.0, 10.0, 1e5]
        assert record["params"]["jump_penalty"] == record["candidates"][int(np.argmax(scores))]["params"]["jump_penalty"]
    assert {k: v for k, v in chosen.items() if pd.Timestamp(k) <= cut} == part.info["selected"]
    # the choice at a refit depends on rows <= that date only: changing later rows changes nothing before
    shocked = frame.copy()
    shocked.loc[shocked.index > cut, "ret"] *= -5
    again = walk_forward(det, shocked, schedule=schedule)
    pd.testing.assert_frame_equal(again.proba.loc[:cut], full.proba.loc[:cut])


@pytest.mark.parametrize("make", [
    lambda: ContinuousJumpModelDetector(jump_penalty=5.0, random_state=0),
    lambda: SparseJumpModelDetector(jump_penalty=5.0, kappa=1.3, random_state=0),
    lambda: TunedDetector(SparseJumpModelDetector(kappa=1.3, random_state=0), {"jump_penalty": [1.0, 5.0]}),
], ids=["cjm", "sjm", "tuned"])
def test_filtered_output_is_prefix_invariant(make) -> None:
    """Rows <= t of the filtered output are identical whether X stops at t or continues."""
    X, _ = _noisy_panel(seed=6, n_blocks=8, length=50)
    det = make().fit(X[:250])
    full = det.predict_proba(X)
    for t in (30, 249, 321):
        np.testing.assert_array_equal(det.predict_proba(X[: t + 1]), full[: t + 1])
    np.testing.assert_array_equal(det.filtered_proba(X, start=300), full[300:])
    np.testing.assert_allclose(full.sum(axis=1), 1.0)


@pytest.mark.parametrize("name, params", [("cjm", {"jump_penalty": 5.0}), ("sjm", {"jump_penalty": 5.0, "kappa": 1.3})])
def test_jump_family_walk_forward_is_prefix_invariant(name: str, params: dict) -> None:
    X, _ = _noisy_panel(seed=5, n_blocks=12, length=50)
    frame = pd.DataFrame(X, index=pd.bdate_range("2005-01-03", periods=len(X)),
                         columns=["vix", "trend", "n1", "n2", "n3", "n4"])
    det = DetectorSpec.from_dict({"name": name, "features": list(frame.columns), "params": params}).build(seed=0)
    schedule = Schedule(refit_every=100, min_history=200)
    full = walk_forward(det, frame, schedule=schedule)
    cut = frame.index[450]
    part = walk_forward(det, frame.loc[:cut], schedule=schedule)
    pd.testing.assert_frame_equal(part.proba, full.proba.loc[:cut])
    valid = full.proba.dropna()
    np.testing.assert_allclose(valid.sum(axis=1), 1.0)
    if name == "sjm":  # feature weights per refit, by feature name
        weights = full.info["selected"][full.refit_dates[-1].isoformat()]["feature_weights"]
        assert list(weights) == list(frame.columns) and weights["n3"] == 0.0 and weights["vix"] > 0


def test_tuned_from_a_yaml_spec() -> None:
    spec = DetectorSpec.from_dict({"name": "tuned", "features": ["log_vix", "sp500_ret"],
                                   "params": {"base": {"name": "sjm", "params": {"kappa": 1.2}},
                                              "grid": {"jump_penalty": [1.0, 10.0]}}})
    det = spec.build(seed=7)
    assert isinstance(det.base, SparseJumpModelDetector)
    assert det.base.random_state == 7 and det.base.kappa == 1.2 and det.base.risk_stat == "mean"
    assert det.feature_names == ["log_vix", "sp500_ret"]
    default = DetectorSpec.from_dict({"name": "tuned"}).build(seed=0)
    assert isinstance(default.base, JumpModelDetector) and default.criterion == "likelihood"


def test_tuned_parameter_errors_are_one_line() -> None:
    X = np.random.default_rng(0).normal(size=(120, 3))
    jm = JumpModelDetector()
    for params, match in [({"base": None, "grid": {"n_states": [2, 3]}}, "base must be a detector"),
                          ({"base": jm, "grid": {"penalty": [1, 2]}}, "has no parameter 'penalty'"),
                          ({"base": jm, "grid": {"jump_penalty": [1]}}, "at least two candidates"),
                          ({"base": jm, "grid": {"jump_penalty": [1, 2]}, "criterion": "aic"}, "criterion"),
                          ({"base": jm, "grid": {"jump_penalty": [1, 2]}, "criterion": "sharpe"}, "needs return_column"),
                          ({"base": jm, "grid": {"jump_penalty": [1, 2]}, "criterion": "sharpe",
                            "return_column": "ret"}, "not one of the features"),
                          ({"base": jm, "grid": 5}, "grid must map")]:
        with pytest.raises(FactorRegimesError, match=match) as info:
            TunedDetector(**params).fit(X)
        assert "\n" not in str(info.value)


def test_a_yaml_run_records_each_refit_choice_in_the_manifest(tmp_path) -> None:
    """cjm, sjm and tuned from a YAML config, end to end (offline sample data); choices per refit in manifest.json."""
    import json

    import yaml

    from experiments.runner import resolve, run_config
    config = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    config["regimes"]["detectors"] = [
        {"name": "cjm", "features": ["log_rv", "sp500_ret_1m"]},
        {"name": "sjm", "features": ["log_rv", "sp500_ret_1m", "rv"], "params": {"kappa": 1.2}},
        {"name": "tuned", "features": ["log_rv", "sp500_ret_1m"],
         "params": {"base": {"name": "jump"}, "grid": {"jump_penalty": [1.0, 10.0]}, "n_folds": 2}}]
    config["forecasting"]["forecasters"] = [{"name": "ridge"}, {"name": "regime_conditioned", "params": {"base": "ridge"}}]
    config["allocation"]["allocators"] = [{"name": "binary"}]
    config["evaluation"].update({"bootstrap_reps": 20, "spa_reps": 20, "importance_repeats": 1})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    run_config(resolve(path), tmp_path / "run", use_cache=False)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    selection = manifest["regime_selection"]
    assert set(selection) == {"sjm", "tuned"}
    assert all(set(v["params"]) == {"jump_penalty"} and v["params"]["jump_penalty"] in (1.0, 10.0)
               for v in selection["tuned"].values())
    assert all(set(v["feature_weights"]) == {"log_rv", "sp500_ret_1m", "rv"} for v in selection["sjm"].values())
    regimes = pd.read_csv(tmp_path / "run" / "regimes.csv", index_col="date")
    assert list(regimes.columns) == ["cjm", "sjm", "tuned"]
    assert regimes.notna().sum().min() > 0 and ((regimes >= 0) & (regimes <= 1) | regimes.isna()).all().all()


@pytest.mark.parametrize("params, match", [
    ({"base": {"name": "jump"}, "grid": {"penalty": [1, 10]}}, "has no parameter 'penalty'"),
    ({"base": {"name": "jumpp"}, "grid": {"jump_penalty": [1, 10]}}, "unknown detector 'jumpp'"),
    ({"base": {"name": "jump", "params": {"n_state": 3}}, "grid": {"jump_penalty": [1, 10]}}, "n_state"),
    ({"base": "jump", "grid": {"jump_penalty": [1, 10]}}, "expected a detector such as"),
    ({"base": {"name": "jump"}, "grid": {"jump_penalty": [1, 10]}, "criterion": "sharpe",
      "return_column": "sp500_ret"}, "return_column 'sp500_ret' is not one of the features"),
])
def test_bad_tuned_configs_are_refused_on_load(tmp_path, params: dict, match: str) -> None:
    import yaml

    from experiments.config import load_config
    from experiments.schema import ConfigError
    config = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    config["regimes"]["detectors"] = [{"name": "tuned", "features": ["log_rv", "sp500_ret_1m"], "params": params}]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=match) as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_cache_key_code_covers_the_helper_modules() -> None:
    """A change to the jump programme, or to the validation scores, must invalidate cached paths of these detectors."""
    from regimes.walkforward import _source_files
    for detector, expected in [(ContinuousJumpModelDetector(), {"cjm.py", "jump.py", "_base.py"}),
                               (SparseJumpModelDetector(), {"sjm.py", "cjm.py", "jump.py"}),
                               (TunedDetector(GaussianHMMDetector(), {"n_states": [2, 3]}), {"tuned.py", "_scores.py",
                                                                                              "hmm.py"})]:
        seen: set[str] = set()
        _source_files(detector, seen)
        assert expected <= {Path(f).name for f in seen}, seen
