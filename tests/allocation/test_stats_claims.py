"""The right test for each claim (issue 11, sections 2-5), each checked against an independent computation.

* Clark-West and Diebold-Mariano: hand-worked examples, and simulated nested / non-nested pairs whose
  answer is known (Clark & West 2007: DM is undersized for nested models, CW is not).
* Newey-West standard errors against statsmodels.
* The Ledoit & Wolf (2008) bootstrap against a direct, loop-by-loop implementation of the paper's
  algorithm on fixed data and seed, and its size on simulated data with equal Sharpe ratios.
* StepM and the Model Confidence Set equal ``arch``'s on a run's own return matrix.
* The Campbell-Thompson benchmark against a direct expanding mean, re-estimated at every date.
* The sweep-wide DSR trial count of ``runs best``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as st
from statsmodels.stats.sandwich_covariance import S_hac_simple

from allocation import forecast_eval as fe
from allocation import stats
from allocation.forecasting import ForecastResult
from allocation.multiple_testing import model_confidence_set, stepm

# --------------------------------------------------------------------------- Clark-West / Diebold-Mariano


def test_diebold_mariano_hand_worked() -> None:
    """Forecast a is perfect, b is 0: d = (y - b)^2 = 3, 1, 3, 1, ... Mean 2; with lag 0 the variance of d
    is 1, so t = 2 / sqrt(1 / 10) = 2 sqrt(10). With one Bartlett lag: the first autocovariance is
    (1/10) * 9 * (-1) = -0.9, weight 1/2, long-run variance 1 - 0.9 = 0.1, t = 2 / sqrt(0.1 / 10) = 20."""
    y = np.tile([np.sqrt(3.0), 1.0], 5)
    zero = np.zeros(10)
    lag0 = fe.diebold_mariano(y, y, zero, lags=0)
    assert lag0["stat"] == pytest.approx(2 * np.sqrt(10), rel=1e-12)
    assert lag0["p_value"] == pytest.approx(2 * st.norm.sf(2 * np.sqrt(10)), rel=1e-9)
    assert fe.diebold_mariano(y, y, zero, lags=1)["stat"] == pytest.approx(20.0, rel=1e-12)
    # the sign says which forecast is better; the two-sided p-value does not
    swapped = fe.diebold_mariano(y, zero, y, lags=1)
    assert swapped["stat"] == pytest.approx(-20.0, rel=1e-12)
    assert swapped["p_value"] == pytest.approx(fe.diebold_mariano(y, y, zero, lags=1)["p_value"])


def test_clark_west_hand_worked() -> None:
    """y = 1, 2, ..., 10, small model b = 0, large model f = y / 2: adj = y^2 - [(y/2)^2 - (y/2)^2] = y^2,
    mean 385 / 10 = 38.5, population variance 25333 / 10 - 38.5^2 = 1051.05, t = 38.5 / sqrt(105.105)."""
    y = np.arange(1.0, 11.0)
    f, b = y / 2, np.zeros(10)
    adj = y ** 2  # (y - b)^2 - ((y - f)^2 - (b - f)^2) = y^2 - (y^2/4 - y^2/4)
    mean = 385.0 / 10  # sum of squares 1..10
    var = np.sum(y ** 4) / 10 - mean ** 2  # 25333 / 10 - 1482.25 = 1051.05
    assert var == pytest.approx(1051.05)
    t = mean / np.sqrt(var / 10)
    res = fe.clark_west(y, f, b, lags=0)
    assert res["stat"] == pytest.approx(t, rel=1e-12)
    assert res["p_value"] == pytest.approx(st.norm.sf(t), rel=1e-9)  # one-sided
    assert np.allclose(adj, (y - b) ** 2 - ((y - f) ** 2 - (b - f) ** 2))


def test_newey_west_standard_errors_equal_statsmodels() -> None:
    rng = np.random.default_rng(11)
    e = rng.normal(size=301)
    d = 0.1 + e[1:] + 0.6 * e[:-1]  # MA(1): autocorrelated loss differences
    for lags in (0, 1, 4, 8):
        ols = sm.OLS(d, np.ones(len(d))).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
        assert fe._hac_t(d, lags) == pytest.approx(float(ols.tvalues[0]), rel=1e-10)
    y = rng.normal(size=(250, 4)) + rng.normal(size=(250, 1))
    assert stats._hac_cov(y, 5) == pytest.approx(S_hac_simple(y - y.mean(axis=0), nlags=5) / len(y), rel=1e-10)
    # the Sharpe-difference HAC standard error: delta method with statsmodels' long-run covariance
    a, b = rng.normal(0.01, 0.04, 250), rng.normal(0.005, 0.05, 250)
    res = stats.sharpe_difference_test(a, b, lags=3)
    mu, g = np.array([a.mean(), b.mean()]), np.array([(a ** 2).mean(), (b ** 2).mean()])
    v = g - mu ** 2
    grad = np.array([g[0] / v[0] ** 1.5, -g[1] / v[1] ** 1.5, -mu[0] / (2 * v[0] ** 1.5), mu[1] / (2 * v[1] ** 1.5)])
    mom = np.column_stack([a, b, a ** 2, b ** 2])
    psi = S_hac_simple(mom - mom.mean(axis=0), nlags=3) / len(a)
    assert res["se"] == pytest.approx(np.sqrt(grad @ psi @ grad / len(a)), rel=1e-10)
    assert res["diff"] == pytest.approx(mu[0] / np.sqrt(v[0]) - mu[1] / np.sqrt(v[1]), rel=1e-12)


def _recursive_nested(beta: float, seed: int, r: int = 120, p: int = 240):
    """y_{t+1} = beta x_t + e with x an AR(1); at each t a recursive OLS of y on [1, x] (the large model) and
    the expanding mean (the small, nested model), both fit on the pairs realized by t (cumulative sums)."""
    g = np.random.default_rng(seed)
    n = r + p + 1
    e = g.normal(size=n)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = 0.5 * x[t - 1] + e[t]
    y = beta * x[:-1] + g.normal(size=n - 1)  # y[t] is the target of x[t], realized at t+1
    cn = np.arange(1, n)
    sx, sy, sxx, sxy = np.cumsum(x[:-1]), np.cumsum(y), np.cumsum(x[:-1] ** 2), np.cumsum(x[:-1] * y)
    t = np.arange(r, r + p)  # decision dates; pairs u < t are realized
    k = t - 1  # index of the last realized pair
    slope = (sxy[k] - sx[k] * sy[k] / cn[k]) / (sxx[k] - sx[k] ** 2 / cn[k])
    intercept = sy[k] / cn[k] - slope * sx[k] / cn[k]
    return y[t], intercept + slope * x[t], sy[k] / cn[k]


def test_nested_pairs_clark_west_is_sized_and_diebold_mariano_undersized() -> None:
    """Under the null (beta = 0) the large model only adds estimation noise: CW rejects at about 5 %, the
    one-sided DM almost never (Clark & West 2007, Table 2). Under the alternative CW has more power."""
    n_sim = 200
    cw0 = dm0 = cw1 = dm1 = 0
    for seed in range(n_sim):
        y, f, b = _recursive_nested(0.0, seed)
        cw0 += fe.clark_west(y, f, b)["p_value"] < 0.05
        dm0 += fe.diebold_mariano(y, f, b)["stat"] > st.norm.ppf(0.95)
        y, f, b = _recursive_nested(0.15, 1000 + seed)
        cw1 += fe.clark_west(y, f, b)["p_value"] < 0.05
        dm1 += fe.diebold_mariano(y, f, b)["stat"] > st.norm.ppf(0.95)
    assert 0.02 <= cw0 / n_sim <= 0.09
    assert 0.0 <= dm0 / n_sim <= 0.02
    assert 0.55 <= cw1 / n_sim <= 0.95 and dm1 < cw1


def test_non_nested_pairs_diebold_mariano_sized_and_powerful() -> None:
    """Two non-nested forecasts of y = s + e, each s plus its own noise: equal noise -> DM rejects about 5 %
    (two-sided); the noisier one -> DM rejects in favour of the other."""
    n_sim, n = 400, 240
    null = alt = wrong_sign = 0
    for seed in range(n_sim):
        g = np.random.default_rng(seed)
        s = g.normal(size=n)
        y = s + g.normal(size=n)
        a, b = s + g.normal(size=n), s + g.normal(size=n)
        null += fe.diebold_mariano(y, a, b)["p_value"] < 0.05
        res = fe.diebold_mariano(y, s + 0.5 * g.normal(size=n), s + 1.2 * g.normal(size=n))
        alt += res["p_value"] < 0.05 and res["stat"] > 0
        wrong_sign += res["stat"] < 0
    assert 0.02 <= null / n_sim <= 0.09
    assert alt / n_sim >= 0.9 and wrong_sign / n_sim <= 0.02


def test_compare_picks_the_test_from_nesting() -> None:
    rng = np.random.default_rng(3)
    y, f, b = rng.normal(size=100), rng.normal(size=100), rng.normal(size=100)
    nested, non = fe.compare(y, f, b, nested=True), fe.compare(y, f, b, nested=False)
    assert (nested["test"], nested["alternative"]) == ("clark_west", "one-sided")
    assert (non["test"], non["alternative"]) == ("diebold_mariano", "two-sided")
    assert nested["stat"] == fe.clark_west(y, f, b)["stat"] and non["stat"] == fe.diebold_mariano(y, f, b)["stat"]
    assert nested["oos_r2"] == pytest.approx(1 - np.sum((y - f) ** 2) / np.sum((y - b) ** 2))


def _fake(target: str, label: str, forecaster: str, regime: str, base: str | None) -> ForecastResult:
    return ForecastResult(name=label, target=target, frame=pd.DataFrame(),
                          info={"forecaster": forecaster, "regime_model": regime, "base": base})


def test_forecast_comparisons_follow_the_nesting_rule() -> None:
    from experiments.study import forecast_comparisons
    models = [("historical_mean", "historical_mean", "none", None), ("ridge", "ridge", "none", None),
              ("lasso", "lasso", "none", None),
              ("regime_conditioned[ridge]@hmm", "regime_conditioned[ridge]", "hmm", "ridge"),
              ("per_regime[ridge]@hmm", "per_regime[ridge]", "hmm", "ridge"),
              ("per_regime[ridge]@jump", "per_regime[ridge]", "jump", "ridge")]
    forecasts = {("UMD", m[0]): _fake("UMD", *m) for m in models}
    rows = {(m, b): (nested, reason) for _, m, b, nested, reason in forecast_comparisons(forecasts)}
    for m, *_ in models[1:]:
        assert rows[(m, "historical_mean")][0] is True  # every model nests the historical mean
    for m in ("regime_conditioned[ridge]@hmm", "per_regime[ridge]@hmm", "per_regime[ridge]@jump"):
        assert rows[(m, "ridge")][0] is True and "ridge" in rows[(m, "ridge")][1]
    assert rows[("ridge", "lasso")][0] is False  # different models on the same features
    assert rows[("regime_conditioned[ridge]@hmm", "per_regime[ridge]@hmm")][0] is False
    assert ("per_regime[ridge]@hmm", "per_regime[ridge]@jump") not in rows  # not compared
    assert len(rows) == 5 + 3 + 1 + 1


# --------------------------------------------------------------------------- Campbell-Thompson benchmark


def test_campbell_thompson_mean_is_re_estimated_at_every_date_from_realized_targets() -> None:
    idx = pd.date_range("2000-01-31", periods=40, freq="ME")
    rng = np.random.default_rng(5)
    target = pd.Series(rng.normal(0.01, 0.05, 40), index=idx)
    target.iloc[[3, 17]] = np.nan  # missing targets are skipped, never 0
    target.iloc[-1] = np.nan  # the last target is not realized yet
    dates = idx[10:]
    got = fe.expanding_mean_forecast(target, dates, min_periods=12)
    for t in dates:
        past = target[target.index < t].dropna()  # target[u] realized at u+1 <= t
        expected = past.mean() if len(past) >= 12 else np.nan
        assert got[t] == pytest.approx(expected, rel=1e-12, nan_ok=True)
    # a new estimate at every date where a target was realized since the last one, not once a year
    moved = got.diff().abs() > 0
    newly_realized = target.shift(1).reindex(dates).notna()
    assert (moved == newly_realized)[got.shift(1).notna()].all()
    # prefix invariance: perturbing targets dated t or later changes nothing at t
    cut = dates[15]
    perturbed = target.copy()
    perturbed[perturbed.index >= cut] += 9.0
    pd.testing.assert_series_equal(fe.expanding_mean_forecast(perturbed, dates, 12)[:cut], got[:cut])


# --------------------------------------------------------------------------- Ledoit-Wolf bootstrap


def _lw_paper(a: np.ndarray, b: np.ndarray, block: int, reps: int, seed: int, lags: int) -> float:
    """Ledoit & Wolf (2008), Section 3.2 / their ``boot.time.inference``, written loop by loop."""
    from arch.bootstrap import CircularBlockBootstrap

    n = len(a)

    def diff(r1, r2):
        return r1.mean() / np.sqrt((r1 ** 2).mean() - r1.mean() ** 2) - \
            r2.mean() / np.sqrt((r2 ** 2).mean() - r2.mean() ** 2)

    def gradient(r1, r2):
        m1, m2, g1, g2 = r1.mean(), r2.mean(), (r1 ** 2).mean(), (r2 ** 2).mean()
        return np.array([g1 / (g1 - m1 ** 2) ** 1.5, -g2 / (g2 - m2 ** 2) ** 1.5,
                         -0.5 * m1 / (g1 - m1 ** 2) ** 1.5, 0.5 * m2 / (g2 - m2 ** 2) ** 1.5])

    mom = np.column_stack([a, b, a ** 2, b ** 2])
    psi = S_hac_simple(mom - mom.mean(axis=0), nlags=lags) / n  # HAC in the original sample
    grad = gradient(a, b)
    d_hat = diff(a, b)
    d = abs(d_hat) / np.sqrt(grad @ psi @ grad / n)
    n_blocks = n // block
    count = 0
    bs = CircularBlockBootstrap(block, np.arange(n), seed=np.random.default_rng(seed))
    for pos, _ in bs.bootstrap(reps):
        i = pos[0]
        r1, r2 = a[i], b[i]
        y = np.column_stack([r1 - r1.mean(), r2 - r2.mean(), r1 ** 2 - (r1 ** 2).mean(), r2 ** 2 - (r2 ** 2).mean()])
        psi_star = np.zeros((4, 4))
        for j in range(n_blocks):
            zeta = np.sqrt(block) * y[j * block:(j + 1) * block].mean(axis=0)
            psi_star += np.outer(zeta, zeta)
        psi_star /= n_blocks
        g = gradient(r1, r2)
        se_star = np.sqrt(g @ psi_star @ g / n)
        count += abs(diff(r1, r2) - d_hat) / se_star >= d
    return (count + 1) / (reps + 1)


def test_ledoit_wolf_bootstrap_equals_the_papers_algorithm() -> None:
    rng = np.random.default_rng(21)
    common = rng.normal(0, 0.04, 180)
    a = 0.010 + common + rng.normal(0, 0.02, 180)
    b = 0.002 + 0.8 * common + rng.normal(0, 0.03, 180)
    lags = stats.newey_west_lags(180)
    for block, seed in ((4, 3), (7, 11)):
        res = stats.sharpe_difference_bootstrap(a, b, block=block, reps=299, seed=seed)
        assert res["p_value"] == pytest.approx(_lw_paper(a, b, block, 299, seed, lags), abs=1e-12)
        assert res["block"] == block and 0.05 < res["p_value"] < 0.5
    # the same seed gives the same p-value; the default block is the documented rule
    assert stats.sharpe_difference_bootstrap(a, b, reps=99, seed=1) == stats.sharpe_difference_bootstrap(a, b, reps=99,
                                                                                                         seed=1)
    assert 2 <= stats.sharpe_difference_bootstrap(a, b, reps=99)["block"] <= 18


def test_ledoit_wolf_bootstrap_size_and_power() -> None:
    """Equal Sharpe ratios (correlated pairs): rejection at 5 % near nominal; a real difference is found."""
    n_sim, rejections = 150, 0
    for seed in range(n_sim):
        g = np.random.default_rng(500 + seed)
        x = g.normal(0.005, 0.04, 240)
        y = 0.5 * x + g.normal(0.0025, 0.04 * np.sqrt(0.75), 240)  # same Sharpe as x, correlation 0.5
        rejections += stats.sharpe_difference_bootstrap(x, y, reps=199, seed=seed)["p_value"] < 0.05
    assert 0.01 <= rejections / n_sim <= 0.10
    g = np.random.default_rng(9)
    common = g.normal(0, 0.04, 300)
    strong = stats.sharpe_difference_bootstrap(common + 0.01 + g.normal(0, 0.01, 300), common + g.normal(0, 0.01, 300),
                                               reps=499)
    assert strong["p_value"] < 0.01 and strong["diff"] > 0


def test_ledoit_wolf_bootstrap_degenerate_inputs() -> None:
    x = np.random.default_rng(0).normal(0.01, 0.04, 120)
    same = stats.sharpe_difference_bootstrap(x, x, reps=99)
    assert same["diff"] == 0 and same["p_value"] == 1.0
    assert np.isnan(stats.sharpe_difference_bootstrap(x[:10], x[:10] * 2, reps=99)["p_value"])  # too short


# --------------------------------------------------------------------------- StepM, MCS and a run


@pytest.fixture(scope="module")
def small_study(local_source):
    """A small study on the real data (one detector, three forecasters, two allocators)."""
    from experiments.study import StudySpec, run_study
    from regimes.specs import DetectorSpec
    spec = StudySpec(assets=("UMD", "HML"), features=("UMD", "HML", "vix"),
                     detectors=(DetectorSpec.from_dict({"name": "vix_threshold"}),),
                     forecasters=({"name": "ridge", "params": {"param_grid": {"alpha": [1.0, 100.0]}}},
                                  {"name": "regime_conditioned"}, {"name": "per_regime"}),
                     allocators=({"name": "binary"}, {"name": "vol_target", "params": {"target_vol": 0.12}}),
                     start="2000-01", end="2015-12", bootstrap_reps=200, spa_reps=200, importance_repeats=0)
    return run_study(spec, local_source)


def test_stepm_and_mcs_equal_arch_on_the_runs_return_matrix(small_study) -> None:
    from arch.bootstrap import MCS, StepM
    res = small_study
    returns = res.returns
    block = max(2, round(len(returns) ** (1 / 3)))
    for bench in ("UMD/static", "HML/static"):
        group = [s for s in res.metrics.index if res.metrics.loc[s, "target"] == bench.split("/")[0] and s != bench]
        distinct = returns[group].T.drop_duplicates().T.columns.tolist()
        distinct = [c for c in distinct if not returns[c].equals(returns[bench])]
        ref = StepM(-returns[bench], -returns[distinct], size=0.05, block_size=block, reps=200,
                    bootstrap="stationary", studentize=True, seed=np.random.default_rng(0))
        ref.compute()
        expected = set(ref.superior_models)
        expected |= {m for rep in list(expected) for m in res.stepm[bench]["identical"].get(rep, [])}
        assert set(res.stepm[bench]["superior"]) == expected
        cols = [c for c in [bench, *group] if c in [bench, *distinct]]
        mcs = MCS(-returns[cols], size=0.10, reps=200, block_size=block, method="R", bootstrap="stationary",
                  seed=np.random.default_rng(0))
        mcs.compute()
        for c in cols:
            assert res.mcs[bench]["pvalues"][c] == pytest.approx(float(mcs.pvalues.loc[c, "Pvalue"]), abs=0)
        groups = res.mcs[bench]["identical"]
        assert set(res.mcs[bench]["included"]) == set(mcs.included) | {m for rep in mcs.included
                                                                       for m in groups.get(rep, [])}
        assert 0 <= min(res.mcs[bench]["pvalues"].values()) and max(res.mcs[bench]["pvalues"].values()) <= 1


def test_identical_strategies_are_one_hypothesis() -> None:
    """A duplicated column changes neither StepM nor MCS; the duplicate shares the outcome."""
    g = np.random.default_rng(8)
    bench = pd.Series(g.normal(0.004, 0.04, 240), name="static")
    models = pd.DataFrame({f"s{i}": bench + g.normal(0, 0.01, 240) for i in range(4)})
    models["s0"] += 0.012
    dup = models.assign(s0_copy=models["s0"], same_as_static=bench)
    base, with_dup = stepm(bench, models, reps=300), stepm(bench, dup, reps=300)
    assert base["superior"] == ["s0"] and with_dup["superior"] == ["s0", "s0_copy"]
    assert with_dup["identical"] == {"s0": ["s0", "s0_copy"], "__benchmark__": ["same_as_static"]}
    m1 = model_confidence_set(pd.concat([bench, models], axis=1), reps=300)
    m2 = model_confidence_set(pd.concat([bench, dup.drop(columns="same_as_static")], axis=1), reps=300)
    assert m2["pvalues"]["s0_copy"] == m2["pvalues"]["s0"] == m1["pvalues"]["s0"]
    assert set(m2["included"]) == set(m1["included"]) | {"s0_copy"}


def test_study_forecast_metrics_and_statistics(small_study, tmp_path) -> None:
    res = small_study
    fm = res.forecast_metrics
    assert set(fm.loc[fm["nested"], "test"]) == {"clark_west"} and set(fm.loc[~fm["nested"], "test"]) == {
        "diebold_mariano"}
    assert fm["test_reason"].str.len().min() > 20 and fm["p_value"].between(0, 1).all()
    # the Campbell-Thompson benchmark of the run: the mean of every target realized by t, at every date
    target = res.panel.forward_returns(["UMD"])["UMD"]
    bench = res.forecasts[("UMD", "historical_mean")].frame["forecast"].dropna()
    for t in bench.index[::17]:
        assert bench[t] == pytest.approx(target[target.index < t].dropna().mean(), rel=1e-12)
    assert bench.nunique() == len(bench)
    # a row's oos_r2 and Clark-West statistic, recomputed from the run's own forecasts on the decision dates
    # whose holding month is in the evaluation window
    row = fm[(fm["target"] == "UMD") & (fm["model"] == "ridge") & (fm["benchmark"] == "historical_mean")].iloc[0]
    frame = res.forecasts[("UMD", "ridge")].frame
    months = res.panel.frame.index
    nxt = pd.Series(months[1:], index=months[:-1]).reindex(frame.index)
    decision = nxt[nxt.isin(res.returns.index)].index
    f = frame.reindex(decision).assign(b=bench.reindex(decision)).dropna()
    assert row["n"] == len(f)
    assert row["oos_r2"] == pytest.approx(1 - ((f["realized"] - f["forecast"]) ** 2).sum()
                                          / ((f["realized"] - f["b"]) ** 2).sum(), rel=1e-10)
    adj = (f["realized"] - f["b"]) ** 2 - ((f["realized"] - f["forecast"]) ** 2 - (f["b"] - f["forecast"]) ** 2)
    ols = sm.OLS(adj.to_numpy(), np.ones(len(adj))).fit(
        cov_type="HAC", cov_kwds={"maxlags": int(4 * (len(adj) / 100) ** (2 / 9)), "use_correction": False})
    assert row["stat"] == pytest.approx(float(ols.tvalues[0]), rel=1e-9)
    # metrics: the default Sharpe test is the bootstrap; the HAC version is kept beside it
    m = res.metrics.drop(index=["UMD/static", "HML/static"])
    assert m["sharpe_diff_p"].between(0, 1).all() and m["sharpe_diff_p_hac"].between(0, 1).all()
    assert (m["sharpe_diff_block"] >= 2).all()
    from experiments.rundir import write_tables
    write_tables(res, tmp_path)
    saved = json.loads((tmp_path / "statistics.json").read_text())
    assert set(saved["stepm"]) == set(saved["mcs"]) == {"UMD/static", "HML/static"}
    assert {"stepm", "mcs", "sharpe_diff_p", "sharpe_diff_p_hac"} <= set(saved["methods"])
    from experiments.report import multiple_testing_table
    table = multiple_testing_table(res)
    assert list(table.index) == ["HML/static", "UMD/static"] and "stepm_superior" in table.columns


# --------------------------------------------------------------------------- sweep-wide DSR trials


def _record(catalog, name: str, window: tuple[str, str], sharpes: dict[str, float], n: int = 180,
            periods_per_year: int | None = 12, return_dates: pd.DatetimeIndex | None = None) -> None:
    """A finished run in ``catalog``; ``periods_per_year=None`` is a run from before manifests recorded it
    (with ``return_dates``, its returns.csv holds those dates)."""
    metrics = pd.DataFrame({"sharpe": sharpes, "dsr": 0.5, "n_periods": n})
    metrics.index.name = "strategy"
    manifest = {"config_hash": name * 3, "name": name, "started": "s", "finished": name, "source": "local"}
    if periods_per_year is not None:
        manifest["periods_per_year"] = periods_per_year
    run_dir = catalog.path.parent / name  # a record counts as done only when its directory's manifest agrees
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    if return_dates is not None:
        pd.DataFrame({s: 0.0 for s in sharpes}, index=return_dates.rename("date")).to_csv(run_dir / "returns.csv")
    catalog.record_values(run_dir, manifest, metrics, window)


def test_dsr_trials_use_each_runs_own_periods_per_year(tmp_path) -> None:
    """Weekly runs annualize with sqrt(52): recorded in the manifest, or inferred from the dates of an older
    run's returns.csv; runs of another frequency are other trials."""
    from experiments.catalog import Catalog
    from experiments.cli.runs import deflate_across_trials
    cat = Catalog(tmp_path)
    w = ("2005-01-07", "2020-12-25")
    _record(cat, "a", w, {"UMD/static": 0.30, "UMD/binary/x": 0.55}, n=800, periods_per_year=52)
    _record(cat, "b", w, {"UMD/binary/y": 0.80}, n=800, periods_per_year=None,
            return_dates=pd.date_range("2005-01-07", periods=800, freq="W-FRI"))
    _record(cat, "c", w, {"UMD/binary/z": 0.90}, n=800)  # monthly: not a trial of the weekly runs
    trials = cat.trials().set_index("strategy")
    assert trials["periods_per_year"].to_dict() == {"UMD/static": 52, "UMD/binary/x": 52, "UMD/binary/y": 52,
                                                    "UMD/binary/z": 12}
    assert trials.loc["UMD/binary/x", "n_trials"] == 3 and trials.loc["UMD/binary/z", "n_trials"] == 1
    out = deflate_across_trials(trials.reset_index()).set_index("strategy")
    sr = np.array([0.30, 0.55, 0.80]) / np.sqrt(52)
    v = sr.var(ddof=1)
    gamma = 0.5772156649015329
    e_max = np.sqrt(v) * ((1 - gamma) * st.norm.ppf(1 - 1 / 3) + gamma * st.norm.ppf(1 - 1 / (3 * np.e)))
    assert out.loc["UMD/binary/y", "expected_max_sharpe"] == pytest.approx(e_max * np.sqrt(52), rel=1e-10)
    best = 0.80 / np.sqrt(52)
    dsr = st.norm.cdf((best - e_max) * np.sqrt(799) / np.sqrt(1 + best ** 2 / 2))
    assert out.loc["UMD/binary/y", "dsr_trials"] == pytest.approx(dsr, rel=1e-10)


