"""Factor behaviour in crises: a catalog of named windows studied at daily resolution.

For each window (an editable catalog in the config): the cumulative return,
maximum drawdown and annualized volatility of UMD, HML and the market (daily
Fama-French data reach back to 1926), their pairwise correlations; each
detector's share of risk-off labels over the window's decision dates and its
detection delay (decision periods from the window's first decision date to its
first filtered risk-off label); and, when the run also holds the comparison, each
strategy's return and drawdown over the window against static exposure.

At monthly decisions the decision dates of a window are its month ends (through
the end of the month the window ends in) and delays are in months
(``delay_months``); at daily decisions they are the trading days inside the
window and delays are in trading days (``delay_days``); at weekly ones weeks
(``delay_weeks``). Windows are calendar dates at every frequency.

At monthly decisions detectors run walk-forward on monthly features available since 1926
(realized volatility and the market return) unless a config names others, so
even the early crises get filtered labels once five years of history exist; at daily decisions
they read the daily panel at their daily defaults (VIX from 1990), so windows before the first fit
get factor statistics only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation import metrics
from experiments.analyses._base import (
    AnalysisContext,
    AnalysisOutput,
    AnalysisReport,
    AnalysisResult,
)
from experiments.tables import html_table, markdown_table
from plumbing.errors import FactorRegimesError
from plumbing.paths import cache_root
from regimes.specs import DetectorSpec

DEFAULT_WINDOWS = [
    {"name": "1929-32 crash", "start": "1929-09-01", "end": "1932-06-30"},
    {"name": "Oct-1987", "start": "1987-10-01", "end": "1987-12-31"},
    {"name": "1998 LTCM", "start": "1998-07-01", "end": "1998-10-31"},
    {"name": "2000-02 dot-com", "start": "2000-03-01", "end": "2002-10-31"},
    {"name": "Aug-2007 quant quake", "start": "2007-07-01", "end": "2007-08-31"},
    {"name": "2008-09 financial crisis", "start": "2008-09-01", "end": "2009-03-31"},
    {"name": "2009 momentum crash", "start": "2009-03-01", "end": "2009-05-31"},
    {"name": "Aug-2011", "start": "2011-07-15", "end": "2011-10-31"},
    {"name": "2020 Covid", "start": "2020-02-15", "end": "2020-04-30"},
    {"name": "2022 rates shock", "start": "2022-01-01", "end": "2022-10-31"},
]
DEFAULT_DETECTORS = [{"name": "hmm", "features": ["log_rv", "mkt_ret"]},
                     {"name": "jump", "features": ["log_rv", "mkt_ret"]},
                     {"name": "vix_threshold"}]
FACTORS = {"Market": None, "UMD": "UMD", "HML": "HML"}
# the unit of a detection delay: one decision period of the run's frequency
DELAY_UNITS = {"monthly": "months", "weekly": "weeks", "daily": "days"}
DELAY_WORDS = {"monthly": ("months", "month end"), "weekly": ("weeks", "week end"),
               "daily": ("trading days", "trading day")}


def delay_column(regimes: pd.DataFrame) -> tuple[str, str]:
    """The delay column of a ``crisis_regimes`` table and the run's frequency it implies."""
    for frequency, unit in DELAY_UNITS.items():
        if f"delay_{unit}" in regimes.columns:
            return f"delay_{unit}", frequency
    return "delay_months", "monthly"


def window_dates(dates: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp, frequency: str) -> pd.DatetimeIndex:
    """Decision dates of a window: month ends through the end month (monthly), else the dates inside it."""
    last = end + pd.offsets.MonthEnd(0) if frequency == "monthly" else end
    return dates[(dates >= start) & (dates <= last)]


def validate_windows(windows: list, first: pd.Timestamp, last: pd.Timestamp) -> list[dict]:
    """Check a crisis catalog: named entries, parseable dates, start before end, inside the data."""
    if not isinstance(windows, list) or not windows:
        raise FactorRegimesError("crisis_study: 'windows' must be a non-empty list of {name, start, end}")
    out, names = [], set()
    for i, w in enumerate(windows):
        where = f"crisis_study: windows[{i}]"
        if not isinstance(w, dict) or set(w) - {"name", "start", "end"} or not {"name", "start", "end"} <= set(w):
            raise FactorRegimesError(f"{where}: expected keys name, start, end, got {w!r}")
        try:
            start, end = pd.Timestamp(str(w["start"])), pd.Timestamp(str(w["end"]))
        except (ValueError, TypeError):
            raise FactorRegimesError(f"{where} ({w['name']}): dates must be YYYY-MM-DD") from None
        if end <= start:
            raise FactorRegimesError(f"{where} ({w['name']}): end {end.date()} is not after start {start.date()}")
        if start < first or end > last:
            raise FactorRegimesError(f"{where} ({w['name']}): {start.date()}..{end.date()} lies outside the daily data "
                                     f"{first.date()}..{last.date()}")
        if w["name"] in names:
            raise FactorRegimesError(f"{where}: duplicate name {w['name']!r}")
        names.add(w["name"])
        out.append({"name": str(w["name"]), "start": start, "end": end})
    return out


