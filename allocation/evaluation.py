"""Strategy evaluation: metrics, statistics against static exposure, and regime breakdowns.

Everything is computed on a common evaluation window, so a strategy is never
flattered by a different sample than its benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation import metrics, stats
from regimes.walkforward import RegimePath, state_names


def strategy_statistics(returns: pd.DataFrame, benchmarks: dict[str, str], factors: pd.DataFrame | None = None,
                        periods_per_year: int = 12, bootstrap_reps: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per strategy: metrics and tests.

    Parameters
    ----------
    returns : pandas.DataFrame
        Net returns, one column per strategy, on a common window.
    benchmarks : dict
        Strategy -> the static strategy it is compared with (may be itself).
    factors : pandas.DataFrame, optional
        Factor returns for alphas and loadings (e.g. Mkt-RF, SMB, HML, UMD).
    bootstrap_reps : int
        Stationary-bootstrap draws for Sharpe intervals (0 to skip).

    Returns
    -------
    pandas.DataFrame
        Metrics of :func:`allocation.metrics.summary`, ``psr`` (vs 0), ``dsr``
        (given every strategy here as a trial), ``sharpe_ci_low/high``,
        ``sharpe_diff_p`` (Ledoit-Wolf vs its benchmark), ``alpha_static``
        (annualized) with ``alpha_static_t``, ``ir_static``, ``hlz_pass``
        (alpha t > 3), and with factors ``alpha_ff`` (annualized),
        ``alpha_ff_t``, ``ff_r2`` and ``beta_<factor>``.
    """
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
            row["sharpe_diff_p"] = stats.sharpe_difference_test(r, b)["p_value"]
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


def regime_breakdown(returns: pd.DataFrame, paths: dict[str, RegimePath], periods_per_year: int = 12) -> pd.DataFrame:
    """Metrics of each return series within each regime of each detector.

    The filtered label of ``paths[detector]`` at decision date t is matched
    with the return of the period that starts at t (the next row of
    ``returns``): the regime known when the position was taken.

    Returns
    -------
    pandas.DataFrame
        Columns ``series, detector, regime, n, ann_return, ann_vol, sharpe, hit_rate, worst``.
    """
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
