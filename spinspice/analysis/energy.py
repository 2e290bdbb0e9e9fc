"""Energy, power, area and TOPS/W of 4T2R and 2T1R arrays (seed 001 Tables 8–10 shape).

The 2T1R array is handled the same way with its own operations
(:mod:`spinspice.analysis.array_2t1r_ops`): reference-decoded reads, an M×1 update slice
driven for the full T_up towards every cell's other state, one gate pair per row.

Array figures (from ngspice, every source's ∫ V·I):

* feedforward: the full M×N array read once with random ±1 activations on every column
  and seeded random weights (all synapses read in parallel, §5.5.1); ``e_ff_J`` over the
  read window (T_rd plus the input edge), ``p_ff_W`` its mean power;
* backprop: the same with random ±1 errors on every row (``e_bp_J``);
* update (general scheme, columns one after another, §5.5.1): one column's update is
  simulated on an M×1 slice of the array (the driven column with its full-height lines;
  random ΔW = ±1.5 per cell, so both MTJs of every cell are driven), and the whole-array
  update is N such slots. The row control lines of the other N − 1 cells of each row are
  charged analytically: every slot swings the four controls of a row through 2·V_dd
  (at most twice each), drawing C·(2·V_dd)² per swing and back, with C = (N − 1)·(wire
  segment + gate) capacitance; gate capacitance ε_SiO2/t_ox·W·L with t_ox = 1.2 nm
  (the default models' ``toxe``). ``p_update_W`` is the mean power over the N slots.

Area is the cells' area from the layout model (:mod:`spinspice.array_builder.parasitics`).

Operations: a feedforward or backprop is 2·M·N operations (a multiply and an add per
synapse); an update is M·N. TOPS/W = operations / energy / 10¹². With the peripheral model
(seed 001 Table 9, for a 127×127 array, scaled linearly with the number of rows/columns)
energy adds P_periphery × latency: feedforward 8-bit ADCs + 1-bit DACs over
``t_ff_s`` (Table 10: 100 ns), backprop the same over 8 bit-streamed reads, update 8-bit
DACs + comparators over the N update slots.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from spinspice.analysis.array_ops import run_array_op
from spinspice.analysis.runner import Engine
from spinspice.analysis.update_ops import run_update
from spinspice.array_builder.array_4t2r import Array4T2RDesign, ReadPulse, random_weights
from spinspice.array_builder.update_4t2r import UpdatePulse, update_circuit
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import BehaviouralFit

if TYPE_CHECKING:
    import pandas as pd

EPS_SIO2 = 3.45e-11  # F/m
T_OX_M = 1.2e-9  # the default models' toxe, m

ENERGY_COLUMNS = (
    "cell",
    "rows",
    "cols",
    "area_m2",
    "p_ff_W",
    "p_update_W",
    "e_ff_J",
    "e_bp_J",
    "e_update_J",
    "tops_per_w_ff",
    "tops_per_w_bp",
    "tops_per_w_update",
    "tops_per_w_ff_periph",
    "tops_per_w_bp_periph",
    "tops_per_w_update_periph",
    "t_ff_s",
    "t_update_s",
    "sim_time_s",
    "engine",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeripheryModel:
    """Peripheral circuits of a 127×127 array (seed 001 Table 9), powers in W.

    Counts scale linearly with the array's rows (ADCs, comparators) or columns and rows
    (DACs) relative to 127.
    """

    adc8_W: float = 16e-3
    dac8_W: float = 5.47e-3
    dac1_W: float = 0.5e-3
    comparators_W: float = 0.455e-3
    reference_size: int = 127
    t_ff_s: float = 100e-9
    bp_bits: int = 8

    def __post_init__(self) -> None:
        for name in ("adc8_W", "dac8_W", "dac1_W", "comparators_W", "t_ff_s"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise ParameterError(f"{name} must be >= 0, got {v!r}")

    def scale(self, rows: int, cols: int) -> tuple[float, float]:
        """(row-side, both-sides) scale factors relative to the reference array."""
        return rows / self.reference_size, (rows + cols) / (2 * self.reference_size)


@dataclass(frozen=True, slots=True)
class QuasiStaticRead:
    """A read operation's energy from its DC operating point (``method="op"``)."""

    energy_J: float
    power_W: float
    elapsed_s: float
    time_s: np.ndarray
    engine: str = "ngspice"


