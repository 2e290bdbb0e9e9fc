"""Recurrent DW neurons vs a time-lagged spin BTNN on a frequency-detection task (seed 004 Fig. 9).

Task (seed 004 §IV, Fig. 9(a): "a mixed phoneme waveform in which one specific frequency needs
to be recognized, and the output of the neural network remains high once detecting this
specific frequency")
-----------------------------------------------------------------------------------------
:func:`make_sequences` draws, from a seed, sequences of ``cycles`` frames of
``frame_samples`` samples each (one frame per network cycle). Every sequence mixes 1 … 3
distractor tones (random frequency outside a band around the target, random amplitude and
phase) with white noise. In half of the sequences (``p_target``) the target tone (a
frequency of ``target_periods`` periods per frame, detuned per sequence by up to
``detune``, random phase and amplitude) is present for a burst of whole frames starting at a
random onset; it may stop before the sequence ends. The waveform is divided by
``full_scale`` and clipped to [−1, 1], then quantised to 3-bit offset-binary input codes
u = round(3.5·(1 + s)) ∈ 0 … 7 (the multi-bit inputs of seed 004 Fig. 6).

Label of cycle t: 1 once the target has been present for ``latency`` cycles
(t ≥ onset + latency − 1), and it **stays 1** to the end of the sequence, after the burst
too. The cycles onset … onset + latency − 2 are not scored (the network is allowed
``latency`` cycles to detect). Scores (:func:`score`): accuracy over the scored cycles,
accuracy per sequence (every scored cycle right), and the always-off baseline (the fraction
of scored cycles labelled 0).

Weights (both nets)
-------------------
4-bit DW synapses as in :mod:`spinspice.training.dw_nets`, but signed: the waveform is
signed, so each weight is a **differential pair** of DW synapses on two bit lines whose
residues are subtracted (the current-subtraction node of seed 004 Fig. 4 used twice),
w = (ℓ⁺ − ℓ⁻)/15 with levels ℓ± ∈ 0 … 15, one of them 0. The hardware evaluation programs
every level by pulse width with the preset's device-to-device and pulse-to-pulse variation
(:func:`~spinspice.spintronic_cells.domain_wall.program_positions`, seeded).

Recurrent DW net (seed 004 Fig. 4: Y_t = f(y_{t−1} + x_t·w))
--------------------------------------------------------------
Hidden neuron k is a recurrent DW neuron. Each cycle its column delivers the residue
current

    I_k,t = g · Σ_i s_i,t · W_k,i + I_b,

(``g`` = mirror gain in A per unit of Σ s·W, ``I_b`` its threshold-offset device; the constant
part 3.5·Σ_i W_k,i of the offset-binary inputs is cancelled by the same device). The wall
moves by the device law of seed 004 eq. 1,
:func:`~spinspice.spintronic_cells.domain_wall.move` (``move(p, y, I, T)``): ΔY ∝
sign(I)·max(|I| − I_th, 0)·T, clipped at the end stops [0, 1], with the displacement's
device-to-device and cycle-to-cycle variation (the pulse width scaled by (1 + σ_d2d·z)(1 +
σ_p2p·z)). The hidden output is h_k,t = [Y_k,t > y_thr]. The output neuron is a second
recurrent DW neuron fed by the hidden outputs (weight 15/15 each, a current I_o per active
hidden neuron): its input is never negative, so once its wall has passed its threshold it
stays there — the output latches ("remains high once detecting").

The design (:func:`design_rnn`) is derived, not trained. Neuron k's weights are a sinusoid
template at the target frequency and phase φ_k = 2πk/H: W_k,i = cos(2π·m·i/F + φ_k), m =
``target_periods``. Over one frame a target of amplitude A and phase θ projects to
Σ s·W ≈ (A·F/2)·cos(θ − φ_k); tones at other frequencies and the noise project to a
zero-mean term of standard deviation σ_p. The dead zone (|I| ≤ I_th: no motion) and the
end stop at 0 rectify, so each wall integrates the positive part of its projection above
the dead zone: with the bias this is a variant of Page's CUSUM change detector (S_t =
max(0, S_{t−1} + p_t − k), alarm at S > h) with a dead band, in device physics. With
H = 3 phases the largest of cos(θ − 2πk/3) is ≥ cos 60° = 0.5 for every θ (H = 1: ≥ −1;
H = 2: |cos θ| ≥ 0; H = 4: ≥ 0.71), so three neurons cover every target phase (the sum of
the positive parts varies only between 0.87 and 1; our output takes the largest, through the
OR of the output neuron). The per-sequence detune turns the phase slowly from frame to
frame, which hands the detection from one neuron to the next.

The physical knobs are the mirror gain g, the bias I_b and the cycle time T; in projection
units they set the step gain κ = u·T·g/(A·L) (per unit of Σ s·W above the dead zone) and the
dead zone edges τ_up = (I_th − I_b)/g, τ_down = (I_th + I_b)/g. :func:`design_rnn` starts
from the CUSUM rule (τ_up at half the worst-phase target projection of the weakest target;
κ so that it reaches y_thr in ``latency`` cycles) and then calibrates the two scale factors
of (τ_up, κ) on a grid by the training-set accuracy (:func:`calibrate_rnn`). Seed 004
§III.B names the threshold-offset device a recurrent neuron needs (our I_b); the seed
describes no training or design of its recurrent net, so this design is ours.

Time-lagged BTNN (seed 004 §III.A: "shift registers at the inputs")
-------------------------------------------------------------------
A feed-forward spin BTNN sees, in cycle t, the current frame and ``delays`` earlier frames
held in shift registers ((delays + 1)·F inputs, zeros before the sequence starts), with
``hidden`` binary-threshold DW neurons and one binary output neuron. Trained with Adam on the
binary cross-entropy of the scored cycles, quantised forward passes and straight-through
gradients (as :mod:`spinspice.training.dw_nets`); the output neuron's offset is then
set to the value that maximises the training accuracy (:func:`calibrate_output`).

Units: SI (A, s); projections and weights are dimensionless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.domain_wall import (
    DW_PRESETS,
    DWParams,
    Programming,
    move,
    program_positions,
)

if TYPE_CHECKING:
    import pandas as pd

F = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]
ArrayLikeInt = Any
#: Dimensions of a weight matrix (hidden, frame).
WEIGHT_NDIM: Final = 2

#: Weight bits of the DW synapses (seed 004 Table I: 4-bit weights).
WEIGHT_BITS: Final = 4
#: Input-code bits (seed 004 Fig. 6: 3-bit inputs through 1x/2x/4x mirrors).
INPUT_BITS: Final = 3
#: Half the input code range: u = round(HALF_CODE·(1 + s)), s ∈ [−1, 1].
HALF_CODE: Final = ((1 << INPUT_BITS) - 1) / 2
#: Most cycles of a sequence; our choice: bounds the study's arrays.
MAX_CYCLES: Final = 200
#: Most samples of one frame; our choice: bounds the crossbar rows ((delays + 1) x frame).
MAX_FRAME_SAMPLES: Final = 256
#: Most hidden neurons of either net in this study; our choice.
MAX_HIDDEN: Final = 256
#: Most shift-register delays of the time-lagged net; our choice.
MAX_DELAYS: Final = 64
#: Output-neuron current per active hidden neuron, A; our choice: with T = 5 ns it moves the
#: output wall (0 -> 0.69 of the track, eq. 1) past its 0.5 threshold in one cycle.
OUTPUT_CURRENT_A: Final = 60e-6
#: Cycle time of the recurrent neurons (flat top of the residue current), s; our choice:
#: 5 ns gives a step of 0.013 of the track per uA above I_th with the preset.
CYCLE_TIME_S: Final = 5e-9


def _int_in(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise ParameterError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")
    return int(value)


def _float_in(name: str, value: object, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if not lo <= value <= hi:
        raise ParameterError(f"{name} must be in {lo}..{hi}, got {value!r}")
    return float(value)


# ------------------------------------------------------------------ task


@dataclass(frozen=True, slots=True, kw_only=True)
class PhonemeTask:
    """The synthetic "phoneme" detection task (module docstring). All our choices.

    Parameters
    ----------
    frame_samples:
        Samples per frame (= per network cycle), F. Default 16.
    target_periods:
        Periods of the target tone per frame, m (target frequency m/F per sample). Default 2.
    cycles:
        Frames per sequence, N. Default 16.
    latency:
        Cycles the network may take to detect (label 1 from the latency-th target cycle on).
        Default 5 (seed 004: "3 hidden neurons and 5 cycles").
    p_target:
        Probability that a sequence holds the target. Default 0.5.
    target_amplitude:
        Range of the target amplitude (before ``full_scale``). Default (0.3, 0.6).
    distractors:
        Range of the number of distractor tones. Default (1, 3).
    distractor_amplitude:
        Range of each distractor's amplitude. Default (0.2, 0.6).
    distractor_periods:
        Range of the distractors' periods per frame. Default (0.5, 6.0).
    guard_periods:
        Distractors stay this far (periods per frame) from the target. Default 0.75.
    noise:
        Standard deviation of the white noise. Default 0.3.
    detune:
        Largest relative detune of the target per sequence. Default 0.02.
    full_scale:
        The waveform is divided by this and clipped to [−1, 1]. Default 2.0.
    """

    frame_samples: int = 16
    target_periods: int = 2
    cycles: int = 16
    latency: int = 5
    p_target: float = 0.5
    target_amplitude: tuple[float, float] = (0.3, 0.6)
    distractors: tuple[int, int] = (1, 3)
    distractor_amplitude: tuple[float, float] = (0.2, 0.6)
    distractor_periods: tuple[float, float] = (0.5, 6.0)
    guard_periods: float = 0.75
    noise: float = 0.3
    detune: float = 0.02
    full_scale: float = 2.0

    def __post_init__(self) -> None:
        _int_in("frame_samples", self.frame_samples, 4, MAX_FRAME_SAMPLES)
        _int_in("target_periods", self.target_periods, 1, self.frame_samples // 2 - 1)
        _int_in("cycles", self.cycles, 2, MAX_CYCLES)
        _int_in("latency", self.latency, 1, self.cycles - 1)
        _float_in("p_target", self.p_target, 0.0, 1.0)
        for name in ("target_amplitude", "distractor_amplitude", "distractor_periods"):
            lo, hi = getattr(self, name)
            _float_in(name, lo, 0.0, 1e3)
            _float_in(name, hi, lo, 1e3)
        lo_d, hi_d = self.distractors
        _int_in("distractors", lo_d, 0, 16)
        _int_in("distractors", hi_d, lo_d, 16)
        if self.distractor_periods[1] >= self.frame_samples / 2:
            raise ParameterError("distractor_periods must stay below the Nyquist limit F/2")
        _float_in("guard_periods", self.guard_periods, 0.0, self.frame_samples / 2)
        _float_in("noise", self.noise, 0.0, 1e3)
        _float_in("detune", self.detune, 0.0, 0.5)
        _float_in("full_scale", self.full_scale, 1e-6, 1e6)


@dataclass(frozen=True, slots=True, kw_only=True)
class PhonemeSet:
    """Sequences of one draw.

    ``signal`` (n, N, F) waveform after scaling and clipping, in [−1, 1]; ``codes`` (n, N, F)
    3-bit input codes; ``s`` (n, N, F) the quantised signed inputs (codes/3.5 − 1);
    ``present`` (n, N) target present in the frame; ``labels`` (n, N) 0/1; ``scored``
    (n, N); ``onset`` (n,) first target cycle (−1: none); ``phase`` (n,) target phase, rad;
    ``amplitude`` (n,) target amplitude (0: none).
    """

    task: PhonemeTask
    signal: F
    codes: I64
    s: F
    present: B
    labels: I64
    scored: B
    onset: I64
    phase: F
    amplitude: F

    @property
    def n(self) -> int:
        """Number of sequences."""
        return int(self.codes.shape[0])


def labels_for(task: PhonemeTask, onset: I64) -> tuple[I64, B]:
    """Labels and scored-cycle mask for the given onsets (−1: no target)."""
    t = np.arange(task.cycles)[None, :]
    on = onset[:, None]
    has = on >= 0
    labels = (has & (t >= on + task.latency - 1)).astype(np.int64)
    grace = has & (t >= on) & (t < on + task.latency - 1)
    return labels, ~grace


def make_sequences(task: PhonemeTask, n: int, seed: int) -> PhonemeSet:
    """``n`` sequences of the task, deterministic per ``seed`` (module docstring)."""
    _int_in("n", n, 1, 1_000_000)
    rng = np.random.default_rng([int(seed), 0x9E0])
    nf, fs = task.cycles, task.frame_samples
    idx = np.arange(nf * fs, dtype=float)  # sample index over the sequence
    sig = rng.normal(0.0, task.noise, (n, nf * fs))
    lo_f, hi_f = task.distractor_periods
    for q in range(n):
        k = int(rng.integers(task.distractors[0], task.distractors[1] + 1))
        for _ in range(k):
            while True:
                f = float(rng.uniform(lo_f, hi_f))
                if abs(f - task.target_periods) >= task.guard_periods:
                    break
            a = float(rng.uniform(*task.distractor_amplitude))
            sig[q] += a * np.cos(2 * np.pi * f * idx / fs + rng.uniform(0, 2 * np.pi))
    has = rng.random(n) < task.p_target
    onset = np.full(n, -1, dtype=np.int64)
    phase = np.zeros(n)
    amp = np.zeros(n)
    present = np.zeros((n, nf), dtype=bool)
    for qa in np.flatnonzero(has):
        q = int(qa)
        on = int(rng.integers(0, nf - task.latency + 1))
        dur = int(rng.integers(task.latency, nf - on + 1))
        onset[q] = on
        phase[q] = float(rng.uniform(0, 2 * np.pi))
        amp[q] = float(rng.uniform(*task.target_amplitude))
        f = task.target_periods * (1.0 + float(rng.uniform(-task.detune, task.detune)))
        present[q, on : on + dur] = True
        gate = np.repeat(present[q], fs).astype(float)
        sig[q] += gate * amp[q] * np.cos(2 * np.pi * f * idx / fs + phase[q])
    s = np.clip(sig / task.full_scale, -1.0, 1.0).reshape(n, nf, fs)
    codes = np.clip(np.round(HALF_CODE * (1.0 + s)), 0, 2 * HALF_CODE).astype(np.int64)
    labels, scored = labels_for(task, onset)
    return PhonemeSet(
        task=task,
        signal=s,
        codes=codes,
        s=codes / HALF_CODE - 1.0,
        present=present,
        labels=labels,
        scored=scored,
        onset=onset,
        phase=phase,
        amplitude=amp,
    )


def score(pred: ArrayLikeInt, data: PhonemeSet) -> dict[str, float]:
    """Scored-cycle accuracy, sequence accuracy, always-off baseline, detection statistics.

    ``pred`` (n, N) binary outputs. ``detected`` is the fraction of target sequences whose
    output is 1 at the end; ``false_alarm`` the fraction of target-free sequences with an
    output 1 anywhere; ``mean_latency`` the mean number of target cycles until the first
    output 1 (detected sequences, counting the onset cycle as 1).
    """
    p = np.asarray(pred).astype(np.int64)
    if p.shape != data.labels.shape:
        raise ParameterError(f"pred must have shape {data.labels.shape}, got {p.shape}")
    ok = (p == data.labels) | ~data.scored
    m = data.scored
    has = data.onset >= 0
    fired = p.astype(bool)
    first = np.where(fired.any(axis=1), fired.argmax(axis=1), -1)
    lat = [first[q] - data.onset[q] + 1 for q in np.flatnonzero(has) if first[q] >= data.onset[q]]
    return {
        "accuracy": float(ok[m].mean()),
        "sequence_accuracy": float(ok.all(axis=1).mean()),
        "always_off_accuracy": float((data.labels[m] == 0).mean()),
        "always_off_sequence_accuracy": float((~has).mean()),
        "detected": float(p[has, -1].mean()) if has.any() else float("nan"),
        "false_alarm": float(fired[~has].any(axis=1).mean()) if (~has).any() else float("nan"),
        "mean_latency": float(np.mean(lat)) if lat else float("nan"),
    }


# ------------------------------------------------------------------ signed DW weights


def quantise_signed(w: F, bits: int = WEIGHT_BITS) -> F:
    """Nearest signed level (ℓ⁺ − ℓ⁻)/(2^bits − 1) in [−1, 1] of a differential pair."""
    n = (1 << bits) - 1
    out: F = np.round(np.clip(w, -1.0, 1.0) * n) / n
    return out


def programmed_signed(
    w: F, strip: DWParams, rng: np.random.Generator, bits: int = WEIGHT_BITS
) -> F:
    """Effective signed weights after programming both synapses of every pair with variation.

    The positive synapse holds level ℓ⁺ = max(ℓ, 0), the negative ℓ⁻ = max(−ℓ, 0); each is
    programmed by pulse width (seed 004 §III.B) with the preset's variation; the weight is
    (1 − X⁺) − (1 − X⁻).
    """
    prog = Programming(bits=bits)
    n = prog.n_levels - 1
    lv = np.round(np.clip(w, -1.0, 1.0) * n).astype(np.int64)
    wp = 1.0 - program_positions(strip, prog, np.maximum(lv, 0), rng)
    wn = 1.0 - program_positions(strip, prog, np.maximum(-lv, 0), rng)
    out: F = wp - wn
    return out


# ------------------------------------------------------------------ recurrent DW net


@dataclass(frozen=True, slots=True, kw_only=True)
class RnnDesign:
    """A recurrent DW net: H template neurons and the latching output neuron.

    Parameters
    ----------
    weights:
        (H, F) signed weights in [−1, 1] (quantised to the differential 4-bit levels on use).
    gain_A:
        Mirror gain g: residue current per unit of Σ s·W, A.
    bias_A:
        Threshold-offset current I_b added to every hidden residue, A (may be negative).
    t_cycle_s:
        Time the residue flows per cycle, s.
    y_threshold:
        Hidden read threshold (output 1 while Y > y_threshold).
    output_current_A:
        Current into the output neuron per active hidden neuron, A.
    strip:
        DW device parameters (preset ``seed004-dw``).
    """

    weights: F
    gain_A: float
    bias_A: float
    t_cycle_s: float = CYCLE_TIME_S
    y_threshold: float = 0.5
    output_current_A: float = OUTPUT_CURRENT_A
    strip: DWParams = field(default_factory=lambda: DW_PRESETS["seed004-dw"])

    def __post_init__(self) -> None:
        w = np.asarray(self.weights)
        if w.ndim != WEIGHT_NDIM or not 1 <= w.shape[0] <= MAX_HIDDEN or not np.all(np.isfinite(w)):
            raise ParameterError("weights must be a finite (hidden, frame) array")
        _float_in("gain_A", self.gain_A, 1e-12, 1e-2)
        _float_in("bias_A", self.bias_A, -1e-3, 1e-3)
        _float_in("t_cycle_s", self.t_cycle_s, 1e-12, 1e-6)
        _float_in("y_threshold", self.y_threshold, 1e-3, 0.999)
        _float_in("output_current_A", self.output_current_A, 0.0, 1e-3)

    @property
    def hidden(self) -> int:
        """Number of hidden neurons H."""
        return int(np.asarray(self.weights).shape[0])

    @property
    def step_per_A(self) -> float:
        """Normalised wall step per ampere above I_th in one cycle, 1/A: u·T/(A·L)."""
        p = self.strip
        return p.mobility_m3_per_As * self.t_cycle_s / (p.area_m2 * p.length_m)

    @property
    def tau_up(self) -> float:
        """Projection Σ s·W at which the wall starts to move up: (I_th − I_b)/g."""
        return (self.strip.i_th_A - self.bias_A) / self.gain_A

    @property
    def tau_down(self) -> float:
        """Projection below −tau_down moves the wall down: (I_th + I_b)/g."""
        return (self.strip.i_th_A + self.bias_A) / self.gain_A

    @property
    def kappa(self) -> float:
        """Wall step per unit of projection above the dead zone: u·T·g/(A·L)."""
        return self.step_per_A * self.gain_A


def template_weights(task: PhonemeTask, hidden: int) -> F:
    """Sinusoid templates at the target frequency, phases 2πk/H, quantised (H, F)."""
    _int_in("hidden", hidden, 1, MAX_HIDDEN)
    i = np.arange(task.frame_samples)
    ph = 2 * np.pi * np.arange(hidden) / hidden
    w = np.cos(2 * np.pi * task.target_periods * i[None, :] / task.frame_samples + ph[:, None])
    return quantise_signed(w)


@dataclass(frozen=True, slots=True)
class RnnRun:
    """Trajectories of one evaluation: hidden walls (n, N, H), hidden currents (n, N, H),
    hidden outputs (n, N, H), output wall (n, N) and output (n, N)."""

    y_hidden: F
    i_hidden_A: F
    h: I64
    y_out: F
    out: I64


def run_rnn(
    design: RnnDesign,
    data: PhonemeSet,
    *,
    rng: np.random.Generator | None = None,
) -> RnnRun:
    """Run the recurrent DW net over every sequence (module docstring).

    Without ``rng`` the weights are the quantised levels and the walls move exactly by
    the law; with it the weights are programmed with variation and every wall step carries
    the device-to-device and cycle-to-cycle variation of the preset.
    """
    p = design.strip
    w = quantise_signed(np.asarray(design.weights, dtype=float))
    hdim = design.hidden
    n, nc, _ = data.s.shape
    if rng is not None:
        w = programmed_signed(w, p, rng)
        d2d = 1.0 + p.sigma_d2d * rng.standard_normal(hdim)
        d2d_out = 1.0 + p.sigma_d2d * float(rng.standard_normal())
    else:
        d2d, d2d_out = np.ones(hdim), 1.0
    proj = data.s @ w.T  # (n, N, H): Σ_i s_i W_k,i
    cur = design.gain_A * proj + design.bias_A
    y = np.zeros((n, hdim))
    yo = np.zeros(n)
    ys = np.empty((n, nc, hdim))
    yos = np.empty((n, nc))
    for t in range(nc):
        f = d2d * (1.0 + p.sigma_p2p * rng.standard_normal((n, hdim))) if rng is not None else d2d
        y = move(p, y, cur[:, t], design.t_cycle_s * f)
        ys[:, t] = y
        h = (y > design.y_threshold).astype(float)
        fo = d2d_out * (1.0 + p.sigma_p2p * rng.standard_normal(n)) if rng is not None else 1.0
        yo = move(p, yo, design.output_current_A * h.sum(axis=1), design.t_cycle_s * fo)
        yos[:, t] = yo
    hs = (ys > design.y_threshold).astype(np.int64)
    return RnnRun(
        y_hidden=ys,
        i_hidden_A=cur,
        h=hs,
        y_out=yos,
        out=(yos > design.y_threshold).astype(np.int64),
    )


def projection_stats(task: PhonemeTask, data: PhonemeSet, weights: F) -> tuple[float, float]:
    """(σ_p, μ_min): std of the projections of target-free frames, and the projection of the
    weakest target at the worst phase of the template set, (A_min/full_scale)·(F/2)·max_k
    cos(π/H) scaled by the template's quantised norm."""
    w = quantise_signed(weights)
    proj = data.s @ w.T
    free = ~data.present
    sigma = float(proj[free].std())
    hdim = w.shape[0]
    worst = math.cos(math.pi / hdim) if hdim > 1 else 0.0
    norm = float(np.mean(np.sum(w * w, axis=1)))  # ≈ F/2 for a full-scale cosine
    mu = task.target_amplitude[0] / task.full_scale * norm * worst
    return sigma, mu


