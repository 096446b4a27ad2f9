"""Ken French reader: both layouts, zipped or plain, on the real files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plumbing.errors import DataError
from regimes.data.french import read_french

FRENCH_FILES = {
    # path: (frequency, columns, first, last, rows, vintage)
    "F-F_Research_Data_Factors.CSV": ("monthly", ["Mkt-RF", "SMB", "HML", "RF"], "1926-07-31", "2025-11-30", 1193, "202511"),
    "F-F_Momentum_Factor.CSV": ("monthly", ["Mom"], "1927-01-31", "2025-11-30", 1187, "202511"),
    "F-F_Research_Data_Factors_daily.CSV": ("daily", ["Mkt-RF", "SMB", "HML", "RF"], "1926-07-01", "2026-04-30", 26233, "202604"),
    "F-F_Momentum_Factor_daily.CSV": ("daily", ["Mom"], "1926-11-03", "2026-04-30", 26132, "202604"),
    "F-F_Research_Data_5_Factors_2x3.CSV": ("monthly", ["Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"], "1963-07-31", "2025-11-30", 749, "202511"),
    "vintages/202408/F-F_Research_Data_Factors.CSV": ("monthly", ["Mkt-RF", "SMB", "HML", "RF"], "1926-07-31", "2024-08-31", 1178, "202408"),
    "vintages/202601/F-F_Research_Data_Factors.CSV": ("monthly", ["Mkt-RF", "SMB", "HML", "RF"], "1926-07-31", "2026-01-31", 1195, "202601"),
    "vintages/202604/F-F_Momentum_Factor.CSV": ("monthly", ["Mom"], "1927-01-31", "2026-04-30", 1192, "202604"),
}


@pytest.mark.parametrize("name", sorted(FRENCH_FILES))
def test_every_french_file_parses_with_documented_coverage(shared_data: Path, name: str) -> None:
    freq, columns, first, last, rows, vintage = FRENCH_FILES[name]
    parsed = read_french(shared_data / name)
    assert parsed.frequency == freq
    assert list(parsed.data.columns) == columns
    assert parsed.data.index[0] == pd.Timestamp(first)
    assert parsed.data.index[-1] == pd.Timestamp(last)
    assert len(parsed.data) == rows
    assert parsed.vintage == vintage
    assert parsed.data.index.is_monotonic_increasing and not parsed.data.index.has_duplicates
    assert not parsed.data.isna().any().any()


def test_spot_values_in_decimals(shared_data: Path) -> None:
    mom = read_french(shared_data / "F-F_Momentum_Factor.CSV").data
    ff3 = read_french(shared_data / "F-F_Research_Data_Factors.CSV").data
    assert mom.loc["2009-04-30", "Mom"] == pytest.approx(-0.3434, abs=1e-12)
    assert ff3.loc["2008-10-31", "Mkt-RF"] == pytest.approx(-0.1720, abs=1e-12)
    assert ff3.loc["2008-10-31", "HML"] == pytest.approx(-0.0189, abs=1e-12)
    daily = read_french(shared_data / "F-F_Research_Data_Factors_daily.CSV").data
    assert daily.loc["2008-10-10", "Mkt-RF"] == pytest.approx(-0.0096, abs=1e-12)


def test_annual_block_found_in_both_layouts(shared_data: Path) -> None:
    # Revised momentum file: annual title split over two lines.
    mom = read_french(shared_data / "F-F_Momentum_Factor.CSV")
    assert mom.annual is not None and len(mom.annual) == 98
    assert mom.annual.loc["2009-12-31", "Mom"] == pytest.approx(-0.8381, abs=1e-12)
    old = read_french(shared_data / "vintages/202408/F-F_Research_Data_Factors.CSV")
    assert old.annual is not None and len(old.annual) == 97
    assert old.data.loc["1926-07-31", "Mkt-RF"] == pytest.approx(0.0296)  # old methodology
    new = read_french(shared_data / "F-F_Research_Data_Factors.CSV")
    assert new.data.loc["1926-07-31", "Mkt-RF"] == pytest.approx(0.0289)  # 2025 revision


def test_monthly_agrees_with_compounded_daily(shared_data: Path) -> None:
    """Independent check: monthly Mkt-RF vs daily (Mkt-RF + RF) compounded, less monthly RF."""
    monthly = read_french(shared_data / "F-F_Research_Data_Factors.CSV").data
    daily = read_french(shared_data / "F-F_Research_Data_Factors_daily.CSV").data
    total = (1 + daily["Mkt-RF"] + daily["RF"]).groupby(daily.index + pd.offsets.MonthEnd(0)).prod() - 1
    common = monthly.index.intersection(total.index)
    excess = total.loc[common] - monthly.loc[common, "RF"]
    assert np.corrcoef(excess, monthly.loc[common, "Mkt-RF"])[0, 1] > 0.999


def _zip_bytes(member: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, payload)
    return buf.getvalue()


def test_zip_as_the_library_serves_it(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / "F-F_Momentum_Factor.CSV").read_bytes()
    archive = tmp_path / "F-F_Momentum_Factor_CSV.zip"
    archive.write_bytes(_zip_bytes("F-F_Momentum_Factor.csv", raw))  # lower-case member since 2025
    zipped = read_french(archive)
    plain = read_french(shared_data / "F-F_Momentum_Factor.CSV")
    pd.testing.assert_frame_equal(zipped.data, plain.data)
    assert zipped.name.endswith("!F-F_Momentum_Factor.csv")


def test_missing_markers_become_nan(tmp_path: Path) -> None:
    text = "header\n\n,Mkt-RF,SMB\n200001,  -99.99,  1.00\n200002,  2.00,  -999\n200003, 1.5, 2.5\n" + \
           "".join(f"2001{m:02d}, 1.{m}, 2.{m}\n" for m in range(1, 13)) + "\nCopyright\n"
    path = tmp_path / "f.csv"
    path.write_text(text)
    data = read_french(path).data
    assert np.isnan(data.loc["2000-01-31", "Mkt-RF"]) and np.isnan(data.loc["2000-02-29", "SMB"])
    assert data.loc["2000-03-31", "SMB"] == pytest.approx(0.025)


def test_expected_columns_enforced(shared_data: Path) -> None:
    with pytest.raises(DataError, match=r"line 5: expected columns 'Mom', found 'Mkt-RF,SMB,HML,RF'"):
        read_french(shared_data / "F-F_Research_Data_Factors.CSV", expected_columns=("Mom",))
