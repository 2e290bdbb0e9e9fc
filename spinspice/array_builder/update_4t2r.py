"""Stochastic in-situ update of 4T2R arrays (seed 001 §4.3.1, eq. 18–24, Table 2).

The update value of a cell, ΔW ∈ [−2, 2] (Δz = 1), splits into κ = ⌊|ΔW|⌋ and the signed
fraction ν = sign(ΔW)·(|ΔW| − κ) (seed 001 §2.3). One MTJ of the cell is driven for
1{κ ≠ 0}·T_up through a PMOS and the other for |ν|·T_up through an NMOS, with the current
directions that move the weight by sign(ΔW) (eq. 17):

========  =====================  =====================  =======================
ΔW        e1p / e2p              e1n                    e2n
========  =====================  =====================  =======================
> 0       −V_dd / +V_dd if κ≠0   −V_dd                  +V_dd for |ν|·T_up
< 0       +V_dd / −V_dd if κ≠0   +V_dd for |ν|·T_up     −V_dd
= 0       +V_dd / +V_dd          −V_dd                  −V_dd
========  =====================  =====================  =======================

(eq. 18–20; a PMOS conducts with its gate at −V_dd, an NMOS with +V_dd.) With
u1 = u2 = V_up and ū1 = ū2 = −V_up on the driven column and the row outputs grounded,
ΔW > 0 drives MTJ1 free→fixed (AP→P) through P1 and MTJ2 fixed→free (P→AP) through N2:
−1 = (AP, P) moves towards +1 = (P, AP) (Table 1).

Schemes:

* ``general`` (eq. 18–20): ΔW per cell is an input; columns are updated one after the
  other, one time slot per column with a nonzero ΔW. Deviation from the seed: idle
  columns sit at 0 V instead of u = −V_dd. Our transistors' bodies are tied to their input
  lines (see :func:`~spinspice.array_builder.synapse_4t2r.synapse_subcircuit`), and −V_dd on a PMOS
  body would forward-bias its drain junction by ~1 V; at 0 V an idle cell has 0 V across
  it (output grounded) whatever its gates do, which is the purpose of the seed's choice.
* ``sgd`` (eq. 21–24): all cells in parallel in one slot; the column inputs keep the
  activations, u1 = u2 = x·V_up, ū1 = ū2 = −x·V_up, and the row controls come from the
  back-propagated error y_i (κ_i, ν_i from y_i), so ΔW_ij = sign(y_i)·sign(x_j)·(…) (eq. 24).

MTJs are the fitted stochastic behavioural model (or its Verilog-A twin), each with its
own recorded random draw (:mod:`spinspice.netlists.mtj_model`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from spinspice.array_builder.array_4t2r import (
    ARRAY_NAME,
    Array4T2RDesign,
    sense_name,
)
from spinspice.array_builder.common import check_matches_fit
from spinspice.array_builder.synapse_4t2r import PORTS, Synapse4T2RDesign, parse_weight
from spinspice.errors import ParameterError, require_positive
from spinspice.netlists import mtj_model
from spinspice.netlists.circuit import (
    GROUND,
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
    TemplateSubcircuit,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.technology import technology_tag
from spinspice.spintronic_cells.fit import BehaviouralFit

Scheme = Literal["general", "sgd"]
SUBCKT_MTJ = "syn4t2r_mtj"
#: Per-cell parameters of the stochastic cell: thresholds and start state of both MTJs.
CELL_PARAMS = ("la1", "lp1", "s1", "la2", "lp2", "s2")
#: Largest |ΔW| of one update: κ = ⌊|ΔW|⌋ ∈ {0, 1, 2} (seed 001 §2.3, Δz = 1).
MAX_ABS_DELTA_W: Final = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatePulse:
    """Timing and levels of an update (defaults: seed 001 Table 3).

    Parameters
    ----------
    v_up_V:
        Update voltage V_up, V (1 V).
    t_up_s:
        Full update window T_up, s (2 ns).
    rise_s:
        Edge time of every control and input, s (20 ps).
    gap_s:
        Idle time after each slot, s, long enough for a started transition to finish
        (the fitted transition takes ≈ 4.6·t_sw ≈ 130 ps to its midpoint).
    """

    v_up_V: float = 1.0
    t_up_s: float = 2e-9
    rise_s: float = 20e-12
    gap_s: float = 0.3e-9

    def __post_init__(self) -> None:
        for name in ("v_up_V", "t_up_s", "rise_s", "gap_s"):
            require_positive(name, getattr(self, name))

    @property
    def slot_s(self) -> float:
        """Length of one update slot (inputs up, controls, inputs down, gap), s."""
        return self.t_up_s + 6 * self.rise_s + self.gap_s

    def control_start(self, slot: int) -> float:
        """Time at which the controls of ``slot`` start to rise, s (pulse widths count from
        the middle of this edge)."""
        return slot * self.slot_s + 3 * self.rise_s


def kappa_nu(delta_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """κ = ⌊|ΔW|⌋ ∈ {0, 1, 2} and signed ν = sign(ΔW)·(|ΔW| − κ) (seed 001 §2.3, Δz = 1).

    Raises
    ------
    ParameterError
        If any |ΔW| > 2 or is not finite.
    """
    dw = np.asarray(delta_w, dtype=float)
    if not np.all(np.isfinite(dw)) or np.any(np.abs(dw) > MAX_ABS_DELTA_W):
        raise ParameterError("update values ΔW must be finite and within [-2, 2]")
    mag = np.abs(dw)
    kappa = np.floor(mag).astype(int)
    nu = np.sign(dw) * (mag - kappa)
    return kappa, nu


def synapse_mtj_subcircuit(design: Synapse4T2RDesign, kind: mtj_model.MTJModelKind) -> Subcircuit:
    """The 4T2R cell with stochastic MTJs; per-cell parameters :data:`CELL_PARAMS`.

    Same transistors and ports as the resistor cell; MTJ1 = ``m1`` (f1 → out), MTJ2 =
    ``m2`` (f2 → out), free layers at f1/f2, fixed layers joined at ``out``.
    """
    t = design.technology
    el = t.element
    prefix = "X" if el == "X" else "M"
    elements: tuple[Element, ...] = (
        Mosfet(f"{prefix}p1", "f1", "e1p", "u1", "u1", t.pmos_model, t.wp_m, t.l_m, el),
        Mosfet(f"{prefix}n1", "f1", "e1n", "ub1", "ub1", t.nmos_model, t.wn_m, t.l_m, el),
        Mosfet(f"{prefix}p2", "f2", "e2p", "u2", "u2", t.pmos_model, t.wp_m, t.l_m, el),
        Mosfet(f"{prefix}n2", "f2", "e2n", "ub2", "ub2", t.nmos_model, t.wn_m, t.l_m, el),
        mtj_model.parametric_instance(
            kind, "m1", "f1", "out", l_ap2p=Param("la1"), l_p2ap=Param("lp1"), s0=Param("s1")
        ),
        mtj_model.parametric_instance(
            kind, "m2", "f2", "out", l_ap2p=Param("la2"), l_p2ap=Param("lp2"), s0=Param("s2")
        ),
    )
    defaults = {
        "la1": math.log(2.0),
        "lp1": math.log(2.0),
        "s1": 1.0,
        "la2": math.log(2.0),
        "lp2": math.log(2.0),
        "s2": 0.0,
    }
    return Subcircuit(name=SUBCKT_MTJ, ports=PORTS, elements=elements, params=defaults)


@dataclass(frozen=True, slots=True)
class UpdatePlan:
    """An update deck and everything needed to read it back.

    Attributes
    ----------
    circuit:
        The transient deck.
    scheme:
        ``general`` or ``sgd``.
    delta_w:
        Effective ΔW per cell (M×N); for SGD sign(y_i)·sign(x_j)·|y_i| (0 where x_j = 0).
    kappa, nu:
        κ and signed ν per cell.
    widths_s:
        (M, N, 2): pulse width applied to MTJ1 and MTJ2 of each cell, s (0: not driven).
    draws1, draws2:
        Per-cell random draws of MTJ1 and MTJ2 (flattened row-major).
    weights:
        Weight labels before the update.
    kind:
        MTJ model kind.
    slot_of_column:
        Slot index in which each column is driven (−1: never driven, general scheme).
    stop_s:
        End of the simulated window, s.
    """

    circuit: Circuit
    scheme: Scheme
    delta_w: np.ndarray
    kappa: np.ndarray
    nu: np.ndarray
    widths_s: np.ndarray
    draws1: mtj_model.MTJDraws
    draws2: mtj_model.MTJDraws
    weights: np.ndarray
    kind: mtj_model.MTJModelKind
    slot_of_column: np.ndarray
    stop_s: float
    pulse: UpdatePulse


def _windows_pwl(
    windows: list[tuple[float, float, float]], default: float, rise: float
) -> Pwl | Dc:
    """Piecewise-constant waveform: ``default`` except ``level`` over each (start, end)
    window (edges of ``rise`` starting at start and at end). Windows must be ordered and
    disjoint."""
    pts: list[tuple[float, float]] = [(0.0, default)]
    for start, end, level in windows:
        if level == default or end <= start:
            continue
        pts += [(start, default), (start + rise, level), (end, level), (end + rise, default)]
    if len(pts) == 1:
        return Dc(default)
    return Pwl(tuple(pts))


def _check_weights(design: Array4T2RDesign, weights: np.ndarray) -> None:
    if weights.shape != (design.rows, design.cols):
        raise ParameterError(
            f"weights have shape {weights.shape}, expected {(design.rows, design.cols)}"
        )
    for w in weights.ravel():
        parse_weight(w)


def update_circuit(
    design: Array4T2RDesign,
    weights: np.ndarray,
    fit: BehaviouralFit,
    *,
    scheme: Scheme,
    delta_w: np.ndarray | None = None,
    errors: np.ndarray | None = None,
    inputs: np.ndarray | None = None,
    pulse: UpdatePulse | None = None,
    seed: int = 0,
    kind: mtj_model.MTJModelKind = "behavioural",
) -> UpdatePlan:
    """Build the update deck.

    Parameters
    ----------
    design, weights:
        Array and its current weight labels (M×N).
    fit:
        Behavioural MTJ fit (:func:`spinspice.spintronic_cells.fit.shipped_fit`).
    scheme:
        ``general``: give ``delta_w`` (M×N, each in [−2, 2]). ``sgd``: give ``errors`` y
        (length M, each in [−2, 2]) and ``inputs`` x (length N, in {−1, 0, +1}).
    pulse:
        Levels and timing (default :class:`UpdatePulse`).
    seed:
        Seed of the per-cell MTJ draws (recorded in the plan).
    kind:
        ``behavioural`` (B-source subcircuit) or ``osdi`` (compiled Verilog-A twin).
    """
    pulse = pulse or UpdatePulse()
    _check_weights(design, weights)
    check_matches_fit(design.synapse.r_on_ohm, design.synapse.r_off_ohm, fit)
    m_rows, n_cols = design.rows, design.cols
    if scheme == "general":
        if delta_w is None or errors is not None or inputs is not None:
            raise ParameterError("the general scheme takes delta_w (M×N) only")
        dw = np.asarray(delta_w, dtype=float)
        if dw.shape != (m_rows, n_cols):
            raise ParameterError(f"delta_w has shape {dw.shape}, expected {(m_rows, n_cols)}")
        kappa, nu = kappa_nu(dw)
        x = np.ones(n_cols, dtype=int)
        y = np.zeros(m_rows)
        # one slot per column that has anything to update; the others are never driven
        active_cols = np.nonzero(np.any(dw != 0, axis=0))[0]
        slot_of_column = np.full(n_cols, -1)
        slot_of_column[active_cols] = np.arange(active_cols.size)
        x[slot_of_column < 0] = 0
    elif scheme == "sgd":
        if errors is None or inputs is None or delta_w is not None:
            raise ParameterError("the sgd scheme takes errors (length M) and inputs (length N)")
        y = np.asarray(errors, dtype=float)
        x = np.asarray(inputs)
        if y.shape != (m_rows,) or x.shape != (n_cols,):
            raise ParameterError(f"errors must have {m_rows} entries and inputs {n_cols}")
        if not np.all(np.isin(x, (-1, 0, 1))):
            raise ParameterError("inputs must be -1, 0 or +1")
        x = x.astype(int)
        k_row, nu_row = kappa_nu(y)
        kappa = np.repeat(k_row[:, None], n_cols, axis=1)
        nu = np.repeat(nu_row[:, None], n_cols, axis=1)
        dw = np.outer(y, x).astype(float)
        slot_of_column = np.zeros(n_cols, dtype=int)
    else:
        raise ParameterError(f"unknown update scheme {scheme!r}; use 'general' or 'sgd'")

    vdd = design.synapse.technology.vdd_V
    v_up = pulse.v_up_V
    rise = pulse.rise_s
    n_slots = max(int(slot_of_column.max()) + 1, 1)
    stop = n_slots * pulse.slot_s

    # Column inputs: driven during their slot (u at x·V_up, ū at −x·V_up), else 0 V.
    elements: list[Element] = []
    states = np.array([[parse_weight(w).mtj_states for w in row] for row in weights])
    n_cells = m_rows * n_cols
    both = mtj_model.draw(fit, 2 * n_cells, seed)  # MTJ1 of every cell, then MTJ2
    draws1, draws2 = both.split(n_cells)

    def grid(values: np.ndarray) -> tuple[tuple[float, ...], ...]:
        return tuple(tuple(float(v) for v in row) for row in values.reshape(m_rows, n_cols))

    s1 = (states[..., 0] == "AP").astype(float)
    s2 = (states[..., 1] == "AP").astype(float)
    arr = design.cell_array(
        SUBCKT_MTJ,
        {
            "la1": grid(draws1.l_ap2p),
            "lp1": grid(draws1.l_p2ap),
            "s1": grid(s1),
            "la2": grid(draws2.l_ap2p),
            "lp2": grid(draws2.l_p2ap),
            "s2": grid(s2),
        },
    )
    elements.append(arr)
    for n in range(n_cols):
        k = max(int(slot_of_column[n]), 0)  # undriven columns (x = 0) stay at 0 V anyway
        start = k * pulse.slot_s + rise
        end = pulse.control_start(k) + pulse.t_up_s + 2 * rise
        for line, sign in (("u1", 1), ("u2", 1), ("ub1", -1), ("ub2", -1)):
            level = sign * x[n] * v_up
            elements.append(
                VoltageSource(
                    sense_name(line, n + 1),
                    arr.col_end(line, n + 1),
                    GROUND,
                    _windows_pwl([(start, end, level)], 0.0, rise),
                )
            )

    # Row controls per slot (eq. 18–23) and the grounded outputs.
    widths = np.zeros((m_rows, n_cols, 2))
    for m in range(m_rows):
        win: dict[str, list[tuple[float, float, float]]] = {
            c: [] for c in ("e1p", "e2p", "e1n", "e2n")
        }
        for k in range(n_slots):
            cols = np.nonzero(slot_of_column == k)[0]
            if cols.size == 0:
                continue
            # every column of a slot shares the row's controls: in the general scheme a slot
            # is one column; in SGD the row's κ, ν (from y_i) are the same for all columns.
            n0 = int(cols[0])
            # Row controls' sign: sign(ΔW) of the driven cell (general) or sign(y_i) (SGD).
            sgn = float(np.sign(dw[m, n0])) if scheme == "general" else float(np.sign(y[m]))
            if sgn == 0:
                continue
            t0 = pulse.control_start(k)
            t_k = pulse.t_up_s if kappa[m, n0] else 0.0
            t_n = abs(nu[m, n0]) * pulse.t_up_s
            if t_k > 0:
                win["e1p"].append((t0, t0 + t_k, -sgn * vdd))
                win["e2p"].append((t0, t0 + t_k, sgn * vdd))
            if t_n > 0:
                win["e2n" if sgn > 0 else "e1n"].append((t0, t0 + t_n, vdd))
            for n in cols.tolist():
                if scheme == "sgd" and x[n] == 0:
                    continue  # no voltage across the cell
                # sign > 0: MTJ1 through P1 for the κ window, MTJ2 through N2 for ν; else swapped
                widths[m, n] = (t_k, t_n) if sgn > 0 else (t_n, t_k)
        defaults = {"e1p": vdd, "e2p": vdd, "e1n": -vdd, "e2n": -vdd}
        for line, default in defaults.items():
            elements.append(
                VoltageSource(
                    sense_name(line, m + 1),
                    arr.row_end(line, m + 1),
                    GROUND,
                    _windows_pwl(win[line], default, rise),
                )
            )
        elements.append(
            VoltageSource(sense_name("out", m + 1), arr.row_end("out", m + 1), GROUND, Dc(0.0))
        )

    saves: list[Save] = [
        Save("i", (e.name.lower(),)) for e in elements if isinstance(e, VoltageSource)
    ]
    if kind == "behavioural":
        for mm in range(1, m_rows + 1):
            for nn in range(1, n_cols + 1):
                cell = f"x{ARRAY_NAME}_{mm}_{nn}".lower()
                saves += [
                    Save("v", (cell, "xm1", "s")),
                    Save("v", (cell, "xm2", "s")),
                    Save("v", (cell, "f1")),
                    Save("v", (cell, "f2")),
                    Save("v", (f"{ARRAY_NAME}_out_{mm}_{nn}".lower(),)),
                ]
        templates: tuple[TemplateSubcircuit, ...] = (mtj_model.behavioural_subcircuit(fit),)
        models: tuple[ModelCard, ...] = ()
    else:
        templates = ()
        models = (mtj_model.osdi_model_card(fit),)
    step = min(rise / 2, 5e-12)
    circuit = Circuit(
        title=f"spinspice 4T2R array {m_rows}x{n_cols} update {scheme}",
        elements=tuple(elements),
        subcircuits=(synapse_mtj_subcircuit(design.synapse, kind),),
        template_subcircuits=templates,
        models=models,
        libraries=(design.synapse.technology.library_ref(),),
        analyses=(Transient(step, stop, max_step_s=step),),
        saves=tuple(saves) if kind == "behavioural" else (),
        options=Options(numeric={"abstol": 1e-10}),
    )
    return UpdatePlan(
        circuit=circuit,
        scheme=scheme,
        delta_w=dw,
        kappa=kappa,
        nu=nu,
        widths_s=widths,
        draws1=draws1,
        draws2=draws2,
        weights=weights,
        kind=kind,
        slot_of_column=slot_of_column,
        stop_s=stop,
        pulse=pulse,
    )


def update_job(design: Array4T2RDesign, plan: UpdatePlan) -> Job:
    """An update deck (:func:`update_circuit`) as a simulation job (OSDI model included)."""
    tag = technology_tag(design.synapse.technology)
    return make_job(
        plan.circuit,
        key=f"4t2r/update/{design.rows}x{design.cols}/{tag}",
        osdi=mtj_model.osdi_files(plan.kind),
        meta={"family": "4t2r", "operation": "update", "rows": design.rows,
              "cols": design.cols, "corner": tag, "seed": plan.draws1.seed,
              "scheme": plan.scheme, "mtj_model": plan.kind},
    )
