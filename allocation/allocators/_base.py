"""Allocator contract: target weights at each decision date from information dated <= t."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator


@dataclass
class AllocationInputs:
    """What an allocator may look at; row t of every frame uses data dated <= t.

    Attributes
    ----------
    dates : pandas.DatetimeIndex
        Decision dates.
    assets : list of str
    forecasts : pandas.DataFrame
        Forecast of each asset's return over t+1 made at t, shape ``(n_dates, n_assets)``.
    returns : pandas.DataFrame
        Realized periodic returns indexed by period end (history for covariances).
    vol : pandas.DataFrame
        Trailing annualized volatility at t (:func:`allocation.risk.trailing_vol`).
    regime_next : pandas.DataFrame or None
        ``P(state_{t+1} | data <= t)``, shape ``(n_dates, n_states)``, row-aligned with ``dates``.
    regime_now : pandas.DataFrame or None
        Filtered probabilities by date; may cover history before the first
        decision date (allocators look it up by date, never by row).
    periods_per_year : int, optional
        Periods per year of ``returns``; default: inferred from its dates.

    Raises
    ------
    ValueError
        When a row-aligned frame is not indexed by ``dates`` (allocators read
        row i as decision date i, so a misaligned frame would silently use
        another date's information).
    """

    dates: pd.DatetimeIndex
    assets: list[str]
    forecasts: pd.DataFrame
    returns: pd.DataFrame
    vol: pd.DataFrame
    regime_next: pd.DataFrame | None = None
    regime_now: pd.DataFrame | None = None
    periods_per_year: int | None = None

    def __post_init__(self) -> None:
        if self.periods_per_year is None:  # from the data, never assumed
            from allocation.metrics import periods_per_year_of
            self.periods_per_year = periods_per_year_of(self.returns)
        for name in ("forecasts", "vol", "regime_next"):
            frame = getattr(self, name)
            if frame is not None and not frame.index.equals(self.dates):
                raise ValueError(f"AllocationInputs.{name} must be indexed by the decision dates (row i = date i)")


class Allocator(BaseEstimator):
    """Maps inputs to target weights; subclasses implement ``_row`` or override ``weights``."""

    #: Whether the allocator reads forecasts (False: static, risk parity, vol target).
    uses_forecasts: bool = True
    #: Whether it reads regime probabilities.
    uses_regimes: bool = False

    def weights(self, inputs: AllocationInputs) -> pd.DataFrame:
        """Target weights, shape ``(n_dates, n_assets)``; row t uses inputs dated <= t only."""
        rows = [self._row(inputs, i) for i in range(len(inputs.dates))]
        return pd.DataFrame(np.vstack(rows) if rows else np.empty((0, len(inputs.assets))),
                            index=inputs.dates, columns=inputs.assets)

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        raise NotImplementedError


def weight_vector(weights, assets: list[str]) -> np.ndarray:
    """A weight per asset from a number (same for all), a list, or a ``{asset: weight}`` mapping."""
    if isinstance(weights, dict):
        return np.array([float(weights.get(a, 0.0)) for a in assets])
    if np.ndim(weights) == 0:
        return np.full(len(assets), float(weights))
    w = np.asarray(weights, dtype=float)
    if len(w) != len(assets):
        from plumbing.errors import FactorRegimesError
        raise FactorRegimesError(f"weights {list(w)} do not match assets {assets}")
    return w
