"""Stooq's S&P 500 history against a server on 127.0.0.1: the monthly rows it splices before the daily ones.

Stooq's ``^spx`` daily CSV begins with monthly rows dated the first of each
month (1789-05-01..1885-02-01), then daily rows from 1885-02-17, which skip
the NYSE closure of 1914 (1914-07-31..1914-12-11). The payload built here has
that shape: the monthly and pre-1928 daily rows are synthetic (seeded), the
rest is the real ``sp500.csv`` (the same ``Date,Open,High,Low,Close,Volume``
layout as Stooq's).
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plumbing.errors import DataWarning, DownloadError
from regimes.data.download import DownloadSource
from tests import REPO, without_progress
from tests.regimes.data.test_download import _Server, _source
from tests.regimes.data.test_faults_download import _snapshot

ROUTE = "/stooq?s=%5Espx&i=d"
ROOT = REPO
N_MONTHLY = 1150  # 1789-05 .. 1885-02, as in Stooq's file


def _rows(dates: pd.DatetimeIndex, closes: np.ndarray) -> list[str]:
    return [f"{d.date()},{c:.2f},{c:.2f},{c:.2f},{c:.2f},0" for d, c in zip(dates, closes)]


@pytest.fixture(scope="module")
def parts(shared_data: Path) -> dict[str, list[str]]:
    """Header, monthly rows, synthetic early daily rows (with the 1914 closure) and the real daily rows."""
    rng = np.random.default_rng(10)
    months = pd.date_range("1789-05-01", periods=N_MONTHLY, freq="MS")
    assert months[-1] == pd.Timestamp("1885-02-01")
    days = pd.bdate_range("1885-02-17", "1927-12-29")
    days = days[(days < "1914-07-31") | (days > "1914-12-11")]
    lines = (shared_data / "sp500.csv").read_text().splitlines()
    assert lines[0] == "Date,Open,High,Low,Close,Volume" and lines[1].startswith("1927-12-30,")
    return {"header": [lines[0]],
            "monthly": _rows(months, 0.5 * np.exp(np.cumsum(rng.normal(0.001, 0.03, len(months))))),
            "early": _rows(days, 5.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, len(days))))),
            "real": lines[1:]}


def _payload(parts: dict[str, list[str]], drop: tuple[str, str] | None = None, monthly: int = N_MONTHLY) -> bytes:
    """The Stooq-shaped CSV; ``drop`` removes the daily rows dated in ``[start, end]``; ``monthly`` keeps the last N."""
    daily = parts["early"] + parts["real"]
    if drop is not None:
        daily = [r for r in daily if not drop[0] <= r[:10] <= drop[1]]
    kept = parts["monthly"][len(parts["monthly"]) - monthly:] if monthly else []
    return ("\n".join(parts["header"] + kept + daily) + "\n").encode()


def _expected(parts: dict[str, list[str]]) -> pd.DataFrame:
    """The daily rows, parsed independently of the readers."""
    rows = [r.split(",") for r in parts["early"] + parts["real"]]
    index = pd.DatetimeIndex([r[0] for r in rows], name="date")
    return pd.DataFrame({"close": [float(r[4]) for r in rows], "volume": [float(r[5]) for r in rows]}, index=index)


def _fetch(url: str, cache: Path) -> tuple[object, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = _source(url, cache).fetch("sp500")
    return record, [w for w in caught if issubclass(w.category, DataWarning)]


def test_leading_monthly_rows_are_dropped_and_stated(parts, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _Server({ROUTE: (200, _payload(parts))}) as server:
        record, warned = _fetch(server.url, cache)
    url = f"{server.url}/stooq?s=%5Espx&i=d"
    statement = ("dropped 1,150 leading monthly rows (1789-05-01..1885-02-01) that Stooq splices before its "
                 "daily rows, which begin 1885-02-17")
    assert len(warned) == 1 and str(warned[0].message) == f"sp500: {url}: {statement}"
    expected = _expected(parts)
    assert (record.first, record.last, record.rows) == ("1885-02-17", expected.index[-1].date().isoformat(),
                                                        len(expected))
    assert record.note == f"{url}; {statement}"
    manifest = json.loads((cache / "sp500_stooq.csv.manifest.json").read_text())
    assert manifest["note"] == record.note and manifest["url"] == url and manifest["first"] == "1885-02-17"
    # the cache holds the publisher's bytes as served; the monthly rows are dropped when it is read
    assert (cache / "sp500_stooq.csv").read_bytes() == _payload(parts)

    # from the cache, with the server gone: the same numbers, the statement in the record, no new warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = DownloadSource(cache_dir=cache, publishers={"stooq": "http://127.0.0.1:9/stooq"}).load("sp500")
    assert not [w for w in caught if issubclass(w.category, DataWarning)]
    assert loaded.record.note == record.note
    frame = loaded.frame
    np.testing.assert_array_equal(frame.index.as_unit("ns").asi8, expected.index.as_unit("ns").asi8)
    np.testing.assert_array_equal(frame["close"].to_numpy(), expected["close"].to_numpy())
    np.testing.assert_array_equal(frame["volume"].to_numpy(), expected["volume"].to_numpy())
    # the NYSE closure of 1914 is the one long gap kept, as published
    gaps = frame.index.to_series().diff().dt.days
    assert gaps.max() == (pd.Timestamp("1914-12-14") - pd.Timestamp("1914-07-30")).days
    assert gaps.drop(gaps.idxmax()).max() <= 14


@pytest.mark.parametrize("hole, message", [
    (("2008-03-01", "2008-03-31"), r"no rows between 2008-02-29 and 2008-04-01 \(32 days"),
    (("1900-06-01", "1900-06-30"), r"no rows between 1900-05-31 and 1900-07-02 \(32 days"),
    (("1885-02-17", "1885-03-31"), r"no rows between 1885-02-01 and 1885-04-01 \(59 days"),
    (("1914-12-12", "1915-01-15"), r"no rows between 1914-07-30 and 1915-01-18 \(172 days"),
])
def test_a_gap_inside_the_daily_rows_is_refused(parts, tmp_path: Path, hole, message) -> None:
    """A hole in the daily run (even right after the monthly rows, or stretching the 1914 closure) is refused."""
    cache = tmp_path / "cache"
    with _Server({ROUTE: (200, _payload(parts))}) as server:
        _fetch(server.url, cache)
    before = _snapshot(cache)
    with _Server({ROUTE: (200, _payload(parts, drop=hole))}) as server:
        with pytest.raises(DownloadError, match=message) as info:
            _fetch(server.url, cache)
    assert str(info.value).startswith(f"{server.url}/stooq?s=%5Espx&i=d: the server's reply is not a valid S&P 500")
    assert _snapshot(cache) == before, "a refused payload changed the cache or left a temporary file"


@pytest.mark.parametrize("monthly, message", [
    (5, r"no rows between 1884-10-01 and 1884-11-01 \(31 days"),  # too few to be a spliced history
    (0, None),
])
def test_only_a_long_leading_monthly_block_is_dropped(parts, tmp_path: Path, monthly, message) -> None:
    with _Server({ROUTE: (200, _payload(parts, monthly=monthly))}) as server:
        if message is None:  # no monthly rows at all: nothing dropped, nothing stated
            record, warned = _fetch(server.url, tmp_path / "cache")
            assert warned == [] and record.first == "1885-02-17" and record.note == f"{server.url}{ROUTE}"
        else:
            with pytest.raises(DownloadError, match=message):
                _fetch(server.url, tmp_path / "cache")


def test_an_all_monthly_reply_is_refused(parts, tmp_path: Path) -> None:
    body = ("\n".join(parts["header"] + parts["monthly"]) + "\n").encode()
    with _Server({ROUTE: (200, body)}) as server:
        with pytest.raises(DownloadError, match=r"is not the S&P 500 .* file: expected daily data, found monthly"):
            _fetch(server.url, tmp_path / "cache")
    assert not (tmp_path / "cache").exists(), "a refused first fetch leaves nothing behind, not even the folder"


def test_cli_fetch_states_the_dropped_rows_on_one_line(parts, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _Server({ROUTE: (200, _payload(parts))}) as server:
        result = subprocess.run([sys.executable, "-m", "experiments.cli", "data", "fetch", "--series", "sp500",
                                 "--cache-dir", str(cache), "--retries", "1", "--mirror",
                                 f"stooq={server.url}/stooq"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    result.stderr = without_progress(result.stderr)  # progress lines are tested in test_cli_output
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] == (f"warning: sp500: {server.url}{ROUTE}: dropped 1,150 leading monthly rows "
                        "(1789-05-01..1885-02-01) that Stooq splices before its daily rows, which begin 1885-02-17")
    assert "fetched sp500" in result.stdout and "1885-02-17.." in result.stdout
