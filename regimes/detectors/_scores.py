"""Held-out scores of a fitted detector on a validation block (used by in-fold model selection).

Every score uses the detector's filtered (causal) output: the prediction for
validation row t uses rows < t (likelihood) or the decision at the close of t
(Sharpe), never a later row.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

#: Ridge added to state covariances estimated from filtered probabilities (features are standardized).
COVARIANCE_RIDGE = 1e-3


def state_model(detector, X_train: np.ndarray, proba_train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian state means, covariances and transition matrix of a fitted detector.

    The detector's own ``means_``, ``covars_`` (full, shape ``(K, d, d)``) and
    ``transmat_`` when it has all three (a Gaussian HMM: its own predictive
    likelihood). Otherwise, estimated on the training rows from its filtered
    probabilities: probability-weighted means and covariances (plus
    :data:`COVARIANCE_RIDGE` on the diagonal; a state with less mass than
    ``d + 1`` rows takes the pooled moments) and the transitions of its
    filtered argmax labels with one pseudo-count per cell.

    Parameters
    ----------
    X_train : ndarray of shape (n_train, n_features)
    proba_train : ndarray of shape (n_train, n_states)
        Filtered probabilities on the training rows (rows with NaN are ignored).

    Returns
    -------
    means : ndarray of shape (n_states, n_features)
    covs : ndarray of shape (n_states, n_features, n_features)
    transmat : ndarray of shape (n_states, n_states)
    """
    k, d = proba_train.shape[1], X_train.shape[1]
    means, covs, trans = (getattr(detector, a, None) for a in ("means_", "covars_", "transmat_"))
    if (means is not None and covs is not None and trans is not None and np.shape(means) == (k, d)
            and np.shape(covs) == (k, d, d) and np.isfinite(trans).all()):
        return np.asarray(means), np.asarray(covs), np.asarray(trans)
    ok = np.isfinite(proba_train).all(axis=1)
    X, P = X_train[ok], proba_train[ok]
    pooled_mean = X.mean(axis=0)
    pooled_cov = np.atleast_2d(np.cov(X, rowvar=False)) + COVARIANCE_RIDGE * np.eye(d)
    means, covs = np.empty((k, d)), np.empty((k, d, d))
    for j in range(k):
        w = P[:, j]
        mass = w.sum()
        if mass < d + 1:
            means[j], covs[j] = pooled_mean, pooled_cov
            continue
        means[j] = w @ X / mass
        dev = X - means[j]
        covs[j] = (dev * w[:, None]).T @ dev / mass + COVARIANCE_RIDGE * np.eye(d)
    labels = P.argmax(axis=1)
    counts = np.ones((k, k))
    np.add.at(counts, (labels[:-1], labels[1:]), 1.0)
    return means, covs, counts / counts.sum(axis=1, keepdims=True)


def predictive_loglik(proba: np.ndarray, X_val: np.ndarray, means: np.ndarray, covs: np.ndarray,
                      transmat: np.ndarray) -> np.ndarray:
    """One-step-ahead predictive log density of each validation row.

    Parameters
    ----------
    proba : ndarray of shape (n_val + 1, n_states)
        Filtered probabilities at the row before the block and at each block row.
    X_val : ndarray of shape (n_val, n_features)

    Returns
    -------
    ndarray of shape (n_val,)
        ``log sum_k (proba[t - 1] @ transmat)[k] * N(x_t; means[k], covs[k])``: uses rows < t
        for the state prediction. NaN where the previous row has no probability.
    """
    logpdf = np.column_stack([multivariate_normal(means[j], covs[j], allow_singular=True).logpdf(X_val)
                              for j in range(len(means))]).reshape(len(X_val), len(means))
    prior = proba[:-1] @ transmat
    out = np.full(len(X_val), np.nan)
    ok = np.isfinite(prior).all(axis=1)
    out[ok] = logsumexp(logpdf[ok], b=np.maximum(prior[ok], 0.0), axis=1)
    return out


def n_parameters(n_states: int, n_features: int) -> int:
    """Free parameters of a Gaussian regime model: means, full covariances, transition rows."""
    return n_states * n_features + n_states * n_features * (n_features + 1) // 2 + n_states * (n_states - 1)


def strategy_returns(risk_off: np.ndarray, returns: np.ndarray, delay: int = 0, cost_bps: float = 0.0) -> np.ndarray:
    """Per-period returns of the 0/1 strategy: invested when the risk-off probability is below 0.5.

    Parameters
    ----------
    risk_off : ndarray of shape (n,)
        Filtered risk-off probability at the close of each row; NaN means no
        signal, and the strategy holds cash.
    returns : ndarray of shape (n,)
        Per-period return of each row (the return over period t).
    delay : int
        Periods between the decision and the first return earned.
    cost_bps : float
        Cost per unit of one-way turnover, in basis points.

    Returns
    -------
    ndarray of shape (n - 1 - delay,)
        Element i: position decided at row i (from rows <= i) times the return of
        row ``i + 1 + delay``, minus the cost of the position change at row i (the
        first position is compared with cash).
    """
    position = np.where(np.isfinite(risk_off) & (risk_off < 0.5), 1.0, 0.0)
    n_out = len(returns) - 1 - delay
    if n_out <= 0:
        return np.empty(0)
    turnover = np.abs(np.diff(np.concatenate([[0.0], position])))
    return position[:n_out] * returns[1 + delay:] - turnover[:n_out] * cost_bps / 1e4


def sharpe(returns: np.ndarray) -> float:
    """Per-period Sharpe ratio ``mean / std`` (ddof 1); 0.0 when the returns do not vary (always cash)."""
    returns = np.asarray(returns, dtype=float)
    if len(returns) < 2:
        return np.nan
    sd = returns.std(ddof=1)
    return float(returns.mean() / sd) if sd > 0 else 0.0
