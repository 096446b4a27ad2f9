"""Walk-forward regime engine: filtered risk-off probabilities for every decision date.

At each scheduled refit date r the detector is fitted only on feature rows
dated <= r (the whole history, or the last ``window_length`` rows), with
features standardized by that training window's mean and standard deviation.
Until the next refit, the probability at each decision date t is the fitted
detector's filtered probability at the last feature row dated <= t (rows
dated after the previous decision date; otherwise there is no new
information and the value is NaN). So every probability is computable at
its own date: appending data never changes an earlier output (tested).

Labels keep their meaning across refits: each refit's states are aligned to
the previous model's on their common history (rows dated <= the refit date),
unless the risk statistic strongly contradicts the continuity
(:mod:`regimes.alignment`); how often that mattered is recorded on the path
(:attr:`RegimePath.stability`, :attr:`RegimePath.alignment`).

Results are cached on disk (:mod:`regimes.regime_cache`) under their full
key: the detector's class and parameters, hashes of the feature values and
decision dates, the schedule, the scaling, the package and library versions
and a hash of the detector's and this engine's source code. An entry is
verified against that key when loaded; an entry that does not match, is
truncated or unreadable is discarded, recomputed and reported on one line.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import inspect
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from plumbing.errors import FactorRegimesError
from plumbing.threads import capped
from regimes import alignment as alignment_module
from regimes import calendar, regime_cache
from regimes import persistence as persistence_module
from regimes.alignment import Alignment, PermutedDetector, align_states, aligns
from regimes.detectors._base import RegimeDetector

#: Libraries whose versions can change a detector's output; part of every cache key.
_LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "hmmlearn", "arch", "statsmodels", "ruptures")


@dataclass(frozen=True)
class Schedule:
    """When to refit and on which rows.

    Attributes
    ----------
    refit_every : int or str
        Decision dates between refits (12 = yearly for monthly decisions), or a
        calendar span (``"1Y"``, ``"3M"``, ``"63D"``: :mod:`regimes.calendar`),
        the same at every frequency.
    window : {"expanding", "rolling"}
    window_length : int or str or None
        Feature rows in a rolling window, or a span (rows dated after ``r - span``).
    min_history : int or str
        Feature rows needed before the first fit, or a span (a decision date t is
        eligible once ``t >= first feature date + span``).
    align_labels : bool
        Align each refit's states to the previous model's on their common
        history (:mod:`regimes.alignment`); False keeps each fit's own risk
        order.
    align_override : float
        Risk contrast above which the risk order, not continuity, decides the
        risk-off state (:func:`regimes.alignment.align_states`).
    """

    refit_every: int | str = 12
    window: str = "expanding"
    window_length: int | str | None = None
    min_history: int | str = 60
    align_labels: bool = True
    align_override: float = 0.5

    def validate(self) -> None:
        every = calendar.parse(self.refit_every, "schedule: refit_every")
        if isinstance(every, int) and every < 1:
            raise FactorRegimesError(f"schedule: refit_every must be >= 1, not {self.refit_every}")
        if self.window not in ("expanding", "rolling"):
            raise FactorRegimesError(f"schedule: window must be 'expanding' or 'rolling', not {self.window!r}")
        length = calendar.parse(self.window_length, "schedule: window_length")
        if self.window == "rolling" and (length is None or (isinstance(length, int) and length < 2)):
            raise FactorRegimesError("schedule: a rolling window needs window_length >= 2 (or a span such as 10Y)")
        history = calendar.parse(self.min_history, "schedule: min_history")
        if isinstance(history, int) and history < 2:
            raise FactorRegimesError(f"schedule: min_history must be >= 2, not {self.min_history}")
        if not self.align_override >= 0:
            raise FactorRegimesError(f"schedule: align_override must be >= 0, not {self.align_override}")


@dataclass
class RegimePath:
    """Walk-forward output of one detector.

    Attributes
    ----------
    name : str
    proba : pandas.DataFrame
        Shape ``(n_decision_dates, n_states)``, columns ``state_0`` (risk-on)
        .. ``state_{K-1}`` (risk-off). Row t: filtered probabilities from a
        model fit on data <= t, evaluated on data <= t. NaN before the first
        fit or without new data.
    next_proba : pandas.DataFrame
        One-step-ahead probabilities for period t+1, ``proba @ transmat_`` of
        the model in force at t (``proba`` itself for detectors without a
        transition matrix). Uses data <= t.
    refit_dates : pandas.DatetimeIndex
    detector : RegimeDetector
        The last fitted detector (parameters for reports), in the path's
        labels: a :class:`regimes.alignment.PermutedDetector` when alignment
        relabelled its states. After a cache hit, a clone of the template
        carrying the cached numeric fitted attributes (``transmat_``,
        ``means_``, ...) only: internal model objects are not cached, so use
        it for reporting, not for inference.
    info : dict
        Parameters, features, schedule, cache key, fit seconds; ``selected``
        (detectors that choose at each refit: the tuned meta-detector, the
        sparse jump model): refit date (ISO) -> ``{"params": ..., "feature_weights":
        {feature: weight}}``, from :func:`selection_record`; ``cache`` is
        ``"hit"``, ``"miss"``, ``"recomputed"`` (a bad entry was discarded;
        ``cache_discarded`` says why) or ``"off"``.
    stability : dict
        Label stability across refits (:func:`stability_summary`): ``aligned``,
        ``refits``, ``flipped`` and ``flip_share`` (refits whose risk-off label
        would have flipped without alignment), ``overridden``, ``agreement``
        and ``agreement_min`` (consecutive models on their common history,
        aligned), ``agreement_unaligned``.
    alignment : pandas.DataFrame or None
        One row per refit after the first (index: refit date): ``permutation``,
        ``flipped``, ``overridden``, ``agreement``, ``agreement_unaligned``,
        ``contrast``. None for detectors without learned states.
    """

    name: str
    proba: pd.DataFrame
    next_proba: pd.DataFrame
    refit_dates: pd.DatetimeIndex
    detector: RegimeDetector
    info: dict = field(default_factory=dict)
    stability: dict = field(default_factory=dict)
    alignment: pd.DataFrame | None = None

    @property
    def risk_off(self) -> pd.Series:
        """Filtered risk-off probability at each decision date."""
        return self.proba.iloc[:, -1].rename(self.name)

    @property
    def labels(self) -> pd.Series:
        """Argmax state (NaN where no probability)."""
        values = self.proba.to_numpy()
        ok = ~np.isnan(values).any(axis=1)
        out = np.full(len(values), np.nan)
        out[ok] = values[ok].argmax(axis=1)
        return pd.Series(out, index=self.proba.index, name=self.name)


def state_names(n_states: int) -> list[str]:
    """Names of canonical states: ``risk-on``, (``neutral``,) ``risk-off``."""
    if n_states == 2:
        return ["risk-on", "risk-off"]
    if n_states == 3:
        return ["risk-on", "neutral", "risk-off"]
    return ["risk-on", *[f"state {k}" for k in range(1, n_states - 1)], "risk-off"]


def _hash_frame(frame: pd.DataFrame | pd.Index) -> str:
    values = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    cols = "|".join(map(str, getattr(frame, "columns", [])))
    return hashlib.sha256(values + cols.encode()).hexdigest()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _source_files(obj: object, seen: set[str]) -> None:
    """Source files of the classes ``obj`` is made of (its MRO, its ``code_modules`` and estimator-valued parameters)."""
    for cls in type(obj).__mro__:
        module = cls.__module__
        if module.split(".")[0] in ("builtins", "sklearn", "abc", "typing"):
            continue
        seen.add(inspect.getsourcefile(cls) or "")
    for module in getattr(obj, "code_modules", ()):  # helper modules a detector's results depend on
        seen.add(inspect.getsourcefile(module) or "")
    get_params = getattr(obj, "get_params", None)
    pending = list(get_params(deep=False).values()) if callable(get_params) else []
    while pending:  # estimator-valued parameters, also inside lists, tuples and dicts (ensembles)
        value = pending.pop()
        if isinstance(value, (list, tuple)):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif hasattr(value, "get_params") and not isinstance(value, type):
            _source_files(value, seen)


def code_version(detector: RegimeDetector) -> str | None:
    """sha256 of the source of the detector's classes and of the walk-forward engine; None if unavailable."""
    files: set[str] = set()
    try:
        _source_files(detector, files)
        engine = (inspect.getsource(_run) + inspect.getsource(alignment_module)
                  + inspect.getsource(persistence_module) + inspect.getsource(calendar))
    except (OSError, TypeError):
        return None
    if "" in files:
        return None
    h = hashlib.sha256(engine.encode())
    for name in sorted(files):
        try:
            h.update(Path(name).read_bytes())
        except OSError:
            return None
    return h.hexdigest()


