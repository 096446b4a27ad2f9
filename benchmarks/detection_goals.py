"""Detection goals of issue 13: every detector at its defaults on synthetic user panels, beside two peers.

Usage::

    FACTOR_REGIMES_THREADS=1 nice -n 10 python benchmarks/detection_goals.py [--seeds 0 1 2] [--only hard-daily ...]
    FACTOR_REGIMES_THREADS=1 nice -n 10 python benchmarks/detection_goals.py --tune [--seeds 100 101]

**Panels** (:func:`simulate`): two persistent states (a Markov chain), returns
``mean_s + vol_s * shock`` and a VIX that is an AR(1) in logs pulled towards a
state level, so it lags and only partly separates the states. Four families:

* ``hard-daily``: 5,000 business days, mean spell 80 days (about 31 true
  switches in the scored half, as in the issue), risk-off volatility 1.5x
  risk-on (0.8% vs 1.2% a day), Student-t(4) shocks (unit variance), log VIX
  levels 0.25 apart, AR 0.8, noise 0.07 a day (calibrated so that the
  hmmlearn peer scores about the 0.85 balanced accuracy the issue reports for
  it; with AR 0.9 and noise 0.06 it scores 0.78);
* ``hard-monthly``: 600 months, mean spell 10 months, 3.5% vs 5.25% a month,
  Student-t(4), log VIX levels 0.25 apart, AR 0.5, noise 0.12 a month;
* ``easy-daily`` / ``easy-monthly``: the same lengths and spells, Gaussian
  shocks, volatility 2.5x, log VIX levels 0.6 apart, AR 0.3 (the VIX moves
  most of the way to its new level in one period), noise 0.04 a day / 0.08
  a month;
* ``hard-weekly`` / ``easy-weekly`` (no goal in the issue; they choose the
  weekly defaults): 1,300 weeks, mean spell 16 weeks, the daily families'
  volatilities scaled by sqrt(5), log VIX AR 0.6 / 0.3 and noise 0.1 / 0.06
  a week (interpolated between the daily and monthly calibrations, not
  calibrated against a peer).

Each panel has only the columns ``vix`` and ``sp500_ret`` and goes through
the user's path: written to a CSV in a temporary folder and read back with
:class:`regimes.data.csv_panel.CsvSource`, so every detector runs with **its
defaults for that frequency** (:func:`regimes.specs.resolve_panel`) through
:func:`regimes.pipeline.detect`.

**Protocol**: the first fit uses the first half of the rows
(``min_history = n // 2``), then refits follow the frequency's schedule
(:data:`SCHEDULES`: yearly, expanding window, labels aligned); the causal
risk-off probability of the second half is thresholded at 0.5 and scored
against the truth: balanced accuracy, switches against true switches, and
refit blocks out of phase and inverted. A block (the rows between two
refits) is **out of phase** when each true state has at least
:data:`MIN_ROWS` rows in it and its labels agree with the truth worse than
chance (accuracy and balanced accuracy under 0.5) at every lag of the truth
from 0 to :data:`MAX_LAG` periods (about a month), so that a detector that is
right but late is not counted (a block of one true state cannot tell an
inversion from a miss and is not counted). On 12-row monthly blocks a missed
6-month spell is enough to put a block out of phase, so this counts misses as
well as inverted labels. A block is **inverted** when its label is: a model
that agrees on at least :data:`CARRY` of its common history with the model
before it (the engine's alignment record) gives its risk-off label the same
meaning, so an out-of-phase block is judged together with its neighbours'
blocks that share its meaning (three blocks at most: 36 months on monthly
panels) and counts as inverted when that window is worse than chance as a
whole (a model sharing no meaning with a neighbour is judged on its own
block). Detectors whose risk-off state is a rule or a high score
by construction (:data:`NOT_LEARNED`) cannot invert and are left blank. Beside
it, the engine's own label-stability record: ``flipped_refits`` (refits whose
risk-off label alignment changed, so they would have flipped without it) and
``agreement_min`` (the lowest agreement of two consecutive models on their
common history).

**Peers**, fit once on the first half, then run causally over the second half:

* ``peer:hmmlearn``: ``hmmlearn.hmm.GaussianHMM`` (2 states, full covariance)
  on ``[log_vix, sp500_ret]`` standardized with first-half statistics, then
  this file's own scaled forward algorithm (filtered probabilities, no
  smoothing); risk-off is the state with the higher mean log VIX;
* ``peer:jumpmodels``: the ``jumpmodels`` package (benchmark-only extra
  ``bench``) as in its own example: the Shu, Yu & Mulvey features of returns
  (``dd_log_*``, ``sortino_*`` at half-lives 5, 10, 21 days; on monthly data
  the one half-life defined there), clipped at 3 standard deviations and
  standardized with first-half statistics, ``JumpModel(jump_penalty=50)``
  (10 on monthly data), ``predict_online``; risk-off is the state of higher
  in-sample return volatility.

``--cadence`` compares refit cadences (:data:`CADENCES`) for a few detectors at
their defaults on the tuning seeds (``detection_goals_cadence.md``).
``--tune`` scores candidate features and parameters (:data:`CANDIDATES`) on
separate tuning seeds (never the scoring seeds) and writes
``detection_goals_tuning.md`` / ``.csv``; the defaults in
:data:`regimes.specs.FREQUENCY_FEATURES` / :data:`regimes.specs.FREQUENCY_PARAMS`
were chosen from that table. Without ``--tune`` it writes
``detection_goals.md`` / ``.csv``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.tables import markdown_table  # noqa: E402
from plumbing.threads import capped  # noqa: E402
from regimes.data.csv_panel import CsvSource, csv_panel  # noqa: E402
from regimes.evaluation import regime_scores  # noqa: E402
from regimes.features import build_features  # noqa: E402
from regimes.panel import Panel  # noqa: E402
from regimes.pipeline import detect  # noqa: E402
from regimes.specs import DetectorSpec  # noqa: E402
from regimes.walkforward import Schedule  # noqa: E402

#: family -> generator parameters (see module docstring); per-period units of the family's frequency.
FAMILIES: dict[str, dict] = {
    "hard-daily": dict(n=5000, freq="B", spell=80, mean=4e-4, vol=(0.008, 0.012), t_df=4, gap=0.25, ar=0.8,
                       noise=0.07),
    "hard-monthly": dict(n=600, freq="ME", spell=10, mean=5e-3, vol=(0.035, 0.0525), t_df=4, gap=0.25, ar=0.5,
                         noise=0.12),
    "easy-daily": dict(n=5000, freq="B", spell=80, mean=4e-4, vol=(0.007, 0.0175), t_df=None, gap=0.6, ar=0.3,
                       noise=0.04),
    "hard-weekly": dict(n=1300, freq="W-FRI", spell=16, mean=2e-3, vol=(0.018, 0.027), t_df=4, gap=0.25, ar=0.6,
                        noise=0.1),
    "easy-weekly": dict(n=1300, freq="W-FRI", spell=16, mean=2e-3, vol=(0.0157, 0.039), t_df=None, gap=0.6,
                        ar=0.3, noise=0.06),
    "easy-monthly": dict(n=600, freq="ME", spell=10, mean=5e-3, vol=(0.03, 0.075), t_df=None, gap=0.6, ar=0.3,
                         noise=0.08),
}



def frequency_of(family: str) -> str:
    """``"daily"``, ``"weekly"`` or ``"monthly"``: the panel frequency of a family."""
    return family.rsplit("-", 1)[1]


#: Walk-forward schedule per panel frequency (refit yearly; min_history is set to half the panel).
SCHEDULES = {"daily": 252, "weekly": 52, "monthly": 12}

DETECTORS = ("hmm", "jump", "ensemble", "cjm", "sjm", "markov_switching", "vix_threshold", "garch", "bocpd",
             "changepoint", "tuned")
#: Detectors too slow for every family on the shared machine (bocpd: ~30 s a daily run).
SLOW = ("bocpd", "changepoint", "tuned")


def simulate(family: str, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A synthetic user panel of ``family``: columns ``vix``, ``sp500_ret``, and the true states.

    Returns
    -------
    frame : pandas.DataFrame
        Shape ``(n, 2)``, index ``date``.
    truth : pandas.Series
        Shape ``(n,)``: 0 risk-on, 1 risk-off.
    """
    p = FAMILIES[family]
    rng = np.random.default_rng(seed)
    n = p["n"]
    states = np.zeros(n, dtype=int)
    states[0] = rng.integers(2)
    stay = 1.0 - 1.0 / p["spell"]
    for t in range(1, n):
        states[t] = states[t - 1] if rng.random() < stay else 1 - states[t - 1]
    if p["t_df"] is None:
        shocks = rng.standard_normal(n)
    else:
        shocks = rng.standard_t(p["t_df"], n) / np.sqrt(p["t_df"] / (p["t_df"] - 2.0))
    vol = np.where(states == 0, p["vol"][0], p["vol"][1])
    ret = np.where(states == 0, p["mean"], -p["mean"]) + vol * shocks
    level = np.log(16.0) + p["gap"] * states
    log_vix = np.empty(n)
    log_vix[0] = level[0]
    for t in range(1, n):
        log_vix[t] = level[t] + p["ar"] * (log_vix[t - 1] - level[t]) + p["noise"] * rng.standard_normal()
    index = pd.date_range("1990-01-31" if p["freq"] == "ME" else "2000-01-03", periods=n, freq=p["freq"],
                          name="date")
    return (pd.DataFrame({"vix": np.exp(log_vix), "sp500_ret": ret}, index=index),
            pd.Series(states, index=index, name="state"))


