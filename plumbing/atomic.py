"""Atomic file writes: a file is either absent or complete, never half-written.

A write goes to a temporary file beside its target, then is renamed into
place. While its writer lives, the temporary file is held under an exclusive
``flock`` (:func:`locked_temp`), so a later writer can tell the temporaries of
a killed process (unlocked) from those of a live one (locked) and remove only
the former (:func:`remove_stale_temporaries`). The download cache and the
regime cache both clean up this way.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # not POSIX: temporaries are unlocked, and stale ones are left alone
    fcntl = None  # type: ignore[assignment]

#: Suffix of the temporaries of :func:`atomic_write_bytes`.
PART = ".part"

_UMASK_LOCK = threading.Lock()
_UMASK: int | None = None


def process_umask() -> int:
    """The process umask, read once and remembered.

    Read from ``/proc/self/status`` where the kernel reports it (Linux), which
    changes nothing; elsewhere ``os.umask`` is set and restored at once under a
    lock (the only way to read it), the first time only.
    """
    global _UMASK
    with _UMASK_LOCK:
        if _UMASK is None:
            _UMASK = _umask_from_proc()
            if _UMASK is None:
                current = os.umask(0o022)
                os.umask(current)
                _UMASK = current
        return _UMASK


def _umask_from_proc() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def file_mode() -> int:
    """Permission bits of a new file as ``open()`` would create it: ``0o666`` less the umask."""
    return 0o666 & ~process_umask()


def publish_mode(fh: BinaryIO) -> None:
    """Give a temporary of :func:`locked_temp` the mode of an ordinary new file, before its rename.

    ``tempfile.mkstemp`` creates files readable by their owner only (``0600``);
    a file renamed into place should carry the user's umask like any other.
    """
    try:
        os.fchmod(fh.fileno(), file_mode())
    except (AttributeError, NotImplementedError):  # no fchmod on this platform: keep mkstemp's mode
        pass


@contextlib.contextmanager
def locked_temp(target: str | Path, suffix: str = PART) -> Iterator[tuple[Path, BinaryIO]]:
    """A new temporary file beside ``target``, exclusively ``flock``-ed while in use.

    The name is ``.<target name>.<random><suffix>``. On exit the file is
    closed (releasing the lock) and removed, unless it was renamed into place
    meanwhile (the name then no longer refers to this file).

    Yields
    ------
    (Path, binary file)
        The temporary file's path and its open handle (``w+b``).

    Raises
    ------
    OSError
        When no temporary file can be created in the folder.
    """
    target = Path(target)
    for _ in range(100):
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
        fh = os.fdopen(fd, "w+b")
        try:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a cleaner holds it for an instant and is removing it
            fh.close()
            continue
        except OSError:  # no flock on this filesystem: go on unlocked (cleaners will leave it alone)
            pass
        if _same_file(name, fd):
            break  # not removed as stale between creation and locking
        fh.close()
    else:
        raise OSError(f"cannot create a temporary file in {target.parent}")
    tmp = Path(name)
    try:
        yield tmp, fh
    finally:
        ours = _same_file(name, fh.fileno())
        fh.close()
        if ours:
            tmp.unlink(missing_ok=True)


def _same_file(name: str, fd: int) -> bool:
    try:
        return os.stat(name).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


def remove_stale_temporaries(directory: str | Path, is_temporary: Callable[[str], bool]) -> list[Path]:
    """Delete the temporaries of dead writers in ``directory``; return what was removed.

    Parameters
    ----------
    directory : str or Path
        Folder to clean (nothing happens when it does not exist).
    is_temporary : callable
        ``is_temporary(file name) -> bool``: which names are temporaries of
        :func:`locked_temp` (so a user's own files are never touched).

    Notes
    -----
    A live writer holds an exclusive ``flock`` on its temporary file, so
    only files nobody holds are removed. Without ``flock`` (not POSIX, or a
    filesystem that refuses it) nothing is removed: a live writer's file
    cannot be told from a dead one's.
    """
    folder = Path(directory)
    if fcntl is None or not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.iterdir()):
        if not is_temporary(path.name) or path.is_symlink() or not path.is_file():
            continue
        try:
            with open(path, "rb") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _same_file(str(path), fh.fileno()):
                    path.unlink()
                    removed.append(path)
        except OSError:  # held by a live writer, already gone, or no flock here
            continue
    return removed


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a locked temporary file in the same folder, then rename.

    The temporary file (``.<name>.<random>.part``) is removed on any failure;
    if the process is killed, it is left unlocked for
    :func:`remove_stale_temporaries` to remove.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked_temp(target) as (tmp, fh):
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
        publish_mode(fh)
        os.replace(tmp, target)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))
