"""The weekly panel from the published daily files (regimes.weekly), checked against the daily panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regimes.data.sources import LocalSource, TruncatedSource
from regimes.panel import build_panel


@pytest.fixture(scope="module")
def panels(local_source: LocalSource) -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = build_panel(local_source, "daily", start="2007-01-02", end="2009-12-31").frame
    weekly = build_panel(local_source, "weekly", start="2007-01-05", end="2009-12-31")
    assert weekly.frequency == "weekly" and weekly.periods_per_year == 52
    return daily, weekly.frame


def test_rows_are_each_weeks_last_trading_day(panels) -> None:
    daily, weekly = panels
    expected = daily.index.to_series().groupby(daily.index.to_period("W-FRI")).max()
    assert list(weekly.index) == list(expected.loc[expected >= weekly.index[0]])
    assert (weekly.index.to_series().diff().dropna().dt.days.between(5, 9)).all()  # holidays move a close by a day


def test_returns_compound_and_levels_are_the_weeks_close(panels) -> None:
    daily, weekly = panels
    close = daily["sp500"]
    # price return from the index closes at consecutive weekly rows (no missing day in 2007-2009)
    from_closes = close.reindex(weekly.index).pct_change()
    pd.testing.assert_series_equal(weekly["sp500_ret"].iloc[1:], from_closes.iloc[1:], check_names=False, rtol=1e-10)
    assert weekly["vix"].equals(daily["vix"].reindex(weekly.index))
    # RF compounded by hand over the week of 2008-10-10 (Monday 10-06 .. Friday 10-10)
    days = daily.loc["2008-10-06":"2008-10-10", "RF"]
    assert weekly.loc["2008-10-10", "RF"] == pytest.approx(np.prod(1 + days.to_numpy()) - 1, rel=1e-12)
    assert weekly.loc["2008-10-10", "sp500_logret"] == pytest.approx(np.log1p(weekly.loc["2008-10-10", "sp500_ret"]))


def test_a_week_the_data_leave_before_friday_is_dropped(local_source: LocalSource) -> None:
    cut = pd.Timestamp("2008-10-15")  # a Wednesday
    weekly = build_panel(TruncatedSource(local_source, cut), "weekly", start="2008-01-04").frame
    assert weekly.index[-1] == pd.Timestamp("2008-10-10")
