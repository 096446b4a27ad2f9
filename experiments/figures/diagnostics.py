"""Diagnostics: returns by regime, transition matrices, forecasts against realized, feature importance."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.figures.style import (
    PALETTE,
    RISK_OFF,
    RISK_ON,
    WIDTH,
    series_colors,
    style,
)
from regimes.walkforward import RegimePath, state_names


def distributions_figure(factors: pd.DataFrame, path: RegimePath, frequency: str = "monthly"):
    """Histograms of each factor's next-period return by the filtered regime at the start of the period."""
    names = state_names(path.proba.shape[1])
    label_at_start = path.labels.reindex(factors.index.union(path.labels.index)).shift(1).reindex(factors.index)
    colors = [RISK_ON, "#d68910", RISK_OFF] if len(names) == 3 else [RISK_ON, RISK_OFF]
    with style():
        fig, axes = plt.subplots(1, factors.shape[1], figsize=(WIDTH, 3.6), squeeze=False)
        for ax, col in zip(axes[0], factors.columns):
            r = factors[col]
            bins = np.linspace(np.nanpercentile(r, 0.5), np.nanpercentile(r, 99.5), 40)
            for k, name in enumerate(names):
                values = r[label_at_start == k].dropna()
                if len(values):
                    ax.hist(values, bins=bins, alpha=0.55, density=True, color=colors[k % len(colors)],
                            label=f"{name} (n={len(values)}, mean {values.mean():.2%})")
            ax.set_title(f"{col} {frequency} return by regime ({path.name})")
            ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
            ax.legend(loc="upper left")
        fig.tight_layout()
    return fig


def transition_figure(paths: dict[str, RegimePath]):
    """Heatmaps of the last fitted transition matrix of each detector that has one."""
    with_trans = {k: p for k, p in paths.items() if getattr(p.detector, "transmat_", None) is not None
                  and np.isfinite(p.detector.transmat_).all()}
    if not with_trans:
        return None
    with style():
        fig, axes = plt.subplots(1, len(with_trans), figsize=(min(WIDTH, 3.3 * len(with_trans)), 3.2), squeeze=False)
        for ax, (label, path) in zip(axes[0], with_trans.items()):
            trans = path.detector.transmat_
            names = state_names(len(trans))
            ax.imshow(trans, cmap="Blues", vmin=0, vmax=1)
            for i in range(len(trans)):
                for j in range(len(trans)):
                    ax.text(j, i, f"{trans[i, j]:.2f}", ha="center", va="center",
                            color="white" if trans[i, j] > 0.6 else "black")
            ax.set_xticks(range(len(trans)), names, rotation=30)
            ax.set_yticks(range(len(trans)), names)
            ax.set_title(label)
            ax.grid(False)
        fig.suptitle("Transition matrices of the last refit (row: state at t, column: state at t+1)", fontsize=9)
        fig.tight_layout()
    return fig


def forecast_figure(forecasts: dict, target: str, models: list[str]):
    """Forecast against realized return, one panel per model (at most three panels a row, titles wrapped)."""
    import textwrap
    ncols = min(len(models), 2 if len(models) == 4 else 3)
    nrows = -(-len(models) // ncols)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, 3.3 * nrows), squeeze=False, sharey=True)
        for ax in axes.flat[len(models):]:
            ax.set_visible(False)
        for ax, (model, color) in zip(axes.flat, zip(models, PALETTE)):
            f = forecasts[(target, model)].frame.dropna()
            ax.scatter(f["forecast"], f["realized"], s=8, alpha=0.5, color=color)
            ax.axhline(0, color="black", lw=0.5)
            ax.axvline(0, color="black", lw=0.5)
            corr = f["forecast"].corr(f["realized"]) if len(f) > 2 else np.nan
            ax.set_title(textwrap.fill(f"{model} (corr {corr:.2f})", 40), fontsize=9)
            ax.set_xlabel("forecast")
        for row in axes:
            row[0].set_ylabel(f"realized {target} return")
        fig.tight_layout()
    return fig


def importance_figure(importance: pd.DataFrame, target: str):
    rows = importance[importance["target"] == target]
    if rows.empty:
        return None
    table = rows.pivot_table(index="feature", columns="model", values="mse_increase")
    with style():
        fig, ax = plt.subplots(figsize=(WIDTH, 2.0 + 0.12 * table.shape[0] * table.shape[1]))
        colors = series_colors(table.shape[1])
        table.plot.barh(ax=ax, width=0.8, color=colors)
        hatches = ["", "//", ".."]
        for k, container in enumerate(ax.containers):  # past ten models the colours repeat hatched
            for patch in container:
                patch.set_hatch(hatches[(k // len(PALETTE)) % len(hatches)])
        ax.axvline(0, color="black", lw=0.6)
        ax.set_xlabel("increase in out-of-sample MSE when shuffled")
        ax.set_title(f"{target}: permutation importance (out of sample)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig
