"""Fault corpus for the downloader: servers on 127.0.0.1 that send the wrong series, trickle, or bomb.

Every refused payload must leave a good cached entry byte-identical (sha256
before and after) and no temporary file behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from plumbing.errors import DownloadError
from regimes.data.download import DownloadSource
from tests import REPO, without_progress
from tests.regimes.data.test_download import _Server, _source, _zipped

MOM = "/ftp/F-F_Momentum_Factor_CSV.zip"
FF3 = "/ftp/F-F_Research_Data_Factors_CSV.zip"
ROOT = REPO


def _snapshot(cache: Path) -> dict[str, str]:
    """Every file in the cache (hidden temporaries included) with its sha256."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(cache.iterdir())}


def _csv_zip(text: bytes, member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, text)
    return buf.getvalue()


@pytest.fixture()
def good_mom(shared_data: Path, tmp_path: Path) -> Path:
    """A cache holding a good monthly momentum entry, fetched from a loopback server."""
    cache = tmp_path / "cache"
    body = _zipped(shared_data / "F-F_Momentum_Factor.CSV", "F-F_Momentum_Factor.csv")
    with _Server({MOM: (200, body)}) as server:
        _source(server.url, cache).fetch("mom_monthly")
    return cache


@pytest.fixture()
def good_fred(shared_data: Path, tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    with _Server({"/fred?id=T10Y2Y": (200, (shared_data / "T10Y2Y.csv").read_bytes())}) as server:
        _source(server.url, cache).fetch("t10y2y")
    return cache


def _refused(cache: Path, routes: dict, key: str, match: str, **kwargs: object) -> DownloadError:
    before = _snapshot(cache)
    with _Server(routes) as server:
        with pytest.raises(DownloadError, match=match) as info:
            _source(server.url, cache, **kwargs).fetch(key)
    assert _snapshot(cache) == before, "a refused payload changed the cache or left a temporary file"
    assert server.url in str(info.value), "the error names the URL"
    return info.value


# -- the payload must be the series asked for ---------------------------------------------------------------

def test_fred_reply_for_another_series(good_fred: Path, shared_data: Path) -> None:
    err = _refused(good_fred, {"/fred?id=T10Y2Y": (200, (shared_data / "BAA10Y.csv").read_bytes())}, "t10y2y",
                   r"is not the 10-year .* file: expected the FRED series 'T10Y2Y', found 'BAA10Y' in the header")
    assert "/fred?id=T10Y2Y" in str(err)


def test_fred_monthly_series_in_a_daily_slot(good_fred: Path, shared_data: Path) -> None:
    text = (shared_data / "GS10.csv").read_text().replace("GS10", "T10Y2Y")  # right name, monthly dates
    _refused(good_fred, {"/fred?id=T10Y2Y": (200, text.encode())}, "t10y2y",
             r"is not the .* file: expected daily data, found monthly data \(median spacing 3[01] days")


def test_daily_zip_member_served_for_the_monthly_file(good_mom: Path, shared_data: Path) -> None:
    body = _zipped(shared_data / "F-F_Momentum_Factor_daily.CSV", "F-F_Momentum_Factor_daily.CSV")
    _refused(good_mom, {MOM: (200, body)}, "mom_monthly",
             r"holds 'F-F_Momentum_Factor_daily.CSV', expected only 'F-F_Momentum_Factor.csv'")


def test_daily_data_renamed_as_the_monthly_member(good_mom: Path, shared_data: Path) -> None:
    body = _zipped(shared_data / "F-F_Momentum_Factor_daily.CSV", "F-F_Momentum_Factor.csv")
    _refused(good_mom, {MOM: (200, body)}, "mom_monthly",
             r"Factor.csv, line 15: the server's reply is not the Momentum factor \(UMD\), monthly file: expected a "
             r"monthly file \(YYYYMM rows\), found daily rows \(19261103\)")


def test_monthly_data_in_the_daily_slot(shared_data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = _zipped(shared_data / "F-F_Momentum_Factor_daily.CSV", "F-F_Momentum_Factor_daily.csv")
    with _Server({"/ftp/F-F_Momentum_Factor_daily_CSV.zip": (200, good)}) as server:
        assert _source(server.url, cache).fetch("mom_daily").rows > 20_000
    body = _zipped(shared_data / "F-F_Momentum_Factor.CSV", "F-F_Momentum_Factor_daily.csv")
    _refused(cache, {"/ftp/F-F_Momentum_Factor_daily_CSV.zip": (200, body)}, "mom_daily",
             r"expected a daily file \(YYYYMMDD rows\), found monthly rows")


def test_another_factor_under_the_momentum_name(good_mom: Path, shared_data: Path) -> None:
    body = _zipped(shared_data / "F-F_Research_Data_Factors.CSV", "F-F_Momentum_Factor.csv")
    _refused(good_mom, {MOM: (200, body)}, "mom_monthly", r"expected columns 'Mom', found 'Mkt-RF,SMB,HML,RF'")
    body = _zipped(shared_data / "F-F_Research_Data_Factors.CSV", "F-F_Research_Data_Factors.CSV")
    _refused(good_mom, {MOM: (200, body)}, "mom_monthly", r"holds 'F-F_Research_Data_Factors.CSV'")


def test_zip_with_an_extra_member(good_mom: Path, shared_data: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("F-F_Momentum_Factor.csv", (shared_data / "F-F_Momentum_Factor.CSV").read_bytes())
        zf.writestr("readme.txt", b"extra")
    _refused(good_mom, {MOM: (200, buf.getvalue())}, "mom_monthly", r"holds 'F-F_Momentum_Factor.csv', 'readme.txt'")


def test_weekly_vix_in_the_daily_slot(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "VIX_History.csv").read_text().splitlines()
    weekly = "\n".join([lines[0], *lines[1::5]]) + "\n"
    cache = tmp_path / "cache"
    cache.mkdir()
    _refused(cache, {"/VIX_History.csv": (200, weekly.encode())}, "vix", r"expected daily data, found weekly")
    assert _snapshot(cache) == {}


def test_poisoned_entry_from_an_older_version_is_refetched(good_fred: Path, shared_data: Path) -> None:
    """An entry cached before these checks (BAA10Y bytes under T10Y2Y, manifest sha matching) is not trusted."""
    src_bytes = (shared_data / "BAA10Y.csv").read_bytes()
    payload = good_fred / "T10Y2Y.csv"
    manifest = good_fred / "T10Y2Y.csv.manifest.json"
    payload.write_bytes(src_bytes)
    meta = json.loads(manifest.read_text())
    meta["sha256"] = hashlib.sha256(src_bytes).hexdigest()
    manifest.write_text(json.dumps(meta))
    with _Server({"/fred?id=T10Y2Y": (200, (shared_data / "T10Y2Y.csv").read_bytes())}) as server:
        src = _source(server.url, good_fred)
        assert src.cached("t10y2y") is not None  # the sha256 alone would have trusted it
        frame = src.load("t10y2y").frame
        assert server.hits == {"/fred?id=T10Y2Y": 1}
    assert list(frame.columns) == ["T10Y2Y"] and frame.loc["2008-10-10", "T10Y2Y"] == pytest.approx(0.0227)
    assert payload.read_bytes() == (shared_data / "T10Y2Y.csv").read_bytes()


# -- size bounds -----------------------------------------------------------------------------------------

def _zip_bomb(member: str, gib: int = 1) -> bytes:
    """A ~1 MB zip whose one member inflates to ``gib`` GiB of zeros (honest sizes and CRC)."""
    mib = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(mib) + comp.flush(zlib.Z_FULL_FLUSH)  # identical for every MiB after a full flush
    n = 1024 * gib
    data = block * n + comp.flush()
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(mib, crc)
    return _raw_zip(member.encode(), data, crc, n << 20)


def _raw_zip(name: bytes, data: bytes, crc: int, declared: int) -> bytes:
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), declared, len(name), 0)
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), declared,
                          len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(name) + len(data), 0)
    return local + name + data + central + end


