"""Every figure of a run, written to ``figures/``."""

from __future__ import annotations

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
from experiments.figures.regimes import write_regime_figures
from experiments.figures.style import save


def write_figures(result, folder: Path) -> dict[str, Path]:
    """Write all figures; returns ``{name: path}`` in the order a report shows them."""
    folder = Path(folder)
    out: dict[str, Path] = {}
    panel = result.panel
    paths = result.regimes
    out.update(write_regime_figures(paths, panel, folder))
    returns, meta = result.returns, result.strategies
    for target in meta["target"].unique():
        key = target.replace("+", "_")
        detector, strategy = shading_detector(returns, meta, target)
        path = paths.get(detector) if detector else None
        out[f"growth_{key}"] = save(growth_figure(returns, meta, target, None if path is None else path.risk_off,
                                                  detector or "", strategy), folder / f"growth_{key}.png")
        out[f"drawdown_{key}"] = save(drawdown_figure(returns, meta, target), folder / f"drawdown_{key}.png")
        out[f"rolling_sharpe_{key}"] = save(rolling_sharpe_figure(returns, meta, target),
                                            folder / f"rolling_sharpe_{key}.png")
        names = [s for s in _selected(returns, meta, target) if not s.endswith("/static")][:4]
        if names:
            out[f"weights_{key}"] = save(weights_figure({n: result.backtests[n].weights for n in names}, names),
                                         folder / f"weights_{key}.png")
    from experiments.tearsheet import write_run_tearsheet_figures
    out.update(write_run_tearsheet_figures(result, folder))
    factors = panel.frame[list(result.spec.targets)].reindex(returns.index)
    for label, path in paths.items():
        out[f"distributions_{label}"] = save(distributions_figure(factors, path), folder / f"distributions_{label}.png")
    for target in result.spec.targets:
        models = [label for (t, label) in result.forecasts if t == target][:4]
        out[f"forecasts_{target}"] = save(forecast_figure(result.forecasts, target, models),
                                          folder / f"forecasts_{target}.png")
        if not result.importance.empty:
            fig = importance_figure(result.importance, target)
            if fig is not None:
                out[f"importance_{target}"] = save(fig, folder / f"importance_{target}.png")
    return out
