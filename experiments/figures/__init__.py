"""Figures, in one consistent style (:mod:`experiments.figures.style`)."""

from experiments.figures.regimes import regime_comparison, regime_timeline

__all__ = ["regime_comparison", "regime_timeline"]