def quasi_static_read(
    design: Array4T2RDesign,
    weights: np.ndarray,
    operation: str,
    vector: np.ndarray,
    *,
    pulse: ReadPulse,
    engine: Engine,
) -> QuasiStaticRead:
    """Read energy without a transient: P_dc·(T_rd + edge) + Σ C·V² of the wire nodes.

    The same deck as the transient read, solved at its final input levels with ``.op``:
    every source's DC power over the read window, plus the supply energy C·V² that charges
    each wire-segment capacitance of the input/output lines from 0 V (the control lines are
    already at their levels before a read). For arrays whose transient is too slow (128×128
    takes over an hour here); checked against the transient on small arrays (tests).
    """
    from spinspice.analysis.runner import run_one
    from spinspice.array_builder.array_4t2r import ARRAY_NAME, ROW_LINES, array_circuit
    from spinspice.netlists.circuit import Dc, OperatingPoint, Pwl, VoltageSource
    from spinspice.netlists.job import make_job
    from spinspice.netlists.technology import technology_tag

    circuit = array_circuit(design, weights, operation, vector, pulse=pulse)  # type: ignore[arg-type]
    elements = [
        replace(e, waveform=Dc(e.waveform.points[-1][1]))
        if isinstance(e, VoltageSource) and isinstance(e.waveform, Pwl)
        else e
        for e in circuit.elements
    ]
    dc = replace(circuit, elements=tuple(elements), analyses=(OperatingPoint(),), saves=())
    tag = technology_tag(design.synapse.technology)
    job = make_job(
        dc,
        key=f"4t2r/{operation}-op/{design.rows}x{design.cols}/{tag}",
        meta={"family": "4t2r", "operation": f"{operation}-op", "rows": design.rows,
              "cols": design.cols, "corner": tag},
    )
    sim = run_one(engine, job)
    op = sim.plot("op")
    power = 0.0
    for e in dc.elements:
        if isinstance(e, VoltageSource):
            power += -float(e.waveform.value) * float(op[f"i({e.name.lower()})"][0])  # type: ignore[union-attr, arg-type]
    _, c_seg = design.segment()
    charge = 0.0
    lines = [ln for ln in ("u1", "ub1", "u2", "ub2", *ROW_LINES) if not ln.startswith("e")]
    for line in lines:
        for m in range(1, design.rows + 1):
            for n in range(1, design.cols + 1):
                v = float(op[f"v({ARRAY_NAME}_{line}_{m}_{n})".lower()][0])
                charge += c_seg * v * v
    window = pulse.t_rd_s + pulse.rise_s
    energy = power * window + charge
    return QuasiStaticRead(
        energy,
        energy / (window + pulse.delay_s),
        sim.elapsed_s,
        np.array([0.0, pulse.stop_s]),
        sim.backend,
    )


def _update_slice_energy(
    design: Array4T2RDesign,
    fit: BehaviouralFit,
    pulse: UpdatePulse,
    seed: int,
    engine: Engine,
) -> tuple[float, float]:
    column = replace(design, cols=1)
    rng = np.random.default_rng(seed + 5)
    w = random_weights(design.rows, 1, seed)
    dw = rng.choice([-1.5, 1.5], size=(design.rows, 1))
    res = run_update(
        column,
        update_circuit(
            column, w, fit, scheme="general", delta_w=dw, pulse=pulse, seed=seed, kind="osdi"
        ),
        fit,
        engine=engine,
    )
    return res.energy_J, res.elapsed_s


def row_control_energy_J(design: Any, n_slots: int, pairs: int = 2) -> float:
    """Analytic charging energy of the row controls beyond the first column (docstring).

    ``pairs``: PMOS/NMOS gate-line pairs per row (2 for the 4T2R cell, 1 for the 2T1R).
    """
    t = design.synapse.technology
    _, c_seg = design.segment()
    c_gate_n = EPS_SIO2 / T_OX_M * t.wn_m * t.l_m
    c_gate_p = EPS_SIO2 / T_OX_M * t.wp_m * t.l_m
    extra = design.cols - 1
    swing = 2 * t.vdd_V
    # per slot and row: every PMOS and NMOS gate line up and back once
    c_total = extra * pairs * ((c_seg + c_gate_p) + (c_seg + c_gate_n))
    return float(design.rows * n_slots * c_total * swing**2)


def _ops_2t1r(
    design: Any, fit: BehaviouralFit, read: ReadPulse, seed: int, engine: Engine
) -> tuple[Any, Any, float, float, float]:
    """2T1R: (ff, bp, update energy of the array, update time, simulator time)."""
    from spinspice.analysis.array_2t1r_ops import run_2t1r_op, run_2t1r_update
    from spinspice.array_builder.array_2t1r import random_binary_weights

    m, n = design.rows, design.cols
    rng = np.random.default_rng(seed + 1)
    w = random_binary_weights(m, n, seed)
    ff = run_2t1r_op(design, w, "ff", rng.choice([-1, 1], n), engine=engine)
    bp = run_2t1r_op(design, w, "bp", rng.choice([-1, 1], m), engine=engine)
    column = replace(design, cols=1)
    up = run_2t1r_update(column, w[:, :1], -w[:, :1], 2e-9, seed=seed, fit=fit, engine=engine)
    e_update = n * up.energy_J + row_control_energy_J(design, n, pairs=1)
    return ff, bp, e_update, n * up.duration_s, ff.elapsed_s + bp.elapsed_s + up.elapsed_s


