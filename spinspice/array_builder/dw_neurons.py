"""Neuron testbenches of seed 004: the recurrent / binary-threshold DW neuron and the
time-domain majority vote (Fig. 4, Fig. 5).

Recurrent DW neuron (Fig. 4, bottom right)
------------------------------------------
A DW strip (the synapse device of :mod:`spinspice.netlists.dw_model`, its read MTJ over
the whole free layer) receives in cycle k the residue current ``I_k`` for ``t_cycle_s``,
plus — during the same window — the current of a **threshold-offset device**
(:class:`~spinspice.array_builder.dw_devices.ThresholdOffset`) that cancels the wall's
depinning threshold, so the displacement is linear in the residue. The wall stores the
sum; the output is 1 once the read conductance says the wall has passed ``y_threshold``
(a sense amplifier's decision on the read current, made in the measure). Between cycles
the current is zero and the wall stays put (the model's dead zone is exactly zero there).
A **binary-threshold neuron** is the same device for one cycle, without the offset: a
current comparator with threshold ``I_th + y_thr·L·A/(u·T)``.

Time-domain majority vote (Fig. 5)
----------------------------------
Each candidate current ``I_j`` (a current source with a compliance limit at V_DD)
charges an NMOS gate capacitor through a PMOS switch once EN rises (an NMOS switch with a
V_DD gate cannot pass the inverter's switching point: it cuts off near V_DD − V_th); the
capacitor node drives a CMOS inverter. While every inverter output is high, the switches stay on
(``sw = EN AND out_1 AND … AND out_K``, a balanced tree of delayed AND2 gates, inverted
by a CMOS inverter for the PMOS switch gates); the first
inverter to fall opens all switches, freezing the other capacitors below the switching
point. The winner is the candidate whose inverter output is low. Reset NMOS transistors
discharge the capacitors before EN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from spinspice.array_builder.dw_devices import (
    AMPS_PER_VOLT,
    MAX_DRIVE_CURRENT_A,
    DWModels,
    ThresholdOffset,
    _offset_elements,
    _synapse_defs,
    current_drive,
    mirror_subcircuit,
    pulse_points,
    vccs_subcircuit,
)
from spinspice.errors import ParameterError, require_positive
from spinspice.netlists import dw_model
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    Element,
    Mosfet,
    Options,
    Pwl,
    Save,
    SubcktInstance,
    TemplateSubcircuit,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.technology import MosfetTechnology, technology_tag
from spinspice.spintronic_cells.domain_wall import DWParams

#: Most cycles of one recurrent-neuron deck; our choice: bounds the deck's PWL length.
MAX_CYCLES: Final = 500
#: Fewest candidates of a majority vote: a vote needs two currents to compare (seed 004 Fig. 5).
MIN_VOTE_CANDIDATES: Final = 2
#: Most candidates of one vote; our choice: bounds the deck (each candidate adds a capacitor,
#: a switch, an inverter chain and a leaf of the AND2 tree).
MAX_VOTE_CANDIDATES: Final = 64
#: Smallest candidate current of a vote, A (1 nA); our choice: with ~20 fF charged to about
#: half V_DD (t_j = C·V_M/I_j, docs/engineering_facts.md §7) a 1 nA candidate already needs
#: ~10 µs to reach the switching point.
MIN_VOTE_CURRENT_A: Final = 1e-9
#: Inputs of one gate of the shut-off tree (AND2 gates, seed 004 Fig. 5).
AND_FAN_IN: Final = 2

# ------------------------------------------------------------------ recurrent neuron


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurrentBench:
    """Residue currents of successive cycles into one recurrent DW neuron.

    Parameters
    ----------
    currents_A:
        Residue current of each cycle, A (≥ 0).
    t_cycle_s:
        Time the current flows in each cycle (flat top), s.
    gap_s:
        Idle time between cycles, s.
    edge_s:
        Edge time, s.
    y0:
        Start position of the wall.
    offset:
        Threshold-offset device (None: no offset, a binary-threshold neuron).
    v_read_V:
        Read voltage of the neuron's MTJ, V.
    """

    currents_A: tuple[float, ...]
    t_cycle_s: float = 2e-9
    gap_s: float = 1e-9
    edge_s: float = 2e-11
    y0: float = 0.0
    offset: ThresholdOffset | None = None
    v_read_V: float = 0.1

    def __post_init__(self) -> None:
        if not 1 <= len(self.currents_A) <= MAX_CYCLES:
            raise ParameterError("give 1..500 cycle currents")
        for i in self.currents_A:
            if (
                not isinstance(i, int | float)
                or not math.isfinite(i)
                or not 0 <= i <= MAX_DRIVE_CURRENT_A
            ):
                raise ParameterError(f"cycle currents must be in 0..1 mA, got {i!r}")
        for name in ("t_cycle_s", "gap_s", "edge_s", "v_read_V"):
            require_positive(name, getattr(self, name))
        if not 0.0 <= self.y0 <= 1.0:
            raise ParameterError("y0 must be in [0, 1]")

    @property
    def period_s(self) -> float:
        """Cycle period, s."""
        return self.t_cycle_s + 2 * self.edge_s + self.gap_s

    def starts_s(self) -> list[float]:
        """Start of each cycle's current, s."""
        return [self.gap_s + k * self.period_s for k in range(len(self.currents_A))]

    def sample_times_s(self) -> np.ndarray:
        """End of each cycle (in the idle gap), s."""
        return np.array([s + self.period_s - self.gap_s / 2 for s in self.starts_s()])

    @property
    def stop_s(self) -> float:
        """End of the transient, s."""
        return self.gap_s + len(self.currents_A) * self.period_s


