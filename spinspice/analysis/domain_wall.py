"""Measures of the domain-wall family (seed 004): run the DW jobs and read their results.

Every function that simulates takes the caller's ``engine``; the tables have units in
their column names and the columns the CLI promises (a public contract):

* synapse: ``pulse, width_s, x, g_S`` (+ ``x_law``, ``i_A``);
* crossbar: ``vector, col, i_out_A, i_ideal_A, error_lsb`` (+ ``i_programmed_A``,
  ``error_circuit_lsb``: the error against what the programmed walls should give, i.e.
  without the programming variation);
* adc: ``i_in_A, code`` (+ ``code_law``); DNL/INL from the code transitions;
* vote: ``trial, winner_expected, winner_simulated, margin_s`` (+ ``ratio``, ``t_flip_s``);
* recurrent: ``cycle, x, expected_x, output`` (+ ``i_in_A``, ``expected_output``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from spinspice.analysis.runner import Engine, SimResult, run_one
from spinspice.array_builder.dw_crossbar import (
    DWCrossbarDesign,
    InputSchedule,
    ProgrammedWeights,
    crossbar_job,
    program,
    random_problem,
    residue_source,
)
from spinspice.array_builder.dw_devices import (
    AdcBench,
    DWModels,
    PulseTrain,
    adc_head_source,
    adc_job,
    effective_width_s,
    position_from_read,
    synapse_pulse_job,
)
from spinspice.array_builder.dw_neurons import (
    MIN_VOTE_CANDIDATES,
    RecurrentBench,
    VoteDesign,
    VoteTrial,
    recurrent_job,
    vote_cap_node,
    vote_job,
    vote_out_node,
)
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.domain_wall import (
    DWParams,
    RacetrackParams,
    conductance_S,
    displacement,
    pulse_train,
)

if TYPE_CHECKING:
    import pandas as pd

SYNAPSE_COLUMNS = ("pulse", "width_s", "x", "g_S")
CROSSBAR_COLUMNS = ("vector", "col", "i_out_A", "i_ideal_A", "error_lsb")
ADC_COLUMNS = ("i_in_A", "code")
VOTE_COLUMNS = ("trial", "winner_expected", "winner_simulated", "margin_s")
RECURRENT_COLUMNS = ("cycle", "x", "expected_x", "output")


# ------------------------------------------------------------------ synapse


def run_synapse(
    p: DWParams,
    engine: Engine,
    models: DWModels,
    *,
    i_A: float,
    widths_s: Sequence[float],
    n_pulses: int,
    x0: float = 1.0,
) -> pd.DataFrame:
    """Conductance vs pulse count for each pulse width (one transient per width).

    Rows: one per (width, pulse) with ``pulse`` = 0 before the first pulse.
    ``x_law`` is the device law (seed 004 eq. 1 with end stops) for the same pulses.
    """
    import pandas as pd

    frames = []
    for w in widths_s:
        train = PulseTrain(i_A=i_A, width_s=float(w), n_pulses=n_pulses, x0=x0)
        tr = run_one(engine, synapse_pulse_job(p, train, models)).plot("tran")
        i_read = -tr["i(vrd)"]
        ts = train.sample_times_s()
        g = np.interp(ts, tr["time"], i_read) / train.v_read_V
        x = position_from_read(p, g * train.v_read_V, train.v_read_V)
        weff = effective_width_s(train.width_s, train.edge_s, i_A, p.i_th_A)
        law = pulse_train(p, i_A=i_A, width_s=weff, n_pulses=n_pulses, x0=x0)
        frames.append(
            pd.DataFrame(
                {
                    "pulse": np.arange(n_pulses + 1),
                    "width_s": float(w),
                    "x": x,
                    "g_S": g,
                    "x_law": law,
                    "g_law_S": conductance_S(p, law),
                    "i_A": i_A,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ crossbar


@dataclass(frozen=True, slots=True)
class CrossbarResult:
    """Simulated neuron input currents of a DW crossbar and their ideals.

    Arrays are (vectors, outputs); currents in A.
    """

    design: DWCrossbarDesign
    weights: ProgrammedWeights
    x: NDArray[np.int64]
    i_out_A: NDArray[np.float64]
    i_ideal_A: NDArray[np.float64]
    i_programmed_A: NDArray[np.float64]
    elapsed_s: float
    e_slot_J: NDArray[np.float64]

    @property
    def error_lsb(self) -> NDArray[np.float64]:
        """(i_out − i_ideal)/LSB."""
        out: NDArray[np.float64] = (self.i_out_A - self.i_ideal_A) / self.design.i_lsb_A
        return out

    @property
    def error_circuit_lsb(self) -> NDArray[np.float64]:
        """(i_out − i_programmed)/LSB: the circuit's own error (no programming variation)."""
        out: NDArray[np.float64] = (self.i_out_A - self.i_programmed_A) / self.design.i_lsb_A
        return out

    def table(self) -> pd.DataFrame:
        """One row per (vector, output)."""
        import pandas as pd

        v, c = np.meshgrid(
            np.arange(self.i_out_A.shape[0]), np.arange(1, self.i_out_A.shape[1] + 1), indexing="ij"
        )
        return pd.DataFrame(
            {
                "vector": v.ravel(),
                "col": c.ravel(),
                "i_out_A": self.i_out_A.ravel(),
                "i_ideal_A": self.i_ideal_A.ravel(),
                "error_lsb": self.error_lsb.ravel(),
                "i_programmed_A": self.i_programmed_A.ravel(),
                "error_circuit_lsb": self.error_circuit_lsb.ravel(),
            }
        )

    def summary(self) -> dict[str, float]:
        """Error statistics (LSB), the fitted gain i_out/i_ideal, and the full scale."""
        e = self.error_lsb
        ec = self.error_circuit_lsb
        gain = float(np.sum(self.i_out_A * self.i_ideal_A) / np.sum(self.i_ideal_A**2))
        resid = (self.i_out_A - gain * self.i_ideal_A) / self.design.i_lsb_A
        return {
            "lsb_A": self.design.i_lsb_A,
            "mean_error_lsb": float(e.mean()),
            "rms_error_lsb": float(np.sqrt(np.mean(e**2))),
            "max_abs_error_lsb": float(np.abs(e).max()),
            "rms_circuit_error_lsb": float(np.sqrt(np.mean(ec**2))),
            "gain": gain,
            "rms_after_gain_lsb": float(np.sqrt(np.mean(resid**2))),
            "max_ideal_lsb": float(self.i_ideal_A.max() / self.design.i_lsb_A),
            "elapsed_s": self.elapsed_s,
        }


