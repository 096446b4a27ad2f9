"""Analyses: studies that add their own tables, figures and report section to a run.

A config lists them under ``analyses`` (``[{name: vol_managed_momentum, params: {...}}]``). Each is a
registered function ``analysis(context, **params) -> AnalysisOutput`` with an :class:`AnalysisReport`
declaring its output files and rendering its report section (and, optionally, its README block) from
those outputs (:class:`AnalysisResult`, the same whether fresh or read back from a run directory); the
runner writes its tables as CSV, its data as JSON and its figures under ``figures/``, and the report loops
over the analyses a run holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from regimes.data.sources import DataSource, FileRecord
from regimes.panel import Panel
from regimes.pipeline import RegimeData
from regimes.walkforward import Schedule


@dataclass
class AnalysisContext:
    """What an analysis may use: the resolved config, the data source, the monthly panel, the comparison."""

    config: dict
    source: DataSource
    panel: Panel
    result: Any = None  # experiments.study.StudyResult when the config runs the comparison
    records: list[FileRecord] = field(default_factory=list)

    def regime_data(self) -> RegimeData:
        """The data of every regime path of this config (:mod:`regimes.pipeline`), on the run's monthly panel.

        Paths from it are those a run, ``regimes run`` or ``regimes plot --config`` give the same detector:
        the config's ``history_start`` and ``end``. Call :meth:`add_records` with its ``records`` afterwards.
        """
        end = self.config["data"].get("end")
        return RegimeData(self.source, str(self.config["data"]["history_start"]), None if end is None else str(end),
                          self.panel, self.panel.frequency)

    def regime_schedule(self, **changes) -> Schedule:
        """The config's ``regimes.schedule``, with ``changes`` (None values ignored)."""
        schedule = Schedule(**self.config["regimes"]["schedule"])
        return replace(schedule, **{k: v for k, v in changes.items() if v is not None})

    def add_records(self, records) -> None:
        """Record data files an analysis read (for the run manifest)."""
        self.records.extend(r for r in records if r not in self.records)

    def daily_panel(self, start: str | None = None) -> Panel:
        from regimes.panel import build_panel
        panel = build_panel(self.source, "daily", start=start)
        self.add_records(panel.records)
        return panel


@dataclass
class AnalysisOutput:
    """Tables (CSV), data (JSON) and figures (PNG); the report section comes from the registered
    :class:`AnalysisReport`, rendered from these outputs."""

    name: str
    title: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    json_name: str | None = None


@dataclass
class AnalysisResult:
    """An analysis's outputs as its run directory holds them (:mod:`experiments.run_result`).

    ``tables``: file stem -> frame (``<stem>.csv``); ``data``: the JSON document (``json_name``).
    """

    name: str
    title: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisReport:
    """What a registered analysis writes and how it is shown.

    Parameters
    ----------
    title : str
        The report section's heading.
    tables : dict
        Table file stem -> number of index columns written (``<stem>.csv``); a table may be absent.
    json_name : str, optional
        The JSON document of its data.
    figures : tuple of str
        Figure stems (``figures/<stem>.png``), embedded after the section when present.
    section : callable
        ``section(AnalysisResult) -> str``: the report section's HTML from the outputs alone.
    readme : callable, optional
        ``readme(AnalysisResult, run_name) -> str``: a Markdown block for the README's Results.
    check : callable, optional
        ``check(params)``: validates the analysis's parameters before anything runs (raises
        :class:`plumbing.errors.FactorRegimesError`), for the config checks.
    """

    title: str
    tables: dict[str, int]
    json_name: str | None
    section: Callable[[AnalysisResult], str]
    figures: tuple[str, ...] = ()
    readme: Callable[[AnalysisResult, str], str] | None = None
    check: Callable[[dict], None] | None = None
