"""Time ``factor-regimes replicate`` cold on this machine: each study alone, then every study in one command.

Usage::

    FACTOR_REGIMES_DATA_DIR=../shared/data python benchmarks/replicate.py [--out benchmarks/results]

Every measurement is a fresh process with an empty regime cache and its own temporary output folder and
HOME (cold: imports, data reading, regime paths, every model fit). Per study: the command's wall time and
peak memory, and the study's own seconds inside the command (``seconds_by_study`` of the scoreboard
manifest). Then all registered studies in one command (the goal: under 5 minutes). Writes ``replicate.md``
to the output folder.
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

sys.path[0] = str(ROOT)  # the worktree's packages, not benchmarks/regimes.py


def cold(studies: list[str], data_dir: str) -> tuple[dict, dict]:
    """One cold ``replicate`` command: its measurement and the scoreboard manifest's seconds per study."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "HOME": str(Path(tmp) / "home"),
               "FACTOR_REGIMES_CACHE": str(Path(tmp) / "cache")}
        (Path(tmp) / "home").mkdir()
        out = Path(tmp) / "board"
        result = measure([*CLI, "replicate", *studies, "--data-dir", data_dir, "--out", str(out)], env)
        manifest = json.loads((out / "manifest.json").read_text())
    return result, manifest["seconds_by_study"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    data_dir = os.environ.get("FACTOR_REGIMES_DATA_DIR")
    if not data_dir:
        raise SystemExit("set FACTOR_REGIMES_DATA_DIR to the folder of published data")
    from experiments.replications import PENDING, STUDIES
    lines = ["# `factor-regimes replicate`, cold (fresh process, empty regime cache)", "",
             f"Machine: {os.cpu_count()} cores. Goal: every study in one command under 300 s.", "",
             "| study | command wall s | study s (inside the command) | peak MB |", "|---|---:|---:|---:|"]
    for study in STUDIES.names():
        result, seconds = cold([study], data_dir)
        lines.append(f"| `{study}` alone | {result['wall']:.1f} | {seconds[study]:.1f} | {result['peak_mb']:.0f} |")
    result, seconds = cold([], data_dir)
    inside = ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())
    lines.append(f"| **all {len(seconds)} in one command** | **{result['wall']:.1f}** | {inside} | "
                 f"{result['peak_mb']:.0f} |")
    lines += ["", f"Within the 300 s goal: {'yes' if result['wall'] < 300 else 'NO'}."
              + (" Not timed (not registered): " + ", ".join(f"`{k}` ({v[1].split(':')[0]})" for k, v in PENDING.items())
                 + "." if PENDING else "")]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "replicate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
