"""Labels that keep their meaning across walk-forward refits.

Every fit orders its states by one risk statistic (state K-1 riskiest, see
:mod:`regimes.detectors._base`). On noisy data that order can invert from
one refit to the next (an HMM that splits on the sign of returns has two
states of nearly equal VIX), so a whole refit block would call risk-on what
the previous block called risk-off. The walk-forward engine therefore aligns
each refit to the previous model:

1. **Common history.** Both models filter the new training window (rows
   dated <= the refit date, each model with its own training scaler); the
   previous model's labels there include the block it published.
2. **Assignment.** The relabelling ``perm`` (aligned state k = the new
   model's state ``perm[k]``) maximizes the overlap
   ``sum_k sum_t p_prev[t, k] * p_new[t, perm[k]]`` (Hungarian algorithm,
   ``scipy.optimize.linear_sum_assignment``); the risk order (identity) is
   kept unless another relabelling agrees strictly better.
3. **Risk check.** Continuity wins unless the risk statistic strongly
   contradicts it: if ``perm`` would give the risk-off label to a state other
   than the new model's riskiest, the contrast between the two states on the
   risk column (rows labelled by the new model's filtered labels) is measured
   as an effect size: for ``risk_stat`` ``mean``/``-mean`` the difference of
   means in pooled standard deviations (Cohen's d); for ``std`` the same on
   absolute deviations from each state's median (a Brown-Forsythe effect
   size: about 0.5 for a volatility ratio of 1.5 with normal data, 0.8 for
   2). If it exceeds ``override`` (default 0.5, Cohen's "medium" effect),
   the riskiest state keeps the risk-off label and only the other states
   are aligned: a small contrast is noise in the risk order, and continuity
   wins; a clear one means the previous labelling was wrong, and the risk
   order wins (otherwise a wrong early fit would propagate for ever).

Everything uses rows dated <= the refit date, so aligned paths stay
prefix-invariant. Detectors whose states are defined by a score or a rule
(``output_kind`` ``"score"`` or ``"label"``: garch, bocpd, changepoint,
vix_threshold) have nothing to align: their risk-off state is the high score
by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from regimes.detectors._base import RegimeDetector


@dataclass(frozen=True)
class Alignment:
    """Outcome of aligning one refit to the previous model.

    Attributes
    ----------
    permutation : ndarray of shape (n_states,)
        Aligned state k is the new model's canonical state ``permutation[k]``.
    flipped : bool
        The risk-off label differs from the new model's risk order (its labels
        would have flipped against the previous model without alignment).
    overridden : bool
        The assignment wanted another risk-off state, the risk statistic
        contradicted it by more than ``override``, and the risk order was kept.
    agreement : float
        Share of common-history rows where the aligned new labels equal the
        previous model's labels.
    agreement_unaligned : float
        The same share for the new model in its risk order.
    contrast : float
        Risk contrast of the new riskiest state over the state the assignment
        chose for risk-off (0 when they are the same; NaN if unmeasurable).
    """

    permutation: np.ndarray
    flipped: bool
    overridden: bool
    agreement: float
    agreement_unaligned: float
    contrast: float


def aligns(detector: RegimeDetector) -> bool:
    """Whether a detector's states are learned (and so may need aligning): ``output_kind == "probabilistic"``."""
    return getattr(detector, "output_kind", "probabilistic") == "probabilistic"


def _best_assignment(overlap: np.ndarray, fixed_last: bool) -> np.ndarray:
    """Permutation maximizing ``sum_k overlap[k, perm[k]]``; identity unless strictly better.

    With ``fixed_last`` the last state keeps its own label and the others are assigned.
    """
    k = overlap.shape[0]
    identity = np.arange(k)
    sub = overlap[:-1, :-1] if fixed_last else overlap
    if sub.shape[0] == 0:
        return identity
    rows, cols = linear_sum_assignment(sub, maximize=True)
    perm = identity.copy()
    perm[rows] = cols
    if sub[rows, cols].sum() <= np.trace(sub) * (1 + 1e-12) + 1e-15:  # ties: keep the risk order
        return identity
    return perm


