"""Labels aligned across refits: the assignment, the risk check, the engine, stability, prefix invariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plumbing.errors import FactorRegimesError
from regimes.alignment import PermutedDetector, align_states, risk_contrast
from regimes.detectors import JumpModelDetector, VixThresholdDetector
from regimes.evaluation import evaluation_table
from regimes.walkforward import Schedule, walk_forward


def _onehot(labels, k: int = 2) -> np.ndarray:
    return np.eye(k)[np.asarray(labels)]


# -- align_states --------------------------------------------------------------


def test_agreeing_models_keep_the_risk_order() -> None:
    labels = np.repeat([0, 1, 0, 1], 25)
    x = labels + np.random.default_rng(0).normal(0, 0.3, 100)
    out = align_states(_onehot(labels), _onehot(labels), x)
    assert out.permutation.tolist() == [0, 1] and not out.flipped and not out.overridden
    assert out.agreement == out.agreement_unaligned == 1.0


def test_an_inverted_refit_is_relabelled_when_the_risk_statistic_is_weak() -> None:
    rng = np.random.default_rng(1)
    prev = np.repeat([0, 1, 0, 1], 25)
    new = 1 - prev  # the new fit's risk order calls risk-on what the previous model called risk-off
    new[:3] = prev[:3]  # and disagrees on a few rows besides
    x = rng.normal(0, 1, 100) + 0.2 * new  # its "riskier" state is riskier by a hair only
    out = align_states(_onehot(prev), _onehot(new), x, "mean")  # default override 0.5
    assert out.permutation.tolist() == [1, 0] and out.flipped and not out.overridden
    assert out.agreement == pytest.approx(0.97) and out.agreement_unaligned == pytest.approx(0.03)
    assert 0 < out.contrast < 0.5


def test_a_strong_risk_statistic_overrules_continuity() -> None:
    rng = np.random.default_rng(2)
    prev = np.repeat([0, 1], 50)
    new = 1 - prev
    x = rng.normal(0, 0.5, 100) + 3.0 * new  # the new risk-off state is far riskier: d about 6
    out = align_states(_onehot(prev), _onehot(new), x, "mean")
    assert out.permutation.tolist() == [0, 1] and out.overridden and not out.flipped
    assert out.contrast > 4 and out.agreement == out.agreement_unaligned == 0.0
    # with an infinite override, continuity always wins
    assert align_states(_onehot(prev), _onehot(new), x, "mean", override=np.inf).permutation.tolist() == [1, 0]


def test_a_clearly_higher_volatility_overrules_a_wrong_previous_labelling() -> None:
    """With risk_stat "std": the previous model called the calm state risk-off; the new fit's risk-off state
    has 1.8 times the volatility. Continuity would carry the early error forward; the risk order wins."""
    rng = np.random.default_rng(5)
    new = np.repeat([0, 1, 0, 1], [150, 100, 150, 100])
    x = rng.normal(0, 1, len(new)) * np.where(new == 1, 1.8, 1.0)
    out = align_states(_onehot(1 - new), _onehot(new), x, "std")
    assert out.overridden and out.permutation.tolist() == [0, 1] and out.contrast > 0.5
    # a volatility ratio of 1.1 is noise in the risk order: continuity wins
    x = rng.normal(0, 1, len(new)) * np.where(new == 1, 1.1, 1.0)
    out = align_states(_onehot(1 - new), _onehot(new), x, "std")
    assert not out.overridden and out.permutation.tolist() == [1, 0] and out.contrast < 0.5


def test_three_states_keep_the_riskiest_as_risk_off_and_align_the_others() -> None:
    rng = np.random.default_rng(3)
    prev = np.repeat([0, 1, 2, 0, 1, 2], 30)
    mapping = np.array([2, 0, 1])  # new state of each previous state
    new = mapping[prev]
    x = rng.normal(0, 0.4, len(new)) + np.array([0.0, 0.1, 5.0])[new]  # new state 2 is by far the riskiest
    out = align_states(_onehot(prev, 3), _onehot(new, 3), x, "mean")
    # unconstrained, the assignment would give risk-off (2) to new state 1; the risk check keeps state 2,
    # and the two other labels follow the previous model as closely as possible
    assert out.overridden and out.permutation.tolist() == [1, 0, 2]
    free = align_states(_onehot(prev, 3), _onehot(new, 3), x, "mean", override=np.inf)
    assert free.permutation.tolist() == [2, 0, 1] and free.agreement == 1.0


def test_ties_keep_the_risk_order() -> None:
    uniform = np.full((40, 2), 0.5)
    out = align_states(uniform, uniform, np.arange(40.0))
    assert out.permutation.tolist() == [0, 1] and not out.flipped


def test_risk_contrast_matches_direct_formulas() -> None:
    rng = np.random.default_rng(4)
    labels = np.repeat([0, 1], [60, 40])
    x = np.where(labels == 1, rng.normal(1.0, 2.0, 100), rng.normal(0.0, 1.0, 100))
    a, b = x[60:], x[:60]  # the rows of state 1 and of state 0
    d = (a.mean() - b.mean()) / np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    assert risk_contrast(x, labels, 1, 0, "mean") == pytest.approx(d)
    assert risk_contrast(x, labels, 1, 0, "-mean") == pytest.approx(-d)
    da, db = np.abs(a - np.median(a)), np.abs(b - np.median(b))
    bf = (da.mean() - db.mean()) / np.sqrt((np.var(da, ddof=1) + np.var(db, ddof=1)) / 2)
    assert risk_contrast(x, labels, 1, 0, "std") == pytest.approx(bf) and bf > 0.5  # twice the volatility
    assert np.isnan(risk_contrast(x, np.r_[np.zeros(99), 1].astype(int), 1, 0, "mean"))


# -- the engine ----------------------------------------------------------------


def _inverting_panel(n: int = 400):
    """Two states in 20-row spells, separated by feature ``sep``; the risk column ``risk`` is
    slightly higher in risk-off early on, but from row 200 risk-on rows drift up, so that sorting
    the states by the mean of ``risk`` inverts from the refit that sees enough of them."""
    t = np.arange(n)
    state = (t // 20) % 2
    rng = np.random.default_rng(0)
    sep = 2.0 * state - 1 + rng.normal(0, 0.3, n)
    risk = 0.3 * state + rng.normal(0, 0.5, n) + np.where((t >= 200) & (state == 0), 1.0, 0.0)
    index = pd.date_range("1990-01-31", periods=n, freq="ME")
    return pd.DataFrame({"risk": risk, "sep": sep}, index=index), pd.Series(state, index=index, name="state")


SCHEDULE = Schedule(refit_every=50, min_history=100)


def _block_accuracy(path, truth: pd.Series) -> pd.Series:
    labels = path.labels
    block = np.searchsorted(path.refit_dates, labels.index, side="right") - 1
    hit = (labels == truth).where(labels.notna())
    return hit[block >= 0].groupby(block[block >= 0]).mean()


def test_sorting_by_risk_inverts_a_refit_and_alignment_does_not() -> None:
    X, truth = _inverting_panel()
    detector = JumpModelDetector(jump_penalty=2.0, random_state=0)
    unaligned = walk_forward(detector, X, schedule=Schedule(refit_every=50, min_history=100, align_labels=False))
    aligned = walk_forward(detector, X, schedule=SCHEDULE)
    old = _block_accuracy(unaligned, truth)
    new = _block_accuracy(aligned, truth)
    assert old.iloc[0] > 0.9 and (old < 0.1).any(), f"the panel must invert a refit without alignment: {old}"
    assert (new > 0.9).all(), f"an aligned refit block is inverted: {new}"
    # the stability record says so
    s = aligned.stability
    flips = int((old < 0.5).sum())
    assert s["aligned"] and s["refits"] == len(aligned.refit_dates) == 7 and s["compared"] == 6
    assert s["flipped"] == flips and s["flip_share"] == pytest.approx(flips / 6) and s["overridden"] == 0
    assert s["agreement"] > 0.95 and s["agreement_unaligned"] < 0.75
    assert aligned.alignment["flipped"].tolist() == [False] * (6 - flips) + [True] * flips
    assert unaligned.stability["aligned"] is False and unaligned.alignment is None
    # the path's detector speaks the path's labels: its transition matrix is relabelled too
    last = aligned.detector
    assert isinstance(last, PermutedDetector) and last.permutation_.tolist() == [1, 0]
    np.testing.assert_array_equal(last.transmat_, last.detector_.transmat_[::-1, ::-1])
    end = aligned.refit_dates[-1]
    np.testing.assert_allclose(aligned.next_proba.loc[end:].to_numpy(),
                               aligned.proba.loc[end:].to_numpy() @ last.transmat_)


def test_aligned_path_is_prefix_invariant() -> None:
    X, _ = _inverting_panel()
    full = walk_forward(JumpModelDetector(jump_penalty=2.0, random_state=0), X, schedule=SCHEDULE)
    assert full.stability["flipped"] > 0  # the cut below falls after relabelled refits
    for cut in (X.index[330], X.index[351]):
        short = walk_forward(JumpModelDetector(jump_penalty=2.0, random_state=0), X.loc[:cut], schedule=SCHEDULE)
        pd.testing.assert_frame_equal(short.proba, full.proba.loc[:cut])
        pd.testing.assert_frame_equal(short.next_proba, full.next_proba.loc[:cut])
        pd.testing.assert_frame_equal(short.alignment, full.alignment.loc[:cut])


def test_rule_detectors_are_not_aligned_and_evaluation_table_reports_stability() -> None:
    X, truth = _inverting_panel()
    vix = pd.DataFrame({"vix": 15 + 10 * truth}, index=X.index)
    rule = walk_forward(VixThresholdDetector(level=20), vix, schedule=SCHEDULE, name="vix_threshold")
    assert rule.alignment is None and rule.stability["aligned"] is False
    jump = walk_forward(JumpModelDetector(jump_penalty=2.0, random_state=0), X, schedule=SCHEDULE, name="jump")
    table = evaluation_table([jump, rule], truth=truth, onsets={})
    assert list(table.index) == ["jump", "vix_threshold"]
    assert table.loc["jump", "flipped"] == jump.stability["flipped"] > 0
    assert table.loc["jump", "balanced_accuracy"] > 0.95 and table.loc["vix_threshold", "accuracy"] == 1.0
    assert not table.loc["vix_threshold", "aligned"] and np.isnan(table.loc["vix_threshold", "flip_share"])
    assert not any(c.startswith("delay_") for c in table.columns)


def test_schedule_refuses_a_negative_override() -> None:
    with pytest.raises(FactorRegimesError, match="align_override must be >= 0"):
        Schedule(align_override=-1.0).validate()


def test_a_cache_hit_restores_the_stability_record_and_alignment_table(tmp_path) -> None:
    """The regime cache (a verified .npz entry) must give back the same stability and alignment as the
    cold run, so a cached run's report cannot differ from a cold one's."""
    X, _ = _inverting_panel()
    cold = walk_forward(JumpModelDetector(jump_penalty=2.0, random_state=0), X, schedule=SCHEDULE,
                        cache_dir=tmp_path)
    warm = walk_forward(JumpModelDetector(jump_penalty=2.0, random_state=0), X, schedule=SCHEDULE,
                        cache_dir=tmp_path)
    assert cold.info["cache"] == "miss" and warm.info["cache"] == "hit"
    assert cold.stability["flipped"] > 0
    assert warm.stability.keys() == cold.stability.keys()
    for key, value in cold.stability.items():
        assert warm.stability[key] == pytest.approx(value, nan_ok=True), key
    pd.testing.assert_frame_equal(warm.alignment, cold.alignment)
    np.testing.assert_array_equal(warm.detector.transmat_, cold.detector.transmat_)
    pd.testing.assert_frame_equal(warm.proba, cold.proba)
