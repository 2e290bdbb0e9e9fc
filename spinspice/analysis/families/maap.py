"""The seed 003 MAAP family (SHE-MTJ Multiply-Accumulate-Activate-Pool sets): registration.

A design of size rows × cols is one MAAP set of P = rows windows (activation pairs) of
K = cols weighted inputs. The MTJs are SHE-MTJs (``spintronic_cells.she_mtj`` preset
``seed003``); the family's device fit (an STT-MTJ law) is not used.

Operations:

* ``check``: the nominal set's calibration sweep and a transient of 8 random operations
  (seeded, :func:`spinspice.analysis.maap.random_products`); the golden check decodes
  them as ``spinspice maap check`` does and requires the right winner and < 1.5 LSB
  (4-bit code) on every vector whose top two windows differ by >= 1 LSB;
* ``calibrate``: the calibration sweep alone; the check requires a monotone transfer over
  [0, FS] and a flat ReLU floor below zero.

Energy (``spinspice energy --cell maap``): the simulated energy per MAAP operation as
``e_ff_J``, with TOPS/W counting 2·K·P operations (multiply + add) per MAAP operation;
no update or backprop (the columns are NaN). ``area_m2`` is the set's area counted from
the elements of its netlist (:func:`spinspice.array_builder.maap.set_area`, docs/maap.md §6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from spinspice.analysis.maap import MONOTONE_TOL_V, S_FS, Calibration, random_products
from spinspice.analysis.maap_energy import measure_op_energy
from spinspice.analysis.registry import DesignSpec, Family, register
from spinspice.analysis.runner import Engine, SimResult
from spinspice.array_builder.maap import (
    MAX_SET_SIDE,
    MaapDesign,
    calibration_job,
    maap_job,
    sample_times,
    set_area,
)
from spinspice.errors import ParameterError
from spinspice.netlists.job import Job
from spinspice.netlists.mtj_model import MTJModelKind
from spinspice.spintronic_cells.fit import BehaviouralFit

#: Operations of the exported check transient.
CHECK_VECTORS = 8
#: ADC resolution of the golden check.
CHECK_BITS = 4
#: Largest decoded error the golden check accepts, LSB.
CHECK_MAX_LSB = 1.5
#: Least output rise from 0 to FS of a working calibration transfer, V; our choice (a dead or
#: saturated set rises far less).
MIN_RISE_V: Final = 0.2


@dataclass(frozen=True, slots=True)
class MaapSetDesign:
    """One MAAP set: its circuit design, P windows (rows) and K inputs (cols)."""

    circuit: MaapDesign
    rows: int
    cols: int

    def __post_init__(self) -> None:
        for what, v in (("windows (rows)", self.rows), ("inputs (cols)", self.cols)):
            if not 1 <= v <= MAX_SET_SIDE:
                raise ParameterError(f"MAAP {what} must be in 1..64, got {v}")

    @property
    def area_m2(self) -> float:
        """Area of the set from its netlist's elements (``set_area``), m²."""
        return set_area(self.circuit, windows=self.rows, inputs=self.cols).total_m2


def make_design(spec: DesignSpec) -> MaapSetDesign:
    """A MAAP set of ``spec.rows`` windows × ``spec.cols`` inputs in ``spec.technology``."""
    return MaapSetDesign(MaapDesign(technology=spec.technology), spec.rows, spec.cols)


def jobs(
    design: MaapSetDesign, fit: BehaviouralFit, operation: str, seed: int, kind: MTJModelKind
) -> list[Job]:
    """The jobs of one operation (module docstring)."""
    del fit, kind  # SHE-MTJ preset; behavioural twin
    d, p, k = design.circuit, design.rows, design.cols
    cal = calibration_job(d, windows=p, inputs=k, s_max=S_FS)
    if operation == "calibrate":
        return [cal]
    prods = random_products(np.random.default_rng(seed), CHECK_VECTORS, p, k)
    return [cal, maap_job(d, prods, key=f"maap/check/{p}x{k}/seed{seed}", meta={"seed": seed})]


def _calibration(design: MaapSetDesign, res: SimResult) -> Calibration:
    dc = res.plot("dc")
    return Calibration(dc["v(v-sweep)"] / design.circuit.v_unit_V, dc["v(out)"], S_FS)


