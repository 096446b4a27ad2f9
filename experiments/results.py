"""Render headline results of run directories as Markdown (for the README's Results section).

``factor-regimes results RUN_DIR ... --readme README.md`` replaces the text between
``<!-- results:start -->`` and ``<!-- results:end -->`` with tables built from the runs'
own files, so the README shows numbers the runs produced, next to the published ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from experiments.tables import markdown_table
from plumbing.atomic import atomic_write_text
from plumbing.errors import FactorRegimesError

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _manifest(run: Path) -> dict:
    path = run / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise FactorRegimesError(f"{path}: not a readable run manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise FactorRegimesError(f"{path}: not a run manifest (a JSON object was expected)")
    return manifest


def _comparison(run: Path) -> str:
    m = pd.read_csv(run / "metrics.csv", index_col=0)
    man = _manifest(run)
    lines = [f"**Strategy comparison in `{man['name']}`** (`{run.name}`, evaluation {man['evaluation_window'][0]}..{man['evaluation_window'][1]}, "
             f"{len(m)} strategies, net of costs). Best three per target by Sharpe, against static:", ""]
    rows = []
    for target in m["target"].unique():
        t = m[m["target"] == target]
        rows.append(t[t["allocator"] == "static"])
        rows.append(t[t["allocator"] != "static"].sort_values("sharpe", ascending=False).head(3))
    table = pd.concat(rows)[["sharpe", "ann_return", "max_drawdown", "dsr", "sharpe_diff_p", "spa_consistent"]]
    lines.append(markdown_table(table, digits=3))
    fm = pd.read_csv(run / "forecast_metrics.csv")
    reg = fm[(fm["regime_model"] != "none") & (fm["benchmark"] == "historical_mean")]
    lines += ["", f"Regime-aware forecasts beating the expanding mean (Clark-West 5 %): "
                  f"{int((reg['p_value'] < 0.05).sum())} of {len(reg)}; out-of-sample R² from "
                  f"{reg['oos_r2'].min():.3f} to {reg['oos_r2'].max():.3f}. "
                  f"PBO across strategies: {json.loads((run / 'statistics.json').read_text())['pbo']['pbo']:.2f}."]
    return "\n".join(lines)


def _replication(run: Path) -> str:
    from experiments.analyses.replication_report import gap_sentences, tables
    data = json.loads((run / "replication.json").read_text())
    t = tables(data)
    variants = t["replication_variants"].drop(columns=["months", "share_invested"])
    return ("**Replication of Aliyev (2025)** (`" + run.name + "`). As published: "
            f"{data['as_published']['model']}, backtested on {data['as_published']['sample']}:\n\n"
            + markdown_table(t["replication"], digits=4) + "\n\nEvery other protocol, with its model and sample:\n\n"
            + markdown_table(variants, digits=4) + "\n\n" + "\n".join(f"- {s}" for s in gap_sentences(data)))


def _vol_managed(run: Path) -> str:
    data = json.loads((run / "vol_managed_momentum.json").read_text())
    rows = []
    pub = data["published"]
    rows.append({"period": f"{pub['period']} (paper)", "Sharpe plain": pub["sharpe_plain"],
                 "Sharpe scaled": pub["sharpe_scaled"], "excess kurtosis plain": pub["excess_kurtosis_plain"],
                 "excess kurtosis scaled": pub["excess_kurtosis_scaled"], "worst month plain": None,
                 "worst month scaled": None})
    for period, s in data["periods"].items():
        rows.append({"period": period, "Sharpe plain": s["plain"]["sharpe"], "Sharpe scaled": s["scaled"]["sharpe"],
                     "excess kurtosis plain": s["plain"]["excess_kurtosis"],
                     "excess kurtosis scaled": s["scaled"]["excess_kurtosis"],
                     "worst month plain": s["plain"]["worst_month"], "worst month scaled": s["scaled"]["worst_month"]})
    table = pd.DataFrame(rows).set_index("period")
    return ("**Volatility-managed momentum** (Barroso & Santa-Clara 2015; `" + run.name + "`):\n\n"
            + markdown_table(table, digits=3) +
            "\n\nGap: the paper's momentum is its own series; here it is the Ken French UMD (2025 vintage), with "
            "volatility estimated from the daily UMD factor, which is formed daily.")


def _crisis(run: Path) -> str:
    factors = pd.read_csv(run / "crisis_factors.csv", index_col=0)
    regimes = pd.read_csv(run / "crisis_regimes.csv")
    cols = ["Market return", "UMD return", "HML return", "UMD max drawdown", "corr UMD-Market"]
    table = factors[cols]
    delay = regimes.pivot_table(index="crisis", columns="detector", values="delay_months").reindex(table.index)
    table = table.join(delay.add_prefix("delay "))
    return ("**Factor behaviour in crises** (`" + run.name + "`; delays in months to the first filtered risk-off "
            "label; blank when never flagged or when the detector had no output at the window's start):\n\n" + markdown_table(table, digits=2))


RENDERERS = [("metrics.csv", _comparison), ("replication.json", _replication),
             ("vol_managed_momentum.json", _vol_managed), ("crisis_factors.csv", _crisis)]


def render(runs: list[Path]) -> str:
    parts = []
    for run in runs:
        if not (run / "manifest.json").exists():
            raise FactorRegimesError(f"{run}: not a run directory (no manifest.json)")
        if _manifest(run).get("sample_data"):
            raise FactorRegimesError(f"{run}: a SAMPLE-data run; the README shows results on the real data only")
        for marker, renderer in RENDERERS:
            if (run / marker).exists():
                parts.append(renderer(run))
    return "\n\n".join(parts)


def update_readme(readme: Path, text: str) -> None:
    content = readme.read_text()
    if START not in content or END not in content:
        raise FactorRegimesError(f"{readme}: no '{START}' ... '{END}' markers")
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    atomic_write_text(readme, f"{head}{START}\n{text}\n{END}{tail}")
