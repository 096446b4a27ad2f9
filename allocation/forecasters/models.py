"""Unconditional forecasters: the historical mean and scikit-learn regressors.

Each scikit-learn model is a pipeline ``StandardScaler -> regressor`` fitted on
the training window only (so scaling uses training statistics), with
hyperparameters chosen by an inner time-series cross-validation on that
window: ``TimeSeriesSplit(n_splits, gap=gap)`` - each validation fold lies
after its training fold, separated by ``gap`` periods (purge/embargo).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from allocation.forecasters._base import Forecaster, RegimeInputs


class HistoricalMean(Forecaster):
    """The expanding mean of the target (Campbell & Thompson 2008's benchmark)."""

    def fit(self, X, y, regimes: RegimeInputs | None = None) -> HistoricalMean:
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X, regimes: RegimeInputs | None = None) -> np.ndarray:
        return np.full(len(X), self.mean_)


class SklearnForecaster(Forecaster):
    """A scaled scikit-learn regressor with optional time-series CV over ``param_grid``.

    Parameters
    ----------
    model : str
        ``ridge``, ``lasso``, ``elastic_net``, ``random_forest`` or ``gradient_boosting``.
    params : dict, optional
        Fixed parameters of the regressor.
    param_grid : dict, optional
        Grid searched by inner CV (keys are regressor parameters); default
        per model (:data:`DEFAULT_GRIDS`).
    cv_splits : int, default 5
    gap : int, default 1
        Periods between each CV training fold and its validation fold.
    random_state : int, default 0
    """

    def __init__(self, model: str = "ridge", params: dict | None = None, param_grid: dict | None = None,
                 cv_splits: int = 5, gap: int = 1, random_state: int = 0):
        self.model = model
        self.params = params
        self.param_grid = param_grid
        self.cv_splits = cv_splits
        self.gap = gap
        self.random_state = random_state

    def _estimator(self):
        params = dict(self.params or {})
        if self.model in ("random_forest", "gradient_boosting", "lasso", "elastic_net"):
            params.setdefault("random_state", self.random_state)
        return {
            "ridge": Ridge,
            "lasso": Lasso,
            "elastic_net": ElasticNet,
            "random_forest": lambda **p: RandomForestRegressor(**{"n_estimators": 200, "max_depth": 3,
                                                                   "min_samples_leaf": 10, "n_jobs": 1, **p}),
            "gradient_boosting": lambda **p: HistGradientBoostingRegressor(**{"max_iter": 100, "learning_rate": 0.05,
                                                                             "max_depth": 3, "min_samples_leaf": 10,
                                                                             "early_stopping": False, **p}),
        }[self.model](**params)

    def fit(self, X, y, regimes: RegimeInputs | None = None, sample_weight: np.ndarray | None = None):
        pipe = Pipeline([("scale", StandardScaler()), ("model", self._estimator())])
        grid = DEFAULT_GRIDS.get(self.model, {}) if self.param_grid is None else self.param_grid
        fit_params = {} if sample_weight is None else {"model__sample_weight": sample_weight}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            enough = len(X) >= 4 * (self.cv_splits + 1)
            closed_form = (self.model == "ridge" and set(self.params or {}) <= {"alpha"} and set(grid) <= {"alpha"}
                           and not (grid and enough and sample_weight is not None))
            if closed_form:
                # the same numbers as the scikit-learn pipeline and GridSearchCV, without their per-fit overhead
                alpha = float((self.params or {}).get("alpha", 1.0))
                if grid and enough:
                    cv = TimeSeriesSplit(n_splits=self.cv_splits, gap=self.gap)
                    alpha = ridge_cv_alpha(np.asarray(X, float), np.asarray(y, float), list(grid["alpha"]), cv)
                self.pipeline_ = ScaledRidge(alpha).fit(np.asarray(X, float), np.asarray(y, float), sample_weight)
                self.best_params_ = {"alpha": alpha} if grid and enough else {}
            elif grid and enough:
                search = GridSearchCV(pipe, {f"model__{k}": v for k, v in grid.items()},
                                      cv=TimeSeriesSplit(n_splits=self.cv_splits, gap=self.gap),
                                      scoring="neg_mean_squared_error")
                search.fit(X, y, **fit_params)
                self.pipeline_ = search.best_estimator_
                self.best_params_ = {k.removeprefix("model__"): v for k, v in search.best_params_.items()}
            else:
                self.pipeline_ = pipe.fit(X, y, **fit_params)
                self.best_params_ = {}
        return self

    def predict(self, X, regimes: RegimeInputs | None = None) -> np.ndarray:
        return self.pipeline_.predict(X)

    def feature_importances(self, feature_names: list[str]) -> dict[str, float] | None:
        if not hasattr(self.pipeline_, "named_steps"):
            return None
        model = self.pipeline_.named_steps["model"]
        values = getattr(model, "feature_importances_", None)
        if values is None:
            return None
        return dict(zip(feature_names, map(float, values)))


