"""The regime pipeline: features -> detector -> walk-forward -> :class:`RegimePath`.

Every entry point that draws regimes (a run, ``regimes run``, ``regimes
plot``, the analyses) goes through this module, so one config gives one set
of paths wherever they are computed:

* :class:`RegimeData` holds the panels a detector may read (the decision
  panel at ``data.frequency``, and with monthly decisions the daily one when
  the source has it, both from the same first date) and the **decision dates
  of every regime path: every period of the decision panel from its first
  date (``history_start``) to the config's end**. A path never starts
  at the first *displayed* or first *traded* date: its refit dates are fixed
  by the data's first date, the schedule and ``min_history`` alone, so a
  month's probability does not depend on the window someone looks at, and
  regime-aware forecasters can train on probabilities from before their first
  decision date. Figures crop what they draw; they never re-walk.
* :func:`detect` runs one :class:`~regimes.specs.DetectorSpec` walk-forward
  at given decision dates (daily features with monthly decisions scale the
  schedule's row counts by :data:`~regimes.specs.DAYS_PER_MONTH`).

Every probability at date t is filtered and comes from a model fit on data
dated <= t (:func:`regimes.walkforward.walk_forward`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from plumbing.errors import FactorRegimesError
from regimes.data.sources import DataSource
from regimes.features import build_features
from regimes.panel import Panel, build_panel
from regimes.specs import DAYS_PER_MONTH, DetectorSpec, resolve_panel
from regimes.walkforward import RegimePath, Schedule, walk_forward

Progress = Callable[[str, str], None]


def history_dates(panel: Panel, end: str | None = None) -> pd.DatetimeIndex:
    """Decision dates of a regime path: every row of ``panel`` up to ``end``.

    Parameters
    ----------
    panel : Panel
        The monthly panel, starting at the config's ``history_start``.
    end : str, optional
        Last decision date (``YYYY-MM`` keeps the whole month); default the
        panel's last row.

    Returns
    -------
    pandas.DatetimeIndex
        Shape ``(n_dates,)``: ``panel.frame.index`` from its first row to ``end``.
    """
    index = panel.frame.index
    dates = pd.Series(0.0, index=index).loc[:end].index if end is not None else index
    if len(dates) == 0:
        raise FactorRegimesError(f"no decision dates up to {end}; the panel covers "
                                 f"{index[0].date()}..{index[-1].date()}")
    return dates


def detect(spec: DetectorSpec, panels: Mapping[str, Panel], decision_dates: pd.DatetimeIndex, schedule: Schedule,
           seed: int | None = 0, cache_dir: str | Path | None = None,
           on_refit: Callable[[int, int, pd.Timestamp], None] | None = None) -> RegimePath:
    """Walk-forward path of one detector at ``decision_dates``.

    Parameters
    ----------
    spec : DetectorSpec
        Detector, its features, their frequency and its parameters.
    panels : mapping
        ``{"monthly": Panel[, "daily": Panel]}``; the spec's frequency must be present,
        unless the only panel is the user's own (``source == "csv"``), which every detector then reads
        (:func:`regimes.specs.resolve_panel`, with the defaults of that panel's frequency).
    decision_dates : pandas.DatetimeIndex
        Shape ``(n_dates,)``; use :func:`history_dates` (or :attr:`RegimeData.dates`)
        so that every entry point walks the same dates.
    schedule : Schedule
        Integers in decision periods (with daily features and monthly decisions,
        integer ``min_history`` and ``window_length`` are scaled by :data:`DAYS_PER_MONTH`),
        or calendar spans (:mod:`regimes.calendar`), used as they are.
    seed : int, optional
        Default ``random_state`` of the detector.
    cache_dir : path, optional
        Regime cache root (None: no cache).
    on_refit : callable, optional
        Progress hook ``on_refit(i, n, date)`` (:func:`regimes.walkforward.walk_forward`).

    Returns
    -------
    RegimePath
        Named ``spec.label``; row t of ``proba`` is the filtered probability
        from a model fit on feature rows dated <= t.
    """
    spec, panel = resolve_panel(spec, panels)
    features = build_features(panel, spec.features)
    if panel.frequency == "daily" and len(decision_dates) > 1 and (decision_dates[1] - decision_dates[0]).days > 20:
        # integer lengths count decision periods (months) here; calendar spans mean the same at any frequency
        def rows(value):
            return value * DAYS_PER_MONTH if isinstance(value, int) and not isinstance(value, bool) else value
        schedule = replace(schedule, window_length=rows(schedule.window_length),
                           min_history=rows(schedule.min_history))
    return walk_forward(spec.build(seed), features, decision_dates, schedule, name=spec.label, cache_dir=cache_dir,
                        on_refit=on_refit)


@dataclass
class RegimeData:
    """The data every regime path of a config is computed from.

    Attributes
    ----------
    source : DataSource
    history_start : str
        First date of data the detectors may learn from (``data.history_start``).
    end : str or None
        Last decision date (``data.end``; None: the end of the data).
    panel : Panel
        The decision panel from ``history_start``, at ``frequency``.
    frequency : {"monthly", "weekly", "daily"}
        Decision frequency (``data.frequency``). Monthly decisions read monthly features, or daily
        ones for detectors whose spec says ``frequency: daily`` (:attr:`daily`). At daily and weekly
        decisions every detector reads the decision panel (its features computed at that frequency,
        with that frequency's defaults: :func:`regimes.specs.resolve_panel`).
    dates : pandas.DatetimeIndex
        Decision dates of every regime path (:func:`history_dates`): every row of :attr:`panel`.
    """

    source: DataSource
    history_start: str
    end: str | None
    panel: Panel
    frequency: str = "monthly"
    dates: pd.DatetimeIndex = field(init=False)
    _daily: Panel | None = field(default=None, init=False, repr=False)
    _daily_built: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.panel.frequency != self.frequency:
            raise FactorRegimesError(f"expected a {self.frequency} panel, got a {self.panel.frequency} one")
        self.dates = history_dates(self.panel, self.end)

    @classmethod
    def load(cls, source: DataSource, history_start: str, end: str | None = None,
             extra_csv: Sequence[str | Path] = (), frequency: str = "monthly") -> RegimeData:
        """Build the decision panel at ``frequency`` from ``history_start`` (with the user's extra CSV columns)."""
        return cls(source, str(history_start), None if end is None else str(end),
                   build_panel(source, frequency, start=str(history_start), extra_csv=tuple(extra_csv)), frequency)

    @property
    def monthly(self) -> Panel:
        """The monthly decision panel (only when decisions are monthly)."""
        if self.frequency != "monthly":
            raise FactorRegimesError(f"decisions are {self.frequency}: there is no monthly decision panel")
        return self.panel

    @property
    def daily(self) -> Panel | None:
        """Daily panel from ``history_start`` (built once, on first use); None if the source has no daily factors.

        At daily decisions it is the decision panel itself.
        """
        if self.frequency == "daily":
            return self.panel
        if not self._daily_built:
            if self.source.has("ff3_daily") and self.source.has("mom_daily"):
                self._daily = build_panel(self.source, "daily", start=self.history_start)
            self._daily_built = True
        return self._daily

    @property
    def records(self) -> list:
        """Data files read so far (decision panel, and the daily one once built)."""
        return [*self.panel.records, *([] if self._daily is None else self._daily.records)]

    def panels(self, frequencies: Iterable[str] = ("monthly",)) -> dict[str, Panel]:
        """``{"monthly": ..., "daily": ...}`` with the daily panel only if asked for and available.

        At daily or weekly decisions: ``{frequency: decision panel}`` alone.
        """
        if self.frequency != "monthly":
            return {self.frequency: self.panel}
        out = {"monthly": self.panel}
        if "daily" in set(frequencies) and self.daily is not None:
            out["daily"] = self.daily
        return out

    def resolve(self, spec: DetectorSpec) -> DetectorSpec:
        """``spec`` as this data runs it: at daily or weekly decisions, on the decision panel's frequency."""
        return spec if self.frequency == "monthly" else replace(spec, frequency=self.frequency)

    def detect(self, spec: DetectorSpec, schedule: Schedule, seed: int | None = 0,
               cache_dir: str | Path | None = None,
               on_refit: Callable[[int, int, pd.Timestamp], None] | None = None) -> RegimePath:
        """:func:`detect` at :attr:`dates`."""
        spec = self.resolve(spec)
        return detect(spec, self.panels([spec.frequency]), self.dates, schedule, seed=seed, cache_dir=cache_dir,
                      on_refit=on_refit)

    def detect_all(self, specs: Sequence[DetectorSpec], schedule: Schedule, seed: int | None = 0,
                   cache_dir: str | Path | None = None, progress: Progress | None = None) -> dict[str, RegimePath]:
        """One path per spec, keyed by label, in the specs' order.

        ``progress(stage, detail)`` hears stage ``"regimes <label>"`` once per refit of each detector whose
        path is computed, after ``progress.expect(stage, n_refits)`` when the callable has it (a reporter of
        :mod:`experiments.progress` then shows refits k of n), and once for a path read from the cache.
        """
        paths: dict[str, RegimePath] = {}
        for spec in specs:
            on_refit = None
            if progress is not None:
                def on_refit(i: int, n: int, date: pd.Timestamp, stage: str = f"regimes {spec.label}") -> None:
                    expect = getattr(progress, "expect", None)
                    if i == 0 and expect is not None:
                        expect(stage, n)
                    progress(stage, f"refit {i + 1} of {n} at {date:%Y-%m-%d}")
            paths[spec.label] = self.detect(spec, schedule, seed=seed, cache_dir=cache_dir, on_refit=on_refit)
            if progress is not None and paths[spec.label].info.get("cache") == "hit":
                progress(f"regimes {spec.label}", "read from the regime cache")
        return paths


def risk_off_table(paths: Mapping[str, RegimePath] | Sequence[RegimePath]) -> pd.DataFrame:
    """The ``regimes.csv`` table: filtered risk-off probability, one column per path.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_dates, n_paths)``, index ``date`` (the union of the paths'
        decision dates), columns the path labels. Row t uses data dated <= t.
    """
    items = list(paths.values()) if isinstance(paths, Mapping) else list(paths)
    table = pd.DataFrame({path.name: path.risk_off for path in items})
    table.index.name = "date"
    return table
