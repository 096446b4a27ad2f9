"""Download published files into a user cache, atomically and verified.

A cache entry is a payload file (named as the publisher names it, e.g.
``F-F_Momentum_Factor_CSV.zip``) plus ``<payload>.manifest.json`` holding the
URL, the time, the sha256, the size and the coverage. An entry counts only
when its manifest exists and its sha256 matches the payload, so an interrupted
write can never pass for data.

Each fetch:

1. requests the URL with a timeout, retrying transient failures with
   exponential back-off;
2. writes the body to a temporary file in the cache directory;
3. parses it with the series' own reader (the same validation as local
   files: an HTML error page, a truncated zip or a malformed CSV is refused);
4. renames it into place (atomic on POSIX), then writes the manifest the same
   way. On any failure the temporary file is removed and an existing good
   entry is left untouched.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from regimes.atomic import atomic_write_bytes
from regimes.data.catalog import PUBLISHERS, spec
from regimes.data.sources import DataSource, FileRecord, LoadedSeries, make_record, sha256_file
from regimes.errors import DataError, DownloadError

CACHE_ENV = "FACTOR_REGIMES_CACHE"
USER_AGENT = "factor-regimes data fetcher (research use)"
OFFLINE_HINT = ("use local files with --data-dir DIR (or FACTOR_REGIMES_DATA_DIR), "
                "or the offline sample with --source sample")


def cache_root() -> Path:
    """Root of every cache: ``FACTOR_REGIMES_CACHE`` or the per-user cache directory."""
    value = os.environ.get(CACHE_ENV)
    if value:
        return Path(value)
    import platformdirs
    return Path(platformdirs.user_cache_dir("factor-regimes"))


def default_cache_dir() -> Path:
    """Download cache: ``<cache root>/data``."""
    return cache_root() / "data"


class DownloadSource(DataSource):
    """Series fetched from the official publishers, cached per user.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Cache folder; default :func:`default_cache_dir`.
    publishers : dict, optional
        Publisher base URLs overriding :data:`regimes.data.catalog.PUBLISHERS`
        (for mirrors, and for tests against a server on 127.0.0.1).
    timeout : float, default 30
        Seconds to wait for a connection or for data.
    retries : int, default 3
        Attempts per file (transient errors and timeouts only).
    backoff : float, default 1.0
        Seconds before the second attempt, doubled after each failure.
    refresh : bool, default False
        Re-download even when a valid cache entry exists.
    """

    name = "download"

    def __init__(self, cache_dir: str | Path | None = None, publishers: dict[str, str] | None = None,
                 timeout: float = 30.0, retries: int = 3, backoff: float = 1.0, refresh: bool = False):
        super().__init__()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.publishers = {**PUBLISHERS, **(publishers or {})}
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.refresh = refresh

    # -- cache --------------------------------------------------------------
    def payload_path(self, key: str) -> Path:
        """Where the payload of ``key`` lives in the cache."""
        return self.cache_dir / spec(key).cache_name

    def manifest_path(self, key: str) -> Path:
        """Where the manifest of ``key`` lives in the cache."""
        path = self.payload_path(key)
        return path.with_name(path.name + ".manifest.json")

    def cached(self, key: str) -> dict | None:
        """The manifest of a valid cache entry for ``key``, else None."""
        payload, manifest = self.payload_path(key), self.manifest_path(key)
        if not (payload.is_file() and manifest.is_file()):
            return None
        try:
            meta = json.loads(manifest.read_text())
        except (OSError, ValueError):
            return None
        return meta if meta.get("sha256") == sha256_file(payload) else None

    def has(self, key: str) -> bool:
        return spec(key).publisher is not None

    # -- fetching -----------------------------------------------------------
    def _get(self, url: str) -> bytes:
        last: Exception | None = None
        for attempt in range(self.retries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as exc:
                last = exc
                if exc.code < 500 and exc.code != 429:
                    break  # a client error will not heal by retrying
            except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as exc:
                last = exc
        reason = getattr(last, "reason", None) or last
        raise DownloadError(url, f"download failed after {self.retries} attempt(s): {reason}; {OFFLINE_HINT}")

    def fetch(self, key: str) -> FileRecord:
        """Download ``key`` into the cache (replacing any entry) and return its record.

        Raises
        ------
        DownloadError
            When the server cannot be reached, times out, or sends something
            that is not the expected file. The cache is left as it was.
        """
        series = spec(key)
        url = series.url(self.publishers)
        body = self._get(url)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        target = self.payload_path(key)
        fd, tmp_name = tempfile.mkstemp(dir=self.cache_dir, prefix=f".{target.name}.", suffix=target.suffix)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            try:
                frame = series.read(tmp)
            except DataError as exc:
                raise DownloadError(url, f"the server's reply is not a valid {series.description} file: "
                                         f"{exc.message}; {OFFLINE_HINT}") from None
            record = make_record(key, target, frame, origin=self.name, note=url, sha256=sha256_file(tmp))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        manifest = {**record.to_dict(), "url": url, "bytes": len(body),
                    "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        atomic_write_bytes(self.manifest_path(key), json.dumps(manifest, indent=2).encode())
        return record

    def _load(self, key: str) -> LoadedSeries:
        meta = None if self.refresh else self.cached(key)
        if meta is None:
            self.fetch(key)
        path = self.payload_path(key)
        frame = spec(key).read(path)
        note = (meta or json.loads(self.manifest_path(key).read_text())).get("url", "")
        return LoadedSeries(frame, make_record(key, path, frame, origin=self.name, note=note))

    def describe(self) -> str:
        return f"downloads from the publishers, cached in {self.cache_dir}"
