"""GJR-GARCH(1,1) volatility regimes (arch), on daily index returns.

``fit`` estimates a constant-mean GJR-GARCH(1,1) with arch on the training
window's daily returns (scaled to percent for the optimizer). The filter then
runs the GJR recursion with those parameters over any data:

    s2_{t+1|t} = omega + (alpha + gamma * 1[e_t < 0]) * e_t**2 + beta * s2_t,  e_t = r_t - mu

starting from the training window's backcast (arch's own initial variance),
so the one-step-ahead variance for t+1 uses returns up to t only. (Our
recursion reproduces arch's ``conditional_volatility`` on the training data;
a test checks it.)

Regime: the annualized one-step-ahead volatility is ranked against its own
history up to t (:func:`regimes.detectors._base.expanding_rank`) and mapped to
a risk-off probability by :func:`regimes.detectors._base.rank_to_proba`.
Inputs are raw decimal returns (the engine does not standardize them).
"""

from __future__ import annotations

import warnings

import numpy as np
from arch import arch_model

from plumbing.errors import EstimatorInputError
from regimes.detectors._base import (
    RegimeDetector,
    expanding_rank,
    rank_to_proba,
    too_few_rows,
    two_state,
)

SCALE = 100.0


def gjr_variance(returns_pct: np.ndarray, mu: float, omega: float, alpha: float, gamma: float, beta: float,
                 backcast: float) -> np.ndarray:
    """Conditional variances ``s2_t`` (of period t, known at t-1) and the forecast for n.

    Returns
    -------
    ndarray of shape (n_samples + 1,)
        Element t (< n) is the variance of period t computed from returns
        before t; the last element is the forecast for the period after the
        data. In the units of ``returns_pct`` squared.
    """
    n = len(returns_pct)
    out = np.empty(n + 1)
    eps = returns_pct - mu
    # arch's first variance: squared residual and its negative part both backcast
    s2 = omega + alpha * backcast + gamma * 0.5 * backcast + beta * backcast
    out[0] = s2
    for t in range(n):
        e2 = eps[t] ** 2
        s2 = omega + (alpha + gamma * (eps[t] < 0)) * e2 + beta * s2
        out[t + 1] = s2
    return out


class GarchDetector(RegimeDetector):
    """GJR-GARCH(1,1) conditional-volatility regimes (see module docstring).

    Parameters
    ----------
    dist : {"normal", "t", "skewt"}, default "t"
        Innovation distribution for estimation.
    threshold, width : float, default 0.75, 0.05
        Of :func:`rank_to_proba`.
    min_history : int, default 252
        Observations before the first probability.
    risk_column : int, default 0
        Column of daily returns (decimal).
    risk_stat : {"std"}, default "std"
        Kept for the common interface; volatility is the risk statistic.
    hysteresis : [p_lo, p_hi] or None, default None
        Persistence (:mod:`regimes.persistence`): enter risk-off when the
        risk-off probability exceeds ``p_hi``, leave when it falls below ``p_lo``.
    min_duration : int, default 1
        Persistence: a switch is confirmed only after this many consecutive
        dates propose it. With either set, outputs are confirmed 0/1 labels.

    Attributes
    ----------
    params_ : dict
        ``mu, omega, alpha, gamma, beta`` (percent units) and ``nu`` where estimated.
    backcast_ : float
        arch's initial variance from the training window.
    persistence_ : float
        ``alpha + gamma / 2 + beta``.
    """

    output_kind = "score"
    standardize_inputs = False

    def __init__(self, dist: str = "t", threshold: float = 0.75, width: float = 0.05, min_history: int = 252,
                 risk_column: int = 0, risk_stat: str = "std", hysteresis: list[float] | None = None,
                 min_duration: int = 1):
        self.dist = dist
        self.threshold = threshold
        self.width = width
        self.min_history = min_history
        self.risk_column = risk_column
        self.risk_stat = risk_stat
        self.hysteresis = hysteresis
        self.min_duration = min_duration

    expected_failed_checks = too_few_rows(
        "GJR-GARCH(1,1) is estimated on at least 100 returns; this check fits on fewer",
        "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self", "check_readonly_memmap_input", "check_n_features_in_after_fitting",
        "check_estimators_dtypes", "check_dtype_object", "check_pipeline_consistency", "check_estimators_nan_inf",
        "check_estimators_pickle", "check_f_contiguous_array_estimator", "check_fit2d_1feature",
        "check_dict_unchanged", "check_fit_idempotent", "check_fit2d_predict1d", "check_methods_subset_invariance",
        "check_methods_sample_order_invariance")

    def _check_params(self) -> None:
        super()._check_params()
        if self.dist not in ("normal", "t", "skewt"):
            raise EstimatorInputError(f"garch: dist must be normal, t or skewt, not {self.dist!r}")

    def _fit(self, X: np.ndarray) -> None:
        y = X[:, self.risk_column] * SCALE
        if len(y) < 100:
            raise EstimatorInputError(f"garch: {len(y)} returns are too few to estimate GJR-GARCH(1,1) (it needs 100 "
                                     "in its first training window; on monthly or weekly data raise the regime "
                                     "schedule's min_history to 100 or more)")
        model = arch_model(y, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist=self.dist, rescale=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(disp="off", show_warning=False)
        p = res.params
        self.params_ = {"mu": float(p["mu"]), "omega": float(p["omega"]), "alpha": float(p["alpha[1]"]),
                        "gamma": float(p["gamma[1]"]), "beta": float(p["beta[1]"])}
        if "nu" in p:
            self.params_["nu"] = float(p["nu"])
        # arch backcasts from residuals about the starting mean (the sample mean), not the fitted mu
        self.backcast_ = float(model.volatility.backcast(y - y.mean()))
        self.persistence_ = self.params_["alpha"] + self.params_["gamma"] / 2 + self.params_["beta"]
        self.convergence_flag_ = int(res.convergence_flag)
        self.arch_conditional_volatility_ = np.asarray(res.conditional_volatility) / SCALE

    def conditional_volatility(self, X) -> np.ndarray:
        """Annualized one-step-ahead volatility, shape ``(n_samples,)``.

        Element t is the forecast for period t+1 made at t: computed using
        returns up to and including t.
        """
        X = self._validate(X, reset=False)
        p = self.params_
        s2 = gjr_variance(X[:, self.risk_column] * SCALE, p["mu"], p["omega"], p["alpha"], p["gamma"], p["beta"],
                          self.backcast_)
        return np.sqrt(252.0 * s2[1:]) / SCALE

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        ranks = expanding_rank(self.conditional_volatility(X), self.min_history)
        return two_state(rank_to_proba(ranks, self.threshold, self.width))[start:]
