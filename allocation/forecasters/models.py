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
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from allocation.forecasters._base import Forecaster
from allocation.forecasters.regressors import make_regressor
from plumbing.errors import EstimatorInputError


class HistoricalMean(Forecaster):
    """The expanding mean of the target (Campbell & Thompson 2008's benchmark)."""

    expected_failed_checks: dict[str, str] = {
        "check_estimators_empty_data_messages": "it accepts X with no columns (it ignores the features, and the "
                                                "study fits the benchmark forecaster on none)"}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # it ignores the features by design
        return tags

    def fit(self, X, y) -> HistoricalMean:
        """Learn the mean of ``y``; ``X`` (any number of columns, even none) is validated and ignored."""
        _, y = self._check(X, y, min_features=0)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X) -> np.ndarray:
        """The training mean for every row, shape ``(n_rows,)``; uses the training targets only."""
        check_is_fitted(self)
        X = self._check(X, reset=False, min_features=0)
        return np.full(len(X), self.mean_)


class SklearnForecaster(Forecaster):
    """A scaled scikit-learn regressor with optional time-series CV over ``param_grid``.

    Parameters
    ----------
    model : str
        One of :data:`allocation.forecasters.regressors.REGRESSORS` (``ridge``, ``lasso``, ``elastic_net``,
        ``random_forest``, ``gradient_boosting``, ``lightgbm``, ``mlp``).
    params : dict, optional
        Fixed parameters of the regressor (in YAML they sit directly under the forecaster's ``params``).
    param_grid : dict, optional
        Grid searched by inner CV (keys are regressor parameters); default
        per model (:data:`DEFAULT_GRIDS`).
    cv_splits : int, default 5
    gap : int, default 1
        Periods between each CV training fold and its validation fold.
    random_state : int, default 0
    """

    expected_failed_checks: dict[str, str] = {
        "check_sample_weight_equivalence_on_dense_data": "sample weights reach the regressor only: the scaler and "
        "the time-series CV folds (defined by row positions) see each row once, so a weight of 2 is not a "
        "repeated row"}

    def __init__(self, model: str = "ridge", params: dict | None = None, param_grid: dict | None = None,
                 cv_splits: int = 5, gap: int = 1, random_state: int = 0):
        self.model = model
        self.params = params
        self.param_grid = param_grid
        self.cv_splits = cv_splits
        self.gap = gap
        self.random_state = random_state

    def _estimator(self):
        return make_regressor(self.model, self.params, self.random_state)

    def fit(self, X, y, sample_weight: np.ndarray | None = None) -> SklearnForecaster:
        """Tune (inner time-series CV on these rows) and fit; ``sample_weight`` reaches the regressor only."""
        X, y = self._check(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
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

    def predict(self, X) -> np.ndarray:
        """Forecasts, shape ``(n_rows,)``; each row uses its own features and the fitted model only."""
        check_is_fitted(self)
        return self.pipeline_.predict(self._check(X, reset=False))

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
    "lightgbm": {"learning_rate": [0.02, 0.1]},
    "mlp": {"alpha": [1e-3, 1e-1]},
}


class EnsembleForecaster(Forecaster):
    """Average of member forecasters' predictions.

    Parameters
    ----------
    members : list of Forecaster
    n_states : int, default 2
        Width of the regime block when a member is regime-aware (the regime-aware
        members must read the same block; the others get the features only).
    """

    def __init__(self, members: list | None = None, n_states: int = 2):
        self.members = members
        self.n_states = n_states

    @property
    def regime_input(self) -> str | None:  # type: ignore[override]
        kinds = {getattr(m, "regime_input", None) for m in self.members or []} - {None}
        if len(kinds) > 1:
            raise EstimatorInputError("ensemble: regime-aware members must read the same regime probabilities "
                                      f"(found {', '.join(sorted(kinds))})")
        return kinds.pop() if kinds else None

    def _parts(self, X: np.ndarray) -> list[np.ndarray]:
        width = X.shape[1] - (self.n_states if self.uses_regimes else 0)
        return [X if getattr(m, "uses_regimes", False) else X[:, :width] for m in self.members_]

    def fit(self, X, y) -> EnsembleForecaster:
        """Fit a clone of every member on the same rows."""
        if not self.members:
            raise EstimatorInputError("ensemble: needs at least one member forecaster")
        X, y = self._check(X, y)
        self.members_ = [clone(m).set_params(n_states=self.n_states) if getattr(m, "uses_regimes", False)
                         else clone(m) for m in self.members]
        for m, part in zip(self.members_, self._parts(X)):
            m.fit(part, y)
        return self

    def predict(self, X) -> np.ndarray:
        """Mean of the members' forecasts, shape ``(n_rows,)``."""
        check_is_fitted(self)
        X = self._check(X, reset=False)
        return np.mean([m.predict(part) for m, part in zip(self.members_, self._parts(X))], axis=0)
