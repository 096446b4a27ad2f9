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
from dataclasses import dataclass, field
from typing import Any

from regimes.detectors import DETECTORS, RegimeDetector
from regimes.features import risk_stat_of

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
    "cjm": (("log_vix", "sp500_ret_1m"), "monthly", {}),
    "sjm": (("log_vix", "sp500_ret_1m"), "monthly", {}),
    "tuned": (("log_vix", "sp500_ret_1m"), "monthly",
              {"base": {"name": "jump"}, "grid": {"jump_penalty": [1.0, 3.0, 10.0, 30.0, 100.0]}}),
}

#: Feature rows per decision period when features are daily and decisions monthly.
DAYS_PER_MONTH = 21


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
        if isinstance(params.get("base"), Mapping):  # a tuned detector's base, on the same features
            params["base"] = DetectorSpec.from_dict({**params["base"], "features": self.features}).build(seed)
        if "feature_names" in valid and "feature_names" not in params:
            params["feature_names"] = list(self.features)
        if "risk_stat" in valid and "risk_stat" not in params:
            params["risk_stat"] = risk_stat_of(self.features)
        if "random_state" in valid and "random_state" not in params:
            params["random_state"] = seed
        return DETECTORS.create(self.name, **params)
