"""Regime timelines: one detector in detail, or several stacked for comparison."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from experiments.figures.style import (
    RECESSION,
    RISK_OFF,
    WIDTH,
    date_axis,
    finite,
    log_price_axis,
    save,
    shade,
    style,
)
from regimes.panel import Panel
from regimes.walkforward import RegimePath


def _window(panel: Panel, paths: list[RegimePath]) -> pd.DataFrame:
    start = min(p.proba.dropna().index[0] for p in paths)
    end = max(p.proba.index[-1] for p in paths)
    return panel.frame.loc[start:end]


def _recessions(ax, frame: pd.DataFrame) -> None:
    if "nber_recession" in frame:
        shade(ax, frame["nber_recession"] == 1, color=RECESSION, alpha=0.22, label="NBER recession (ex post)")


def _market(ax, frame: pd.DataFrame, **line) -> str:
    """Draw the S&P 500 on ``ax`` (log scale) and return the axis label saying what is drawn.

    The level when the panel has it; else, on a user's panel with returns only, the growth of 1 from
    ``sp500_ret`` when the window has no missing return (a gap is never bridged as a zero return); else
    nothing, and the label says so.
    """
    if "sp500" in frame:
        ax.plot(finite(frame["sp500"]), **line)
        log_price_axis(ax)
        return "S&P 500 (log scale)"
    if "sp500_ret" in frame and frame["sp500_ret"].notna().all():
        ax.plot((1 + frame["sp500_ret"]).cumprod(), **line)
        log_price_axis(ax)
        return "S&P 500 growth of 1\n(from sp500_ret, log scale)"
    return "S&P 500: no level or\ngap-free returns in the panel"


def regime_timeline(path: RegimePath, panel: Panel, threshold: float = 0.5):
    """S&P 500 (log scale) with risk-off shading, VIX, and the filtered probability.

    Parameters
    ----------
    path : RegimePath
        Walk-forward output; shading marks dates where the filtered risk-off
        probability (information up to that date) exceeds ``threshold``.
    panel : Panel
        Panel with ``sp500`` (or, on a user's panel, ``sp500_ret``: see :func:`_market`) and, when
        present, ``vix`` and ``nber_recession``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = _window(panel, [path])
    risk_off = path.risk_off.reindex(frame.index)
    with style():
        fig, axes = plt.subplots(3, 1, figsize=(WIDTH, 7.5), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 1.3, 1.3], "hspace": 0.08})
        ax = axes[0]
        ylabel = _market(ax, frame, color="black", lw=1.1, label="S&P 500")
        shade(ax, risk_off > threshold, label=f"risk-off (filtered p > {threshold:g})")
        _recessions(ax, frame)
        ax.set_ylabel(ylabel)
        if ax.get_legend_handles_labels()[0]:  # a path never risk-off on a panel without a level has none
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        ax.set_title(f"Regimes: {path.name} (walk-forward, filtered; refits: {len(path.refit_dates)})")
        ax = axes[1]
        if "vix" in frame:
            ax.plot(finite(frame["vix"]), color="#5d6d7e", lw=1.0)
        shade(ax, risk_off > threshold)
        ax.set_ylabel("VIX" if "vix" in frame else "VIX: not in\nthe panel")
        ax = axes[2]
        ax.fill_between(risk_off.index, 0, risk_off.fillna(0).to_numpy(), color=RISK_OFF, alpha=0.6, step="post",
                        lw=0)
        ax.axhline(threshold, color="black", lw=0.6, ls="--")
        _recessions(ax, frame)
        ax.set_ylim(0, 1)
        ax.set_ylabel("P(risk-off)")
        date_axis(ax)
    return fig


def regime_comparison(paths: list[RegimePath], panel: Panel):
    """S&P 500 on top, then one strip of filtered risk-off probability per detector."""
    frame = _window(panel, paths)
    with style():
        fig, axes = plt.subplots(len(paths) + 1, 1, figsize=(WIDTH, 2.2 + 0.75 * len(paths)), sharex=True,
                                 gridspec_kw={"height_ratios": [2.5] + [1] * len(paths), "hspace": 0.12})
        ax = axes[0]
        ylabel = _market(ax, frame, color="black", lw=1.0)
        _recessions(ax, frame)
        ax.set_ylabel(ylabel)
        ax.set_title("Filtered risk-off probability by detector (walk-forward)")
        if "nber_recession" in frame:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        for ax, path in zip(axes[1:], paths):
            p = path.risk_off.reindex(frame.index)
            _recessions(ax, frame)
            ax.fill_between(p.index, 0, p.fillna(0).to_numpy(), color=RISK_OFF, alpha=0.7, step="post", lw=0)
            ax.axhline(0.5, color="black", lw=0.5, ls="--")
            ax.set_ylim(0, 1)
            ax.set_yticks([0, 0.5, 1], ["0", "0.5", "1"], fontsize=7)
            ax.set_ylabel(f"{path.name}\nP(risk-off)", rotation=0, ha="right", va="center", fontsize=8)
            ax.grid(False)
        date_axis(axes[-1])
    return fig


def regime_figure_count(paths: Mapping[str, RegimePath]) -> int:
    """How many figures :func:`write_regime_figures` considers (each is one ``progress`` item)."""
    return len(paths) + (len(paths) > 1) + 1


def regime_figure_jobs(paths: Mapping[str, RegimePath], panel: Panel) -> list[tuple[str, Callable]]:
    """The ``(name, draw)`` jobs of a run's regime figures, in report order (see :func:`write_regime_figures`);
    ``draw()`` returns a figure, or None where there is nothing to show (no transition matrix)."""
    from experiments.figures.diagnostics import transition_figure

    jobs: list[tuple[str, Callable]] = [(f"regimes_{label}", lambda p=path: regime_timeline(p, panel))
                                        for label, path in paths.items()]
    if len(paths) > 1:
        jobs.append(("regimes_comparison", lambda: regime_comparison(list(paths.values()), panel)))
    jobs.append(("transitions", lambda: transition_figure(dict(paths))))
    return jobs


def write_regime_figures(paths: Mapping[str, RegimePath], panel: Panel, folder: Path,
                         progress=None) -> dict[str, Path]:
    """A run's regime figures: ``regimes_<label>.png`` per path, ``regimes_comparison.png`` (two or more paths)
    and ``transitions.png`` (detectors with a transition matrix); returns ``{name: file}`` in that order.

    ``progress(stage, detail)`` hears ``"figures"`` once per figure considered (:func:`regime_figure_count`).
    """
    say = progress or (lambda stage, detail="": None)
    folder = Path(folder)
    out = {}
    for name, draw in regime_figure_jobs(paths, panel):
        say("figures", name)
        fig = draw()
        if fig is not None:
            out[name] = save(fig, folder / f"{name}.png")
    return out