def design_rnn(
    task: PhonemeTask,
    hidden: int,
    *,
    tau_up: float,
    kappa: float,
    strip: DWParams | None = None,
    t_cycle_s: float = CYCLE_TIME_S,
) -> RnnDesign:
    """The physical design (g, I_b) realising the dead-zone edge and step gain in
    projection units: g = κ/(u·T/(A·L)), I_b = I_th − g·τ_up (the lower edge then follows,
    τ_down = (I_th + I_b)/g = 2·I_th/g − τ_up)."""
    p = strip if strip is not None else DW_PRESETS["seed004-dw"]
    w = template_weights(task, hidden)
    step = p.mobility_m3_per_As * t_cycle_s / (p.area_m2 * p.length_m)
    g = kappa / step
    bias = p.i_th_A - g * tau_up
    d = RnnDesign(weights=w, gain_A=g, bias_A=bias, t_cycle_s=t_cycle_s, strip=p)
    return d


def calibrate_rnn(
    task: PhonemeTask,
    hidden: int,
    train: PhonemeSet,
    *,
    strip: DWParams | None = None,
    t_cycle_s: float = CYCLE_TIME_S,
    tau_factors: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0),
    kappa_factors: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
) -> tuple[RnnDesign, dict[str, float]]:
    """CUSUM rule, then a grid of scale factors of (τ_up, κ) picked by training accuracy.

    Rule: τ_up = μ_min/2 (the CUSUM reference value for a drift μ_min, the weakest target at
    the worst template phase), κ = y_thr/(latency·(μ_min − τ_up)) (the wall reaches the
    threshold in ``latency`` cycles at that drift). Returns the chosen design and its
    training scores (+ the chosen factors).
    """
    if not tau_factors or not kappa_factors:
        raise ParameterError("give at least one tau factor and one kappa factor")
    w = template_weights(task, hidden)
    sigma, mu = projection_stats(task, train, w)
    mu = max(mu, sigma)  # H = 1, 2 have a zero worst case: fall back to the noise scale
    tau0 = mu / 2
    y_thr = 0.5
    k0 = y_thr / (task.latency * (mu - tau0))
    best: tuple[float, RnnDesign, dict[str, float]] | None = None
    for tf in tau_factors:
        for kf in kappa_factors:
            d = design_rnn(
                task, hidden, tau_up=tf * tau0, kappa=kf * k0, strip=strip, t_cycle_s=t_cycle_s
            )
            sc = score(run_rnn(d, train).out, train)
            if best is None or sc["accuracy"] > best[0]:
                best = (sc["accuracy"], d, {**sc, "tau_factor": tf, "kappa_factor": kf})
    if best is None:  # unreachable: both grids are non-empty
        raise ParameterError("empty calibration grid")
    return best[1], {**best[2], "sigma_p": sigma, "mu_min": mu}


