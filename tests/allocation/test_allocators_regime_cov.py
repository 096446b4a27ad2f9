"""Regime-specific mean-variance: past periods without a filtered probability are left out, and
without a next-period probability the allocator is not live - never a guessed 50/50 mix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation.allocators._base import AllocationInputs
from allocation.allocators.portfolio import MeanVarianceAllocator


def _inputs(n: int = 80, unknown: int = 20):
    rng = np.random.default_rng(3)
    index = pd.date_range("2000-01-31", periods=n, freq="ME")
    returns = pd.DataFrame(rng.normal(0.005, 0.04, (n, 2)), index=index, columns=["UMD", "HML"])
    p_off = pd.Series(rng.uniform(0, 1, n), index=index)
    p_off.iloc[:unknown] = np.nan  # the regime path starts late
    now = pd.DataFrame({"state_0": 1 - p_off, "state_1": p_off})
    dates = index[30:]
    nxt = now.loc[dates].copy()
    nxt.iloc[:5] = np.nan  # no next-period forecast on the first five decision dates
    forecasts = pd.DataFrame(0.01, index=dates, columns=["UMD", "HML"])
    vol = pd.DataFrame(0.15, index=dates, columns=["UMD", "HML"])
    return AllocationInputs(dates=dates, assets=["UMD", "HML"], forecasts=forecasts, returns=returns, vol=vol,
                            regime_next=nxt, regime_now=now)


def _weighted_cov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    w = w / w.sum()
    d = x - w @ x
    return (d * w[:, None]).T @ d * 12


def test_regime_covariance_uses_only_periods_with_a_probability_and_is_not_live_without_a_forecast() -> None:
    inputs = _inputs()
    window = 40
    allocator = MeanVarianceAllocator(window=window, regime_specific=True, shrinkage=0.0, cap=100.0)
    weights = allocator.weights(inputs)
    assert weights.iloc[:5].isna().all().all()  # no next-period probability: not live
    for i in (5, 6, 20, len(inputs.dates) - 1):
        date = inputs.dates[i]
        p_all = inputs.regime_now["state_1"].loc[:date]
        known = p_all.dropna()
        x = inputs.returns.loc[known.index].to_numpy()[-window:]
        p = known.to_numpy()[-window:]
        if len(x) < window // 2:
            assert weights.iloc[i].isna().all()
            continue
        q = inputs.regime_next["state_1"].iloc[i]
        cov = (1 - q) * _weighted_cov(x, np.clip(1 - p, 1e-6, None)) + q * _weighted_cov(x, np.clip(p, 1e-6, None))
        expected = np.linalg.solve(cov, np.full(2, 0.12)) / allocator.risk_aversion
        np.testing.assert_allclose(weights.iloc[i].to_numpy(), expected, rtol=1e-10)
    # live exactly from the first date with window // 2 past periods that have a probability
    known_rows = inputs.regime_now["state_1"].notna().cumsum().reindex(inputs.dates).to_numpy()
    live = weights.notna().all(axis=1).to_numpy()
    expected_live = (known_rows >= window // 2) & inputs.regime_next.notna().all(axis=1).to_numpy()
    assert expected_live.any() and (~expected_live[5:]).any()  # both kinds of dates occur
    np.testing.assert_array_equal(live, expected_live)
