"""Where a run may write: safe run names, target checks, writability probes and the run lock.

A run never destroys what it did not write. Its directory may replace an
existing path only when that path is a run directory of the *same* config
whose files are all ones the run wrote (its manifest lists them), unless the
user forces it. Even forced, a path that is not a run directory is not
deleted but moved aside (``<name>.kept-<time>``, said on one warning line), and
a path that holds the current folder, the catalog, the config, the data or the
home folder, the filesystem root and mount points are never used. Every check here runs before
any computation, and a failed check writes nothing.

Two runs writing the same directory are serialized by an exclusive
``fcntl.flock`` on a lock file beside it (``.<name>.lock``), held from the
target check to the catalog record; the lock file is removed when released.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from plumbing.errors import FactorRegimesError

#: Longest run name (it names a folder, with a 10-character hash appended).
MAX_NAME = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RunTargetError(FactorRegimesError):
    """The run's output location is unsafe or unwritable; raised before any computation, nothing written."""


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a run directory inside the runs folder (None when it can).

    A name is one folder name: no path separator (``/`` or ``\\``), not ``.`` or ``..``, not hidden
    (leading ``.``, which run directories' temporary folders use) nor option-like (leading ``-``), no
    control characters, at most :data:`MAX_NAME` characters.
    """
    if not isinstance(name, str):
        return f"expected a string, got {type(name).__name__} {name!r}"
    if "/" in name or "\\" in name or os.sep in name or name in (".", ".."):
        return (f"{name!r} is a path, not a name: a run name cannot contain path separators or be '.' or '..' "
                "(it names a folder inside the runs folder; use --out to write elsewhere)")
    if not name.strip() or name != name.strip() or name[0] in ".-" or _CONTROL.search(name) \
            or any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name) \
            or len(name) > MAX_NAME:
        return (f"{name!r} is not a valid run name: it names a folder, so it must not be empty, start with '.' "
                f"or '-', have surrounding spaces or control characters, or exceed {MAX_NAME} characters")
    return None


def check_name(name: object, where: str = "config") -> None:
    """Refuse a run name that could escape the runs folder or hide the run (:class:`RunTargetError`)."""
    problem = name_problem(name)
    if problem is not None:
        raise RunTargetError(f"{where}: name: {problem}")


def target_path(run_dir: str | Path) -> Path:
    """The absolute run directory with symbolic links resolved (so two spellings share one lock)."""
    return Path(os.path.realpath(Path(run_dir).expanduser()))


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def ensure_parent(run_dir: Path) -> list[Path]:
    """Create the run directory's missing parent folders; returns those created (deepest last).

    Raises :class:`RunTargetError` naming the folder when it cannot be created (read-only, not a folder).
    """
    missing = []
    parent = run_dir.parent
    while not parent.exists():
        if os.path.lexists(parent):
            raise RunTargetError(f"{parent}: is a broken symbolic link; cannot create the run directory {run_dir}")
        missing.append(parent)
        parent = parent.parent
    if not parent.is_dir():
        raise RunTargetError(f"{parent}: is not a folder; cannot create the run directory {run_dir}")
    created = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
    except OSError as exc:
        remove_empty(created)
        raise RunTargetError(f"{exc.filename or run_dir.parent}: cannot create the folder of the run directory "
                             f"({_reason(exc)})") from None
    return created


def remove_empty(folders: Iterable[Path]) -> None:
    """Remove folders this run created, deepest first, if they are still empty."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


def probe_writable(folder: Path, what: str) -> None:
    """Create and remove a file in ``folder`` (or its nearest existing ancestor) to prove it is writable.

    ``os.access`` is not enough: it says yes to root on any permission bits. Leaves nothing behind.
    """
    base = Path(folder)
    while not base.exists():
        if base.parent == base:
            break
        base = base.parent
    try:
        fd, name = tempfile.mkstemp(dir=base, prefix=".factor-regimes-probe-")
    except OSError as exc:
        raise RunTargetError(f"{base}: cannot write the {what} ({_reason(exc)})") from None
    os.close(fd)
    os.unlink(name)


def protected_problem(run_dir: Path, protected: Iterable[str | Path]) -> str | None:
    """Why replacing ``run_dir`` would erase something the user needs (the current folder, data, ...).

    Besides ``protected``, the filesystem root, the user's home folder (and every folder holding it) and
    mount points are never run directories.
    """
    if run_dir.parent == run_dir:
        return "it is the filesystem root"
    if os.path.ismount(run_dir):
        return "it is a mount point"
    for item in [*protected, Path.home()]:
        if item is None:
            continue
        p = target_path(item)
        if p == run_dir or run_dir in p.parents:
            return f"it contains {p}"
    return None


def is_run_directory(path: Path) -> bool:
    """Whether ``path`` is a folder holding a readable run manifest (of any config)."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return path.is_dir() and not path.is_symlink() and isinstance(manifest, dict) and "config_hash" in manifest


def kept_aside_path(target: Path, stamp: str) -> Path:
    """A free sibling name for a forced-over path that is not a run directory: ``<name>.kept-<stamp>[-k]``."""
    candidate = target.parent / f"{target.name}.kept-{stamp}"
    k = 1
    while os.path.lexists(candidate):
        candidate = target.parent / f"{target.name}.kept-{stamp}-{k}"
        k += 1
    return candidate


def run_dir_problem(run_dir: Path, config_hash: str) -> str | None:
    """Why the existing ``run_dir`` is not a run directory of the config ``config_hash`` (None when it is).

    It is one when its ``manifest.json`` names this config hash and every file in it is one its
    manifest lists as written by the run (manifests without that list are judged by the hash alone).
    """
    if run_dir.is_symlink() or not run_dir.is_dir():
        return "exists and is not a folder"
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.is_file():
        return "exists and is not a run directory (no manifest.json)"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        found = manifest["config_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return "exists and its manifest.json is not a readable run manifest"
    if found != config_hash:
        return f"is the run directory of another config (hash {found}; this config is {config_hash})"
    listed = manifest.get("outputs")
    if isinstance(listed, list):
        allowed = set(listed) | {"manifest.json"}
        present = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if not p.is_dir())
        extra = [p for p in present if p not in allowed]
        if extra:
            shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
            return f"holds files the run did not write ({shown})"
    return None


def check_target(run_dir: Path, config_hash: str, force: bool = False,
                 protected: Iterable[str | Path] = ()) -> None:
    """Refuse to replace a path that is not this config's run directory (unless ``force``), or that holds
    something protected (even with ``force``). Raises :class:`RunTargetError`; writes nothing."""
    problem = protected_problem(run_dir, protected)
    if problem is not None:
        raise RunTargetError(f"{run_dir}: refusing to use this as a run directory: {problem}")
    if not os.path.lexists(run_dir) or force:
        return
    problem = run_dir_problem(run_dir, config_hash)
    if problem is not None:
        raise RunTargetError(f"{run_dir}: {problem}; left untouched (choose another --out, or pass --force "
                             "to replace it)")


def lock_path(run_dir: Path) -> Path:
    return run_dir.parent / f".{run_dir.name}.lock"


@contextlib.contextmanager
def run_lock(run_dir: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on ``run_dir`` (blocking while another process holds it).

    The lock file is unlinked while still locked on release; a waiter that then wins the lock on the
    unlinked file notices (its inode is no longer the path's) and retries, so two holders never coexist.
    """
    path = lock_path(run_dir)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunTargetError(f"{path.parent}: cannot write the run directory {run_dir.name} "
                                 f"({_reason(exc)})") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if on_wait is not None:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    on_wait(f"another run (pid {holder}) is writing {run_dir}; waiting for it to finish")
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)  # the holder removed this file on release: lock the current one
    try:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def check_output_file(path: Path, force: bool = False, protected: Iterable[str | Path] = ()) -> Path:
    """Check, before anything is computed, that ``path`` may be written as an output file (``--out FILE``).

    Refused (:class:`RunTargetError`, nothing written): a folder, a special file or a broken link at
    ``path``; a path inside one of ``protected`` (the data folder: an output never replaces an input);
    an existing file unless ``force``; a parent that is a file or cannot be written. Missing parent
    folders are fine (they are created when the file is written). Returns the absolute path.
    """
    target = Path(os.path.abspath(Path(path).expanduser()))
    real = target_path(target)
    for item in protected:
        if item is not None and (real == target_path(item) or target_path(item) in real.parents):
            raise RunTargetError(f"{target}: is inside {item}; an output is never written over the input data "
                                 "(choose another --out)")
    if target.is_dir():
        raise RunTargetError(f"{target}: is a folder; --out names the CSV file to write")
    if os.path.lexists(target):
        if not target.exists():
            raise RunTargetError(f"{target}: is a broken symbolic link; choose another --out")
        if not target.is_file():
            raise RunTargetError(f"{target}: is not a regular file; choose another --out")
        if not force:
            raise RunTargetError(f"{target}: exists; left untouched (choose another --out, or pass --force to "
                                 "replace it)")
    parent = target.parent
    while not os.path.lexists(parent):
        parent = parent.parent
    if not parent.is_dir():
        raise RunTargetError(f"{parent}: is not a folder; cannot write {target}")
    probe_writable(parent, f"file {target.name}")
    return target