# ------------------------------------------------------------------ time-lagged BTNN


def lagged_inputs(data: PhonemeSet, delays: int) -> F:
    """(n, N, (delays + 1)·F): the current frame and ``delays`` earlier ones (zeros before
    the start: cleared shift registers)."""
    _int_in("delays", delays, 0, MAX_DELAYS)
    n, nc, fs = data.s.shape
    out = np.zeros((n, nc, (delays + 1) * fs))
    for d in range(delays + 1):
        out[:, d:, d * fs : (d + 1) * fs] = data.s[:, : nc - d] if d < nc else 0.0
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class LaggedNet:
    """Time-lagged spin BTNN: w1 ((delays+1)·F, H), t1 (H,), w2 (H,), t2 (scalar)."""

    delays: int
    w1: F
    t1: F
    w2: F
    t2: float


def lagged_forward(net: LaggedNet, x: F, w1: F | None = None, w2: F | None = None) -> I64:
    """Binary output per cycle, (n, N)."""
    a = quantise_signed(net.w1) if w1 is None else w1
    b = quantise_signed(net.w2) if w2 is None else w2
    h = (x @ a - net.t1 > 0).astype(float)
    out: I64 = (h @ b - net.t2 > 0).astype(np.int64)
    return out


def train_lagged(
    train: PhonemeSet,
    *,
    delays: int,
    hidden: int,
    seed: int,
    epochs: int = 300,
    lr: float = 0.02,
) -> LaggedNet:
    """Adam, full batch, binary cross-entropy on the scored cycles, straight-through
    gradients through the binary hidden neurons (a box of half-width ``ste`` around the
    threshold, in units of the pre-activation's spread) and the 4-bit differential weights."""
    _int_in("hidden", hidden, 1, MAX_HIDDEN)
    rng = np.random.default_rng([int(seed), 0x71A])
    x = lagged_inputs(train, delays)[train.scored]  # (m, D)
    y = train.labels[train.scored].astype(float)
    d_in = x.shape[1]
    w1 = rng.normal(0.0, 1.0 / math.sqrt(d_in), (d_in, hidden))
    w1 = np.clip(w1 * 3.0, -1, 1)
    t1 = np.zeros(hidden)
    w2 = rng.uniform(-0.5, 0.5, hidden)
    t2 = np.array(0.0)
    params = [w1, t1, w2, t2]
    m_ = [np.zeros_like(q) for q in params]
    v_ = [np.zeros_like(q) for q in params]
    b1, b2 = 0.9, 0.999
    for step in range(1, epochs + 1):
        a = quantise_signed(params[0])
        z1 = x @ a - params[1]
        spread = z1.std(axis=0) + 1e-9
        h = (z1 > 0).astype(float)
        b = quantise_signed(params[2])
        s = h @ b - params[3]
        pr = 1.0 / (1.0 + np.exp(-np.clip(s * 4.0, -50, 50)))
        ds = 4.0 * (pr - y) / len(y)
        g_w2 = h.T @ ds
        g_t2 = -ds.sum()
        dh = ds[:, None] * b[None, :]
        dz = dh * (np.abs(z1) < spread).astype(float) / (2 * spread)
        g_w1 = x.T @ dz
        g_t1 = -dz.sum(axis=0)
        for k, g in enumerate((g_w1, g_t1, g_w2, g_t2)):
            m_[k] = b1 * m_[k] + (1 - b1) * g
            v_[k] = b2 * v_[k] + (1 - b2) * g * g
            mh = m_[k] / (1 - b1**step)
            vh = v_[k] / (1 - b2**step)
            params[k] = params[k] - lr * mh / (np.sqrt(vh) + 1e-8)
        params[0] = np.clip(params[0], -1, 1)
        params[2] = np.clip(params[2], -1, 1)
    net = LaggedNet(delays=delays, w1=params[0], t1=params[1], w2=params[2], t2=float(params[3]))
    return calibrate_output(net, x, y)


