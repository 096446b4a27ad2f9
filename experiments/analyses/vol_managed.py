"""Volatility-managed momentum (Barroso & Santa-Clara 2015).

The scaled strategy holds ``w_t = target_vol / sigma_t`` of UMD over month
t+1, with ``sigma_t`` the annualized realized volatility of the previous
``window_days`` daily momentum returns up to the end of month t
(``sqrt(252 * mean(r_d^2))``, i.e. the paper's ``21 * sum(r_d^2) / 126`` per
month, annualized). It is the simplest "regime" strategy, so every regime
model is compared with it. The paper reports, for its momentum series
1927-2011, Sharpe 0.53 plain against 0.97 scaled, and excess kurtosis
falling from about 18 to under 3.

With a ``paper`` parameter (the replication config), the figures of the first period (the paper's) become
scoreboard rows (:mod:`experiments.analyses.scoreboard`): ``sharpe_plain``, ``sharpe_scaled``,
``gain_scaled_vs_plain``, ``excess_kurtosis_plain``, ``excess_kurtosis_scaled``, and beyond the paper the
Ledoit-Wolf p-value of scaled against plain (``sharpe_diff_p``) and the scaled series' DSR (``dsr_scaled``).
Every period also gets the
framework's statistics of scaled against plain: PSR, DSR (the two series as trials), stationary-bootstrap
Sharpe intervals and the Ledoit-Wolf bootstrap test of equal Sharpe ratios (and its HAC version).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation import metrics
from allocation.evaluation import strategy_statistics
from allocation.risk import trailing_vol
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
from experiments.tables import html_table, markdown_table
from plumbing.errors import FactorRegimesError

STUDY = "barroso_santa_clara_2015"
#: Scoreboard figures, computed over the first period.
FIGURES = ["sharpe_plain", "sharpe_scaled", "gain_scaled_vs_plain", "excess_kurtosis_plain", "excess_kurtosis_scaled",
           "sharpe_diff_p", "dsr_scaled"]
#: Figures that are the framework's statistics (beyond the paper): no data-vintage gap applies to them.
STATISTIC_FIGURES = ("sharpe_diff_p", "dsr_scaled")
GAP = ("the paper's momentum is its own decile series; here it is the Ken French UMD (2x3 sort, 2025-revised), "
       "its volatility estimated from the daily UMD factor, which is formed daily")
STAT_COLUMNS = ["psr", "dsr", "sharpe_ci_low", "sharpe_ci_high", "sharpe_diff", "sharpe_diff_p", "sharpe_diff_block",
                "sharpe_diff_p_hac"]
PUBLISHED = {"period": "1927-03..2011-12", "sharpe_plain": 0.53, "sharpe_scaled": 0.97,
             "excess_kurtosis_plain": 18.24, "excess_kurtosis_scaled": 2.68}


def scaled_momentum(umd_monthly: pd.Series, umd_daily: pd.Series, target_vol: float = 0.12,
                    window_days: int = 126, max_leverage: float | None = None) -> pd.DataFrame:
    """Plain and volatility-scaled UMD, monthly.

    Returns
    -------
    pandas.DataFrame
        Indexed by month end t: ``sigma`` (known at t), ``weight`` (chosen at t),
        and ``plain``, ``scaled`` returns of month t (the weight chosen at t-1).
    """
    months = umd_monthly.index
    vol = trailing_vol(months, umd_monthly.to_frame("UMD"), daily=umd_daily.to_frame("UMD"),
                       window_days=window_days, min_fraction=1.0)["UMD"]
    # only daily-based estimates (no monthly fallback): NaN where 126 daily returns are not available
    daily_end = umd_daily.dropna().index
    first_ok = daily_end[window_days - 1] if len(daily_end) >= window_days else None
    vol = vol.where(vol.index >= first_ok) if first_ok is not None else vol * np.nan
    weight = target_vol / vol
    if max_leverage is not None:
        weight = weight.clip(upper=max_leverage)
    out = pd.DataFrame({"sigma": vol, "weight": weight, "plain": umd_monthly})
    out["scaled"] = out["weight"].shift(1) * out["plain"]
    return out


def _row(r: pd.Series) -> dict[str, float]:
    r = r.dropna()
    return {"sharpe": metrics.sharpe(r), "ann_return": metrics.ann_return(r), "ann_vol": metrics.ann_vol(r),
            "skew": metrics.skewness(r), "excess_kurtosis": metrics.excess_kurtosis(r),
            "worst_month": float(r.min()), "worst_month_date": r.idxmin().date().isoformat(), "n_months": len(r)}


def period_figures(stats: dict) -> dict[str, float]:
    """The scoreboard figures of one period's ``{"plain": row, "scaled": row, "statistics": ...}`` (:data:`FIGURES`)."""
    scaled = stats.get("statistics", {}).get("scaled", {})
    return {"sharpe_diff_p": scaled.get("sharpe_diff_p"), "dsr_scaled": scaled.get("dsr"),
            "sharpe_plain": stats["plain"]["sharpe"], "sharpe_scaled": stats["scaled"]["sharpe"],
            "gain_scaled_vs_plain": stats["scaled"]["sharpe"] - stats["plain"]["sharpe"],
            "excess_kurtosis_plain": stats["plain"]["excess_kurtosis"],
            "excess_kurtosis_scaled": stats["scaled"]["excess_kurtosis"]}


