"""The regressors behind the scikit-learn forecasters, with the framework's defaults.

:data:`REGRESSORS` maps a forecaster name to a function returning the
regressor class (imported only when asked for: LightGBM is an optional
extra) and the defaults this framework uses (small trees and networks:
monthly training windows hold a few hundred rows). :func:`make_regressor`
builds one; :func:`regressor_parameters` lists the parameters a user may set
(the regressor's own, with the framework's defaults), which is what the
registry shows and checks.

:class:`TimeSeriesMLP` is scikit-learn's ``MLPRegressor`` with early stopping
done the time-series way: the validation rows are the LAST
``validation_fraction`` of the training rows (never a shuffled subset), and
the epochs see the earlier rows in order (``shuffle=False``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from plumbing.errors import FactorRegimesError

LIGHTGBM_MISSING = 'the lightgbm forecaster needs LightGBM: pip install "factor-regimes[lightgbm]"'


class TimeSeriesMLP(RegressorMixin, BaseEstimator):
    """A small feed-forward network with early stopping on the end of its training rows.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (16,)
    alpha : float, default 1e-3
        L2 penalty.
    learning_rate_init : float, default 1e-2
    batch_size : int, default 32
    max_iter : int, default 200
        Maximum epochs.
    validation_fraction : float, default 0.2
        Share of the rows, taken from the END of the training rows (the most
        recent ones), on which the validation loss is measured after each epoch.
    n_iter_no_change : int, default 10
        Epochs without improvement of the validation loss (by ``tol``) before stopping.
    tol : float, default 1e-4
        On the validation mean squared error of the standardized target.
    random_state : int, default 0

    Attributes
    ----------
    model_ : MLPRegressor
        The network at its best validation epoch (trained on the earlier rows only).
    n_iter_ : int
        Epochs run; ``best_epoch_`` the epoch kept.

    Notes
    -----
    Uses only the rows passed to ``fit``: the validation rows are inside the
    training window, so early stopping sees nothing after it.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, hidden_layer_sizes: tuple = (16,), alpha: float = 1e-3, learning_rate_init: float = 1e-2,
                 batch_size: int = 32, max_iter: int = 200, validation_fraction: float = 0.2,
                 n_iter_no_change: int = 10, tol: float = 1e-4, random_state: int = 0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None) -> TimeSeriesMLP:
        """Train epoch by epoch on the first rows; keep the epoch with the lowest loss on the last rows."""
        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=float)
        if sample_weight is not None:
            # rows of weight 0 carry nothing (and a minibatch made only of them has no loss to average)
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
            keep = sample_weight > 0
            X, y, sample_weight = X[keep], y[keep], sample_weight[keep]
        n_val = max(1, int(round(self.validation_fraction * len(X))))
        if len(X) - n_val < 2:
            raise ValueError(f"mlp: n_samples={len(X)} rows are too few to hold out the last {n_val} for early "
                             "stopping (it needs at least 3)")
        fit_rows, val_rows = slice(0, len(X) - n_val), slice(len(X) - n_val, len(X))
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        # the target is standardized with the early-stopping training rows' statistics (returns are ~1e-2, so
        # raw squared errors would make every improvement look negligible); predictions are mapped back
        self.y_mean_, y_std = float(y[fit_rows].mean()), float(y[fit_rows].std())
        self.y_scale_ = y_std if y_std > 0 else 1.0
        z = (y - self.y_mean_) / self.y_scale_
        net = MLPRegressor(hidden_layer_sizes=tuple(self.hidden_layer_sizes), alpha=self.alpha,
                           learning_rate_init=self.learning_rate_init,
                           batch_size=max(1, min(int(self.batch_size), len(X) - n_val)),
                           shuffle=False, random_state=self.random_state)
        best, best_loss, stale = None, np.inf, 0
        for epoch in range(1, int(self.max_iter) + 1):
            net.partial_fit(X[fit_rows], z[fit_rows], sample_weight=None if w is None else w[fit_rows])
            err = (net.predict(X[val_rows]) - z[val_rows]) ** 2
            loss = float(np.average(err, weights=None if w is None or w[val_rows].sum() <= 0 else w[val_rows]))
            if loss < best_loss - self.tol:
                best = ([c.copy() for c in net.coefs_], [b.copy() for b in net.intercepts_])
                best_loss, stale, self.best_epoch_ = loss, 0, epoch
            else:
                stale += 1
                if stale >= self.n_iter_no_change:
                    break
        if best is not None:
            net.coefs_, net.intercepts_ = best
        self.model_ = net
        self.n_iter_ = epoch
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=float)
        return self.model_.predict(X) * self.y_scale_ + self.y_mean_


def _lightgbm():
    try:
        from lightgbm import LGBMRegressor
    except ImportError:
        raise FactorRegimesError(LIGHTGBM_MISSING) from None
    return LGBMRegressor


#: name -> () -> (regressor class, framework defaults); seeded models also get ``random_state``.
REGRESSORS: dict[str, Callable[[], tuple[type, dict]]] = {
    "ridge": lambda: (Ridge, {}),
    "lasso": lambda: (Lasso, {}),
    "elastic_net": lambda: (ElasticNet, {}),
    "random_forest": lambda: (RandomForestRegressor, {"n_estimators": 200, "max_depth": 3, "min_samples_leaf": 10,
                                                      "n_jobs": 1}),
    "gradient_boosting": lambda: (HistGradientBoostingRegressor, {"max_iter": 100, "learning_rate": 0.05,
                                                                  "max_depth": 3, "min_samples_leaf": 10,
                                                                  "early_stopping": False}),
    "lightgbm": lambda: (_lightgbm(), {"n_estimators": 100, "learning_rate": 0.05, "num_leaves": 7,
                                       "min_child_samples": 10, "subsample_freq": 0, "n_jobs": 1,
                                       "verbose": -1}),
    "mlp": lambda: (TimeSeriesMLP, {}),
}
SEEDED = {"lasso", "elastic_net", "random_forest", "gradient_boosting", "lightgbm", "mlp"}


def regressor_parameters(model: str) -> dict[str, object]:
    """The parameters of ``model``'s regressor with the framework's defaults (``random_state`` excluded)."""
    cls, defaults = REGRESSORS[model]()
    own = {k: v.default for k, v in inspect.signature(cls.__init__).parameters.items()
           if k not in ("self", "random_state") and v.kind in (v.POSITIONAL_OR_KEYWORD, v.KEYWORD_ONLY)}
    return {**own, **{k: v for k, v in defaults.items() if k in own}}


def make_regressor(model: str, params: dict | None, random_state: int):
    """The regressor ``model`` with the framework defaults overridden by ``params``."""
    if model not in REGRESSORS:
        raise ValueError(f"unknown regressor {model!r} (known: {', '.join(REGRESSORS)})")
    cls, defaults = REGRESSORS[model]()
    params = {**defaults, **dict(params or {})}
    if model in SEEDED:
        params.setdefault("random_state", random_state)
    return cls(**params)
