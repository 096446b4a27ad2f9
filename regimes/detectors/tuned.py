"""In-fold model selection: a meta-detector that tunes its base detector inside each training window.

``TunedDetector(base, grid, criterion)`` chooses, at every ``fit(X)``, the
base detector's parameters (the jump penalty, the number of HMM states, a
VIX threshold, ...) among the candidates of ``grid`` by time-series
validation on ``X`` alone, then refits the chosen candidate on all of ``X``.
In the walk-forward engine ``X`` is the training window (rows dated <= the
refit date), so the choice never uses later data: causal by construction,
and tested by prefix invariance. The choice of every refit is recorded
(:attr:`TunedDetector.selected_params_`, collected by the engine into
``RegimePath.info["selected"]``).

Validation: ``n_folds`` expanding splits (:class:`sklearn.model_selection.TimeSeriesSplit`):
fold i fits on the rows before its validation block and is scored on the
block with the fitted model's *filtered* output (each validation row scored
from rows before it or at it). Features are standardized by each fold's
training rows (and, for the final fit, by the whole window) when the base
standardizes its inputs; ``TunedDetector`` itself takes raw inputs.

Criteria (higher is better; ties go to the first candidate in grid order):

``likelihood``
    Mean one-step-ahead predictive log density of the validation rows,
    ``log sum_k P(s_t = k | x_<t) N(x_t; m_k, S_k)``: the model's own for a
    Gaussian HMM, else Gaussian states estimated from the filtered
    probabilities on the fold's training rows (:mod:`regimes.detectors._scores`).
``bic``
    ``-2 * held-out log likelihood + n_parameters * log(n_validation_rows)``
    (reported as is; the lowest wins). Penalizes extra states; equal to
    ``likelihood`` when only the jump penalty varies.
``sharpe``
    Sharpe ratio of the 0/1 strategy on the validation blocks, as Shu, Yu &
    Mulvey (2024): long the asset when the filtered risk-off probability at
    the close of t is below 0.5, else cash, earning the return of row
    ``t + 1 + delay``, minus ``cost_bps`` per one-way turnover. The asset's
    per-period return is the column ``return_column`` of ``X`` (a name of the
    experiment's features, such as ``sp500_ret`` on daily data, or an index);
    it must be the raw return (keep the walk-forward default, which does not
    standardize this detector's inputs) and it is not a base input unless
    ``return_is_feature``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, TimeSeriesSplit
from sklearn.preprocessing import StandardScaler

from plumbing.errors import EstimatorInputError, FactorRegimesError
from regimes.detectors import _scores
from regimes.detectors._base import FILTERED, RegimeDetector

CRITERIA = ("likelihood", "bic", "sharpe")


class TunedDetector(RegimeDetector):
    """A base detector whose parameters are chosen by time-series validation inside each training window.

    Parameters
    ----------
    base : RegimeDetector
        Unfitted template; candidates are clones with ``grid`` parameters set.
    grid : dict or list of dict
        Parameter name -> list of values (a :class:`sklearn.model_selection.ParameterGrid`).
    criterion : {"likelihood", "bic", "sharpe"}, default "likelihood"
    n_folds : int, default 3
        Expanding validation splits; the first trains on about ``1 / (n_folds + 1)`` of the window.
    return_column : int, str or None
        The per-period return column for ``sharpe`` (a feature name or an index of ``X``).
    return_is_feature : bool, default False
        Also give the return column to the base detector.
    delay : int, default 0
        Trading delay of the ``sharpe`` strategy, in periods.
    cost_bps : float, default 0.0
        Cost of the ``sharpe`` strategy per one-way turnover, in basis points.
    standardize : bool or None, default None
        Standardize base inputs with training statistics; None follows the
        base's ``standardize_inputs``.
    feature_names : list of str or None
        Names of the columns of ``X`` (filled from the experiment's features).

    Attributes
    ----------
    selected_params_ : dict
        The chosen candidate's grid parameters.
    cv_results_ : list of dict
        Per candidate: ``params``, ``score`` (the criterion; ``bic`` as is),
        ``fold_scores`` and ``error`` (why a candidate could not be fitted).
    best_estimator_ : RegimeDetector
        The chosen candidate refitted on all of ``X``.
    n_states_ : int
        Output columns: the most states of any candidate. A candidate with fewer
        states fills the first and last columns (risk-on .. risk-off) and leaves
        the middle ones at zero.
    transmat_, expected_durations_ : ndarray
        The chosen model's, in the output layout (padded states absorbing), when it has them.
    feature_weights_ : ndarray of shape (n_features,)
        When the chosen model has feature weights (sparse jump model): per column of ``X``
        (0 for a column that is not a base input).
    """

    #: Modules besides the class's own whose code changes its results (part of the regime cache key).
    code_modules = (_scores,)

    standardize_inputs = False  # scales its base's inputs itself, per fold; the return column stays raw

    @property
    def output_kind(self) -> str:
        """The base detector's (a tuned threshold rule is still a rule: nothing to align across refits)."""
        return getattr(self.base, "output_kind", "probabilistic")

    expected_failed_checks = FILTERED

    def __init__(self, base: RegimeDetector | None = None, grid=None, criterion: str = "likelihood", n_folds: int = 3,
                 return_column=None, return_is_feature: bool = False, delay: int = 0, cost_bps: float = 0.0,
                 standardize: bool | None = None, feature_names: list | None = None):
        self.base = base
        self.grid = grid
        self.criterion = criterion
        self.n_folds = n_folds
        self.return_column = return_column
        self.return_is_feature = return_is_feature
        self.delay = delay
        self.cost_bps = cost_bps
        self.standardize = standardize
        self.feature_names = feature_names

    # -- validation of parameters -------------------------------------------
    def _check_params(self) -> None:
        if not isinstance(self.base, RegimeDetector):
            raise EstimatorInputError(f"tuned: base must be a detector (in YAML: base: {{name: jump}}), "
                                     f"not {self.base!r}")
        if self.criterion not in CRITERIA:
            raise EstimatorInputError(f"tuned: criterion must be one of {', '.join(CRITERIA)}, not {self.criterion!r}")
        if not (isinstance(self.n_folds, (int, np.integer)) and self.n_folds >= 1):
            raise EstimatorInputError(f"tuned: n_folds must be an integer >= 1, not {self.n_folds!r}")
        if not (isinstance(self.delay, (int, np.integer)) and self.delay >= 0):
            raise EstimatorInputError(f"tuned: delay must be an integer >= 0, not {self.delay!r}")
        if not (isinstance(self.cost_bps, (int, float)) and self.cost_bps >= 0):
            raise EstimatorInputError(f"tuned: cost_bps must be a number >= 0, not {self.cost_bps!r}")
        try:
            candidates = list(ParameterGrid(self.grid if self.grid is not None else {}))
        except (TypeError, ValueError) as exc:
            raise EstimatorInputError(f"tuned: grid must map parameter names to lists of values ({exc})") from None
        valid = self.base.get_params(deep=False)
        for params in candidates:
            unknown = sorted(set(params) - set(valid))
            if unknown:
                raise EstimatorInputError(f"tuned: {type(self.base).__name__} has no parameter "
                                         f"{', '.join(map(repr, unknown))}; valid: {', '.join(valid)}")
        if len(candidates) < 2:
            raise EstimatorInputError("tuned: grid must offer at least two candidates")
        self._candidates = candidates
        self._return_index = self._resolve_return()

    def _names(self) -> list | None:
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return None if self.feature_names is None else [str(n) for n in self.feature_names]

    def _resolve_return(self) -> int | None:
        col = self.return_column
        if col is None:
            if self.criterion == "sharpe":
                raise EstimatorInputError("tuned: criterion 'sharpe' needs return_column (the feature holding "
                                         "the per-period return, e.g. sp500_ret)")
            return None
        names = self._names()
        if isinstance(col, str):
            if names is None or col not in names:
                raise EstimatorInputError(f"tuned: return_column {col!r} is not one of the features "
                                         f"({', '.join(names or [])})")
            return names.index(col)
        if not (isinstance(col, (int, np.integer)) and 0 <= col < self.n_features_in_):
            raise EstimatorInputError(f"tuned: return_column must be a feature name or an index in "
                                     f"[0, {self.n_features_in_}), not {col!r}")
        return int(col)

    # -- fitting ----------------------------------------------------------------
    def _inputs(self, X: np.ndarray) -> np.ndarray:
        if self._return_index is None or self.return_is_feature:
            return X
        return np.delete(X, self._return_index, axis=1)

    def _candidate(self, params: dict) -> RegimeDetector:
        model = clone(self.base).set_params(**params)
        names = self._names()
        if "feature_names" in model.get_params(deep=False) and names is not None:
            kept = names if self._return_index is None or self.return_is_feature else \
                [n for j, n in enumerate(names) if j != self._return_index]
            model.set_params(feature_names=kept)
        return model

    def _scaler(self, X: np.ndarray):
        scale = getattr(self.base, "standardize_inputs", True) if self.standardize is None else self.standardize
        return StandardScaler().fit(X) if scale else None

    @staticmethod
    def _apply(scaler, X: np.ndarray) -> np.ndarray:
        return X if scaler is None else scaler.transform(X)

    def _fold_loglik(self, params: dict, Z: np.ndarray, train: np.ndarray, val: np.ndarray) -> tuple[float, int, int]:
        """(summed held-out log likelihood, scored rows, n_parameters) of one candidate on one fold."""
        scaler = self._scaler(Z[train])
        X_train = self._apply(scaler, Z[train])
        model = self._candidate(params).fit(X_train)
        proba = model.filtered_proba(self._apply(scaler, Z[: val[-1] + 1]), start=len(train) - 1)
        means, covs, trans = _scores.state_model(model, X_train, model.filtered_proba(X_train, start=0))
        ll = _scores.predictive_loglik(proba, self._apply(scaler, Z[val]), means, covs, trans)
        ll = ll[np.isfinite(ll)]
        return float(ll.sum()), len(ll), _scores.n_parameters(len(means), Z.shape[1])

    def _score(self, params: dict, Z: np.ndarray, returns: np.ndarray | None, splits) -> dict:
        record = {"params": params, "score": np.nan, "fold_scores": [], "error": None}
        try:
            if self.criterion == "sharpe":
                pieces = []
                for train, val in splits:
                    scaler = self._scaler(Z[train])
                    model = self._candidate(params).fit(self._apply(scaler, Z[train]))
                    proba = model.filtered_proba(self._apply(scaler, Z[: val[-1] + 1]), start=len(train))
                    strat = _scores.strategy_returns(proba[:, -1], returns[val], self.delay, self.cost_bps)
                    record["fold_scores"].append(_scores.sharpe(strat))
                    pieces.append(strat)
                record["score"] = _scores.sharpe(np.concatenate(pieces))
                return record
            total, rows, k = 0.0, 0, 0
            for train, val in splits:
                ll, n, k = self._fold_loglik(params, Z, train, val)
                record["fold_scores"].append(ll / n if n else np.nan)
                total, rows = total + ll, rows + n
            if rows == 0:
                raise EstimatorInputError("no validation row has a prediction")
            record["score"] = total / rows if self.criterion == "likelihood" else -2 * total + k * np.log(rows)
        except (FactorRegimesError, ValueError, np.linalg.LinAlgError) as exc:
            record["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return record

    def _fit(self, X: np.ndarray) -> None:
        returns = None if self._return_index is None else X[:, self._return_index]
        Z = self._inputs(X)
        n_val = len(X) // (self.n_folds + 1)
        if n_val < 2:
            raise EstimatorInputError(f"tuned: n_samples={len(X)} rows are too few for {self.n_folds} validation folds")
        splits = list(TimeSeriesSplit(n_splits=self.n_folds).split(Z))
        results = [self._score(params, Z, returns, splits) for params in self._candidates]
        sign = -1.0 if self.criterion == "bic" else 1.0
        scores = np.array([sign * r["score"] if r["error"] is None and np.isfinite(r["score"]) else -np.inf
                           for r in results])
        if not np.isfinite(scores).any():
            reasons = "; ".join(f"{r['params']}: {r['error'] or 'no finite score'}" for r in results)
            raise EstimatorInputError(f"tuned: no candidate could be validated ({reasons})")
        best = int(np.argmax(scores))  # first of the best on ties
        self.cv_results_ = results
        self.selected_params_ = dict(results[best]["params"])
        self.scaler_ = self._scaler(Z)
        self.best_estimator_ = self._candidate(self.selected_params_).fit(self._apply(self.scaler_, Z))
        widths = [self._candidate(p).get_params(deep=False).get("n_states", 2) for p in self._candidates]
        self.n_states_ = int(max(widths))
        self._set_dynamics(X.shape[1])

    def _set_dynamics(self, n_features: int) -> None:
        model, width = self.best_estimator_, self.n_states_
        trans = getattr(model, "transmat_", None)
        self.transmat_ = None if trans is None else self._pad_square(np.asarray(trans, float), width)
        durations = getattr(model, "expected_durations_", None)
        self.expected_durations_ = None if durations is None else self._pad(np.asarray(durations, float)[None], width,
                                                                           fill=np.nan)[0]
        weights = getattr(model, "feature_weights_", None)
        if weights is not None:
            full = np.zeros(n_features)
            kept = [j for j in range(n_features) if self._return_index is None or self.return_is_feature
                    or j != self._return_index]
            full[kept] = weights
            self.feature_weights_ = full

    @staticmethod
    def _pad(proba: np.ndarray, width: int, fill: float = 0.0) -> np.ndarray:
        k = proba.shape[1]
        if k == width:
            return proba
        out = np.full((len(proba), width), fill)
        out[:, : k - 1] = proba[:, : k - 1]
        out[:, -1] = proba[:, -1]
        return out

    @staticmethod
    def _pad_square(trans: np.ndarray, width: int) -> np.ndarray:
        k = len(trans)
        if k == width:
            return trans
        index = [*range(k - 1), width - 1]
        out = np.eye(width)
        out[np.ix_(index, index)] = trans
        return out

    def _filtered(self, X: np.ndarray, start: int) -> np.ndarray:
        out = self.best_estimator_.filtered_proba(self._apply(self.scaler_, self._inputs(X)), start)
        return self._pad(out, self.n_states_)