def cache_key(detector: RegimeDetector, features: pd.DataFrame, decision_dates: pd.DatetimeIndex,
              schedule: Schedule, standardize: bool) -> dict | None:
    """Full key identifying a walk-forward result (None when the detector's source cannot be hashed).

    Every item that can change the output is in the key: detector class,
    parameters, features (values, dates, names), decision dates, schedule,
    scaling, the package and library versions and the code version.
    """
    code = code_version(detector)
    if code is None:
        return None
    cls = type(detector)
    dates = pd.DatetimeIndex(decision_dates)
    return {"format": regime_cache.FORMAT, "package": _version("factor-regimes"),
            "libraries": {lib: _version(lib) for lib in _LIBRARIES}, "code": code,
            "detector": f"{cls.__module__}.{cls.__qualname__}",
            "params": {k: repr(v) for k, v in sorted(detector.get_params(deep=False).items())},
            "features": {"hash": _hash_frame(features), "columns": [str(c) for c in features.columns],
                         "rows": len(features), "first": str(features.index[0]), "last": str(features.index[-1])},
            "dates": {"hash": _hash_frame(pd.DataFrame(index=dates)), "n": len(dates),
                      "first": str(dates[0]), "last": str(dates[-1])},
            "schedule": asdict(schedule), "standardize": bool(standardize)}


