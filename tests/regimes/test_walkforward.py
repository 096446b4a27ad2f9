"""Walk-forward regime engine: prefix invariance, training-window scaling, caching, real crises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regimes.data.sources import LocalSource
from regimes.detectors._base import RegimeDetector, two_state
from regimes.features import build_features
from regimes.panel import build_panel
from regimes.pipeline import detect
from regimes.specs import DetectorSpec
from regimes.walkforward import Schedule, walk_forward

SCHEDULE = Schedule(refit_every=12, min_history=60)


def _panels(source):
    return {"monthly": build_panel(source, "monthly", start="1990-01"),
            "daily": build_panel(source, "daily", start="1990-01-01")}


@pytest.fixture(scope="module")
def real_paths(local_source: LocalSource):
    panels = _panels(local_source)
    dates = panels["monthly"].frame.loc["2000-01":"2024-12"].index
    paths = {name: detect(DetectorSpec.from_dict({"name": name}), panels, dates, SCHEDULE, seed=0)
             for name in ("hmm", "jump", "garch")}
    paths["jump_10"] = detect(DetectorSpec.from_dict({"name": "jump", "params": {"jump_penalty": 10.0}}), panels,
                              dates, SCHEDULE, seed=0)
    return paths


@pytest.mark.parametrize("name", ["hmm", "jump", "garch"])
def test_real_crises_risk_off_and_calm_2017_risk_on(real_paths, name: str) -> None:
    risk_off = real_paths[name].risk_off
    assert risk_off.loc["2008-10-31"] > 0.5, "October 2008"
    assert risk_off.loc["2020-03-31"] > 0.5, "March 2020"
    assert risk_off.loc["2017-06-30"] < 0.5 and risk_off.loc["2017-07-31"] < 0.5, "mid-2017"


def test_the_jump_penalty_buys_persistence_on_real_data(real_paths) -> None:
    # the monthly default penalty (1) confirms switches within the month; the estimator's 10 holds a regime
    # for years, switching less than the HMM, and strictly less than the default
    n = {k: int((p.risk_off > 0.5).astype(int).diff().abs().sum()) for k, p in real_paths.items()}
    assert n["jump_10"] <= n["hmm"], n
    assert n["jump_10"] < n["jump"], n


class _Probe(RegimeDetector):
    """Records what it was fitted on (in a class attribute: the engine clones and copies detectors)."""

    seen: list = []

    def _fit(self, X):
        _Probe.seen.append(X.copy())

    def _filtered(self, X, start):
        return two_state(np.clip(X[start:, 0], 0, 1))


def test_standardized_with_training_window_only() -> None:
    index = pd.date_range("2000-01-31", periods=100, freq="ME")
    x = pd.DataFrame({"a": np.arange(100.0) ** 1.5}, index=index)
    _Probe.seen = log = []
    walk_forward(_Probe(), x, schedule=Schedule(refit_every=10, min_history=30))
    assert [len(X) for X in log] == list(range(30, 101, 10))
    for X in log:  # each fit sees its own window scaled by its own mean and std: no later rows involved
        assert abs(X.mean()) < 1e-12 and abs(X.std() - 1) < 1e-12


def test_rolling_window_and_errors() -> None:
    index = pd.date_range("2000-01-31", periods=50, freq="ME")
    _Probe.seen = log = []
    walk_forward(_Probe(), pd.DataFrame({"a": np.arange(50.0)}, index=index),
                 schedule=Schedule(refit_every=5, window="rolling", window_length=20, min_history=20))
    assert {len(X) for X in log} == {20}
    from plumbing.errors import FactorRegimesError
    with pytest.raises(FactorRegimesError, match="fewer than min_history=60"):
        walk_forward(_Probe(), pd.DataFrame({"a": np.arange(50.0)}, index=index), schedule=SCHEDULE)
    with pytest.raises(FactorRegimesError, match="rolling window needs window_length"):
        Schedule(window="rolling").validate()


def test_cache_hit_is_identical_and_keyed_on_content(local_source: LocalSource, tmp_path) -> None:
    panel = build_panel(local_source, "monthly", start="1990-01")
    feats = build_features(panel, ["log_vix", "sp500_ret_1m"])
    dates = panel.frame.loc["2000-01":"2010-12"].index
    spec = DetectorSpec.from_dict({"name": "jump"})
    first = walk_forward(spec.build(0), feats, dates, SCHEDULE, cache_dir=tmp_path)
    again = walk_forward(spec.build(0), feats, dates, SCHEDULE, cache_dir=tmp_path)
    assert first.info["cache"] == "miss" and again.info["cache"] == "hit"
    pd.testing.assert_frame_equal(first.proba, again.proba)
    other = walk_forward(DetectorSpec.from_dict({"name": "jump", "params": {"jump_penalty": 5.0}}).build(0),
                         feats, dates, SCHEDULE, cache_dir=tmp_path)
    assert other.info["cache"] == "miss"
    changed = feats.copy()
    changed.loc["2005-06-30", "log_vix"] += 0.1
    assert walk_forward(spec.build(0), changed, dates, SCHEDULE, cache_dir=tmp_path).info["cache"] == "miss"
    later = feats.copy()
    later.loc["2015-06-30", "log_vix"] += 0.1  # after the last decision date: cannot matter
    assert walk_forward(spec.build(0), later, dates, SCHEDULE, cache_dir=tmp_path).info["cache"] == "hit"
    assert len(list((tmp_path / "regimes").glob("*.npz"))) == 3


def test_features_refuse_unknown_and_ex_post(monthly_panel) -> None:
    from plumbing.errors import FactorRegimesError
    with pytest.raises(FactorRegimesError, match="unknown feature 'log_vx'; did you mean log_vix"):
        build_features(monthly_panel, ["log_vx"])
    with pytest.raises(FactorRegimesError, match="hindsight"):
        build_features(monthly_panel, ["nber_recession"])