NEURON_NAME = "nrn"


def recurrent_circuit(p: DWParams, bench: RecurrentBench, models: DWModels) -> Circuit:
    """The recurrent-neuron testbench (module docstring)."""
    pts: list[tuple[float, float]] = [(0.0, 0.0)]
    for t0, i in zip(bench.starts_s(), bench.currents_A, strict=True):
        lvl = i / AMPS_PER_VOLT
        pts += [
            (t0, 0.0),
            (t0 + bench.edge_s, lvl),
            (t0 + bench.edge_s + bench.t_cycle_s, lvl),
            (t0 + 2 * bench.edge_s + bench.t_cycle_s, 0.0),
        ]
    elements: list[object] = [
        VoltageSource("Vctl", "ctl", GROUND, Pwl(tuple(pts))),
        current_drive("drv", "nin", "ctl"),
        VoltageSource("Vrd", "hrd", GROUND, Dc(bench.v_read_V)),
        dw_model.synapse_instance(
            models.kind, NEURON_NAME, "nin", GROUND, "hrd", GROUND, x0=bench.y0
        ),
    ]
    subs, cards = _synapse_defs(p, models)
    tsubs: tuple[TemplateSubcircuit, ...] = (vccs_subcircuit(), *subs)
    if bench.offset is not None:
        # one bias pulse per cycle, aligned with the residue pulses
        off_pts: list[tuple[float, float]] = [(0.0, 0.0)]
        for t0 in bench.starts_s():
            off_pts += pulse_points([t0], bench.t_cycle_s, bench.edge_s, bench.offset.v_bias_V)[1:]
        for e in _offset_elements(
            "0", "nin", bench.offset, (bench.gap_s, bench.t_cycle_s), bench.edge_s, models
        ):
            if isinstance(e, VoltageSource):
                elements.append(VoltageSource(e.name, e.n_plus, e.n_minus, Pwl(tuple(off_pts))))
            else:
                elements.append(e)
        tsubs = (*tsubs, mirror_subcircuit())
    step = min(bench.t_cycle_s, bench.gap_s) / 20
    return Circuit(
        title="spinspice recurrent DW neuron",
        elements=tuple(elements),  # type: ignore[arg-type]
        template_subcircuits=tsubs,
        models=cards,
        analyses=(Transient(step_s=step, stop_s=bench.stop_s, max_step_s=step),),
        saves=(Save("i", ("vrd",)),),
        options=Options(method="gear"),
    )


