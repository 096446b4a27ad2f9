"""Figure style: readable log-axis ticks, enough distinct line styles, growth shading by the right detector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.figures.performance import shading_detector
from experiments.figures.style import RC, log_ticks


@pytest.mark.parametrize("low, high", [(0.55, 1.7), (0.9, 1.1), (0.97, 1.02), (1.0, 3.0), (1.0, 30.0),
                                       (300.0, 6000.0), (700.0, 2200.0), (1.0, 1e6)])
def test_log_ticks_are_between_four_and_twelve_round_values_inside_the_range(low: float, high: float) -> None:
    ticks = log_ticks(low, high)
    assert 4 <= len(ticks) <= 12, ticks
    assert all(low <= t <= high for t in ticks)
    assert ticks == sorted(set(ticks))
    for t in ticks:  # round: at most two significant digits
        mantissa = t / 10 ** np.floor(np.log10(t))
        assert abs(mantissa * 100 - round(mantissa * 100)) < 1e-6, t


def test_the_style_cycle_gives_many_distinct_series() -> None:
    styles = [(d["color"], d["linestyle"]) for d in RC["axes.prop_cycle"]]
    assert len(styles) == len(set(styles)) >= 17


def test_growth_shading_follows_the_best_regime_strategy_drawn() -> None:
    dates = pd.date_range("2000-01-31", periods=48, freq="ME")
    rng = np.random.default_rng(3)
    base = rng.normal(0.0, 0.03, 48)
    returns = pd.DataFrame({"T/static": base, "T/binary/ridge": base * 0.5,
                            "T/binary/ridge@hmm": base * 0.2 - 0.01, "T/binary/ridge@jump": base * 0.2 + 0.01},
                           index=dates)
    meta = pd.DataFrame({"target": "T", "allocator": ["static", "binary", "binary", "binary"],
                         "regime_model": ["none", "none", "hmm", "jump"]}, index=returns.columns)
    assert shading_detector(returns, meta, "T") == ("jump", "T/binary/ridge@jump")
    no_regime = meta.assign(regime_model="none")
    assert shading_detector(returns, no_regime, "T") == (None, None)