class ScaledRidge:
    """``StandardScaler -> Ridge(alpha)`` in closed form: the scikit-learn pipeline's numbers.

    The scaler uses unweighted training statistics (a pipeline passes sample
    weights to the regressor only); the ridge centers features and target
    with the weighted means (unpenalized intercept) and solves
    ``(Zc' W Zc + alpha I) b = Zc' W yc``.
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> ScaledRidge:
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        Z = (X - self.mean_) / self.scale_
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        z_bar = np.average(Z, axis=0, weights=w)
        y_bar = float(np.average(y, weights=w))
        sw = np.sqrt(w)
        A = (Z - z_bar) * sw[:, None]
        b = (y - y_bar) * sw
        self.coef_ = np.linalg.solve(A.T @ A + self.alpha * np.eye(Z.shape[1]), A.T @ b)
        self.intercept_ = y_bar - z_bar @ self.coef_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return ((np.asarray(X, float) - self.mean_) / self.scale_) @ self.coef_ + self.intercept_


def ridge_cv_alpha(X: np.ndarray, y: np.ndarray, alphas: list[float], cv: TimeSeriesSplit) -> float:
    """The alpha GridSearchCV would pick for ``StandardScaler -> Ridge`` (mean squared error, first best on ties).

    Each fold standardizes with its training rows, centers the target (the
    intercept is not penalized) and solves every alpha from one SVD.
    """
    alphas_arr = np.asarray(alphas, dtype=float)
    scores = np.zeros(len(alphas_arr))
    for train, test in cv.split(X):
        mu, sd = X[train].mean(axis=0), X[train].std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        xt, xv = (X[train] - mu) / sd, (X[test] - mu) / sd
        ym = y[train].mean()
        u, sv, vt = np.linalg.svd(xt, full_matrices=False)
        uy = u.T @ (y[train] - ym)
        coefs = vt.T @ ((sv / (sv ** 2 + alphas_arr[:, None]))[:, :] * uy).T  # (n_features, n_alphas)
        pred = ym + xv @ coefs
        scores += np.mean((pred - y[test][:, None]) ** 2, axis=0)
    return float(alphas_arr[int(np.argmin(scores / cv.get_n_splits()))])


#: Inner-CV grids by model (linear penalties on standardized features).
DEFAULT_GRIDS: dict[str, dict[str, list]] = {
    "ridge": {"alpha": [0.1, 1.0, 10.0, 100.0, 1000.0]},
    "lasso": {"alpha": [1e-4, 1e-3, 3e-3, 1e-2]},
    "elastic_net": {"alpha": [1e-4, 1e-3, 1e-2], "l1_ratio": [0.2, 0.5, 0.8]},
}


class EnsembleForecaster(Forecaster):
    """Average of member forecasters' predictions."""

    def __init__(self, members: list | None = None):
        self.members = members

    @property
    def uses_regimes(self) -> bool:  # type: ignore[override]
        return any(getattr(m, "uses_regimes", False) for m in self.members or [])

    def fit(self, X, y, regimes: RegimeInputs | None = None) -> EnsembleForecaster:
        from sklearn.base import clone
        self.members_ = [clone(m).fit(X, y, regimes) for m in self.members]
        return self

    def predict(self, X, regimes: RegimeInputs | None = None) -> np.ndarray:
        return np.mean([m.predict(X, regimes) for m in self.members_], axis=0)