def recurrent_job(p: DWParams, bench: RecurrentBench, models: DWModels) -> Job:
    """:func:`recurrent_circuit` as a job."""
    return make_job(
        recurrent_circuit(p, bench, models),
        key=f"dw/recurrent/{models.kind}/{len(bench.currents_A)}c",
        osdi=models.osdi[:1],
        meta={"family": "dw", "operation": "recurrent", "kind": models.kind},
    )


# ------------------------------------------------------------------ majority vote


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteDesign:
    """The time-domain majority-voting circuit (seed 004 Fig. 5).

    Parameters
    ----------
    technology:
        MOSFET models (switches, reset, capacitors, inverters).
    cap_w_m, cap_l_m:
        NMOS gate-capacitor size, m. Defaults 1 µm × 0.7 µm (≈ 20 fF in inversion with the
        bundled models; our choice, after docs/engineering_facts.md §7: ~20 fF at 1 µA gives ns
        margins).
    gate_delay_s:
        Delay (RC time constant) of each AND2 stage of the shut-off tree, s. Default 10 ps
        (our choice, a loaded 28 nm gate).
    t_enable_s:
        EN rises (and the reset falls) at this time, s.
    inverter_stages:
        Inverters after each capacitor (odd; default 3). The single inverter of Fig. 5 has a
        soft transfer curve: a runner-up within its transition band also falls, which
        limits the resolvable current ratio (see docs/domain_wall.md).
    """

    technology: MosfetTechnology
    cap_w_m: float = 1e-6
    cap_l_m: float = 0.7e-6
    gate_delay_s: float = 1e-11
    t_enable_s: float = 0.5e-9
    inverter_stages: int = 3

    def __post_init__(self) -> None:
        for name in ("cap_w_m", "cap_l_m", "gate_delay_s", "t_enable_s"):
            require_positive(name, getattr(self, name))
        if self.inverter_stages not in (1, 3, 5):
            raise ParameterError("inverter_stages must be 1, 3 or 5 (an odd chain)")


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteTrial:
    """One vote: the candidate currents, A."""

    currents_A: tuple[float, ...]

    def __post_init__(self) -> None:
        if not MIN_VOTE_CANDIDATES <= len(self.currents_A) <= MAX_VOTE_CANDIDATES:
            raise ParameterError("a vote needs 2..64 candidate currents")
        for i in self.currents_A:
            if (
                not isinstance(i, int | float)
                or not math.isfinite(i)
                or not MIN_VOTE_CURRENT_A <= i <= MAX_DRIVE_CURRENT_A
            ):
                raise ParameterError(f"candidate currents must be in 1 nA..1 mA, got {i!r}")

    @property
    def winner(self) -> int:
        """Index of the largest current (0-based)."""
        return int(np.argmax(self.currents_A))


def vote_out_node(t: int, j: int) -> str:
    """Inverter output of candidate ``j`` in trial ``t``."""
    return f"o{t}_{j}"


def vote_cap_node(t: int, j: int) -> str:
    """Capacitor node of candidate ``j`` in trial ``t``."""
    return f"q{t}_{j}"


AND_SUBCKT = "dw_and"
ISRC_SUBCKT = "dw_isrcl"


def _and_tree(tag: str, inputs: list[str], out: str) -> list[Element]:
    """Balanced AND2 tree of ``inputs`` into ``out``."""
    level = list(inputs)
    els: list[Element] = []
    k = 0
    while len(level) > 1:
        nxt = []
        for a in range(0, len(level) - 1, 2):
            y = out if len(level) == AND_FAN_IN else f"{tag}n{k}"
            els.append(SubcktInstance(f"X{tag}a{k}", (level[a], level[a + 1], y), AND_SUBCKT))
            nxt.append(y)
            k += 1
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return els


