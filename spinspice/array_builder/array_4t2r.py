"""M×N arrays of 4T2R synapses (seed 001 Fig. 3b) and their read-side operations.

Array organisation (seed 001 §4.2): the inputs {u_n1, ū_n1, u_n2, ū_n2} of column n are
column lines shared by the column and driven from the top (row 0); the controls
{e_m(1,n), e_m(1,p), e_m(2,n), e_m(2,p)} and the output of row m are row lines shared
by the row, driven / sensed at the right end (column N+1). Every line has one R–C
segment per cell pitch (:mod:`spinspice.array_builder.parasitics`). Cell [M, 1] is
therefore the farthest from every driver and sense point: the worst case of §5.2.1.

Operations built here (each a transient with a read pulse, T_rd = 0.5 ns by default,
seed 001 Table 3):

* **feedforward** (eq. 30–31): activations x_n ∈ {−1, 0, +1} → u1 = u2 = x·V_rd,
  ū1 = ū2 = −x·V_rd; {e1n, e1p, e2n, e2p} = {−V_dd, −V_dd, +V_dd, +V_dd}; each row's
  output is held at 0 V by a sense source whose current is the row current
  (positive out of the array), ideally (R_off − R_on)/(R_off·R_on)·(N₊ − N₋)·V_rd (eq. 31).
* **backprop** (eq. 32, Fig. 3c): errors y_m ∈ {−1, 0, +1} → row output m at y·V_rd, the
  same controls as the read; every column line is held at 0 V by a sense source, and the
  column result is I(u1_n) − I(ū2_n) = Σ_m (G1 − G2)·y_m.

MTJs are resistors here (R_on, R_off of the synapse design); the stochastic update
operations use the behavioural MTJ model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np

from spinspice.array_builder.parasitics import LayoutModel, WireModel
from spinspice.array_builder.synapse_4t2r import (
    SUBCKT_NAME,
    Synapse4T2RDesign,
    TernaryWeight,
    parse_weight,
    synapse_subcircuit,
)
from spinspice.errors import ParameterError, require_positive
from spinspice.netlists.circuit import (
    GROUND,
    CellArray,
    Circuit,
    Dc,
    Element,
    Options,
    Pwl,
    Save,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.technology import technology_tag

COL_LINES = ("u1", "ub1", "u2", "ub2")
ROW_LINES = ("e1n", "e1p", "e2n", "e2p", "out")
ARRAY_NAME = "A"
#: Largest M and N of a 4T2R or 2T1R array (and of the CLI's size lists); our choice (a bound
#: for input validation: the 4T2R transient already takes ~1 h at 128 × 128,
#: docs/engineering_facts.md §1).
MAX_ARRAY_SIDE: Final = 1024

Operation = Literal["ff", "bp"]


def parse_weights(rows: Sequence[Sequence[str | int]]) -> np.ndarray:
    """A 2-D array of weight labels (``-1``, ``0s``, ``0w``, ``+1``) → validated ``<U2`` array."""
    try:
        grid = [[parse_weight(str(v)).value for v in row] for row in rows]
    except ParameterError as exc:
        raise ParameterError(f"weights: {exc}") from None
    if not grid or not grid[0] or any(len(r) != len(grid[0]) for r in grid):
        raise ParameterError("weights must be a non-empty rectangular grid")
    return np.array(grid, dtype="<U2")


def load_weights(path: Path) -> np.ndarray:
    """Read weights from a CSV/whitespace text file (labels -1, 0s, 0w, +1) or a ``.npy``.

    Raises
    ------
    ParameterError
        Unreadable file, unknown labels, or a ragged grid.
    """
    try:
        if path.suffix == ".npy":
            data = np.load(path, allow_pickle=False)
            return parse_weights(data.tolist())
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ParameterError(f"cannot read weights from {path}: {exc}") from None
    rows = [ln.replace(",", " ").split() for ln in text.splitlines() if ln.strip()]
    return parse_weights(rows)


def random_weights(rows: int, cols: int, seed: int) -> np.ndarray:
    """Uniformly random weights over {−1, 0s, 0w, +1} (seeded)."""
    rng = np.random.default_rng(seed)
    labels = np.array([w.value for w in TernaryWeight], dtype="<U2")
    return labels[rng.integers(0, 4, size=(rows, cols))]


def weight_values(weights: np.ndarray) -> np.ndarray:
    """Logical values (−1, 0, +1) of a label grid."""
    table = {"-1": -1, "0s": 0, "0w": 0, "+1": 1}
    values: np.ndarray = np.vectorize(table.__getitem__, otypes=[int])(weights)
    return values


@dataclass(frozen=True, slots=True, kw_only=True)
class Array4T2RDesign:
    """An M×N array of 4T2R cells with wire parasitics.

    Parameters
    ----------
    synapse:
        Cell design (technology, R_on, R_off).
    rows, cols:
        M and N, 1 to 1024.
    wire:
        Per-unit-length wire parasitics.
    layout:
        Area model (sets the cell pitch and so the segment R and C).
    """

    synapse: Synapse4T2RDesign
    rows: int
    cols: int
    wire: WireModel = field(default_factory=WireModel)
    layout: LayoutModel = field(default_factory=LayoutModel)

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_ARRAY_SIDE:
                raise ParameterError(f"{name} must be an integer from 1 to 1024, got {v!r}")

    @property
    def cell_area_m2(self) -> float:
        """Area of one 4T2R cell (two NMOS, two PMOS), m²."""
        t = self.synapse.technology
        devices = [(t.wn_m, t.l_m)] * 2 + [(t.wp_m, t.l_m)] * 2
        return self.layout.cell_area_m2(devices)

    @property
    def pitch_m(self) -> float:
        """Cell pitch (square cells), m."""
        return math.sqrt(self.cell_area_m2)

    @property
    def area_m2(self) -> float:
        """Array area (cells only), m²."""
        return self.rows * self.cols * self.cell_area_m2

    def segment(self) -> tuple[float, float]:
        """(R in Ω, C in F) of one wire segment."""
        return self.wire.segment(self.pitch_m)

    def cell_array(
        self, cell: str, cell_params: dict[str, tuple[tuple[float, ...], ...]]
    ) -> CellArray:
        """The :class:`CellArray` of this design: geometry, lines, wire segments."""
        r_seg, c_seg = self.segment()
        return CellArray(
            name=ARRAY_NAME,
            rows=self.rows,
            cols=self.cols,
            cell=cell,
            ports=(*COL_LINES, *ROW_LINES),
            col_lines=COL_LINES,
            row_lines=ROW_LINES,
            col_r_ohm=r_seg,
            col_c_F=c_seg,
            row_r_ohm=r_seg,
            row_c_F=c_seg,
            cell_params=cell_params,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadPulse:
    """Timing of a read-type operation.

    Parameters
    ----------
    v_rd_V:
        Read voltage V_rd, V (default 0.1 V, seed 001 Table 3).
    t_rd_s:
        Pulse length T_rd, s (default 0.5 ns, Table 3).
    rise_s:
        Input rise time, s (default 20 ps).
    delay_s:
        Time before the inputs rise, s (default 20 ps).
    """

    v_rd_V: float = 0.1
    t_rd_s: float = 0.5e-9
    rise_s: float = 20e-12
    delay_s: float = 20e-12

    def __post_init__(self) -> None:
        for name in ("v_rd_V", "t_rd_s", "rise_s", "delay_s"):
            require_positive(name, getattr(self, name))

    @property
    def stop_s(self) -> float:
        """End of the simulated window, s."""
        return self.delay_s + self.rise_s + self.t_rd_s

    def waveform(self, level: float) -> Pwl | Dc:
        """Step from 0 to ``level`` at ``delay_s`` over ``rise_s``."""
        if level == 0:
            return Dc(0.0)
        return Pwl(((0.0, 0.0), (self.delay_s, 0.0), (self.delay_s + self.rise_s, level)))


def sense_name(kind: str, index: int) -> str:
    """Name of the sense/drive source at the end of a line (``kind`` is a line name)."""
    return f"V{kind}_{index}"


def check_ternary_vector(values: Sequence[int] | np.ndarray, n: int, what: str) -> np.ndarray:
    """``values`` as an int array of ``n`` entries in {−1, 0, +1} (numeric input only)."""
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise ParameterError(f"{what} must have {n} entries, got shape {arr.shape}")
    if arr.dtype.kind not in "iuf" or not np.all(np.isin(arr, (-1, 0, 1))):
        raise ParameterError(f"{what} entries must be -1, 0 or +1")
    return arr.astype(int)


def array_circuit(
    design: Array4T2RDesign,
    weights: np.ndarray,
    operation: Operation,
    vector: Sequence[int] | np.ndarray,
    *,
    pulse: ReadPulse | None = None,
) -> Circuit:
    """The transient deck of one read-type operation on the array.

    Parameters
    ----------
    design:
        Array design.
    weights:
        Weight labels, shape (rows, cols) (see :func:`parse_weights`).
    operation:
        ``"ff"`` (``vector`` = activations, length cols) or ``"bp"`` (``vector`` = errors,
        length rows).
    pulse:
        Read timing (default :class:`ReadPulse`).

    Notes
    -----
    Every driven line end is an ideal source; sense sources are 0 V sources whose branch
    currents are saved (``i(vout_m)`` for feedforward rows, ``i(vu1_n)``/``i(vub2_n)``
    for backprop columns), together with every other source current for the energy.
    """
    pulse = pulse or ReadPulse()
    m_rows, n_cols = design.rows, design.cols
    if weights.shape != (m_rows, n_cols):
        raise ParameterError(f"weights have shape {weights.shape}, expected {(m_rows, n_cols)}")
    syn = design.synapse
    vdd = syn.technology.vdd_V
    r1 = tuple(tuple(syn.resistance(parse_weight(w).mtj_states[0]) for w in row) for row in weights)
    r2 = tuple(tuple(syn.resistance(parse_weight(w).mtj_states[1]) for w in row) for row in weights)
    arr = design.cell_array(SUBCKT_NAME, {"r1": r1, "r2": r2})
    elements: list[Element] = [arr]
    gates = {"e1n": -vdd, "e1p": -vdd, "e2n": vdd, "e2p": vdd}
    for m in range(1, m_rows + 1):
        for line, level in gates.items():
            elements.append(
                VoltageSource(sense_name(line, m), arr.row_end(line, m), GROUND, Dc(level))
            )
    if operation == "ff":
        x = check_ternary_vector(vector, n_cols, "activations")
        signs = {"u1": 1, "ub1": -1, "u2": 1, "ub2": -1}
        for n in range(1, n_cols + 1):
            for line, s in signs.items():
                level = s * x[n - 1] * pulse.v_rd_V
                elements.append(
                    VoltageSource(
                        sense_name(line, n), arr.col_end(line, n), GROUND, pulse.waveform(level)
                    )
                )
        for m in range(1, m_rows + 1):
            elements.append(
                VoltageSource(sense_name("out", m), arr.row_end("out", m), GROUND, Dc(0.0))
            )
    elif operation == "bp":
        y = check_ternary_vector(vector, m_rows, "errors")
        for n in range(1, n_cols + 1):
            for line in COL_LINES:
                elements.append(
                    VoltageSource(sense_name(line, n), arr.col_end(line, n), GROUND, Dc(0.0))
                )
        for m in range(1, m_rows + 1):
            level = y[m - 1] * pulse.v_rd_V
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
        title=f"spinspice 4T2R array {m_rows}x{n_cols} {operation}",
        elements=tuple(elements),
        subcircuits=(synapse_subcircuit(syn),),
        libraries=(syn.technology.library_ref(),),
        analyses=(Transient(step, pulse.stop_s, max_step_s=step),),
        saves=saves,
        # 0.1 nA absolute current tolerance (the unit current is ~20 µA); ngspice's 1 pA
        # default stalls on the femtosecond RC constants of the wire segments.
        options=Options(numeric={"abstol": 1e-10}),
    )


def read_job(
    design: Array4T2RDesign,
    weights: np.ndarray,
    operation: Operation,
    vector: Sequence[int] | np.ndarray,
    *,
    pulse: ReadPulse | None = None,
) -> Job:
    """A feedforward/backprop deck (:func:`array_circuit`) as a simulation job."""
    tag = technology_tag(design.synapse.technology)
    return make_job(
        array_circuit(design, weights, operation, vector, pulse=pulse),
        key=f"4t2r/{operation}/{design.rows}x{design.cols}/{tag}",
        meta={"family": "4t2r", "operation": operation, "rows": design.rows,
              "cols": design.cols, "corner": tag},
    )
