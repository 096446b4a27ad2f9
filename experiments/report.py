"""A self-contained HTML report of a run (figures embedded), written from the run's own numbers.

The plain-language summary is generated from the statistics, never typed:
for each target it says which strategies beat static exposure after costs,
whether any survives the multiple-testing adjustments (Deflated Sharpe, SPA,
the t > 3 hurdle, PBO), and whether regime information beat the same model
without it.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from experiments.tables import html_table
from regimes.atomic import atomic_write_text

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;
color:#1b2631;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d5d8dc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.8em;margin:.6em 0;display:block;overflow-x:auto}
th,td{border:1px solid #d5d8dc;padding:3px 6px}th{background:#eaf2f8;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even){background:#fbfcfc}
img{max-width:100%;margin:.5em 0;border:1px solid #eee}.banner{background:#fdebd0;border:1px solid #e59866;
padding:.6em 1em;margin:1em 0}.summary li{margin:.3em 0}pre{background:#f4f6f7;padding:1em;overflow-x:auto;
font-size:.8em}.muted{color:#5d6d7e;font-size:.85em}
"""

HEADLINE = ["target", "regime_model", "forecaster", "allocator", "ann_return", "ann_vol", "sharpe", "max_drawdown",
            "turnover", "psr", "dsr", "sharpe_diff_p", "alpha_static_t", "spa_consistent"]


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt_p(p: float) -> str:
    return "n/a" if p is None or not np.isfinite(p) else (f"{p:.3f}" if p >= 0.001 else "<0.001")


def summary_points(result) -> list[str]:
    """Plain-language findings, one list item each."""
    m = result.metrics
    points = []
    for target in m["target"].unique():
        rows = m[m["target"] == target]
        static = rows[rows["allocator"] == "static"]
        if static.empty:
            continue
        s_name = static.index[0]
        s_sharpe = rows.loc[s_name, "sharpe"]
        others = rows.drop(index=s_name)
        better = others[others["sharpe"] > s_sharpe]
        significant = better[better.get("sharpe_diff_p", pd.Series(np.nan, index=better.index)) < 0.05]
        dsr_ok = better[better["dsr"] > 0.95]
        hlz = better[better.get("hlz_pass", pd.Series(False, index=better.index)).fillna(False).astype(bool)]
        best = others["sharpe"].idxmax() if len(others) else None
        text = (f"<b>{html.escape(target)}</b>: static exposure earns a Sharpe ratio of {s_sharpe:.2f} over the "
                f"evaluation window. {len(better)} of {len(others)} strategies "
                f"{'does' if len(better) == 1 else 'do'} better after costs")
        if best is not None:
            text += f"; the best is <code>{html.escape(best)}</code> ({others.loc[best, 'sharpe']:.2f})"
        verb = "differs" if len(significant) == 1 else "differ"
        text += (f". {len(significant)} of them {verb} significantly from static (Ledoit-Wolf, 5 %), "
                 f"{len(dsr_ok)} keep a Deflated Sharpe above 0.95 given the {len(m)} strategies tried, and "
                 f"{len(hlz)} clear the t &gt; 3 hurdle on alpha against static.")
        spa = result.spa.get(s_name)
        if spa:
            verdict = "rejects" if spa["spa_consistent"] < 0.05 else "does not reject"
            text += (f" Hansen's SPA test {verdict} that no strategy beats static (p = "
                     f"{_fmt_p(spa['spa_consistent'])}; Reality Check p = {_fmt_p(spa['reality_check'])}).")
        points.append(text)
        regime_rows = others[others["regime_model"] != "none"]
        uncond_rows = others[(others["regime_model"] == "none") & (others["forecaster"] != "none")]
        if len(regime_rows) and len(uncond_rows):
            rb, ub = regime_rows["sharpe"].idxmax(), uncond_rows["sharpe"].idxmax()
            word = "beats" if regime_rows.loc[rb, "sharpe"] > uncond_rows.loc[ub, "sharpe"] else "does not beat"
            points.append(f"<b>{html.escape(target)}</b>: the best regime-aware strategy "
                          f"(<code>{html.escape(rb)}</code>, Sharpe {regime_rows.loc[rb, 'sharpe']:.2f}) {word} the best "
                          f"unconditional one (<code>{html.escape(ub)}</code>, {uncond_rows.loc[ub, 'sharpe']:.2f}).")
    fm = result.forecast_metrics
    regime_fc = fm[fm["regime_model"] != "none"]
    if len(regime_fc):
        wins = regime_fc[regime_fc["clark_west_p"] < 0.05]
        dm = regime_fc.get("dm_vs_unconditional_p")
        dm_wins = regime_fc[(dm < 0.05) & (regime_fc["dm_vs_unconditional_stat"] > 0)] if dm is not None else []
        points.append(f"Forecasts: {len(wins)} of {len(regime_fc)} regime-aware forecast series beat the expanding "
                      f"historical mean (Clark-West, 5 %); {len(dm_wins)} beat the same model without regimes "
                      f"(Diebold-Mariano, 5 %). Out-of-sample R² ranges from {regime_fc['oos_r2'].min():.3f} to "
                      f"{regime_fc['oos_r2'].max():.3f}.")
    pbo = result.pbo.get("pbo")
    if pbo is not None and np.isfinite(pbo):
        points.append(f"Probability of backtest overfitting across all {len(m)} strategies (CSCV): {pbo:.2f}"
                      + (" - selecting the in-sample best is no better than chance." if pbo >= 0.5 else "."))
    return points


