"""Regime evaluation: synthetic data with known states, and metrics against the truth.

:func:`simulate_regimes` draws a Markov chain of states and, given the
states, returns (state-dependent mean and volatility) and a VIX-like series
(a log-AR(1) pulled towards a state-dependent level). Persistence and
separation are parameters, so tests can ask for "easy" data where any sound
detector must succeed.

:func:`regime_scores` compares predicted labels with true ones; metrics are
pure functions of two label arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SyntheticRegimes:
    """A simulated sample.

    Attributes
    ----------
    states : pandas.Series
        True state per period (0 risk-on, 1 risk-off), shape ``(n,)``.
    frame : pandas.DataFrame
        Columns ``sp500_ret`` (return), ``vix`` (level), ``log_vix``, ``rv``
        (realized-volatility proxy: true volatility times noise).
    """

    states: pd.Series
    frame: pd.DataFrame


def simulate_regimes(n: int = 600, persistence: float = 0.97, separation: float = 2.5, seed: int = 0,
                     freq: str = "ME", start: str = "1970-01-31") -> SyntheticRegimes:
    """Simulate two-state Markov-switching returns and a VIX-like series.

    Parameters
    ----------
    n : int
        Periods.
    persistence : float
        ``P(stay)`` in each state (expected duration ``1 / (1 - persistence)``).
    separation : float
        Ratio of risk-off to risk-on return volatility; the VIX level gap
        grows with it.
    seed : int
    freq, start : str
        Date index of the sample.
    """
    rng = np.random.default_rng(seed)
    states = np.empty(n, dtype=int)
    states[0] = 0
    for t in range(1, n):
        stay = rng.random() < persistence
        states[t] = states[t - 1] if stay else 1 - states[t - 1]
    vol = np.where(states == 0, 0.035, 0.035 * separation)
    mean = np.where(states == 0, 0.01, -0.01)
    ret = mean + vol * rng.standard_normal(n)
    level = np.where(states == 0, np.log(15.0), np.log(15.0) + 0.25 * separation)
    log_vix = np.empty(n)
    log_vix[0] = level[0]
    for t in range(1, n):
        log_vix[t] = level[t] + 0.5 * (log_vix[t - 1] - level[t]) + 0.08 * rng.standard_normal()
    rv = vol * np.sqrt(12) * np.exp(0.15 * rng.standard_normal(n))
    index = pd.date_range(start, periods=n, freq=freq, name="date")
    frame = pd.DataFrame({"sp500_ret": ret, "vix": np.exp(log_vix), "log_vix": log_vix, "rv": rv}, index=index)
    return SyntheticRegimes(states=pd.Series(states, index=index, name="state"), frame=frame)


def switches(labels: np.ndarray) -> int:
    """Number of label changes in a path (NaNs dropped)."""
    labels = np.asarray(labels, dtype=float)
    labels = labels[~np.isnan(labels)]
    return int(np.count_nonzero(np.diff(labels)))


def detection_delays(true: np.ndarray, pred: np.ndarray, state: int = 1) -> list[float]:
    """Periods from each true switch into ``state`` to the first predicted ``state`` in that spell.

    A spell the prediction never flags gives ``inf``.
    """
    true = np.asarray(true)
    pred = np.asarray(pred, dtype=float)
    delays: list[float] = []
    starts = np.flatnonzero((true[1:] == state) & (true[:-1] != state)) + 1
    for s in starts:
        end = s
        while end < len(true) and true[end] == state:
            end += 1
        hits = np.flatnonzero(pred[s:end] == state)
        delays.append(float(hits[0]) if len(hits) else np.inf)
    return delays


def regime_scores(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy, risk-off precision/recall, switches and delay.

    Parameters
    ----------
    true, pred : array of shape (n,)
        Labels 0 (risk-on) / 1 (risk-off); NaN predictions (no output yet)
        are excluded from every metric.

    Returns
    -------
    dict
        ``accuracy, balanced_accuracy, precision, recall, switches,
        true_switches, mean_delay, missed`` (spells never flagged).
    """
    true = np.asarray(true, dtype=float)
    pred = np.asarray(pred, dtype=float)
    ok = ~np.isnan(pred)
    t, p = true[ok].astype(int), pred[ok].astype(int)
    tp = np.sum((p == 1) & (t == 1))
    recall_on = np.mean(p[t == 0] == 0) if np.any(t == 0) else np.nan
    recall_off = np.mean(p[t == 1] == 1) if np.any(t == 1) else np.nan
    delays = detection_delays(t, p)
    finite = [d for d in delays if np.isfinite(d)]
    return {
        "accuracy": float(np.mean(t == p)),
        "balanced_accuracy": float(np.nanmean([recall_on, recall_off])),
        "precision": float(tp / np.sum(p == 1)) if np.any(p == 1) else np.nan,
        "recall": float(recall_off),
        "switches": switches(p),
        "true_switches": switches(t),
        "mean_delay": float(np.mean(finite)) if finite else np.nan,
        "missed": int(sum(np.isinf(delays))),
    }


