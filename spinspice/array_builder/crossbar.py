"""1T1R and 1R MTJ crossbars of seed 002 (Mondal & Srivastava): design, schedules, network.

One typed description feeds both simulators: :func:`build_network` turns a
:class:`CrossbarDesign`, one :class:`Phase` of the update schedule and the MTJ states into
a :class:`CrossbarNetwork` — nodes, resistors and ideal voltage sources as numpy arrays —
from which :func:`network_circuit` emits the ngspice :class:`~spinspice.netlists.circuit.Circuit`
and :mod:`spinspice.analysis.nodal` assembles the ``scipy.sparse`` conductance matrix, so the
two can be compared node by node.

Conventions (fixed here, once)
------------------------------
* Rows i = 1..M are the inputs (x_i), columns j = 1..N the outputs (δ_j) (seed 002 Fig. 1a).
  A row line is driven from its left end (node ``r{i}_0``); a column line ends at its top
  (node ``c0_{j}``) in the output circuit: a 0 V sense source behind the column
  terminal resistance. Cell (M, N) is therefore the farthest from its driver and sense.
* The MTJ's **fixed layer faces the row** and its free layer the column, so a positive
  current from input to output flows fixed → free, which in spinspice's convention
  (:mod:`spinspice.spintronic_cells.mtj`) switches **P → AP** — exactly the arrangement of
  seed 002 §4.3 ("positive current from the i-th input to the j-th output switches P→AP";
  V_P > 0, V_AP < 0).
* ``v_cell`` is V(row side) − V(column side) of the MTJ; positive ``v_cell`` can switch a
  P cell to AP, negative an AP cell to P.
* A transistor is a linear resistor: its on-resistance when its gate is high, its
  off-resistance otherwise (exact solver/ngspice agreement needs the same linear
  description in both). Defaults come from the bundled 28 nm models
  (``docs/mosfet_models.md``: NMOS R_lin = 242 Ω·µm, I_off = 6.6 nA/µm at 1 V).
* Sign of zero: x_i = 0 counts as positive and δ_j = 0 as positive (u(0) = 1 in eq. 10–11;
  with |x| = 0 or |δ| = 0 the seed's mapping gives P ≈ P_0 anyway, eq. 8–9).

Topology (element name = kind + indices, all 1-based)
-----------------------------------------------------
``Vd{i}`` drives node ``d{i}``; ``Rdrv{i}`` (driver output resistance) joins ``d{i}`` to the
row line start — through ``s{i}`` and the row-selection transistor ``Rrs{i}`` in a 1R
crossbar (Fig. 5c), directly to ``r{i}_0`` in a 1T1R crossbar (Fig. 4a). Row wire segment
``Rwr{i}_{j}`` joins ``r{i}_{j-1}`` and ``r{i}_{j}``; column segment ``Rwc{i}_{j}`` joins
``c{i-1}_{j}`` and ``c{i}_{j}``. The MTJ ``Rmtj{i}_{j}`` joins ``r{i}_{j}`` to ``c{i}_{j}``
(1R) or to ``m{i}_{j}`` (1T1R, then the access transistor ``Racc{i}_{j}`` with gate c_j joins
``m{i}_{j}`` to ``c{i}_{j}``). The column terminal ``Rct{j}`` (1R: the column-selection
transistor; 1T1R: the output circuit's input resistance) joins ``c0_{j}`` to ``o{j}``,
held at 0 V by the sense source ``Vo{j}`` whose current is the column output.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import FIT_FORMAT_VERSION, BehaviouralFit, DirectionFit
from spinspice.spintronic_cells.seed002 import (
    SEED002_TABLE3,
    SEED002_VAP_RANGE_V,
    SEED002_VP_RANGE_V,
    calibrate_direction,
)

Architecture = Literal["1t1r", "1r"]
Scheme = Literal["2phase", "4phase"]
ARCHITECTURES: tuple[str, ...] = ("1t1r", "1r")
SCHEMES: tuple[str, ...] = ("2phase", "4phase")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Largest crossbar side the builders accept.
MAX_SIDE = 4096
#: The fixed-point iteration for V_AP stops once the voltage changes by less than this, V; our
#: choice (0.1 pV: double-precision resolution of volt-scale values).
V_AP_TOL_V: Final = 1e-13
#: Largest read voltage, V; our choice (a bound for input validation; the default is 0.1 V).
MAX_READ_V: Final = 2.0
#: Range every resistance of a design must lie in, Ω; our choice (bounds for input
#: validation: 1 µΩ admits the near-ideal drivers of docs/engineering_facts.md §7, 1e13 Ω any
#: off-state switch).
MIN_RESISTANCE_OHM: Final = 1e-6
MAX_RESISTANCE_OHM: Final = 1e13
#: Probability that a random MTJ state of :func:`random_inputs` is AP; our choice (unbiased).
AP_PROBABILITY: Final = 0.5


def _finite(name: str, value: float, *, positive: bool = False, nonneg: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ParameterError(f"{name} must be > 0, got {value!r}")
    if nonneg and value < 0:
        raise ParameterError(f"{name} must be >= 0, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------- eq. 6-7, Table 3


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteCoefficients:
    """Linear maps of seed 002 eq. 6–7 with the Table 3 coefficients.

    t_wr = t_0 + t_1·|δ| (eq. 6) and I_wr = I_0 + I_1·|x| (eq. 7), with I_0, I_1 per
    switching direction.

    Parameters
    ----------
    t0_s, t1_s:
        t_0 = 1.5 ns, t_1 = 1 ns (Table 3, both directions).
    i0_ap2p_A, i1_ap2p_A:
        AP → P: I_0 = 60 µA, I_1 = 30 µA (Table 3).
    i0_p2ap_A, i1_p2ap_A:
        P → AP: I_0 = 140 µA, I_1 = 60 µA (Table 3).
    """

    t0_s: float = SEED002_TABLE3["AP->P"][0]
    t1_s: float = SEED002_TABLE3["AP->P"][1]
    i0_ap2p_A: float = SEED002_TABLE3["AP->P"][2]
    i1_ap2p_A: float = SEED002_TABLE3["AP->P"][3]
    i0_p2ap_A: float = SEED002_TABLE3["P->AP"][2]
    i1_p2ap_A: float = SEED002_TABLE3["P->AP"][3]

    def __post_init__(self) -> None:
        for name in ("t0_s", "t1_s", "i0_ap2p_A", "i1_ap2p_A", "i0_p2ap_A", "i1_p2ap_A"):
            _finite(name, getattr(self, name), positive=True)

    @property
    def phase_duration_s(self) -> float:
        """T_wr = t_0 + t_1, the longest pulse (seed 002 §4.3), s."""
        return self.t0_s + self.t1_s

    def pulse_width_s(self, delta: FloatArray) -> FloatArray:
        """t_wr = t_0 + t_1·|δ| (eq. 6), s."""
        out: FloatArray = self.t0_s + self.t1_s * np.abs(np.asarray(delta, float))
        return out

    def current_A(self, x: FloatArray, direction: Literal["AP->P", "P->AP"]) -> FloatArray:
        """I_wr = I_0 + I_1·|x| (eq. 7) of ``direction``, A."""
        ax = np.abs(np.asarray(x, float))
        if direction == "AP->P":
            out: FloatArray = self.i0_ap2p_A + self.i1_ap2p_A * ax
        else:
            out = self.i0_p2ap_A + self.i1_p2ap_A * ax
        return out


# --------------------------------------------------------------------------- the seed 002 MTJ

#: Logistic transition time of the behavioural model, borrowed from the shipped
#: seed001-device-c fit (spintronic_cells/data), s; it only delays the resistance change.
SEED002_TSW_S = 2.8269754780963004e-11


def seed002_fit(coefficients: WriteCoefficients | None = None) -> BehaviouralFit:
    """The crossbar MTJ of seed 002 as a behavioural fit (electrical + switching law).

    Electrical: R_P from eq. 7 and the quoted V_P range, R_P = V_P/I_wr,P→AP
    (0.98 V / 200 µA = 4.9 kΩ; 0.68 V / 140 µA = 4.86 kΩ, 1 % apart). The AP resistance
    follows TMR(V) = TMR0/(1 + (V/V_h)²) (the form of the behavioural model); TMR0 and
    V_h are solved so that V_AP = I_wr,AP→P·R_AP(V_AP) hits both ends of the quoted
    V_AP range (−0.62 V at 60 µA, −0.81 V at 90 µA): TMR0 ≈ 2.05, V_h ≈ 0.67 V.

    Switching: the law of the behavioural ngspice model (``mtj_stt_behavioural.j2``),
    P(switch by t) = 1 − erf((π/2)·e^(−q)/(√2·θ0)), q = ∫ max(|I| − I_c, 0)/C dt, with
    (I_c, C, θ0) per direction solved from seed 002 eq. 8–9 and Fig. 3:
    P(I_0 + I_1, t_0) = P(I_0, t_0 + t_1) = P_0 = 0.05 and P(I_0 + I_1, t_0 + t_1) = η = 0.7.
    Closed form: I_c = I_0 − I_1·t_0/t_1 (15 µA AP→P, 50 µA P→AP), θ0 = 0.0699 rad, and
    C = t_0·(I_0 + I_1 − I_c)/q_0 with q_0 = 1.5·ln(erfinv(0.95)/erfinv(0.3)).

    This is a calibration to the seed's own table, not an LLG fit: ``rms_cdf_error`` is 0.
    """
    k = coefficients or WriteCoefficients()
    # electrical
    vp_lo, vp_hi = SEED002_VP_RANGE_V
    i_lo = float(k.current_A(np.array(0.0), "P->AP"))
    i_hi = float(k.current_A(np.array(1.0), "P->AP"))
    r_p = 0.5 * (vp_lo / i_lo + vp_hi / i_hi)
    (v1, v2) = (-SEED002_VAP_RANGE_V[1], -SEED002_VAP_RANGE_V[0])  # 0.62, 0.81
    i1 = float(k.current_A(np.array(0.0), "AP->P"))
    i2 = float(k.current_A(np.array(1.0), "AP->P"))
    tmr1 = v1 / (i1 * r_p) - 1.0
    tmr2 = v2 / (i2 * r_p) - 1.0
    # tmr0 = tmr1·(1 + v1²u) = tmr2·(1 + v2²u), u = 1/V_h²
    u = (tmr1 - tmr2) / (tmr2 * v2**2 - tmr1 * v1**2)
    if not u > 0:
        raise ParameterError("Table 3 and the quoted V_AP range give no bias-dependent TMR")
    tmr0 = tmr1 * (1.0 + v1**2 * u)
    v_half = 1.0 / math.sqrt(u)
    # switching law: the one seed 002 calibration (spintronic_cells.seed002)

    def direction(d: Literal["AP->P", "P->AP"], volts: tuple[float, float]) -> DirectionFit:
        i0 = float(k.current_A(np.array(0.0), d))
        i1 = float(k.current_A(np.array(1.0), d)) - i0
        ic, c, theta0 = calibrate_direction(k.t0_s, k.t1_s, i0, i1)
        return DirectionFit(d, c, ic, theta0, volts, 0.0, 0.0)

    return BehaviouralFit(
        version=FIT_FORMAT_VERSION,
        preset="seed002-table3",
        r_on_ohm=r_p,
        r_off_ohm=r_p * (1.0 + tmr0),
        tmr0=tmr0,
        v_half_V=v_half,
        tsw_s=SEED002_TSW_S,
        ap_to_p=direction("AP->P", (v1, v2)),
        p_to_ap=direction("P->AP", SEED002_VP_RANGE_V),
        seed=0,
        trials=0,
        dt_s=0.0,
        temperature_K=300.0,
    )


def mtj_resistance(
    fit: BehaviouralFit, ap: BoolArray | bool, v_V: FloatArray | float
) -> FloatArray:
    """R of MTJs in state ``ap`` (True = AP) at bias ``v_V``, Ω: the fit's law as arrays."""
    out: FloatArray = fit.resistance_ohm(np.asarray(ap, float), np.asarray(v_V, float))
    return out


