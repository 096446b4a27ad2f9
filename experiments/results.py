"""Render headline results of run directories as Markdown (for the README's Results section).

``factor-regimes results RUN_DIR ... --readme README.md`` replaces the text between
``<!-- results:start -->`` and ``<!-- results:end -->`` with tables built from the runs'
own files, so the README shows numbers the runs produced, next to the published ones.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.run_result import RunResult
from experiments.tables import markdown_table
from plumbing.atomic import atomic_write_text
from plumbing.errors import FactorRegimesError

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _comparison(run: RunResult, name: str) -> str:
    m, man = run.comparison.metrics, run.manifest
    lines = [f"**Strategy comparison in `{man['name']}`** (`{name}`, evaluation {run.comparison.window[0]}.."
             f"{run.comparison.window[1]}, {len(m)} strategies, net of costs). Best three per target by Sharpe, "
             "against static:", ""]
    rows = []
    for target in m["target"].unique():
        t = m[m["target"] == target]
        rows.append(t[t["allocator"] == "static"])
        rows.append(t[t["allocator"] != "static"].sort_values("sharpe", ascending=False).head(3))
    table = pd.concat(rows)[["sharpe", "ann_return", "max_drawdown", "dsr", "sharpe_diff_p", "spa_consistent"]]
    lines.append(markdown_table(table, digits=3))
    fm = run.comparison.forecast_metrics
    reg = fm[(fm["regime_model"] != "none") & (fm["benchmark"] == "historical_mean")]
    lines += ["", f"Regime-aware forecasts beating the expanding mean (Clark-West 5 %): "
                  f"{int((reg['p_value'] < 0.05).sum())} of {len(reg)}; out-of-sample R² from "
                  f"{reg['oos_r2'].min():.3f} to {reg['oos_r2'].max():.3f}. "
                  f"PBO across strategies: {run.comparison.pbo['pbo']:.2f}."]
    return "\n".join(lines)


def render(runs: list[Path]) -> str:
    """Markdown blocks of every run: the comparison's, then each analysis's that declares one."""
    from experiments.analyses import REPORTS

    parts = []
    for run_dir in runs:
        if not (run_dir / "manifest.json").exists():
            raise FactorRegimesError(f"{run_dir}: not a run directory (no manifest.json)")
        run = RunResult.load(run_dir)
        if run.manifest.get("sample_data"):
            raise FactorRegimesError(f"{run_dir}: a SAMPLE-data run; the README shows results on the real data only")
        if run.comparison is not None:
            parts.append(_comparison(run, run_dir.name))
        for out in run.analyses:
            readme = REPORTS[out.name].readme
            if readme is not None:
                parts.append(readme(out, run_dir.name))
    return "\n\n".join(parts)


def update_readme(readme: Path, text: str) -> None:
    content = readme.read_text()
    if START not in content or END not in content:
        raise FactorRegimesError(f"{readme}: no '{START}' ... '{END}' markers")
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    atomic_write_text(readme, f"{head}{START}\n{text}\n{END}{tail}")
