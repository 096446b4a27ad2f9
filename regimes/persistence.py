"""Persistence: causal hysteresis and minimum duration on a filtered risk-off probability.

Score-type and threshold detectors (``vix_threshold``, ``bocpd``,
``changepoint``, ``garch``) turn a noisy score into a label at every date,
so their labels flicker around the threshold. :func:`persist` turns the
filtered risk-off probability ``p_t`` into a confirmed 0/1 label ``s_t`` by a
two-rule state machine run forward in time:

* **hysteresis** ``(p_lo, p_hi)``: from risk-on (``s = 0``) a date *proposes*
  risk-off when ``p_t > p_hi``; from risk-off it proposes risk-on when
  ``p_t < p_lo``. Between the two bands the current label is kept.
  ``None`` means the plain threshold 0.5 both ways (``p > 0.5`` proposes
  risk-off, ``p <= 0.5`` proposes risk-on);
* **minimum duration** ``k``: a switch is confirmed only on the ``k``-th
  consecutive date that proposes it, and the label changes on that date
  (``k = 1``: switch at once). A date that does not propose the switch
  resets the count.

The first finite ``p_t`` sets the starting label (``p_t > 0.5``); a NaN
``p_t`` (not enough history) gives a NaN label and resets the count.

Timing: ``s_t`` is a function of ``p_0..p_t`` only, computed in one forward
pass; appending dates never changes an earlier label (no revision of past
outputs). Each ``p_t`` is itself filtered, so ``s_t`` uses data dated <= t.
The cost is delay: a true switch is confirmed ``k - 1`` dates late at best.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from plumbing.errors import FactorRegimesError


def check_persistence(owner: str, hysteresis: Sequence[float] | None, min_duration: int) -> None:
    """Refuse invalid persistence parameters with one clear message.

    Raises
    ------
    FactorRegimesError
        When ``hysteresis`` is not two numbers ``0 <= p_lo <= 0.5 <= p_hi <= 1``
        or ``min_duration`` is not an integer >= 1.
    """
    if hysteresis is not None:
        ok = isinstance(hysteresis, (list, tuple)) and len(hysteresis) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in hysteresis)
        if not ok or not 0.0 <= hysteresis[0] <= 0.5 <= hysteresis[1] <= 1.0:
            raise FactorRegimesError(f"{owner}: hysteresis must be [p_lo, p_hi] with 0 <= p_lo <= 0.5 <= p_hi <= 1 "
                                     f"(leave risk-off below p_lo, enter above p_hi), not {hysteresis!r}")
    if isinstance(min_duration, bool) or not isinstance(min_duration, (int, np.integer)) or min_duration < 1:
        raise FactorRegimesError(f"{owner}: min_duration must be an integer >= 1 (periods a switch must persist "
                                 f"before it is confirmed), not {min_duration!r}")


def persist(risk_off: np.ndarray, hysteresis: Sequence[float] | None = None, min_duration: int = 1) -> np.ndarray:
    """Confirmed risk-off labels from filtered risk-off probabilities (see module docstring).

    Parameters
    ----------
    risk_off : ndarray of shape (n_samples,)
        Filtered ``P(risk-off at t | data <= t)`` in time order; NaN where
        the detector gives no output yet.
    hysteresis : (p_lo, p_hi) or None, default None
        Leave risk-off below ``p_lo``, enter above ``p_hi``.
    min_duration : int, default 1
        Consecutive dates a proposed switch must last before it is confirmed.

    Returns
    -------
    ndarray of shape (n_samples,)
        0.0 (risk-on), 1.0 (risk-off) or NaN; element t uses ``risk_off[0..t]`` only.
    """
    check_persistence("persist", None if hysteresis is None else list(hysteresis), min_duration)
    p = np.asarray(risk_off, dtype=float)
    lo, hi = (0.5, 0.5) if hysteresis is None else (float(hysteresis[0]), float(hysteresis[1]))
    out = np.full(len(p), np.nan)
    state: float | None = None
    count = 0
    for t, value in enumerate(p):
        if not np.isfinite(value):
            count = 0
            continue
        if state is None:
            state = 1.0 if value > 0.5 else 0.0
        else:
            proposes_switch = value > hi if state == 0.0 else (value < lo if hysteresis is not None else value <= lo)
            count = count + 1 if proposes_switch else 0
            if count >= min_duration:
                state, count = 1.0 - state, 0
        out[t] = state
    return out


def n_switches(labels: np.ndarray) -> int:
    """Number of label changes between consecutive finite labels, shape ``(n,)`` -> int."""
    values = np.asarray(labels, dtype=float)
    values = values[np.isfinite(values)]
    return int(np.count_nonzero(np.diff(values)))
