"""The 4T2R ternary MTJ synapse (seed 001 §4.2, Fig. 3a) and its GXNOR testbench.

Topology (one cell)::

    u1 ──P1(e1p)──┐                 ┌──P2(e2p)── u2
                  f1 ─[MTJ1]─ out ─[MTJ2]─ f2
    ub1 ─N1(e1n)──┘   free  fixed fixed free  └──N2(e2n)── ub2

Two MTJs are joined at their fixed layers (node ``out``, the row output); each free
layer (``f1``, ``f2``) is reached through an NMOS/PMOS pair. The assignment of the pair
to the inputs follows from seed 001 Table 2 and eq. 18–20: during an update with
ΔW > 0 the signals are e1p = e1n = −V_dd, e2n = +V_dd, e2p = +V_dd, which must drive
current *from* u1 = V_up through MTJ1 free→fixed (switching it to P, R_on) and from the
grounded output through MTJ2 fixed→free into ū2 (switching it to AP, R_off), taking the
weight from −1 = (R_off, R_on) towards +1 = (R_on, R_off) (Table 1). Hence P1 connects u1,
N1 connects ū1, P2 connects u2 and N2 connects ū2.

GXNOR read (seed 001 §4.5.1): u1 = u, ū2 = −u, {e1n, e1p, e2n, e2p} = {−V_dd, −V_dd,
V_dd, V_dd}, so P1 and N2 conduct and I_out = (G1 − G2)·u (eq. 29) flows into the
grounded output. We also drive ū1 = −u and u2 = u (complementary pairs; their
transistors are off).

Sign convention: ``i_out`` is the current flowing out of the cell's ``out`` node into the
row (ground), positive for weight +1 with input +1.

At this stage the MTJs are resistors: R_on = 1500 Ω (P), R_off = 2500 Ω (AP), seed 001
Table 3. Weight encoding, seed 001 Table 1: +1 = (R_on, R_off), 0_s = (R_off, R_off),
0_w = (R_on, R_on), −1 = (R_off, R_on) for (MTJ1, MTJ2).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from spinspice.errors import ParameterError
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    Mosfet,
    OperatingPoint,
    Param,
    Resistor,
    Save,
    Subcircuit,
    SubcktInstance,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.technology import MosfetTechnology, technology_tag

SUBCKT_NAME = "syn4t2r"
#: Port order of the cell subcircuit.
PORTS = ("u1", "ub1", "u2", "ub2", "e1n", "e1p", "e2n", "e2p", "out")
#: Largest MTJ resistance (R_on or R_off) a synapse cell accepts, Ω (the least is 1 Ω); our
#: choice (a bound for input validation, far above seed 001 Table 3's R_off = 2500 Ω).
MAX_MTJ_RESISTANCE_OHM: Final = 1e9


class TernaryWeight(enum.Enum):
    """Ternary weight with its two zero states (seed 001 Table 1)."""

    NEG = "-1"
    ZERO_S = "0s"
    ZERO_W = "0w"
    POS = "+1"

    @property
    def value_int(self) -> int:
        """The logical weight −1, 0 or +1."""
        return {"-1": -1, "0s": 0, "0w": 0, "+1": 1}[self.value]

    @property
    def mtj_states(self) -> tuple[str, str]:
        """(MTJ1, MTJ2) states, ``"P"`` (R_on) or ``"AP"`` (R_off)."""
        return {
            "+1": ("P", "AP"),
            "0s": ("AP", "AP"),
            "0w": ("P", "P"),
            "-1": ("AP", "P"),
        }[self.value]


_WEIGHT_ALIASES = {
    "-1": TernaryWeight.NEG,
    "1": TernaryWeight.POS,
    "+1": TernaryWeight.POS,
    "0s": TernaryWeight.ZERO_S,
    "0w": TernaryWeight.ZERO_W,
}


def parse_weight(text: str) -> TernaryWeight:
    """Parse ``-1``, ``0s``, ``0w``, ``+1`` (or ``1``) into a :class:`TernaryWeight`."""
    key = str(text).strip().lower()
    if key not in _WEIGHT_ALIASES:
        raise ParameterError(
            f"unknown ternary weight {text!r}; use one of -1, 0s, 0w, +1 "
            "(0s = both MTJs AP, 0w = both P)"
        )
    return _WEIGHT_ALIASES[key]


def gxnor(activation: int, weight: TernaryWeight) -> int:
    """Gated XNOR: 0 if either input is 0, else +1 for equal signs and −1 otherwise."""
    if activation not in (-1, 0, 1):
        raise ParameterError(f"activation must be -1, 0 or +1, got {activation!r}")
    return activation * weight.value_int


@dataclass(frozen=True, slots=True, kw_only=True)
class Synapse4T2RDesign:
    """Electrical design of one 4T2R cell with resistor MTJs.

    Parameters
    ----------
    technology:
        MOSFET models, sizes and V_dd.
    r_on_ohm:
        MTJ parallel-state resistance, Ω. Default 1500 Ω (seed 001 Table 3).
    r_off_ohm:
        MTJ antiparallel-state resistance, Ω. Default 2500 Ω (seed 001 Table 3).
    """

    technology: MosfetTechnology
    r_on_ohm: float = 1500.0
    r_off_ohm: float = 2500.0

    def __post_init__(self) -> None:
        for name in ("r_on_ohm", "r_off_ohm"):
            v = getattr(self, name)
            if (
                not isinstance(v, int | float)
                or not math.isfinite(v)
                or not 1.0 <= v <= MAX_MTJ_RESISTANCE_OHM
            ):
                raise ParameterError(f"{name} must be between 1 and 1e9 ohm, got {v!r}")
        if self.r_off_ohm <= self.r_on_ohm:
            raise ParameterError(
                f"r_off_ohm ({self.r_off_ohm}) must exceed r_on_ohm ({self.r_on_ohm})"
            )

    def resistance(self, state: str) -> float:
        """Resistance of an MTJ in ``state`` (``"P"`` or ``"AP"``), Ω."""
        return self.r_on_ohm if state == "P" else self.r_off_ohm

    def ideal_current(self, u_V: float, weight: TernaryWeight) -> float:
        """Ideal output current (G1 − G2)·u of seed 001 eq. 29, A (no transistors)."""
        s1, s2 = weight.mtj_states
        return (1.0 / self.resistance(s1) - 1.0 / self.resistance(s2)) * u_V


def synapse_subcircuit(design: Synapse4T2RDesign) -> Subcircuit:
    """The 4T2R cell as a subcircuit with parameters ``r1``, ``r2`` (MTJ resistances, Ω).

    Ports: see :data:`PORTS`. Each transistor's body is tied to its input line (u1, ū1,
    u2, ū2): the seed's process is FD-SOI with isolated bodies, and in every operation of
    seed 001 (read at ±V_rd, update with u = V_up, ū = −V_up) the drain–body junctions of
    this choice stay reverse-biased, while bodies at the ∓V_dd rails would raise the
    threshold of the bulk-style default models enough to block ±0.1 V read signals.
    """
    t = design.technology
    el = t.element
    prefix = "X" if el == "X" else "M"
    elements = (
        Mosfet(f"{prefix}p1", "f1", "e1p", "u1", "u1", t.pmos_model, t.wp_m, t.l_m, el),
        Mosfet(f"{prefix}n1", "f1", "e1n", "ub1", "ub1", t.nmos_model, t.wn_m, t.l_m, el),
        Mosfet(f"{prefix}p2", "f2", "e2p", "u2", "u2", t.pmos_model, t.wp_m, t.l_m, el),
        Mosfet(f"{prefix}n2", "f2", "e2n", "ub2", "ub2", t.nmos_model, t.wn_m, t.l_m, el),
        Resistor("Rmtj1", "f1", "out", Param("r1")),
        Resistor("Rmtj2", "f2", "out", Param("r2")),
    )
    return Subcircuit(
        name=SUBCKT_NAME,
        ports=PORTS,
        elements=elements,
        params={"r1": design.r_on_ohm, "r2": design.r_off_ohm},
    )


@dataclass(frozen=True, slots=True)
class GxnorCase:
    """One GXNOR test case: input activation × stored weight."""

    activation: int
    weight: TernaryWeight

    @property
    def expected(self) -> int:
        """GXNOR(activation, weight)."""
        return gxnor(self.activation, self.weight)


def all_gxnor_cases() -> tuple[GxnorCase, ...]:
    """The 12 cases input ∈ {−1, 0, +1} × weight ∈ {−1, 0s, 0w, +1}."""
    return tuple(GxnorCase(a, w) for a in (-1, 0, 1) for w in TernaryWeight)


def output_source_name(index: int) -> str:
    """Name of the 0 V source that measures case ``index``'s output current."""
    return f"Vout{index}"