def energy_row_4t2r(
    design: Array4T2RDesign,
    fit: BehaviouralFit,
    *,
    periphery: PeripheryModel | None = None,
    read: ReadPulse | None = None,
    update: UpdatePulse | None = None,
    seed: int = 0,
    engine: Engine,
    method: str = "transient",
) -> dict[str, Any]:
    """One row of the energy table of a 4T2R array (module docstring).

    ``method="op"`` takes the read energies from :func:`quasi_static_read` instead of
    transients (large arrays).
    """
    read = read or ReadPulse()
    update = update or UpdatePulse()
    m, n = design.rows, design.cols
    rng = np.random.default_rng(seed + 1)
    w = random_weights(m, n, seed)
    read_op: Any = quasi_static_read if method == "op" else run_array_op
    if method not in ("transient", "op"):
        raise ParameterError(f"method must be 'transient' or 'op', got {method!r}")
    ff = read_op(design, w, "ff", rng.choice([-1, 1], n), pulse=read, engine=engine)
    bp = read_op(design, w, "bp", rng.choice([-1, 1], m), pulse=read, engine=engine)
    e_slice, t_slice = _update_slice_energy(design, fit, update, seed, engine)
    e_update = n * e_slice + row_control_energy_J(design, n)
    t_update = n * update.slot_s
    sim_time = ff.elapsed_s + bp.elapsed_s + t_slice
    return _energy_figures("4t2r", design, ff, bp, e_update, t_update, sim_time, periphery)


def energy_row_2t1r(
    design: Any,
    fit: BehaviouralFit,
    *,
    periphery: PeripheryModel | None = None,
    read: ReadPulse | None = None,
    seed: int = 0,
    engine: Engine,
    method: str = "transient",
) -> dict[str, Any]:
    """One row of the energy table of a 2T1R array (reads from transients only)."""
    if method != "transient":
        raise ParameterError(
            "the 2T1R energy table is measured from transients (--method transient)"
        )
    read = read or ReadPulse()
    ff, bp, e_update, t_update, sim_time = _ops_2t1r(design, fit, read, seed, engine)
    return _energy_figures("2t1r", design, ff, bp, e_update, t_update, sim_time, periphery)


def _energy_figures(
    cell: str,
    design: Any,
    ff: Any,
    bp: Any,
    e_update: float,
    t_update: float,
    sim_time: float,
    periphery: PeripheryModel | None,
) -> dict[str, Any]:
    """The table row from the measured operations (with and without periphery)."""
    periphery = periphery or PeripheryModel()
    m, n = design.rows, design.cols
    ops_read, ops_update = 2.0 * m * n, float(m * n)
    row_scale, both_scale = periphery.scale(m, n)
    p_ff_periph = (periphery.adc8_W + periphery.dac1_W) * max(row_scale, both_scale)
    e_ff_p = ff.energy_J + p_ff_periph * periphery.t_ff_s
    e_bp_p = periphery.bp_bits * (bp.energy_J + p_ff_periph * periphery.t_ff_s)
    e_up_p = (
        e_update + (periphery.dac8_W * both_scale + periphery.comparators_W * row_scale) * t_update
    )
    return {
        "cell": cell,
        "rows": m,
        "cols": n,
        "area_m2": design.area_m2,
        "p_ff_W": ff.power_W,
        "p_update_W": e_update / t_update,
        "e_ff_J": ff.energy_J,
        "e_bp_J": bp.energy_J,
        "e_update_J": e_update,
        "tops_per_w_ff": ops_read / ff.energy_J / 1e12,
        "tops_per_w_bp": ops_read / bp.energy_J / 1e12,
        "tops_per_w_update": ops_update / e_update / 1e12,
        "tops_per_w_ff_periph": ops_read / e_ff_p / 1e12,
        "tops_per_w_bp_periph": ops_read / e_bp_p / 1e12,
        "tops_per_w_update_periph": ops_update / e_up_p / 1e12,
        "t_ff_s": float(ff.time_s[-1] - ff.time_s[0]),
        "t_update_s": t_update,
        "sim_time_s": sim_time,
        "engine": ff.engine,
    }


EnergyRow = Callable[..., dict[str, Any]]


def energy_table(
    row: EnergyRow, designs: list[Any], fit: BehaviouralFit, **kw: Any
) -> pd.DataFrame:
    """The energy/power/area table, one row per array design, each measured by ``row``
    (a family's energy measure, e.g. :func:`energy_row_4t2r`)."""
    import pandas as pd

    return pd.DataFrame([row(d, fit, **kw) for d in designs], columns=list(ENERGY_COLUMNS))


def plot_energy(df: pd.DataFrame, target: Any) -> Any:
    """Energy per operation against array size (log–log), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    cells = df["rows"] * df["cols"]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for col, label in (("e_ff_J", "feedforward"), ("e_bp_J", "backprop"), ("e_update_J", "update")):
        ax.loglog(cells, df[col], "o-", label=label)
    ax.set_xlabel("synapses (M·N)")
    ax.set_ylabel("energy per array operation [J]")
    ax.set_title(f"{', '.join(sorted(set(df['cell'].astype(str))))} arrays: energy per operation")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = write_atomic(target, lambda p: fig.savefig(p, format="png", dpi=120))
    plt.close(fig)
    return out
