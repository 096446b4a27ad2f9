"""Tearsheet figures: the monthly-returns heatmap and rolling volatility / beta with regime shading.

The numbers come from :mod:`allocation.tearsheet_stats`; these functions only draw them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from allocation import tearsheet_stats as ts
from experiments.figures.style import WIDTH, date_axis, legend_below, shade, style

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _line_style(name: str, strategy: str) -> dict:
    """The strategy in colour, static dashed black, the benchmark grey."""
    if name == strategy:
        return {"lw": 1.6, "color": "#1f4e79"}
    if name.endswith("/static") or name == "static":
        return {"lw": 1.2, "color": "black", "ls": "--"}
    return {"lw": 1.2, "color": "#7f8c8d"}


def tearsheet_figure(returns: pd.DataFrame, strategy: str, periods_per_year: int, market: pd.Series | None = None,
                     risk_off: pd.Series | None = None, detector: str = ""):
    """One strategy's tearsheet figure: monthly-returns heatmap (monthly or finer data), rolling volatility
    of the strategy and its comparisons, and rolling beta to ``market``; risk-off periods shaded.

    Parameters
    ----------
    returns : pandas.DataFrame, shape (n_periods, k)
        Periodic simple returns: ``strategy`` first, then what it is compared with (static, benchmark).
    strategy : str
        The column the heatmap shows.
    periods_per_year : int
        252, 52, 12 or 4 (annual data: no rolling panels, no heatmap).
    market : pandas.Series or None
        Returns the betas are measured against (the benchmark, or the market factor); None: no beta panel.
    risk_off : pandas.Series or None
        Filtered risk-off probability of the strategy's detector at each date (information up to that
        date); shaded where above 0.5.

    Returns
    -------
    matplotlib.figure.Figure or None
        None when there is nothing to draw (annual data).
    """
    window = ts.ROLLING_WINDOW.get(periods_per_year)
    heat = periods_per_year >= 12
    panels = (["heat"] if heat else []) + (["vol"] + (["beta"] if market is not None else []) if window else [])
    if not panels:
        return None
    years = ts.monthly_table(returns[strategy]) if heat else None
    heights = {"heat": 0.9 + 0.28 * (0 if years is None else len(years)), "vol": 2.6, "beta": 2.6}
    with style():
        fig, axes = plt.subplots(len(panels), 1, figsize=(WIDTH, sum(heights[p] for p in panels) + 0.6 * len(panels)),
                                 gridspec_kw={"height_ratios": [heights[p] for p in panels], "hspace": 0.45},
                                 squeeze=False)
        axes = dict(zip(panels, axes[:, 0]))
        if heat:
            _heatmap(axes["heat"], years, strategy)
        mask = None if risk_off is None else (risk_off > 0.5)
        label = f"risk-off ({detector}, filtered p > 0.5)" if detector else "risk-off (filtered p > 0.5)"
        if "vol" in axes:
            ax = axes["vol"]
            for name in returns.columns:
                vol = ts.rolling_volatility(returns[name], window, periods_per_year)
                ax.plot(vol, label=name, **_line_style(name, strategy))
            if mask is not None:
                shade(ax, mask.reindex(returns.index, method="ffill"), label=label)
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
            ax.set_ylabel("annualized volatility")
            ax.set_title(f"Rolling volatility ({window} periods)", loc="left")
            date_axis(ax)
            legend_below(ax)
        if "beta" in axes:
            ax = axes["beta"]
            for name in returns.columns:
                if market is not None and returns[name].equals(market):
                    continue  # the market's beta to itself is 1
                beta = ts.rolling_beta(returns[name], market, window)
                ax.plot(beta, label=name, **_line_style(name, strategy))
            ax.axhline(0, color="black", lw=0.5)
            if mask is not None:
                shade(ax, mask.reindex(returns.index, method="ffill"), label=label)
            ax.set_ylabel(f"beta to {market.name}")
            ax.set_title(f"Rolling beta to {market.name} ({window} periods)", loc="left")
            date_axis(ax)
            legend_below(ax)
    return fig


def _heatmap(ax, table: pd.DataFrame, strategy: str) -> None:
    values = table.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    bound = float(np.nanpercentile(np.abs(finite), 98)) if finite.size else 0.01
    ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=-bound, vmax=bound, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                ax.text(j, i, f"{values[i, j]:.1%}", ha="center", va="center", fontsize=7,
                        color="white" if abs(values[i, j]) > 0.75 * bound else "black")
    ax.set_xticks(range(12), MONTHS)
    ax.set_yticks(range(len(table)), [str(y) for y in table.index])
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"{strategy}: monthly returns (compounded within each month)", loc="left")
