"""Tearsheet statistics against hand-made series with known answers and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from allocation import tearsheet_stats as ts


def _monthly(values, start="2020-01-31") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="ME"), name="s", dtype=float)


def test_infer_frequency_of_common_calendars() -> None:
    assert ts.infer_frequency(pd.bdate_range("2020-01-01", periods=300)) == ("daily", 252)
    assert ts.infer_frequency(pd.date_range("2020-01-03", periods=60, freq="W-FRI")) == ("weekly", 52)
    assert ts.infer_frequency(pd.date_range("2000-01-31", periods=40, freq="BME")) == ("monthly", 12)
    assert ts.infer_frequency(pd.date_range("2000-03-31", periods=12, freq="QE")) == ("quarterly", 4)
    assert ts.infer_frequency(pd.date_range("2000-12-31", periods=5, freq="YE")) == ("annual", 1)


def test_infer_frequency_refuses_irregular_dates() -> None:
    months = pd.date_range("2000-01-31", periods=24, freq="ME")
    with pytest.raises(ts.IrregularDates, match="2000-05-31 to 2000-08-31"):
        ts.infer_frequency(months.delete([5, 6]))  # two months missing
    with pytest.raises(ts.IrregularDates, match="strictly increasing"):
        ts.infer_frequency(months[[0, 2, 1, 3]])
    with pytest.raises(ts.IrregularDates, match="median gap"):
        ts.infer_frequency(pd.DatetimeIndex(["2000-01-01", "2000-01-15", "2000-02-01", "2000-02-15"]))


def test_yearly_returns_compound_within_each_year() -> None:
    r = _monthly([0.10, -0.05] + [0.0] * 10 + [0.02, 0.03])  # 2020 full, 2021 two months
    table = ts.yearly_returns(r.to_frame())
    assert list(table.index) == [2020, 2021]
    assert table.loc[2020, "s"] == pytest.approx(1.10 * 0.95 - 1)
    assert table.loc[2021, "s"] == pytest.approx(1.02 * 1.03 - 1)


def test_yearly_returns_keep_each_strategy_its_own_span_and_refuse_holes() -> None:
    frame = pd.DataFrame({"a": _monthly([0.01] * 24), "b": _monthly([np.nan] * 12 + [0.02] * 12)})
    table = ts.yearly_returns(frame)
    assert math.isnan(table.loc[2020, "b"])
    assert table.loc[2021, "b"] == pytest.approx(1.02 ** 12 - 1)
    holed = _monthly([0.01, np.nan, 0.01, 0.01])
    with pytest.raises(ValueError, match="missing return at 2020-02-29"):
        ts.yearly_returns(holed)


def test_monthly_table_compounds_daily_returns_into_months() -> None:
    days = pd.bdate_range("2021-01-01", "2021-03-31")
    r = pd.Series(0.001, index=days, name="d")
    table = ts.monthly_table(r)
    assert table.shape == (1, 12)
    for month in (1, 2, 3):
        n = int((days.month == month).sum())
        assert table.loc[2021, month] == pytest.approx(1.001 ** n - 1)
    assert table.loc[2021, 4:].isna().all()


def test_drawdown_periods_of_a_hand_made_path() -> None:
    # growth: 1.1, 0.99, 0.891, 1.0692 (below 1.1), 1.21 (new peak), 1.089, 1.1979 (below 1.21: not recovered)
    r = _monthly([0.10, -0.10, -0.10, 0.20, 0.1317, -0.10, 0.10])
    table = ts.drawdown_periods(r, top=5)
    assert list(table.columns) == ["start", "trough", "recovery", "depth", "length"]
    assert len(table) == 2
    first, second = table.iloc[0], table.iloc[1]
    assert first["start"] == r.index[1] and first["trough"] == r.index[2] and first["recovery"] == r.index[4]
    assert first["depth"] == pytest.approx(0.891 / 1.1 - 1)
    assert first["length"] == 3
    assert second["start"] == r.index[5] and second["trough"] == r.index[5] and pd.isna(second["recovery"])
    assert second["depth"] == pytest.approx(-0.10)
    assert second["length"] == 2


def test_drawdown_periods_from_the_first_period_and_the_top_limit() -> None:
    r = _monthly([-0.2, 0.25, -0.1, 0.2, -0.05, 0.1])  # the start counts as a peak of 1
    table = ts.drawdown_periods(r, top=2)
    assert table["start"].iloc[0] == r.index[0] and table["recovery"].iloc[0] == r.index[1]
    assert table["depth"].iloc[0] == pytest.approx(-0.2)
    assert list(table["depth"]) == sorted(table["depth"])  # deepest first
    assert len(table) == 2


def test_rolling_volatility_matches_numpy_std_on_each_window() -> None:
    rng = np.random.default_rng(0)
    r = _monthly(rng.normal(0.01, 0.05, 30))
    vol = ts.rolling_volatility(r, window=12, periods_per_year=12)
    assert vol.iloc[:11].isna().all()
    for end in (11, 20, 29):
        window = r.to_numpy()[end - 11:end + 1]
        assert vol.iloc[end] == pytest.approx(np.std(window, ddof=1) * np.sqrt(12))


def test_rolling_beta_recovers_a_known_linear_relation_and_uses_common_dates() -> None:
    rng = np.random.default_rng(1)
    m = _monthly(rng.normal(0.0, 0.04, 40))
    r = (1.5 * m + 0.002).rename("s")
    beta = ts.rolling_beta(r, m, window=12)
    assert beta.iloc[:11].isna().all()
    assert np.allclose(beta.iloc[11:], 1.5)
    noisy = (0.5 * m + rng.normal(0, 0.01, 40)).rename("s").iloc[5:]
    beta = ts.rolling_beta(noisy, m, window=10)
    assert beta.index[0] == m.index[5]
    x, y = m.to_numpy()[-10:], noisy.to_numpy()[-10:]
    slope = np.polyfit(x, y, 1)[0]
    assert beta.iloc[-1] == pytest.approx(slope)
