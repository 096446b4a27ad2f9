"""Volatility-managed factors: Moreira & Muir (2017), "Volatility-Managed Portfolios", Table I.

For each factor f (monthly excess return ``f_t``), the managed series is

    f^sigma_t = (c / RV_{t-1}) f_t,    RV_{t-1} = sum of the squared daily returns of f in calendar month t-1,

so the weight applied over month t is known at the end of month t-1. ``c`` is the constant that makes the
managed series' standard deviation over the sample equal to the unmanaged one's (a full-sample constant, as
in the paper: it changes no ratio, t-statistic or R^2). The managed series is regressed on the unmanaged
one, ``f^sigma_t = alpha + beta f_t + e_t``: alpha annualized in percent (``1200 alpha``), the appraisal ratio
``sqrt(12) alpha / sd(e)`` (residual standard deviation with ``n - 2`` degrees of freedom), R^2, and the
alpha's OLS and HAC (Newey-West, ``floor(4 (n/100)^(2/9))`` lags) standard errors.

Choices where the paper's text is not followed to the letter, or is silent: RV is the plain sum of squared
daily returns (not demeaned), as the issue states; a month's RV is computed only when the factor has a value
on every trading day of that month (the Fama-French daily market defines the calendar), otherwise the month
after it has no managed return; the momentum factor's RV comes from Ken French's daily momentum file, which
is formed daily (PROVENANCE item 4) and so is not the monthly factor's own daily path. RMW and CMA need
daily returns the shared data does not hold; they are reported as not covered, never approximated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from allocation import metrics
from allocation.evaluation import strategy_statistics
from allocation.stats import newey_west_lags
from experiments.analyses._base import (
    AnalysisContext,
    AnalysisOutput,
    AnalysisReport,
    AnalysisResult,
)
from experiments.analyses.scoreboard import (
    check_paper_spec,
    scoreboard_frame,
    scoreboard_html,
    scoreboard_rows,
    sharpe_verdict,
)
from experiments.tables import html_table
from plumbing.errors import FactorRegimesError

STUDY = "moreira_muir_2017"
#: Figures of one factor; the market's carry these names on the scoreboard, other factors ``<figure>_<factor>``.
FIGURES = ["sharpe_managed", "sharpe_unmanaged", "alpha_annual_pct", "appraisal_ratio", "r2", "months",
           "sharpe_diff_p", "dsr_managed"]
#: Figures that are the framework's statistics (beyond the paper): Ledoit-Wolf p-value of managed against
#: unmanaged and the managed series' DSR; no data-vintage gap applies to them.
STATISTIC_FIGURES = ("sharpe_diff_p", "dsr_managed")
MARKET = "Mkt-RF"
VINTAGE_GAP = ("the paper used the Ken French library of 2016; here the monthly factors are the 2025-revised "
               "202511 vintage and RV comes from the 202604 daily file, whose whole history was revised")


def monthly_realized_variance(daily: pd.Series, calendar: pd.DatetimeIndex) -> pd.Series:
    """Sum of squared daily returns within each calendar month, dated at the calendar month end.

    Parameters
    ----------
    daily : pandas.Series
        Daily returns in decimals, indexed by trading day (NaN where the factor has no value).
    calendar : pandas.DatetimeIndex
        The trading days (a month counts only when ``daily`` has a value on every one of its trading days).

    Returns
    -------
    pandas.Series
        ``RV_m`` for each complete month m, indexed by the month's last calendar day; it uses the daily
        returns of month m only.
    """
    values = daily.reindex(calendar)
    month = values.index.to_period("M")
    grouped = values.groupby(month)
    complete = grouped.count() == grouped.size()
    rv = (values ** 2).groupby(month).sum(min_count=1)[complete]
    rv.index = rv.index.to_timestamp(how="end").normalize()
    return rv


def managed_factor(monthly: pd.Series, rv: pd.Series) -> pd.DataFrame:
    """Unmanaged and managed returns, month by month (see module docstring).

    Parameters
    ----------
    monthly : pandas.Series
        Monthly excess returns ``f_t`` (decimals) on a month-end index, the sample only (shape ``(n,)``).
    rv : pandas.Series
        :func:`monthly_realized_variance` of the same factor.

    Returns
    -------
    pandas.DataFrame
        Rows: months t of ``monthly`` whose previous calendar month has an RV. Columns ``rv_prev``
        (RV_{t-1}, known at the end of t-1), ``weight`` (``c / RV_{t-1}``), ``unmanaged`` (f_t) and
        ``managed`` (weight times f_t). ``c`` is in ``.attrs["c"]``.
    """
    prev_month_end = (monthly.index.to_period("M") - 1).to_timestamp(how="end").normalize()
    rv_prev = pd.Series(rv.reindex(prev_month_end).to_numpy(), index=monthly.index)
    frame = pd.DataFrame({"rv_prev": rv_prev, "unmanaged": monthly}).dropna()
    if len(frame) < 24:
        raise FactorRegimesError(f"{STUDY}: only {len(frame)} months with a previous-month RV; need 24 or more")
    raw = frame["unmanaged"] / frame["rv_prev"]
    c = float(frame["unmanaged"].std(ddof=1) / raw.std(ddof=1))
    frame["weight"] = c / frame["rv_prev"]
    frame["managed"] = frame["weight"] * frame["unmanaged"]
    frame.attrs["c"] = c
    return frame[["rv_prev", "weight", "unmanaged", "managed"]]


def spanning_regression(frame: pd.DataFrame) -> dict[str, float]:
    """Managed on unmanaged: Table I's figures, with OLS and HAC standard errors of alpha (see module docstring)."""
    y, x = frame["managed"], sm.add_constant(frame["unmanaged"])
    ols = sm.OLS(y, x).fit()
    lags = newey_west_lags(len(frame))
    hac = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    alpha, resid_sd = float(ols.params["const"]), float(np.sqrt(ols.mse_resid))
    return {"alpha_annual_pct": 1200 * alpha, "alpha_se_ols_pct": 1200 * float(ols.bse["const"]),
            "alpha_se_hac_pct": 1200 * float(hac.bse["const"]), "alpha_t_ols": float(ols.tvalues["const"]),
            "alpha_t_hac": float(hac.tvalues["const"]), "hac_lags": lags, "beta": float(ols.params["unmanaged"]),
            "appraisal_ratio": np.sqrt(12) * alpha / resid_sd, "r2": float(ols.rsquared),
            "rmse_annual_pct": 100 * np.sqrt(12) * resid_sd}


