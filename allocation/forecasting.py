"""Walk-forward forecasting: at each decision date t, fit only on targets realized by t.

Training pairs are ``(x_u, y_u)`` with ``x_u`` the features dated u and
``y_u`` the return over period u+1, for every u < t (so ``y_u`` is realized at
u+1 <= t). The model refit at date r (every ``refit_every`` decision dates,
expanding or rolling window, at least ``min_train`` pairs) predicts
``y_t`` from ``x_t`` for each t until the next refit. Scaling and
hyperparameter search happen inside the forecaster on the training rows only.
Regime inputs come from a walk-forward regime path, so they too are known at
their dates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from allocation.forecasters import Forecaster, RegimeInputs, design
from plumbing.errors import FactorRegimesError
from plumbing.threads import capped
from regimes import calendar
from regimes.walkforward import RegimePath


@dataclass(frozen=True)
class ForecastSchedule:
    """Refit schedule of the forecasting engine.

    Each length is a number of decision periods or training pairs (integers, as before) or a calendar
    span (``"1Y"``, ``"3M"``, ``"63D"``; :mod:`regimes.calendar`) meaning the same at every frequency:
    ``refit_every: 1Y`` refits yearly, ``min_train: 5Y`` needs training pairs spanning five years
    (t on or after the first usable pair's date + 5 years, and at least 2 pairs), a rolling
    ``window_length: 10Y`` keeps the pairs dated after ``t - 10 years``.
    """

    refit_every: int | str = 12
    window: str = "expanding"
    window_length: int | str | None = None
    min_train: int | str = 60

    def validate(self) -> None:
        every = calendar.parse(self.refit_every, "forecast schedule: refit_every")
        least = calendar.parse(self.min_train, "forecast schedule: min_train")
        length = calendar.parse(self.window_length, "forecast schedule: window_length")
        if (isinstance(every, int) and every < 1) or (isinstance(least, int) and least < 2):
            raise FactorRegimesError("forecast schedule: refit_every >= 1 and min_train >= 2 are required")
        if self.window not in ("expanding", "rolling"):
            raise FactorRegimesError(f"forecast schedule: window must be expanding or rolling, not {self.window!r}")
        if self.window == "rolling":
            if length is None:
                raise FactorRegimesError("forecast schedule: a rolling window needs window_length")
            if isinstance(length, int) and isinstance(least, int) and length < least:
                raise FactorRegimesError("forecast schedule: a rolling window needs window_length >= min_train")


@dataclass
class ForecastResult:
    """Walk-forward forecasts of one model for one target.

    Attributes
    ----------
    frame : pandas.DataFrame
        Index: decision dates t. Columns ``forecast`` (of the return over
        t+1, made at t) and ``realized`` (that return; NaN when not yet known).
    fits : list of tuple
        ``(refit date, fitted forecaster, first and last decision date it served)``.
    """

    name: str
    target: str
    frame: pd.DataFrame
    fits: list = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)


def regime_inputs(path: RegimePath, index: pd.DatetimeIndex) -> RegimeInputs:
    """Regime arrays aligned with feature rows (see :class:`allocation.forecasters.RegimeInputs`)."""
    now = path.proba.reindex(index)
    realized = now.shift(-1)  # filtered probabilities at the target's period end (u+1)
    return RegimeInputs(now=now.to_numpy(), realized=realized.to_numpy(),
                        next=path.next_proba.reindex(index).to_numpy())


@capped
def forecast_walk_forward(forecaster: Forecaster, X: pd.DataFrame, y: pd.Series, dates: pd.DatetimeIndex | None = None,
                          schedule: ForecastSchedule | None = None, regimes: RegimePath | None = None,
                          name: str = "", target: str = "") -> ForecastResult:
    """Run ``forecaster`` walk-forward.

    Parameters
    ----------
    forecaster : Forecaster
        Unfitted template, cloned at every refit.
    X : pandas.DataFrame
        Features, row t known at t, shape ``(n_rows, n_features)``.
    y : pandas.Series
        Target over period t+1 indexed by t (``Panel.forward_returns``); same index as ``X``.
    dates : DatetimeIndex, optional
        Decision dates to forecast at (default every row of ``X``).
    regimes : RegimePath, optional
        Required by regime-aware forecasters.
    """
    schedule = schedule or ForecastSchedule()
    schedule.validate()
    if forecaster.uses_regimes and regimes is None:
        raise FactorRegimesError(f"forecaster {name or type(forecaster).__name__} needs a regime detector")
    index = X.index
    y = y.reindex(index)
    dates = index if dates is None else pd.DatetimeIndex(dates)
    xv = X.to_numpy(dtype=float)
    yv = y.to_numpy(dtype=float)
    reg = regime_inputs(regimes, index) if regimes is not None else None
    if forecaster.uses_regimes:
        # the regime block is the last n_states columns of the model's input (allocation.forecasters._base)
        forecaster = clone(forecaster).set_params(n_states=reg.now.shape[1])
    usable = np.isfinite(xv).all(axis=1) & np.isfinite(yv)
    if reg is not None and forecaster.uses_regimes:
        usable &= np.isfinite(reg.now).all(axis=1) & np.isfinite(reg.realized).all(axis=1)
    predictable = np.isfinite(xv).all(axis=1)
    if reg is not None and forecaster.uses_regimes:
        predictable &= np.isfinite(reg.now).all(axis=1) & np.isfinite(reg.next).all(axis=1)
    pos = index.get_indexer(dates)
    if (pos < 0).any():
        raise FactorRegimesError("forecast: decision dates must be rows of the feature frame")
    # training pairs available at t: rows u < t (their targets are realized by t)
    n_train = np.cumsum(np.concatenate([[0], usable[:-1]]))
    least = calendar.parse(schedule.min_train)
    if isinstance(least, calendar.Span):
        first = index[np.argmax(usable)] if usable.any() else index[-1] + pd.offsets.Day(1)
        enough = calendar.reached(first, index, least) & (n_train >= 2)
    else:
        enough = n_train >= least
    eligible = [i for i, p in enumerate(pos) if enough[p] and predictable[p]]
    starts = calendar.block_starts(dates[eligible], schedule.refit_every)
    length = calendar.parse(schedule.window_length)
    forecast = np.full(len(dates), np.nan)
    fits = []
    started = time.perf_counter()
    for block_start, block_stop in zip(starts, [*starts[1:], len(eligible)]):
        block = eligible[block_start: block_stop]
        cut = pos[block[0]]
        rows = np.flatnonzero(usable[:cut])
        if schedule.window == "rolling":
            rows = (rows[-length:] if isinstance(length, int)
                    else rows[index[rows] > index[cut] - length.offset()])
        model = clone(forecaster).fit(design(forecaster, xv[rows], reg.take(rows) if reg is not None else None, True),
                                      yv[rows])
        at = pos[block]
        forecast[block] = model.predict(design(forecaster, xv[at], reg.take(at) if reg is not None else None, False))
        fits.append((dates[block[0]], model, dates[block[0]], dates[block[-1]]))
    frame = pd.DataFrame({"forecast": forecast, "realized": yv[pos]}, index=dates)
    frame.index.name = "date"
    return ForecastResult(name=name or type(forecaster).__name__, target=target or str(y.name), frame=frame,
                          fits=fits, feature_names=list(X.columns),
                          info={"seconds": time.perf_counter() - started, "refits": len(fits)})
