"""The DW synapse crossbar of seed 004 §III.B (Fig. 3(b), Fig. 4) as simulation jobs.

Topology
--------
One cell = one DW synapse (its read MTJ) + one NMOS access transistor::

    bl_j ──[read MTJ, G(X_ij)]── mid ──NMOS(gate wl_i)── sl_i (grounded at the row end)

* **Word lines** ``wl_i`` are the (binary) inputs: V_DD turns the access NMOS on.
* **Bit lines** ``bl_j`` sum the cell currents (the DOT product, seed 004 Fig. 3(b)).
* The **offset column** (index ``cols + 1``, next to the word-line drivers) holds synapses
  programmed to X = 1 (all AP): it carries ``Σ_i x_i·I_AP``.
* An **analog buffer** per read bit line holds the bit line at V_DD/2, so I_AP is the same
  on the summation and offset bit lines: a finite-gain amplifier
  (``templates/dw_readout.j2``) drives the gate of a clamp NMOS (source = bit line, drain
  fed from V_DD through the current sense); the **column MUX** selects a column by routing
  the amplifier to its clamp gate (an NMOS pass switch could not pass V_DD/2 from a V_DD
  gate drive without a boosted gate); the residue ``I_bl − I_off`` (seed 004:
  on/off ratio (I_P − I_AP)/0) is copied (mirror ratio ``k``) into the neuron input
  selected by the **neuron DEMUX**; here every selected column's residue flows into a 0 V
  sink ``Vres<j>`` whose branch current is measured (positive into the neuron).
* Wires: word, source and bit lines are ``CellArray`` lines with the per-segment R and C of
  :class:`~spinspice.array_builder.parasitics.WireModel` over the cell pitch (the square
  root of the cell area from :func:`cell_area_m2`).

The MUX is modelled with every column selected at once and one amplifier per column:
reading them one address at a time gives the same currents except for the shared
source-line IR drop, which is larger here (all columns at once: a worst case).

Weights
-------
Weight level ``L_ij`` ∈ 0 … 2^bits − 1 is programmed by pulse width
(:func:`~spinspice.spintronic_cells.domain_wall.program_positions`, with variation when a
seed is given): ``X = 1 − L/(2^bits − 1)``. The ideal residue of column j is

    I_ideal_j = k · V_DD/2 · (G_P − G_AP) · Σ_i x_i · L_ij / (2^bits − 1),

one **LSB** being ``k·V_DD/2·(G_P − G_AP)/(2^bits − 1)``.

Inputs
------
A batch of binary input vectors is applied as a transient: vector v holds for
``slot_s`` on the word lines (edges ``edge_s``), and the residues are read at the end of
each slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray

from spinspice.array_builder.dw_devices import DWModels
from spinspice.array_builder.parasitics import LayoutModel, WireModel
from spinspice.errors import ParameterError, require_positive
from spinspice.netlists import dw_model
from spinspice.netlists.circuit import (
    GROUND,
    CellArray,
    Circuit,
    Dc,
    Element,
    ModelCard,
    Mosfet,
    Options,
    Param,
    Pwl,
    Save,
    Subcircuit,
    SubcktInstance,
    TemplateSubcircuit,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.technology import MosfetTechnology, technology_tag
from spinspice.spintronic_cells.domain_wall import (
    DW_PRESETS,
    DWParams,
    Programming,
    RacetrackParams,
    program_positions,
    velocity_m_per_s,
)

CELL_SUBCKT = "dwcell"
ARRAY_NAME = "xb"
READOUT_SUBCKT = "dwrd"
OFFSET_SUBCKT = "dwoff"
GATED_SUBCKT = "dwrdg"
#: Transresistance carrying the offset current as a voltage, Ω (1 V per 100 µA).
RI_OHM = 1e4
#: Most rows and most columns of a DW crossbar; our choice: the largest array size the project
#: measures (a 256×256 1R crossbar `.op` takes 7.9 s with KLU, docs/engineering_facts.md §1).
MAX_ARRAY_SIDE: Final = 256
#: Dimensions of the input-vector array: (vectors, rows).
INPUT_VECTORS_NDIM: Final = 2
#: Tolerance when checking that the input schedule's slot equals the ADC slot, s (1 fs); our
#: choice: far below the ns slots, it only absorbs float rounding.
SLOT_MATCH_TOL_S: Final = 1e-15
#: Most random input vectors of :func:`random_problem`; our choice: bounds the transient (one
#: slot per vector).
MAX_RANDOM_VECTORS: Final = 10000
#: Most input bits of a multi-bit layer (mirror ratios up to 2^3); our choice: one bit more
#: than the 3-bit inputs of seed 004 §III.D (Fig. 6).
MAX_INPUT_BITS: Final = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class DWCrossbarDesign:
    """An M×N DW synapse crossbar with its offset column and readout.

    Parameters
    ----------
    rows, cols:
        Inputs M and neurons (summation columns) N, 1..256.
    technology:
        MOSFET models and sizes (access and MUX NMOS, V_DD).
    strip:
        DW synapse parameters (default preset ``seed004-dw``).
    programming:
        Weight bits, programming current and mode.
    wire:
        Per-unit-length wire parasitics.
    layout:
        Feature size and routing overhead of the cell-area model.
    access_w_m:
        Access NMOS width, m (default: the technology's NMOS width).
    mux_w_m:
        Width of the bit-line clamp NMOS (the buffer's output device, whose gate the
        column MUX drives), m. Default 4 µm (carries a whole column's current).
    buffer_gain:
        Open-loop gain of the bit-line buffer amplifier. Default 1000 (our choice).
    buffer_rout_ohm:
        Output resistance of the amplifier into the clamp gate, Ω. Default 100 (our choice).
    mirror_ratio:
        k: residue copy ratio into the neuron. Default 1.
    column_ratio:
        Per-column mirror ratios (overrides ``mirror_ratio``), e.g. 1, 2, 4 for the three
        bit lines of a 3-bit input (seed 004 Fig. 6).
    column_group:
        Neuron (1-based) each column's residue flows into; grouped columns add up.
    """

    rows: int
    cols: int
    technology: MosfetTechnology
    strip: DWParams = field(default_factory=lambda: DW_PRESETS["seed004-dw"])
    programming: Programming = field(default_factory=Programming)
    wire: WireModel = field(default_factory=WireModel)
    layout: LayoutModel = field(default_factory=LayoutModel)
    access_w_m: float | None = None
    mux_w_m: float = 4e-6
    buffer_gain: float = 1e3
    buffer_rout_ohm: float = 100.0
    mirror_ratio: float = 1.0
    column_ratio: tuple[float, ...] | None = None
    column_group: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_ARRAY_SIDE:
                raise ParameterError(f"{name} must be an integer in 1..256, got {v!r}")
        if self.access_w_m is not None:
            require_positive("access_w_m", self.access_w_m)
        require_positive("mux_w_m", self.mux_w_m)
        require_positive("buffer_gain", self.buffer_gain)
        require_positive("buffer_rout_ohm", self.buffer_rout_ohm)
        require_positive("mirror_ratio", self.mirror_ratio)
        if self.column_ratio is not None:
            if len(self.column_ratio) != self.cols:
                raise ParameterError("column_ratio needs one mirror ratio per column")
            for r in self.column_ratio:
                require_positive("column mirror ratio", r)
        if self.column_group is not None:
            g = self.column_group
            if len(g) != self.cols or any(isinstance(v, bool) or not isinstance(v, int) for v in g):
                raise ParameterError("column_group needs one integer neuron index per column")
            if sorted(set(g)) != list(range(1, max(g) + 1)):
                raise ParameterError(
                    "column_group must use the neuron indices 1..G, each at least once"
                )

    @property
    def ratios(self) -> NDArray[np.float64]:
        """Mirror ratio of each column (``column_ratio`` or ``mirror_ratio`` everywhere)."""
        r = self.column_ratio if self.column_ratio is not None else (self.mirror_ratio,) * self.cols
        return np.asarray(r, dtype=float)

    @property
    def groups(self) -> NDArray[np.int64]:
        """Neuron (residue sink, 1-based) of each column; default one per column."""
        g = self.column_group if self.column_group is not None else tuple(range(1, self.cols + 1))
        return np.asarray(g, dtype=np.int64)

    @property
    def n_outputs(self) -> int:
        """Number of neuron inputs (residue sinks)."""
        return int(self.groups.max())

    @property
    def vmid_V(self) -> float:
        """Bit-line voltage V_DD/2, V."""
        return self.technology.vdd_V / 2

    @property
    def access_width_m(self) -> float:
        """Access NMOS width, m."""
        return self.access_w_m if self.access_w_m is not None else self.technology.wn_m

    @property
    def i_lsb_A(self) -> float:
        """Residue of one weight LSB with one active input at mirror ratio 1, A."""
        p = self.strip
        return self.vmid_V * (p.g_p_S - p.g_ap_S) / (self.programming.n_levels - 1)

    def _fold(self, per_col: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((per_col.shape[0], self.n_outputs))
        for j, g in enumerate(self.groups):
            out[:, g - 1] += self.ratios[j] * per_col[:, j]
        return out

    def cell_area_m2(self) -> float:
        """Cell area: the access NMOS footprint (routing overhead included) or the synapse
        strip (length × 2·width, i.e. at a spacing of one width), whichever is larger, m²."""
        f = self.layout.feature_size_m
        nmos = self.layout.cell_area_m2([(self.access_width_m, self.technology.l_m)])
        strip = (self.strip.length_m + 2 * f) * 2 * self.strip.width_m
        return max(nmos, strip)

    @property
    def pitch_m(self) -> float:
        """Cell pitch (square cell), m."""
        return math.sqrt(self.cell_area_m2())

    def ideal_residue_A(
        self,
        x: NDArray[np.int64],
        levels: NDArray[np.int64],
        offset_levels: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        """Ideal neuron input currents, shape (vectors, outputs), for inputs ``x``
        (vectors, rows) ∈ {0, 1}: ``Σ_j∈g k_j·I_LSB·(Σ_i x_i·L_ij + L_off,j)``."""
        per_col = np.asarray(x, dtype=float) @ np.asarray(levels, dtype=float)
        if offset_levels is not None:
            per_col = per_col + np.asarray(offset_levels, dtype=float)[None, :]
        return self.i_lsb_A * self._fold(per_col)

    def residue_from_positions_A(
        self,
        x: NDArray[np.int64],
        positions: NDArray[np.float64],
        offset_positions: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        """Neuron input currents the programmed positions give with ideal circuits (no
        access transistor, wire or buffer error): weight 1 − X, continuous, A."""
        per_col = np.asarray(x, dtype=float) @ (1.0 - np.asarray(positions, dtype=float))
        if offset_positions is not None:
            per_col = per_col + (1.0 - np.asarray(offset_positions, dtype=float))[None, :]
        return self.i_lsb_A * (self.programming.n_levels - 1) * self._fold(per_col)


@dataclass(frozen=True, slots=True)
class ProgrammedWeights:
    """Weight levels and the wall positions programming left (with the seed used)."""

    levels: NDArray[np.int64]
    positions: NDArray[np.float64]
    seed: int | None
    offset_positions: NDArray[np.float64] | None = None
    offset_levels: NDArray[np.float64] | None = None


def program(
    design: DWCrossbarDesign,
    levels: NDArray[np.int64],
    seed: int | None,
    *,
    offset_levels: NDArray[np.int64] | None = None,
) -> ProgrammedWeights:
    """Program ``levels`` (rows × cols) into the crossbar; ``seed`` None: ideal programming.

    ``offset_levels`` (one per column) programs the **threshold-offset devices**: an extra
    array row whose word line is always on, adding ``L_off,j`` LSBs of current to column j's
    residue (seed 004 §III.B: I_OFFSET on the current-subtraction node).
    """
    lv = np.asarray(levels)
    if lv.shape != (design.rows, design.cols):
        raise ParameterError(f"levels must have shape {(design.rows, design.cols)}, got {lv.shape}")
    rng = None if seed is None else np.random.default_rng(seed)
    pos = program_positions(design.strip, design.programming, lv, rng)
    off_pos = off_lv = None
    if offset_levels is not None:
        ol = np.asarray(offset_levels)
        if ol.shape != (design.cols,):
            raise ParameterError(f"offset_levels must have shape ({design.cols},)")
        off_pos = program_positions(design.strip, design.programming, ol, rng)
        off_lv = ol.astype(float)
    return ProgrammedWeights(lv.astype(np.int64), pos, seed, off_pos, off_lv)


def cell_subcircuit(design: DWCrossbarDesign, models: DWModels) -> Subcircuit:
    """Cell ``dwcell`` (ports wl, bl, sl; parameter x0 = wall position)."""
    tech = design.technology
    syn = dw_model.synapse_instance(models.kind, "s", "sl", "sl", "bl", "mid", x0=Param("x0"))
    nmos = Mosfet(
        f"{tech.element}a",
        "mid",
        "wl",
        "sl",
        "0",
        tech.nmos_model,
        design.access_width_m,
        tech.l_m,
        element=tech.element,
    )
    return Subcircuit(CELL_SUBCKT, ("wl", "bl", "sl"), (syn, nmos), params={"x0": 1.0})


def readout_subcircuits(design: DWCrossbarDesign) -> tuple[TemplateSubcircuit, ...]:
    """The summation and offset bit-line readouts."""
    common: dict[str, float] = {
        "vmid": design.vmid_V,
        "gain": design.buffer_gain,
        "rout": design.buffer_rout_ohm,
        "ri": RI_OHM,
    }
    return (
        TemplateSubcircuit("dw_readout.j2", READOUT_SUBCKT, common | {"k": design.mirror_ratio}),
        TemplateSubcircuit("dw_offset_readout.j2", OFFSET_SUBCKT, common),
    )


def residue_source(g: int) -> str:
    """0 V sink measuring the input current of neuron ``g`` (1-based; one per column
    unless columns are grouped, e.g. the 1×/2×/4× bit lines of a multi-bit input)."""
    return f"Vres{g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class InputSchedule:
    """Binary input vectors applied one per slot."""

    vectors: NDArray[np.int64]
    slot_s: float = 1e-9
    edge_s: float = 5e-11

    def __post_init__(self) -> None:
        v = np.asarray(self.vectors)
        if v.ndim != INPUT_VECTORS_NDIM or v.shape[0] < 1:
            raise ParameterError("input vectors must be a (vectors, rows) array")
        if not np.all((v == 0) | (v == 1)):
            raise ParameterError("crossbar inputs are binary (0/1); multi-bit inputs use mirrors")
        require_positive("slot_s", self.slot_s)
        require_positive("edge_s", self.edge_s)
        if self.edge_s >= self.slot_s / 4:
            raise ParameterError("edge_s must be below a quarter of slot_s")

    def sample_times_s(self) -> NDArray[np.float64]:
        """End of each slot minus one edge (settled), s."""
        n = np.asarray(self.vectors).shape[0]
        out = ((np.arange(n) + 1) * self.slot_s - self.edge_s).astype(np.float64)
        return out

    def word_line(self, row: int, vdd: float) -> Pwl | Dc:
        """Waveform of word line ``row`` (0-based)."""
        bits = np.asarray(self.vectors)[:, row]
        if np.all(bits == bits[0]):
            return Dc(float(bits[0]) * vdd)
        pts: list[tuple[float, float]] = [(0.0, float(bits[0]) * vdd)]
        for k in range(1, bits.size):
            if bits[k] != bits[k - 1]:
                t = k * self.slot_s
                pts += [(t, float(bits[k - 1]) * vdd), (t + self.edge_s, float(bits[k]) * vdd)]
        return Pwl(tuple(pts))


@dataclass(frozen=True, slots=True, kw_only=True)
class AdcNeurons:
    """Racetrack-converter neurons on the crossbar's outputs (an RLNN hidden layer).

    In every input slot: ``settle_s`` for the bit lines to settle, then the neuron DEMUX
    passes the residue for ``racetrack.t_conv_s`` (gated readout, ``dw_readout_gated.j2``),
    the heads are read for ``read_s``, and a reverse current ``reset_A`` for ``reset_s``
    drives every wall back to its start (seed 004 §II.B, "reset for next cycle").
    """

    racetrack: RacetrackParams = field(default_factory=RacetrackParams)
    settle_s: float = 0.5e-9
    read_s: float = 0.5e-9
    reset_s: float = 4e-9
    reset_A: float = 60e-6
    edge_s: float = 2e-11
    v_read_V: float = 0.1

    def __post_init__(self) -> None:
        for name in ("settle_s", "read_s", "reset_s", "reset_A", "edge_s", "v_read_V"):
            require_positive(name, getattr(self, name))
        # the reset must move the walls back over the whole travel
        r = self.racetrack
        v = float(velocity_m_per_s(r.strip, self.reset_A))
        if v * self.reset_s < 1.2 * r.travel_m:
            raise ParameterError("reset_A x reset_s does not bring the walls back to the start")

    @property
    def slot_s(self) -> float:
        """Length of one input slot, s."""
        return (
            self.settle_s + self.racetrack.t_conv_s + 4 * self.edge_s + self.read_s + self.reset_s
        )

    def read_times_s(self, n_vectors: int) -> NDArray[np.float64]:
        """Middle of each slot's read window, s."""
        t0 = self.settle_s + self.racetrack.t_conv_s + 2 * self.edge_s + self.read_s / 2
        out = (np.arange(n_vectors) * self.slot_s + t0).astype(np.float64)
        return out

    def schedule(self, vectors: NDArray[np.int64]) -> InputSchedule:
        """The input schedule with this slot length."""
        return InputSchedule(vectors=vectors, slot_s=self.slot_s, edge_s=5e-11)


def adc_head_source(g: int, bit: int) -> str:
    """0 V source reading head ``bit`` of neuron ``g`` (1-based)."""
    return f"Vhd{g}b{bit}"


def _adc_elements(adc: AdcNeurons, n_out: int, n_vec: int, models: DWModels) -> list[Element]:
    from spinspice.array_builder.dw_devices import AMPS_PER_VOLT, current_drive, pulse_points

    r = adc.racetrack
    e = adc.edge_s
    en, rst = [], []
    for k in range(n_vec):
        t0 = k * adc.slot_s + adc.settle_s
        en.append(t0)
        rst.append(t0 + r.t_conv_s + 2 * e + adc.read_s)
    els: list[Element] = [
        VoltageSource("Ven", "en", GROUND, Pwl(pulse_points(en, r.t_conv_s, e, 1.0))),
        VoltageSource(
            "Vcrst",
            "crst",
            GROUND,
            Pwl(pulse_points(rst, adc.reset_s - 2 * e, e, -adc.reset_A / AMPS_PER_VOLT)),
        ),
        VoltageSource("Vhrd", "hrd", GROUND, Dc(adc.v_read_V)),
    ]
    for g in range(1, n_out + 1):
        els.append(current_drive(f"rst{g}", f"res{g}", "crst"))
        for b in range(r.bits):
            a = f"res{g}" if b == 0 else f"w{g}_{b}"
            z = GROUND if b == r.bits - 1 else f"w{g}_{b + 1}"
            els += [
                dw_model.racetrack_instance(
                    models.kind, f"rt{g}b{b}", a, z, "hrd", f"hd{g}_{b}", bit=b
                ),
                VoltageSource(adc_head_source(g, b), f"hd{g}_{b}", GROUND, Dc(0.0)),
            ]
    return els


def crossbar_circuit(
    design: DWCrossbarDesign,
    weights: ProgrammedWeights,
    inputs: InputSchedule,
    models: DWModels,
    adc: AdcNeurons | None = None,
) -> Circuit:
    """The crossbar read transient (module docstring); with ``adc``, every output feeds a
    racetrack converter instead of a 0 V sink."""
    m, n = design.rows, design.cols
    tech = design.technology
    vdd = tech.vdd_V
    if np.asarray(inputs.vectors).shape[1] != m:
        raise ParameterError(f"input vectors must have {m} entries (rows)")
    r_seg, c_seg = design.wire.segment(design.pitch_m)
    x0 = np.concatenate([weights.positions, np.ones((m, 1))], axis=1)  # offset column = AP
    extra = weights.offset_positions is not None
    if weights.offset_positions is not None:  # threshold-offset row, word line always on
        x0 = np.concatenate([x0, np.append(weights.offset_positions, 1.0)[None, :]], axis=0)
    array = CellArray(
        name=ARRAY_NAME,
        rows=m + int(extra),
        cols=n + 1,
        cell=CELL_SUBCKT,
        ports=("wl", "bl", "sl"),
        col_lines=("bl",),
        row_lines=("wl", "sl"),
        col_r_ohm=r_seg,
        col_c_F=c_seg,
        row_r_ohm=r_seg,
        row_c_F=c_seg,
        cell_params={"x0": tuple(tuple(float(v) for v in row) for row in x0)},
    )
    elements: list[Element] = [array, VoltageSource("Vvdd", "vdd", GROUND, Dc(vdd))]
    for i in range(1, m + 1 + int(extra)):
        wl = inputs.word_line(i - 1, vdd) if i <= m else Dc(vdd)
        elements.append(VoltageSource(f"Vwl{i}", array.row_end("wl", i), GROUND, wl))
        elements.append(VoltageSource(f"Vsl{i}", array.row_end("sl", i), GROUND, Dc(0.0)))
    el = tech.element
    for j in range(1, n + 2):
        bl = array.col_end("bl", j)
        elements.append(
            Mosfet(
                f"{el}cl{j}",
                f"dr{j}",
                f"g{j}",
                bl,
                "0",
                tech.nmos_model,
                design.mux_w_m,
                tech.l_m,
                element=el,
            )
        )
    off = n + 1
    elements.append(
        SubcktInstance(
            "Xoff", ("vdd", f"dr{off}", f"g{off}", array.col_end("bl", off), "ioff"), OFFSET_SUBCKT
        )
    )
    ratios, groups = design.ratios, design.groups
    for j in range(1, n + 1):
        ports = ("vdd", f"dr{j}", f"g{j}", array.col_end("bl", j), "ioff", f"res{groups[j - 1]}")
        elements.append(
            SubcktInstance(
                f"Xrd{j}",
                ports if adc is None else (*ports, "en"),
                READOUT_SUBCKT if adc is None else GATED_SUBCKT,
                {"k": float(ratios[j - 1])},
            )
        )
    nvec = np.asarray(inputs.vectors).shape[0]
    if adc is None:
        for g in range(1, design.n_outputs + 1):
            elements.append(VoltageSource(residue_source(g), f"res{g}", GROUND, Dc(0.0)))
    else:
        if abs(inputs.slot_s - adc.slot_s) > SLOT_MATCH_TOL_S:
            raise ParameterError("with ADC neurons, build the input schedule with adc.schedule()")
        elements += _adc_elements(adc, design.n_outputs, nvec, models)
    subs: tuple[TemplateSubcircuit, ...] = readout_subcircuits(design)
    cards: tuple[ModelCard, ...] = ()
    if models.kind == "behavioural":
        subs = (*subs, dw_model.synapse_subcircuit(design.strip))
    else:
        cards = (dw_model.synapse_model_card(design.strip),)
    saves_out: tuple[Save, ...] = tuple(
        Save("i", (residue_source(g).lower(),)) for g in range(1, design.n_outputs + 1)
    )
    if adc is not None:
        from spinspice.array_builder.dw_devices import vccs_subcircuit

        common = {
            "vmid": design.vmid_V,
            "gain": design.buffer_gain,
            "rout": design.buffer_rout_ohm,
            "ri": RI_OHM,
        }
        subs = (
            *subs,
            TemplateSubcircuit("dw_readout_gated.j2", GATED_SUBCKT, common | {"k": 1.0}),
            vccs_subcircuit(),
        )
        if models.kind == "behavioural":
            subs = (*subs, dw_model.racetrack_subcircuit(adc.racetrack))
        else:
            cards = (*cards, dw_model.racetrack_model_card(adc.racetrack))
        saves_out = tuple(
            Save("i", (adc_head_source(g, b).lower(),))
            for g in range(1, design.n_outputs + 1)
            for b in range(adc.racetrack.bits)
        )
    stop = nvec * inputs.slot_s
    step = inputs.slot_s / 10
    return Circuit(
        title=f"spinspice DW crossbar {m}x{n} read",
        elements=tuple(elements),
        subcircuits=(cell_subcircuit(design, models),),
        template_subcircuits=subs,
        models=cards,
        libraries=(tech.library_ref(),),
        analyses=(Transient(step_s=step, stop_s=stop, max_step_s=step),),
        saves=(
            *saves_out,
            Save("i", ("vvdd",)),
            *(Save("i", (f"vwl{i}",)) for i in range(1, m + 1)),
        ),
        options=Options(method="gear"),
    )


def crossbar_job(
    design: DWCrossbarDesign,
    weights: ProgrammedWeights,
    inputs: InputSchedule,
    models: DWModels,
    adc: AdcNeurons | None = None,
) -> Job:
    """:func:`crossbar_circuit` as a job."""
    nvec = int(np.asarray(inputs.vectors).shape[0])
    op = "crossbar" if adc is None else "rlnn-layer"
    return make_job(
        crossbar_circuit(design, weights, inputs, models, adc),
        key=f"dw/{op}/{design.rows}x{design.cols}/{models.kind}/{technology_tag(design.technology)}",
        osdi=models.osdi[:1] if adc is None else models.osdi,
        meta={
            "family": "dw",
            "operation": op,
            "rows": design.rows,
            "cols": design.cols,
            "vectors": nvec,
            "kind": models.kind,
            "seed": -1 if weights.seed is None else weights.seed,
        },
    )


def random_problem(
    design: DWCrossbarDesign, n_vectors: int, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Random weight levels (uniform) and binary inputs (p = 1/2) from ``seed``."""
    if not 1 <= n_vectors <= MAX_RANDOM_VECTORS:
        raise ParameterError("n_vectors must be in 1..10000")
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, design.programming.n_levels, (design.rows, design.cols))
    x = rng.integers(0, 2, (n_vectors, design.rows))
    return levels.astype(np.int64), x.astype(np.int64)


def expand_multibit(
    levels: NDArray[np.int64], x: NDArray[np.int64], in_bits: int = 3
) -> tuple[NDArray[np.int64], NDArray[np.int64], tuple[float, ...], tuple[int, ...]]:
    """Lay out a layer with ``in_bits``-bit inputs as in seed 004 Fig. 6.

    Each input i fires ``in_bits`` word lines (row ``i·b + β`` carries bit β of x_i), each
    neuron j owns ``in_bits`` bit lines (column ``j·b + β``, mirror ratio 2^β, all into
    neuron j). Of the b×b cells of one weight the diagonal holds the weight level, the
    others are programmed to X = 1 (level 0: I_AP, cancelled by the offset column).

    Returns the expanded levels, the expanded binary inputs, the column ratios and groups.
    """
    lv = np.asarray(levels, dtype=np.int64)
    xi = np.asarray(x, dtype=np.int64)
    if not 1 <= in_bits <= MAX_INPUT_BITS:
        raise ParameterError("in_bits must be in 1..4")
    if np.any(xi < 0) or np.any(xi >= (1 << in_bits)):
        raise ParameterError(f"multi-bit inputs must be integers in 0..{(1 << in_bits) - 1}")
    m, n = lv.shape
    b = in_bits
    big = np.zeros((m * b, n * b), dtype=np.int64)
    for beta in range(b):
        big[beta::b, beta::b] = lv
    xb = np.zeros((xi.shape[0], m * b), dtype=np.int64)
    for beta in range(b):
        xb[:, beta::b] = (xi >> beta) & 1
    ratios = tuple(float(1 << beta) for _ in range(n) for beta in range(b))
    groups = tuple(j + 1 for j in range(n) for _ in range(b))
    return big, xb, ratios, groups
