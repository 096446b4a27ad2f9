"""Prefix invariance, generated for every registered component: outputs dated <= t are identical whether the
input stops at t or continues with PERTURBED values.

Each registry (detectors, forecasters, allocators, features, analyses) is parametrized from its own names, so
a new entry is tested automatically; an entry the test cannot build fast enough gets small parameters in the
``FAST_*`` tables below, never an exemption. Detectors are tested twice: fitted (their filter) and through
the walk-forward engine on real data, at a t between refits and at a t that is a refit date. Besides the
registries: the panel (monthly and daily), the one-step-ahead ``next_proba`` of every detector, the daily
branch of ``trailing_vol``, ``extra_csv`` columns and a whole ``run_study``, monthly and daily (calendar-span
schedules, a one-day trading delay).

"Stops at t" is :class:`regimes.data.sources.TruncatedSource`; "continues with perturbed values" is
:class:`_Perturbed`, the same files with every value dated after t multiplied by a random factor in
[0.5, 1.5] (signs are kept, so the values stay plausible: levels positive, returns above -100 %; the dates
are those of the real files). Comparing these two, rather than a
truncated run with a full one, also catches a component whose output at t depends on values after t only
through their size. ``test_the_harness_catches_look_ahead`` shows that the comparison fails for a component
that peeks one period ahead.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from allocation.allocators import ALLOCATORS, AllocationInputs
from allocation.backtest import run_backtest
from allocation.forecasters import FORECASTERS, make_forecaster
from allocation.forecasting import ForecastSchedule, forecast_walk_forward
from allocation.risk import trailing_vol
from experiments.analyses import ANALYSES, AnalysisContext, run_analysis
from experiments.config import build_study, load_config
from experiments.study import StudySpec, run_study
from plumbing.errors import FactorRegimesError
from regimes.data.sources import DataSource, LoadedSeries, LocalSource, TruncatedSource
from regimes.detectors import DETECTORS
from regimes.evaluation import simulate_regimes
from regimes.features import FEATURES, build_features
from regimes.panel import Panel, build_panel
from regimes.pipeline import detect
from regimes.specs import DetectorSpec
from regimes.walkforward import RegimePath, Schedule, walk_forward
from tests import REPO

CUT = pd.Timestamp("2008-10-31")  # t: a month end inside a crisis, not a refit date of the schedules below
LATER = "2010-12"  # the perturbed inputs run on to here (at least one refit after t)
REGIME_SCHEDULE = Schedule(refit_every=24, min_history=60)
_QUICKSTART = REPO / "configs" / "quickstart.yaml"

# Small parameters so that every entry runs in seconds; entries not listed use their defaults.
_HMM = {"n_init": 1, "n_init_refit": 1, "n_iter": 50}
_JUMP = {"n_init": 2}
# sjm at its default penalty holds risk-off through 2008-10..2010-12 whatever the perturbation, so the guard
# that the perturbation reaches it needs a livelier penalty (the invariance itself holds at any penalty).
FAST_DETECTORS: dict[str, dict] = {
    "hmm": _HMM, "jump": _JUMP, "sjm": {"jump_penalty": 0.5},
    "ensemble": {"members": [{"name": "hmm", "params": _HMM}, {"name": "jump", "params": _JUMP}, {"name": "bocpd"}]},
}
FAST_FORECASTERS: dict[str, dict] = {
    "lasso": {"param_grid": {"alpha": [1e-3, 1e-2]}, "cv_splits": 3},
    "elastic_net": {"param_grid": {"alpha": [1e-3, 1e-2], "l1_ratio": [0.5]}, "cv_splits": 3},
    "random_forest": {"n_estimators": 10, "max_depth": 3},
    "gradient_boosting": {"max_iter": 10},
    "ensemble": {"members": ["ridge", "historical_mean"]},
}
ALLOCATOR_PARAMS: dict[str, dict] = {  # parameters an allocator needs to do anything regime-specific
    "regime_tilt": {"weights_by_regime": [[1.0, 0.5], [0.0, 0.2]]},
    "mean_variance": {"regime_specific": True},
}


# --------------------------------------------------------------------------------------------- the harness


class _Perturbed(DataSource):
    """``base`` with every numeric value dated after ``cut`` multiplied by a seeded factor in [0.5, 1.5]."""

    def __init__(self, base: DataSource, cut: pd.Timestamp, seed: int = 0):
        super().__init__()
        self.base, self.cut, self.seed = base, pd.Timestamp(cut), seed
        self.name = base.name

    def has(self, key: str) -> bool:
        return self.base.has(key)

    def _load(self, key: str) -> LoadedSeries:
        loaded = self.base.load(key)
        frame = loaded.frame.copy()
        later = frame.index > self.cut
        rng = np.random.default_rng([self.seed, zlib.crc32(key.encode())])
        numeric = frame.select_dtypes("number").columns
        frame.loc[later, numeric] = frame.loc[later, numeric] * rng.uniform(0.5, 1.5, (later.sum(), len(numeric)))
        return LoadedSeries(frame, loaded.record)


def _assert_prefix(short, long, cut: pd.Timestamp = CUT, what: str = "") -> None:
    """``short`` (inputs stop at ``cut``) equals ``long`` (inputs continue, perturbed) at every date <= cut."""
    a, b = short.loc[:cut], long.loc[:cut]
    assert len(a) > 0, f"{what}: no output dated <= {cut.date()}"
    if isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=what or "Series")
    else:
        pd.testing.assert_frame_equal(a, b, obj=what or "DataFrame")


def _assert_changed_after(long, reference, cut: pd.Timestamp = CUT, what: str = "") -> None:
    """The perturbation reached the output: after ``cut`` it differs from ``reference`` somewhere."""
    a, b = long.loc[long.index > cut], reference.reindex(long.index).loc[long.index > cut]
    assert a.notna().to_numpy().any(), f"{what}: no output after {cut.date()}"
    assert not np.allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True), \
        f"{what}: perturbing the inputs after {cut.date()} changed nothing after it either"


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Small fits run fastest single-threaded (BLAS and OpenMP threads only contend on a shared machine)."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def sources(local_source: LocalSource) -> dict[str, DataSource]:
    return {"cut": TruncatedSource(local_source, CUT), "perturbed": _Perturbed(local_source, CUT),
            "full": local_source}


@pytest.fixture(scope="module")
def panels(sources) -> dict[str, dict[str, Panel]]:
    return {kind: {"monthly": build_panel(src, "monthly", start="1990-01"),
                   "daily": build_panel(src, "daily", start="1990-01-01")}
            for kind, src in sources.items()}


def test_the_harness_catches_look_ahead(panels) -> None:
    """A feature that peeks one month ahead fails the comparison; the same feature lagged passes."""
    short, long = panels["cut"]["monthly"].frame["vix"], panels["perturbed"]["monthly"].frame["vix"]
    with pytest.raises(AssertionError):
        _assert_prefix(short.rolling(3, center=True).mean(), long.rolling(3, center=True).mean())
    _assert_prefix(short.rolling(3).mean(), long.rolling(3).mean())


@pytest.mark.parametrize(("frequency", "cut"), [("monthly", "2008-10-31"), ("monthly", "2020-03-31"),
                                                ("monthly", "2008-10-15"), ("daily", "2008-10-10"),
                                                ("daily", "2020-03-16"), ("weekly", "2008-10-10"),
                                                ("weekly", "2020-03-18")])
def test_panel(local_source: LocalSource, panels, frequency: str, cut: str) -> None:
    """Every column of the monthly, weekly and daily panels; with data stopping inside a month (a week), a
    monthly (weekly) panel has no row for that month (week): its values are not known yet."""
    t = pd.Timestamp(cut)
    if t == CUT:
        short, long = panels["cut"][frequency].frame, panels["perturbed"][frequency].frame
    else:
        short = build_panel(TruncatedSource(local_source, t), frequency, start="1990-01").frame
        long = build_panel(_Perturbed(local_source, t), frequency, start="1990-01").frame
    last = {"daily": t, "monthly": t if t.is_month_end else t - pd.offsets.MonthEnd(1),
            "weekly": t if t.day_of_week == 4 else t - pd.offsets.Week(weekday=4)}[frequency]
    assert short.index[-1] == last
    _assert_prefix(short, long[short.columns], t, what=f"{frequency} panel")
    full = (panels["full"][frequency] if frequency in panels["full"]
            else build_panel(local_source, frequency, start="1990-01")).frame
    _assert_changed_after(long[["UMD", "vix"]], full[["UMD", "vix"]], t, what=frequency)


@pytest.mark.parametrize("name", DETECTORS.names())
def test_fitted_detector_filter(name: str) -> None:
    """A fitted detector's filtered probabilities for rows <= t, whether X stops at t or continues perturbed; and
    ``filtered_proba(X, start)`` returns exactly the rows from ``start`` (what the engine evaluates)."""
    from tests.regimes.detectors.test_detectors import DETECTOR_CASES, _inputs
    params, kind = DETECTOR_CASES[name]
    params = {**params, **(FAST_DETECTORS.get(name, {}) if name in ("hmm", "jump") else {})}
    X = _inputs(kind, simulate_regimes(400, persistence=0.98, separation=3.0, seed=1))
    detector = DETECTORS.create(name, **params).fit(X)
    full = detector.predict_proba(X)
    assert full.shape[0] == len(X) and full.shape[1] >= 2
    rng = np.random.default_rng(4)
    for t in (60, 150, 299):
        perturbed = X.copy()
        perturbed[t + 1:] *= rng.uniform(0.5, 1.5, perturbed[t + 1:].shape)
        np.testing.assert_array_equal(detector.predict_proba(X[: t + 1]), detector.predict_proba(perturbed)[: t + 1])
        np.testing.assert_array_equal(detector.predict_proba(X[: t + 1]), full[: t + 1])
    np.testing.assert_array_equal(detector.filtered_proba(X, start=200), full[200:])
    valid = full[~np.isnan(full).any(axis=1)]
    np.testing.assert_allclose(valid.sum(axis=1), 1.0, atol=1e-12)


# ------------------------------------------------------------------------------------------------ features


@pytest.mark.parametrize("name", list(FEATURES))
def test_feature(panels, name: str) -> None:
    """Every registered feature on each panel that can compute it, and on at least one: a monthly-only feature
    (such as the mean VIX over the month) is refused on the daily panel, and a feature whose half-life is
    shorter than a month (``dd_log_5``) on the monthly panel, each with a clear error."""
    computed = []
    for frequency in ("monthly", "daily"):
        try:
            short = build_features(panels["cut"][frequency], [name])
        except FactorRegimesError as exc:
            refusals = {"daily": "needs panel column", "monthly": "under one period of this panel"}
            assert refusals[frequency] in str(exc), exc
            continue
        computed.append(frequency)
        long = build_features(panels["perturbed"][frequency], [name])
        _assert_prefix(short, long, what=f"{name} ({frequency})")
        assert short[name].loc[:CUT].notna().any()
        _assert_changed_after(long, build_features(panels["full"][frequency], [name]), what=f"{name} ({frequency})")
    assert computed, f"{name} is computable on neither panel"


# ------------------------------------------------------------------------------ detectors at engine level


def _regime_paths(name: str, panels, kind: str, last: str) -> RegimePath:
    spec = DetectorSpec.from_dict({"name": name, "params": FAST_DETECTORS.get(name, {})})
    dates = panels[kind]["monthly"].frame.loc["2004-01":last].index
    return detect(spec, panels[kind], dates, REGIME_SCHEDULE, seed=0, cache_dir=None)


REFIT_CUT = pd.Timestamp("2008-01-31")  # a refit date of REGIME_SCHEDULE (2004-01, 2006-01, 2008-01, ...)


@pytest.fixture(scope="module")
def refit_panels(local_source: LocalSource) -> dict[str, dict[str, Panel]]:
    """Panels for a cut on a refit date, where an off-by-one in the training window would show."""
    return {kind: {"monthly": build_panel(src, "monthly", start="1990-01"),
                   "daily": build_panel(src, "daily", start="1990-01-01")}
            for kind, src in (("cut", TruncatedSource(local_source, REFIT_CUT)),
                              ("perturbed", _Perturbed(local_source, REFIT_CUT)))}


@pytest.mark.parametrize("name", DETECTORS.names())
def test_detector_walk_forward_and_next_proba(panels, refit_panels, name: str) -> None:
    """Filtered probabilities and one-step-ahead ``next_proba`` from the walk-forward engine (default features,
    real data, refits every 24 months), at a t between refits and at a t that is a refit date; the perturbed
    run refits after t on perturbed data."""
    longs = {}
    for cut, sets in ((CUT, panels), (REFIT_CUT, refit_panels)):
        short = _regime_paths(name, sets, "cut", str(cut.date()))
        long = longs[cut] = _regime_paths(name, sets, "perturbed", LATER)
        _assert_prefix(short.proba, long.proba, cut, what=f"{name} proba")
        _assert_prefix(short.next_proba, long.next_proba, cut, what=f"{name} next_proba")
        assert short.proba.loc[cut].notna().all(), "the detector must have an output at t"
        assert list(long.refit_dates[long.refit_dates <= cut]) == list(short.refit_dates)
    assert short.refit_dates[-1] == REFIT_CUT
    reference = _regime_paths(name, panels, "full", LATER)
    _assert_changed_after(longs[CUT].proba, reference.proba, what=name)


# ----------------------------------------------------------------------------------------------- forecasters

_N, _K = 160, 110  # synthetic months, and the position of t among them
FORECAST_SCHEDULE = ForecastSchedule(refit_every=24, min_train=48)


def _world(perturb: bool, seed: int = 0):
    """Synthetic regimes, a factor whose next return depends on the regime, lagged and noise features."""
    sample = simulate_regimes(_N, persistence=0.97, separation=2.5, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    mean = np.where(sample.states.to_numpy() == 0, 0.015, -0.025)
    factor = pd.Series(mean + 0.03 * rng.standard_normal(_N), index=sample.frame.index, name="F")
    X = pd.DataFrame({"F_lag": factor, "noise": rng.standard_normal(_N)}, index=factor.index)
    feats = sample.frame[["log_vix", "sp500_ret"]]
    cut = factor.index[_K]
    if perturb:
        later = factor.index > cut
        noise = np.random.default_rng(seed + 7)
        factor, X, feats = factor.copy(), X.copy(), feats.copy()
        factor[later] = noise.normal(0, 0.1, later.sum())
        X.loc[later] = noise.normal(0, 5, (later.sum(), 2))
        feats.loc[later] = feats.to_numpy()[::-1][later]  # the regime inputs after t: reversed history
    else:
        factor, X, feats = factor.loc[:cut], X.loc[:cut], feats.loc[:cut]
    path = walk_forward(DETECTORS.create("jump", random_state=0, **_JUMP), feats,
                        schedule=Schedule(refit_every=24, min_history=24))
    return cut, factor, X, path


@pytest.mark.parametrize("name", FORECASTERS.names())
def test_forecaster(name: str) -> None:
    """Walk-forward forecasts (targets, features and, for regime-aware models, the regime path perturbed)."""
    runs = []
    for perturb in (False, True):
        cut, factor, X, path = _world(perturb)
        model = make_forecaster(name, **FAST_FORECASTERS.get(name, {}))
        runs.append(forecast_walk_forward(model, X, factor.shift(-1), schedule=FORECAST_SCHEDULE,
                                          regimes=path if model.uses_regimes else None).frame)
    short, long = runs
    _assert_prefix(short["forecast"], long["forecast"], cut, what=f"{name} forecasts")
    _assert_prefix(short["realized"].iloc[:-1], long["realized"], cut - pd.offsets.MonthEnd(1), what="realized")
    assert short["forecast"].notna().sum() > 24 and np.isnan(short["realized"].iloc[-1])
    assert long["forecast"].loc[cut:].iloc[1:].notna().all()


# ------------------------------------------------------------------------------------------------ allocators


def _allocation_inputs(perturb: bool) -> tuple[pd.Timestamp, AllocationInputs]:
    cut, factor, _, path = _world(False)  # the regime path stops at t; perturbed below
    rng = np.random.default_rng(3)
    dates = pd.date_range(factor.index[0], periods=_N, freq="ME")
    returns = pd.DataFrame({"F": rng.normal(0.005, 0.04, _N), "G": rng.normal(0.003, 0.03, _N)}, index=dates)
    forecasts = pd.DataFrame(rng.normal(0.002, 0.01, (_N, 2)), index=dates, columns=["F", "G"])
    proba = path.proba.reindex(dates)
    later = dates > cut
    if perturb:
        noise = np.random.default_rng(11)
        returns.loc[later] = noise.normal(0, 0.2, (later.sum(), 2))
        forecasts.loc[later] = noise.normal(0, 0.2, (later.sum(), 2))
        p = noise.dirichlet([0.5, 0.5], later.sum())  # the regime path after t: any probabilities at all
        proba.loc[later] = p
    else:
        dates, returns, forecasts, proba = dates[~later], returns.loc[~later], forecasts.loc[~later], proba.loc[~later]
    next_proba = proba @ np.array([[0.9, 0.1], [0.2, 0.8]])
    next_proba.columns = proba.columns
    return cut, AllocationInputs(dates=dates, assets=["F", "G"], forecasts=forecasts, returns=returns,
                                 vol=trailing_vol(dates, returns, window_periods=24), regime_next=next_proba,
                                 regime_now=proba)


@pytest.mark.parametrize("name", ALLOCATORS.names())
def test_allocator(name: str) -> None:
    """Target weights and backtest returns, with returns, forecasts and the regime path perturbed after t."""
    outs = []
    for perturb in (False, True):
        cut, inputs = _allocation_inputs(perturb)
        targets = ALLOCATORS.create(name, **ALLOCATOR_PARAMS.get(name, {})).weights(inputs)
        outs.append((targets, run_backtest(targets, inputs.returns, cost_bps=10)))
    (t_short, bt_short), (t_long, bt_long) = outs
    _assert_prefix(t_short, t_long, cut, what=f"{name} targets")
    _assert_prefix(bt_short.returns, bt_long.returns, cut, what=f"{name} returns")
    _assert_prefix(bt_short.weights, bt_long.weights, cut, what=f"{name} weights")
    assert t_short.loc[:cut].notna().all(axis=1).sum() > 24


# ------------------------------------------------------------------- trailing_vol (daily branch), extra_csv


def test_trailing_vol_daily_branch(panels) -> None:
    frames = {k: (panels[k]["monthly"].frame[["UMD", "HML"]], panels[k]["daily"].frame[["UMD", "HML"]])
              for k in ("cut", "perturbed", "full")}
    out = {}
    for kind, (monthly, daily) in frames.items():
        dates = monthly.loc["2000-01":].index
        out[kind] = trailing_vol(dates, monthly, 12, daily=daily, window_days=126)
    _assert_prefix(out["cut"], out["perturbed"], what="trailing_vol")
    # the daily branch is the one tested: at t the value is the 126-day estimate, not the monthly fallback
    umd = panels["full"]["daily"].frame["UMD"].loc[:CUT].iloc[-126:]
    assert out["cut"].loc[CUT, "UMD"] == pytest.approx(np.sqrt(252 * np.mean(umd ** 2)), rel=1e-12)
    _assert_changed_after(out["perturbed"], out["full"], what="trailing_vol")


def test_trailing_vol_daily_branch_with_a_gap_before_t() -> None:
    """Daily data that stop more than a week before t (a gap) give the monthly fallback at t whether or not they
    resume after t: whether a value is stale is decided from data dated <= t."""
    days = pd.bdate_range("2000-01-03", "2003-12-31")
    rng = np.random.default_rng(0)
    daily = pd.DataFrame({"A": rng.normal(0, 0.01, len(days))}, index=days)
    monthly = pd.DataFrame({"A": rng.normal(0, 0.05, 48)}, index=pd.date_range("2000-01-31", periods=48, freq="ME"))
    cut = pd.Timestamp("2002-06-30")
    gapped = daily.drop(daily.loc["2002-06-10":"2002-07-20"].index)
    short = trailing_vol(monthly.loc[:cut].index, monthly.loc[:cut], daily=gapped.loc[:cut])
    long = trailing_vol(monthly.index, monthly, daily=gapped)
    _assert_prefix(short, long, cut, what="trailing_vol with a gap")
    monthly_only = trailing_vol(monthly.index, monthly)
    assert long.loc[cut, "A"] == monthly_only.loc[cut, "A"]  # stale daily value not used at t


def test_extra_csv_columns(sources, tmp_path) -> None:
    """A user's daily-dated CSV: its monthly (last value of the month) and daily (level) columns."""
    days = pd.bdate_range("1995-01-02", "2012-12-31")
    values = np.random.default_rng(5).normal(0, 1, len(days))
    later = days > CUT
    perturbed = np.where(later, values * np.random.default_rng(6).uniform(0.5, 1.5, len(days)), values)
    files = {}
    for kind, v, keep in (("cut", values, ~later), ("perturbed", perturbed, np.ones(len(days), bool)),
                          ("full", values, np.ones(len(days), bool))):
        path = tmp_path / kind / "signal.csv"
        path.parent.mkdir()
        pd.DataFrame({"date": days[keep].strftime("%Y-%m-%d"), "my_signal": v[keep]}).to_csv(path, index=False)
        files[kind] = path
    for frequency, start in (("monthly", "1995-01"), ("daily", "1995-01-02")):
        built = {kind: build_panel(sources[kind], frequency, start=start, extra_csv=[files[kind]]).frame["my_signal"]
                 for kind in files}
        _assert_prefix(built["cut"], built["perturbed"], what=f"extra_csv ({frequency})")
        assert built["cut"].loc[:CUT].notna().sum() > 100
        _assert_changed_after(built["perturbed"].loc[:"2012-12-31"], built["full"], what=f"extra_csv ({frequency})")


