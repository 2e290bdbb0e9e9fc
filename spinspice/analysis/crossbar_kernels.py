"""Compiled kernels (numba) of the reduced crossbar system that the interval solver
(:mod:`spinspice.analysis.phase_solver`) iterates on.

The reduced system of an M×N crossbar (:mod:`spinspice.analysis.nodal`: series reduction
of the degree-2 nodes) has two kinds of unknowns, stored as two C-contiguous arrays:

* row lines ``xr`` (M, N+1): ``xr[i, 0]`` is row i's driver end (conductance
  ``g_start[i]`` to its source), ``xr[i, k+1]`` the row side of cell (i, k);
* column lines ``xc`` (N, M+1), one column per row of the array: ``xc[j, 0]`` is column
  j's terminal end (conductance ``g_end[j]`` to ground), ``xc[j, i+1]`` the column side of
  cell (i, j).

Every kernel works on the lines of one direction (``*_lines``: rows, or columns with the
roles swapped), so one code serves both: a line ``a`` has L+1 nodes, node 0 its end
conductance ``g_end[a]`` (g_start for rows) and node h ≥ 1 the cell of conductance
``gl[a, h−1]`` to the other direction's line; neighbours are joined by wires of
conductance ``gw`` (the same for every segment: :class:`~spinspice.array_builder.crossbar.
CrossbarDesign` has one wire resistance per direction). ``cross[a, h−1]`` is the voltage
at the other end of that cell (the other direction's lines transposed, which numpy copies
fast; reading them strided here was the slowest part). Conductances in S, voltages in V,
currents in A; A is the nodal conductance matrix (symmetric positive definite).

Why compiled: at 1024×1024 every vector has 2.1 M entries (17 MB), so a CG iteration is
bound by memory traffic, and numpy's one operation per pass (about 30 passes per
iteration with the temporaries) was what cost the time; each kernel here is one pass
doing the work of several, and the tridiagonal recurrences of four lines run interleaved.

Two builds of every kernel: :data:`SERIAL` and :data:`PARALLEL` (numba ``prange`` over the
lines, numba's threads). Each line is computed the same way by either, and reductions go
through per-line partial results summed in line order, so both give bit-identical results
whatever the number of threads.

The MTJ law inside ``companion_lines`` is the compiled form of the one Python law,
:func:`~spinspice.spintronic_cells.mtj.stt_resistance_ohm` and its derivative (numba
compiles those functions themselves; ``tests/analysis/test_crossbar_kernels.py`` compares
with the numpy evaluation). numba's on-disk cache does not notice edits to those
functions' module: delete ``spinspice/analysis/__pycache__/crossbar_kernels*.nb*`` after
changing the law.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numba
import numpy as np
from numba import prange

from spinspice.spintronic_cells.mtj import stt_resistance_dv, stt_resistance_ohm

#: LLVM may reorder sums (so reductions vectorise) and fuse multiply-adds; no assumption
#: about NaN or infinity.
_FAST: Final = {"reassoc", "contract"}

_r_law = numba.njit(stt_resistance_ohm, cache=True)
_dr_law = numba.njit(stt_resistance_dv, cache=True)

Array = np.ndarray[Any, np.dtype[np.float64]]


def _companion_lines(
    xl: Array,
    cross: Array,
    apl: Array,
    r_p: float,
    tmr0: float,
    v_h: float,
    sign: float,
    gl: Array,
    bl: Array,
) -> None:
    """Newton companion of every MTJ of a 1R crossbar, in one direction's layout: the
    MTJ voltage V (row side − column side) is sign·(xl[a, h+1] − cross[a, h]) (sign +1
    on the rows, −1 on the columns), its current I = V/R(ap, V) of
    :func:`~spinspice.spintronic_cells.mtj.stt_resistance_ohm` ≈ j + g·V with g = dI/dV;
    g into ``gl``, the companion source into the right-hand side (−j leaves the row
    node, +j enters the column node: bl[a, h+1] = −sign·j)."""
    nl, ln = gl.shape
    for a in prange(nl):
        for h in range(ln):
            v = sign * (xl[a, h + 1] - cross[a, h])
            st = apl[a, h]
            r = _r_law(r_p, tmr0, v_h, st, v)
            dr = _dr_law(r_p, tmr0, v_h, st, v)
            gd = 1.0 / r - v * dr / (r * r)
            gl[a, h] = gd
            bl[a, h + 1] = -sign * (v / r - gd * v)


def _factor_one_py(gl: Array, g_end: Array, gw: float, invd: Array, a: int) -> bool:
    """:func:`_factor_lines` for line ``a`` alone; False if a pivot is not positive."""
    ln = gl.shape[1]
    gw2 = gw * gw
    d = gw + g_end[a]
    ok = d > 0.0
    inv = 1.0 / d
    invd[a, 0] = inv
    for h in range(1, ln):
        d = 2.0 * gw + gl[a, h - 1] - gw2 * inv
        ok = ok and d > 0.0
        inv = 1.0 / d
        invd[a, h] = inv
    d = gw + gl[a, ln - 1] - gw2 * inv
    invd[a, ln] = 1.0 / d
    return bool(ok and d > 0.0)


_factor_one = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)(
    _factor_one_py
)


def _factor_lines(gl: Array, g_end: Array, gw: float, invd: Array, bad: Array) -> None:
    """LDLᵀ inverse pivots 1/d_h of every line's tridiagonal (diagonal of A on the line,
    off-diagonal −gw) into ``invd``, four lines interleaved (each pivot waits for the
    last division); ``bad[a]`` = 1 if a pivot of line a, or of another line of its group
    of four, is not positive."""
    nl, ln = gl.shape
    gw2 = gw * gw
    groups = nl // 4
    for q4 in prange(groups):
        a0 = 4 * q4
        a1, a2, a3 = a0 + 1, a0 + 2, a0 + 3
        d0, d1, d2, d3 = gw + g_end[a0], gw + g_end[a1], gw + g_end[a2], gw + g_end[a3]
        mn = min(d0, d1, d2, d3)
        i0, i1, i2, i3 = 1.0 / d0, 1.0 / d1, 1.0 / d2, 1.0 / d3
        invd[a0, 0], invd[a1, 0], invd[a2, 0], invd[a3, 0] = i0, i1, i2, i3
        for h in range(1, ln + 1):
            wires = 2.0 * gw if h < ln else gw
            d0 = wires + gl[a0, h - 1] - gw2 * i0
            d1 = wires + gl[a1, h - 1] - gw2 * i1
            d2 = wires + gl[a2, h - 1] - gw2 * i2
            d3 = wires + gl[a3, h - 1] - gw2 * i3
            mn = min(mn, d0, d1, d2, d3)
            i0, i1, i2, i3 = 1.0 / d0, 1.0 / d1, 1.0 / d2, 1.0 / d3
            invd[a0, h], invd[a1, h], invd[a2, h], invd[a3, h] = i0, i1, i2, i3
        flag = 0.0 if mn > 0.0 else 1.0
        bad[a0] = bad[a1] = bad[a2] = bad[a3] = flag
    for a in range(4 * groups, nl):
        bad[a] = 0.0 if _factor_one(gl, g_end, gw, invd, a) else 1.0


def _residual_lines(
    xl: Array,
    cross: Array,
    gl: Array,
    g_end: Array,
    gw: float,
    bl: Array,
    yl: Array,
    sl: Array,
) -> None:
    """One direction's rows of b − A·x into ``yl``, their line sums into ``sl``."""
    nl, ln = gl.shape
    for a in prange(nl):
        v = bl[a, 0] - ((g_end[a] + gw) * xl[a, 0] - gw * xl[a, 1])
        yl[a, 0] = v
        s = v
        for h in range(1, ln):
            xh = xl[a, h]
            gc = gl[a, h - 1]
            v = bl[a, h] - (
                (gc + 2.0 * gw) * xh - gw * (xl[a, h - 1] + xl[a, h + 1]) - gc * cross[a, h - 1]
            )
            yl[a, h] = v
            s += v
        gc = gl[a, ln - 1]
        v = bl[a, ln] - ((gc + gw) * xl[a, ln] - gw * xl[a, ln - 1] - gc * cross[a, ln - 1])
        yl[a, ln] = v
        sl[a] = s + v


