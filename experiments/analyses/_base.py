"""Analyses: studies that add their own tables, figures and report section to a run.

A config lists them under ``analyses`` (``[{name: vol_managed_momentum, params: {...}}]``). Each is a
registered function ``analysis(context, **params) -> AnalysisOutput``; the runner writes its tables
as CSV, its data as ``<name>.json``, its figures under ``figures/`` and its HTML section into the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from regimes.data.sources import DataSource, FileRecord
from regimes.panel import Panel


@dataclass
class AnalysisContext:
    """What an analysis may use: the resolved config, the data source, the monthly panel, the comparison."""

    config: dict
    source: DataSource
    panel: Panel
    result: Any = None  # experiments.study.StudyResult when the config runs the comparison
    records: list[FileRecord] = field(default_factory=list)

    def daily_panel(self, start: str | None = None) -> Panel:
        from regimes.panel import build_panel
        panel = build_panel(self.source, "daily", start=start)
        self.records.extend(r for r in panel.records if r not in self.records)
        return panel


@dataclass
class AnalysisOutput:
    """Tables (CSV), data (JSON), figures (PNG) and an HTML report section."""

    name: str
    title: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    html: str = ""
    json_name: str | None = None
