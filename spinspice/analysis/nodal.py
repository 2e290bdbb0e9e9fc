"""Fast nodal analysis of seed 002 crossbars on ``scipy.sparse``.

The solver reads the same :class:`~spinspice.array_builder.crossbar.CrossbarNetwork` that
:func:`~spinspice.array_builder.crossbar_spice.network_circuit` turns into an ngspice deck,
so the two give the same node voltages (to round-off) and can be compared cell by cell.

Nodal analysis: with G the conductance matrix of the resistors and the source nodes known,
the unknown node voltages solve G_uu·v_u = −G_uk·v_k (+ injected currents, for
the Newton companion models).

Both linear methods first remove the degree-2 nodes (1T1R cell midpoints, 1R
row-selection midpoints) by series reduction, which is exact, leaving the row and column
lines: (M·(N+1) + (M+1)·N) unknowns, recovered afterwards by voltage division. Three ways:

``direct``
    ``scipy.sparse.linalg.splu`` of the reduced matrix (geometric nested-dissection
    ordering, no pivoting: the matrix is symmetric positive definite), factorised once
    per phase and reused for every source vector of a batch (:class:`LinearSolver`).
    SuperLU's multi-right-hand-side solve makes a batch cheap: at 256×256 one 0.25 s
    factorisation, then 0.6–0.7 s for 100 vectors.
``pcg``
    Conjugate gradients on the crossbar's own structure, exact to the tolerance asked for
    (default relative residual 1e-13); the preconditioner adds the exact solve of every
    line (a tridiagonal factorisation, LAPACK ``gttrf``, once) to an exact coarse solve on
    line-constant voltages (a dense (M+N)×(M+N) LU, once). With wires far more conductive
    than cells the lines are nearly equipotential, so the coarse space captures almost all
    of the answer; 12–16 iterations from 64×64 to 256×256 and 27 at 1024×1024, each
    linear in the number of cells — this is what solves a 1024×1024 read in seconds.
``auto``
    ``direct`` up to 20 000 reduced unknowns or for batches of ≥ 8 vectors (or once the
    factorisation exists), else ``pcg``: a single vector on a large array.

Bias-dependent MTJs (:func:`solve_bias`): R_AP(V) = R_P·(1 + TMR0/(1 + (V/V_h)²)) as in the
behavioural model; Newton iterations on the companion model I ≈ I(v_k) + g_d·(v − v_k),
which series-reduces like a resistor with a source, so every iteration is one ``direct``
solve of the reduced system; from the linear solution (or a given start), until
|Δv| < 1e-12 V (or a step below 1 nV stops shrinking: round-off).

Reuse across a write phase (:class:`FactorCache`, used by ``sneak``'s ``lu`` method once
per phase; its default is :mod:`spinspice.analysis.phase_solver`, which needs no
factorisation):
consecutive Newton iterations and pulse intervals change only the MTJ companion
conductances and the few gates that switch, so instead of a factorisation each linear
solve runs CG preconditioned by the last LU, started from the present iterate and stopped
when its update is below an inexact-Newton tolerance (≤ 0.01·(last Newton step)², never
looser than 1e-4 V nor tighter than 1e-13 V); a matrix whose CG needs more than
:data:`REF_PCG_MAX` iterations is factorised and becomes the reference. The sneak voltages
agree with a factorisation per solve to ~2e-12 V (128×128 1R 2-phase, measured).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.linalg import lapack, lu_factor, lu_solve
from scipy.sparse.linalg import SuperLU, splu

from spinspice.array_builder.crossbar import (
    K_ACC,
    K_CT,
    K_DRV,
    K_MTJ,
    K_RS,
    K_WC,
    K_WR,
    BoolArray,
    CrossbarNetwork,
    FloatArray,
    mtj_resistance,
)
from spinspice.errors import ParameterError, SimulationError
from spinspice.spintronic_cells.fit import BehaviouralFit

Method = Literal["auto", "direct", "pcg"]
#: Up to this many reduced unknowns ``auto`` always uses ``direct``.
AUTO_DIRECT_LIMIT = 20_000
#: Batches of at least this many source vectors use ``direct`` under ``auto``: one
#: factorisation (0.25 s at 256×256) then ~7 ms per vector, against ~0.1 s per vector for
#: PCG (measured at 256×256).
AUTO_BATCH = 8
#: Source vectors solved together (SuperLU and PCG work on blocks of this many).
SOLVE_BLOCK = 16
#: CG iterations preconditioned by a reference LU before a solver factorises its own matrix.
REF_PCG_MAX = 6
#: That CG stops when its last update moves no voltage by more than this × max |source|.
REF_PCG_STEP_V = 1e-13
#: Bound (exclusive) on the relative residual at which PCG stops, dimensionless; our choice:
#: a residual stop is not an error bound (with 1 µΩ drivers PCG's output currents are 5e-7
#: relative off at 256×256, docs/engineering_facts.md §7), so loose ones are refused.
MAX_RTOL: Final = 1e-3
#: Most PCG iterations of one block solve before it fails; our choice: a safety bound far
#: above the 12–27 iterations the preconditioned runs take up to 1024×1024 (module docstring).
PCG_MAX_ITER: Final = 2000
#: A bias-dependent Newton step below this that is at least half the previous one means
#: the quadratic convergence has ended in round-off, V; our choice: far below any cell
#: voltage of interest.
NEWTON_ROUNDOFF_STEP_V: Final = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class NodalSolution:
    """Node voltages of one network for K source vectors.

    Attributes
    ----------
    network:
        The solved description.
    v_node_V:
        Node voltages (n_nodes, K), V.
    v_cell_V:
        MTJ voltages V(row side) − V(column side), (M, N, K), V.
    i_cell_A:
        MTJ currents from row side to column side, (M, N, K), A.
    method:
        How it was solved.
    iterations:
        PCG or Newton iterations (0 for a direct linear solve).
    elapsed_s:
        Wall-clock time of assembly, factorisation and solve, s.
    """

    network: CrossbarNetwork
    v_node_V: FloatArray
    v_cell_V: FloatArray
    i_cell_A: FloatArray
    method: str
    iterations: int
    elapsed_s: float


def _sources(net: CrossbarNetwork, source_V: FloatArray | None) -> FloatArray:
    v = net.src_V[:, None] if source_V is None else np.asarray(source_V, float)
    if v.ndim == 1:
        v = v[:, None]
    if v.shape[0] != net.src_node.size or not np.all(np.isfinite(v)):
        raise ParameterError(f"source values must be finite with {net.src_node.size} rows")
    return v


def _cell_values(
    net: CrossbarNetwork,
    v_t: FloatArray,
    bias: bool,
    out: tuple[FloatArray, FloatArray] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """MTJ voltages and currents (K, M, N) from vector-major node voltages (K, n_nodes).

    ``out``: arrays (K, M, N) to write them into.
    """
    vc: FloatArray = np.take(v_t, net.cell_a, axis=1, out=None if out is None else out[0])
    vc -= np.take(v_t, net.cell_b, axis=1)
    if bias:
        r = mtj_resistance(net.design.fit, net.states_ap[None], vc)
    else:
        r = net.res_ohm[net.mtj_res][None]
    ic: FloatArray = np.divide(vc, r, out=None if out is None else out[1])
    return vc, ic


def _nested_dissection(
    x: NDArray[np.int64], y: NDArray[np.int64], x_wired: NDArray[np.bool_], leaf: int = 16
) -> NDArray[np.intp]:
    """Nested-dissection ordering of nodes on an integer grid, as a permutation.

    For graphs whose edges join nodes at the same site, or neighbouring sites along x
    between two ``x_wired`` nodes, or along y between two other nodes (the reduced
    crossbar: row-line nodes are wired along x, column-line nodes along y, a cell joins the
    two nodes of one site). Each box of sites is bisected across its longer side at the
    middle line; only that line's nodes wired across the cut connect the halves, so they
    alone form the separator and are numbered after both halves (the line's other nodes
    join the first half), recursively, until a box holds at most ``leaf`` nodes. All boxes
    of one level are processed at once: every node's place in the recursion is a base-3 key
    (0 first half, 1 second half, 2 separator), and the post-order is the sorted keys.

    scipy's SuperLU offers only minimum-degree orderings; on this planar-like graph this
    dissection needs 45 % less fill than ``MMD_AT_PLUS_A`` (5.4 M against 9.9 M entries in
    L + U), factorises 3.5× faster and solves 1.7–2× faster (256×256, measured).
    """
    n = x.size
    x0, x1 = np.full(n, x.min()), np.full(n, x.max())
    y0, y1 = np.full(n, y.min()), np.full(n, y.max())
    key = np.zeros(n, np.int64)
    live = np.ones(n, bool)
    while live.any():
        key *= 3
        wx, wy = x1 - x0, y1 - y0
        # a box stops at ``leaf`` nodes, and at one site (it could not shrink further)
        live &= (2 * (wx + 1) * (wy + 1) > leaf) & ((wx > 0) | (wy > 0))
        along_x = wx >= wy
        c = np.where(along_x, x, y)
        mid = (np.where(along_x, x0, y0) + np.where(along_x, x1, y1)) // 2
        sep = live & (c == mid) & (x_wired == along_x)
        first = live & ~sep & (c <= mid)
        second = live & (c > mid)
        key[second] += 1
        key[sep] += 2
        for lo, hi, sel in ((x0, x1, along_x), (y0, y1, ~along_x)):
            hi[first & sel] = mid[first & sel]
            lo[second & sel] = mid[second & sel] + 1
        live &= ~sep
    perm: NDArray[np.intp] = np.argsort(key, kind="stable")
    return perm


def _line_numbering(m: int, n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Reduced numbering of an M×N crossbar: row lines row-major, (M, N+1), then column
    lines column-major, (M+1, N). Cell (i, j) joins row node [i, j+1] and column node
    [i+1, j]; [i, 0] is a row's driver end, [0, j] a column's sense end."""
    n_row = m * (n + 1)
    rr = np.arange(n_row).reshape(m, n + 1)
    cc = n_row + np.arange((m + 1) * n).reshape(n, m + 1).T
    return rr, cc


