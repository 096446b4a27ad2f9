"""BLAS/OpenMP thread caps: the environment override, the context manager, and sweep workers."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from plumbing.errors import FactorRegimesError
from plumbing.threads import ENV_VAR, capped, limit_threads, thread_count


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_thread_count_default_and_override(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert thread_count() == 1
    monkeypatch.setenv(ENV_VAR, " 3 ")
    assert thread_count() == 3
    for bad in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv(ENV_VAR, bad)
        with pytest.raises(FactorRegimesError, match=f"{ENV_VAR} must be a positive integer.*{bad!r}"):
            thread_count()


def test_limit_threads_caps_loaded_blas_and_restores(monkeypatch) -> None:
    np.ones((2, 2)) @ np.ones((2, 2))  # numpy's BLAS is loaded
    before = _blas_threads()
    assert before, "no BLAS library found by threadpoolctl"
    monkeypatch.setenv(ENV_VAR, "2")
    with limit_threads() as n:
        assert n == 2 and _blas_threads() == {2}
    with limit_threads(1) as n:
        assert n == 1 and _blas_threads() == {1}
    assert _blas_threads() == before
    with pytest.raises(FactorRegimesError, match="positive integer"):
        with limit_threads(0):
            pass


def test_capped_decorator_reads_the_cap_at_each_call(monkeypatch) -> None:
    @capped
    def inside() -> set[int]:
        return _blas_threads()

    monkeypatch.delenv(ENV_VAR, raising=False)
    assert inside() == {1}
    monkeypatch.setenv(ENV_VAR, "2")
    assert inside() == {2}


def _worker_report() -> tuple[set[int], dict[str, str], int]:
    return _blas_threads(), {v: os.environ.get(v, "") for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}, \
        thread_count()


@pytest.mark.parametrize(("env", "expected"), [(None, 1), ("2", 2)])
def test_sweep_worker_initializer_caps_the_whole_process(monkeypatch, env, expected) -> None:
    from experiments.sweep import (
        _one_thread,  # the initializer the sweep's process pool uses
    )

    if env is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, env)
    with ProcessPoolExecutor(max_workers=1, initializer=_one_thread) as pool:
        blas, native, count = pool.submit(_worker_report).result(timeout=120)
    assert blas == {expected}
    assert native == {"OMP_NUM_THREADS": str(expected), "OPENBLAS_NUM_THREADS": str(expected)}
    assert count == expected


def test_nested_blocks_keep_the_outer_cap_and_restore_it(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    before = _blas_threads()
    with limit_threads(2):
        with limit_threads(2):  # same cap: nothing to change
            assert _blas_threads() == {2}
        assert _blas_threads() == {2}
        with limit_threads(1):
            assert _blas_threads() == {1}
        assert _blas_threads() == {2}
    assert _blas_threads() == before
