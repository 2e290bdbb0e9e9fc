"""The 2T1R binary MTJ synapse (seed 001 §1, "a two-transistor, single-MTJ (2T1R) circuit
for a binary stochastic synapse"; its supplement, which details the cell, is not available
to us, so the cell below is our design, derived from one half of the 4T2R cell of §4.2).

Topology (one cell)::

    u  ──P(ep)──┐
                f ─[MTJ]─ out
    ub ─N(en)───┘  free  fixed

One MTJ joins its free layer ``f`` to the row output ``out`` through its fixed layer; ``f``
is reached from the column input ``u`` through a PMOS (gate ``ep``) and from the
complementary input ``ub`` (ū) through an NMOS (gate ``en``). This is exactly the MTJ1 branch
of the 4T2R cell (:mod:`spinspice.array_builder.synapse_4t2r`), so its bias and update
conventions carry over. Each transistor's body is tied to its input line, as in the 4T2R.

Conventions (fixed here, used by every 2T1R builder)
----------------------------------------------------
* Weight encoding: **+1 = P (R_on)**, **−1 = AP (R_off)**. The behavioural MTJ state node
  ``s`` is 0 for P and 1 for AP, so w = 1 − 2·s.
* Current through the MTJ from free to fixed (``f`` → ``out``) switches AP → P (towards
  +1); fixed → free switches P → AP (towards −1) (``templates/mtj_stt_behavioural.j2``).
* ``i_out`` is the current leaving the cell at ``out`` into the row (positive for u > 0).

Operations (gate levels are ±V_dd as in seed 001 §4.3)
------------------------------------------------------
* read (feedforward and backprop): u = x·V_rd, ū = −x·V_rd, ep = −V_dd (PMOS on),
  en = −V_dd (NMOS off); i_out = G·u (feedforward: the row ``out`` is held at 0 V;
  backprop: ``out`` is driven with y·V_rd and the column ``u`` is held at 0 V);
* update ΔW > 0: u = +V_up, ū = −V_up, ep = −V_dd for the pulse width Δt (PMOS on),
  en = −V_dd (off); current u → f → out, free → fixed: AP → P (w → +1);
* update ΔW < 0: u = +V_up, ū = −V_up, ep = +V_dd (off), en = +V_dd for Δt (NMOS on);
  current out → f → ū, fixed → free: P → AP (w → −1);
* no update in an active column: ep = +V_dd, en = −V_dd, both transistors off
  (|V_gs| ≤ V_dd − V_up);
* idle column: u = ū = 0, no voltage across the cell whatever its gates do.

The update steers the current with *one* transistor per direction: the PMOS sources current
from u = +V_up (free → fixed), the NMOS sinks it into ū = −V_up (fixed → free). The
pulse width is the time the chosen gate is on; the output rows are grounded. V_up must not
exceed V_dd, otherwise the "off" transistors of the active column conduct.

Reading against a reference: a single MTJ gives G_on or G_off, never a signed current, so
the row current is compared with the current of a reference conductance
G_ref = (G_on + G_off)/2 driven by the same inputs: I_row − I_ref = Σ w·x·(G_on − G_off)/2·V_rd.
The array builds the reference from real cells (:mod:`spinspice.array_builder.array_2t1r`):
one reference row of P cells and one of AP cells, averaged, so the access transistors and
wires of the reference match those of the data cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from spinspice.array_builder.synapse_4t2r import MAX_MTJ_RESISTANCE_OHM
from spinspice.errors import ParameterError
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    Element,
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

SUBCKT_NAME = "syn2t1r"
#: Port order of the read cell (MTJ as a resistor with parameter ``r``).
PORTS = ("u", "ub", "ep", "en", "out")
ACCESS_SUBCKT_NAME = "acc2t1r"
#: Port order of the access pair alone (the MTJ is placed outside, between ``f`` and ``out``).
ACCESS_PORTS = ("u", "ub", "ep", "en", "f")

MtjState = Literal["P", "AP"]


def parse_binary_weight(value: object) -> int:
    """Parse ``-1``, ``+1`` / ``1`` (text or integer) into the binary weight −1 or +1."""
    if isinstance(value, bool):
        raise ParameterError(f"unknown binary weight {value!r}; use -1 or +1")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value in (-1, 1):
            return int(value)
        raise ParameterError(f"unknown binary weight {value!r}; use -1 or +1")
    key = str(value).strip()
    table = {"-1": -1, "1": 1, "+1": 1}
    if key not in table:
        raise ParameterError(f"unknown binary weight {value!r}; use -1 or +1")
    return table[key]


def mtj_state(weight: int) -> MtjState:
    """MTJ state of a binary weight: +1 → ``"P"`` (R_on), −1 → ``"AP"`` (R_off)."""
    if weight == 1:
        return "P"
    if weight == -1:
        return "AP"
    raise ParameterError(f"binary weight must be -1 or +1, got {weight!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Synapse2T1RDesign:
    """Electrical design of one 2T1R cell.

    Parameters
    ----------
    technology:
        MOSFET models, sizes and V_dd (the PMOS and NMOS use ``wp_m`` and ``wn_m``).
    r_on_ohm:
        MTJ parallel-state resistance R_on, Ω. Default 1500 Ω (seed 001 Table 3).
    r_off_ohm:
        MTJ antiparallel-state resistance R_off, Ω. Default 2500 Ω (seed 001 Table 3).
    """

    technology: MosfetTechnology
    r_on_ohm: float = 1500.0
    r_off_ohm: float = 2500.0

    def __post_init__(self) -> None:
        for name in ("r_on_ohm", "r_off_ohm"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or not 1.0 <= v <= MAX_MTJ_RESISTANCE_OHM
            ):
                raise ParameterError(f"{name} must be between 1 and 1e9 ohm, got {v!r}")
        if self.r_off_ohm <= self.r_on_ohm:
            raise ParameterError(
                f"r_off_ohm ({self.r_off_ohm}) must exceed r_on_ohm ({self.r_on_ohm})"
            )

    def resistance(self, state: MtjState) -> float:
        """Resistance of the MTJ in ``state``, Ω."""
        if state not in ("P", "AP"):
            raise ParameterError(f"MTJ state must be 'P' or 'AP', got {state!r}")
        return self.r_on_ohm if state == "P" else self.r_off_ohm

    def weight_resistance(self, weight: int) -> float:
        """Resistance storing ``weight`` (+1 → R_on, −1 → R_off), Ω."""
        return self.resistance(mtj_state(weight))

    @property
    def g_ref_S(self) -> float:
        """Reference conductance (G_on + G_off)/2, S."""
        return 0.5 * (1.0 / self.r_on_ohm + 1.0 / self.r_off_ohm)

    def ideal_unit_A(self, v_rd_V: float) -> float:
        """One synapse's signed current (G_on − G_off)/2·V_rd without transistors, A."""
        return 0.5 * (1.0 / self.r_on_ohm - 1.0 / self.r_off_ohm) * v_rd_V

    def ideal_current(self, u_V: float, weight: int) -> float:
        """Cell current G·u without transistors, A."""
        return u_V / self.weight_resistance(weight)

    def ideal_signed_current(self, u_V: float, weight: int) -> float:
        """Cell current minus the reference, (G − G_ref)·u = w·(G_on − G_off)/2·u, A."""
        return (1.0 / self.weight_resistance(weight) - self.g_ref_S) * u_V