@functools.lru_cache(maxsize=8)
def _reduced_order(m: int, n: int) -> NDArray[np.intp]:
    """Nested-dissection order of an M×N crossbar's reduced unknowns (read-only, cached).

    Numbering of :func:`_line_numbering`; the two nodes a cell (i, j) joins sit at grid
    site (x, y) = (j, i).
    """
    rr, cc = _line_numbering(m, n)
    n_row = rr.size
    xy = np.empty((2, n_row + cc.size), np.int64)
    xy[0, rr] = np.arange(n + 1)[None, :] - 1
    xy[1, rr] = np.arange(m)[:, None]
    xy[0, cc] = np.arange(n)[None, :]
    xy[1, cc] = np.arange(m + 1)[:, None] - 1
    x_wired = np.arange(xy.shape[1]) < n_row  # row lines run along x
    perm = _nested_dissection(xy[0], xy[1], x_wired)
    perm.flags.writeable = False
    return perm


class _Pattern(NamedTuple):
    """Sparsity of an M×N crossbar's reduced matrix (numbering of :func:`_line_numbering`):
    wire pairs (a, b), cell pairs (ca, cb), and the CSR order of the entry list
    [a→b, b→a, ca→cb, cb→ca, diagonal] (no duplicates)."""

    rr: NDArray[np.intp]
    cc: NDArray[np.intp]
    a: NDArray[np.intp]
    b: NDArray[np.intp]
    ca: NDArray[np.intp]
    cb: NDArray[np.intp]
    order: NDArray[np.intp]
    indices: NDArray[np.int32]
    indptr: NDArray[np.int32]


