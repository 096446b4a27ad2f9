"""Daily 0/1 timing of the S&P 500: Shu, Yu & Mulvey (2024), jump model against HMM and buy-and-hold.

The strategies are the run's own (the comparison of the config: ``regime_switch`` on the target, one per
detector, 10 bp, one-day delay, cash at RF): this analysis adds no backtest. It reads, on the run's common
window (every strategy live):

* the excess returns (``StudyResult.returns``: net returns minus RF) for Sharpe ratios and tests;
* each strategy's net total returns (``BacktestResult.returns``) for the maximum drawdown, the annual
  return and the CAGR, as the paper reports them (a drawdown of wealth, not of excess wealth);
* each strategy's one-way turnover ``sum |w_t - w_t-drifted|`` at the decision dates whose holding period
  ends in the window, summed per year (mean per decision date times the periods per year);
* the jump penalty chosen at each refit (``RegimePath.info["selected"]`` of the tuned detector).

Buy-and-hold is the run's static strategy on the target (weight 1 from the first decision, one entry cost).
Figures: ``sharpe_jm``, ``sharpe_hmm``, ``sharpe_buy_hold``, ``max_drawdown_jm``, ``max_drawdown_buy_hold``,
``turnover_jm``, ``turnover_hmm``, the paper's claims as differences (``gain_jm_vs_buy_hold``,
``gain_jm_vs_hmm``: Sharpe differences; ``drawdown_gain_jm``: JM drawdown minus buy-and-hold's), and the
framework's statistics: Ledoit-Wolf bootstrap p-values of equal Sharpe ratios (JM against buy-and-hold and
against the HMM) and the JM strategy's deflated Sharpe ratio (the three series as trials).
"""

from __future__ import annotations

import pandas as pd

from allocation import metrics
from allocation.evaluation import strategy_statistics
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
from experiments.strategy_key import STATIC
from experiments.tables import html_table
from plumbing.errors import FactorRegimesError

STUDY = "shu_yu_mulvey_2024"
FIGURES = ["sharpe_jm", "sharpe_hmm", "sharpe_buy_hold", "max_drawdown_jm", "max_drawdown_buy_hold",
           "turnover_jm", "turnover_hmm", "gain_jm_vs_buy_hold", "gain_jm_vs_hmm", "drawdown_gain_jm",
           "sharpe_diff_p_jm_vs_buy_hold", "sharpe_diff_p_jm_vs_hmm", "dsr_jm"]
#: The framework's statistics (beyond the paper): no data gap applies to them.
STATISTIC_FIGURES = ("sharpe_diff_p", "dsr_")
#: Series names in the tables, in order.
SERIES = ("buy_hold", "jm", "hmm")
DATA_GAP = ("the S&P 500 here is the price index (no dividends, about 2 % a year less than the paper's total "
            "return index); the models refit yearly on a rolling 11-year window with a penalty grid and "
            "validation folds of this framework, not the paper's schedule")


def check_params(params: dict) -> None:
    """The ``paper`` block is checked before the run (names, bands, justifications)."""
    check_paper_spec(STUDY, params.get("paper"), figures=FIGURES)


def _strategy(result, target: str, allocator: str, detector: str | None) -> str:
    found = [label for label, key in result.keys.items()
             if key.assets == (target,) and key.allocator == allocator and key.detector == detector]
    if len(found) != 1:
        what = f"{allocator} on {target}" + (f" with detector {detector!r}" if detector else "")
        raise FactorRegimesError(f"{STUDY}: the run has {len(found)} strategies {what} (need exactly one; "
                                 f"strategies: {', '.join(result.keys)})")
    return found[0]


def selected_penalties(path) -> pd.DataFrame:
    """Refit date -> the chosen candidate's parameters and each candidate's validation score (from
    ``RegimePath.info["selected"]``); empty when the detector chose nothing."""
    rows = {}
    for date, choice in ((path.info or {}).get("selected") or {}).items():
        row = {f"chosen_{k}": v for k, v in (choice.get("params") or {}).items()}
        for cand in choice.get("candidates") or []:
            label = ",".join(f"{k}={v}" for k, v in (cand.get("params") or {}).items())
            row[f"score[{label}]"] = cand.get("score")
        rows[pd.Timestamp(date)] = row
    frame = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    frame.index.name = "refit"
    return frame


