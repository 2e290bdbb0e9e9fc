"""Testbenches of single domain-wall devices (seed 004): the DW synapse and the racetrack ADC.

Current drive
-------------
Programming and input currents come from a behavioural voltage-controlled current source
(``templates/dw_vccs.j2``) whose control node carries a PWL voltage in **microamperes**
(1 V on the control node = 1 µA, ``gm`` = 1e-6 S), so pulse edges are PWL breakpoints of
the simulator. Each pulse has linear edges of ``edge_s``; a wall above threshold during an
edge moves as if the flat top were longer by ``edge_s·(1 − I_th/I)`` per pulse (two edges of
``edge_s/2·(1 − I_th/I)`` each). :func:`effective_width_s` gives that width, which the
device law is compared with.

Device models
-------------
``kind="behavioural"`` uses the B-source templates, ``kind="osdi"`` the Verilog-A twins;
the compiled ``.osdi`` files travel with the job (``make_job(osdi=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from spinspice.errors import ParameterError, require_positive
from spinspice.netlists import dw_model
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    ModelCard,
    Options,
    Pwl,
    Save,
    SubcktInstance,
    TemplateSubcircuit,
    Transient,
    VoltageSource,
)
from spinspice.netlists.dw_model import DWModelKind
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.osdi import compile_va
from spinspice.spintronic_cells.domain_wall import DWParams, RacetrackParams

#: Control-voltage scale of the current sources: amperes per volt.
AMPS_PER_VOLT = 1e-6
#: Largest drive current of a DW testbench (pulse, ADC input, neuron cycle), A (1 mA); our
#: choice: a sanity bound ~100× above the µA currents of DW devices (I_th ≈ 7.5 µA,
#: v ≈ 10 m/s at 15 µA: docs/engineering_facts.md §7).
MAX_DRIVE_CURRENT_A: Final = 1e-3
#: Most programming pulses of one pulse-train deck; our choice: bounds the deck's PWL length.
MAX_PULSES: Final = 200
#: Most input currents (one racetrack converter each) in one ADC deck; our choice: bounds the
#: deck's size.
MAX_ADC_INPUTS: Final = 512
VCCS_SUBCKT = "dw_isrc"


def vccs_subcircuit(name: str = VCCS_SUBCKT, gm_S: float = AMPS_PER_VOLT) -> TemplateSubcircuit:
    """The controlled current source used as a current drive / behavioural mirror."""
    return TemplateSubcircuit("dw_vccs.j2", name, {"gm": gm_S})


def current_drive(name: str, into: str, ctl: str, *, out_of: str = GROUND) -> SubcktInstance:
    """A current source pushing ``V(ctl)·1 µA/V`` into node ``into`` (taken from ``out_of``)."""
    return SubcktInstance(f"X{name}", (out_of, into, ctl, GROUND), VCCS_SUBCKT)


def effective_width_s(width_s: float, edge_s: float, i_A: float, i_th_A: float) -> float:
    """Flat-top width plus the edges' contribution above threshold (module docstring)."""
    if abs(i_A) <= i_th_A:
        return 0.0
    return width_s + edge_s * (1.0 - i_th_A / abs(i_A))


def pulse_points(
    starts_s: Sequence[float], width_s: float, edge_s: float, level: float
) -> tuple[tuple[float, float], ...]:
    """PWL points of trapezoid pulses (flat top ``width_s``, edges ``edge_s``) at ``starts_s``."""
    pts: list[tuple[float, float]] = [(0.0, 0.0)]
    for t0 in starts_s:
        if t0 <= pts[-1][0]:
            raise ParameterError("pulses overlap; increase the gap between them")
        pts += [(t0, 0.0), (t0 + edge_s, level), (t0 + edge_s + width_s, level)]
        pts.append((t0 + 2 * edge_s + width_s, 0.0))
    return tuple(pts)


@dataclass(frozen=True, slots=True)
class DWModels:
    """Which implementation of the DW devices a deck uses, and the compiled files.

    Build with :func:`dw_models` (compiles the Verilog-A when ``kind="osdi"``).
    """

    kind: DWModelKind
    osdi: tuple[Path, ...] = ()