def _window_stats(daily: pd.DataFrame, start, end) -> dict:
    d = daily.loc[start:end]
    row = {"days": len(d)}
    for label, series in d.items():
        r = series.dropna()
        row[f"{label} return"] = float(np.prod(1 + r) - 1)
        row[f"{label} max drawdown"] = metrics.max_drawdown(r)
        row[f"{label} vol"] = float(r.std(ddof=1) * np.sqrt(252)) if len(r) > 2 else np.nan
    corr = d.corr()
    row["corr UMD-Market"] = corr.loc["UMD", "Market"]
    row["corr HML-Market"] = corr.loc["HML", "Market"]
    row["corr UMD-HML"] = corr.loc["UMD", "HML"]
    return row


def crisis_study(ctx: AnalysisContext, windows: list | None = None, detectors: list | None = None,
                 min_history: int | None = None, refit_every: int | None = None) -> AnalysisOutput:
    """Every window of the catalog (see module docstring).

    ``min_history`` and ``refit_every`` default to the config's ``regimes.schedule``.
    """
    daily_panel = ctx.daily_panel(start=None)
    df = daily_panel.frame
    daily = pd.DataFrame({"Market": df["Mkt-RF"] + df["RF"], "UMD": df["UMD"], "HML": df["HML"]}).dropna(how="all")
    catalog = validate_windows(windows or DEFAULT_WINDOWS, daily.index[0], daily.index[-1])
    # the regime pipeline of every entry point (regimes.pipeline): the config's history, end, schedule and seed,
    # so a detector named here gives the path a run or `regimes plot --config` gives it
    data = ctx.regime_data()
    dates = data.dates
    frequency = str(ctx.panel.frequency)
    delay_key = f"delay_{DELAY_UNITS[frequency]}"
    schedule = ctx.regime_schedule(refit_every=refit_every, min_history=min_history)
    schedule.validate()  # a bad schedule is an error, not a reason to leave every detector out below
    paths = {}
    for item in detectors or DEFAULT_DETECTORS:
        spec = DetectorSpec.from_dict(item)
        try:
            paths[spec.label] = data.detect(spec, schedule, seed=int(ctx.config["evaluation"]["seed"]),
                                            cache_dir=cache_root())
        except FactorRegimesError:
            continue  # a detector whose data do not reach far enough back is left out of the table
    ctx.add_records(data.records)
    rows, regime_rows, strategy_rows = [], [], []
    for w in catalog:
        rows.append({"crisis": w["name"], "start": w["start"].date().isoformat(),
                     "end": w["end"].date().isoformat(), **_window_stats(daily, w["start"], w["end"])})
        decision_dates = window_dates(dates, w["start"], w["end"], frequency)
        for label, path in paths.items():
            p = path.risk_off.reindex(decision_dates)
            flagged = np.flatnonzero(p.to_numpy() > 0.5)
            live = len(p) > 0 and np.isfinite(p.iloc[0])  # a delay only counts if the detector had output at the start
            regime_rows.append({"crisis": w["name"], "detector": label,
                                "share_risk_off": float((p > 0.5).mean()) if p.notna().any() else np.nan,
                                delay_key: float(flagged[0]) if live and len(flagged) else np.nan,
                                "p_at_start": float(p.iloc[0]) if len(p) else np.nan})
        if ctx.result is not None:
            rets = ctx.result.returns.loc[window_dates(ctx.result.returns.index, w["start"], w["end"], frequency)]
            if len(rets):
                for name, r in rets.items():
                    strategy_rows.append({"crisis": w["name"], "strategy": name,
                                          "return": float(np.prod(1 + r) - 1), "max_drawdown": metrics.max_drawdown(r)})
    table = pd.DataFrame(rows).set_index("crisis")
    regimes = pd.DataFrame(regime_rows)
    strategies = pd.DataFrame(strategy_rows)
    tables = {"crisis_factors": table, "crisis_regimes": regimes}
    if len(strategies):
        keys = ctx.result.keys
        ret = strategies.set_index(["crisis", "strategy"])["return"]
        strategies["target"] = [keys[s].target for s in strategies["strategy"]]
        strategies["static_return"] = [np.nan if keys[s].is_benchmark else ret.get((c, keys[s].static().label), np.nan)
                                       for c, s in zip(strategies["crisis"], strategies["strategy"])]
        tables["crisis_strategies"] = strategies
    figures = {"crisis_panels": _panels(daily, catalog, next(iter(paths.values()), None)),
               "crisis_heatmap": _heatmap(table, strategies)}
    data = {"windows": [{**w, "start": w["start"].date().isoformat(), "end": w["end"].date().isoformat()}
                        for w in catalog],
            "factors": table.reset_index().to_dict(orient="records"),
            "regimes": regimes.to_dict(orient="records")}
    return AnalysisOutput(name="crisis_study", title=REPORT.title, tables=tables, data=data, figures=figures,
                          json_name=REPORT.json_name)