def test_periods_per_year_is_inferred_from_dates() -> None:
    from regimes.panel import infer_periods_per_year
    assert infer_periods_per_year(pd.date_range("2000-01-31", periods=30, freq="ME")) == 12
    assert infer_periods_per_year(pd.bdate_range("2000-01-03", periods=30)) == 252
    assert infer_periods_per_year(pd.date_range("2000-01-07", periods=30, freq="W-FRI")) == 52
    assert infer_periods_per_year(pd.date_range("2000-03-31", periods=8, freq="QE")) == 4
    with pytest.raises(Exception, match="periods per year"):
        infer_periods_per_year(["2000-01-31"])


def test_dsr_trial_count_spans_the_sweep_for_the_same_target_and_window(tmp_path) -> None:
    from experiments.catalog import Catalog
    from experiments.cli.runs import deflate_across_trials
    from tests.experiments.test_cli import run_cli
    cat = Catalog(tmp_path)
    w = ("2005-02-28", "2020-12-31")
    _record(cat, "a", w, {"UMD/static": 0.30, "UMD/binary/x": 0.55, "HML/static": 0.10, "HML/binary/x": 0.2})
    _record(cat, "b", w, {"UMD/static": 0.30, "UMD/binary/y": 0.80, "UMD/vol_target": 0.62, "HML/static": 0.10})
    _record(cat, "c", ("2010-01-31", "2020-12-31"), {"UMD/static": 0.41, "UMD/binary/x": 0.5})
    trials = cat.trials()
    umd = trials[(trials["target"] == "UMD") & (trials["window_start"] == w[0])]
    assert sorted(umd["strategy"]) == ["UMD/binary/x", "UMD/binary/y", "UMD/static", "UMD/vol_target"]
    assert set(umd["n_trials"]) == {4}  # static of both runs is one trial
    assert set(trials.loc[trials["target"] == "HML", "n_trials"]) == {2}
    assert set(trials.loc[trials["window_start"] == "2010-01-31", "n_trials"]) == {2}
    out = deflate_across_trials(trials).set_index(["target", "window_start", "strategy"])
    sr = np.array([0.30, 0.55, 0.80, 0.62]) / np.sqrt(12)
    v = sr.var(ddof=1)
    gamma = 0.5772156649015329
    e_max = np.sqrt(v) * ((1 - gamma) * st.norm.ppf(1 - 1 / 4) + gamma * st.norm.ppf(1 - 1 / (4 * np.e)))
    best = 0.80 / np.sqrt(12)
    dsr = st.norm.cdf((best - e_max) * np.sqrt(179) / np.sqrt(1 + best ** 2 / 2))  # normal returns: kurtosis 3
    assert out.loc[("UMD", w[0], "UMD/binary/y"), "dsr_trials"] == pytest.approx(dsr, rel=1e-10)
    assert out.loc[("UMD", w[0], "UMD/binary/y"), "expected_max_sharpe"] == pytest.approx(e_max * np.sqrt(12))
    shown = run_cli("runs", "best", "--runs-dir", str(tmp_path), "--top", "3")
    text = " ".join(shown.stdout.split())
    assert shown.returncode == 0, shown.stderr
    assert "DSR trials: the strategies tried across the catalog for the same target and evaluation window" in text
    assert "UMD/binary/y" in text