def dw_models(kind: DWModelKind, cache_dir: Path | None = None) -> DWModels:
    """Device models of ``kind``; for ``osdi`` compile both .va files into ``cache_dir``."""
    if kind == "behavioural":
        return DWModels("behavioural")
    if kind != "osdi":
        raise ParameterError(f"DW model kind must be 'behavioural' or 'osdi', got {kind!r}")
    out = cache_dir  # None: the private per-user cache (osdi.osdi_cache_dir)
    return DWModels(
        "osdi",
        (
            compile_va(dw_model.synapse_va_source(), out),
            compile_va(dw_model.racetrack_va_source(), out),
        ),
    )


def _synapse_defs(
    p: DWParams, models: DWModels
) -> tuple[tuple[TemplateSubcircuit, ...], tuple[ModelCard, ...]]:
    if models.kind == "behavioural":
        return (dw_model.synapse_subcircuit(p),), ()
    return (), (dw_model.synapse_model_card(p),)


# ------------------------------------------------------------------ synapse pulse train


@dataclass(frozen=True, slots=True, kw_only=True)
class PulseTrain:
    """Identical programming pulses into one DW synapse.

    Parameters
    ----------
    i_A:
        Pulse current (positive p0 → p1: towards X = 1), A.
    width_s:
        Flat-top width, s.
    n_pulses:
        Number of pulses (1..200).
    gap_s:
        Time between the end of one pulse and the start of the next, s.
    edge_s:
        Rise and fall time, s.
    x0:
        Start position.
    v_read_V:
        Read voltage across the read MTJ (held during the whole run), V.
    """

    i_A: float
    width_s: float
    n_pulses: int
    gap_s: float = 1e-9
    edge_s: float = 2e-11
    x0: float = 1.0
    v_read_V: float = 0.1

    def __post_init__(self) -> None:
        if not isinstance(self.i_A, int | float) or not np.isfinite(self.i_A) or self.i_A == 0:
            raise ParameterError(
                f"pulse current must be a non-zero finite number, got {self.i_A!r}"
            )
        if abs(self.i_A) > MAX_DRIVE_CURRENT_A:
            raise ParameterError(f"pulse current {self.i_A} A is above the 1 mA limit")
        require_positive("width_s", self.width_s)
        require_positive("gap_s", self.gap_s)
        require_positive("edge_s", self.edge_s)
        require_positive("v_read_V", self.v_read_V)
        if isinstance(self.n_pulses, bool) or not isinstance(self.n_pulses, int):
            raise ParameterError("n_pulses must be an integer")
        if not 1 <= self.n_pulses <= MAX_PULSES:
            raise ParameterError(f"n_pulses must be in 1..200, got {self.n_pulses}")
        if not 0.0 <= self.x0 <= 1.0:
            raise ParameterError(f"x0 must be in [0, 1], got {self.x0}")

    @property
    def period_s(self) -> float:
        """Pulse period, s."""
        return self.width_s + 2 * self.edge_s + self.gap_s

    def starts_s(self) -> list[float]:
        """Start time of each pulse, s (the first after one gap)."""
        return [self.gap_s + k * self.period_s for k in range(self.n_pulses)]

    def sample_times_s(self) -> np.ndarray:
        """Times at which the position is read: before the first pulse, then after each."""
        return np.array(
            [self.gap_s / 2] + [s + self.period_s - self.gap_s / 2 for s in self.starts_s()]
        )

    @property
    def stop_s(self) -> float:
        """End of the transient, s."""
        return self.gap_s + self.n_pulses * self.period_s


SYNAPSE_NAME = "syn"


def synapse_pulse_circuit(p: DWParams, train: PulseTrain, models: DWModels) -> Circuit:
    """One synapse, its strip driven by ``train``, its read MTJ at ``v_read_V``."""
    subs, cards = _synapse_defs(p, models)
    level = train.i_A / AMPS_PER_VOLT
    elements = (
        VoltageSource(
            "Vctl",
            "ctl",
            GROUND,
            Pwl(pulse_points(train.starts_s(), train.width_s, train.edge_s, level)),
        ),
        current_drive("drv", "p0", "ctl"),
        VoltageSource("Vrd", "r0", GROUND, Dc(train.v_read_V)),
        dw_model.synapse_instance(
            models.kind, SYNAPSE_NAME, "p0", GROUND, "r0", GROUND, x0=train.x0
        ),
    )
    step = min(train.width_s, train.gap_s) / 20
    return Circuit(
        title="spinspice DW synapse pulse train",
        elements=elements,
        template_subcircuits=(vccs_subcircuit(), *subs),
        models=cards,
        analyses=(Transient(step_s=step, stop_s=train.stop_s, max_step_s=step),),
        saves=(Save("i", ("vrd",)),),
        options=Options(method="gear"),
    )