def write_voltage_V(
    fit: BehaviouralFit, coefficients: WriteCoefficients, x: FloatArray, direction: str
) -> FloatArray:
    """Row write voltage for |x| (eq. 7 and §4.3): V_P = I_wr·R_P > 0, V_AP = −I_wr·R_AP(V_AP) < 0.

    V_AP solves V = I_wr·R_AP(V) by fixed-point iteration (R_AP falls with bias).
    """
    if direction == "P->AP":
        out: FloatArray = coefficients.current_A(x, "P->AP") * fit.r_on_ohm
        return out
    i = coefficients.current_A(x, "AP->P")
    v = i * fit.r_off_ohm
    for _ in range(200):
        v_new = i * mtj_resistance(fit, True, v)
        if np.max(np.abs(v_new - v)) < V_AP_TOL_V:
            v = v_new
            break
        v = v_new
    neg: FloatArray = -v
    return neg


# --------------------------------------------------------------------------- design


@dataclass(frozen=True, slots=True, kw_only=True)
class CrossbarDesign:
    """An M×N MTJ crossbar of seed 002 (SI units).

    Parameters
    ----------
    architecture:
        ``"1t1r"`` (Fig. 4a: one access transistor per cell, gate c_j per column) or
        ``"1r"`` (Fig. 5c: row- and column-selection transistors at the periphery only).
    rows, cols:
        M inputs and N outputs, 1 to 4096.
    fit:
        MTJ electrical and switching law (default :func:`seed002_fit`).
    coefficients:
        Eq. 6–7 coefficients (default Table 3).
    v_read_V:
        Read voltage V for x = ±1 (V_i^r = V·x_i, §4.1), V. Default 0.1 V.
    r_driver_ohm:
        Output resistance of each row driver, Ω. Default 50 Ω.
    r_wire_row_ohm, r_wire_col_ohm:
        Wire resistance of one cell pitch of a row / column line, Ω. Default 0.07 Ω
        (1.25 Ω/µm of ``parasitics.WireModel`` over a 56 nm = 2F pitch at F = 28 nm).
    r_access_on_ohm, r_access_off_ohm:
        1T1R access transistor, Ω. Defaults 403 Ω and 250 MΩ: bundled 28 nm NMOS at
        W = 600 nm (W/L = 20), R_lin = 242 Ω·µm / 0.6 µm, I_off = 6.6 nA/µm·0.6 µm at 1 V.
    r_select_on_ohm, r_select_off_ohm:
        1R row/column selection transistors (periphery, W = 10 µm), Ω. Defaults 24.2 Ω and
        15 MΩ from the same figures.
    r_sense_ohm:
        1T1R column terminal (input resistance of the output circuit), Ω. Default 10 Ω.
    linear_bias_V:
        Bias at which the *linear* description evaluates R_AP, V. Default 0 (R_AP = R_P·(1 + TMR0)).
    """

    architecture: Architecture
    rows: int
    cols: int
    fit: BehaviouralFit = field(default_factory=seed002_fit)
    coefficients: WriteCoefficients = field(default_factory=WriteCoefficients)
    v_read_V: float = 0.1
    r_driver_ohm: float = 50.0
    r_wire_row_ohm: float = 0.07
    r_wire_col_ohm: float = 0.07
    r_access_on_ohm: float = 403.0
    r_access_off_ohm: float = 2.5e8
    r_select_on_ohm: float = 24.2
    r_select_off_ohm: float = 1.5e7
    r_sense_ohm: float = 10.0
    linear_bias_V: float = 0.0

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ParameterError(
                f"architecture must be one of {', '.join(ARCHITECTURES)}, got {self.architecture!r}"
            )
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIDE:
                raise ParameterError(f"{name} must be an integer from 1 to {MAX_SIDE}, got {v!r}")
        if not isinstance(self.fit, BehaviouralFit):
            raise ParameterError("fit must be a BehaviouralFit")
        _finite("v_read_V", self.v_read_V, positive=True)
        if self.v_read_V > MAX_READ_V:
            raise ParameterError(f"v_read_V must be at most 2 V, got {self.v_read_V}")
        for name in (
            "r_driver_ohm",
            "r_wire_row_ohm",
            "r_wire_col_ohm",
            "r_access_on_ohm",
            "r_access_off_ohm",
            "r_select_on_ohm",
            "r_select_off_ohm",
            "r_sense_ohm",
        ):
            v = _finite(name, getattr(self, name), positive=True)
            if not MIN_RESISTANCE_OHM <= v <= MAX_RESISTANCE_OHM:
                raise ParameterError(f"{name} must be within 1e-6..1e13 ohm, got {v!r}")
        if self.r_access_off_ohm <= self.r_access_on_ohm:
            raise ParameterError("r_access_off_ohm must exceed r_access_on_ohm")
        if self.r_select_off_ohm <= self.r_select_on_ohm:
            raise ParameterError("r_select_off_ohm must exceed r_select_on_ohm")
        _finite("linear_bias_V", self.linear_bias_V)

    @property
    def shape(self) -> tuple[int, int]:
        """(M, N)."""
        return (self.rows, self.cols)

    def linear_resistance(self, ap: BoolArray) -> FloatArray:
        """MTJ resistances of the linear description (R_AP at ``linear_bias_V``), Ω."""
        return mtj_resistance(self.fit, ap, self.linear_bias_V)


