"""The compiled kernels of the interval solver against independent numpy/scipy forms: the
MTJ law, the reduced matrix, the line solves; and the two builds against each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import solve_banded

from spinspice.analysis import crossbar_kernels as kern
from spinspice.analysis.nodal import _mtj_current
from spinspice.analysis.phase_solver import PhaseSolver
from spinspice.analysis.threads import one_blas_thread, one_core
from spinspice.array_builder.crossbar import CrossbarDesign, random_inputs, write_schedule

M, N = 13, 9  # not multiples of 4: the interleaved kernels' remainder lines run too
BUILDS = [kern.SERIAL, kern.PARALLEL]
Arr = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class _Net:
    """A random reduced crossbar system in the kernels' layout."""

    g: Arr
    g_start: Arr
    g_end: Arr
    xr: Arr
    xc: Arr
    gwr: float = 14.0
    gwc: float = 9.0

    @property
    def gt(self) -> Arr:
        return np.ascontiguousarray(self.g.T)


def _network(seed: int) -> _Net:
    rng = np.random.default_rng(seed)
    return _Net(
        g=rng.uniform(2e-5, 2e-4, (M, N)),
        g_start=rng.uniform(1e-3, 1e-1, M),
        g_end=rng.uniform(1e-8, 1e-1, N),
        xr=rng.uniform(-1, 1, (M, N + 1)),
        xc=rng.uniform(-1, 1, (N, M + 1)),
    )


def _matrix(net: _Net) -> sp.csr_matrix:
    """The reduced nodal matrix, assembled entry by entry (rows first, then columns)."""
    nr = M * (N + 1)
    n_tot = nr + N * (M + 1)
    a = sp.lil_matrix((n_tot, n_tot))

    def row(i: int, k: int) -> int:
        return i * (N + 1) + k

    def col(j: int, h: int) -> int:
        return nr + j * (M + 1) + h

    def link(p: int, q: int, gg: float) -> None:
        a[p, p] += gg
        a[q, q] += gg
        a[p, q] -= gg
        a[q, p] -= gg

    for i in range(M):
        a[row(i, 0), row(i, 0)] += net.g_start[i]
        for k in range(N):
            link(row(i, k), row(i, k + 1), net.gwr)
            link(row(i, k + 1), col(k, i + 1), net.g[i, k])
    for j in range(N):
        a[col(j, 0), col(j, 0)] += net.g_end[j]
        for h in range(M):
            link(col(j, h), col(j, h + 1), net.gwc)
    return a.tocsr()


@pytest.mark.parametrize("k", BUILDS)
def test_residual_lines_is_the_nodal_matrix(k: kern.Kernels) -> None:
    net = _network(1)
    xr, xc = net.xr, net.xc
    x = np.concatenate([xr.ravel(), xc.ravel()])
    ref = _matrix(net) @ x
    b = np.random.default_rng(2).normal(size=x.size)
    yr, yc = np.zeros((M, N + 1)), np.zeros((N, M + 1))
    sr, sc = np.zeros(M), np.zeros(N)
    cross_r = np.ascontiguousarray(xc[:, 1:].T)
    cross_c = np.ascontiguousarray(xr[:, 1:].T)
    for bb, want in ((0.0 * b, -ref), (b, b - ref)):
        br, bc = bb[: M * (N + 1)].reshape(M, N + 1), bb[M * (N + 1) :].reshape(N, M + 1)
        k.residual_lines(xr, cross_r, net.g, net.g_start, net.gwr, br, yr, sr)
        k.residual_lines(xc, cross_c, net.gt, net.g_end, net.gwc, bc, yc, sc)
        got = np.concatenate([yr.ravel(), yc.ravel()])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(sr, want[: M * (N + 1)].reshape(M, N + 1).sum(axis=1))
        np.testing.assert_allclose(sc, want[M * (N + 1) :].reshape(N, M + 1).sum(axis=1))


