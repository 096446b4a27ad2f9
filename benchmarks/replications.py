"""Time the replication configs (Moreira-Muir 2017, Daniel-Moskowitz 2016) on this machine.

Usage::

    FACTOR_REGIMES_DATA_DIR=../shared/data python benchmarks/replications.py [--out benchmarks/results]

Each config runs cold in a fresh process (``factor-regimes run``, its own temporary runs folder); the
table gives wall time, the child's peak memory and the seconds of each stage from the run's manifest.
Then, in this process, the Daniel-Moskowitz models alone: the in-sample fit and the out-of-sample
expanding window (GJR-GARCH refit every 12 months), with the number of refits. Writes ``replications.md``
to the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import CLI, ROOT, measure  # noqa: E402

sys.path[0] = str(ROOT)  # the worktree's packages, not benchmarks/regimes.py

CONFIGS = ["configs/replications/moreira_muir_2017.yaml", "configs/replications/daniel_moskowitz_2016.yaml"]


def dm_models(data_dir: Path) -> str:
    """Seconds of the Daniel-Moskowitz in-sample and out-of-sample models alone (data already loaded)."""
    import pandas as pd

    from experiments.analyses import dm_model
    from regimes.data.sources import LocalSource
    from regimes.panel import build_panel
    source = LocalSource(data_dir)
    monthly = build_panel(source, "monthly", start="1926-07").frame
    daily = build_panel(source, "daily").frame
    daily = daily[daily["Mkt-RF"].notna()]
    x = dm_model.build_inputs(monthly["UMD"], daily["UMD"], monthly["Mkt-RF"] + monthly["RF"],
                              daily["Mkt-RF"] + daily["RF"], pd.Timestamp("2013-03-31"))
    t0 = time.perf_counter()
    dm_model.in_sample(x)
    t1 = time.perf_counter()
    _, info = dm_model.out_of_sample(x, "1940-01", refit_months=12)
    t2 = time.perf_counter()
    return (f"Daniel-Moskowitz models alone: in-sample {t1 - t0:.1f} s; out-of-sample (1940-01..2013-03) "
            f"{t2 - t1:.1f} s for {len(info['refits'])} yearly GJR-GARCH refits "
            f"({(t2 - t1) / len(info['refits']):.2f} s a refit, monthly mean regressions included).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    data_dir = os.environ.get("FACTOR_REGIMES_DATA_DIR")
    if not data_dir:
        raise SystemExit("set FACTOR_REGIMES_DATA_DIR to the folder of published data")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    lines = ["# Replication configs, cold, one process each", "",
             "| config | wall s | peak MB | stages (s) |", "|---|---:|---:|---|"]
    for config in CONFIGS:
        with tempfile.TemporaryDirectory() as tmp:
            out = measure([*CLI, "run", config, "--data-dir", data_dir, "--runs-dir", tmp], env)
            run_dir = next(Path(tmp).iterdir())
            manifest = json.loads((run_dir / "manifest.json").read_text())
            stages = ", ".join(f"{k} {v:.1f}" for k, v in manifest["seconds_by_stage"].items())
            lines.append(f"| `{config}` | {out['wall']:.1f} | {out['peak_mb']:.0f} | {stages} |")
    lines += ["", dm_models(Path(data_dir))]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "replications.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
