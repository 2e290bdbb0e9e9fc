"""Thread limits for numerical kernels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS/OpenMP thread (``threadpoolctl``, which comes with
    scikit-learn; without it, unchanged).

    The interval solver of ``sneak`` (:mod:`spinspice.analysis.phase_solver`) calls BLAS
    only for small products (the coarse solve), where OpenBLAS's threads cost more than
    they gain on a 2-core machine; its own compiled kernels use numba's threads
    (:mod:`spinspice.analysis.crossbar_kernels`), which this leaves alone.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1):
        yield


@contextmanager
def one_core() -> Iterator[None]:
    """Run the block on one thread: one BLAS thread (:func:`one_blas_thread`) and one
    numba thread, so the compiled kernels run their serial build.

    A study worker is one core: more threads per worker would only oversubscribe the
    machine, and with one thread every reduction sums in one fixed order, so results are
    bit-identical however many workers run and whatever else runs beside them.
    """
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with one_blas_thread():
            yield
    finally:
        numba.set_num_threads(before)