def section(out: AnalysisResult) -> str:
    """The report section, from the analysis's tables."""
    table, regimes = out.tables["crisis_factors"], out.tables["crisis_regimes"]
    strategies = out.tables.get("crisis_strategies")
    key, frequency = delay_column(regimes)
    unit, point = DELAY_WORDS[frequency]
    html = ("<p>Daily Fama-French factors over each window of the catalog (cumulative return, maximum drawdown, "
            f"annualized volatility, correlations), and what each detector said at the {point}s inside the "
            f"window ({frequency} decisions), with filtered labels from models refit on data up to each date.</p>"
            + html_table(table.drop(columns=["start", "end"]), digits=3))
    if len(regimes):
        share = regimes.pivot_table(index="crisis", columns="detector", values="share_risk_off")
        delay = regimes.pivot_table(index="crisis", columns="detector", values=key)
        html += "<h3>Share of risk-off labels</h3>" + html_table(share.reindex(table.index), digits=2)
        html += (f"<h3>Detection delay ({unit} from the first {point} in the window to the first risk-off "
                 "label; blank: never flagged, or no output at the window's start)</h3>"
                 + html_table(delay.reindex(table.index), digits=0))
    if strategies is not None and len(strategies):
        pivot = strategies.pivot_table(index="crisis", columns="strategy", values="return")
        html += (f"<h3>Strategy returns over each window ({frequency}, net)</h3>"
                 + html_table(pivot, digits=3))
    return html


def readme(out: AnalysisResult, run_name: str) -> str:
    """The README block: factor returns and each detector's delay in every crisis."""
    factors, regimes = out.tables["crisis_factors"], out.tables["crisis_regimes"]
    cols = ["Market return", "UMD return", "HML return", "UMD max drawdown", "corr UMD-Market"]
    table = factors[cols]
    key, frequency = delay_column(regimes)
    delay = regimes.pivot_table(index="crisis", columns="detector", values=key).reindex(table.index)
    table = table.join(delay.add_prefix("delay "))
    return ("**Factor behaviour in crises** (`" + run_name + f"`; delays in {DELAY_WORDS[frequency][0]} to the "
            "first filtered risk-off label; blank when never flagged or when the detector had no output at the "
            "window's start):\n\n" + markdown_table(table, digits=2))


def check_params(params: dict) -> None:
    """A configured catalog of windows is checked before the run (dates against any data range)."""
    if params.get("windows") is not None:
        validate_windows(params["windows"], pd.Timestamp("1800-01-01"), pd.Timestamp("2200-01-01"))


REPORT = AnalysisReport(title="Factor behaviour in crises",
                        tables={"crisis_factors": 1, "crisis_regimes": 1, "crisis_strategies": 1},
                        json_name="crisis_study.json", figures=("crisis_panels", "crisis_heatmap"),
                        section=section, readme=readme, check=check_params)


def _panels(daily: pd.DataFrame, catalog: list[dict], path):
    import matplotlib.pyplot as plt

    from experiments.figures.style import WIDTH, date_axis, shade, style
    n = len(catalog)
    cols = 2
    rows = (n + 1) // cols
    with style():
        fig, axes = plt.subplots(rows, cols, figsize=(WIDTH, 2.3 * rows), squeeze=False)
        for ax, w in zip(axes.ravel(), catalog):
            d = daily.loc[w["start"]: w["end"]]
            for col, color in zip(d.columns, ("black", "#c0392b", "#2e86c1")):
                ax.plot((1 + d[col].fillna(0)).cumprod() - 1, color=color, lw=1.0, label=col)
            if path is not None:
                shade(ax, (path.risk_off > 0.5).reindex(d.index, method="ffill"))
            ax.set_title(w["name"], fontsize=9)
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
            date_axis(ax)
            ax.tick_params(axis="x", labelsize=7)
        for ax in axes.ravel()[n:]:
            ax.set_visible(False)
        axes[0, 0].legend(loc="lower left", fontsize=7)
        fig.suptitle("Cumulative daily factor returns in each crisis"
                     + (f" (shaded: {path.name} filtered risk-off)" if path is not None else ""), fontsize=10)
        fig.tight_layout()
    return fig


def _heatmap(table: pd.DataFrame, strategies: pd.DataFrame):
    import matplotlib.pyplot as plt

    from experiments.figures.style import WIDTH, style
    data = table[[f"{f} return" for f in FACTORS]].rename(columns=lambda c: c.replace(" return", ""))
    if len(strategies):
        pivot = strategies.pivot_table(index="crisis", columns="strategy", values="return")
        keep = [c for c in pivot.columns if c.endswith("/static") or "vol_target" in c][:6]
        data = data.join(pivot[keep])
    with style():
        fig, ax = plt.subplots(figsize=(WIDTH, 0.45 * len(data) + 1.8))
        limit = np.nanmax(np.abs(data.to_numpy())) if data.size else 1
        im = ax.imshow(data.to_numpy(dtype=float), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_xticks(range(data.shape[1]), data.columns, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(data)), data.index, fontsize=8)
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                v = data.iat[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7)
        ax.grid(False)
        fig.colorbar(im, ax=ax, fraction=0.02, format=plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_title("Cumulative return over each crisis window")
    return fig
