"""Run feedforward, backprop and stochastic updates on 2T1R arrays and measure them.

Read operations (:func:`run_2t1r_op`, :func:`run_2t1r_read`) return the same
:class:`~spinspice.analysis.array_ops.ArrayOpResult` as the 4T2R array, with

* ``out_A``: data row (ff) or column (bp) currents *minus the reference current*
  I_ref = (I_P-ref + I_AP-ref)/2 of the two reference rows (ff) or columns (bp), A;
* ``unit_A``: one synapse's signed current (I_P − I_AP)/2 at ±V_rd, measured on a single
  simulated cell in the same technology (mean over the two input signs);
* ``ideal_count``: W·x (ff) or Wᵀ·y (bp) with W ∈ {−1, +1};
* ``energy_J`` over every source (data, reference and gate lines), ``latency_s`` the time
  from the input edge until the output stays within ``settle_lsb`` of its final value.

The stochastic update (:func:`run_2t1r_update`) simulates the behavioural MTJs of the data
cells through their access transistors, one column phase after another, and reads each
MTJ's state node ``s`` (1 = AP = −1, 0 = P = +1). It also recomputes, from the saved node
voltages and the fitted law, how far each MTJ's switching integral got relative to its
random threshold (``progress``; ≥ 1 means the model must have switched), which makes the
stochastic outcome checkable cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from spinspice.analysis.array_ops import (
    ArrayOpResult,
    delivered_energy_J,
    read_waveforms,
    settling_latency_s,
)
from spinspice.analysis.rawfile import RawPlot
from spinspice.analysis.runner import Engine, SimResult, run_one
from spinspice.array_builder.array_2t1r import (
    Array2T1RDesign,
    Operation,
    ReadPulse,
    UpdateDeck,
    UpdatePulse2T1R,
    check_binary_weights,
    free_node,
    mtj_instance_name,
    read_job,
    sense_name,
    update_circuit,
    update_job,
)
from spinspice.array_builder.synapse_2t1r import (
    Synapse2T1RDesign,
    all_read_cases,
    output_source_name,
    read_cases_job,
)
from spinspice.errors import ParameterError
from spinspice.netlists.circuit import Circuit
from spinspice.netlists.mtj_model import MTJDraws
from spinspice.spintronic_cells.fit import STATE_MIDPOINT, BehaviouralFit, shipped_fit

#: Band around the switching threshold (progress = 1) within which the pulse-edge timing, not
#: the recomputed switching integral, decides whether a cell switched, dimensionless; our
#: choice (2 %: the integral is recomputed by the trapezoid rule on the saved time points,
#: not integrated by the simulator's own steps).
PROGRESS_TOLERANCE: Final = 0.02

__all__ = [
    "CellRead2T1R",
    "Read2T1RResult",
    "Update2T1RResult",
    "cell_read_2t1r",
    "run_2t1r_op",
    "run_2t1r_read",
    "run_2t1r_update",
    "unit_current_2t1r_A",
]


# --------------------------------------------------------------------------- single cell


@dataclass(frozen=True, slots=True)
class CellRead2T1R:
    """Currents of one simulated 2T1R cell at ±V_rd (feedforward bias).

    Attributes
    ----------
    v_rd_V:
        Read voltage, V.
    i_p_A, i_ap_A:
        Cell current for weight +1 (P) and −1 (AP), indexed by input (0: x = −1, 1: x = +1), A.
    """

    v_rd_V: float
    i_p_A: np.ndarray
    i_ap_A: np.ndarray

    @property
    def unit_A(self) -> float:
        """One synapse's signed current, mean over x = ±1 of |I_P − I_AP|/2, A."""
        return float(np.mean(np.abs(self.i_p_A - self.i_ap_A)) / 2)

    @property
    def reference_A(self) -> np.ndarray:
        """Reference cell current (I_P + I_AP)/2 for x = −1 and x = +1, A."""
        out: np.ndarray = (self.i_p_A + self.i_ap_A) / 2
        return out

    def expected_reference_A(self, vector: np.ndarray) -> float:
        """Σ of the reference cell current over the inputs of ``vector`` (no wires), A."""
        v = np.asarray(vector, dtype=int)
        ref = self.reference_A
        return float(np.sum(np.where(v > 0, ref[1], 0.0)) + np.sum(np.where(v < 0, ref[0], 0.0)))


