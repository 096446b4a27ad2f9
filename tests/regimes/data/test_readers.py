"""CBOE, FRED, Yahoo, tidy and AQR readers on the real files, and every shared file through the sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regimes.data.aqr import read_aqr
from regimes.data.catalog import CATALOG
from regimes.data.readers import read_cboe_vix, read_fred, read_tidy, read_yahoo
from regimes.data.sources import LocalSource, sha256_file


def test_every_shared_file_is_read_by_a_catalog_series(local_source: LocalSource, shared_data: Path) -> None:
    assert local_source.keys() == list(CATALOG), "every catalog series is in the shared data"
    for key in local_source.keys():
        loaded = local_source.load(key)
        assert len(loaded.frame) > 100, key
        assert loaded.frame.index.is_monotonic_increasing and not loaded.frame.index.has_duplicates
        assert loaded.record.sha256 == sha256_file(local_source.path_of(key))
    # Files no series reads: other vintages (read in test_french) and the second S&P copy.
    leftover = set(local_source.unrecognised())
    assert leftover == {"sp500.csv", "vintages/202408/F-F_Research_Data_Factors.CSV",
                        "vintages/202601/F-F_Research_Data_Factors.CSV", "vintages/202604/F-F_Momentum_Factor.CSV"}
    # ... of which the S&P copy is named like the series, shadowed by the first candidate name
    assert local_source.shadowed() == {"sp500.csv": "GSPC.csv"}


def test_vix_spot_value_and_agreement_with_fred(shared_data: Path) -> None:
    vix = read_cboe_vix(shared_data / "VIX_History.csv")
    assert vix.loc["2008-11-20", "close"] == pytest.approx(80.86)
    assert vix["close"].idxmax() == pd.Timestamp("2020-03-16") and vix["close"].max() == pytest.approx(82.69)
    fred = read_fred(shared_data / "VIXCLS.csv")["VIXCLS"].dropna()
    common = vix.index.intersection(fred.index)
    assert len(common) == 9078
    np.testing.assert_allclose(vix.loc[common, "close"], fred.loc[common], atol=1e-9)


def test_sp500_spot_values_and_two_sources_agree(shared_data: Path) -> None:
    gspc = read_yahoo(shared_data / "GSPC.csv")
    assert gspc.loc["2008-10-10", "close"] == pytest.approx(899.22)
    assert gspc.loc["2024-12-31", "close"] == pytest.approx(5881.63)
    other = read_yahoo(shared_data / "sp500.csv")  # no Adj Close column; zero opens are missing
    assert "adj_close" not in other.columns and other["open"].isna().sum() > 0
    common = gspc.index.intersection(other.index)
    assert len(common) == len(gspc) == 24551
    np.testing.assert_allclose(other.loc[common, "close"], gspc.loc[common, "close"], rtol=1e-7)


def test_fred_percent_series_in_decimals_and_layouts(shared_data: Path, tmp_path: Path) -> None:
    t10y2y = read_fred(shared_data / "T10Y2Y.csv", percent=True)
    assert t10y2y.loc["2008-10-10", "T10Y2Y"] == pytest.approx(0.0227)
    assert t10y2y["T10Y2Y"].isna().sum() == 549
    usrec = read_fred(shared_data / "USREC.csv")
    assert usrec.loc["2008-01-01":"2009-12-01", "USREC"].sum() == 18
    old_layout = tmp_path / "old.csv"
    old_layout.write_text("DATE,VIXCLS\n1990-01-02,17.24\n1990-01-03,.\n1990-01-04,19.22\n")
    frame = read_fred(old_layout)
    assert np.isnan(frame.loc["1990-01-03", "VIXCLS"]) and frame.loc["1990-01-04", "VIXCLS"] == 19.22


def test_aqr_workbooks(shared_data: Path) -> None:
    book = shared_data / "aqr/Betting Against Beta Equity Factors Monthly.xlsx"
    umd = read_aqr(book, "UMD")
    assert umd.loc["2009-04-30"] == pytest.approx(-0.3462, abs=5e-5)
    assert umd.index[0] == pd.Timestamp("1927-01-31") and umd.index[-1] == pd.Timestamp("2026-03-31")
    assert read_aqr(book, "HML Devil").loc["2009-04-30"] == pytest.approx(0.2686, abs=5e-5)
    qmj = read_aqr(shared_data / "aqr/Quality Minus Junk Factors Monthly.xlsx", "QMJ Factors")
    assert len(qmj) == 800 and qmj.index[-1] == pd.Timestamp("2024-02-29")


def test_etf_files(shared_data: Path) -> None:
    for ticker, first, rows in [("MTUM", "2013-04-18", 3131), ("SPY", "1993-01-29", 8222)]:
        frame = read_yahoo(shared_data / f"etf/{ticker}.csv")
        assert frame.index[0] == pd.Timestamp(first) and len(frame) == rows
        assert (frame["adj_close"] <= frame["close"] + 1e-9).all()  # dividends adjust history downwards


def test_tidy_csv(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("date,signal,level\n2020-01-31,1.5,\n2020-02-29,-2.0,3\n")
    frame = read_tidy(path, percent=True)
    assert list(frame.columns) == ["signal", "level"]
    assert frame.loc["2020-01-31", "signal"] == pytest.approx(0.015) and np.isnan(frame.loc["2020-01-31", "level"])
