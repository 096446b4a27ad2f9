"""Strategy figures: growth, drawdowns, rolling Sharpe, weights."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from allocation import metrics
from experiments.figures.style import (
    WIDTH,
    date_axis,
    legend_below,
    log_price_axis,
    shade,
    style,
)


def _selected(returns: pd.DataFrame, meta: pd.DataFrame, target: str, top: int = 3) -> list[str]:
    """Static, the unconditional baselines, and the best regime-aware strategies (by Sharpe) of a target."""
    rows = meta[meta["target"] == target]
    static = list(rows.index[rows["allocator"] == "static"])
    uncond = list(rows.index[(rows["regime_model"] == "none") & (rows["allocator"] != "static")])
    regime = rows[rows["regime_model"] != "none"]
    best = []  # a target with no regime-aware strategy (an empty frame's apply returns a frame)
    if len(regime):
        best = list(returns[regime.index].apply(metrics.sharpe).sort_values(ascending=False).index[:top])
    return [s for s in static + uncond[:3] + best if s in returns.columns]


def shading_detector(returns: pd.DataFrame, meta: pd.DataFrame, target: str) -> tuple[str | None, str | None]:
    """The detector whose risk-off periods a target's growth chart shades: that of the best regime-aware
    strategy drawn (by Sharpe), with that strategy's name; ``(None, None)`` when none is drawn."""
    cols = _selected(returns, meta, target)
    regime = [c for c in cols if meta.loc[c, "regime_model"] != "none"]
    if not regime:
        return None, None
    best = max(regime, key=lambda c: metrics.sharpe(returns[c]))
    return str(meta.loc[best, "regime_model"]), best


def growth_figure(returns: pd.DataFrame, meta: pd.DataFrame, target: str, risk_off: pd.Series | None,
                  detector: str = "", strategy: str | None = None):
    """Cumulative growth (log scale) of selected strategies and the benchmarks, shaded where ``detector`` (the detector of the
    regime-aware ``strategy`` drawn, see :func:`shading_detector`) says risk-off (filtered probability > 0.5)."""
    cols = _selected(returns, meta, target)
    benches = [c for c in meta.index[meta["target"] == "benchmark"] if c in returns.columns and target != "benchmark"]
    with style():
        fig, ax = plt.subplots(figsize=(WIDTH, 4.8))
        for c in cols:
            g = metrics.growth(returns[c])
            ax.plot(g, lw=2.0 if c.endswith("/static") else 1.2, ls="--" if c.endswith("/static") else "-",
                    color="black" if c.endswith("/static") else None, label=c)
        for c in benches:  # the benchmark, in grey, on every target's chart
            ax.plot(metrics.growth(returns[c]), lw=2.0, ls=":", color="#7f8c8d", label=c)
        if risk_off is not None:
            shade(ax, (risk_off > 0.5).reindex(returns.index, method="ffill"),
                  label=f"risk-off by {detector} (filtered; the detector of {strategy})" if strategy
                  else f"risk-off ({detector}, filtered)")
        log_price_axis(ax)
        ax.set_ylabel("growth of 1 (log scale)")
        ax.set_title(f"{target}: net cumulative growth against static exposure")
        date_axis(ax)
        legend_below(ax)
    return fig


def drawdown_figure(returns: pd.DataFrame, meta: pd.DataFrame, target: str):
    cols = _selected(returns, meta, target)
    with style():
        fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
        for c in cols:
            dd = metrics.drawdown(returns[c])
            ax.plot(dd, lw=1.1, color="black" if c.endswith("/static") else None, label=c)
        ax.set_ylabel("drawdown")
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_title(f"{target}: drawdowns")
        date_axis(ax)
        legend_below(ax)
    return fig


#: Name of one period at each number of periods per year (axis labels).
PERIOD_NAME = {12: "month", 52: "week", 252: "day"}


def rolling_sharpe_figure(returns: pd.DataFrame, meta: pd.DataFrame, target: str, window: int = 36,
                          periods_per_year: int = 12):
    """Rolling Sharpe ratio over ``window`` periods (three years: 36 months, 156 weeks, 756 days)."""
    period = PERIOD_NAME.get(periods_per_year, "period")
    cols = _selected(returns, meta, target)
    with style():
        fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
        for c in cols:
            r = returns[c]
            roll = r.rolling(window).mean() / r.rolling(window).std() * np.sqrt(periods_per_year)
            ax.plot(roll, lw=1.1, color="black" if c.endswith("/static") else None, label=c)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_ylabel(f"rolling {window}-{period} Sharpe")
        ax.set_title(f"{target}: rolling {window}-{period} Sharpe ratio")
        date_axis(ax)
        legend_below(ax)
    return fig


def weights_figure(weights: dict[str, pd.DataFrame], names: list[str]):
    with style():
        fig, axes = plt.subplots(len(names), 1, figsize=(WIDTH, 1.5 + 1.3 * len(names)), sharex=True, squeeze=False)
        for ax, name in zip(axes[:, 0], names):
            w = weights[name]
            for col in w.columns:
                ax.step(w.index, w[col], where="post", lw=1.0, label=col)
            ax.set_ylabel("weight")
            ax.set_title(name, loc="left", fontsize=9)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        date_axis(axes[-1, 0])
        fig.tight_layout()
    return fig