def _access_pair(design: Synapse2T1RDesign, f: str) -> tuple[Mosfet, Mosfet]:
    t = design.technology
    el = t.element
    prefix = "X" if el == "X" else "M"
    return (
        Mosfet(f"{prefix}p", f, "ep", "u", "u", t.pmos_model, t.wp_m, t.l_m, el),
        Mosfet(f"{prefix}n", f, "en", "ub", "ub", t.nmos_model, t.wn_m, t.l_m, el),
    )


def synapse_subcircuit(design: Synapse2T1RDesign) -> Subcircuit:
    """The read cell: access pair + the MTJ as a resistor of parameter ``r`` (Ω).

    Ports: see :data:`PORTS`. Default ``r`` = R_on (+1).
    """
    elements = (*_access_pair(design, "f"), Resistor("Rmtj", "f", "out", Param("r")))
    return Subcircuit(
        name=SUBCKT_NAME, ports=PORTS, elements=elements, params={"r": design.r_on_ohm}
    )


def access_subcircuit(design: Synapse2T1RDesign) -> Subcircuit:
    """The access pair alone (ports :data:`ACCESS_PORTS`), for decks that place a
    behavioural MTJ instance between ``f`` and the row output themselves."""
    return Subcircuit(
        name=ACCESS_SUBCKT_NAME, ports=ACCESS_PORTS, elements=_access_pair(design, "f")
    )


