"""The catalog of series the framework knows: where each comes from and how to read it.

Each :class:`SeriesSpec` names a logical series (``ff3_monthly``, ``vix``,
``sp500``, ...), the file names it may have in a user's data directory, the
reader that validates it, and the publisher URL the downloader fetches it
from. Sources (:mod:`regimes.data.sources`) resolve a key to a file through
this catalog, so every source reads every file through the same validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from plumbing.errors import DataError, SeriesMismatch
from regimes.data.aqr import read_aqr
from regimes.data.checks import check_frequency
from regimes.data.french import read_french
from regimes.data.readers import read_cboe_vix, read_fred, read_stooq, read_yahoo

Reader = Callable[[Path], pd.DataFrame]

#: Publisher base URLs (overridable for tests and mirrors).
PUBLISHERS: dict[str, str] = {
    "french": "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp",
    "cboe": "https://cdn.cboe.com/api/global/us_indices/daily_prices",
    "fred": "https://fred.stlouisfed.org/graph/fredgraph.csv",
    "stooq": "https://stooq.com/q/d/l/",
}


@dataclass(frozen=True)
class SeriesSpec:
    """How to find, read and download one logical series.

    Attributes
    ----------
    key : str
        Catalog key, e.g. ``"ff3_monthly"``.
    description : str
        One line for ``data info``.
    filenames : tuple of str
        Candidate file names in a data directory, tried in order
        (case-insensitive; a path may include a sub-folder, ``etf/SPY.csv``).
    read : callable
        ``read(path) -> DataFrame`` validating the file, its frequency and
        (monthly) consecutive months (raises ``DataError``). The downloader
        validates a payload with this same function. For Ken French files
        the frame's ``attrs["vintage"]`` holds the CRSP vintage ``YYYYMM``
        (or None when the file does not state it).
    frequency : {"monthly", "daily"}
        Native frequency of the series.
    publisher : str or None
        Key of :data:`PUBLISHERS` for downloads; None when not downloadable.
    remote : str
        Path (or query) appended to the publisher URL.
    cache_name : str
        File name of the downloaded payload in the cache.
    read_payload : callable or None
        Reader of the publisher's payload when its layout differs from a
        local file's (Stooq's S&P 500 splices monthly rows before the daily
        ones); None when ``read`` serves both. Its frame's
        ``attrs["note"]`` states anything it dropped.
    """

    key: str
    description: str
    filenames: tuple[str, ...]
    read: Reader
    frequency: str
    publisher: str | None = None
    remote: str = ""
    cache_name: str = ""
    read_payload: Reader | None = None

    def url(self, publishers: dict[str, str]) -> str:
        """The download URL given publisher base URLs."""
        if self.publisher is None:
            raise ValueError(f"series {self.key!r} has no download source")
        base = publishers[self.publisher].rstrip("/")
        return f"{base}/{self.remote}" if not self.remote.startswith("?") else f"{base}{self.remote}"


def _checked(reader: Reader, frequency: str) -> Reader:
    """``reader`` followed by the slot's frequency check (:func:`regimes.data.checks.check_frequency`)."""
    def read(path: Path) -> pd.DataFrame:
        frame = reader(path)
        check_frequency(str(path), frame.index, frequency)
        return frame
    read.__doc__ = reader.__doc__
    return read


def _french(stem: str, columns: tuple[str, ...], key: str, description: str, frequency: str) -> SeriesSpec:
    def read(path: Path) -> pd.DataFrame:
        parsed = read_french(path, expected_columns=columns, frequency=frequency)
        frame = parsed.data
        frame.attrs["vintage"] = parsed.vintage
        return frame
    return SeriesSpec(
        key=key, description=description,
        filenames=(f"{stem}.CSV", f"{stem}.csv", f"{stem}_CSV.zip"),
        read=read, frequency=frequency, publisher="french",
        remote=f"{stem}_CSV.zip", cache_name=f"{stem}_CSV.zip",
    )


#: Plausible range of each FRED series, in the file's units: (lower, upper, closed).
FRED_BOUNDS: dict[str, tuple[float | None, float | None, str]] = {
    "VIXCLS": (0.0, 1000.0, "neither"),
    "T10Y2Y": (-50.0, 50.0, "neither"), "T10Y3M": (-50.0, 50.0, "neither"), "BAA10Y": (-50.0, 50.0, "neither"),
    "GS10": (-50.0, 100.0, "neither"), "UNRATE": (0.0, 100.0, "both"),
    "USREC": (0.0, 1.0, "both"), "INDPRO": (0.0, 1000.0, "neither"),  # INDPRO: an index, 2017 = 100
}


def _fred(series: str, description: str, frequency: str, percent: bool) -> SeriesSpec:
    def read(path: Path) -> pd.DataFrame:
        frame = read_fred(path, percent=percent, bounds=FRED_BOUNDS.get(series))
        if frame.columns[0].upper() != series:
            raise SeriesMismatch(path, f"expected the FRED series {series!r}, found {frame.columns[0]!r} in the "
                                       "header", line=1)
        return frame.rename(columns={frame.columns[0]: series})
    return SeriesSpec(
        key=series.lower(), description=description, filenames=(f"{series}.csv",),
        read=_checked(read, frequency), frequency=frequency, publisher="fred", remote=f"?id={series}",
        cache_name=f"{series}.csv",
    )


