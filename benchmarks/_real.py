"""What the regime benchmarks share: the real monthly and daily panels and the decision months they score."""

from __future__ import annotations

import pandas as pd

from regimes.data import make_source
from regimes.panel import Panel, build_panel


def real_panels(source_name: str) -> tuple[dict[str, Panel], pd.DatetimeIndex]:
    """Monthly and daily panels from 1990 of the named source, and the decision months 2000-01..2024-12."""
    source = make_source(source_name)
    panels = {"monthly": build_panel(source, "monthly", start="1990-01"),
              "daily": build_panel(source, "daily", start="1990-01-01")}
    return panels, panels["monthly"].frame.loc["2000-01":"2024-12"].index
