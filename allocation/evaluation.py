"""Strategy evaluation: metrics, statistics against static exposure, and regime breakdowns.

Everything is computed on a common evaluation window, so a strategy is never
flattered by a different sample than its benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation import metrics, multiple_testing, stats
from regimes.walkforward import RegimePath, state_names


def strategy_statistics(returns: pd.DataFrame, benchmarks: dict[str, str], factors: pd.DataFrame | None = None,
                        periods_per_year: int | None = None, bootstrap_reps: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per strategy: metrics and tests.

    Parameters
    ----------
    returns : pandas.DataFrame
        Net returns, one column per strategy, on a common window.
    benchmarks : dict
        Strategy -> the static strategy it is compared with (may be itself).
    factors : pandas.DataFrame, optional
        Factor returns for alphas and loadings (e.g. Mkt-RF, SMB, HML, UMD).
    periods_per_year : int, optional
        Annualization; default: inferred from the dates of ``returns``.
    bootstrap_reps : int
        Bootstrap draws for the Sharpe intervals and the Ledoit-Wolf bootstrap test (0 to skip both).

    Returns
    -------
    pandas.DataFrame
        Metrics of :func:`allocation.metrics.summary`, ``psr`` (vs 0), ``dsr``
        (given every strategy here as a trial), ``sharpe_ci_low/high``,
        ``sharpe_diff`` (per-period Sharpe minus its benchmark's), ``sharpe_diff_p`` (the default test:
        Ledoit-Wolf 2008 studentized circular block bootstrap against its benchmark, two-sided) with
        ``sharpe_diff_block`` (its block length), ``sharpe_diff_p_hac`` (the labelled alternative: the
        same test with a Newey-West HAC standard error and the normal distribution), ``alpha_static``
        (annualized) with ``alpha_static_t``, ``ir_static``, ``hlz_pass``
        (alpha t > 3), and with factors ``alpha_ff`` (annualized),
        ``alpha_ff_t``, ``ff_r2`` and ``beta_<factor>``.
    """
    periods_per_year = metrics.periods_per_year_of(returns, periods_per_year)
    rows = {}
    ci = stats.sharpe_ci_frame(returns, periods_per_year, reps=bootstrap_reps, seed=seed) if bootstrap_reps else None
    for name in returns.columns:
        r = returns[name]
        row = metrics.summary(r, periods_per_year)
        row["psr"] = stats.probabilistic_sharpe(r)
        row["dsr"] = stats.deflated_sharpe_of(r, returns)
        if ci is not None:
            row["sharpe_ci_low"], row["sharpe_ci_high"] = ci.loc[name, "low"], ci.loc[name, "high"]
        bench = benchmarks.get(name)
        if bench is not None and bench != name:
            b = returns[bench]
            hac = stats.sharpe_difference_test(r, b)
            row["sharpe_diff"] = hac["diff"]
            if bootstrap_reps:
                boot = stats.sharpe_difference_bootstrap(r, b, reps=bootstrap_reps, seed=seed)
                row["sharpe_diff_p"], row["sharpe_diff_block"] = boot["p_value"], boot["block"]
            row["sharpe_diff_p_hac"] = hac["p_value"]
            reg = stats.newey_west_regression(r, b.to_frame("static"))
            row["alpha_static"] = reg.alpha * periods_per_year
            row["alpha_static_t"] = reg.alpha_t
            row["ir_static"] = metrics.information_ratio(r, b, periods_per_year)
            row["hlz_pass"] = stats.hlz_hurdle(reg.alpha_t)
        if factors is not None:
            reg = stats.newey_west_regression(r, factors.reindex(r.index))
            row["alpha_ff"] = reg.alpha * periods_per_year
            row["alpha_ff_t"] = reg.alpha_t
            row["ff_r2"] = reg.r2
            row.update({f"beta_{k}": v for k, v in reg.betas.items()})
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "strategy"
    return table


def spa_by_benchmark(returns: pd.DataFrame, benchmarks: dict[str, str], reps: int = 1000,
                     seed: int = 0) -> dict[str, dict[str, float]]:
    """Hansen's SPA of every strategy sharing a benchmark against that benchmark."""
    out = {}
    for bench in sorted(set(benchmarks.values())):
        group = [s for s, b in benchmarks.items() if b == bench and s != bench]
        if group:
            out[bench] = stats.spa_test(returns[bench], returns[group], reps=reps, seed=seed)
    return out


def _groups(benchmarks: dict[str, str]) -> dict[str, list[str]]:
    """Benchmark -> the strategies compared with it (the benchmark itself excluded)."""
    return {bench: [s for s, b in benchmarks.items() if b == bench and s != bench]
            for bench in sorted(set(benchmarks.values()))}


def stepm_by_benchmark(returns: pd.DataFrame, benchmarks: dict[str, str], size: float = 0.05, reps: int = 1000,
                       seed: int = 0) -> dict[str, dict]:
    """Romano-Wolf StepM of every strategy sharing a benchmark against that benchmark (see
    :func:`allocation.multiple_testing.stepm`)."""
    return {bench: multiple_testing.stepm(returns[bench], returns[group], size=size, reps=reps, seed=seed)
            for bench, group in _groups(benchmarks).items() if group}


def mcs_by_benchmark(returns: pd.DataFrame, benchmarks: dict[str, str], size: float = 0.10, reps: int = 1000,
                     seed: int = 0) -> dict[str, dict]:
    """Hansen's Model Confidence Set of each benchmark and the strategies compared with it (see
    :func:`allocation.multiple_testing.model_confidence_set`)."""
    return {bench: multiple_testing.model_confidence_set(returns[[bench, *group]], size=size, reps=reps, seed=seed)
            for bench, group in _groups(benchmarks).items() if group}


def regime_breakdown(returns: pd.DataFrame, paths: dict[str, RegimePath],
                     periods_per_year: int | None = None) -> pd.DataFrame:
    """Metrics of each return series within each regime of each detector.

    The filtered label of ``paths[detector]`` at decision date t is matched
    with the return of the period that starts at t (the next row of
    ``returns``): the regime known when the position was taken.

    Returns
    -------
    pandas.DataFrame
        Columns ``series, detector, regime, n, ann_return, ann_vol, sharpe, hit_rate, worst``.
    """
    periods_per_year = metrics.periods_per_year_of(returns, periods_per_year)  # from every date, not a regime's
    rows = []
    for det, path in paths.items():
        lab = path.labels.dropna()
        names = state_names(path.proba.shape[1])
        # return over (t, t+1] is indexed by t+1: shift the label onto the period it governs
        at_start = lab.reindex(returns.index.union(lab.index)).shift(1).reindex(returns.index)
        for col in returns.columns:
            for regime in sorted(at_start.dropna().unique()):
                r = returns[col][at_start == regime].dropna()
                rows.append({"series": col, "detector": det, "regime": names[int(regime)], "n": len(r),
                             "ann_return": metrics.ann_return(r, periods_per_year),
                             "ann_vol": metrics.ann_vol(r, periods_per_year),
                             "sharpe": metrics.sharpe(r, periods_per_year), "hit_rate": metrics.hit_rate(r),
                             "worst": float(r.min()) if len(r) else np.nan})
    return pd.DataFrame(rows)
