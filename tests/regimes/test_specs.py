"""Frequency-aware detector defaults: which features and parameters a spec gets on each panel frequency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regimes.detectors import DETECTORS
from regimes.features import build_features
from regimes.panel import Panel
from regimes.specs import (
    DEFAULTS,
    FREQUENCY_FEATURES,
    FREQUENCY_PARAMS,
    DetectorSpec,
    frequency_defaults,
    resolve_panel,
)


def _two_column_panel(frequency: str, n: int) -> Panel:
    """A user's panel with only ``vix`` and ``sp500_ret`` (plus the log return the csv reader derives)."""
    rng = np.random.default_rng(3)
    freq = {"daily": "B", "weekly": "W-FRI", "monthly": "ME"}[frequency]
    index = pd.date_range("2000-01-03", periods=n, freq=freq, name="date")
    ret = 0.01 * rng.standard_t(4, n)
    frame = pd.DataFrame({"vix": np.exp(np.log(18) + 0.2 * rng.standard_normal(n)), "sp500_ret": ret,
                          "sp500_logret": np.log1p(ret)}, index=index)
    return Panel(frame=frame, frequency=frequency, source="csv", records=[], missing=pd.DataFrame())


@pytest.mark.parametrize("frequency", ["daily", "weekly", "monthly"])
def test_every_default_feature_is_computable_from_vix_and_returns(frequency: str) -> None:
    panel = _two_column_panel(frequency, 400)
    for name in DETECTORS.names():
        spec, _ = resolve_panel(DetectorSpec.from_dict({"name": name}), {"csv": panel})
        features = build_features(panel, spec.features)
        assert features.iloc[100:].notna().all().all(), (name, spec.features)


def test_daily_panel_gets_the_daily_features_and_parameters() -> None:
    spec = frequency_defaults(DetectorSpec.from_dict({"name": "jump"}), "daily")
    assert spec.features == FREQUENCY_FEATURES[("jump", "daily")]
    assert spec.params["jump_penalty"] == FREQUENCY_PARAMS[("jump", "daily")]["jump_penalty"]
    assert spec.build(0).jump_penalty == FREQUENCY_PARAMS[("jump", "daily")]["jump_penalty"]
    monthly = frequency_defaults(DetectorSpec.from_dict({"name": "jump"}), "monthly")
    assert monthly.features == DEFAULTS["jump"][0]
    assert monthly.params["jump_penalty"] == DEFAULTS["jump"][2]["jump_penalty"] != spec.params["jump_penalty"]
    assert monthly.build(0).jump_penalty == DEFAULTS["jump"][2]["jump_penalty"]


def test_what_the_config_sets_wins_over_the_frequency_defaults() -> None:
    spec = DetectorSpec.from_dict({"name": "jump", "features": ["log_vix", "sp500_ret_1m"],
                                   "params": {"jump_penalty": 30.0}})
    daily = frequency_defaults(spec, "daily")
    assert daily.features == ("log_vix", "sp500_ret_1m") and daily.params["jump_penalty"] == 30.0
    direct = DetectorSpec(name="jump", features=("log_vix",), frequency="daily")  # built directly: nothing defaulted
    assert frequency_defaults(direct, "daily").features == ("log_vix",)


def test_ensemble_members_get_their_own_daily_parameters() -> None:
    spec = frequency_defaults(DetectorSpec.from_dict({"name": "ensemble"}), "daily")
    members = {m["name"]: m for m in spec.params["members"]}
    assert set(members) == {m["name"] for m in FREQUENCY_PARAMS[("ensemble", "daily")]["members"]}
    assert members["jump"]["params"]["jump_penalty"] == FREQUENCY_PARAMS[("jump", "daily")]["jump_penalty"]
    built = spec.build(0)
    jump = next(m for m in built.members if type(m).__name__ == "JumpModelDetector")
    assert jump.jump_penalty == FREQUENCY_PARAMS[("jump", "daily")]["jump_penalty"]
    assert list(spec.features) == list(FREQUENCY_FEATURES[("ensemble", "daily")])
    # a member's own parameter wins; a config's members replace the daily ones
    own = DetectorSpec.from_dict({"name": "ensemble", "params": {
        "members": [{"name": "jump", "params": {"jump_penalty": 2.0}}, {"name": "hmm"}]}})
    mine = frequency_defaults(own, "daily").params["members"]
    assert [m["name"] for m in mine] == ["jump", "hmm"] and mine[0]["params"]["jump_penalty"] == 2.0
