"""The walk-forward comparison: regimes -> forecasts -> weights -> backtests -> statistics.

:func:`run_study` answers the framework's question for a :class:`StudySpec`:
does knowing the regime improve next-period forecasts of the factors, and does
it survive costs and multiple testing, against static exposure and against the
same machine learning without regimes?

Every regime path is computed once and shared by every forecaster and
allocator that uses it. Forecasts, strategies and statistics are evaluated on
one common window (the dates where every strategy has a return), so no
strategy is compared on a friendlier sample than its benchmark. A missing
asset return is never a zero return: the strategies holding that asset are
not live for the period, the period leaves the common window, and
``StudyResult.missing_returns`` (and the run's manifest) says which periods
and how many strategies were affected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from allocation.allocators import ALLOCATORS, AllocationInputs
from allocation.backtest import (
    BacktestResult,
    Constraints,
    missing_return_summary,
    run_backtest,
)
from allocation.evaluation import (
    mcs_by_benchmark,
    regime_breakdown,
    spa_by_benchmark,
    stepm_by_benchmark,
    strategy_statistics,
)
from allocation.forecast_eval import compare
from allocation.forecasters import FORECASTERS, make_forecaster
from allocation.forecasting import (
    ForecastResult,
    ForecastSchedule,
    forecast_walk_forward,
)
from allocation.importance import native_importance, permutation_importance
from allocation.risk import trailing_vol
from allocation.stats import pbo_cscv
from experiments.progress import expect
from experiments.strategy_key import BUY_AND_HOLD, STATIC, StrategyKey
from plumbing.errors import DataError, FactorRegimesError
from regimes.data.sources import DataSource
from regimes.features import FEATURES, build_features
from regimes.panel import EX_POST_COLUMNS, Panel
from regimes.pipeline import RegimeData
from regimes.specs import DetectorSpec
from regimes.walkforward import RegimePath, Schedule

BENCHMARK_FORECASTER = "historical_mean"


@dataclass(frozen=True)
class StudySpec:
    """What to compare (the Python form of an experiment config)."""

    #: The assets (factors or ETFs) forecast and allocated to (YAML key ``targets``).
    assets: tuple[str, ...] = ("UMD", "HML")
    features: tuple[str, ...] = ("UMD", "HML", "vix", "sp500_ret")
    detectors: tuple[DetectorSpec, ...] = ()
    forecasters: tuple[dict, ...] = ({"name": "ridge"}, {"name": "regime_conditioned"}, {"name": "per_regime"})
    allocators: tuple[dict, ...] = ({"name": "binary"},)
    static_weight: float = 1.0
    start: str = "2000-01"
    end: str | None = "2024-12"
    history_start: str = "1990-01"
    regime_schedule: Schedule = Schedule(refit_every=12, min_history=60)
    forecast_schedule: ForecastSchedule = ForecastSchedule(refit_every=12, min_train=60)
    cost_bps: float = 10.0
    #: Periods between a decision (close of t) and its trade: weights earn the returns from t+1+delay.
    trading_delay: int = 0
    #: Decision frequency (``data.frequency``): the panel every stage reads, and its periods per year.
    frequency: str = "monthly"
    constraints: Constraints = Constraints()
    vol_window_days: int = 126
    extra_csv: tuple[str, ...] = ()
    #: Buy-and-hold series shown beside the strategies (panel columns, e.g. SPY).
    benchmarks: tuple[str, ...] = ()
    #: Targets are total returns (ETFs), not excess returns (factors): cash earns RF, and metrics are
    #: computed on returns in excess of RF.
    total_returns: bool = False
    seed: int = 0
    bootstrap_reps: int = 1000
    spa_reps: int = 1000
    #: Familywise error rate of Romano-Wolf StepM and the size of Hansen's Model Confidence Set.
    stepm_size: float = 0.05
    mcs_size: float = 0.10
    importance_repeats: int = 5
    regime_cache: Any = None
    #: Compute each detector's path once and share it with every forecaster and allocator (True), or
    #: recompute it, uncached, for each one that uses it (False: only to measure what sharing saves).
    share_regimes: bool = True


@dataclass
class StudyResult:
    """Everything a run produces (written to a run directory by the runner)."""

    spec: StudySpec
    panel: Panel
    regimes: dict[str, RegimePath]
    forecasts: dict[tuple[str, str], ForecastResult]
    forecast_metrics: pd.DataFrame
    strategies: pd.DataFrame
    #: Strategy label -> its :class:`StrategyKey` (the key columns of ``strategies`` and ``metrics``).
    keys: dict[str, StrategyKey]
    backtests: dict[str, BacktestResult]
    returns: pd.DataFrame
    metrics: pd.DataFrame
    spa: dict
    pbo: dict
    breakdown: pd.DataFrame
    importance: pd.DataFrame
    window: tuple[str, str]
    #: Periods without an asset return (:func:`allocation.backtest.missing_return_summary`); empty when none.
    missing_returns: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: Romano-Wolf StepM and Hansen's MCS per benchmark (see :mod:`allocation.multiple_testing`).
    stepm: dict = field(default_factory=dict)
    mcs: dict = field(default_factory=dict)


def forecast_features(panel: Panel, names: tuple[str, ...]) -> pd.DataFrame:
    """Forecast inputs at t: registered features or panel columns (ex-post columns refused)."""
    columns = {}
    for name in names:
        if name in EX_POST_COLUMNS:
            raise FactorRegimesError(f"feature {name!r} is dated with hindsight (ex post) and cannot be a feature")
        if name in FEATURES:
            columns[name] = build_features(panel, [name])[name]
        elif name in panel.frame.columns:
            columns[name] = panel.frame[name]
        else:
            raise FactorRegimesError(f"unknown forecast feature {name!r}: not a registered feature "
                                     f"({', '.join(FEATURES)}) nor a panel column ({', '.join(panel.frame.columns)})")
    return pd.DataFrame(columns, index=panel.frame.index)


def _label(config: dict) -> str:
    if config.get("label"):
        return str(config["label"])
    params = config.get("params") or {}
    base = params.get("base")
    if isinstance(base, dict):
        base = base.get("name")
    return f"{config['name']}[{base}]" if base else str(config["name"])


def _base_name(config: dict) -> str | None:
    """The unconditional model a regime-aware forecaster is built on (None for regime_only)."""
    if config["name"] == "regime_only":
        return None
    base = (config.get("params") or {}).get("base", "ridge")
    return base.get("name") if isinstance(base, dict) else str(base)


def _build_forecaster(config: dict, seed: int):
    FORECASTERS.get(config.get("name", ""))
    return make_forecaster(config["name"], random_state=seed, **dict(config.get("params") or {}))


def regime_data(spec: StudySpec, source: DataSource) -> RegimeData:
    """The panels and decision dates every regime path of ``spec`` is computed from (:mod:`regimes.pipeline`)."""
    return RegimeData.load(source, spec.history_start, spec.end, spec.extra_csv, frequency=spec.frequency)


def detect_study_regimes(spec: StudySpec, data: RegimeData, progress=None) -> dict[str, RegimePath]:
    """The regime stage of a run: every detector of ``spec`` walk-forward over the whole history of ``data``.

    The same call serves ``run``, ``regimes run`` and ``regimes plot --config``, so one config gives the same
    paths (label -> :class:`RegimePath`, in the config's order) from each.
    """
    return data.detect_all(spec.detectors, spec.regime_schedule, seed=spec.seed,
                           cache_dir=spec.regime_cache if spec.share_regimes else None, progress=progress)


def run_study(spec: StudySpec, source: DataSource, progress=None) -> StudyResult:
    """Run the comparison (see module docstring). ``progress(stage, detail)`` is called as stages advance."""
    say = progress or (lambda stage, detail="": None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say("panel", f"building {spec.frequency} panel")
    data = regime_data(spec, source)
    panel = data.panel
    for t in (*spec.assets, *spec.benchmarks):
        if t not in panel.frame.columns:
            raise DataError(None, f"{t!r} is not a panel column ({', '.join(panel.frame.columns)})")
    daily = data.daily
    frame = panel.frame
    end = spec.end or frame.index[-1]
    dates = frame.loc[spec.start:end].index
    if len(dates) == 0:
        raise FactorRegimesError(f"no decision dates between {spec.start} and {end}; the panel covers "
                                 f"{frame.index[0].date()}..{frame.index[-1].date()}")
    cut = decision_range(spec, frame.index)["note"]
    if cut:
        panel.notes.append(cut)
    timings["panel"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # one pipeline for every entry point (regimes.pipeline): paths cover every month of the history, not only
    # the decision dates, so that regime-aware forecasters can train on filtered probabilities from before the
    # first decision date
    paths = detect_study_regimes(spec, data, progress=say)
    timings["regimes"] = time.perf_counter() - t0
    by_label = {det.label: det for det in spec.detectors}

    def path_for(label: str) -> RegimePath:
        if spec.share_regimes:
            return paths[label]
        return data.detect(by_label[label], spec.regime_schedule, seed=spec.seed, cache_dir=None)

    t0 = time.perf_counter()
    X = forecast_features(panel, spec.features)
    targets = panel.forward_returns(list(spec.assets))
    models = [{"name": BENCHMARK_FORECASTER}, *spec.forecasters]
    bases = {_base_name(m) for m in spec.forecasters if _build_forecaster(m, spec.seed).uses_regimes} - {None}
    for b in sorted(bases - {m["name"] for m in models}):
        models.append({"name": b})
    forecasts: dict[tuple[str, str], ForecastResult] = {}
    expect(say, "forecasts", len({(t, _label(c) + (f"@{d}" if d else "")) for t in spec.assets for c in models
                                  for d in (list(paths) if _build_forecaster(c, spec.seed).uses_regimes else [None])}))
    for target in spec.assets:
        for config in models:
            model = _build_forecaster(config, spec.seed)
            base = _base_name(config) if model.uses_regimes else None
            for det in (list(paths) if model.uses_regimes else [None]):
                label = _label(config) + (f"@{det}" if det else "")
                if (target, label) in forecasts:
                    continue
                say("forecasts", f"{target} {label}")
                if config["name"] == BENCHMARK_FORECASTER:
                    # Campbell-Thompson: the expanding mean of every target realized by t, re-estimated at
                    # every decision date (no features, so no row is dropped for a missing feature)
                    result = forecast_walk_forward(model, X.iloc[:, :0], targets[target], dates,
                                                   replace(spec.forecast_schedule, refit_every=1, window="expanding",
                                                           window_length=None), name=label, target=target)
                else:
                    result = forecast_walk_forward(model, X, targets[target], dates, spec.forecast_schedule,
                                                   regimes=path_for(det) if det else None, name=label, target=target)
                result.info.update({"forecaster": _label(config), "base": base, "regime_model": det or "none"})
                forecasts[(target, label)] = result
    timings["forecasts"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    strategies, keys, backtests, benchmarks = _strategies(spec, panel, daily, dates, paths, forecasts, say, path_for)
    timings["backtests"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say("statistics", "metrics and tests")
    wide = pd.DataFrame({name: bt.returns for name, bt in backtests.items()})
    if spec.total_returns:  # Sharpe ratios and tests on returns in excess of the risk-free rate
        wide = wide.sub(frame["RF"].reindex(wide.index), axis=0)
    window = wide.dropna()
    missing = missing_return_summary(backtests, frame, wide, window)
    if missing:
        say("backtests", missing["message"])
    if len(window) < 24:
        raise FactorRegimesError(f"only {len(window)} periods where every strategy has a return; widen the "
                                 "dates or shorten min_train / min_history")
    factor_cols = [c for c in ("Mkt-RF", "SMB", "HML", "UMD") if c in frame.columns]
    table = strategy_statistics(window, benchmarks, frame[factor_cols].reindex(window.index),
                                periods_per_year=panel.periods_per_year, bootstrap_reps=spec.bootstrap_reps,
                                seed=spec.seed)
    table["turnover"] = [backtests[s].turnover.reindex(_decisions(window.index, dates)).mean() for s in table.index]
    table["exposure"] = [backtests[s].weights.abs().sum(axis=1).reindex(_decisions(window.index, dates)).mean()
                         for s in table.index]
    metrics_table = strategies.join(table, how="right")
    spa = spa_by_benchmark(window, benchmarks, reps=spec.spa_reps, seed=spec.seed)
    for bench, res in spa.items():
        for s in [s for s, b in benchmarks.items() if b == bench]:
            for k, v in res.items():
                metrics_table.loc[s, k] = v
    stepm = stepm_by_benchmark(window, benchmarks, size=spec.stepm_size, reps=spec.spa_reps, seed=spec.seed)
    mcs = mcs_by_benchmark(window, benchmarks, size=spec.mcs_size, reps=spec.spa_reps, seed=spec.seed)
    pbo = pbo_cscv(window)
    fmetrics = _forecast_metrics(forecasts, spec, window.index, dates)
    breakdown = regime_breakdown(pd.concat([window, frame[list(spec.assets)].reindex(window.index)
                                            .add_prefix("factor:")], axis=1), paths, panel.periods_per_year)
    importance = _importance(forecasts, X, paths, spec) if spec.importance_repeats else pd.DataFrame()
    timings["statistics"] = time.perf_counter() - t0
    return StudyResult(spec=spec, panel=panel, missing_returns=missing, regimes=paths, forecasts=forecasts,
                       forecast_metrics=fmetrics, strategies=strategies, keys=keys, backtests=backtests,
                       returns=window, metrics=metrics_table, spa=spa,
                       pbo=pbo, breakdown=breakdown, importance=importance,
                       window=(window.index[0].date().isoformat(), window.index[-1].date().isoformat()),
                       timings=timings, stepm=stepm, mcs=mcs)


def decision_range(spec: StudySpec, index: pd.DatetimeIndex) -> dict:
    """The decision dates asked for (``spec.start``, ``spec.end``) and used on a panel with ``index``.

    ``note`` says, on one line, when the panel's coverage cut the request
    (compared by whole months), and is empty otherwise.
    """
    dates = pd.Series(0.0, index=index).loc[spec.start:spec.end or index[-1]].index
    first, last = dates[0].date().isoformat(), dates[-1].date().isoformat()
    cut = []
    if pd.Timestamp(spec.start).to_period("M") < index[0].to_period("M"):
        cut.append(f"data.start {spec.start} is before the data (first month {index[0]:%Y-%m})")
    if spec.end is not None and pd.Timestamp(spec.end).to_period("M") > index[-1].to_period("M"):
        cut.append(f"data.end {spec.end} is past the data (last month {index[-1]:%Y-%m})")
    note = f"{'; '.join(cut)}: decision dates used {first}..{last}" if cut else ""
    return {"requested": [spec.start, spec.end], "used": [first, last], "clipped": bool(cut), "note": note}


def _decisions(return_dates: pd.DatetimeIndex, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Decision dates whose holding period ends on one of ``return_dates``."""
    pos = dates.searchsorted(return_dates, side="left") - 1
    return dates[pos[pos >= 0]]


def _strategies(spec: StudySpec, panel: Panel, daily: Panel | None, dates: pd.DatetimeIndex,
                paths: dict[str, RegimePath], forecasts: dict, say, path_for):
    frame = panel.frame
    asset_returns = frame[list(dict.fromkeys((*spec.assets, *spec.benchmarks)))]
    cash = frame["RF"] if spec.total_returns else None
    vol = trailing_vol(dates, asset_returns, panel.periods_per_year,
                       daily=None if daily is None else daily.frame[[t for t in asset_returns if t in daily.frame]],
                       window_days=spec.vol_window_days)
    keys, backtests, benchmarks = {}, {}, {}

    def add(key: StrategyKey, weights: pd.DataFrame) -> None:
        name = key.label
        say("backtests", name)
        backtests[name] = run_backtest(weights, asset_returns, spec.constraints, spec.cost_bps, cash_return=cash,
                                       name=name, delay=spec.trading_delay)
        keys[name] = key
        benchmarks[name] = key.static().label

    for bench in spec.benchmarks:
        add(StrategyKey((bench,), BUY_AND_HOLD), pd.DataFrame(1.0, index=dates, columns=[bench]))
    groups = [[t] for t in spec.assets]
    if any((a.get("params") or {}).get("assets") == "all" or a.get("assets") == "all" for a in spec.allocators):
        groups.append(list(spec.assets))
    for assets in groups:
        w = spec.static_weight / len(assets)
        add(StrategyKey(tuple(assets), STATIC), pd.DataFrame(w, index=dates, columns=assets))
        for config in spec.allocators:
            multi = config.get("assets") == "all"
            if multi != (len(assets) > 1):
                continue
            params = {k: v for k, v in (config.get("params") or {}).items()}
            allocator = ALLOCATORS.create(config["name"], **params)
            alabel = config.get("label") or config["name"]
            det_options = list(paths) if allocator.uses_regimes else [None]
            fc_labels = sorted({label for (t, label) in forecasts if t == assets[0]}) if allocator.uses_forecasts \
                else [None]
            for fc in fc_labels:
                if fc == BENCHMARK_FORECASTER and not config.get("include_benchmark_forecaster"):
                    continue
                info = forecasts[(assets[0], fc)].info if fc else {}
                fdet = None if info.get("regime_model", "none") == "none" else info["regime_model"]
                for det in det_options:
                    if det is not None and fdet is not None and det != fdet:
                        continue
                    regime = det or fdet
                    path = path_for(regime) if regime else None
                    inputs = AllocationInputs(
                        dates=dates, assets=assets,
                        forecasts=pd.DataFrame({a: forecasts[(a, fc)].frame["forecast"] for a in assets}) if fc
                        else pd.DataFrame(np.nan, index=dates, columns=assets),
                        returns=asset_returns, vol=vol[assets],
                        regime_next=path.next_proba.reindex(dates) if path is not None else None,
                        regime_now=path.proba if path is not None else None, periods_per_year=panel.periods_per_year)
                    add(StrategyKey(tuple(assets), alabel, info.get("forecaster"), info.get("base"), regime),
                        allocator.weights(inputs))
    strategies = pd.DataFrame.from_dict({name: key.row() for name, key in keys.items()}, orient="index")
    return strategies.rename_axis("strategy"), keys, backtests, benchmarks


def _importance(forecasts: dict, X: pd.DataFrame, paths: dict, spec: StudySpec) -> pd.DataFrame:
    """Out-of-sample permutation importance (and native importance) of every forecaster but the benchmark."""
    rows = []
    for (target, label), fc in forecasts.items():
        if label == BENCHMARK_FORECASTER:
            continue
        det = fc.info.get("regime_model", "none")
        perm = permutation_importance(fc, X, paths.get(det), n_repeats=spec.importance_repeats, seed=spec.seed)
        native = native_importance(fc)
        for feature, row in perm.iterrows():
            rows.append({"target": target, "model": label, "feature": feature, "mse_increase": row["mse_increase"],
                         "std": row["std"],
                         "native": np.nan if native is None else float(native.get(feature, np.nan))})
    return pd.DataFrame(rows)


def forecast_comparisons(forecasts: dict) -> list[tuple[str, str, str, bool, str]]:
    """Which forecast series is compared with which, and with which test.

    Returns ``(target, model, benchmark, nested, reason)`` tuples:

    * every model against the historical mean (nested: the mean is the
      intercept-only restriction of every model) - Clark-West;
    * every regime-aware model against its own base model (nested: the base is
      the regime model with uninformative regimes) - Clark-West;
    * non-nested pairs - Diebold-Mariano: two unconditional models of
      different kinds, and the regime-aware models that use the same regime
      path and base in different ways (e.g. ``regime_conditioned`` and
      ``per_regime`` on the same detector).
    """
    out = []
    by_target: dict[str, list[str]] = {}
    for (target, label) in forecasts:
        by_target.setdefault(target, []).append(label)
    for target, labels in by_target.items():
        info = {label: forecasts[(target, label)].info for label in labels}
        others = [m for m in labels if m != BENCHMARK_FORECASTER]
        for m in others:
            out.append((target, m, BENCHMARK_FORECASTER, True, "nested: the historical mean is the intercept-only "
                        "restriction of every forecasting model"))
            base = info[m].get("base")
            if info[m].get("regime_model", "none") != "none" and base and (target, base) in forecasts:
                out.append((target, m, base, True, f"nested: {base} is {info[m]['forecaster']} with uninformative "
                            "regimes"))
        uncond = [m for m in others if info[m].get("regime_model", "none") == "none"]
        for i, a in enumerate(uncond):
            for b in uncond[i + 1:]:
                out.append((target, a, b, False, "non-nested: different models on the same features"))
        regime = [m for m in others if info[m].get("regime_model", "none") != "none"]
        for i, a in enumerate(regime):
            for b in regime[i + 1:]:
                if (info[a]["regime_model"] == info[b]["regime_model"] and info[a].get("base") == info[b].get("base")
                        and info[a]["forecaster"] != info[b]["forecaster"]):
                    out.append((target, a, b, False, f"non-nested: the same regime path ({info[a]['regime_model']}) "
                                "and base used in different ways"))
    return out


def _forecast_metrics(forecasts: dict, spec: StudySpec, return_dates: pd.DatetimeIndex,
                      dates: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per comparison of :func:`forecast_comparisons`, on the decision dates of the evaluation window.

    Columns ``target, model, forecaster, regime_model, benchmark, nested, test, alternative, test_reason,
    oos_r2`` (``1 - MSE(model) / MSE(benchmark)``; against ``historical_mean`` it is Campbell and
    Thompson's out-of-sample R^2), ``rmse, rmse_benchmark, hit_rate, stat`` (positive: the model is more
    accurate), ``p_value, n``.
    """
    decision = _decisions(return_dates, dates)
    rows = []
    for target, model, bench, nested, reason in forecast_comparisons(forecasts):
        f = forecasts[(target, model)].frame.reindex(decision)
        b = forecasts[(target, bench)].frame["forecast"].reindex(decision)
        res = compare(f["realized"], f["forecast"], b, nested)
        info = forecasts[(target, model)].info
        rows.append({"target": target, "model": model, "forecaster": info["forecaster"],
                     "regime_model": info["regime_model"], "benchmark": bench, "nested": nested,
                     "test": res.pop("test"), "alternative": res.pop("alternative"), "test_reason": reason, **res})
    return pd.DataFrame(rows)