def test_zip_bomb_is_refused_by_its_declared_size(good_mom: Path) -> None:
    bomb = _zip_bomb("F-F_Momentum_Factor.csv")
    assert len(bomb) < 1_100_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as zf:
        assert zf.infolist()[0].file_size == 1 << 30
    _refused(good_mom, {MOM: (200, bomb)}, "mom_monthly", r"declares 1,073,741,824 bytes uncompressed, more than")


def test_zip_lying_about_its_size_is_refused_without_inflating_it(good_mom: Path) -> None:
    """Declared 10,000 bytes, inflates to 1 GiB: decompression stops at the declared size and the CRC fails."""
    bomb = _zip_bomb("F-F_Momentum_Factor.csv")
    with zipfile.ZipFile(io.BytesIO(bomb)) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename)
    liar = _raw_zip(info.filename.encode(), bomb[start: start + info.compress_size], info.CRC, 10_000)
    _refused(good_mom, {MOM: (200, liar)}, "mom_monthly", r"not a valid zip file .*CRC")


def test_reply_larger_than_the_cap(good_mom: Path, shared_data: Path) -> None:
    body = _zipped(shared_data / "F-F_Momentum_Factor.CSV", "F-F_Momentum_Factor.csv")
    _refused(good_mom, {MOM: (200, body)}, "mom_monthly", r"announces [\d,]+ bytes, more than the 1,000 allowed",
             max_bytes=1000)


