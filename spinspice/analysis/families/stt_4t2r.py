"""The 4T2R ternary MTJ synapse family (seed 001 Fig. 3): registration.

Operations: ``gxnor`` (the 12-case cell truth table), ``ff`` and ``bp`` (array reads with
seeded random weights and ternary vectors, plus the one-cell job that sets the unit
current), ``update`` (SGD in-situ update with the fitted stochastic MTJ, ΔW = 1.5 on
every cell).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spinspice.analysis import corners as corners_4t2r
from spinspice.analysis.array_ops import (
    measure_array_op,
    measure_unit_current_A,
    plot_waveforms,
    run_array_op,
    unit_current_job,
)
from spinspice.analysis.corners import DECODE_LSB
from spinspice.analysis.energy import energy_row_4t2r
from spinspice.analysis.gxnor import measure_gxnor
from spinspice.analysis.registry import DesignSpec, Family, register
from spinspice.analysis.runner import Engine, SimResult
from spinspice.analysis.update_ops import measure_update
from spinspice.array_builder.array_4t2r import (
    Array4T2RDesign,
    ReadPulse,
    random_weights,
    read_job,
)
from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign, all_gxnor_cases, gxnor_job
from spinspice.array_builder.update_4t2r import update_circuit, update_job
from spinspice.netlists.job import Job
from spinspice.netlists.mtj_model import MTJModelKind
from spinspice.spintronic_cells.fit import BehaviouralFit

#: ΔW of the golden/exported update (as in the corner checks).
UPDATE_DELTA_W = 1.5


def make_design(spec: DesignSpec) -> Array4T2RDesign:
    """An M×N 4T2R array whose MTJs are the fit's (R_on, R_off)."""
    syn = Synapse4T2RDesign(
        technology=spec.technology, r_on_ohm=spec.fit.r_on_ohm, r_off_ohm=spec.fit.r_off_ohm
    )
    return Array4T2RDesign(synapse=syn, rows=spec.rows, cols=spec.cols)


def _vector(design: Array4T2RDesign, operation: str, seed: int) -> np.ndarray:
    n = design.cols if operation == "ff" else design.rows
    return np.random.default_rng(seed + 1).choice([-1, 1], n)


def _update_plan(
    design: Array4T2RDesign, fit: BehaviouralFit, seed: int, kind: MTJModelKind
) -> object:
    w = np.full((design.rows, design.cols), "-1", dtype=object)
    return update_circuit(
        design,
        w,
        fit,
        scheme="sgd",
        errors=np.full(design.rows, UPDATE_DELTA_W),
        inputs=np.ones(design.cols, dtype=int),
        seed=seed,
        kind=kind,
    )


def jobs(
    design: Array4T2RDesign, fit: BehaviouralFit, operation: str, seed: int, kind: MTJModelKind
) -> list[Job]:
    """The jobs of one operation (module docstring)."""
    pulse = ReadPulse()
    if operation == "gxnor":
        return [gxnor_job(design.synapse, all_gxnor_cases(), v_rd_V=pulse.v_rd_V)]
    if operation in ("ff", "bp"):
        w = random_weights(design.rows, design.cols, seed)
        vec = _vector(design, operation, seed)
        return [
            read_job(design, w, operation, vec, pulse=pulse),  # type: ignore[arg-type]
            unit_current_job(design.synapse, pulse.v_rd_V),
        ]
    plan = _update_plan(design, fit, seed, kind)
    return [update_job(design, plan)]  # type: ignore[arg-type]


def check_golden(
    design: Array4T2RDesign,
    fit: BehaviouralFit,
    operation: str,
    seed: int,
    job_list: Sequence[Job],
    results: Sequence[SimResult],
) -> list[str]:
    """What a working deck of each operation must show (module docstring)."""
    pulse = ReadPulse()
    if operation == "gxnor":
        res = measure_gxnor(design.synapse, all_gxnor_cases(), pulse.v_rd_V, results[0])
        return [] if res.passed else [f"GXNOR cases wrong: {int((~res.sign_ok).sum())}"]
    if operation in ("ff", "bp"):
        unit = measure_unit_current_A(design.synapse, pulse.v_rd_V, results[1])
        w = random_weights(design.rows, design.cols, seed)
        circuit = job_list[0].circuit
        assert circuit is not None
        op = measure_array_op(
            design, w, operation, _vector(design, operation, seed), pulse, circuit, results[0],  # type: ignore[arg-type]
            unit,
        )
        worst = float(np.max(np.abs(op.error_lsb)))
        return [] if worst < DECODE_LSB else [f"{operation} does not decode: {worst:.2f} LSB"]
    kind: MTJModelKind = job_list[0].meta["mtj_model"]  # type: ignore[assignment]
    plan = _update_plan(design, fit, seed, kind)
    up = measure_update(plan, fit, results[0])  # type: ignore[arg-type]
    problems = []
    if np.any(up.switched & (up.p_model == 0)):
        problems.append("an MTJ switched although its pulse cannot switch it")
    if not up.energy_J > 0:
        problems.append(f"update energy {up.energy_J} J is not positive")
    return problems


def plot_worst_corner(
    design: Array4T2RDesign, seed: int, engine: Engine, target: object
) -> None:
    """Feedforward waveforms with only column 1 driven (corner [M,1])."""
    x = np.zeros(design.cols, dtype=int)
    x[0] = 1
    w = corners_4t2r.corner_weights(design.rows, design.cols, seed)
    res = run_array_op(design, w, "ff", x, engine=engine)
    plot_waveforms(res, target, title="4t2r feedforward, column 1 driven (corner [M,1])")  # type: ignore[arg-type]


FAMILY = register(
    Family(
        name="4t2r",
        title="4T2R ternary MTJ synapse arrays",
        source="seed 001 Fig. 3 (cell), Fig. 3b (array), eq. 18-32",
        operations=("gxnor", "ff", "bp", "update"),
        make_design=make_design,
        jobs=jobs,
        check_golden=check_golden,
        corners=corners_4t2r.check_corners,
        corner_operations=corners_4t2r.OPERATIONS,
        energy=energy_row_4t2r,
        energy_methods=("transient", "op"),
        plot_worst_corner=plot_worst_corner,
        decode_sweep=corners_4t2r.decode_sweep,
    )
)
