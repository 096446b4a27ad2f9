"""Persistence (hysteresis and minimum duration): known answers, causality, wiring into the detectors."""

from __future__ import annotations

import numpy as np
import pytest

from plumbing.errors import FactorRegimesError
from regimes.detectors import DETECTORS
from regimes.evaluation import simulate_regimes
from regimes.persistence import n_switches, persist

P = np.array([np.nan, 0.2, 0.6, 0.8, 0.75, 0.65, 0.5, 0.25, 0.2, 0.9, 0.1, 0.05])


def test_plain_threshold_is_the_argmax_of_the_two_state_output() -> None:
    expected = np.where(np.isnan(P), np.nan, (P > 0.5).astype(float))
    np.testing.assert_array_equal(persist(P), expected)


def test_hysteresis_known_answer() -> None:
    # start 0 at 0.2; 0.6 stays inside the band; 0.8 > 0.7 enters; 0.65 and 0.5 stay; 0.25 < 0.3 leaves; ...
    expected = [np.nan, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0]
    np.testing.assert_array_equal(persist(P, hysteresis=(0.3, 0.7)), expected)


def test_hysteresis_and_min_duration_known_answer() -> None:
    # entering needs two dates above 0.7 (0.8, 0.75: switch on the second); leaving two below 0.3
    # (0.25, 0.2); the lone 0.9 is one date only, so it is never confirmed
    expected = [np.nan, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
    np.testing.assert_array_equal(persist(P, hysteresis=(0.3, 0.7), min_duration=2), expected)


def test_missing_value_breaks_a_run() -> None:
    p = np.array([0.2, 0.9, np.nan, 0.9, 0.9])
    np.testing.assert_array_equal(persist(p, min_duration=2), [0, 0, np.nan, 0, 1])


def test_switch_count_against_direct_count() -> None:
    labels = np.array([np.nan, 0, 0, 1, 1, 0, np.nan, 0, 1])
    assert n_switches(labels) == 3


def test_prefix_invariance_of_persist() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(300)
    p[:10] = np.nan
    full = persist(p, hysteresis=(0.35, 0.8), min_duration=3)
    for t in (10, 11, 57, 150, 299):
        np.testing.assert_array_equal(persist(p[: t + 1], hysteresis=(0.35, 0.8), min_duration=3), full[: t + 1])


def test_persistence_never_adds_switches_on_noisy_scores() -> None:
    rng = np.random.default_rng(4)
    p = np.clip(0.5 + 0.3 * rng.standard_normal(500), 0, 1)
    plain = n_switches(persist(p))
    assert n_switches(persist(p, hysteresis=(0.3, 0.7))) < plain
    assert n_switches(persist(p, min_duration=3)) < plain


@pytest.mark.parametrize("bad", [{"hysteresis": [0.7, 0.3]}, {"hysteresis": [0.6, 0.9]}, {"hysteresis": 0.7},
                                 {"min_duration": 0}, {"min_duration": 1.5}])
def test_bad_parameters_are_refused(bad) -> None:
    X = simulate_regimes(200, seed=0).frame[["sp500_ret"]].to_numpy()
    with pytest.raises(FactorRegimesError, match="hysteresis|min_duration"):
        DETECTORS.create("garch", min_history=50, **bad).fit(X)


def test_hard_label_detector_refuses_hysteresis_but_takes_min_duration() -> None:
    X = simulate_regimes(200, seed=0).frame[["vix"]].to_numpy()
    with pytest.raises(FactorRegimesError, match="hard labels"):
        DETECTORS.create("vix_threshold", hysteresis=[0.3, 0.7]).fit(X)
    det = DETECTORS.create("vix_threshold", min_duration=3).fit(X)
    raw = (X[:, 0] > 20.0).astype(float)
    np.testing.assert_array_equal(det.risk_off_proba(X), persist(raw, min_duration=3))


CASES = {
    "garch": ({"min_history": 50}, "sp500_ret"),
    "bocpd": ({"risk_stat": "mean"}, "log_vix"),
    "changepoint": ({"min_history": 24}, "log_vix"),
    "vix_threshold": ({"quantile": 0.7}, "vix"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_detectors_apply_persistence_causally(name: str) -> None:
    """Persistent output = persist(raw output); appending rows changes no earlier label."""
    params, column = CASES[name]
    X = simulate_regimes(240, persistence=0.97, separation=2.0, seed=2).frame[[column]].to_numpy()
    if column == "log_vix":
        X = (X - X.mean()) / X.std()
    extra = {"min_duration": 3} if name == "vix_threshold" else {"hysteresis": [0.3, 0.7], "min_duration": 2}
    raw = DETECTORS.create(name, **params).fit(X).risk_off_proba(X)
    det = DETECTORS.create(name, **params, **extra).fit(X)
    full = det.predict_proba(X)
    np.testing.assert_array_equal(full[:, 1], persist(raw, extra.get("hysteresis"), extra["min_duration"]))
    for t in (80, 170):
        np.testing.assert_array_equal(det.predict_proba(X[: t + 1]), full[: t + 1])
    np.testing.assert_array_equal(det.filtered_proba(X, start=150), full[150:])
    assert n_switches(full[:, 1]) <= n_switches((raw > 0.5).astype(float)[np.isfinite(raw)])


def _panel(frequency: str, n: int):
    import pandas as pd

    from regimes.panel import Panel
    sample = simulate_regimes(n, persistence=0.99, separation=2.0, seed=5, freq="B" if frequency == "daily" else "ME",
                              start="2000-01-03")
    frame = sample.frame[["vix", "sp500_ret"]].assign(sp500_logret=lambda f: np.log1p(f["sp500_ret"]))
    return Panel(frame=frame, frequency=frequency, source="test", records=[], missing=pd.DataFrame())


def test_daily_features_get_the_documented_persistence_defaults_and_a_spec_overrides_them() -> None:
    from regimes.pipeline import detect as run_spec
    from regimes.specs import DetectorSpec
    from regimes.walkforward import Schedule

    daily = {"daily": _panel("daily", 700)}
    dates = daily["daily"].frame.index[400:]
    schedule = Schedule(refit_every=1000, min_history=300)
    garch = run_spec(DetectorSpec.from_dict({"name": "garch"}), daily, dates, schedule).detector
    assert (garch.hysteresis, garch.min_duration) == ([0.2, 0.8], 3)
    vix = run_spec(DetectorSpec.from_dict({"name": "vix_threshold", "frequency": "daily"}), daily, dates, schedule)
    assert vix.detector.min_duration == 5
    level = daily["daily"].frame["vix"].to_numpy()
    expected = persist((level > 20.0).astype(float), min_duration=5)[400:]  # the state machine runs from row 0
    np.testing.assert_array_equal(vix.risk_off.to_numpy(), expected)
    off = run_spec(DetectorSpec.from_dict({"name": "garch", "params": {"hysteresis": None, "min_duration": 1}}),
                   daily, dates, schedule).detector
    assert not off.persistent
    monthly = {"monthly": _panel("monthly", 200)}
    bocpd = run_spec(DetectorSpec.from_dict({"name": "bocpd"}), monthly, monthly["monthly"].frame.index[100:],
                     Schedule(refit_every=12, min_history=60)).detector
    assert not bocpd.persistent
