"""Is a downloaded Ken French zip the file asked for, and safe to inflate?

Everything else about a payload (layout, values, frequency, calendar, a FRED
file's series id) is checked by the series' own reader, exactly as for a
local file (:func:`regimes.data.catalog.read_series`). What a reader cannot
know from the file alone is checked here, before it runs:

* a Ken French zip must hold exactly one member, named as the library names
  the file requested (``F-F_Momentum_Factor.csv``, case-insensitive), so a
  daily file, another factor or an extra member is refused;
* its size is bounded twice: by the sizes the zip declares and by a streamed
  decompression that stops at the cap (a zip can lie about its sizes), so
  memory stays bounded whatever the server sends.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from plumbing.errors import DataError, SeriesMismatch
from regimes.data._text import MAX_MEMBER_BYTES
from regimes.data.catalog import SeriesSpec

_ZIP_MAGIC = b"PK\x03\x04"
#: Largest uncompressed member accepted from a local zip (a download has its own, equal, bound).
MAX_BYTES = MAX_MEMBER_BYTES


def expected_member(series: SeriesSpec) -> str | None:
    """Name of the CSV inside a Ken French zip (``F-F_Momentum_Factor.csv``), None for other payloads."""
    if series.publisher != "french" or not series.cache_name.endswith("_CSV.zip"):
        return None
    return series.cache_name[: -len("_CSV.zip")] + ".csv"


def check_zip(path: Path, member: str, max_bytes: int, name: str) -> None:
    """Refuse a zip that is not exactly ``member``, or that inflates beyond ``max_bytes``.

    Parameters
    ----------
    path : Path
        The payload. One that is not a zip at all is left to the reader,
        which names what it is (an HTML page, text).
    member : str
        The one member expected (:func:`expected_member`).
    max_bytes : int
        Largest uncompressed size accepted, declared or inflated.
    name : str
        What error messages call the payload (its URL).

    Raises
    ------
    SeriesMismatch
        The zip holds another member, or more than one.
    DataError
        The zip is corrupt, or too large once inflated.
    """
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != _ZIP_MAGIC:
                return
    except OSError as exc:  # unreadable (permissions, I/O error): one line naming it
        raise DataError(name, f"cannot read file: {exc.strerror or exc}") from None
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if len(infos) != 1 or PurePosixPath(names[0]).name.lower() != member.lower():
                raise SeriesMismatch(name, f"the zip holds {', '.join(map(repr, names)) or 'nothing'}, "
                                           f"expected only {member!r} (another file?)")
            declared = infos[0].file_size
            if declared > max_bytes:
                raise DataError(name, f"the zip declares {declared:,} bytes uncompressed, more than the "
                                      f"{max_bytes:,} allowed")
            total = 0
            with zf.open(infos[0]) as stream:
                while chunk := stream.read(1 << 16):
                    total += len(chunk)
                    if total > max_bytes:
                        raise DataError(name, f"the zip inflates beyond the {max_bytes:,} bytes allowed")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise DataError(name, f"not a valid zip file (truncated or corrupt download?): {exc}") from None
