"""The seed 004 domain-wall synapse crossbar, ``dw``: registration.

Operation ``read``: seeded random 4-bit weights (programmed by pulse width with the
preset's device variation) and :data:`READ_VECTORS` binary input vectors, one transient
(:func:`~spinspice.array_builder.dw_crossbar.crossbar_job`).

Golden check: every neuron input current is within the stated crossbar error of what the
programmed walls give — ``|i_out − i_programmed| ≤ 6 % · i_programmed + 0.5 LSB`` (the
access transistor and wire IR drop compress the currents by ≈ 2–5 %).

Energy row (``spinspice energy --cell dw``): read energy per input vector from the
transient (V_DD into the bit-line clamps + word-line drivers; the behavioural buffer
amplifiers' bias is not included), power over the read slot, area of the M+1 × N+1 cells
(with the offset column and the threshold-offset row), and the programming ("update")
energy of all weights from the device law, ``Σ I_prog²·R_track·T_pulse`` (not simulated).
There is no backward pass: the ``bp`` columns are NaN, and so are the periphery columns
(no periphery model of seed 004's Table I is implemented).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from spinspice.analysis.domain_wall import measure_crossbar
from spinspice.analysis.registry import DesignSpec, Family, register
from spinspice.analysis.runner import Engine, SimResult, run_one
from spinspice.array_builder.dw_crossbar import (
    MAX_ARRAY_SIDE,
    DWCrossbarDesign,
    InputSchedule,
    crossbar_job,
    program,
    random_problem,
)
from spinspice.array_builder.dw_devices import dw_models
from spinspice.errors import ParameterError
from spinspice.netlists.job import Job
from spinspice.netlists.mtj_model import MTJModelKind
from spinspice.spintronic_cells.domain_wall import pulse_width_s
from spinspice.spintronic_cells.fit import BehaviouralFit

#: Input vectors of one ``read`` job.
READ_VECTORS = 8
#: Golden tolerance: relative compression allowed, and absolute LSB.
GOLDEN_REL = 0.06
GOLDEN_LSB = 0.5


def _make_design(spec: DesignSpec) -> DWCrossbarDesign:
    if spec.rows > MAX_ARRAY_SIDE or spec.cols > MAX_ARRAY_SIDE:
        raise ParameterError("the dw family simulates up to 256 x 256 arrays")
    return DWCrossbarDesign(rows=spec.rows, cols=spec.cols, technology=spec.technology)


def _problem(design: DWCrossbarDesign, seed: int) -> tuple[Any, InputSchedule]:
    levels, x = random_problem(design, READ_VECTORS, seed)
    return program(design, levels, seed + 1), InputSchedule(vectors=x)


def _jobs(
    design: DWCrossbarDesign, fit: BehaviouralFit, operation: str, seed: int, kind: MTJModelKind
) -> list[Job]:
    del fit, operation  # DW devices have their own law; one operation
    weights, inputs = _problem(design, seed)
    return [crossbar_job(design, weights, inputs, dw_models(kind))]


def _check_golden(
    design: DWCrossbarDesign,
    fit: BehaviouralFit,
    operation: str,
    seed: int,
    job_list: Sequence[Job],
    results: Sequence[SimResult],
) -> list[str]:
    del fit, operation, job_list
    weights, inputs = _problem(design, seed)
    res = measure_crossbar(design, weights, inputs, results[0])
    bound = GOLDEN_REL * res.i_programmed_A + GOLDEN_LSB * design.i_lsb_A
    bad = np.abs(res.i_out_A - res.i_programmed_A) > bound
    if bad.any():
        worst = float(np.abs(res.error_circuit_lsb).max())
        return [
            f"{int(bad.sum())} neuron currents off the programmed walls (worst {worst:.2f} LSB)"
        ]
    return []


def energy_row_dw(
    design: DWCrossbarDesign,
    fit: BehaviouralFit,
    *,
    seed: int,
    engine: Engine,
    method: str = "transient",
) -> dict[str, Any]:
    """One row of the energy table (module docstring)."""
    del fit
    if method != "transient":
        raise ParameterError("the dw family measures energy from transients only")
    weights, inputs = _problem(design, seed)
    t0 = time.perf_counter()
    sim = run_one(engine, crossbar_job(design, weights, inputs, dw_models("behavioural")))
    elapsed = time.perf_counter() - t0
    res = measure_crossbar(design, weights, inputs, sim)
    e_ff = float(res.e_slot_J.mean())
    p = design.strip
    prog = design.programming
    widths = pulse_width_s(p, (weights.levels / (prog.n_levels - 1)).ravel(), prog.i_prog_A)
    e_upd = float(prog.i_prog_A**2 * p.r_track_ohm * widths.sum())
    t_upd = float(widths.sum())
    ops = 2.0 * design.rows * design.cols
    nan = math.nan
    return {
        "cell": "dw",
        "rows": design.rows,
        "cols": design.cols,
        "area_m2": (design.rows + 1) * (design.cols + 1) * design.cell_area_m2(),
        "p_ff_W": e_ff / inputs.slot_s,
        "p_update_W": e_upd / t_upd if t_upd > 0 else 0.0,
        "e_ff_J": e_ff,
        "e_bp_J": nan,
        "e_update_J": e_upd,
        "tops_per_w_ff": ops / e_ff / 1e12,
        "tops_per_w_bp": nan,
        "tops_per_w_update": ops / e_upd / 1e12 if e_upd > 0 else nan,
        "tops_per_w_ff_periph": nan,
        "tops_per_w_bp_periph": nan,
        "tops_per_w_update_periph": nan,
        "t_ff_s": inputs.slot_s,
        "t_update_s": t_upd,
        "sim_time_s": elapsed,
    }


FAMILY_DW = register(
    Family(
        name="dw",
        title="domain-wall synapse crossbar with offset column (seed 004)",
        source="seed 004 eq. 1, Fig. 1, Fig. 3(b), Fig. 4, section III.B",
        operations=("read",),
        make_design=_make_design,
        jobs=_jobs,
        check_golden=_check_golden,
        golden_size=(4, 3),
        energy=energy_row_dw,
        energy_methods=("transient",),
    )
)
