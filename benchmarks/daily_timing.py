"""Wall and CPU time of the daily S&P 500 timing study, by stage.

Usage::

    python benchmarks/daily_timing.py --data-dir ../shared/data [--out benchmarks/results]

Runs ``configs/daily_sp500_timing.yaml`` (daily decisions 1995-2024, jump model and HMM refit yearly,
10 bp, one-day delay) into a temporary folder with the regime cache off, so every path is computed,
and times it: wall seconds per stage (from the run's manifest), total wall and CPU seconds of this
process (``time.process_time``, all threads). Writes ``daily_timing.md`` to the output folder and prints it.
The goal (issue #13) is under two minutes; nothing asserts it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

# Run as `python benchmarks/daily_timing.py`: drop this folder from sys.path (see benchmarks/regimes.py).
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from experiments.runner import preflight, resolve, run_config  # noqa: E402

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "daily_sp500_timing.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FACTOR_REGIMES_CACHE"] = str(Path(tmp) / "cache")
        wall, cpu = time.perf_counter(), time.process_time()
        located: dict = {}
        config = resolve(CONFIG, data_dir=args.data_dir, located_out=located)
        source = preflight(config, CONFIG, located)
        outcome = run_config(config, Path(tmp) / "run", source=source, use_cache=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        stages = outcome.manifest["seconds_by_stage"]
        result = outcome.result
    metrics = result.metrics
    lines = ["# Daily S&P 500 timing study: time by stage", "",
             f"`configs/daily_sp500_timing.yaml`, {len(result.returns):,} daily periods "
             f"{result.window[0]}..{result.window[1]}, {len(result.backtests)} strategies; regime cache off. "
             f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}.", "",
             "| stage | wall seconds |", "|---|---:|",
             *[f"| {k} | {v:.1f} |" for k, v in stages.items()],
             f"| whole process (preflight included) | {wall:.1f} |", f"| CPU seconds, all threads | {cpu:.1f} |", "",
             "| strategy | Sharpe (excess of RF) | annual return | max drawdown |", "|---|---:|---:|---:|",
             *[f"| {name} | {row['sharpe']:.2f} | {row['ann_return']:.2%} | {row['max_drawdown']:.1%} |"
               for name, row in metrics.iterrows()], ""]
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "daily_timing.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
