"""Tearsheets: yearly returns, worst drawdowns, monthly heatmap, rolling volatility and beta, as HTML.

:func:`tearsheet_sections` gives the HTML of one tearsheet per selected strategy (used by a run's report);
:func:`write_tearsheet` writes a stand-alone tearsheet folder for any returns file (the ``tearsheet`` command):
``tearsheet.html``, ``yearly_returns.csv``, ``drawdowns.csv``, ``manifest.json`` and ``figures/*.png``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from allocation import metrics
from allocation import tearsheet_stats as ts
from experiments.tables import html_table
from plumbing.atomic import atomic_write_text
from regimes.panel import infer_periods_per_year

#: The ``kind`` a tearsheet folder's manifest.json records (how the command recognizes its own output).
KIND = "tearsheet"


def _key(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def drawdown_table(returns: pd.Series, top: int = 5) -> pd.DataFrame:
    """The worst drawdown periods, dates as YYYY-MM-DD ('not recovered' when still below the peak)."""
    table = ts.drawdown_periods(returns, top=top)
    out = table.copy()
    for col in ("start", "trough"):
        out[col] = table[col].dt.strftime("%Y-%m-%d")
    out["recovery"] = [("not recovered" if pd.isna(d) else f"{d:%Y-%m-%d}") for d in table["recovery"]]
    out["length"] = table["length"].astype(int)
    out.index = pd.RangeIndex(1, len(out) + 1, name="rank")
    return out


def summary_table(returns: pd.DataFrame, periods_per_year: int) -> pd.DataFrame:
    """Headline numbers of each column: CAGR, annualized volatility, Sharpe (returns taken as excess), max drawdown."""
    rows = {}
    for name in returns.columns:
        r = returns[name].dropna()
        rows[name] = {"start": f"{r.index[0]:%Y-%m-%d}" if len(r) else "", "periods": len(r),
                      "cagr": metrics.cagr(r, periods_per_year), "ann_vol": metrics.ann_vol(r, periods_per_year),
                      "sharpe": metrics.sharpe(r, periods_per_year), "max_drawdown": metrics.max_drawdown(r)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("series")


def run_selection(result) -> dict:
    """What a run's report shows as tearsheets: per target the best regime-aware and the best unconditional
    strategy (by Sharpe; static excluded), each compared with its target's static exposure and every benchmark.

    Returns
    -------
    dict
        ``strategies`` (list), ``comparisons`` (strategy -> columns), ``detectors`` (strategy -> its regime
        detector), ``market`` (the first benchmark's returns, else the panel's market factor ``Mkt-RF``,
        else None), ``risk_off`` (detector -> filtered risk-off probability), ``periods_per_year``.
    """
    m = result.metrics
    benches = list(m.index[m["target"] == "benchmark"])
    strategies, comparisons, detectors = [], {}, {}
    for target in m["target"].unique():
        if target == "benchmark":
            continue
        rows = m[m["target"] == target]
        static = list(rows.index[rows["allocator"] == "static"])
        others = rows[rows["allocator"] != "static"]
        for part in (others[others["regime_model"] != "none"], others[others["regime_model"] == "none"]):
            if len(part) and part["sharpe"].notna().any():
                name = part["sharpe"].idxmax()
                strategies.append(name)
                comparisons[name] = static[:1] + benches
                if part.loc[name, "regime_model"] != "none":
                    detectors[name] = str(part.loc[name, "regime_model"])
    returns = result.returns
    if benches:
        market = returns[benches[0]].rename(benches[0])
    else:
        saved = getattr(result, "market", None)  # a loaded run (experiments.run_result.Comparison)
        if saved is None:
            from experiments.run_result import market_frame
            saved = market_frame(result, returns.index)
        market = saved.iloc[:, 0] if saved.shape[1] else None
    regimes = result.regimes
    if isinstance(regimes, pd.DataFrame):  # regimes.csv: one risk-off probability column per detector
        risk_off = {label: regimes[label] for label in regimes.columns}
    else:
        risk_off = {label: path.risk_off for label, path in regimes.items()}
    panel = getattr(result, "panel", None)
    ppy = int(panel.periods_per_year) if panel is not None else infer_periods_per_year(returns.index)
    return {"strategies": strategies, "comparisons": comparisons, "detectors": detectors, "market": market,
            "risk_off": risk_off, "periods_per_year": ppy}


def run_tearsheet_jobs(result) -> list[tuple[str, Callable]]:
    """The ``(name, draw)`` jobs of the ``tearsheet_<strategy>.png`` figures of :func:`run_selection`;
    ``draw()`` returns a figure or None."""
    from experiments.figures.tearsheet import tearsheet_figure

    sel, jobs = run_selection(result), []
    for name in sel["strategies"]:
        cols = [name] + [c for c in sel["comparisons"][name] if c in result.returns.columns]
        det = sel["detectors"].get(name)
        jobs.append((f"tearsheet_{_key(name)}", lambda c=tuple(cols), n=name, d=det: tearsheet_figure(
            result.returns[list(c)], n, sel["periods_per_year"], market=sel["market"],
            risk_off=sel["risk_off"].get(d) if d else None, detector=d or "")))
    return jobs


def tearsheet_sections(returns: pd.DataFrame, strategies: list[str], comparisons: dict[str, list[str]],
                       periods_per_year: int, figs: Path, market: pd.Series | None = None,
                       risk_off: dict[str, pd.Series] | None = None, detectors: dict[str, str] | None = None,
                       heading: str = "h3", draw: bool = True) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """HTML of one tearsheet per strategy (figures written to ``figs``), and the tables it shows.

    Parameters
    ----------
    returns : pandas.DataFrame, shape (n_periods, n_series)
        Periodic simple returns of every strategy, static and benchmark column named.
    strategies : list of str
        The strategies to show, in order.
    comparisons : dict
        ``strategy -> [columns compared with it]`` (its static exposure, the benchmark).
    periods_per_year : int
        From :func:`allocation.tearsheet_stats.infer_frequency`.
    figs : pathlib.Path
        Folder the ``tearsheet_<strategy>.png`` figures are written to.
    market : pandas.Series or None
        What betas are measured against (named).
    risk_off, detectors : dict or None
        Filtered risk-off probability per detector, and the detector of each strategy: the strategy's
        figures are shaded by its own detector's risk-off periods.
    draw : bool
        Draw the figures (False: embed ``tearsheet_<strategy>.png`` from ``figs`` when it exists).

    Returns
    -------
    tuple of (list of str, dict)
        HTML fragments, and ``{"yearly_<strategy>": table, "drawdowns_<strategy>": table}``.
    """
    from experiments.figures.style import save
    from experiments.figures.tearsheet import tearsheet_figure

    parts, tables = [], {}
    risk_off, detectors = risk_off or {}, detectors or {}
    for name in strategies:
        cols = [name] + [c for c in comparisons.get(name, []) if c in returns.columns and c != name]
        frame = returns[cols]
        detector = detectors.get(name)
        yearly = ts.yearly_returns(frame)
        drawdowns = drawdown_table(returns[name])
        tables[f"yearly_{name}"], tables[f"drawdowns_{name}"] = yearly, drawdowns
        parts += [f"<{heading} id='tearsheet-{html.escape(_key(name))}'>{html.escape(name)}</{heading}>",
                  "<p class='muted'>Compared with: " + (", ".join(f"<code>{html.escape(c)}</code>" for c in cols[1:])
                                                     or "nothing") +
                  (f". Shading: risk-off periods of its own detector <code>{html.escape(detector)}</code> "
                   "(filtered probability &gt; 0.5)." if detector and detector in risk_off else ".") + "</p>",
                  "<div class='row'><div><b>Yearly returns</b> (compounded; first and last years may be partial)",
                  html_table(yearly.rename(index=str), digits=4, pct=True), "</div>",
                  "<div><b>Worst drawdowns</b> (start: first period below the peak; length: periods below it)",
                  html_table(drawdowns, digits=4, pct_columns=("depth",)), "</div></div>"]
        path = Path(figs) / f"tearsheet_{_key(name)}.png"
        if draw:
            fig = tearsheet_figure(frame, name, periods_per_year, market=market,
                                   risk_off=risk_off.get(detector) if detector else None, detector=detector or "")
            if fig is not None:
                save(fig, path)
        if path.exists():
            parts.append(_img(path, f"tearsheet {name}"))
    return parts, tables


def _img(path: Path, alt: str) -> str:
    import base64
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def write_tearsheet(returns: pd.DataFrame, out_dir: Path, source: str, benchmark: str | None = None,
                    regimes: pd.DataFrame | None = None, regimes_source: str | None = None) -> Path:
    """Write a stand-alone tearsheet of every column of ``returns`` into ``out_dir`` (which must be empty or absent).

    Each strategy is compared with the ``benchmark`` column (also its beta's market); with ``regimes`` (one
    risk-off probability column per detector) the figures are shaded by the first detector's risk-off periods.
    Returns the path of ``tearsheet.html``.
    """
    from experiments.report import CSS

    freq, ppy = ts.infer_frequency(returns.index)
    out_dir = Path(out_dir)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    strategies = [c for c in returns.columns if c != benchmark]
    market = returns[benchmark].rename(benchmark) if benchmark else None
    detector = None if regimes is None or regimes.empty else str(regimes.columns[0])
    risk_off = {} if detector is None else {detector: regimes[detector]}
    parts, tables = tearsheet_sections(returns, strategies, {s: [benchmark] if benchmark else [] for s in strategies},
                                       ppy, out_dir / "figures", market=market, risk_off=risk_off,
                                       detectors={s: detector for s in strategies} if detector else {}, heading="h2")
    summary = summary_table(returns, ppy)
    title = f"Tearsheet: {Path(source).name}"
    head = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
            f"<p class='muted'>{len(strategies)} {'strategy' if len(strategies) == 1 else 'strategies'} from "
            f"<code>{html.escape(str(source))}</code>, {freq} "
            f"returns ({ppy} a year), {returns.index[0]:%Y-%m-%d} to {returns.index[-1]:%Y-%m-%d}"
            + (f"; benchmark <code>{html.escape(benchmark)}</code>" if benchmark else "; no benchmark")
            + (f"; regimes from <code>{html.escape(str(regimes_source))}</code> (shading: detector "
               f"<code>{html.escape(detector)}</code>)" if detector else "")
            + ". Sharpe ratios take the returns as excess returns (no risk-free rate is subtracted).</p>",
            "<h2>Summary</h2>", html_table(summary, digits=4, pct_columns=("cagr", "ann_vol", "max_drawdown"))]
    atomic_write_text(out_dir / "tearsheet.html", "\n".join(head + parts + ["</body></html>"]))
    yearly = ts.yearly_returns(returns)
    atomic_write_text(out_dir / "yearly_returns.csv", yearly.to_csv(float_format="%.10g"))
    drawdowns = pd.concat({s: tables[f"drawdowns_{s}"] for s in strategies}, names=["strategy", "rank"])
    atomic_write_text(out_dir / "drawdowns.csv", drawdowns.to_csv(float_format="%.10g"))
    atomic_write_text(out_dir / "summary.csv", summary.to_csv(float_format="%.10g"))
    outputs = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file() and
                     p.name != "manifest.json")
    manifest = {"kind": KIND, "source": str(source), "benchmark": benchmark, "regimes": regimes_source,
                "frequency": freq, "periods_per_year": ppy, "outputs": outputs}
    atomic_write_text(out_dir / "manifest.json", json.dumps(manifest, indent=2))
    return out_dir / "tearsheet.html"