@dataclass(frozen=True, slots=True)
class ReadCase:
    """One single-cell read case: input activation × stored weight."""

    activation: int
    weight: int

    def __post_init__(self) -> None:
        if self.activation not in (-1, 1):
            raise ParameterError(f"activation must be -1 or +1, got {self.activation!r}")
        mtj_state(self.weight)


def all_read_cases() -> tuple[ReadCase, ...]:
    """The 4 cases input ∈ {−1, +1} × weight ∈ {−1, +1}."""
    return tuple(ReadCase(a, w) for a in (-1, 1) for w in (-1, 1))


def output_source_name(index: int) -> str:
    """Name of the 0 V source that measures case ``index``'s output current."""
    return f"Vout{index}"


def read_testbench(
    design: Synapse2T1RDesign,
    cases: Sequence[ReadCase],
    *,
    v_rd_V: float = 0.1,
) -> Circuit:
    """A DC testbench holding one cell per case, read as in the table of the module docstring.

    The output of case ``k`` is grounded through ``Voutk``; its branch current is the cell
    current (positive out of the cell).
    """
    if (
        isinstance(v_rd_V, bool)
        or not isinstance(v_rd_V, int | float)
        or not 0 < v_rd_V <= design.technology.vdd_V
    ):
        raise ParameterError(
            f"read voltage must be > 0 and <= V_dd = {design.technology.vdd_V} V, got {v_rd_V!r}"
        )
    if not cases:
        raise ParameterError("at least one read case is needed")
    vdd = design.technology.vdd_V
    elements: list[Element] = [VoltageSource("Vvss", "vss", GROUND, Dc(-vdd))]
    saves: list[Save] = []
    for k, case in enumerate(cases):
        u = case.activation * v_rd_V
        elements += [
            VoltageSource(f"Vuc{k}", f"uc{k}", GROUND, Dc(u)),
            VoltageSource(f"Vubc{k}", f"ubc{k}", GROUND, Dc(-u)),
            VoltageSource(output_source_name(k), f"outc{k}", GROUND, Dc(0.0)),
            SubcktInstance(
                f"Xsyn{k}",
                (f"uc{k}", f"ubc{k}", "vss", "vss", f"outc{k}"),  # ep = en = -V_dd
                SUBCKT_NAME,
                {"r": design.weight_resistance(case.weight)},
            ),
        ]
        saves.append(Save("i", (output_source_name(k).lower(),)))
    return Circuit(
        title="spinspice 2T1R read testbench",
        elements=tuple(elements),
        subcircuits=(synapse_subcircuit(design),),
        libraries=(design.technology.library_ref(),),
        analyses=(OperatingPoint(),),
        saves=tuple(saves),
    )


def read_cases_job(design: Synapse2T1RDesign, *, v_rd_V: float = 0.1) -> Job:
    """The four read cases of one cell (:func:`read_testbench`) as a simulation job."""
    tag = technology_tag(design.technology)
    return make_job(
        read_testbench(design, all_read_cases(), v_rd_V=v_rd_V),
        key=f"2t1r/cell-read/1x1/{tag}",
        meta={"family": "2t1r", "operation": "cell-read", "rows": 1, "cols": 1,
              "corner": tag, "v_rd_V": v_rd_V},
    )