def _smooth_one_py(
    rl: Array,
    y1l: Array,
    y1o: Array,
    gl: Array,
    g_end: Array,
    gw: float,
    invd: Array,
    cross: Array,
    use_cross: bool,
    tl: Array,
    ssl: Array,
    a: int,
) -> float:
    """:func:`_smooth_lines` for line ``a`` alone; returns its part of r·t."""
    ln = gl.shape[1]
    ya = y1l[a]
    w = rl[a, 0] - g_end[a] * ya
    tot = w
    tl[a, 0] = w
    for h in range(1, ln + 1):
        c = cross[a, h - 1] if use_cross else 0.0
        q = rl[a, h] - gl[a, h - 1] * (ya - y1o[h - 1] - c)
        tot += q
        w = q + gw * invd[a, h - 1] * w
        tl[a, h] = w
    ssl[a] = tot
    t = w * invd[a, ln]
    tl[a, ln] = t
    dot = rl[a, ln] * t
    for h in range(ln - 1, -1, -1):
        t = invd[a, h] * (tl[a, h] + gw * t)
        tl[a, h] = t
        dot += rl[a, h] * t
    return float(dot)


_smooth_one = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)(
    _smooth_one_py
)


def _smooth_lines(
    rl: Array,
    y1l: Array,
    y1o: Array,
    gl: Array,
    g_end: Array,
    gw: float,
    invd: Array,
    cross: Array,
    use_cross: bool,
    tl: Array,
    ssl: Array,
    dots: Array,
) -> None:
    """A line solve of the preconditioner for one direction: t = L⁻¹·q with
    q = r − A·P·y1 (y1l, y1o the coarse line-constant voltages of these and the other
    lines; A·P·y1 needs no product: only the cells and the line ends carry current) and,
    with ``use_cross``, + g·cross (the current that the other direction's correction
    ``cross`` drives through each cell). Each line's tridiagonal (factors of
    ``factor_lines``) runs forward and back while the line is in cache, four lines
    interleaved so that their recurrences overlap; t into ``tl``, the line sums of q into
    ``ssl``, ``dots[a]`` the part of r·t of the group of four lines starting at a
    (others 0)."""
    nl, ln = gl.shape
    groups = nl // 4
    for q4 in prange(groups):
        a0 = 4 * q4
        a1, a2, a3 = a0 + 1, a0 + 2, a0 + 3
        y0, y1, y2, y3 = y1l[a0], y1l[a1], y1l[a2], y1l[a3]
        w0 = rl[a0, 0] - g_end[a0] * y0
        w1 = rl[a1, 0] - g_end[a1] * y1
        w2 = rl[a2, 0] - g_end[a2] * y2
        w3 = rl[a3, 0] - g_end[a3] * y3
        s0, s1, s2, s3 = w0, w1, w2, w3
        tl[a0, 0], tl[a1, 0], tl[a2, 0], tl[a3, 0] = w0, w1, w2, w3
        for h in range(1, ln + 1):
            yo = y1o[h - 1]
            if use_cross:
                c0, c1 = cross[a0, h - 1], cross[a1, h - 1]
                c2, c3 = cross[a2, h - 1], cross[a3, h - 1]
            else:
                c0 = c1 = c2 = c3 = 0.0
            q0 = rl[a0, h] - gl[a0, h - 1] * (y0 - yo - c0)
            q1 = rl[a1, h] - gl[a1, h - 1] * (y1 - yo - c1)
            q2 = rl[a2, h] - gl[a2, h - 1] * (y2 - yo - c2)
            q3 = rl[a3, h] - gl[a3, h - 1] * (y3 - yo - c3)
            s0 += q0
            s1 += q1
            s2 += q2
            s3 += q3
            w0 = q0 + gw * invd[a0, h - 1] * w0
            w1 = q1 + gw * invd[a1, h - 1] * w1
            w2 = q2 + gw * invd[a2, h - 1] * w2
            w3 = q3 + gw * invd[a3, h - 1] * w3
            tl[a0, h], tl[a1, h], tl[a2, h], tl[a3, h] = w0, w1, w2, w3
        ssl[a0], ssl[a1], ssl[a2], ssl[a3] = s0, s1, s2, s3
        w0 *= invd[a0, ln]
        w1 *= invd[a1, ln]
        w2 *= invd[a2, ln]
        w3 *= invd[a3, ln]
        tl[a0, ln], tl[a1, ln], tl[a2, ln], tl[a3, ln] = w0, w1, w2, w3
        d = rl[a0, ln] * w0 + rl[a1, ln] * w1 + rl[a2, ln] * w2 + rl[a3, ln] * w3
        for h in range(ln - 1, -1, -1):
            w0 = invd[a0, h] * (tl[a0, h] + gw * w0)
            w1 = invd[a1, h] * (tl[a1, h] + gw * w1)
            w2 = invd[a2, h] * (tl[a2, h] + gw * w2)
            w3 = invd[a3, h] * (tl[a3, h] + gw * w3)
            tl[a0, h], tl[a1, h], tl[a2, h], tl[a3, h] = w0, w1, w2, w3
            d += rl[a0, h] * w0 + rl[a1, h] * w1 + rl[a2, h] * w2 + rl[a3, h] * w3
        dots[a0] = d
        dots[a1] = dots[a2] = dots[a3] = 0.0
    for a in range(4 * groups, nl):
        dots[a] = _smooth_one(rl, y1l, y1o, gl, g_end, gw, invd, cross, use_cross, tl, ssl, a)


