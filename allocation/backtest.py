"""Backtest: target weights chosen at t earn the returns of period t+1, net of costs.

At each decision date t:

1. the portfolio holds the weights of the last rebalance, *drifted* by the
   returns since: ``w_i (1 + r_i) / (1 + sum_j w_j r_j)``;
2. the allocator's target is passed through the constraints
   (:class:`Constraints`), which may cap the trade or move only part way;
3. turnover is ``sum |w_new - w_drifted|`` (one-way: buying 1 unit of
   an asset from cash is turnover 1); the cost ``cost_bps / 1e4 *
   turnover`` is charged in period t+1, at any data frequency;
4. the period t+1 return is ``sum w_new * r_{t+1} - cost`` (plus the
   risk-free rate on the cash weight when ``cash_return`` is given, for
   fully-invested assets that earn total returns).

Factor returns are excess returns, so cash earns zero excess return by
default. The returned series are indexed by the END of the period they
cover (t+1); weights by their decision date t.

With a trading delay d (``delay``), the target chosen at t is traded at
t+d and earns period t+1+d (Shu, Yu & Mulvey's one-day delay is d = 1 on
daily data).

A missing value is never read as a zero return. Where any of the strategy's
assets (or the cash rate, when one is given) has no return for period t+1,
the strategy is *not live* for that period: its return is NaN and the period
is listed in ``BacktestResult.missing_return_periods`` (the cash rate is
needed only when the cash weight is not zero). The weights chosen at
t are then carried to t+1 undrifted (the drift through an unknown return is
unknown), so the next rebalance is charged only for the change of target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from plumbing.errors import FactorRegimesError


@dataclass(frozen=True)
class Constraints:
    """Constraints applied to every target, in this order.

    Attributes
    ----------
    long_only : bool
        Clip negative weights to 0.
    max_weight : float or None
        Per-asset cap on the absolute weight.
    max_gross : float or None
        Cap on ``sum |w|`` (scaled down proportionally).
    fully_invested : bool
        Rescale to ``sum w = 1`` (ETF-style portfolios; needs long_only).
    max_turnover : float or None
        Cap on ``sum |w_new - w_drifted|`` per rebalance (trade scaled down).
    adjustment : float
        Partial adjustment: move this fraction of the way from the drifted
        weights to the target (1 = all the way).
    """

    long_only: bool = False
    max_weight: float | None = None
    max_gross: float | None = None
    fully_invested: bool = False
    max_turnover: float | None = None
    adjustment: float = 1.0

    def validate(self) -> None:
        if not 0 < self.adjustment <= 1:
            raise FactorRegimesError(f"constraints: adjustment must be in (0, 1], not {self.adjustment}")
        if self.fully_invested and not self.long_only:
            raise FactorRegimesError("constraints: fully_invested needs long_only")
        for name in ("max_weight", "max_gross", "max_turnover"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise FactorRegimesError(f"constraints: {name} must be positive, not {value}")

    def apply(self, target: np.ndarray, drifted: np.ndarray) -> np.ndarray:
        """The weights actually held: ``target`` constrained, given the drifted current weights."""
        w = np.where(np.isfinite(target), target, 0.0).astype(float)
        if self.long_only:
            w = np.maximum(w, 0.0)
        if self.max_weight is not None:
            w = np.clip(w, -self.max_weight, self.max_weight)
        if self.max_gross is not None and np.abs(w).sum() > self.max_gross:
            w *= self.max_gross / np.abs(w).sum()
        if self.fully_invested:
            total = w.sum()
            w = w / total if total > 0 else np.full(len(w), 1.0 / len(w))
        w = drifted + self.adjustment * (w - drifted)
        trade = w - drifted
        turnover = np.abs(trade).sum()
        if self.max_turnover is not None and turnover > self.max_turnover:
            w = drifted + trade * (self.max_turnover / turnover)
        return w


@dataclass
class BacktestResult:
    """Output of :func:`run_backtest`.

    Attributes
    ----------
    returns : pandas.Series
        Net return of each period t+1, indexed by its end date.
    gross_returns : pandas.Series
        Before costs.
    weights : pandas.DataFrame
        Weights held after rebalancing at each decision date t.
    turnover : pandas.Series
        ``sum |w_new - w_drifted|`` at each decision date.
    costs : pandas.Series
        Cost charged in period t+1, indexed by its end date.
    missing_return_periods : pandas.DatetimeIndex
        End dates of the periods where the strategy held a position (finite
        targets) but an asset's return (or the cash rate) was missing; its
        return there is NaN, never 0.
    """

    returns: pd.Series
    gross_returns: pd.Series
    weights: pd.DataFrame
    turnover: pd.Series
    costs: pd.Series
    info: dict = field(default_factory=dict)
    missing_return_periods: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([], name="date"))


def run_backtest(targets: pd.DataFrame, asset_returns: pd.DataFrame, constraints: Constraints | None = None,
                 cost_bps: float = 0.0, cash_return: pd.Series | None = None, name: str = "",
                 delay: int = 0) -> BacktestResult:
    """Hold constrained targets chosen at t over period t+1.

    Parameters
    ----------
    targets : pandas.DataFrame
        Shape ``(n_dates, n_assets)``: target weights chosen at decision
        date t. A row with a NaN target means the strategy is not live yet
        (no forecast): no position and a NaN return for the next period,
        rather than a zero return that would pass for cash. Only information
        dated <= t may have produced row t.
    asset_returns : pandas.DataFrame
        Returns over each period, indexed by the period's end date, the same
        columns; row ``t+1`` is the return earned by weights chosen at t.
        A NaN is a missing return: the strategy has no return for that
        period (see the module docstring), whatever its weight.
    constraints : Constraints, optional
    cost_bps : float
        Cost in basis points per unit of turnover.
    cash_return : pandas.Series, optional
        Return of cash per period (index like ``asset_returns``); default 0
        (factor returns are excess returns).
    delay : int
        Trading delay in periods (``allocation.trading_delay``): the target chosen at the close of t is
        traded at the close of t + ``delay`` and earns the returns from period t+1+``delay`` on. It is
        applied by moving each target ``delay`` rows later along ``targets.index`` (the decision dates,
        one per period); the first ``delay`` rows then have no target (not live, NaN return). The
        returned weights and turnover are dated when the trade happens.
    """
    constraints = constraints or Constraints()
    constraints.validate()
    missing = [c for c in targets.columns if c not in asset_returns.columns]
    if missing:
        raise FactorRegimesError(f"backtest: no returns for asset(s) {missing}")
    if cost_bps < 0:
        raise FactorRegimesError(f"backtest: cost_bps must be >= 0, not {cost_bps}")
    if isinstance(delay, bool) or not isinstance(delay, (int, np.integer)) or delay < 0:
        raise FactorRegimesError(f"backtest: trading delay must be a whole number of periods >= 0, not {delay!r}")
    if delay:
        targets = targets.shift(int(delay))
    dates = targets.index
    future = asset_returns.index.searchsorted(dates, side="right")  # first return period after t
    n, k = targets.shape
    held = np.zeros((n, k))
    turnover = np.zeros(n)
    gross = np.full(n, np.nan)
    costs = np.zeros(n)
    end_dates: list[pd.Timestamp] = []
    drifted = np.zeros(k)
    no_return: list[pd.Timestamp] = []
    rets = asset_returns[targets.columns].to_numpy(dtype=float)
    cash = None if cash_return is None else cash_return.reindex(asset_returns.index).to_numpy(dtype=float)
    target_values = targets.to_numpy(dtype=float)
    for i in range(n):
        j = future[i]
        if not np.isfinite(target_values[i]).all():  # not live yet (no forecast): no position, no return
            held[i] = np.nan
            turnover[i] = np.nan
            drifted = np.zeros(k)
            end_dates.append(asset_returns.index[j] if j < len(asset_returns) else pd.NaT)
            continue
        w = constraints.apply(target_values[i], drifted)
        held[i] = w
        turnover[i] = np.abs(w - drifted).sum()
        costs[i] = cost_bps / 1e4 * turnover[i]
        if j >= len(asset_returns):
            end_dates.append(pd.NaT)
            drifted = w
            continue
        end_dates.append(asset_returns.index[j])
        r = rets[j]
        cash_weight = 1.0 - w.sum()
        cash_r = 0.0 if cash is None or abs(cash_weight) < 1e-12 else cash[j]
        if not (np.isfinite(r).all() and np.isfinite(cash_r)):  # no return: not live for this period, never 0
            no_return.append(asset_returns.index[j])
            drifted = w
            continue
        port = float(w @ r + cash_weight * cash_r)
        gross[i] = port
        drifted = w * (1.0 + r) / (1.0 + port) if (1.0 + port) != 0 else np.zeros(k)
    index = pd.DatetimeIndex(end_dates, name="date")
    keep = ~index.isna()
    gross_s = pd.Series(gross[keep], index=index[keep], name=name)
    cost_s = pd.Series(costs[keep], index=index[keep], name=name)
    return BacktestResult(
        returns=(gross_s - cost_s).rename(name), gross_returns=gross_s, weights=pd.DataFrame(held, index=dates,
                                                                                           columns=targets.columns),
        turnover=pd.Series(turnover, index=dates, name=name), costs=cost_s,
        info={"cost_bps": cost_bps, "constraints": constraints},
        missing_return_periods=pd.DatetimeIndex(no_return, name="date"))


def missing_return_summary(backtests: dict[str, BacktestResult], frame: pd.DataFrame, wide: pd.DataFrame,
                           window: pd.DataFrame) -> dict:
    """Which periods had no asset return, which strategies they took out, and what the common window lost.

    Parameters
    ----------
    backtests : dict
        Strategy name -> :class:`BacktestResult` (its ``missing_return_periods``).
    frame : pandas.DataFrame
        The panel, to name the assets whose return is missing.
    wide, window : pandas.DataFrame
        Every strategy's returns, and the rows where all of them have one.

    Returns
    -------
    dict
        Empty when no strategy met a missing return; otherwise ``periods``
        (ISO end dates), ``assets`` (asset -> its missing periods among them),
        ``strategies`` (strategy -> number of periods it was not live for
        that reason), ``window_periods`` (length of the common window),
        ``dropped_inside_window`` (periods inside the window's span that
        left it) and a one-line ``message``.
    """
    by_strategy = {name: len(bt.missing_return_periods) for name, bt in backtests.items()
                   if len(bt.missing_return_periods)}
    if not by_strategy:
        return {}
    periods = pd.DatetimeIndex(sorted(set().union(*(backtests[s].missing_return_periods for s in by_strategy))))
    assets = {}
    for name in by_strategy:
        for asset in backtests[name].weights.columns:
            gone = periods[frame[asset].reindex(periods).isna().to_numpy()] if asset in frame else periods
            if len(gone):
                assets[asset] = sorted({*assets.get(asset, []), *(d.date().isoformat() for d in gone)})
    span = wide.loc[window.index[0]: window.index[-1]].index if len(window) else wide.index[:0]
    dropped = int(len(span) - len(window))
    text = "; ".join(f"{a} has no return for {len(d)} period{'s' * (len(d) != 1)} ({d[0]}..{d[-1]})"
                     for a, d in assets.items())
    message = (f"missing returns: {text}; {len(by_strategy)} of {len(backtests)} strategies are not live there "
               f"(NaN, never 0); statistics use the common live window of {len(window)} periods"
               + (f" ({dropped} inside its span left out)" if dropped else ""))
    return {"periods": [d.date().isoformat() for d in periods], "assets": assets, "strategies": by_strategy,
            "window_periods": int(len(window)), "dropped_inside_window": dropped, "message": message}

