"""Crisis-onset delays of regimes.evaluation.path_summary: counted in periods, searched over a calendar year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regimes.evaluation import path_summary


def test_daily_delay_is_in_trading_days_within_a_calendar_year() -> None:
    days = pd.bdate_range("2019-01-01", "2021-12-31")
    p = pd.Series(0.1, index=days)
    onset = pd.Timestamp("2020-02-28")
    first = days.get_loc(onset) + 30  # first risk-off label 30 trading days after the onset (> 12 periods)
    p.iloc[first:first + 10] = 0.9
    out = path_summary(p, onsets={"covid": "2020-02-28"})
    assert out["delay_covid"] == 30
    late = pd.Series(0.1, index=days)
    late.loc["2021-04-01":] = 0.9  # more than a year after the onset: not found
    assert np.isnan(path_summary(late, onsets={"covid": "2020-02-28"})["delay_covid"])


def test_monthly_delays_unchanged() -> None:
    """At month-end dates the calendar year is the 13 month ends from the onset (the former rule)."""
    rng = np.random.default_rng(0)
    months = pd.date_range("2000-01-31", "2015-12-31", freq="ME")
    onsets = {"a": "2008-09-30", "b": "2011-08-31", "c": "2003-02-15", "d": "2015-06-30"}
    for _ in range(50):
        p = pd.Series(np.where(rng.random(len(months)) < 0.08, 0.9, 0.1), index=months)
        out = path_summary(p, onsets=onsets)
        for name, date in onsets.items():
            after = (p.loc[pd.Timestamp(date):] > 0.5).iloc[:13].to_numpy()
            expected = float(np.flatnonzero(after)[0]) if after.any() else np.nan
            np.testing.assert_equal(out[f"delay_{name}"], expected)
