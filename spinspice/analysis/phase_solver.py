"""The pulse intervals of one crossbar write phase, solved in sequence (the ``sneak`` path).

A write phase (:func:`~spinspice.array_builder.crossbar.write_schedule`) is cut into
intervals at the column pulse ends; an N-column 1R phase has up to N + 1 of them, and
between two consecutive intervals only the gates of the columns whose pulse ends change.
:class:`PhaseSolver` solves them one after the other with bias-dependent MTJs, exact to a
stated tolerance, without a sparse factorisation:

* **One matrix pattern per phase.** The reduced system of :mod:`spinspice.analysis.nodal`
  (series reduction of the degree-2 nodes, leaving the row and column lines) is assembled
  once; each Newton iteration only rewrites the values of the cell entries and the
  diagonal in place.
* **Newton from the last interval.** Each interval starts from the previous interval's
  solution; the MTJs are replaced by their companion model I ≈ I(v_k) + g_d·(v − v_k)
  (R_AP(V) = R_P·(1 + TMR0/(1 + (V/V_h)²)), the law of the netlist), and Newton stops when
  its step is below ``tol_V`` or the error it predicts from its observed quadratic rate
  (rate·step² plus the inner tolerance) is.
* **Two-level preconditioned CG for each Newton step**, started from the present iterate:
  the symmetric multiplicative combination z = Q·r + (I − Q·A)·L·(I − A·Q)·r of an exact
  solve of every line (L: the tridiagonal of wires and diagonal, LAPACK ``pttrf``) and an
  exact coarse solve on line-constant voltages (Q = P·(PᵀAP)⁻¹·Pᵀ, a dense Cholesky of
  (M + N)² entries). It contracts the error 30–100× per iteration on these arrays (an
  additive combination only ~10×), so CG stops on an **error estimate**: the last update
  times ρ/(1 − ρ), ρ the ratio of the last two updates, below the inner tolerance
  (inexact Newton: ≤ 0.01·(last Newton step)², never looser than 1e-4 V nor tighter than
  tol_V/10). The line factors are refreshed once per interval (Newton's later
  iterations change the matrix by little; the CG runs on the exact Jacobian), the coarse
  factor only when it has gone stale (:data:`COARSE_SLACK_CG`), the column terminals
  switched since entering by the Woodbury identity.

The interval voltages agree with :func:`~spinspice.analysis.nodal.solve_bias` (sparse LU)
to ~1e-11 V (``tests/analysis/test_phase_solver.py``);
``benchmarks/bench_crossbar_solver.py --sneak`` times both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve, lapack, lu_factor, lu_solve

from spinspice.analysis.nodal import (
    NEWTON_ROUNDOFF_STEP_V,
    _line_numbering,
    _mtj_current,
    _reduced_pattern,
    coarse_matrix,
)
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
#: 1–8 used.
MAX_CG: Final = 500
#: The coarse matrix (1R) is factorised afresh only when the interval before needed more
#: than this many CG iterations beyond the first interval after the last factorisation,
#: or when more than :data:`MAX_WOODBURY_RANK` column terminals have switched since; in
#: between the switched terminals enter by the Woodbury identity and the MTJs' drift stays
#: in the preconditioner only (a dense Cholesky of (M+N)² costs ~1 s at 1024×1024).
#: Our choices; 1T1R, whose closing columns change M cells each, refactorises every
#: interval.
COARSE_SLACK_CG: Final = 2
MAX_WOODBURY_RANK: Final = 64


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
        one_r = design.architecture == "1r"
        self._one_r = one_r
        pat = _reduced_pattern(m, n)
        rr, cc = _line_numbering(m, n)
        self._n_row = rr.size
        n_tot = rr.size + cc.size
        # CSR positions of the entry list [a→b, b→a, ca→cb, cb→ca, diagonal]
        pos = np.empty_like(pat.order)
        pos[pat.order] = np.arange(pat.order.size)
        nw = pat.a.size
        self._pos_cd = pos[2 * nw :]  # cell entries (ca→cb, cb→ca), then the diagonal
        g_wr = np.full((m, n), 1.0 / design.r_wire_row_ohm)
        g_wc = np.full((m, n), 1.0 / design.r_wire_col_ohm)
        gw = np.concatenate([g_wr.ravel(), g_wc.ravel()])
        self._diag_wire: FloatArray = (
            np.bincount(pat.a, gw, n_tot) + np.bincount(pat.b, gw, n_tot)
        ).astype(float)
        data = np.zeros(pat.order.size)
        data[pos[:nw]] = -gw
        data[pos[nw : 2 * nw]] = -gw
        self._A = sp.csr_matrix((data, pat.indices, pat.indptr), shape=(n_tot, n_tot))
        # line tridiagonal: wire pairs are consecutive in the numbering (k, k + 1)
        self._e_line = np.zeros(n_tot - 1)
        self._e_line[np.minimum(pat.a, pat.b)] = -gw
        # row start: driver (1R: + row-selection transistor); sources
        if one_r:
            r_rs = np.where(phase.row_on, design.r_select_on_ohm, design.r_select_off_ohm)
            r_start = design.r_driver_ohm + r_rs
        else:
            r_start = np.full(m, design.r_driver_ohm)
        self._g_start = 1.0 / r_start
        self._b_src = np.zeros(n_tot)
        self._b_src[rr[:, 0]] = self._g_start * phase.row_V  # sense ends sit at 0 V
        self._r_lin = design.linear_resistance(self.ap)
        # state carried from interval to interval
        self._x = np.zeros(n_tot)
        self._v_mid = np.zeros((m, n))  # 1T1R midpoints
        self._started = False
        self._lines: tuple[FloatArray, FloatArray] = (np.empty(0), np.empty(0))
        self._coarse_age = 0  # intervals since the coarse factorisation (0: none yet)
        self._cg_fresh = self._cg_last = 0  # CG of the first interval after it, of the last
        self.coarse_factorizations = 0
        self._z, self._az, self._t, self._q, self._aq = (np.empty(n_tot) for _ in range(5))

    # ------------------------------------------------------------------ configuration
    def _gates(self, at_s: float) -> tuple[FloatArray, FloatArray | None]:
        """(g_end (N,), g_access (M, N) or None) of the configuration ``at_s`` in."""
        d = self.design
        on = self.phase.at(at_s).col_on
        if self._one_r:
            return 1.0 / np.where(on, d.r_select_on_ohm, d.r_select_off_ohm), None
        g_acc = 1.0 / np.where(on, d.r_access_on_ohm, d.r_access_off_ohm)
        m = d.rows
        return np.full(d.cols, 1.0 / d.r_sense_ohm), np.broadcast_to(g_acc, (m, d.cols))

    def _rows(self, x: FloatArray) -> FloatArray:
        """View of the row-line entries of reduced vector ``x`` as (M, N+1)."""
        m, n = self.design.shape
        return x[: self._n_row].reshape(m, n + 1)

    def _cols(self, x: FloatArray) -> FloatArray:
        """View of the column-line entries of reduced vector ``x`` as (M+1, N)."""
        m, n = self.design.shape
        return x[self._n_row :].reshape(n, m + 1).T

    def _cell_voltage(self, x: FloatArray) -> FloatArray:
        va = self._rows(x)[:, 1:]
        out: FloatArray = va - (self._cols(x)[1:, :] if self._one_r else self._v_mid)
        return out

    def _companion(self, vc: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(g_d, j) of every MTJ at voltages ``vc``: I(a → b) ≈ j + g_d·V."""
        if not self.bias:
            g = 1.0 / self._r_lin
            return g, np.zeros_like(g)
        i, gd = _mtj_current(self.design.fit, self._ap_f, vc)
        return gd, i - gd * vc

    def _assemble(
        self, gd: FloatArray, j: FloatArray, g_end: FloatArray, g_acc: FloatArray | None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Write the matrix values in place; return (diagonal, g_cell, right-hand side)."""
        if g_acc is None:
            g_cell, j_cell = gd, j
        else:
            g_cell = gd * g_acc / (gd + g_acc)
            j_cell = j * g_acc / (gd + g_acc)
        gc = g_cell.ravel()
        diag = self._diag_wire.copy()
        self._rows(diag)[:, 1:] += g_cell
        self._cols(diag)[1:, :] += g_cell
        self._rows(diag)[:, 0] += self._g_start
        self._cols(diag)[0, :] += g_end
        self._A.data[self._pos_cd] = np.concatenate([-gc, -gc, diag])
        self._g_cell, self._g_cell_t = g_cell, np.ascontiguousarray(g_cell.T)
        self._g_end = g_end
        b = self._b_src.copy()
        if g_acc is not None or np.any(j_cell):
            self._rows(b)[:, 1:] -= j_cell
            self._cols(b)[1:, :] += j_cell
        return diag, g_cell, b

    # ------------------------------------------------------------------ preconditioner
    def _refresh_lines(self, diag: FloatArray) -> None:
        d_f, e_f, info = lapack.dpttrf(diag, self._e_line)
        if info != 0:
            raise SimulationError(f"line factorisation failed (LAPACK pttrf info {info})")
        self._lines = (d_f, e_f)

    def _refresh_coarse(self, g_cell: FloatArray, g_end: FloatArray) -> None:
        """Factorise the coarse matrix PᵀAP of the present matrix (dense Cholesky)."""
        ac = coarse_matrix(self._g_start, g_end, g_cell)
        self._chol = cho_factor(ac, check_finite=False)
        self._g_end_ref = g_end.copy()
        self._w_cols: dict[int, FloatArray] = {}
        self._woodbury: tuple[NDArray[np.intp], FloatArray, tuple[FloatArray, FloatArray]] | None
        self._woodbury = None
        self._coarse_age = 0
        self.coarse_factorizations += 1

    def _update_coarse(self, g_end: FloatArray) -> None:
        """Column terminals that changed since the coarse factorisation: a diagonal change
        D on their coarse unknowns, C = C₀ + U·D·Uᵀ, applied by the Woodbury identity."""
        m = self.design.rows
        changed = np.flatnonzero(g_end != self._g_end_ref)
        if changed.size == 0:
            self._woodbury = None
            return
        for j in changed:
            if int(j) not in self._w_cols:
                e = np.zeros(self._chol[0].shape[0])
                e[m + j] = 1.0
                self._w_cols[int(j)] = cho_solve(self._chol, e, check_finite=False)
        u = m + changed
        w = np.stack([self._w_cols[int(j)] for j in changed], axis=1)
        d = g_end[changed] - self._g_end_ref[changed]
        cap = np.diag(1.0 / d) + w[u, :]
        self._woodbury = (u, w, lu_factor(cap, check_finite=False))

    def _coarse(self, r: FloatArray, z: FloatArray, az: FloatArray) -> None:
        """Write the coarse correction Q·r into ``z`` and A·Q·r into ``az``.

        A applied to line-constant voltages y needs no matrix product: wires carry no
        current, each cell g·(y_row − y_col), and the line ends their terminals.
        """
        m, n = self.design.shape
        nr = self._n_row
        rows_r, cols_r = r[:nr].reshape(m, n + 1), r[nr:].reshape(n, m + 1)
        rhs = np.concatenate([rows_r.sum(axis=1), cols_r.sum(axis=1)])
        y, _ = lapack.dpotrs(self._chol[0], rhs, lower=self._chol[1])
        if self._woodbury is not None:
            u, w, cap = self._woodbury
            y = y - w @ lu_solve(cap, y[u], check_finite=False)
        yr, yc = y[:m], y[m:]
        z[:nr].reshape(m, n + 1)[...] = yr[:, None]
        z[nr:].reshape(n, m + 1)[...] = yc[:, None]
        rows, cols = az[:nr].reshape(m, n + 1), az[nr:].reshape(n, m + 1)
        # g·(y_row − y_col) leaves each row node into its cell, and enters the column node
        np.subtract.outer(yr, yc, out=rows[:, 1:])
        rows[:, 1:] *= self._g_cell
        np.subtract.outer(yc, yr, out=cols[:, 1:])
        cols[:, 1:] *= self._g_cell_t
        rows[:, 0] = self._g_start * yr
        cols[:, 0] = self._g_end * yc

    def _apply_prec(self, r: FloatArray) -> None:
        """z = Q·r + (I − Q·A)·L·(I − A·Q)·r (module docstring) into ``self._z`` and A·z
        into ``self._az``: one matrix product, the coarse images come from
        :meth:`_coarse`."""
        z, az, t, q, aq = self._z, self._az, self._t, self._q, self._aq
        self._coarse(r, z, az)
        np.subtract(r, az, out=t)
        lapack.dpttrs(*self._lines, t, overwrite_b=1)
        z += t
        az += self._A @ t
        np.subtract(r, az, out=t)
        self._coarse(t, q, aq)
        z += q
        az += aq

    def _cg(self, b: FloatArray, x: FloatArray, tol: float) -> tuple[FloatArray, int]:
        """CG on A·x = b from ``x``, stopped when the error estimate is below ``tol``.

        A·p is carried by the recurrence A·p = A·z + β·A·p (the preconditioner returns
        A·z), so each iteration costs one sparse matrix product; the vectors are updated
        in place (these arrays are memory-bound; BLAS level 1 is avoided because OpenBLAS
        threads on a 2-core machine cost more than they gain).
        """
        x = x.copy()
        r = b - self._A @ x
        self._apply_prec(r)
        z, az = self._z, self._az
        p, ap = z.copy(), az.copy()
        tmp = self._q  # free between preconditioner calls
        rz = float(r @ z)
        last = np.inf
        for it in range(1, MAX_CG + 1):
            if rz == 0.0:
                return x, it - 1
            alpha = rz / float(p @ ap)
            np.multiply(p, alpha, out=tmp)
            x += tmp
            upd = abs(alpha) * float(np.max(np.abs(p)))
            rho = min(upd / last, 0.99) if last > 0 else 0.0
            if upd * max(rho / (1.0 - rho), 1.0) <= tol or upd == 0.0:
                return x, it
            last = upd
            np.multiply(ap, alpha, out=tmp)
            r -= tmp
            self._apply_prec(r)
            rz_new = float(r @ z)
            beta = rz_new / rz
            p *= beta
            p += z
            ap *= beta
            ap += az
            rz = rz_new
        raise SimulationError(f"CG did not converge in {MAX_CG} iterations")

    # ------------------------------------------------------------------ public
    def solve(self, at_s: float) -> IntervalSolution:
        """Solve the configuration ``at_s`` into the phase, from the last solution."""
        t0 = time.perf_counter()
        g_end, g_acc = self._gates(at_s)
        x = self._x
        tol = self.tol_V
        newton = cg = 0
        last = np.inf
        rate = 0.0  # largest observed step_k / step_(k-1)², 1/V
        fresh = False
        while True:
            newton += 1
            if newton > MAX_NEWTON:
                raise SimulationError(f"Newton solve did not converge in {MAX_NEWTON} iterations")
            vc = self._cell_voltage(x) if self._started else np.zeros(self.design.shape)
            gd, j = self._companion(vc)
            diag, g_cell, b = self._assemble(gd, j, g_end, g_acc)
            if not fresh:  # once per interval: Newton's later matrices differ by little
                self._refresh_lines(diag)
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
                    self._refresh_coarse(g_cell, g_end)
                else:
                    self._update_coarse(g_end)
                self._coarse_age += 1
                fresh = True
            inner = 0.1 * tol if not self.bias else max(0.1 * tol, min(1e-4, 0.01 * last * last))
            x_new, k = self._cg(b, x, inner)
            cg += k
            step = float(np.max(np.abs(x_new - x)))
            if g_acc is not None:
                # 1T1R midpoint: KCL j + g_d·(V_a − V_m) = g_a·(V_m − V_col)
                va = self._rows(x_new)[:, 1:]
                vcol = self._cols(x_new)[1:, :]
                v_mid = (j + gd * va + g_acc * vcol) / (gd + g_acc)
                step = max(step, float(np.max(np.abs(v_mid - self._v_mid))))
                self._v_mid = v_mid
            x = x_new
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
        self._x = x
        self._cg_last = cg
        if self._coarse_age == 1:
            self._cg_fresh = cg
        vc = self._cell_voltage(x)
        r = mtj_resistance(self.design.fit, self._ap_f, vc) if self.bias else self._r_lin
        return IntervalSolution(vc, vc / r, newton, cg, time.perf_counter() - t0)


__all__ = ["DEFAULT_TOL_V", "IntervalSolution", "PhaseSolver"]
