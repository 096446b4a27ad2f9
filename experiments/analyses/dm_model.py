"""Forecasts of momentum's mean and variance after Daniel & Moskowitz (2016), "Momentum crashes".

Timing: a decision month t is a calendar month end; every input dated t uses data up to the last trading
day of month t; the forecasts made at t are for month t+1, whose return the weight chosen at t earns.

* **Mean** (their Section 6, the bear-market and market-variance interaction of their regressions): ``WML_{t+1} = g0 + g_int I_B,t
  sigma^2_m,t + e``, with ``I_B,t = 1`` when the cumulative market return (Mkt-RF + RF) of the 24 months
  to t is negative and ``sigma^2_m,t`` the variance (ddof 1, annualized by 252) of the 126 daily market
  returns to t.
* **Variance** (their appendix): the realized volatility of the 22 daily WML returns after t is regressed on
  a GJR-GARCH(1,1) one-day-ahead volatility forecast made at t (arch: constant mean, normal errors, fit on
  daily WML in percent) and the realized volatility of the 126 daily WML returns to t (both standard
  deviations, ddof 1, daily units); the fitted value is the forecast volatility ``sigma_t`` and
  ``sigma_t^2`` the variance. The regression is in volatilities, as in the paper's appendix; the monthly scale
  of the variance is irrelevant because the strategies are rescaled to a target volatility.
* **Weights**: dynamic ``w_t = k mu_t / sigma_t^2`` (the paper's ``(1 / 2 lambda) mu / sigma^2``; the weight
  may be negative) and constant-volatility ``w_t = k' / sigma_t``; ``k`` and ``k'`` are single constants
  that bring each series to the target annual volatility on the evaluation window (they change no Sharpe
  ratio, t-statistic or appraisal ratio; chosen ex post, as the paper's lambda).

:func:`in_sample` fits everything on the full sample (the paper's headline; it uses future data and is
labelled so). :func:`out_of_sample` refits GJR-GARCH and the variance regression every ``refit_months`` on
the data up to the refit month only (the regression on months whose 22-day target is realized by then), and
the mean regression every month on the pairs realized by t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from arch import arch_model

from plumbing.errors import FactorRegimesError

#: Fewest realized months either out-of-sample regression is fit on.
MIN_MONTHS = 24
GARCH_SPEC = {"mean": "Constant", "vol": "GARCH", "p": 1, "o": 1, "q": 1, "dist": "normal"}


@dataclass
class DMInputs:
    """Monthly inputs on a month-end index (shape ``(n_months,)`` each) and the daily WML series.

    ``bear``, ``market_var``, ``rv126``, ``last_day`` use data up to month t; ``vol22`` (the variance
    regression's target) uses the 22 trading days after t and ``vol22_known`` is the day it is realized.
    ``wml`` is the monthly WML return of month t.
    """

    wml: pd.Series
    wml_daily: pd.Series
    bear: pd.Series
    market_var: pd.Series
    rv126: pd.Series
    vol22: pd.Series
    vol22_known: pd.Series
    last_day: pd.Series

    @property
    def interaction(self) -> pd.Series:
        """``I_B,t sigma^2_m,t``, known at t."""
        return self.bear * self.market_var


def _window_stat(values: np.ndarray, ends: np.ndarray, length: int, func) -> np.ndarray:
    out = np.full(len(ends), np.nan)
    for i, end in enumerate(ends):
        if end + 1 >= length and end < len(values):
            out[i] = func(values[end + 1 - length:end + 1])
    return out


def build_inputs(wml: pd.Series, wml_daily: pd.Series, market: pd.Series, market_daily: pd.Series,
                 end: pd.Timestamp) -> DMInputs:
    """Inputs from monthly WML and market returns and their daily series, all in decimals, up to ``end``.

    ``market`` and ``market_daily`` are total market returns (Mkt-RF + RF). NaNs are refused inside each
    series' coverage (never filled).
    """
    series = {"monthly WML": wml, "daily WML": wml_daily, "monthly market": market, "daily market": market_daily}
    for name, s in series.items():
        first = s.first_valid_index()
        if first is None or first > end:
            raise FactorRegimesError(f"daniel_moskowitz_2016: no {name} returns up to {end:%Y-%m}")
        gaps = s.loc[first:end].isna()
        if gaps.any():
            raise FactorRegimesError(f"daniel_moskowitz_2016: {name} returns are missing inside their coverage "
                                     f"(first gap {gaps.index[gaps][0]:%Y-%m-%d}); they are never filled")
    wml, market = wml.dropna().loc[:end], market.dropna().loc[:end]
    wml_daily, market_daily = wml_daily.dropna().loc[:end], market_daily.dropna().loc[:end]
    months = wml.index
    w_pos = wml_daily.index.searchsorted(months, side="right") - 1
    m_pos = market_daily.index.searchsorted(months, side="right") - 1
    wd, md = wml_daily.to_numpy(), market_daily.to_numpy()
    valid_w = (w_pos >= 0) & (wml_daily.index[np.maximum(w_pos, 0)].to_period("M") == months.to_period("M"))
    w_pos = np.where(valid_w, w_pos, -1)
    rv126 = _window_stat(wd, w_pos, 126, lambda x: x.std(ddof=1))
    market_var = 252 * _window_stat(md, m_pos, 126, lambda x: x.var(ddof=1))
    ahead = np.where(valid_w & (w_pos + 22 < len(wd)), w_pos + 22, -1)
    vol22 = np.array([wd[p + 1:p + 23].std(ddof=1) if a >= 0 else np.nan for p, a in zip(w_pos, ahead)])
    known = pd.Series([wml_daily.index[a] if a >= 0 else pd.NaT for a in ahead], index=months)
    growth = (1 + market).rolling(24).apply(np.prod, raw=True) - 1
    bear = (growth < 0).astype(float).where(growth.notna()).reindex(months)
    last = pd.Series([wml_daily.index[p] if p >= 0 else pd.NaT for p in w_pos], index=months)
    return DMInputs(wml=wml, wml_daily=wml_daily, bear=bear, market_var=pd.Series(market_var, index=months),
                    rv126=pd.Series(rv126, index=months), vol22=pd.Series(vol22, index=months),
                    vol22_known=known, last_day=last)


def garch_vol(wml_daily: pd.Series, fit_end: pd.Timestamp, forecast_end: pd.Timestamp,
              origins: pd.DatetimeIndex) -> tuple[pd.Series, pd.Series]:
    """GJR-GARCH(1,1) fit on daily WML up to ``fit_end``; one-day-ahead volatility forecasts at ``origins``.

    The parameters fit on data to ``fit_end`` are applied (fixed) to the series up to ``forecast_end``;
    the forecast at origin d uses returns up to d only. Returns the parameters and the forecasts (decimal
    daily volatility, indexed by origin; NaN for an origin not in the daily index).
    """
    y = 100 * wml_daily.loc[:fit_end]
    res = arch_model(y, **GARCH_SPEC).fit(disp="off")
    if res.convergence_flag != 0:
        raise FactorRegimesError(f"daniel_moskowitz_2016: GJR-GARCH fit to {fit_end:%Y-%m-%d} did not converge "
                                 f"({res.optimization_result.message})")
    full = 100 * wml_daily.loc[:forecast_end]
    fc = arch_model(full, **GARCH_SPEC).fix(res.params).forecast(horizon=1, start=full.index[0], reindex=False)
    vol = np.sqrt(fc.variance["h.1"]) / 100
    return res.params, pd.Series(vol.reindex(origins).to_numpy(), index=origins)


def _ols(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def _with_const(*cols) -> np.ndarray:
    return np.column_stack([np.ones(len(cols[0]))] + [np.asarray(c, dtype=float) for c in cols])


def scale_to_vol(raw: pd.Series, target_vol: float) -> tuple[pd.Series, float]:
    """``k raw`` with the single constant k that gives annualized volatility ``target_vol`` (ddof 1)."""
    k = target_vol / (raw.std(ddof=1) * np.sqrt(12))
    return k * raw, float(k)


def strategies(wml_next: pd.Series, mu: pd.Series, sigma: pd.Series, target_vol: float) -> tuple[pd.DataFrame, dict]:
    """Monthly returns of plain WML, constant-volatility and dynamic WML on the months where all are defined.

    ``mu`` and ``sigma`` are forecasts made at t for month t+1; ``wml_next`` is indexed by t too (the
    return of month t+1). The result is re-indexed by the month earned (t+1).
    """
    frame = pd.DataFrame({"wml": wml_next, "mu": mu, "sigma": sigma}).dropna()
    if (frame["sigma"] <= 0).any():
        raise FactorRegimesError("daniel_moskowitz_2016: a forecast volatility is not positive "
                                 f"({frame.index[frame['sigma'] <= 0][0]:%Y-%m}); the variance regression failed")
    cvol, k_c = scale_to_vol(frame["wml"] / frame["sigma"], target_vol)
    dyn, k_d = scale_to_vol(frame["mu"] / frame["sigma"] ** 2 * frame["wml"], target_vol)
    out = pd.DataFrame({"wml": frame["wml"], "cvol": cvol, "dynamic": dyn,
                        "weight_cvol": k_c / frame["sigma"], "weight_dynamic": k_d * frame["mu"] / frame["sigma"] ** 2})
    out.index = (out.index.to_period("M") + 1).to_timestamp(how="end").normalize()
    return out, {"k_cvol": k_c, "k_dynamic": k_d}


def in_sample(x: DMInputs, target_vol: float = 0.19) -> tuple[pd.DataFrame, dict]:
    """Every model fit on the full sample (uses future data; the paper's headline). See module docstring."""
    end = x.wml.index[-1]
    params, garch = garch_vol(x.wml_daily, end, end, pd.DatetimeIndex(x.last_day.dropna()))
    garch_m = pd.Series(garch.to_numpy(), index=x.last_day.dropna().index).reindex(x.wml.index)
    var_data = pd.DataFrame({"y": x.vol22, "garch": garch_m, "rv126": x.rv126}).dropna()
    var_fit = sm.OLS(var_data["y"], sm.add_constant(var_data[["garch", "rv126"]])).fit()
    sigma = var_fit.params["const"] + var_fit.params["garch"] * garch_m + var_fit.params["rv126"] * x.rv126
    wml_next = x.wml.shift(-1)
    mean_data = pd.DataFrame({"y": wml_next, "interaction": x.interaction, "sigma": sigma}).dropna()
    mean_fit = sm.OLS(mean_data["y"], sm.add_constant(mean_data[["interaction"]])).fit()
    mu = mean_fit.params["const"] + mean_fit.params["interaction"] * x.interaction
    out, scale = strategies(wml_next, mu, sigma, target_vol)
    info = {"garch_params": {k: float(v) for k, v in params.items()},
            "variance_regression": {"coef": {k: float(v) for k, v in var_fit.params.items()},
                                    "t": {k: float(v) for k, v in var_fit.tvalues.items()},
                                    "r2": float(var_fit.rsquared), "n": int(var_fit.nobs)},
            "mean_regression": {"coef": {k: float(v) for k, v in mean_fit.params.items()},
                                "t": {k: float(v) for k, v in mean_fit.tvalues.items()},
                                "r2": float(mean_fit.rsquared), "n": int(mean_fit.nobs)}, **scale}
    return out, info


def out_of_sample(x: DMInputs, start: str, target_vol: float = 0.19, refit_months: int = 12) -> tuple[pd.DataFrame, dict]:
    """Expanding-window forecasts; the first month earned is ``start`` (YYYY-MM). See module docstring."""
    months = x.wml.index
    first = (pd.Period(start, "M") - 1).to_timestamp(how="end").normalize()
    decisions = months[(months >= first) & (months < months[-1])]
    if len(decisions) == 0:
        raise FactorRegimesError(f"daniel_moskowitz_2016: out-of-sample start {start} leaves no month before "
                                 f"{months[-1]:%Y-%m}")
    interaction, wml_next = x.interaction, x.wml.shift(-1)
    mu, sigma, refits = pd.Series(np.nan, index=decisions), pd.Series(np.nan, index=decisions), []
    for b in range(0, len(decisions), refit_months):
        block = decisions[b:b + refit_months]
        refit_at = block[0]
        fit_day, last_day = x.last_day[refit_at], x.last_day[block[-1]]
        history = months[months <= block[-1]]
        params, garch = garch_vol(x.wml_daily, fit_day, last_day, pd.DatetimeIndex(x.last_day[history]))
        garch_m = pd.Series(garch.to_numpy(), index=history)
        train = (x.vol22_known[history] <= fit_day).to_numpy()
        data = pd.DataFrame({"y": x.vol22[history], "g": garch_m, "r": x.rv126[history]})[train].dropna()
        if len(data) < MIN_MONTHS:
            raise FactorRegimesError(f"daniel_moskowitz_2016: the variance regression at {refit_at:%Y-%m} has "
                                     f"{len(data)} realized months (needs {MIN_MONTHS}); start the out-of-sample later")
        coef = _ols(data["y"].to_numpy(), _with_const(data["g"], data["r"]))
        sigma[block] = coef[0] + coef[1] * garch_m[block] + coef[2] * x.rv126[block]
        refits.append({"refit_at": f"{refit_at:%Y-%m}", "garch_fit_to": f"{fit_day:%Y-%m-%d}",
                       "garch_params": {k: float(v) for k, v in params.items()},
                       "variance_coef": [float(c) for c in coef], "n_variance": int(len(data))})
    for t in decisions:
        pairs = pd.DataFrame({"y": wml_next, "x": interaction}).loc[:t].iloc[:-1].dropna()
        if len(pairs) < MIN_MONTHS or not (pairs["x"] != 0).any():
            raise FactorRegimesError(f"daniel_moskowitz_2016: the mean regression at {t:%Y-%m} has {len(pairs)} "
                                     f"realized months, {int((pairs['x'] != 0).sum())} of them bear-market; needs "
                                     f"{MIN_MONTHS} and at least one; start the out-of-sample later")
        coef = _ols(pairs["y"].to_numpy(), _with_const(pairs["x"]))
        mu[t] = coef[0] + coef[1] * interaction[t]
    out, scale = strategies(wml_next[decisions], mu, sigma, target_vol)
    return out, {"refits": refits, "forecasts": pd.DataFrame({"mu": mu, "sigma": sigma}), **scale}
