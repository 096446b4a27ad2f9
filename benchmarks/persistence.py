"""Flicker of score-type and threshold detectors with and without persistence (hysteresis, minimum duration).

Usage::

    FACTOR_REGIMES_DATA_DIR=../shared/data python benchmarks/persistence.py [--out benchmarks/results]

Real: monthly decisions 2000-01..2024-12 (data from 1990), yearly refits after
60 months, each detector's default features (garch on daily returns, last day
of each month): switches of the filtered label, share of months risk-off and
months from the Sep-2008 and Feb-2020 onsets to the first risk-off label.

Synthetic daily: 5,000 trading days with two persistent states (mean spell
63 days), risk-off return volatility 1.5x risk-on, Student-t(4) shocks, and a
VIX that only partly separates the states (AR(1) in logs around a state
level 0.25 apart, noise 0.06 per day). Walk-forward refits every 252 days
after 1,260; labels of the second half are scored against the truth
(balanced accuracy, switches against true switches), mean over 3 seeds
(bocpd and changepoint: one seed, fewer settings, as they are slow on
daily data).
``changepoint`` re-segments the data seen so far at every day, so on daily
data it runs with ``max_window: 252`` and a single fit (its fit learns
nothing; only the scaler would change).

Writes ``persistence.md`` to the output folder and prints it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, for benchmarks._real

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.tables import markdown_table  # noqa: E402
from regimes.evaluation import regime_scores  # noqa: E402
from regimes.persistence import n_switches  # noqa: E402
from regimes.pipeline import detect as run_spec  # noqa: E402
from regimes.specs import DetectorSpec  # noqa: E402
from regimes.walkforward import Schedule, walk_forward  # noqa: E402
from benchmarks._real import real_panels  # noqa: E402

DETECTORS = ("vix_threshold", "bocpd", "changepoint", "garch")
#: label -> persistence parameters (hard-label vix_threshold takes min_duration only)
SETTINGS = {  # every setting names both parameters, so no default of the spec layer slips in
    "none": {"hysteresis": None, "min_duration": 1},
    "k=2": {"hysteresis": None, "min_duration": 2},
    "k=3": {"hysteresis": None, "min_duration": 3},
    "k=5": {"hysteresis": None, "min_duration": 5},
    "band .3/.7": {"hysteresis": [0.3, 0.7], "min_duration": 1},
    "band .3/.7, k=2": {"hysteresis": [0.3, 0.7], "min_duration": 2},
    "band .2/.8, k=3": {"hysteresis": [0.2, 0.8], "min_duration": 3},
    "band .2/.8, k=5": {"hysteresis": [0.2, 0.8], "min_duration": 5},
}


def _applies(name: str, setting: dict) -> bool:
    return not (name == "vix_threshold" and setting["hysteresis"] is not None)


def _onset_delay(risk_off: pd.Series, onset: str) -> float:
    after = risk_off.loc[onset:]
    hits = np.flatnonzero(after.to_numpy() > 0.5)
    return float(hits[0]) if len(hits) else np.nan


def real_table(source_name: str) -> pd.DataFrame:
    panels, dates = real_panels(source_name)
    rows = []
    for name in DETECTORS:
        for label, setting in SETTINGS.items():
            if not _applies(name, setting):
                continue
            started = time.perf_counter()
            spec = DetectorSpec.from_dict({"name": name, "params": setting})
            risk_off = run_spec(spec, panels, dates, Schedule(12, min_history=60), seed=0).risk_off
            labels = (risk_off > 0.5).astype(float).where(risk_off.notna())
            rows.append({"detector": name, "persistence": label, "switches": n_switches(labels.to_numpy()),
                         "share_risk_off": round(float(labels.mean()), 2),
                         "delay_Sep-2008": _onset_delay(risk_off, "2008-09"),
                         "delay_Feb-2020": _onset_delay(risk_off, "2020-02"),
                         "seconds": round(time.perf_counter() - started, 1)})
    return pd.DataFrame(rows).set_index(["detector", "persistence"])


def hard_daily(n: int = 5000, seed: int = 0, stay: float = 1 - 1 / 63) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic daily panel (see module docstring): features and true states, shape ``(n, 4)`` and ``(n,)``."""
    rng = np.random.default_rng(seed)
    states = np.zeros(n, dtype=int)
    for t in range(1, n):
        states[t] = states[t - 1] if rng.random() < stay else 1 - states[t - 1]
    vol = np.where(states == 0, 0.008, 0.012)
    shocks = rng.standard_t(4, n) / np.sqrt(2.0)  # unit variance
    ret = np.where(states == 0, 0.0004, -0.0004) + vol * shocks
    level = np.where(states == 0, np.log(16.0), np.log(16.0) + 0.25)
    log_vix = np.empty(n)
    log_vix[0] = level[0]
    for t in range(1, n):
        log_vix[t] = level[t] + 0.9 * (log_vix[t - 1] - level[t]) + 0.06 * rng.standard_normal()
    index = pd.bdate_range("2000-01-03", periods=n, name="date")
    frame = pd.DataFrame({"vix": np.exp(log_vix), "log_vix": log_vix, "sp500_ret": ret}, index=index)
    return frame, states


