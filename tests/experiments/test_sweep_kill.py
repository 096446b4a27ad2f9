"""Killing a local sweep leaves no worker running, however it is killed.

Each case starts ``factor-regimes sweep`` in its own process group, waits
until a pool worker is computing a run, kills the sweep (SIGKILL of the whole
group, SIGKILL of the sweep process alone, SIGTERM or SIGINT of the sweep
process, SIGINT of the group as Ctrl-C in a terminal sends it), and then checks ``/proc``: no process of that sweep (its workers
are forked from it, so they carry its command line) may still be alive after
a bounded wait. Zombies count as dead: they compute nothing and wait only to
be reaped by whoever inherited them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import without_progress
from tests.experiments.test_sweep import _sweep_file

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, CPU ticks) of a live process, None if it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    state = fields[0]
    if state in ("Z", "X"):
        return None
    return state, int(fields[1]), int(fields[11]) + int(fields[12])


def _alive_with(marker: str) -> set[int]:
    """Live processes whose command line contains ``marker``."""
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and _stat(int(entry.name)) is not None:
            out.add(int(entry.name))
    return out


def _wait(predicate, seconds: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.mark.parametrize("how", ["sigkill_group", "sigkill_sweep", "sigterm_sweep", "sigint_sweep", "sigint_group"])
def test_killing_a_sweep_leaves_no_worker_running(tmp_path: Path, how: str) -> None:
    sweep = _sweep_file(tmp_path)
    runs = tmp_path / "runs"
    marker = str(sweep)
    with open(tmp_path / "out.txt", "w") as out, open(tmp_path / "err.txt", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "sweep", marker, "--runs-dir", str(runs),
                                 "--workers", "2"], stdout=out, stderr=err, start_new_session=True)
    try:
        def workers() -> set[int]:
            return {pid for pid in _alive_with(marker) if pid != proc.pid and (_stat(pid) or ("", 0, 0))[1] == proc.pid}

        def computing() -> bool:  # a worker has used half a second of CPU: it is running a study
            return any((_stat(pid) or ("", 0, 0))[2] >= 50 for pid in workers())

        assert _wait(computing, 180), f"no worker started computing; stderr: {(tmp_path / 'err.txt').read_text()}"
        started = workers()
        assert started and proc.poll() is None
        if how in ("sigkill_group", "sigint_group"):  # sigint_group: Ctrl-C in a terminal
            os.killpg(proc.pid, signal.SIGKILL if how == "sigkill_group" else signal.SIGINT)
        else:
            os.kill(proc.pid, {"sigkill_sweep": signal.SIGKILL, "sigterm_sweep": signal.SIGTERM,
                               "sigint_sweep": signal.SIGINT}[how])
        code = proc.wait(timeout=30)
        assert _wait(lambda: not _alive_with(marker), 15), \
            f"processes of the sweep survive {how}: {sorted(_alive_with(marker))} (workers were {sorted(started)})"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in _alive_with(marker):  # never leave a stray worker behind, even when the test fails
            os.kill(pid, signal.SIGKILL)
    expected = {"sigkill_group": -9, "sigkill_sweep": -9, "sigterm_sweep": 143, "sigint_sweep": 130,
                "sigint_group": 130}[how]
    assert code == expected, (tmp_path / "err.txt").read_text()
    if how in ("sigterm_sweep", "sigint_sweep", "sigint_group"):  # stopped cleanly: one line, no traceback, no half-written run
        err_text = without_progress((tmp_path / "err.txt").read_text())  # progress lines: test_cli_output
        assert "Traceback" not in err_text and len(err_text.strip().splitlines()) <= 1, err_text
        assert not [p for p in runs.iterdir() if ".tmp-" in p.name] if runs.exists() else True
