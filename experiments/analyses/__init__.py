"""Registered analyses (config key ``analyses``): ``replicate_aliyev2025``, ``vol_managed_momentum``, ``crisis_study``,
``moreira_muir_2017``, ``daniel_moskowitz_2016``, ``shu_yu_mulvey_2024``.

Each is registered with its :class:`AnalysisReport` (:func:`register`): the files it writes, its report section
and its README block, so the report, the run result and ``results`` treat every analysis alike.
"""

from collections.abc import Callable

from experiments.analyses import (
    crisis,
    daniel_moskowitz,
    moreira_muir,
    replication,
    shu_yu_mulvey,
    vol_managed,
)
from experiments.analyses._base import (
    AnalysisContext,
    AnalysisOutput,
    AnalysisReport,
    AnalysisResult,
)
from plumbing.errors import FactorRegimesError
from plumbing.registry import Registry

ANALYSES: Registry = Registry("analysis")
#: Analysis name -> what it writes and how the report and the README show it.
REPORTS: dict[str, AnalysisReport] = {}


def register(name: str, report: AnalysisReport) -> Callable:
    """Decorator registering an analysis function under ``name`` with its report declaration."""
    def decorate(factory: Callable) -> Callable:
        ANALYSES.register(name)(factory)
        REPORTS[name] = report
        return factory
    return decorate


register("replicate_aliyev2025", replication.REPORT)(replication.replicate_aliyev2025)
register("vol_managed_momentum", vol_managed.REPORT)(vol_managed.vol_managed_momentum)
register("crisis_study", crisis.REPORT)(crisis.crisis_study)
register("moreira_muir_2017", moreira_muir.REPORT)(moreira_muir.moreira_muir_2017)
register("daniel_moskowitz_2016", daniel_moskowitz.REPORT)(daniel_moskowitz.daniel_moskowitz_2016)
register("shu_yu_mulvey_2024", shu_yu_mulvey.REPORT)(shu_yu_mulvey.shu_yu_mulvey_2024)


def render_section(name: str, output: AnalysisOutput) -> str:
    """The report section of a fresh output of the analysis registered as ``name`` (as the report shows it)."""
    from experiments.run_result import analysis_result
    return REPORTS[name].section(analysis_result(name, output))


def run_analysis(item: dict, context: AnalysisContext) -> AnalysisOutput:
    """Run one configured analysis (``{name, params}``); unknown parameters are named."""
    params = dict(item.get("params") or {})
    factory = ANALYSES.get(item["name"])
    valid = [p for p in ANALYSES.parameters(item["name"]) if p != "ctx"]
    unknown = [p for p in params if p not in valid]
    if unknown:
        raise FactorRegimesError(f"analysis {item['name']!r} has no parameter {unknown[0]!r}; valid: {', '.join(valid)}")
    return factory(context, **params)


__all__ = ["ANALYSES", "REPORTS", "AnalysisContext", "AnalysisOutput", "AnalysisReport", "AnalysisResult",
           "register", "render_section", "run_analysis"]