def _direction_lines(
    tl: Array,
    ul: Array,
    yz: Array,
    yl: Array,
    yo: Array,
    gl: Array,
    g_end: Array,
    cross: Array,
    use_cross: bool,
    beta: float,
    first: bool,
    pl: Array,
    apl: Array,
    paps: Array,
    pmaxs: Array,
) -> None:
    """CG's new direction on one direction's lines: z = t + P·yz and its image
    A·z = u + A·P·y (y = (yl, yo) of these and the other lines; structural) − g·cross
    (``use_cross``), then p = z + β·p, A·p = A·z + β·A·p (``first``: β ignored); per line
    p·A·p into ``paps`` and max |p| into ``pmaxs``."""
    nl, ln = gl.shape
    b = 0.0 if first else beta
    for a in prange(nl):
        ya = yl[a]
        z = tl[a, 0] + yz[a]
        az = ul[a, 0] + g_end[a] * ya
        if not first:
            z += b * pl[a, 0]
            az += b * apl[a, 0]
        pl[a, 0] = z
        apl[a, 0] = az
        pap = z * az
        pmax = abs(z)
        for h in range(1, ln + 1):
            c = cross[a, h - 1] if use_cross else 0.0
            z = tl[a, h] + yz[a]
            az = ul[a, h] + gl[a, h - 1] * (ya - yo[h - 1] - c)
            if not first:
                z += b * pl[a, h]
                az += b * apl[a, h]
            pl[a, h] = z
            apl[a, h] = az
            pap += z * az
            pmax = max(pmax, abs(z))
        paps[a] = pap
        pmaxs[a] = pmax


