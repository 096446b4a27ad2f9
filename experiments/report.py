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
from plumbing.atomic import atomic_write_text

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:min(1320px,96vw);margin:2em auto;
padding:0 1em;color:#1b2631;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d5d8dc;padding-bottom:.2em;margin-top:1.8em}
.scroll{overflow:auto;width:fit-content;max-width:100%;max-height:42em;margin:.6em 0;border:1px solid #d5d8dc}
table{border-collapse:separate;border-spacing:0;font-size:.8em}
th,td{border-right:1px solid #e5e8e8;border-bottom:1px solid #e5e8e8;padding:3px 6px;white-space:nowrap}
div.long{white-space:normal;width:30em}
th{background:#eaf2f8;position:sticky;top:0;z-index:1}
table.sticky td:first-child,table.sticky th:first-child{position:sticky;left:0;background:#fff;z-index:2;
border-right:2px solid #aeb6bf}table.sticky th:first-child{background:#eaf2f8;z-index:3}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even) td{background:#fbfcfc}
img{max-width:100%;height:auto;margin:.5em 0;border:1px solid #eee}.banner{background:#fdebd0;
border:1px solid #e59866;padding:.6em 1em;margin:1em 0}.summary li{margin:.3em 0}pre{background:#f4f6f7;
padding:1em;overflow-x:auto;font-size:.8em}.muted{color:#5d6d7e;font-size:.85em}
.row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}.row>div{min-width:0;max-width:100%}
"""

HEADLINE = ["target", "regime_model", "forecaster", "allocator", "ann_return", "ann_vol", "sharpe", "max_drawdown",
            "turnover", "psr", "dsr", "sharpe_diff_p", "alpha_static_t", "spa_consistent"]


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt_p(p: float) -> str:
    return "n/a" if p is None or not np.isfinite(p) else (f"{p:.3f}" if p >= 0.001 else "<0.001")


def _code(name: str) -> str:
    return f"<code>{html.escape(name)}</code>"


def _benchmark_points(m: pd.DataFrame) -> list[str]:
    """One finding per benchmark (target ``benchmark``): its Sharpe ratio against every strategy's."""
    points = []
    strategies = m[(m["target"] != "benchmark")]
    for bench in m.index[m["target"] == "benchmark"]:
        b_sharpe = m.loc[bench, "sharpe"]
        label = bench.split("/", 1)[-1]
        text = (f"<b>Benchmark {html.escape(label)}</b> (buy and hold, {_code(bench)}) earns a Sharpe ratio of "
                f"{b_sharpe:.2f} over the evaluation window")
        if strategies.empty or not np.isfinite(b_sharpe):
            points.append(text + ".")
            continue
        beat = strategies[strategies["sharpe"] > b_sharpe]
        best = strategies["sharpe"].idxmax()
        if beat.empty:
            text += (f": <b>it beats every one of the {len(strategies)} strategies</b>, static exposures included "
                     f"(the best, {_code(best)}, earns {strategies.loc[best, 'sharpe']:.2f}).")
        else:
            text += (f"; {len(beat)} of {len(strategies)} strategies beat it (the best, {_code(best)}, earns "
                     f"{strategies.loc[best, 'sharpe']:.2f}).")
        points.append(text)
    return points


def _versus_static(result, m: pd.DataFrame, rows: pd.DataFrame, target: str, s_name: str) -> str:
    """The finding of one target: its strategies against its static exposure, then the multiple-testing verdicts."""
    s_sharpe = rows.loc[s_name, "sharpe"]
    others = rows.drop(index=s_name)
    text = (f"<b>{html.escape(target)}</b>: static exposure earns a Sharpe ratio of {s_sharpe:.2f} over the "
            "evaluation window.")
    if others.empty:
        return text
    better = others[others["sharpe"] > s_sharpe]
    best = others["sharpe"].idxmax()
    if better.empty:
        text += (f" None of its {len(others)} strategies does better after costs; the best is {_code(best)} "
                 f"({others.loc[best, 'sharpe']:.2f}).")
    else:
        significant = better[better.get("sharpe_diff_p", pd.Series(np.nan, index=better.index)) < 0.05]
        dsr_ok = better[better["dsr"] > 0.95]
        hlz = better[better.get("hlz_pass", pd.Series(False, index=better.index)).fillna(False).astype(bool)]
        text += (f" {len(better)} of {len(others)} strategies {'does' if len(better) == 1 else 'do'} better after "
                 f"costs; the best is {_code(best)} ({others.loc[best, 'sharpe']:.2f}). Of "
                 f"{'it' if len(better) == 1 else 'them'}, {len(significant)} "
                 f"{'differs' if len(significant) == 1 else 'differ'} significantly from static (Ledoit-Wolf "
                 f"bootstrap, 5 %), {len(dsr_ok)} {'keeps' if len(dsr_ok) == 1 else 'keep'} a Deflated Sharpe above "
                 f"0.95 given the {len(m)} strategies tried, and {len(hlz)} "
                 f"{'clears' if len(hlz) == 1 else 'clear'} the t &gt; 3 hurdle on alpha against static.")
    spa = result.spa.get(s_name)
    if spa:
        verdict = "rejects" if spa["spa_consistent"] < 0.05 else "does not reject"
        text += (f" Hansen's SPA test {verdict} that no strategy beats static (p = "
                 f"{_fmt_p(spa['spa_consistent'])}; Reality Check p = {_fmt_p(spa['reality_check'])}).")
    stepm = getattr(result, "stepm", {}).get(s_name)
    if stepm and stepm.get("n_models"):
        n_sup = len(stepm["superior"])
        text += (f" Romano-Wolf StepM finds {n_sup} of {stepm['n_models']} strategies with a higher mean return "
                 f"than static at a familywise error rate of {stepm['size']:.0%}"
                 + (f" ({', '.join(_code(x) for x in stepm['superior'])})." if n_sup else "."))
    mcs = getattr(result, "mcs", {}).get(s_name)
    if mcs and mcs.get("pvalues"):
        text += (f" Hansen's {1 - mcs['size']:.0%} Model Confidence Set keeps {len(mcs['included'])} of "
                 f"{len(mcs['included']) + len(mcs['excluded'])} strategies (static "
                 f"{'included' if s_name in mcs['included'] else 'excluded'}).")
    return text


def summary_points(result) -> list[str]:
    """Plain-language findings, one list item each.

    First each benchmark against every strategy; then, per target, its strategies against static exposure
    (with the multiple-testing verdicts) and the best regime-aware strategy against the best unconditional
    one (any strategy without regimes but static: forecast-driven or not, vol_target included); then the
    forecasts and PBO. A comparison with nothing to compare ("0 of 0") is left out.
    """
    m = result.metrics
    points = _benchmark_points(m)
    for target in m["target"].unique():
        if target == "benchmark":
            continue
        rows = m[m["target"] == target]
        static = rows[rows["allocator"] == "static"]
        if static.empty:
            continue
        s_name = static.index[0]
        points.append(_versus_static(result, m, rows, target, s_name))
        others = rows.drop(index=s_name)
        regime_rows = others[others["regime_model"] != "none"]
        uncond_rows = others[others["regime_model"] == "none"]
        if len(regime_rows) and len(uncond_rows):
            rb, ub = regime_rows["sharpe"].idxmax(), uncond_rows["sharpe"].idxmax()
            word = "beats" if regime_rows.loc[rb, "sharpe"] > uncond_rows.loc[ub, "sharpe"] else "does not beat"
            points.append(f"<b>{html.escape(target)}</b>: the best regime-aware strategy "
                          f"({_code(rb)}, Sharpe {regime_rows.loc[rb, 'sharpe']:.2f}) {word} the best "
                          f"unconditional one ({_code(ub)}, {uncond_rows.loc[ub, 'sharpe']:.2f}).")
    points += _forecast_points(result.forecast_metrics)
    pbo = result.pbo.get("pbo")
    if pbo is not None and np.isfinite(pbo):
        points.append(f"Probability of backtest overfitting across all {len(m)} strategies (CSCV): {pbo:.2f}"
                      + (" - selecting the in-sample best is no better than chance." if pbo >= 0.5 else "."))
    return points


def _forecast_points(fm: pd.DataFrame) -> list[str]:
    """Forecast findings from the comparison rows of forecast_metrics.csv."""
    if fm.empty or "benchmark" not in fm.columns:
        return []
    regime = fm[fm["regime_model"] != "none"]
    vs_mean = regime[regime["benchmark"] == "historical_mean"]
    vs_base = regime[(regime["benchmark"] != "historical_mean") & regime["nested"].astype(bool)]
    if vs_mean.empty:  # nothing to count: no "0 of 0" finding
        return []
    text = (f"Forecasts: {int((vs_mean['p_value'] < 0.05).sum())} of {len(vs_mean)} regime-aware forecast series "
            f"beat the expanding historical mean (Clark-West, 5 %)")
    if len(vs_base):
        text += (f"; {int((vs_base['p_value'] < 0.05).sum())} of {len(vs_base)} beat their own base model without "
                 "regimes (Clark-West, 5 %: the pairs are nested, so Diebold-Mariano would be undersized)")
    return [text + f". Out-of-sample R² against the mean ranges from {vs_mean['oos_r2'].min():.3f} to "
            f"{vs_mean['oos_r2'].max():.3f}."]


def write_report(run, run_dir: Path) -> Path:
    """Write ``report.html`` from a :class:`experiments.run_result.RunResult` (fresh or loaded: same report).

    Every analysis the run holds contributes the section its :class:`experiments.analyses.AnalysisReport`
    renders, in the config's order; the comparison's sections follow.
    """
    from experiments.analyses import REPORTS

    run_dir = Path(run_dir)
    figs = run_dir / "figures"
    config, manifest, result = run.config, run.manifest, run.comparison
    delay = int(config["allocation"].get("trading_delay") or 0)
    window = (f" Evaluation window {result.window[0]} to {result.window[1]} (returns of the periods after each "
              f"decision date); {config['data']['frequency']} decisions; costs {config['allocation']['cost_bps']} bps "
              "per unit of one-way turnover"
              + (f"; trading delay {delay} period(s): weights decided at the close of t earn the returns from "
                 f"t+{1 + delay}" if delay else "") + "."
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
    for out in run.analyses:
        declared = REPORTS[out.name]
        parts += [f"<h2>{html.escape(declared.title)}</h2>", declared.section(out)]
        for name in declared.figures:
            if (figs / f"{name}.png").exists():
                parts.append(_img(figs / f"{name}.png", name))
    if result is not None:
        parts += _comparison_sections(result, figs, run.periods_per_year)
    parts += _provenance_sections(config, manifest)
    path = run_dir / "report.html"
    atomic_write_text(path, "\n".join(parts))
    return path


#: How a sampling frequency (periods per year) is named in the report.
FREQUENCY_WORDS = {12: "monthly", 52: "weekly", 252: "daily", 4: "quarterly", 1: "annual"}


def _comparison_sections(result, figs: Path, periods_per_year: int) -> list[str]:
    parts = ["<h2>Summary</h2><ul class='summary'>", *[f"<li>{p}</li>" for p in summary_points(result)], "</ul>",
              "<p class='muted'>Every probability, forecast and weight at a date uses data up to that date only: "
              "filtered regime probabilities from detectors refit on past data, forecasters fit on realized "
              "targets, scalers fit on the training window.</p>"]
    from experiments.rundir import metrics_frame
    head = metrics_frame(result).sort_values(["target", "sharpe"], ascending=[True, False])
    parts += ["<h2>Strategies</h2>",
              "<p class='muted'>Every column of metrics.csv; scroll sideways for more (the strategy name stays in "
              "view).</p>", html_table(head, digits=3),
              f"<p class='muted'>Sharpe: mean / standard deviation of "
              f"{FREQUENCY_WORDS.get(periods_per_year, 'per-period')} net excess returns, times "
              f"sqrt({periods_per_year}). "
              "psr: probability the true Sharpe exceeds 0; dsr: the same against the expected maximum Sharpe of "
              "all strategies tried; sharpe_diff_p: Ledoit & Wolf (2008) studentized circular block bootstrap test of "
              "equal Sharpe ratios against static (two-sided; metrics.csv also has sharpe_diff_p_hac, the HAC "
              "version, as a labelled alternative); spa_consistent: Hansen's SPA p-value of all strategies against "
              "static. Full table: metrics.csv.</p>"]
    fm = result.forecast_metrics
    if len(fm):
        table = fm.drop(columns=["forecaster", "regime_model"], errors="ignore")
        table.index = pd.Index(table["target"] + ": " + table["model"] + " vs " + table["benchmark"],
                               name="comparison")  # one first column that names the row, kept in view
        long_text = [c for c in ("test_reason",) if c in table.columns]
        table = table[[c for c in table.columns if c not in long_text + ["target", "model", "benchmark"]]
                      + long_text]
        parts += ["<h2>Forecasts</h2>", html_table(table, digits=4),
                  "<p class='muted'>Each row compares a model's forecasts with a benchmark model's on the decision "
                  "dates of the evaluation window; <code>test</code> and <code>test_reason</code> say which test it "
                  "uses and why. Nested pairs (any model against the historical mean; a regime-aware model against "
                  "its own base model) use Clark &amp; West (2007), one-sided, because Diebold-Mariano is undersized "
                  "when the larger model nests the smaller; non-nested pairs use Diebold-Mariano, two-sided. stat &gt; "
                  "0: the model is more accurate. oos_r2 = 1 - MSE(model) / MSE(benchmark); the historical mean is "
                  "re-estimated at every decision date from the targets realized by then (Campbell &amp; Thompson "
                  "2008).</p>"]
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
    parts += _tearsheet_section(result, figs)
    parts.append("<h2>Forecasts against realized, and what drives them</h2>")
    for prefix in ("forecasts_", "importance_"):
        for name in sorted(p.name for p in figs.glob(f"{prefix}*.png")):
            parts.append(_img(figs / name, name))
    parts += _multiple_testing_section(result)
    parts.append(f"<p>PBO (CSCV): {result.pbo.get('pbo', float('nan')):.3f} over {result.pbo.get('n_splits', 0)} "
                 "splits.</p>")
    return parts


def _tearsheet_section(result, figs: Path) -> list[str]:
    """Tearsheets of the best regime-aware and best unconditional strategy of each target."""
    from experiments.tearsheet import run_selection, tearsheet_sections
    sel = run_selection(result)
    if not sel["strategies"]:
        return []
    parts, _ = tearsheet_sections(result.returns, sel["strategies"], sel["comparisons"], sel["periods_per_year"],
                                  figs, market=sel["market"], risk_off=sel["risk_off"], detectors=sel["detectors"],
                                  draw=False)
    beta = f"beta to <code>{html.escape(sel['market'].name)}</code>" if sel["market"] is not None else "no beta"
    return ["<h2>Tearsheets</h2>",
            "<p class='muted'>For each target, the best regime-aware and the best unconditional strategy (by Sharpe "
            f"ratio), each against its static exposure and the benchmark: yearly returns, the five worst drawdowns, "
            f"monthly returns, rolling volatility and rolling {beta}, shaded by the strategy's own detector.</p>",
            *parts]


def multiple_testing_table(result) -> pd.DataFrame:
    """One row per benchmark: SPA, Reality Check, StepM and MCS (the report's multiple-testing table)."""
    rows = []
    for bench in sorted(set(result.spa) | set(getattr(result, "stepm", {})) | set(getattr(result, "mcs", {}))):
        spa, stepm, mcs = result.spa.get(bench, {}), result.stepm.get(bench, {}), result.mcs.get(bench, {})
        rows.append({"benchmark": bench, "spa_consistent": spa.get("spa_consistent", np.nan),
                     "reality_check": spa.get("reality_check", np.nan),
                     "stepm_superior": f"{len(stepm.get('superior', []))} of {stepm.get('n_models', 0)}",
                     "stepm_strategies": ", ".join(stepm.get("superior", [])) or "none",
                     "mcs_included": f"{len(mcs.get('included', []))} of "
                                     f"{len(mcs.get('included', [])) + len(mcs.get('excluded', []))}",
                     "mcs_strategies": ", ".join(mcs.get("included", []))})
    return pd.DataFrame(rows).set_index("benchmark") if rows else pd.DataFrame()


def _multiple_testing_section(result) -> list[str]:
    table = multiple_testing_table(result)
    if table.empty:
        return []
    stepm = next(iter(result.stepm.values()), {})
    mcs = next(iter(result.mcs.values()), {})
    return ["<h2>Multiple testing</h2>",
            "<p>Testing many strategies at once makes a few look good by luck; these tests account for that. "
            "Each row is one family: the strategies sharing a benchmark (the static exposure in the first column). "
            "<code>spa_consistent</code> and <code>reality_check</code> are p-values (small: some strategy beats "
            "the benchmark). <code>stepm_superior</code> counts the strategies Romano-Wolf StepM declares better "
            "than the benchmark, out of the family, while keeping the chance of even one false claim at the "
            "stated level; <code>stepm_strategies</code> names them. <code>mcs_included</code> counts the "
            "strategies (benchmark included) left in Hansen's Model Confidence Set, the set that holds the best "
            "one with the stated probability; <code>mcs_strategies</code> names them. A large set means the data "
            "cannot tell the strategies apart.</p>",
            html_table(table, digits=3), "<ul class='muted'>",
            "<li><b>SPA / Reality Check</b>: p-value of the hypothesis that no strategy has a higher mean net "
            "return than static (Hansen 2005; White 2000).</li>",
            f"<li><b>StepM</b> (Romano &amp; Wolf 2005, <code>arch.bootstrap.StepM</code>): the strategies that beat "
            f"static, each claim held to a familywise error rate of {stepm.get('size', 0.05):.0%} across all of "
            "them.</li>",
            f"<li><b>Model Confidence Set</b> (Hansen, Lunde &amp; Nason 2011, <code>arch.bootstrap.MCS</code>): the "
            f"strategies, static included, that cannot be told apart from the best one; the set contains the best "
            f"with probability {1 - mcs.get('size', 0.10):.0%}.</li></ul>"]


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
