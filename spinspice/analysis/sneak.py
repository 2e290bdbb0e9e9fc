"""Sneak-path extraction for the write phases of seed 002 crossbars.

For every write phase of an update (:func:`~spinspice.array_builder.crossbar.write_schedule`)
and every cell: the voltage across its MTJ and the current through it, from the fast nodal
solver (:mod:`spinspice.analysis.nodal`, bias-dependent MTJs by default), and its switching
probability in the phase from the MTJ law of the behavioural model
(:func:`~spinspice.array_builder.crossbar.seed002_fit`):

    P = 1 − erf((π/2)·e^(−q)/(√2·θ0)),  q = Σ_intervals max(|I| − I_c, 0)·Δt / C,

with |I| the current in the direction the cell's state can switch (positive v_cell for a
P cell, negative for an AP cell). A phase is cut into intervals at the column pulse ends
t_wr,j (eq. 6, 10) and solved once per interval (:mod:`spinspice.analysis.phase_solver`:
Newton with two-level preconditioned CG, from the previous interval), so cells of a
column whose gate has closed keep being stressed by sneak currents for the rest of the
phase (1R). The reported ``v_cell_V`` and ``i_cell_A`` are those of the first interval
(every column pulse on).

``p_false_switch`` is P for cells the phase does not select, 0 for selected ones; the
expected number of false switches is its sum. Summaries per phase and per scheme: worst and
mean |v_cell| over unselected cells, both also as a fraction of the phase's reference voltage
(``v_ref_V``: max − min of the driven row voltages, i.e. V_P − V_AP, for ``2phase``; the
largest |driven row voltage|, i.e. V_P or |V_AP|, for ``4phase``) — seed 002 §4.4.1 predicts
worst → V_P − V_AP and mean → (V_P − V_AP)/2 for 2-phase, §4.4.2 worst → V_P and mean → V_P/3
for 4-phase — and the count of unselected cells with P above a threshold.

:func:`run_update_transient` runs the same update in ngspice with the stochastic behavioural
MTJ on many copies of a small crossbar and compares, instance by instance, which cells
flipped with the fast path's prediction from the same random thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
from scipy.special import erfc

from spinspice.analysis.nodal import FactorCache, LinearSolver, solve_bias
from spinspice.analysis.phase_solver import PhaseSolver
from spinspice.analysis.runner import Engine, run_one
from spinspice.analysis.threads import one_blas_thread
from spinspice.array_builder.crossbar import (
    BoolArray,
    CrossbarDesign,
    FloatArray,
    Phase,
    Scheme,
    build_network,
    write_schedule,
)
from spinspice.array_builder.crossbar_spice import flipped, update_transient_circuit
from spinspice.errors import ParameterError
from spinspice.netlists.job import make_job
from spinspice.spintronic_cells.fit import BehaviouralFit

if TYPE_CHECKING:
    import pandas as pd

#: Fewest rows and columns of the adversarial pattern (seed 002 §4.4.1–4.4.2): one positive
#: and at least one negative row, one negative and at least one positive column.
ADVERSARIAL_MIN_LINES: Final = 2

CSV_COLUMNS = (
    "phase",
    "row",
    "col",
    "selected",
    "state",
    "v_cell_V",
    "i_cell_A",
    "p_switch",
    "p_false_switch",
)


def psw_from_charge(q: FloatArray, theta0_rad: float) -> FloatArray:
    """P(threshold ≤ q) = 1 − erf((π/2)·e^(−q)/(√2·θ0)) (behavioural law, module docstring)."""
    out: FloatArray = erfc(
        (math.pi / 2.0) * np.exp(-np.asarray(q, float)) / (math.sqrt(2.0) * theta0_rad)
    )
    return out


def hazard_rates(
    fit: BehaviouralFit, v_cell: FloatArray, *, bias: bool
) -> tuple[FloatArray, FloatArray]:
    """(P→AP rate for a P cell, AP→P rate for an AP cell) at MTJ voltages ``v_cell``, 1/s.

    Rate = max(|I| − I_c, 0)/C in the direction the voltage pushes (positive v: P→AP).
    """
    from spinspice.array_builder.crossbar import mtj_resistance

    v = np.asarray(v_cell, float)
    i_p = np.maximum(v, 0.0) / fit.r_on_ohm
    r_ap = mtj_resistance(fit, True, v if bias else 0.0 * v)
    i_ap = np.maximum(-v, 0.0) / r_ap
    pa = fit.p_to_ap
    ap = fit.ap_to_p
    r1: FloatArray = np.maximum(i_p - pa.ic_A, 0.0) / pa.c_As
    r2: FloatArray = np.maximum(i_ap - ap.ic_A, 0.0) / ap.c_As
    return r1, r2


@dataclass(frozen=True, slots=True, eq=False)
class PhaseStress:
    """One write phase solved over its intervals.

    Attributes
    ----------
    phase:
        The phase.
    v_cell_V, i_cell_A:
        MTJ voltage and current at the start of the phase (M, N).
    intervals:
        (start, end) of each constant-configuration interval, s.
    v_intervals_V:
        MTJ voltages in each interval (n_intervals, M, N) if the solve was asked to keep
        them (``keep_intervals``), else an empty (0, M, N) array: an N-column 1R phase
        has N + 1 intervals, so keeping them costs 8·(N + 1) bytes per cell (8.6 GB per
        phase at 1024 × 1024).
    q_p2ap, q_ap2p:
        Accumulated switching charge ∫ rate dt of each direction over the phase (M, N).
    solve_s:
        Time spent in the solver, s.
    """

    phase: Phase
    v_cell_V: FloatArray
    i_cell_A: FloatArray
    intervals: tuple[tuple[float, float], ...]
    v_intervals_V: FloatArray
    q_p2ap: FloatArray
    q_ap2p: FloatArray
    solve_s: float


#: How ``phase_stress`` solves the intervals: ``intervals`` (:class:`PhaseSolver`, two-level
#: CG, no factorisation; the default) or ``lu`` (:func:`solve_bias` sharing sparse LU
#: factorisations across the phase, the earlier path, kept as the reference).
PHASE_METHODS: Final = ("intervals", "lu")


def phase_stress(
    design: CrossbarDesign,
    phase: Phase,
    states_ap: BoolArray,
    *,
    bias: bool = True,
    keep_intervals: bool = False,
    method: str = "intervals",
    progress: Callable[[int], None] | None = None,
) -> PhaseStress:
    """Solve ``phase`` in each of its intervals and accumulate the switching charges
    (``keep_intervals``: also return every interval's MTJ voltages; ``method``: see
    :data:`PHASE_METHODS`; the two agree to ~1e-11 V; ``progress(k)`` after interval k,
    counted from 1)."""
    if method not in PHASE_METHODS:
        raise ParameterError(f"method must be one of {', '.join(PHASE_METHODS)}, got {method!r}")
    fit = design.fit
    ivs = phase.intervals()
    vs = []
    q1 = np.zeros(design.shape)
    q2 = np.zeros(design.shape)
    v0 = i0 = np.zeros(design.shape)
    solve_s = 0.0
    prev: FloatArray | None = None
    cache = FactorCache()  # ``lu``: one reference factorisation shared by the intervals
    fast = PhaseSolver(design, phase, states_ap, bias=bias) if method == "intervals" else None
    with one_blas_thread():
        for k, (a, b) in enumerate(ivs):
            if fast is not None:
                st = fast.solve(a)
                v, i_cell, elapsed = st.v_cell_V, st.i_cell_A, st.elapsed_s
            else:
                net = build_network(design, phase, states_ap, at_s=a)
                if bias:
                    # consecutive intervals differ by the drivers that switch: start from
                    # the last
                    sol = solve_bias(net, start_V=prev, factor_cache=cache)
                    prev = sol.v_node_V[:, 0]
                else:
                    sol = LinearSolver(net).solve()
                v, i_cell, elapsed = sol.v_cell_V[:, :, 0], sol.i_cell_A[:, :, 0], sol.elapsed_s
            solve_s += elapsed
            if k == 0:
                v0, i0 = v, i_cell
            r1, r2 = hazard_rates(fit, v, bias=bias)
            q1 += r1 * (b - a)
            q2 += r2 * (b - a)
            if keep_intervals:
                vs.append(v)
            if progress is not None:
                progress(k + 1)
    kept = np.array(vs) if keep_intervals else np.zeros((0, *design.shape))
    return PhaseStress(phase, v0, i0, tuple(ivs), kept, q1, q2, solve_s)


@dataclass(frozen=True, slots=True, eq=False)
class SneakResult:
    """Sneak-path analysis of one update.

    Attributes
    ----------
    design, scheme:
        The crossbar and write scheme.
    x, delta, states_ap:
        Inputs, errors and MTJ states.
    phases:
        Per-phase stress.
    table:
        One row per (phase, cell): :data:`CSV_COLUMNS`.
    summary:
        One row per phase plus a row ``all`` for the scheme.
    """

    design: CrossbarDesign
    scheme: str
    x: FloatArray
    delta: FloatArray
    states_ap: BoolArray
    phases: tuple[PhaseStress, ...]
    table: pd.DataFrame
    summary: pd.DataFrame


def _v_ref(phase: Phase, scheme: str) -> float:
    driven = phase.row_V[phase.row_on]
    if driven.size == 0:
        return float("nan")
    if scheme == "2phase":
        return float(driven.max() - driven.min())
    return float(np.max(np.abs(driven)))


def analyse(
    design: CrossbarDesign,
    x: FloatArray,
    delta: FloatArray,
    states_ap: BoolArray,
    scheme: Scheme,
    *,
    bias: bool = True,
    p_threshold: float = 0.01,
    keep_intervals: bool = False,
    method: str = "intervals",
    progress: Callable[[int, int], None] | None = None,
) -> SneakResult:
    """Sneak-path extraction for every write phase (module docstring; ``keep_intervals``
    and ``method``: see :func:`phase_stress`; ``progress(done, total)`` counts the
    intervals of all phases)."""
    import pandas as pd

    if not 0.0 < p_threshold < 1.0:
        raise ParameterError(f"p_threshold must be in (0, 1), got {p_threshold}")
    phases = write_schedule(design, x, delta, scheme)
    theta0 = design.fit.p_to_ap.theta0_rad
    theta0_ap = design.fit.ap_to_p.theta0_rad
    m, n = design.shape
    ii, jj = np.meshgrid(np.arange(1, m + 1), np.arange(1, n + 1), indexing="ij")
    frames = []
    summary = []
    stresses = []
    n_intervals = sum(len(ph.intervals()) for ph in phases)
    done = 0

    def tick(k: int) -> None:
        if progress is not None:
            progress(done + k, n_intervals)

    for ph in phases:
        st = phase_stress(
            design,
            ph,
            states_ap,
            bias=bias,
            keep_intervals=keep_intervals,
            method=method,
            progress=tick,
        )
        done += len(st.intervals)
        stresses.append(st)
        p = np.where(
            states_ap, psw_from_charge(st.q_ap2p, theta0_ap), psw_from_charge(st.q_p2ap, theta0)
        )
        p_false = np.where(ph.selected, 0.0, p)
        frames.append(
            pd.DataFrame(
                {
                    "phase": ph.name,
                    "row": ii.ravel(),
                    "col": jj.ravel(),
                    "selected": ph.selected.ravel(),
                    "state": np.where(states_ap, "AP", "P").ravel(),
                    "v_cell_V": st.v_cell_V.ravel(),
                    "i_cell_A": st.i_cell_A.ravel(),
                    "p_switch": p.ravel(),
                    "p_false_switch": p_false.ravel(),
                }
            )
        )
        unsel = ~ph.selected
        av = np.abs(st.v_cell_V[unsel])
        vref = _v_ref(ph, scheme)
        worst = float(av.max()) if av.size else 0.0
        mean = float(av.mean()) if av.size else 0.0
        summary.append(
            {
                "phase": ph.name,
                "n_selected": int(ph.selected.sum()),
                "n_unselected": int(unsel.sum()),
                "v_ref_V": vref,
                "worst_v_unselected_V": worst,
                "mean_v_unselected_V": mean,
                "worst_ratio": worst / vref if vref > 0 else float("nan"),
                "mean_ratio": mean / vref if vref > 0 else float("nan"),
                "worst_i_unselected_A": float(np.abs(st.i_cell_A[unsel]).max()) if av.size else 0.0,
                "expected_false_switches": float(p_false.sum()),
                "n_p_above_threshold": int((p_false > p_threshold).sum()),
                "p_threshold": p_threshold,
                "expected_switches_selected": float(np.where(ph.selected, p, 0.0).sum()),
                "solve_s": st.solve_s,
            }
        )
    table = pd.concat(frames, ignore_index=True)
    s = pd.DataFrame(summary)
    unsel_all = table[~table["selected"]]
    av_all = unsel_all["v_cell_V"].abs()
    total = {
        "phase": "all",
        "n_selected": int(s["n_selected"].sum()),
        "n_unselected": int(s["n_unselected"].sum()),
        "v_ref_V": float(s["v_ref_V"].max()),
        "worst_v_unselected_V": float(av_all.max()) if len(av_all) else 0.0,
        "mean_v_unselected_V": float(av_all.mean()) if len(av_all) else 0.0,
        "worst_ratio": float(s["worst_ratio"].max()),
        "mean_ratio": float(
            (s["mean_ratio"] * s["n_unselected"]).sum() / max(s["n_unselected"].sum(), 1)
        ),
        "worst_i_unselected_A": float(s["worst_i_unselected_A"].max()),
        "expected_false_switches": float(s["expected_false_switches"].sum()),
        "n_p_above_threshold": int(s["n_p_above_threshold"].sum()),
        "p_threshold": p_threshold,
        "expected_switches_selected": float(s["expected_switches_selected"].sum()),
        "solve_s": float(s["solve_s"].sum()),
    }
    s = pd.concat([s, pd.DataFrame([total])], ignore_index=True)
    s.insert(0, "scheme", scheme)
    s.insert(0, "crossbar", design.architecture)
    return SneakResult(
        design,
        scheme,
        np.asarray(x, float),
        np.asarray(delta, float),
        np.asarray(states_ap, bool),
        tuple(stresses),
        table,
        s,
    )


def adversarial_inputs(rows: int, cols: int) -> tuple[FloatArray, FloatArray, BoolArray]:
    """The worst case of seed 002 §4.4.1–4.4.2: one positive row, all other rows negative,
    one negative column, all other columns positive, |x| = |δ| = 1, every MTJ in P.

    In the 2-phase scheme the floating column then sits near V_AP, so the cell of the
    positive row sees ≈ (V_P − V_AP)·(M − 1)/M; in the 4-phase scheme the floating rows sit
    near ground and the cell of the driven row on the floating column sees ≈ V_P.
    """
    if rows < ADVERSARIAL_MIN_LINES or cols < ADVERSARIAL_MIN_LINES:
        raise ParameterError(
            f"the adversarial pattern needs at least {ADVERSARIAL_MIN_LINES} rows"
            f" and {ADVERSARIAL_MIN_LINES} columns"
        )
    x = -np.ones(rows)
    x[0] = 1.0
    delta = np.ones(cols)
    delta[-1] = -1.0
    return x, delta, np.zeros((rows, cols), bool)


def heatmap_scale_V(result: SneakResult) -> float:
    """Colour-scale limit of :func:`plot_heatmaps`, V: the largest |v_cell| of the
    *unselected* cells (the selected ones carry the full write voltage and would wash the
    sneak voltages out)."""
    peaks = [
        float(np.abs(p.v_cell_V[~p.phase.selected]).max())
        for p in result.phases
        if np.any(~p.phase.selected)
    ]
    return max(peaks, default=0.0) or 1.0


def plot_heatmaps(result: SneakResult, target: Path | str) -> Path:
    """Heat maps of the unselected cells' v_cell per write phase, written atomically.

    The colour scale comes from the unselected cells (:func:`heatmap_scale_V`); selected
    cells are masked and marked with a cross; rows and columns are numbered from 1, as in
    the CSV.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    k = len(result.phases)
    fig, axes = plt.subplots(1, k, figsize=(3.6 * k, 3.4), squeeze=False)
    vmax = heatmap_scale_V(result)
    im = None
    for ax, st in zip(axes[0], result.phases, strict=True):
        m, n = st.v_cell_V.shape
        data = np.ma.masked_where(st.phase.selected, st.v_cell_V)
        im = ax.imshow(
            data,
            cmap="RdBu_r",
            vmin=-vmax,
            vmax=vmax,
            interpolation="nearest",
            extent=(0.5, n + 0.5, m + 0.5, 0.5),
        )
        sel = np.argwhere(st.phase.selected)
        if len(sel):
            ax.scatter(
                sel[:, 1] + 1,
                sel[:, 0] + 1,
                marker="x",
                s=max(4.0, 400.0 / max(m, n)),
                c="k",
                linewidths=0.8,
                label="selected",
            )
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, frameon=False)
        ax.set_title(f"{st.phase.name}: unselected v_cell (V)", fontsize=9)
        ax.set_xlabel("column j (1..N)")
        ax.set_ylabel("row i (1..M)")
    if im is not None:
        fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    fig.suptitle(f"{result.design.architecture} {result.scheme} sneak voltages", fontsize=10)
    suffix = Path(target).suffix.lstrip(".") or "png"
    path = write_atomic(target, lambda p: fig.savefig(p, format=suffix, dpi=110))
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- transient


