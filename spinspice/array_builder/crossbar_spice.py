"""ngspice circuits of the seed 002 crossbars, built from :class:`CrossbarNetwork`.

* :func:`network_circuit` — the ``.op`` deck of one phase, element for element the
  network the nodal solver assembles (MTJs as resistors, or as the behavioural MTJ
  subcircuit pinned to its state for the bias-dependent comparison);
* :func:`update_transient_circuit` — a transient of a whole 2- or 4-phase update with
  the stochastic behavioural MTJ (``mtj_stt_behavioural.j2``, per-instance thresholds
  drawn with a recorded seed), ``replicas`` independent copies of the crossbar in one
  deck so that one run gives switching statistics.

In the transient a transistor is its on-resistance in series with an ideal switch: a
level-1 NMOS (``swn``: VTO = 0, KP = 1 A/V², no body effect, no capacitances) whose gate
swings between ±:data:`GATE_V` — below 0.3 Ω when on, cut off when off. The linear
description of :mod:`~spinspice.array_builder.crossbar` is therefore the DC equivalent of
every interval of the transient, with the off-resistance replaced by an open switch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from spinspice.array_builder.crossbar import (
    K_ACC,
    K_CT,
    K_RS,
    BoolArray,
    CrossbarDesign,
    CrossbarNetwork,
    FloatArray,
    Phase,
    build_network,
)
from spinspice.errors import ParameterError
from spinspice.netlists import mtj_model
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    Element,
    ModelCard,
    Mosfet,
    OperatingPoint,
    Options,
    Pwl,
    Resistor,
    Save,
    Transient,
    VoltageSource,
)
from spinspice.spintronic_cells.fit import STATE_MIDPOINT

#: Gate swing of the ideal switches in the transient, V.
GATE_V = 5.0
#: Ideal-switch model card (level-1 NMOS).
SWITCH_MODEL = ModelCard(
    "swn", "nmos", {"level": 1.0, "vto": 0.0, "kp": 1.0, "gamma": 0.0, "lambda": 0.0}
)
#: Edge time of every source in the transient, s.
EDGE_S = 10e-12
#: Most replicas of the crossbar in one update transient; our choice (a bound for input
#: validation).
MAX_REPLICAS: Final = 500
#: Most behavioural MTJs (rows·cols·replicas) in one update transient; our choice (bounds the
#: run time and memory of one deck).
MAX_TRANSIENT_MTJS: Final = 6000


def network_circuit(
    net: CrossbarNetwork,
    *,
    mtj: str = "linear",
    prefix: str = "",
    tight: bool = True,
) -> Circuit:
    """The ``.op`` deck of ``net``, element for element.

    Parameters
    ----------
    mtj:
        ``"linear"``: each MTJ is the resistor of the description. ``"behavioural"``: each
        MTJ is the behavioural subcircuit with its state pinned (bias-dependent TMR, no
        switching at the operating point), for comparison with the Newton solve.
    prefix:
        Prefix of every node and element name (lets several crossbars share a deck).
    tight:
        Tighten ngspice's convergence tolerances (reltol 1e-9, vntol 1e-12 V,
        abstol 1e-15 A) so that the nonlinear comparison is limited by arithmetic, not
        by the Newton stopping rule.
    """
    if mtj not in ("linear", "behavioural"):
        raise ParameterError(f"mtj must be 'linear' or 'behavioural', got {mtj!r}")
    names = net.node_names(prefix)
    elements: list[Element] = []
    mtj_set = set(net.mtj_res.ravel().tolist()) if mtj == "behavioural" else set()
    m, n = net.design.shape
    for r in range(net.res_a.size):
        a, b = names[net.res_a[r]], names[net.res_b[r]]
        if r in mtj_set:
            i, j = int(net.res_i[r]), int(net.res_j[r])
            elements.append(
                mtj_model.instance(
                    "behavioural",
                    f"mtj{prefix}{i}_{j}",
                    b,
                    a,
                    l_ap2p=50.0,
                    l_p2ap=50.0,
                    state="AP" if net.states_ap[i - 1, j - 1] else "P",
                )
            )
        else:
            elements.append(Resistor(net.resistor_name(r, prefix), a, b, float(net.res_ohm[r])))
    for s in range(net.src_node.size):
        elements.append(
            VoltageSource(
                net.source_name(s, prefix), names[net.src_node[s]], GROUND, Dc(float(net.src_V[s]))
            )
        )
    options = (
        Options(numeric={"reltol": 1e-9, "vntol": 1e-12, "abstol": 1e-15}) if tight else Options()
    )
    return Circuit(
        title=f"spinspice {net.design.architecture} crossbar {m}x{n} {net.phase.name}",
        elements=tuple(elements),
        template_subcircuits=(mtj_model.behavioural_subcircuit(net.design.fit),) if mtj_set else (),
        analyses=(OperatingPoint(),),
        options=options,
    )


# --------------------------------------------------------------------------- transient


@dataclass(frozen=True, slots=True)
class TransientPlan:
    """What :func:`update_transient_circuit` built, to read its results back.

    Attributes
    ----------
    circuit:
        The deck.
    phase_start_s:
        Start time of each write phase, s.
    stop_s:
        End of the simulation (after a settle time with every source at 0 V), s.
    draws:
        Per-instance thresholds, (replicas·M·N,) in replica-major, row-major order.
    state_vectors:
        Saved state-node vector of each MTJ, shape (replicas, M, N).
    """

    circuit: Circuit
    phase_start_s: tuple[float, ...]
    stop_s: float
    draws: mtj_model.MTJDraws
    state_vectors: tuple[tuple[tuple[str, ...], ...], ...]


def _pwl(levels: Sequence[tuple[float, float, float]], stop_s: float) -> Pwl | Dc:
    """A waveform at 0 V except ``level`` during each (start, end, level); edges EDGE_S."""
    pts: list[tuple[float, float]] = [(0.0, 0.0)]
    for start, end, level in levels:
        if level == 0 or end <= start:
            continue
        pts += [(start, 0.0), (start + EDGE_S, level), (end, level), (end + EDGE_S, 0.0)]
    if len(pts) == 1:
        return Dc(0.0)
    pts.append((stop_s, 0.0))
    clean: list[tuple[float, float]] = []
    for t, v in pts:
        if clean and t <= clean[-1][0]:
            if t == clean[-1][0]:
                clean[-1] = (t, v)
                continue
            raise ParameterError("overlapping transient segments")
        clean.append((t, v))
    return Pwl(tuple(clean))


def update_transient_circuit(
    design: CrossbarDesign,
    phases: Sequence[Phase],
    states_ap: BoolArray,
    *,
    replicas: int = 1,
    seed: int = 0,
    gap_s: float = 50e-12,
    settle_s: float = 300e-12,
    max_step_s: float = 10e-12,
) -> TransientPlan:
    """A transient of the write phases on ``replicas`` copies of the crossbar.

    Each phase starts ``gap_s`` after the previous one ends; within a phase the row
    drivers and row gates e_i hold for T_wr and column gate c_j for t_wr,j (eq. 10).
    Every copy has the same inputs and states but its own random thresholds (seed
    ``seed``), so the fraction of copies in which a cell flipped estimates its switching
    probability.
    """
    if (
        isinstance(replicas, bool)
        or not isinstance(replicas, int)
        or not 1 <= replicas <= MAX_REPLICAS
    ):
        raise ParameterError(f"replicas must be an integer 1..500, got {replicas!r}")
    m, n = design.shape
    if m * n * replicas > MAX_TRANSIENT_MTJS:
        raise ParameterError("a transient holds at most 6000 MTJs (rows·cols·replicas)")
    base = build_network(design, phases[0], states_ap)
    fit = design.fit
    draws = mtj_model.draw(fit, replicas * m * n, seed)
    starts: list[float] = []
    t = gap_s
    for ph in phases:
        starts.append(t)
        t += ph.duration_s + gap_s
    stop = t + settle_s
    # waveforms: row drivers, row gates, column gates
    row_v: list[list[tuple[float, float, float]]] = [[] for _ in range(m)]
    row_g: list[list[tuple[float, float, float]]] = [[] for _ in range(m)]
    col_g: list[list[tuple[float, float, float]]] = [[] for _ in range(n)]
    for ph, t0 in zip(phases, starts, strict=True):
        for i in range(m):
            row_v[i].append((t0, t0 + ph.duration_s, float(ph.row_V[i])))
            if ph.row_on[i]:
                row_g[i].append((t0, t0 + ph.duration_s, 2 * GATE_V))
        for j in range(n):
            if ph.col_on[j]:
                col_g[j].append((t0, t0 + float(ph.col_width_s[j]), 2 * GATE_V))
    elements: list[Element] = [VoltageSource("Vbb", "bb", GROUND, Dc(-2 * GATE_V))]
    for i in range(m):
        elements.append(VoltageSource(f"Veg{i + 1}", f"eg{i + 1}", GROUND, _gate(row_g[i], stop)))
    for j in range(n):
        elements.append(VoltageSource(f"Vcg{j + 1}", f"cg{j + 1}", GROUND, _gate(col_g[j], stop)))
    saves: list[Save] = []
    state_vectors: list[tuple[tuple[str, ...], ...]] = []
    switched = {K_RS, K_ACC, K_CT} if design.architecture == "1r" else {K_ACC}
    for k in range(replicas):
        pre = f"k{k}_"
        names = base.node_names(pre)
        mtj_index = {int(r): (i, j) for (i, j), r in np.ndenumerate(base.mtj_res)}
        for r in range(base.res_a.size):
            a, b = names[base.res_a[r]], names[base.res_b[r]]
            kind = int(base.res_kind[r])
            if r in mtj_index:
                i, j = mtj_index[r]
                q = k * m * n + i * n + j
                elements.append(
                    mtj_model.instance(
                        "behavioural",
                        f"{pre}{i + 1}_{j + 1}",
                        b,
                        a,
                        l_ap2p=float(draws.l_ap2p[q]),
                        l_p2ap=float(draws.l_p2ap[q]),
                        state="AP" if states_ap[i, j] else "P",
                    )
                )
                continue
            if kind in switched:
                ri, rj = int(base.res_i[r]), int(base.res_j[r])
                gate = f"eg{ri}" if kind == K_RS else f"cg{rj}"
                r_on = design.r_select_on_ohm if kind != K_ACC else design.r_access_on_ohm
                mid = f"{pre}sw{r}"
                elements.append(Resistor(base.resistor_name(r, pre), a, mid, r_on))
                elements.append(Mosfet(f"Msw{pre}{r}", mid, gate, b, "bb", "swn", 1e-6, 1e-6))
                continue
            elements.append(Resistor(base.resistor_name(r, pre), a, b, float(base.res_ohm[r])))
        for s in range(base.src_node.size):
            node = names[base.src_node[s]]
            if int(base.src_kind[s]) == 0:
                i = base.src_index(s) - 1
                wf: Pwl | Dc = _pwl(row_v[i], stop)
            else:
                wf = Dc(0.0)
            elements.append(VoltageSource(base.source_name(s, pre), node, GROUND, wf))
        vecs = []
        for i in range(m):
            row = []
            for j in range(n):
                sv = Save("v", (f"x{pre}{i + 1}_{j + 1}", "s"))
                saves.append(sv)
                row.append(sv.vector)
            vecs.append(tuple(row))
        state_vectors.append(tuple(vecs))
    circuit = Circuit(
        title=f"spinspice {design.architecture} crossbar {m}x{n} update x{replicas}",
        elements=tuple(elements),
        template_subcircuits=(mtj_model.behavioural_subcircuit(fit),),
        models=(SWITCH_MODEL,),
        analyses=(Transient(max_step_s / 2, stop, max_step_s=max_step_s),),
        saves=tuple(saves),
    )
    return TransientPlan(circuit, tuple(starts), stop, draws, tuple(state_vectors))


def _gate(levels: list[tuple[float, float, float]], stop: float) -> Pwl | Dc:
    """Gate waveform: −GATE_V when off, +GATE_V during each on-interval."""
    w = _pwl(levels, stop)
    if isinstance(w, Dc):
        return Dc(-GATE_V)
    pts = tuple((t, v - GATE_V) for t, v in w.points)
    return Pwl(pts)


def flipped(final_state: FloatArray, states_ap: BoolArray) -> BoolArray:
    """Cells whose final state node differs from their start state (threshold ½)."""
    end_ap = np.asarray(final_state) > STATE_MIDPOINT
    out: BoolArray = end_ap != np.asarray(states_ap, bool)
    return out