def position_from_read(p: DWParams, i_read_A: np.ndarray, v_read_V: float) -> np.ndarray:
    """Wall position from the read current: X = (G_P − G)/(G_P − G_AP), G = I/V.

    Works for both model kinds (an OSDI device's internal node is not a savable name).
    ``i_read_A`` is the current delivered by the read source (positive into the MTJ).
    """
    g = np.asarray(i_read_A, dtype=float) / v_read_V
    out: np.ndarray = (p.g_p_S - g) / (p.g_p_S - p.g_ap_S)
    return out


def synapse_pulse_job(p: DWParams, train: PulseTrain, models: DWModels) -> Job:
    """:func:`synapse_pulse_circuit` as a job (saves the read current and the state)."""
    c = synapse_pulse_circuit(p, train, models)
    return make_job(
        c,
        key=f"dw/synapse/{models.kind}/{train.n_pulses}p",
        osdi=models.osdi[:1],
        meta={"family": "dw", "operation": "synapse", "kind": models.kind},
    )


# ------------------------------------------------------------------ racetrack ADC


@dataclass(frozen=True, slots=True, kw_only=True)
class AdcBench:
    """Input currents converted by independent racetrack converters in one deck.

    Conversion: the input current is applied for ``t_conv_s`` (flat top, edges ``edge_s``
    counted into it by :func:`effective_width_s`: the flat top is shortened so that the
    effective width equals ``t_conv_s`` at the top code); then the heads are read at
    ``v_read_V``.
    """

    currents_A: tuple[float, ...]
    edge_s: float = 2e-11
    v_read_V: float = 0.1
    settle_s: float = 1e-9
    offset: ThresholdOffset | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.currents_A) <= MAX_ADC_INPUTS:
            raise ParameterError("give 1..512 input currents")
        for i in self.currents_A:
            if (
                not isinstance(i, int | float)
                or not np.isfinite(i)
                or not 0 <= i <= MAX_DRIVE_CURRENT_A
            ):
                raise ParameterError(f"ADC input currents must be in 0..1 mA, got {i!r}")
        require_positive("edge_s", self.edge_s)
        require_positive("v_read_V", self.v_read_V)
        require_positive("settle_s", self.settle_s)


def adc_head_source(k: int, bit: int) -> str:
    """Name of the 0 V source reading head ``bit`` of converter ``k``."""
    return f"Vh{k}b{bit}"


def adc_circuit(r: RacetrackParams, bench: AdcBench, models: DWModels) -> Circuit:
    """``len(currents)`` converters, each ``r.bits`` nanowires in series on its own input.

    The input pulse starts at ``settle_s``; the read voltage is applied to the heads from the
    start (the heads do not disturb the walls). The transient ends ``settle_s`` after the
    pulse; the bits are the head conductances at the end.
    """
    if models.kind == "behavioural":
        subs: tuple[TemplateSubcircuit, ...] = (dw_model.racetrack_subcircuit(r),)
        cards: tuple[ModelCard, ...] = ()
    else:
        subs, cards = (), (dw_model.racetrack_model_card(r),)
    if bench.offset is not None:
        s_subs, s_cards = _synapse_defs(r.strip, models)
        subs, cards = (*subs, *s_subs, mirror_subcircuit()), (*cards, *s_cards)
    i_th = r.strip.i_th_A
    elements: list[object] = [VoltageSource("Vrd", "hrd", GROUND, Dc(bench.v_read_V))]
    t0 = bench.settle_s
    i_off = bench.offset.current_A(r.strip) if bench.offset is not None else 0.0
    for k, i_in in enumerate(bench.currents_A):
        # flat top so that the effective width is t_conv (exact where the current is i_in)
        tot = i_in + i_off
        flat = r.t_conv_s - bench.edge_s * (1.0 - i_th / tot) if tot > i_th else r.t_conv_s
        level = i_in / AMPS_PER_VOLT
        elements += [
            VoltageSource(
                f"Vc{k}", f"c{k}", GROUND, Pwl(pulse_points([t0], flat, bench.edge_s, level))
            ),
            current_drive(f"in{k}", f"w{k}_0", f"c{k}"),
        ]
        if bench.offset is not None:
            elements += _offset_elements(
                str(k), f"w{k}_0", bench.offset, (t0, flat), bench.edge_s, models
            )
        for b in range(r.bits):
            nxt = GROUND if b == r.bits - 1 else f"w{k}_{b + 1}"
            elements += [
                dw_model.racetrack_instance(
                    models.kind, f"rt{k}b{b}", f"w{k}_{b}", nxt, "hrd", f"h{k}_{b}", bit=b
                ),
                VoltageSource(adc_head_source(k, b), f"h{k}_{b}", GROUND, Dc(0.0)),
            ]
    stop = t0 + r.t_conv_s + 2 * bench.edge_s + bench.settle_s
    step = r.t_conv_s / 50
    return Circuit(
        title="spinspice racetrack ADC",
        elements=tuple(elements),  # type: ignore[arg-type]
        template_subcircuits=(vccs_subcircuit(), *subs),
        models=cards,
        analyses=(Transient(step_s=step, stop_s=stop, max_step_s=step),),
        saves=tuple(
            Save("i", (adc_head_source(k, b).lower(),))
            for k in range(len(bench.currents_A))
            for b in range(r.bits)
        ),
        options=Options(method="gear"),
    )


