"""Downloader against HTTP servers on 127.0.0.1: good, HTML error page, truncated zip, silent."""

from __future__ import annotations

import io
import json
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from plumbing.errors import DownloadError
from regimes.data.download import DownloadSource
from regimes.data.sources import sha256_file

FRENCH = {"ff3_monthly": "F-F_Research_Data_Factors", "mom_monthly": "F-F_Momentum_Factor"}


def _zipped(path: Path, member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, path.read_bytes())
    return buf.getvalue()


class _Server:
    """A loopback HTTP server whose routes map a path to (status, body)."""

    def __init__(self, routes: dict[str, tuple[int, bytes]]):
        self.routes = routes
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                status, body = outer.routes.get(self.path, (404, b"<html><body>Not Found</body></html>"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def french_routes(shared_data: Path) -> dict[str, tuple[int, bytes]]:
    """The library's zips, with lower-case members as served since 2025."""
    return {f"/ftp/{stem}_CSV.zip": (200, _zipped(shared_data / f"{stem}.CSV", f"{stem}.csv"))
            for stem in FRENCH.values()}


def _source(url: str, cache: Path, **kwargs: object) -> DownloadSource:
    return DownloadSource(cache_dir=cache, publishers={"french": f"{url}/ftp", "cboe": url, "fred": f"{url}/fred",
                                                        "stooq": f"{url}/stooq"},
                          timeout=kwargs.pop("timeout", 5.0), retries=kwargs.pop("retries", 2), backoff=0.01, **kwargs)


def _cache_listing(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_fetch_writes_payload_and_manifest(french_routes, shared_data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _Server(french_routes) as server:
        src = _source(server.url, cache)
        record = src.fetch("mom_monthly")
        frame = src.load("mom_monthly").frame
    assert frame.loc["2009-04-30", "Mom"] == pytest.approx(-0.3434)
    assert _cache_listing(cache) == ["F-F_Momentum_Factor_CSV.zip", "F-F_Momentum_Factor_CSV.zip.manifest.json"]
    manifest = json.loads((cache / "F-F_Momentum_Factor_CSV.zip.manifest.json").read_text())
    assert manifest["sha256"] == sha256_file(cache / "F-F_Momentum_Factor_CSV.zip") == record.sha256
    assert manifest["url"] == f"{server.url}/ftp/F-F_Momentum_Factor_CSV.zip"
    assert (manifest["first"], manifest["last"], manifest["rows"]) == ("1927-01-31", "2025-11-30", 1187)
    assert pd.Timestamp(manifest["fetched_at"]).tzinfo is not None


def test_cached_entry_is_reused_without_network(french_routes, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _Server(french_routes) as server:
        _source(server.url, cache).fetch("ff3_monthly")
        assert server.hits == {"/ftp/F-F_Research_Data_Factors_CSV.zip": 1}
    # The server is gone: a new source still loads from the cache.
    frame = _source("http://127.0.0.1:9", cache, retries=1).load("ff3_monthly").frame
    assert frame.loc["2008-10-31", "Mkt-RF"] == pytest.approx(-0.172)


def test_fred_and_cboe_csv(shared_data: Path, tmp_path: Path) -> None:
    routes = {"/fred?id=T10Y2Y": (200, (shared_data / "T10Y2Y.csv").read_bytes()),
              "/VIX_History.csv": (200, (shared_data / "VIX_History.csv").read_bytes())}
    with _Server(routes) as server:
        src = _source(server.url, tmp_path / "cache")
        assert src.load("t10y2y").frame.loc["2008-10-10", "T10Y2Y"] == pytest.approx(0.0227)
        assert src.load("vix").frame.loc["2008-11-20", "close"] == pytest.approx(80.86)


def test_html_error_page_is_refused_and_cache_untouched(french_routes, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _Server(french_routes) as server:
        _source(server.url, cache).fetch("mom_monthly")
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    html = b"<!DOCTYPE html><html><head><title>Service unavailable</title></head><body>Try later</body></html>"
    with _Server({"/ftp/F-F_Momentum_Factor_CSV.zip": (200, html)}) as server:
        with pytest.raises(DownloadError, match=r"not a valid Momentum factor \(UMD\), monthly file: .*HTML page"):
            _source(server.url, cache).fetch("mom_monthly")
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before, "a good entry survives a bad download"


def test_truncated_zip_is_refused_and_leaves_nothing(french_routes, tmp_path: Path) -> None:
    path = "/ftp/F-F_Research_Data_Factors_CSV.zip"
    body = french_routes[path][1]
    cache = tmp_path / "cache"
    with _Server({path: (200, body[: len(body) // 2])}) as server:
        with pytest.raises(DownloadError, match="not a valid zip file"):
            _source(server.url, cache).fetch("ff3_monthly")
    assert _cache_listing(cache) == []


def test_server_that_never_answers_times_out(tmp_path: Path) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections into the backlog, never replies
    try:
        port = silent.getsockname()[1]
        cache = tmp_path / "cache"
        src = _source(f"http://127.0.0.1:{port}", cache, timeout=0.3, retries=2)
        with pytest.raises(DownloadError, match=r"download failed after 2 attempt\(s\).*--data-dir.*--source sample"):
            src.fetch("ff3_monthly")
        assert _cache_listing(cache) == []
    finally:
        silent.close()


def test_http_404_is_not_retried(tmp_path: Path) -> None:
    with _Server({}) as server:
        with pytest.raises(DownloadError, match="HTTP Error 404|Not Found"):
            _source(server.url, tmp_path / "cache", retries=3).fetch("ff3_monthly")
        assert sum(server.hits.values()) == 1


def test_server_error_is_retried_then_succeeds(french_routes, tmp_path: Path) -> None:
    path = "/ftp/F-F_Momentum_Factor_CSV.zip"
    good = french_routes[path]
    calls = {"n": 0}

    class Flaky(dict):
        def get(self, key, default=None):  # the first request gets 503, later ones the file
            calls["n"] += 1
            return (503, b"busy") if calls["n"] == 1 else good

    with _Server(Flaky()) as server:
        record = _source(server.url, tmp_path / "cache", retries=3).fetch("mom_monthly")
    assert calls["n"] == 2 and record.rows == 1187


def test_corrupt_cache_entry_is_refetched(french_routes, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _Server(french_routes) as server:
        src = _source(server.url, cache)
        src.fetch("mom_monthly")
        (cache / "F-F_Momentum_Factor_CSV.zip").write_bytes(b"garbage")  # sha256 no longer matches
        assert src.cached("mom_monthly") is None
        frame = _source(server.url, cache).load("mom_monthly").frame
        assert server.hits["/ftp/F-F_Momentum_Factor_CSV.zip"] == 2
    assert len(frame) == 1187