def factor_figures(frame: pd.DataFrame, bootstrap_reps: int, seed: int) -> dict:
    """Table I figures of one factor and the framework's statistics of managed against unmanaged."""
    out = {"sharpe_managed": metrics.sharpe(frame["managed"]), "sharpe_unmanaged": metrics.sharpe(frame["unmanaged"]),
           **spanning_regression(frame), "months": int(len(frame)), "c": frame.attrs["c"],
           "first_month": f"{frame.index[0]:%Y-%m}", "last_month": f"{frame.index[-1]:%Y-%m}"}
    table = strategy_statistics(frame[["unmanaged", "managed"]], {"managed": "unmanaged"},
                                bootstrap_reps=bootstrap_reps, seed=seed)
    keep = ["psr", "dsr", "sharpe_ci_low", "sharpe_ci_high", "sharpe_diff", "sharpe_diff_p", "sharpe_diff_block",
            "sharpe_diff_p_hac"]
    out["statistics"] = {name: {k: (None if pd.isna(row.get(k)) else float(row[k])) for k in keep if k in row}
                         for name, row in table.to_dict(orient="index").items()}
    out["sharpe_diff_p"] = out["statistics"]["managed"].get("sharpe_diff_p")
    out["dsr_managed"] = out["statistics"]["managed"].get("dsr")
    return out


def _scoreboard_name(figure: str, factor: str) -> str:
    return figure if factor == MARKET else f"{figure}_{factor.lower().replace('-', '_')}"