def calibrate_output(net: LaggedNet, x: F, y: F) -> LaggedNet:
    """The output neuron's threshold-offset device: the t2 that maximises the accuracy on
    the training cycles (the cross-entropy optimum is not the accuracy optimum)."""
    h = (x @ quantise_signed(net.w1) - net.t1 > 0).astype(float)
    s = h @ quantise_signed(net.w2)
    cands = np.unique(np.concatenate([s, [s.min() - 1.0, s.max() + 1.0]]))
    mids = np.concatenate([(cands[:-1] + cands[1:]) / 2, [cands[0] - 1.0]])
    accs = [float(np.mean((s - c > 0) == (y > 0))) for c in mids]
    return replace(net, t2=float(mids[int(np.argmax(accs))]))


def evaluate_lagged(
    net: LaggedNet, data: PhonemeSet, *, rng: np.random.Generator | None = None
) -> dict[str, float]:
    """Scores of the net, ideal (quantised) or with programming variation (``rng``)."""
    x = lagged_inputs(data, net.delays)
    if rng is None:
        return score(lagged_forward(net, x), data)
    p = DW_PRESETS["seed004-dw"]
    w1 = programmed_signed(quantise_signed(net.w1), p, rng)
    w2 = programmed_signed(quantise_signed(net.w2), p, rng)
    return score(lagged_forward(net, x, w1, w2), data)