#: Crisis onsets used to measure how fast a detector flags risk-off on real data.
# how far after a crisis onset path_summary looks for the first risk-off label: calendar time, so the
# horizon is the same at daily, weekly and monthly decisions (12 month ends at monthly ones)
DELAY_HORIZON = pd.DateOffset(months=12)
CRISIS_ONSETS: dict[str, str] = {"Sep-2008": "2008-09-30", "Aug-2011": "2011-08-31", "Feb-2020": "2020-02-29"}


def spells(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal consecutive labels (NaNs dropped): ``(label of each run, its length in periods)``."""
    labels = np.asarray(labels, dtype=float)
    labels = labels[~np.isnan(labels)]
    if len(labels) == 0:
        return np.array([]), np.array([], dtype=int)
    starts = np.flatnonzero(np.concatenate([[True], labels[1:] != labels[:-1]]))
    lengths = np.diff(np.concatenate([starts, [len(labels)]]))
    return labels[starts], lengths


def path_summary(risk_off: pd.Series, threshold: float = 0.5,
                 onsets: dict[str, str] | None = None) -> dict[str, float]:
    """Describe a filtered risk-off path on real data.

    Parameters
    ----------
    risk_off : pandas.Series
        Filtered risk-off probability by decision date (NaN = no output).
    onsets : dict, optional
        Name -> date of a crisis onset; default :data:`CRISIS_ONSETS`.

    Returns
    -------
    dict
        ``share_risk_off``, ``switches_per_year``, ``mean_duration`` (mean
        length, in periods, of the runs of equal labels; the first and last
        runs are cut by the sample, so this understates long regimes),
        ``mean_duration_risk_off`` (the same for risk-off runs; NaN if none),
        and for each onset ``delay_<name>``: periods from the onset to the
        first risk-off label at or after it, counted in the path's periods
        (months at monthly decisions, trading days at daily ones) and searched
        within a calendar year: up to the end of the month one year after the
        onset, the same 12 months whatever the frequency (NaN if none,
        or if the onset lies outside the dates with output; 0 if already
        risk-off). Dates without output (NaN) are dropped, so
        runs join across them.
    """
    valid = risk_off.dropna()
    labels = (valid > threshold).astype(int)
    years = max((valid.index[-1] - valid.index[0]).days / 365.25, 1e-9) if len(valid) > 1 else np.nan
    kinds, lengths = spells(labels.to_numpy())
    out: dict[str, float] = {
        "share_risk_off": float(labels.mean()) if len(labels) else np.nan,
        "switches_per_year": switches(labels.to_numpy()) / years if len(labels) > 1 else np.nan,
        "mean_duration": float(lengths.mean()) if len(lengths) else np.nan,
        "mean_duration_risk_off": float(lengths[kinds == 1].mean()) if np.any(kinds == 1) else np.nan,
    }
    for name, date in (CRISIS_ONSETS if onsets is None else onsets).items():
        onset = pd.Timestamp(date)
        if not len(labels) or onset < labels.index[0] or onset > labels.index[-1]:
            out[f"delay_{name}"] = np.nan  # the path has no output at the onset: no delay to measure
            continue
        after = labels.loc[onset: onset + DELAY_HORIZON + pd.offsets.MonthEnd(0)]
        hits = np.flatnonzero(after.to_numpy() == 1)
        out[f"delay_{name}"] = float(hits[0]) if len(hits) else np.nan
    return out


def label_agreement(paths, threshold: float = 0.5) -> pd.DataFrame:
    """Share of dates on which two detectors give the same risk-on / risk-off label.

    Parameters
    ----------
    paths : iterable of regimes.walkforward.RegimePath
    threshold : float
        Risk-off label when the filtered risk-off probability exceeds it.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_paths, n_paths)``, symmetric, index and columns the path
        names; entry (a, b) is the share of the dates where both paths have
        an output on which their labels agree (NaN when they share no date).
        Uses filtered outputs only.
    """
    labels = {p.name: (p.risk_off > threshold).astype(float).where(p.risk_off.notna()) for p in paths}
    names = list(labels)
    out = pd.DataFrame(np.nan, index=names, columns=names)
    for a in names:
        for b in names:
            both = pd.concat([labels[a], labels[b]], axis=1, join="inner").dropna()
            if len(both):
                out.loc[a, b] = float((both.iloc[:, 0] == both.iloc[:, 1]).mean())
    return out


def evaluation_table(paths, truth: pd.Series | None = None, threshold: float = 0.5,
                     onsets: dict[str, str] | None = None, agreement: bool = False) -> pd.DataFrame:
    """One row per walk-forward path: behaviour, label stability and, given the truth, scores.

    Parameters
    ----------
    paths : iterable of regimes.walkforward.RegimePath
    truth : pandas.Series, optional
        True states (0 risk-on, 1 risk-off) by date; scored where the path has a probability.
    threshold : float
        Risk-off label when the filtered risk-off probability exceeds it.
    onsets : dict, optional
        Crisis onsets of :func:`path_summary` (default :data:`CRISIS_ONSETS`; ``{}`` for none).
    agreement : bool
        Add ``agreement_with_<name>`` columns (:func:`label_agreement`) and
        ``agreement_others`` (their mean over the other paths).

    Returns
    -------
    pandas.DataFrame
        Index: path names. Columns: :func:`path_summary` (``share_risk_off``,
        ``switches_per_year``, ``mean_duration``, ``mean_duration_risk_off``,
        crisis delays), the path's stability
        (:func:`regimes.walkforward.stability_summary`: ``refits``, ``flipped``,
        ``flip_share``, ``overridden``, ``agreement``, ``agreement_min``,
        ``agreement_unaligned``; ``aligned`` False for detectors whose states are a
        score or a rule), with ``truth`` the :func:`regime_scores` of the
        thresholded labels, and with ``agreement`` the agreement between
        detectors. Every column uses the filtered (causal) outputs only.
    """
    paths = list(paths)
    rows = {}
    for path in paths:
        risk_off = path.risk_off
        row: dict = dict(path_summary(risk_off, threshold, onsets))
        row.update(path.stability)
        if truth is not None:
            true = truth.reindex(risk_off.index)
            pred = (risk_off > threshold).astype(float).where(risk_off.notna())
            ok = true.notna()
            row.update(regime_scores(true[ok].to_numpy(), pred[ok].to_numpy()))
        rows[path.name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    if agreement:
        agree = label_agreement(paths, threshold)
        off_diagonal = agree.where(~np.eye(len(agree), dtype=bool))
        table["agreement_others"] = off_diagonal.mean(axis=1) if len(agree) > 1 else np.nan
        table = table.join(agree.add_prefix("agreement_with_"))
    return table
