"""Detector specs: a registered detector with its features, frequency and parameters.

A spec is what a YAML experiment says about one detector::

    {name: hmm, features: [log_vix, sp500_ret_1m], params: {n_states: 2}}

Omitted fields take the detector's defaults (:data:`DEFAULTS`). The risk
statistic that orders states defaults to the first feature's
(:func:`regimes.features.risk_stat_of`), and ``random_state`` to the
experiment seed, so a label means the same thing in every run and the same
seed gives the same output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from regimes.detectors import DETECTORS, RegimeDetector
from regimes.errors import FactorRegimesError
from regimes.features import build_features, risk_stat_of
from regimes.panel import Panel
from regimes.walkforward import RegimePath, Schedule, walk_forward

#: name -> (features, frequency, parameters) used when a spec omits them.
DEFAULTS: dict[str, tuple[tuple[str, ...], str, dict[str, Any]]] = {
    "hmm": (("log_vix", "sp500_ret_1m"), "monthly", {}),
    "jump": (("log_vix", "sp500_ret_1m"), "monthly", {}),
    "changepoint": (("log_vix",), "monthly", {}),
    "bocpd": (("log_vix",), "monthly", {}),
    "garch": (("sp500_ret",), "daily", {}),
    "vix_threshold": (("vix",), "monthly", {}),
    "markov_switching": (("sp500_ret_1m",), "monthly", {}),
    "ensemble": (("log_vix", "sp500_ret_1m"), "monthly",
                 {"members": [{"name": "hmm"}, {"name": "jump"}, {"name": "bocpd"}]}),
}

#: Feature rows per decision period when features are daily and decisions monthly.
DAYS_PER_MONTH = 21

#: Persistence (:mod:`regimes.persistence`) on daily features, chosen by ``benchmarks/persistence.py``
#: (``benchmarks/results/persistence.md``): on a hard synthetic daily panel it brings the score detectors'
#: switches to about the true number (garch 146 -> 38, bocpd 87 -> 41, truth 39) and vix_threshold's from
#: 260 to 60 at unchanged balanced accuracy. Monthly features get none: there flicker is under two switches
#: a year and one more period of confirmation is a month of delay at a crisis onset.
DAILY_PERSISTENCE: dict[str, Any] = {"hysteresis": [0.2, 0.8], "min_duration": 3}

#: (name, feature panel frequency) -> parameters used there unless the spec sets them. garch's default
#: ``min_history`` (252) is a year of daily returns; on a monthly panel (the user's CSV) it is fit on
#: monthly returns and ranks its volatility after 60 months, on a weekly one after 104 weeks.
FREQUENCY_PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("garch", "daily"): DAILY_PERSISTENCE,
    ("bocpd", "daily"): DAILY_PERSISTENCE,
    ("changepoint", "daily"): DAILY_PERSISTENCE,
    ("vix_threshold", "daily"): {"min_duration": 5},
    ("garch", "monthly"): {"min_history": 60},
    ("garch", "weekly"): {"min_history": 104},
}


@dataclass(frozen=True)
class DetectorSpec:
    """One detector as an experiment names it.

    Attributes
    ----------
    name : str
        Registered detector name.
    label : str
        How results are labelled (default ``name``); unique within a run.
    features : tuple of str
        Feature names (:data:`regimes.features.FEATURES`).
    frequency : {"monthly", "daily"}
        Panel the features come from. Daily features with monthly decisions
        use the last day of each month.
    params : dict
        Detector parameters (``members`` of an ensemble are specs as dicts).
    """

    name: str
    label: str = ""
    features: tuple[str, ...] = ()
    frequency: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DetectorSpec:
        """Build from a config mapping, filling defaults."""
        name = data.get("name")
        if name not in DETECTORS:
            DETECTORS.get(str(name))  # raises the "unknown detector" error with suggestions
        feats, freq, params = DEFAULTS[name]
        return cls(name=name, label=str(data.get("label") or name),
                   features=tuple(data.get("features") or feats), frequency=str(data.get("frequency") or freq),
                   params={**params, **dict(data.get("params") or {})})

    def build(self, seed: int | None = None) -> RegimeDetector:
        """The unfitted detector: parameters plus risk statistic and seed defaults."""
        params = dict(self.params)
        valid = DETECTORS.parameters(self.name)
        if "members" in params:
            params["members"] = [DetectorSpec.from_dict({**m, "features": self.features}).build(seed)
                                 for m in params["members"]]
        if "risk_stat" in valid and "risk_stat" not in params:
            params["risk_stat"] = risk_stat_of(self.features)
        if "random_state" in valid and "random_state" not in params:
            params["random_state"] = seed
        return DETECTORS.create(self.name, **params)


def run_spec(spec: DetectorSpec, panels: Mapping[str, Panel], decision_dates: pd.DatetimeIndex,
             schedule: Schedule, seed: int | None = 0, cache_dir=None) -> RegimePath:
    """Walk-forward path of ``spec`` at ``decision_dates``.

    Parameters
    ----------
    panels : mapping
        ``{"monthly": Panel, "daily": Panel}``; the spec's frequency must be present.
    schedule : Schedule
        In decision periods; with daily features, ``min_history`` and
        ``window_length`` are scaled by :data:`DAYS_PER_MONTH`.

    Notes
    -----
    The user's own panel (``panels`` holding one panel built from a CSV,
    ``source == "csv"``) is the only panel there is: every detector takes its
    features from it, whatever its default frequency, with
    :data:`FREQUENCY_PARAMS` for that frequency unless the spec sets them
    (garch on a monthly CSV is fit on monthly returns).

    :data:`FREQUENCY_PARAMS` hold the defaults that depend on the frequency
    of the panel the features come from (persistence on daily features);
    a parameter the spec sets, even to ``None``, wins.
    """
    spec, panel = resolve_panel(spec, panels)
    features = build_features(panel, spec.features)
    if panel.frequency == "daily" and len(decision_dates) > 1 and (decision_dates[1] - decision_dates[0]).days > 20:
        schedule = replace(schedule, window_length=None if schedule.window_length is None
                           else schedule.window_length * DAYS_PER_MONTH,
                           min_history=schedule.min_history * DAYS_PER_MONTH)
    return walk_forward(spec.build(seed), features, decision_dates, schedule, name=spec.label, cache_dir=cache_dir)


def resolve_panel(spec: DetectorSpec, panels: Mapping[str, Panel]) -> tuple[DetectorSpec, Panel]:
    """The panel a spec's features come from, and the spec with that panel frequency's defaults.

    Parameters
    ----------
    spec : DetectorSpec
    panels : mapping
        ``{"monthly": Panel[, "daily": Panel]}``, or the user's own panel
        alone (one panel with ``source == "csv"``, under any key).

    Returns
    -------
    spec : DetectorSpec
        ``spec`` with :data:`FREQUENCY_PARAMS` for the panel's frequency
        added under its own parameters (a parameter the spec sets wins).
    panel : Panel
        ``panels[spec.frequency]``, or the user's panel when it is the only one.

    Raises
    ------
    FactorRegimesError
        When neither exists.
    """
    if spec.frequency in panels:
        panel = panels[spec.frequency]
    else:
        user = [p for p in panels.values() if p.source == "csv"]
        if len(panels) != 1 or not user:
            raise FactorRegimesError(f"detector {spec.label!r} needs the {spec.frequency} panel, which the data "
                                     f"source cannot build")
        panel = user[0]
    defaults = FREQUENCY_PARAMS.get((spec.name, panel.frequency), {})
    return replace(spec, params={**defaults, **spec.params}), panel