def risk_contrast(x: np.ndarray, labels: np.ndarray, riskier: int, other: int, risk_stat: str) -> float:
    """How much riskier state ``riskier`` is than state ``other`` on the risk column ``x``.

    Parameters
    ----------
    x : ndarray of shape (n_samples,)
        Risk column of the training window.
    labels : ndarray of shape (n_samples,)
        Hard labels of each row.
    risk_stat : {"mean", "-mean", "std"}

    Returns
    -------
    float
        ``mean``: ``(mean_r - mean_o) / sqrt((var_r + var_o) / 2)`` (sample variances);
        ``-mean``: its negative; ``std``: the ``mean`` formula applied to
        ``|x - median|`` within each state. NaN when a state has fewer than two rows
        or no dispersion.
    """
    a, b = x[labels == riskier], x[labels == other]
    if len(a) < 2 or len(b) < 2:
        return np.nan
    if risk_stat == "std":
        a, b = np.abs(a - np.median(a)), np.abs(b - np.median(b))
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    if not pooled > 0:
        return np.nan
    d = (a.mean() - b.mean()) / pooled
    return float(-d if risk_stat == "-mean" else d)


def align_states(previous: np.ndarray, new: np.ndarray, x: np.ndarray, risk_stat: str = "mean",
                 override: float = 0.5) -> Alignment:
    """Relabel a new model's states to agree with the previous model on their common history.

    Parameters
    ----------
    previous : ndarray of shape (n_samples, n_states)
        The previous model's filtered probabilities on the common history, in
        its aligned labels (rows with NaN are ignored).
    new : ndarray of shape (n_samples, n_states)
        The new model's filtered probabilities on the same rows, in its risk order.
    x : ndarray of shape (n_samples,)
        The risk column on those rows (as the new model saw it).
    risk_stat : {"mean", "-mean", "std"}
    override : float
        Risk contrast above which the risk order keeps the risk-off label
        (see the module docstring); ``inf`` always follows the assignment.

    Returns
    -------
    Alignment
    """
    previous, new, x = np.asarray(previous, float), np.asarray(new, float), np.asarray(x, float)
    k = new.shape[1]
    ok = np.isfinite(previous).all(axis=1) & np.isfinite(new).all(axis=1)
    previous, new, x = previous[ok], new[ok], x[ok]
    identity = np.arange(k)
    if len(new) == 0 or previous.shape[1] != k:
        return Alignment(identity, False, False, np.nan, np.nan, np.nan)
    overlap = previous.T @ new / len(new)
    perm = _best_assignment(overlap, fixed_last=False)
    riskiest, contrast, overridden = k - 1, 0.0, False
    new_labels = new.argmax(axis=1)
    if perm[-1] != riskiest:
        contrast = risk_contrast(x, new_labels, riskiest, int(perm[-1]), risk_stat)
        if np.isfinite(contrast) and contrast > override:
            perm, overridden = _best_assignment(overlap, fixed_last=True), True
    prev_labels = previous.argmax(axis=1)
    inverse = np.argsort(perm)  # new state -> aligned label
    return Alignment(permutation=perm, flipped=bool(perm[-1] != riskiest), overridden=overridden,
                     agreement=float(np.mean(inverse[new_labels] == prev_labels)),
                     agreement_unaligned=float(np.mean(new_labels == prev_labels)), contrast=float(contrast))


class PermutedDetector(RegimeDetector):
    """A fitted detector seen through aligned labels: output column k is the inner column ``permutation[k]``.

    Made by the walk-forward engine (:meth:`wrap`), not fitted itself.

    Attributes
    ----------
    detector_ : RegimeDetector
        The fitted detector, in its own risk order.
    permutation_ : ndarray of shape (n_states,)
    transmat_ : ndarray of shape (n_states, n_states) or None
        The inner transition matrix in aligned labels.
    expected_durations_ : ndarray of shape (n_states,) or None
    """

    output_kind = "probabilistic"

    def __init__(self, detector: RegimeDetector | None = None):
        self.detector = detector

    @classmethod
    def wrap(cls, fitted: RegimeDetector, permutation: np.ndarray) -> PermutedDetector:
        out = cls(fitted)
        perm = np.asarray(permutation, dtype=int)
        out.detector_, out.permutation_ = fitted, perm
        out.n_features_in_ = fitted.n_features_in_
        trans = getattr(fitted, "transmat_", None)
        out.transmat_ = None if trans is None else np.asarray(trans)[np.ix_(perm, perm)]
        durations = getattr(fitted, "expected_durations_", None)
        out.expected_durations_ = None if durations is None else np.asarray(durations)[perm]
        return out

    def _fit(self, X: np.ndarray) -> None:
        raise TypeError("PermutedDetector only relabels a fitted detector; fit the inner detector")

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        return self.detector_.filtered_proba(X, start)[:, self.permutation_]
