"""Statistics: worked examples and independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from allocation import stats


def test_dsr_worked_example_of_the_paper() -> None:
    """Bailey & Lopez de Prado (2014): SR 2.5 annualized over 5 years of daily returns, 100 trials,
    variance of the trials' annualized Sharpe 1/2, skewness -3, kurtosis 10: E[max SR] 0.1132, DSR 0.9004."""
    sr = 2.5 / np.sqrt(250)
    assert stats.expected_max_sharpe(100, 0.5 / 250) == pytest.approx(0.1132, abs=5e-5)
    assert stats.deflated_sharpe(sr, 1250, 100, 0.5 / 250, skew=-3.0, kurt=10.0) == pytest.approx(0.9004, abs=5e-5)


def test_psr_against_formula() -> None:
    rng = np.random.default_rng(1)
    r = rng.standard_t(5, 500) * 0.02 + 0.004
    sr = r.mean() / r.std(ddof=1)
    g3, g4 = st.skew(r), st.kurtosis(r, fisher=False)
    expected = st.norm.cdf(sr * np.sqrt(len(r) - 1) / np.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr ** 2))
    assert stats.probabilistic_sharpe(r) == pytest.approx(expected)


def test_sharpe_ci_covers_the_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(2)
    r = rng.normal(0.008, 0.04, 300)
    low, high = stats.sharpe_ci(r, 12, reps=300, seed=3)
    sample = r.mean() / r.std(ddof=1) * np.sqrt(12)
    assert low < sample < high
    assert stats.sharpe_ci(r, 12, reps=300, seed=3) == (low, high)


def test_sharpe_difference_test_null_and_alternative() -> None:
    rng = np.random.default_rng(4)
    common = rng.normal(0, 0.04, 600)
    a = common + rng.normal(0.0, 0.01, 600)
    same = stats.sharpe_difference_test(a, a)
    assert same["diff"] == 0
    better = stats.sharpe_difference_test(common + 0.01 + rng.normal(0, 0.01, 600), a)
    # population per-period Sharpe ratios 0.01 / sqrt(0.04^2 + 0.01^2) and 0: the estimate lies within 4 of the
    # test's own standard errors of that difference
    assert abs(better["diff"] - 0.01 / np.sqrt(0.04 ** 2 + 0.01 ** 2)) < 4 * better["se"]
    assert better["p_value"] < 0.01
    # under the null, the test rejects at about its nominal rate: Binomial(200, 0.05) lies in 3..19 (1.5 %..9.5 %)
    # with 99 % probability; the bounds are two-sided, so a test that never rejects fails too
    rejections = 0
    for seed in range(200):
        g = np.random.default_rng(100 + seed)
        x = g.normal(0.005, 0.04, 240)
        y = 0.5 * x + g.normal(0.005 * 0.5, 0.04 * np.sqrt(0.75), 240)  # same Sharpe, correlated
        rejections += stats.sharpe_difference_test(x, y)["p_value"] < 0.05
    assert 0.01 <= rejections / 200 <= 0.10, rejections / 200


def test_pbo_near_one_half_for_noise_low_for_a_real_edge() -> None:
    """For strategies without an edge, the in-sample winner is out-of-sample below the median half the time
    (on average over samples: one sample's PBO varies widely); a real edge drives PBO to zero."""
    pbos = [stats.pbo_cscv(pd.DataFrame(np.random.default_rng(s).normal(0, 0.04, (240, 8))), n_blocks=6)["pbo"]
            for s in range(40)]
    assert 0.35 < np.mean(pbos) < 0.65
    edge = pd.DataFrame(np.random.default_rng(5).normal(0, 0.04, (240, 8)))
    edge[0] += 0.03
    assert stats.pbo_cscv(edge, n_blocks=6)["pbo"] < 0.05


def test_pbo_ranks_a_strategy_without_variation() -> None:
    """Cash (returns exactly 0) has Sharpe 0 in every half, so it is ranked: an undefined 0/0 once ranked
    every strategy NaN and counted the split as not overfit."""
    import itertools

    rng = np.random.default_rng(11)
    losers = pd.DataFrame({"cash": np.zeros(96), "a": rng.normal(-0.03, 0.01, 96), "b": rng.normal(-0.03, 0.01, 96)})
    out = stats.pbo_cscv(losers, n_blocks=4)
    # cash wins every in-sample half and ranks first of three out of sample: logit log(3/4 / 1/4) each time
    assert out["pbo"] == 0.0 and out["n_splits"] == 6 and out["mean_logit"] == pytest.approx(np.log(3.0))

    winners = pd.DataFrame({"cash": np.zeros(96), "a": rng.normal(0.01, 0.02, 96), "b": rng.normal(0.01, 0.02, 96)})
    blocks = np.array_split(np.arange(96), 4)
    overfit = []
    for chosen in itertools.combinations(range(4), 2):  # written here from the definition, loop by loop
        ins = winners.iloc[np.concatenate([blocks[i] for i in chosen])]
        oos = winners.iloc[np.concatenate([blocks[i] for i in range(4) if i not in chosen])]
        sharpe_is = {c: (ins[c].mean() / ins[c].std() if ins[c].std() > 0 else 0.0) for c in winners}
        sharpe_oos = pd.Series({c: (oos[c].mean() / oos[c].std() if oos[c].std() > 0 else 0.0) for c in winners})
        best = max(sharpe_is, key=sharpe_is.get)
        omega = sharpe_oos.rank()[best] / 4
        overfit.append(np.log(omega / (1 - omega)) <= 0)
    got = stats.pbo_cscv(winners, n_blocks=4)
    assert got["pbo"] == pytest.approx(np.mean(overfit)) and np.isfinite(got["mean_logit"])


def test_spa_and_hlz() -> None:
    rng = np.random.default_rng(6)
    bench = rng.normal(0.005, 0.04, 300)
    null = pd.DataFrame({f"s{i}": bench + rng.normal(0, 0.01, 300) for i in range(4)})
    assert stats.spa_test(bench, null, reps=300)["spa_consistent"] > 0.05
    winner = null.assign(s0=bench + 0.01 + rng.normal(0, 0.01, 300))
    assert stats.spa_test(bench, winner, reps=300)["spa_consistent"] < 0.05
    assert stats.hlz_hurdle(3.2) and not stats.hlz_hurdle(2.9) and not stats.hlz_hurdle(np.nan)


def test_newey_west_regression_recovers_loadings() -> None:
    rng = np.random.default_rng(7)
    f = pd.DataFrame({"m": rng.normal(0.005, 0.04, 400), "s": rng.normal(0, 0.03, 400)})
    y = 0.002 + 1.2 * f["m"] - 0.5 * f["s"] + rng.normal(0, 0.01, 400)
    res = stats.newey_west_regression(y, f)
    assert res.betas["m"] == pytest.approx(1.2, abs=0.05) and res.betas["s"] == pytest.approx(-0.5, abs=0.05)
    # population R^2: var(1.2 m - 0.5 s) / (that + 0.01^2) = 0.962; its sampling sd here is about 0.004
    signal = 1.2 ** 2 * 0.04 ** 2 + 0.5 ** 2 * 0.03 ** 2
    assert res.alpha == pytest.approx(0.002, abs=0.0015) and res.r2 == pytest.approx(signal / (signal + 0.01 ** 2),
                                                                                   abs=0.015)