@functools.lru_cache(maxsize=8)
def _reduced_pattern(m: int, n: int) -> _Pattern:
    rr, cc = _line_numbering(m, n)
    n_tot = rr.size + cc.size
    a = np.concatenate([rr[:, :-1].ravel(), cc[:-1, :].ravel()])
    b = np.concatenate([rr[:, 1:].ravel(), cc[1:, :].ravel()])
    ca, cb = rr[:, 1:].ravel(), cc[1:, :].ravel()
    diag = np.arange(n_tot)
    rows = np.concatenate([a, b, ca, cb, diag])
    cols = np.concatenate([b, a, cb, ca, diag])
    order = np.lexsort((cols, rows)).astype(np.intp)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_tot))])
    out = _Pattern(
        rr, cc, a, b, ca, cb, order, cols[order].astype(np.int32), indptr.astype(np.int32)
    )
    for arr in out:
        arr.flags.writeable = False
    return out


def coarse_matrix(g_start: FloatArray, g_end: FloatArray, g_cell: FloatArray) -> FloatArray:
    """PᵀAP of the reduced system on line-constant voltages, (M+N)², S: rows first, then
    columns; wires carry no current between constant voltages, so only the cells (−g) and
    the line ends' terminals (row starts ``g_start`` (M,), column ends ``g_end`` (N,))
    remain."""
    m, n = g_cell.shape
    ac = np.zeros((m + n, m + n))
    ac[np.arange(m), np.arange(m)] = g_start + g_cell.sum(axis=1)
    ac[m + np.arange(n), m + np.arange(n)] = g_end + g_cell.sum(axis=0)
    ac[:m, m:] = -g_cell
    ac[m:, :m] = -g_cell.T
    return ac


