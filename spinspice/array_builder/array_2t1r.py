"""M×N arrays of 2T1R binary synapses with reference rows and columns, and their decks.

Array organisation (as the 4T2R array, :mod:`spinspice.array_builder.array_4t2r`): the
inputs {u_n, ū_n} of column n are column lines driven / sensed at the top (row 0); the
controls {ep_m, en_m} and the output ``out_m`` of row m are row lines driven / sensed at the
right end (column N+1 of the data). One R–C segment per cell pitch on every line
(:mod:`spinspice.array_builder.parasitics`); cell [M, 1] is the farthest from every driver.

Reference (our design; see :mod:`spinspice.array_builder.synapse_2t1r`)
------------------------------------------------------------------------
The array holds (M + 2) × (N + 2) cells; the data occupy [1..M] × [1..N]:

* rows M+1 and M+2 are **reference rows**: every cell of row M+1 is P (R_on), every cell of
  row M+2 is AP (R_off). They share the column input lines with the data, so in the
  feedforward their row currents are Σ_n G_on'·x_n·V_rd and Σ_n G_off'·x_n·V_rd, and the
  reference current is their mean, I_ref = (I_{M+1} + I_{M+2})/2 = (G_on + G_off)/2·Σx·V_rd
  (primes: including the access transistors, which the reference cells share). In hardware
  the mean is a 1:2 current mirror of the two summed rows; each data row's result is
  I_row − I_ref = (G_on − G_off)/2·V_rd·Σ_n w_mn·x_n.
* columns N+1 and N+2 are **reference columns** (all P, all AP) used the same way by the
  backprop, I_col − I_ref with I_ref = (I_{N+1} + I_{N+2})/2 = (G_on + G_off)/2·Σy·V_rd.
* In feedforward the reference columns' inputs are held at 0 V (they carry no current); in
  backprop the reference rows' outputs are held at 0 V. The four corner cells never conduct.

The reference rows therefore sit at the far end of the column lines (the most IR drop) and
the reference columns next to the row drivers (the least); both are in the same deck as the
data, so whatever mismatch that placement causes shows up in the simulated error.

Operations built here
---------------------
* **feedforward** (seed 001 eq. 30–31 with binary weights): activations x_n ∈ {−1, 0, +1}
  → u = x·V_rd, ū = −x·V_rd; ep = en = −V_dd; each row output held at 0 V by a sense source
  ``Vout_m`` (current positive out of the array).
* **backprop** (eq. 32): errors y_m ∈ {−1, 0, +1} → ``out_m`` driven at y·V_rd, the same
  gates; every column line held at 0 V by ``Vu_n``/``Vub_n``; column result I(u_n) − I_ref.
* **stochastic update** (seed 001 §4.3, general scheme, columns updated sequentially): for
  each column with a nonzero ΔW, u = +V_up, ū = −V_up on that column (0 V elsewhere); row m
  turns on its PMOS (ΔW > 0) or NMOS (ΔW < 0) for the cell's pulse width; rows grounded. The
  MTJs are behavioural instances (``spinspice.netlists.mtj_model``) with per-cell recorded
  random thresholds, so switching is stochastic and reproducible.

MTJs are resistors (R_on, R_off of the synapse design) in the read decks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np

from spinspice.array_builder.array_4t2r import (
    MAX_ARRAY_SIDE,
    ReadPulse,
    check_ternary_vector,
    sense_name,
)
from spinspice.array_builder.common import check_matches_fit
from spinspice.array_builder.parasitics import LayoutModel, WireModel
from spinspice.array_builder.synapse_2t1r import (
    ACCESS_SUBCKT_NAME,
    SUBCKT_NAME,
    Synapse2T1RDesign,
    access_subcircuit,
    parse_binary_weight,
    synapse_subcircuit,
)
from spinspice.errors import ParameterError, require_positive
from spinspice.netlists import mtj_model
from spinspice.netlists.circuit import (
    GROUND,
    Capacitor,
    CellArray,
    Circuit,
    Dc,
    Element,
    Options,
    Pwl,
    Resistor,
    Save,
    SubcktInstance,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.technology import technology_tag
from spinspice.spintronic_cells.fit import BehaviouralFit

COL_LINES = ("u", "ub")
ROW_LINES = ("ep", "en", "out")
ARRAY_NAME = "A"
#: Reference rows (and columns) appended after the data: one all-P, one all-AP.
N_REF = 2
#: Axes of a weight matrix: (rows, cols).
WEIGHTS_NDIM: Final = 2
#: Longest update pulse, s; our choice (it bounds the simulated update's length).
MAX_PULSE_WIDTH_S: Final = 1e-6
#: Update pulses shorter than this are no pulse, s; our choice (1 fs, far below any edge).
MIN_PULSE_WIDTH_S: Final = 1e-15

Operation = Literal["ff", "bp"]

__all__ = [
    "ARRAY_NAME",
    "COL_LINES",
    "N_REF",
    "ROW_LINES",
    "Array2T1RDesign",
    "Operation",
    "ReadPulse",
    "UpdateDeck",
    "UpdatePulse2T1R",
    "array_circuit",
    "check_binary_weights",
    "free_node",
    "load_binary_weights",
    "mtj_instance_name",
    "parse_binary_weights",
    "random_binary_weights",
    "sense_name",
    "update_circuit",
    "widths_from_delta",
]


# --------------------------------------------------------------------------- weights


def parse_binary_weights(rows: Sequence[Sequence[object]]) -> np.ndarray:
    """A 2-D grid of weights (``-1``/``+1``/``1`` as text or numbers) → validated int array.

    Raises
    ------
    ParameterError
        Unknown labels or a ragged / empty grid.
    """
    try:
        grid = [[parse_binary_weight(v) for v in row] for row in rows]
    except ParameterError as exc:
        raise ParameterError(f"weights: {exc}") from None
    if not grid or not grid[0] or any(len(r) != len(grid[0]) for r in grid):
        raise ParameterError("weights must be a non-empty rectangular grid")
    return np.array(grid, dtype=int)


def load_binary_weights(path: Path) -> np.ndarray:
    """Read ±1 weights from a CSV/whitespace text file or a ``.npy`` file."""
    try:
        if Path(path).suffix == ".npy":
            data = np.load(path, allow_pickle=False)
            if data.ndim != WEIGHTS_NDIM:
                raise ParameterError(f"weights in {path} must be 2-D, got {data.ndim}-D")
            return parse_binary_weights(data.tolist())
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ParameterError(f"cannot read weights from {path}: {exc}") from None
    rows = [ln.replace(",", " ").split() for ln in text.splitlines() if ln.strip()]
    return parse_binary_weights(rows)


def random_binary_weights(rows: int, cols: int, seed: int) -> np.ndarray:
    """Uniformly random ±1 weights (seeded)."""
    rng = np.random.default_rng(seed)
    out: np.ndarray = rng.choice(np.array([-1, 1]), size=(rows, cols))
    return out


def check_binary_weights(weights: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Validate a weight array of the given shape: integers −1/+1 (or their labels)."""
    arr = np.asarray(weights)
    if arr.shape != shape:
        raise ParameterError(f"weights have shape {arr.shape}, expected {shape}")
    if arr.dtype.kind in "iuf":
        if not np.all(np.isin(arr, (-1, 1))):
            raise ParameterError("binary weights must be -1 or +1")
        return arr.astype(int)
    return parse_binary_weights(arr.tolist())


