"""Forecast-to-weight rules and fixed exposures.

* ``static`` - fixed weights (100 % UMD, 50/50, ...), the benchmark every strategy faces.
* ``binary`` - long the factor when its forecast is positive, else cash.
* ``sign`` - long when positive, short when negative.
* ``proportional`` - ``forecast / variance`` (a one-asset mean-variance rule), scaled and capped.
* ``regime_tilt`` - fixed weights per regime, mixed by next-period regime probabilities.
* ``regime_switch`` - 0/1 timing: one set of weights when risk-on at t, another (cash) when risk-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation.allocators._base import AllocationInputs, Allocator, weight_vector
from plumbing.errors import FactorRegimesError


class StaticAllocator(Allocator):
    """Fixed weights. ``fixed_weights``: a number (each asset), a list, or ``{asset: weight}``.

    (Named so that it does not shadow :meth:`Allocator.weights`, the method every allocator answers.)
    """

    uses_forecasts = False

    def __init__(self, fixed_weights=1.0):
        self.fixed_weights = fixed_weights

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        return weight_vector(self.fixed_weights, inputs.assets)


class BinaryAllocator(Allocator):
    """``scale`` in an asset whose forecast is > 0, else 0 (cash)."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        f = inputs.forecasts.iloc[i].to_numpy(dtype=float)
        return np.where(np.isfinite(f), (f > 0) * self.scale, np.nan)


class SignAllocator(Allocator):
    """``scale * sign(forecast)``: long when positive, short when negative."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        f = inputs.forecasts.iloc[i].to_numpy(dtype=float)
        return np.sign(f) * self.scale


class ProportionalAllocator(Allocator):
    """``forecast / (risk_aversion * variance)``, capped at ``cap`` in absolute value.

    The variance is the trailing annualized volatility squared, de-annualized
    to the forecast's period.
    """

    def __init__(self, risk_aversion: float = 5.0, cap: float = 2.0):
        self.risk_aversion = risk_aversion
        self.cap = cap

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        f = inputs.forecasts.iloc[i].to_numpy(dtype=float)
        var = inputs.vol.iloc[i].to_numpy(dtype=float) ** 2 / inputs.periods_per_year
        with np.errstate(divide="ignore", invalid="ignore"):
            w = f / (self.risk_aversion * var)
        return np.clip(w, -self.cap, self.cap)


class RegimeTiltAllocator(Allocator):
    """Weights per regime mixed by ``P(state_{t+1} | data <= t)``.

    ``weights_by_regime``: one entry per regime (state 0 = risk-on first), each
    a number, list or ``{asset: weight}``.
    """

    uses_forecasts = False
    uses_regimes = True

    def __init__(self, weights_by_regime: list | None = None):
        self.weights_by_regime = weights_by_regime

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        if inputs.regime_next is None:
            raise FactorRegimesError("regime_tilt needs a regime detector")
        table = self.weights_by_regime or [1.0, 0.0]
        p = inputs.regime_next.iloc[i].to_numpy(dtype=float)
        if len(table) != len(p):
            raise FactorRegimesError(f"regime_tilt: {len(table)} weight sets for {len(p)} regimes")
        w = np.vstack([weight_vector(t, inputs.assets) for t in table])
        return p @ w if np.isfinite(p).all() else np.full(len(inputs.assets), np.nan)


class RegimeSwitchAllocator(Allocator):
    """0/1 regime timing: ``risk_on`` weights while the filtered risk-off probability at t is at most
    ``threshold``, ``risk_off`` weights (default 0: cash, or the risk-free rate for total-return assets)
    when it is above.

    The state is the one inferred at the close of t from data dated <= t (``regime_now``, looked up by
    date), as in Shu, Yu & Mulvey's (2024) jump-model timing of the S&P 500; a date without a regime
    probability has no target (not live). ``risk_on`` and ``risk_off``: a number, list or ``{asset: weight}``.
    """

    uses_forecasts = False
    uses_regimes = True

    def __init__(self, risk_on=1.0, risk_off=0.0, threshold: float = 0.5):
        self.risk_on = risk_on
        self.risk_off = risk_off
        self.threshold = threshold

    def weights(self, inputs: AllocationInputs) -> pd.DataFrame:
        if inputs.regime_now is None:
            raise FactorRegimesError("regime_switch needs a regime detector")
        if not 0.0 <= float(self.threshold) <= 1.0:
            raise FactorRegimesError(f"regime_switch: threshold must be in [0, 1], not {self.threshold}")
        p = inputs.regime_now.iloc[:, -1].reindex(inputs.dates).to_numpy(dtype=float)
        on = weight_vector(self.risk_on, inputs.assets)
        off = weight_vector(self.risk_off, inputs.assets)
        w = np.where((p > self.threshold)[:, None], off[None, :], on[None, :])
        w[~np.isfinite(p)] = np.nan
        return pd.DataFrame(w, index=inputs.dates, columns=inputs.assets)