def measure_crossbar(
    design: DWCrossbarDesign,
    weights: ProgrammedWeights,
    inputs: InputSchedule,
    sim: SimResult,
) -> CrossbarResult:
    """Read the residues at the end of each input slot of :func:`crossbar_job`'s result.

    ``inputs.vectors`` are the binary word-line vectors the job applied (for multi-bit
    layers, the expanded bits); the ideal uses them with the design's ratios and groups.
    """
    tr = sim.plot("tran")
    ts = inputs.sample_times_s()
    i_out = np.stack(
        [
            np.interp(ts, tr["time"], tr[f"i({residue_source(g).lower()})"])
            for g in range(1, design.n_outputs + 1)
        ],
        axis=1,
    )
    x = np.asarray(inputs.vectors)
    ideal = design.ideal_residue_A(x, weights.levels, weights.offset_levels)
    prog = design.residue_from_positions_A(x, weights.positions, weights.offset_positions)
    return CrossbarResult(
        design, weights, x, i_out, ideal, prog, sim.elapsed_s, slot_energies_J(design, inputs, sim)
    )


def slot_energies_J(
    design: DWCrossbarDesign, inputs: InputSchedule, sim: SimResult
) -> NDArray[np.float64]:
    """Energy drawn from V_DD (bit-line clamps) and the word-line drivers in each input slot, J.

    The buffer amplifiers and mirrors are behavioural: their own bias power is not included.
    """
    from spinspice.netlists.circuit import Dc

    tr = sim.plot("tran")
    t = tr["time"]
    vdd = design.technology.vdd_V
    p = vdd * -tr["i(vvdd)"]
    for i in range(design.rows):
        wf = inputs.word_line(i, vdd)
        if isinstance(wf, Dc):
            v = np.full_like(t, float(wf.value))  # type: ignore[arg-type]
        else:
            pts = np.asarray(wf.points)
            v = np.interp(t, pts[:, 0], pts[:, 1])
        p = p + v * -tr[f"i(vwl{i + 1})"]
    n = np.asarray(inputs.vectors).shape[0]
    out = np.empty(n)
    for k in range(n):
        a, b = k * inputs.slot_s, (k + 1) * inputs.slot_s
        sel = (t >= a) & (t <= b)
        out[k] = float(np.trapezoid(p[sel], t[sel]))
    return out


