"""Change-point regimes with ruptures, applied causally.

ruptures segments a whole signal at once (offline). Used for decisions that
would be look-ahead, so this detector re-segments, at every date t, only the
data seen so far, ``X[0..t]``, and classifies the current (last) segment:

1. segment ``X[0..t]`` (optionally only its last ``max_window`` rows) with
   the chosen search method and cost;
2. compute the risk statistic (``risk_stat`` of ``risk_column``) of every
   segment;
3. rank the current segment's statistic among the earlier observations,
   each carrying its own segment's statistic (time-weighted percentile rank,
   ties count half; 0.5 when no change point has been found);
4. map the rank to a probability with
   :func:`regimes.detectors._base.rank_to_proba` (risk-off when the current
   segment is riskier than ``threshold`` of the history).

Default penalty (BIC-style, recomputed from the data seen so far): for the
``l2`` cost (and the kernel search's linear kernel)
``(d + 1) * log(n) * s2`` with ``s2`` the mean per-feature noise variance
estimated robustly from first differences, ``(median |dx| / 0.6745)**2 / 2``;
for ``normal`` ``(d + d (d + 1) / 2 + 1) * log(n)``; for ``rbf`` ``log(n)``
(a heuristic: set ``penalty`` for serious work). ``penalty_scale`` (default
3) multiplies it: a causal detector re-tests the whole history at every date,
so BIC's false alarms would accumulate; and the robust noise estimate is
itself noisy on short histories.
"""

from __future__ import annotations

import warnings

import numpy as np
import ruptures as rpt

from plumbing.errors import EstimatorInputError
from regimes.detectors._base import RegimeDetector, rank_to_proba, two_state

METHODS = ("kernel", "pelt", "binseg")
COSTS = ("l2", "normal", "rbf", "l1")


def default_penalty(X: np.ndarray, cost: str) -> float:
    """The documented default penalty for ``X`` (shape ``(n, d)``) and ``cost``."""
    n, d = X.shape
    if cost in ("l2", "l1"):
        diffs = np.abs(np.diff(X, axis=0))
        s2 = float(np.mean((np.median(diffs, axis=0) / 0.6745) ** 2 / 2.0)) if n > 2 else 1.0
        return (d + 1) * np.log(n) * max(s2, 1e-12)
    if cost == "normal":
        return (d + d * (d + 1) / 2 + 1) * np.log(n)
    return float(np.log(n))


class ChangePointDetector(RegimeDetector):
    """Causal change-point regimes (see module docstring).

    Parameters
    ----------
    method : {"kernel", "pelt", "binseg"}, default "kernel"
        ruptures search. ``kernel`` (KernelCPD, compiled) is exact and fast;
        ``pelt`` is exact but pure Python (slow on long series);
        ``binseg`` is approximate.
    cost : {"l2", "normal", "rbf", "l1"}, default "l2"
        Segment cost (``kernel`` supports ``l2``, as its linear kernel, and ``rbf``).
    penalty : float or None, default None
        Penalty per change point; None uses the default rule.
    penalty_scale : float, default 3.0
    min_size : int, default 6
        Shortest segment, in periods.
    max_window : int or None, default None
        Segment only the last ``max_window`` rows at each date (speed).
    threshold, width : float, default 0.75, 0.05
        Of :func:`rank_to_proba`.
    min_history : int, default 24
        Rows before the first probability (NaN before).
    risk_column : int, default 0
    risk_stat : {"mean", "std", "-mean"}, default "mean"
    hysteresis : [p_lo, p_hi] or None, default None
        Persistence (:mod:`regimes.persistence`): enter risk-off when the
        risk-off probability exceeds ``p_hi``, leave when it falls below ``p_lo``.
    min_duration : int, default 1
        Persistence: a switch is confirmed only after this many consecutive
        dates propose it. With either set, outputs are confirmed 0/1 labels.

    Attributes
    ----------
    n_train_ : int
        Rows in the training window (the detector has no parameters fitted
        across time; each date's segmentation uses the data up to it).
    """

    output_kind = "score"

    def __init__(self, method: str = "kernel", cost: str = "l2", penalty: float | None = None,
                 penalty_scale: float = 3.0, min_size: int = 6, max_window: int | None = None,
                 threshold: float = 0.75, width: float = 0.05, min_history: int = 24, risk_column: int = 0,
                 risk_stat: str = "mean", hysteresis: list[float] | None = None,
                 min_duration: int = 1):
        self.method = method
        self.cost = cost
        self.penalty = penalty
        self.penalty_scale = penalty_scale
        self.min_size = min_size
        self.max_window = max_window
        self.threshold = threshold
        self.width = width
        self.min_history = min_history
        self.risk_column = risk_column
        self.risk_stat = risk_stat
        self.hysteresis = hysteresis
        self.min_duration = min_duration

    def _check_params(self) -> None:
        super()._check_params()
        if self.method not in METHODS:
            raise EstimatorInputError(f"changepoint: method must be one of {METHODS}, not {self.method!r}")
        if self.cost not in COSTS or (self.method == "kernel" and self.cost not in ("l2", "rbf")):
            allowed = ("l2", "rbf") if self.method == "kernel" else COSTS
            raise EstimatorInputError(f"changepoint: cost for method {self.method!r} must be one of {allowed}, "
                                     f"not {self.cost!r}")

    def _fit(self, X: np.ndarray) -> None:
        self.n_train_ = len(X)

    def segment(self, X) -> list[int]:
        """Break points of ``X`` as ruptures returns them (segment ends, the last is ``len(X)``).

        Offline: uses all of ``X``. The causal output (:meth:`predict_proba`)
        calls it on ``X[0..t]`` for each t.
        """
        X = self._validate(X, reset=False) if hasattr(self, "n_features_in_") else np.asarray(X, dtype=float)
        if len(X) < 2 * self.min_size:
            return [len(X)]
        if self.method == "kernel":
            algo = rpt.KernelCPD(kernel="linear" if self.cost == "l2" else "rbf", min_size=self.min_size)
        elif self.method == "pelt":
            algo = rpt.Pelt(model=self.cost, min_size=self.min_size, jump=1)
        else:
            algo = rpt.Binseg(model=self.cost, min_size=self.min_size, jump=1)
        pen = self.penalty if self.penalty is not None else default_penalty(X, self.cost)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [int(b) for b in algo.fit(X).predict(pen=pen * self.penalty_scale)]

    def _segment_stat(self, x: np.ndarray) -> float:
        if self.risk_stat == "std":
            return float(x.std())
        return float(x.mean()) if self.risk_stat == "mean" else -float(x.mean())

    def current_rank(self, X: np.ndarray) -> float:
        """Rank of the last segment of ``X`` among earlier observations (uses all rows given)."""
        window = X if self.max_window is None else X[-self.max_window:]
        breaks = self.segment(window)
        starts = [0, *breaks[:-1]]
        stats = np.array([self._segment_stat(window[s:e, self.risk_column]) for s, e in zip(starts, breaks)])
        lengths = np.diff([0, *breaks])
        if len(stats) == 1:
            return 0.5
        current, earlier, weights = stats[-1], stats[:-1], lengths[:-1]
        below = weights[earlier < current].sum() + 0.5 * weights[earlier == current].sum()
        return float(below / weights.sum())

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        ranks = np.full(len(X) - start, np.nan)
        for i, t in enumerate(range(start, len(X))):
            if t + 1 >= self.min_history:
                ranks[i] = self.current_rank(X[: t + 1])
        return two_state(rank_to_proba(ranks, self.threshold, self.width))