def user_panel(frame: pd.DataFrame) -> Panel:
    """The panel a user gets from ``frame`` written as a CSV (``data: {source: csv, path: FILE}``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.csv"
        frame.to_csv(path, date_format="%Y-%m-%d", float_format="%.10g")
        return csv_panel(CsvSource(path))


#: Largest lag of the truth (periods) tried before a refit block is called inverted.
MAX_LAG = {"daily": 21, "weekly": 4, "monthly": 1}
#: Fewest rows of each true state in a block for the inversion test (fewer cannot tell inversion from a miss).
MIN_ROWS = {"daily": 10, "weekly": 3, "monthly": 3}


#: Agreement of two consecutive models (share of their common history) from which they share a label meaning.
CARRY = 0.9


def _worse_than_chance(truth: np.ndarray, labels: np.ndarray, rows: np.ndarray, max_lag: int) -> bool:
    """Accuracy and balanced accuracy under 0.5 at every lag 0..``max_lag`` of the truth."""
    scores = [regime_scores(truth[rows - lag], labels[rows]) for lag in range(max_lag + 1)]
    return all(s["accuracy"] < 0.5 and s["balanced_accuracy"] < 0.5 for s in scores)


def blocks_inverted(labels: pd.Series, truth: pd.Series, refit_dates: pd.DatetimeIndex, first: int,
                    max_lag: int, min_rows: int, agreement: pd.Series | None = None) -> tuple[int, int]:
    """Refit blocks (from row ``first`` on) out of phase with the truth, and those whose label is inverted.

    A block is out of phase when each true state has at least ``min_rows`` rows in it and its labels are
    worse than chance at every lag 0..``max_lag`` of the truth. A model that agrees on at least
    :data:`CARRY` of its common history with the model before it (``agreement``, indexed by refit date,
    from the engine's alignment record) gives its risk-off label the same meaning. An out-of-phase block is
    inverted when the window of its own block and its neighbours' blocks that share its label meaning (the
    model before and the model after it, when each agrees with the next: three blocks at most, 36 months on
    monthly panels) is worse than chance at every lag as a whole; a block whose model shares no meaning with
    a neighbour is judged on its own rows. So a spell missed inside a block of a right model is not an
    inversion, while a model whose label means the opposite of the truth for a block and its neighbours is.

    Returns
    -------
    out_of_phase, inverted : int
    """
    block = np.searchsorted(refit_dates, labels.index, side="right") - 1
    known = labels.notna().to_numpy()
    y, pred = truth.to_numpy(), labels.to_numpy()
    rows, flagged, linked = [], [], []  # per block; linked[i]: block i shares its label meaning with block i - 1
    for b in np.unique(block[first:][block[first:] >= 0]):
        r = np.flatnonzero((block == b) & known)
        r = r[r >= first]
        rows.append(r)
        flagged.append(bool(len(r) > 0 and np.bincount(y[r], minlength=2).min() >= min_rows
                            and _worse_than_chance(y, pred, r, max_lag)))
        agree = np.nan if agreement is None else float(agreement.get(refit_dates[b], np.nan))
        linked.append(bool(rows[:-1]) and agree >= CARRY)
    inverted = 0
    for i, bad in enumerate(flagged):
        if not bad:
            continue
        window = [i] + ([i - 1] if linked[i] else []) + ([i + 1] if i + 1 < len(rows) and linked[i + 1] else [])
        inverted += _worse_than_chance(y, pred, np.concatenate([rows[j] for j in window]), max_lag)
    return sum(flagged), inverted


def score(risk_off: pd.Series, truth: pd.Series, first: int) -> dict:
    """Scores of the thresholded causal probability on rows ``first..n-1``."""
    pred = (risk_off > 0.5).astype(float).where(risk_off.notna()).iloc[first:]
    s = regime_scores(truth.iloc[first:].to_numpy(), pred.to_numpy())
    return {"balanced_accuracy": s["balanced_accuracy"], "switches": s["switches"],
            "true_switches": s["true_switches"], "switch_ratio": s["switches"] / max(s["true_switches"], 1),
            "mean_delay": s["mean_delay"], "coverage": float(pred.notna().mean())}


def run_detector(name: str, panel: Panel, truth: pd.Series, seed: int, features: list[str] | None = None,
                 params: dict | None = None, refit_every: int | None = None) -> dict:
    """One detector through the pipeline on the user's panel, at its defaults unless overridden."""
    n = len(panel.frame)
    item: dict = {"name": name}
    if features:
        item["features"] = list(features)
    if params:
        item["params"] = dict(params)
    schedule = Schedule(refit_every=refit_every or SCHEDULES[panel.frequency], min_history=n // 2)
    started = time.process_time()
    path = detect(DetectorSpec.from_dict(item), {"csv": panel}, panel.frame.index, schedule, seed=seed)
    seconds = time.process_time() - started
    labels = (path.risk_off > 0.5).astype(float).where(path.risk_off.notna())
    out = score(path.risk_off, truth, n // 2)
    agreement = path.alignment["agreement"] if path.alignment is not None else None
    out_of_phase, inverted = blocks_inverted(labels, truth, path.refit_dates, n // 2, MAX_LAG[panel.frequency],
                                             MIN_ROWS[panel.frequency], agreement)
    out.update({"out_of_phase_blocks": out_of_phase, "inverted_blocks": inverted,
                "flipped_refits": path.stability.get("flipped", np.nan),
                "agreement_min": path.stability.get("agreement_min", np.nan),
                "refits": len(path.refit_dates), "cpu_seconds": seconds,
                "features": ",".join(path.info.get("features", []))})
    return out


def _forward(log_em: np.ndarray, start: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """Scaled forward algorithm: row t is P(state_t | x_0..x_t) (written here, independent of the package)."""
    out = np.empty_like(log_em)
    prior = start
    for t in range(len(log_em)):
        w = prior * np.exp(log_em[t] - log_em[t].max())
        out[t] = w / w.sum()
        prior = out[t] @ trans
    return out


def peer_hmmlearn(panel: Panel, truth: pd.Series, seed: int) -> dict:
    from hmmlearn.hmm import GaussianHMM
    from scipy.stats import multivariate_normal

    X = build_features(panel, ["log_vix", "sp500_ret"]).dropna()
    half = len(panel.frame) // 2
    train = X.loc[: panel.frame.index[half - 1]]
    mu, sd = train.mean(), train.std()
    Z, Zt = ((X - mu) / sd).to_numpy(), ((train - mu) / sd).to_numpy()
    started = time.process_time()
    model = GaussianHMM(2, covariance_type="full", n_iter=500, random_state=seed).fit(Zt)
    log_em = np.column_stack([multivariate_normal(model.means_[k], model.covars_[k]).logpdf(Z) for k in range(2)])
    proba = _forward(log_em, model.startprob_, model.transmat_)
    off = int(np.argmax(model.means_[:, 0]))
    risk_off = pd.Series(proba[:, off], index=X.index).reindex(panel.frame.index)
    out = score(risk_off, truth, half)
    out.update({"out_of_phase_blocks": np.nan, "inverted_blocks": np.nan, "refits": 1,
                "cpu_seconds": time.process_time() - started,
                "features": "log_vix,sp500_ret"})
    return out


def peer_jumpmodels(panel: Panel, truth: pd.Series, seed: int) -> dict:
    from jumpmodels.jump import JumpModel
    from jumpmodels.preprocess import DataClipperStd, StandardScalerPD

    daily = panel.frequency == "daily"
    names = [f"{k}_{h}" for h in ((5, 10, 21) if daily else (21,)) for k in ("dd_log", "sortino")]
    X = build_features(panel, names).dropna()
    half = len(panel.frame) // 2
    train = X.loc[: panel.frame.index[half - 1]]
    started = time.process_time()
    clipper, scaler = DataClipperStd(mul=3.0), StandardScalerPD()
    Zt = scaler.fit_transform(clipper.fit_transform(train))
    Z = scaler.transform(clipper.transform(X))
    ret = panel.frame["sp500_ret"].reindex(train.index)
    model = JumpModel(n_components=2, jump_penalty=50.0 if daily else 10.0, cont=False, random_state=seed)
    model.fit(Zt, ret_ser=ret, sort_by="cumret")
    off = int(np.argmax(np.asarray(model.vol_)))
    labels = np.asarray(model.predict_online(Z))
    risk_off = pd.Series((labels == off).astype(float), index=X.index).reindex(panel.frame.index)
    out = score(risk_off, truth, half)
    out.update({"out_of_phase_blocks": np.nan, "inverted_blocks": np.nan, "refits": 1,
                "cpu_seconds": time.process_time() - started,
                "features": ",".join(names)})
    return out


PEERS = {"peer:hmmlearn": peer_hmmlearn, "peer:jumpmodels": peer_jumpmodels}

_SYM_D = ["dd_log_5", "dd_log_10", "dd_log_21", "sortino_5", "sortino_10", "sortino_21"]
#: family -> detector -> list of (candidate label, features or None for the defaults, params or None).
CANDIDATES: dict[str, dict[str, list[tuple[str, list[str] | None, dict | None]]]] = {
    "daily": {
        "hmm": [("log_vix,sp500_ret_1m (old)", ["log_vix", "sp500_ret_1m"], None),
                ("log_vix,sp500_ret", ["log_vix", "sp500_ret"], None),
                ("log_vix,dd_log_5", ["log_vix", "dd_log_5"], None),
                ("log_vix,dd_log_10", ["log_vix", "dd_log_10"], None),
                ("log_vix,dd_log_21", ["log_vix", "dd_log_21"], None)],
        "jump": [("log_vix,sp500_ret_1m pen=10 (old)", ["log_vix", "sp500_ret_1m"], {"jump_penalty": 10.0}),
                 *[(f"{f} pen={lam:g}", feats, {"jump_penalty": lam})
                   for f, feats in (("log_vix,dd_log_5", ["log_vix", "dd_log_5"]),
                                    ("log_vix,dd_log_10", ["log_vix", "dd_log_10"]),
                                    ("log_vix,dd_log_21", ["log_vix", "dd_log_21"]))
                   for lam in ((3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0) if f.endswith("_5") else (5.0, 10.0, 20.0))]],
        "sjm": [(f"log_vix,dd_log_5 pen={lam:g}", ["log_vix", "dd_log_5"], {"jump_penalty": lam})
                for lam in (10.0, 15.0)],
        "cjm": [(f"log_vix,dd_log_5 pen={lam:g}", ["log_vix", "dd_log_5"], {"jump_penalty": lam})
                for lam in (10.0, 20.0)],
        "ensemble": [*[(f"log_vix,dd_log_5 hmm,jump({lam:g}),sjm(15)", ["log_vix", "dd_log_5"],
                        {"members": [{"name": "hmm"}, {"name": "jump", "params": {"jump_penalty": lam}},
                                     {"name": "sjm", "params": {"jump_penalty": 15.0}}]}) for lam in (3.0, 5.0)],
                     ("log_vix,dd_log_5 hmm,jump(5),cjm(10)", ["log_vix", "dd_log_5"],
                      {"members": [{"name": "hmm"}, {"name": "jump", "params": {"jump_penalty": 5.0}},
                                   {"name": "cjm", "params": {"jump_penalty": 10.0}}]})],
        "markov_switching": [("sp500_ret_1m (old)", ["sp500_ret_1m"], None), ("sp500_ret", ["sp500_ret"], None)],
    },
    "monthly": {
        "hmm": [("log_vix,sp500_ret_1m (old)", ["log_vix", "sp500_ret_1m"], None),
                ("log_vix,sp500_ret", ["log_vix", "sp500_ret"], None),
                ("log_vix,dd_log_21", ["log_vix", "dd_log_21"], None)],
        "jump": [*[(f"log_vix,sp500_ret_1m pen={lam:g}{' (old)' if lam == 10 else ''}",
                    ["log_vix", "sp500_ret_1m"], {"jump_penalty": lam})
                   for lam in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)],
                 *[(f"log_vix,dd_log_21 pen={lam:g}", ["log_vix", "dd_log_21"], {"jump_penalty": lam})
                   for lam in (1.0, 2.0, 5.0)]],
        "cjm": [(f"log_vix,sp500_ret_1m pen={lam:g}{' (old)' if lam == 10 else ''}", ["log_vix", "sp500_ret_1m"],
                 {"jump_penalty": lam}) for lam in (1.0, 2.0, 5.0, 10.0)],
        "sjm": [(f"log_vix,sp500_ret_1m pen={lam:g}{' (old)' if lam == 10 else ''}", ["log_vix", "sp500_ret_1m"],
                 {"jump_penalty": lam}) for lam in (1.0, 2.0, 5.0, 10.0)],
        "ensemble": [(f"log_vix,sp500_ret_1m hmm,jump({lam:g}),bocpd{' (old)' if lam == 10 else ''}",
                      ["log_vix", "sp500_ret_1m"],
                      {"members": [{"name": "hmm"}, {"name": "jump", "params": {"jump_penalty": lam}},
                                   {"name": "bocpd"}]}) for lam in (1.0, 10.0)],
    },
    "weekly": {
        "hmm": [("log_vix,sp500_ret_1m (monthly default)", ["log_vix", "sp500_ret_1m"], None),
                ("log_vix,dd_log_5 (daily default)", ["log_vix", "dd_log_5"], None),
                ("log_vix,sp500_ret", ["log_vix", "sp500_ret"], None)],
        "jump": [(f"{f} pen={lam:g}", feats, {"jump_penalty": lam})
                 for f, feats in (("log_vix,sp500_ret_1m", ["log_vix", "sp500_ret_1m"]),
                                  ("log_vix,dd_log_5", ["log_vix", "dd_log_5"]))
                 for lam in (1.0, 2.0, 3.0, 5.0)],
        "cjm": [(f"log_vix,dd_log_5 pen={lam:g}", ["log_vix", "dd_log_5"], {"jump_penalty": lam})
                for lam in (2.0, 5.0, 10.0)],
        "sjm": [(f"log_vix,dd_log_5 pen={lam:g}", ["log_vix", "dd_log_5"], {"jump_penalty": lam})
                for lam in (2.0, 5.0, 10.0)],
        "markov_switching": [("sp500_ret_1m (monthly default)", ["sp500_ret_1m"], None),
                             ("sp500_ret", ["sp500_ret"], None)],
    },
}


CHOICE = """## What was chosen from this table (`regimes/specs.py`)

Rule: no inverted block. Features: the best balanced accuracy on the hard panels, subject to the easy-panel
goal for `hmm`, `jump` and `ensemble`. `jump` penalty (and so the ensembles): the largest penalty whose
easy-panel accuracy is >= 0.97 on the tuning seeds, a margin over the goal's 0.96 (in the first round the
scoring seeds came out about 0.005 below the tuning seeds); a larger penalty switches less, and hard-panel
accuracy moves by under 0.01 between the candidates near the choice. `cjm` and `sjm` (no easy goal): the
fewest switches at about the same hard-panel accuracy (within about 0.01), with consecutive refits agreeing
on about 0.9 or more of their common history.

- **Daily features** `[log_vix, dd_log_5]` for `hmm`, `jump`, `cjm`, `sjm`, `ensemble`, `tuned`: best or
  equal-best hard-daily accuracy for every model (against the old `[log_vix, sp500_ret_1m]` the HMM splits
  less on the sign of returns and switches less), and 1.000 on the easy panels for hmm. A 5-day half-life
  reacts faster than 10 or 21 days.
- **Daily `jump_penalty`**: `jump` 3, the largest penalty with easy-daily accuracy >= 0.97 (0.971; 4 gives
  0.967, 5 0.964: the online programme needs about `penalty / cost gap` days to confirm a switch, and
  short spells are missed); on hard panels it switches about 2.6x the truth at 0.863. `sjm` 15: the
  fewest switches on hard panels at about the same accuracy (the detector meant for the hard-daily goal
  of <= 1.5x the true switches), 0.935 on easy ones (no easy goal for it). `cjm` 10 (0.868 hard, 0.962
  easy; 20 trades 0.01 of easy accuracy for fewer switches).
- **Daily ensemble** `hmm + jump + sjm` at their daily defaults (`jump` at 3: 0.971 easy, 0.871 hard);
  `bocpd`, the monthly member, takes about 30 s a run on 5,000 days and scores about 0.7 there
  (`persistence.md`).
- **Daily `markov_switching`** on `sp500_ret` (the daily return: the overlapping 21-day return inverts
  blocks on hard panels and scores under 0.5). It stays weak on hard panels: a one-feature return model
  cannot see a 1.5x volatility ratio through t(4) shocks day by day.
- **Monthly `jump_penalty`** (in `DEFAULTS`, the monthly panel's): `jump` 1, the largest penalty with
  easy-monthly accuracy >= 0.97 on the eight monthly tuning seeds (1.25 falls under it; the old 10 scored 0.79
  there, confirming switches 2-3 months late on 10-month spells, and 0.67 on hard panels; on the scoring seeds
  0.76 and 0.60). `cjm` and `sjm` 2: the fewest switches at about the same hard-panel accuracy with
  consecutive refits agreeing on about 0.9 or more of their common history (at 5 and the old 10 they agreed on
  as little as 0.44-0.55 and alignment had to relabel up to 3 refits of `sjm`). The monthly ensemble keeps
  `hmm + jump + bocpd`, now with `jump` at 1. Checked on the real monthly panel 2000-2024 (yearly refits,
  `benchmarks/regimes.py`): `jump` at 1 switches about 1.9 times a year (0.2 at 10; the HMM 0.8) and flags
  September 2008, August 2011 and February 2020 in the onset month (at 10: February 2020 one month late).
- **Monthly features** unchanged: `[log_vix, sp500_ret_1m]` is as good as or better than `dd_log_21` for
  `hmm` and `jump`.
- **Weekly panels** keep the monthly defaults, measured on the weekly families: the HMM's
  `[log_vix, sp500_ret_1m]` beats the daily `[log_vix, dd_log_5]` (0.802 against 0.776 hard, 0.997 both
  easy), and `jump` at penalty 1 on those features is the largest penalty with easy-weekly accuracy
  >= 0.97 (0.982; 2 gives 0.957). `[log_vix, sp500_ret]` scores 0.812 on hard weekly panels against the
  kept 0.802 (within the seeds' spread; one feature set for monthly and weekly panels was preferred).
  `cjm` and `sjm` at 2 were measured on `[log_vix, dd_log_5]` only. `markov_switching` reads the weekly
  return `sp500_ret` there, as on daily panels: the overlapping 4-week return of the monthly default scores
  0.652 on easy weekly panels (0.837 with the weekly return) and its consecutive refits agree on as little
  as 0.59 of their common history (0.86), at the cost of hard-panel accuracy (0.557 against 0.597; both
  near chance).
- **Schedules** (not a detector parameter; the engine's `Schedule`): every run above refits yearly on an
  expanding window (252 rows daily, 52 weekly, 12 monthly) after half the panel. `--cadence`
  (`detection_goals_cadence.md`, one tuning seed) finds quarterly, yearly, five-yearly and single fits
  within 0.01 of balanced accuracy of each other for `hmm`, `jump` and `sjm` (the synthetic panels are
  stationary), with quarterly refits costing about 4x the CPU of yearly ones. Recommended per frequency:
  `refit_every: 1Y` (252 daily rows, 52 weekly, 12 monthly), expanding window, `min_history: 5Y` (1,260
  daily rows, 260 weeks, 60 months); `min_history` itself was not varied here (half the panel throughout).
"""


def panels(families: list[str], seeds: list[int]):
    """Yield ``(family, frequency, seed index, seed, panel, truth)`` for every family and seed, the panel read
    back through the csv source (:func:`user_panel`)."""
    for family in families:
        for i, seed in enumerate(seeds):
            frame, truth = simulate(family, seed)
            yield family, frequency_of(family), i, seed, user_panel(frame), truth


def _scored(rows: list[dict], row: dict, *label) -> None:
    """Append ``row`` and print one progress line: its keys, accuracy, switch ratio, inverted blocks, CPU."""
    rows.append(row)
    print(*label, round(row["balanced_accuracy"], 3), round(row["switch_ratio"], 2), row.get("inverted_blocks"),
          round(row["cpu_seconds"], 1), flush=True)


@capped
def tune(seeds: list[int], families: list[str]) -> pd.DataFrame:
    rows: list[dict] = []
    for family, freq, _, seed, panel, truth in panels(families, seeds):
        for name, cands in CANDIDATES[freq].items():
            for label, feats, params in cands:
                r = run_detector(name, panel, truth, seed, feats, params)
                _scored(rows, {"family": family, "detector": name, "candidate": label, "seed": seed, **r},
                        family, seed, name, label)
    return pd.DataFrame(rows)


#: Refit cadences compared by ``--cadence`` (rows between refits, per panel frequency; the last is one fit only).
CADENCES = {"daily": (63, 252, 1260, 100000), "weekly": (13, 52, 260, 100000), "monthly": (3, 12, 60, 100000)}


@capped
def cadence(seeds: list[int], families: list[str], detectors: list[str]) -> pd.DataFrame:
    """Each detector at its defaults under several refit cadences (min_history still half the panel)."""
    rows: list[dict] = []
    for family, freq, _, seed, panel, truth in panels(families, seeds):
        for name in detectors:
            for every in CADENCES[freq]:
                r = run_detector(name, panel, truth, seed, refit_every=every)
                label = "once" if every >= len(panel.frame) else str(every)
                _scored(rows, {"family": family, "detector": name, "refit_every": label, "seed": seed, **r},
                        family, seed, name, label)
    return pd.DataFrame(rows)


@capped
def evaluate(seeds: list[int], families: list[str], detectors: list[str], slow_seeds: int) -> pd.DataFrame:
    rows: list[dict] = []
    for family, _, i, seed, panel, truth in panels(families, seeds):
        for name in detectors:
            if name in SLOW and i >= slow_seeds:
                continue
            _scored(rows, {"family": family, "detector": name, "seed": seed, **run_detector(name, panel, truth, seed)},
                    family, seed, name)
        for name, peer in PEERS.items():
            _scored(rows, {"family": family, "detector": name, "seed": seed, **peer(panel, truth, seed)},
                    family, seed, name)
    return pd.DataFrame(rows)


#: Detectors whose risk-off state is the high score or the rule by construction: their labels cannot invert,
#: so a block the lag test flags is a miss, not an inversion (reported blank).
NOT_LEARNED = ("vix_threshold", "garch", "bocpd", "changepoint")


def summary(raw: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean over seeds (blocks out of phase and inverted: totals, blank for :data:`NOT_LEARNED`), seed count."""
    learned = ~raw["detector"].isin(NOT_LEARNED)
    raw = raw.assign(**{c: raw[c].where(learned) for c in ("out_of_phase_blocks", "inverted_blocks")
                        if c in raw.columns})
    g = raw.groupby(keys, sort=False)
    out = g[["balanced_accuracy", "switches", "true_switches", "switch_ratio", "mean_delay", "cpu_seconds"]].mean()
    out["min_balanced_accuracy"] = g["balanced_accuracy"].min()
    if "out_of_phase_blocks" in raw.columns:
        out["out_of_phase_blocks"] = g["out_of_phase_blocks"].sum(min_count=1)
    out["inverted_blocks"] = g["inverted_blocks"].sum(min_count=1)
    for col, how in (("flipped_refits", "sum"), ("agreement_min", "min")):
        if col in raw.columns:
            out[col] = g[col].agg(how) if how == "min" else g[col].sum(min_count=1)
    out["seeds"] = g.size()
    return out.round(3)


def goal_lines(table: pd.DataFrame) -> list[str]:
    """Each goal of the issue against the summary table (mean over the scoring seeds)."""
    def row(family: str, name: str) -> pd.Series | None:
        return table.loc[(family, name)] if (family, name) in table.index else None

    out = []
    ours = [n for n in table.index.get_level_values(1).unique() if not n.startswith("peer:")]
    hard = [(n, row("hard-daily", n)) for n in ours if row("hard-daily", n) is not None]
    ok = [(n, r) for n, r in hard if r["balanced_accuracy"] >= 0.85 and r["switch_ratio"] <= 1.5]
    best = max(hard, key=lambda nr: nr[1]["balanced_accuracy"]) if hard else None
    if hard:
        out.append("- hard daily, balanced accuracy >= 0.85 with <= 1.5x the true switches: "
                   + ("**met** by " + ", ".join(f"`{n}` ({r['balanced_accuracy']:.3f}, {r['switch_ratio']:.2f}x)"
                                                  for n, r in ok) if ok else
                      f"**missed** (best accuracy `{best[0]}` {best[1]['balanced_accuracy']:.3f} at "
                      f"{best[1]['switch_ratio']:.2f}x)"))
    monthly = [(n, row("hard-monthly", n)) for n in ours if row("hard-monthly", n) is not None]
    if monthly:  # judged on the detectors scored on every seed; the slow ones (fewer seeds) are shown beside
        most = max(r["seeds"] for _, r in monthly)
        n, r = max([nr for nr in monthly if nr[1]["seeds"] == most], key=lambda nr: nr[1]["balanced_accuracy"])
        verdict = "**met**" if r["balanced_accuracy"] >= 0.76 else "**missed**"
        slow = ", ".join(f"`{m}` {q['balanced_accuracy']:.3f} on {int(q['seeds'])} seed(s)"
                         for m, q in monthly if q["seeds"] < most)
        out.append(f"- hard monthly, some detector >= 0.76: {verdict}, best `{n}` {r['balanced_accuracy']:.3f} "
                   f"({r['switch_ratio']:.2f}x switches, {int(most)} seeds)" + (f"; fewer seeds: {slow}" if slow
                                                                                 else ""))
    for family in ("easy-daily", "easy-monthly"):
        parts = []
        for n in ("hmm", "jump", "ensemble"):
            r = row(family, n)
            if r is not None:
                verdict = "met" if r["balanced_accuracy"] >= 0.96 else "**missed**"
                parts.append(f"`{n}` {r['balanced_accuracy']:.3f} {verdict}")
        if parts:
            out.append(f"- {family}, hmm, jump and ensemble >= 0.96: " + ", ".join(parts))
    inv = table.loc[[i for i in table.index if not i[1].startswith("peer:")], "inverted_blocks"]
    bad = inv[inv > 0]
    out.append("- no inverted refit block: " + ("**met** (every detector, every family)" if bad.empty else
               "**missed**: " + ", ".join(f"`{n}` on {f} ({int(v)})" for (f, n), v in bad.items())))
    if "out_of_phase_blocks" in table.columns:
        phase = table.loc[[i for i in table.index if not i[1].startswith("peer:")], "out_of_phase_blocks"]
        phase = phase[phase > 0]
        if not phase.empty:
            out.append("  - beside it, blocks out of phase (labels worse than chance in one block, missed spells "
                       "included; see the notes): " + ", ".join(f"`{n}` on {f} ({int(v)})"
                                                                for (f, n), v in phase.items()))
    return out


NOTES = """## Notes (measured)

- **Defaults**: chosen on separate tuning seeds (`detection_goals_tuning.md`, rule and choice at its end):
  `jump_penalty` 3 for `jump` on daily panels and 1 on monthly and weekly ones, 2 for `cjm` and `sjm` on
  monthly ones. In the first round (daily 5, monthly 10, the estimators' default) easy-daily `jump`
  scored 0.959 and easy-monthly `jump` 0.761 (`ensemble` 0.891): the online programme confirms a switch
  only once the accumulated cost gap exceeds the penalty, and at 10 that took 2-3 months on 10-month
  spells.
- **Out-of-phase blocks are mostly missed spells, not inverted labels.** On hard monthly panels every
  learned detector alike has one or two blocks out of phase on seed 2 (the block after the 2031 refit:
  truth `000111111000`, labels `110000001000`: a short spell missed), by models that agree on 0.96-1.0 of
  their common history with the model before them and whose three-block window beats chance; no refit
  needed its label realigned (`flipped_refits` 0). Counted as inversions they would turn "no inverted
  block" into a per-block accuracy goal that no detector and no peer meets on hard monthly panels (12
  rows, balanced accuracy about 0.8). `markov_switching` has such blocks on hard weekly and easy monthly
  panels too.
- **The inverted block left**: `markov_switching` on one hard monthly panel (seed 1), whose labels are
  worse than chance over the three blocks around its 2030 refit. It is a one-feature return model, near
  chance on hard panels (balanced accuracy 0.60), and its labels there carry little meaning either way;
  the goal is **missed** for it. Judged over the whole chain of agreeing models instead of three blocks
  (the first rule tried) no block was inverted; the stricter window is the rule kept. The VIX-based
  learned detectors (`hmm`, the jump family, `ensemble`, `tuned`) have no inverted block anywhere.
- **Label instability before this round's defaults**, measured on the tuning seeds: the jump family at
  the monthly penalties 5 and 10 (consecutive refits agreeing on as little as 0.44, up to 3 refits of
  `sjm` relabelled by alignment; at 10, `sjm` inverted 2 blocks and the ensemble 1), and
  `markov_switching` on the overlapping 21-day (daily) or 4-week (weekly) return (agreement as low as 0.46
  and 0.59; 8 and 1 inverted blocks), which now reads the period's own return there.
- **Weekly families** carry no goal in the issue; they chose the weekly defaults and are scored here for
  completeness.
- **Peers**: `jumpmodels` runs as in its daily example (return features only, penalty 50; monthly: the one
  defined half-life, penalty 10), so it sees no VIX; its low scores measure that, not the package.
- **Schedules**: refit yearly (252 daily rows, 52 weekly, 12 monthly) on an expanding window after half the
  panel; quarterly to single fits score within 0.01 of each other (`detection_goals_cadence.md`).
  Recommended per frequency: `refit_every: 1Y`, expanding, `min_history: 5Y`.
"""


GOALS = ("Goals (issue 13): on hard daily panels some detector reaches balanced accuracy >= 0.85 with at most "
         "1.5x the true switches; on hard monthly >= 0.76; on easy panels >= 0.96 for hmm, jump and ensemble; "
         "no inverted refit block.")


def goals_report(raw: pd.DataFrame, seeds: list[int], stamp: str, title: str = "#") -> str:
    """``detection_goals.md``: the goal lines, the table and the notes, from the raw rows of :func:`evaluate`."""
    table = summary(raw, ["family", "detector"])
    return (f"{title} Detection goals: detectors at their defaults on synthetic user panels\n\nGenerated by `python "
            f"benchmarks/detection_goals.py --seeds {' '.join(map(str, seeds))}` (or `benchmarks/regimes.py`) on "
            f"{stamp}; {GOALS}\n\n{title}# Goals at the defaults\n\n" + "\n".join(goal_lines(table)) + "\n\n"
            f"{markdown_table(table, digits=3)}\n\n"
            "`switch_ratio`: predicted / true switches in the scored half; `out_of_phase_blocks` and "
            "`inverted_blocks`: totals over seeds (see the module docstring); `flipped_refits`: total; "
            "`agreement_min`: lowest over seeds (blank where not recorded); `min_balanced_accuracy`: worst seed; "
            "`cpu_seconds`: process CPU per run (nice'd shared machine).\n\n" + NOTES.replace("## ", f"{title}# "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="scoring seeds (default 0 1 2); tuning seeds with --tune (default 100 101 102)")
    parser.add_argument("--only", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS))
    parser.add_argument("--slow-seeds", type=int, default=1, help="seeds for bocpd, changepoint and tuned")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--cadence", action="store_true", help="compare refit cadences (tuning seeds)")
    parser.add_argument("--from-csv", type=Path, default=None,
                        help="re-render detection_goals.md (with --tune: detection_goals_tuning.md) from a csv")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    if args.cadence:
        seeds = args.seeds or [100, 101]
        dets = args.detectors if args.detectors != list(DETECTORS) else ["hmm", "jump", "sjm"]
        raw = cadence(seeds, args.only, dets)
        table = summary(raw, ["family", "detector", "refit_every"])
        text = (f"# Detection goals: refit cadence\n\nGenerated by `python benchmarks/detection_goals.py --cadence "
                f"--seeds {' '.join(map(str, seeds))}` on {stamp} (tuning seeds). Detectors at their defaults, first "
                "fit on the first half, then a refit every `refit_every` rows (expanding window); `once`: no "
                f"refit.\n\n{markdown_table(table, digits=3)}\n")
        (args.out / "detection_goals_cadence.md").write_text(text)
        print(text)
        return
    if args.tune:
        seeds = args.seeds or [100, 101, 102]
        path = args.out / "detection_goals_tuning.csv"
        if args.from_csv is not None:
            raw = pd.read_csv(args.from_csv)
        else:  # the families run replace their own rows of an earlier table; the others are kept
            raw = tune(seeds, args.only)
            if path.exists():
                earlier = pd.read_csv(path)
                raw = pd.concat([earlier[~earlier["family"].isin(args.only)], raw], ignore_index=True)
        raw.to_csv(path, index=False)
        table = summary(raw, ["family", "detector", "candidate"])
        per_family = "; ".join(f"{f}: {' '.join(map(str, sorted(g['seed'].unique())))}"
                               for f, g in raw.groupby("family", sort=False))
        text = (f"# Detection goals: tuning the frequency defaults\n\nGenerated by `python benchmarks/"
                f"detection_goals.py --tune --only FAMILY... --seeds SEED...` (last on {stamp}) on tuning seeds, "
                f"never the scoring seeds ({per_family}; monthly runs are cheap, so they take more seeds). Each "
                "candidate runs through the pipeline on the user's panel (other parameters at their defaults); "
                f"mean over seeds.\n\n{markdown_table(table, digits=3)}\n\n{CHOICE}")
        (args.out / "detection_goals_tuning.md").write_text(text)
        print(text)
        return
    seeds = args.seeds or [0, 1, 2]
    if args.from_csv is not None:  # re-render the report of an earlier run
        raw = pd.read_csv(args.from_csv)
        seeds = sorted(raw["seed"].unique().tolist())
    else:
        raw = evaluate(seeds, args.only, args.detectors, args.slow_seeds)
        raw.to_csv(args.out / "detection_goals.csv", index=False)
    text = goals_report(raw, seeds, stamp)
    (args.out / "detection_goals.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