def vote_circuit(design: VoteDesign, trials: Sequence[VoteTrial], *, stop_s: float) -> Circuit:
    """Independent voting circuits, one per trial, sharing EN and the reset."""
    tech = design.technology
    vdd = tech.vdd_V
    el = tech.element
    ten = design.t_enable_s
    e = 2e-11
    elements: list[Element] = [
        VoltageSource("Vvdd", "vdd", GROUND, Dc(vdd)),
        VoltageSource("Ven", "en", GROUND, Pwl(((0.0, 0.0), (ten, 0.0), (ten + e, vdd)))),
        VoltageSource("Vrst", "rst", GROUND, Pwl(((0.0, vdd), (ten - 2 * e, vdd), (ten - e, 0.0)))),
    ]
    saves: list[Save] = []

    def mos(
        name: str, d: str, g: str, s: str, b: str, pmos: bool, w: float, length: float
    ) -> Mosfet:
        model = tech.pmos_model if pmos else tech.nmos_model
        return Mosfet(f"{el}{name}", d, g, s, b, model, w, length, element=el)

    for t, trial in enumerate(trials):
        outs = []
        for j, i in enumerate(trial.currents_A):
            q, o, src = vote_cap_node(t, j), vote_out_node(t, j), f"s{t}_{j}"
            elements += [
                VoltageSource(f"Vc{t}_{j}", f"c{t}_{j}", GROUND, Dc(i / AMPS_PER_VOLT)),
                SubcktInstance(f"Xi{t}_{j}", (src, f"c{t}_{j}"), ISRC_SUBCKT),
                mos(f"sw{t}_{j}", q, f"swb{t}", src, "vdd", True, tech.wp_m, tech.l_m),
                mos(f"rs{t}_{j}", q, "rst", GROUND, GROUND, False, tech.wn_m, tech.l_m),
                mos(f"cp{t}_{j}", GROUND, q, GROUND, GROUND, False, design.cap_w_m, design.cap_l_m),
            ]
            # the inverter of Fig. 5, sharpened by two more inverters (out = NOT q, 3 stages)
            prev = q
            for st in range(design.inverter_stages):
                nxt = o if st == design.inverter_stages - 1 else f"{o}i{st}"
                elements += [
                    mos(f"ip{t}_{j}_{st}", nxt, prev, "vdd", "vdd", True, tech.wp_m, tech.l_m),
                    mos(f"in{t}_{j}_{st}", nxt, prev, GROUND, GROUND, False, tech.wn_m, tech.l_m),
                ]
                prev = nxt
            outs.append(o)
            saves += [Save("v", (o,)), Save("v", (q,))]
        elements += _and_tree(f"t{t}", ["en", *outs], f"sw{t}")
        elements += [  # the PMOS switches take the inverted enable
            mos(f"sp{t}", f"swb{t}", f"sw{t}", "vdd", "vdd", True, tech.wp_m, tech.l_m),
            mos(f"sn{t}", f"swb{t}", f"sw{t}", GROUND, GROUND, False, tech.wn_m, tech.l_m),
        ]
    c_and = 1e-15
    step = 2e-12
    return Circuit(
        title="spinspice DW majority vote",
        elements=tuple(elements),
        template_subcircuits=(
            TemplateSubcircuit(
                "dw_and2.j2", AND_SUBCKT, {"vdd": vdd, "r": design.gate_delay_s / c_and, "c": c_and}
            ),
            TemplateSubcircuit(
                "dw_isrc_limited.j2", ISRC_SUBCKT, {"gm": AMPS_PER_VOLT, "vmax": vdd, "vw": 0.02}
            ),
        ),
        libraries=(tech.library_ref(),),
        analyses=(Transient(step_s=step, stop_s=stop_s, max_step_s=stop_s / 400),),
        saves=tuple(saves),
        options=Options(method="gear"),
    )


def vote_job(design: VoteDesign, trials: Sequence[VoteTrial], *, stop_s: float) -> Job:
    """:func:`vote_circuit` as a job."""
    k = max(len(t.currents_A) for t in trials)
    return make_job(
        vote_circuit(design, trials, stop_s=stop_s),
        key=f"dw/vote/{k}in/{len(trials)}t/{technology_tag(design.technology)}",
        meta={"family": "dw", "operation": "vote", "inputs": k, "trials": len(trials)},
    )