def run_crossbar(
    design: DWCrossbarDesign,
    engine: Engine,
    models: DWModels,
    *,
    n_vectors: int,
    seed: int,
    variation: bool = True,
    slot_s: float = 1e-9,
) -> CrossbarResult:
    """Random weights and binary inputs from ``seed``, programmed with (``variation``) or
    without device variation, read in one transient."""
    levels, x = random_problem(design, n_vectors, seed)
    weights = program(design, levels, seed + 1 if variation else None)
    inputs = InputSchedule(vectors=x, slot_s=slot_s)
    sim = run_one(engine, crossbar_job(design, weights, inputs, models))
    return measure_crossbar(design, weights, inputs, sim)


# ------------------------------------------------------------------ ADC


@dataclass(frozen=True, slots=True)
class AdcResult:
    """Racetrack codes vs input current."""

    racetrack: RacetrackParams
    i_in_A: NDArray[np.float64]
    code: NDArray[np.int64]
    code_law: NDArray[np.int64]
    i_offset_A: float

    def table(self) -> pd.DataFrame:
        """One row per input current."""
        import pandas as pd

        return pd.DataFrame(
            {
                "i_in_A": self.i_in_A,
                "code": self.code,
                "code_law": self.code_law,
                "i_offset_A": self.i_offset_A,
            }
        )

    @property
    def monotonic(self) -> bool:
        """True if the code never decreases with the (sorted) input current."""
        order = np.argsort(self.i_in_A)
        return bool(np.all(np.diff(self.code[order]) >= 0))

    def transitions_A(self) -> NDArray[np.float64]:
        """Input current of each transition into code k = 1 … max (midpoint between the last
        input below and the first at or above it; NaN if the code never appears)."""
        order = np.argsort(self.i_in_A)
        i, c = self.i_in_A[order], self.code[order]
        out = np.full(self.racetrack.max_code, np.nan)
        for k in range(1, self.racetrack.max_code + 1):
            idx = np.flatnonzero(c >= k)
            if idx.size and idx[0] > 0:
                out[k - 1] = 0.5 * (i[idx[0] - 1] + i[idx[0]])
        return out

    def linearity(self) -> pd.DataFrame:
        """DNL and INL per code (LSB = the ideal current step i_lsb_A).

        INL of transition k: ``(T_k − T_ideal,k)/LSB`` with ``T_ideal,k = I_th − I_offset +
        (k − ½)·LSB``; DNL of code k (1 … max−1): ``(T_{k+1} − T_k)/LSB − 1``.
        """
        import pandas as pd

        r = self.racetrack
        lsb = r.i_lsb_A
        t = self.transitions_A()
        k = np.arange(1, r.max_code + 1)
        ideal = r.strip.i_th_A - self.i_offset_A + (k - 0.5) * lsb
        dnl = np.append(np.diff(t) / lsb - 1.0, np.nan)
        return pd.DataFrame(
            {
                "code": k,
                "transition_A": t,
                "ideal_transition_A": ideal,
                "inl_lsb": (t - ideal) / lsb,
                "dnl_lsb": dnl,
            }
        )

    @property
    def knee_A(self) -> float:
        """Residue current where the code leaves 0 (first transition − ½ LSB), A."""
        return float(self.transitions_A()[0] - 0.5 * self.racetrack.i_lsb_A)


