"""Caps on BLAS and OpenMP threads for every compute stage (threadpoolctl).

numpy/scipy's BLAS (OpenBLAS, MKL) and scikit-learn's OpenMP start one
thread per core by default. Our problems are small (a few thousand rows, a
handful of features), so those threads buy no speed; on a shared machine, or
in a pool of worker processes each starting ``cores`` threads, they
oversubscribe the cores and busy-wait: a hidden Markov model fit that needs
1.5 CPU seconds took 66 on a loaded 2-core machine (issue #13). So every compute stage
runs under a cap:

* :func:`limit_threads` (a context manager) and :func:`capped` (a decorator)
  cap the threads of the libraries loaded in this process for the duration
  of a call: :func:`regimes.walkforward.walk_forward`,
  :func:`allocation.forecasting.forecast_walk_forward` and
  :func:`experiments.runner.run_config` (which covers every stage of a run:
  regimes, forecasts, backtests, statistics, analyses, figures) use it.
* :func:`cap_worker_threads` is the initializer of sweep worker processes:
  it sets the cap for the whole process, including libraries loaded later
  (through ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``).

The number of threads, :func:`thread_count`, is, in this order:

1. the environment variable ``FACTOR_REGIMES_THREADS`` (a positive integer),
   in a single run and in sweep workers alike;
2. 1 in a sweep worker process (:func:`cap_worker_threads`);
3. :data:`SINGLE_RUN_THREADS` (1) otherwise: measured in
   ``benchmarks/results/threads.md`` on the shared 2-core machine (load
   about 7), a second thread made an HMM fit on 5,000 rows and a gradient
   boosting fit on 300 rows 14x and 25x slower in wall time; at these
   problem sizes there is little for a second thread to win even when a
   core is free.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from threadpoolctl import threadpool_limits

from plumbing.env import positive_int_env
from plumbing.errors import FactorRegimesError

#: Environment variable overriding the number of BLAS/OpenMP threads per process.
ENV_VAR = "FACTOR_REGIMES_THREADS"
#: Threads per process in a single run when ``FACTOR_REGIMES_THREADS`` is not set.
SINGLE_RUN_THREADS = 1
#: Threads per sweep worker process when ``FACTOR_REGIMES_THREADS`` is not set.
WORKER_THREADS = 1
#: Variables read by BLAS and OpenMP runtimes when they load.
NATIVE_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_process_default: int | None = None  # set in sweep workers by cap_worker_threads
_active: int | None = None  # the cap of the innermost enclosing limit_threads block

F = TypeVar("F", bound=Callable)


def thread_count() -> int:
    """Threads per process for BLAS/OpenMP: ``FACTOR_REGIMES_THREADS``, else the process default.

    Raises
    ------
    FactorRegimesError
        When ``FACTOR_REGIMES_THREADS`` is set to anything but a positive integer.
    """
    value = positive_int_env(ENV_VAR, "threads per process")
    if value is not None:
        return value
    return _process_default if _process_default is not None else SINGLE_RUN_THREADS


@contextmanager
def limit_threads(n: int | None = None) -> Iterator[int]:
    """Cap BLAS and OpenMP threads of the loaded libraries inside the block; yields the cap.

    Parameters
    ----------
    n : int, optional
        Threads; default :func:`thread_count`. Earlier limits are restored on exit.
    """
    global _active
    n = thread_count() if n is None else int(n)
    if n < 1:
        raise FactorRegimesError(f"threads must be a positive integer, not {n!r}")
    if _active == n:  # already capped at n by an enclosing block: scanning the libraries again costs ~20 ms
        yield n
        return
    outer, _active = _active, n
    try:
        with threadpool_limits(limits=n):
            yield n
    finally:
        _active = outer


def capped(func: F) -> F:
    """Decorator: run ``func`` under :func:`limit_threads` (the cap read at each call)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with limit_threads():
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def cap_worker_threads(n: int | None = None) -> int:
    """Initializer of a worker process: cap its threads for its whole life; returns the cap.

    ``n`` defaults to ``FACTOR_REGIMES_THREADS`` or :data:`WORKER_THREADS`. Sets the
    native variables (for libraries the worker loads later), the cap of the loaded
    libraries, and the default :func:`limit_threads` uses in this process.
    """
    global _process_default
    if n is None:
        _process_default = WORKER_THREADS
        n = thread_count()
    _process_default = int(n)
    for var in NATIVE_VARS:
        os.environ[var] = str(n)
    threadpool_limits(limits=n)
    return n
