"""Time the replication configs (Moreira-Muir 2017, Daniel-Moskowitz 2016) on this machine.

Usage::

    FACTOR_REGIMES_DATA_DIR=../shared/data python benchmarks/replications.py [--out benchmarks/results]

Each config runs cold in a fresh process (``factor-regimes run``, its own temporary runs folder); the
table gives wall time, the child's peak memory and the seconds of each stage from the run's manifest,
and for Daniel-Moskowitz the in-sample and out-of-sample model time and the number of GJR-GARCH refits.
Writes ``replications.md`` to the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import CLI, ROOT, measure  # noqa: E402

CONFIGS = ["configs/replications/moreira_muir_2017.yaml", "configs/replications/daniel_moskowitz_2016.yaml"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    data_dir = os.environ.get("FACTOR_REGIMES_DATA_DIR")
    if not data_dir:
        raise SystemExit("set FACTOR_REGIMES_DATA_DIR to the folder of published data")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    lines = ["# Replication configs, cold, one process each", "",
             "| config | wall s | peak MB | stages (s) | detail |", "|---|---:|---:|---|---|"]
    for config in CONFIGS:
        with tempfile.TemporaryDirectory() as tmp:
            out = measure([*CLI, "run", config, "--data-dir", data_dir, "--runs-dir", tmp], env)
            run_dir = next(Path(tmp).iterdir())
            manifest = json.loads((run_dir / "manifest.json").read_text())
            stages = ", ".join(f"{k} {v:.1f}" for k, v in manifest["seconds_by_stage"].items())
            detail = ""
            dm = run_dir / "daniel_moskowitz_2016.json"
            if dm.exists():
                d = json.loads(dm.read_text())
                refits = d["out_of_sample"]["refits"]
                detail = (f"in-sample models {d['in_sample']['seconds']:.1f} s; out-of-sample "
                          f"{d['out_of_sample']['seconds']:.1f} s for {len(refits)} refits "
                          f"(GJR + variance regression {sum(r['seconds'] for r in refits):.1f} s)")
            lines.append(f"| `{config}` | {out['wall']:.1f} | {out['peak_mb']:.0f} | {stages} | {detail} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "replications.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
