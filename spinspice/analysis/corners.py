"""Corner-case verification of synapse arrays (seed 001 §5.2.1) and the decoding-size sweep.

The four corner synapses [1,1], [1,N], [M,1], [M,N] (1-based, [row, column]) are the
cells nearest and farthest from the drivers (column inputs enter at row 0, row lines end
at column N+1); [M,1] is the worst case (§5.2.1). For each corner and operation the full
M×N array is simulated in ngspice with seeded random weights (the corner cells forced to a
nonzero weight so that the sign is meaningful):

* ``ff`` (eq. 30–31): only the corner's column is driven (x = +1 there, 0 elsewhere); the
  corner's row current must have the sign of GXNOR(+1, W) and be within 0.5 of the ideal
  integer count in units of one synapse's current (``error_lsb``; an ADC with one code per
  synapse decodes it). ``error_lsb_loaded`` reports the same row with random activations on
  every column (informational: the decoding limit is what :func:`decode_sweep` finds).
* ``bp`` (eq. 32): the same with the corner's row driven (y = +1) and its column's
  difference current I(u1) − I(ū2) checked.
* ``update`` (eq. 21–24, SGD, all cells in parallel, ΔW = 1.5 everywhere): every MTJ of
  the corner cell must switch exactly as the fitted law predicts from the MTJ current the
  corner actually receives and its own random draw (``switch_agrees``), and the model
  switching probability of the corner's ν-pulse (``psw_model``) must be at least half that
  of a lone cell (``psw_reference``): the array must not starve its corners of write
  current.

``read_disturb_p`` is the fitted law's switching probability for the largest read current
an MTJ can carry, V_rd/R_on for T_rd, with both regimes of a format-2 fit: the precessional
law and the thermally activated hops (``spintronic_cells/thermal_law.py``). It is its own
check (operation ``read-disturb``, one row per design when reads are checked): it fails at
READ_DISTURB_LIMIT and its ``detail`` names the probability and the model. Seed 001 device
C (Δ = 4.2) fails it: ~3 % of reads disturb it, as in the Monte Carlo (docs/device.md);
the read checks themselves judge sign and decoding only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from spinspice.analysis.array_ops import ArrayOpResult, run_array_op
from spinspice.analysis.runner import Engine
from spinspice.analysis.update_ops import run_update
from spinspice.array_builder.array_4t2r import Array4T2RDesign, ReadPulse, random_weights
from spinspice.array_builder.update_4t2r import update_circuit
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import MIDPOINT_DELAY, BehaviouralFit
from spinspice.spintronic_cells.mtj import Direction

if TYPE_CHECKING:
    import pandas as pd

OPERATIONS = ("ff", "bp", "update")
#: |error| below which an output decodes to the ideal integer count, in units of one synapse
#: current (LSB): half a code, so rounding to the nearest code recovers it (seed 001 eq. 31–32
#: read by an ADC with one code per synapse).
DECODE_LSB: Final = 0.5
#: Largest read-disturb probability (fitted-law P_sw of the largest read current over T_rd)
#: with which a corner still passes, dimensionless; our choice (one disturb in 1000 reads).
READ_DISTURB_LIMIT: Final = 1e-3
#: Probability that a forced corner weight is +1 rather than −1; our choice (unbiased).
CORNER_PLUS_ONE_PROBABILITY: Final = 0.5
CORNER_COLUMNS = (
    "cell",
    "rows",
    "cols",
    "corner",
    "row",
    "col",
    "operation",
    "passed",
    "sign_ok",
    "i_out_A",
    "ideal_count",
    "error_lsb",
    "error_lsb_loaded",
    "latency_s",
    "energy_J",
    "read_disturb_p",
    "psw_model",
    "psw_reference",
    "switch_agrees",
    "detail",
    "engine",
)


@dataclass(frozen=True, slots=True)
class Corner:
    """A corner cell, 0-based indices and its [row,col] label."""

    m: int
    n: int

    @property
    def label(self) -> str:
        """``[row,col]``, 1-based as in the seed."""
        return f"[{self.m + 1},{self.n + 1}]"


def corners_of(rows: int, cols: int) -> list[Corner]:
    """The distinct corners of an M×N array ([M,1] last: the worst case)."""
    seen: dict[tuple[int, int], Corner] = {}
    for m, n in ((0, 0), (0, cols - 1), (rows - 1, cols - 1), (rows - 1, 0)):
        seen.setdefault((m, n), Corner(m, n))
    return list(seen.values())


def corner_weights(rows: int, cols: int, seed: int) -> np.ndarray:
    """Random weight labels with every corner cell forced to ±1."""
    w = random_weights(rows, cols, seed)
    rng = np.random.default_rng(seed + 1)
    for c in corners_of(rows, cols):
        w[c.m, c.n] = "+1" if rng.random() < CORNER_PLUS_ONE_PROBABILITY else "-1"
    return w


def read_disturb_p(fit: BehaviouralFit, pulse: ReadPulse) -> float:
    """Fitted-law switching probability of the largest read current V_rd/R_on over T_rd."""
    i_max = pulse.v_rd_V / fit.r_on_ohm
    width = np.array([pulse.t_rd_s + MIDPOINT_DELAY * fit.tsw_s])
    return float(max(fit.direction(d).cdf(i_max, width, fit.tsw_s)[0] for d in ("AP->P", "P->AP")))


def read_disturb_row(cell: str, design: Any, rd_p: float) -> dict[str, Any]:
    """The read-disturb verdict of a design (operation ``read-disturb``, listed at the worst
    corner [M,1]): passes below :data:`READ_DISTURB_LIMIT`; the detail names the
    probability and the model behind it."""
    ok = rd_p < READ_DISTURB_LIMIT
    verdict = "<" if ok else ">="
    return corner_row(
        cell,
        design,
        Corner(design.rows - 1, 0),
        "read-disturb",
        passed=ok,
        read_disturb_p=rd_p,
        detail=f"P_sw of one read = {rd_p:.3g} {verdict} {READ_DISTURB_LIMIT:g}, from the "
        "fitted behavioural law (thermal regime included)"
        + ("" if ok else "; the device's thermal stability is too low for storage"),
    )


def corner_row(cell: str, design: Any, corner: Corner, op: str, **values: Any) -> dict[str, Any]:
    """One row of the corner table (every column present, unset ones NaN)."""
    base: dict[str, Any] = dict.fromkeys(CORNER_COLUMNS, np.nan)
    base.update(
        cell=cell,
        rows=design.rows,
        cols=design.cols,
        corner=corner.label,
        row=corner.m + 1,
        col=corner.n + 1,
        operation=op,
        detail="",
    )
    base.update(values)
    return base


#: Runs one read of a design: (design, weights, "ff"|"bp", vector) -> ArrayOpResult.
ReadRunner = Callable[[Any, np.ndarray, str, np.ndarray], ArrayOpResult]


def read_checks(
    cell: str,
    design: Any,
    weights: np.ndarray,
    op: str,
    corners: list[Corner],
    run: ReadRunner,
    loaded_vec: np.ndarray,
    rd_p: float,
) -> list[dict[str, Any]]:
    """ff/bp corner checks (module docstring), for any cell whose reads ``run`` simulates."""
    rows: list[dict[str, Any]] = []
    n_vec = design.cols if op == "ff" else design.rows
    loaded = run(design, weights, op, loaded_vec)
    # one simulation per driven line: corners sharing a column (ff) / row (bp) share it
    drive = sorted({c.n if op == "ff" else c.m for c in corners})
    for line in drive:
        vec = np.zeros(n_vec, dtype=int)
        vec[line] = 1
        res = run(design, weights, op, vec)
        for c in corners:
            if (c.n if op == "ff" else c.m) != line:
                continue
            out = c.m if op == "ff" else c.n
            ideal = int(res.ideal_count[out])
            err = float(res.error_lsb[out])
            sign_ok = bool(np.sign(res.final_A[out]) == np.sign(ideal)) if ideal else True
            ok = sign_ok and abs(err) < DECODE_LSB
            rows.append(
                corner_row(
                    cell,
                    design,
                    c,
                    op,
                    passed=ok,
                    sign_ok=sign_ok,
                    i_out_A=float(res.final_A[out]),
                    ideal_count=ideal,
                    error_lsb=err,
                    error_lsb_loaded=float(loaded.error_lsb[out]),
                    latency_s=float(res.latency_s[out]),
                    energy_J=res.energy_J,
                    engine=res.engine,
                    read_disturb_p=rd_p,
                    detail=f"{'row' if op == 'ff' else 'column'} output with only "
                    f"{'column' if op == 'ff' else 'row'} {line + 1} driven"

                )
            )
    return rows


def _lone_cell_psw(
    design: Array4T2RDesign, fit: BehaviouralFit, engine: Engine, seed: int
) -> float:
    lone = replace(design, rows=1, cols=1)
    res = run_update(
        lone,
        update_circuit(
            lone,
            np.array([["-1"]], dtype=object),
            fit,
            scheme="sgd",
            errors=np.array([1.5]),
            inputs=np.array([1]),
            seed=seed,
            kind="osdi",
        ),
        fit,
        engine=engine,
    )
    return float(res.p_model[0, 0, 1])  # MTJ2: the ν-driven one for ΔW > 0


def _update_checks(
    design: Array4T2RDesign,
    weights: np.ndarray,
    corners: list[Corner],
    fit: BehaviouralFit,
    engine: Engine,
    seed: int,
) -> list[dict[str, Any]]:
    # ΔW = +1.5 on every cell; corner cells start at −1 so that both MTJs can move.
    w = weights.copy()
    for c in corners:
        w[c.m, c.n] = "-1"
    plan = update_circuit(
        design,
        w,
        fit,
        scheme="sgd",
        errors=np.full(design.rows, 1.5),
        inputs=np.ones(design.cols, dtype=int),
        seed=seed,
        kind="osdi",
    )
    res = run_update(design, plan, fit, engine=engine)
    ref = _lone_cell_psw(design, fit, engine, seed)
    rows = []
    for c in corners:
        agree = True
        for j, draws in enumerate((plan.draws1, plan.draws2)):
            k = c.m * design.cols + c.n
            d: Direction = "AP->P" if res.start_ap[c.m, c.n, j] else "P->AP"
            f = fit.direction(d)
            thr = (draws.l_ap2p if d == "AP->P" else draws.l_p2ap)[k]
            can = res.p_model[c.m, c.n, j] > 0
            progress = (res.current_A[c.m, c.n, j] - f.ic_A) / f.c_As * plan.widths_s[c.m, c.n, j]
            predicted = bool(can and thr <= progress)
            # within 2 % of the threshold the edge timing decides: do not count it
            if abs(progress - thr) > 0.02 * thr:
                agree &= predicted == bool(res.switched[c.m, c.n, j])
        psw = float(res.p_model[c.m, c.n, 1])
        ok = agree and psw >= 0.5 * ref
        rows.append(
            corner_row(
                "4t2r",
                design,
                c,
                "update",
                passed=ok,
                psw_model=psw,
                psw_reference=ref,
                switch_agrees=agree,
                energy_J=res.energy_J,
                engine=res.engine,
                i_out_A=float(res.current_A[c.m, c.n, 1]),
                detail=f"SGD, ΔW=1.5 on all cells; from -1 to {res.final_weights[c.m, c.n]}",
            )
        )
    return rows


def check_corners(
    design: Array4T2RDesign,
    fit: BehaviouralFit,
    *,
    operations: Sequence[str] = OPERATIONS,
    seed: int = 0,
    pulse: ReadPulse | None = None,
    engine: Engine,
) -> pd.DataFrame:
    """Run the corner checks (module docstring); one row per (corner, operation)."""
    import pandas as pd

    bad = set(operations) - set(OPERATIONS)
    if bad or not operations:
        raise ParameterError(f"unknown operations {sorted(bad)}; use {', '.join(OPERATIONS)}")
    pulse = pulse or ReadPulse()
    weights = corner_weights(design.rows, design.cols, seed)
    corners = corners_of(design.rows, design.cols)
    rd_p = read_disturb_p(fit, pulse)
    rows: list[dict[str, Any]] = []
    for op in ("ff", "bp"):
        if op in operations:
            n_vec = design.cols if op == "ff" else design.rows
            loaded_vec = np.random.default_rng(seed + 7).integers(-1, 2, n_vec)
            rows += read_checks(
                "4t2r",
                design,
                weights,
                op,
                corners,
                lambda d, w, o, v: run_array_op(d, w, o, v, pulse=pulse, engine=engine),  # type: ignore[arg-type]
                loaded_vec,
                rd_p,
            )
    if "ff" in operations or "bp" in operations:
        rows.append(read_disturb_row("4t2r", design, rd_p))
    if "update" in operations:
        rows += _update_checks(design, weights, corners, fit, engine, seed)
    return pd.DataFrame(rows, columns=list(CORNER_COLUMNS))


def decode_sweep(
    make_design: Any,
    sizes: Sequence[int],
    *,
    seed: int = 0,
    pulse: ReadPulse | None = None,
    engine: Engine,
) -> pd.DataFrame:
    """Largest N×N array whose fully loaded feedforward still decodes.

    For each size, random weights and random activations on every column (seeded); the
    array decodes when every row's |error_lsb| < 0.5. Columns: ``size, max_abs_error_lsb,
    worst_row, decodes, elapsed_s`` plus ``why`` — the dominant cause, from the same
    simulation repeated with ideal wires (1 mΩ/µm): ``wire IR drop`` if ideal wires
    decode, else ``cell/transistor`` (zero-state leakage and transistor drops).
    """
    import pandas as pd

    from spinspice.array_builder.parasitics import WireModel

    pulse = pulse or ReadPulse()
    out = []
    for size in sizes:
        design = make_design(size)
        w = random_weights(size, size, seed)
        x = np.random.default_rng(seed + 3).integers(-1, 2, size)
        res = run_array_op(design, w, "ff", x, pulse=pulse, engine=engine)
        err = np.abs(res.error_lsb)
        decodes = bool(err.max() < DECODE_LSB)
        why = ""
        if not decodes:
            ideal = run_array_op(
                replace(design, wire=WireModel(r_per_m_ohm=1e3)),
                w,
                "ff",
                x,
                pulse=pulse,
                engine=engine,
            )
            ideal_err = float(np.abs(ideal.error_lsb).max())
            why = (
                f"wire IR drop (ideal wires: max {ideal_err:.2f} LSB)"
                if ideal_err < DECODE_LSB
                else f"cell/transistor (ideal wires still {ideal_err:.2f} LSB)"
            )
        out.append(
            {
                "size": size,
                "max_abs_error_lsb": float(err.max()),
                "worst_row": int(err.argmax()) + 1,
                "decodes": decodes,
                "elapsed_s": res.elapsed_s,
                "engine": res.engine,
                "why": why,
            }
        )
    return pd.DataFrame(out)
