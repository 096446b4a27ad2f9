"""The panel: one row per decision date, holding only what is known at its close.

Timing convention (``shared/docs/design.md``): the row dated t holds what is
known at the close of period t (the VIX close of t, the S&P 500 return over
period t, factor returns over period t, realized volatility within t, ...).
A *target* for decision date t is a return over period t+1:
:meth:`Panel.forward_returns` shifts returns back one row, and nothing else in the
framework shifts data backwards.

Missing-value policy (:class:`MissingPolicy`), reported in
:attr:`Panel.missing`:

* levels (VIX, spreads, prices for drawdowns) are carried forward over at most
  ``level_ffill_days`` trading days, never further. The fill is causal: it
  depends only on earlier values, so it cannot differ between a series that
  stops at t and one that continues;
* returns are never filled;
* a daily series contributes to a month only when it reaches that month's
  last business day (a file that stops mid-month does not make a month-end).

Units: returns, rates, spreads, volatilities and drawdowns in decimals; VIX
in index points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from plumbing.errors import DataError
from regimes.data.readers import read_tidy
from regimes.data.sources import DataSource, FileRecord, make_record

FACTOR_COLUMNS = ("Mkt-RF", "SMB", "HML", "RF", "UMD", "RMW", "CMA")
#: Factor ETFs whose monthly total returns (from dividend-adjusted closes) join the panel when present.
ETF_TICKERS = ("SPY", "MTUM", "VLUE", "USMV", "QUAL")
RETURN_COLUMNS = (*FACTOR_COLUMNS, "sp500_ret", "sp500_logret", *ETF_TICKERS)
#: Columns dated by hindsight (NBER announces turning points months later):
#: usable for figures and evaluation, never as features.
EX_POST_COLUMNS = ("nber_recession",)
TRADING_DAYS = 252
RV_WINDOW_DAYS = 21
_SPREADS = {"t10y2y": "term_spread", "t10y3m": "term_spread_3m", "baa10y": "credit_spread"}


@dataclass(frozen=True)
class MissingPolicy:
    """How gaps are treated (see module docstring).

    Attributes
    ----------
    level_ffill_days : int
        Trading days a level may be carried forward.
    rv_min_days : int
        Fewest daily returns for a realized-volatility value (a month with
        fewer S&P 500 days falls back to the Fama-French daily market).
    """

    level_ffill_days: int = 5
    rv_min_days: int = 10

    def describe(self) -> str:
        return (f"levels (VIX, spreads, S&P 500 close) carried forward at most {self.level_ffill_days} trading days; "
                "returns never filled; a daily series that stops before a month's last business day gives that "
                f"month no value; realized volatility needs {self.rv_min_days}+ daily returns")


@dataclass
class Panel:
    """Aligned data at one frequency.

    Attributes
    ----------
    frame : pandas.DataFrame
        Shape ``(n_dates, n_columns)``, indexed by decision dates ``date``
        (month ends for monthly panels, trading days for daily ones). Row t
        uses only data dated <= t.
    frequency : {"monthly", "weekly", "daily"}
        ``weekly`` only for the user's panel CSV.
    source : str
        ``local``, ``download``, ``sample`` or ``csv`` (the user's panel CSV).
    records : list of FileRecord
        Every file read, with sha256 and coverage.
    missing : pandas.DataFrame
        Per column: first and last valid date, missing values inside that
        span, values filled by the policy.
    notes : list of str
        Policy and caveats, for reports.
    """

    frame: pd.DataFrame
    frequency: str
    source: str
    records: list[FileRecord]
    missing: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def periods_per_year(self) -> int:
        return {"monthly": 12, "weekly": 52}.get(self.frequency, TRADING_DAYS)

    def forward_returns(self, columns: list[str] | tuple[str, ...]) -> pd.DataFrame:
        """Returns over period t+1, indexed by decision date t.

        The last row is NaN (its target is not yet realized).
        """
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            raise DataError(None, f"panel has no column(s) {missing}; columns are {list(self.frame.columns)}")
        return self.frame[list(columns)].shift(-1)


#: The sampling frequencies a return series may have, in periods per year.
PERIODS_PER_YEAR = (1, 4, 12, 52, TRADING_DAYS)


def infer_periods_per_year(dates) -> int:
    """Periods per year of a dated series, from the median spacing of its dates.

    For data that did not record it (run directories written before the manifest held
    ``periods_per_year``). The median gap in calendar days is matched, on a log scale, to the
    nearest of :data:`PERIODS_PER_YEAR` (a business-day series: 252; month ends: 12).

    Parameters
    ----------
    dates : sequence of dates, length >= 2

    Raises
    ------
    DataError
        Fewer than two distinct dates.
    """
    index = pd.DatetimeIndex(pd.to_datetime(pd.Index(dates))).unique().sort_values()
    if len(index) < 2:
        raise DataError(None, f"cannot infer the periods per year from {len(index)} date(s)")
    gap_days = float(np.median((index[1:] - index[:-1]) / pd.Timedelta(days=1)))
    observed = 365.25 / gap_days
    if gap_days <= 1.5:  # consecutive calendar or business days: a daily series
        return TRADING_DAYS
    return min(PERIODS_PER_YEAR, key=lambda n: abs(np.log(n / observed)))


def _complete_months(daily: pd.Series) -> pd.Series:
    """Drop a trailing partial month (the series stops before that month's last business day)."""
    daily = daily.dropna()
    if daily.empty:
        return daily
    last = daily.index[-1]
    if last < last + pd.offsets.BMonthEnd(0):
        daily = daily[daily.index < last.replace(day=1)]
    return daily


def _last_days(calendar: pd.DatetimeIndex) -> pd.Series:
    """Each month's last trading day in ``calendar``, indexed by month end."""
    days = calendar.to_series()
    return days.groupby(calendar + pd.offsets.MonthEnd(0)).max()


def _month_end_value(on_calendar: pd.Series, last_days: pd.Series) -> pd.Series:
    """Value on each month's last trading day (NaN stays NaN), dated at the month end."""
    values = on_calendar.reindex(last_days.to_numpy())
    values.index = last_days.index
    return values


def realized_vol(log_returns: pd.Series, by: pd.Index | None = None, window: int | None = None,
                 min_obs: int = 10) -> pd.Series:
    """Annualized realized volatility ``sqrt(252 * mean(r**2))`` of daily log returns.

    Parameters
    ----------
    log_returns : pandas.Series
        Daily log returns, shape ``(n_days,)``.
    by : pandas.Index, optional
        Group labels (month ends) for within-period volatility.
    window : int, optional
        Trailing window in days for a rolling volatility (uses days <= t).
    min_obs : int
        Fewest returns for a value.
    """
    squared = log_returns.dropna() ** 2
    if window is not None:
        return np.sqrt(TRADING_DAYS * squared.rolling(window, min_periods=min_obs).mean())
    grouped = squared.groupby(by if by is not None else squared.index)
    out = np.sqrt(TRADING_DAYS * grouped.mean())
    return out.where(grouped.count() >= min_obs)


class _Builder:
    def __init__(self, source: DataSource, policy: MissingPolicy):
        self.source = source
        self.policy = policy
        self.records: list[FileRecord] = []
        self.notes: list[str] = [policy.describe()]
        self.fill_masks: dict[str, pd.Series] = {}

    def load(self, key: str) -> pd.DataFrame:
        loaded = self.source.load(key)
        self.records.append(loaded.record)
        return loaded.frame

    def load_optional(self, key: str) -> pd.DataFrame | None:
        return self.load(key) if self.source.has(key) else None

    def level(self, name: str, series: pd.Series, calendar: pd.DatetimeIndex) -> pd.Series:
        """A level on the trading calendar, carried forward at most ``level_ffill_days``.

        Records in :attr:`fill_masks` which calendar days were filled.
        """
        observed = series.dropna()
        on_calendar = observed.reindex(calendar.union(observed.index))
        filled = on_calendar.ffill(limit=self.policy.level_ffill_days).reindex(calendar)
        self.fill_masks[name] = filled.notna() & ~calendar.isin(observed.index)
        return filled

    def calendar(self, *frames: pd.DataFrame | None) -> pd.DatetimeIndex:
        days = pd.DatetimeIndex([], name="date")
        for frame in frames:
            if frame is not None:
                days = days.union(frame.index)
        return days

    def factors_monthly(self) -> pd.DataFrame:
        ff3 = self.load("ff3_monthly")
        out = ff3.join(self.load("mom_monthly").rename(columns={"Mom": "UMD"}), how="left")
        ff5 = self.load_optional("ff5_monthly")
        if ff5 is not None:
            out = out.join(ff5[["RMW", "CMA"]], how="left")
        return out

    def vix(self) -> pd.Series | None:
        cboe = self.load_optional("vix")
        if cboe is not None:
            return cboe["close"]
        fred = self.load_optional("vixcls")
        if fred is not None:
            self.notes.append("VIX from FRED VIXCLS (CBOE's VIX_History.csv not found)")
            return fred["VIXCLS"]
        return None


def _missing_report(frame: pd.DataFrame, fill_masks: dict[str, pd.Series]) -> pd.DataFrame:
    filled = {col: int(mask.reindex(frame.index, fill_value=False).astype(bool).sum())
              for col, mask in fill_masks.items()}
    rows = []
    for col in frame.columns:
        s = frame[col]
        first, last = s.first_valid_index(), s.last_valid_index()
        inside = s.loc[first:last] if first is not None else s.iloc[:0]
        rows.append({
            "column": col,
            "first": None if first is None else first.date().isoformat(),
            "last": None if last is None else last.date().isoformat(),
            "values": int(s.notna().sum()),
            "missing_inside": int(inside.isna().sum()),
            "filled": filled.get(col, 0),
            "kind": "return" if col in RETURN_COLUMNS else ("ex post" if col in EX_POST_COLUMNS else "level"),
        })
    return pd.DataFrame(rows).set_index("column")


def build_panel(source: DataSource, frequency: str | None = "monthly", start: str | None = None,
                end: str | None = None, policy: MissingPolicy | None = None,
                extra_csv: list[str | Path] | tuple[str | Path, ...] = ()) -> Panel:
    """Build the monthly or daily panel from a data source.

    Parameters
    ----------
    source : DataSource
        A :class:`regimes.data.csv_panel.CsvSource` gives the user's own
        panel (:func:`regimes.data.csv_panel.csv_panel`: ``frequency`` is
        then the expected one, ``"daily"``, ``"weekly"`` or ``"monthly"``, or
        None to infer it). Any other source needs ``ff3_monthly`` and ``mom_monthly`` (monthly) or ``ff3_daily``
        and ``mom_daily`` (daily); uses ``ff5_monthly``, ``vix`` (or
        ``vixcls``), ``sp500``, ``ff3_daily``, the FRED spreads and ``usrec``
        when the source has them.
    frequency : {"monthly", "weekly", "daily"}
        ``weekly`` aggregates the daily panel (:mod:`regimes.weekly`).
    start, end : str, optional
        First and last decision dates kept (``YYYY-MM`` or ``YYYY-MM-DD``);
        must lie inside the factors' coverage.
    policy : MissingPolicy, optional
    extra_csv : list of path, optional
        The user's own tidy CSV files (``date,NAME,...``, see
        :func:`regimes.data.readers.read_tidy`), added as columns: in a
        monthly panel the last value dated within month t, in a daily panel
        the value at t carried forward as levels are. The user vouches that
        a value dated d was known at the close of d.

    Returns
    -------
    Panel
        Row t uses data dated <= t only. Columns (when their data exist):
        ``Mkt-RF, SMB, HML, RF, UMD[, RMW, CMA]`` (factor returns over t),
        ``vix`` (close at t), ``vix_mean`` (mean close over month t, monthly
        only), ``sp500`` (S&P 500 close at t), ``sp500_ret, sp500_logret``
        (S&P 500 return over t), ``rv``
        (annualized realized volatility of daily index log returns within
        month t, or over the 21 days to t for daily panels; Fama-French
        daily market where S&P 500 days are missing), ``drawdown`` (S&P 500
        close at t against its running peak), ``term_spread``,
        ``term_spread_3m``, ``credit_spread`` (FRED, at t),
        ``nber_recession`` (ex post; never a feature); monthly panels also
        carry ``SPY, MTUM, VLUE, USMV, QUAL`` total returns over month t
        (dividend-adjusted closes) when the source has the ETF files.
    """
    from regimes.data.csv_panel import CsvSource, csv_panel
    if isinstance(source, CsvSource):
        if extra_csv:
            raise DataError(None, "data.extra_csv is for the published-data sources; with source csv put every "
                                  "column in the panel CSV itself")
        return csv_panel(source, frequency, start=start, end=end)
    if frequency not in ("monthly", "weekly", "daily"):
        raise DataError(None, f"frequency must be 'monthly', 'weekly' or 'daily', not {frequency!r}")
    b = _Builder(source, policy or MissingPolicy())
    if frequency == "weekly":  # from the daily panel (regimes.weekly)
        from regimes.weekly import weekly_frame
        frame = weekly_frame(_daily(b))
        b.notes.append("weekly rows from the daily files: returns compounded over each week's trading days (no "
                       "value if a day is missing), levels at the week's last trading day (regimes.weekly)")
    else:
        frame = _monthly(b) if frequency == "monthly" else _daily(b)
    for path in extra_csv:
        _add_user_csv(b, frame, Path(path), frequency)
    frame = _clip(frame, start, end, frequency)
    frame.index.name = "date"
    if source.name == "sample":
        b.notes.insert(0, "SAMPLE DATA: built from files shipped by installed packages, not the publishers' "
                          "current files; for trying the framework, not for research conclusions")
    return Panel(frame=frame, frequency=frequency, source=source.name, records=b.records,
                 missing=_missing_report(frame, b.fill_masks), notes=b.notes)


def _bound(what: str, text: str) -> pd.Timestamp:
    """``start``/``end`` as a date, or a :class:`DataError` naming it (never a pandas traceback)."""
    try:
        value = pd.Timestamp(str(text))
    except (ValueError, TypeError, OverflowError):
        value = pd.NaT
    if value is pd.NaT:
        raise DataError(None, f"{what}: expected a date YYYY-MM or YYYY-MM-DD, got {text!r}")
    return value


def _clip(frame: pd.DataFrame, start: str | None, end: str | None, frequency: str) -> pd.DataFrame:
    first, last = frame.index[0], frame.index[-1]
    lo = _bound("start", start) if start else first
    hi = _bound("end", end) if end else last
    if frequency == "monthly":
        lo, hi = lo + pd.offsets.MonthEnd(0), hi + pd.offsets.MonthEnd(0)
    coverage = f"{first.date()}..{last.date()}"
    if lo > hi:
        raise DataError(None, f"start {lo.date()} is after end {hi.date()}")
    if lo < first or hi > last:
        raise DataError(None, f"requested {lo.date()}..{hi.date()} lies outside the factor data's coverage {coverage}")
    return frame.loc[lo:hi].copy()


def _index_block(b: _Builder) -> dict[str, pd.Series]:
    """Daily S&P 500 close, log return and drawdown on the source's own dates."""
    sp = b.load_optional("sp500")
    if sp is None:
        return {}
    close = sp["close"].dropna()
    return {"close": close, "logret": np.log(close).diff(), "drawdown": close / close.cummax() - 1.0}


def _market_logret(ff3_daily: pd.DataFrame | None) -> pd.Series | None:
    if ff3_daily is None:
        return None
    return np.log1p(ff3_daily["Mkt-RF"] + ff3_daily["RF"])


def _monthly(b: _Builder) -> pd.DataFrame:
    frame = b.factors_monthly()
    months = frame.index
    ff3_daily = b.load_optional("ff3_daily")
    vix = b.vix()
    sp = _index_block(b)
    calendar = b.calendar(ff3_daily, vix.to_frame() if vix is not None else None,
                          sp["close"].to_frame() if sp else None)
    calendar = pd.DatetimeIndex(_complete_months(calendar.to_series()).index)
    last_days = _last_days(calendar)
    monthly: dict[str, pd.Series] = {}
    if sp:
        close_m = _month_end_value(b.level("sp500", _complete_months(sp["close"]), calendar), last_days)
        monthly["sp500"] = close_m
        monthly["sp500_ret"] = close_m.pct_change(fill_method=None)
        monthly["sp500_logret"] = np.log1p(monthly["sp500_ret"])
    rv = pd.Series(np.nan, index=months)
    if sp:
        lr = _complete_months(sp["logret"])
        rv = realized_vol(lr, by=lr.index + pd.offsets.MonthEnd(0), min_obs=b.policy.rv_min_days).reindex(months)
    mkt = _market_logret(ff3_daily)
    if mkt is not None:
        mkt = _complete_months(mkt)
        rv_ff = realized_vol(mkt, by=mkt.index + pd.offsets.MonthEnd(0), min_obs=b.policy.rv_min_days)
        use_ff = rv.isna() & rv_ff.reindex(months).notna()
        if use_ff.any():
            flagged = use_ff[use_ff].index
            b.notes.append(f"rv from the Fama-French daily market (Mkt-RF+RF) in {len(flagged)} months without "
                           f"enough S&P 500 days (first {flagged[0].date()}, last {flagged[-1].date()})")
        rv = rv.where(~use_ff, rv_ff.reindex(months))
    if sp or mkt is not None:
        monthly["rv"] = rv
    if sp:
        monthly["drawdown"] = _month_end_value(b.level("drawdown", _complete_months(sp["drawdown"]), calendar),
                                               last_days)
    if vix is not None:
        monthly["vix"] = _month_end_value(b.level("vix", _complete_months(vix), calendar), last_days)
        vix_days = _complete_months(vix)
        monthly["vix_mean"] = vix_days.groupby(vix_days.index + pd.offsets.MonthEnd(0)).mean()
    for key, col in _SPREADS.items():
        data = b.load_optional(key)
        if data is not None:
            monthly[col] = _month_end_value(b.level(col, _complete_months(data.iloc[:, 0]), calendar), last_days)
    for ticker in ETF_TICKERS:
        etf = b.load_optional(f"etf_{ticker.lower()}")
        if etf is not None:
            # total return from dividend-adjusted closes; a file that stops mid-month (e.g. an intraday
            # last row) gives that month nothing
            adj = _complete_months(etf["adj_close"])
            closes = adj.groupby(adj.index + pd.offsets.MonthEnd(0)).last()
            monthly[ticker] = closes.pct_change(fill_method=None).where(closes.index.to_series().diff().dt.days < 32)
    for col, values in monthly.items():
        frame[col] = values.reindex(months)
    b.fill_masks = {col: _month_end_value(mask, last_days) for col, mask in b.fill_masks.items()}
    _add_recessions(b, frame)
    return frame


def _add_user_csv(b: _Builder, frame: pd.DataFrame, path: Path, frequency: str) -> None:
    data = read_tidy(path)
    clash = [c for c in data.columns if c in frame.columns]
    if clash:
        raise DataError(path, f"column(s) {clash} already exist in the panel; rename them in the file")
    b.records.append(make_record(f"csv:{path.name}", path, data, origin="csv"))
    for col in data.columns:
        series = data[col].dropna()
        if frequency == "monthly":
            by_month = series.groupby(series.index + pd.offsets.MonthEnd(0)).last()
            frame[col] = by_month.reindex(frame.index)
        else:
            frame[col] = b.level(col, series, frame.index)


def _add_recessions(b: _Builder, frame: pd.DataFrame) -> None:
    usrec = b.load_optional("usrec")
    if usrec is None:
        return
    flag = usrec.iloc[:, 0]
    by_month = flag.groupby(flag.index + pd.offsets.MonthEnd(0)).last()
    month_of = frame.index + pd.offsets.MonthEnd(0)
    frame["nber_recession"] = by_month.reindex(month_of).to_numpy()
    b.notes.append("nber_recession is dated by NBER with hindsight: for figures and evaluation only, never a feature")


def _daily(b: _Builder) -> pd.DataFrame:
    ff3 = b.load("ff3_daily")
    frame = ff3.join(b.load("mom_daily").rename(columns={"Mom": "UMD"}), how="left")
    days = frame.index
    vix = b.vix()
    sp = _index_block(b)
    if sp:
        frame["sp500_ret"] = np.expm1(sp["logret"]).reindex(days)
        frame["sp500_logret"] = sp["logret"].reindex(days)
    rv = pd.Series(np.nan, index=days)
    if sp:
        rv = realized_vol(sp["logret"], window=RV_WINDOW_DAYS, min_obs=b.policy.rv_min_days * 3 // 2).reindex(days)
    rv_ff = realized_vol(_market_logret(ff3), window=RV_WINDOW_DAYS, min_obs=b.policy.rv_min_days * 3 // 2)
    use_ff = rv.isna() & rv_ff.reindex(days).notna()
    if use_ff.any():
        b.notes.append(f"rv from the Fama-French daily market (Mkt-RF+RF) on {int(use_ff.sum())} days without "
                       "enough S&P 500 days")
    frame["rv"] = rv.where(~use_ff, rv_ff.reindex(days))
    if sp:
        frame["sp500"] = b.level("sp500", sp["close"], days)
        frame["drawdown"] = b.level("drawdown", sp["drawdown"], days)
    if vix is not None:
        frame["vix"] = b.level("vix", vix, days)
    for key, col in _SPREADS.items():
        data = b.load_optional(key)
        if data is not None:
            frame[col] = b.level(col, data.iloc[:, 0], days)
    _add_recessions(b, frame)
    return frame