# --------------------------------------------------------------------------- design


@dataclass(frozen=True, slots=True, kw_only=True)
class Array2T1RDesign:
    """An M×N array of 2T1R cells, plus two reference rows and columns, with wire parasitics.

    Parameters
    ----------
    synapse:
        Cell design (technology, R_on, R_off).
    rows, cols:
        M and N (data cells), 1 to 1024.
    wire:
        Per-unit-length wire parasitics.
    layout:
        Area model (sets the cell pitch and so the segment R and C). Its default routing
        overhead (3) was chosen for the 4T2R's nine lines; the 2T1R carries five, so the
        default overstates the 2T1R cell a little (conservative for IR drop and area).
    """

    synapse: Synapse2T1RDesign
    rows: int
    cols: int
    wire: WireModel = field(default_factory=WireModel)
    layout: LayoutModel = field(default_factory=LayoutModel)

    def __post_init__(self) -> None:
        if not isinstance(self.synapse, Synapse2T1RDesign):
            raise ParameterError("synapse must be a Synapse2T1RDesign")
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_ARRAY_SIDE:
                raise ParameterError(f"{name} must be an integer from 1 to 1024, got {v!r}")

    @property
    def total_rows(self) -> int:
        """Rows including the two reference rows."""
        return self.rows + N_REF

    @property
    def total_cols(self) -> int:
        """Columns including the two reference columns."""
        return self.cols + N_REF

    @property
    def ref_rows(self) -> tuple[int, int]:
        """1-based indices of the (all-P, all-AP) reference rows."""
        return self.rows + 1, self.rows + 2

    @property
    def ref_cols(self) -> tuple[int, int]:
        """1-based indices of the (all-P, all-AP) reference columns."""
        return self.cols + 1, self.cols + 2

    @property
    def cell_area_m2(self) -> float:
        """Area of one 2T1R cell (one NMOS, one PMOS), m²."""
        t = self.synapse.technology
        return self.layout.cell_area_m2([(t.wn_m, t.l_m), (t.wp_m, t.l_m)])

    @property
    def pitch_m(self) -> float:
        """Cell pitch (square cells), m."""
        return math.sqrt(self.cell_area_m2)

    @property
    def data_area_m2(self) -> float:
        """Area of the M×N data cells, m²."""
        return self.rows * self.cols * self.cell_area_m2

    @property
    def area_m2(self) -> float:
        """Array area including the reference rows and columns (cells only), m²."""
        return self.total_rows * self.total_cols * self.cell_area_m2

    def segment(self) -> tuple[float, float]:
        """(R in Ω, C in F) of one wire segment."""
        return self.wire.segment(self.pitch_m)

    def cell_array(
        self,
        cell: str = SUBCKT_NAME,
        *,
        with_reference: bool = True,
        cell_params: dict[str, tuple[tuple[float, ...], ...]] | None = None,
    ) -> CellArray:
        """The :class:`CellArray` of this design (geometry and node names)."""
        r_seg, c_seg = self.segment()
        m, n = (self.total_rows, self.total_cols) if with_reference else (self.rows, self.cols)
        return CellArray(
            name=ARRAY_NAME,
            rows=m,
            cols=n,
            cell=cell,
            ports=("u", "ub", "ep", "en", "out"),
            col_lines=COL_LINES,
            row_lines=ROW_LINES,
            col_r_ohm=r_seg,
            col_c_F=c_seg,
            row_r_ohm=r_seg,
            row_c_F=c_seg,
            cell_params=cell_params or {},
        )


