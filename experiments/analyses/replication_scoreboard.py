"""Scoreboard rows and the framework's statistics for the Aliyev (2025) replication.

Figures: the as-published block (:data:`experiments.analyses.replication.FIGURES`, each against the paper's
table) and, for every other protocol ``v``, ``gain_<v>`` = its dynamic Sharpe minus its static Sharpe (the
paper's claim is that this gain is positive; ``@`` in a walk-forward label becomes ``_``). Statistics, for the
as-published backtest (labelled in-sample), the test months and every walk-forward variant: PSR, DSR (dynamic
and static as the trials), stationary-bootstrap Sharpe intervals and the Ledoit-Wolf bootstrap test of equal
Sharpe ratios, dynamic against static (and its HAC version).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from allocation.evaluation import strategy_statistics
from experiments.analyses.scoreboard import (
    check_paper_spec,
    scoreboard_frame,
    scoreboard_html,
    scoreboard_rows,
    sharpe_verdict,
)
from experiments.tables import html_table

STUDY = "aliyev_2025"
AS_PUBLISHED = ["r2_alpha1", "rmse_alpha1", "best_alpha", "r2_best", "rmse_best",
                "sharpe_dynamic", "sharpe_static", "mean_dynamic", "mean_static"]
#: Backtests whose Ledoit-Wolf p-value (dynamic against static) can be banded: ``sharpe_diff_p_<backtest>``.
P_VALUE_BACKTESTS = ["as_published", "test_only_alpha1", "walk_forward_ridge"]
VARIANTS = ["in_sample_best_alpha", "test_only_alpha1", "test_only_best_alpha", "as_published_299_rows",
            "walk_forward_ridge"]
GAP = ("the Ken French library revised its whole momentum history in 2025; the paper used an earlier vintage "
       "(the run's report measures the HML revision and explains the rest)")
GAIN_GAP = ("timing did not beat holding UMD under this protocol; the as-published gain trades on predictions "
            "for the model's own training months")
STAT_COLUMNS = ["sharpe", "psr", "dsr", "sharpe_ci_low", "sharpe_ci_high", "sharpe_diff", "sharpe_diff_p",
                "sharpe_diff_p_hac"]
SERIES_LABELS = {"as_published": "as published (in-sample, every row)", "test_only_alpha1": "test months, alpha=1"}

__all__ = ["STUDY", "check_bands", "figure_names", "rows", "statistics", "statistics_data", "html",
           "scoreboard_frame"]


def _gain_name(variant: str) -> str:
    return "gain_" + variant.replace("@", "_")


def figure_names(detectors: list[str]) -> list[str]:
    """Every figure the study can put on the scoreboard, given its walk-forward detectors."""
    variants = VARIANTS + [f"walk_forward_regime_conditioned@{d}" for d in detectors]
    return (AS_PUBLISHED + [_gain_name(v) for v in variants]
            + [f"sharpe_diff_p_{b}" for b in P_VALUE_BACKTESTS + variants[len(VARIANTS):]])


def check_bands(paper: dict | None, detectors: list[str]) -> dict[str, dict]:
    """The config's bands (empty without ``paper``), checked before anything is computed."""
    return {} if paper is None else check_paper_spec(STUDY, paper, figures=figure_names(detectors))


def rows(bands: dict[str, dict], published: dict, variants: dict, p_values: dict[str, float]
         ) -> list[dict[str, Any]]:
    """Scoreboard rows of the banded figures: as-published values, each variant's Sharpe gain and the
    Ledoit-Wolf p-values (``p_values``: backtest label -> p, from :func:`statistics`)."""
    values = {k: published[k] for k in AS_PUBLISHED}
    values.update({f"sharpe_diff_p_{k.replace('@', '_')}": p for k, p in p_values.items()})
    values.update({_gain_name(k): v["sharpe_dynamic"] - v["sharpe_static"] for k, v in variants.items()})
    gaps = {k: GAP for k in bands if k in AS_PUBLISHED}
    for k, band in bands.items():  # explains a gain outside its band only
        value = values.get(k)
        if k.startswith("gain_") and value is not None and not band["band_low"] <= value <= band["band_high"]:
            gaps[k] = GAIN_GAP
    return scoreboard_rows(STUDY, bands, values, gaps=gaps)


def statistics(series: dict[str, pd.DataFrame], reps: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """The framework's statistics of each backtest, dynamic against static.

    Parameters
    ----------
    series : dict
        Label -> monthly returns with columns ``dynamic`` and ``static`` (shape ``(n_months, 2)``).

    Returns
    -------
    pandas.DataFrame
        Index ``(backtest, strategy)``; columns :data:`STAT_COLUMNS`. Each backtest's statistics use its own
        months only; the as-published backtest's include its training months (in-sample, labelled).
    dict
        Backtest label (the key of ``series``) -> Ledoit-Wolf bootstrap p-value of dynamic against static.
    """
    parts, p_values = {}, {}
    for label, frame in series.items():
        table = strategy_statistics(frame[["static", "dynamic"]], {"dynamic": "static"}, bootstrap_reps=reps,
                                    seed=seed)
        parts[SERIES_LABELS.get(label, label.replace("_", " ").replace("@", " @ "))] = \
            table[[c for c in STAT_COLUMNS if c in table]]
        p = table.loc["dynamic"].get("sharpe_diff_p", float("nan"))
        p_values[label] = None if pd.isna(p) else float(p)
    return pd.concat(parts, names=["backtest", "strategy"]), p_values


def statistics_data(table: pd.DataFrame) -> dict:
    """:func:`statistics` as JSON-ready nested dicts ``{backtest: {strategy: {column: value}}}``."""
    out: dict = {}
    for (backtest, strategy), row in table.iterrows():
        out.setdefault(backtest, {})[strategy] = {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
    return out


def html(table: pd.DataFrame, board: list[dict], paper: dict | None) -> str:
    """The report's statistics paragraph, a generated verdict per backtest, and the scoreboard table."""
    text = ("<p><b>The framework's statistics</b>, dynamic against static in each backtest: PSR, DSR, "
            "stationary-bootstrap Sharpe interval, Ledoit-Wolf bootstrap test of equal Sharpe ratios "
            "(<code>sharpe_diff_p</code>) and its HAC version.</p>" + html_table(table, digits=3)
            + sharpe_verdict(table, "dynamic", "static"))
    if board:
        text += scoreboard_html(board, (paper or {}).get("source", "the paper"), blind=False)
    return text