# ------------------------------------------------------------------------------------------------- analyses

#: For each registered analysis, parameters confining it to windows that end at t (an analysis summarizes a
#: window; what it computes for a window ending at t must not depend on anything after t). A new analysis
#: must be added here, or ``test_every_analysis_is_covered`` fails. (Only registered names are run: the
#: Moreira-Muir and Daniel-Moskowitz entries serve the branch where those studies are registered.)
_NO_PAPER_FIGURES = {"source": "none: this test compares two runs, not the paper", "figures": {}}
ANALYSIS_PARAMS: dict[str, Callable[[pd.Timestamp], dict]] = {
    "replicate_aliyev2025": lambda t: {"start": "2000-01", "end": t.strftime("%Y-%m"), "detectors": ["vix_threshold"]},
    "vol_managed_momentum": lambda t: {"periods": [["2000-01", t.strftime("%Y-%m")]]},
    "crisis_study": lambda t: {"windows": [{"name": "2008", "start": "2008-09-01", "end": str(t.date())}],
                               "detectors": [{"name": "vix_threshold"}]},
    "moreira_muir_2017": lambda t: {"start": "1995-01", "end": t.strftime("%Y-%m"), "bootstrap_reps": 20,
                                    "paper": _NO_PAPER_FIGURES},
    "daniel_moskowitz_2016": lambda t: {"end": t.strftime("%Y-%m"), "oos_start": "2003-06", "bootstrap_reps": 20,
                                        "paper": _NO_PAPER_FIGURES},  # out of sample once bear months exist
    "shu_yu_mulvey_2024": lambda t: {"bootstrap_reps": 20, "paper": _NO_PAPER_FIGURES},
}
#: Analyses that read the run's own strategies: the config (and overrides) of the comparison the test runs on
#: each input. Its decisions end in September 2008, so the last return (one-day delay) is dated before t:
#: the run on the perturbed inputs (changed after t) must give the same analysis outputs, every table entirely.
ANALYSIS_RUNS: dict[str, tuple] = {
    "shu_yu_mulvey_2024": (REPO / "configs" / "replications" / "shu_yu_mulvey_2024.yaml",
                           ("data.history_start=2001-01-02", "data.start=2006-01", "data.end=2008-09",
                            "evaluation.bootstrap_reps=20", "evaluation.spa_reps=20")),
}


