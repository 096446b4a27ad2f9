"""Data sources: where the catalog's series come from.

* :class:`LocalSource` reads a directory of official published files
  (``--data-dir`` or ``FACTOR_REGIMES_DATA_DIR``).
* :class:`regimes.data.download.DownloadSource` fetches them from the
  publishers into a user cache.
* :class:`regimes.data.sample.SampleSource` builds an offline sample from data
  that installed packages ship; everything built from it is labelled a sample.

Every source returns :class:`LoadedSeries`: the validated frame plus a
:class:`FileRecord` (path, sha256, coverage) that runs write to their manifest.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from plumbing.errors import DataError
from regimes.data.catalog import CATALOG, read_series, spec

DATA_DIR_ENV = "FACTOR_REGIMES_DATA_DIR"


@dataclass(frozen=True)
class FileRecord:
    """Provenance of one loaded series.

    Attributes
    ----------
    key : str
        Catalog key.
    path : str
        File read (or package resource for the sample).
    sha256 : str
        Hash of the file's bytes.
    origin : {"local", "download", "sample"}
        Which kind of source supplied it.
    first, last : str
        ISO dates of the first and last row.
    rows : int
        Number of rows.
    note : str
        Free text (URL fetched, sample caveat, ...).
    vintage : str
        The publisher's database vintage stated in the file (for Ken French
        files the CRSP ``YYYYMM``); ``""`` when the file states none or the
        series has no vintage. See :mod:`regimes.data.vintages`.
    """

    key: str
    path: str
    sha256: str
    origin: str
    first: str
    last: str
    rows: int
    note: str = ""
    vintage: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class LoadedSeries:
    """A validated series and where it came from."""

    frame: pd.DataFrame
    record: FileRecord


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (:class:`DataError` when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise DataError(path, f"cannot read file: {exc.strerror or exc}") from None
    return digest.hexdigest()


def make_record(key: str, path: str | Path, frame: pd.DataFrame, origin: str, note: str = "",
                sha256: str | None = None) -> FileRecord:
    """Build the :class:`FileRecord` of a frame read from ``path``.

    The vintage is taken from ``frame.attrs["vintage"]``, which the catalog's
    Ken French readers set.
    """
    return FileRecord(
        key=key, path=str(path), sha256=sha256 or sha256_file(path), origin=origin,
        first=frame.index[0].date().isoformat(), last=frame.index[-1].date().isoformat(),
        rows=len(frame), note=note, vintage=str(frame.attrs.get("vintage") or ""),
    )


class DataSource(ABC):
    """Supplies catalog series by key; subclasses say from where."""

    #: Short name shown to users ("local", "download", "sample").
    name: str = ""

    def __init__(self) -> None:
        self._loaded: dict[str, LoadedSeries] = {}

    @abstractmethod
    def has(self, key: str) -> bool:
        """Whether this source can supply ``key`` (without reading it)."""

    @abstractmethod
    def _load(self, key: str) -> LoadedSeries:
        """Read and validate ``key``."""

    def keys(self) -> list[str]:
        """Catalog keys this source can supply."""
        return [k for k in CATALOG if self.has(k)]

    def load(self, key: str) -> LoadedSeries:
        """Return the validated series ``key`` (read once, then memoized).

        Raises
        ------
        DataError
            When the source lacks the series or its file is malformed.
        """
        spec(key)
        if key not in self._loaded:
            self._loaded[key] = self._load(key)
        return self._loaded[key]

    def load_optional(self, key: str) -> LoadedSeries | None:
        """Like :meth:`load`, or None when the source does not have ``key``."""
        return self.load(key) if self.has(key) else None

    def describe(self) -> str:
        """One line saying what this source is."""
        return self.name


def _walk(directory: Path) -> list[Path]:
    """Every entry under ``directory`` (files, folders, links, broken links), following linked folders once."""
    entries: list[Path] = []
    seen = {os.path.realpath(directory)}
    def refuse(exc: OSError) -> None:  # an unreadable folder is named, never skipped silently
        raise DataError(exc.filename or directory, f"cannot list folder: {exc.strerror or exc}")

    for root, dirs, files in os.walk(directory, onerror=refuse, followlinks=True):
        base = Path(root)
        entries.extend(base / name for name in dirs + files)
        keep = []
        for name in dirs:
            real = os.path.realpath(base / name)
            if real not in seen:  # a link back up the tree is listed, not walked again
                seen.add(real)
                keep.append(name)
        dirs[:] = keep
    return sorted(entries)


class LocalSource(DataSource):
    """A directory of official published files.

    Parameters
    ----------
    directory : str or Path
        Folder holding files under their publishers' names (see
        :data:`regimes.data.catalog.CATALOG`), e.g. ``F-F_Momentum_Factor.CSV``
        or ``F-F_Momentum_Factor_CSV.zip``, ``VIX_History.csv``, ``GSPC.csv``.
    """

    name = "local"

    def __init__(self, directory: str | Path):
        super().__init__()
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise DataError(self.directory, "data directory not found (set --data-dir or "
                                            f"{DATA_DIR_ENV} to a folder of published data files)")
        # Every entry, not only regular files: a directory or a broken link
        # under a series' file name is reported as such, never skipped in
        # favour of the next candidate name (which may have other coverage).
        self._index: dict[str, list[Path]] = {}
        for p in _walk(self.directory):
            self._index.setdefault(p.relative_to(self.directory).as_posix().lower(), []).append(p)

    def path_of(self, key: str) -> Path | None:
        """The file that supplies ``key``, or None.

        The first candidate name (:attr:`SeriesSpec.filenames`, in order) that
        exists in the directory in any form wins; reading it then refuses a
        directory or a broken link.

        Raises
        ------
        DataError
            When two entries differ only in letter case (which one to read
            would be a guess).
        """
        for candidate in spec(key).filenames:
            folder = candidate.rpartition("/")[0].lower()
            entries = self._index.get(folder, []) if folder else []
            if entries and not any(p.is_dir() for p in entries):  # never a silent fall-back to the next name
                what = "a broken symbolic link" if not entries[0].exists() else "a file"
                raise DataError(entries[0], f"expected a folder holding {candidate.rpartition('/')[2]} "
                                            f"(series {key!r}), found {what}")
            found = self._index.get(candidate.lower())
            if found:
                if len(found) > 1:
                    others = ", ".join(str(p.relative_to(self.directory)) for p in found[1:])
                    raise DataError(found[0], f"ambiguous file for series {key!r}: {others} in the same folder "
                                              "differs only in letter case; keep one")
                return found[0]
        return None

    def has(self, key: str) -> bool:
        return self.path_of(key) is not None

    def unrecognised(self) -> list[str]:
        """Files in the directory that no catalog series reads (other vintages, notes, ...)."""
        used = {self.path_of(k) for k in self.keys()}
        return sorted(p.relative_to(self.directory).as_posix() for entries in self._index.values() for p in entries
                      if p.is_file() and p not in used and not p.name.startswith(".") and p.suffix.lower() != ".md")

    def shadowed(self) -> dict[str, str]:
        """Files named like a series that another candidate name of it shadows: ``{file: file read}``.

        For example ``sp500.csv`` when ``GSPC.csv`` is present (candidates are tried in order, and the
        first one found is the only one read); ``data info`` says so instead of listing the file as
        having no catalog entry.
        """
        out = {}
        for key in self.keys():
            used = self.path_of(key)
            for candidate in spec(key).filenames:
                for p in self._index.get(candidate.lower(), []):
                    if p != used and p.is_file():
                        out[p.relative_to(self.directory).as_posix()] = used.relative_to(self.directory).as_posix()
        return out

    def _load(self, key: str) -> LoadedSeries:
        path = self.path_of(key)
        if path is None:
            names = " or ".join(spec(key).filenames)
            raise DataError(self.directory, f"no file for series {key!r} (expected {names})")
        from regimes.data import (
            _payload,  # a Ken French zip must hold the file asked for, as when downloaded
        )
        member = _payload.expected_member(spec(key))
        if member is not None and path.is_file():
            _payload.check_zip(path, member, _payload.MAX_BYTES, str(path))
        frame = read_series(key, path)
        return LoadedSeries(frame, make_record(key, path, frame, origin=self.name))

    def describe(self) -> str:
        return f"local files in {self.directory}"


def default_data_dir() -> Path | None:
    """The data directory named by ``FACTOR_REGIMES_DATA_DIR``, if set."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value) if value else None


