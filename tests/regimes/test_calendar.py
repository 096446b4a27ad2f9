"""Schedules in calendar units (regimes.calendar): the same refit dates at daily, weekly and monthly frequency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allocation.forecasters import make_forecaster
from allocation.forecasting import ForecastSchedule, forecast_walk_forward
from plumbing.errors import FactorRegimesError
from regimes import calendar
from regimes.detectors import DETECTORS
from regimes.walkforward import Schedule, walk_forward

FREQ = {"daily": "B", "weekly": "W-FRI", "monthly": "ME"}


def _features(frequency: str, start: str = "2000-01-01", end: str = "2010-12-31") -> pd.DataFrame:
    """A VIX-like level at the given frequency (seeded), enough for a threshold detector."""
    index = pd.date_range(start, end, freq=FREQ[frequency], name="date")
    rng = np.random.default_rng(7)
    return pd.DataFrame({"vix": 20 + np.cumsum(rng.normal(0, 1, len(index))) % 15}, index=index)


def _refit_months(frequency: str, schedule: Schedule) -> list[str]:
    path = walk_forward(DETECTORS.create("vix_threshold"), _features(frequency), schedule=schedule)
    return [f"{d:%Y-%m}" for d in path.refit_dates]


@pytest.mark.parametrize("every, months", [("1Y", 12), ("12M", 12), ("6M", 6), ("3M", 3)])
def test_span_refits_fall_in_the_same_months_at_every_frequency(every: str, months: int) -> None:
    """refit_every in years or months: the refits fall in the same months on daily, weekly and monthly data,
    and those months are the first eligible month (3 years after the data start) and every ``months`` after."""
    schedule = Schedule(refit_every=every, min_history="3Y")
    # truth: the first feature row is in 2000-01, so the first eligible date is in 2003-01; then every `months`
    expected = [f"{p}" for p in pd.period_range("2003-01", "2010-12", freq="M")[::months]]
    for frequency in ("daily", "weekly", "monthly"):
        assert _refit_months(frequency, schedule) == expected, frequency


def test_integer_lengths_keep_counting_periods() -> None:
    """A plain integer is a number of decision dates, as before: 12 is a year of monthly data, 12 days of daily."""
    monthly = _refit_months("monthly", Schedule(refit_every=12, min_history=36))
    assert monthly == [f"{p}" for p in pd.period_range("2002-12", "2010-12", freq="M")[::12]]
    daily = walk_forward(DETECTORS.create("vix_threshold"), _features("daily", end="2003-12-31"),
                         schedule=Schedule(refit_every=12, min_history=36)).refit_dates
    business = pd.date_range("2000-01-03", "2003-12-31", freq="B")
    assert list(daily) == list(business[35::12])


def test_block_starts_and_window_start_against_hand_computed_dates() -> None:
    dates = pd.date_range("2001-01-01", "2003-12-31", freq="B")
    starts = calendar.block_starts(dates, "1Y")
    # anchors 2001-01-01, 2002-01-01, 2003-01-01: the first business day on or after each
    assert [f"{dates[i]:%Y-%m-%d}" for i in starts] == ["2001-01-01", "2002-01-01", "2003-01-01"]
    assert list(calendar.block_starts(dates, 250)) == list(range(0, len(dates), 250))
    assert [f"{dates[i]:%Y-%m-%d}" for i in calendar.block_starts(dates, "63D")][:3] == \
        [f"{d:%Y-%m-%d}" for d in (dates[0], dates[0] + pd.offsets.BDay(63), dates[0] + pd.offsets.BDay(126))]
    end = int(dates.searchsorted(pd.Timestamp("2003-06-30")))
    start = calendar.window_start(dates, end, "1Y")
    assert dates[start] == pd.Timestamp("2002-07-01")  # first business day after 2002-06-30
    assert calendar.window_start(dates, end, 10) == end - 9


@pytest.mark.parametrize("bad", ["12X", "0Y", "Y", "1.5Y", 1.5, True, "-3M"])
def test_bad_lengths_are_refused_naming_the_key(bad) -> None:
    with pytest.raises(FactorRegimesError, match="refit_every"):
        Schedule(refit_every=bad).validate()


def test_forecast_schedule_in_spans_refits_in_the_same_months() -> None:
    """The forecasting engine reads spans the same way: refit_every 1Y and min_train 3Y give the same months
    at daily and monthly frequency (with a rolling 2Y window)."""
    out = {}
    for frequency in ("daily", "monthly"):
        X = _features(frequency)
        y = X["vix"].pct_change().shift(-1).rename("y")
        result = forecast_walk_forward(make_forecaster("ridge"), X, y,
                                       schedule=ForecastSchedule(refit_every="1Y", min_train="3Y", window="rolling",
                                                                 window_length="2Y"))
        out[frequency] = [f"{refit:%Y-%m}" for refit, *_ in result.fits]
        assert result.frame["forecast"].loc[: "2002-12-31"].isna().all()  # nothing before the first fit
    # truth: the first usable pair is the first row (2000-01), so the first refit is three years later, in
    # 2003-01, and then every January
    assert out["daily"] == out["monthly"] == [f"{year}-01" for year in range(2003, 2011)]
