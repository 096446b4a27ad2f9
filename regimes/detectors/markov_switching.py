"""Markov-switching regression with switching mean and variance (statsmodels).

``fit`` estimates ``MarkovRegression(x, k_regimes, trend="c",
switching_variance=True)`` on the training window's risk column (a univariate
model: returns for volatility regimes, or a VIX feature for level regimes),
with statsmodels' deterministic default starting values. Filtering applies
the fitted parameters to any data with statsmodels' Hamilton filter
(``model.filter(params)``): ``filtered_marginal_probabilities`` at t use
observations up to t; the initial distribution is the steady state of the
fitted transition matrix (no data).
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

from plumbing.errors import EstimatorInputError
from regimes.detectors._base import (
    FILTERED,
    RegimeDetector,
    canonical_order,
    too_few_rows,
)


class MarkovSwitchingDetector(RegimeDetector):
    """Hamilton-filtered Markov-switching regimes (see module docstring).

    Parameters
    ----------
    n_states : int, default 2
    risk_column : int, default 0
    risk_stat : {"mean", "std", "-mean"}, default "std"

    Attributes
    ----------
    params_ : ndarray
        statsmodels' parameter vector (its own state order).
    order_ : ndarray of shape (n_states,)
        statsmodels' index of each canonical state.
    means_, volatilities_ : ndarray of shape (n_states,)
        Per-state mean and standard deviation, canonical order.
    transmat_ : ndarray of shape (n_states, n_states)
        ``transmat_[i, j] = P(j at t+1 | i at t)``, canonical order.
    expected_durations_ : ndarray of shape (n_states,)
    """

    def __init__(self, n_states: int = 2, risk_column: int = 0, risk_stat: str = "std"):
        self.n_states = n_states
        self.risk_column = risk_column
        self.risk_stat = risk_stat

    def _model(self, x: np.ndarray) -> MarkovRegression:
        return MarkovRegression(x, k_regimes=self.n_states, trend="c", switching_variance=True)

    expected_failed_checks = {**FILTERED,
                              **too_few_rows("statsmodels' Markov-switching EM does not converge (SVD did not "
                                             "converge) on this check's 10 to 20 rows of uniform noise",
                                             "check_estimators_dtypes", "check_fit2d_1feature",
                                             "check_fit_idempotent", "check_fit_check_is_fitted",
                                             "check_n_features_in")}

    def _check_params(self) -> None:
        super()._check_params()
        if self.n_states not in (2, 3):
            raise EstimatorInputError(f"markov_switching: n_states must be 2 or 3, not {self.n_states!r}")

    def _fit(self, X: np.ndarray) -> None:
        x = X[:, self.risk_column]
        model = self._model(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(disp=False)
        self.params_ = np.asarray(res.params)
        names = model.param_names
        k = self.n_states
        means = np.array([self.params_[names.index(f"const[{i}]")] for i in range(k)])
        sig = np.sqrt([self.params_[names.index(f"sigma2[{i}]")] for i in range(k)])
        risk = sig if self.risk_stat == "std" else (means if self.risk_stat == "mean" else -means)
        order = canonical_order(risk)
        self.order_ = order
        self.means_ = means[order]
        self.volatilities_ = sig[order]
        # statsmodels' regime_transition[j, i] = P(j at t+1 | i at t)
        trans = np.asarray(res.regime_transition)[:, :, 0].T
        self.transmat_ = trans[np.ix_(order, order)]
        with np.errstate(divide="ignore"):
            self.expected_durations_ = 1.0 / (1.0 - np.diag(self.transmat_))

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        res = self._model(X[:, self.risk_column]).filter(self.params_)
        return np.asarray(res.filtered_marginal_probabilities)[:, self.order_][start:]