def check_golden(
    design: MaapSetDesign,
    fit: BehaviouralFit,
    operation: str,
    seed: int,
    job_list: Sequence[Job],
    results: Sequence[SimResult],
) -> list[str]:
    """What a working deck of each operation must show (module docstring)."""
    del fit, job_list
    cal = _calibration(design, results[0])
    pos = cal.s >= 0
    problems = []
    if np.any(np.diff(cal.v_out_V[pos]) < -MONOTONE_TOL_V):
        problems.append("the MAAP transfer is not monotone over [0, FS]")
    rise = float(np.interp(S_FS, cal.s, cal.v_out_V) - np.interp(0.0, cal.s, cal.v_out_V))
    if not rise > MIN_RISE_V:
        problems.append(f"the output rises only {rise:.3f} V from 0 to FS")
    elif np.ptp(cal.v_out_V[~pos]) > 0.1 * rise:
        problems.append("the ReLU floor is not flat below zero")
    if operation == "calibrate":
        return problems
    d, p, k = design.circuit, design.rows, design.cols
    prods = random_products(np.random.default_rng(seed), CHECK_VECTORS, p, k)
    tr = results[1].plot("tran")
    ts = sample_times(d, CHECK_VECTORS)
    v_hat = cal.decode(np.interp(ts, tr["time"], tr["v(out)"]))
    cur = np.stack([np.interp(ts, tr["time"], np.abs(tr[f"i(vwd{w})"])) for w in range(p)], 1)
    relu = np.clip(prods.sum(axis=2), 0.0, S_FS)
    lsb = S_FS / (2**CHECK_BITS - 1)
    order = np.sort(relu, axis=1)
    gap = (order[:, -1] - order[:, -2]) / lsb if p > 1 else np.full(CHECK_VECTORS, np.inf)
    counted = gap >= 1.0
    err = np.abs(v_hat - relu.max(axis=1)) / lsb
    if np.any(err[counted] > CHECK_MAX_LSB):
        problems.append(f"max-pool(ReLU) off by {err[counted].max():.2f} LSB")
    if np.any(np.argmax(cur, 1)[counted] != np.argmax(relu, 1)[counted]):
        problems.append("the winner-take-all picked the wrong window")
    return problems


def energy_row(
    design: MaapSetDesign,
    fit: BehaviouralFit,
    *,
    seed: int = 0,
    engine: Engine,
    method: str = "transient",
) -> dict[str, Any]:
    """One row of ``spinspice energy`` (module docstring)."""
    import time

    del fit
    if method != "transient":
        raise ParameterError("the maap family measures energy from transients only")
    t0 = time.perf_counter()
    op = measure_op_energy(
        engine, design.circuit, vectors=20, inputs=design.cols, windows=design.rows, seed=seed
    )
    ops = 2.0 * design.rows * design.cols
    nan = math.nan
    return {
        "cell": "maap",
        "rows": design.rows,
        "cols": design.cols,
        "area_m2": design.area_m2,
        "p_ff_W": op.power_W,
        "p_update_W": nan,
        "e_ff_J": op.e_op_J,
        "e_bp_J": nan,
        "e_update_J": nan,
        "tops_per_w_ff": ops / op.e_op_J / 1e12,
        "tops_per_w_bp": nan,
        "tops_per_w_update": nan,
        "tops_per_w_ff_periph": nan,
        "tops_per_w_bp_periph": nan,
        "tops_per_w_update_periph": nan,
        "t_ff_s": op.t_op_s,
        "t_update_s": nan,
        "sim_time_s": time.perf_counter() - t0,
    }


FAMILY = register(
    Family(
        name="maap",
        title="SHE-MTJ MAAP sets (conv + ReLU + max-pool), rows = windows P, cols = inputs K",
        source="seed 003 §2.2-4 (circuits designed in docs/maap.md)",
        operations=("check", "calibrate"),
        make_design=make_design,
        jobs=jobs,
        check_golden=check_golden,
        golden_size=(2, 3),
        energy=energy_row,
        mtj_models=("behavioural",),
    )
)