def adc_job(r: RacetrackParams, bench: AdcBench, models: DWModels) -> Job:
    """:func:`adc_circuit` as a job."""
    return make_job(
        adc_circuit(r, bench, models),
        key=f"dw/adc/{models.kind}/{r.bits}b/{len(bench.currents_A)}",
        osdi=models.osdi if bench.offset is not None else models.osdi[1:2],
        meta={"family": "dw", "operation": "adc", "kind": models.kind, "bits": r.bits},
    )


# ------------------------------------------------------------------ ADC with threshold offset


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdOffset:
    """A threshold-offset device: a DW synapse at position ``x`` whose read current at the
    bias ``v_bias_V`` is mirrored (ratio 1) into a neuron's input (seed 004 §III.B):
    ``I_offset = v_bias_V · G(x)``. The bias is on only while the neuron converts."""

    x: float
    v_bias_V: float = 0.25

    def __post_init__(self) -> None:
        if not isinstance(self.x, int | float) or not 0.0 <= self.x <= 1.0:
            raise ParameterError(f"offset device position must be in [0, 1], got {self.x!r}")
        require_positive("v_bias_V", self.v_bias_V)
        if self.v_bias_V > 1.0:
            raise ParameterError("offset bias must be <= 1 V")

    def current_A(self, p: DWParams) -> float:
        """I_offset = V_bias·G(x), A."""
        return self.v_bias_V * (p.g_p_S * (1 - self.x) + p.g_ap_S * self.x)

    @classmethod
    def for_current(cls, p: DWParams, i_offset_A: float, v_bias_V: float = 0.25) -> ThresholdOffset:
        """The device position that gives ``i_offset_A`` at ``v_bias_V``."""
        g = i_offset_A / v_bias_V
        if not p.g_ap_S <= g <= p.g_p_S:
            raise ParameterError(
                f"offset {i_offset_A:.3g} A needs G = {g:.3g} S, outside "
                f"[{p.g_ap_S:.3g}, {p.g_p_S:.3g}] S at {v_bias_V} V bias; change the bias"
            )
        return cls(x=(p.g_p_S - g) / (p.g_p_S - p.g_ap_S), v_bias_V=v_bias_V)


MIRROR_SUBCKT = "dw_mirror"


def mirror_subcircuit(k: float = 1.0) -> TemplateSubcircuit:
    """Behavioural current mirror (ratio ``k``)."""
    return TemplateSubcircuit("dw_mirror.j2", MIRROR_SUBCKT, {"k": k})


def _offset_elements(
    tag: str,
    node: str,
    offset: ThresholdOffset,
    window: tuple[float, float],
    edge_s: float,
    models: DWModels,
) -> list[object]:
    """Offset device ``tag`` pushing V_bias·G(x) into ``node`` during ``window``."""
    t0, flat = window
    return [
        VoltageSource(
            f"Vob{tag}", f"ob{tag}", GROUND, Pwl(pulse_points([t0], flat, edge_s, offset.v_bias_V))
        ),
        SubcktInstance(f"Xom{tag}", (f"ob{tag}", f"oi{tag}", GROUND, node), MIRROR_SUBCKT),
        dw_model.synapse_instance(
            models.kind, f"od{tag}", GROUND, GROUND, f"oi{tag}", GROUND, x0=offset.x
        ),
    ]
