"""Compare every regime detector on synthetic data with known states and on the real panel.

Usage::

    FACTOR_REGIMES_DATA_DIR=../shared/data python benchmarks/regimes.py [--seeds 5] [--out benchmarks/results]

Synthetic: two-state Markov-switching returns and a VIX-like series
(:func:`regimes.evaluation.simulate_regimes`, 600 months, persistence 0.97,
separation 2.5), each detector walk-forward (refit every 24 months after 120),
filtered labels scored against the truth and averaged over seeds.

Real: monthly decisions 2000-01..2024-12 (data from 1990), refit yearly after
60 months, each detector's default features: share of time risk-off,
switches per year, and months from the Sep-2008, Aug-2011 and Feb-2020 onsets
to the first risk-off label. Wall time per detector (no cache) is reported.

Detection goals (issue 13; :mod:`benchmarks.detection_goals`): every detector at its defaults on
synthetic user panels of the issue's families (hard and easy, daily, weekly and monthly), read through the
csv source, beside the peers (hmmlearn filtered causally, the ``jumpmodels`` package online), each goal
stated as met or missed. ``--goal-seeds`` sets the scoring seeds (default 0 1 2), ``--no-goals`` skips them
(about 10 minutes on this machine).

Writes ``regimes.md`` and ``regimes.csv`` (and ``detection_goals.md`` / ``.csv``) to the output folder and
prints the tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run as `python benchmarks/regimes.py`, this file's folder comes first on sys.path and its
# name would shadow the `regimes` package: drop the folder before importing the project.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, for benchmarks._real

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks._real import real_panels  # noqa: E402
from benchmarks.detection_goals import DETECTORS as GOAL_DETECTORS  # noqa: E402
from benchmarks.detection_goals import FAMILIES, evaluate, goals_report  # noqa: E402
from experiments.tables import markdown_table  # noqa: E402
from regimes.evaluation import path_summary, regime_scores, simulate_regimes  # noqa: E402
from regimes.pipeline import detect  # noqa: E402
from regimes.specs import DetectorSpec  # noqa: E402
from regimes.walkforward import Schedule, walk_forward  # noqa: E402

SYNTHETIC = {  # name -> (features, extra params)
    "hmm": (["log_vix", "sp500_ret"], {}),
    "jump": (["log_vix", "sp500_ret"], {}),
    "changepoint": (["log_vix"], {}),
    "bocpd": (["log_vix"], {}),
    "markov_switching": (["sp500_ret"], {}),
    "garch": (["sp500_ret"], {"min_history": 60}),
    "vix_threshold": (["vix"], {}),
    "ensemble": (["log_vix", "sp500_ret"], {}),
}
REAL = ["hmm", "jump", "changepoint", "bocpd", "markov_switching", "garch", "vix_threshold", "ensemble"]


def synthetic_table(seeds: int) -> pd.DataFrame:
    rows = []
    for name, (features, params) in SYNTHETIC.items():
        scores, seconds = [], 0.0
        for seed in range(seeds):
            sample = simulate_regimes(600, persistence=0.97, separation=2.5, seed=seed)
            spec = DetectorSpec.from_dict({"name": name, "features": features, "params": params})
            started = time.perf_counter()
            path = walk_forward(spec.build(seed), sample.frame[features],
                                schedule=Schedule(refit_every=24, min_history=120), name=name)
            seconds += time.perf_counter() - started
            scores.append(regime_scores(sample.states.to_numpy(), path.labels.to_numpy()))
        mean = pd.DataFrame(scores).mean()
        rows.append({"detector": name, **mean.round(3).to_dict(), "seconds_per_run": round(seconds / seeds, 2)})
    return pd.DataFrame(rows).set_index("detector")


def real_table(source_name: str) -> pd.DataFrame:
    panels, dates = real_panels(source_name)
    rows = []
    for name in REAL:
        started = time.perf_counter()
        path = detect(DetectorSpec.from_dict({"name": name}), panels, dates, Schedule(12, min_history=60), seed=0)
        seconds = time.perf_counter() - started
        summary = {k: (round(v, 2) if np.isfinite(v) else np.nan) for k, v in path_summary(path.risk_off).items()}
        rows.append({"detector": name, **summary, "p_oct_2008": round(path.risk_off.loc["2008-10-31"], 2),
                     "p_mar_2020": round(path.risk_off.loc["2020-03-31"], 2),
                     "p_jun_2017": round(path.risk_off.loc["2017-06-30"], 2), "seconds": round(seconds, 2)})
    return pd.DataFrame(rows).set_index("detector")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--source", default="local", help="local (FACTOR_REGIMES_DATA_DIR), download or sample")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--goal-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--no-goals", action="store_true", help="skip the detection goals of issue 13")
    args = parser.parse_args()
    synthetic = synthetic_table(args.seeds)
    real = real_table(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    text = (f"# Regime detectors compared\n\nGenerated by `python benchmarks/regimes.py` on "
            f"{time.strftime('%Y-%m-%d')}.\n\n"
            f"## Synthetic (known states; mean over {args.seeds} seeds; filtered walk-forward labels)\n\n"
            f"{markdown_table(synthetic)}\n\n"
            "`switches` / `true_switches`: label changes predicted / true; `mean_delay`: periods from a true switch "
            "into risk-off to the first risk-off label; `missed`: risk-off spells never flagged.\n\n"
            "## Real data (monthly decisions 2000-01..2024-12, data from 1990, yearly refits)\n\n"
            f"{markdown_table(real, digits=2)}\n\n"
            "`delay_*`: months from the onset to the first filtered risk-off label (0 = already risk-off); "
            "`p_*`: filtered risk-off probability at that month end.\n")
    if not args.no_goals:
        raw = evaluate(args.goal_seeds, list(FAMILIES), list(GOAL_DETECTORS), slow_seeds=1)
        raw.to_csv(args.out / "detection_goals.csv", index=False)
        goals = goals_report(raw, args.goal_seeds, time.strftime("%Y-%m-%d"))
        (args.out / "detection_goals.md").write_text(goals)
        text += "\n" + goals_report(raw, args.goal_seeds, time.strftime("%Y-%m-%d"), title="##")
    (args.out / "regimes.md").write_text(text)
    pd.concat({"synthetic": synthetic, "real": real}, names=["data"]).to_csv(args.out / "regimes.csv")
    print(text)


if __name__ == "__main__":
    main()