# ------------------------------------------------------------------ the study


def rnn_study(
    task: PhonemeTask,
    *,
    rnn_hidden: tuple[int, ...] = (1, 2, 3, 4, 6),
    lagged_hidden: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16),
    delays: tuple[int, ...] = (0, 1, 2, 4, 6, 8, 11),
    seeds: tuple[int, ...] = (0, 1, 2),
    n_train: int = 400,
    n_test: int = 400,
    epochs: int = 300,
    progress: Any = None,
) -> pd.DataFrame:
    """Every (model, hidden, delays, seed): accuracy on fresh test sequences.

    One row each: ``model`` (``rnn`` / ``lagged``), ``hidden``, ``cycles`` (RNN: the latency
    its design integrates over, = ``task.latency``; lagged: the frames it sees, delays + 1),
    ``delays`` (0 for the RNN), ``seed``, ``accuracy`` (scored cycles, hardware: programmed
    with variation), ``sequence_accuracy``, ``ideal_accuracy`` (quantised, no variation),
    ``always_off_accuracy``, ``detected``, ``false_alarm``, ``mean_latency``,
    ``train_accuracy``, ``crossbar_cells`` (synapses of the nets' crossbars, differential
    pairs counted as two) and ``register_bits`` (shift-register bits, 3 per sample per delay).
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    total = len(seeds) * (len(rnn_hidden) + len(lagged_hidden) * len(delays))
    done = 0
    fs = task.frame_samples
    for seed in seeds:
        train = make_sequences(task, n_train, seed=2 * seed)
        test = make_sequences(task, n_test, seed=2 * seed + 1)
        for h in rnn_hidden:
            d, tr = calibrate_rnn(task, h, train)
            ideal = score(run_rnn(d, test).out, test)
            hw = score(run_rnn(d, test, rng=np.random.default_rng([seed, h, 0xA1])).out, test)
            rows.append(
                _row(
                    "rnn",
                    h,
                    task.latency,
                    0,
                    seed,
                    hw,
                    ideal,
                    tr["accuracy"],
                    cells=2 * h * fs + h,
                    bits=0,
                )
            )
            done += 1
            if progress is not None:
                progress(done, total)
        for dl in delays:
            for h in lagged_hidden:
                net = train_lagged(train, delays=dl, hidden=h, seed=seed, epochs=epochs)
                tr_acc = evaluate_lagged(net, train)["accuracy"]
                ideal = evaluate_lagged(net, test)
                hw = evaluate_lagged(net, test, rng=np.random.default_rng([seed, h, dl, 0xA2]))
                rows.append(
                    _row(
                        "lagged",
                        h,
                        dl + 1,
                        dl,
                        seed,
                        hw,
                        ideal,
                        tr_acc,
                        cells=2 * h * (dl + 1) * fs + 2 * h,
                        bits=INPUT_BITS * fs * dl,
                    )
                )
                done += 1
                if progress is not None:
                    progress(done, total)
    return pd.DataFrame(rows)


def _row(
    model: str,
    hidden: int,
    cycles: int,
    delays: int,
    seed: int,
    hw: dict[str, float],
    ideal: dict[str, float],
    train_acc: float,
    *,
    cells: int,
    bits: int,
) -> dict[str, Any]:
    return {
        "model": model,
        "hidden": hidden,
        "cycles": cycles,
        "delays": delays,
        "seed": seed,
        "accuracy": hw["accuracy"],
        "sequence_accuracy": hw["sequence_accuracy"],
        "ideal_accuracy": ideal["accuracy"],
        "always_off_accuracy": hw["always_off_accuracy"],
        "detected": hw["detected"],
        "false_alarm": hw["false_alarm"],
        "mean_latency": hw["mean_latency"],
        "train_accuracy": train_acc,
        "crossbar_cells": cells,
        "register_bits": bits,
    }


def smallest_hidden(df: pd.DataFrame, target: float) -> pd.DataFrame:
    """Fig. 9(b)'s shape: for each (model, cycles) the smallest hidden count whose mean
    accuracy over seeds reaches ``target`` (NaN: none does), with that mean."""
    import pandas as pd

    g = df.groupby(["model", "cycles", "delays", "hidden"], as_index=False)["accuracy"].mean()
    out = []
    key: Any
    for key, sub in g.groupby(["model", "cycles", "delays"]):
        model, cyc, dl = key
        ok = sub[sub["accuracy"] >= target].sort_values("hidden")
        out.append(
            {
                "model": model,
                "cycles": int(cyc),
                "delays": int(dl),
                "target": target,
                "smallest_hidden": int(ok["hidden"].iloc[0]) if len(ok) else float("nan"),
                "accuracy": float(ok["accuracy"].iloc[0])
                if len(ok)
                else float(sub["accuracy"].max()),
            }
        )
    return pd.DataFrame(out)


def plot_rnn_study(df: pd.DataFrame, task: PhonemeTask, target: Any, *, n_train: int) -> None:
    """Three panels: (a) one test sequence through the 3-neuron recurrent DW net (waveform,
    hidden walls, output, label); (b) accuracy vs hidden neurons (RNN and each delay count
    of the time-lagged BTNN, mean ± s.d. over seeds, always-off baseline); (c) Fig. 9(b)'s
    shape: hidden neurons needed vs cycles (frames seen) for the accuracy target of the
    table (the smallest count reaching it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.8))
    train = make_sequences(task, n_train, seed=0)
    test = make_sequences(task, 50, seed=1)
    d, _ = calibrate_rnn(task, 3, train)
    run = run_rnn(d, test)
    q = int(np.flatnonzero(test.onset > 0)[0])
    ax = axes[0]
    nf, fs = task.cycles, task.frame_samples
    tt = np.arange(nf * fs) / fs
    ax.plot(tt, 0.25 * test.s[q].ravel() + 1.6, color="0.5", lw=0.6, label="input (scaled)")
    cyc = np.arange(1, nf + 1)
    for k in range(3):
        ax.step(cyc, run.y_hidden[q, :, k], where="post", label=f"wall {k} ({120 * k} deg)")
    ax.step(cyc, run.out[q] * 1.05, where="post", color="k", lw=1.5, label="output")
    ax.step(cyc, test.labels[q] * 1.1, where="post", color="r", ls=":", label="label")
    on = test.present[q]
    ax.fill_between(cyc, 0, 2, where=on, step="post", color="y", alpha=0.2, label="target on")
    ax.axhline(d.y_threshold, color="0.3", lw=0.6, ls="--")
    ax.set_xlabel("cycle")
    ax.set_ylabel("wall position / output")
    ax.set_title("(a) 3 recurrent DW neurons, one test sequence", fontsize=9)
    ax.legend(fontsize=6, loc="center right")
    ax = axes[1]
    base = float(df["always_off_accuracy"].mean())
    key: Any
    for key, sub in df.groupby(["model", "cycles"]):
        model, cyc_n = key
        g = sub.groupby("hidden")["accuracy"]
        m, s = g.mean(), g.std().fillna(0.0)
        lab = f"RNN, {cyc_n} cycles latency" if model == "rnn" else f"lagged, {cyc_n - 1} delays"
        style = {"color": "k", "lw": 2.0, "marker": "s"} if model == "rnn" else {"marker": "o"}
        ax.errorbar(m.index, m, yerr=s, ms=3, label=lab, **style)
    ax.axhline(base, color="r", ls=":", label="always off")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("hidden neurons")
    ax.set_ylabel("scored-cycle accuracy (hardware)")
    ax.set_title("(b) accuracy vs hidden neurons", fontsize=9)
    ax.legend(fontsize=6)
    ax = axes[2]
    tgt = float(df.attrs.get("target", 0.95))
    top = float(df["hidden"].max()) * 2
    for j, level in enumerate(sorted({0.85, 0.9, tgt})):
        t = smallest_hidden(df, level)
        lag = t[t["model"] == "lagged"].sort_values("cycles")
        rn = t[t["model"] == "rnn"]
        c = f"C{j}"
        ax.plot(
            lag["cycles"],
            lag["smallest_hidden"].fillna(top),
            "o-",
            color=c,
            label=f"time-lagged BTNN, acc >= {level:.2f}",
        )
        ax.plot(
            rn["cycles"],
            rn["smallest_hidden"].fillna(top),
            "s",
            color=c,
            ms=9,
            mec="k",
            label=f"recurrent DW net, acc >= {level:.2f}",
        )
    ax.axhline(top, color="0.5", lw=0.6, ls=":")
    ax.text(1, top * 1.05, "not reached", fontsize=7, color="0.4")
    ax.set_yscale("log", base=2)
    ax.set_ylim(0.7, top * 1.6)
    ax.set_ylabel("smallest hidden count reaching the accuracy")
    ax.set_xlabel("cycles (frames seen: delays + 1; RNN: latency budget)")
    ax.set_title("(c) Fig. 9(b) shape: hidden neurons needed", fontsize=9)
    ax.legend(fontsize=6, loc="center right")
    fig.tight_layout()
    fmt = str(target).rsplit(".", 1)[-1] if "." in str(target) else "png"
    write_atomic(target, lambda p: fig.savefig(p, format=fmt, dpi=130))
    plt.close(fig)