@dataclass(frozen=True, slots=True, eq=False)
class TransientComparison:
    """ngspice stochastic transient versus the fast path, instance by instance.

    Attributes
    ----------
    flipped_spice:
        Cells that flipped in ngspice, (replicas, M, N).
    flipped_fast:
        Cells the fast path predicts flipped with the same thresholds, (replicas, M, N).
    p_fast:
        Fast-path flip probability of each cell (M, N) (threshold-averaged).
    agreement:
        Fraction of instances on which the two agree.
    elapsed_s:
        ngspice wall time, s.
    """

    flipped_spice: BoolArray
    flipped_fast: BoolArray
    p_fast: FloatArray
    agreement: float
    elapsed_s: float


def _event_flips(
    rates: list[tuple[float, FloatArray, FloatArray]],
    start_ap: BoolArray,
    l_ap2p: FloatArray,
    l_p2ap: FloatArray,
) -> BoolArray:
    """Replay the behavioural model's one-shot thresholds through piecewise-constant rates."""
    ap = np.array(start_ap, bool)
    g1 = np.zeros(ap.shape)  # AP→P charge
    g2 = np.zeros(ap.shape)  # P→AP charge
    for dt, r_p2ap, r_ap2p in rates:
        left = np.full(ap.shape, dt)
        for _ in range(3):
            rate = np.where(ap, r_ap2p, r_p2ap)
            g = np.where(ap, g1, g2)
            lim = np.where(ap, l_ap2p, l_p2ap)
            with np.errstate(divide="ignore", invalid="ignore"):
                t_hit = np.where(rate > 0, (lim - g) / rate, np.inf)
            hit = (t_hit <= left) & (g < lim)
            used = np.where(hit, np.maximum(t_hit, 0.0), left)
            g1 = np.where(ap, g1 + r_ap2p * used, g1)
            g2 = np.where(~ap, g2 + r_p2ap * used, g2)
            left = left - used
            ap = np.where(hit, ~ap, ap)
            if not hit.any():
                break
    out: BoolArray = ap != np.asarray(start_ap, bool)
    return out


