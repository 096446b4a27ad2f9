"""Fault corpus for runs: the catalog never loses a finished run, runs never destroy user files, two runs to
one directory are serialized, and identical inputs give a byte-identical report.

Every refused case asserts exit status 2, one line naming the path or key, no traceback, and that nothing in
the folder was written or erased (a listing with the sha256 of every file, before and after). Read-only and
full disks are real tmpfs mounts when the tests can mount (as root); otherwise a read-only folder is made
with chmod (not root), or the failing system call is simulated in-process.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.catalog import Catalog
from experiments.config import config_hash
from experiments.outdir import RunTargetError
from experiments.runner import resolve, run_config
from tests import REPO, without_progress

ROOT = REPO
QUICKSTART = ROOT / "configs" / "quickstart.yaml"
TINY = """extends: {base}
name: tiny
regimes: {{detectors: [{{name: jump, features: [log_rv, sp500_ret_1m]}}]}}
forecasting: {{forecasters: [{{name: ridge}}]}}
allocation: {{allocators: [{{name: binary}}]}}
evaluation: {{bootstrap_reps: 20, spa_reps: 20, importance_repeats: 0}}
outputs: {{figures: {figures}, report: {report}}}
"""


def tiny_config(folder: Path, figures: bool = False, report: bool = False, name: str = "tiny.yaml") -> Path:
    """A quick variant of the quickstart (one jump detector, one forecaster, one allocator)."""
    path = folder / name
    path.write_text(TINY.format(base=QUICKSTART, figures=str(figures).lower(), report=str(report).lower()))
    return path


def cli(*args: str, cwd: Path | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """The real entry point in a subprocess, with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-m", "experiments.cli", *args], capture_output=True, text=True,
                            timeout=timeout, cwd=cwd, env=env)
    result.stderr = without_progress(result.stderr)  # progress lines are tested in test_cli_output
    return result


def snapshot(root: Path) -> dict[str, str | None]:
    """Every path under ``root`` (hidden ones included) with the sha256 of each file's bytes."""
    out: dict[str, str | None] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else None
    return out


def assert_one_line_error(result, *names: str) -> str:
    """Exit status 2, one line ``error: ...`` naming each of ``names``, no traceback.

    Progress lines a piped command wrote before it failed (:data:`experiments.progress.PROGRESS_LINE`) are
    not part of the error.
    """
    from experiments.progress import PROGRESS_LINE

    err = result.stderr if hasattr(result, "stderr") else result
    assert getattr(result, "returncode", 2) == 2, (result.returncode, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not PROGRESS_LINE.match(line)]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def _mount(path: Path, options: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def readonly_dir(tmp_path: Path):
    """A folder holding a user file that cannot be written: ('mount' | 'chmod' | 'simulate', path)."""
    path = tmp_path / "ro"
    path.mkdir()
    if _mount(path, "size=64k"):
        (path / "keep.txt").write_text("user file\n")
        Catalog(path / "runs")  # an existing (empty) catalog
        subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)
        yield "mount", path
        _umount(path)
        return
    (path / "keep.txt").write_text("user file\n")
    Catalog(path / "runs")
    if os.geteuid() != 0:
        (path / "runs").chmod(0o555)
        (path / "runs" / "catalog.sqlite").chmod(0o444)
        path.chmod(0o555)
        yield "chmod", path
        path.chmod(0o755)
        (path / "runs").chmod(0o755)
        return
    yield "simulate", path


def _simulate_readonly(monkeypatch, folder: Path) -> None:
    """In-process stand-in for a read-only folder: creating anything inside it fails with EROFS."""
    real_open, real_mkdir = os.open, os.mkdir
    inside = str(folder.resolve())

    def guarded(path) -> None:
        if os.path.realpath(os.fspath(path)).startswith(inside + os.sep):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))

    def fake_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            guarded(path)
        return real_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        guarded(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)


def in_process(monkeypatch, capsys, cwd: Path, *args: str) -> tuple[int, str]:
    """Run the CLI's ``main`` in this process (for simulated faults); returns (exit status, stderr)."""
    from experiments.cli import main
    monkeypatch.chdir(cwd)
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code, capsys.readouterr().err


# --- section 6: --out never replaces what is not this config's run directory ---------------------------------

@pytest.mark.parametrize("kind", ["user_folder", "file", "empty_folder", "other_config", "same_config_plus_user_file",
                                  "unreadable_manifest"])