# ------------------------------------------------------------------ ngspice cross-check


def hidden_neuron_bench(design: RnnDesign, run: RnnRun, q: int, k: int) -> Any:
    """The recurrent-neuron testbench (``dw recurrent``'s deck,
    :func:`~spinspice.array_builder.dw_neurons.recurrent_circuit`) driven by hidden neuron
    ``k``'s residue currents (bias included) on sequence ``q``: signed currents, flat top
    ``t_cycle_s``, 5 ps edges (the edges add at most 5 ps/T = 0.1 % to a step)."""

    cur = tuple(float(c) for c in run.i_hidden_A[q, :, k])
    return _signed_bench_type()(currents_A=cur, t_cycle_s=design.t_cycle_s, edge_s=5e-12)


@cache
def _signed_bench_type() -> Any:
    from spinspice.array_builder.dw_devices import MAX_DRIVE_CURRENT_A
    from spinspice.array_builder.dw_neurons import MAX_CYCLES as BENCH_CYCLES
    from spinspice.array_builder.dw_neurons import RecurrentBench

    @dataclass(frozen=True, slots=True, kw_only=True)
    class SignedRecurrentBench(RecurrentBench):
        """A recurrent-neuron bench whose cycle currents may be negative (the wall moves
        back; the recurrent RNN's residues are signed)."""

        def __post_init__(self) -> None:
            if not 1 <= len(self.currents_A) <= BENCH_CYCLES:
                raise ParameterError("give 1..500 cycle currents")
            for i in self.currents_A:
                if not math.isfinite(i) or abs(i) > MAX_DRIVE_CURRENT_A:
                    raise ParameterError(f"cycle currents must be within +-1 mA, got {i!r}")

    return SignedRecurrentBench