class _Preconditioner(NamedTuple):
    """PCG preconditioner: tridiagonal line factors (``gttrf``), line map, coarse LU."""

    lines: tuple[FloatArray, ...]
    p: sp.csr_matrix
    coarse: tuple[FloatArray, FloatArray]


class LinearSolver:
    """One network's reduced conductance matrix, solved for many source vectors.

    The matrix is built (series reduction, module docstring) once; the PCG preconditioner
    and the sparse LU are each made on first use and then reused, so a batch of K source
    vectors pays for one factorisation.

    Parameters
    ----------
    net:
        The network (its resistances fix the matrix; its source values are the default
        right-hand side).
    method:
        ``auto``, ``direct`` or ``pcg`` (module docstring).
    rtol:
        Relative residual at which PCG stops.
    mtj_companion:
        ``(g_S, j_A)``, each (M, N): replace every MTJ by the linearised element
        I(row side → column side) = j + g·V (the Newton companion model of
        :func:`solve_bias`); default: the resistances of the description (j = 0).
    """

    def __init__(
        self,
        net: CrossbarNetwork,
        method: Method = "auto",
        *,
        rtol: float = 1e-13,
        mtj_companion: tuple[FloatArray, FloatArray] | None = None,
        preconditioner: LinearSolver | None = None,
        start_V: FloatArray | None = None,
        ref_tol_V: float | None = None,
    ) -> None:
        if method not in ("auto", "direct", "pcg"):
            raise ParameterError(f"method must be auto, direct or pcg, got {method!r}")
        if not 0 < rtol < MAX_RTOL:
            raise ParameterError(f"rtol must be in (0, 1e-3), got {rtol}")
        t0 = time.perf_counter()
        self.net = net
        self.rtol = rtol
        self.requested: Method = method
        #: Method of the last solve (``direct`` or ``pcg``) and its PCG iterations.
        self.method: str = method
        self.iterations = 0
        self._lu: SuperLU | None = None
        self._pos: NDArray[np.intp] = np.empty(0, np.intp)
        self._perm: NDArray[np.intp] = np.empty(0, np.intp)
        self._precond: _Preconditioner | None = None
        #: A factorised solver of a nearby matrix of the same crossbar (see ``direct``).
        self._ref = preconditioner if preconditioner is not None else None
        if self._ref is not None and (
            self._ref._lu is None or self._ref.net.design.shape != net.design.shape
        ):
            self._ref = None
        #: Preconditioned CG iterations of the last direct solve (0: own factorisation).
        self.ref_iterations = 0
        #: Node voltages (n_nodes,) that start that CG (a nearby solution), or None.
        self._start = None if start_V is None else np.asarray(start_V, float)
        #: Absolute update at which that CG stops, V (default REF_PCG_STEP_V × max |source|).
        self._ref_tol = ref_tol_V
        self._setup_reduced(mtj_companion)
        self.setup_s = time.perf_counter() - t0

    def _choose(self, k: int) -> str:
        if self.requested != "auto":
            return self.requested
        small = self._A.shape[0] <= AUTO_DIRECT_LIMIT
        return "direct" if small or k >= AUTO_BATCH or self._lu is not None else "pcg"

    # ------------------------------------------------------------------ reduced system
    def _setup_reduced(self, companion: tuple[FloatArray, FloatArray] | None) -> None:
        net = self.net
        d = net.design
        m, n = d.shape
        g_all = 1.0 / net.res_ohm
        kind = net.res_kind
        if companion is None:
            g_mtj, j_mtj = g_all[net.mtj_res], np.zeros((m, n))
        else:
            g_mtj, j_mtj = (np.asarray(c, float) for c in companion)
            if g_mtj.shape != (m, n) or j_mtj.shape != (m, n) or not np.all(g_mtj > 0):
                raise ParameterError(f"MTJ companion model must be two ({m}, {n}) arrays, g > 0")
        self._g_mtj, self._j_mtj = g_mtj, j_mtj
        # series reduction of the degree-2 nodes; in 1T1R the MTJ (j + g·V) in series with
        # the access conductance g_a is j·g_a/(g + g_a) + g·g_a/(g + g_a)·V
        r_drv = net.res_ohm[kind == K_DRV]
        if d.architecture == "1r":
            r_start = r_drv + net.res_ohm[kind == K_RS]
            g_cell, j_cell = g_mtj, j_mtj
        else:
            r_start = r_drv
            g_acc = g_all[kind == K_ACC].reshape(m, n)
            g_cell = g_mtj * g_acc / (g_mtj + g_acc)
            j_cell = j_mtj * g_acc / (g_mtj + g_acc)
        g_start = 1.0 / r_start
        g_end = g_all[kind == K_CT]
        g_wr = g_all[kind == K_WR].reshape(m, n)
        g_wc = g_all[kind == K_WC].reshape(m, n)
        pat = _reduced_pattern(m, n)
        rr, cc, a, b, ca, cb = pat.rr, pat.cc, pat.a, pat.b, pat.ca, pat.cb
        n_tot = rr.size + cc.size
        gw = np.concatenate([g_wr.ravel(), g_wc.ravel()])
        gc = g_cell.ravel()
        diag = np.bincount(a, gw, n_tot) + np.bincount(b, gw, n_tot)
        diag += np.bincount(ca, gc, n_tot) + np.bincount(cb, gc, n_tot)
        diag[rr[:, 0]] += g_start
        diag[cc[0, :]] += g_end
        vals = np.concatenate([-gw, -gw, -gc, -gc, diag])
        # the pattern (and its CSR order) depends on the shape only: cached
        self._A = sp.csr_matrix((vals[pat.order], pat.indices, pat.indptr), shape=(n_tot, n_tot))
        self._diag, self._wire = diag, (a, b, gw)
        self._rr, self._cc = rr, cc
        self._node_of = np.empty(n_tot, np.intp)  # node of the description
        self._node_of[rr] = net.row_nodes
        self._node_of[cc] = net.col_nodes
        self._node_of_perm = self._node_of
        self._g_start, self._g_end, self._g_cell = g_start, g_end, g_cell
        # companion sources: j leaves the row node and enters the column node
        self._inject = np.zeros(n_tot)
        if np.any(j_cell):
            self._inject[rr[:, 1:]] -= j_cell
            self._inject[cc[1:, :]] += j_cell

    def _rhs(self, vk: FloatArray, pos: NDArray[np.intp] | None = None) -> FloatArray:
        """Right-hand sides (n_reduced, K) for sources (n_sources, K).

        With ``pos`` (the position of each reduced node in a permuted numbering) the rows
        are permuted and the array is Fortran-ordered, as SuperLU wants it.
        """
        m = self.net.design.rows
        rows_d, rows_s = self._rr[:, 0], self._cc[0, :]
        if pos is not None:
            rows_d, rows_s = pos[rows_d], pos[rows_s]
        b = np.zeros((self._A.shape[0], vk.shape[1]), order="C" if pos is None else "F")
        if np.any(self._inject):
            b += (self._inject if pos is None else self._inject[self._perm])[:, None]
        b[rows_d] += self._g_start[:, None] * vk[:m]
        b[rows_s] += self._g_end[:, None] * vk[m:]
        return b

    def _expand(self, vk: FloatArray, v_t: FloatArray) -> None:
        """Complete ``v_t`` (K, n_nodes), whose line nodes are solved: sources, midpoints."""
        net = self.net
        v_t[:, net.src_node] = vk.T
        kind = net.res_kind
        if net.design.architecture == "1r":
            # s_i between the driver (d_i) and the row-selection transistor (r_i0)
            drv = np.flatnonzero(kind == K_DRV)
            rs = np.flatnonzero(kind == K_RS)
            r1 = net.res_ohm[drv]
            r2 = net.res_ohm[rs]
            vd = v_t[:, net.res_a[drv]]
            v0 = v_t[:, net.res_b[rs]]
            v_t[:, net.res_a[rs]] = vd + (v0 - vd) * (r1 / (r1 + r2))
        else:
            # midpoint: KCL j + g·(V_a − V_m) = g_a·(V_m − V_col)
            acc = np.flatnonzero(kind == K_ACC)
            g = self._g_mtj.ravel()
            j = self._j_mtj.ravel()
            g_a = 1.0 / net.res_ohm[acc]
            va = v_t[:, net.cell_a.ravel()]
            vcol = v_t[:, net.res_b[acc]]
            v_t[:, net.res_a[acc]] = (j + g * va + g_a * vcol) / (g + g_a)

    # ------------------------------------------------------------------ direct
    def _solve_ref_pcg(self, vk: FloatArray) -> FloatArray | None:
        """Reduced solution (n, K) by CG preconditioned with the reference LU, or None if
        it needs more than :data:`REF_PCG_MAX` iterations (then the caller factorises).

        Stops when the last update changed no voltage by more than ``ref_tol_V`` (default
        :data:`REF_PCG_STEP_V` × max |source|): an error criterion — the preconditioned
        iteration contracts by ≥ 10× per step here, so the remaining error is below the
        last update.
        """
        ref = self._ref
        assert ref is not None and ref._lu is not None
        lu, perm = ref._lu, ref._perm
        b = self._rhs(vk)
        x = np.zeros_like(b)
        if self._start is not None and b.shape[1] == 1:
            x[:, 0] = self._start[self._node_of]
        r = b - self._A @ x

        def prec(res: FloatArray) -> FloatArray:
            z = np.empty_like(res)
            z[perm] = lu.solve(np.asfortranarray(res[perm]))
            return z

        z = prec(r)
        p = z.copy()
        rz = np.einsum("ij,ij->j", r, z)
        tol = (
            self._ref_tol
            if self._ref_tol is not None
            else REF_PCG_STEP_V * max(float(np.max(np.abs(vk))), 1e-30)
        )
        for it in range(1, REF_PCG_MAX + 1):
            ap = self._A @ p
            pap = np.einsum("ij,ij->j", p, ap)
            alpha = np.divide(rz, pap, out=np.zeros_like(rz), where=pap != 0)
            upd = alpha * p
            x += upd
            r -= alpha * ap
            if float(np.max(np.abs(upd))) <= tol:
                self.ref_iterations = max(self.ref_iterations, it)
                return x
            z = prec(r)
            rz_new = np.einsum("ij,ij->j", r, z)
            beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz != 0)
            p = z + beta * p
            rz = rz_new
        return None

    def _solve_direct(self, vk: FloatArray, v_t: FloatArray) -> None:
        """Line-node voltages into ``v_t`` (K, n_nodes)."""
        if self._lu is None and self._ref is not None:
            x = self._solve_ref_pcg(vk)
            if x is not None:
                v_t[:, self._node_of] = x.T
                return
            self._ref = None  # too far from the reference: factorise this matrix
        if self._lu is None:
            # symmetric positive definite: symmetric (nested-dissection) order, no pivoting
            self._perm = perm = _reduced_order(*self.net.design.shape)
            self._pos = np.empty_like(perm)
            self._pos[perm] = np.arange(perm.size)
            self._node_of_perm = self._node_of[perm]
            self._lu = splu(
                self._A[perm][:, perm].tocsc(),
                permc_spec="NATURAL",
                diag_pivot_thresh=0.0,
                options={"SymmetricMode": True},
            )
        # SuperLU returns a Fortran-ordered (n, K): its transpose is C-ordered (K, n)
        v_t[:, self._node_of_perm] = self._lu.solve(self._rhs(vk, self._pos)).T

    # ------------------------------------------------------------------ structured PCG
    def _setup_prec(self) -> _Preconditioner:
        m, n = self.net.design.shape
        n_tot = self._A.shape[0]
        a, b, gw = self._wire
        g_cell = self._g_cell
        # line preconditioner: tridiagonal (wires + full diagonal); wire pairs are
        # consecutive in the numbering, entries (k+1, k)
        lower = np.zeros(n_tot - 1)
        lower[np.minimum(a, b)] = -gw
        dl, dd, du, du2, ipiv, info = lapack.dgttrf(lower.copy(), self._diag.copy(), lower.copy())
        if info != 0:
            raise SimulationError(f"line factorisation failed (LAPACK info {info})")
        # coarse space: one constant per line
        lines = np.concatenate([np.repeat(np.arange(m), n + 1), m + np.repeat(np.arange(n), m + 1)])
        p = sp.csr_matrix((np.ones(n_tot), (np.arange(n_tot), lines)), shape=(n_tot, m + n))
        ac = coarse_matrix(self._g_start, self._g_end, g_cell)
        return _Preconditioner((dl, dd, du, du2, ipiv), p, lu_factor(ac, check_finite=False))

    def _prec(self, r: FloatArray) -> FloatArray:
        if self._precond is None:
            self._precond = self._setup_prec()
        pc = self._precond
        z, _ = lapack.dgttrs(*pc.lines, r)
        out: FloatArray = z + pc.p @ lu_solve(pc.coarse, pc.p.T @ r, check_finite=False)
        return out

    def _solve_pcg(self, b: FloatArray) -> FloatArray:
        x = np.zeros_like(b)
        res = b.copy()
        bn = np.linalg.norm(b, axis=0)
        bn[bn == 0] = 1.0
        z = self._prec(res)
        p = z.copy()
        rz = np.einsum("ij,ij->j", res, z)
        it = 0
        while it < PCG_MAX_ITER:
            it += 1
            ap = self._A @ p
            alpha = rz / np.einsum("ij,ij->j", p, ap)
            x += alpha * p
            res -= alpha * ap
            if np.all(np.linalg.norm(res, axis=0) <= self.rtol * bn):
                break
            z = self._prec(res)
            rz_new = np.einsum("ij,ij->j", res, z)
            p = z + (rz_new / rz) * p
            rz = rz_new
        else:
            raise SimulationError(  # pragma: no cover
                f"PCG did not converge in {PCG_MAX_ITER} iterations"
            )
        self.iterations = max(self.iterations, it)
        return x

    # ------------------------------------------------------------------ public
    def solve(self, source_V: FloatArray | None = None) -> NodalSolution:
        """Node voltages for source values (n_sources,) or (n_sources, K).

        ``elapsed_s`` of the first solve includes building the reduced matrix, and of the
        first solve by each method its factorisation.
        """
        t0 = time.perf_counter()
        net = self.net
        vk = _sources(net, source_V)
        k = vk.shape[1]
        self.method = self._choose(k)
        self.iterations = 0
        # vector-major storage, so that each block is written contiguously; the results
        # are views with the documented shapes
        v_t = np.empty((k, net.n_nodes))
        vc_t = np.empty((k, *net.design.shape))
        ic_t = np.empty_like(vc_t)
        # blocks of SOLVE_BLOCK vectors keep the temporaries small (cache, no page faults)
        for lo in range(0, k, SOLVE_BLOCK):
            sl = slice(lo, min(k, lo + SOLVE_BLOCK))
            if self.method == "direct":
                self._solve_direct(vk[:, sl], v_t[sl])
            else:
                v_t[sl, self._node_of] = self._solve_pcg(self._rhs(vk[:, sl])).T
            self._expand(vk[:, sl], v_t[sl])
            _cell_values(net, v_t[sl], False, (vc_t[sl], ic_t[sl]))
        v = v_t.T
        vc = np.moveaxis(vc_t, 0, -1)
        ic = np.moveaxis(ic_t, 0, -1)
        setup, self.setup_s = self.setup_s, 0.0
        return NodalSolution(
            self.net,
            v,
            vc,
            ic,
            self.method,
            self.iterations,
            setup + time.perf_counter() - t0,
        )


