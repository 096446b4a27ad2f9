"""Multiple testing over every strategy of a run, from ``arch.bootstrap`` (nothing re-implemented).

* :func:`stepm` - Romano & Wolf (2005) StepM: which strategies beat the
  benchmark, controlling the familywise error rate.
* :func:`model_confidence_set` - Hansen, Lunde & Nason (2011): the set of
  strategies that contains the best one with probability ``1 - size``.

Both work on losses = negative net (excess) returns, so "better" means a
higher mean return; both use the stationary bootstrap with mean block length
``max(2, round(n ** (1/3)))`` (as :func:`allocation.stats.spa_test`) and a
seeded generator, so the same returns and seed give the same answer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def default_block(n: int) -> int:
    """Mean block length of the stationary bootstrap: ``max(2, round(n ** (1/3)))``."""
    return max(2, round(n ** (1 / 3)))


def stepm(benchmark: pd.Series, strategies: pd.DataFrame, size: float = 0.05, reps: int = 1000,
          block: int | None = None, seed: int = 0) -> dict:
    """Romano-Wolf StepM (``arch.bootstrap.StepM``, studentized): strategies with a higher mean return.

    Parameters
    ----------
    benchmark : pandas.Series
        Returns of the benchmark (static exposure), shape (n,).
    strategies : pandas.DataFrame
        Returns of the competing strategies, shape (n, k), same index.
    size : float
        Familywise error rate.

    Returns
    -------
    dict
        ``superior`` (names, in column order), ``n_models``, ``size``, ``reps``,
        ``block``, ``n``; ``superior`` is empty when fewer than 20 common periods.
    """
    from arch.bootstrap import StepM

    data = pd.concat([benchmark.rename("__benchmark__"), strategies], axis=1).dropna()
    out = {"superior": [], "n_models": int(strategies.shape[1]), "size": size, "reps": reps, "block": None,
           "n": int(len(data))}
    if len(data) < 20 or strategies.shape[1] == 0:
        return out
    block = block or default_block(len(data))
    test = StepM(-data["__benchmark__"], -data[list(strategies.columns)], size=size, block_size=block, reps=reps,
                 bootstrap="stationary", studentize=True, seed=np.random.default_rng(seed))
    test.compute()
    superior = set(test.superior_models)
    out.update(superior=[c for c in strategies.columns if c in superior], block=block)
    return out


def model_confidence_set(returns: pd.DataFrame, size: float = 0.10, reps: int = 1000, block: int | None = None,
                         seed: int = 0, method: str = "R") -> dict:
    """Hansen's Model Confidence Set (``arch.bootstrap.MCS``) of the columns of ``returns``.

    Parameters
    ----------
    returns : pandas.DataFrame
        Returns of the candidates (including the benchmark), shape (n, k).
    size : float
        The set contains the best strategy with probability ``1 - size``.
    method : {"R", "max"}
        Elimination statistic.

    Returns
    -------
    dict
        ``included`` and ``excluded`` (names, in column order), ``pvalues``
        (name -> MCS p-value), ``size``, ``method``, ``reps``, ``block``, ``n``.
    """
    from arch.bootstrap import MCS

    data = returns.dropna()
    out = {"included": list(returns.columns), "excluded": [], "pvalues": {}, "size": size, "method": method,
           "reps": reps, "block": None, "n": int(len(data))}
    if len(data) < 20 or returns.shape[1] < 2:
        return out
    block = block or default_block(len(data))
    mcs = MCS(-data, size=size, reps=reps, block_size=block, method=method, bootstrap="stationary",
              seed=np.random.default_rng(seed))
    mcs.compute()
    included, pvalues = set(mcs.included), mcs.pvalues["Pvalue"]
    out.update(included=[c for c in returns.columns if c in included],
               excluded=[c for c in returns.columns if c not in included],
               pvalues={c: float(pvalues[c]) for c in returns.columns}, block=block)
    return out
