"""The experiment config as one typed tree: every key with its rule, default and one-line description.

Each section is a dataclass; each field is a :func:`~experiments.schema.key`
(default, rule, description) or a :func:`~experiments.schema.section`. From
this tree come the validation of a config file (:func:`experiments.schema.rules`),
the resolved defaults (:func:`experiments.schema.defaults`), the order of the
``config.yaml`` a run writes (:func:`experiments.schema.ordered`) and the
documentation of every key (``factor-regimes config schema``, the README's
table: :mod:`experiments.config_docs`).

The values a key allows live in one place, its rule here: to allow a new data
frequency, add it to :data:`FREQUENCIES`; to allow a new form of a value
(``1Y``, ``63D``), give the key a new rule. Items of component lists
(detectors, forecasters, allocators, analyses) are trees too; they keep only
what the config gives (an omitted ``features`` takes the detector's defaults,
:data:`regimes.specs.DEFAULTS`, when the component is built).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allocation.allocators import ALLOCATORS
from allocation.forecasters import FORECASTERS
from experiments.schema import (
    REQUIRED,
    Bool,
    Choice,
    Date,
    Int,
    Length,
    ListOf,
    MapOf,
    Num,
    Str,
    key,
    section,
)
from regimes.detectors import DETECTORS

#: Most bootstrap draws a config may ask for (each is a full resample of every strategy's returns).
MAX_REPS = 1_000_000
#: Largest cost a config may state, in basis points of the value traded (10,000 bps: the whole amount).
MAX_COST_BPS = 10_000
#: Longest trading delay a config may state, in periods.
MAX_DELAY = 1000
#: Largest absolute static exposure (times capital) a config may state.
MAX_LEVERAGE = 10

#: Where a run's data come from (:func:`regimes.data.sources.make_source`).
SOURCES = ("local", "download", "sample", "csv")
#: Decision frequencies a run supports (``data.frequency``).
FREQUENCIES = ("monthly", "weekly", "daily")
#: Panels a detector's features may come from (a detector item's ``frequency``).
PANEL_FREQUENCIES = ("monthly", "daily")
#: Training windows of a walk-forward schedule.
WINDOWS = ("expanding", "rolling")
#: What an allocator allocates over: each target alone, or all targets as one portfolio.
ASSET_SETS = ("each", "all")


def _analysis_names() -> list[str]:
    from experiments.analyses import ANALYSES
    return ANALYSES.names()


@dataclass
class Data:
    source: str = key("local", Choice(SOURCES), "where the data come from: published files in a folder, downloads "
                      "(cached), the offline sample, or your own panel CSV")
    dir: str | None = key(None, Str(nullable=True), "folder of published data files for source local (null: "
                          "$FACTOR_REGIMES_DATA_DIR)")
    path: str | None = key(None, Str(nullable=True), "your panel CSV (a date column, one column per series); "
                           "required by source csv, refused otherwise")
    start: str = key("2000-01", Date(), "first decision date (YYYY-MM: the month's end)")
    end: str | None = key("2024-12", Date(nullable=True), "last decision date, its whole month included (null: the "
                          "data's last month)")
    history_start: str = key("1990-01", Date(), "first month of data the panel (and so every model's history) holds; "
                             "not after start")
    frequency: str = key("monthly", Choice(FREQUENCIES), "decision frequency")
    extra_csv: list[str] = key([], ListOf(Str(), unique=True), "your own tidy CSV files (date,NAME,...) added "
                               "as panel columns, each value known at the close of its date")


@dataclass
class RegimeSchedule:
    refit_every: int | str = key(12, Length(1), "decision dates between refits of each detector (an integer: periods; or a calendar span: 1Y, 3M, 4W, 63D)")
    window: str = key("expanding", Choice(WINDOWS), "fit on all rows so far, or on the last window_length rows")
    window_length: int | str | None = key(None, Length(2, nullable=True), "feature rows (or a span, 10Y) in a rolling window (required by "
                                    "window: rolling)")
    min_history: int | str = key(60, Length(2), "feature rows (or a span, 5Y) needed before the first fit")
    align_labels: bool = key(True, Bool(), "align each refit's states to the previous model's on their common "
                             "history (false: each fit's own risk order)")
    align_override: float = key(0.5, Num(0), "risk contrast above which the risk order, not continuity, decides the "
                                "risk-off state")


@dataclass
class DetectorItem:
    name: str = key(REQUIRED, Choice(DETECTORS.names), "registered detector (factor-regimes regimes list)")
    label: str | None = key(None, Str(nullable=True), "name of its regime paths and strategies (null: the name); "
                            "unique, without / or @")
    features: list[str] | None = key(None, ListOf(Str(), unique=True), "features the detector reads (omitted: "
                                     "the detector's defaults)")
    frequency: str | None = key(None, Choice(PANEL_FREQUENCIES, nullable=True), "panel the features come from "
                                "(null: the detector's default)")
    params: dict | None = key(None, MapOf(), "detector parameters (a seed defaults to evaluation.seed)")


@dataclass
class Regimes:
    schedule: RegimeSchedule = section(RegimeSchedule, "walk-forward refit schedule of every detector")
    detectors: list[dict] = key([{"name": "hmm"}, {"name": "jump"}], ListOf(DetectorItem),
                                "regime detectors, each walked forward over the whole history")
    cache: bool = key(True, Bool(), "reuse regime paths computed by earlier runs (on disk, keyed by everything "
                      "that defines a path)")
    share: bool = key(True, Bool(), "compute each path once for every forecaster and allocator (false: once per "
                      "use, only to measure what sharing saves)")


@dataclass
class ForecastingSchedule:
    refit_every: int | str = key(12, Length(1), "decision dates between refits of each forecaster (or a span: 1Y)")
    window: str = key("expanding", Choice(WINDOWS), "train on all periods so far, or on the last window_length")
    window_length: int | str | None = key(None, Length(2, nullable=True), "periods (or a span) in a rolling window (required by window: "
                                    "rolling; at least min_train)")
    min_train: int | str = key(60, Length(2), "periods (or a span, 5Y) with a realized target needed before the first fit")


@dataclass
class ForecasterItem:
    name: str = key(REQUIRED, Choice(FORECASTERS.names), "registered forecaster")
    label: str | None = key(None, Str(nullable=True), "name of its forecasts and strategies (null: the name; a "
                            "regime-aware forecaster: name[base])")
    params: dict | None = key(None, MapOf(), "forecaster parameters (a scikit-learn model's own under params.params)")


@dataclass
class Forecasting:
    schedule: ForecastingSchedule = section(ForecastingSchedule, "walk-forward refit schedule of every forecaster")
    forecasters: list[dict] = key([{"name": "ridge"}, {"name": "regime_conditioned"}, {"name": "per_regime"}],
                                  ListOf(ForecasterItem), "forecasters of each target's next-period return, each "
                                  "compared with the historical mean")


@dataclass
class AllocatorItem:
    name: str = key(REQUIRED, Choice(ALLOCATORS.names), "registered allocator")
    assets: str = key("each", Choice(ASSET_SETS), "allocate each target alone, or all targets as one portfolio")
    label: str | None = key(None, Str(nullable=True), "name of its strategies (null: the name)")
    params: dict | None = key(None, MapOf(), "allocator parameters")


@dataclass
class WeightConstraints:
    long_only: bool = key(False, Bool(), "clip negative weights to 0")
    max_weight: float | None = key(None, Num(0, nullable=True), "cap on each asset's absolute weight (null: none)")
    max_gross: float | None = key(None, Num(0, nullable=True), "cap on the sum of absolute weights, scaled down "
                                  "proportionally (null: none)")
    fully_invested: bool = key(False, Bool(), "rescale weights to sum to 1 (needs long_only)")
    max_turnover: float | None = key(None, Num(0, nullable=True), "cap on the sum of absolute trades per rebalance "
                                     "(null: none)")
    adjustment: float = key(1.0, Num(0, 1), "fraction of the way from the drifted to the target weights traded each "
                            "period (1: all the way; above 0)")


@dataclass
class Allocation:
    static_weight: float = key(1.0, Num(-MAX_LEVERAGE, MAX_LEVERAGE), "exposure of the static benchmark strategy "
                               "(split equally over a portfolio's assets)")
    cost_bps: float = key(10.0, Num(0, MAX_COST_BPS), "trading cost in basis points of the value traded (one-way "
                          "turnover, at every frequency)")
    trading_delay: int = key(0, Int(0, MAX_DELAY), "periods between a decision and the returns it earns: weights "
                             "decided at the close of t earn the returns from t+1+delay")
    allocators: list[dict] = key([{"name": "binary"}], ListOf(AllocatorItem), "rules turning forecasts and regimes "
                                 "into weights")
    constraints: WeightConstraints = section(WeightConstraints, "constraints applied to every strategy's weights, "
                                             "in this order")
    vol_window_days: int = key(126, Int(10), "daily returns in the trailing volatility estimate allocators use")


@dataclass
class Evaluation:
    seed: int = key(0, Int(0, 2**32 - 1), "seed of every random choice (models, bootstraps)")
    bootstrap_reps: int = key(1000, Int(0, MAX_REPS), "bootstrap draws of Sharpe-ratio intervals and tests")
    spa_reps: int = key(1000, Int(0, MAX_REPS), "bootstrap draws of the SPA, StepM and Model Confidence Set tests")
    importance_repeats: int = key(5, Int(0, 1000), "shuffles per feature in permutation importance (0: skip it)")


@dataclass
class Outputs:
    figures: bool = key(True, Bool(), "draw the figures (figures/*.png)")
    report: bool = key(True, Bool(), "write report.html")


@dataclass
class AnalysisItem:
    name: str = key(REQUIRED, Choice(_analysis_names), "registered analysis")
    params: dict | None = key(None, MapOf(), "analysis parameters")


@dataclass
class Config:
    """An experiment: what differs from these defaults is what a config file states."""

    name: str = key(REQUIRED, Str(), "run name, a plain folder name (default: the config file's name)")
    description: str | None = key(None, Str(nullable=True), "one line on what the experiment asks")
    extends: str | None = key(None, Str(nullable=True), "a config file this one builds on, relative to it (read "
                              "when loading, not kept in the resolved config)", file_only=True)
    data: Data = section(Data, "where the data come from and the decision dates")
    targets: list[str] = key(["UMD", "HML"], ListOf(Str(), min_items=1, unique=True), "assets forecast and "
                             "allocated (panel columns)")
    benchmarks: list[str] = key([], ListOf(Str(), unique=True), "buy-and-hold series shown beside the strategies "
                                "(panel columns, not targets)")
    total_returns: bool = key(False, Bool(), "targets are total returns (ETFs): cash earns the risk-free rate and "
                              "metrics use excess returns")
    features: list[str] = key(["UMD", "HML", "vix", "sp500_ret"], ListOf(Str(), min_items=1, unique=True),
                              "forecast inputs: registered features or panel columns")
    regimes: Regimes = section(Regimes, "regime detection")
    forecasting: Forecasting = section(Forecasting, "walk-forward forecasts")
    allocation: Allocation = section(Allocation, "weights, costs and constraints")
    evaluation: Evaluation = section(Evaluation, "statistics")
    outputs: Outputs = section(Outputs, "what a run writes besides its tables")
    comparison: bool = key(True, Bool(), "run the walk-forward comparison (false: only the analyses)")
    analyses: list[dict] = key([], ListOf(AnalysisItem), "studies run after the comparison, each adding tables, "
                               "figures and a report section")


def tree_defaults() -> dict[str, Any]:
    """The resolved config of an empty file (without ``name``, which comes from the file)."""
    from experiments.schema import defaults
    return defaults(Config)