class _Identity:
    def fit(self, X: np.ndarray) -> _Identity:
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return X


@capped
def walk_forward(detector: RegimeDetector, features: pd.DataFrame, decision_dates: pd.DatetimeIndex | None = None,
                 schedule: Schedule | None = None, standardize: bool | None = None, name: str | None = None,
                 cache_dir: str | Path | None = None,
                 on_refit: Callable[[int, int, pd.Timestamp], None] | None = None) -> RegimePath:
    """Run ``detector`` walk-forward over ``features``.

    Parameters
    ----------
    detector : RegimeDetector
        Unfitted template (cloned at the first refit; later refits start
        from a copy of the previous fit, so warm starts work).
    features : pandas.DataFrame
        Shape ``(n_rows, n_features)``, DatetimeIndex; rows with a missing
        value are dropped. May be daily while decisions are monthly.
    decision_dates : pandas.DatetimeIndex, optional
        Default: the feature dates.
    schedule : Schedule, optional
    standardize : bool, optional
        Scale features with training-window statistics; default the
        detector's ``standardize_inputs`` (True except for detectors that
        need raw levels or returns).
    name : str, optional
        Label of the path (default the detector class).
    cache_dir : path, optional
        Folder for cached results (entries in ``<cache_dir>/regimes``);
        None disables caching. A bad entry is discarded, recomputed and
        reported by one :class:`regimes.regime_cache.RegimeCacheWarning`.
    on_refit : callable, optional
        ``on_refit(i, n, date)`` before refit ``i`` (0-based) of ``n`` at decision ``date``, for progress
        reports; never called when the path comes from the cache.

    Returns
    -------
    RegimePath
    """
    schedule = schedule or Schedule()
    schedule.validate()
    dates = pd.DatetimeIndex(features.index if decision_dates is None else decision_dates).sort_values()
    feats = features.dropna().loc[: dates[-1]]  # later rows cannot affect any output
    if feats.empty:
        raise FactorRegimesError("walk-forward: no complete feature rows")
    scale = getattr(detector, "standardize_inputs", True) if standardize is None else standardize
    name = name or type(detector).__name__
    key = cache_key(detector, feats, dates, schedule, scale) if cache_dir is not None else None
    entry = None if key is None else Path(cache_dir) / "regimes" / regime_cache.entry_name(key)
    problem = None
    if entry is not None and entry.exists():
        try:
            return _from_cache(regime_cache.read(entry, key), detector, name, dates)
        except regime_cache.CacheEntryInvalid as exc:
            problem = str(exc)
            regime_cache.report(f"regime cache: discarded entry {entry} for {name}: {problem}; recomputed")
    started = time.perf_counter()
    path = _run(detector, feats, dates, schedule, scale, name, on_refit)
    status = "off" if entry is None else ("recomputed" if problem else "miss")
    path.info.update({"cache": status, "seconds": time.perf_counter() - started,
                      "features": list(features.columns), "schedule": asdict(schedule), "standardize": scale,
                      "params": {k: repr(v) for k, v in detector.get_params(deep=False).items()}})
    if problem:
        path.info["cache_discarded"] = problem
    if entry is not None:
        path.info["cache_key"] = entry.stem
        stored = {k: v for k, v in path.info.items() if k not in ("cache", "cache_discarded")}
        stored["_stability"] = path.stability
        stored["_alignment"] = None if path.alignment is None else {
            "index": [str(d) for d in path.alignment.index], "columns": list(path.alignment.columns),
            "rows": path.alignment.astype(object).values.tolist()}
        regime_cache.write(entry, key, path.proba, path.next_proba, path.refit_dates, path.detector, stored)
    return path


