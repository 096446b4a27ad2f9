"""Momentum crashes: Daniel & Moskowitz (2016), the dynamic strategy against constant volatility and plain WML.

The model is in :mod:`experiments.analyses.dm_model`. Data: WML is the Ken French momentum factor (monthly
file for returns, daily file for the GJR-GARCH fit and realized volatilities); the market is Mkt-RF + RF
from the Fama-French files. The paper uses its own value-weighted decile WML (1927:01-2013:03), so levels
differ; the ordering of the three strategies and the size of the dynamic strategy's gain over constant
volatility are the figures that carry over. The sample here starts when every input exists (the bear
indicator needs 24 months of market returns from 1926-07, so the first month earned is 1928-07).

Two versions are reported separately: in-sample (every model fit on the full sample, as the paper's
headline; it uses future data) and out-of-sample (expanding window; see :func:`dm_model.out_of_sample`).
Beside the paper's figures, each version gets the framework's statistics: PSR, DSR (the three series as
trials), stationary-bootstrap Sharpe intervals and the Ledoit-Wolf bootstrap test of equal Sharpe ratios
against plain WML, and the same test of dynamic against constant volatility (the gain).
"""

from __future__ import annotations

import pandas as pd

from allocation import metrics
from allocation.evaluation import strategy_statistics
from allocation.stats import sharpe_difference_bootstrap
from experiments.analyses import dm_model
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
)
from experiments.tables import html_table
from plumbing.errors import FactorRegimesError

STUDY = "daniel_moskowitz_2016"
BASE = ["sharpe_dynamic", "sharpe_cvol", "sharpe_wml", "gain_dynamic_vs_cvol", "ordering"]
#: Beyond the paper: the Ledoit-Wolf bootstrap p-value of dynamic against constant volatility (the gain).
STATISTIC_FIGURES = ("gain_p_value", "gain_p_value_oos")
FIGURES = BASE + [f"{f}_oos" for f in BASE] + list(STATISTIC_FIGURES)
GAP = ("the paper's WML is its own value-weighted decile spread (CRSP, 1927:01-2013:03); here it is the Ken "
       "French 2x3 momentum factor (2025-revised), from 1928-07")


def headline(frame: pd.DataFrame) -> dict[str, float]:
    """Sharpe ratios of the three series, the gain of dynamic over constant volatility, and the ordering flag."""
    s = {k: metrics.sharpe(frame[k]) for k in ("dynamic", "cvol", "wml")}
    return {"sharpe_dynamic": s["dynamic"], "sharpe_cvol": s["cvol"], "sharpe_wml": s["wml"],
            "gain_dynamic_vs_cvol": s["dynamic"] - s["cvol"],
            "ordering": float(s["dynamic"] > s["cvol"] > s["wml"])}


