"""The 2T1R binary MTJ synapse family (reference-decoded arrays): registration.

Operations: ``ff`` and ``bp`` (array reads with seeded random ±1 weights and vectors, plus
the one-cell job that sets the unit current), ``update`` (every cell pulsed towards the
opposite state for 1 ns, columns in sequence, behavioural MTJ).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spinspice.analysis.array_2t1r_ops import (
    PROGRESS_TOLERANCE,
    measure_2t1r_read,
    measure_2t1r_update,
    measure_cell_read,
    run_2t1r_op,
)
from spinspice.analysis.array_ops import plot_waveforms
from spinspice.analysis.corners import DECODE_LSB, OPERATIONS
from spinspice.analysis.corners_2t1r import check_corners_2t1r
from spinspice.analysis.energy import energy_row_2t1r
from spinspice.analysis.registry import DesignSpec, Family, register
from spinspice.analysis.runner import Engine, SimResult
from spinspice.array_builder.array_2t1r import (
    Array2T1RDesign,
    UpdateDeck,
    random_binary_weights,
    read_job,
    update_circuit,
    update_job,
)
from spinspice.array_builder.array_4t2r import ReadPulse
from spinspice.array_builder.synapse_2t1r import Synapse2T1RDesign, read_cases_job
from spinspice.netlists.job import Job
from spinspice.netlists.mtj_model import MTJModelKind
from spinspice.spintronic_cells.fit import BehaviouralFit

#: Pulse width of the exported update, s.
UPDATE_WIDTH_S = 1e-9


def make_design(spec: DesignSpec) -> Array2T1RDesign:
    """An M×N 2T1R array (plus reference rows/columns) whose MTJs are the fit's."""
    syn = Synapse2T1RDesign(
        technology=spec.technology, r_on_ohm=spec.fit.r_on_ohm, r_off_ohm=spec.fit.r_off_ohm
    )
    return Array2T1RDesign(synapse=syn, rows=spec.rows, cols=spec.cols)


def _vector(design: Array2T1RDesign, operation: str, seed: int) -> np.ndarray:
    n = design.cols if operation == "ff" else design.rows
    return np.random.default_rng(seed + 1).choice([-1, 1], n)


def _update_deck(design: Array2T1RDesign, fit: BehaviouralFit, seed: int) -> UpdateDeck:
    w = random_binary_weights(design.rows, design.cols, seed)
    return update_circuit(design, w, -w, UPDATE_WIDTH_S, fit=fit, seed=seed)


def jobs(
    design: Array2T1RDesign, fit: BehaviouralFit, operation: str, seed: int, kind: MTJModelKind
) -> list[Job]:
    """The jobs of one operation (module docstring)."""
    del kind  # the 2T1R update deck uses the behavioural MTJ
    if operation in ("ff", "bp"):
        pulse = ReadPulse()
        w = random_binary_weights(design.rows, design.cols, seed)
        return [
            read_job(design, w, operation, _vector(design, operation, seed), pulse=pulse),  # type: ignore[arg-type]
            read_cases_job(design.synapse, v_rd_V=pulse.v_rd_V),
        ]
    return [update_job(design, _update_deck(design, fit, seed))]


def check_golden(
    design: Array2T1RDesign,
    fit: BehaviouralFit,
    operation: str,
    seed: int,
    job_list: Sequence[Job],
    results: Sequence[SimResult],
) -> list[str]:
    """What a working deck of each operation must show (module docstring)."""
    w = random_binary_weights(design.rows, design.cols, seed)
    if operation in ("ff", "bp"):
        pulse = ReadPulse()
        circuit = job_list[0].circuit
        assert circuit is not None
        res = measure_2t1r_read(
            design, w, operation, _vector(design, operation, seed), pulse, circuit, results[0],  # type: ignore[arg-type]
            measure_cell_read(pulse.v_rd_V, results[1]),
        )
        worst = float(np.max(np.abs(res.op.error_lsb)))
        return [] if worst < DECODE_LSB else [f"{operation} does not decode: {worst:.2f} LSB"]
    up = measure_2t1r_update(_update_deck(design, fit, seed), w, fit, results[0])
    problems = []
    if np.any(up.wrong_direction):
        problems.append("an MTJ switched that was not pulsed towards the other state")
    off_edge = np.abs(up.progress - 1) > PROGRESS_TOLERANCE
    if np.any(up.switched != (up.progress >= 1.0)) and np.any(off_edge):
        bad = up.switched != (up.progress >= 1.0)
        if np.any(bad & off_edge):
            problems.append("switching disagrees with the fitted law's switching integral")
    return problems


def plot_worst_corner(
    design: Array2T1RDesign, seed: int, engine: Engine, target: object
) -> None:
    """Feedforward waveforms with only column 1 driven (corner [M,1])."""
    x = np.zeros(design.cols, dtype=int)
    x[0] = 1
    w = random_binary_weights(design.rows, design.cols, seed)
    res = run_2t1r_op(design, w, "ff", x, engine=engine)
    plot_waveforms(res, target, title="2t1r feedforward, column 1 driven (corner [M,1])")  # type: ignore[arg-type]


FAMILY = register(
    Family(
        name="2t1r",
        title="2T1R binary MTJ synapse arrays with reference rows/columns",
        source="seed 001 §4 (binary variant), reference decoding as documented in docs/2t1r.md",
        operations=("ff", "bp", "update"),
        make_design=make_design,
        jobs=jobs,
        check_golden=check_golden,
        corners=check_corners_2t1r,
        corner_operations=OPERATIONS,
        energy=energy_row_2t1r,
        plot_worst_corner=plot_worst_corner,
        mtj_models=("behavioural",),
    )
)
