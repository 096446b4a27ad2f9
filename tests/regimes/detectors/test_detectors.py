"""Regime detectors: causal filtering, canonical order, oracles, recovery of known states."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.base import clone

from plumbing.errors import FactorRegimesError
from regimes.detectors import DETECTORS, forward_filter
from regimes.detectors.bocpd import BOCPDDetector
from regimes.detectors.changepoint import ChangePointDetector
from regimes.detectors.garch import GarchDetector
from regimes.detectors.hmm import GaussianHMMDetector
from regimes.detectors.jump import (
    JumpModelDetector,
    _distances,
    best_path,
    forward_costs,
)
from regimes.detectors.markov_switching import MarkovSwitchingDetector
from regimes.detectors.vix_threshold import VixThresholdDetector
from regimes.evaluation import regime_scores, simulate_regimes
from regimes.walkforward import Schedule, walk_forward


@pytest.fixture(scope="module")
def synthetic():
    return simulate_regimes(400, persistence=0.98, separation=3.0, seed=1)


def _standardized(frame):
    return ((frame - frame.mean()) / frame.std()).to_numpy()


# name -> (params, which inputs): "z" standardized [log_vix, sp500_ret], "vix" raw VIX, "ret" raw returns
DETECTOR_CASES = {
    "hmm": ({"random_state": 0}, "z"),
    "jump": ({"random_state": 0}, "z"),
    "changepoint": ({"min_history": 24}, "z"),
    "bocpd": ({"risk_stat": "mean"}, "z"),
    "garch": ({"min_history": 50}, "ret"),
    "vix_threshold": ({"quantile": 0.7}, "vix"),
    "markov_switching": ({"risk_column": 1}, "z"),
    "ensemble": ({"members": [GaussianHMMDetector(random_state=0), JumpModelDetector(random_state=0)]}, "z"),
    "cjm": ({"random_state": 0}, "z"),
    "sjm": ({"random_state": 0}, "z"),
    "tuned": ({"base": JumpModelDetector(random_state=0), "grid": {"jump_penalty": [1.0, 10.0]}}, "z"),
}


def _inputs(kind: str, synthetic) -> np.ndarray:
    if kind == "z":
        return _standardized(synthetic.frame[["log_vix", "sp500_ret"]])
    if kind == "vix":
        return synthetic.frame[["vix"]].to_numpy()
    return synthetic.frame[["sp500_ret"]].to_numpy()


def test_every_registered_detector_is_covered() -> None:
    assert set(DETECTOR_CASES) == set(DETECTORS.names())


@pytest.mark.parametrize("name", sorted(DETECTOR_CASES))
def test_same_seed_same_output_and_clone_round_trip(name: str, synthetic) -> None:
    params, kind = DETECTOR_CASES[name]
    X = _inputs(kind, synthetic)
    a = DETECTORS.create(name, **params)
    b = clone(a)
    assert a.get_params().keys() == b.get_params().keys()
    assert repr(a.get_params(deep=False)) == repr(b.get_params(deep=False))
    np.testing.assert_array_equal(a.fit(X).predict_proba(X), b.fit(X).predict_proba(X))
    assert not hasattr(clone(a), "n_features_in_"), "clone must drop fitted state"


def test_forward_filter_matches_brute_force_enumeration() -> None:
    """Oracle: P(s_t | x_0..t) by summing over every state path."""
    rng = np.random.default_rng(3)
    n, k = 6, 2
    log_b = rng.normal(size=(n, k))
    start = np.array([0.7, 0.3])
    trans = np.array([[0.9, 0.1], [0.2, 0.8]])
    filtered = forward_filter(log_b, start, trans)
    for t in range(n):
        joint = np.zeros(k)
        for path in itertools.product(range(k), repeat=t + 1):
            p = start[path[0]] * np.exp(log_b[0, path[0]])
            for s in range(1, t + 1):
                p *= trans[path[s - 1], path[s]] * np.exp(log_b[s, path[s]])
            joint[path[-1]] += p
        np.testing.assert_allclose(filtered[t], joint / joint.sum(), rtol=1e-12)


def test_hmm_filter_agrees_with_hmmlearn_at_the_last_row(synthetic) -> None:
    """At the last row, filtered and smoothed probabilities coincide; elsewhere they must differ."""
    X = _inputs("z", synthetic)
    hmm = GaussianHMMDetector(random_state=0).fit(X)
    filtered, smoothed = hmm.predict_proba(X), hmm.smoothed_proba(X)
    np.testing.assert_allclose(filtered[-1], smoothed[-1], atol=1e-8)
    assert np.abs(filtered - smoothed).max() > 0.05, "smoothed probabilities use the future"
    own = np.column_stack([multivariate_normal(hmm.means_[k], hmm.covars_[k]).logpdf(X) for k in range(2)])
    np.testing.assert_allclose(hmm.log_emission(X), own)


@pytest.mark.parametrize("cls", [GaussianHMMDetector, JumpModelDetector])
def test_canonical_order_across_seeds(cls, synthetic) -> None:
    X = _inputs("z", synthetic)
    truth = synthetic.states.to_numpy()
    for seed in range(5):
        det = cls(random_state=seed).fit(X)
        labels = det.predict(X)
        # state 0 is risk-on: lower VIX (column 0) than state 1, and agrees with the true labels
        assert X[labels == 0, 0].mean() < X[labels == 1, 0].mean()
        assert np.mean(labels == truth) > 0.85


def test_markov_switching_matches_statsmodels_own_filter(synthetic) -> None:
    from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression
    x = synthetic.frame["sp500_ret"].to_numpy()
    det = MarkovSwitchingDetector(risk_column=0, risk_stat="std").fit(x[:, None])
    res = MarkovRegression(x, k_regimes=2, trend="c", switching_variance=True).fit(disp=False)
    expected = np.asarray(res.filtered_marginal_probabilities)[:, det.order_]
    np.testing.assert_allclose(det.predict_proba(x[:, None]), expected, atol=1e-8)
    assert det.volatilities_[0] < det.volatilities_[1]


def test_garch_recursion_reproduces_arch(synthetic) -> None:
    r = synthetic.frame[["sp500_ret"]].to_numpy()
    det = GarchDetector(dist="normal").fit(r)
    ours = det.conditional_volatility(r) / np.sqrt(252)  # element t: forecast for t+1
    np.testing.assert_allclose(ours[:-1], det.arch_conditional_volatility_[1:], rtol=1e-10)


def test_jump_dynamic_programme_is_exact() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 2))
    centroids = np.array([[-0.5, 0.0], [0.7, 0.2]])
    dist = _distances(X, centroids)
    penalty = 1.3
    best = min(
        (sum(dist[t, s] for t, s in enumerate(path)) + penalty * sum(a != b for a, b in zip(path, path[1:])), path)
        for path in itertools.product(range(2), repeat=len(X))
    )
    states, objective = best_path(dist, penalty)
    assert objective == pytest.approx(best[0]) and tuple(states) == best[1]
    assert forward_costs(dist, penalty)[-1].min() == pytest.approx(best[0])


def test_vix_threshold_labels(synthetic) -> None:
    vix = synthetic.frame[["vix"]].to_numpy()
    fixed = VixThresholdDetector(level=20).fit(vix).predict(vix)
    np.testing.assert_array_equal(fixed, (vix[:, 0] > 20).astype(int))
    quant = VixThresholdDetector(quantile=0.8, min_history=24).fit(vix).risk_off_proba(vix)
    t = 100
    assert quant[t] == float(vix[t, 0] > np.quantile(vix[: t + 1, 0], 0.8))
    assert np.isnan(quant[:23]).all()
    with pytest.raises(FactorRegimesError, match="index points"):
        VixThresholdDetector().fit(_inputs("z", synthetic))


def test_changepoint_finds_true_breaks() -> None:
    rng = np.random.default_rng(0)
    truth = [80, 140, 230]
    levels = [0.0, 2.0, -0.5, 1.5]
    x = np.concatenate([rng.normal(m, 0.5, n) for m, n in zip(levels, np.diff([0, *truth, 300]))])[:, None]
    det = ChangePointDetector().fit(x)
    breaks = det.segment(x)[:-1]
    assert len(breaks) == len(truth)
    assert all(abs(b - t) <= 2 for b, t in zip(breaks, truth)), breaks
    # causally, the jump to level 2.0 at t=80 is flagged within 8 periods
    risk_off = det.risk_off_proba(x)
    assert np.nanmax(risk_off[80:88]) > 0.5 and np.nanmax(risk_off[40:80]) < 0.5


def test_bocpd_run_length_resets_at_a_break() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 150), rng.normal(0, 4, 100)])[:, None]
    det = BOCPDDetector(risk_stat="std", expected_run=50).fit(x[:150])
    score, run = det.run_length_posterior(x)
    assert run[149] > 100  # a long calm run by then
    assert run[160] <= 15  # restarted near t=150
    assert score[200] > 2 * score[140]
    assert det.risk_off_proba(x)[200] > 0.9


def test_recovery_on_persistent_well_separated_regimes() -> None:
    """Walk-forward filtered labels recover known states; the jump model switches no more than the HMM."""
    for seed in range(3):
        sample = simulate_regimes(600, persistence=0.98, separation=3.0, seed=seed)
        X = sample.frame[["log_vix", "sp500_ret"]]
        schedule = Schedule(refit_every=24, min_history=120)
        scores = {name: regime_scores(sample.states.to_numpy(),
                                      walk_forward(DETECTORS.create(name, random_state=0), X,
                                                   schedule=schedule).labels.to_numpy())
                  for name in ("hmm", "jump")}
        assert scores["hmm"]["accuracy"] >= 0.9, scores
        assert scores["jump"]["accuracy"] >= 0.9, scores
        assert scores["jump"]["switches"] <= scores["hmm"]["switches"], scores


def test_registry_errors() -> None:
    with pytest.raises(FactorRegimesError, match="unknown detector 'hmmm'; did you mean hmm"):
        DETECTORS.create("hmmm")
    with pytest.raises(FactorRegimesError, match=r"no parameter 'n_state' \(did you mean 'n_states'\?\)"):
        DETECTORS.create("hmm", n_state=3)
    with pytest.raises(FactorRegimesError, match="risk_stat must be one of"):
        DETECTORS.create("jump", risk_stat="max").fit(np.zeros((50, 1)) + np.arange(50)[:, None])
