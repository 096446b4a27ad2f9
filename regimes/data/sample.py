"""Offline sample built only from data that installed packages ship.

No network, no user files: the sample exists so that a new user can run the
quickstart anywhere. It is small, old and of mixed vintages, so everything
built from it is labelled ``sample``:

* ``ff3_monthly`` - ``arch.data.frenchdata``: Fama-French 3 factors, monthly,
  1926-07..2018-11, in percent (an older, pre-2025 vintage of the library);
* ``mom_monthly`` - ``linearmodels.datasets.french``: Mom, monthly,
  1949-01..2017-03, in decimals;
* ``sp500`` - ``arch.data.sp500``: S&P 500 daily OHLC, 1999-01..2018-12;
* ``vix`` - ``arch.data.vix``: VIX close, 2014-01..2019-01.

The package files are parsed with the same row parser as official files, so
they get the same validation.
"""

from __future__ import annotations

import bz2
import gzip
from importlib import metadata, resources
from pathlib import Path

import pandas as pd

from regimes.data._table import parse_rows, split_header
from regimes.data._text import decode_lines
from regimes.data.sources import DataSource, LoadedSeries, make_record, sha256_file

SAMPLE_NOTE = "SAMPLE: offline data shipped by an installed package, not the publisher's current file"

# key -> (package, resource folder, file, date format, columns wanted, scale, rename)
_RESOURCES: dict[str, tuple[str, str, str, str, tuple[str, ...], float, dict[str, str]]] = {
    "ff3_monthly": ("arch", "data/frenchdata", "frenchdata.csv.gz", "YYYYMM",
                    ("Mkt-RF", "SMB", "HML", "RF"), 0.01, {}),
    "mom_monthly": ("linearmodels", "datasets/french", "french.csv.bz2", "YYYY-MM-DD", ("Mom",), 1.0, {}),
    "sp500": ("arch", "data/sp500", "sp500.csv.gz", "MM/DD/YYYY",
              ("Open", "High", "Low", "Close", "Adj Close", "Volume"), 1.0,
              {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Adj Close": "adj_close",
               "Volume": "volume"}),
    "vix": ("arch", "data/vix", "vix.csv.gz", "MM/DD/YYYY", ("vix",), 1.0, {"vix": "close"}),
}


def _resource_path(package: str, folder: str, filename: str) -> Path:
    return Path(str(resources.files(package).joinpath(folder, filename)))


class SampleSource(DataSource):
    """Offline sample from ``arch`` and ``linearmodels`` package data (see module docstring)."""

    name = "sample"

    def has(self, key: str) -> bool:
        return key in _RESOURCES

    def _load(self, key: str) -> LoadedSeries:
        package, folder, filename, date_format, wanted, scale, rename = _RESOURCES[key]
        path = _resource_path(package, folder, filename)
        raw = path.read_bytes()
        payload = gzip.decompress(raw) if filename.endswith(".gz") else bz2.decompress(raw)
        name = f"{package}:{folder}/{filename}"
        lines = decode_lines(payload, name)
        columns = split_header(lines[0])[1:]
        frame = parse_rows(name, lines, 1, columns, date_format, missing=frozenset({"", ".", "null"}))
        frame = frame[list(wanted)] * scale
        if key == "mom_monthly":  # dated the first of the month it describes
            frame.index = (frame.index + pd.offsets.MonthEnd(0)).rename("date")
        frame = frame.rename(columns=rename)
        version = metadata.version(package)
        note = f"{SAMPLE_NOTE} ({package} {version})"
        return LoadedSeries(frame, make_record(key, name, frame, origin=self.name, note=note, sha256=sha256_file(path)))

    def describe(self) -> str:
        return "offline SAMPLE data shipped by installed packages (arch, linearmodels)"
