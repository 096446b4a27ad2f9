"""Is a downloaded payload the series asked for? Identity, frequency and zip-bomb checks.

The series' own reader validates the layout (header, rows, values). These
checks add what a reader cannot know from the file alone:

* a FRED reply's header must name the series id requested (a ``BAA10Y`` reply
  served for ``T10Y2Y`` parses perfectly well);
* a Ken French zip must hold exactly one member, named as the library names
  the file requested (``F-F_Momentum_Factor.csv``, case-insensitive), and its
  size is bounded twice: by the sizes the zip declares and by a streamed
  decompression that stops at the cap (a zip can lie about its sizes);
* the dates must have the catalog's frequency (median spacing), so a daily
  file served in a monthly slot is refused whatever it is called.
"""

from __future__ import annotations

import urllib.parse
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from regimes.data.catalog import SeriesSpec

_ZIP_MAGIC = b"PK\x03\x04"


class PayloadMismatch(Exception):
    """The payload is well-formed but not what was asked for (or too large)."""


def expected_member(series: SeriesSpec) -> str | None:
    """Name of the CSV inside a Ken French zip (``F-F_Momentum_Factor.csv``), None for other publishers."""
    if series.publisher != "french" or not series.cache_name.endswith("_CSV.zip"):
        return None
    return series.cache_name[: -len("_CSV.zip")] + ".csv"


def expected_fred_id(series: SeriesSpec) -> str | None:
    """FRED series id requested (``T10Y2Y``), None for other publishers."""
    if series.publisher != "fred":
        return None
    ids = urllib.parse.parse_qs(series.remote.lstrip("?")).get("id", [])
    return ids[0] if ids else None


def check_zip(path: Path, member: str, max_bytes: int) -> None:
    """Refuse a zip that is not exactly ``member``, or that inflates beyond ``max_bytes``.

    Memory stays bounded: sizes are read from the directory, then the member
    is decompressed in chunks and counted, never held whole. A payload that
    is not a zip at all is left to the reader, which names what it is (an
    HTML page, text).
    """
    with open(path, "rb") as fh:
        if fh.read(4) != _ZIP_MAGIC:
            return
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if len(infos) != 1 or PurePosixPath(names[0]).name.lower() != member.lower():
                raise PayloadMismatch(f"the zip holds {', '.join(map(repr, names)) or 'nothing'}, "
                                      f"expected only {member!r} (another file?)")
            declared = infos[0].file_size
            if declared > max_bytes:
                raise PayloadMismatch(f"the zip declares {declared:,} bytes uncompressed, more than the "
                                      f"{max_bytes:,} allowed")
            total = 0
            with zf.open(infos[0]) as stream:
                while chunk := stream.read(1 << 16):
                    total += len(chunk)
                    if total > max_bytes:
                        raise PayloadMismatch(f"the zip inflates beyond the {max_bytes:,} bytes allowed")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise PayloadMismatch(f"not a valid zip file (truncated or corrupt download?): {exc}") from None


def check_fred_header(path: Path, series_id: str) -> None:
    """Refuse a FRED CSV whose header names another series."""
    with open(path, "rb") as fh:
        first = fh.read(4096).split(b"\n", 1)[0]
    header = [h.strip().strip('"') for h in first.decode("utf-8-sig", "replace").strip().split(",")]
    if len(header) == 2 and header[1] != series_id and header[1]:
        raise PayloadMismatch(f"the reply is the FRED series {header[1]!r}, not {series_id!r}")


def spacing_days(index: pd.DatetimeIndex) -> float | None:
    """Median spacing of ``index`` in days, None with fewer than 3 dates."""
    if len(index) < 3:
        return None
    return float(np.median(np.diff(index.as_unit("ns").asi8))) / 86_400e9


def frequency_of(index: pd.DatetimeIndex) -> str:
    """``daily``, ``weekly``, ``monthly``, ``quarterly``, ``annual`` or ``every N days``, from the median spacing."""
    days = spacing_days(index)
    if days is None:
        return "too few dates to tell"
    for name, low, high in (("daily", 0.5, 4.5), ("weekly", 5.5, 8.5), ("monthly", 27.5, 31.5),
                            ("quarterly", 88.0, 93.0), ("annual", 364.0, 367.0)):
        if low <= days <= high:
            return name
    return f"every {days:.3g} days"


def check_frequency(series: SeriesSpec, frame: pd.DataFrame) -> None:
    """Refuse data whose dates do not have the catalog frequency of ``series``."""
    found = frequency_of(pd.DatetimeIndex(frame.index))
    if found != series.frequency:
        days = spacing_days(pd.DatetimeIndex(frame.index))
        spacing = "" if days is None else f" (median spacing {days:.3g} days)"
        raise PayloadMismatch(f"expected {series.frequency} data, found {found}{spacing}")


def check_identity(series: SeriesSpec, path: Path, max_bytes: int) -> None:
    """The checks that run before parsing: zip member and size, FRED series id."""
    member = expected_member(series)
    if member is not None:
        check_zip(path, member, max_bytes)
    series_id = expected_fred_id(series)
    if series_id is not None:
        check_fred_header(path, series_id)
