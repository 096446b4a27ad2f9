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


def test_the_timeline_says_what_it_draws_on_a_panel_without_an_index_level() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.figures.regimes import regime_comparison, regime_timeline
    from regimes.panel import Panel
    from regimes.walkforward import RegimePath

    dates = pd.date_range("2000-01-31", periods=36, freq="ME")
    ret = pd.Series(np.random.default_rng(4).normal(0.005, 0.04, 36), index=dates)
    proba = pd.DataFrame({"risk_on": 0.7, "risk_off": 0.3}, index=dates)
    path = RegimePath(name="hmm", proba=proba, next_proba=proba, refit_dates=dates[:1], detector=None)

    def panel(frame: pd.DataFrame) -> Panel:
        return Panel(frame=frame, frequency="monthly", source="csv", records=[], missing=pd.DataFrame())

    # returns only: the growth of 1, computed here from the returns
    fig = regime_timeline(path, panel(pd.DataFrame({"sp500_ret": ret})))
    top = fig.axes[0]
    assert "growth of 1" in top.get_ylabel() and "not in" in fig.axes[1].get_ylabel()
    np.testing.assert_allclose(top.lines[0].get_ydata(), np.cumprod(1 + ret.to_numpy()))
    plt.close(fig)
    # a missing return is never bridged: nothing drawn, and the label says why
    gappy = ret.copy()
    gappy.iloc[10] = np.nan
    for draw in (lambda p: regime_timeline(path, p), lambda p: regime_comparison([path], p)):
        fig = draw(panel(pd.DataFrame({"sp500_ret": gappy})))
        assert not fig.axes[0].lines and "no level" in fig.axes[0].get_ylabel()
        plt.close(fig)