def test_out_refuses_a_path_that_is_not_a_run_of_this_config(tmp_path: Path, kind: str) -> None:
    config = tiny_config(tmp_path)
    out = tmp_path / "results"
    chash = config_hash(resolve(config))
    if kind == "file":
        out.write_text("my notes\n")
    else:
        out.mkdir()
    if kind == "user_folder":
        (out / "thesis.tex").write_text("\\section{Results}\n")
        (out / "data").mkdir()
        (out / "data" / "prices.csv").write_text("date,close\n2020-01-02,1\n")
    elif kind == "other_config":
        (out / "manifest.json").write_text(json.dumps({"config_hash": "0123456789", "name": "tiny"}))
        (out / "metrics.csv").write_text("strategy,sharpe\nUMD/static,0.1\n")
    elif kind == "same_config_plus_user_file":
        (out / "manifest.json").write_text(json.dumps({"config_hash": chash, "name": "tiny",
                                                       "outputs": ["config.yaml", "metrics.csv"]}))
        (out / "config.yaml").write_text("name: tiny\n")
        (out / "metrics.csv").write_text("strategy,sharpe\nUMD/static,0.1\n")
        (out / "notes.txt").write_text("do not delete\n")
    elif kind == "unreadable_manifest":
        (out / "manifest.json").write_text("{not json")
    before = snapshot(tmp_path)
    result = cli("run", str(config), "--out", str(out), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    line = assert_one_line_error(result, str(out), "--force")
    if kind == "other_config":
        assert "0123456789" in line and chash in line
    if kind == "same_config_plus_user_file":
        assert "notes.txt" in line
    assert snapshot(tmp_path) == before  # nothing written (no catalog either), nothing erased


def test_default_run_directory_holding_user_files_is_refused(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    target = tmp_path / "runs" / f"tiny-{config_hash(resolve(config))}"
    target.mkdir(parents=True)
    (target / "analysis.ipynb").write_text("{}\n")
    before = snapshot(tmp_path)
    result = cli("run", str(config), "--runs-dir", "runs", cwd=tmp_path)
    assert_one_line_error(result, str(target), "no manifest.json")
    assert snapshot(tmp_path) == before


def test_out_below_a_file_is_refused(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n")
    before = snapshot(tmp_path)
    result = cli("run", str(config), "--out", str(tmp_path / "report.pdf" / "run"), "--runs-dir",
                 str(tmp_path / "runs"), cwd=tmp_path)
    assert_one_line_error(result, str(tmp_path / "report.pdf"), "not a folder")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("inside", ["cwd", "catalog", "config"])
def test_force_never_replaces_a_folder_holding_the_work_catalog_or_config(tmp_path: Path, inside: str) -> None:
    work = tmp_path / "work"
    (work / "runs").mkdir(parents=True)
    (work / "runs" / "catalog.sqlite").write_bytes(b"")  # an (empty) catalog file to protect
    config = tiny_config(work)
    cwd = {"cwd": work, "catalog": tmp_path, "config": tmp_path}[inside]
    out = {"cwd": work, "catalog": work / "runs", "config": work}[inside]
    before = snapshot(tmp_path)
    result = cli("run", str(config), "--out", str(out), "--runs-dir", str(work / "runs"), "--force", cwd=cwd)
    assert_one_line_error(result, str(out), "refusing")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute", "sub/dir", "..", ".hidden", "back\\slash"])
def test_run_name_cannot_escape_the_runs_folder(tmp_path: Path, name: str) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    config = tiny_config(work)
    before = snapshot(tmp_path)
    result = cli("run", str(config), "--set", f"name={name}", "--runs-dir", "runs", cwd=work)
    assert_one_line_error(result, "name", repr(name))
    assert snapshot(tmp_path) == before
    assert not list(Path("/tmp").glob("absolute-*"))


def test_run_config_refuses_an_unsafe_name_before_writing(tmp_path: Path) -> None:
    """The library path (used by sweeps) refuses the name too, before creating anything."""
    config = resolve(tiny_config(tmp_path))
    config["name"] = "../outside"
    before = snapshot(tmp_path)
    with pytest.raises(RunTargetError, match="name"):
        run_config(config, tmp_path / "runs" / "x")
    assert snapshot(tmp_path) == before


def test_unwritable_output_is_refused_before_any_computation(tmp_path: Path, readonly_dir, monkeypatch,
                                                              capsys) -> None:
    kind, ro = readonly_dir
    config = tiny_config(tmp_path)
    out = ro / "deeper" / "run"
    before, ro_before = snapshot(tmp_path / "runs") if (tmp_path / "runs").exists() else {}, snapshot(ro)
    import experiments.runner as runner
    calls = []
    if kind == "simulate":
        _simulate_readonly(monkeypatch, ro)
        monkeypatch.setattr(runner, "run_study", lambda *a, **k: calls.append(1))
        code, err = in_process(monkeypatch, capsys, tmp_path, "run", str(config), "--out", str(out),
                               "--runs-dir", str(tmp_path / "runs"))
        assert code == 2 and not calls, "refused before computing"
        assert_one_line_error(err, str(ro), "Read-only file system")
    else:
        started = time.monotonic()
        result = cli("run", str(config), "--out", str(out), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
        assert_one_line_error(result, str(ro))
        assert time.monotonic() - started < 30  # refused up front, not after computing
    assert snapshot(ro) == ro_before and (ro / "keep.txt").read_text() == "user file\n"
    assert not (tmp_path / "runs").exists() or snapshot(tmp_path / "runs") == before


@pytest.mark.parametrize("catalog", ["new", "existing"])
def test_unwritable_catalog_is_refused_before_any_computation(tmp_path: Path, readonly_dir, monkeypatch,
                                                               capsys, catalog: str) -> None:
    kind, ro = readonly_dir
    config = tiny_config(tmp_path)
    out = tmp_path / "out" / "run"
    runs = ro / ("newruns" if catalog == "new" else "runs")
    before = snapshot(tmp_path)
    if kind == "simulate":
        import experiments.runner as runner
        _simulate_readonly(monkeypatch, ro)
        monkeypatch.setattr(runner, "run_study", lambda *a, **k: pytest.fail("computed despite the refusal"))
        code, err = in_process(monkeypatch, capsys, tmp_path, "run", str(config), "--out", str(out),
                               "--runs-dir", str(runs))
        assert code == 2
        assert_one_line_error(err, str(ro), "run catalog")
    else:
        result = cli("run", str(config), "--out", str(out), "--runs-dir", str(runs), cwd=tmp_path)
        assert_one_line_error(result, str(ro), "run catalog")
    assert snapshot(tmp_path) == before


def test_a_corrupt_catalog_is_one_line_and_left_as_it_is(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "catalog.sqlite").write_bytes(b"these bytes are not an SQLite database " * 20)
    config = tiny_config(tmp_path)
    before = snapshot(tmp_path)
    for args in (("runs", "list"), ("runs", "best"), ("run", str(config), "--out", str(tmp_path / "out"))):
        result = cli(*args, "--runs-dir", str(runs), cwd=tmp_path)
        assert_one_line_error(result, str(runs / "catalog.sqlite"), "not a database")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("how", ["tmpfs", "simulated"])
def test_full_disk_exits_2_and_leaves_nothing(tmp_path: Path, how: str, monkeypatch) -> None:
    config = tiny_config(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    (disk / "keep.txt").write_text("user file\n")
    runs = tmp_path / "runs"
    if how == "tmpfs" and _mount(disk, "size=16k"):
        try:
            (disk / "keep.txt").write_text("user file\n")
            before = snapshot(disk)
            result = cli("run", str(config), "--out", str(disk / "run"), "--runs-dir", str(runs), cwd=tmp_path)
            assert_one_line_error(result, str(disk), "No space left on device")
            assert snapshot(disk) == before  # no temporary folder, no lock file, user file intact
        finally:
            _umount(disk)
    else:  # no mount possible here: the write fails in-process exactly as a full disk makes it fail
        import plumbing.atomic as atomic
        real = atomic.atomic_write_bytes
        writes = []

        def full(path, data):
            writes.append(path)
            if len(writes) > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            real(path, data)

        monkeypatch.setattr(atomic, "atomic_write_bytes", full)
        before = snapshot(disk)
        with pytest.raises(RunTargetError) as info:
            run_config(resolve(config), disk / "run")
        assert str(disk) in str(info.value) and "No space left on device" in str(info.value)
        assert len(writes) == 3 and snapshot(disk) == before
    assert not Catalog(runs).is_done(config_hash(resolve(config)))


# --- section 5: the catalog never loses a finished run --------------------------------------------------------

@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished tiny run through the command line: (folder, config, run directory, runs folder)."""
    root = tmp_path_factory.mktemp("finished")
    config = tiny_config(root)
    out, runs = root / "run", root / "runs"
    result = cli("run", str(config), "--out", str(out), "--runs-dir", str(runs), cwd=root)
    assert result.returncode == 0, result.stderr
    return root, config, out, runs


def _copy_finished(finished_run, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A private copy of the finished run, recorded in a private catalog."""
    _, config, out, _ = finished_run
    mine, runs = tmp_path / "run", tmp_path / "runs"
    shutil.copytree(out, mine)
    Catalog(runs).record_dir(mine)
    return config, mine, runs


def _best(runs: Path) -> str:
    result = cli("runs", "best", "--runs-dir", str(runs))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("failure", [RuntimeError("injected failure"), KeyboardInterrupt()])
def test_failed_or_interrupted_rerun_keeps_the_finished_record(finished_run, tmp_path: Path, monkeypatch,
                                                               capsys, failure: BaseException) -> None:
    config, mine, runs = _copy_finished(finished_run, tmp_path)
    chash = config_hash(resolve(config))
    record_before = Catalog(runs).get(chash)
    assert record_before["status"] == "done" and "tiny" in _best(runs)
    dir_before = snapshot(mine)
    import experiments.runner as runner

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(runner, "run_study", fail)
    from experiments.cli import main
    monkeypatch.chdir(tmp_path)
    with pytest.raises((RuntimeError, SystemExit)):
        main(["run", str(config), "--out", str(mine), "--runs-dir", str(runs)])
    after = Catalog(runs).get(chash)
    kept = ("status", "run_dir", "finished", "best_strategy", "best_sharpe", "metrics_json")
    assert {k: after[k] for k in kept} == {k: record_before[k] for k in kept}
    assert after["last_failure"] and ("interrupted" if isinstance(failure, KeyboardInterrupt)
                                      else "injected failure") in after["last_error"]
    assert snapshot(mine) == dir_before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder or lock left
    best = _best(runs)
    assert "No finished runs" not in best and "tiny" in best


def test_killed_rerun_keeps_the_finished_run_and_its_record(finished_run, tmp_path: Path) -> None:
    """SIGTERM a rerun while it computes: the finished directory, its record and `runs best` are unchanged."""
    config, mine, runs = _copy_finished(finished_run, tmp_path)
    chash = config_hash(resolve(config))
    dir_before, record_before = snapshot(mine), Catalog(runs).get(chash)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "run", str(config), "--out", str(mine),
                             "--runs-dir", str(runs), "--no-cache"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".run.tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the rerun ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert snapshot(mine) == dir_before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    after = Catalog(runs).get(chash)
    assert after["status"] == "done" and after["metrics_json"] == record_before["metrics_json"]
    assert after["last_error"] == "interrupted"
    assert "tiny" in _best(runs)


def test_a_run_killed_mid_replacement_is_put_back_and_its_leftovers_removed(finished_run, tmp_path: Path,
                                                                            monkeypatch) -> None:
    """A kill between moving the finished directory aside and renaming the new one into place leaves
    ``.run.old-PID`` and ``.run.tmp-PID`` (PID maybe a zombie, so still 'alive'); the next run of that
    directory, even one that fails, puts the finished run back and removes the temporary folder."""
    config, mine, runs = _copy_finished(finished_run, tmp_path)
    dir_before = snapshot(mine)
    os.replace(mine, tmp_path / f".run.old-{os.getpid()}")
    (tmp_path / ".run.tmp-1").mkdir()  # pid 1 is alive: only the lock can say this folder is stale
    (tmp_path / ".run.tmp-1" / "metrics.csv").write_text("half,written\n")
    import experiments.runner as runner

    def fail(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(runner, "run_study", fail)
    with pytest.raises(RuntimeError, match="injected"):
        run_config(resolve(config), mine)
    assert snapshot(mine) == dir_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "runs"]
    assert Catalog(runs).is_done(config_hash(resolve(config)))


def test_a_record_is_done_only_while_its_directory_holds_its_run(finished_run, tmp_path: Path) -> None:
    config, mine, runs = _copy_finished(finished_run, tmp_path)
    chash = config_hash(resolve(config))
    catalog = Catalog(runs)
    assert catalog.is_done(chash)
    manifest = json.loads((mine / "manifest.json").read_text())
    (mine / "manifest.json").write_text(json.dumps({**manifest, "config_hash": "ffffffffff"}))
    assert catalog.get(chash)["status"] == "replaced" and not catalog.is_done(chash)
    assert "No finished runs" in _best(runs)
    shutil.rmtree(mine)
    assert catalog.get(chash)["status"] == "missing"
    listing = cli("runs", "list", "--runs-dir", str(runs))
    assert listing.returncode == 0 and "missing" in listing.stdout and " done " not in listing.stdout


def test_two_configs_forced_to_one_out_are_not_both_done(finished_run, tmp_path: Path) -> None:
    config, mine, runs = _copy_finished(finished_run, tmp_path)
    first = config_hash(resolve(config))
    (mine / "notes.txt").write_text("user notes\n")  # the user's file inside: only --force may delete it
    refused = cli("run", str(config), "--out", str(mine), "--runs-dir", str(runs), "--set", "allocation.cost_bps=30",
                  cwd=tmp_path)
    assert_one_line_error(refused, str(mine), "another config")
    forced = cli("run", str(config), "--out", str(mine), "--runs-dir", str(runs), "--set", "allocation.cost_bps=30",
                 "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    second = json.loads((mine / "manifest.json").read_text())["config_hash"]
    assert second != first and not (mine / "notes.txt").exists()
    catalog = Catalog(runs)
    frame = catalog.list()
    done_here = frame[(frame["status"] == "done") & (frame["run_dir"] == str(mine.resolve()))]
    assert list(done_here["config_hash"]) == [second]
    assert catalog.get(first)["status"] == "replaced"
    manifest = json.loads((mine / "manifest.json").read_text())
    on_disk = sorted(str(p.relative_to(mine)) for p in mine.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert manifest["outputs"] == on_disk  # what a later rerun may replace, and nothing else


# --- section 8 (second half): two runs to one directory are serialized -----------------------------------------

LOGGED_RUN = """
import json, sys, time
from pathlib import Path
from experiments.runner import resolve, run_config
log = open(sys.argv[3], "a")
def progress(stage, detail=""):
    log.write(json.dumps([time.time(), stage]) + "\\n"); log.flush()
run_config(resolve(sys.argv[1]), Path(sys.argv[2]), progress=progress, use_cache=False,
           on_finish=lambda outcome: progress("finish"))
"""


def test_two_runs_to_one_directory_are_serialized_by_the_lock(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [subprocess.Popen([sys.executable, "-c", LOGGED_RUN, str(config), str(out), str(log)], env=env,
                              stderr=subprocess.PIPE, text=True) for log in logs]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    events = [[json.loads(line) for line in log.read_text().splitlines()] for log in logs]
    spans = []
    for ev in events:
        work = [t for t, stage in ev if stage != "waiting"]
        finish = [t for t, stage in ev if stage == "finish"]
        spans.append((min(work), finish[0]))
    (s1, e1), (s2, e2) = sorted(spans)
    assert e1 <= s2, f"the runs overlapped: {spans}"
    waited = [any(stage == "waiting" for _, stage in ev) for ev in events]
    assert sum(waited) == 1, "exactly one run found the other holding the lock and waited"
    assert json.loads((out / "manifest.json").read_text())["config_hash"] == config_hash(resolve(config))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # lock file and temp gone


def test_a_second_config_waiting_for_the_lock_is_refused_not_raced(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    args = [[], ["--set", "allocation.cost_bps=30"]]
    procs = [subprocess.Popen([sys.executable, "-m", "experiments.cli", "run", str(config), "--out", str(out),
                               "--runs-dir", str(tmp_path / "runs"), "--no-cache", *extra], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for extra in args]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], errors
    loser = next(e for p, e in zip(procs, errors) if p.returncode == 2)
    refusal = [line for line in loser.strip().splitlines() if line.startswith("error: ")]
    assert len(refusal) == 1 and "another config" in refusal[0] and "Traceback" not in loser
    winner = next(i for i, p in enumerate(procs) if p.returncode == 0)
    expected = config_hash(resolve(config, tuple(args[winner][1:])))
    assert json.loads((out / "manifest.json").read_text())["config_hash"] == expected
    catalog = Catalog(tmp_path / "runs")
    assert list(catalog.list()["status"]) == ["done"]


# --- section 9: identical inputs give a byte-identical report -------------------------------------------------

def test_identical_runs_give_a_byte_identical_report(tmp_path: Path) -> None:
    config = tiny_config(tmp_path, figures=True, report=True)
    runs = tmp_path / "runs"
    first = cli("run", str(config), "--out", str(tmp_path / "a"), "--runs-dir", str(runs))
    second = cli("run", str(config), "--out", str(tmp_path / "b"), "--runs-dir", str(runs), "--no-cache")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = (tmp_path / "a" / "report.html").read_bytes(), (tmp_path / "b" / "report.html").read_bytes()
    assert b"data:image/png;base64," in a
    assert a == b
    manifests = [json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("a", "b")]
    assert all(m["started"] and m["finished"] for m in manifests)  # the times live in the manifest ...
    for m in manifests:
        assert m["started"].encode() not in a and m["finished"].encode() not in a  # ... and not in the report
    assert manifests[1]["regime_cache"] and "hit" not in manifests[1]["regime_cache"].values()  # recomputed


# --- --force never erases what the framework did not write ------------------------------------------------------

def test_force_over_a_user_folder_keeps_it_aside_instead_of_deleting_it(tmp_path: Path) -> None:
    config = tiny_config(tmp_path)
    mine = tmp_path / "thesis"
    (mine / "chapters").mkdir(parents=True)
    (mine / "chapters" / "one.tex").write_text("\\chapter{Momentum crashes}\n")
    (mine / "notes.txt").write_text("user notes\n")
    before = snapshot(mine)
    result = cli("run", str(config), "--out", str(mine), "--runs-dir", str(tmp_path / "runs"), "--force",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("thesis.kept-")]
    assert len(kept) == 1 and snapshot(kept[0]) == before  # every file of the user's folder, byte for byte
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and str(kept[0]) in warnings[0] and "not deleted" in warnings[0], result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads((mine / "manifest.json").read_text())["config_hash"]  # the run is in place


@pytest.mark.parametrize("which", ["home", "above_home"])
def test_force_never_replaces_the_home_folder_or_a_folder_holding_it(tmp_path: Path, tmp_path_factory,
                                                                     which: str) -> None:
    home = tmp_path / "users" / "quant"
    (home / "research").mkdir(parents=True)
    (home / "research" / "paper.md").write_text("draft\n")
    work = tmp_path / "work"
    work.mkdir()
    config = tiny_config(work)
    out = {"home": home, "above_home": tmp_path / "users"}[which]
    before = snapshot(tmp_path)
    elsewhere = tmp_path_factory.mktemp("libraries")  # matplotlib and friends write caches under HOME
    env = {**os.environ, "HOME": str(home), "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(elsewhere),
           "XDG_CACHE_HOME": str(elsewhere), "XDG_CONFIG_HOME": str(elsewhere),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-m", "experiments.cli", "run", str(config), "--out", str(out),
                             "--runs-dir", str(work / "runs"), "--force"], capture_output=True, text=True,
                            timeout=240, cwd=work, env=env)
    assert_one_line_error(result, str(out), "refusing")
    assert snapshot(tmp_path) == before


# --- other commands' outputs and arguments: one line, before anything is computed, nothing written -----------

def _folder(root: Path) -> Path:
    (root / "mine").mkdir()
    (root / "mine" / "keep.txt").write_text("user file\n")
    return root / "mine"


def _user_file(root: Path) -> Path:
    (root / "mine.csv").write_text("precious\n")
    return root / "mine.csv"


def _data_file(root: Path) -> Path:
    (root / "data").mkdir()
    (root / "data" / "GSPC.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n")
    return root / "data" / "GSPC.csv"


def _under_a_file(root: Path) -> Path:
    (root / "f").write_text("a file\n")
    return root / "f" / "panel.csv"


def _bad_manifest(root: Path) -> Path:
    (root / "run").mkdir()
    (root / "run" / "manifest.json").write_text("{not json")
    return root / "run"


OTHER_COMMANDS = [
    # (id, setup(root) -> path used in the arguments, arguments, fragments of the one error line)
    ("panel_out_onto_a_folder", _folder, lambda p: ["data", "panel", "--source", "sample", "--out", str(p)],
     ["mine", "is a folder"]),
    ("panel_out_onto_the_root", lambda r: Path("/"), lambda p: ["data", "panel", "--source", "sample", "--out", "/"],
     ["/: is a folder"]),
    ("panel_out_onto_a_user_file", _user_file, lambda p: ["data", "panel", "--source", "sample", "--out", str(p)],
     ["mine.csv: exists; left untouched", "--force"]),
    ("panel_out_onto_a_data_file", _data_file,
     lambda p: ["data", "panel", "--source", "local", "--data-dir", str(p.parent), "--out", str(p), "--force"],
     ["GSPC.csv: is inside", "never written over the input data"]),
    ("panel_out_below_a_file", _under_a_file, lambda p: ["data", "panel", "--source", "sample", "--out", str(p)],
     ["f: is not a folder"]),
    ("panel_start_month_13", lambda r: r, lambda p: ["data", "panel", "--source", "sample", "--start", "2005-13"],
     ["start: expected a date", "'2005-13'"]),
    ("panel_end_impossible_day", lambda r: r, lambda p: ["data", "panel", "--source", "sample", "--end", "2005-02-30"],
     ["end: expected a date", "'2005-02-30'"]),
    ("plot_out_onto_a_file", _user_file,
     lambda p: ["regimes", "plot", "--detector", "vix_threshold", "--source", "sample", "--out", str(p)],
     ["mine.csv: --out must be a folder"]),
    ("plot_start_past_the_data", lambda r: r,
     lambda p: ["regimes", "plot", "--detector", "jump", "--features", "jump=log_rv,sp500_ret_1m", "--source",
                "sample", "--start", "2090-01", "--out", str(p / "fig")], ["no regime output between 2090-01"]),
    ("plot_param_not_yaml", lambda r: r,
     lambda p: ["regimes", "plot", "--detector", "jump", "--param", "jump.jump_penalty=[", "--source", "sample",
                "--out", str(p / "fig")], ["--param", "not valid YAML"]),
    ("unknown_option", lambda r: r, lambda p: ["data", "info", "--nope"], ["No such option '--nope'"]),
    ("compare_unknown_metric", lambda r: r, lambda p: ["runs", "compare", "x", "--metric", "nope"],
     ["--metric", "choose one of"]),
    ("results_missing_folder", lambda r: r / "nope", lambda p: ["results", str(p)], ["nope", "does not exist"]),
    ("results_unreadable_manifest", _bad_manifest, lambda p: ["results", str(p)],
     ["manifest.json: not a readable run manifest"]),
    ("info_cache_dir_is_a_file", _user_file, lambda p: ["data", "info", "--source", "download", "--cache-dir", str(p)],
     ["mine.csv: expected the download cache folder, found a file"]),
    ("fetch_cache_dir_is_a_file", _user_file, lambda p: ["data", "fetch", "--series", "usrec", "--cache-dir", str(p)],
     ["mine.csv: expected the download cache folder, found a file"]),
    ("runs_list_runs_dir_is_a_file", _user_file, lambda p: ["runs", "list", "--runs-dir", str(p)],
     ["mine.csv: is not a folder"]),
    ("compare_without_a_catalog", lambda r: r / "runs", lambda p: ["runs", "compare", "abc", "--runs-dir", str(p)],
     ["catalog.sqlite: no run catalog", "abc"]),
]


@pytest.mark.parametrize("case", OTHER_COMMANDS, ids=[c[0] for c in OTHER_COMMANDS])
def test_other_commands_refuse_with_one_line_and_write_nothing(case, tmp_path: Path, monkeypatch, capsys) -> None:
    _, setup, args, fragments = case
    target = setup(tmp_path)
    before = snapshot(tmp_path)
    code, err = in_process(monkeypatch, capsys, tmp_path, *args(target))
    assert_one_line_error(err, *fragments)
    assert code == 2
    assert snapshot(tmp_path) == before


def test_panel_out_replaces_a_file_only_with_force(tmp_path: Path, monkeypatch, capsys) -> None:
    from experiments.cli import main
    from regimes.data.sample import SampleSource
    from regimes.panel import build_panel

    out = _user_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    main(["data", "panel", "--source", "sample", "--out", str(out), "--force"])  # returns: success
    written = pd.read_csv(out, index_col=0, parse_dates=True)
    expected = build_panel(SampleSource(), "monthly").frame
    assert list(written.columns) == list(expected.columns) and len(written) == len(expected) == 1109
    np.testing.assert_allclose(written.to_numpy(), expected.to_numpy(), rtol=1e-9, equal_nan=True)
