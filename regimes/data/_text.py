"""Read a published data file as text lines, from a plain file or a zip.

Publishers ship the same table either as a plain CSV or zipped (the Ken
French library serves ``*_CSV.zip`` holding one ``.CSV``, or ``.csv`` since its
2025 revision). Every reader goes through :func:`read_lines`, so every reader
rejects the same bad payloads the same way: an empty file, an HTML error page
saved under a data file's name, a truncated or corrupt zip, binary content.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path

from plumbing.errors import DataError

#: Largest uncompressed zip member read (the biggest published file is about 2 MB); the downloader
#: applies the same bound (:data:`regimes.data.download.MAX_BYTES`).
MAX_MEMBER_BYTES = 64 * 1024 * 1024

_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body", "<?xml")


def check_readable_file(path: str | Path) -> Path:
    """Return ``path`` if it names a regular file, else raise :class:`DataError` naming it.

    A directory, a broken symbolic link or a missing file where a data file
    is expected is an error (never a reason to try another file).
    """
    p = Path(path)
    if p.is_symlink() and not p.exists():
        try:
            target = os.readlink(p)
        except OSError:
            target = "?"
        raise DataError(p, f"broken symbolic link (points to {target!r}, which does not exist or loops)")
    if not p.exists():
        raise DataError(p, "file not found")
    if p.is_dir():
        raise DataError(p, "expected a file, found a directory")
    if not p.is_file():
        raise DataError(p, "expected a regular file, found a special file (FIFO, socket or device)")
    return p


def read_bytes(path: str | Path) -> bytes:
    """Return the raw bytes of ``path`` or raise :class:`DataError` (missing, directory, unreadable)."""
    p = check_readable_file(path)
    try:
        return p.read_bytes()
    except OSError as exc:  # PermissionError, EIO, a file removed meanwhile, ...
        raise DataError(p, f"cannot read file: {exc.strerror or exc}") from None


def unzip_single_csv(payload: bytes, name: str) -> tuple[str, bytes]:
    """Return ``(member name, bytes)`` of the one CSV inside a zip payload.

    Raises
    ------
    DataError
        When the zip is truncated or corrupt, or does not hold exactly one
        ``.csv`` member (case-insensitive).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise DataError(name, f"expected one .csv file inside the zip, found {len(members)}")
            declared = zf.getinfo(members[0]).file_size
            if declared > MAX_MEMBER_BYTES:
                raise DataError(name, f"the zip declares {declared:,} bytes uncompressed, more than the "
                                      f"{MAX_MEMBER_BYTES:,} allowed")
            chunks, total = [], 0
            with zf.open(members[0]) as stream:  # counted while inflating: a zip can lie about its sizes
                while chunk := stream.read(1 << 16):
                    total += len(chunk)
                    if total > MAX_MEMBER_BYTES:
                        raise DataError(name, f"the zip inflates beyond the {MAX_MEMBER_BYTES:,} bytes allowed")
                    chunks.append(chunk)
            return members[0], b"".join(chunks)
    except zipfile.BadZipFile as exc:
        raise DataError(name, f"not a valid zip file (truncated or corrupt download?): {exc}") from None
    except (EOFError, zipfile.LargeZipFile, OSError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise DataError(name, f"cannot read zip (truncated?): {exc}") from None


def decode_lines(payload: bytes, name: str) -> list[str]:
    """Decode a text payload into lines, rejecting empty, binary and HTML content.

    Parameters
    ----------
    payload : bytes
        File content. UTF-8 (with or without BOM) or Latin-1.
    name : str
        Used in error messages.

    Returns
    -------
    list of str
        Lines without their line endings (CRLF and LF both accepted).
    """
    if not payload.strip():
        raise DataError(name, "file is empty")
    if b"\x00" in payload[:4096]:
        raise DataError(name, "binary content where a CSV text file was expected")
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = payload.decode("latin-1")
    head = text.lstrip()[:512].lower()
    if head.startswith("<") or any(marker in head for marker in _HTML_MARKERS):
        raise DataError(name, "looks like an HTML page (an error page saved as data?), expected CSV text", line=1)
    return text.splitlines()


def read_lines(path: str | Path) -> tuple[str, list[str]]:
    """Return ``(display name, lines)`` of a CSV file, unzipping ``.zip`` files.

    The display name is the path, or ``path!member`` for a zip member, so error
    messages point at the exact file.
    """
    p = Path(path)
    payload = read_bytes(p)
    name = str(p)
    if payload[:4] == b"PK\x03\x04":
        member, payload = unzip_single_csv(payload, name)
        name = f"{p}!{member}"
    elif p.suffix.lower() == ".zip":
        decode_lines(payload, name)  # names the problem: empty, HTML page, binary
        raise DataError(name, "expected a zip archive, found text", line=1)
    return name, decode_lines(payload, name)