def _statistics(both: pd.DataFrame, reps: int, seed: int) -> dict:
    table = strategy_statistics(both, {"scaled": "plain"}, bootstrap_reps=reps, seed=seed)
    return {name: {k: (None if pd.isna(row.get(k)) else float(row[k])) for k in STAT_COLUMNS if k in row}
            for name, row in table.to_dict(orient="index").items()}


def vol_managed_momentum(ctx: AnalysisContext, periods: list[list[str]] | None = None, target_vol: float = 0.12,
                         window_days: int = 126, max_leverage: float | None = None, paper: dict | None = None,
                         bootstrap_reps: int | None = None) -> AnalysisOutput:
    """Plain against volatility-scaled momentum over each period (see module docstring).

    ``paper`` (``{source, figures: {figure: {paper, band, why}}}``) adds scoreboard rows for the first period;
    ``bootstrap_reps`` defaults to the config's ``evaluation.bootstrap_reps``.
    """
    periods = periods or [["1927-03", "2011-12"], ["2000-01", "2024-12"]]
    bands = check_paper_spec(STUDY, paper, figures=FIGURES) if paper is not None else {}
    ev = ctx.config.get("evaluation", {})
    reps = int(ev.get("bootstrap_reps", 1000) if bootstrap_reps is None else bootstrap_reps)
    seed = int(ev.get("seed", 0))
    daily = ctx.daily_panel(start=None)
    umd_m = ctx.panel.frame["UMD"].dropna()
    series = scaled_momentum(umd_m, daily.frame["UMD"].dropna(), target_vol, window_days, max_leverage)
    rows, data = [], {"published": PUBLISHED, "target_vol": target_vol, "window_days": window_days, "periods": {}}
    for start, end in periods:
        window = series.loc[start:end].dropna(subset=["scaled"])
        if window.empty:
            raise FactorRegimesError(f"vol_managed_momentum: no months with scaled returns in {start}..{end}")
        both = window[["plain", "scaled"]]
        key = f"{window.index[0].strftime('%Y-%m')}..{window.index[-1].strftime('%Y-%m')}"
        data["periods"][key] = {"plain": _row(both["plain"]), "scaled": _row(both["scaled"]),
                                "mean_weight": float(window["weight"].shift(1).mean()),
                                "statistics": _statistics(both, reps, seed)}
        for kind in ("plain", "scaled"):
            rows.append({"period": key, "series": kind, **_row(both[kind])})
    table = pd.DataFrame(rows).set_index(["period", "series"])
    stats_table = pd.DataFrame({(k, s): v for k, p in data["periods"].items() for s, v in p["statistics"].items()}).T
    stats_table.index.names = ["period", "series"]
    first = next(iter(data["periods"].values()))
    scoreboard = scoreboard_rows(STUDY, bands, period_figures(first), gaps={k: GAP for k in bands if k not in STATISTIC_FIGURES})
    data["scoreboard"] = scoreboard
    data["paper_source"] = (paper or {}).get("source")
    fig = _figure(series, periods)
    tables = {"vol_managed_momentum": table, "vol_managed_series": series, "vol_managed_statistics": stats_table}
    if bands:
        tables["vol_managed_scoreboard"] = scoreboard_frame(scoreboard)
    return AnalysisOutput(name="vol_managed_momentum", title=REPORT.title, tables=tables,
                          data=data, figures={"vol_managed_momentum": fig}, json_name=REPORT.json_name)


