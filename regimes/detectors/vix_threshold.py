"""The naive baseline: risk-off when the VIX is above a level.

Every other detector must beat this to earn its complexity. Two rules:

* fixed level (default 20): risk-off at t when ``VIX_t > level``;
* expanding quantile: risk-off at t when ``VIX_t`` exceeds the ``quantile``
  of VIX closes up to and including t (needs ``min_history`` values).

Hard labels: probabilities are 0 or 1. Inputs are raw VIX levels in index
points (the engine does not standardize them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plumbing.errors import EstimatorInputError
from regimes.detectors._base import FILTERED, RegimeDetector, too_few_rows, two_state


class VixThresholdDetector(RegimeDetector):
    """VIX above a fixed level or above its expanding quantile.

    Parameters
    ----------
    level : float, default 20.0
        Fixed threshold in index points (used when ``quantile`` is None).
    quantile : float or None, default None
        Expanding-quantile rule instead of the fixed level, e.g. 0.75.
    min_history : int, default 24
        Values before the quantile rule gives a label.
    risk_column : int, default 0
        Column holding the VIX level.
    risk_stat : {"mean"}, default "mean"
    hysteresis : None
        Refused (hard labels have no band); kept for the common interface.
    min_duration : int, default 1
        Persistence (:mod:`regimes.persistence`): a switch is confirmed only
        after this many consecutive dates propose it.
    """

    output_kind = "label"
    standardize_inputs = False

    expected_failed_checks = {
        **FILTERED,
        **too_few_rows("vix_threshold refuses a VIX column whose median is below 1 (VIX is in index points, "
                       "e.g. 20); this check's first column is mostly below 1",
                       "check_fit2d_1feature", "check_fit_score_takes_y", "check_dtype_object",
                       "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle"),
        "check_positive_only_tag_during_fit": "only the VIX column (risk_column) is read and must be in index "
                                              "points; this check makes other columns negative, which are ignored"}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # VIX levels
        return tags

    def __init__(self, level: float = 20.0, quantile: float | None = None, min_history: int = 24,
                 risk_column: int = 0, risk_stat: str = "mean", hysteresis: list[float] | None = None,
                 min_duration: int = 1):
        self.level = level
        self.quantile = quantile
        self.min_history = min_history
        self.risk_column = risk_column
        self.risk_stat = risk_stat
        self.hysteresis = hysteresis
        self.min_duration = min_duration

    def _check_params(self) -> None:
        super()._check_params()
        if self.quantile is not None and not 0 < self.quantile < 1:
            raise EstimatorInputError(f"vix_threshold: quantile must be in (0, 1), not {self.quantile!r}")

    def _fit(self, X: np.ndarray) -> None:
        if np.median(X[:, self.risk_column]) < 1:
            raise EstimatorInputError("vix_threshold: expects VIX levels in index points (e.g. 20), "
                                     "not standardized or decimal values")

    def thresholds(self, X) -> np.ndarray:
        """Threshold in force at each date, shape ``(n_samples,)``; uses rows <= t."""
        X = self._validate(X, reset=False)
        if self.quantile is None:
            return np.full(len(X), float(self.level))
        vix = pd.Series(X[:, self.risk_column])
        return vix.expanding(min_periods=self.min_history).quantile(self.quantile).to_numpy()

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        limit = self.thresholds(X)
        above = np.where(np.isnan(limit), np.nan, (X[:, self.risk_column] > limit).astype(float))
        return two_state(above)[start:]
