"""Gaussian hidden Markov model detector (hmmlearn), with causal filtering.

hmmlearn's ``predict`` (Viterbi) and ``predict_proba`` (forward-backward)
both use future observations. This detector fits with hmmlearn's EM and
filters with its own scaled forward pass on the fitted parameters
(:func:`regimes.detectors._base.forward_filter`), so probability t uses
observations up to t only. hmmlearn's smoothed probabilities are available as
:meth:`GaussianHMMDetector.smoothed_proba`, for in-sample diagnostics only.
"""

from __future__ import annotations

import copy
import logging
import warnings

import numpy as np
from hmmlearn.hmm import GaussianHMM
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from plumbing.errors import EstimatorInputError
from regimes.detectors._base import (
    FILTERED,
    RegimeDetector,
    canonical_order,
    forward_filter,
    state_risk,
    too_few_rows,
)


class GaussianHMMDetector(RegimeDetector):
    """Gaussian HMM regimes with filtered (causal) probabilities.

    Parameters
    ----------
    n_states : {2, 3}, default 2
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
    n_init : int, default 5
        Seeded EM restarts at the first fit; the fit with the best
        log-likelihood is kept.
    n_init_refit : int, default 2
        Seeded restarts on a refit of an already fitted detector, besides
        the warm start from the previous parameters (walk-forward refits move
        little, so fewer fresh starts are needed).
    n_iter : int, default 500
        Maximum EM iterations per restart.
    tol : float, default 1e-4
        EM convergence threshold on the log-likelihood gain.
    min_covar : float, default 1e-3
        Floor on covariance diagonals (features are standardized).
    warm_start : bool, default True
        On a refit of an already fitted detector, also start EM from the
        previous parameters (one more candidate besides the restarts).
    risk_column : int, default 0
        Feature whose per-state statistic orders the states.
    risk_stat : {"mean", "std", "-mean"}, default "mean"
    random_state : int, RandomState or None, default None
        Seeds the restarts.

    Attributes
    ----------
    means_ : ndarray of shape (n_states, n_features)
        Per-state means, canonical order (state 0 risk-on).
    covars_ : ndarray of shape (n_states, n_features, n_features)
    volatilities_ : ndarray of shape (n_states, n_features)
        Square roots of the covariance diagonals.
    transmat_ : ndarray of shape (n_states, n_states)
    startprob_ : ndarray of shape (n_states,)
    expected_durations_ : ndarray of shape (n_states,)
        ``1 / (1 - transmat_[k, k])`` periods.
    log_likelihood_ : float
        Of the training data under the kept fit.
    converged_ : bool
    order_ : ndarray of shape (n_states,)
        ``order_[k]`` is hmmlearn's index of canonical state k.
    """

    def __init__(self, n_states: int = 2, covariance_type: str = "full", n_init: int = 5, n_init_refit: int = 2,
                 n_iter: int = 500, tol: float = 1e-4, min_covar: float = 1e-3, warm_start: bool = True,
                 risk_column: int = 0, risk_stat: str = "mean", random_state=None):
        self.n_states = n_states
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.n_init_refit = n_init_refit
        self.n_iter = n_iter
        self.tol = tol
        self.min_covar = min_covar
        self.warm_start = warm_start
        self.risk_column = risk_column
        self.risk_stat = risk_stat
        self.random_state = random_state

    def _candidate(self, seed: int) -> GaussianHMM:
        return GaussianHMM(n_components=self.n_states, covariance_type=self.covariance_type, n_iter=self.n_iter,
                           tol=self.tol, min_covar=self.min_covar, random_state=seed, implementation="scaling")

    def _check_params(self) -> None:
        super()._check_params()
        if self.n_states not in (2, 3):
            raise EstimatorInputError(f"hmm: n_states must be 2 or 3, not {self.n_states!r}")
        if self.covariance_type not in ("full", "diag", "spherical", "tied"):
            raise EstimatorInputError(f"hmm: covariance_type must be full, diag, spherical or tied, "
                                     f"not {self.covariance_type!r}")

    expected_failed_checks = {**FILTERED, **too_few_rows(
        "hmm needs at least 10 rows per state (20 for 2 states); this check fits on 10 or 15",
        "check_n_features_in_after_fitting", "check_estimators_nan_inf", "check_fit2d_1feature")}

    def _fit(self, X: np.ndarray) -> None:
        if len(X) < 10 * self.n_states:
            raise EstimatorInputError(f"hmm: n_samples={len(X)} observations are too few to fit {self.n_states} states")
        rng = check_random_state(self.random_state)
        previous = getattr(self, "model_", None)
        warm_ok = self.warm_start and previous is not None and previous.n_features == X.shape[1]
        n_fresh = self.n_init_refit if warm_ok else self.n_init
        candidates = [self._candidate(int(rng.randint(np.iinfo(np.int32).max))) for _ in range(n_fresh)]
        if warm_ok:
            warm = copy.deepcopy(previous)
            warm.init_params = ""
            candidates.append(warm)
        best, best_ll = None, -np.inf
        hmm_logger = logging.getLogger("hmmlearn.base")
        level = hmm_logger.level
        hmm_logger.setLevel(logging.ERROR)  # convergence is reported below, once
        try:
            for model in candidates:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model.fit(X)
                        ll = model.score(X)
                except (ValueError, np.linalg.LinAlgError):
                    continue  # a degenerate restart (empty state, singular covariance)
                if np.isfinite(ll) and ll > best_ll:
                    best, best_ll = model, ll
        finally:
            hmm_logger.setLevel(level)
        if best is None:
            raise EstimatorInputError("hmm: every EM restart failed (degenerate data?)")
        self.model_ = best
        self.log_likelihood_ = float(best_ll)
        self.converged_ = bool(best.monitor_.converged)
        if not self.converged_:
            warnings.warn(f"hmm: EM did not converge in {self.n_iter} iterations (tol {self.tol}); "
                          "raise n_iter or tol", ConvergenceWarning, stacklevel=3)
        covars = best.covars_
        risk = state_risk(X, None, self.n_states, self.risk_column, self.risk_stat, means=best.means_[:, self.risk_column],
                          stds=np.sqrt(covars[:, self.risk_column, self.risk_column]))
        order = canonical_order(risk)
        self.order_ = order
        self.means_ = best.means_[order]
        self.covars_ = covars[order]
        self.volatilities_ = np.sqrt(np.diagonal(self.covars_, axis1=1, axis2=2))
        self.transmat_ = best.transmat_[np.ix_(order, order)]
        self.startprob_ = best.startprob_[order]
        with np.errstate(divide="ignore"):
            self.expected_durations_ = 1.0 / (1.0 - np.diag(self.transmat_))

    def log_emission(self, X) -> np.ndarray:
        """``log p(x_t | state k)``, shape ``(n_samples, n_states)``, canonical order; row t uses x_t only."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return np.column_stack([multivariate_normal(self.means_[k], self.covars_[k], allow_singular=True).logpdf(X)
                                for k in range(self.n_states)]).reshape(len(X), self.n_states)

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        return forward_filter(self.log_emission(X), self.startprob_, self.transmat_)[start:]

    def predict_next_proba(self, X) -> np.ndarray:
        """One-step-ahead state probabilities, ``P(state_{t+1} | X[0..t])``.

        Returns
        -------
        ndarray of shape (n_samples, n_states)
            Filtered probabilities at t times the transition matrix: uses
            rows ``<= t`` only.
        """
        return self.predict_proba(X) @ self.transmat_

    def smoothed_proba(self, X) -> np.ndarray:
        """Smoothed (forward-backward) probabilities, canonical order.

        IN-SAMPLE DIAGNOSTICS ONLY: row t uses the whole of ``X``, including
        rows after t. Never use it for a decision.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return self.model_.predict_proba(X)[:, self.order_]
