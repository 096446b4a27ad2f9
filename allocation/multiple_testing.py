"""Multiple testing over every strategy of a run, from ``arch.bootstrap`` (nothing re-implemented).

* :func:`stepm` - Romano & Wolf (2005) StepM: which strategies beat the
  benchmark, controlling the familywise error rate.
* :func:`model_confidence_set` - Hansen, Lunde & Nason (2011): the set of
  strategies that contains the best one with probability ``1 - size``.

Both work on losses = negative net (excess) returns, so "better" means a
higher mean return; both use the stationary bootstrap with mean block length
``max(2, round(n ** (1/3)))`` (as :func:`allocation.stats.spa_test`) and a
seeded generator, so the same returns and seed give the same answer.

Strategies whose returns are identical over the window (two forecasters
that always agree on the sign, say) are one hypothesis: arch's studentized
statistics are undefined for a zero-variance loss difference. Each such group
is tested once, through its first member, and every member shares the
outcome; the groups are reported under ``identical``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def default_block(n: int) -> int:
    """Mean block length of the stationary bootstrap: ``max(2, round(n ** (1/3)))``."""
    return max(2, round(n ** (1 / 3)))


def _distinct(data: pd.DataFrame, drop: pd.Series | None = None) -> tuple[list[str], dict[str, list[str]]]:
    """First member of each group of identical columns, and the groups with more than one member.

    Columns identical to ``drop`` (the benchmark) are left out of the representatives.
    """
    reps: list[str] = []
    groups: dict[str, list[str]] = {}
    for col in data.columns:
        values = data[col].to_numpy()
        if drop is not None and np.array_equal(values, drop.to_numpy()):
            groups.setdefault("__benchmark__", []).append(col)
            continue
        same = next((r for r in reps if np.array_equal(values, data[r].to_numpy())), None)
        if same is None:
            reps.append(col)
        else:
            groups.setdefault(same, [same]).append(col)
    return reps, groups


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
        ``block``, ``n``, ``identical`` (groups of identical strategies, tested
        once; ``__benchmark__``: those identical to the benchmark, never
        superior); ``superior`` is empty when fewer than 20 common periods.
    """
    from arch.bootstrap import StepM

    data = pd.concat([benchmark.rename("__benchmark__"), strategies], axis=1).dropna()
    out = {"superior": [], "n_models": int(strategies.shape[1]), "size": size, "reps": reps, "block": None,
           "n": int(len(data)), "identical": {}}
    if len(data) < 20 or strategies.shape[1] == 0:
        return out
    models, groups = _distinct(data[list(strategies.columns)], drop=data["__benchmark__"])
    out["identical"] = groups
    if not models:
        return out
    block = block or default_block(len(data))
    test = StepM(-data["__benchmark__"], -data[models], size=size, block_size=block, reps=reps,
                 bootstrap="stationary", studentize=True, seed=np.random.default_rng(seed))
    test.compute()
    superior = set(test.superior_models)
    superior |= {m for rep in list(superior) for m in groups.get(rep, [])}
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
        (name -> MCS p-value), ``size``, ``method``, ``reps``, ``block``, ``n``,
        ``identical`` (groups of identical strategies, tested once).
    """
    from arch.bootstrap import MCS

    data = returns.dropna()
    out = {"included": list(returns.columns), "excluded": [], "pvalues": {}, "size": size, "method": method,
           "reps": reps, "block": None, "n": int(len(data)), "identical": {}}
    if len(data) < 20:
        return out
    models, groups = _distinct(data)
    out["identical"] = groups
    if len(models) < 2:
        return out
    block = block or default_block(len(data))
    mcs = MCS(-data[models], size=size, reps=reps, block_size=block, method=method, bootstrap="stationary",
              seed=np.random.default_rng(seed))
    mcs.compute()
    member_of = {m: rep for rep, members in groups.items() for m in members}
    pvalues = {c: float(mcs.pvalues["Pvalue"][member_of.get(c, c)]) for c in returns.columns}
    included = {member_of.get(c, c) for c in mcs.included}
    out.update(included=[c for c in returns.columns if member_of.get(c, c) in included],
               excluded=[c for c in returns.columns if member_of.get(c, c) not in included],
               pvalues=pvalues, block=block)
    return out
