"""The pulse intervals of one crossbar write phase, solved in sequence (the ``sneak`` path).

A write phase (:func:`~spinspice.array_builder.crossbar.write_schedule`) is cut into
intervals at the column pulse ends; an N-column 1R phase has up to N + 1 of them, and
between two consecutive intervals only the gates of the columns whose pulse ends change.
:class:`PhaseSolver` solves them one after the other with bias-dependent MTJs, exact to a
stated tolerance, without a sparse factorisation:

* **Structured reduced system.** The unknowns of :mod:`spinspice.analysis.nodal` (series
  reduction of the degree-2 nodes, leaving the row and column lines) are stored line by
  line, and every operation on them is a compiled kernel of
  :mod:`spinspice.analysis.crossbar_kernels` that knows the structure (no matrix is
  stored: the wires are one conductance per direction, the cells one (M, N) array).
* **Newton from the last interval.** Each interval starts from the previous interval's
  solution; the MTJs are replaced by their companion model I ≈ I(v_k) + g_d·(v − v_k)
  (R_AP(V) = R_P·(1 + TMR0/(1 + (V/V_h)²)), the law of the netlist), and Newton stops when
  its step is below ``tol_V`` or the error it predicts from its observed quadratic rate
  (rate·step² plus the inner tolerance) is.
* **Two-level preconditioned CG for each Newton step**, started from the present iterate:
  the symmetric multiplicative combination z = Q·r + (I − Q·A)·S·(I − A·Q)·r of an exact
  coarse solve on line-constant voltages (Q = P·(PᵀAP)⁻¹·Pᵀ; the (M + N)² inverse is
  formed from a dense Cholesky, the column terminals switched since entering by the
  Woodbury identity, and refreshed only when stale, :data:`COARSE_SLACK_CG`) and one
  symmetric Gauss–Seidel sweep over the two line directions (rows, columns, rows; each
  an exact solve of every line's tridiagonal, refactorised every Newton iteration).
  A·z comes out of the sweep without a matrix product, so A·p rides the CG recurrence.
  The sweep needs ~30 % fewer iterations than solving both directions at once (block
  Jacobi) at 1024×1024, where each line's wire (72 Ω) is no longer stiff against its
  cells in parallel (~10 Ω) and the directions couple. CG stops on an **error
  estimate**: the last update times ρ/(1 − ρ), ρ the larger of the last two update
  ratios, below the inner tolerance (inexact Newton: ≤ 0.01·(last Newton step)², never
  looser than 1e-4 V nor tighter than tol_V/10).

The interval voltages agree with :func:`~spinspice.analysis.nodal.solve_bias` (sparse LU)
to ~1e-11 V (``tests/analysis/test_phase_solver.py``);
``benchmarks/bench_crossbar_solver.py --sneak`` times both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import lapack, lu_factor, lu_solve

from spinspice.analysis import crossbar_kernels as kern
from spinspice.analysis.nodal import NEWTON_ROUNDOFF_STEP_V, _mtj_current, coarse_matrix
from spinspice.array_builder.crossbar import (
    BoolArray,
    CrossbarDesign,
    FloatArray,
    Phase,
    check_states,
    mtj_resistance,
)
from spinspice.errors import ParameterError, SimulationError

#: Newton stops when its error estimate is below this, V; our choice: 10× below the 1e-9 V
#: to which ``sneak`` keeps its earlier voltages.
DEFAULT_TOL_V: Final = 1e-10
#: Loosest ``tol_V`` accepted, V; our choice (a loose Newton stop is no error bound).
MAX_TOL_V: Final = 1e-3
#: Newton steps observed before the quadratic rate is trusted to predict the error left
#: (the first step's ratio is spoilt by its loose inner solve); our choice.
RATE_STEPS: Final = 3
#: Most Newton iterations per interval before the solve fails; our choice (3–5 are used).
MAX_NEWTON: Final = 50
#: Most CG iterations of one Newton step before the solve fails; our choice, far above the
#: 1–11 used.
MAX_CG: Final = 500
#: The coarse matrix (1R) is inverted afresh only when the interval before needed more
#: than this many CG iterations beyond the first interval after the last inversion, or
#: when more than :data:`MAX_WOODBURY_RANK` column terminals have switched since; in
#: between the switched terminals enter by the Woodbury identity and the MTJs' drift stays
#: in the preconditioner only (inverting the (M+N)² matrix costs ~0.4 s at 1024×1024).
#: Our choices; 1T1R, whose closing columns change M cells each, inverts it every
#: interval.
COARSE_SLACK_CG: Final = 2
MAX_WOODBURY_RANK: Final = 64


class _Coarse(NamedTuple):
    """One preconditioner application: the coarse voltages y = y1 + y2 (rows, columns),
    those of the second correction alone, and r·z."""

    yr: FloatArray
    yc: FloatArray
    y2r: FloatArray
    y2c: FloatArray
    rz: float


@dataclass(frozen=True, slots=True)
class IntervalSolution:
    """One interval's MTJ voltages and currents and what the solve took.

    Attributes
    ----------
    v_cell_V, i_cell_A:
        V(row side) − V(column side) of every MTJ and its current (M, N), V and A.
    newton, cg:
        Newton iterations and CG iterations (summed over the Newton steps).
    elapsed_s:
        Wall-clock time of the solve, s.
    """

    v_cell_V: FloatArray
    i_cell_A: FloatArray
    newton: int
    cg: int
    elapsed_s: float


class PhaseSolver:
    """Solve the intervals of one write ``phase`` in time order (module docstring).

    Parameters
    ----------
    design, phase, states_ap:
        The crossbar, the phase and the MTJ states (M, N) (True = AP).
    bias:
        Bias-dependent MTJs (Newton); False: the linear resistances of
        :meth:`CrossbarDesign.linear_resistance`, one solve per interval.
    tol_V:
        Newton's step tolerance, V (the linear case solves to tol_V/10).
    """

    def __init__(
        self,
        design: CrossbarDesign,
        phase: Phase,
        states_ap: BoolArray,
        *,
        bias: bool = True,
        tol_V: float = DEFAULT_TOL_V,
    ) -> None:
        if not 0 < tol_V < MAX_TOL_V:
            raise ParameterError(f"tol_V must be in (0, {MAX_TOL_V}) V, got {tol_V}")
        m, n = design.shape
        if phase.row_V.shape != (m,) or phase.col_on.shape != (n,):
            raise ParameterError("phase does not match the crossbar size")
        self.design, self.phase, self.bias, self.tol_V = design, phase, bias, tol_V
        self.ap = check_states(states_ap, (m, n))
        self._ap_f = self.ap.astype(float)
        self._ap_t = np.ascontiguousarray(self._ap_f.T)
        self._one_r = design.architecture == "1r"
        self._gwr = 1.0 / design.r_wire_row_ohm
        self._gwc = 1.0 / design.r_wire_col_ohm
        # row start: driver (1R: + row-selection transistor); its source current
        if self._one_r:
            r_rs = np.where(phase.row_on, design.r_select_on_ohm, design.r_select_off_ohm)
            r_start = design.r_driver_ohm + r_rs
        else:
            r_start = np.full(m, design.r_driver_ohm)
        self._g_start = 1.0 / r_start
        self._r_lin = design.linear_resistance(self.ap)
        self._n_row = m * (n + 1)
        n_tot = self._n_row + n * (m + 1)
        # reduced vectors (kernel layout, :mod:`crossbar_kernels`), allocated once
        self._x, self._x_prev, self._r, self._p, self._ap, self._t, self._t1, self._b = (
            np.zeros(n_tot) for _ in range(8)
        )
        self._invd = np.zeros(n_tot)
        # the line ends' sources never change (column ends sit at 0 V)
        self._rows(self._b)[:, 0] = self._g_start * phase.row_V
        self._g, self._j = np.zeros((m, n)), np.zeros((m, n))
        self._gt = np.zeros((n, m))
        self._cross_r, self._cross_c = np.zeros((m, n)), np.zeros((n, m))
        # per-line partial results (reductions are summed in line order)
        self._sr, self._sc, self._ssr, self._ssc = (np.zeros(k) for k in (m, n, m, n))
        self._part_r, self._part_c = np.zeros((2, m)), np.zeros((2, n))
        self._v_mid = np.zeros((m, n))  # 1T1R midpoints
        self._started = False
        self._coarse_age = 0  # intervals since the coarse factorisation (0: none yet)
        self._cg_fresh = self._cg_last = 0  # CG of the first interval after it, of the last
        self.coarse_factorizations = 0
        self._k = kern.kernels()

    # ------------------------------------------------------------------ configuration
    def _gates(self, at_s: float) -> tuple[FloatArray, FloatArray | None]:
        """(g_end (N,), g_access (N,) per column, or None) of the configuration ``at_s`` in."""
        d = self.design
        on = self.phase.at(at_s).col_on
        if self._one_r:
            return 1.0 / np.where(on, d.r_select_on_ohm, d.r_select_off_ohm), None
        g_acc = 1.0 / np.where(on, d.r_access_on_ohm, d.r_access_off_ohm)
        return np.full(d.cols, 1.0 / d.r_sense_ohm), g_acc

    def _rows(self, x: FloatArray) -> FloatArray:
        """View of the row-line entries of reduced vector ``x`` as (M, N+1)."""
        m, n = self.design.shape
        return x[: self._n_row].reshape(m, n + 1)

    def _cols(self, x: FloatArray) -> FloatArray:
        """View of the column-line entries of reduced vector ``x`` as (N, M+1), one column
        line per row."""
        m, n = self.design.shape
        return x[self._n_row :].reshape(n, m + 1)

    def _cell_voltage(self, x: FloatArray) -> FloatArray:
        va = self._rows(x)[:, 1:]
        out: FloatArray = va - (self._cols(x)[:, 1:].T if self._one_r else self._v_mid)
        return out

    def _cross(self, x: FloatArray) -> None:
        """The voltages at the far end of every line node's cell, in each direction's
        layout (the other lines transposed), into ``_cross_r`` (M, N) for the rows and
        ``_cross_c`` (N, M) for the columns."""
        np.copyto(self._cross_r, self._cols(x)[:, 1:].T)
        np.copyto(self._cross_c, self._rows(x)[:, 1:].T)

    def _assemble(self, x: FloatArray, g_acc: FloatArray | None) -> None:
        """Companion model of every MTJ at ``x`` (I(a → b) ≈ j + g_d·V), folded with the
        1T1R access transistor, into the cell conductances (both layouts) and the cells'
        entries of the right-hand side; the cross voltages of ``x`` must be current
        (:meth:`_cross`)."""
        g, j = self._g, self._j
        br, bc = self._rows(self._b), self._cols(self._b)
        if self.bias and g_acc is None and self._started:  # 1R: compiled, each layout
            fit = self.design.fit
            law = (fit.r_on_ohm, fit.tmr0, fit.v_half_V)
            self._k.companion_lines(self._rows(x), self._cross_r, self._ap_f, *law, 1.0, g, br)
            self._k.companion_lines(
                self._cols(x), self._cross_c, self._ap_t, *law, -1.0, self._gt, bc
            )
            return
        if self.bias:
            vc = self._cell_voltage(x) if self._started else np.zeros(self.design.shape)
            i, gd = _mtj_current(self.design.fit, self._ap_f, vc)
            jj = i - gd * vc
        else:
            gd = 1.0 / self._r_lin
            jj = np.zeros_like(gd)
        self._mtj_companion = (gd, jj)
        if g_acc is None:
            g[...], j[...] = gd, jj
        else:
            g[...] = gd * g_acc / (gd + g_acc)
            j[...] = jj * g_acc / (gd + g_acc)
        np.copyto(self._gt, g.T)
        np.negative(j, out=br[:, 1:])
        np.copyto(bc[:, 1:], j.T)

    # ------------------------------------------------------------------ preconditioner
    def _refresh_lines(self, g_end: FloatArray) -> None:
        bad_r, bad_c = self._part_r[0], self._part_c[0]
        self._k.factor_lines(self._g, self._g_start, self._gwr, self._rows(self._invd), bad_r)
        self._k.factor_lines(self._gt, g_end, self._gwc, self._cols(self._invd), bad_c)
        if bad_r.any() or bad_c.any():
            raise SimulationError("line factorisation failed (a pivot is not positive)")

    def _refresh_coarse(self, g_end: FloatArray) -> None:
        """Invert the coarse matrix PᵀAP of the present matrix (dense Cholesky, then its
        inverse: one matrix-vector product per coarse solve is ~3× faster than the two
        triangular solves)."""
        ac = coarse_matrix(self._g_start, g_end, self._g)
        c, info = lapack.dpotrf(ac, lower=1, overwrite_a=1, clean=0)
        if info == 0:
            c, info = lapack.dpotri(c, lower=1, overwrite_c=1)
        if info != 0:
            raise SimulationError(f"coarse matrix is not positive definite (LAPACK info {info})")
        self._cinv: FloatArray = np.tril(c) + np.tril(c, -1).T
        self._g_end_ref = g_end.copy()
        self._woodbury: tuple[NDArray[np.intp], FloatArray, tuple[FloatArray, FloatArray]] | None
        self._woodbury = None
        self._coarse_age = 0
        self.coarse_factorizations += 1

    def _update_coarse(self, g_end: FloatArray) -> None:
        """Column terminals that changed since the coarse inversion: a diagonal change D
        on their coarse unknowns, C = C₀ + U·D·Uᵀ, applied by the Woodbury identity
        (W = C₀⁻¹·U are columns of the stored inverse)."""
        m = self.design.rows
        changed = np.flatnonzero(g_end != self._g_end_ref)
        if changed.size == 0:
            self._woodbury = None
            return
        u = m + changed
        w = np.ascontiguousarray(self._cinv[:, u])
        d = g_end[changed] - self._g_end_ref[changed]
        cap = np.diag(1.0 / d) + w[u, :]
        self._woodbury = (u, w, lu_factor(cap, check_finite=False))

    def _coarse_solve(self, rows: FloatArray, cols: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(y_rows, y_cols) = (PᵀAP)⁻¹·(line sums): the line-constant correction."""
        m = self.design.rows
        y = np.empty(self._cinv.shape[0])
        self._k.matvec_dense(self._cinv, np.concatenate([rows, cols]), y)
        if self._woodbury is not None:
            u, w, cap = self._woodbury
            y -= w @ lu_solve(cap, y[u], check_finite=False)
        return y[:m], y[m:]

    def _residual(self, x: FloatArray, g_end: FloatArray) -> None:
        """r = b − A·x into ``_r``, its line sums into (_sr, _sc); the cross voltages of
        ``x`` must be current (:meth:`_cross`)."""
        rows, cols, k, r, b = self._rows, self._cols, self._k, self._r, self._b
        gs, gwr, gwc = self._g_start, self._gwr, self._gwc
        k.residual_lines(rows(x), self._cross_r, self._g, gs, gwr, rows(b), rows(r), self._sr)
        k.residual_lines(cols(x), self._cross_c, self._gt, g_end, gwc, cols(b), cols(r), self._sc)

    def _precondition(self, g_end: FloatArray) -> _Coarse:
        """z = Q·r + (I − Q·A)·S·(I − A·Q)·r for the present residual (its line sums in
        ``_sr``, ``_sc``): Q the exact coarse solve on line-constant voltages, S one
        symmetric Gauss–Seidel sweep over the two line directions (rows, columns, rows;
        each an exact solve of every line's tridiagonal). The sweep needs ~30 % fewer CG
        iterations than the block-Jacobi S = L⁻¹ at 1024×1024, where the lines' IR drop
        (72 Ω of wire against ~10 Ω of cells in parallel) couples the directions.

        z is held as t + P·y (t in ``_t``). No matrix product is needed: A·P·y is
        structural, and A·t = (I − A·Q)·r − [0; g·Δ] follows from the sweep itself (its
        rows' part is the rows' last right-hand side; Δ, the change of the rows'
        correction in the last half-sweep at the cells' far ends, stays in
        ``_cross_c``), which :func:`crossbar_kernels._direction_lines` uses.
        """
        rows, cols, k = self._rows, self._cols, self._k
        r, t, t1 = self._r, self._t, self._t1
        g, gt, gs, gwr, gwc = self._g, self._gt, self._g_start, self._gwr, self._gwc
        y1r, y1c = self._coarse_solve(self._sr, self._sc)
        dots_r, dots_c = self._part_r[0], self._part_c[0]
        ir, ic = rows(self._invd), cols(self._invd)
        cr, cc = self._cross_r, self._cross_c
        # rows, from (I − A·Q)·r
        k.smooth_lines(rows(r), y1r, y1c, g, gs, gwr, ir, cr, False, rows(t1), self._ssr, dots_r)
        # columns, with the current the rows' correction drives through the cells
        np.copyto(cc, rows(t1)[:, 1:].T)
        k.smooth_lines(cols(r), y1c, y1r, gt, g_end, gwc, ic, cc, True, cols(t), self._ssc, dots_c)
        # rows again, with the columns' correction
        np.copyto(cr, cols(t)[:, 1:].T)
        k.smooth_lines(rows(r), y1r, y1c, g, gs, gwr, ir, cr, True, rows(t), self._ssr, dots_r)
        rt = float(np.sum(dots_r)) + float(np.sum(dots_c))
        # (I − A·Q)·r − A·t = [0; g·Δ]: the second coarse correction's right-hand side
        np.subtract(rows(t)[:, 1:].T, cc, out=cc)  # cc still holds t1 transposed
        k.weighted_sums(gt, cc, self._ssc)
        self._ssr[...] = 0.0
        y2r, y2c = self._coarse_solve(self._ssr, self._ssc)
        yr, yc = y1r + y2r, y1c + y2c
        rz = rt + float(yr @ self._sr) + float(yc @ self._sc)
        return _Coarse(yr, yc, y2r, y2c, rz)

    def _cg(self, g_end: FloatArray, tol: float) -> int:
        """CG on A·x = b from ``_x`` (in place), stopped when the error estimate is below
        ``tol``; returns the iterations. The cross voltages of ``_x`` must be current.

        A·p is carried by the recurrence A·p = A·z + β·A·p (the preconditioner gives A·z
        without a matrix product), so an iteration needs no product at all.
        """
        rows, cols, k = self._rows, self._cols, self._k
        x, r, p, ap, t = self._x, self._r, self._p, self._ap, self._t
        self._residual(x, g_end)
        c = self._precondition(g_end)
        first, beta = True, 0.0
        last, ratio_before = np.inf, 0.0
        (pap_r, max_r), (pap_c, max_c) = self._part_r, self._part_c
        for it in range(1, MAX_CG + 1):
            if c.rz == 0.0:
                return it - 1
            k.direction_lines(
                rows(t),
                rows(r),
                c.yr,
                c.y2r,
                c.y2c,
                self._g,
                self._g_start,
                self._cross_r,
                False,
                beta,
                first,
                rows(p),
                rows(ap),
                pap_r,
                max_r,
            )
            k.direction_lines(
                cols(t),
                cols(r),
                c.yc,
                c.y2c,
                c.y2r,
                self._gt,
                g_end,
                self._cross_c,
                True,
                beta,
                first,
                cols(p),
                cols(ap),
                pap_c,
                max_c,
            )
            first = False
            alpha = c.rz / (float(np.sum(pap_r)) + float(np.sum(pap_c)))
            k.update_lines(rows(x), rows(p), rows(r), rows(ap), alpha, self._sr)
            k.update_lines(cols(x), cols(p), cols(r), cols(ap), alpha, self._sc)
            upd = abs(alpha) * max(float(max_r.max()), float(max_c.max()))
            ratio = upd / last if last > 0 else 0.0
            rho = min(max(ratio, ratio_before), 0.99)
            if upd * max(rho / (1.0 - rho), 1.0) <= tol or upd == 0.0:
                return it
            last, ratio_before = upd, ratio
            rz = c.rz
            c = self._precondition(g_end)
            beta = c.rz / rz
        raise SimulationError(f"CG did not converge in {MAX_CG} iterations")

    def _step(self, x: FloatArray, x_prev: FloatArray) -> float:
        """max |x − x_prev|, V."""
        mr, mc = self._part_r[0], self._part_c[0]
        self._k.max_abs_diff(self._rows(x), self._rows(x_prev), mr)
        self._k.max_abs_diff(self._cols(x), self._cols(x_prev), mc)
        return max(float(mr.max()), float(mc.max()))

    # ------------------------------------------------------------------ public
    def solve(self, at_s: float) -> IntervalSolution:
        """Solve the configuration ``at_s`` into the phase, from the last solution."""
        t0 = time.perf_counter()
        g_end, g_acc = self._gates(at_s)
        x, x_prev = self._x, self._x_prev
        tol = self.tol_V
        newton = cg = 0
        last = np.inf
        rate = 0.0  # largest observed step_k / step_(k-1)², 1/V
        fresh = False
        while True:
            newton += 1
            if newton > MAX_NEWTON:
                raise SimulationError(f"Newton solve did not converge in {MAX_NEWTON} iterations")
            self._cross(x)  # the far-end voltages (companion, residual)
            self._assemble(x, g_acc)
            # every Newton iteration: A·t of the preconditioner relies on exact line solves
            self._refresh_lines(g_end)
            if not fresh:  # once per interval: Newton's later matrices differ by little
                stale = self._coarse_age > 1 and self._cg_last > self._cg_fresh + COARSE_SLACK_CG
                switched = (
                    0 if self._coarse_age == 0 else np.count_nonzero(g_end != self._g_end_ref)
                )
                if (
                    self._coarse_age == 0
                    or g_acc is not None
                    or stale
                    or switched > MAX_WOODBURY_RANK
                ):
                    self._refresh_coarse(g_end)
                else:
                    self._update_coarse(g_end)
                self._coarse_age += 1
                fresh = True
            inner = 0.1 * tol if not self.bias else max(0.1 * tol, min(1e-4, 0.01 * last * last))
            x_prev[...] = x
            cg += self._cg(g_end, inner)
            step = self._step(x, x_prev)
            if g_acc is not None:
                # 1T1R midpoint: KCL j + g_d·(V_a − V_m) = g_a·(V_m − V_col)
                va = self._rows(x)[:, 1:]
                vcol = self._cols(x)[:, 1:].T
                gd, jj = self._mtj_companion
                v_mid = (jj + gd * va + g_acc * vcol) / (gd + g_acc)
                step = max(step, float(np.max(np.abs(v_mid - self._v_mid))))
                self._v_mid = v_mid
            self._started = True
            if not self.bias:
                break
            if np.isfinite(last):
                rate = max(rate, step / (last * last))
            # the error left after this step: the next (quadratic) step plus the inner
            # tolerance; stop when below tol, or when a small step stops shrinking
            predicted = rate * step * step + inner if newton >= RATE_STEPS else np.inf
            if step < tol or predicted < tol:
                break
            if step < NEWTON_ROUNDOFF_STEP_V and step >= 0.5 * last:
                break
            last = step
        self._cg_last = cg
        if self._coarse_age == 1:
            self._cg_fresh = cg
        vc = self._cell_voltage(x)
        r = mtj_resistance(self.design.fit, self._ap_f, vc) if self.bias else self._r_lin
        return IntervalSolution(vc, vc / r, newton, cg, time.perf_counter() - t0)


__all__ = ["DEFAULT_TOL_V", "IntervalSolution", "PhaseSolver"]