# --------------------------------------------------------------------------- read decks


def array_circuit(
    design: Array2T1RDesign,
    weights: np.ndarray,
    operation: Operation,
    vector: Sequence[int] | np.ndarray,
    *,
    pulse: ReadPulse | None = None,
) -> Circuit:
    """The transient deck of one feedforward or backprop operation (module docstring).

    Parameters
    ----------
    design:
        Array design.
    weights:
        ±1 weights, shape (rows, cols).
    operation:
        ``"ff"`` (``vector`` = activations, length cols) or ``"bp"`` (``vector`` = errors,
        length rows).
    pulse:
        Read timing (default :class:`~spinspice.array_builder.array_4t2r.ReadPulse`:
        V_rd = 0.1 V, T_rd = 0.5 ns).

    Notes
    -----
    Saved: every source current; the data outputs are ``i(vout_m)`` (ff) or ``i(vu_n)``
    (bp), the references ``i(vout_{M+1,M+2})`` (ff) or ``i(vu_{N+1,N+2})`` (bp).
    """
    pulse = pulse or ReadPulse()
    if not isinstance(pulse, ReadPulse):
        raise ParameterError("pulse must be a ReadPulse")
    if pulse.v_rd_V > design.synapse.technology.vdd_V:
        raise ParameterError(f"V_rd = {pulse.v_rd_V} V exceeds V_dd")
    m_rows, n_cols = design.rows, design.cols
    w = check_binary_weights(weights, (m_rows, n_cols))
    syn = design.synapse
    vdd = syn.technology.vdd_V
    r_on, r_off = syn.r_on_ohm, syn.r_off_ohm
    # full grid: data, then the P and AP reference columns; then the P and AP reference rows
    grid = [(*(syn.weight_resistance(int(v)) for v in row), r_on, r_off) for row in w]
    grid.append(tuple([r_on] * design.total_cols))
    grid.append(tuple([r_off] * design.total_cols))
    arr = design.cell_array(cell_params={"r": tuple(grid)})
    elements: list[Element] = [arr]
    for m in range(1, design.total_rows + 1):
        for line in ("ep", "en"):
            elements.append(
                VoltageSource(sense_name(line, m), arr.row_end(line, m), GROUND, Dc(-vdd))
            )
    if operation == "ff":
        x = check_ternary_vector(vector, n_cols, "activations")
        xs = np.concatenate([x, np.zeros(N_REF, dtype=int)])
        for n in range(1, design.total_cols + 1):
            level = xs[n - 1] * pulse.v_rd_V
            for line, s in (("u", 1), ("ub", -1)):
                elements.append(
                    VoltageSource(
                        sense_name(line, n), arr.col_end(line, n), GROUND, pulse.waveform(s * level)
                    )
                )
        for m in range(1, design.total_rows + 1):
            elements.append(
                VoltageSource(sense_name("out", m), arr.row_end("out", m), GROUND, Dc(0.0))
            )
    elif operation == "bp":
        y = check_ternary_vector(vector, m_rows, "errors")
        ys = np.concatenate([y, np.zeros(N_REF, dtype=int)])
        for n in range(1, design.total_cols + 1):
            for line in COL_LINES:
                elements.append(
                    VoltageSource(sense_name(line, n), arr.col_end(line, n), GROUND, Dc(0.0))
                )
        for m in range(1, design.total_rows + 1):
            level = ys[m - 1] * pulse.v_rd_V
            elements.append(
                VoltageSource(
                    sense_name("out", m), arr.row_end("out", m), GROUND, pulse.waveform(level)
                )
            )
    else:
        raise ParameterError(f"unknown operation {operation!r}; use 'ff' or 'bp'")
    saves = tuple(Save("i", (e.name.lower(),)) for e in elements if isinstance(e, VoltageSource))
    step = min(pulse.rise_s / 2, pulse.t_rd_s / 50)
    return Circuit(
        title=f"spinspice 2T1R array {m_rows}x{n_cols} {operation}",
        elements=tuple(elements),
        subcircuits=(synapse_subcircuit(syn),),
        libraries=(syn.technology.library_ref(),),
        analyses=(Transient(step, pulse.stop_s, max_step_s=step),),
        saves=saves,
        # same reasoning as the 4T2R array: 0.1 nA absolute tolerance against a ~10 µA unit
        options=Options(numeric={"abstol": 1e-10}),
    )