def timing_figures(excess: pd.DataFrame, total: pd.DataFrame, turnover: dict[str, float], ppy: int) -> pd.DataFrame:
    """Per series (rows :data:`SERIES`): Sharpe ratio (excess returns), annual return, CAGR, volatility and
    maximum drawdown (net total returns) and annual one-way turnover (for 0/1 timing: switches a year).

    ``excess`` and ``total``: shape ``(n_days, 3)``, columns :data:`SERIES`; ``turnover``: mean one-way
    turnover per decision date of each series.
    """
    rows = {}
    for name in SERIES:
        rows[name] = {"sharpe": metrics.sharpe(excess[name], ppy), "ann_return": metrics.ann_return(total[name], ppy),
                      "cagr": metrics.cagr(total[name], ppy), "ann_vol": metrics.ann_vol(total[name], ppy),
                      "max_drawdown": metrics.max_drawdown(total[name]), "turnover": turnover[name] * ppy}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "series"
    return table


def shu_yu_mulvey_2024(ctx: AnalysisContext, target: str = "sp500_ret", jm: str = "jm", hmm: str = "hmm",
                       paper: dict | None = None, bootstrap_reps: int | None = None) -> AnalysisOutput:
    """Shu, Yu & Mulvey (2024) on the run's strategies, with scoreboard rows (see module docstring)."""
    bands = check_paper_spec(STUDY, paper, figures=FIGURES)
    result = ctx.result
    if result is None:
        raise FactorRegimesError(f"{STUDY}: needs the run's strategy comparison (remove 'comparison: false')")
    labels = {"buy_hold": _strategy(result, target, STATIC, None),
              "jm": _strategy(result, target, "regime_switch", jm),
              "hmm": _strategy(result, target, "regime_switch", hmm)}
    ppy = result.panel.periods_per_year
    excess = result.returns[[labels[s] for s in SERIES]].set_axis(list(SERIES), axis=1)
    total = pd.DataFrame({s: result.backtests[labels[s]].returns.reindex(excess.index) for s in SERIES})
    if total.isna().any().any():
        raise FactorRegimesError(f"{STUDY}: a strategy has no net return on a day of the common window")
    turnover = {s: float(result.metrics.loc[labels[s], "turnover"]) for s in SERIES}
    table = timing_figures(excess, total, turnover, ppy)
    ev = ctx.config.get("evaluation", {})
    reps = int(ev.get("bootstrap_reps", 1000) if bootstrap_reps is None else bootstrap_reps)
    seed = int(ev.get("seed", 0))
    vs_hold = strategy_statistics(excess, {"jm": "buy_hold", "hmm": "buy_hold"}, periods_per_year=ppy,
                                  bootstrap_reps=reps, seed=seed)
    vs_hmm = strategy_statistics(excess[["hmm", "jm"]], {"jm": "hmm"}, periods_per_year=ppy,
                                 bootstrap_reps=reps, seed=seed)
    keep = ["sharpe", "psr", "dsr", "sharpe_ci_low", "sharpe_ci_high", "sharpe_diff", "sharpe_diff_p",
            "sharpe_diff_block", "sharpe_diff_p_hac"]
    stats_table = pd.concat({"against buy_hold": vs_hold.reindex(columns=keep),
                             "jm against hmm": vs_hmm.loc[["jm"]].reindex(columns=keep)})
    stats_table.index.names = ["comparison", "series"]
    values = {"sharpe_jm": table.loc["jm", "sharpe"], "sharpe_hmm": table.loc["hmm", "sharpe"],
              "sharpe_buy_hold": table.loc["buy_hold", "sharpe"],
              "max_drawdown_jm": table.loc["jm", "max_drawdown"],
              "max_drawdown_buy_hold": table.loc["buy_hold", "max_drawdown"],
              "turnover_jm": table.loc["jm", "turnover"], "turnover_hmm": table.loc["hmm", "turnover"],
              "gain_jm_vs_buy_hold": table.loc["jm", "sharpe"] - table.loc["buy_hold", "sharpe"],
              "gain_jm_vs_hmm": table.loc["jm", "sharpe"] - table.loc["hmm", "sharpe"],
              "drawdown_gain_jm": table.loc["jm", "max_drawdown"] - table.loc["buy_hold", "max_drawdown"],
              "sharpe_diff_p_jm_vs_buy_hold": vs_hold.loc["jm"].get("sharpe_diff_p"),
              "sharpe_diff_p_jm_vs_hmm": vs_hmm.loc["jm"].get("sharpe_diff_p"),
              "dsr_jm": vs_hold.loc["jm", "dsr"]}
    values = {k: None if v is None or pd.isna(v) else float(v) for k, v in values.items()}
    penalties = selected_penalties(result.regimes[jm]) if jm in result.regimes else pd.DataFrame()
    gaps = {name: DATA_GAP for name in bands if not name.startswith(STATISTIC_FIGURES)}
    chosen = [c for c in penalties.columns if c.startswith("chosen_")]
    if chosen:
        picks = penalties[chosen[0]].dropna()
        note = (f"; the in-fold {chosen[0][len('chosen_'):]} changed across the {len(picks)} refits "
                f"({', '.join(f'{v:g}' for v in sorted(set(picks)))}), and the model's switching with it")
        for name in [n for n in gaps if n.endswith("_jm") or "_jm_" in n]:
            gaps[name] += note
    rows = scoreboard_rows(STUDY, bands, values, gaps=gaps)
    data = {"study": STUDY, "paper_source": paper.get("source"), "window": [f"{excess.index[0]:%Y-%m-%d}",
                                                                           f"{excess.index[-1]:%Y-%m-%d}"],
            "days": int(len(excess)), "strategies": labels, "figures": values, "scoreboard": rows,
            "data_gap": DATA_GAP, "method": __doc__.strip()}
    series = pd.concat({"excess": excess, "total": total}, axis=1)
    series.columns = [f"{a}:{b}" for a, b in series.columns]
    tables = {STUDY: table, f"{STUDY}_statistics": stats_table, f"{STUDY}_scoreboard": scoreboard_frame(rows),
              f"{STUDY}_series": series}
    if not penalties.empty:
        tables[f"{STUDY}_penalties"] = penalties
    return AnalysisOutput(name=STUDY, title=REPORT.title, tables=tables, data=data, json_name=REPORT.json_name)


