"""CPU time (and, for information, detection quality) of the jump-model family on 5,000 daily rows.

Usage::

    python benchmarks/jump_family.py [--rows 5000] [--seed 0] [--out benchmarks/results]

Panel: a synthetic daily-like sample of ``--rows`` rows with two persistent states (stay
probability 0.98, about 50 days per spell), risk-off return volatility 1.5x risk-on,
Student-t(4) shocks, a noisy log-VIX that only partly separates the states, a 21-day realized
volatility, and four pure-noise features (for the sparse model). Features are standardized.

Timed with ``time.process_time`` (CPU seconds of this process, all threads; BLAS capped at one
thread) on a shared machine, so times vary between runs:

* ``fit``: one fit on all rows; ``filter``: the causal output on all rows.
* Quality, for information only (not a goal of this script): each detector fitted on the first
  half, its causal risk-off output (threshold 0.5) scored on the second half: balanced accuracy
  and switches against the truth's.

Writes ``jump_family.md`` to the output folder and prints it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run as `python benchmarks/jump_family.py`: drop this folder from sys.path (see benchmarks/regimes.py).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402

from experiments.tables import markdown_table  # noqa: E402
from plumbing.threads import limit_threads  # noqa: E402
from regimes.detectors import (  # noqa: E402
    ContinuousJumpModelDetector,
    JumpModelDetector,
    SparseJumpModelDetector,
    TunedDetector,
)

FEATURES = ["log_vix", "rv21", "noise1", "noise2", "noise3", "noise4"]
PENALTIES = [3.0, 10.0, 30.0, 100.0, 300.0]


def panel(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Hard daily panel: features (standardized, plus the raw return ``ret``) and the true states."""
    rng = np.random.default_rng(seed)
    states = np.empty(rows, dtype=int)
    states[0] = 0
    for t in range(1, rows):
        states[t] = states[t - 1] if rng.random() < 0.98 else 1 - states[t - 1]
    vol = np.where(states == 0, 0.008, 0.012)
    ret = np.where(states == 0, 0.0005, -0.0005) + vol * rng.standard_t(4, rows) / np.sqrt(2.0)
    log_vix = np.log(16.0) + 0.15 * states + 0.15 * rng.standard_normal(rows)
    frame = pd.DataFrame({"log_vix": log_vix, "rv21": pd.Series(ret).rolling(21, min_periods=5).std().to_numpy()},
                         index=pd.bdate_range("2000-01-03", periods=rows))
    for j in range(1, 5):
        frame[f"noise{j}"] = rng.standard_normal(rows)
    frame = (frame - frame.mean()) / frame.std()
    frame["ret"] = ret
    keep = frame.notna().all(axis=1).to_numpy()
    return frame[keep], states[keep]


def detectors(seed: int) -> dict[str, tuple[object, list[str]]]:
    jm = JumpModelDetector(jump_penalty=30.0, random_state=seed)
    return {
        "jump (penalty 30, reference)": (jm, FEATURES[:2]),
        "cjm (penalty 30, grid 0.05)": (ContinuousJumpModelDetector(jump_penalty=30.0, random_state=seed),
                                         FEATURES[:2]),
        "sjm (penalty 30, kappa 1.3, 6 features)": (
            SparseJumpModelDetector(jump_penalty=30.0, kappa=1.3, random_state=seed), FEATURES),
        "tuned jump, likelihood (5 penalties x 3 folds)": (
            TunedDetector(JumpModelDetector(random_state=seed), {"jump_penalty": PENALTIES}), FEATURES[:2]),
        "tuned jump, sharpe 10 bp (5 penalties x 3 folds)": (
            TunedDetector(JumpModelDetector(random_state=seed), {"jump_penalty": PENALTIES}, criterion="sharpe",
                          return_column="ret", cost_bps=10.0), [*FEATURES[:2], "ret"]),
    }


def _weights(model, cols: list[str]) -> str:
    weights = getattr(model, "feature_weights_", None)
    return "" if weights is None else ", ".join(f"{c} {w:.2f}" for c, w in zip(cols, weights))


def measure(rows: int, seed: int) -> pd.DataFrame:
    frame, states = panel(rows, seed)
    half = len(frame) // 2
    out = []
    for label, (det, cols) in detectors(seed).items():
        X = frame[cols]
        started = time.process_time()
        fitted = det.fit(X)
        fit_s = time.process_time() - started
        started = time.process_time()
        fitted.predict_proba(X)
        filter_s = time.process_time() - started
        model = det.fit(X.iloc[:half])
        risk_off = model.predict_proba(X)[half:, -1] >= 0.5
        truth = states[half:]
        chosen = getattr(model, "selected_params_", None)
        out.append({"detector": label, "rows": len(X), "fit (s)": round(fit_s, 3), "filter (s)": round(filter_s, 3),
                    "balanced accuracy (2nd half)": round(balanced_accuracy_score(truth, risk_off), 3),
                    "switches / true": round(np.count_nonzero(np.diff(risk_off.astype(int)))
                                             / max(1, np.count_nonzero(np.diff(truth))), 2),
                    "chosen (1st half)": "" if chosen is None else str(chosen),
                    "feature weights (1st half)": _weights(model, cols)})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    with limit_threads():
        table = measure(args.rows, args.seed)
    text = (f"# Jump-model family: CPU time on {args.rows} daily rows\n\n"
            f"Generated by `python benchmarks/jump_family.py --rows {args.rows} --seed {args.seed}` on "
            f"{time.strftime('%Y-%m-%d')} (`time.process_time`, BLAS capped at one thread, a shared 2-core "
            "machine: times vary between runs). Panel: two persistent states (about 50 days per spell), "
            "risk-off volatility 1.5x risk-on, Student-t(4) shocks, a noisy log-VIX, a 21-day realized "
            "volatility and four pure-noise features, standardized on the whole sample. `fit` is one fit on "
            "all rows, `filter` the causal output on all rows. Quality columns are for information only: "
            "fitted on the first half, the causal risk-off output (>= 0.5) scored on the second half.\n\n"
            + markdown_table(table, index=False) + "\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "jump_family.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