# --------------------------------------------------------------------------- update decks


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatePulse2T1R:
    """Timing and levels of the stochastic update.

    Parameters
    ----------
    v_up_V:
        Update voltage V_up on the active column (u = +V_up, ū = −V_up), V. Default 1 V
        (seed 001 Table 3). Must not exceed V_dd.
    t_up_s:
        Update window T_up, s (default 2 ns, seed 001 Table 3): each column phase keeps the
        column at V_up for at least T_up (longer if a pulse is longer); a pulse of ΔW has
        width min(|ΔW|/2, 1)·T_up (:func:`widths_from_delta`).
    rise_s:
        Rise/fall time of every edge, s (default 20 ps).
    settle_s:
        Time between the column edge and the gate edge, s (default 50 ps).
    max_step_s:
        Largest simulator time step, s (default 20 ps; switching times agree with 5 ps steps
        to ≈ 10 ps on a 4×4 array, see docs/2t1r.md).
    """

    v_up_V: float = 1.0
    t_up_s: float = 2e-9
    rise_s: float = 20e-12
    settle_s: float = 50e-12
    max_step_s: float = 20e-12

    def __post_init__(self) -> None:
        for name in ("v_up_V", "t_up_s", "rise_s", "settle_s", "max_step_s"):
            require_positive(name, getattr(self, name))