@pytest.mark.parametrize("k", BUILDS)
@pytest.mark.parametrize("use_cross", [False, True])
def test_line_solves_are_exact_tridiagonal_solves(k: kern.Kernels, use_cross: bool) -> None:
    """factor_lines + smooth_lines solve every row line's tridiagonal (wires −gw, the
    matrix diagonal) for q = r − A·P·y1 (+ g·cross), as a banded solve does."""
    net = _network(3)
    g, gs, gwr = net.g, net.g_start, net.gwr
    rng = np.random.default_rng(4)
    r = rng.normal(size=(M, N + 1))
    y1r, y1c = rng.normal(size=M), rng.normal(size=N)
    cross = rng.normal(size=(M, N))
    invd, bad = np.zeros((M, N + 1)), np.zeros(M)
    k.factor_lines(g, gs, gwr, invd, bad)
    assert not bad.any()
    t, ss, dots = np.zeros((M, N + 1)), np.zeros(M), np.zeros(M)
    k.smooth_lines(r, y1r, y1c, g, gs, gwr, invd, cross, use_cross, t, ss, dots)
    for i in range(M):
        diag = np.full(N + 1, 2 * gwr)
        diag[0] = gwr + gs[i]
        diag[-1] = gwr
        diag[1:] += g[i]
        q = r[i].copy()
        q[0] -= gs[i] * y1r[i]
        q[1:] -= g[i] * (y1r[i] - y1c - (cross[i] if use_cross else 0.0))
        band = np.zeros((3, N + 1))
        band[0, 1:] = band[2, :-1] = -gwr
        band[1] = diag
        want = solve_banded((1, 1), band, q)
        np.testing.assert_allclose(t[i], want, rtol=1e-10, atol=1e-14)
        assert ss[i] == pytest.approx(q.sum(), rel=1e-12, abs=1e-15)
    assert float(dots.sum()) == pytest.approx(float((r * t).sum()), rel=1e-12)


def test_a_non_positive_pivot_is_reported() -> None:
    net = _network(5)
    g = np.array(net.g)
    g[2, 3] = -1e3  # no conductance matrix has this
    invd, bad = np.zeros((M, N + 1)), np.zeros(M)
    for k in BUILDS:
        k.factor_lines(g, net.g_start, net.gwr, invd, bad)
        assert bad[2] == 1.0  # its group of four lines is flagged together
        assert not bad[4:].any()


@pytest.mark.parametrize("k", BUILDS)
def test_companion_is_the_numpy_law(k: kern.Kernels) -> None:
    """The compiled MTJ law (both layouts) gives what the numpy law gives."""
    fit = CrossbarDesign(architecture="1r", rows=M, cols=N).fit
    net = _network(6)
    xr, xc = net.xr, net.xc
    ap = (np.random.default_rng(7).random((M, N)) < 0.5).astype(float)
    cross_r = np.ascontiguousarray(xc[:, 1:].T)
    cross_c = np.ascontiguousarray(xr[:, 1:].T)
    v = xr[:, 1:] - cross_r
    i, gd = _mtj_current(fit, ap, v)
    law = (fit.r_on_ohm, fit.tmr0, fit.v_half_V)
    g, br = np.zeros((M, N)), np.zeros((M, N + 1))
    gt, bc = np.zeros((N, M)), np.zeros((N, M + 1))
    k.companion_lines(xr, cross_r, ap, *law, 1.0, g, br)
    k.companion_lines(xc, cross_c, np.ascontiguousarray(ap.T), *law, -1.0, gt, bc)
    np.testing.assert_allclose(g, gd, rtol=1e-13)
    np.testing.assert_allclose(gt, gd.T, rtol=1e-13)
    np.testing.assert_allclose(br[:, 1:], -(i - gd * v), rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(bc[:, 1:], (i - gd * v).T, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("arch", ["1r", "1t1r"])
def test_serial_and_parallel_builds_are_bit_identical(arch: str) -> None:
    design = CrossbarDesign(architecture=arch, rows=23, cols=19)  # type: ignore[arg-type]
    x, delta, states = random_inputs(23, 19, 5)
    phase = write_schedule(design, x, delta, "2phase")[0]
    out = []
    for k in BUILDS:
        with one_blas_thread():
            solver = PhaseSolver(design, phase, states)
            solver._k = k
            out.append(np.array([solver.solve(a).v_cell_V for a, _ in phase.intervals()]))
    assert np.array_equal(out[0], out[1])


def test_one_core_selects_the_serial_build_and_restores_threads() -> None:
    before = numba.get_num_threads()
    with one_core():
        assert numba.get_num_threads() == 1
        assert kern.kernels() is kern.SERIAL
    assert numba.get_num_threads() == before