def test_every_analysis_is_covered() -> None:
    assert set(ANALYSES.names()) <= set(ANALYSIS_PARAMS), set(ANALYSES.names()) - set(ANALYSIS_PARAMS)


@pytest.mark.parametrize("name", ANALYSES.names())
def test_analysis(name: str, sources, monkeypatch, tmp_path) -> None:
    """Every table and every value of the analysis: dated tables at dates <= t, the others entirely."""
    import matplotlib.pyplot as plt

    outputs = {}
    for kind, end in (("cut", CUT), ("perturbed", pd.Timestamp(LATER) + pd.offsets.MonthEnd(0))):
        monkeypatch.setenv("FACTOR_REGIMES_CACHE", str(tmp_path / kind))  # no regime path from a cache
        if name in ANALYSIS_RUNS:
            path, overrides = ANALYSIS_RUNS[name]
            config = load_config(path, overrides)
            result = run_study(build_study(config), sources[kind])
            context = AnalysisContext(config=config, source=sources[kind], panel=result.panel, result=result)
        else:
            config = load_config(_QUICKSTART, (f"data.end={end.strftime('%Y-%m')}",))
            panel = build_panel(sources[kind], "monthly", start="1990-01")
            context = AnalysisContext(config=config, source=sources[kind], panel=panel)
        outputs[kind] = run_analysis({"name": name, "params": ANALYSIS_PARAMS[name](CUT)}, context)
        plt.close("all")
    short, long = outputs["cut"], outputs["perturbed"]
    assert set(short.tables) == set(long.tables)
    for key, table in short.tables.items():
        if isinstance(table.index, pd.DatetimeIndex):
            _assert_prefix(table, long.tables[key], what=f"{name}: {key}")
        else:
            pd.testing.assert_frame_equal(table, long.tables[key], obj=f"{name}: {key}")
    assert json.dumps(short.data, sort_keys=True, default=str) == json.dumps(long.data, sort_keys=True, default=str)