def moreira_muir_2017(ctx: AnalysisContext, start: str = "1926-07", end: str = "2015-12",
                      factors: list[str] | None = None, paper: dict | None = None,
                      bootstrap_reps: int | None = None) -> AnalysisOutput:
    """Moreira & Muir (2017) Table I on the shared data, with scoreboard rows (see module docstring)."""
    factors = list(factors or [MARKET, "SMB", "HML", "UMD", "RMW", "CMA"])
    names = [_scoreboard_name(f, factor) for factor in factors for f in FIGURES]
    spec = dict(paper or {})
    by_factor = spec.get("figures") or {}
    unknown = [f for f in by_factor if f not in factors]
    if unknown:
        raise FactorRegimesError(f"{STUDY}: paper figures for {unknown[0]!r}, which is not among factors {factors}")
    bands = check_paper_spec(STUDY, {"source": spec.get("source"), "figures": {
        _scoreboard_name(fig, factor): item for factor, items in by_factor.items() for fig, item in items.items()}},
        figures=names)
    ev = ctx.config.get("evaluation", {})
    reps = int(ev.get("bootstrap_reps", 1000) if bootstrap_reps is None else bootstrap_reps)
    seed = int(ev.get("seed", 0))
    lo, hi = pd.Period(start, "M").to_timestamp(how="end").normalize(), pd.Period(end, "M").to_timestamp(how="end")
    index = ctx.panel.frame.index
    if index[0] > lo or index[-1] < hi.normalize():
        raise FactorRegimesError(f"{STUDY}: sample {start}..{end} is not inside the monthly panel's coverage "
                                 f"{index[0]:%Y-%m}..{index[-1]:%Y-%m} (set data.history_start)")
    monthly = ctx.panel.frame.loc[lo:hi]
    daily = ctx.daily_panel().frame
    calendar = daily.index[daily[MARKET].notna()] if MARKET in daily else daily.index
    results, not_covered, series = {}, {}, {}
    for factor in factors:
        if factor not in monthly or monthly[factor].dropna().empty:
            not_covered[factor] = "no monthly returns in the shared data"
            continue
        if factor not in daily or daily[factor].dropna().empty:
            not_covered[factor] = ("no daily returns in the shared data (RV needs them; only the monthly "
                                   "5-factor file holds it)")
            continue
        frame = managed_factor(monthly[factor].dropna(), monthly_realized_variance(daily[factor], calendar))
        results[factor] = factor_figures(frame, reps, seed)
        series[factor] = frame[["unmanaged", "managed"]]
    values = {_scoreboard_name(f, factor): r[f] for factor, r in results.items() for f in FIGURES}
    rows = scoreboard_rows(STUDY, bands, values, gaps={name: VINTAGE_GAP for name in bands
                                                       if not name.startswith(STATISTIC_FIGURES)})
    table = pd.DataFrame({k: {f: r[f] for f in FIGURES + ["alpha_se_ols_pct", "alpha_se_hac_pct", "beta",
                                                          "rmse_annual_pct", "c", "first_month", "last_month"]}
                          for k, r in results.items()}).T
    table.index.name = "factor"
    stats_rows = {(k, s): v for k, r in results.items() for s, v in r["statistics"].items()}
    stats_table = pd.DataFrame(stats_rows).T
    stats_table.index.names = ["factor", "series"]
    data = {"study": STUDY, "paper_source": spec.get("source"), "sample": [start, end], "factors": results,
            "not_covered": not_covered, "scoreboard": rows,
            "unverified_paper_figures": [f for f in results if f not in by_factor],
            "method": __doc__.strip()}
    monthly_series = pd.concat(series, axis=1)
    monthly_series.columns = [f"{a}:{b}" for a, b in monthly_series.columns]
    return AnalysisOutput(name=STUDY, title=REPORT.title,
                          tables={STUDY: table, f"{STUDY}_statistics": stats_table,
                                  f"{STUDY}_scoreboard": scoreboard_frame(rows), f"{STUDY}_series": monthly_series},
                          data=data, json_name=REPORT.json_name)


def section(out: AnalysisResult) -> str:
    """The report section, from the analysis's tables and JSON data."""
    data = out.data
    return _html(out.tables[STUDY], out.tables[f"{STUDY}_statistics"], data["scoreboard"],
                 data.get("paper_source") or "the paper", data["not_covered"], data["unverified_paper_figures"])


def _html(table, stats_table, rows, source, not_covered, unverified) -> str:
    parts = ["<p>Each factor scaled by c / RV<sub>t-1</sub> (RV: sum of squared daily returns in the previous "
             "calendar month; c equalizes the full-sample volatilities), then regressed on the unmanaged factor. "
             "Alpha annualized in percent with OLS and HAC standard errors; appraisal ratio = alpha over "
             "residual volatility, annualized.</p>", html_table(table, digits=3),
             "<p>The framework's statistics, managed against unmanaged on the same months: PSR and DSR, "
             "stationary-bootstrap Sharpe interval, Ledoit-Wolf bootstrap test of equal Sharpe ratios "
             "(<code>sharpe_diff_p</code>) and its HAC version.</p>", html_table(stats_table, digits=3),
             sharpe_verdict(stats_table, "managed", "unmanaged"), scoreboard_html(rows, source),
             f"<p>Gap common to every figure: {VINTAGE_GAP}.</p>"]
    if unverified:
        parts.append(f"<p>No paper figures are given for {', '.join(unverified)}: their Table I values could not "
                     "be verified from a primary source here, so they carry no band.</p>")
    if not_covered:
        parts.append("<p>Not covered: " + "; ".join(f"{k}: {v}" for k, v in not_covered.items()) + ".</p>")
    return "".join(parts)


REPORT = AnalysisReport(title="Volatility-managed factors (Moreira & Muir 2017)",
                        tables={STUDY: 1, f"{STUDY}_statistics": 2, f"{STUDY}_scoreboard": 1, f"{STUDY}_series": 1},
                        json_name=f"{STUDY}.json", section=section)