def _from_cache(loaded: dict, template: RegimeDetector, name: str, dates: pd.DatetimeIndex) -> RegimePath:
    """A RegimePath from a verified entry; its detector carries the cached numeric fitted attributes."""
    stamps = dates.as_unit("ns").asi8
    refit_stamps = loaded["refit_dates"].as_unit("ns").asi8
    if not np.array_equal(loaded["proba"].index.as_unit("ns").asi8, stamps) or not np.isin(refit_stamps, stamps).all():
        raise regime_cache.CacheEntryInvalid("its dates differ from the decision dates asked for")
    refits = dates[stamps.searchsorted(refit_stamps)]
    for frame in (loaded["proba"], loaded["next_proba"]):
        frame.index = dates  # the caller's index (same instants; keeps its time zone and frequency)
    detector = clone(template)
    for attr, value in loaded["fitted"].items():
        setattr(detector, attr, value)
    info = {**loaded["info"], "cache": "hit"}
    stability = info.pop("_stability", None)
    table = info.pop("_alignment", None)
    if not isinstance(stability, dict) or (table is not None and not isinstance(table, dict)):
        raise regime_cache.CacheEntryInvalid("it lacks the label-stability record")
    alignment = None
    if table is not None:
        alignment = pd.DataFrame(table["rows"], index=pd.DatetimeIndex(table["index"], name="refit"),
                                 columns=table["columns"])
        alignment = alignment.astype({"permutation": str, "flipped": bool, "overridden": bool,
                                      "agreement": float, "agreement_unaligned": float, "contrast": float})
    return RegimePath(name=name, proba=loaded["proba"], next_proba=loaded["next_proba"],
                      refit_dates=pd.DatetimeIndex(refits), detector=detector, info=info,
                      stability=stability, alignment=alignment)