def widths_from_delta(delta_w: np.ndarray, t_up_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(sign, width in s) of the update pulses for update values ΔW.

    Binary weights are two levels apart (Δz = 2), so the GXNOR transition probability of a
    binary weight is min(|ΔW|/2, 1) (seed 001 §2.3 with Δz = 2); the pulse width is that
    fraction of T_up (as seed 001 eq. 19–20 set Δt = |ν|·T_up).
    """
    d = np.asarray(delta_w, dtype=float)
    if not np.all(np.isfinite(d)):
        raise ParameterError("update values must be finite")
    return np.sign(d).astype(int), np.clip(np.abs(d) / 2.0, 0.0, 1.0) * float(t_up_s)


def mtj_instance_name(m: int, n: int) -> str:
    """Name (without element letter) of the MTJ of data cell (m, n) in update decks."""
    return f"mtj_{m}_{n}"


def free_node(m: int, n: int) -> str:
    """Free-layer node of data cell (m, n) in update decks."""
    return f"{ARRAY_NAME}_f_{m}_{n}"


@dataclass(frozen=True, slots=True)
class UpdateDeck:
    """An update deck and its schedule.

    Attributes
    ----------
    circuit:
        The transient deck.
    columns:
        Columns (1-based) updated, in time order.
    phase_start_s:
        Start time of each column's phase, s (same order as ``columns``).
    pulse_start_s:
        Start of the gate edge of each cell's pulse, shape (rows, cols), s; NaN if the
        cell receives no pulse.
    delta_sign, width_s:
        The validated update signs and widths, shape (rows, cols).
    draws:
        The per-cell random thresholds, flattened row-major (cell (m, n) at
        (m−1)·cols + (n−1)).
    fit:
        The behavioural MTJ law used.
    pulse:
        Update timing.
    """

    circuit: Circuit
    columns: tuple[int, ...]
    phase_start_s: tuple[float, ...]
    pulse_start_s: np.ndarray
    delta_sign: np.ndarray
    width_s: np.ndarray
    draws: mtj_model.MTJDraws
    fit: BehaviouralFit
    pulse: UpdatePulse2T1R


def _wires(arr: CellArray) -> list[Element]:
    """The wire segments of ``arr`` as explicit elements (same names as the template)."""
    out: list[Element] = []
    for m in range(1, arr.rows + 1):
        for n in range(1, arr.cols + 1):
            for line in arr.col_lines:
                node = arr.node(line, m, n)
                seg = f"{arr.name}_{line}_{m}_{n}"
                out.append(Resistor(f"R{seg}", arr.node(line, m - 1, n), node, arr.col_r_ohm))
                if arr.col_c_F > 0:
                    out.append(Capacitor(f"C{seg}", node, GROUND, arr.col_c_F))
            for line in arr.row_lines:
                node = arr.node(line, m, n)
                seg = f"{arr.name}_{line}_{m}_{n}"
                out.append(Resistor(f"R{seg}", node, arr.node(line, m, n + 1), arr.row_r_ohm))
                if arr.row_c_F > 0:
                    out.append(Capacitor(f"C{seg}", node, GROUND, arr.row_c_F))
    return out


def _check_update_inputs(
    design: Array2T1RDesign, delta_sign: np.ndarray, width_s: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    shape = (design.rows, design.cols)
    sign = np.asarray(delta_sign)
    if sign.shape != shape:
        raise ParameterError(f"delta_sign has shape {sign.shape}, expected {shape}")
    if sign.dtype.kind not in "iuf" or not np.all(np.isin(sign, (-1, 0, 1))):
        raise ParameterError("delta_sign entries must be -1, 0 or +1")
    width = np.broadcast_to(np.asarray(width_s, dtype=float), shape).copy()
    if not np.all(np.isfinite(width)) or np.any(width < 0):
        raise ParameterError("pulse widths must be finite and >= 0 s")
    if np.any(width > MAX_PULSE_WIDTH_S):
        raise ParameterError("pulse widths above 1 us are not supported (simulation length)")
    sign = sign.astype(int)
    width[(sign == 0) | (width < MIN_PULSE_WIDTH_S)] = 0.0
    sign[width == 0.0] = 0
    return sign, width


def update_circuit(
    design: Array2T1RDesign,
    weights: np.ndarray,
    delta_sign: np.ndarray,
    width_s: np.ndarray | float,
    *,
    fit: BehaviouralFit,
    seed: int,
    pulse: UpdatePulse2T1R | None = None,
    skip_idle_columns: bool = True,
) -> UpdateDeck:
    """The transient deck of one stochastic update of the data cells (module docstring).

    Parameters
    ----------
    design:
        Array design; its R_on/R_off must equal the fit's (the MTJs are the fit's model).
    weights:
        Present ±1 weights, shape (rows, cols): the MTJs' initial states.
    delta_sign:
        Direction of each cell's update (−1, 0, +1), shape (rows, cols).
    width_s:
        Pulse width of each cell (scalar or (rows, cols)), s; 0 means no pulse.
    fit:
        Behavioural MTJ law (e.g. :func:`spinspice.spintronic_cells.fit.shipped_fit`).
    seed:
        Seed of the per-cell random thresholds (:func:`spinspice.netlists.mtj_model.draw`).
    pulse:
        Levels and timing (default :class:`UpdatePulse2T1R`).
    skip_idle_columns:
        Skip the phases of columns without any pulse (default). ``False`` drives every
        column with V_up in turn, which exposes unselected cells to the update bias.

    Notes
    -----
    The reference rows and columns are not in the update deck: their gates stay off and
    their inputs idle during updates, so they carry no current; only their wire
    capacitance is left out. Unpulsed rows keep both gates off during each phase.
    """
    pulse = pulse or UpdatePulse2T1R()
    if not isinstance(pulse, UpdatePulse2T1R):
        raise ParameterError("pulse must be an UpdatePulse2T1R")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    syn = design.synapse
    vdd = syn.technology.vdd_V
    if pulse.v_up_V > vdd:
        raise ParameterError(
            f"V_up = {pulse.v_up_V} V exceeds V_dd = {vdd} V: the unselected transistors "
            "of the active column would conduct"
        )
    check_matches_fit(syn.r_on_ohm, syn.r_off_ohm, fit)
    m_rows, n_cols = design.rows, design.cols
    w = check_binary_weights(weights, (m_rows, n_cols))
    sign, width = _check_update_inputs(design, delta_sign, width_s)
    draws = mtj_model.draw(fit, m_rows * n_cols, int(seed))

    # the CellArray is used for its geometry and node names only (not rendered): each cell
    # is the access pair plus an MTJ instance placed here, between f and the row output
    arr = design.cell_array(ACCESS_SUBCKT_NAME, with_reference=False)
    elements: list[Element] = _wires(arr)
    saves: list[Save] = []
    for m in range(1, m_rows + 1):
        for n in range(1, n_cols + 1):
            k = (m - 1) * n_cols + (n - 1)
            f = free_node(m, n)
            ports = (
                arr.node("u", m, n),
                arr.node("ub", m, n),
                arr.node("ep", m, n),
                arr.node("en", m, n),
                f,
            )
            elements.append(SubcktInstance(f"X{ARRAY_NAME}_{m}_{n}", ports, ACCESS_SUBCKT_NAME))
            name = mtj_instance_name(m, n)
            elements.append(
                mtj_model.instance(
                    "behavioural",
                    name,
                    f,
                    arr.node("out", m, n),
                    l_ap2p=float(draws.l_ap2p[k]),
                    l_p2ap=float(draws.l_p2ap[k]),
                    state="P" if w[m - 1, n - 1] == 1 else "AP",
                )
            )
            saves += [
                Save("v", (f"x{name}", "s")),
                Save("v", (f,)),
                Save("v", (arr.node("out", m, n),)),
            ]

    # schedule: one phase per updated column
    r, settle = pulse.rise_s, pulse.settle_s
    columns = [
        n for n in range(1, n_cols + 1) if not skip_idle_columns or np.any(sign[:, n - 1] != 0)
    ]
    t = settle
    phase_start: list[float] = []
    pulse_start = np.full((m_rows, n_cols), np.nan)
    col_points: dict[int, list[tuple[float, float]]] = {}
    gate_points: dict[tuple[str, int], list[tuple[float, float]]] = {}
    off = {"ep": vdd, "en": -vdd}
    for n in columns:
        t0 = t
        phase_start.append(t0)
        # every column phase lasts at least T_up (seed 001: Δt ∈ [0, T_up])
        w_max = max(float(np.max(width[:, n - 1])), pulse.t_up_s)
        tg = t0 + r + settle
        t_end = tg + 2 * r + w_max + settle + r
        col_points[n] = [(t0, 0.0), (t0 + r, 1.0), (t_end - r, 1.0), (t_end, 0.0)]
        for m in range(1, m_rows + 1):
            s, wd = int(sign[m - 1, n - 1]), float(width[m - 1, n - 1])
            if s == 0:
                continue
            line = "ep" if s > 0 else "en"
            pulse_start[m - 1, n - 1] = tg
            lvl_off = off[line]
            gate_points.setdefault((line, m), []).extend(
                [
                    (tg, lvl_off),
                    (tg + r, -lvl_off),
                    (tg + r + wd, -lvl_off),
                    (tg + 2 * r + wd, lvl_off),
                ]
            )
        t = t_end
    stop = t + settle

    for n in range(1, n_cols + 1):
        for line, polarity in (("u", 1.0), ("ub", -1.0)):
            pts = col_points.get(n)
            wave: Dc | Pwl = (
                Pwl(((0.0, 0.0), *((tp, polarity * v * pulse.v_up_V) for tp, v in pts)))
                if pts
                else Dc(0.0)
            )
            elements.append(VoltageSource(sense_name(line, n), arr.col_end(line, n), GROUND, wave))
    for m in range(1, m_rows + 1):
        for line in ("ep", "en"):
            pts = gate_points.get((line, m))
            wave = Pwl(((0.0, off[line]), *pts)) if pts else Dc(off[line])
            elements.append(VoltageSource(sense_name(line, m), arr.row_end(line, m), GROUND, wave))
        elements.append(VoltageSource(sense_name("out", m), arr.row_end("out", m), GROUND, Dc(0.0)))
    saves += [Save("i", (e.name.lower(),)) for e in elements if isinstance(e, VoltageSource)]
    step = pulse.max_step_s
    circuit = Circuit(
        title=f"spinspice 2T1R array {m_rows}x{n_cols} update",
        elements=tuple(elements),
        subcircuits=(access_subcircuit(syn),),
        template_subcircuits=(mtj_model.behavioural_subcircuit(fit),),
        libraries=(syn.technology.library_ref(),),
        analyses=(Transient(step, stop, max_step_s=step),),
        saves=tuple(saves),
        options=Options(numeric={"abstol": 1e-10}),
    )
    return UpdateDeck(
        circuit=circuit,
        columns=tuple(columns),
        phase_start_s=tuple(phase_start),
        pulse_start_s=pulse_start,
        delta_sign=sign,
        width_s=width,
        draws=draws,
        fit=fit,
        pulse=pulse,
    )


def _meta(design: Array2T1RDesign, operation: str) -> dict[str, str | int]:
    tag = technology_tag(design.synapse.technology)
    return {"family": "2t1r", "operation": operation, "rows": design.rows,
            "cols": design.cols, "corner": tag}


def read_job(
    design: Array2T1RDesign,
    weights: np.ndarray,
    operation: Operation,
    vector: Sequence[int] | np.ndarray,
    *,
    pulse: ReadPulse | None = None,
) -> Job:
    """The read deck (:func:`array_circuit`) as a simulation job."""
    meta = _meta(design, operation)
    return make_job(
        array_circuit(design, weights, operation, vector, pulse=pulse),
        key=f"2t1r/{operation}/{design.rows}x{design.cols}/{meta['corner']}",
        meta=meta,
    )


def update_job(design: Array2T1RDesign, deck: UpdateDeck) -> Job:
    """An update deck (:func:`update_circuit`) as a simulation job."""
    meta = _meta(design, "update")
    return make_job(
        deck.circuit,
        key=f"2t1r/update/{design.rows}x{design.cols}/{meta['corner']}",
        meta=meta | {"seed": deck.draws.seed},
    )