def run_adc(
    r: RacetrackParams,
    engine: Engine,
    models: DWModels,
    currents_A: Sequence[float] | NDArray[np.float64],
    *,
    offset: Any = None,
) -> AdcResult:
    """Convert each current (one converter each, one deck); ``offset``: a
    :class:`~spinspice.array_builder.dw_devices.ThresholdOffset` or None."""
    bench = AdcBench(currents_A=tuple(float(i) for i in currents_A), offset=offset)
    tr = run_one(engine, adc_job(r, bench, models)).plot("tran")
    g_mid = 0.5 * (r.strip.g_p_S + r.strip.g_ap_S)
    codes = np.array(
        [
            sum(
                int(tr[f"i({adc_head_source(k, b).lower()})"][-1] / bench.v_read_V < g_mid) << b
                for b in range(r.bits)
            )
            for k in range(len(bench.currents_A))
        ],
        dtype=np.int64,
    )
    i_off = offset.current_A(r.strip) if offset is not None else 0.0
    i = np.asarray(bench.currents_A)
    return AdcResult(r, i, codes, r.relu_code(i, i_off), i_off)


# ------------------------------------------------------------------ recurrent


def run_recurrent(
    p: DWParams,
    engine: Engine,
    models: DWModels,
    bench: RecurrentBench,
    *,
    y_threshold: float = 0.5,
) -> pd.DataFrame:
    """State trajectory over the cycles and the neuron's output.

    ``expected_x`` sums the law's per-cycle displacements (seed 004 eq. 1 at the cycle's
    total current, residue + offset, edges included) with the end stops; ``output`` is the
    sense decision on the simulated read conductance (wall past ``y_threshold``).
    """
    import pandas as pd

    if not 0.0 < y_threshold < 1.0:
        raise ParameterError("y_threshold must be in (0, 1)")
    tr = run_one(engine, recurrent_job(p, bench, models)).plot("tran")
    x_all = position_from_read(p, -tr["i(vrd)"], bench.v_read_V)
    xs = np.interp(bench.sample_times_s(), tr["time"], x_all)
    i_off = bench.offset.current_A(p) if bench.offset is not None else 0.0
    expected = []
    y = bench.y0
    for i in bench.currents_A:
        tot = i + i_off
        w = effective_width_s(bench.t_cycle_s, bench.edge_s, tot, p.i_th_A)
        y = min(max(y + float(displacement(p, tot, w)), 0.0), 1.0)
        expected.append(y)
    exp = np.asarray(expected)
    return pd.DataFrame(
        {
            "cycle": np.arange(1, len(xs) + 1),
            "x": xs,
            "expected_x": exp,
            "output": (xs > y_threshold).astype(int),
            "expected_output": (exp > y_threshold).astype(int),
            "i_in_A": np.asarray(bench.currents_A),
            "i_offset_A": i_off,
        }
    )


# ------------------------------------------------------------------ vote