def _run(template: RegimeDetector, feats: pd.DataFrame, dates: pd.DatetimeIndex, schedule: Schedule, scale: bool,
         name: str, on_refit: Callable[[int, int, pd.Timestamp], None] | None = None) -> RegimePath:
    values = feats.to_numpy(dtype=float)
    pos = feats.index.searchsorted(dates, side="right") - 1  # last feature row dated <= t
    fresh = pos >= 0
    previous = np.concatenate([[-1], pos[:-1]])
    fresh &= pos > previous  # a row dated after the previous decision date
    history = calendar.parse(schedule.min_history)
    enough = (calendar.reached(feats.index[0], dates, history) if isinstance(history, calendar.Span)
              else pos + 1 >= history)
    eligible = np.flatnonzero(fresh & enough)
    starts = calendar.block_starts(dates[eligible], schedule.refit_every)
    proba: np.ndarray | None = None
    next_proba: np.ndarray | None = None
    refits: list[pd.Timestamp] = []
    fitted: RegimeDetector | None = None
    labelled: RegimeDetector | None = None  # fitted, seen through aligned labels
    previous: tuple | None = None  # (labelled, scaler) of the model in force before this refit
    records: list[Alignment] = []
    selected: dict[str, dict] = {}  # refit date -> parameters chosen in-fold / feature weights
    align = schedule.align_labels and aligns(template)
    n_refits = len(starts)
    for i, (block_start, block_stop) in enumerate(zip(starts, [*starts[1:], len(eligible)])):
        block = eligible[block_start: block_stop]
        if on_refit is not None:
            on_refit(i, n_refits, dates[block[0]])
        train_end = pos[block[0]]
        train_start = 0 if schedule.window == "expanding" else calendar.window_start(feats.index, train_end,
                                                                                     schedule.window_length)
        scaler = (StandardScaler() if scale else _Identity()).fit(values[train_start: train_end + 1])
        fitted = clone(template) if fitted is None else copy.deepcopy(fitted)
        fitted.fit(scaler.transform(values[train_start: train_end + 1]))
        refits.append(dates[block[0]])
        record = selection_record(fitted, feats.columns)
        if record:
            selected[dates[block[0]].isoformat()] = record
        labelled = fitted
        if align and previous is not None:
            record = _align_refit(previous, fitted, scaler, values[train_start: train_end + 1], schedule)
            records.append(record)
            if not np.array_equal(record.permutation, np.arange(len(record.permutation))):
                labelled = PermutedDetector.wrap(fitted, record.permutation)
        previous = (labelled, scaler)
        first_row, last_row = pos[block].min(), pos[block].max()
        out = labelled.filtered_proba(scaler.transform(values[train_start: last_row + 1]),
                                      start=first_row - train_start)
        if proba is None:
            proba = np.full((len(dates), out.shape[1]), np.nan)
            next_proba = np.full_like(proba, np.nan)
        rows = out[pos[block] - first_row]
        proba[block] = rows
        trans = getattr(labelled, "transmat_", None)
        next_proba[block] = rows @ trans if trans is not None and np.isfinite(trans).all() else rows
    if fitted is None or proba is None:
        raise FactorRegimesError(f"walk-forward: fewer than min_history={schedule.min_history} complete feature rows "
                                 f"before the last decision date ({len(feats)} rows available)")
    columns = [f"state_{k}" for k in range(proba.shape[1])]
    table = _alignment_table(records, refits[1:]) if align else None
    return RegimePath(name=name, proba=pd.DataFrame(proba, index=dates, columns=columns),
                      next_proba=pd.DataFrame(next_proba, index=dates, columns=columns),
                      refit_dates=pd.DatetimeIndex(refits), detector=labelled,
                      info={"selected": selected} if selected else {},
                      stability=stability_summary(table, len(refits)), alignment=table)


