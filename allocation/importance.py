"""Feature importance of walk-forward forecasters, measured out of sample.

:func:`permutation_importance` re-predicts every out-of-sample period with the
model that actually made the forecast, after shuffling one input across the
whole out-of-sample period; the importance is the mean increase in squared
error. Regime-aware models get a pseudo-feature ``regime``: their regime
probabilities shuffled as a block. :func:`native_importance` averages a
model's own importances (random forests) over its refits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation.forecasters import design
from allocation.forecasting import ForecastResult, regime_inputs
from regimes.walkforward import RegimePath


def permutation_importance(result: ForecastResult, X: pd.DataFrame, regimes: RegimePath | None = None,
                           n_repeats: int = 10, seed: int = 0) -> pd.DataFrame:
    """Out-of-sample permutation importance.

    Parameters
    ----------
    result : ForecastResult
        From :func:`allocation.forecasting.forecast_walk_forward` (keeps the fitted models).
    X : pandas.DataFrame
        The features it was run on.
    regimes : RegimePath, optional
        Required for regime-aware models.

    Returns
    -------
    pandas.DataFrame
        Index: feature names (plus ``regime``); columns ``mse_increase`` (mean
        over repeats) and ``std``; sorted, most important first.
    """
    rng = np.random.default_rng(seed)
    frame = result.frame.dropna()
    features = list(X.columns)
    pos = X.index.get_indexer(frame.index)
    x = X.to_numpy(dtype=float)[pos]
    y = frame["realized"].to_numpy()
    reg = regime_inputs(regimes, X.index).take(pos) if regimes is not None else None
    # which fitted model served each out-of-sample row
    owner = np.full(len(frame), -1)
    for k, (_, _, first, last) in enumerate(result.fits):
        owner[(frame.index >= first) & (frame.index <= last)] = k
    uses_regimes = any(getattr(m, "uses_regimes", False) for _, m, _, _ in result.fits)
    names = features + (["regime"] if uses_regimes and reg is not None else [])

    # every variant (original, then each feature x repeat shuffled across the whole out-of-sample period)
    # is stacked, so each fitted model predicts once, for all its rows of all variants
    variants_x, variants_r, keys = [x], [reg], [("base", -1)]
    for rep in range(n_repeats):
        for j, name in enumerate(names):
            perm = rng.permutation(len(y))
            if name == "regime":
                variants_x.append(x)
                variants_r.append(reg.take(perm))
            else:
                xs = x.copy()
                xs[:, j] = xs[perm, j]
                variants_x.append(xs)
                variants_r.append(reg)
            keys.append((name, rep))
    n, v = len(y), len(keys)
    big_x = np.vstack(variants_x)
    big_r = None
    if reg is not None:
        big_r = type(reg)(*(None if getattr(reg, f) is None else np.vstack([getattr(r, f) for r in variants_r])
                            for f in ("now", "realized", "next")))
    pred = np.empty(n * v)
    for k, (_, model, _, _) in enumerate(result.fits):
        rows = np.flatnonzero(owner == k)
        if len(rows):
            idx = (np.arange(v)[:, None] * n + rows[None, :]).ravel()
            pred[idx] = model.predict(design(model, big_x[idx], big_r.take(idx) if big_r is not None else None, False))
    mse = ((pred.reshape(v, n) - y[None, :]) ** 2).mean(axis=1)
    increases: dict[str, list[float]] = {name: [] for name in names}
    for (name, _), value in zip(keys[1:], mse[1:]):
        increases[name].append(float(value - mse[0]))
    out = pd.DataFrame({"mse_increase": {k: np.mean(v) for k, v in increases.items()},
                        "std": {k: np.std(v) for k, v in increases.items()}})
    return out.sort_values("mse_increase", ascending=False)


def native_importance(result: ForecastResult) -> pd.Series | None:
    """Mean of the models' own importances over refits (None when the model has none)."""
    values = [m.feature_importances(result.feature_names) for _, m, _, _ in result.fits]
    values = [v for v in values if v]
    if not values:
        return None
    return pd.DataFrame(values).mean().sort_values(ascending=False)