def solve_linear(
    net: CrossbarNetwork, source_V: FloatArray | None = None, *, method: Method = "auto"
) -> NodalSolution:
    """Solve the linear description once (see :class:`LinearSolver`)."""
    return LinearSolver(net, method).solve(source_V)


def _mtj_current(
    fit: BehaviouralFit, ap: BoolArray, v: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """I(V) and dI/dV of the behavioural MTJ (state pinned)."""
    r = mtj_resistance(fit, ap, v)
    dr = fit.resistance_dv(ap, v)
    i = v / r
    gd = 1.0 / r - v * dr / (r * r)
    return i, gd


@dataclass(slots=True)
class FactorCache:
    """The last factorised reduced system of a sequence of nearby solves (the Newton
    iterations and pulse intervals of one write phase), shared through ``solve_bias``.

    Each later solve runs CG preconditioned by this LU (a few triangular solves instead of
    a factorisation: consecutive matrices differ by the MTJ companion conductances and
    the few gates that switch) and factorises — becoming the new reference — only when
    CG needs more than :data:`REF_PCG_MAX` iterations.

    Attributes
    ----------
    solver:
        The reference (None before the first factorisation).
    factorizations, pcg_solves:
        Counts of factorisations made and of solves done by preconditioned CG.
    """

    solver: LinearSolver | None = None
    factorizations: int = 0
    pcg_solves: int = 0

    def solve(
        self,
        net: CrossbarNetwork,
        companion: tuple[FloatArray, FloatArray] | None,
        start_V: FloatArray | None = None,
        tol_V: float | None = None,
    ) -> FloatArray:
        """Node voltages (n_nodes,) of ``net`` with the MTJ ``companion`` model; CG starts
        from ``start_V`` (e.g. the present Newton iterate) and stops at ``tol_V``."""
        ls = LinearSolver(
            net,
            "direct",
            mtj_companion=companion,
            preconditioner=self.solver,
            start_V=start_V,
            ref_tol_V=tol_V,
        )
        v: FloatArray = ls.solve().v_node_V[:, 0]
        if ls._lu is not None:
            self.solver = ls
            self.factorizations += 1
        else:
            self.pcg_solves += 1
        return v


def solve_bias(
    net: CrossbarNetwork,
    *,
    tol_V: float = 1e-12,
    max_iter: int = 50,
    start_V: FloatArray | None = None,
    factor_cache: FactorCache | None = None,
) -> NodalSolution:
    """Newton solve with bias-dependent MTJ resistances (module docstring).

    Each iteration solves the reduced system (``direct``) with every MTJ replaced by its
    companion model at the present voltages. ``start_V``: node voltages (n_nodes,) to
    start from, e.g. the solution of a neighbouring time interval; default: the linear
    solution. ``factor_cache``: share factorisations with earlier solves of the same
    crossbar (:class:`FactorCache`; ``sneak`` passes one per phase); without it every
    iteration factorises.

    Raises
    ------
    SimulationError
        If Newton does not converge within ``max_iter`` iterations.
    """
    t0 = time.perf_counter()
    fit = net.design.fit
    ap = net.states_ap
    cache = factor_cache if factor_cache is not None else FactorCache()
    if start_V is None:
        v = cache.solve(net, None)
    else:
        v = np.array(start_V, dtype=float)
        if v.shape != (net.n_nodes,) or not np.all(np.isfinite(v)):
            raise ParameterError(f"start_V must be {net.n_nodes} finite node voltages")
    it = 0
    last = np.inf
    while it < max_iter:
        it += 1
        vc = v[net.cell_a] - v[net.cell_b]
        i, gd = _mtj_current(fit, ap, vc)
        companion = (gd, i - gd * vc)  # I(a → b) ≈ j + g_d·V
        # inexact Newton: the inner CG need only beat the quadratic convergence
        # (error ≈ last step²), never looser than 1e-4 V nor tighter than tol_V/10
        inner = max(0.1 * tol_V, min(1e-4, 0.01 * last * last))
        v_new = cache.solve(net, companion, v, inner)
        step = float(np.max(np.abs(v_new - v)))
        v = v_new
        # quadratic convergence ends in round-off: stop at the tolerance or when a small
        # step stops shrinking
        if step < tol_V or (step < NEWTON_ROUNDOFF_STEP_V and step >= 0.5 * last):
            break
        last = step
    else:
        raise SimulationError(f"Newton solve did not converge in {max_iter} iterations")
    vc2, ic2 = _cell_values(net, v[None], bias=True)
    return NodalSolution(
        net,
        v[:, None],
        np.moveaxis(vc2, 0, -1),
        np.moveaxis(ic2, 0, -1),
        "newton",
        it,
        time.perf_counter() - t0,
    )


def cell_voltages_from(
    net: CrossbarNetwork, node_V: dict[str, float], prefix: str = ""
) -> FloatArray:
    """MTJ voltages (M, N) from a name → voltage map (e.g. an ngspice ``.op`` plot)."""
    names = net.node_names(prefix)

    def get(k: int) -> float:
        key = names[k].lower()
        if key not in node_V:
            raise ParameterError(f"no voltage for node {names[k]}")
        return node_V[key]

    va = np.vectorize(get, otypes=[float])(net.cell_a)
    vb = np.vectorize(get, otypes=[float])(net.cell_b)
    out: FloatArray = va - vb
    return out


__all__ = [
    "K_MTJ",
    "FactorCache",
    "LinearSolver",
    "NodalSolution",
    "cell_voltages_from",
    "solve_bias",
    "solve_linear",
]