# --------------------------------------------------------------------------- phases


@dataclass(frozen=True, slots=True, eq=False)
class Phase:
    """One DC configuration of the crossbar: a read or a write phase.

    Attributes
    ----------
    name:
        ``"read"`` or ``"w1"``..``"w4"``.
    row_V:
        Source voltage of each row driver (M,), V.
    row_on:
        Row-selection transistor gates e_i (M,) (1R; all on in a 1T1R crossbar).
    col_on:
        Column gates c_j (N,) at the start of the phase: the 1T1R access transistors of
        column j, or the 1R column-selection transistor.
    col_width_s:
        How long each column gate stays on in the phase, t_wr,j (eq. 6, 10), s; 0 if off.
    duration_s:
        Phase length T_wr (or T_rd for the read), s.
    selected:
        Cells (M, N) this phase is meant to update (the read selects every cell).
    """

    name: str
    row_V: FloatArray
    row_on: BoolArray
    col_on: BoolArray
    col_width_s: FloatArray
    duration_s: float
    selected: BoolArray

    def at(self, t_s: float) -> Phase:
        """The configuration ``t_s`` into the phase (columns past their t_wr,j are off)."""
        on = self.col_on & (self.col_width_s > t_s)
        return Phase(
            self.name, self.row_V, self.row_on, on, self.col_width_s, self.duration_s, self.selected
        )

    def intervals(self) -> list[tuple[float, float]]:
        """Sub-intervals of the phase within which the configuration is constant, s."""
        cuts = {0.0, self.duration_s}
        cuts.update(float(w) for w in self.col_width_s[self.col_on] if 0 < w < self.duration_s)
        edges = sorted(cuts)
        return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _check_vector(values: Sequence[float] | FloatArray, n: int, what: str) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ParameterError(f"{what} must have {n} entries, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > 1.0):
        raise ParameterError(f"{what} must be finite and within [-1, 1] (seed 002 §4.2)")
    return arr


def check_states(states: BoolArray | Sequence[Sequence[bool]], shape: tuple[int, int]) -> BoolArray:
    """Validate an MTJ state grid: True = AP, False = P, shape (M, N)."""
    arr = np.asarray(states)
    if arr.shape != shape:
        raise ParameterError(f"MTJ states must have shape {shape}, got {arr.shape}")
    if arr.dtype != np.bool_:
        raise ParameterError("MTJ states must be booleans (True = AP, False = P)")
    return arr.astype(bool)


def read_phase(
    design: CrossbarDesign, x: Sequence[float] | FloatArray, t_rd_s: float = 1e-9
) -> Phase:
    """Read phase (§4.1, §4.3): V_i^r = V_read·x_i, every gate on, outputs at 0 V."""
    xv = _check_vector(x, design.rows, "inputs x")
    _finite("t_rd_s", t_rd_s, positive=True)
    m, n = design.shape
    return Phase(
        "read",
        design.v_read_V * xv,
        np.ones(m, bool),
        np.ones(n, bool),
        np.full(n, t_rd_s),
        t_rd_s,
        np.ones((m, n), bool),
    )


def write_schedule(
    design: CrossbarDesign,
    x: Sequence[float] | FloatArray,
    delta: Sequence[float] | FloatArray,
    scheme: Scheme,
) -> tuple[Phase, ...]:
    """The write phases of one update (seed 002 §4.3–4.4).

    ``2phase`` (1T1R Fig. 4b and 1R Fig. 5a–b): phase 1 updates the columns with δ_j ≥ 0,
    gates c_j on for t_wr,j (eq. 10), rows at V_wr,i = V_P(x_i)·u(x_i) + V_AP(x_i)·u(−x_i)
    (eq. 11); phase 2 the columns with δ_j < 0 with V_P and V_AP exchanged. Every row driver
    is connected in both phases.

    ``4phase`` (1R only, Table 4): phases (x>0, δ>0) at V_P, (x<0, δ>0) at V_AP,
    (x>0, δ<0) at V_AP, (x<0, δ<0) at V_P; rows outside the phase's sign are disconnected by
    their selection transistor e_i (driver at 0 V), columns outside it by c_j.
    """
    if scheme not in SCHEMES:
        raise ParameterError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if scheme == "4phase" and design.architecture != "1r":
        raise ParameterError(
            "the 4-phase scheme needs row-selection transistors: it is defined for the 1R "
            "crossbar (seed 002 Fig. 5c, Table 4); use --scheme 2phase for 1T1R"
        )
    xv = _check_vector(x, design.rows, "inputs x")
    dv = _check_vector(delta, design.cols, "errors delta")
    k = design.coefficients
    vp = write_voltage_V(design.fit, k, xv, "P->AP")
    vap = write_voltage_V(design.fit, k, xv, "AP->P")
    xpos = xv >= 0
    dpos = dv >= 0
    width = k.pulse_width_s(dv)
    t_wr = k.phase_duration_s
    m, _ = design.shape
    phases: list[Phase] = []
    if scheme == "2phase":
        for name, cols, v in (
            ("w1", dpos, np.where(xpos, vp, vap)),
            ("w2", ~dpos, np.where(xpos, vap, vp)),
        ):
            phases.append(
                Phase(
                    name,
                    v,
                    np.ones(m, bool),
                    cols.copy(),
                    np.where(cols, width, 0.0),
                    t_wr,
                    np.outer(np.ones(m, bool), cols),
                )
            )
    else:
        for name, rows, cols, v in (
            ("w1", xpos, dpos, vp),
            ("w2", ~xpos, dpos, vap),
            ("w3", xpos, ~dpos, vap),
            ("w4", ~xpos, ~dpos, vp),
        ):
            phases.append(
                Phase(
                    name,
                    np.where(rows, v, 0.0),
                    rows.copy(),
                    cols.copy(),
                    np.where(cols, width, 0.0),
                    t_wr,
                    np.outer(rows, cols),
                )
            )
    return tuple(phases)


# --------------------------------------------------------------------------- the network

#: Resistor kinds of a :class:`CrossbarNetwork` (codes in ``res_kind``) and name prefixes.
KIND_PREFIX: dict[int, str] = {
    0: "Rdrv",  # row driver output resistance
    1: "Rrs",  # 1R row-selection transistor
    2: "Rwr",  # row wire segment
    3: "Rwc",  # column wire segment
    4: "Rmtj",  # MTJ
    5: "Racc",  # 1T1R access transistor
    6: "Rct",  # column terminal (1R column-selection transistor / 1T1R sense input)
}
K_DRV, K_RS, K_WR, K_WC, K_MTJ, K_ACC, K_CT = range(7)


@dataclass(frozen=True, slots=True, eq=False)
class CrossbarNetwork:
    """Linear description of one crossbar phase: nodes, resistors, ideal sources.

    Nodes are integers 0..n_nodes−1 (ground is not a node); names come from
    :meth:`node_name`. Every voltage source joins a node to ground.

    Attributes
    ----------
    design, phase:
        What the network was built from.
    states_ap:
        MTJ states (M, N), True = AP.
    n_nodes:
        Number of nodes.
    res_a, res_b, res_ohm, res_kind:
        Resistors: end nodes, resistance (Ω), kind code (:data:`KIND_PREFIX`).
    res_i, res_j:
        Row and column index (1-based, 0 where not applicable) naming each resistor.
    src_node, src_V, src_kind:
        Voltage sources: node, value (V), ``0`` row driver ``Vd{i}``, ``1`` sense ``Vo{j}``.
    cell_a, cell_b:
        MTJ terminal nodes (M, N): row side (fixed layer) and column side (free layer).
    mtj_res:
        Index of each cell's MTJ in the resistor arrays (M, N).
    row_nodes:
        Row line nodes (M, N+1): column 0 is the line start.
    col_nodes:
        Column line nodes (M+1, N): row 0 is the column end (terminal side).
    """

    design: CrossbarDesign
    phase: Phase
    states_ap: BoolArray
    n_nodes: int
    res_a: IntArray
    res_b: IntArray
    res_ohm: FloatArray
    res_kind: NDArray[np.int8]
    res_i: IntArray
    res_j: IntArray
    src_node: IntArray
    src_V: FloatArray
    src_kind: NDArray[np.int8]
    cell_a: IntArray
    cell_b: IntArray
    mtj_res: IntArray
    row_nodes: IntArray
    col_nodes: IntArray
    _layout: dict[str, int]

    def node_name(self, k: int, prefix: str = "") -> str:
        """Netlist name of node ``k`` (see module docstring)."""
        return prefix + _node_name(self._layout, self.design, int(k))

    def node_names(self, prefix: str = "") -> list[str]:
        """Names of every node, in index order."""
        return [self.node_name(k, prefix) for k in range(self.n_nodes)]

    def resistor_name(self, r: int, prefix: str = "") -> str:
        """Element name of resistor ``r``."""
        kind = KIND_PREFIX[int(self.res_kind[r])]
        i, j = int(self.res_i[r]), int(self.res_j[r])
        if kind in ("Rdrv", "Rrs"):
            return f"{kind}{prefix}{i}"
        if kind == "Rct":
            return f"{kind}{prefix}{j}"
        return f"{kind}{prefix}{i}_{j}"

    def source_name(self, s: int, prefix: str = "") -> str:
        """Element name of voltage source ``s``."""
        if int(self.src_kind[s]) == 0:
            return f"Vd{prefix}{self.src_index(s)}"
        return f"Vo{prefix}{self.src_index(s)}"

    def src_index(self, s: int) -> int:
        """Row (driver) or column (sense) index of source ``s``, 1-based."""
        m = self.design.rows
        return s + 1 if s < m else s - m + 1


def _node_name(layout: dict[str, int], design: CrossbarDesign, k: int) -> str:
    m, n = design.shape
    for key in ("d", "s", "r", "c", "m", "o"):
        base = layout.get(key)
        if base is None:
            continue
        size = layout[key + "#"]
        if base <= k < base + size:
            off = k - base
            if key in ("d", "s"):
                return f"{key}{off + 1}"
            if key == "o":
                return f"o{off + 1}"
            if key == "r":
                i, j = divmod(off, n + 1)
                return f"r{i + 1}_{j}"
            if key == "c":
                j, i = divmod(off, m + 1)
                return f"c{i}_{j + 1}"
            i, j = divmod(off, n)
            return f"m{i + 1}_{j + 1}"
    raise ParameterError(f"node index {k} out of range")


def build_network(
    design: CrossbarDesign, phase: Phase, states_ap: BoolArray, *, at_s: float = 0.0
) -> CrossbarNetwork:
    """The linear network of ``phase`` at time ``at_s`` into it (module docstring topology).

    MTJs are resistors at :meth:`CrossbarDesign.linear_resistance` of their state; a
    bias-dependent solve (:mod:`spinspice.analysis.nodal`) replaces them.
    """
    m, n = design.shape
    states = check_states(states_ap, (m, n))
    if phase.row_V.shape != (m,) or phase.col_on.shape != (n,):
        raise ParameterError("phase does not match the crossbar size")
    cfg = phase.at(at_s)
    one_r = design.architecture == "1r"
    layout: dict[str, int] = {}
    cursor = 0
    for key, size in (
        ("d", m),
        ("s", m if one_r else 0),
        ("r", m * (n + 1)),
        ("c", (m + 1) * n),
        ("m", 0 if one_r else m * n),
        ("o", n),
    ):
        if size:
            layout[key], layout[key + "#"] = cursor, size
            cursor += size
    ii = np.arange(m)
    jj = np.arange(n)
    d_nodes = layout["d"] + ii
    row_nodes = layout["r"] + (ii[:, None] * (n + 1) + np.arange(n + 1)[None, :])
    col_nodes = layout["c"] + (jj[None, :] * (m + 1) + np.arange(m + 1)[:, None])
    o_nodes = layout["o"] + jj
    gi, gj = np.meshgrid(ii + 1, jj + 1, indexing="ij")
    parts: list[tuple[IntArray, IntArray, FloatArray, int, IntArray, IntArray]] = []

    def add(
        a: IntArray, b: IntArray, r: FloatArray | float, kind: int, i: IntArray, j: IntArray
    ) -> None:
        a = np.asarray(a, np.int64).ravel()
        rv = np.asarray(r, float)
        rv = np.full(a.size, float(rv)) if rv.ndim == 0 else rv.ravel()
        parts.append(
            (
                a,
                np.asarray(b, np.int64).ravel(),
                rv,
                kind,
                np.asarray(i, np.int64).ravel(),
                np.asarray(j, np.int64).ravel(),
            )
        )

    zeros_m = np.zeros(m, np.int64)
    zeros_n = np.zeros(n, np.int64)
    if one_r:
        s_nodes = layout["s"] + ii
        add(d_nodes, s_nodes, design.r_driver_ohm, K_DRV, ii + 1, zeros_m)
        r_rs = np.where(cfg.row_on, design.r_select_on_ohm, design.r_select_off_ohm)
        add(s_nodes, row_nodes[:, 0], r_rs, K_RS, ii + 1, zeros_m)
    else:
        add(d_nodes, row_nodes[:, 0], design.r_driver_ohm, K_DRV, ii + 1, zeros_m)
    add(row_nodes[:, :-1], row_nodes[:, 1:], design.r_wire_row_ohm, K_WR, gi, gj)
    add(col_nodes[:-1, :], col_nodes[1:, :], design.r_wire_col_ohm, K_WC, gi, gj)
    cell_a = row_nodes[:, 1:]
    cell_col = col_nodes[1:, :]
    r_mtj = design.linear_resistance(states)
    n_before = sum(p[0].size for p in parts)
    if one_r:
        cell_b = cell_col
        add(cell_a, cell_b, r_mtj, K_MTJ, gi, gj)
        r_ct = np.where(cfg.col_on, design.r_select_on_ohm, design.r_select_off_ohm)
    else:
        cell_b = layout["m"] + (ii[:, None] * n + jj[None, :])
        add(cell_a, cell_b, r_mtj, K_MTJ, gi, gj)
        r_acc = np.where(cfg.col_on, design.r_access_on_ohm, design.r_access_off_ohm)
        add(cell_b, cell_col, np.broadcast_to(r_acc[None, :], (m, n)), K_ACC, gi, gj)
        r_ct = np.full(n, design.r_sense_ohm)
    add(col_nodes[0, :], o_nodes, r_ct, K_CT, zeros_n, jj + 1)
    res_a = np.concatenate([p[0] for p in parts])
    res_b = np.concatenate([p[1] for p in parts])
    res_ohm = np.concatenate([p[2] for p in parts])
    res_kind = np.concatenate([np.full(p[0].size, p[3], np.int8) for p in parts])
    res_i = np.concatenate([p[4] for p in parts])
    res_j = np.concatenate([p[5] for p in parts])
    mtj_res = n_before + np.arange(m * n, dtype=np.int64).reshape(m, n)
    src_node = np.concatenate([d_nodes, o_nodes]).astype(np.int64)
    src_V = np.concatenate([np.asarray(cfg.row_V, float), np.zeros(n)])
    src_kind = np.concatenate([np.zeros(m, np.int8), np.ones(n, np.int8)])
    return CrossbarNetwork(
        design=design,
        phase=phase,
        states_ap=states,
        n_nodes=cursor,
        res_a=res_a,
        res_b=res_b,
        res_ohm=res_ohm,
        res_kind=res_kind,
        res_i=res_i,
        res_j=res_j,
        src_node=src_node,
        src_V=src_V,
        src_kind=src_kind,
        cell_a=np.asarray(cell_a, np.int64),
        cell_b=np.asarray(cell_b, np.int64),
        mtj_res=mtj_res,
        row_nodes=np.asarray(row_nodes, np.int64),
        col_nodes=np.asarray(col_nodes, np.int64),
        _layout=layout,
    )


# --------------------------------------------------------------------------- inputs


def random_inputs(rows: int, cols: int, seed: int) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Seeded x ~ U[−1, 1] (M,), δ ~ U[−1, 1] (N,), MTJ states (M, N) AP with probability ½."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, rows)
    delta = rng.uniform(-1.0, 1.0, cols)
    states = rng.random((rows, cols)) < AP_PROBABILITY
    return x, delta, states


def load_vector(path: Path, n: int, what: str) -> FloatArray:
    """Read ``n`` numbers in [−1, 1] (commas, spaces or newlines) from a text file or ``.npy``.

    Raises
    ------
    ParameterError
        Unreadable file, wrong count, non-finite or out-of-range values.
    """
    try:
        if path.suffix == ".npy":
            data = np.load(path, allow_pickle=False)
            values = np.asarray(data, float).ravel()
        else:
            text = path.read_text(encoding="utf-8")
            values = np.array([float(t) for t in text.replace(",", " ").split()], float)
    except (OSError, ValueError) as exc:
        raise ParameterError(f"cannot read {what} from {path}: {exc}") from None
    return _check_vector(values, n, f"{what} in {path}")


def load_states(path: Path, shape: tuple[int, int]) -> BoolArray:
    """Read an MTJ state grid: ``P``/``AP`` labels or 0/1 (1 = AP), one row per line.

    Raises
    ------
    ParameterError
        Unreadable file, unknown labels, or the wrong shape.
    """
    table = {"p": False, "0": False, "ap": True, "1": True}
    try:
        text = path.read_text(encoding="utf-8")
        grid = [
            [table[t.lower()] for t in ln.replace(",", " ").split()]
            for ln in text.splitlines()
            if ln.strip()
        ]
    except OSError as exc:
        raise ParameterError(f"cannot read MTJ states from {path}: {exc.strerror}") from None
    except KeyError as exc:
        raise ParameterError(
            f"MTJ states in {path}: unknown label {exc.args[0]!r} (use P/AP or 0/1)"
        ) from None
    if not grid or any(len(r) != len(grid[0]) for r in grid):
        raise ParameterError(f"MTJ states in {path} must be a rectangular grid")
    return check_states(np.array(grid, bool), shape)
