"""How often refits would invert the risk-off label, with and without alignment.

Usage::

    FACTOR_REGIMES_DATA_DIR=../shared/data python benchmarks/alignment.py [--seeds 3] [--out benchmarks/results]

Two samples, each detector at its default parameters, walk-forward with
``align_labels`` on and off:

* synthetic (known states): :func:`regimes.evaluation.simulate_regimes` with a
  weak risk column (600 months, persistence 0.97, separation 1.5; features
  ``sp500_ret`` first, so the risk order is the mean return of each state, and
  ``log_vix``), refit every 24 months after 120; per refit block, the share of
  labels equal to the truth; an *inverted block* has a share below 0.5 while
  the detector's overall balanced accuracy is above 0.5.
* hard daily (known states): 5,000 business days, two persistent states
  (mean spell 80 days), risk-off volatility 1.5x risk-on with Student-t(4)
  shocks, a log-VIX that drifts slowly towards a state level with much noise;
  features ``log_vix`` and the overlapping 21-day return, refit every 252
  rows after 1,260; hmm and jump.
* real: monthly decisions 2000-01..2024-12 (data from 1990), yearly refits
  after 60 months, default features.

Columns: ``flipped`` (refits whose risk-off label alignment changed, i.e. that
would have flipped without it), ``overridden``, ``agreement`` /
``agreement_unaligned`` (consecutive models on their common history), and
for synthetic data ``inverted_blocks`` and ``balanced_accuracy`` with and
without alignment. Writes ``alignment.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, for benchmarks._real

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.tables import markdown_table  # noqa: E402
from regimes.evaluation import regime_scores, simulate_regimes  # noqa: E402
from regimes.pipeline import detect  # noqa: E402
from regimes.specs import DetectorSpec  # noqa: E402
from regimes.walkforward import Schedule, walk_forward  # noqa: E402
from benchmarks._real import real_panels  # noqa: E402

DETECTORS = ["hmm", "jump", "markov_switching"]


def inverted_blocks(path, truth: pd.Series) -> int:
    labels = path.labels
    block = np.searchsorted(path.refit_dates, labels.index, side="right") - 1
    hit = (labels == truth).where(labels.notna())[block >= 0]
    return int((hit.groupby(block[block >= 0]).mean() < 0.5).sum())


def synthetic_table(seeds: int) -> pd.DataFrame:
    rows = []
    features = ["sp500_ret", "log_vix"]
    schedule = Schedule(refit_every=24, min_history=120)
    for name in DETECTORS:
        for seed in range(seeds):
            sample = simulate_regimes(600, persistence=0.97, separation=1.5, seed=seed)
            spec = DetectorSpec.from_dict({"name": name, "features": features[:1] if name == "markov_switching"
                                           else features})
            row = {"detector": name, "seed": seed}
            for align in (True, False):
                path = walk_forward(spec.build(seed), sample.frame[list(spec.features)],
                                    schedule=replace(schedule, align_labels=align), name=name)
                scores = regime_scores(sample.states.to_numpy(), path.labels.to_numpy())
                tag = "" if align else "_unaligned"
                row[f"inverted_blocks{tag}"] = inverted_blocks(path, sample.states)
                row[f"balanced_accuracy{tag}"] = round(scores["balanced_accuracy"], 3)
                if align:
                    row.update({k: path.stability[k] for k in ("flipped", "overridden", "agreement",
                                                               "agreement_unaligned")})
            rows.append(row)
    return pd.DataFrame(rows).set_index(["detector", "seed"])


def hard_daily(n: int = 5000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """The hard daily panel described in the module docstring: features and true states."""
    rng = np.random.default_rng(seed)
    state = np.zeros(n, dtype=int)
    for t in range(1, n):
        state[t] = state[t - 1] if rng.random() < 1 - 1 / 80 else 1 - state[t - 1]
    ret = 0.0003 + np.where(state == 1, 0.015, 0.01) * rng.standard_t(4, n) / np.sqrt(2)
    level = np.where(state == 1, np.log(22.0), np.log(17.0))
    log_vix = np.empty(n)
    log_vix[0] = level[0]
    for t in range(1, n):
        log_vix[t] = log_vix[t - 1] + 0.05 * (level[t] - log_vix[t - 1]) + 0.06 * rng.standard_normal()
    index = pd.bdate_range("2000-01-03", periods=n, name="date")
    frame = pd.DataFrame({"log_vix": log_vix, "ret_21d": pd.Series(ret).rolling(21).sum().to_numpy()}, index=index)
    return frame.dropna(), pd.Series(state, index=index)


def daily_table(seeds: int) -> pd.DataFrame:
    rows = []
    schedule = Schedule(refit_every=252, min_history=1260)
    for name in ("hmm", "jump"):
        for seed in range(seeds):
            frame, truth = hard_daily(seed=seed)
            spec = DetectorSpec.from_dict({"name": name, "features": list(frame.columns)})
            row = {"detector": name, "seed": seed}
            for align in (True, False):
                path = walk_forward(spec.build(seed), frame, schedule=replace(schedule, align_labels=align), name=name)
                labels = path.labels
                scores = regime_scores(truth.reindex(labels.index).to_numpy(), labels.to_numpy())
                tag = "" if align else "_unaligned"
                row[f"inverted_blocks{tag}"] = inverted_blocks(path, truth.reindex(labels.index))
                row[f"balanced_accuracy{tag}"] = round(scores["balanced_accuracy"], 3)
                if align:
                    row.update({k: path.stability[k] for k in ("refits", "flipped", "overridden", "agreement",
                                                               "agreement_unaligned")})
            rows.append(row)
    return pd.DataFrame(rows).set_index(["detector", "seed"])


def real_table(source_name: str) -> pd.DataFrame:
    panels, dates = real_panels(source_name)
    rows = []
    for name in DETECTORS:
        row = {"detector": name}
        for align in (True, False):
            path = detect(DetectorSpec.from_dict({"name": name}), panels, dates,
                            Schedule(12, min_history=60, align_labels=align), seed=0)
            tag = "" if align else "_unaligned"
            row[f"p_oct_2008{tag}"] = round(path.risk_off.loc["2008-10-31"], 2)
            row[f"p_mar_2020{tag}"] = round(path.risk_off.loc["2020-03-31"], 2)
            if align:
                row.update({k: path.stability[k] for k in ("refits", "flipped", "overridden", "agreement",
                                                           "agreement_unaligned")})
        rows.append(row)
    return pd.DataFrame(rows).set_index("detector")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--source", default="local")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    synthetic = synthetic_table(args.seeds)
    daily = daily_table(min(args.seeds, 2))
    real = real_table(args.source)
    text = "\n".join([
        "# Label alignment across refits",
        "",
        f"Generated by `python benchmarks/alignment.py` on {time.strftime('%Y-%m-%d')}.",
        "",
        "## Synthetic, weak risk column (risk order by the mean return of each state)",
        "",
        markdown_table(synthetic, digits=3),
        "",
        "## Synthetic hard daily panel (hmm and jump; features log_vix and the 21-day return)",
        "",
        markdown_table(daily, digits=3),
        "",
        "## Real data (monthly decisions 2000-01..2024-12, yearly refits, default features)",
        "",
        markdown_table(real, digits=3),
        "",
        "`flipped`: refits whose risk-off label alignment changed (they would have flipped without it); "
        "`overridden`: refits where the risk statistic overruled continuity; `agreement`: mean share of the "
        "common history on which consecutive models agree (aligned / unaligned); `inverted_blocks`: refit "
        "blocks whose labels agree with the truth less than half the time.",
        "",
    ])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "alignment.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