def _aqr(sheet: str, key: str, description: str) -> SeriesSpec:
    workbook = ("Quality Minus Junk Factors Monthly.xlsx" if sheet == "QMJ Factors"
                else "Betting Against Beta Equity Factors Monthly.xlsx")

    def read(path: Path) -> pd.DataFrame:
        return read_aqr(path, sheet).to_frame()
    return SeriesSpec(key=key, description=description, filenames=(f"aqr/{workbook}", workbook),
                      read=_checked(read, "monthly"), frequency="monthly")


_FF3 = ("Mkt-RF", "SMB", "HML", "RF")
_SPECS: list[SeriesSpec] = [
    _french("F-F_Research_Data_Factors", _FF3, "ff3_monthly", "Fama-French 3 factors, monthly", "monthly"),
    _french("F-F_Research_Data_Factors_daily", _FF3, "ff3_daily", "Fama-French 3 factors, daily", "daily"),
    _french("F-F_Momentum_Factor", ("Mom",), "mom_monthly", "Momentum factor (UMD), monthly", "monthly"),
    _french("F-F_Momentum_Factor_daily", ("Mom",), "mom_daily", "Momentum factor (UMD), daily", "daily"),
    _french("F-F_Research_Data_5_Factors_2x3", ("Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"),
            "ff5_monthly", "Fama-French 5 factors (2x3), monthly", "monthly"),
    SeriesSpec("vix", "CBOE VIX daily history (close)", ("VIX_History.csv",), _checked(read_cboe_vix, "daily"), "daily",
               publisher="cboe", remote="VIX_History.csv", cache_name="VIX_History.csv"),
    _fred("VIXCLS", "VIX close from FRED (fallback for CBOE's file)", "daily", percent=False),
    SeriesSpec("sp500", "S&P 500 index daily (Yahoo layout; Stooq's when downloaded)", ("GSPC.csv", "^GSPC.csv", "sp500.csv", "SPX.csv"),
               _checked(read_yahoo, "daily"), "daily", publisher="stooq", remote="?s=%5Espx&i=d",
               cache_name="sp500_stooq.csv", read_payload=_checked(read_stooq, "daily")),
    _fred("T10Y2Y", "10-year minus 2-year Treasury spread (FRED)", "daily", percent=True),
    _fred("T10Y3M", "10-year minus 3-month Treasury spread (FRED)", "daily", percent=True),
    _fred("BAA10Y", "Moody's Baa minus 10-year Treasury (FRED)", "daily", percent=True),
    _fred("USREC", "NBER recession indicator (FRED; ex post, never a feature)", "monthly", percent=False),
    _fred("UNRATE", "Unemployment rate (FRED)", "monthly", percent=True),
    _fred("GS10", "10-year Treasury yield, monthly average (FRED)", "monthly", percent=True),
    _fred("INDPRO", "Industrial production index (FRED)", "monthly", percent=False),
    *[SeriesSpec(f"etf_{t.lower()}", f"{t} ETF daily (Yahoo layout)", (f"etf/{t}.csv", f"{t}.csv"),
                 _checked(read_yahoo, "daily"), "daily")
      for t in ("SPY", "MTUM", "VLUE", "USMV", "QUAL")],
    _aqr("BAB Factors", "aqr_bab", "AQR Betting Against Beta, USA, monthly"),
    _aqr("UMD", "aqr_umd", "AQR UMD, USA, monthly"),
    _aqr("HML Devil", "aqr_hml_devil", "AQR HML Devil, USA, monthly"),
    _aqr("QMJ Factors", "aqr_qmj", "AQR Quality Minus Junk, USA, monthly"),
]

CATALOG: dict[str, SeriesSpec] = {spec.key: spec for spec in _SPECS}

#: Series the downloader fetches by default (what the panel uses).
DEFAULT_DOWNLOADS: tuple[str, ...] = (
    "ff3_monthly", "ff3_daily", "mom_monthly", "mom_daily", "ff5_monthly",
    "vix", "sp500", "t10y2y", "t10y3m", "baa10y", "usrec",
)


def spec(key: str) -> SeriesSpec:
    """Return the spec of ``key`` or raise ``KeyError`` listing the valid keys."""
    try:
        return CATALOG[key]
    except KeyError:
        raise KeyError(f"unknown series {key!r}; known: {', '.join(CATALOG)}") from None


def read_series(key: str, path: str | Path, name: str | None = None, downloaded: bool = False) -> pd.DataFrame:
    """Read and validate ``path`` as the catalog series ``key`` (layout, frequency, calendar, values).

    The one entry point for validating a file or a downloaded payload: the
    same reader and checks as a local file (for a payload whose publisher
    has its own layout, :attr:`SeriesSpec.read_payload` followed by the
    same checks).

    Parameters
    ----------
    key : str
        Catalog key, e.g. ``"mom_monthly"``.
    path : str or Path
        The file (a downloader's temporary file, for example).
    name : str, optional
        What error messages call the file instead of ``path`` (for example
        the URL it was fetched from).
    downloaded : bool, default False
        ``path`` is the publisher's payload, as fetched (read with
        :attr:`SeriesSpec.read_payload` when the series has one).

    Returns
    -------
    pandas.DataFrame
        The validated series; ``attrs["note"]`` states rows a payload reader
        dropped, ``attrs["vintage"]`` a Ken French file's vintage.

    Raises
    ------
    DataError
        As the series' reader does, naming ``name`` (or ``path``) and the
        line; of the same class (:class:`plumbing.errors.SeriesMismatch` for
        a file of another series).
    """
    series = spec(key)
    reader = series.read_payload if downloaded and series.read_payload is not None else series.read
    try:
        return reader(Path(path))
    except DataError as exc:
        if name is None or exc.path is None:
            raise
        raise type(exc)(exc.path.replace(str(path), name, 1), exc.message, exc.line) from None
