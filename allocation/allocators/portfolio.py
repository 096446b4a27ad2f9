"""Portfolio construction across factors: mean-variance, risk parity, volatility targeting."""

from __future__ import annotations

import numpy as np

from allocation.allocators._base import AllocationInputs, Allocator, weight_vector
from allocation.risk import trailing_cov


class MeanVarianceAllocator(Allocator):
    """``w = inv(Sigma) mu / risk_aversion`` with the trailing covariance, capped.

    ``mu`` is the forecast (annualized); ``Sigma`` the covariance of the last
    ``window`` returns dated <= t. With ``regime_specific`` the covariance is
    weighted by each past period's filtered risk-off probability or its
    complement, and the two are mixed by the next-period regime probabilities.
    Only past periods with a filtered probability enter (at least ``window // 2``
    of them); without a next-period probability the allocator is not live (NaN),
    never a guessed 50/50 mix.
    """

    def __init__(self, risk_aversion: float = 5.0, window: int = 60, regime_specific: bool = False,
                 cap: float = 2.0, shrinkage: float = 0.1):
        self.risk_aversion = risk_aversion
        self.window = window
        self.regime_specific = regime_specific
        self.cap = cap
        self.shrinkage = shrinkage

    @property
    def uses_regimes(self) -> bool:  # type: ignore[override]
        return bool(self.regime_specific)

    def _cov(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        date = inputs.dates[i]
        if not self.regime_specific or inputs.regime_now is None:
            return trailing_cov(inputs.returns[inputs.assets], date, self.window,
                                periods_per_year=inputs.periods_per_year)
        n = len(inputs.assets)
        p_next = inputs.regime_next.iloc[i].to_numpy(dtype=float)
        if not np.isfinite(p_next).all():  # no regime forecast yet: not live (never a guessed 50/50)
            return np.full((n, n), np.nan)
        hist = inputs.returns[inputs.assets].loc[:date].dropna()
        p_off = inputs.regime_now.iloc[:, -1].reindex(hist.index, method="ffill")
        known = p_off.notna().to_numpy()  # past periods without a filtered probability are left out
        hist, p_off = hist[known].iloc[-self.window:], p_off[known].iloc[-self.window:].to_numpy()
        if len(hist) < max(2, self.window // 2):
            return np.full((n, n), np.nan)
        covs = [trailing_cov(hist, date, self.window, weights=np.clip(w, 1e-6, None),
                             periods_per_year=inputs.periods_per_year) for w in (1 - p_off, p_off)]
        p = p_next[-1]
        return (1 - p) * covs[0] + p * covs[1]

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        mu = inputs.forecasts.iloc[i].to_numpy(dtype=float) * inputs.periods_per_year
        cov = self._cov(inputs, i)
        if not (np.isfinite(mu).all() and np.isfinite(cov).all()):
            return np.full(len(mu), np.nan)
        cov = (1 - self.shrinkage) * cov + self.shrinkage * np.diag(np.diag(cov))
        w = np.linalg.solve(cov, mu) / self.risk_aversion
        return np.clip(w, -self.cap, self.cap)


class RiskParityAllocator(Allocator):
    """Inverse-volatility weights (``method="inverse_vol"``) or equal risk contributions (``"erc"``).

    Weights sum to ``target_gross``. Ignores forecasts.
    """

    uses_forecasts = False

    def __init__(self, method: str = "inverse_vol", window: int = 36, target_gross: float = 1.0):
        self.method = method
        self.window = window
        self.target_gross = target_gross

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        vol = inputs.vol.iloc[i].to_numpy(dtype=float)
        if not np.isfinite(vol).all() or (vol <= 0).any():
            return np.full(len(vol), np.nan)
        w = 1.0 / vol
        if self.method == "erc" and len(w) > 1:
            cov = trailing_cov(inputs.returns[inputs.assets], inputs.dates[i], self.window,
                               periods_per_year=inputs.periods_per_year)
            if np.isfinite(cov).all():
                for _ in range(200):  # fixed point: w_i proportional to 1 / (Sigma w)_i
                    marginal = cov @ w
                    new = 1.0 / np.maximum(marginal, 1e-12)
                    new /= new.sum()
                    if np.abs(new - w / w.sum()).max() < 1e-10:
                        break
                    w = new
        return w / w.sum() * self.target_gross


class VolTargetAllocator(Allocator):
    """Scale base weights to a target volatility: ``w = base * target_vol / vol_t``, capped.

    Barroso & Santa-Clara (2015), Moreira & Muir (2017): ``vol_t`` is the
    trailing realized volatility known at t (daily returns over 126 days when
    available). ``base`` is a number, list or mapping of weights.
    """

    uses_forecasts = False

    def __init__(self, target_vol: float = 0.12, base=1.0, max_leverage: float = 2.0):
        self.target_vol = target_vol
        self.base = base
        self.max_leverage = max_leverage

    def _row(self, inputs: AllocationInputs, i: int) -> np.ndarray:
        vol = inputs.vol.iloc[i].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.minimum(self.target_vol / vol, self.max_leverage)
        return weight_vector(self.base, inputs.assets) * scale
