"""Registered analyses (config key ``analyses``): ``replicate_aliyev2025``, ``vol_managed_momentum``, ``crisis_study``,
``moreira_muir_2017``, ``daniel_moskowitz_2016``."""

from experiments.analyses._base import AnalysisContext, AnalysisOutput
from experiments.analyses.crisis import crisis_study
from experiments.analyses.daniel_moskowitz import daniel_moskowitz_2016
from experiments.analyses.moreira_muir import moreira_muir_2017
from experiments.analyses.replication import replicate_aliyev2025
from experiments.analyses.vol_managed import vol_managed_momentum
from plumbing.registry import Registry

ANALYSES: Registry = Registry("analysis")
ANALYSES.register("replicate_aliyev2025")(replicate_aliyev2025)
ANALYSES.register("vol_managed_momentum")(vol_managed_momentum)
ANALYSES.register("crisis_study")(crisis_study)
ANALYSES.register("moreira_muir_2017")(moreira_muir_2017)
ANALYSES.register("daniel_moskowitz_2016")(daniel_moskowitz_2016)


def run_analysis(item: dict, context: AnalysisContext) -> AnalysisOutput:
    """Run one configured analysis (``{name, params}``); unknown parameters are named."""
    params = dict(item.get("params") or {})
    factory = ANALYSES.get(item["name"])
    valid = [p for p in ANALYSES.parameters(item["name"]) if p != "ctx"]
    unknown = [p for p in params if p not in valid]
    if unknown:
        from plumbing.errors import FactorRegimesError
        raise FactorRegimesError(f"analysis {item['name']!r} has no parameter {unknown[0]!r}; valid: {', '.join(valid)}")
    return factory(context, **params)


__all__ = ["ANALYSES", "AnalysisContext", "AnalysisOutput", "run_analysis"]
