"""allocation.trading_delay: weights decided at the close of t earn the returns from t+1+delay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allocation.backtest import run_backtest
from plumbing.errors import FactorRegimesError


def _world(n: int = 300, seed: int = 5):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n, name="date")
    returns = pd.DataFrame({"SPX": rng.normal(0.0004, 0.012, n)}, index=dates)
    cash = pd.Series(rng.uniform(0.0, 0.0002, n), index=dates)
    signal = pd.DataFrame({"SPX": (rng.random(n) < 0.7).astype(float)}, index=dates)  # 0/1 decisions at t
    return dates, returns, cash, signal


@pytest.mark.parametrize("delay", [0, 1, 3])
def test_delayed_returns_against_an_independent_computation(delay: int) -> None:
    """A 0/1 position in one asset (the rest in cash): the net return of period k is
    ``w[k-1-delay] r[k] + (1 - w[k-1-delay]) rf[k] - cost |w[k-1-delay] - w[k-2-delay]|`` (a 0/1 weight does not
    drift), written out here by loops over positions, independently of the backtest's code."""
    dates, returns, cash, signal = _world()
    cost_bps = 10.0
    bt = run_backtest(signal, returns, cost_bps=cost_bps, cash_return=cash, delay=delay)
    w, r, rf = signal["SPX"].to_numpy(), returns["SPX"].to_numpy(), cash.to_numpy()
    expected = {}
    for k in range(1 + delay, len(dates)):
        held = w[k - 1 - delay]
        before = w[k - 2 - delay] if k - 2 - delay >= 0 else 0.0  # starts from cash
        expected[dates[k]] = held * r[k] + (1 - held) * rf[k] - cost_bps / 1e4 * abs(held - before)
    expected = pd.Series(expected)
    got = bt.returns.dropna()
    assert list(got.index) == list(expected.index)  # the first 1+delay periods earn nothing: not live
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-15)


def test_one_period_delay_shifts_the_return_series_by_exactly_one_period() -> None:
    """Without costs, the delay-1 strategy earns on period k+1 what the delay-0 one would earn on period k from the
    same position: gross return minus cash is w * (r - rf), so compare ``(ret - rf) / (r - rf)`` = the position."""
    dates, returns, cash, signal = _world(seed=9)
    now = run_backtest(signal, returns, cash_return=cash, delay=0).returns.dropna()
    late = run_backtest(signal, returns, cash_return=cash, delay=1).returns.dropna()
    excess = (returns["SPX"] - cash)
    pos_now = ((now - cash.reindex(now.index)) / excess.reindex(now.index)).round(12)
    pos_late = ((late - cash.reindex(late.index)) / excess.reindex(late.index)).round(12)
    # the position held in period k under delay 1 is the one held in period k-1 under delay 0
    pd.testing.assert_series_equal(pos_late, pos_now.shift(1).reindex(pos_late.index), check_names=False)
    assert len(late) == len(now) - 1


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_delays_are_refused(bad) -> None:
    dates, returns, cash, signal = _world(n=20)
    with pytest.raises(FactorRegimesError, match="trading delay"):
        run_backtest(signal, returns, delay=bad)