def write_report(result, config: dict, manifest: dict, run_dir: Path, analyses: list | None = None) -> Path:
    run_dir = Path(run_dir)
    figs = run_dir / "figures"
    window = (f" Evaluation window {result.window[0]} to {result.window[1]} (returns of the periods after each "
              f"decision date); costs {config['allocation']['cost_bps']} bps per unit of turnover."
              if result is not None else "")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(config['name'])}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>{html.escape(config['name'])}</h1>",
             f"<p class='muted'>{html.escape(config.get('description') or '')}{window} Config hash "
             f"{manifest['config_hash']}; seed {manifest['seed']}.</p>"]
    if manifest.get("sample_data"):
        parts.append("<div class='banner'><b>SAMPLE DATA.</b> This run uses the offline sample shipped by installed "
                     "packages (older vintages, short VIX history). It shows how the framework works; its numbers "
                     "are not research results.</div>")
    for out in analyses or []:
        parts += [f"<h2>{html.escape(out.title)}</h2>", out.html]
        for name in out.figures:
            if (figs / f"{name}.png").exists():
                parts.append(_img(figs / f"{name}.png", name))
    if result is not None:
        parts += _comparison_sections(result, figs)
    parts += _provenance_sections(config, manifest)
    path = run_dir / "report.html"
    atomic_write_text(path, "\n".join(parts))
    return path


def _comparison_sections(result, figs: Path) -> list[str]:
    parts = ["<h2>Summary</h2><ul class='summary'>", *[f"<li>{p}</li>" for p in summary_points(result)], "</ul>",
              "<p class='muted'>Every probability, forecast and weight at a date uses data up to that date only: "
              "filtered regime probabilities from detectors refit on past data, forecasters fit on realized "
              "targets, scalers fit on the training window.</p>"]
    head = result.metrics[[c for c in HEADLINE if c in result.metrics.columns]].sort_values(
        ["target", "sharpe"], ascending=[True, False])
    parts += ["<h2>Strategies</h2>", html_table(head, digits=3),
              "<p class='muted'>Sharpe: mean / standard deviation of monthly net excess returns, times sqrt(12). "
              "psr: probability the true Sharpe exceeds 0; dsr: the same against the expected maximum Sharpe of "
              "all strategies tried; sharpe_diff_p: Ledoit-Wolf test against static; spa_consistent: Hansen's SPA "
              "p-value of all strategies against static. Full table: metrics.csv.</p>"]
    parts += ["<h2>Forecasts</h2>", html_table(result.forecast_metrics.set_index(["target", "forecaster"]), digits=4),
              "<p class='muted'>oos_r2 against the expanding historical mean; clark_west_p one-sided; "
              "dm_vs_unconditional: Diebold-Mariano against the same model without regimes (positive statistic: "
              "the regime-aware model is more accurate).</p>"]
    parts.append("<h2>Regimes</h2>")
    for name in sorted(p.name for p in figs.glob("regimes_*.png")):
        parts.append(_img(figs / name, name))
    for name in ("transitions.png",):
        if (figs / name).exists():
            parts.append(_img(figs / name, name))
    for name in sorted(p.name for p in figs.glob("distributions_*.png")):
        parts.append(_img(figs / name, name))
    br = result.breakdown
    if len(br):
        factors = br[br["series"].str.startswith("factor:")].set_index(["series", "detector", "regime"])
        parts += ["<h3>Factors by regime</h3>", html_table(factors, digits=3)]
    parts.append("<h2>Performance</h2>")
    for prefix in ("growth_", "drawdown_", "rolling_sharpe_", "weights_"):
        for name in sorted(p.name for p in figs.glob(f"{prefix}*.png")):
            parts.append(_img(figs / name, name))
    parts.append("<h2>Forecasts against realized, and what drives them</h2>")
    for prefix in ("forecasts_", "importance_"):
        for name in sorted(p.name for p in figs.glob(f"{prefix}*.png")):
            parts.append(_img(figs / name, name))
    stats_rows = pd.DataFrame([{"benchmark": k, **v} for k, v in result.spa.items()])
    if len(stats_rows):
        parts += ["<h2>Multiple testing</h2>", html_table(stats_rows.set_index("benchmark"), digits=3)]
    parts.append(f"<p>PBO (CSCV): {result.pbo.get('pbo', float('nan')):.3f} over {result.pbo.get('n_splits', 0)} "
                 "splits.</p>")
    return parts


def _provenance_sections(config: dict, manifest: dict) -> list[str]:
    parts = []
    files = pd.DataFrame(manifest["data_files"])
    if len(files):
        files["sha256"] = files["sha256"].str[:16]
        parts += ["<h2>Data provenance</h2>", html_table(files.set_index("key"), digits=0),
                  "<ul>", *[f"<li>{html.escape(n)}</li>" for n in manifest.get("data_notes", [])], "</ul>"]
    versions = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())
    parts += ["<h2>Reproducibility</h2>",
              f"<p class='muted'>Git {manifest.get('git_commit') or 'n/a'}; {html.escape(versions)}. Start and end "
              "times and seconds per stage are in manifest.json (kept out of this report so that identical "
              "inputs give an identical report).</p>",
              f"<pre>{html.escape(yaml.safe_dump(config, sort_keys=False))}</pre>", "</body></html>"]
    return parts
