"""The weekly panel from the published daily files: each week's row from that week's trading days.

A week ends on Friday (``W-FRI``); its row is dated at the last trading day of the week found in the
daily panel (Thursday when Friday is a holiday), so it holds only what is known at that close:

* **returns** (factor returns, ``sp500_ret``, ``RF``): compounded over the week's trading days,
  ``prod(1 + r) - 1`` (for the excess returns ``Mkt-RF``, ``SMB``, ... the usual approximation: Ken French's
  monthly Mkt-RF agrees with its daily file compounded this way to 0.016 pp on average); a week with any missing daily return has no value (returns are never filled);
  ``sp500_logret`` is ``log(1 + sp500_ret)``;
* **levels** (``vix``, ``sp500``, ``drawdown``, spreads, ``nber_recession``): the value on the week's last
  trading day (already carried forward at most ``level_ffill_days`` by the daily panel);
* ``rv``: annualized realized volatility ``sqrt(252 * mean(r**2))`` of the week's daily S&P 500 log
  returns (of the Fama-French daily market where the index has none), from at least 3 days;
* a trailing week that the daily data leave before its Friday is dropped (it is not complete).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns compounded over the week (the rest are levels, last value of the week).
_COMPOUNDED = ("Mkt-RF", "SMB", "HML", "RF", "UMD", "RMW", "CMA", "sp500_ret")
#: Fewest daily returns for a weekly realized volatility.
RV_MIN_DAYS = 3


def weekly_frame(daily: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a daily panel frame (:func:`regimes.panel.build_panel`, ``"daily"``) to weeks.

    Parameters
    ----------
    daily : pandas.DataFrame
        Shape ``(n_days, n_columns)``, indexed by trading days; row d uses data dated <= d.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_weeks, n_columns)``, indexed by each week's last trading day (``date``); row w uses
        daily rows of week w only (see module docstring).
    """
    days = pd.DatetimeIndex(daily.index)
    friday = pd.DatetimeIndex(np.where(days.day_of_week == 4, days, days + pd.offsets.Week(weekday=4)))
    last_day = pd.Series(days, index=days).groupby(friday).max()
    if days[-1] < friday[-1]:  # the data stop inside their last week: that week is not complete
        last_day = last_day.iloc[:-1]
    compounded = [c for c in daily.columns if c in _COMPOUNDED]
    levels = [c for c in daily.columns if c not in _COMPOUNDED and c not in ("sp500_logret", "rv")]
    growth = np.expm1(np.log1p(daily[compounded]).groupby(friday).sum())
    frame = growth.mask(daily[compounded].isna().groupby(friday).any())  # a missing day: no weekly return
    at_close = daily[levels].reindex(last_day.to_numpy())
    at_close.index = last_day.index
    frame = frame.reindex(last_day.index).join(at_close)
    if "sp500_ret" in frame:
        frame["sp500_logret"] = np.log1p(frame["sp500_ret"])
    logret = daily["sp500_logret"] if "sp500_logret" in daily else None
    if "Mkt-RF" in daily and "RF" in daily:
        market = np.log1p(daily["Mkt-RF"] + daily["RF"])
        logret = market if logret is None else logret.where(logret.notna(), market)
    if logret is not None and "rv" in daily:
        squared = (logret ** 2).groupby(friday)
        frame["rv"] = np.sqrt(252.0 * squared.mean()).where(squared.count() >= RV_MIN_DAYS).reindex(last_day.index)
    frame.index = pd.DatetimeIndex(last_day.to_numpy(), name="date")
    return frame[[c for c in daily.columns if c in frame.columns]]
