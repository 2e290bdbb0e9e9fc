"""Run read-type operations on 4T2R arrays and measure them.

Figures, all from the ngspice transient:

* output currents at the end of the read pulse (rows for feedforward, column differences
  I(u1_n) − I(ū2_n) for backprop, seed 001 eq. 31–32), in A and in units of one synapse's
  current (``lsb``), against the ideal integer count Σ GXNOR(W, x);
* settling latency: time from the start of the input edge until the output stays within
  ``settle_lsb`` (default 0.1) of its final value, s;
* energy: Σ over every source of ∫ V·I_delivered dt over the simulated window, J, and the
  mean power over the pulse, W.

The unit current is measured, not assumed: the mean |i_out| of the nonzero GXNOR cases of a
single cell in the same technology (:func:`spinspice.analysis.gxnor.run_gxnor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spinspice.analysis.gxnor import GxnorResult, measure_gxnor
from spinspice.analysis.rawfile import RawPlot
from spinspice.analysis.runner import Engine, SimResult
from spinspice.array_builder.array_4t2r import (
    Array4T2RDesign,
    Operation,
    ReadPulse,
    read_job,
    sense_name,
    weight_values,
)
from spinspice.array_builder.synapse_4t2r import (
    Synapse4T2RDesign,
    all_gxnor_cases,
    gxnor_job,
)
from spinspice.errors import ResultParseError
from spinspice.netlists.circuit import Circuit, Dc, Pulse, Pwl, VoltageSource
from spinspice.netlists.job import Job


def unit_current_job(synapse: Synapse4T2RDesign, v_rd_V: float) -> Job:
    """The single-cell GXNOR job that sets the unit (one synapse's) current."""
    return gxnor_job(synapse, all_gxnor_cases(), v_rd_V=v_rd_V)


def measure_unit_current_A(synapse: Synapse4T2RDesign, v_rd_V: float, sim: SimResult) -> float:
    """Mean |i_out| of the nonzero GXNOR cases of one simulated cell, A."""
    res: GxnorResult = measure_gxnor(synapse, all_gxnor_cases(), v_rd_V, sim)
    return float(np.mean(np.abs(res.i_out_A[res.expected != 0])))


def unit_current_A(synapse: Synapse4T2RDesign, v_rd_V: float, engine: Engine) -> float:
    """Mean |i_out| of the nonzero GXNOR cases of one cell simulated on ``engine``, A."""
    (sim,) = engine.run([unit_current_job(synapse, v_rd_V)])
    return measure_unit_current_A(synapse, v_rd_V, sim)


def _source_voltage(src: VoltageSource, t: np.ndarray) -> np.ndarray:
    w = src.waveform
    if isinstance(w, Dc):
        return np.full_like(t, float(w.value))  # type: ignore[arg-type]
    if isinstance(w, Pwl):
        pts = np.array(w.points)
        v: np.ndarray = np.interp(t, pts[:, 0], pts[:, 1])
        return v
    if isinstance(w, Pulse):  # pragma: no cover - not used by the array builders yet
        raise NotImplementedError("energy of PULSE sources")
    raise TypeError(type(w))


class _Settled:
    """Vectors of a quasi-static result as constant two-point waveforms over (0, stop)."""

    def __init__(self, op: RawPlot) -> None:
        self.op = op

    def __getitem__(self, name: str) -> np.ndarray:
        v = float(self.op[name][0])
        return np.array([v, v])


def read_waveforms(
    sim: SimResult, stop_s: float
) -> tuple[RawPlot | _Settled, np.ndarray, bool]:
    """(vectors, time axis, is-transient) of a read result: the transient's waveforms, or —
    for a quasi-static engine that returns only an operating point — the settled values as
    constant waveforms over (0, ``stop_s``)."""
    try:
        tran = sim.plot("tran")
    except ResultParseError:
        return _Settled(sim.plot("op")), np.array([0.0, stop_s]), False
    return tran, tran.scale, True


def delivered_energy_J(circuit: Circuit, tran: RawPlot) -> float:
    """Σ over the circuit's top-level voltage sources of ∫ V·I_delivered dt, J.

    ngspice's branch current flows into the + terminal, so the delivered power is −V·i.
    """
    t = tran.scale
    energy = 0.0
    for e in circuit.elements:
        if isinstance(e, VoltageSource):
            v = _source_voltage(e, t)
            energy += float(np.trapezoid(-v * tran[f"i({e.name.lower()})"], t))
    return energy


def settling_latency_s(t: np.ndarray, out: np.ndarray, tol: float, t0: float) -> np.ndarray:
    """Per output: time after ``t0`` from which it stays within ``tol`` of its final value."""
    final = out[:, -1]
    latency = np.full(out.shape[0], np.nan)
    for k in range(out.shape[0]):
        outside = np.nonzero(np.abs(out[k] - final[k]) > tol)[0]
        last = outside[-1] if outside.size else -1
        if last < len(t) - 1:
            latency[k] = max(float(t[last + 1]) - t0, 0.0)
    return latency


@dataclass(frozen=True, slots=True)
class ArrayOpResult:
    """One simulated read-type operation.

    Attributes
    ----------
    operation:
        ``"ff"`` or ``"bp"``.
    time_s:
        Simulation time points, s.
    out_A:
        Output currents over time, shape (outputs, points), A: rows (ff) or column
        differences (bp).
    final_A:
        Outputs at the end of the pulse, A.
    ideal_count:
        Σ GXNOR per output (eq. 30 / the W^T·y analogue).
    unit_A:
        One synapse's current, A.
    energy_J:
        Energy delivered by all sources over the window, J.
    latency_s:
        Settling latency of each output, s (NaN if it never settles).
    pulse:
        Read timing.
    elapsed_s:
        Simulator wall time, s.
    engine:
        The engine that produced it. A quasi-static engine (``fast``) gives the settled
        outputs only: ``time_s`` is then (0, stop), ``out_A`` constant, and ``energy_J``
        and ``latency_s`` are NaN (the transient is the ground truth for them).
    """

    operation: str
    time_s: np.ndarray
    out_A: np.ndarray
    final_A: np.ndarray
    ideal_count: np.ndarray
    unit_A: float
    energy_J: float
    latency_s: np.ndarray
    pulse: ReadPulse
    elapsed_s: float
    engine: str = "ngspice"

    @property
    def error_lsb(self) -> np.ndarray:
        """Output minus ideal count, in units of one synapse current."""
        out: np.ndarray = self.final_A / self.unit_A - self.ideal_count
        return out

    @property
    def power_W(self) -> float:
        """Mean power over the window, W."""
        return self.energy_J / float(self.time_s[-1] - self.time_s[0])


def run_array_op(
    design: Array4T2RDesign,
    weights: np.ndarray,
    operation: Operation,
    vector: np.ndarray,
    *,
    engine: Engine,
    pulse: ReadPulse | None = None,
    settle_lsb: float = 0.1,
) -> ArrayOpResult:
    """Simulate one feedforward (``vector`` = activations) or backprop (errors) operation.

    Two jobs: the array read and the single-cell GXNOR read that sets the unit current.
    """
    pulse = pulse or ReadPulse()
    job = read_job(design, weights, operation, vector, pulse=pulse)
    sim, cell = engine.run([job, unit_current_job(design.synapse, pulse.v_rd_V)])
    unit = measure_unit_current_A(design.synapse, pulse.v_rd_V, cell)
    assert job.circuit is not None
    return measure_array_op(
        design, weights, operation, vector, pulse, job.circuit, sim, unit, settle_lsb=settle_lsb
    )


def measure_array_op(
    design: Array4T2RDesign,
    weights: np.ndarray,
    operation: Operation,
    vector: np.ndarray,
    pulse: ReadPulse,
    circuit: Circuit,
    sim: SimResult,
    unit_A: float,
    *,
    settle_lsb: float = 0.1,
) -> ArrayOpResult:
    """Read the result of :func:`~spinspice.array_builder.array_4t2r.read_job` (a transient,
    or a quasi-static solution of it: see :class:`ArrayOpResult`)."""
    tran, t, transient = read_waveforms(sim, pulse.stop_s)
    energy = delivered_energy_J(circuit, tran) if transient else float("nan")  # type: ignore[arg-type]
    w = weight_values(weights)
    x = np.asarray(vector, dtype=int)
    if operation == "ff":
        out = np.stack(
            [tran[f"i({sense_name('out', m).lower()})"] for m in range(1, design.rows + 1)]
        )
        ideal = w @ x
    else:
        out = np.stack(
            [
                tran[f"i({sense_name('u1', n).lower()})"]
                - tran[f"i({sense_name('ub2', n).lower()})"]
                for n in range(1, design.cols + 1)
            ]
        )
        ideal = w.T @ x
    unit = unit_A
    final = out[:, -1]
    latency = (
        settling_latency_s(t, out, settle_lsb * unit, pulse.delay_s)
        if transient
        else np.full(out.shape[0], np.nan)
    )
    return ArrayOpResult(
        operation=operation,
        time_s=t,
        out_A=out,
        final_A=final,
        ideal_count=ideal,
        unit_A=unit,
        energy_J=energy,
        latency_s=latency,
        pulse=pulse,
        elapsed_s=sim.elapsed_s,
        engine=sim.backend,
    )


#: Outputs named in a waveform plot's legend (the rest are drawn unnamed).
MAX_LEGEND_OUTPUTS = 16


def plot_waveforms(result: ArrayOpResult, target: Path | str, title: str = "") -> Path:
    """Output currents over time in units of one synapse current, with the ideal counts
    dashed; PNG written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    fig, ax = plt.subplots(figsize=(6, 3.8))
    t_ns = result.time_s * 1e9
    n_out = result.out_A.shape[0]
    for k in range(n_out):
        label = f"output {k + 1}" if k < MAX_LEGEND_OUTPUTS else None
        (line,) = ax.plot(t_ns, result.out_A[k] / result.unit_A, lw=1, label=label)
        ax.axhline(result.ideal_count[k], color=line.get_color(), ls="--", lw=0.6)
    ax.plot([], [], color="0.4", ls="--", lw=0.6, label="ideal count")
    ax.set_xlabel("time [ns]")
    ax.set_ylabel("output / one synapse current")
    ax.set_title(title or f"{result.operation} outputs (dashed: ideal counts)")
    ax.grid(True, alpha=0.3)
    more = f" (first {MAX_LEGEND_OUTPUTS} of {n_out})" if n_out > MAX_LEGEND_OUTPUTS else ""
    ax.legend(fontsize=7, ncol=2, title=f"outputs{more}", title_fontsize=7)
    fig.tight_layout()
    fmt = Path(target).suffix.lstrip(".").lower() or "png"
    out = write_atomic(target, lambda p: fig.savefig(p, format=fmt, dpi=120))
    plt.close(fig)
    return out