def run_vote(
    design: VoteDesign, engine: Engine, trials: Sequence[VoteTrial], *, stop_s: float | None = None
) -> pd.DataFrame:
    """Simulate every trial (one deck) and judge the winner.

    ``winner_simulated`` is the only candidate whose inverter output ended low (−1 if none
    or several did). ``margin_s``: how much longer the expected runner-up would still have
    needed to reach the winner's switching voltage when the switches opened, from its
    voltage deficit and its charging slope just before (NaN if it also flipped).
    ``t_flip_s``: time from EN to the winner's output falling through V_DD/2.
    """
    import pandas as pd

    if stop_s is None:  # the weakest winner, charging ~20 fF to ~0.6 V, plus margin
        i_min = min(max(t.currents_A) for t in trials)
        stop_s = design.t_enable_s + 3.0 * 20e-15 * 0.6 / i_min
    tr = run_one(engine, vote_job(design, trials, stop_s=stop_s)).plot("tran")
    t = tr["time"]
    vdd = design.technology.vdd_V
    rows = []
    for n, trial in enumerate(trials):
        cur = np.asarray(trial.currents_A)
        order = np.argsort(cur)[::-1]
        w, ru = int(order[0]), int(order[1])
        low = [j for j in range(cur.size) if tr[f"v({vote_out_node(n, j)})"][-1] < vdd / 2]
        sim_w = low[0] if len(low) == 1 else -1
        o = tr[f"v({vote_out_node(n, w)})"]
        fell = np.flatnonzero(o < vdd / 2)
        margin = t_flip = float("nan")
        if fell.size:
            kf = int(fell[0])
            t_flip = float(t[kf] - design.t_enable_s)
            v_flip = float(tr[f"v({vote_cap_node(n, w)})"][kf])
            q2 = tr[f"v({vote_cap_node(n, ru)})"]
            k0 = max(int(np.searchsorted(t, t[kf] - 0.05 * t_flip)), 1)
            slope = (q2[kf] - q2[k0]) / (t[kf] - t[k0])
            if ru not in low and slope > 0:
                margin = float((v_flip - q2[-1]) / slope)
        rows.append(
            {
                "trial": n,
                "winner_expected": w,
                "winner_simulated": sim_w,
                "margin_s": margin,
                "ratio": float(cur[w] / cur[ru]),
                "i_top_A": float(cur[w]),
                "t_flip_s": t_flip,
                "n_low": len(low),
            }
        )
    return pd.DataFrame(rows)


def vote_trials(k: int, ratios: Sequence[float], *, i_top_A: float, seed: int) -> list[VoteTrial]:
    """One trial per ratio: the winner (random position) at ``i_top_A``, the runner-up at
    ``i_top_A/ratio``, the other candidates uniform in [0.3, 0.9]·runner-up."""
    if k < MIN_VOTE_CANDIDATES:
        raise ParameterError("a vote needs at least 2 inputs")
    rng = np.random.default_rng(seed)
    trials = []
    for r in ratios:
        if r <= 1.0:
            raise ParameterError("current ratios must be > 1")
        c = np.empty(k)
        ru = i_top_A / r
        c[:] = ru * rng.uniform(0.3, 0.9, k)
        pos = rng.permutation(k)
        c[pos[0]] = i_top_A
        c[pos[1]] = ru
        trials.append(VoteTrial(currents_A=tuple(float(v) for v in c)))
    return trials


# ------------------------------------------------------------------ plots


def _save(fig: Any, target: Any) -> None:
    from pathlib import Path

    from spinspice.analysis.tables import write_atomic

    fmt = Path(str(target)).suffix.lstrip(".").lower() or "png"
    write_atomic(target, lambda p: fig.savefig(p, format=fmt, dpi=130, bbox_inches="tight"))