def cell_read_2t1r(synapse: Synapse2T1RDesign, v_rd_V: float, engine: Engine) -> CellRead2T1R:
    """Simulate the four read cases of one cell (DC operating point) on ``engine``."""
    return measure_cell_read(v_rd_V, run_one(engine, read_cases_job(synapse, v_rd_V=v_rd_V)))


def measure_cell_read(v_rd_V: float, sim: SimResult) -> CellRead2T1R:
    """Read the result of :func:`~spinspice.array_builder.synapse_2t1r.read_cases_job`."""
    cases = all_read_cases()
    op = sim.plot("op")
    i = {
        (c.activation, c.weight): float(op[f"i({output_source_name(k).lower()})"][0])
        for k, c in enumerate(cases)
    }
    return CellRead2T1R(
        v_rd_V=v_rd_V,
        i_p_A=np.array([i[(-1, 1)], i[(1, 1)]]),
        i_ap_A=np.array([i[(-1, -1)], i[(1, -1)]]),
    )


def unit_current_2t1r_A(synapse: Synapse2T1RDesign, v_rd_V: float, engine: Engine) -> float:
    """One synapse's signed current (I_P − I_AP)/2 of a simulated cell, A."""
    return cell_read_2t1r(synapse, v_rd_V, engine).unit_A


# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- read ops


@dataclass(frozen=True, slots=True)
class Read2T1RResult:
    """A feedforward/backprop operation with its reference.

    Attributes
    ----------
    op:
        The decoded result (outputs minus reference), as for the 4T2R array.
    raw_A:
        Data outputs before the reference is subtracted, shape (outputs, points), A.
    ref_p_A, ref_ap_A:
        Currents of the all-P and all-AP reference row (ff) or column (bp) over time, A.
    expected_reference_A:
        Σ of the single-cell reference current over the inputs (no wires), A.
    cell:
        The single-cell read that sets the unit.
    """

    op: ArrayOpResult
    raw_A: np.ndarray
    ref_p_A: np.ndarray
    ref_ap_A: np.ndarray
    expected_reference_A: float
    cell: CellRead2T1R

    @property
    def reference_A(self) -> np.ndarray:
        """I_ref(t) = (I_P-ref + I_AP-ref)/2, A."""
        out: np.ndarray = (self.ref_p_A + self.ref_ap_A) / 2
        return out


def run_2t1r_read(
    design: Array2T1RDesign,
    weights: np.ndarray,
    operation: Operation,
    vector: np.ndarray,
    *,
    engine: Engine,
    pulse: ReadPulse | None = None,
    settle_lsb: float = 0.1,
) -> Read2T1RResult:
    """Simulate one feedforward (``vector`` = activations) or backprop (errors) operation.

    Two jobs: the array read and the single-cell read that sets the unit current.
    """
    if not settle_lsb > 0:
        raise ParameterError(f"settle_lsb must be > 0, got {settle_lsb!r}")
    pulse = pulse or ReadPulse()
    w = check_binary_weights(weights, (design.rows, design.cols))
    job = read_job(design, w, operation, vector, pulse=pulse)
    cell_job = read_cases_job(design.synapse, v_rd_V=pulse.v_rd_V)
    sim, cell_sim = engine.run([job, cell_job])
    assert job.circuit is not None
    return measure_2t1r_read(
        design, w, operation, vector, pulse, job.circuit, sim,
        measure_cell_read(pulse.v_rd_V, cell_sim), settle_lsb=settle_lsb,
    )