def run_update_transient(
    design: CrossbarDesign,
    x: FloatArray,
    delta: FloatArray,
    states_ap: BoolArray,
    scheme: Scheme,
    *,
    replicas: int = 20,
    seed: int = 0,
    engine: Engine,
) -> TransientComparison:
    """Transient of one update with the stochastic MTJ in ngspice versus the fast path."""
    phases = write_schedule(design, x, delta, scheme)
    plan = update_transient_circuit(design, phases, states_ap, replicas=replicas, seed=seed)
    m, n = design.shape
    job = make_job(
        plan.circuit,
        key=f"{design.architecture}/{scheme}-transient/{m}x{n}/seed{seed}",
        meta={
            "family": design.architecture,
            "operation": f"{scheme}-transient",
            "rows": m,
            "cols": n,
            "seed": seed,
            "replicas": replicas,
        },
    )
    sim = run_one(engine, job)
    tran = sim.plot("tran")
    m, n = design.shape
    final = np.array(
        [[[float(tran[v][-1]) for v in row] for row in rep] for rep in plan.state_vectors]
    )
    fl_spice = np.array([flipped(final[k], states_ap) for k in range(replicas)])
    # fast path: interval rates from the bias-dependent solver
    rates: list[tuple[float, FloatArray, FloatArray]] = []
    for ph in phases:
        st = phase_stress(design, ph, states_ap, bias=True, keep_intervals=True)
        for (a, b), v in zip(st.intervals, st.v_intervals_V, strict=True):
            r1, r2 = hazard_rates(design.fit, v, bias=True)
            rates.append((b - a, r1, r2))
    l1 = plan.draws.l_ap2p.reshape(replicas, m, n)
    l2 = plan.draws.l_p2ap.reshape(replicas, m, n)
    fl_fast = np.array([_event_flips(rates, states_ap, l1[k], l2[k]) for k in range(replicas)])
    q1 = sum(r[1] * r[0] for r in rates)
    q2 = sum(r[2] * r[0] for r in rates)
    p_fast = np.where(
        states_ap,
        psw_from_charge(np.asarray(q2), design.fit.ap_to_p.theta0_rad),
        psw_from_charge(np.asarray(q1), design.fit.p_to_ap.theta0_rad),
    )
    agreement = float((fl_spice == fl_fast).mean())
    return TransientComparison(fl_spice, fl_fast, p_fast, agreement, sim.elapsed_s)
