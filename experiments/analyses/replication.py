"""Replication of Aliyev (2025), "Dynamic Factor Allocation: Predicting Momentum and Value Returns
Across Market Regimes Using Machine Learning": as published, then under honest protocols.

As published (the one reading that reproduces the paper's Table 1, Sharpe 0.355 vs 0.054 *and* mean
monthly returns 0.0028 vs 0.0008):

* sample: the monthly series inside 2000-01..2024-12 as the paper's download gives them; the S&P 500
  monthly simple return is computed from the month-end closes *inside* that window, so its first value
  is 2000-02; the features are the one-month lags of UMD, HML, the VIX month-end close and that return,
  unscaled; target UMD in the same month. Rows with a missing lag are dropped, leaving 298 rows with
  targets 2000-03..2024-12 (the Feb-2000 row, an extreme momentum month, is not in it);
* models: Ridge(alpha=1) fit on the first 80 % of rows (chronological split) gives the out-of-sample
  R^2 (scikit-learn's ``r2_score`` on the test rows) and RMSE; a grid search over alpha in
  {0.01, 0.1, 1, 5, 10, 50, 100} with unshuffled 5-fold ``KFold`` on the first 80 % gives the best
  alpha and its R^2 and RMSE;
* backtest: the predictions of the **Ridge(alpha=1)** model for every row (training and test months
  alike) decide each month: hold UMD when the prediction is positive, else cash at zero ("dynamic"),
  against always holding UMD ("static"); Sharpe = mean / population std * sqrt(12), and mean monthly
  returns beside it.

Variants, each labelled with its model and sample: the best-alpha model backtested in-sample; the test
months only with alpha 1 and with the best alpha; the alpha-1 backtest on the 299-row sample whose
S&P 500 return starts from the Dec-1999 close (what a panel with earlier history gives); the as-published
protocol with HML from an older Ken French vintage (to measure the 2025 data revision); expanding-window
walk-forward with time-series CV for alpha; the same with regimes. Walk-forward and the test-months-only
variants use no information from after the decision; the as-published figures do (they are labelled so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import GridSearchCV, KFold

from allocation.forecasters import make_forecaster
from allocation.forecasting import ForecastSchedule, forecast_walk_forward
from experiments.analyses._base import (
    AnalysisContext,
    AnalysisOutput,
    AnalysisReport,
    AnalysisResult,
)
from experiments.analyses.replication_report import gap_sentences, report_html, tables
from experiments.tables import markdown_table
from plumbing.errors import DataError, FactorRegimesError
from plumbing.paths import cache_root
from regimes.data.french import read_french
from regimes.data.sources import make_record
from regimes.specs import DetectorSpec

PUBLISHED = {"r2_alpha1": -0.0119, "rmse_alpha1": 0.0467, "best_alpha": 100, "r2_best": 0.0277, "rmse_best": 0.0458,
             "sharpe_dynamic": 0.355, "sharpe_static": 0.054, "mean_dynamic": 0.0028, "mean_static": 0.0008,
             "text_sharpe_dynamic": 0.82, "text_sharpe_static": 0.68}
ALPHAS = [0.01, 0.1, 1, 5, 10, 50, 100]
FEATURES = ["UMD", "HML", "vix", "sp500_ret"]
#: Figures of the as-published block that the paper reports (Table 1 and the model table).
FIGURES = ["r2_alpha1", "rmse_alpha1", "best_alpha", "r2_best", "rmse_best",
           "sharpe_dynamic", "sharpe_static", "mean_dynamic", "mean_static"]


def paper_dataset(frame: pd.DataFrame, start: str = "2000-01", end: str = "2024-12",
                  sp500_inside_window: bool = True) -> pd.DataFrame:
    """The paper's sample from a monthly panel frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Monthly panel (month-end index) with columns ``UMD``, ``HML``, ``vix`` (month-end close),
        ``sp500`` (month-end close) and ``sp500_ret``.
    start, end : str
        The download window ``YYYY-MM``; every month of it must be in ``frame``.
    sp500_inside_window : bool, default True
        True: the S&P 500 return is computed from the closes inside the window (the paper's download;
        first value ``start`` + 1 month). False: the panel's ``sp500_ret``, which uses the close before
        the window (one more row).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_rows, 5)``: ``UMD_lag1, HML_lag1, vix_lag1, sp500_ret_lag1`` (values of month t-1)
        and ``y`` (UMD of month t), indexed by t. On 2000-01..2024-12: 298 rows from 2000-03 (299 from
        2000-02 with ``sp500_inside_window=False``).

    Raises
    ------
    FactorRegimesError
        When the panel does not cover the window or a value inside it is missing (never dropped quietly).
    """
    months = pd.period_range(start, end, freq="M").to_timestamp(how="end").normalize()
    have = frame.index[(frame.index >= months[0]) & (frame.index <= months[-1])]
    if len(have) != len(months):
        raise FactorRegimesError(f"replication window {start}..{end} needs {len(months)} months; the panel has "
                                 f"{len(have)} (coverage {frame.index[0].date()}..{frame.index[-1].date()})")
    window = frame.loc[have]
    sp500_ret = window["sp500"].pct_change(fill_method=None) if sp500_inside_window else window["sp500_ret"]
    features = pd.DataFrame({"UMD": window["UMD"], "HML": window["HML"], "vix": window["vix"],
                             "sp500_ret": sp500_ret})
    data = features.shift(1).add_suffix("_lag1")
    data["y"] = window["UMD"]
    lead = 2 if sp500_inside_window else 1  # rows without a lagged value by construction
    missing = data.iloc[lead:].isna().any(axis=1)
    if missing.any():
        first = missing[missing].index[0]
        raise FactorRegimesError(f"replication window {start}..{end}: a value is missing in month "
                                 f"{first.date()} ({', '.join(data.columns[data.loc[first].isna()])}); "
                                 "the paper's sample has none")
    return data.iloc[lead:]


def sharpe_population(r) -> float:
    """Annualized Sharpe ratio of monthly returns with the population standard deviation (the paper's)."""
    r = np.asarray(r, dtype=float)
    return float(r.mean() / r.std(ddof=0) * np.sqrt(12))


def timing_backtest(prediction, realized) -> dict:
    """Hold UMD when the prediction is positive, else cash at zero; the static strategy always holds it.

    ``prediction`` and ``realized`` have shape ``(n_months,)``; row t's prediction decides month t.
    """
    prediction, realized = np.asarray(prediction, dtype=float), np.asarray(realized, dtype=float)
    dynamic = np.where(prediction > 0, realized, 0.0)
    return {"n": int(len(realized)), "sharpe_dynamic": sharpe_population(dynamic),
            "sharpe_static": sharpe_population(realized), "mean_dynamic": float(dynamic.mean()),
            "mean_static": float(realized.mean()), "share_invested": float((prediction > 0).mean())}


def timing_series(prediction, realized, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Monthly returns of :func:`timing_backtest`'s two strategies: columns ``dynamic``, ``static`` on ``index``."""
    prediction, realized = np.asarray(prediction, dtype=float), np.asarray(realized, dtype=float)
    return pd.DataFrame({"dynamic": np.where(prediction > 0, realized, 0.0), "static": realized}, index=index)


def _span(index: pd.DatetimeIndex) -> str:
    return f"{index[0]:%Y-%m}..{index[-1]:%Y-%m}"


def paper_protocol(data: pd.DataFrame) -> dict:
    """The paper's protocol on ``data`` (from :func:`paper_dataset`) and its in-sample/test-only variants.

    Returns
    -------
    dict
        ``as_published``: the figures of the paper's tables (alpha-1 backtest over every row) with
        ``model`` and ``sample`` labels; ``variants``: ``in_sample_best_alpha``, ``test_only_alpha1``,
        ``test_only_best_alpha``, each with ``model``, ``sample`` and backtest figures.
    """
    X, y = data.drop(columns="y").to_numpy(), data["y"].to_numpy()
    n_train = int(len(data) * 0.8)
    test = data.index[n_train:]
    base = Ridge(alpha=1.0).fit(X[:n_train], y[:n_train])
    search = GridSearchCV(Ridge(), {"alpha": ALPHAS}, cv=KFold(n_splits=5, shuffle=False),
                          scoring="neg_mean_squared_error").fit(X[:n_train], y[:n_train])
    best, best_alpha = search.best_estimator_, float(search.best_params_["alpha"])
    pred_base, pred_best = base.predict(X), best.predict(X)
    series = {"as_published": timing_series(pred_base, y, data.index),
              "test_only_alpha1": timing_series(pred_base[n_train:], y[n_train:], test)}
    every_row = f"{_span(data.index)}, all {len(data)} rows (in-sample)"
    test_rows = f"{_span(test)}, {len(test)} test months (out-of-sample)"
    fit = f"fit on the first 80 % ({n_train} rows)"
    published = {"model": f"Ridge(alpha=1), {fit}", "sample": every_row,
                 "n_obs": len(data), "n_train": n_train, "n_test": len(test), "test_span": _span(test),
                 "first_target": data.index[0].date().isoformat(), "last_target": data.index[-1].date().isoformat(),
                 "r2_alpha1": float(r2_score(y[n_train:], pred_base[n_train:])),
                 "rmse_alpha1": float(np.sqrt(mean_squared_error(y[n_train:], pred_base[n_train:]))),
                 "best_alpha": best_alpha,
                 "r2_best": float(r2_score(y[n_train:], pred_best[n_train:])),
                 "rmse_best": float(np.sqrt(mean_squared_error(y[n_train:], pred_best[n_train:]))),
                 **timing_backtest(pred_base, y)}
    best_label = f"Ridge(alpha={best_alpha:g}), the KFold winner, {fit}"
    variants = {
        "in_sample_best_alpha": {"model": best_label, "sample": every_row, **timing_backtest(pred_best, y)},
        "test_only_alpha1": {"model": f"Ridge(alpha=1), {fit}", "sample": test_rows,
                             **timing_backtest(pred_base[n_train:], y[n_train:])},
        "test_only_best_alpha": {"model": best_label, "sample": test_rows,
                                 **timing_backtest(pred_best[n_train:], y[n_train:])},
    }
    return {"as_published": published, "variants": variants, "series": series}


def _vintage_series(ctx: AnalysisContext, relative: str) -> tuple[str, pd.Series, str, str]:
    """The factor a vintage file replaces (``HML`` from an FF3 file, ``UMD`` from a momentum file),
    its monthly series, the file's CRSP vintage and path (recorded in the run's manifest)."""
    directory = getattr(ctx.source, "directory", None)
    if directory is None:
        raise FactorRegimesError(f"replication: vintages need a local data directory; source {ctx.source.name!r} "
                                 "has none (set vintages: [])")
    path = Path(directory) / relative
    if not path.is_file():
        raise DataError(path, "vintage file not found (vintages are relative to the data directory)")
    french = read_french(path)
    columns = list(french.data.columns)
    if french.frequency != "monthly" or not ({"HML", "Mom"} & set(columns)):
        raise DataError(path, f"expected a monthly Fama-French factors (HML) or momentum (Mom) file, found "
                              f"{french.frequency} columns {', '.join(columns)}")
    column, factor = ("HML", "HML") if "HML" in columns else ("Mom", "UMD")
    ctx.records.append(make_record(f"vintage_{factor.lower()}", path, french.data, origin=ctx.source.name,
                                   note="another vintage, used only to measure the data revision"))
    return factor, french.data[column], french.vintage or "unknown", str(path)


def _file_vintage(ctx: AnalysisContext, key: str) -> str | None:
    """CRSP vintage stated in the first line of the Ken French file that supplied ``key``."""
    record = next((r for r in ctx.panel.records if r.key == key), None)
    return read_french(record.path).vintage if record is not None and record.origin != "sample" else None


def data_revision(ctx: AnalysisContext, relative: str, start: str, end: str, current: dict) -> dict:
    """The as-published protocol with one factor from another vintage (its missing months kept, and said so)."""
    factor, series, vintage, path = _vintage_series(ctx, relative)
    replaces = _file_vintage(ctx, "ff3_monthly" if factor == "HML" else "mom_monthly")
    frame = ctx.panel.frame.copy()
    window = frame.loc[start:end].index
    replaced = window.intersection(series.index)
    frame.loc[replaced, factor] = series.reindex(replaced)
    kept = window.difference(series.index)
    figures = paper_protocol(paper_dataset(frame, start, end))["as_published"]
    changed = window[(frame.loc[window, factor] - ctx.panel.frame.loc[window, factor]).abs() > 1e-12]
    out = {"factor": factor, "file": path, "vintage": vintage, "replaces_vintage": replaces,
           "from_vintage": _span(replaced) if len(replaced) else None,
           "from_current": _span(kept) if len(kept) else None, "months_changed": int(len(changed)),
           **{k: figures[k] for k in FIGURES}}
    moved = {k: abs(current[k] - out[k]) for k in FIGURES if k != "best_alpha"}
    out["largest_change_figure"] = max(moved, key=moved.get)
    out["largest_change"] = moved[out["largest_change_figure"]]
    return out


def _walk_forward(ctx: AnalysisContext, data: pd.DataFrame, detectors: list[str], seed: int,
                  series_out: dict | None = None) -> dict:
    """Expanding-window walk-forward on the panel's history; decisions for the same target months.

    ``series_out`` receives each variant's monthly returns (:func:`timing_series`, indexed by target month)."""
    frame = ctx.panel.frame
    X = frame[FEATURES]  # features at t (known at t) predict UMD over t+1: the same pairs as the paper's lags
    y = frame["UMD"].shift(-1)
    dates = frame.loc[data.index[0] - pd.offsets.MonthEnd(1): data.index[-1] - pd.offsets.MonthEnd(1)].index
    schedule = ForecastSchedule(refit_every=12, min_train=60)
    ridge = "ridge, alpha by time-series CV, yearly refit"
    runs = {"walk_forward_ridge": (make_forecaster("ridge", param_grid={"alpha": ALPHAS}), None, ridge)}
    # the regime pipeline of every entry point (regimes.pipeline): the config's history, end and schedule, so the
    # paths are those of a run of the same config (a path at t uses data <= t, so its later dates change nothing)
    regime_data = ctx.regime_data()
    if detectors and regime_data.dates[-1] < dates[-1]:
        raise FactorRegimesError(f"replicate_aliyev2025: its last decision date {dates[-1].date()} is after "
                                 f"data.end {ctx.config['data']['end']}, where the regime paths stop")
    regime_schedule = ctx.regime_schedule()
    for det in detectors:
        path = regime_data.detect(DetectorSpec.from_dict({"name": det}), regime_schedule, seed=seed,
                                  cache_dir=cache_root())
        model = make_forecaster("regime_conditioned", base={"name": "ridge", "params": {"param_grid": {"alpha": ALPHAS}}})
        runs[f"walk_forward_regime_conditioned@{det}"] = (
            model, path, f"ridge conditioned on {det}'s filtered regime probabilities, alpha by time-series CV, "
                         "yearly refit")
    ctx.add_records(regime_data.records)
    series = {label: forecast_walk_forward(model, X, y, dates, schedule, regimes=path, name=label, target="UMD").frame
              for label, (model, path, _) in runs.items()}
    common = pd.concat([s["forecast"] for s in series.values()], axis=1).dropna().index
    mean_f = y.expanding().mean().shift(1).reindex(common)  # historical mean of realized targets known at t
    targets = common + pd.offsets.MonthEnd(1)
    out: dict = {}
    for label, res in series.items():
        r = res.loc[common]
        train_from = X.dropna().index[0] + pd.offsets.MonthEnd(1)
        out[label] = {"model": runs[label][2],
                      "sample": f"{_span(targets)}, {len(common)} months (walk-forward, out-of-sample)",
                      "first_training_target": f"{train_from:%Y-%m}",
                      "oos_r2_vs_mean": float(1 - np.sum((r["realized"] - r["forecast"]) ** 2)
                                              / np.sum((r["realized"] - mean_f) ** 2)),
                      "rmse": float(np.sqrt(np.mean((r["realized"] - r["forecast"]) ** 2))),
                      **timing_backtest(r["forecast"], r["realized"])}
        if series_out is not None:
            series_out[label] = timing_series(r["forecast"], r["realized"], targets)
    return out


def replicate_aliyev2025(ctx: AnalysisContext, start: str = "2000-01", end: str = "2024-12",
                         detectors: list[str] | None = None,
                         vintages: list[str] | None = None, paper: dict | None = None,
                         bootstrap_reps: int | None = None) -> AnalysisOutput:
    """Run the paper's protocol and every variant, and explain the gaps (see module docstring).

    Parameters
    ----------
    start, end : str
        The paper's download window.
    detectors : list of str, optional
        Regime detectors for the walk-forward with regimes (default hmm and jump).
    vintages : list of str, optional
        Other vintages of Ken French files, relative to the local data directory: each FF3 file's HML
        (or momentum file's UMD) replaces the current one in a re-run of the as-published protocol, to
        measure how much of the gap the data revision explains.
    paper : dict, optional
        ``{source, figures: {figure: {paper, band, why}}}``: scoreboard rows
        (:mod:`experiments.analyses.replication_scoreboard`).
    bootstrap_reps : int, optional
        Bootstrap draws of the statistics (default: the config's ``evaluation.bootstrap_reps``).
    """
    from experiments.analyses import replication_scoreboard as board
    detectors = detectors if detectors is not None else ["hmm", "jump"]
    bands = board.check_bands(paper, detectors)
    data = paper_dataset(ctx.panel.frame, start, end)
    protocol = paper_protocol(data)
    published = protocol["as_published"]
    variants = dict(protocol["variants"])
    panel_sample = paper_dataset(ctx.panel.frame, start, end, sp500_inside_window=False)
    wide = paper_protocol(panel_sample)["as_published"]
    variants["as_published_299_rows"] = {
        "model": wide["model"],
        "sample": wide["sample"] + f"; lagged S&P 500 return of row {panel_sample.index[0]:%Y-%m} from the "
                                   f"{pd.Timestamp(start) - pd.offsets.MonthEnd(1):%Y-%m} close",
        **{k: wide[k] for k in ("n", "sharpe_dynamic", "sharpe_static", "mean_dynamic", "mean_static", "share_invested")}}
    revision = [data_revision(ctx, v, start, end, published) for v in (vintages or [])]
    series = dict(protocol["series"])
    seed = int(ctx.config["evaluation"]["seed"])
    variants.update(_walk_forward(ctx, data, detectors, seed, series_out=series))
    mom = next((r for r in ctx.panel.records if r.key == "mom_monthly"), None)
    ff3 = next((r for r in ctx.panel.records if r.key == "ff3_monthly"), None)
    result = {"paper": PUBLISHED, "as_published": published, "variants": variants, "data_revision": revision,
              "data": {"momentum_file": mom.path if mom else None, "factors_file": ff3.path if ff3 else None,
                       "momentum_vintage": _file_vintage(ctx, "mom_monthly"),
                       "factors_vintage": _file_vintage(ctx, "ff3_monthly"),
                       "features": [f"{f}_lag1" for f in FEATURES], "window": [start, end]}}
    reps = int(ctx.config["evaluation"].get("bootstrap_reps", 1000) if bootstrap_reps is None else bootstrap_reps)
    stats_table, p_values = board.statistics(series, reps, seed)
    result["statistics"] = board.statistics_data(stats_table)
    result["scoreboard"] = board.rows(bands, published, variants, p_values)
    result["paper_source"] = (paper or {}).get("source")
    out_tables = {**tables(result), "replication_statistics": stats_table}
    if bands:
        out_tables["replication_scoreboard"] = board.scoreboard_frame(result["scoreboard"])
    return AnalysisOutput(name="replication", title=REPORT.title, tables=out_tables, data=result,
                          json_name=REPORT.json_name)


def _section(out: AnalysisResult) -> str:
    """The report section from the run directory's outputs: the replication, its statistics and scoreboard."""
    from experiments.analyses import replication_scoreboard as board
    text = report_html(out.data)
    stats = out.tables.get("replication_statistics")
    if stats is not None and len(stats):
        text += board.html(stats, out.data.get("scoreboard") or [], {"source": out.data.get("paper_source")
                                                                      or "the paper"})
    return text


def readme(out: AnalysisResult, run_name: str) -> str:
    """The README block: the as-published figures, every other protocol and the gaps (from the JSON data)."""
    data = out.data
    t = tables(data)
    variants = t["replication_variants"].drop(columns=["months", "share_invested"])
    return ("**Replication of Aliyev (2025)** (`" + run_name + "`). As published: "
            f"{data['as_published']['model']}, backtested on {data['as_published']['sample']}:\n\n"
            + markdown_table(t["replication"], digits=4) + "\n\nEvery other protocol, with its model and sample:\n\n"
            + markdown_table(variants, digits=4) + "\n\n" + "\n".join(f"- {s}" for s in gap_sentences(data)))


REPORT = AnalysisReport(title="Replication of Aliyev (2025)",
                        tables={"replication": 1, "replication_variants": 1, "replication_statistics": 2,
                                "replication_scoreboard": 0},
                        json_name="replication.json", section=_section, readme=readme)