def simulate_hidden_neuron(
    design: RnnDesign, run: RnnRun, q: int, k: int, engine: Any, models: Any
) -> pd.DataFrame:
    """Hidden neuron ``k`` on sequence ``q`` in ngspice vs the Python trajectory.

    Columns ``cycle, x, expected_x, output, expected_output, i_in_A``: ``x`` the wall
    position read from the simulated read current at the end of each cycle, ``expected_x``
    the trajectory of :func:`run_rnn` (ideal weights, no variation).
    """
    import pandas as pd

    from spinspice.analysis.runner import run_one
    from spinspice.array_builder.dw_devices import position_from_read
    from spinspice.array_builder.dw_neurons import recurrent_job

    bench = hidden_neuron_bench(design, run, q, k)
    p = design.strip
    tr = run_one(engine, recurrent_job(p, bench, models)).plot("tran")
    x_all = position_from_read(p, -tr["i(vrd)"], bench.v_read_V)
    xs = np.interp(bench.sample_times_s(), tr["time"], x_all)
    exp = run.y_hidden[q, :, k]
    return pd.DataFrame(
        {
            "cycle": np.arange(1, len(xs) + 1),
            "x": xs,
            "expected_x": exp,
            "output": (xs > design.y_threshold).astype(int),
            "expected_output": (exp > design.y_threshold).astype(int),
            "i_in_A": np.asarray(bench.currents_A),
        }
    )
