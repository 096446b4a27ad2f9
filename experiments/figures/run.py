"""Every figure of a run, written to ``figures/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from experiments.figures.diagnostics import (
    distributions_figure,
    forecast_figure,
    importance_figure,
)
from experiments.figures.performance import (
    _selected,
    drawdown_figure,
    growth_figure,
    rolling_sharpe_figure,
    shading_detector,
    weights_figure,
)
from experiments.figures.regimes import regime_figure_jobs


def write_figures(result, folder: Path, progress=None) -> dict[str, Path]:
    """Write all figures; returns ``{name: path}`` in the order a report shows them.

    The figures are drawn in forked worker processes (:mod:`experiments.figures.parallel`), byte-identical to
    drawing them here. ``progress(stage, detail)`` (:mod:`experiments.progress`) hears ``"figures"`` once per
    figure as it is finished, after the number of figures was announced.
    """
    from experiments.progress import expect

    folder = Path(folder)
    panel = result.panel
    paths = result.regimes
    returns, meta = result.returns, result.strategies
    jobs: list[tuple[str, Callable]] = []  # (name, draw) in report order; draw() returns a figure or None
    for target in meta["target"].unique():
        key = target.replace("+", "_")
        detector, strategy = shading_detector(returns, meta, target)
        path = paths.get(detector) if detector else None
        jobs.append((f"growth_{key}", lambda t=target, p=path, d=detector, s=strategy: growth_figure(
            returns, meta, t, None if p is None else p.risk_off, d or "", s)))
        jobs.append((f"drawdown_{key}", lambda t=target: drawdown_figure(returns, meta, t)))
        jobs.append((f"rolling_sharpe_{key}", lambda t=target: rolling_sharpe_figure(
            returns, meta, t, window=3 * panel.periods_per_year, periods_per_year=panel.periods_per_year)))
        names = [s for s in _selected(returns, meta, target) if not s.endswith("/static")][:4]
        if names:
            jobs.append((f"weights_{key}", lambda n=tuple(names): weights_figure(
                {x: result.backtests[x].weights for x in n}, list(n))))
    factors = panel.frame[list(result.spec.assets)].reindex(returns.index)
    for label, path in paths.items():
        jobs.append((f"distributions_{label}", lambda p=path: distributions_figure(factors, p, panel.frequency)))
    for target in result.spec.assets:
        models = [label for (t, label) in result.forecasts if t == target][:4]
        jobs.append((f"forecasts_{target}", lambda t=target, m=tuple(models): forecast_figure(
            result.forecasts, t, list(m))))
        if not result.importance.empty:
            jobs.append((f"importance_{target}", lambda t=target: importance_figure(result.importance, t)))
    from experiments.figures.parallel import render
    from experiments.tearsheet import run_tearsheet_jobs
    everything = regime_figure_jobs(paths, panel) + jobs + run_tearsheet_jobs(result)
    expect(progress, "figures", len(everything))
    return render(everything, folder, progress=progress)
