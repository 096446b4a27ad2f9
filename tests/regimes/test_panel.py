"""Panel builder: reference values, independent computations, timing and missing-value policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plumbing.errors import DataError
from regimes.data.readers import read_cboe_vix, read_yahoo
from regimes.data.sample import SampleSource
from regimes.data.sources import LocalSource, MemorySource
from regimes.panel import MissingPolicy, build_panel


def test_reference_values_2000_2024(local_source: LocalSource) -> None:
    panel = build_panel(local_source, "monthly", start="2000-01", end="2024-12")
    frame = panel.frame
    assert len(frame) == 300
    assert frame.index[0] == pd.Timestamp("2000-01-31") and frame.index[-1] == pd.Timestamp("2024-12-31")
    assert frame.loc["2008-10-31", "sp500_ret"] == pytest.approx(-0.1694, abs=5e-5)
    assert frame.loc["2008-10-31", "vix"] == pytest.approx(59.89)
    assert frame.loc["2009-04-30", "UMD"] == pytest.approx(-0.3434)
    assert frame.loc["2008-10-31", "Mkt-RF"] == pytest.approx(-0.1720)
    needed = ["Mkt-RF", "SMB", "HML", "RF", "UMD", "vix", "vix_mean", "sp500_ret", "rv", "drawdown",
              "term_spread", "credit_spread", "nber_recession"]
    assert not frame[needed].isna().any().any()
    assert panel.records and all(len(r.sha256) == 64 for r in panel.records)


def test_derived_columns_match_independent_computation(shared_data: Path, monthly_panel) -> None:
    gspc = read_yahoo(shared_data / "GSPC.csv")["close"]
    vix = read_cboe_vix(shared_data / "VIX_History.csv")["close"]
    oct08 = gspc.loc["2008-09-30":"2008-10-31"]
    log_ret = np.diff(np.log(oct08.to_numpy()))  # 23 returns of October, the first from Sep 30's close
    assert len(log_ret) == 23
    expected_rv = np.sqrt(252 * np.mean(log_ret ** 2))
    frame = monthly_panel.frame
    assert frame.loc["2008-10-31", "rv"] == pytest.approx(expected_rv, rel=1e-12)
    assert frame.loc["2008-10-31", "vix_mean"] == pytest.approx(vix.loc["2008-10"].mean(), rel=1e-12)
    peak = gspc.loc[:"2008-10-31"].max()
    assert frame.loc["2008-10-31", "drawdown"] == pytest.approx(gspc.loc["2008-10-31"] / peak - 1, rel=1e-12)
    assert frame.loc["2008-10-31", "sp500_logret"] == pytest.approx(np.log(968.75 / 1166.36), abs=1e-6)


def test_realized_vol_back_to_1926_from_french_daily(monthly_panel) -> None:
    frame = monthly_panel.frame
    assert frame["rv"].first_valid_index() == pd.Timestamp("1926-07-31")
    assert frame.loc["1929-10-31", "rv"] > 0.5  # the crash month
    assert any("Fama-French daily market" in note for note in monthly_panel.notes)


def test_targets_are_next_period_returns(monthly_panel) -> None:
    targets = monthly_panel.forward_returns(["UMD", "HML"])
    assert targets.loc["2009-03-31", "UMD"] == monthly_panel.frame.loc["2009-04-30", "UMD"]
    assert np.isnan(targets.iloc[-1]["UMD"])
    with pytest.raises(DataError, match="no column"):
        monthly_panel.forward_returns(["XYZ"])


def test_sample_panel_is_labelled(tmp_path: Path) -> None:
    panel = build_panel(SampleSource(), "monthly", start="2000-01", end="2016-12")
    assert panel.source == "sample"
    assert panel.notes[0].startswith("SAMPLE DATA")
    assert all(r.origin == "sample" for r in panel.records)
    assert panel.frame["UMD"].notna().all() and panel.frame["rv"].notna().all()
    assert panel.frame.loc["2008-10-31", "Mkt-RF"] == pytest.approx(-0.1723)  # the older vintage


def test_coverage_errors(local_source: LocalSource) -> None:
    with pytest.raises(DataError, match=r"outside the factor data's coverage 1926-07-31\.\.2025-11-30"):
        build_panel(local_source, "monthly", start="1900-01")
    with pytest.raises(DataError, match="is after end"):
        build_panel(local_source, "monthly", start="2010-01", end="2000-01")
    with pytest.raises(DataError, match="frequency must be"):
        build_panel(local_source, "hourly")


def _synthetic_frames(vix_gap: slice | None = None, vix_end: str | None = None) -> dict[str, pd.DataFrame]:
    days = pd.bdate_range("2001-01-01", "2001-06-30", name="date")
    rng = np.random.default_rng(0)
    daily = pd.DataFrame({"Mkt-RF": rng.normal(0, 0.01, len(days)), "SMB": 0.0, "HML": 0.0, "RF": 0.0001},
                         index=days)
    months = pd.date_range("2001-01-31", "2001-06-30", freq="ME", name="date")
    ff3 = pd.DataFrame({"Mkt-RF": 0.01, "SMB": 0.0, "HML": 0.0, "RF": 0.001}, index=months)
    vix = pd.Series(np.arange(len(days), dtype=float) + 10, index=days)
    if vix_gap is not None:
        vix = vix.drop(vix.index[vix_gap])
    if vix_end is not None:
        vix = vix.loc[:vix_end]
    return {"ff3_monthly": ff3, "mom_monthly": pd.DataFrame({"Mom": 0.02}, index=months),
            "ff3_daily": daily, "mom_daily": pd.DataFrame({"Mom": 0.0}, index=days), "vix": vix.to_frame("close")}


def test_levels_filled_at_most_five_days() -> None:
    frames = _synthetic_frames(vix_gap=slice(20, 27))  # 7 trading days missing
    daily = build_panel(MemorySource(frames), "daily")
    vix = daily.frame["vix"]
    gap_days = frames["ff3_daily"].index[20:27]
    assert (vix.loc[gap_days[:5]] == frames["vix"]["close"].iloc[19]).all()
    assert vix.loc[gap_days[5:]].isna().all()
    assert daily.missing.loc["vix", "filled"] == 5
    assert MissingPolicy().level_ffill_days == 5


def test_series_ending_mid_month_gives_that_month_nothing() -> None:
    monthly = build_panel(MemorySource(_synthetic_frames(vix_end="2001-05-15")), "monthly").frame
    assert monthly.loc["2001-04-30", "vix"] == pytest.approx(_synthetic_frames()["vix"].loc["2001-04-30", "close"])
    assert np.isnan(monthly.loc["2001-05-31", "vix"]) and np.isnan(monthly.loc["2001-05-31", "vix_mean"])


def test_returns_are_never_filled(local_source: LocalSource) -> None:
    daily = build_panel(local_source, "daily", start="1930-01-01", end="1930-12-31")
    saturdays = daily.frame.index[daily.frame.index.day_of_week == 5]
    assert len(saturdays) > 0  # the exchange traded on Saturdays; the S&P 500 file has no Saturday rows
    assert daily.frame.loc[saturdays, "sp500_ret"].isna().all()
    assert daily.frame.loc[saturdays, "drawdown"].notna().all()  # a level, carried over the day


def test_user_csv_columns(local_source: LocalSource, tmp_path: Path) -> None:
    path = tmp_path / "signal.csv"
    path.write_text("date,my_signal\n2008-10-15,1.5\n2008-10-31,2.5\n2008-11-30,3.0\n")
    panel = build_panel(local_source, "monthly", start="2008-09", end="2008-12", extra_csv=[path])
    assert panel.frame["my_signal"].tolist()[1:3] == [2.5, 3.0]
    assert np.isnan(panel.frame.loc["2008-09-30", "my_signal"])
    assert any(r.key == "csv:signal.csv" for r in panel.records)
    clash = tmp_path / "clash.csv"
    clash.write_text("date,vix\n2008-10-31,1\n")
    with pytest.raises(DataError, match="already exist"):
        build_panel(local_source, "monthly", extra_csv=[clash])
