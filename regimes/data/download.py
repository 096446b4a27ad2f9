"""Download published files into a user cache, atomically and verified.

A cache entry is a payload file (named as the publisher names it, e.g.
``F-F_Momentum_Factor_CSV.zip``) plus ``<payload>.manifest.json`` holding the
URL, the time, the sha256, the size and the coverage. An entry counts only
when its manifest exists and its sha256 matches the payload, so an interrupted
write can never pass for data.

Each fetch:

1. removes temporary files left by killed fetches (a temporary file is held
   under an exclusive ``flock`` while its fetch lives, so only orphans go);
2. requests the URL, retrying transient failures with exponential back-off,
   all within ONE total deadline (``timeout``): the connection, the headers
   and the body of every attempt together never take longer, however slowly
   a server trickles (:mod:`regimes.data._http`);
3. streams the body to a temporary file in the cache directory, refusing
   more than ``max_bytes``;
4. checks what a reader cannot know from the file alone
   (:mod:`regimes.data._payload`): a Ken French zip must hold exactly the
   file requested and inflate to at most ``max_bytes`` (declared sizes and a
   streamed, capped decompression);
5. validates it with :func:`regimes.data.catalog.read_series`, the same
   reader and checks as a local file (layout, values, frequency, calendar, a
   FRED file's series id), naming the URL in any error. A publisher with a
   layout of its own has its own payload reader: Stooq's S&P 500 splices
   monthly rows before its daily ones, which are dropped and stated (a
   one-line :class:`plumbing.errors.DataWarning` and the manifest's ``note``);
6. renames it into place (atomic on POSIX), then writes the manifest the same
   way. On any failure the temporary file is removed and an existing good
   entry is left untouched: a refused payload never replaces a cached one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import time
import urllib.error
import warnings
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from plumbing.atomic import locked_temp, publish_mode, remove_stale_temporaries
from plumbing.errors import DataError, DataWarning, DownloadError, SeriesMismatch
from plumbing.paths import CACHE_ENV, cache_root  # noqa: F401 (re-exported for the data CLI)
from regimes.data import _payload
from regimes.data._http import Deadline, DeadlineExceeded, PayloadTooLarge, get_to_file
from regimes.data.catalog import CATALOG, PUBLISHERS, SeriesSpec, read_series, spec
from regimes.data.sources import (
    DataSource,
    FileRecord,
    LoadedSeries,
    make_record,
    sha256_file,
)

USER_AGENT = "factor-regimes data fetcher (research use)"
OFFLINE_HINT = ("use local files with --data-dir DIR (or FACTOR_REGIMES_DATA_DIR), "
                "or the offline sample with --source sample")
#: Largest download, and largest decompressed zip member, accepted (the
#: biggest published file the panel uses is about 2 MB).
MAX_BYTES = 64 * 1024 * 1024
#: Suffix of temporary files (before the payload's own suffix).
TEMP_MARK = ".fetching"


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
        Total seconds allowed for one file's download: every attempt, every
        back-off, the connection, the headers and the body together. A
        single socket operation waits at most ``timeout / retries``, so a
        silent server leaves time to retry.
    retries : int, default 3
        Attempts per file (transient errors only), within ``timeout``.
    backoff : float, default 1.0
        Seconds before the second attempt, doubled after each failure.
    refresh : bool, default False
        Re-download even when a valid cache entry exists.
    max_bytes : int, default :data:`MAX_BYTES`
        Largest reply, and largest decompressed zip member, accepted.
    """

    name = "download"

    def __init__(self, cache_dir: str | Path | None = None, publishers: dict[str, str] | None = None,
                 timeout: float = 30.0, retries: int = 3, backoff: float = 1.0, refresh: bool = False,
                 max_bytes: int = MAX_BYTES):
        super().__init__()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        if os.path.lexists(self.cache_dir) and not self.cache_dir.is_dir():  # never "nothing cached" silently
            raise DataError(self.cache_dir, "expected the download cache folder, found "
                                            f"{'a broken symbolic link' if not self.cache_dir.exists() else 'a file'}")
        self.publishers = {**PUBLISHERS, **(publishers or {})}
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.refresh = refresh
        self.max_bytes = max_bytes

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
    def _get(self, url: str, out: BinaryIO) -> int:
        """Download ``url`` into ``out`` within the total deadline; return the byte count."""
        last: Exception | None = None
        attempts = 0
        idle = self.timeout / max(1, self.retries)
        with Deadline(self.timeout) as deadline:
            for attempt in range(self.retries):
                if attempt:
                    pause = self.backoff * 2 ** (attempt - 1)
                    if pause >= deadline.remaining():
                        break
                    time.sleep(pause)
                attempts += 1
                try:
                    return get_to_file(url, out, deadline, idle, self.max_bytes, USER_AGENT)
                except DeadlineExceeded:
                    raise DownloadError(url, f"download failed after {attempts} attempt(s): no complete reply within "
                                             f"the total time allowed ({self.timeout:g} s, --timeout); "
                                             f"{OFFLINE_HINT}") from None
                except PayloadTooLarge as exc:
                    raise DownloadError(url, f"refused: {exc}") from None
                except urllib.error.HTTPError as exc:
                    last = exc
                    if exc.code < 500 and exc.code != 429:
                        break  # a client error will not heal by retrying
                except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                    last = exc
        reason = getattr(last, "reason", None) or last
        raise DownloadError(url, f"download failed after {attempts} attempt(s): {reason}; {OFFLINE_HINT}")

    def _verify(self, series: SeriesSpec, path: Path, url: str) -> pd.DataFrame:
        """Validate ``path`` as the payload of ``series`` (:func:`read_series`, plus the zip's identity and size).

        Raises
        ------
        DownloadError
            Naming the URL (and the zip member and line, when one is at
            fault): "is not the ... file" for another series, "is not a
            valid ... file" for anything else.
        """
        try:
            member = _payload.expected_member(series)
            if member is not None:
                _payload.check_zip(path, member, self.max_bytes, url)
            return read_series(series.key, path, name=url, downloaded=True)
        except DataError as exc:
            what = "the" if isinstance(exc, SeriesMismatch) else "a valid"
            raise DownloadError(exc.path or url, f"the server's reply is not {what} {series.description} file: "
                                                 f"{exc.message}; {OFFLINE_HINT}", exc.line) from None

    def fetch(self, key: str) -> FileRecord:
        """Download ``key`` into the cache (replacing any entry) and return its record.

        Rows the publisher's payload reader dropped (Stooq's spliced monthly
        history) are stated in the record's and the manifest's ``note`` and
        in one :class:`plumbing.errors.DataWarning`.

        Raises
        ------
        DownloadError
            When the server cannot be reached, exceeds the deadline or the
            size cap, or sends something that is not the series asked for.
            The cache is left as it was and no temporary file remains.
        """
        return self._fetch(key)[0]

    def _fetch(self, key: str) -> tuple[FileRecord, pd.DataFrame]:
        created = not os.path.lexists(self.cache_dir)
        try:
            return self._fetch_into_cache(key)
        except BaseException:
            if created:  # a failed first fetch leaves no (empty) cache folder behind
                with contextlib.suppress(OSError):
                    self.cache_dir.rmdir()
            raise

    def _fetch_into_cache(self, key: str) -> tuple[FileRecord, pd.DataFrame]:
        series = spec(key)
        url = series.url(self.publishers)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DownloadError(self.cache_dir, f"cannot create the cache folder: {exc.strerror or exc}") from None
        self.remove_stale_temporaries()
        target = self.payload_path(key)
        try:
            with locked_temp(target, TEMP_MARK + target.suffix) as (tmp, fh):
                nbytes = self._get(url, fh)
                fh.flush()
                os.fsync(fh.fileno())
                frame = self._verify(series, tmp, url)
                record = make_record(key, target, frame, origin=self.name, note=_note(url, frame),
                                     sha256=sha256_file(tmp))
                publish_mode(fh)
                os.replace(tmp, target)
            manifest = {**record.to_dict(), "url": url, "bytes": nbytes,
                        "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
            with locked_temp(self.manifest_path(key), TEMP_MARK + ".json") as (tmp, fh):
                fh.write(json.dumps(manifest, indent=2).encode())
                fh.flush()
                os.fsync(fh.fileno())
                publish_mode(fh)
                os.replace(tmp, self.manifest_path(key))
        except OSError as exc:
            raise DownloadError(self.cache_dir, f"cannot write the cache entry of {key}: "
                                                f"{exc.strerror or exc}") from None
        if frame.attrs.get("note"):
            warnings.warn(f"{key}: {url}: {frame.attrs['note']}", DataWarning, stacklevel=3)
        return record, frame

    def remove_stale_temporaries(self) -> list[Path]:
        """Delete temporary files of fetches that died (unlocked); return what was removed.

        A live fetch holds an exclusive ``flock`` on its temporary file, so a
        concurrent fetch is never disturbed (:func:`plumbing.atomic.remove_stale_temporaries`).
        """
        prefixes = tuple(f".{s.cache_name}." for s in CATALOG.values() if s.cache_name)
        return remove_stale_temporaries(self.cache_dir, lambda name: name.startswith(prefixes))

    def _load(self, key: str) -> LoadedSeries:
        series = spec(key)
        meta = None if self.refresh else self.cached(key)
        path = self.payload_path(key)
        if meta is not None:
            url = str(meta.get("url", path))
            try:  # an entry cached by an older version is checked like a fresh download
                frame = self._verify(series, path, url)
                return LoadedSeries(frame, make_record(key, path, frame, origin=self.name, note=_note(url, frame)))
            except DownloadError:
                pass
        record, frame = self._fetch(key)
        return LoadedSeries(frame, record)

    def describe(self) -> str:
        return f"downloads from the publishers, cached in {self.cache_dir}"


def _note(url: str, frame: pd.DataFrame) -> str:
    """The record's note: the URL, then what the payload reader dropped (if anything)."""
    return "; ".join(part for part in (url, frame.attrs.get("note", "")) if part)
