"""Atomic writes and the clean-up of temporaries left by killed writers (plumbing.atomic)."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from plumbing import atomic
from plumbing.atomic import atomic_write_bytes, locked_temp, remove_stale_temporaries


def test_write_replaces_the_target_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_a_failed_write_leaves_the_target_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()  # os.replace of a file onto a directory fails
    (target / "keep").write_text("user data")
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and (target / "keep").read_text() == "user data"


def test_the_temporary_is_locked_while_in_use(tmp_path: Path) -> None:
    with locked_temp(tmp_path / "x.csv", ".part") as (tmp, fh):
        assert tmp.name.startswith(".x.csv.") and tmp.name.endswith(".part")
        with open(tmp, "rb") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert remove_stale_temporaries(tmp_path, lambda name: True) == [] and tmp.exists()
    assert not tmp.exists()


def test_only_unlocked_matching_files_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".a.csv.1.part"
    held = tmp_path / ".a.csv.2.part"
    other = tmp_path / "a.csv"
    for path in (stale, held, other):
        path.write_bytes(b"x")
    (tmp_path / ".a.csv.3.part").mkdir()  # a folder with a temporary's name is not a temporary
    (tmp_path / ".a.csv.4.part").symlink_to(other)  # nor is a link
    with open(held, "rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        removed = remove_stale_temporaries(tmp_path, lambda name: name.endswith(".part"))
    assert removed == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.csv.2.part", ".a.csv.3.part", ".a.csv.4.part",
                                                          "a.csv"]
    assert remove_stale_temporaries(tmp_path / "missing", lambda name: True) == []


def test_without_flock_nothing_is_removed(tmp_path: Path, monkeypatch) -> None:
    stale = tmp_path / ".a.csv.1.part"
    stale.write_bytes(b"x")
    monkeypatch.setattr(atomic, "fcntl", None)  # a live writer's file could not be told from a dead one's
    assert remove_stale_temporaries(tmp_path, lambda name: True) == [] and stale.exists()
    atomic_write_bytes(tmp_path / "a.csv", b"ok")  # writes still work, unlocked
    assert (tmp_path / "a.csv").read_bytes() == b"ok"


_MODE_SCRIPT = """
import os, stat, sys
from plumbing.atomic import atomic_write_bytes, process_umask
folder = sys.argv[1]
atomic_write_bytes(os.path.join(folder, "atomic.csv"), b"x")
with open(os.path.join(folder, "plain.csv"), "wb") as fh:  # how any program creates a file
    fh.write(b"x")
mode = lambda name: stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
print(oct(mode("atomic.csv")), oct(mode("plain.csv")), oct(process_umask()))
"""


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002, 0o077])
def test_written_files_carry_the_users_umask(tmp_path: Path, umask: int) -> None:
    import os
    import subprocess
    import sys

    from tests import REPO

    def child() -> None:
        os.umask(umask)

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", _MODE_SCRIPT, str(tmp_path)], env=env, preexec_fn=child,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [oct(0o666 & ~umask), oct(0o666 & ~umask), oct(umask)]


def test_the_umask_is_read_without_changing_it() -> None:
    import os

    first = atomic.process_umask()
    current = os.umask(0o022)
    os.umask(current)
    assert first == current and atomic.process_umask() == current and os.umask(current) == current