def plot_synapse(df: pd.DataFrame, target: Any) -> None:
    """Conductance vs pulse count, one curve per width (simulated: markers; law: lines)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for w_s, g in df.groupby("width_s"):
        w = float(w_s)  # type: ignore[arg-type]
        (ln,) = ax.plot(g["pulse"], g["g_law_S"] * 1e6, "-", lw=1)
        ax.plot(
            g["pulse"], g["g_S"] * 1e6, "o", ms=3, color=ln.get_color(), label=f"{w * 1e9:g} ns"
        )
    ax.set_xlabel("pulse")
    ax.set_ylabel("G (µS)")
    ax.set_title(f"DW synapse, I = {df['i_A'].iloc[0] * 1e6:g} µA (markers ngspice, lines eq. 1)")
    ax.legend(title="width", fontsize=8)
    _save(fig, target)
    plt.close(fig)


def plot_crossbar(res: CrossbarResult, target: Any) -> None:
    """Simulated vs ideal dot products, and the error histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lsb = res.design.i_lsb_A
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6))
    a.plot(res.i_ideal_A.ravel() / lsb, res.i_out_A.ravel() / lsb, ".", ms=2)
    hi = float(res.i_ideal_A.max() / lsb)
    a.plot([0, hi], [0, hi], "k-", lw=0.8)
    a.set_xlabel("ideal x·W (LSB)")
    a.set_ylabel("simulated residue (LSB)")
    a.set_title(f"DW crossbar {res.design.rows}x{res.design.cols}, {res.x.shape[0]} vectors")
    b.hist(res.error_lsb.ravel(), bins=40, alpha=0.7, label="vs ideal x·W")
    b.hist(res.error_circuit_lsb.ravel(), bins=40, alpha=0.7, label="vs programmed walls")
    b.set_xlabel("error (LSB)")
    b.legend(fontsize=8)
    _save(fig, target)
    plt.close(fig)


def plot_adc(res: AdcResult, target: Any) -> None:
    """Code vs input current (simulated and law)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.step(res.i_in_A * 1e6, res.code_law, where="post", color="0.6", label="law")
    ax.plot(res.i_in_A * 1e6, res.code, ".", ms=3, label="ngspice")
    ax.set_xlabel("input current (µA)")
    ax.set_ylabel("code")
    ax.set_title(
        "3-bit racetrack converter"
        + (f", I_offset = {res.i_offset_A * 1e6:.2f} µA" if res.i_offset_A else "")
    )
    ax.legend(fontsize=8)
    _save(fig, target)
    plt.close(fig)


def plot_vote(df: pd.DataFrame, target: Any) -> None:
    """Margin vs current ratio, failures marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ok = df["winner_simulated"] == df["winner_expected"]
    ax.semilogx(df["ratio"][ok] - 1, df["margin_s"][ok] * 1e9, "o", label="correct winner")
    ax.semilogx(df["ratio"][~ok] - 1, np.zeros(int((~ok).sum())), "rx", label="wrong / tie")
    ax.set_xlabel("I_1/I_2 − 1")
    ax.set_ylabel("time margin (ns)")
    ax.set_title("time-domain majority vote")
    ax.legend(fontsize=8)
    _save(fig, target)
    plt.close(fig)


