"""Run stochastic updates of 4T2R arrays in ngspice and compare them with the MTJ model.

For every cell the result holds which MTJ switched (state node s crossing 0.5 by the end of
the window), the weight labels after the update, and the probability the fitted switching
law gives for each MTJ's pulse: P = law(I, width + 4.579·t_sw) — the chance that the
integrated progress reaches the cell's threshold within the pulse (the midpoint of the
resistance transition follows 4.579·t_sw later, :mod:`spinspice.spintronic_cells.fit`),
with I the MTJ current measured in the simulation just after the controls open. Energy is
∫ V·I over every source of the deck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinspice.analysis.array_ops import delivered_energy_J
from spinspice.analysis.runner import Engine, SimResult, run_one
from spinspice.array_builder.array_4t2r import ARRAY_NAME, Array4T2RDesign
from spinspice.array_builder.parasitics import WireModel
from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign, TernaryWeight
from spinspice.array_builder.update_4t2r import UpdatePlan, UpdatePulse, update_circuit, update_job
from spinspice.errors import ParameterError
from spinspice.netlists import mtj_model
from spinspice.spintronic_cells.fit import MIDPOINT_DELAY, STATE_MIDPOINT, BehaviouralFit

_LABELS = {(s1, s2): w.value for w in TernaryWeight for (s1, s2) in [w.mtj_states]}


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """A simulated update.

    Attributes
    ----------
    plan:
        The deck and its inputs (ΔW, κ, ν, draws, widths).
    start_ap, end_ap:
        (M, N, 2) MTJ1/MTJ2 in AP before and after.
    final_weights:
        Weight labels after the update (M×N).
    current_A:
        (M, N, 2) |I| through each MTJ at the start of its pulse, A (0 where not driven).
    p_model:
        (M, N, 2) switching probability of each MTJ's pulse from the fitted law (0 where
        the current direction cannot switch the MTJ's start state).
    energy_J:
        Energy delivered by all sources, J.
    elapsed_s:
        Simulator wall time, s.
    engine:
        The engine that produced it.
    """

    plan: UpdatePlan
    start_ap: np.ndarray
    end_ap: np.ndarray
    final_weights: np.ndarray
    current_A: np.ndarray
    p_model: np.ndarray
    energy_J: float
    elapsed_s: float
    engine: str = "ngspice"

    @property
    def switched(self) -> np.ndarray:
        """(M, N, 2) True where the MTJ changed state."""
        out: np.ndarray = self.start_ap != self.end_ap
        return out


def _state_vector(plan: UpdatePlan, m: int, n: int, mtj: int) -> str:
    cell = f"x{ARRAY_NAME}_{m + 1}_{n + 1}"
    return mtj_model.state_vector(plan.kind, (cell, f"m{mtj}"))


def run_update(
    design: Array4T2RDesign,
    plan: UpdatePlan,
    fit: BehaviouralFit,
    *,
    engine: Engine,
) -> UpdateResult:
    """Simulate ``plan`` on ``engine`` and measure it (module docstring)."""
    return measure_update(plan, fit, run_one(engine, update_job(design, plan)))


def measure_update(plan: UpdatePlan, fit: BehaviouralFit, sim: SimResult) -> UpdateResult:
    """Read the result of :func:`~spinspice.array_builder.update_4t2r.update_job`."""
    tran = sim.plot("tran")
    t = tran.scale
    m_rows, n_cols = plan.weights.shape
    start = np.zeros((m_rows, n_cols, 2), dtype=bool)
    end = np.zeros_like(start)
    current = np.zeros((m_rows, n_cols, 2))
    p_model = np.zeros((m_rows, n_cols, 2))
    labels = np.empty((m_rows, n_cols), dtype=object)
    for m in range(m_rows):
        for n in range(n_cols):
            for j in range(2):
                s = tran[_state_vector(plan, m, n, j + 1)]
                start[m, n, j] = s[0] > STATE_MIDPOINT
                end[m, n, j] = s[-1] > STATE_MIDPOINT
                width = plan.widths_s[m, n, j]
                if width <= 0:
                    continue
                # MTJ current (free → fixed positive) shortly after the controls open, from
                # the voltage across it and its start-state resistance R(V).
                k = int(plan.slot_of_column[n])
                t_probe = plan.pulse.control_start(k) + 3 * plan.pulse.rise_s
                cell = f"x{ARRAY_NAME}_{m + 1}_{n + 1}".lower()
                out_node = f"v({ARRAY_NAME}_out_{m + 1}_{n + 1})".lower()
                dv = float(np.interp(t_probe, t, tran[f"v({cell}.f{j + 1})"] - tran[out_node]))
                i_mtj = dv / float(fit.resistance_ohm(1.0 if start[m, n, j] else 0.0, dv))
                current[m, n, j] = abs(i_mtj)
                # Positive current (free → fixed) switches AP → P; negative P → AP.
                if (i_mtj > 0 and start[m, n, j]) or (i_mtj < 0 and not start[m, n, j]):
                    d = fit.direction("AP->P" if i_mtj > 0 else "P->AP")
                    p_model[m, n, j] = float(
                        d.cdf(
                            abs(i_mtj), np.array([width + MIDPOINT_DELAY * fit.tsw_s]), fit.tsw_s
                        )[0]
                    )
            s1 = "AP" if end[m, n, 0] else "P"
            s2 = "AP" if end[m, n, 1] else "P"
            labels[m, n] = _LABELS[(s1, s2)]
    if not np.all(start == _start_states(plan)):
        raise ParameterError("simulated start states differ from the weights (deck error)")
    return UpdateResult(
        plan=plan,
        start_ap=start,
        end_ap=end,
        final_weights=labels,
        current_A=current,
        p_model=p_model,
        energy_J=delivered_energy_J(plan.circuit, tran),
        elapsed_s=sim.elapsed_s,
        engine=sim.backend,
    )


def _start_states(plan: UpdatePlan) -> np.ndarray:
    from spinspice.array_builder.synapse_4t2r import parse_weight

    return np.array(
        [[[st == "AP" for st in parse_weight(w).mtj_states] for w in row] for row in plan.weights]
    )


@dataclass(frozen=True, slots=True)
class RepeatedUpdate:
    """The same single-cell update repeated on ``n`` independent cells (own draws each).

    Attributes
    ----------
    start_weight, delta_w:
        The case.
    final_weights:
        Weight label after the update, one per repetition.
    p_switch_model:
        Mean model switching probability of (MTJ1, MTJ2) over the repetitions.
    switched:
        (n, 2) which MTJ switched.
    energy_per_update_J:
        Mean energy of one cell update, J.
    """

    start_weight: str
    delta_w: float
    final_weights: np.ndarray
    p_switch_model: np.ndarray
    switched: np.ndarray
    energy_per_update_J: float

    def fraction(self, label: str) -> float:
        """Fraction of repetitions that ended in ``label``."""
        return float(np.mean(self.final_weights == label))


def repeat_cell_update(
    design: Synapse4T2RDesign,
    start_weight: str,
    delta_w: float,
    fit: BehaviouralFit,
    *,
    n: int = 200,
    seed: int = 0,
    batch: int = 50,
    pulse: UpdatePulse | None = None,
    engine: Engine,
    kind: mtj_model.MTJModelKind = "osdi",
) -> RepeatedUpdate:
    """Simulate ``n`` independent cells receiving the same update (general scheme).

    The cells sit in 1×``batch`` arrays with near-ideal wires (1 mΩ/µm) so that every cell
    sees the same drive; each cell has its own random draw (seeds ``seed``, ``seed+1``, …
    per batch). This is how seed 001 §4.4's update examples are checked statistically.
    """
    if n < 1 or batch < 1:
        raise ParameterError("n and batch must be >= 1")
    finals: list[np.ndarray] = []
    p_model: list[np.ndarray] = []
    switched: list[np.ndarray] = []
    energy = 0.0
    for b, start in enumerate(range(0, n, batch)):
        cols = min(batch, n - start)
        arr = Array4T2RDesign(synapse=design, rows=1, cols=cols, wire=WireModel(r_per_m_ohm=1e3))
        weights = np.full((1, cols), start_weight, dtype=object)
        plan = update_circuit(
            arr,
            weights,
            fit,
            scheme="general",
            delta_w=np.full((1, cols), float(delta_w)),
            pulse=pulse,
            seed=seed + b,
            kind=kind,
        )
        res = run_update(arr, plan, fit, engine=engine)
        finals.append(res.final_weights[0])
        p_model.append(res.p_model[0])
        switched.append(res.switched[0])
        energy += res.energy_J
    return RepeatedUpdate(
        start_weight=start_weight,
        delta_w=float(delta_w),
        final_weights=np.concatenate(finals),
        p_switch_model=np.concatenate(p_model).mean(axis=0),
        switched=np.concatenate(switched),
        energy_per_update_J=energy / n,
    )