def test_reply_without_length_larger_than_the_cap(good_mom: Path) -> None:
    before = _snapshot(good_mom)
    with _Trickle(b"PK\x03\x04" + bytes(3 << 20), interval=0.0, step=1 << 16, length=False) as server:
        src = DownloadSource(cache_dir=good_mom, publishers={"french": f"{server.url}/ftp"}, max_bytes=1 << 20)
        with pytest.raises(DownloadError, match=r"the reply exceeds the 1,048,576 bytes allowed"):
            src.fetch("mom_monthly")
    assert _snapshot(good_mom) == before


# -- a total deadline ------------------------------------------------------------------------------------

class _Trickle:
    """A loopback server that sends its reply one byte every ``interval`` seconds (headers or body)."""

    def __init__(self, body: bytes, interval: float = 0.5, slow_headers: bool = False, step: int = 1,
                 length: bool = True):
        self.body, self.interval, self.slow_headers, self.step, self.length = body, interval, slow_headers, step, length
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._reply, args=(conn,), daemon=True).start()

    def _reply(self, conn: socket.socket) -> None:
        length = f"Content-Length: {len(self.body)}\r\n" if self.length else "Connection: close\r\n"
        head = f"HTTP/1.1 200 OK\r\n{length}\r\n".encode()
        fast, slow = (b"", head + self.body) if self.slow_headers else (head, self.body)
        try:
            conn.recv(65536)
            conn.sendall(fast)
            for i in range(0, len(slow), self.step):
                if self.stop.wait(self.interval):
                    break
                conn.sendall(slow[i: i + self.step])
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> _Trickle:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.mark.parametrize("slow_headers", [False, True], ids=["body", "headers"])
@pytest.mark.parametrize(("interval", "retries"), [(0.5, 1), (0.2, 3)], ids=["half-second", "fast-trickle-retries"])
def test_trickling_server_is_cut_at_the_total_deadline(good_mom: Path, slow_headers: bool, interval: float,
                                                        retries: int) -> None:
    """Each byte arrives well within the per-read timeout; only the total deadline can stop the fetch."""
    before = _snapshot(good_mom)
    timeout = 1.5
    with _Trickle(b"x" * 10_000, interval=interval, slow_headers=slow_headers) as server:
        src = DownloadSource(cache_dir=good_mom, publishers={"french": f"{server.url}/ftp"}, timeout=timeout,
                             retries=retries, backoff=0.01)
        started = time.monotonic()
        with pytest.raises(DownloadError, match=r"within the total time allowed \(1.5 s, --timeout\)"):
            src.fetch("mom_monthly")
        elapsed = time.monotonic() - started
    assert elapsed < timeout + 1.0, f"the fetch took {elapsed:.2f} s"
    assert _snapshot(good_mom) == before


def test_cli_fetch_of_another_series_is_one_line(good_fred: Path, shared_data: Path) -> None:
    before = _snapshot(good_fred)
    with _Server({"/fred?id=T10Y2Y": (200, (shared_data / "BAA10Y.csv").read_bytes())}) as server:
        result = subprocess.run([sys.executable, "-m", "experiments.cli", "data", "fetch", "--series", "t10y2y",
                                 "--cache-dir", str(good_fred), "--retries", "1",
                                 "--mirror", f"fred={server.url}/fred"], capture_output=True, text=True,
                                timeout=120, cwd=ROOT)
    result.stderr = without_progress(result.stderr)  # progress lines are tested in test_cli_output
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: 1 of 1 downloads failed; t10y2y: "), result.stderr
    assert f"{server.url}/fred?id=T10Y2Y" in lines[0] and "found 'BAA10Y' in the header" in lines[0]
    assert _snapshot(good_fred) == before


def test_cli_fetch_against_a_trickling_server_is_one_line(good_mom: Path) -> None:
    before = _snapshot(good_mom)
    with _Trickle(b"x" * 10_000) as server:
        result = subprocess.run([sys.executable, "-m", "experiments.cli", "data", "fetch", "--series",
                                 "mom_monthly", "--cache-dir", str(good_mom), "--timeout", "1", "--retries", "1",
                                 "--mirror", f"french={server.url}/ftp"], capture_output=True, text=True,
                                timeout=120, cwd=ROOT)
    result.stderr = without_progress(result.stderr)  # progress lines are tested in test_cli_output
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "mom_monthly" in lines[0] and "total time allowed (1 s, --timeout)" in lines[0]
    assert _snapshot(good_mom) == before


