"""The regime-detector contract shared by every detector.

scikit-learn conventions: the constructor only stores parameters; ``fit(X)``
validates, learns and returns ``self``; learned attributes end in ``_``.

Timing contract (the product's core promise):

* ``predict_proba(X)`` returns FILTERED probabilities: row t is computed from
  rows ``<= t`` of ``X`` and the fitted parameters only. Appending rows to
  ``X`` never changes earlier rows (tested for every detector).
* ``predict(X)`` is its argmax; :meth:`RegimeDetector.risk_off_proba` its
  last column.
* States are in canonical order after every fit: state 0 is risk-on (the
  lowest risk statistic), the last state is risk-off. With three states the
  middle one is "neutral".
* Smoothed (two-sided) probabilities, where a model has them, live under
  ``smoothed_proba`` and are in-sample diagnostics only.

Rows of ``X`` are consecutive observations in time, shape
``(n_samples, n_features)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from plumbing.errors import EstimatorInputError
from regimes.persistence import check_persistence, persist

RISK_STATS = ("mean", "std", "-mean")

_FILTERED = ("outputs are filtered: row t depends on the rows before it (a time series), so predicting a subset "
             "or a reordering of the rows gives other values by design")
FILTERED: dict[str, str] = {"check_methods_subset_invariance": _FILTERED,
                            "check_methods_sample_order_invariance": _FILTERED}


def too_few_rows(reason: str, *checks: str) -> dict[str, str]:
    """Declared exceptions for checks that fit on fewer rows than a detector needs (``reason`` says how many)."""
    return {name: reason for name in checks}


class RegimeDetector(BaseEstimator):
    """Base class: subclasses implement ``_fit`` and ``_filtered``.

    Subclass parameters shared by all detectors: ``risk_column`` (int, the
    feature whose statistic ranks states) and ``risk_stat`` (one of
    ``"mean"``, ``"std"``, ``"-mean"``).
    """

    #: "probabilistic" when outputs are model probabilities, "score" when a
    #: risk score mapped to a probability by :func:`rank_to_proba`, "label"
    #: for hard labels.
    output_kind: str = "probabilistic"

    #: scikit-learn checks that cannot apply (check name -> reason), for ``check_estimator(expected_failed_checks=)``
    expected_failed_checks: dict[str, str] = FILTERED

    # -- public API -------------------------------------------------------
    def fit(self, X, y=None) -> RegimeDetector:
        """Fit on ``X`` (training window), then order states canonically.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Consecutive observations, no missing values.
        y : ignored
        """
        X = self._validate(X, reset=True)
        self._check_params()
        self._fit(X)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Filtered state probabilities.

        Returns
        -------
        ndarray of shape (n_samples, n_states)
            Row t is ``P(state_t | X[0..t])`` under the fitted parameters:
            computed using rows ``<= t`` only. Columns in canonical order.
        """
        return self.filtered_proba(X, start=0)

    def filtered_proba(self, X, start: int = 0) -> np.ndarray:
        """Filtered probabilities for rows ``start..n-1`` (each from rows ``<= t``).

        Detectors whose per-row cost is high (change-point search) compute
        only the rows asked for; the walk-forward engine uses this.

        Returns
        -------
        ndarray of shape (n_samples - start, n_states)
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        if not 0 <= start <= len(X):
            raise ValueError(f"start must be in [0, {len(X)}], got {start}")
        if not self.persistent:
            return self._filtered(X, start)
        # the state machine runs forward from the first row given, so row t's label uses rows <= t only
        labels = persist(self._filtered(X, 0)[:, -1], self.hysteresis, int(self.min_duration))
        return two_state(labels)[start:]

    def predict(self, X) -> np.ndarray:
        """Filtered regime labels (argmax of :meth:`predict_proba`), shape ``(n_samples,)``."""
        return np.argmax(self.predict_proba(X), axis=1)

    def risk_off_proba(self, X) -> np.ndarray:
        """Filtered probability of the risk-off (last) state, shape ``(n_samples,)``."""
        return self.predict_proba(X)[:, -1]

    @property
    def persistent(self) -> bool:
        """Whether outputs pass through :func:`regimes.persistence.persist` (hysteresis or min_duration set)."""
        return getattr(self, "hysteresis", None) is not None or getattr(self, "min_duration", 1) != 1

    # -- for subclasses -------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        raise NotImplementedError

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        raise NotImplementedError

    def _check_params(self) -> None:
        stat = getattr(self, "risk_stat", "mean")
        if stat not in RISK_STATS:
            raise EstimatorInputError(f"{type(self).__name__}: risk_stat must be one of {RISK_STATS}, not {stat!r}")
        if hasattr(self, "min_duration"):
            name = type(self).__name__
            check_persistence(name, self.hysteresis, self.min_duration)
            if self.hysteresis is not None and self.output_kind == "label":
                raise EstimatorInputError(f"{name}: hysteresis needs probabilities, but this detector gives hard "
                                         "labels (0 or 1); use min_duration")
        col = getattr(self, "risk_column", 0)
        if not isinstance(col, (int, np.integer)) or not 0 <= col < self.n_features_in_:
            raise EstimatorInputError(f"{type(self).__name__}: risk_column must be an integer in "
                                     f"[0, {self.n_features_in_}), not {col!r}")

    def _validate(self, X, reset: bool) -> np.ndarray:
        """scikit-learn's input validation: 2-D, numeric, finite, dense; at least 2 rows to fit; at predict
        time the feature count (and names, for a DataFrame) of the fit."""
        return validate_data(self, X, reset=reset, dtype=float, ensure_min_samples=2 if reset else 1)


def state_risk(X: np.ndarray, labels: np.ndarray, n_states: int, column: int, stat: str,
               means: np.ndarray | None = None, stds: np.ndarray | None = None) -> np.ndarray:
    """Risk statistic of each state (higher = riskier), shape ``(n_states,)``.

    Uses fitted per-state ``means``/``stds`` of the risk column when given,
    else the in-sample values of the rows assigned to each state (a state
    with no rows ranks by the overall value).
    """
    x = X[:, column]
    out = np.empty(n_states)
    for k in range(n_states):
        rows = x[labels == k] if labels is not None else np.empty(0)
        if stat == "std":
            out[k] = stds[k] if stds is not None else (rows.std() if len(rows) > 1 else x.std())
        else:
            m = means[k] if means is not None else (rows.mean() if len(rows) else x.mean())
            out[k] = m if stat == "mean" else -m
    return out


def canonical_order(risk: np.ndarray) -> np.ndarray:
    """Permutation putting states in ascending risk: ``order[new] = old``."""
    return np.argsort(risk, kind="stable")


def forward_filter(log_emission: np.ndarray, startprob: np.ndarray, transmat: np.ndarray) -> np.ndarray:
    """Scaled forward pass of a hidden Markov model: filtered state probabilities.

    Parameters
    ----------
    log_emission : ndarray of shape (n_samples, n_states)
        ``log p(x_t | state_t = k)``.
    startprob : ndarray of shape (n_states,)
        Distribution of the first state.
    transmat : ndarray of shape (n_states, n_states)
        ``transmat[i, j] = P(state_{t+1} = j | state_t = i)``.

    Returns
    -------
    ndarray of shape (n_samples, n_states)
        Row t is ``P(state_t | x_0..x_t)``: computed using observations up
        to and including t only.
    """
    n, k = log_emission.shape
    out = np.empty((n, k))
    prior = np.asarray(startprob, dtype=float)
    for t in range(n):
        row = log_emission[t]
        weights = prior * np.exp(row - row.max())
        total = weights.sum()
        alpha = weights / total if total > 0 and np.isfinite(total) else np.full(k, 1.0 / k)
        out[t] = alpha
        prior = alpha @ transmat
    return out


def expanding_rank(score: np.ndarray, min_periods: int = 12) -> np.ndarray:
    """Percentile rank of ``score[t]`` among ``score[0..t]`` (ties count half), NaN before ``min_periods``.

    Uses values up to and including t only.
    """
    score = np.asarray(score, dtype=float)
    out = np.full(len(score), np.nan)
    history: list[float] = []
    import bisect
    for t, value in enumerate(score):
        if not np.isfinite(value):
            continue
        bisect.insort(history, value)
        if len(history) >= min_periods:
            lo = bisect.bisect_left(history, value)
            hi = bisect.bisect_right(history, value)
            out[t] = (lo + 0.5 * (hi - lo)) / len(history)
    return out


def rank_to_proba(rank: np.ndarray, threshold: float = 0.75, width: float = 0.05) -> np.ndarray:
    """Map a percentile rank to a risk-off probability: ``expit((rank - threshold) / width)``.

    The documented mapping for detectors whose raw output is a risk score
    (GARCH volatility, BOCPD run variance, change-point segment level): a
    score at its history's ``threshold`` quantile gives 0.5; ``width``
    sets how sharp the transition is (``threshold +/- 2 * width`` give about
    0.12 and 0.88). NaN ranks (too little history) give NaN.
    """
    return expit((np.asarray(rank, dtype=float) - threshold) / width)


def two_state(risk_off: np.ndarray) -> np.ndarray:
    """Stack a risk-off probability into ``(n, 2)`` columns ``[risk-on, risk-off]``."""
    risk_off = np.asarray(risk_off, dtype=float)
    return np.column_stack([1.0 - risk_off, risk_off])
