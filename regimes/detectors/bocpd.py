"""Bayesian online change-point detection (Adams & MacKay 2007).

A univariate Gaussian with unknown mean and variance (Normal-Gamma conjugate
prior) on the risk column, a constant hazard ``1 / expected_run``, and a
run-length posterior truncated at ``max_run`` (the mass of longer runs is
merged into the longest kept run), so the cost is ``O(n * max_run)``, linear
in the series length.

At each date t the posterior over the current run length, given ``x_0..x_t``,
weights each run's posterior risk level: the posterior mean of ``x`` for
``risk_stat="mean"`` (``-mean`` negated), or the posterior mean of the
standard deviation ``sqrt(beta / (alpha - 1))`` for ``risk_stat="std"``.
That score is ranked against its own history up to t
(:func:`regimes.detectors._base.expanding_rank`) and mapped to a probability
by :func:`regimes.detectors._base.rank_to_proba`.

``fit`` sets the prior from the training window: mean ``mu0`` and precision
scale from the training mean and variance.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, logsumexp

from plumbing.errors import EstimatorInputError
from regimes.detectors._base import (
    RegimeDetector,
    expanding_rank,
    rank_to_proba,
    two_state,
)


def _student_logpdf(x: float, mu: np.ndarray, kappa: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    scale2 = beta * (kappa + 1.0) / (alpha * kappa)
    nu = 2.0 * alpha
    z = (x - mu) ** 2 / scale2
    return (gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu * np.pi * scale2)
            - (nu + 1) / 2 * np.log1p(z / nu))


class BOCPDDetector(RegimeDetector):
    """Bayesian online change-point regimes (see module docstring).

    Parameters
    ----------
    expected_run : float, default 24
        Prior expected regime length in periods (hazard ``1 / expected_run``).
    max_run : int, default 240
        Longest run length kept in the posterior.
    kappa0 : float, default 1.0
        Prior pseudo-observations for the mean.
    alpha0 : float, default 2.0
        Prior shape of the precision (>1 so the variance has a mean).
    threshold, width : float, default 0.75, 0.05
        Of :func:`rank_to_proba`.
    min_history : int, default 24
        Observations before the first probability.
    risk_column : int, default 0
    risk_stat : {"mean", "std", "-mean"}, default "std"
    hysteresis : [p_lo, p_hi] or None, default None
        Persistence (:mod:`regimes.persistence`): enter risk-off when the
        risk-off probability exceeds ``p_hi``, leave when it falls below ``p_lo``.
    min_duration : int, default 1
        Persistence: a switch is confirmed only after this many consecutive
        dates propose it. With either set, outputs are confirmed 0/1 labels.

    Attributes
    ----------
    mu0_, beta0_ : float
        Prior mean and rate from the training window.
    """

    output_kind = "score"

    def __init__(self, expected_run: float = 24.0, max_run: int = 240, kappa0: float = 1.0, alpha0: float = 2.0,
                 threshold: float = 0.75, width: float = 0.05, min_history: int = 24, risk_column: int = 0,
                 risk_stat: str = "std", hysteresis: list[float] | None = None,
                 min_duration: int = 1):
        self.expected_run = expected_run
        self.max_run = max_run
        self.kappa0 = kappa0
        self.alpha0 = alpha0
        self.threshold = threshold
        self.width = width
        self.min_history = min_history
        self.risk_column = risk_column
        self.risk_stat = risk_stat
        self.hysteresis = hysteresis
        self.min_duration = min_duration

    def _check_params(self) -> None:
        super()._check_params()
        if self.expected_run <= 1:
            raise EstimatorInputError(f"bocpd: expected_run must exceed 1, not {self.expected_run!r}")
        if self.alpha0 <= 1 or self.kappa0 <= 0:
            raise EstimatorInputError("bocpd: alpha0 must exceed 1 and kappa0 be positive")
        if int(self.max_run) < 2:
            raise EstimatorInputError(f"bocpd: max_run must be >= 2, not {self.max_run!r}")

    def _fit(self, X: np.ndarray) -> None:
        x = X[:, self.risk_column]
        self.mu0_ = float(x.mean())
        self.beta0_ = float(max(x.var(), 1e-12) * (self.alpha0 - 1.0))  # prior mean variance = sample variance

    def run_length_posterior(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Risk score and MAP run length at each date.

        Returns
        -------
        score : ndarray of shape (n_samples,)
            Posterior-weighted risk level of the current run; uses rows <= t.
        map_run : ndarray of shape (n_samples,)
            Most probable current run length at t (periods since the last
            change, as believed at t).
        """
        X = self._validate(X, reset=False)
        x = X[:, self.risk_column]
        log_h = -np.log(self.expected_run)
        log_1mh = np.log1p(-1.0 / self.expected_run)
        log_r = np.array([0.0])
        mu = np.array([self.mu0_])
        kappa = np.array([self.kappa0])
        alpha = np.array([self.alpha0])
        beta = np.array([self.beta0_])
        score = np.empty(len(x))
        map_run = np.empty(len(x), dtype=np.int64)
        cap = int(self.max_run)
        for t, value in enumerate(x):
            pred = _student_logpdf(value, mu, kappa, alpha, beta)
            growth = log_r + pred + log_1mh
            change = logsumexp(log_r + pred + log_h)
            log_r = np.concatenate([[change], growth])
            # posterior parameters after seeing x_t: run 0 restarts from the prior
            mu_new = (kappa * mu + value) / (kappa + 1.0)
            beta_new = beta + kappa * (value - mu) ** 2 / (2.0 * (kappa + 1.0))
            mu = np.concatenate([[self.mu0_], mu_new])
            kappa = np.concatenate([[self.kappa0], kappa + 1.0])
            alpha = np.concatenate([[self.alpha0], alpha + 0.5])
            beta = np.concatenate([[self.beta0_], beta_new])
            if len(log_r) > cap:  # truncate: merge the longest runs' mass into the last kept run
                log_r = np.concatenate([log_r[: cap - 1], [logsumexp(log_r[cap - 1:])]])
                mu, kappa, alpha, beta = (a[:cap] for a in (mu, kappa, alpha, beta))
            log_r = log_r - logsumexp(log_r)
            weights = np.exp(log_r)
            if self.risk_stat == "std":
                level = np.sqrt(beta / (alpha - 1.0))
            else:
                level = mu if self.risk_stat == "mean" else -mu
            score[t] = float(weights @ level)
            map_run[t] = int(np.argmax(weights))
        return score, map_run

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        score, _ = self.run_length_posterior(X)
        ranks = expanding_rank(score, self.min_history)
        return two_state(rank_to_proba(ranks, self.threshold, self.width))[start:]