# -- temporary files -------------------------------------------------------------------------------------

def test_stale_temporaries_are_removed_but_live_ones_kept(good_mom: Path, shared_data: Path) -> None:
    stale = good_mom / ".F-F_Momentum_Factor_CSV.zip.abc123.fetching.zip"
    stale.write_bytes(b"half a download")
    legacy = good_mom / ".F-F_Research_Data_Factors_CSV.zip.manifest.json.xyz.part"
    legacy.write_bytes(b"{")
    live = good_mom / ".F-F_Momentum_Factor_CSV.zip.live42.fetching.zip"
    user_file = good_mom / "notes.txt"
    user_file.write_text("mine")
    with open(live, "wb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a fetch in another process still writing
        body = _zipped(shared_data / "F-F_Momentum_Factor.CSV", "F-F_Momentum_Factor.csv")
        with _Server({MOM: (200, body)}) as server:
            _source(server.url, good_mom).fetch("mom_monthly")
        assert live.exists() and not stale.exists() and not legacy.exists() and user_file.exists()
    assert sorted(p.name for p in good_mom.iterdir()) == sorted(
        ["F-F_Momentum_Factor_CSV.zip", "F-F_Momentum_Factor_CSV.zip.manifest.json", live.name, "notes.txt"])


def test_killed_fetch_leaves_a_temporary_that_the_next_fetch_removes(good_mom: Path, shared_data: Path) -> None:
    before = _snapshot(good_mom)
    with _Trickle(b"x" * 10_000, interval=0.05) as server:
        script = ("from regimes.data.download import DownloadSource\n"
                  f"DownloadSource(cache_dir={str(good_mom)!r}, publishers={{'french': '{server.url}/ftp'}}, "
                  "timeout=60, retries=1).fetch('mom_monthly')\n")
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 60
            while not any(".fetching" in p.name for p in good_mom.iterdir()):
                assert proc.poll() is None and time.monotonic() < deadline, "the fetch never started"
                time.sleep(0.05)
            time.sleep(0.3)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    leftovers = [p for p in good_mom.iterdir() if ".fetching" in p.name]
    assert len(leftovers) == 1  # what a killed fetch leaves
    assert {k: v for k, v in _snapshot(good_mom).items() if ".fetching" not in k} == before
    body = _zipped(shared_data / "F-F_Momentum_Factor.CSV", "F-F_Momentum_Factor.csv")
    with _Server({MOM: (200, b"<html>busy</html>")}) as server:  # even a failed next fetch cleans up
        with pytest.raises(DownloadError):
            _source(server.url, good_mom).fetch("mom_monthly")
    assert _snapshot(good_mom) == before
    with _Server({MOM: (200, body)}) as server:
        assert _source(server.url, good_mom).fetch("mom_monthly").rows == 1187
    assert _snapshot(good_mom).keys() == before.keys()


# -- a first fetch that is refused leaves nothing, not even an empty cache folder ----------------------------

FIRST_FETCH_REFUSED = [
    ("empty-reply", "usrec", "/fred?id=USREC", lambda s: b"", "file is empty"),
    ("header-only", "usrec", "/fred?id=USREC", lambda s: b"observation_date,USREC\n", "expected data rows"),
    ("daily-data-for-a-monthly-series", "unrate", "/fred?id=UNRATE",
     lambda s: (s / "VIXCLS.csv").read_bytes().replace(b"VIXCLS", b"UNRATE", 1), "expected monthly data, found daily"),
    ("blank-line-mid-file", "t10y3m", "/fred?id=T10Y3M",
     lambda s: (s / "T10Y3M.csv").read_bytes().replace(b"\n2008-10-01,", b"\n\n2008-10-01,", 1),
     "blank line inside the data block"),
]


@pytest.mark.parametrize(("key", "route", "body", "match"), [c[1:] for c in FIRST_FETCH_REFUSED],
                         ids=[c[0] for c in FIRST_FETCH_REFUSED])
def test_refused_first_fetch_leaves_no_cache_folder(key: str, route: str, body, match: str, shared_data: Path,
                                                    tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _Server({route: (200, body(shared_data))}) as server:
        with pytest.raises(DownloadError, match=match) as info:
            _source(server.url, cache).fetch(key)
    assert server.url in str(info.value)
    assert list(tmp_path.iterdir()) == [], "a refused first fetch left a folder or file behind"