def section(out: AnalysisResult) -> str:
    """The report section, from the period table and the JSON data."""
    data = out.data
    pub = data["published"]
    return (f"<p>UMD scaled to a {data['target_vol']:.0%} annual volatility target by the realized volatility of "
            f"the previous {data['window_days']} daily momentum returns (Barroso &amp; Santa-Clara 2015). Weights are "
            "chosen at each month end from daily returns up to that day and earn the next month's return.</p>"
            + html_table(out.tables["vol_managed_momentum"], digits=3)
            + f"<p>Published (their momentum series, {pub['period']}): Sharpe {pub['sharpe_plain']} plain "
              f"against {pub['sharpe_scaled']} scaled; excess kurtosis {pub['excess_kurtosis_plain']} "
              f"against {pub['excess_kurtosis_scaled']}. Gaps come from the data: the Ken French momentum "
              "factor here is the 2025-revised vintage, not the paper's own decile-based series, and the daily "
              "momentum factor used for the volatility estimate is formed daily (see PROVENANCE).</p>"
            + _statistics_html(out))


def _statistics_html(out: AnalysisResult) -> str:
    """The framework's statistics of scaled against plain momentum, their verdict, and the scoreboard."""
    stats_table = out.tables.get("vol_managed_statistics")
    if stats_table is None or not len(stats_table):
        return ""
    text = ("<p>The framework's statistics of scaled against plain momentum in each period: PSR, DSR, "
            "stationary-bootstrap Sharpe interval, Ledoit-Wolf bootstrap test of equal Sharpe ratios "
            "(<code>sharpe_diff_p</code>) and its HAC version.</p>" + html_table(stats_table, digits=3)
            + sharpe_verdict(stats_table, "scaled", "plain"))
    board = out.data.get("scoreboard") or []
    if board:
        text += scoreboard_html(board, out.data.get("paper_source") or "the paper", blind=False)
    return text


def readme(out: AnalysisResult, run_name: str) -> str:
    """The README block: each period's Sharpe, kurtosis and worst month, plain and scaled, beside the paper's."""
    data = out.data
    pub = data["published"]
    rows = [{"period": f"{pub['period']} (paper)", "Sharpe plain": pub["sharpe_plain"],
             "Sharpe scaled": pub["sharpe_scaled"], "excess kurtosis plain": pub["excess_kurtosis_plain"],
             "excess kurtosis scaled": pub["excess_kurtosis_scaled"], "worst month plain": None,
             "worst month scaled": None}]
    for period, s in data["periods"].items():
        rows.append({"period": period, "Sharpe plain": s["plain"]["sharpe"], "Sharpe scaled": s["scaled"]["sharpe"],
                     "excess kurtosis plain": s["plain"]["excess_kurtosis"],
                     "excess kurtosis scaled": s["scaled"]["excess_kurtosis"],
                     "worst month plain": s["plain"]["worst_month"], "worst month scaled": s["scaled"]["worst_month"]})
    table = pd.DataFrame(rows).set_index("period")
    return ("**Volatility-managed momentum** (Barroso & Santa-Clara 2015; `" + run_name + "`):\n\n"
            + markdown_table(table, digits=3) +
            "\n\nGap: the paper's momentum is its own series; here it is the Ken French UMD (2025 vintage), with "
            "volatility estimated from the daily UMD factor, which is formed daily.")


def _figure(series: pd.DataFrame, periods):
    import matplotlib.pyplot as plt

    from experiments.figures.style import WIDTH, date_axis, log_price_axis, style
    with style():
        fig, axes = plt.subplots(1, len(periods), figsize=(WIDTH, 4.0), squeeze=False)
        for ax, (start, end) in zip(axes[0], periods):
            w = series.loc[start:end].dropna(subset=["scaled"])
            ax.plot(metrics.growth(w["plain"]), color="black", lw=1.1, label="UMD")
            ax.plot(metrics.growth(w["scaled"]), color="#c0392b", lw=1.1, label="UMD, volatility-scaled")
            log_price_axis(ax)
            ax.set_title(f"{start} to {end}")
            ax.legend(loc="upper left")
            date_axis(ax)
        axes[0, 0].set_ylabel("growth of 1 (log scale)")
    return fig


REPORT = AnalysisReport(title="Volatility-managed momentum",
                        tables={"vol_managed_momentum": 2, "vol_managed_series": 1, "vol_managed_statistics": 2,
                                "vol_managed_scoreboard": 0},
                        json_name="vol_managed_momentum.json", figures=("vol_managed_momentum",),
                        section=section, readme=readme)
