"""Shu, Yu & Mulvey (2024) on the scoreboard: the study's config run on a shorter sample (the same code path
as ``factor-regimes replicate``: resolve, preflight, run_config, the analysis's scoreboard rows), its
headline figures recomputed here from the raw S&P 500 and Ken French files and the run's saved weights
and regime probabilities, and its rows complete with ``within`` agreeing with the config's bands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from allocation.stats import sharpe_difference_bootstrap
from experiments import replications
from experiments.analyses.scoreboard import ROW_KEYS
from experiments.runner import preflight, resolve, run_config
from plumbing.errors import FactorRegimesError
from tests import REPO
from tests.experiments.test_scoreboard import raw_french

STUDY = "shu_yu_mulvey_2024"
CONFIG = REPO / "configs" / "replications" / f"{STUDY}.yaml"
#: A shorter sample than the study's (2007-2023 from 1990): refits 2003..2009, decisions 2007-2009.
SHORT = ("data.history_start=1998-01-02", "data.end=2009-12", "evaluation.bootstrap_reps=99",
         "evaluation.spa_reps=99")
COST = 10 / 1e4


@pytest.fixture(scope="module")
def short_run(shared_data: Path, tmp_path_factory):
    config = resolve(CONFIG, SHORT, shared_data)
    source = preflight(config, CONFIG)
    out = tmp_path_factory.mktemp("sym") / "run"
    return run_config(config, out, source=source, use_cache=False)


def raw_sp500(path: Path) -> pd.Series:
    """Daily simple returns of the close in the Yahoo-layout file (own parser)."""
    frame = pd.read_csv(path, usecols=["Date", "Close"], parse_dates=["Date"], index_col="Date")
    return frame["Close"].pct_change().dropna()


def strategy_returns(held: pd.Series, index: pd.Series, rf: pd.Series) -> pd.Series:
    """0/1 timing from the weights held after trading at the close of each day: the next day earns the
    index on the invested part and RF on the rest, less 10 bp of |change of weight| (a 0/1 position does not
    drift: all in the index or all in cash)."""
    book = held.reindex(index.index).fillna(0.0)  # nothing held before the first trade
    w = book.shift(1)  # the weight held over day s was set at the close of the day before
    trade = book.diff().abs().shift(1)
    return w * index + (1 - w) * rf - COST * trade


def test_headline_figures_equal_an_independent_computation(short_run, shared_data: Path) -> None:
    run = short_run.run_dir
    data = json.loads((run / f"{STUDY}.json").read_text())
    rows = {r["figure"]: r for r in data["scoreboard"]}
    index = raw_sp500(shared_data / "GSPC.csv")
    rf = raw_french(shared_data / "F-F_Research_Data_Factors_daily.CSV", "RF")
    weights = pd.read_csv(run / "weights.csv", parse_dates=["date"])
    saved = pd.read_csv(run / "returns.csv", parse_dates=["date"], index_col="date")
    probs = pd.read_csv(run / "regimes.csv", parse_dates=["date"], index_col="date")
    labels = data["strategies"]
    days = saved.dropna().index
    assert f"{days[0]:%Y-%m}" == "2007-01" and f"{days[-1]:%Y-%m}" in ("2009-12", "2010-01")
    window = index.loc[days[0] - pd.Timedelta(days=10):days[-1]]
    recomputed, total = {}, {}
    for name in ("buy_hold", "jm", "hmm"):
        held = weights[weights.strategy == labels[name]].set_index("date")["weight"]
        if name != "buy_hold":  # the weight held after the close of t+1 is the decision at t (one-day delay)
            decided = (probs[name] <= 0.5).astype(float).where(probs[name].notna())
            traded = decided.reindex(held.index).shift(1)
            live = held.dropna().index[1:]
            assert (held.loc[live] == traded.loc[live]).all(), name
        r = strategy_returns(held, window, rf.reindex(window.index)).loc[days]
        total[name] = r
        # the run's saved returns (CSV, 10 significant digits) are the backtest's net total returns
        np.testing.assert_allclose(saved.loc[days, labels[name]], r, rtol=1e-9, atol=1e-12)
        recomputed[name] = r - rf.reindex(days)

    def sharpe(x):
        return x.mean() / x.std(ddof=1) * np.sqrt(252)

    def max_drawdown(x):
        wealth = (1 + x).cumprod()
        return float((wealth / np.maximum(wealth.cummax(), 1.0) - 1).min())

    def turnover(name):  # one-way turnover per year: the weight changes of the decisions in the window
        held = weights[weights.strategy == labels[name]].set_index("date")["weight"].fillna(0.0)
        change = held.diff().abs()
        change.iloc[0] = abs(held.iloc[0])
        prior = index.index[index.index.searchsorted(days) - 1]
        return change.reindex(prior).fillna(0.0).mean() * 252

    expected = {"sharpe_jm": sharpe(recomputed["jm"]), "sharpe_hmm": sharpe(recomputed["hmm"]),
                "sharpe_buy_hold": sharpe(recomputed["buy_hold"]),
                "max_drawdown_jm": max_drawdown(total["jm"]), "max_drawdown_buy_hold": max_drawdown(total["buy_hold"]),
                "turnover_jm": turnover("jm"), "turnover_hmm": turnover("hmm")}
    expected["gain_jm_vs_buy_hold"] = expected["sharpe_jm"] - expected["sharpe_buy_hold"]
    expected["gain_jm_vs_hmm"] = expected["sharpe_jm"] - expected["sharpe_hmm"]
    expected["drawdown_gain_jm"] = expected["max_drawdown_jm"] - expected["max_drawdown_buy_hold"]
    for figure, value in expected.items():
        assert rows[figure]["value"] == pytest.approx(value, rel=1e-9, abs=1e-10), figure
    # the Ledoit-Wolf rows are the framework's test on these very excess-return series
    boot = sharpe_difference_bootstrap(recomputed["jm"].to_numpy(), recomputed["buy_hold"].to_numpy(), reps=99, seed=0)
    assert rows["sharpe_diff_p_jm_vs_buy_hold"]["value"] == pytest.approx(boot["p_value"], abs=1e-12)
    boot = sharpe_difference_bootstrap(recomputed["jm"].to_numpy(), recomputed["hmm"].to_numpy(), reps=99, seed=0)
    assert rows["sharpe_diff_p_jm_vs_hmm"]["value"] == pytest.approx(boot["p_value"], abs=1e-12)
    assert 0 <= rows["dsr_jm"]["value"] <= 1
    # the penalty of every refit was chosen in-fold among the config's grid
    penalties = pd.read_csv(run / f"{STUDY}_penalties.csv")
    grid = yaml.safe_load(CONFIG.read_text())["regimes"]["detectors"][0]["params"]["grid"]["jump_penalty"]
    assert len(penalties) >= 5 and set(penalties["chosen_jump_penalty"]) <= set(grid)


def test_rows_complete_and_within_agrees_with_the_bands(short_run) -> None:
    spec = yaml.safe_load(CONFIG.read_text())["analyses"][0]["params"]["paper"]["figures"]
    rows = replications.study_rows(short_run, STUDY, str(CONFIG))  # what `replicate` puts on the scoreboard
    assert [r["figure"] for r in rows] == list(spec)
    for name in ("sharpe_jm", "sharpe_hmm", "sharpe_buy_hold", "turnover_jm", "turnover_hmm", "max_drawdown_jm"):
        assert name in spec  # the figure names
    for r in rows:
        band = spec[r["figure"]]
        assert tuple(r) == ROW_KEYS and r["study"] == STUDY
        assert r["paper"] == (None if band["paper"] is None else float(band["paper"]))
        assert [r["band_low"], r["band_high"]] == [float(b) for b in band["band"]]
        assert isinstance(r["value"], float) and np.isfinite(r["value"])
        assert r["within"] is (band["band"][0] <= r["value"] <= band["band"][1]), r["figure"]
        assert r["note"].startswith("OUTSIDE") == (r["within"] is False) and band["why"] in r["note"]
    report = (short_run.run_dir / "report.html").read_text()
    assert "Shu, Yu &amp; Mulvey 2024" in report and "Jump penalty chosen at each yearly refit" in report


def test_registered_and_no_longer_pending() -> None:
    study = replications.select([STUDY])[0]
    assert study.config == CONFIG and study.analysis == STUDY and study.blind
    assert STUDY not in replications.PENDING


def test_bad_paper_block_refused_before_the_run(shared_data: Path, tmp_path: Path) -> None:
    config = yaml.safe_load(CONFIG.read_text())
    config["analyses"][0]["params"]["paper"]["figures"]["sharpe_jmm"] = {"paper": 1, "band": [0, 1], "why": "x"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    with pytest.raises(FactorRegimesError, match="'sharpe_jmm' is not a figure of this study"):
        resolve(bad, (), shared_data)
