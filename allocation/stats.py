"""Statistics for an honest comparison of strategies.

* :func:`sharpe_ci` - stationary-bootstrap confidence interval (arch).
* :func:`sharpe_difference_bootstrap` - Ledoit & Wolf (2008) studentized circular block
  bootstrap test of equal Sharpe ratios (the default test).
* :func:`sharpe_difference_test` - the HAC (Newey-West) version of the same test (a labelled alternative).
* :func:`probabilistic_sharpe`, :func:`expected_max_sharpe`, :func:`deflated_sharpe` -
  Bailey & Lopez de Prado (2012, 2014).
* :func:`spa_test` - Hansen's SPA (and White's Reality Check); StepM and the Model
  Confidence Set are in :mod:`allocation.multiple_testing` (all from arch).
* :func:`hlz_hurdle` - the Harvey, Liu & Zhu (2016) t > 3 hurdle.
* :func:`pbo_cscv` - probability of backtest overfitting by combinatorially
  symmetric cross-validation (Bailey, Borwein, Lopez de Prado & Zhu 2017).
* :func:`newey_west_regression` - alphas and loadings with HAC t-statistics.

Sharpe ratios inside the tests are per period (not annualized) unless stated.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

EULER_GAMMA = 0.5772156649015329


def _per_period_sharpe(r: np.ndarray) -> float:
    sd = r.std(ddof=1)
    return float(r.mean() / sd) if sd > 0 else np.nan


def sharpe_ci_frame(returns: pd.DataFrame, periods_per_year: int | None = None, level: float = 0.95, reps: int = 1000,
                    block: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Stationary-bootstrap percentile intervals for the annualized Sharpe ratio of every column.

    All columns are resampled with the same index paths (common random
    numbers), so the intervals of strategies on one window are comparable.
    ``block`` is the mean block length (default ``n ** (1/3)``, rounded).
    Rows with a NaN in any column are dropped.

    Returns
    -------
    pandas.DataFrame
        Index: the columns of ``returns``; columns ``low`` and ``high``.
    """
    from arch.bootstrap import StationaryBootstrap

    from allocation.metrics import periods_per_year_of
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    data = returns.dropna()
    values = data.to_numpy(dtype=float)
    out = pd.DataFrame(np.nan, index=returns.columns, columns=["low", "high"])
    if len(values) < 10:
        return out
    bs = StationaryBootstrap(block or max(2, round(len(values) ** (1 / 3))), np.arange(len(values)),
                             seed=np.random.default_rng(seed))
    draws = np.empty((reps, values.shape[1]))
    for i, sample in enumerate(bs.bootstrap(reps)):
        x = values[sample[0][0]]
        sd = x.std(axis=0, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            draws[i] = np.where(sd > 0, x.mean(axis=0) / sd, np.nan)
    draws *= np.sqrt(periods_per_year)
    alpha = (1 - level) / 2
    out["low"] = np.nanquantile(draws, alpha, axis=0)
    out["high"] = np.nanquantile(draws, 1 - alpha, axis=0)
    return out


def sharpe_ci(returns, periods_per_year: int | None = None, level: float = 0.95, reps: int = 1000,
              block: int | None = None, seed: int = 0) -> tuple[float, float]:
    """Stationary-bootstrap percentile interval for one series' annualized Sharpe ratio (NaNs dropped)."""
    from allocation.metrics import periods_per_year_of
    periods_per_year = periods_per_year_of(returns, periods_per_year)
    r = pd.Series(np.asarray(returns, dtype=float)).dropna()
    ci = sharpe_ci_frame(r.to_frame("r"), periods_per_year, level, reps, block, seed).loc["r"]
    return float(ci["low"]), float(ci["high"])


def newey_west_lags(n: int) -> int:
    """The Newey-West (1994) rule of thumb ``floor(4 (n / 100) ** (2 / 9))`` used by every HAC test here."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def _hac_cov(y: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett) long-run covariance of the rows of ``y`` (demeaned), shape (k, k)."""
    y = y - y.mean(axis=0)
    n = len(y)
    cov = y.T @ y / n
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        g = y[lag:].T @ y[:-lag] / n
        cov += w * (g + g.T)
    return cov


def _paired(a, b) -> np.ndarray:
    x = np.column_stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    return x[np.isfinite(x).all(axis=1)]


def _sharpe_diff_parts(x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Sharpe difference, its gradient in ``(mu_a, mu_b, gamma_a, gamma_b)``, and the moment series (n, 4)."""
    mu = x.mean(axis=0)
    gamma = (x ** 2).mean(axis=0)
    var = gamma - mu ** 2
    diff = mu[0] / np.sqrt(var[0]) - mu[1] / np.sqrt(var[1])
    grad = np.array([gamma[0] / var[0] ** 1.5, -gamma[1] / var[1] ** 1.5,
                     -mu[0] / (2 * var[0] ** 1.5), mu[1] / (2 * var[1] ** 1.5)])
    y = np.column_stack([x[:, 0], x[:, 1], x[:, 0] ** 2, x[:, 1] ** 2])
    return float(diff), grad, y


def sharpe_difference_test(a, b, lags: int | None = None) -> dict[str, float]:
    """Ledoit & Wolf (2008) test of equal Sharpe ratios with a HAC (Newey-West) kernel.

    The labelled alternative to :func:`sharpe_difference_bootstrap` (the
    default): in samples of a few hundred months the normal approximation
    over-rejects (Ledoit & Wolf 2008, Table 1).

    Parameters
    ----------
    a, b : array-like of shape (n,)
        Paired excess returns (same periods).
    lags : int, optional
        Bartlett lags; default ``floor(4 * (n / 100) ** (2 / 9))``.

    Returns
    -------
    dict
        ``diff`` (per-period Sharpe of a minus b), ``se``, ``z``, ``p_value`` (two-sided).
    """
    x = _paired(a, b)
    n = len(x)
    if n < 10:
        return {"diff": np.nan, "se": np.nan, "z": np.nan, "p_value": np.nan}
    diff, grad, y = _sharpe_diff_parts(x)
    lags = newey_west_lags(n) if lags is None else lags
    se = float(np.sqrt(max(grad @ _hac_cov(y, lags) @ grad / n, 0.0)))
    if se <= 1e-15:  # identical series (or numerically so): no evidence of a difference
        return {"diff": diff, "se": se, "z": 0.0, "p_value": 1.0}
    z = diff / se
    return {"diff": diff, "se": se, "z": float(z), "p_value": float(2 * stats.norm.sf(abs(z)))}


def sharpe_block_length(a, b) -> int:
    """Block length for :func:`sharpe_difference_bootstrap` (a documented rule, not LW's calibration).

    The Politis & White (2004) circular-block optimal length (with Patton,
    Politis & White's 2009 correction; ``arch.bootstrap.optimal_block_length``)
    of each of the four moment series ``a, b, a^2, b^2``; the largest, rounded
    up, and kept within ``[2, n / 10]``.
    """
    from arch.bootstrap import optimal_block_length

    x = _paired(a, b)
    n = len(x)
    y = np.column_stack([x, x ** 2])
    y = y[:, y.std(axis=0) > 0]
    if n < 20 or y.shape[1] == 0:
        return 2
    opt = optimal_block_length(y)["circular"].to_numpy(dtype=float)
    opt = opt[np.isfinite(opt)]
    b_len = int(np.ceil(opt.max())) if len(opt) else 2
    return int(min(max(b_len, 2), max(2, n // 10)))


@functools.lru_cache(maxsize=16)
def _circular_block_indices(block: int, n: int, reps: int, seed: int) -> np.ndarray:
    """The ``(reps, n)`` row indices of ``reps`` circular block bootstrap samples (``arch``), read-only.

    They depend on the block length, sample size, count and seed only, so the strategies of a run that share a
    block length and sample reuse one draw (the same indices each would draw from a fresh generator).
    """
    from arch.bootstrap import CircularBlockBootstrap

    bs = CircularBlockBootstrap(block, np.arange(n), seed=np.random.default_rng(seed))
    idx = np.stack([pos[0] for pos, _ in bs.bootstrap(reps)])
    idx.flags.writeable = False
    return idx


def sharpe_difference_bootstrap(a, b, block: int | None = None, reps: int = 1000, seed: int = 0,
                                lags: int | None = None) -> dict[str, float]:
    """Ledoit & Wolf (2008) studentized circular block bootstrap test of equal Sharpe ratios.

    The algorithm of their Section 3.2 (and their published code):

    1. ``d = |diff| / se`` with ``diff`` the difference of the per-period Sharpe
       ratios and ``se`` its delta-method HAC standard error on the sample
       (Newey-West Bartlett kernel here; the paper uses a prewhitened QS kernel).
    2. In each of ``reps`` circular block bootstrap samples (block length
       ``block``; indices from ``arch.bootstrap.CircularBlockBootstrap``), the
       difference ``diff*`` and its standard error ``se*`` from the block
       formula of Goetze & Kuensch (1996): with ``l = floor(n / block)`` blocks,
       ``zeta_j = block ** -0.5 * sum of the demeaned moments in block j``,
       ``Psi* = mean_j zeta_j zeta_j'``, ``se* = sqrt(grad*' Psi* grad* / n)``.
    3. ``p = (1 + #{|diff* - diff| / se* >= d}) / (reps + 1)`` (two-sided).

    Parameters
    ----------
    a, b : array-like of shape (n,)
        Paired excess returns (rows with a NaN dropped).
    block : int, optional
        Block length; default :func:`sharpe_block_length`.
    reps : int
        Bootstrap samples.
    seed : int
        Seed of the index draws (same seed, same p-value).
    lags : int, optional
        Bartlett lags of the sample standard error (default Newey-West's rule).

    Returns
    -------
    dict
        ``diff`` (per-period Sharpe of a minus b), ``se``, ``p_value``, ``block``, ``reps``.
    """

    x = _paired(a, b)
    n = len(x)
    nan = {"diff": np.nan, "se": np.nan, "p_value": np.nan, "block": np.nan, "reps": reps}
    if n < 20 or reps < 1:
        return nan
    block = sharpe_block_length(x[:, 0], x[:, 1]) if block is None else int(block)
    hac = sharpe_difference_test(x[:, 0], x[:, 1], lags)
    diff, se = hac["diff"], hac["se"]
    if not np.isfinite(se) or se <= 1e-15:
        return {"diff": diff, "se": se, "p_value": 1.0 if np.isfinite(diff) else np.nan, "block": block,
                "reps": reps}
    idx = _circular_block_indices(block, n, reps, seed)  # (reps, n)
    xs = x[idx]  # (reps, n, 2)
    mu = xs.mean(axis=1)
    gamma = (xs ** 2).mean(axis=1)
    var = gamma - mu ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        diff_s = mu[:, 0] / np.sqrt(var[:, 0]) - mu[:, 1] / np.sqrt(var[:, 1])
        grad = np.column_stack([gamma[:, 0] / var[:, 0] ** 1.5, -gamma[:, 1] / var[:, 1] ** 1.5,
                                -mu[:, 0] / (2 * var[:, 0] ** 1.5), mu[:, 1] / (2 * var[:, 1] ** 1.5)])
        y = np.concatenate([xs - mu[:, None, :], xs ** 2 - gamma[:, None, :]], axis=2)  # (reps, n, 4)
        n_blocks = n // block
        zeta = y[:, :n_blocks * block].reshape(reps, n_blocks, block, 4).sum(axis=2) / np.sqrt(block)
        psi = np.einsum("rli,rlj->rij", zeta, zeta) / n_blocks
        se_s = np.sqrt(np.einsum("ri,rij,rj->r", grad, psi, grad) / n)
        d_s = np.abs(diff_s - diff) / se_s
    d = abs(diff) / se
    exceed = int(np.sum(~(d_s < d)))  # a degenerate draw (NaN) counts against rejection
    return {"diff": diff, "se": se, "p_value": (1 + exceed) / (reps + 1), "block": block, "reps": reps}


def probabilistic_sharpe(returns, benchmark: float = 0.0) -> float:
    """PSR: ``P(true SR > benchmark)`` given skewness and kurtosis (per-period Sharpe units).

    ``Z[(SR - SR*) sqrt(n - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2)]`` with g3 the
    skewness and g4 the (non-excess) kurtosis of the returns.
    """
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    if len(r) < 10:
        return np.nan
    return _psr(_per_period_sharpe(r), len(r), float(stats.skew(r)), float(stats.kurtosis(r, fisher=False)),
                benchmark)


def _psr(sr: float, n: int, skew: float, kurt: float, benchmark: float) -> float:
    denom = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr ** 2
    if not np.isfinite(sr) or denom <= 0:
        return np.nan
    return float(stats.norm.cdf((sr - benchmark) * np.sqrt(n - 1) / np.sqrt(denom)))


def expected_max_sharpe(n_trials: int, sr_variance: float, sr_mean: float = 0.0) -> float:
    """Expected maximum of ``n_trials`` Sharpe ratios with mean ``sr_mean`` and variance ``sr_variance``.

    ``E[max] ~ mean + sqrt(V) ((1 - gamma) Z^-1(1 - 1/N) + gamma Z^-1(1 - 1/(N e)))``.
    """
    if n_trials < 2:
        return sr_mean
    z1 = stats.norm.ppf(1 - 1 / n_trials)
    z2 = stats.norm.ppf(1 - 1 / (n_trials * np.e))
    return float(sr_mean + np.sqrt(sr_variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe(sr: float, n_obs: int, n_trials: int, sr_variance: float, skew: float = 0.0,
                    kurt: float = 3.0) -> float:
    """Deflated Sharpe ratio: PSR against the expected maximum Sharpe of ``n_trials`` (per-period units).

    Parameters
    ----------
    sr : float
        The selected strategy's per-period Sharpe ratio.
    n_obs : int
        Its number of returns.
    n_trials : int
        Strategies tried.
    sr_variance : float
        Variance of the per-period Sharpe ratios across the trials.
    skew, kurt : float
        Skewness and (non-excess) kurtosis of the selected strategy's returns.
    """
    return _psr(sr, n_obs, skew, kurt, expected_max_sharpe(n_trials, sr_variance))


def deflated_sharpe_of(returns, all_returns: pd.DataFrame) -> float:
    """DSR of ``returns`` given every strategy tried (columns of ``all_returns``)."""
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    srs = all_returns.apply(lambda c: _per_period_sharpe(c.dropna().to_numpy())).to_numpy()
    srs = srs[np.isfinite(srs)]
    if len(r) < 10 or len(srs) < 2:
        return probabilistic_sharpe(r)
    return deflated_sharpe(_per_period_sharpe(r), len(r), len(srs), float(np.var(srs, ddof=1)),
                           float(stats.skew(r)), float(stats.kurtosis(r, fisher=False)))


def spa_test(benchmark, strategies: pd.DataFrame, reps: int = 1000, block: int | None = None,
             seed: int = 0) -> dict[str, float]:
    """Hansen's SPA test (and White's Reality Check): does any strategy beat the benchmark?

    Losses are negative returns; H0: no strategy has a lower expected loss than
    the benchmark. Returns the consistent, lower and upper SPA p-values
    (``upper`` equals White's Reality Check).
    """
    from arch.bootstrap import SPA

    data = pd.concat([pd.Series(np.asarray(benchmark, dtype=float), index=strategies.index), strategies], axis=1)
    data = data.dropna()
    if len(data) < 20 or strategies.shape[1] == 0:
        return {"spa_consistent": np.nan, "spa_lower": np.nan, "reality_check": np.nan}
    spa = SPA(-data.iloc[:, 0].to_numpy(), -data.iloc[:, 1:].to_numpy(),
              block_size=block or max(2, round(len(data) ** (1 / 3))), reps=reps,
              bootstrap="stationary", seed=np.random.default_rng(seed))
    spa.compute()
    p = spa.pvalues
    return {"spa_consistent": float(p["consistent"]), "spa_lower": float(p["lower"]),
            "reality_check": float(p["upper"])}


def hlz_hurdle(t_stat: float, hurdle: float = 3.0) -> bool:
    """Whether a t-statistic clears the Harvey-Liu-Zhu multiple-testing hurdle (t > 3)."""
    return bool(np.isfinite(t_stat) and t_stat > hurdle)


def _ranked_sharpe(values: np.ndarray) -> np.ndarray:
    """Per-column Sharpe ratio of ``values`` (rows, strategies) for ranking: 0 or +/-inf without variation."""
    mean, sd = values.mean(0), values.std(0, ddof=1)
    flat = sd == 0
    limit = np.where(mean > 0, np.inf, np.where(mean < 0, -np.inf, 0.0))
    return np.where(flat, limit, mean / np.where(flat, 1.0, sd))


def pbo_cscv(returns: pd.DataFrame, n_blocks: int = 16) -> dict[str, float]:
    """Probability of backtest overfitting by CSCV (Bailey et al. 2017).

    The sample (rows) is cut into ``n_blocks`` contiguous blocks; for every
    way of choosing half of them as in-sample, the strategy with the best
    in-sample Sharpe ratio is ranked out of sample. PBO is the share of
    splits where that strategy ranks at or below the out-of-sample median
    (logit <= 0).

    A strategy without variation in a half (cash earning nothing, a weight of 0 throughout) has the Sharpe
    ratio 0 there when its mean is 0 and +/-inf by the sign of its mean otherwise, so it is still ranked
    (a 0/0 would rank every strategy NaN and count the split as not overfit).

    Returns
    -------
    dict
        ``pbo``, ``n_splits``, ``mean_logit``.
    """
    data = returns.dropna()
    n_strat = data.shape[1]
    if n_strat < 2 or len(data) < 2 * n_blocks:
        return {"pbo": np.nan, "n_splits": 0, "mean_logit": np.nan}
    blocks = np.array_split(np.arange(len(data)), n_blocks)
    values = data.to_numpy()
    logits = []
    for chosen in itertools.combinations(range(n_blocks), n_blocks // 2):
        is_rows = np.concatenate([blocks[i] for i in chosen])
        oos_rows = np.concatenate([blocks[i] for i in range(n_blocks) if i not in chosen])
        v_is, v_oos = values[is_rows], values[oos_rows]  # each gathered once
        sr_is, sr_oos = _ranked_sharpe(v_is), _ranked_sharpe(v_oos)
        best = int(np.argmax(sr_is))
        rank = stats.rankdata(sr_oos)[best]  # 1 = worst
        omega = rank / (n_strat + 1)
        logits.append(np.log(omega / (1 - omega)))
    logits = np.asarray(logits)
    return {"pbo": float(np.mean(logits <= 0)), "n_splits": len(logits), "mean_logit": float(logits.mean())}


@dataclass(frozen=True)
class RegressionResult:
    """Alpha and loadings of a time-series regression with Newey-West t-statistics."""

    alpha: float
    alpha_t: float
    alpha_p: float
    betas: dict[str, float]
    beta_t: dict[str, float]
    r2: float
    systematic_share: float
    n_obs: int


def newey_west_regression(y, X: pd.DataFrame, lags: int | None = None) -> RegressionResult:
    """OLS of ``y`` on ``X`` plus a constant, HAC (Newey-West) standard errors.

    ``systematic_share`` is the share of the variance of ``y`` explained by the
    factors (R^2); the rest is idiosyncratic. Alpha is per period.
    """
    data = pd.concat([pd.Series(np.asarray(y, dtype=float), index=X.index, name="y"), X], axis=1).dropna()
    n = len(data)
    lags = newey_west_lags(n) if lags is None else lags
    res = sm.OLS(data["y"], sm.add_constant(data[X.columns])).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    names = list(X.columns)
    return RegressionResult(alpha=float(res.params["const"]), alpha_t=float(res.tvalues["const"]),
                            alpha_p=float(res.pvalues["const"]),
                            betas={k: float(res.params[k]) for k in names},
                            beta_t={k: float(res.tvalues[k]) for k in names},
                            r2=float(res.rsquared), systematic_share=float(res.rsquared), n_obs=n)