def measure_2t1r_read(
    design: Array2T1RDesign,
    w: np.ndarray,
    operation: Operation,
    vector: np.ndarray,
    pulse: ReadPulse,
    circuit: Circuit,
    sim: SimResult,
    cell: CellRead2T1R,
    *,
    settle_lsb: float = 0.1,
) -> Read2T1RResult:
    """Read the result of :func:`~spinspice.array_builder.array_2t1r.read_job` (a transient
    or a quasi-static solution of it, see :class:`~spinspice.analysis.array_ops.ArrayOpResult`)."""
    x = np.asarray(vector, dtype=int)
    tran, t, transient = read_waveforms(sim, pulse.stop_s)
    energy = delivered_energy_J(circuit, tran) if transient else float("nan")  # type: ignore[arg-type]

    def cur(kind: str, k: int) -> np.ndarray:
        out: np.ndarray = tran[f"i({sense_name(kind, k).lower()})"]
        return out

    if operation == "ff":
        raw = np.stack([cur("out", m) for m in range(1, design.rows + 1)])
        ref_p, ref_ap = (cur("out", k) for k in design.ref_rows)
        ideal = w @ x
    else:
        raw = np.stack([cur("u", n) for n in range(1, design.cols + 1)])
        ref_p, ref_ap = (cur("u", k) for k in design.ref_cols)
        ideal = w.T @ x
    ref = (ref_p + ref_ap) / 2
    out = raw - ref[None, :]
    unit = cell.unit_A
    op = ArrayOpResult(
        operation=operation,
        time_s=t,
        out_A=out,
        final_A=out[:, -1],
        ideal_count=ideal,
        unit_A=unit,
        energy_J=energy,
        latency_s=(
            settling_latency_s(t, out, settle_lsb * unit, pulse.delay_s)
            if transient
            else np.full(out.shape[0], np.nan)
        ),
        pulse=pulse,
        elapsed_s=sim.elapsed_s,
        engine=sim.backend,
    )
    return Read2T1RResult(
        op=op,
        raw_A=raw,
        ref_p_A=ref_p,
        ref_ap_A=ref_ap,
        expected_reference_A=cell.expected_reference_A(x),
        cell=cell,
    )


def run_2t1r_op(
    design: Array2T1RDesign,
    weights: np.ndarray,
    operation: Literal["ff", "bp"],
    vector: np.ndarray,
    *,
    engine: Engine,
    pulse: ReadPulse | None = None,
) -> ArrayOpResult:
    """Feedforward or backprop on a 2T1R array, decoded against its reference.

    The 2T1R counterpart of :func:`spinspice.analysis.array_ops.run_array_op` (same result
    type): ``final_A / unit_A`` should equal ``ideal_count`` = W·x (ff) or Wᵀ·y (bp).
    """
    return run_2t1r_read(design, weights, operation, vector, engine=engine, pulse=pulse).op


# --------------------------------------------------------------------------- update


@dataclass(frozen=True, slots=True)
class Update2T1RResult:
    """Outcome of one simulated stochastic update.

    Attributes
    ----------
    initial_weights, final_weights:
        ±1 weights before and after (final read from the MTJ state node), shape (rows, cols).
    delta_sign, width_s:
        Applied update direction and pulse width per cell (width 0: no pulse).
    switched:
        True where the MTJ changed state.
    switch_time_s:
        Time from the start of the cell's gate edge to the resistance midpoint (s = 0.5), s;
        NaN where it did not switch.
    progress:
        Switching integral reached / the cell's random threshold, for the direction away from
        its initial state (≥ 1: the model switches; recomputed from saved voltages).
    draws:
        Per-cell random thresholds and their seed (row-major, see :class:`UpdateDeck`).
    energy_J:
        Energy delivered by all sources over the whole update, J.
    columns:
        Columns updated, in order.
    duration_s:
        Simulated time, s.
    pulse:
        Update timing and levels.
    elapsed_s:
        Simulator wall time, s.
    """

    initial_weights: np.ndarray
    final_weights: np.ndarray
    delta_sign: np.ndarray
    width_s: np.ndarray
    switched: np.ndarray
    switch_time_s: np.ndarray
    progress: np.ndarray
    draws: MTJDraws
    energy_J: float
    columns: tuple[int, ...]
    duration_s: float
    pulse: UpdatePulse2T1R
    elapsed_s: float
    engine: str = "ngspice"

    @property
    def eligible(self) -> np.ndarray:
        """Cells that received a pulse towards the state they are not in."""
        out: np.ndarray = (
            (self.delta_sign != 0) & (self.width_s > 0) & (self.initial_weights != self.delta_sign)
        )
        return out

    @property
    def wrong_direction(self) -> np.ndarray:
        """Cells that switched although not eligible (should be none)."""
        out: np.ndarray = self.switched & ~self.eligible
        return out