def selection_record(fitted: RegimeDetector, columns) -> dict:
    """What a refit chose from its training window, as plain JSON values (empty if nothing).

    ``params``: ``selected_params_`` (in-fold model selection, :mod:`regimes.detectors.tuned`);
    ``candidates``: every candidate's ``params``, validation ``score`` (None if not finite) and
    ``error`` (why it could not be fitted, or None), from ``cv_results_``;
    ``feature_weights``: ``feature_weights_`` by feature name (sparse jump model).
    """
    def plain(params: dict) -> dict:
        return {str(k): v.item() if isinstance(v, np.generic) else v for k, v in params.items()}

    out: dict = {}
    params = getattr(fitted, "selected_params_", None)
    if params is not None:
        out["params"] = plain(params)
    results = getattr(fitted, "cv_results_", None)
    if results is not None:
        out["candidates"] = [{"params": plain(r["params"]),
                              "score": float(r["score"]) if np.isfinite(r["score"]) else None,
                              "error": r["error"]} for r in results]
    weights = getattr(fitted, "feature_weights_", None)
    if weights is not None and len(weights) == len(columns):
        out["feature_weights"] = {str(c): float(w) for c, w in zip(columns, weights)}
    return out


def _align_refit(previous: tuple, fitted: RegimeDetector, scaler, train: np.ndarray, schedule: Schedule) -> Alignment:
    """Align a new fit to the model in force before it, on the new training window (rows <= the refit date).

    Each model filters the window scaled by its own training scaler, from the window's first row.
    """
    prev_model, prev_scaler = previous
    X_new = scaler.transform(train)
    p_prev = prev_model.filtered_proba(prev_scaler.transform(train), start=0)
    p_new = fitted.filtered_proba(X_new, start=0)
    column = getattr(fitted, "risk_column", 0)
    return align_states(p_prev, p_new, X_new[:, column], getattr(fitted, "risk_stat", "mean"),
                        schedule.align_override)


def _alignment_table(records: list[Alignment], dates: list[pd.Timestamp]) -> pd.DataFrame:
    rows = [{"permutation": " ".join(map(str, r.permutation)), "flipped": r.flipped, "overridden": r.overridden,
             "agreement": r.agreement, "agreement_unaligned": r.agreement_unaligned, "contrast": r.contrast}
            for r in records]
    columns = ["permutation", "flipped", "overridden", "agreement", "agreement_unaligned", "contrast"]
    return pd.DataFrame(rows, index=pd.DatetimeIndex(dates, name="refit"), columns=columns)


def stability_summary(table: pd.DataFrame | None, n_refits: int) -> dict:
    """Label stability of a walk-forward path from its per-refit alignment table.

    Parameters
    ----------
    table : pandas.DataFrame or None
        :attr:`RegimePath.alignment` (None: a detector without learned states, or
        alignment switched off).
    n_refits : int
        Refits of the path, the first included.

    Returns
    -------
    dict
        ``aligned`` (bool), ``refits``, ``compared`` (refits after the first),
        ``flipped`` / ``flip_share`` (refits whose risk-off label would have flipped
        without alignment, count and share of ``compared``), ``overridden`` (refits
        where the risk statistic overruled continuity), ``agreement`` (mean share of
        common-history rows on which consecutive models agree, aligned),
        ``agreement_min``, ``agreement_unaligned`` (the same without alignment).
        Rates are NaN when nothing was compared.
    """
    out = {"aligned": table is not None, "refits": int(n_refits), "compared": 0, "flipped": 0,
           "flip_share": np.nan, "overridden": 0, "agreement": np.nan, "agreement_min": np.nan,
           "agreement_unaligned": np.nan}
    if table is None or table.empty:
        return out
    out.update({"compared": len(table), "flipped": int(table["flipped"].sum()),
                "flip_share": float(table["flipped"].mean()), "overridden": int(table["overridden"].sum()),
                "agreement": float(table["agreement"].mean()), "agreement_min": float(table["agreement"].min()),
                "agreement_unaligned": float(table["agreement_unaligned"].mean())})
    return out