def statistics(frame: pd.DataFrame, reps: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """The framework's statistics of the three series (against plain WML) and the test of the gain."""
    returns = frame[["wml", "cvol", "dynamic"]]
    table = strategy_statistics(returns, {"cvol": "wml", "dynamic": "wml"}, bootstrap_reps=reps, seed=seed)
    cols = [c for c in ["sharpe", "ann_return", "ann_vol", "max_drawdown", "skew", "excess_kurtosis", "psr", "dsr",
                        "sharpe_ci_low", "sharpe_ci_high", "sharpe_diff_p", "sharpe_diff_p_hac", "alpha_static",
                        "alpha_static_t"] if c in table]
    gain = sharpe_difference_bootstrap(frame["dynamic"], frame["cvol"], reps=max(reps, 1), seed=seed)
    return table[cols], {"diff_per_month": gain["diff"], "p_value": gain["p_value"], "block": gain["block"],
                         "reps": gain["reps"]}


def daniel_moskowitz_2016(ctx: AnalysisContext, end: str = "2013-03", target_vol: float = 0.19,
                          oos_start: str = "1940-01", refit_months: int = 12, paper: dict | None = None,
                          bootstrap_reps: int | None = None) -> AnalysisOutput:
    """Daniel & Moskowitz (2016) dynamic momentum, in-sample and out-of-sample, with scoreboard rows."""
    bands = check_paper_spec(STUDY, paper, figures=FIGURES)
    if not 0 < target_vol < 2 or int(refit_months) < 1:
        raise FactorRegimesError(f"{STUDY}: target_vol must be in (0, 2) and refit_months >= 1")
    ev = ctx.config.get("evaluation", {})
    reps = int(ev.get("bootstrap_reps", 1000) if bootstrap_reps is None else bootstrap_reps)
    seed = int(ev.get("seed", 0))
    end_ts = pd.Period(end, "M").to_timestamp(how="end").normalize()
    monthly = ctx.panel.frame
    if monthly.index[-1] < end_ts or "UMD" not in monthly:
        raise FactorRegimesError(f"{STUDY}: the monthly panel ends {monthly.index[-1]:%Y-%m}, before {end}")
    daily = ctx.daily_panel().frame
    daily = daily[daily["Mkt-RF"].notna()]  # the Fama-French trading calendar
    if daily.index[-1] < end_ts:
        raise FactorRegimesError(f"{STUDY}: the daily factors end {daily.index[-1]:%Y-%m-%d}, before {end}")
    x = dm_model.build_inputs(monthly["UMD"], daily["UMD"], monthly["Mkt-RF"] + monthly["RF"],
                              daily["Mkt-RF"] + daily["RF"], end_ts)
    ins, ins_info = dm_model.in_sample(x, target_vol)
    oos, oos_info = dm_model.out_of_sample(x, oos_start, target_vol, int(refit_months))
    values = headline(ins)
    values.update({f"{k}_oos": v for k, v in headline(oos).items()})
    ins_stats, ins_gain = statistics(ins, reps, seed)
    oos_stats, oos_gain = statistics(oos, reps, seed)
    values.update({"gain_p_value": ins_gain["p_value"], "gain_p_value_oos": oos_gain["p_value"]})
    rows = scoreboard_rows(STUDY, bands, values, gaps={k: GAP for k in bands if k not in STATISTIC_FIGURES})
    summary = pd.DataFrame({"in_sample": headline(ins), "out_of_sample": headline(oos)}).T
    summary["first_month"] = [f"{ins.index[0]:%Y-%m}", f"{oos.index[0]:%Y-%m}"]
    summary["last_month"] = [f"{ins.index[-1]:%Y-%m}", f"{oos.index[-1]:%Y-%m}"]
    summary["months"] = [len(ins), len(oos)]
    summary["gain_p_value"] = [ins_gain["p_value"], oos_gain["p_value"]]
    stats_table = pd.concat({"in_sample": ins_stats, "out_of_sample": oos_stats}, names=["version", "strategy"])
    forecasts = oos_info.pop("forecasts")
    data = {"study": STUDY, "paper_source": (paper or {}).get("source"), "target_vol": target_vol,
            "in_sample": {**headline(ins), "window": [f"{ins.index[0]:%Y-%m}", f"{ins.index[-1]:%Y-%m}"],
                          "gain_test": ins_gain, "models": ins_info},
            "out_of_sample": {**headline(oos), "window": [f"{oos.index[0]:%Y-%m}", f"{oos.index[-1]:%Y-%m}"],
                              "gain_test": oos_gain, "refit_months": int(refit_months),
                              **oos_info},
            "statistics": {v: {k: {c: (None if pd.isna(x) else float(x)) for c, x in row.items()}
                               for k, row in t.to_dict(orient="index").items()}
                           for v, t in (("in_sample", ins_stats), ("out_of_sample", oos_stats))},
            "scoreboard": rows, "method": __doc__.strip() + "\n\n" + dm_model.__doc__.strip()}
    series = pd.concat({"in_sample": ins, "out_of_sample": oos}, axis=1)
    series.columns = [f"{a}:{b}" for a, b in series.columns]
    return AnalysisOutput(name=STUDY, title=REPORT.title,
                          tables={STUDY: summary, f"{STUDY}_statistics": stats_table,
                                  f"{STUDY}_scoreboard": scoreboard_frame(rows), f"{STUDY}_series": series,
                                  f"{STUDY}_oos_forecasts": forecasts},
                          data=data, json_name=REPORT.json_name)


def section(out: AnalysisResult) -> str:
    """The report section, from the analysis's tables and JSON data."""
    data = out.data
    return _html(out.tables[STUDY], out.tables[f"{STUDY}_statistics"], data["scoreboard"],
                 data.get("paper_source") or "the paper", data["in_sample"]["models"], data["target_vol"],
                 int(data["out_of_sample"]["refit_months"]))


def _html(summary, stats_table, rows, source, ins_info, target_vol, refit_months) -> str:
    mean, var = ins_info["mean_regression"], ins_info["variance_regression"]
    return "".join([
        "<p>WML weighted by its forecast mean over its forecast variance (dynamic), by the inverse of its "
        "forecast volatility (constant volatility), and unweighted; both scaled to a "
        f"{target_vol:.0%} annual volatility by one constant each. In-sample: every model fit on the full sample "
        "(the paper's headline; uses future data). Out-of-sample: expanding window, GJR-GARCH and the variance "
        f"regression refit every {refit_months} months, the mean regression every month.</p>",
        html_table(summary, digits=3),
        f"<p>In-sample mean regression: WML<sub>t+1</sub> = {mean['coef']['const']:.4f} "
        f"{mean['coef']['interaction']:+.4f} I<sub>B,t</sub> &sigma;<sup>2</sup><sub>m,t</sub> "
        f"(t = {mean['t']['interaction']:.2f}, n = {mean['n']}). Variance regression: "
        f"&sigma;<sub>22,t+1</sub> = {var['coef']['const']:.5f} {var['coef']['garch']:+.3f} &sigma;<sub>GJR,t</sub>"
        f" {var['coef']['rv126']:+.3f} &sigma;<sub>126,t</sub> (R<sup>2</sup> = {var['r2']:.3f}).</p>",
        "<p>The framework's statistics (PSR, DSR, bootstrap Sharpe interval, Ledoit-Wolf bootstrap test against "
        "plain WML; <code>gain_p_value</code> above tests dynamic against constant volatility):</p>",
        html_table(stats_table, digits=3), _verdict(summary), scoreboard_html(rows, source),
        f"<p>Gap common to every figure: {GAP}.</p>"])


def _verdict(summary: pd.DataFrame) -> str:
    """One generated sentence per version: does the dynamic strategy's gain survive the Ledoit-Wolf test?"""
    parts = []
    for version, row in summary.iterrows():
        verdict = "significant at 5 %" if row["gain_p_value"] < 0.05 else "not significant at 5 %"
        parts.append(f"{version.replace('_', '-')} ({row['first_month']}..{row['last_month']}): Sharpe "
                     f"{row['sharpe_dynamic']:.3f} dynamic against {row['sharpe_cvol']:.3f} constant volatility "
                     f"and {row['sharpe_wml']:.3f} plain, a gain of {row['gain_dynamic_vs_cvol']:+.3f} "
                     f"(Ledoit-Wolf bootstrap p = {row['gain_p_value']:.3f}, {verdict})")
    return "<p>" + "; ".join(parts) + ".</p>"


REPORT = AnalysisReport(title="Momentum crashes: dynamic momentum (Daniel & Moskowitz 2016)",
                        tables={STUDY: 1, f"{STUDY}_statistics": 2, f"{STUDY}_scoreboard": 1, f"{STUDY}_series": 1,
                                f"{STUDY}_oos_forecasts": 1},
                        json_name=f"{STUDY}.json", section=section)
