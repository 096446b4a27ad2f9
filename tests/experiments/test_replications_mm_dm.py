"""Moreira & Muir (2017) and Daniel & Moskowitz (2016): headline figures against independent recomputations.

Every recomputation here reads the raw Ken French files with its own parser (plain Python and pandas) and
computes the figures with numpy, statsmodels and arch directly, never through the analyses' code path.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from arch import arch_model

from experiments.analyses import AnalysisContext, dm_model, render_section
from experiments.analyses.daniel_moskowitz import daniel_moskowitz_2016
from experiments.analyses.moreira_muir import moreira_muir_2017
from experiments.analyses.scoreboard import ROW_KEYS, check_paper_spec, scoreboard_rows
from experiments.config import load_config
from plumbing.errors import FactorRegimesError
from regimes.panel import build_panel
from tests import REPO

CONFIGS = REPO / "configs" / "replications"


# ----------------------------------------------------------------------------------------------- raw data
def raw_french(path: Path) -> pd.DataFrame:
    """The first block of a Ken French CSV, in decimals: rows after the first line starting with ','."""
    lines = path.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(","))
    columns = [c.strip() for c in lines[header].split(",")[1:]]
    dates, rows = [], []
    for line in lines[header + 1:]:
        if not re.match(r"^\s*\d{6,8},", line):
            break
        fields = [f.strip() for f in line.split(",")]
        dates.append(fields[0])
        rows.append([float(v) for v in fields[1:]])
    fmt = "%Y%m%d" if len(dates[0]) == 8 else "%Y%m"
    index = pd.to_datetime(dates, format=fmt)
    if fmt == "%Y%m":
        index = index + pd.offsets.MonthEnd(0)
    return pd.DataFrame(np.array(rows) / 100.0, index=index, columns=columns)


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> dict[str, pd.DataFrame]:
    return {"ff3": raw_french(shared_data / "F-F_Research_Data_Factors.CSV"),
            "ff3_d": raw_french(shared_data / "F-F_Research_Data_Factors_daily.CSV"),
            "mom": raw_french(shared_data / "F-F_Momentum_Factor.CSV"),
            "mom_d": raw_french(shared_data / "F-F_Momentum_Factor_daily.CSV")}


@pytest.fixture(scope="module")
def context(local_source) -> AnalysisContext:
    panel = build_panel(local_source, "monthly", start="1926-07")
    return AnalysisContext({"evaluation": {"seed": 0, "bootstrap_reps": 99}}, local_source, panel)


def config_params(name: str) -> dict:
    data = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    return data["analyses"][0]["params"]


def assert_scoreboard(rows: list[dict], study: str, figures: dict) -> None:
    """Rows complete, one per banded figure, ``within`` exactly the band test, outside rows flagged."""
    assert [r["figure"] for r in rows] == list(figures)
    for r in rows:
        assert tuple(r) == ROW_KEYS and r["study"] == study
        spec = figures[r["figure"]]
        assert (r["paper"], [r["band_low"], r["band_high"]]) == (spec["paper"], spec["band"])
        assert r["value"] is not None and np.isfinite(r["value"])
        assert r["within"] == (spec["band"][0] <= r["value"] <= spec["band"][1])
        assert r["note"].startswith("OUTSIDE") == (not r["within"])


# --------------------------------------------------------------------------------------- Moreira & Muir
def mm_independent(monthly: pd.Series, daily: pd.Series, calendar: pd.DatetimeIndex, start: str, end: str) -> dict:
    """Table I figures of one factor, from scratch."""
    on_calendar = daily.reindex(calendar)
    by_month = on_calendar.groupby([calendar.year, calendar.month])
    rv = {}
    for (y, m), values in by_month:
        if values.notna().all():
            rv[pd.Timestamp(y, m, 1) + pd.offsets.MonthEnd(0)] = float(np.sum(values.to_numpy() ** 2))
    f = monthly.loc[start:end]
    prev = [(t - pd.offsets.MonthEnd(1)) for t in f.index]
    keep = [p in rv for p in prev]
    f = f[keep]
    rv_prev = np.array([rv[p] for p, k in zip(prev, keep) if k])
    x = f.to_numpy()
    raw_managed = x / rv_prev
    c = x.std(ddof=1) / raw_managed.std(ddof=1)
    y = c * raw_managed
    n = len(x)
    X = np.column_stack([np.ones(n), x])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ beta
    s2 = e @ e / (n - 2)
    xtx_inv = np.linalg.inv(X.T @ X)
    lags = int(np.floor(4 * (n / 100) ** (2 / 9)))
    u = X * e[:, None]
    S = u.T @ u
    for lag in range(1, lags + 1):
        g = u[lag:].T @ u[:-lag]
        S += (1 - lag / (lags + 1)) * (g + g.T)
    hac = xtx_inv @ S @ xtx_inv
    return {"sharpe_managed": y.mean() / y.std(ddof=1) * np.sqrt(12),
            "sharpe_unmanaged": x.mean() / x.std(ddof=1) * np.sqrt(12),
            "alpha_annual_pct": 1200 * beta[0], "appraisal_ratio": np.sqrt(12) * beta[0] / np.sqrt(s2),
            "r2": 1 - e @ e / np.sum((y - y.mean()) ** 2), "months": n,
            "alpha_se_ols_pct": 1200 * np.sqrt(s2 * xtx_inv[0, 0]), "alpha_se_hac_pct": 1200 * np.sqrt(hac[0, 0]),
            "first_month": f"{f.index[0]:%Y-%m}"}


@pytest.fixture(scope="module")
def mm_output(context):
    return moreira_muir_2017(context, **config_params("moreira_muir_2017"))


def test_moreira_muir_table1_equals_independent_computation(mm_output, raw) -> None:
    calendar = raw["ff3_d"].index
    cases = {"Mkt-RF": (raw["ff3"]["Mkt-RF"], raw["ff3_d"]["Mkt-RF"]), "SMB": (raw["ff3"]["SMB"], raw["ff3_d"]["SMB"]),
             "HML": (raw["ff3"]["HML"], raw["ff3_d"]["HML"]), "UMD": (raw["mom"]["Mom"], raw["mom_d"]["Mom"])}
    assert set(mm_output.data["factors"]) == set(cases)
    for factor, (monthly, daily) in cases.items():
        want = mm_independent(monthly, daily, calendar, "1926-07", "2015-12")
        got = mm_output.data["factors"][factor]
        for key, value in want.items():
            if isinstance(value, str):
                assert got[key] == value, (factor, key)
            else:
                assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-10), (factor, key)
    market = mm_output.data["factors"]["Mkt-RF"]
    assert market["months"] == 1073 and market["first_month"] == "1926-08"
    # HAC standard errors differ from OLS ones (the small-sample correction is not applied by either side)
    assert market["alpha_se_hac_pct"] != pytest.approx(market["alpha_se_ols_pct"], rel=1e-3)


def test_moreira_muir_rmw_cma_reported_not_covered(mm_output) -> None:
    assert set(mm_output.data["not_covered"]) == {"RMW", "CMA"}
    assert all("daily" in reason for reason in mm_output.data["not_covered"].values())
    assert "Not covered: RMW" in render_section("moreira_muir_2017", mm_output)


def test_moreira_muir_scoreboard_rows(mm_output) -> None:
    figures = config_params("moreira_muir_2017")["paper"]["figures"]["Mkt-RF"]
    assert list(figures) == ["sharpe_managed", "sharpe_unmanaged", "alpha_annual_pct", "appraisal_ratio", "r2",
                             "months", "sharpe_diff_p", "dsr_managed"]
    rows = mm_output.data["scoreboard"]
    assert_scoreboard(rows, "moreira_muir_2017", figures)
    market = mm_output.data["factors"]["Mkt-RF"]
    assert {r["figure"]: r["value"] for r in rows} == {k: pytest.approx(float(market[k]), abs=0) for k in figures}


def test_moreira_muir_statistics_reuse_framework(mm_output) -> None:
    from allocation.stats import probabilistic_sharpe, sharpe_difference_bootstrap
    series = mm_output.tables["moreira_muir_2017_series"]
    managed, unmanaged = series["Mkt-RF:managed"].dropna(), series["Mkt-RF:unmanaged"].dropna()
    stats = mm_output.data["factors"]["Mkt-RF"]["statistics"]
    boot = sharpe_difference_bootstrap(managed, unmanaged, reps=99, seed=0)
    assert stats["managed"]["sharpe_diff_p"] == pytest.approx(boot["p_value"], abs=0)
    assert stats["managed"]["psr"] == pytest.approx(probabilistic_sharpe(managed), abs=1e-12)
    assert stats["managed"]["sharpe_ci_low"] < stats["managed"]["sharpe_ci_high"]


def test_moreira_muir_weights_are_prefix_invariant(raw) -> None:
    """The weight over month t, up to the full-sample constant c, uses daily data to the end of t-1 only."""
    from experiments.analyses.moreira_muir import (
        managed_factor,
        monthly_realized_variance,
    )
    calendar, daily, monthly = raw["ff3_d"].index, raw["ff3_d"]["Mkt-RF"], raw["ff3"]["Mkt-RF"]
    cut = pd.Timestamp("1990-06-30")
    full = managed_factor(monthly.loc[:"2015-12"], monthly_realized_variance(daily, calendar))
    short = managed_factor(monthly.loc[:cut], monthly_realized_variance(daily.loc[:cut], calendar[calendar <= cut]))
    pd.testing.assert_series_equal(short["rv_prev"], full["rv_prev"].loc[:cut], check_exact=True)
    # the month after the cut needs only data to the cut: its RV_{t-1} is the same whether later data exists
    rv = monthly_realized_variance(daily.loc[:cut], calendar[calendar <= cut])
    assert rv.index[-1] == cut and rv[cut] == full.loc["1990-07-31", "rv_prev"]


# ------------------------------------------------------------------------------------ Daniel & Moskowitz
def dm_raw_inputs(raw: dict, end: str) -> dict:
    """Month-end inputs from scratch: bear flag, market variance, 126-day and next-22-day WML volatility."""
    end_ts = pd.Timestamp(end) + pd.offsets.MonthEnd(0)
    wml_d = raw["mom_d"]["Mom"].loc[:end_ts]
    mkt_d = (raw["ff3_d"]["Mkt-RF"] + raw["ff3_d"]["RF"]).loc[:end_ts]
    mkt_m = raw["ff3"]["Mkt-RF"] + raw["ff3"]["RF"]
    wml_m = raw["mom"]["Mom"].loc[:end_ts]
    rows = {}
    for t in wml_m.index:
        w = wml_d.loc[:t].to_numpy()
        m = mkt_d.loc[:t].to_numpy()
        last = wml_d.loc[:t].index[-1] if len(w) else None
        ahead = wml_d.loc[wml_d.index > t].to_numpy()[:22] if len(w) else np.array([])
        past = mkt_m.loc[:t].to_numpy()[-24:]
        rows[t] = {"wml": wml_m[t],
                   "rv126": w[-126:].std(ddof=1) if len(w) >= 126 else np.nan,
                   "mvar": 252 * m[-126:].var(ddof=1) if len(m) >= 126 else np.nan,
                   "vol22": ahead.std(ddof=1) if len(ahead) == 22 else np.nan,
                   "vol22_known": wml_d.loc[wml_d.index > t].index[21] if len(ahead) == 22 else pd.NaT,
                   "bear": float(np.prod(1 + past) - 1 < 0) if len(past) == 24 else np.nan,
                   "last_day": last}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame["x"] = frame["bear"] * frame["mvar"]
    return {"frame": frame, "wml_d": wml_d}


def gjr_one_step(wml_d: pd.Series, fit_end, through) -> pd.Series:
    """One-day-ahead GJR volatility at every day to ``through``, parameters fit to ``fit_end`` (by hand)."""
    y = 100 * wml_d.loc[:fit_end]
    res = arch_model(y, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="normal").fit(disp="off")
    p = res.params
    full = 100 * wml_d.loc[:through]
    e = full.to_numpy() - p["mu"]
    h = np.empty(len(full))
    h[:len(y)] = res.conditional_volatility.to_numpy() ** 2
    for i in range(len(y), len(full)):
        h[i] = p["omega"] + (p["alpha[1]"] + p["gamma[1]"] * (e[i - 1] < 0)) * e[i - 1] ** 2 + p["beta[1]"] * h[i - 1]
    nxt = p["omega"] + (p["alpha[1]"] + p["gamma[1]"] * (e < 0)) * e ** 2 + p["beta[1]"] * h
    return pd.Series(np.sqrt(nxt) / 100, index=full.index)


def dm_returns(frame: pd.DataFrame, mu: pd.Series, sigma: pd.Series) -> pd.DataFrame:
    d = pd.DataFrame({"wml": frame["wml"].shift(-1), "mu": mu, "sigma": sigma}).dropna()
    cvol = d["wml"] / d["sigma"]
    dyn = d["mu"] / d["sigma"] ** 2 * d["wml"]
    return pd.DataFrame({"wml": d["wml"], "cvol": cvol, "dynamic": dyn})


def sharpe(r) -> float:
    r = np.asarray(r)
    return r.mean() / r.std(ddof=1) * np.sqrt(12)


def dm_headline(r: pd.DataFrame) -> dict:
    s = {k: sharpe(r[k]) for k in ("dynamic", "cvol", "wml")}
    return {"sharpe_dynamic": s["dynamic"], "sharpe_cvol": s["cvol"], "sharpe_wml": s["wml"],
            "gain_dynamic_vs_cvol": s["dynamic"] - s["cvol"], "ordering": float(s["dynamic"] > s["cvol"] > s["wml"])}


@pytest.fixture(scope="module")
def dm_output(context):
    params = dict(config_params("daniel_moskowitz_2016"))
    params.update(oos_start="2011-01", refit_months=12)  # a short out-of-sample window keeps the test quick
    return daniel_moskowitz_2016(context, **params)


@pytest.fixture(scope="module")
def dm_raw(raw):
    return dm_raw_inputs(raw, "2013-03")


def test_daniel_moskowitz_in_sample_equals_independent_computation(dm_output, dm_raw) -> None:
    frame, wml_d = dm_raw["frame"], dm_raw["wml_d"]
    end = wml_d.index[-1]
    garch = gjr_one_step(wml_d, end, end).reindex(frame["last_day"]).to_numpy()
    frame = frame.assign(garch=garch)
    fit = frame[["vol22", "garch", "rv126"]].dropna()
    v = np.linalg.lstsq(np.column_stack([np.ones(len(fit)), fit["garch"], fit["rv126"]]), fit["vol22"],
                        rcond=None)[0]
    sigma = v[0] + v[1] * frame["garch"] + v[2] * frame["rv126"]
    pairs = pd.DataFrame({"y": frame["wml"].shift(-1), "x": frame["x"], "s": sigma}).dropna()
    g = np.linalg.lstsq(np.column_stack([np.ones(len(pairs)), pairs["x"]]), pairs["y"], rcond=None)[0]
    mu = g[0] + g[1] * frame["x"]
    returns = dm_returns(frame, mu, sigma)
    got = dm_output.data["in_sample"]
    assert got["window"] == ["1928-07", "2013-03"] and len(returns) == 1017
    for key, value in dm_headline(returns).items():
        assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-10), key
    models = got["models"]
    assert models["variance_regression"]["coef"]["garch"] == pytest.approx(v[1], rel=1e-10)
    assert models["mean_regression"]["coef"]["interaction"] == pytest.approx(g[1], rel=1e-10)
    # both scaled series hit the paper's 19 % target exactly
    series = dm_output.tables["daniel_moskowitz_2016_series"]
    for k in ("cvol", "dynamic"):
        assert series[f"in_sample:{k}"].dropna().std(ddof=1) * np.sqrt(12) == pytest.approx(0.19, rel=1e-12)


def test_daniel_moskowitz_out_of_sample_short_window_equals_independent_computation(dm_output, dm_raw) -> None:
    frame, wml_d = dm_raw["frame"], dm_raw["wml_d"]
    decisions = frame.index[(frame.index >= pd.Timestamp("2010-12-31")) & (frame.index < frame.index[-1])]
    mu, sigma = pd.Series(np.nan, index=decisions), pd.Series(np.nan, index=decisions)
    for b in range(0, len(decisions), 12):
        block = decisions[b:b + 12]
        fit_day = frame.loc[block[0], "last_day"]
        g = gjr_one_step(wml_d, fit_day, frame.loc[block[-1], "last_day"])
        hist = frame.loc[:block[-1]].assign(garch=g.reindex(frame.loc[:block[-1], "last_day"]).to_numpy())
        train = hist[hist["vol22_known"] <= fit_day][["vol22", "garch", "rv126"]].dropna()
        v = np.linalg.lstsq(np.column_stack([np.ones(len(train)), train["garch"], train["rv126"]]), train["vol22"],
                            rcond=None)[0]
        sigma[block] = v[0] + v[1] * hist.loc[block, "garch"] + v[2] * hist.loc[block, "rv126"]
    for t in decisions:
        known = pd.DataFrame({"y": frame["wml"].shift(-1), "x": frame["x"]}).loc[:t - pd.offsets.MonthEnd(1)].dropna()
        coef = np.linalg.lstsq(np.column_stack([np.ones(len(known)), known["x"]]), known["y"], rcond=None)[0]
        mu[t] = coef[0] + coef[1] * frame.loc[t, "x"]
    returns = dm_returns(frame, mu, sigma)
    got = dm_output.data["out_of_sample"]
    assert got["window"] == ["2011-01", "2013-03"] and len(got["refits"]) == 3
    for key, value in dm_headline(returns).items():
        assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-10), key


def test_daniel_moskowitz_out_of_sample_is_prefix_invariant(local_source) -> None:
    panel = build_panel(local_source, "monthly", start="1926-07").frame
    daily = build_panel(local_source, "daily").frame
    daily = daily[daily["Mkt-RF"].notna()]

    def forecasts(end: str) -> pd.DataFrame:
        x = dm_model.build_inputs(panel["UMD"], daily["UMD"], panel["Mkt-RF"] + panel["RF"],
                                  daily["Mkt-RF"] + daily["RF"], pd.Timestamp(end))
        return dm_model.out_of_sample(x, "2007-01", refit_months=12)[1]["forecasts"]

    short, full = forecasts("2008-10-31"), forecasts("2010-06-30")
    assert len(short) == 22  # decisions 2006-12..2008-09
    pd.testing.assert_frame_equal(short, full.loc[short.index], check_exact=True)


def test_daniel_moskowitz_scoreboard_rows(dm_output) -> None:
    figures = config_params("daniel_moskowitz_2016")["paper"]["figures"]
    assert_scoreboard(dm_output.data["scoreboard"], "daniel_moskowitz_2016", figures)
    rows = {r["figure"]: r for r in dm_output.data["scoreboard"]}
    assert rows["sharpe_dynamic"]["paper"] == 1.194 and rows["sharpe_cvol"]["paper"] == 1.041
    got = dm_output.data["in_sample"]
    assert rows["gain_dynamic_vs_cvol"]["value"] == got["sharpe_dynamic"] - got["sharpe_cvol"]
    assert rows["gain_p_value"]["value"] == got["gain_test"]["p_value"]
    assert rows["gain_p_value_oos"]["value"] == dm_output.data["out_of_sample"]["gain_test"]["p_value"]


# ------------------------------------------------------------------------------------------ scoreboard, configs
def test_scoreboard_marks_outside_and_refuses_bad_bands() -> None:
    bands = check_paper_spec("s", {"source": "T1", "figures": {"a": {"paper": 1.0, "band": [0.5, 1.5], "why": "w"},
                                                               "b": {"paper": None, "band": [0, 1], "why": "w"}}})
    rows = scoreboard_rows("s", bands, {"a": 2.0, "b": float("nan")})
    assert rows[0]["within"] is False and rows[0]["note"].startswith("OUTSIDE its band [0.5, 1.5]")
    assert rows[0]["band_low"] == 0.5 and rows[0]["band_high"] == 1.5  # never re-banded
    assert rows[1]["within"] is None and rows[1]["value"] is None and rows[1]["note"].startswith("not computed")
    assert scoreboard_rows("s", bands, {"a": 1.5, "b": 0.0})[0]["within"] is True  # inclusive ends
    bad = [({"source": "T1", "figures": {"a": {"paper": 1, "band": [2, 1], "why": "w"}}}, "low <= high"),
           ({"source": "T1", "figures": {"a": {"paper": 1, "band": [0, 2]}}}, "justification"),
           ({"figures": {"a": {"paper": 1, "band": [0, 2], "why": "w"}}}, "'source'"),
           ({"source": "T1", "figures": {"zz": {"paper": 1, "band": [0, 2], "why": "w"}}}, "not a figure")]
    for spec, message in bad:
        with pytest.raises(FactorRegimesError, match=message):
            check_paper_spec("s", spec, figures=["a"])


@pytest.mark.parametrize("name", ["moreira_muir_2017", "daniel_moskowitz_2016"])
def test_replication_configs_load(name: str) -> None:
    config = load_config(CONFIGS / f"{name}.yaml")
    assert config["name"] == name and config["comparison"] is False
    assert [a["name"] for a in config["analyses"]] == [name]


def test_bad_inputs_are_refused(context, raw) -> None:
    params = config_params("moreira_muir_2017")
    with pytest.raises(FactorRegimesError, match="not inside the monthly panel's coverage 1926-07"):
        moreira_muir_2017(context, **{**params, "start": "1920-01"})
    with pytest.raises(FactorRegimesError, match="needs a 'source'"):
        moreira_muir_2017(context, **{**params, "paper": None})
    wml_d = raw["mom_d"]["Mom"].copy()
    wml_d.loc["2008-10-10"] = np.nan  # a hole inside the coverage is never filled or skipped
    market_d = raw["ff3_d"]["Mkt-RF"] + raw["ff3_d"]["RF"]
    market = raw["ff3"]["Mkt-RF"] + raw["ff3"]["RF"]
    with pytest.raises(FactorRegimesError, match="daily WML returns are missing inside their coverage "
                                                 r"\(first gap 2008-10-10\)"):
        dm_model.build_inputs(raw["mom"]["Mom"], wml_d, market, market_d, pd.Timestamp("2013-03-31"))