# ---------------------------------------------------------------------------------------------- run_study


def test_run_study(sources) -> None:
    """A whole comparison: regime paths, forecasts, target weights and net returns of every strategy."""
    results = {}
    for kind, end in (("cut", str(CUT.date())[:7]), ("perturbed", LATER)):
        spec = StudySpec(detectors=(DetectorSpec.from_dict({"name": "vix_threshold"}),
                                    DetectorSpec.from_dict({"name": "jump", "params": _JUMP})),
                         forecasters=({"name": "ridge"}, {"name": "regime_conditioned"}),
                         allocators=({"name": "binary"}, {"name": "vol_target"}, {"name": "regime_tilt"}),
                         start="2003-01", end=end, regime_schedule=REGIME_SCHEDULE,
                         forecast_schedule=ForecastSchedule(refit_every=24, min_train=60),
                         bootstrap_reps=20, spa_reps=20, importance_repeats=0, regime_cache=None)
        results[kind] = run_study(spec, sources[kind])
    short, long = results["cut"], results["perturbed"]
    assert set(short.regimes) == set(long.regimes) and set(short.forecasts) == set(long.forecasts)
    assert set(short.backtests) == set(long.backtests) and len(short.backtests) >= 8
    for label, path in short.regimes.items():
        _assert_prefix(path.proba, long.regimes[label].proba, what=f"regimes {label}")
        _assert_prefix(path.next_proba, long.regimes[label].next_proba, what=f"next_proba {label}")
    for key, fc in short.forecasts.items():
        _assert_prefix(fc.frame["forecast"], long.forecasts[key].frame["forecast"], what=f"forecast {key}")
    for name, bt in short.backtests.items():
        other = long.backtests[name]
        _assert_prefix(bt.weights, other.weights, what=f"weights {name}")
        _assert_prefix(bt.turnover, other.turnover, what=f"turnover {name}")
        _assert_prefix(bt.returns, other.returns, what=f"returns {name}")
        assert bt.returns.loc[:CUT].notna().sum() > 24, name