def section(out: AnalysisResult) -> str:
    """The report section, from the analysis's tables and JSON data alone."""
    data = out.data
    table, stats_table = out.tables[STUDY], out.tables[f"{STUDY}_statistics"]
    parts = [f"<p>0/1 timing of the S&amp;P 500 on {data['days']:,} trading days {data['window'][0]}..{data['window'][1]}: "
             "in the index while the detector says risk-on at the close of t, else cash at RF; 10 bp per one-way "
             "turnover; one-day delay. Sharpe ratios on returns in excess of RF; annual return, CAGR, volatility "
             "and maximum drawdown on net total returns; turnover one-way per year. Strategies: "
             + ", ".join(f"{k} = <code>{v}</code>" for k, v in data["strategies"].items()) + ".</p>",
             html_table(table, digits=3),
             "<p>The framework's statistics: PSR and DSR (the three series as trials), stationary-bootstrap Sharpe "
             "interval, Ledoit-Wolf bootstrap test of equal Sharpe ratios (<code>sharpe_diff_p</code>) and its "
             "HAC version, against buy-and-hold and JM against HMM.</p>", html_table(stats_table, digits=3),
             _verdict(stats_table), scoreboard_html(data["scoreboard"], data.get("paper_source") or "the paper")]
    penalties = out.tables.get(f"{STUDY}_penalties")
    if penalties is not None and not penalties.empty:
        parts += ["<p>Jump penalty chosen at each yearly refit by time-series validation of the strategy's Sharpe "
                  "ratio inside the training window (per-period validation Sharpe of each candidate).</p>",
                  html_table(penalties, digits=3)]
    parts.append(f"<p>Gap common to the paper's figures: {data['data_gap']}.</p>")
    return "".join(parts)


def _verdict(stats_table: pd.DataFrame) -> str:
    """One generated clause per comparison: is the Sharpe difference significant (Ledoit-Wolf bootstrap)?"""
    parts = []
    for (comparison, name), row in stats_table.iterrows():
        p = row.get("sharpe_diff_p")
        if p is None or pd.isna(p) or name == "buy_hold":
            continue
        sign = "higher" if row["sharpe_diff"] > 0 else "lower"
        other = "buy-and-hold" if comparison == "against buy_hold" else "the HMM"
        parts.append(f"{name} Sharpe {sign} than {other} (p = {p:.3f}{', significant at 5 %' if p < 0.05 else ''})")
    return "<p>Ledoit-Wolf bootstrap test of equal Sharpe ratios: " + "; ".join(parts) + ".</p>" if parts else ""


REPORT = AnalysisReport(title="Jump model against HMM, S&P 500 0/1 timing (Shu, Yu & Mulvey 2024)",
                        tables={STUDY: 1, f"{STUDY}_statistics": 2, f"{STUDY}_scoreboard": 1, f"{STUDY}_series": 1,
                                f"{STUDY}_penalties": 1},
                        json_name=f"{STUDY}.json", section=section, check=check_params)

__all__ = ["STUDY", "FIGURES", "REPORT", "check_params", "selected_penalties", "shu_yu_mulvey_2024",
           "timing_figures", "section"]