def _update_lines(xl: Array, pl: Array, rl: Array, apl: Array, alpha: float, sl: Array) -> None:
    """x += α·p, r −= α·A·p on one direction's lines; the new r's line sums into ``sl``."""
    nl, n1 = xl.shape
    for a in prange(nl):
        s = 0.0
        for h in range(n1):
            xl[a, h] += alpha * pl[a, h]
            rv = rl[a, h] - alpha * apl[a, h]
            rl[a, h] = rv
            s += rv
        sl[a] = s


def _matvec_dense(a: Array, x: Array, out: Array) -> None:
    """out = a·x for a dense (K, K) matrix (the coarse inverse), each row's dot product
    by one thread, in order."""
    k, n1 = a.shape
    for i in prange(k):
        acc = 0.0
        for h in range(n1):
            acc += a[i, h] * x[h]
        out[i] = acc


def _weighted_sums(gl: Array, cross: Array, out: Array) -> None:
    """out[a] = Σ_h gl[a, h]·cross[a, h]: the current the cells of line a carry."""
    nl, ln = gl.shape
    for a in prange(nl):
        acc = 0.0
        for h in range(ln):
            acc += gl[a, h] * cross[a, h]
        out[a] = acc


def _max_abs_diff(a: Array, b: Array, out: Array) -> None:
    """out[row] = max |a − b| over each row of two 2-D arrays."""
    nl, n1 = a.shape
    for r in prange(nl):
        mx = 0.0
        for h in range(n1):
            mx = max(mx, abs(a[r, h] - b[r, h]))
        out[r] = mx


@dataclass(frozen=True, slots=True)
class Kernels:
    """One build of the kernels (module docstring); the fields are the ``_*`` functions
    of this module, compiled."""

    companion_lines: Callable[..., None]
    factor_lines: Callable[..., None]
    residual_lines: Callable[..., None]
    smooth_lines: Callable[..., None]
    direction_lines: Callable[..., None]
    update_lines: Callable[..., None]
    weighted_sums: Callable[..., None]
    matvec_dense: Callable[..., None]
    max_abs_diff: Callable[..., None]


_PY = (
    _companion_lines,
    _factor_lines,
    _residual_lines,
    _smooth_lines,
    _direction_lines,
    _update_lines,
    _weighted_sums,
    _matvec_dense,
    _max_abs_diff,
)


def _build(parallel: bool) -> Kernels:
    jit = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST, parallel=parallel)
    out = []
    for f in _PY:
        g = f
        if parallel:  # its own qualified name: numba's disk cache keys on it
            g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_parallel")
            g.__qualname__ = g.__name__
        out.append(jit(g))
    return Kernels(*out)


#: Serial build: one thread (study workers, which are one core each).
SERIAL: Final = _build(False)
#: Parallel build: numba's threads over the lines (``numba.set_num_threads``).
PARALLEL: Final = _build(True)


def kernels() -> Kernels:
    """The build for the present numba thread count (serial when it is 1)."""
    return PARALLEL if numba.get_num_threads() > 1 else SERIAL


__all__ = ["PARALLEL", "SERIAL", "Kernels", "kernels"]
