"""Backtest against a hand computation; constraints; metrics against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allocation import metrics
from allocation.backtest import Constraints, run_backtest


def _frame(values, columns=("A", "B"), start="2020-01-31", periods=None):
    index = pd.date_range(start, periods=periods or len(values), freq="ME", name="date")
    return pd.DataFrame(values, index=index, columns=list(columns), dtype=float)


def test_hand_computed_backtest() -> None:
    """Weights at t earn t+1; drift, turnover against drifted weights, and costs by hand."""
    rets = _frame([[0.00, 0.00], [0.10, -0.05], [-0.20, 0.10], [0.05, 0.05]])
    targets = _frame([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]], periods=3)
    bt = run_backtest(targets, rets, cost_bps=10)
    # t0: from cash to (0.5, 0.5): turnover 1.0, cost 0.001; period 1 gross 0.5*0.10 + 0.5*(-0.05) = 0.025
    g1 = 0.5 * 0.10 + 0.5 * -0.05
    drift1 = np.array([0.5 * 1.10, 0.5 * 0.95]) / (1 + g1)
    to1 = np.abs(np.array([0.5, 0.5]) - drift1).sum()
    g2 = 0.5 * -0.20 + 0.5 * 0.10
    drift2 = np.array([0.5 * 0.80, 0.5 * 1.10]) / (1 + g2)
    to2 = np.abs(np.array([1.0, 0.0]) - drift2).sum()
    g3 = 0.05
    np.testing.assert_allclose(bt.turnover.to_numpy(), [1.0, to1, to2])
    np.testing.assert_allclose(bt.gross_returns.to_numpy(), [g1, g2, g3])
    np.testing.assert_allclose(bt.returns.to_numpy(), [g1 - 0.001, g2 - to1 * 0.001, g3 - to2 * 0.001])
    assert list(bt.returns.index) == list(rets.index[1:]), "returns are dated at the end of their period"
    growth = np.cumprod(1 + bt.returns.to_numpy())
    expected_dd = (growth / np.maximum.accumulate(np.maximum(growth, 1.0)) - 1).min()
    assert metrics.max_drawdown(bt.returns) == pytest.approx(expected_dd)


def test_not_live_rows_have_no_return() -> None:
    rets = _frame([[0.0, 0.0], [0.1, 0.1], [0.1, 0.1]])
    targets = _frame([[np.nan, np.nan], [1.0, 0.0]], periods=2)
    bt = run_backtest(targets, rets)
    assert np.isnan(bt.returns.iloc[0]) and bt.returns.iloc[1] == pytest.approx(0.1)


def test_constraints() -> None:
    drifted = np.array([0.2, 0.2, 0.0])
    target = np.array([1.5, -0.8, 0.3])
    assert np.allclose(Constraints(long_only=True).apply(target, np.zeros(3)), [1.5, 0.0, 0.3])
    assert np.allclose(Constraints(max_weight=1.0).apply(target, np.zeros(3)), [1.0, -0.8, 0.3])
    w = Constraints(max_gross=1.0).apply(target, np.zeros(3))
    assert np.abs(w).sum() == pytest.approx(1.0) and np.allclose(w / np.abs(w).sum(), target / np.abs(target).sum())
    w = Constraints(long_only=True, fully_invested=True).apply(target, np.zeros(3))
    assert np.allclose(w, [1.5 / 1.8, 0.0, 0.3 / 1.8])
    w = Constraints(max_turnover=0.5).apply(target, drifted)
    assert np.abs(w - drifted).sum() == pytest.approx(0.5)
    w = Constraints(adjustment=0.25).apply(target, drifted)
    assert np.allclose(w, drifted + 0.25 * (target - drifted))


def test_metrics_against_independent_computation() -> None:
    rng = np.random.default_rng(0)
    r = rng.normal(0.01, 0.05, 240)
    assert metrics.sharpe(r, 12) == pytest.approx(np.mean(r) / np.std(r, ddof=1) * np.sqrt(12))
    assert metrics.ann_vol(r, 12) == pytest.approx(np.std(r, ddof=1) * np.sqrt(12))
    assert metrics.cagr(r, 12) == pytest.approx(np.prod(1 + r) ** (12 / 240) - 1)
    downside = np.sqrt(np.mean(np.minimum(r, 0) ** 2))
    assert metrics.sortino(r, 12) == pytest.approx(np.mean(r) / downside * np.sqrt(12))
    path = [0.10, -0.50, 0.20, 0.50]  # growth 1.1, 0.55, 0.66, 0.99: trough 0.55 from peak 1.1
    assert metrics.max_drawdown(path) == pytest.approx(-0.5)
    assert metrics.max_drawdown([-0.1, 0.05]) == pytest.approx(-0.1)  # the start counts as a peak
    assert metrics.hit_rate([0.1, -0.1, 0.0, 0.2]) == 0.5


def test_metrics_annualize_with_the_frequency_of_the_dates() -> None:
    """Without periods_per_year, a dated series is annualized by its own frequency; an undated one is refused."""
    rng = np.random.default_rng(1)
    r = rng.normal(0.002, 0.02, 520)
    weekly = pd.Series(r, index=pd.date_range("2000-01-07", periods=520, freq="W-FRI"))
    monthly = pd.Series(r, index=pd.date_range("2000-01-31", periods=520, freq="ME"))
    assert metrics.sharpe(weekly) == pytest.approx(np.mean(r) / np.std(r, ddof=1) * np.sqrt(52))
    assert metrics.ann_return(monthly) == pytest.approx(np.mean(r) * 12)
    assert metrics.summary(weekly)["ann_vol"] == pytest.approx(np.std(r, ddof=1) * np.sqrt(52))
    with pytest.raises(ValueError, match="periods_per_year"):
        metrics.sharpe(r)


def test_a_missing_return_is_never_zero() -> None:
    """A period where an asset (or the cash rate, with a cash weight) has no return is NaN, not 0, and listed;
    the weights are carried over it undrifted, so the next rebalance pays only for the change of target."""
    rets = _frame([[0.00, 0.00], [0.10, -0.05], [np.nan, 0.10], [0.05, 0.05], [0.02, np.nan]])
    targets = _frame([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0], [1.0, 0.0]], periods=4)
    bt = run_backtest(targets, rets, cost_bps=10)
    g1 = 0.5 * 0.10 + 0.5 * -0.05
    drift1 = np.array([0.5 * 1.10, 0.5 * 0.95]) / (1 + g1)
    to1 = np.abs(np.array([0.5, 0.5]) - drift1).sum()
    to2 = np.abs(np.array([1.0, 0.0]) - np.array([0.5, 0.5])).sum()  # from the undrifted (0.5, 0.5)
    np.testing.assert_allclose(bt.turnover.to_numpy(), [1.0, to1, to2, 0.0])
    expected = [g1 - 0.001, np.nan, 0.05 - to2 * 0.001, np.nan]  # period 4: B missing though its weight is 0
    np.testing.assert_allclose(bt.returns.to_numpy(), expected)
    assert list(bt.missing_return_periods) == [rets.index[2], rets.index[4]]
    cash = pd.Series([0.001, 0.001, np.nan, 0.001, 0.001], index=rets.index)
    half = run_backtest(_frame([[0.5, 0.0]] * 2, periods=2), rets.fillna(0.01), cash_return=cash)
    assert np.isnan(half.returns.iloc[1]) and list(half.missing_return_periods) == [rets.index[2]]
    full = run_backtest(_frame([[0.5, 0.5]] * 2, periods=2), rets.fillna(0.01), cash_return=cash)
    assert full.returns.iloc[1] == pytest.approx(0.5 * 0.01 + 0.5 * 0.10)  # no cash held: the rate is not needed
    assert len(full.missing_return_periods) == 0