class NoDataDirectory(DataError):
    """Source ``local`` without a data directory (neither given nor in the environment).

    The message names the options of the data commands (``--data-dir``, ``--source``); commands that read a
    config say :data:`CONFIG_DATA_DIR_HINT` instead, since they have no ``--source``.
    """


#: What a command reading an experiment config suggests when no data directory is known.
CONFIG_DATA_DIR_HINT = (f"no data directory is known: pass --data-dir DIR or set {DATA_DIR_ENV} to a folder of "
                        "published data files (or --set data.source=download, or --set data.source=sample)")


class MemorySource(DataSource):
    """Series given as DataFrames (already validated by the caller), keyed like the catalog.

    Useful to build a panel from data a user already holds, and in tests.
    Frames must use the columns the catalog's readers return (for example
    ``close`` for ``vix`` and ``sp500``, ``Mom`` for ``mom_monthly``).
    """

    name = "memory"

    def __init__(self, frames: dict[str, pd.DataFrame], origin: str = "memory"):
        super().__init__()
        for key in frames:
            spec(key)
        self.frames = frames
        self.name = origin

    def has(self, key: str) -> bool:
        return key in self.frames

    def _load(self, key: str) -> LoadedSeries:
        frame = self.frames[key]
        digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()
        return LoadedSeries(frame, make_record(key, f"<{self.name}:{key}>", frame, origin=self.name, sha256=digest))


class TruncatedSource(DataSource):
    """Another source's series cut at ``end`` (inclusive): the data as it stood at that date.

    Prefix-invariance tests compare what a component computes from this with
    what it computes from the full source, for dates <= ``end``.
    """

    def __init__(self, base: DataSource, end: str | pd.Timestamp):
        super().__init__()
        self.base = base
        self.end = pd.Timestamp(end)
        self.name = base.name

    def has(self, key: str) -> bool:
        return self.base.has(key)

    def _load(self, key: str) -> LoadedSeries:
        loaded = self.base.load(key)
        frame = loaded.frame.loc[: self.end]
        return LoadedSeries(frame, loaded.record)

    def describe(self) -> str:
        return f"{self.base.describe()} cut at {self.end.date()}"
