"""Thread limits for numerical kernels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS/OpenMP thread (``threadpoolctl``, which comes with
    scikit-learn; without it, unchanged).

    * A study worker is one core, and reductions (the dot products of the iterative
      solvers) then sum in one fixed order, so results are bit-identical however many
      workers run and whatever else runs beside them.
    * The interval solver of ``sneak`` (:mod:`spinspice.analysis.phase_solver`) makes many
      small BLAS calls on memory-bound vectors, where OpenBLAS's threads cost more than
      they gain (256×256 1R 2-phase: 22 s with the default threads, 18 s with one, on a
      2-core machine).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1):
        yield