SYNTH_FEATURES = {"vix_threshold": ["vix"], "bocpd": ["log_vix"], "changepoint": ["log_vix"], "garch": ["sp500_ret"]}
#: bocpd (about 30 s a run on 5,000 days) and changepoint are measured on fewer settings and one seed
SLOW = {"bocpd": ("none", "band .3/.7, k=2", "band .2/.8, k=3", "band .2/.8, k=5"),
        "changepoint": ("none", "band .2/.8, k=3", "band .2/.8, k=5")}


def synthetic_table(seeds: int) -> pd.DataFrame:
    rows = []
    for name in DETECTORS:
        for label, setting in SETTINGS.items():
            if not _applies(name, setting) or (name in SLOW and label not in SLOW[name]):
                continue
            scores, seconds = [], 0.0
            for seed in range(1 if name in SLOW else seeds):
                frame, states = hard_daily(seed=seed)
                params = dict(setting)
                schedule = Schedule(refit_every=252, min_history=1260)
                if name == "changepoint":
                    params["max_window"] = 252
                    schedule = Schedule(refit_every=len(frame), min_history=1260)
                if name == "vix_threshold":
                    params["level"] = 18.0  # between the two states' VIX levels (16 and 16 * e**0.25 = 20.5)
                spec = DetectorSpec.from_dict({"name": name, "features": SYNTH_FEATURES[name], "params": params})
                started = time.perf_counter()
                path = walk_forward(spec.build(seed), frame[SYNTH_FEATURES[name]], schedule=schedule, name=name)
                seconds += time.perf_counter() - started
                half = len(frame) // 2
                scores.append(regime_scores(states[half:], path.labels.to_numpy()[half:]))
            mean = pd.DataFrame(scores).mean()
            rows.append({"detector": name, "persistence": label,
                         "balanced_accuracy": round(mean["balanced_accuracy"], 3),
                         "switches": round(mean["switches"], 1), "true_switches": round(mean["true_switches"], 1),
                         "mean_delay": round(mean["mean_delay"], 1), "seconds_per_run": round(seconds / seeds, 1)})
    return pd.DataFrame(rows).set_index(["detector", "persistence"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the fast detectors")
    parser.add_argument("--source", default="local", help="local (FACTOR_REGIMES_DATA_DIR), download or sample")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--only", choices=["real", "synthetic"], default=None)
    args = parser.parse_args()
    real = real_table(args.source) if args.only != "synthetic" else None
    synthetic = synthetic_table(args.seeds) if args.only != "real" else None
    text = f"# Persistence: flicker with and without hysteresis / minimum duration\n\n" \
           f"Generated by `python benchmarks/persistence.py` on {time.strftime('%Y-%m-%d')}.\n\n"
    if real is not None:
        text += ("## Real data (monthly decisions 2000-01..2024-12, yearly refits, default features)\n\n"
                 f"{markdown_table(real, digits=2)}\n\n"
                 "`switches`: changes of the filtered label over the 300 months; `delay_*`: months from the "
                 "onset to the first risk-off label (0 = already risk-off).\n\n")
    if synthetic is not None:
        text += (f"## Synthetic daily (hard family, known states; second half scored; mean over {args.seeds} "
                 "seeds, one for bocpd and changepoint)\n\n"
                 f"{markdown_table(synthetic, digits=3)}\n\n"
                 "`mean_delay`: days from a true switch into risk-off to the first risk-off label.\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "persistence.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
