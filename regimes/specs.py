"""Detector specs: a registered detector with its features, frequency and parameters.

A spec is what a YAML experiment says about one detector::

    {name: hmm, features: [log_vix, sp500_ret_1m], params: {n_states: 2}}

Omitted fields take the detector's defaults (:data:`DEFAULTS`). The risk
statistic that orders states defaults to the first feature's
(:func:`regimes.features.risk_stat_of`), and ``random_state`` to the
experiment seed, so a label means the same thing in every run and the same
seed gives the same output. :func:`regimes.pipeline.detect` runs a spec
walk-forward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from plumbing.errors import FactorRegimesError
from regimes.detectors import DETECTORS, RegimeDetector
from regimes.features import risk_stat_of
from regimes.panel import Panel

#: name -> (features, frequency, parameters) used when a spec omits them.
DEFAULTS: dict[str, tuple[tuple[str, ...], str, dict[str, Any]]] = {
    "hmm": (("log_vix", "sp500_ret_1m"), "monthly", {}),
    "jump": (("log_vix", "sp500_ret_1m"), "monthly", {"jump_penalty": 1.0}),
    "changepoint": (("log_vix",), "monthly", {}),
    "bocpd": (("log_vix",), "monthly", {}),
    "garch": (("sp500_ret",), "daily", {}),
    "vix_threshold": (("vix",), "monthly", {}),
    "markov_switching": (("sp500_ret_1m",), "monthly", {}),
    "ensemble": (("log_vix", "sp500_ret_1m"), "monthly",
                 {"members": [{"name": "hmm"}, {"name": "jump"}, {"name": "bocpd"}]}),
    "cjm": (("log_vix", "sp500_ret_1m"), "monthly", {"jump_penalty": 2.0}),
    "sjm": (("log_vix", "sp500_ret_1m"), "monthly", {"jump_penalty": 2.0}),
    "tuned": (("log_vix", "sp500_ret_1m"), "monthly",
              {"base": {"name": "jump"}, "grid": {"jump_penalty": [1.0, 3.0, 10.0, 30.0, 100.0]}}),
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
#: ``min_history`` (252) is a year of daily returns; on a monthly panel (the user's CSV) it is fit on monthly
#: returns and ranks its volatility after 60 months, on a weekly one after 104 weeks. Jump-model penalties per
#: frequency and the daily ensemble were chosen by ``benchmarks/detection_goals.py --tune``
#: (``benchmarks/results/detection_goals_tuning.md``, tuning seeds only; monthly values are in
#: :data:`DEFAULTS`, which weekly panels keep, measured there too; the estimators' own default, 10, is what
#: the Python API gets): the penalty trades the delay with which the online programme confirms a switch for
#: fewer switches. ``jump`` takes the largest penalty whose easy-panel balanced accuracy stays >= 0.97 on the
#: tuning seeds (a margin over the 0.96 goal): 3 on daily features, 1 on monthly ones (on 10-month spells the
#: old monthly 10 confirmed switches 2-3 months late: 0.79; on the real monthly panel 2000-2024 penalty 1 gives 1.9
#: switches a year against 0.2 at 10 and the HMM's 0.8). ``sjm`` and ``cjm``: the fewest switches at about the
#: same balanced accuracy on the hard panels with consecutive refits agreeing on about 0.9 or more of their
#: common history (daily 15 and 10, monthly 2 and 2; at 5 and the old monthly 10 consecutive ``sjm`` refits
#: agreed on as little as 0.44 of their common history and alignment had to relabel up to 3 of them). The
#: daily ensemble replaces ``bocpd`` (weak and slow on daily rows) by ``sjm``. ``changepoint`` re-segments
#: only the last year of daily rows (without it each date re-segments the whole history: hours on 5,000 rows).
FREQUENCY_PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("garch", "daily"): DAILY_PERSISTENCE,
    ("bocpd", "daily"): DAILY_PERSISTENCE,
    ("changepoint", "daily"): {**DAILY_PERSISTENCE, "max_window": 252},
    ("vix_threshold", "daily"): {"min_duration": 5},
    ("jump", "daily"): {"jump_penalty": 3.0},
    ("sjm", "daily"): {"jump_penalty": 15.0},
    ("cjm", "daily"): {"jump_penalty": 10.0},
    ("ensemble", "daily"): {"members": [{"name": "hmm"}, {"name": "jump"}, {"name": "sjm"}]},
    ("garch", "monthly"): {"min_history": 60},
    ("garch", "weekly"): {"min_history": 104},
}

#: Daily features of the learned-state detectors: the log VIX and the log exponentially weighted downside
#: deviation of returns at a 5-day half-life (Shu, Yu & Mulvey 2024), chosen by
#: ``benchmarks/detection_goals.py --tune``: the monthly default's 21-day overlapping return makes an HMM
#: split states on the sign of returns (balanced accuracy 0.83 against 0.87, and more switches, on the hard
#: daily panels), and a 5-day half-life reacts faster than 10 or 21 days at equal or better accuracy.
DAILY_FEATURES: tuple[str, ...] = ("log_vix", "dd_log_5")

#: (name, feature panel frequency) -> features used there when the spec does not name any (every one
#: computable from ``vix`` and ``sp500_ret`` alone); absent: the features of :data:`DEFAULTS`. Weekly
#: panels keep them (measured: ``detection_goals_tuning.md``) except ``markov_switching``, which reads the
#: period's own return there as on daily panels (the overlapping 4-week return relabelled refits).
FREQUENCY_FEATURES: dict[tuple[str, str], tuple[str, ...]] = {
    **{(name, "daily"): DAILY_FEATURES for name in ("hmm", "jump", "cjm", "sjm", "ensemble", "tuned")},
    ("markov_switching", "daily"): ("sp500_ret",),
    ("markov_switching", "weekly"): ("sp500_ret",),
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
    defaulted : frozenset of str
        What :meth:`from_dict` filled from :data:`DEFAULTS` because the config
        omitted it: ``"features"`` and parameter names. Only these give way to
        the panel frequency's defaults (:func:`resolve_panel`); a spec built
        directly has none.
    """

    name: str
    label: str = ""
    features: tuple[str, ...] = ()
    frequency: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    defaulted: frozenset[str] = field(default=frozenset(), compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DetectorSpec:
        """Build from a config mapping, filling defaults."""
        name = data.get("name")
        if name not in DETECTORS:
            DETECTORS.get(str(name))  # raises the "unknown detector" error with suggestions
        feats, freq, params = DEFAULTS[name]
        given = dict(data.get("params") or {})
        defaulted = {k for k in params if k not in given} | (set() if data.get("features") else {"features"})
        return cls(name=name, label=str(data.get("label") or name),
                   features=tuple(data.get("features") or feats), frequency=str(data.get("frequency") or freq),
                   params={**params, **given}, defaulted=frozenset(defaulted))

    def build(self, seed: int | None = None) -> RegimeDetector:
        """The unfitted detector: parameters plus risk statistic and seed defaults."""
        params = dict(self.params)
        valid = DETECTORS.parameters(self.name)
        if "members" in params:
            params["members"] = [DetectorSpec.from_dict({**m, "features": self.features}).build(seed)
                                 for m in params["members"]]
        if isinstance(params.get("base"), Mapping):  # a tuned detector's base, on the same features
            params["base"] = DetectorSpec.from_dict({**params["base"], "features": self.features}).build(seed)
        if "feature_names" in valid and "feature_names" not in params:
            params["feature_names"] = list(self.features)
        if "risk_stat" in valid and "risk_stat" not in params:
            params["risk_stat"] = risk_stat_of(self.features)
        if "random_state" in valid and "random_state" not in params:
            params["random_state"] = seed
        return DETECTORS.create(self.name, **params)


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
        ``spec`` with the panel frequency's defaults: :data:`FREQUENCY_FEATURES`
        when its features were defaulted, and :data:`FREQUENCY_PARAMS` for every
        parameter it does not set (a parameter the config sets wins). Members of
        an ensemble and the base of a tuned detector given as dicts get their
        own names' frequency parameters the same way.
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
    return frequency_defaults(spec, panel.frequency), panel


def _frequency_params(name: str, params: Mapping[str, Any], defaulted: frozenset[str] | set[str],
                      frequency: str) -> dict[str, Any]:
    own = {k: v for k, v in params.items() if k not in defaulted}
    out = {**{k: v for k, v in params.items() if k in defaulted},
           **FREQUENCY_PARAMS.get((name, frequency), {}), **own}
    if isinstance(out.get("members"), list):
        out["members"] = [_nested(m, frequency) for m in out["members"]]
    if isinstance(out.get("base"), Mapping):
        out["base"] = _nested(out["base"], frequency)
    return out


def _nested(item: Any, frequency: str) -> Any:
    """A member / base spec dict with its own name's frequency parameters under the ones it sets."""
    if not isinstance(item, Mapping) or item.get("name") not in DEFAULTS:
        return item
    params = dict(item.get("params") or {})
    merged = _frequency_params(str(item["name"]), params, frozenset(), frequency)
    return {**item, "params": merged} if merged else dict(item)


def frequency_defaults(spec: DetectorSpec, frequency: str) -> DetectorSpec:
    """``spec`` with the defaults of a feature panel of ``frequency`` (see :func:`resolve_panel`)."""
    features = spec.features
    if "features" in spec.defaulted and (spec.name, frequency) in FREQUENCY_FEATURES:
        features = FREQUENCY_FEATURES[(spec.name, frequency)]
    return replace(spec, features=tuple(features),
                   params=_frequency_params(spec.name, spec.params, spec.defaulted, frequency))