def plot_recurrent(df: pd.DataFrame, target: Any, y_threshold: float = 0.5) -> None:
    """State trajectory over the cycles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.plot(df["cycle"], df["expected_x"], "-", color="0.6", label="sum of eq. 1 steps")
    ax.plot(df["cycle"], df["x"], "o", ms=4, label="ngspice")
    ax.axhline(y_threshold, color="r", lw=0.8, ls="--", label="read threshold")
    ax.set_xlabel("cycle")
    ax.set_ylabel("wall position X")
    ax.set_title("recurrent DW neuron")
    ax.legend(fontsize=8)
    _save(fig, target)
    plt.close(fig)


# ------------------------------------------------------------------ binary-threshold neuron


def binary_threshold_A(p: DWParams, t_eval_s: float, y_threshold: float) -> float:
    """Current at which a DW neuron starting at X = 0 just reaches ``y_threshold`` in
    ``t_eval_s``: ``I_th + y_thr·L·A/(u·T)`` (seed 004 eq. 1), A."""
    return p.i_th_A + y_threshold * p.length_m * p.area_m2 / (p.mobility_m3_per_As * t_eval_s)


def run_binary_neuron(
    p: DWParams,
    engine: Engine,
    models: DWModels,
    currents_A: Sequence[float],
    *,
    t_eval_s: float = 20e-9,
    y_threshold: float = 0.5,
) -> pd.DataFrame:
    """The binary-threshold DW neuron as a current comparator (seed 004 §III.B): each
    current flows for ``t_eval_s`` into a fresh neuron (X = 0, no offset device); the output
    is the read decision X > ``y_threshold``. One transient per current."""
    import pandas as pd

    rows = []
    i_star = binary_threshold_A(p, t_eval_s, y_threshold)
    for i in currents_A:
        bench = RecurrentBench(currents_A=(float(i),), t_cycle_s=t_eval_s, y0=0.0)
        df = run_recurrent(p, engine, models, bench, y_threshold=y_threshold)
        rows.append(
            {
                "i_in_A": float(i),
                "x": float(df["x"].iloc[0]),
                "output": int(df["output"].iloc[0]),
                "expected_output": int(df["expected_output"].iloc[0]),
                "i_threshold_A": i_star,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ RLNN layer in circuit


@dataclass(frozen=True, slots=True)
class RlnnLayerResult:
    """Racetrack codes of a crossbar's neurons, simulated with the crossbar in one deck,
    against the law applied to the ideal neuron currents and to the currents the same
    crossbar gives into 0 V sinks (a second deck)."""

    code: NDArray[np.int64]
    code_ideal: NDArray[np.int64]
    code_from_sim_current: NDArray[np.int64]
    i_sim_A: NDArray[np.float64]
    i_ideal_A: NDArray[np.float64]

    def table(self) -> pd.DataFrame:
        """One row per (vector, neuron)."""
        import pandas as pd

        v, c = np.meshgrid(
            np.arange(self.code.shape[0]), np.arange(1, self.code.shape[1] + 1), indexing="ij"
        )
        return pd.DataFrame(
            {
                "vector": v.ravel(),
                "neuron": c.ravel(),
                "code": self.code.ravel(),
                "code_ideal": self.code_ideal.ravel(),
                "code_from_sim_current": self.code_from_sim_current.ravel(),
                "i_neuron_A": self.i_sim_A.ravel(),
                "i_ideal_A": self.i_ideal_A.ravel(),
            }
        )


def run_rlnn_layer(
    design: DWCrossbarDesign,
    engine: Engine,
    models: DWModels,
    *,
    n_vectors: int,
    seed: int,
    adc: Any = None,
) -> RlnnLayerResult:
    """Random weights/inputs (``seed``), ideal programming; neurons = racetrack converters."""
    from spinspice.array_builder.dw_crossbar import AdcNeurons, adc_head_source

    adc = adc if adc is not None else AdcNeurons()
    levels, x = random_problem(design, n_vectors, seed)
    weights = program(design, levels, None)
    sched = adc.schedule(x)
    job = crossbar_job(design, weights, sched, models, adc)
    sink = crossbar_job(design, weights, InputSchedule(vectors=x), models)
    res_adc, res_sink = engine.run([job, sink])
    tr = res_adc.plot("tran")
    ts = adc.read_times_s(n_vectors)
    r = adc.racetrack
    g_mid = 0.5 * (r.strip.g_p_S + r.strip.g_ap_S)
    code = np.zeros((n_vectors, design.n_outputs), dtype=np.int64)
    for g in range(1, design.n_outputs + 1):
        for b in range(r.bits):
            i_h = np.interp(ts, tr["time"], tr[f"i({adc_head_source(g, b).lower()})"])
            code[:, g - 1] += (i_h / adc.v_read_V < g_mid).astype(np.int64) << b
    sim = measure_crossbar(design, weights, InputSchedule(vectors=x), res_sink)
    return RlnnLayerResult(
        code, r.code(sim.i_ideal_A), r.code(sim.i_out_A), sim.i_out_A, sim.i_ideal_A
    )
