"""Frequency and calendar checks, Ken French vintages, and the AQR reader's refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plumbing.errors import DataError, SeriesMismatch
from regimes.data.aqr import read_aqr
from regimes.data.checks import (
    check_consecutive_months,
    check_daily_gaps,
    check_frequency,
    infer_frequency,
    leading_monthly_rows,
)
from regimes.data.french import read_french
from regimes.data.sources import FileRecord, LocalSource
from regimes.data.vintages import mixed_vintage_message, vintages


# -- frequency ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("index", "expected"), [
    (pd.bdate_range("2000-01-03", periods=300), "daily"),
    (pd.date_range("2000-01-01", periods=300, freq="D"), "daily"),
    (pd.date_range("2000-01-07", periods=100, freq="W-FRI"), "weekly"),
    (pd.date_range("2000-01-31", periods=100, freq="ME"), "monthly"),
    (pd.date_range("2000-01-01", periods=100, freq="MS"), "monthly"),
    (pd.date_range("2000-03-31", periods=40, freq="QE"), "quarterly"),
    (pd.date_range("2000-12-31", periods=40, freq="YE"), "annual"),
    (pd.DatetimeIndex(["2000-01-01", "2000-01-02"]), "unknown"),
])
def test_infer_frequency(index: pd.DatetimeIndex, expected: str) -> None:
    assert infer_frequency(index) == expected


def test_check_frequency_names_file_and_frequency_found() -> None:
    days = pd.bdate_range("2000-01-03", periods=300)
    with pytest.raises(DataError, match=r"^f\.csv: expected monthly data, found daily data \(median spacing 1 day, "
                                        r"300 rows 2000-01-03\.\.2001-02-23\); is this the daily file"):
        check_frequency("f.csv", days, "monthly")
    months = pd.date_range("2000-01-31", periods=24, freq="ME")
    with pytest.raises(DataError, match="expected daily data, found monthly data"):
        check_frequency("f.csv", months, "daily")
    check_frequency("f.csv", months, "monthly")
    check_frequency("f.csv", days, "daily")


def test_missing_months_are_listed_as_runs() -> None:
    months = pd.date_range("1990-01-31", "2010-12-31", freq="ME")
    holes = months[~(((months.year == 2008)) | ((months.year == 1995) & (months.month == 6)))]
    with pytest.raises(DataError, match=r"missing 13 months: 1995-06, 2008-01\.\.2008-12 \(months must be"):
        check_consecutive_months("m.csv", holes)
    twice = months.append(pd.DatetimeIndex(["2010-12-15"])).sort_values()
    with pytest.raises(DataError, match="two rows fall in the month 2010-12"):
        check_consecutive_months("m.csv", twice)


def test_daily_gap_threshold_is_longer_than_the_1933_closure(shared_data: Path) -> None:
    daily = read_french(shared_data / "F-F_Research_Data_Factors_daily.CSV").data.index
    check_daily_gaps("d.csv", daily)  # the 1933 bank holiday: 12 days between rows
    gap = daily[(daily < "2008-03-01") | (daily > "2008-03-31")]
    with pytest.raises(DataError, match=r"no rows between 2008-02-29 and 2008-04-01 \(32 days"):
        check_daily_gaps("d.csv", gap)



def test_daily_gaps_skip_the_1914_closure_and_nothing_more() -> None:
    """The NYSE was closed 1914-07-31..1914-12-11: a daily series may skip exactly that, not a day more than 14."""
    days = pd.bdate_range("1914-01-02", "1915-06-30")
    check_daily_gaps("d.csv", days[(days < "1914-07-31") | (days > "1914-12-11")])
    longer = days[(days < "1914-07-31") | (days > "1914-12-31")]  # 20 more days missing after the reopening
    with pytest.raises(DataError, match=r"no rows between 1914-07-30 and 1915-01-01 \(155 days; at most 14"):
        check_daily_gaps("d.csv", longer)
    later = pd.bdate_range("1920-01-02", "1921-06-30")
    with pytest.raises(DataError, match=r"no rows between 1920-07-30 and 1920-12-13"):
        check_daily_gaps("d.csv", later[(later < "1920-07-31") | (later > "1920-12-11")])


def test_leading_monthly_rows_counts_only_a_long_first_of_month_run() -> None:
    months = pd.date_range("1789-05-01", periods=20, freq="MS")
    days = pd.bdate_range("1791-01-03", periods=50)
    assert leading_monthly_rows(months.append(days)) == 20
    assert leading_monthly_rows(months.delete(15).append(days)) == 15  # a skipped month ends the run
    assert leading_monthly_rows(months[:11].append(days)) == 0  # fewer than 12: not a spliced history
    assert leading_monthly_rows(pd.date_range("1789-05-31", periods=20, freq="ME").append(days)) == 0
    assert leading_monthly_rows(months) == 0 and leading_monthly_rows(days) == 0


def test_frequency_mismatch_is_a_series_mismatch() -> None:
    with pytest.raises(SeriesMismatch):
        check_frequency("f.csv", pd.bdate_range("2000-01-03", periods=300), "monthly")
    with pytest.raises(DataError) as info:
        check_consecutive_months("m.csv", pd.DatetimeIndex(["2000-01-31", "2000-03-31", "2000-04-30"]))
    assert not isinstance(info.value, SeriesMismatch), "a missing month is a damaged file, not another series"

# -- vintages ----------------------------------------------------------------------------------------
def test_vintage_read_from_both_layouts(shared_data: Path) -> None:
    assert read_french(shared_data / "F-F_Research_Data_Factors.CSV").vintage == "202511"
    assert read_french(shared_data / "F-F_Momentum_Factor_daily.CSV").vintage == "202604"  # "created by using"
    assert read_french(shared_data / "vintages/202408/F-F_Research_Data_Factors.CSV").vintage == "202408"  # old


def test_vintage_reaches_the_record_and_the_shared_data_mixes_vintages(shared_data: Path) -> None:
    source = LocalSource(shared_data)
    records = [source.load(k).record for k in ("ff3_monthly", "mom_monthly", "ff3_daily", "vix", "usrec")]
    assert [r.vintage for r in records] == ["202511", "202511", "202604", "", ""]
    assert records[0].to_dict()["vintage"] == "202511"  # what the manifest writes
    assert vintages(records) == {"202511": ["ff3_monthly", "mom_monthly"], "202604": ["ff3_daily"]}
    assert mixed_vintage_message(records) == ("Ken French files of mixed CRSP vintages: 202511 (ff3_monthly, "
                                              "mom_monthly), 202604 (ff3_daily)")
    assert mixed_vintage_message(records[:2] + records[3:]) is None


def test_a_french_file_without_vintage_counts_as_unknown(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "F-F_Momentum_Factor.CSV").read_text().splitlines()
    (tmp_path / "F-F_Momentum_Factor.CSV").write_text("\n".join(lines[1:]) + "\n")  # first line dropped
    shutil.copyfile(shared_data / "F-F_Research_Data_Factors.CSV", tmp_path / "F-F_Research_Data_Factors.CSV")
    source = LocalSource(tmp_path)
    records = [source.load("mom_monthly").record, source.load("ff3_monthly").record]
    assert records[0].vintage == ""
    assert vintages(records) == {"202511": ["ff3_monthly"], "unknown": ["mom_monthly"]}
    assert "unknown (mom_monthly)" in (mixed_vintage_message(records) or "")


def test_vintages_ignore_series_without_one() -> None:
    rec = FileRecord("vix", "VIX_History.csv", "0" * 64, "local", "1990-01-02", "2026-07-31", 9241)
    assert vintages([rec]) == {} and mixed_vintage_message([rec]) is None


# -- AQR -----------------------------------------------------------------------------------------------
def _workbook(path: Path, rows: list[tuple]) -> Path:
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "UMD"
    ws.append(("This file contains monthly returns.",))
    ws.append(())
    ws.append(("DATE", "AUS", "USA"))
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _months(n: int) -> list[str]:
    return [d.strftime("%m/%d/%Y") for d in pd.date_range("2000-01-31", periods=n, freq="ME")]


def test_aqr_reads_a_clean_sheet_and_sorts_unsorted_rows(tmp_path: Path) -> None:
    values = np.linspace(-0.05, 0.05, 24)
    rows = [(d, None, v) for d, v in zip(_months(24), values)]
    path = _workbook(tmp_path / "a.xlsx", rows + [(None,)] * 3)
    series = read_aqr(path, "UMD")
    np.testing.assert_allclose(series.to_numpy(), values)
    assert series.index[0] == pd.Timestamp("2000-01-31") and len(series) == 24
    shuffled = _workbook(tmp_path / "b.xlsx", rows[12:] + rows[:3] + rows[5:12] + rows[3:5])
    pd.testing.assert_series_equal(read_aqr(shuffled, "UMD"), series)


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: rows[:10] + [(None, None, None)] + rows[10:], r"line 14: empty row inside the table"),
    (lambda rows: rows[:10] + [(rows[10][0], None, "n/a")] + rows[11:], r"line 14: expected a number in column 'USA'"),
    (lambda rows: rows[:10] + [(rows[10][0], None, 1e300)] + rows[11:], r"line 14: implausible value 1e\+300"),
    (lambda rows: rows[:10] + [(rows[10][0], None, -1.5)] + rows[11:], r"line 14: implausible value -1.5"),
    (lambda rows: rows[:10] + [rows[10], rows[10]] + rows[12:], r"line 15: duplicate date 2000-11-30 \(also on row 14\)"),
])
def test_aqr_refusals_name_the_row(tmp_path: Path, change, message: str) -> None:
    rows = [(d, None, 0.01) for d in _months(24)]
    path = _workbook(tmp_path / "a.xlsx", change(rows))
    with pytest.raises(DataError, match=message) as info:
        read_aqr(path, "UMD")
    assert str(info.value).startswith(f"{path}!UMD")


def test_aqr_missing_month_and_directory(tmp_path: Path) -> None:
    from regimes.data.catalog import spec
    rows = [(d, None, 0.01) for i, d in enumerate(_months(24)) if i != 7]
    folder = tmp_path / "aqr"
    folder.mkdir()
    path = _workbook(folder / "Betting Against Beta Equity Factors Monthly.xlsx", rows)
    with pytest.raises(DataError, match="missing 1 month: 2000-08"):
        spec("aqr_umd").read(path)
    bad = tmp_path / "dir.xlsx"
    bad.mkdir()
    with pytest.raises(DataError, match="expected a file, found a directory"):
        read_aqr(bad, "UMD")


# -- file resolution and payload validation ----------------------------------------------------------
def test_linked_folders_are_followed_and_loops_do_not_hang(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "etf").symlink_to((shared_data / "etf").resolve(), target_is_directory=True)  # CI: a relative dir
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    source = LocalSource(tmp_path)
    assert source.path_of("etf_spy") == tmp_path / "etf" / "SPY.csv"
    assert len(source.load("etf_spy").frame) == 8222  # PROVENANCE.md: 8,222 rows


def test_read_series_names_the_payload_as_told(shared_data: Path, tmp_path: Path) -> None:
    from regimes.data.catalog import read_series
    tmp = tmp_path / "payload.tmp"
    shutil.copyfile(shared_data / "F-F_Momentum_Factor_daily.CSV", tmp)
    with pytest.raises(DataError, match=r"^https://example.org/F-F_Momentum_Factor_CSV.zip, line 15: expected a "
                                        r"monthly file"):
        read_series("mom_monthly", tmp, name="https://example.org/F-F_Momentum_Factor_CSV.zip")
    frame = read_series("mom_daily", tmp)
    assert frame.attrs["vintage"] == "202604" and len(frame) == 26132


def test_an_unreadable_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root lists any folder, so the listing failure is injected as the kernel reports it to a user."""
    import os
    (tmp_path / "etf").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path) == str(tmp_path / "etf"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)
    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DataError, match=r"etf: cannot list folder: Permission denied"):
        LocalSource(tmp_path)