def test_run_study_daily(sources) -> None:
    """A whole daily comparison (``data.frequency: daily``): schedules in calendar spans, the S&P 500 timed 0/1 by
    regime with a one-day trading delay, total returns with cash at the daily risk-free rate."""
    results = {}
    for kind, end in (("cut", str(CUT.date())), ("perturbed", LATER)):
        spec = StudySpec(assets=("sp500_ret",), features=("vix", "sp500_ret"), total_returns=True, frequency="daily",
                         detectors=(DetectorSpec.from_dict({"name": "vix_threshold"}),
                                    DetectorSpec.from_dict({"name": "jump", "params": _JUMP})),
                         forecasters=({"name": "ridge"}, {"name": "regime_conditioned"}),
                         allocators=({"name": "binary"}, {"name": "regime_switch"}, {"name": "vol_target"}),
                         history_start="2004-01-02", start="2006-06", end=end,
                         regime_schedule=Schedule(refit_every="1Y", min_history="2Y"),
                         forecast_schedule=ForecastSchedule(refit_every="1Y", min_train="2Y"), trading_delay=1,
                         bootstrap_reps=20, spa_reps=20, importance_repeats=0, regime_cache=None)
        results[kind] = run_study(spec, sources[kind])
    short, long = results["cut"], results["perturbed"]
    assert short.panel.frequency == "daily" and short.panel.periods_per_year == 252
    assert set(short.backtests) == set(long.backtests) and len(short.backtests) >= 6
    for label, path in short.regimes.items():
        assert len(long.regimes[label].refit_dates) > len(path.refit_dates)  # the long run refits after t
        _assert_prefix(path.proba, long.regimes[label].proba, what=f"daily regimes {label}")
        _assert_prefix(path.next_proba, long.regimes[label].next_proba, what=f"daily next_proba {label}")
    for key, fc in short.forecasts.items():
        _assert_prefix(fc.frame["forecast"], long.forecasts[key].frame["forecast"], what=f"daily forecast {key}")
    for name, bt in short.backtests.items():
        other = long.backtests[name]
        _assert_prefix(bt.weights, other.weights, what=f"daily weights {name}")
        _assert_prefix(bt.turnover, other.turnover, what=f"daily turnover {name}")
        _assert_prefix(bt.returns, other.returns, what=f"daily returns {name}")
        assert bt.returns.loc[:CUT].notna().sum() > 100, name  # 100+ trading days live before t
    # the perturbation reaches the run: after t the static position earns the perturbed index returns
    full = build_panel(sources["full"], "daily", start="2004-01-02").frame["sp500_ret"]
    _assert_changed_after(long.backtests["sp500_ret/static"].returns, full, what="daily static returns")
