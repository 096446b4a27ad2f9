"""Cost of one walk-forward per registered forecaster on the real monthly panel.

Usage::

    python benchmarks/forecasters.py [--source local] [--out benchmarks/results]

The main study's setting (``configs/regime_comparison.yaml``): UMD's next-month return from the features
``UMD, HML, vix, sp500_ret, rv, term_spread, credit_spread``, decisions 2000-01..2024-12, refit every 12 months
on an expanding window (at least 60 months), each model at its registered defaults (inner purged time-series
CV over its default grid). Regime-aware models read a walk-forward ``jump`` path (computed once, not timed), and
``regime_conditioned`` / ``per_regime`` are timed on every base. One thread per process (as a sweep runs).
Writes ``forecasters.md``: wall seconds per walk-forward (best of ``--repeats``) and the number of refits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from threadpoolctl import threadpool_limits  # noqa: E402

from allocation.forecasters import FORECASTERS, make_forecaster  # noqa: E402
from allocation.forecasting import ForecastSchedule, forecast_walk_forward  # noqa: E402
from experiments.study import forecast_features  # noqa: E402
from regimes.data import make_source  # noqa: E402
from regimes.detectors import DETECTORS  # noqa: E402
from regimes.panel import build_panel  # noqa: E402
from regimes.walkforward import Schedule, walk_forward  # noqa: E402

FEATURES = ("UMD", "HML", "vix", "sp500_ret", "rv", "term_spread", "credit_spread")
BASES = ("ridge", "lasso", "elastic_net", "random_forest", "gradient_boosting", "lightgbm", "mlp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="local", help="local (FACTOR_REGIMES_DATA_DIR), download or sample")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    panel = build_panel(make_source(args.source), "monthly", start="1990-01")
    X = forecast_features(panel, FEATURES)
    y = panel.frame["UMD"].shift(-1).rename("UMD")  # the return over t+1, indexed by t
    dates = panel.frame.loc["2000-01":"2024-12"].index
    schedule = ForecastSchedule(refit_every=12, window="expanding", min_train=60)
    feats = panel.frame[["vix", "sp500_ret"]].dropna()
    path = walk_forward(DETECTORS.create("jump", random_state=0), feats, schedule=Schedule(refit_every=12,
                                                                                           min_history=60))
    cases = [(name, {}) for name in FORECASTERS.names() if name not in ("regime_conditioned", "per_regime")]
    cases += [(f"{name}[{base}]", {"base": base}) for name in ("regime_conditioned", "per_regime") for base in BASES]
    rows = []
    with threadpool_limits(limits=1):
        for label, params in cases:
            name = label.split("[")[0]
            best, refits = float("inf"), 0
            for _ in range(args.repeats):
                model = make_forecaster(name, **params)
                t0 = time.perf_counter()
                res = forecast_walk_forward(model, X, y, dates, schedule, regimes=path if model.uses_regimes else None)
                best = min(best, time.perf_counter() - t0)
                refits = res.info["refits"]
            rows.append((label, best, refits))
            print(f"{label:34s} {best:8.2f} s  {refits} refits", flush=True)
    load = os.getloadavg()[0]
    lines = ["# Forecasters: one walk-forward each on the real monthly panel", "",
             f"`python benchmarks/forecasters.py --source {args.source}` (load average at start "
             f"{load:.2f}, 1 thread). UMD, decisions 2000-01..2024-12, refit every 12 months (expanding, "
             "min 60), each model's default grid tuned by its inner purged time-series CV; regime models on a "
             "walk-forward jump path.", "", "| forecaster | seconds per walk-forward | refits | seconds per refit |",
             "|---|---:|---:|---:|"]
    lines += [f"| {label} | {sec:.2f} | {n} | {sec / max(n, 1):.3f} |" for label, sec, n in rows]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "forecasters.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
