"""Market data: published files read and checked, from local folders, downloads, the offline sample or a CSV.

Data sources are registered like every component kind (:data:`SOURCES`);
:func:`make_source` builds one by name. Every reader validates what it reads
and refuses, naming the file and line, what it does not expect.
"""

from __future__ import annotations

from pathlib import Path

from plumbing.errors import DataError
from plumbing.registry import Registry
from regimes.data.csv_panel import CsvSource
from regimes.data.download import DownloadSource
from regimes.data.sample import SampleSource
from regimes.data.sources import (
    CONFIG_DATA_DIR_HINT,
    DATA_DIR_ENV,
    DataSource,
    FileRecord,
    LoadedSeries,
    LocalSource,
    MemorySource,
    NoDataDirectory,
    TruncatedSource,
    default_data_dir,
)

#: Data sources by name: ``local``, ``download``, ``sample``, ``csv``.
SOURCES: Registry[DataSource] = Registry("data source")


@SOURCES.register("local")
def _local(data_dir: str | Path | None = None) -> LocalSource:
    directory = data_dir if data_dir is not None else default_data_dir()
    if directory is None:
        raise NoDataDirectory(None, f"source 'local' needs a data directory: pass --data-dir DIR or set "
                                    f"{DATA_DIR_ENV} (or use --source download or --source sample)")
    return LocalSource(directory)


@SOURCES.register("download")
def _download(cache_dir: str | Path | None = None) -> DownloadSource:
    return DownloadSource(cache_dir=cache_dir)


SOURCES.register("sample")(SampleSource)


@SOURCES.register("csv")
def _csv(path: str | Path | None = None) -> CsvSource:
    if path is None:
        raise DataError(None, "source 'csv' needs the panel file: set data.path to a CSV with a 'date' column")
    return CsvSource(path)


def make_source(name: str = "local", data_dir: str | Path | None = None,
                cache_dir: str | Path | None = None, path: str | Path | None = None) -> DataSource:
    """Build a registered source by name, passing it the arguments it takes.

    ``local`` uses ``data_dir`` or else ``FACTOR_REGIMES_DATA_DIR``; ``download``
    caches in ``cache_dir``; ``csv`` reads the user's panel CSV at ``path``
    (:mod:`regimes.data.csv_panel`); ``sample`` takes nothing.
    """
    if name not in SOURCES:
        raise DataError(None, f"unknown data source {name!r}; choose {', '.join(SOURCES)}")
    given = {"data_dir": data_dir, "cache_dir": cache_dir, "path": path}
    return SOURCES.create(name, **{k: v for k, v in given.items() if k in SOURCES.parameters(name)})


__all__ = ["CONFIG_DATA_DIR_HINT", "SOURCES", "NoDataDirectory", "CsvSource", "DataSource", "DownloadSource", "FileRecord", "LoadedSeries", "LocalSource",
           "MemorySource", "SampleSource", "TruncatedSource", "default_data_dir", "make_source"]