def gxnor_testbench(
    design: Synapse4T2RDesign,
    cases: Sequence[GxnorCase],
    *,
    v_rd_V: float = 0.1,
) -> Circuit:
    """A DC testbench holding one cell per case, read as in seed 001 §4.5.1.

    Each case gets its own cell and input sources; gate controls and bulk rails are
    shared. The output of case ``k`` is grounded through a 0 V source ``Voutk`` whose
    branch current is the cell's output current (positive out of the cell).

    Parameters
    ----------
    design:
        Cell design.
    cases:
        Cases to simulate (e.g. :func:`all_gxnor_cases`).
    v_rd_V:
        Read voltage V_rd > 0, V; activations map to {−V_rd, 0, +V_rd}. Default 0.1 V.
    """
    if not isinstance(v_rd_V, int | float) or not 0 < v_rd_V <= design.technology.vdd_V:
        raise ParameterError(
            f"read voltage must be > 0 and <= V_dd = {design.technology.vdd_V} V, got {v_rd_V!r}"
        )
    if not cases:
        raise ParameterError("at least one GXNOR case is needed")
    vdd = design.technology.vdd_V
    elements: list[object] = [
        VoltageSource("Vvdd", "vdd", GROUND, Dc(vdd)),
        VoltageSource("Vvss", "vss", GROUND, Dc(-vdd)),
    ]
    saves: list[Save] = []
    for k, case in enumerate(cases):
        u = case.activation * v_rd_V
        s1, s2 = case.weight.mtj_states
        elements += [
            VoltageSource(f"Vu1c{k}", f"u1c{k}", GROUND, Dc(u)),
            VoltageSource(f"Vub1c{k}", f"ub1c{k}", GROUND, Dc(-u)),
            VoltageSource(f"Vu2c{k}", f"u2c{k}", GROUND, Dc(u)),
            VoltageSource(f"Vub2c{k}", f"ub2c{k}", GROUND, Dc(-u)),
            VoltageSource(output_source_name(k), f"outc{k}", GROUND, Dc(0.0)),
            SubcktInstance(
                f"Xsyn{k}",
                # e1n, e1p = -Vdd (vss); e2n, e2p = +Vdd (vdd)
                (
                    *(f"u1c{k}", f"ub1c{k}", f"u2c{k}", f"ub2c{k}"),
                    *("vss", "vss", "vdd", "vdd"),
                    f"outc{k}",
                ),
                SUBCKT_NAME,
                {"r1": design.resistance(s1), "r2": design.resistance(s2)},
            ),
        ]
        saves.append(Save("i", (output_source_name(k).lower(),)))
    return Circuit(
        title="spinspice 4T2R GXNOR testbench",
        elements=tuple(elements),  # type: ignore[arg-type]
        subcircuits=(synapse_subcircuit(design),),
        libraries=(design.technology.library_ref(),),
        analyses=(OperatingPoint(),),
        saves=tuple(saves),
    )


def gxnor_job(
    design: Synapse4T2RDesign,
    cases: Sequence[GxnorCase],
    *,
    v_rd_V: float = 0.1,
) -> Job:
    """The GXNOR testbench (:func:`gxnor_testbench`) as a simulation job."""
    tech = design.technology
    return make_job(
        gxnor_testbench(design, cases, v_rd_V=v_rd_V),
        key=f"4t2r/gxnor/{len(cases)}cases/{technology_tag(tech)}",
        meta={"family": "4t2r", "operation": "gxnor", "rows": 1, "cols": 1,
              "corner": technology_tag(tech), "v_rd_V": v_rd_V},
    )