def _progress(tran: RawPlot, fit: BehaviouralFit, draws: MTJDraws, w0: np.ndarray) -> np.ndarray:
    """Switching integral / threshold per cell, recomputed with the template's equations."""
    t = tran.scale
    rows, cols = w0.shape
    out = np.zeros((rows, cols))
    after = t > 0
    for m in range(1, rows + 1):
        for n in range(1, cols + 1):
            k = (m - 1) * cols + (n - 1)
            s = tran[f"v(x{mtj_instance_name(m, n)}.s)"]
            v = tran[f"v({free_node(m, n).lower()})"] - tran[f"v(a_out_{m}_{n})"]
            r = fit.resistance_ohm(s, v)
            i = v / r
            if w0[m - 1, n - 1] == -1:  # AP: AP -> P by free -> fixed current
                d, gate, thr = fit.ap_to_p, s, draws.l_ap2p[k]
                z = i - d.ic_A
            else:
                d, gate, thr = fit.p_to_ap, 1 - s, draws.l_p2ap[k]
                z = -i - d.ic_A
            rate = gate * 0.5 * (z + np.sqrt(z * z + 1e-6 * d.ic_A**2)) / d.c_As
            lam = float(np.trapezoid(np.where(after, rate, 0.0), t))
            out[m - 1, n - 1] = lam / thr if thr > 0 else np.inf
    return out


def run_2t1r_update(
    design: Array2T1RDesign,
    weights: np.ndarray,
    delta_sign: np.ndarray,
    width_s: np.ndarray | float,
    *,
    seed: int,
    engine: Engine,
    pulse: UpdatePulse2T1R | None = None,
    fit: BehaviouralFit | None = None,
    skip_idle_columns: bool = True,
) -> Update2T1RResult:
    """Simulate one stochastic update of the data cells (columns in sequence).

    Parameters
    ----------
    design:
        Array design (its R_on/R_off must equal the fit's).
    weights:
        Present ±1 weights, shape (rows, cols).
    delta_sign:
        Update direction per cell, −1/0/+1 (e.g. from
        :func:`~spinspice.array_builder.array_2t1r.widths_from_delta`).
    width_s:
        Pulse width per cell or one for all, s.
    seed:
        Seed of the per-cell random thresholds (recorded in ``draws``).
    pulse:
        V_up, timing and simulator step (default :class:`UpdatePulse2T1R`).
    fit:
        Behavioural MTJ law (default: the shipped seed001-device-c fit).
    engine:
        The engine that runs the job.
    skip_idle_columns:
        See :func:`~spinspice.array_builder.array_2t1r.update_circuit`.
    """
    fit = fit or shipped_fit()
    w0 = check_binary_weights(weights, (design.rows, design.cols))
    deck = update_circuit(
        design,
        w0,
        delta_sign,
        width_s,
        fit=fit,
        seed=seed,
        pulse=pulse,
        skip_idle_columns=skip_idle_columns,
    )
    sim = run_one(engine, update_job(design, deck))
    return measure_2t1r_update(deck, w0, fit, sim)


def measure_2t1r_update(
    deck: UpdateDeck, w0: np.ndarray, fit: BehaviouralFit, sim: SimResult
) -> Update2T1RResult:
    """Read the result of :func:`~spinspice.array_builder.array_2t1r.update_job`."""
    tran = sim.plot("tran")
    t = tran.scale
    rows, cols = w0.shape
    final = np.empty_like(w0)
    times = np.full(w0.shape, np.nan)
    for m in range(1, rows + 1):
        for n in range(1, cols + 1):
            s = tran[f"v(x{mtj_instance_name(m, n)}.s)"]
            final[m - 1, n - 1] = 1 if s[-1] < STATE_MIDPOINT else -1
            start_ap = w0[m - 1, n - 1] == -1
            crossed = (s < STATE_MIDPOINT) if start_ap else (s > STATE_MIDPOINT)
            idx = int(np.argmax(crossed))
            if crossed[idx] and idx > 0:
                s0, s1 = s[idx - 1], s[idx]
                frac = (STATE_MIDPOINT - s0) / (s1 - s0) if s1 != s0 else 0.0
                tc = t[idx - 1] + frac * (t[idx] - t[idx - 1])
                times[m - 1, n - 1] = tc - deck.pulse_start_s[m - 1, n - 1]
    return Update2T1RResult(
        initial_weights=w0,
        final_weights=final,
        delta_sign=deck.delta_sign,
        width_s=deck.width_s,
        switched=final != w0,
        switch_time_s=times,
        progress=_progress(tran, fit, deck.draws, w0),
        draws=deck.draws,
        energy_J=delivered_energy_J(deck.circuit, tran),
        columns=deck.columns,
        duration_s=float(t[-1]),
        pulse=deck.pulse,
        elapsed_s=sim.elapsed_s,
        engine=sim.backend,
    )
