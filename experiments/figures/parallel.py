"""Draw and save a run's figures in a small pool of forked worker processes.

Drawing and PNG encoding are single-threaded in matplotlib (Agg) and dominate
the output stage of a run, so the figures of :func:`experiments.figures.run.write_figures`
are rendered two at a time. A job is ``(name, draw)``: ``draw()`` returns a
figure or None (nothing to show). Jobs are closures over the run's results,
which do not pickle, so workers are *forked*: each inherits the jobs, the
loaded libraries and matplotlib's state (rcParams, font cache) from the
parent, and only job indices and file paths cross the process boundary. A
worker draws with the same code, style and dpi as the parent would, so the
files are byte-identical to a sequential rendering (Agg PNGs carry no
timestamp).

The number of workers, :func:`figure_workers`, is, in this order:

1. the environment variable ``FACTOR_REGIMES_FIGURE_WORKERS`` (a positive integer; 1 draws in this process);
2. 1 where ``fork`` is unavailable or unsafe (not Linux), or inside a worker process (a sweep's pool or a
   Dask worker already keeps every core busy);
3. ``min(2, cores)`` otherwise.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from plumbing.env import positive_int_env

#: Environment variable overriding the number of figure worker processes.
ENV_VAR = "FACTOR_REGIMES_FIGURE_WORKERS"
#: Worker processes when the variable is unset (the machine this is tuned for has two cores).
DEFAULT_WORKERS = 2

Job = tuple[str, Callable[[], object]]

_shared: tuple[Path, Sequence[Job]] | None = None  # the jobs a forked worker inherits


def figure_workers() -> int:
    """Worker processes for figures: ``FACTOR_REGIMES_FIGURE_WORKERS``, else 1 or ``min(2, cores)``.

    Raises
    ------
    FactorRegimesError
        When ``FACTOR_REGIMES_FIGURE_WORKERS`` is set to anything but a positive integer.
    """
    value = positive_int_env(ENV_VAR, "figure worker processes")
    if value is not None:
        return value
    if not sys.platform.startswith("linux") or multiprocessing.parent_process() is not None:
        return 1
    return max(1, min(DEFAULT_WORKERS, os.cpu_count() or 1))


def _quiet_signals() -> None:
    """Worker initializer: undo the handlers inherited from the CLI (its SIGTERM handler cleans up the run
    directory and raises KeyboardInterrupt): SIGTERM ends a worker at once, Ctrl-C is left to the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _draw_and_save(index: int) -> tuple[int, str | None]:
    """Worker: draw job ``index`` of the inherited jobs and save it; returns the index and the file (or None)."""
    from experiments.figures.style import save
    assert _shared is not None, "figure jobs are only visible to forked workers"
    folder, jobs = _shared
    name, draw = jobs[index]
    fig = draw()
    return index, None if fig is None else str(save(fig, folder / f"{name}.png"))


def render(jobs: Sequence[Job], folder: Path, progress=None, workers: int | None = None) -> dict[str, Path]:
    """Draw every job and save it as ``folder/<name>.png``; returns ``{name: file}`` in the order of ``jobs``.

    Parameters
    ----------
    jobs : sequence of (str, callable)
        Figure name and a function drawing it (returns a matplotlib figure, or None to skip).
    folder : pathlib.Path
        Where the PNG files go.
    progress : callable, optional
        ``progress("figures", name)`` once per job, as each one finishes.
    workers : int, optional
        Worker processes; default :func:`figure_workers`. With 1 (or a single job) everything is drawn here.
    """
    global _shared
    from experiments.figures.style import save

    folder = Path(folder)
    workers = figure_workers() if workers is None else int(workers)
    done: dict[int, str | None] = {}
    if workers <= 1 or len(jobs) < 2:
        for i, (name, draw) in enumerate(jobs):
            if progress is not None:
                progress("figures", name)
            fig = draw()
            done[i] = None if fig is None else str(save(fig, folder / f"{name}.png"))
    else:
        _shared = (folder, jobs)
        try:
            pool = multiprocessing.get_context("fork").Pool(min(workers, len(jobs)), initializer=_quiet_signals)
            try:
                for i, path in pool.imap_unordered(_draw_and_save, range(len(jobs))):
                    if progress is not None:
                        progress("figures", jobs[i][0])
                    done[i] = path
                pool.close()  # normal end: workers exit on their own
            except BaseException:
                pool.terminate()  # an error or Ctrl-C here: stop the workers (SIGTERM kills them quietly)
                raise
            finally:
                pool.join()
        finally:
            _shared = None
    return {jobs[i][0]: Path(done[i]) for i in range(len(jobs)) if done[i] is not None}
