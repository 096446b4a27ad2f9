"""Wall time, peak memory and seconds per stage of the main study and the quickstart, before and after a change.

Usage::

    python benchmarks/speed.py --data-dir ../shared/data [--before REV] [--repeats 2] [--out benchmarks/results]

Measures, each in a fresh process (as :func:`benchmarks.runs.measure`, started in the folder of the code measured) and ``--repeats`` times:

1. ``configs/regime_comparison.yaml`` on real data from a cold regime cache;
2. the same with its regimes cached (the cache the cold run filled);
3. ``configs/quickstart.yaml`` (offline sample) from a cold regime cache.

With ``--before REV`` the same runs are also made with the code of that git revision (exported to a temporary
folder with ``git archive``), alternating with this checkout's runs so that a busy machine weighs on both alike.
Reports the median of the repetitions (wall, peak RSS of the run's process, every ``seconds_by_stage`` entry of
its manifest) and the load average before and after. Writes ``speed.md`` to the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ("cold", "cached", "quickstart")


def measure(args: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run a command in a child process started in ``cwd`` (``python -m`` imports the code found there): wall
    seconds, the peak RSS (MB) of its largest process, the CPU seconds (user + system) of its process tree.

    As :func:`benchmarks.runs.measure`, with the working directory as a parameter (the code measured) and
    the CPU time, which a loaded machine inflates much less than the wall time.
    """
    wrapper = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
               "print(json.dumps({'wall': time.perf_counter() - t, 'rc': p.returncode, "
               "'peak_mb': u.ru_maxrss / 1024, 'cpu': u.ru_utime + u.ru_stime, 'stderr': p.stderr[-2000:]}))")
    done = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, env=env, cwd=cwd)
    out = json.loads(done.stdout)
    if out["rc"] != 0:
        raise SystemExit(f"{' '.join(args)} failed: {out['stderr']}")
    return out


def export(rev: str, dest: Path) -> Path:
    """The tree of git revision ``rev`` under ``dest`` (for the 'before' measurements)."""
    archive = dest.with_suffix(".tar")
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), rev], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


def one_round(code: Path, tmp: Path, data_dir: str) -> dict[str, dict]:
    """The three cases with the code in ``code``: a fresh regime cache, HOME and output folders."""
    cache, home, runs = (Path(tempfile.mkdtemp(dir=tmp)) for _ in range(3))
    env = {**os.environ, "PYTHONPATH": str(code), "FACTOR_REGIMES_CACHE": str(cache), "HOME": str(home),
           "MPLBACKEND": "Agg"}
    cli = [sys.executable, "-m", "experiments.cli", "run"]
    quiet = ["--quiet"] if (code / "experiments" / "progress.py").is_file() else []  # older code has no --quiet
    main = [*cli, "configs/regime_comparison.yaml", "--data-dir", data_dir, "--runs-dir", str(runs), *quiet]
    out = {}
    for case, args in (("cold", [*main, "--out", str(runs / "cold")]),
                       ("cached", [*main, "--out", str(runs / "cached")])):
        out[case] = measure(args, env, code) | {"stages": stages(runs / case)}
    qcache = Path(tempfile.mkdtemp(dir=tmp))
    out["quickstart"] = measure([*cli, "configs/quickstart.yaml", "--out", str(runs / "qs"), "--runs-dir",
                                 str(runs), *quiet], {**env, "FACTOR_REGIMES_CACHE": str(qcache)}, code)
    out["quickstart"]["stages"] = stages(runs / "qs")
    return out


def stages(run_dir: Path) -> dict[str, float]:
    return json.loads((run_dir / "manifest.json").read_text())["seconds_by_stage"]


def median_row(rounds: list[dict]) -> dict:
    walls = [r["wall"] for r in rounds]
    keys = [k for k in rounds[0]["stages"] if all(k in r["stages"] for r in rounds)]
    return {"wall": statistics.median(walls), "walls": walls, "cpu": statistics.median(r["cpu"] for r in rounds), "peak_mb": statistics.median(r["peak_mb"] for r in rounds),
            "stages": {k: statistics.median(r["stages"][k] for r in rounds) for k in keys}}


def table(results: dict[str, dict[str, list[dict]]]) -> list[str]:
    lines = []
    for label, by_case in results.items():
        lines += [f"### {label}", "", "| case | wall s (median; runs) | CPU s | peak MB | seconds per stage (median) |",
                  "|---|---|---|---|---|"]
        for case in CASES:
            row = median_row(by_case[case])
            walls = ", ".join(f"{w:.1f}" for w in row["walls"])
            st = ", ".join(f"{k} {v:.1f}" for k, v in row["stages"].items())
            lines.append(f"| {case} | {row['wall']:.1f} ({walls}) | {row['cpu']:.1f} | {row['peak_mb']:.0f} | {st} |")
        lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("FACTOR_REGIMES_DATA_DIR"))
    parser.add_argument("--before", help="git revision to measure beside this checkout")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    if not args.data_dir:
        raise SystemExit("pass --data-dir or set FACTOR_REGIMES_DATA_DIR (the folder of published data files)")
    load0 = os.getloadavg()
    results: dict[str, dict[str, list[dict]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        codes = {"after (this checkout)": ROOT}
        if args.before:
            codes = {f"before ({args.before})": export(args.before, tmp / "before"), **codes}
        for i in range(args.repeats):
            order = list(codes.items()) if i % 2 == 0 else list(reversed(codes.items()))
            for label, code in order:
                got = one_round(code, tmp, args.data_dir)
                for case in CASES:
                    results.setdefault(label, {c: [] for c in CASES})[case].append(got[case])
                print(label, {c: round(got[c]["wall"], 1) for c in CASES}, flush=True)
    load1 = os.getloadavg()
    lines = ["# Speed of one run: main study and quickstart", "",
             f"Generated by `python benchmarks/speed.py{' --before ' + args.before if args.before else ''} "
             f"--repeats {args.repeats}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} ({os.cpu_count()} "
             f"CPUs visible). Each case is a fresh process; medians of {args.repeats} repetitions (the versions "
             "alternating). Load average (1, 5, 15 min) before: "
             f"{', '.join(f'{x:.1f}' for x in load0)}; after: {', '.join(f'{x:.1f}' for x in load1)}. The machine "
             "is shared: on a loaded 2-core machine every wall time is inflated, compare versions within a table.",
             "", "Cases: `cold` = `configs/regime_comparison.yaml` on real data, empty regime cache; `cached` = the "
             "same with the regimes it cached; `quickstart` = `configs/quickstart.yaml` (offline sample), empty "
             "cache. `outputs:*` split the outputs stage (tables, figures, report). Peak MB: the largest resident "
             "set of the run's process tree member (figure workers are forked and share its pages). CPU s: user + "
             "system seconds of the run and its workers.", ""]
    lines += table(results)
    args.out.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    (args.out / "speed.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
