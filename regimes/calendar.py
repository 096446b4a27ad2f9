"""Schedule lengths in calendar units, with the same meaning at every data frequency.

A schedule length (``refit_every``, ``min_history``, ``min_train``,
``window_length``) is either

* a plain integer: that many **periods** (decision dates or feature rows) of
  the data at hand, as before (12 is a year of monthly data, 12 days of
  daily data); or
* a **span** ``"<n><unit>"``: ``"63D"`` (business days), ``"4W"`` (weeks),
  ``"3M"`` (months) or ``"1Y"`` (years); ``"5Y"`` means five calendar years
  on daily, weekly and monthly data alike.

How a span is used (every rule reads dates <= the date it decides for):

* **refits** (:func:`block_starts`): the first refit is at the first eligible
  decision date ``e0``; the k-th later one at the first eligible date on or
  after ``e0 + k * span``. ``refit_every: 1Y`` thus refits in the same month
  every year at daily, weekly and monthly frequency;
* **minimum history** (:func:`reached`): a date t is eligible once
  ``t >= first + span``, ``first`` the date of the first usable row;
* **rolling windows** (:func:`window_start`): the rows dated after
  ``t - span`` up to the row of t.

Business days are counted on the weekday calendar (``pandas.offsets.BDay``):
a market holiday counts, so ``63D`` is about 62 trading days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plumbing.errors import FactorRegimesError

#: Unit letter -> what it counts.
UNITS = {"D": "business days", "W": "weeks", "M": "months", "Y": "years"}
_SPAN = re.compile(r"^\s*(\d+)\s*([DWMYdwmy])\s*$")


@dataclass(frozen=True)
class Span:
    """A length of calendar time: ``n`` units (``D``, ``W``, ``M`` or ``Y``)."""

    n: int
    unit: str

    def offset(self, k: int = 1) -> pd.DateOffset:
        """``k`` times the span as a pandas offset."""
        m = self.n * k
        if self.unit == "D":
            return pd.offsets.BDay(m)
        if self.unit == "W":
            return pd.DateOffset(weeks=m)
        if self.unit == "M":
            return pd.DateOffset(months=m)
        return pd.DateOffset(years=m)

    def periods(self, periods_per_year: int) -> int:
        """The span in periods of data with ``periods_per_year`` (rounded, at least 1); for descriptions."""
        per_unit = {"D": 1 / 252, "W": 1 / 52, "M": 1 / 12, "Y": 1.0}[self.unit]
        return max(1, round(self.n * per_unit * periods_per_year))

    def __str__(self) -> str:
        return f"{self.n}{self.unit}"


Length = int | Span


def parse(value: int | str | Span | None, key: str = "schedule") -> Length | None:
    """A schedule length: an integer (periods) or a :class:`Span`; None stays None.

    Raises
    ------
    FactorRegimesError
        Naming ``key`` when the value is neither (e.g. ``"12X"``, ``"0Y"``, a float).
    """
    if value is None or isinstance(value, Span):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        match = _SPAN.match(value)
        if match and int(match.group(1)) > 0:
            return Span(int(match.group(1)), match.group(2).upper())
    raise FactorRegimesError(f"{key}: expected a number of periods or a span such as 1Y, 3M, 4W or 63D "
                             f"(D business days, W weeks, M months, Y years), got {value!r}")


def is_span(value: object) -> bool:
    """True for a span (``"1Y"`` or a :class:`Span`), False for a number of periods."""
    return isinstance(value, Span) or (isinstance(value, str) and bool(_SPAN.match(value)))


def describe(value: int | str | Span | None, noun: str = "periods") -> str:
    """``12 periods`` or ``1Y (1 years)``, for reports."""
    length = parse(value)
    if length is None:
        return "none"
    if isinstance(length, Span):
        return f"{length} ({length.n} {UNITS[length.unit]})"
    return f"{length} {noun}"


def _anchors(origin: pd.Timestamp, last: pd.Timestamp, span: Span) -> pd.DatetimeIndex:
    """``origin + k * span`` for k = 0, 1, ... up to the first one after ``last``."""
    out = [origin]
    k = 1
    while out[-1] <= last:
        out.append(origin + span.offset(k))
        k += 1
    return pd.DatetimeIndex(out)


def block_starts(dates: pd.DatetimeIndex, every: Length) -> np.ndarray:
    """Positions in ``dates`` (the eligible decision dates, sorted) where a refit starts a block.

    An integer refits every ``every`` dates (positions 0, every, 2*every, ...); a span refits at
    ``dates[0]`` and at the first date on or after each ``dates[0] + k * span`` (see module docstring).
    """
    n = len(dates)
    if n == 0:
        return np.zeros(0, dtype=int)
    every = parse(every, "refit_every")
    if not isinstance(every, Span):
        return np.arange(0, n, every)
    anchors = _anchors(pd.Timestamp(dates[0]), pd.Timestamp(dates[-1]), every)
    bucket = anchors.searchsorted(pd.DatetimeIndex(dates), side="right") - 1
    return np.flatnonzero(np.concatenate([[True], bucket[1:] != bucket[:-1]]))


def reached(first: pd.Timestamp, dates: pd.DatetimeIndex, span: Span) -> np.ndarray:
    """Boolean mask: ``dates >= first + span`` (a history of at least ``span`` since ``first``)."""
    return np.asarray(pd.DatetimeIndex(dates) >= pd.Timestamp(first) + span.offset(), dtype=bool)


def window_start(index: pd.DatetimeIndex, end: int, length: Length) -> int:
    """First row of a rolling window ending at row ``end`` of ``index``.

    An integer keeps the last ``length`` rows; a span keeps the rows dated after ``index[end] - span``.
    """
    length = parse(length, "window_length")
    if not isinstance(length, Span):
        return max(0, end + 1 - length)
    return int(index.searchsorted(index[end] - length.offset(), side="right"))
