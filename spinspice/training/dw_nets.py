"""Spin BTNN and RLNN of seed 004 on DW crossbars: hardware-aware training and cost.

Both nets have one hidden layer (seed 004 §IV) and map onto the circuits of
:mod:`spinspice.array_builder.dw_crossbar` / :mod:`~spinspice.array_builder.dw_neurons`:

* **Weights**: ``bits``-bit DW synapses (default 4, seed 004 Table I), levels 0 … 2^b − 1,
  weight w = level/(2^b − 1) ∈ [0, 1]. The crossbar's offset column makes the weight
  non-negative (residue I − I_AP ≥ 0): the nets have no negative weights. Each neuron's
  threshold is its **threshold-offset device** (a real number θ_j, in units of one full
  weight). Trained with a float shadow weight clipped to [0, 1] and the straight-through
  estimator; every forward pass uses the quantised weights.
* **Inputs**: first-layer inputs are 1 bit (seed 004 §III.D): a pixel is on when its
  standardised value is > 0 (above the training mean).
* **BTNN** (``dw-btnn``): hidden neurons are binary-threshold DW neurons,
  ``h = [x·w − θ > 0]`` (STE: a unit box of half-width 1 around 0).
* **RLNN** (``dw-rlnn``): hidden neurons are 3-bit racetrack converters,
  ``h = clip(round((x·w − θ)/Δ), 0, 7)`` with Δ = :data:`RLNN_STEP` full weights per code
  (a mirror ratio); the output layer takes the 3-bit codes through 1×/2×/4× mirrors.
* **Output**: the time-domain majority vote picks the largest output current. A vote
  whose top two currents are closer than ``vote_ratio`` (the limit the vote circuit
  resolves, ``spinspice dw vote``) counts as an error in the hardware accuracy.
* **Hardware evaluation**: weights programmed by pulse width with the preset's
  device-to-device and pulse-to-pulse variation
  (:func:`~spinspice.spintronic_cells.domain_wall.program_positions`, seeded), thresholds
  exact. ``test_acc`` of every epoch record is this hardware accuracy; the summary also
  has the ideal (quantised, no variation, argmax) accuracy.

Cost model (:func:`dw_net_cost`) — area and energy per inference from our circuits' laws:

* area: crossbar cells (access NMOS + DW strip, :meth:`DWCrossbarDesign.cell_area_m2`) of
  every layer including the offset column and the threshold-offset row; the RLNN output
  layer has 3×3 cells per weight (seed 004 Fig. 6); plus neuron devices (DW strip per
  binary neuron, three nanowires per racetrack converter) and the vote circuit's
  transistors (switch, reset, capacitor, three inverters per candidate);
* energy per inference: every active word line's cells (plus its offset-column cell)
  conduct ``V_DD·(V_DD/2)·G(X)`` for the read slot (the law the 32×32 transient of
  ``spinspice energy --cell dw`` follows), the neuron currents through their strips
  (I²R for the conversion time) and the vote capacitors' charge (C·V_DD² per candidate).
  Buffer amplifiers, drivers and the digital control are not included.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.domain_wall import (
    DW_PRESETS,
    MAX_SYNAPSE_BITS,
    DWParams,
    Programming,
    RacetrackParams,
    program_positions,
)

if TYPE_CHECKING:
    from spinspice.training.data import Dataset

F = NDArray[np.float64]
DWNet = Literal["dw-btnn", "dw-rlnn"]
#: RLNN: full weights per ADC code (the hidden layer's mirror ratio).
RLNN_STEP: Final = 1.0
#: BTNN: half-width of the straight-through box around the threshold, full weights.
BTNN_STE: Final = 1.0
#: Softmax temperature of the output scores in training, full weights.
SOFTMAX_T: Final = 1.0
#: Read slot of one crossbar evaluation, s (as in the crossbar transient).
READ_SLOT_S: Final = 1e-9
#: Gate-capacitor size and supply of the vote circuit (VoteDesign defaults), m and V.
VOTE_CAP_F: Final = 20e-15
#: Most hidden neurons of a DW net; our choice: ~40× the 100 hidden neurons of seed 004 §IV,
#: it bounds the training time and the hidden crossbar.
MAX_HIDDEN: Final = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class DWNetParams:
    """A trained (or initial) DW net: shadow weights and thresholds.

    ``w1`` (inputs × hidden) and ``w2`` (hidden × classes) in [0, 1]; ``t1`` hidden
    thresholds, ``t2`` output offsets (all in full-weight units).
    """

    kind: DWNet
    w1: F
    t1: F
    w2: F
    t2: F
    bits: int = 4


def quantise(w: F, bits: int) -> F:
    """Nearest of the 2^bits levels in [0, 1]."""
    n = (1 << bits) - 1
    out: F = np.round(np.clip(w, 0.0, 1.0) * n) / n
    return out


def binarise_inputs(x: NDArray[np.float32]) -> F:
    """1-bit first-layer inputs: standardised pixel > 0."""
    out: F = (np.asarray(x) > 0).astype(np.float64)
    return out


def hidden(kind: DWNet, z: F) -> F:
    """Hidden-neuron output of pre-activation ``z`` (full weights)."""
    if kind == "dw-btnn":
        return (z > 0).astype(np.float64)
    out: F = np.clip(np.round(z / RLNN_STEP), 0.0, 7.0)
    return out


def _hidden_grad(kind: DWNet, z: F) -> F:
    if kind == "dw-btnn":
        out: F = (np.abs(z) < BTNN_STE).astype(np.float64) / (2 * BTNN_STE)
        return out
    g: F = ((z > -0.5 * RLNN_STEP) & (z < 7.5 * RLNN_STEP)).astype(np.float64) / RLNN_STEP
    return g


def forward(net: DWNetParams, xb: F, w1: F | None = None, w2: F | None = None) -> tuple[F, F, F]:
    """(z1, h, scores) with the given effective weights (default: quantised)."""
    a = quantise(net.w1, net.bits) if w1 is None else w1
    b = quantise(net.w2, net.bits) if w2 is None else w2
    z1 = xb @ a - net.t1
    h = hidden(net.kind, z1)
    s = h @ b - net.t2
    return z1, h, s


def vote(scores: F, ratio: float) -> NDArray[np.int64]:
    """Winner of the majority vote; −1 where the top two are closer than ``ratio``.

    The vote compares currents ``max(s, 0)`` (an output's offset device may pull its current
    to zero; a zero current never charges its capacitor). No current at all: undecided.
    """
    cur = np.maximum(scores, 0.0) + 1e-12
    order = np.argsort(cur, axis=1)
    top = np.take_along_axis(cur, order[:, -1:], axis=1)[:, 0]
    second = np.take_along_axis(cur, order[:, -2:-1], axis=1)[:, 0]
    win = order[:, -1].astype(np.int64)
    win[top < ratio * second] = -1
    return win


def calibrate_common_mode(
    net: DWNetParams, xb: F, y: NDArray[np.int64], ratio: float
) -> DWNetParams:
    """Choose one common output offset c (every output's offset device subtracts c) that
    maximises the vote accuracy on the training inputs.

    The cross-entropy is blind to a common shift of the scores, but the vote compares
    current *ratios*: subtracting the common mode separates them.
    """
    _, _, s = forward(net, xb)
    best_c, best = 0.0, -1.0
    for c in np.quantile(s, np.linspace(0.0, 0.99, 100)):
        acc = float(np.mean(vote(s - c, ratio) == y))
        if acc > best:
            best_c, best = float(c), acc
    return DWNetParams(
        kind=net.kind, w1=net.w1, t1=net.t1, w2=net.w2, t2=net.t2 + best_c, bits=net.bits
    )


def programmed_weights(net: DWNetParams, strip: DWParams, seed: int) -> tuple[F, F]:
    """Effective weights 1 − X after programming the quantised levels with variation."""
    prog = Programming(bits=net.bits)
    rng = np.random.default_rng([seed, 0xD3])
    n = prog.n_levels - 1
    out = []
    for w in (net.w1, net.w2):
        lv = np.round(np.clip(w, 0, 1) * n).astype(np.int64)
        out.append(1.0 - program_positions(strip, prog, lv, rng))
    return out[0], out[1]


def evaluate(
    net: DWNetParams,
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    *,
    strip: DWParams,
    seed: int,
    vote_ratio: float,
) -> dict[str, float]:
    """Ideal accuracy (quantised, argmax) and hardware accuracy (variation, vote limit)."""
    xb = binarise_inputs(x)
    _, _, s = forward(net, xb)
    ideal = float(np.mean(np.argmax(s, axis=1) == y))
    w1, w2 = programmed_weights(net, strip, seed)
    _, h, s_hw = forward(net, xb, w1, w2)
    won = vote(s_hw, vote_ratio)
    return {
        "ideal_acc": ideal,
        "hw_acc": float(np.mean(won == y)),
        "hw_acc_argmax": float(np.mean(np.argmax(s_hw, axis=1) == y)),
        "vote_undecided": float(np.mean(won < 0)),
        "mean_active_inputs": float(xb.sum(axis=1).mean()),
        "mean_hidden_bits": float(_bits_set(net.kind, h).sum(axis=1).mean()),
    }


def _bits_set(kind: DWNet, h: F) -> F:
    if kind == "dw-btnn":
        return h
    hi = h.astype(np.int64)
    out: F = ((hi & 1) + ((hi >> 1) & 1) + ((hi >> 2) & 1)).astype(np.float64)
    return out


def init_net(
    kind: DWNet, n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator
) -> DWNetParams:
    """Small random weights; thresholds at the mean pre-activation of random inputs."""
    w1 = rng.uniform(0.0, 0.3, (n_in, n_hidden))
    w2 = rng.uniform(0.0, 0.3, (n_hidden, n_out))
    t1 = np.full(n_hidden, 0.5 * n_in * 0.15 * 0.5)
    return DWNetParams(kind=kind, w1=w1, t1=t1, w2=w2, t2=np.zeros(n_out))


def train_net(
    kind: DWNet,
    data: Dataset,
    *,
    n_hidden: int,
    epochs: int,
    seed: int,
    lr: float = 0.01,
    batch_size: int = 32,
    bits: int = 4,
    strip: DWParams | None = None,
    vote_ratio: float = 1.2,
    progress: Any = None,
) -> tuple[DWNetParams, list[dict[str, float]]]:
    """Adam on the softmax cross-entropy of the output scores (module docstring).

    Returns the net and one metrics dict per epoch (train loss/accuracy, test accuracies).
    """
    if kind not in ("dw-btnn", "dw-rlnn"):
        raise ParameterError(f"unknown DW net {kind!r}")
    if not 1 <= n_hidden <= MAX_HIDDEN:
        raise ParameterError("n_hidden must be in 1..4096")
    if not 1 <= bits <= MAX_SYNAPSE_BITS:
        raise ParameterError("bits must be in 1..8")
    strip = strip if strip is not None else DW_PRESETS["seed004-dw"]
    rng = np.random.default_rng([seed, 0xD4])
    xb = binarise_inputs(data.x_train)
    y = data.y_train
    n_in, n_out = xb.shape[1], data.n_classes
    net = init_net(kind, n_in, n_hidden, n_out, rng)
    net = DWNetParams(kind=kind, w1=net.w1, t1=net.t1, w2=net.w2, t2=net.t2, bits=bits)
    params = [net.w1.copy(), net.t1.copy(), net.w2.copy(), net.t2.copy()]
    m_ = [np.zeros_like(p) for p in params]
    v_ = [np.zeros_like(p) for p in params]
    b1, b2, step = 0.9, 0.999, 0
    history = []
    for ep in range(1, epochs + 1):
        order = rng.permutation(len(y))
        loss_sum = correct = 0.0
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            xbt, yb = xb[idx], y[idx]
            w1, t1, w2, t2 = params
            cur = DWNetParams(kind=kind, w1=w1, t1=t1, w2=w2, t2=t2, bits=bits)
            a, b = quantise(w1, bits), quantise(w2, bits)
            z1, h, s = forward(cur, xbt)
            logits = s / SOFTMAX_T
            logits = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            n = len(yb)
            loss_sum += float(-np.log(p[np.arange(n), yb] + 1e-12).sum())
            correct += float((np.argmax(s, axis=1) == yb).sum())
            ds = p.copy()
            ds[np.arange(n), yb] -= 1.0
            ds /= n * SOFTMAX_T
            g_w2 = h.T @ ds
            g_t2 = -ds.sum(axis=0)
            dh = ds @ b.T
            dz = dh * _hidden_grad(kind, z1)
            g_w1 = xbt.T @ dz
            g_t1 = -dz.sum(axis=0)
            del a
            step += 1
            for k, g in enumerate((g_w1, g_t1, g_w2, g_t2)):
                m_[k] = b1 * m_[k] + (1 - b1) * g
                v_[k] = b2 * v_[k] + (1 - b2) * g * g
                mh = m_[k] / (1 - b1**step)
                vh = v_[k] / (1 - b2**step)
                scale = lr * (10.0 if k in (1, 3) else 1.0)  # thresholds move in weight units
                params[k] = params[k] - scale * mh / (np.sqrt(vh) + 1e-8)
            params[0] = np.clip(params[0], 0.0, 1.0)
            params[2] = np.clip(params[2], 0.0, 1.0)
        net = DWNetParams(
            kind=kind, w1=params[0], t1=params[1], w2=params[2], t2=params[3], bits=bits
        )
        net = calibrate_common_mode(net, xb, y, vote_ratio)
        ev = evaluate(net, data.x_test, data.y_test, strip=strip, seed=seed, vote_ratio=vote_ratio)
        rec = {"epoch": ep, "train_loss": loss_sum / len(y), "train_acc": correct / len(y), **ev}
        history.append(rec)
        if progress is not None:
            progress(ep, epochs, rec)
    return net, history


# ------------------------------------------------------------------ cost model


@dataclass(frozen=True, slots=True, kw_only=True)
class DWNetCost:
    """Area (m²) and energy per inference (J) of a DW net, with their parts."""

    area_m2: float
    area_crossbar_m2: float
    area_neurons_m2: float
    area_vote_m2: float
    energy_J: float
    energy_crossbar_J: float
    energy_neurons_J: float
    energy_vote_J: float
    cells: int


def dw_net_cost(
    net: DWNetParams,
    *,
    mean_active_inputs: float,
    mean_hidden_bits: float,
    cell_area_m2: float,
    vdd_V: float = 1.0,
    strip: DWParams | None = None,
    racetrack: RacetrackParams | None = None,
    transistor_area_m2: float = 4.7e-13 / 3,
) -> DWNetCost:
    """The cost model of the module docstring.

    ``cell_area_m2`` is the crossbar cell (``DWCrossbarDesign.cell_area_m2()``);
    ``transistor_area_m2`` one minimum vote-circuit transistor (default: the access NMOS of
    the bundled technology, routing included, divided by its 3× routing overhead).
    """
    p = strip if strip is not None else DW_PRESETS["seed004-dw"]
    r = racetrack if racetrack is not None else RacetrackParams(strip=p)
    n_in, n_h = net.w1.shape
    n_out = net.w2.shape[1]
    rl = net.kind == "dw-rlnn"
    in_b = 3 if rl else 1
    cells1 = (n_in + 1) * (n_h + 1)
    cells2 = (in_b * n_h + 1) * (in_b * n_out + 1)
    area_x = (cells1 + cells2) * cell_area_m2
    f = 28e-9
    strip_area = (p.length_m + 2 * f) * 2 * p.width_m
    wire_area = 3 * ((r.max_code + 1) * r.lsb_m + 2 * f) * 2 * p.width_m
    area_n = n_h * (wire_area if rl else strip_area)
    area_v = n_out * 6 * transistor_area_m2 + n_out * 2 * transistor_area_m2  # + cap ~ 2 units
    vmid = vdd_V / 2
    g1 = p.g_p_S - (p.g_p_S - p.g_ap_S) * (1 - quantise(net.w1, net.bits))  # G = G_AP + (G_P-G_AP)w
    g2 = p.g_p_S - (p.g_p_S - p.g_ap_S) * (1 - quantise(net.w2, net.bits))
    # one active word line: its row of cells + the offset-column cell (G_AP)
    row1 = float(g1.sum(axis=1).mean()) + p.g_ap_S
    row2 = in_b * (float(g2.sum(axis=1).mean()) + p.g_ap_S)  # one weight row: b bit lines
    e_x = vdd_V * vmid * READ_SLOT_S * (mean_active_inputs * row1 + mean_hidden_bits * row2 / in_b)
    # neurons: the residue (~ half full scale) through the strip for the conversion time
    i_n = 0.5 * (r.i_full_scale_A if rl else 2 * p.i_th_A)
    r_n = 3 * r.wire_resistance_ohm if rl else p.r_track_ohm
    t_n = r.t_conv_s if rl else 2e-9
    e_n = n_h * i_n**2 * r_n * t_n
    e_v = n_out * VOTE_CAP_F * vdd_V**2
    return DWNetCost(
        area_m2=area_x + area_n + area_v,
        area_crossbar_m2=area_x,
        area_neurons_m2=area_n,
        area_vote_m2=area_v,
        energy_J=e_x + e_n + e_v,
        energy_crossbar_J=e_x,
        energy_neurons_J=e_n,
        energy_vote_J=e_v,
        cells=cells1 + cells2,
    )


def run_dw_training(
    config: Any, dataset: Dataset, n_hidden: int, progress: Any = None
) -> tuple[list[dict[str, float]], DWNetParams, dict[str, Any]]:
    """Entry point for ``spinspice train --synapse dw-btnn|dw-rlnn`` (called by the loop)."""
    t0 = time.perf_counter()
    lr = config.effective_lr
    net, hist = train_net(
        config.synapse,
        dataset,
        n_hidden=n_hidden,
        epochs=config.epochs,
        seed=config.seed,
        lr=lr,
        batch_size=config.batch_size,
        progress=progress,
    )
    from spinspice.array_builder.dw_crossbar import DWCrossbarDesign
    from spinspice.netlists.technology import MosfetTechnology

    cell = DWCrossbarDesign(rows=1, cols=1, technology=MosfetTechnology.default()).cell_area_m2()
    last = hist[-1]
    cost = dw_net_cost(
        net,
        mean_active_inputs=last["mean_active_inputs"],
        mean_hidden_bits=last["mean_hidden_bits"],
        cell_area_m2=cell,
    )
    extra = {
        "dw_ideal_accuracy": last["ideal_acc"],
        "dw_hw_accuracy_argmax": last["hw_acc_argmax"],
        "dw_vote_undecided": last["vote_undecided"],
        "dw_area_m2": cost.area_m2,
        "dw_energy_per_inference_J": cost.energy_J,
        "dw_cells": cost.cells,
        "dw_wall_s": time.perf_counter() - t0,
    }
    if not math.isfinite(cost.energy_J):
        raise ParameterError("cost model gave a non-finite energy")
    return hist, net, extra


def loop_train(
    config: Any, dataset: Dataset, spec: Any, progress: Any, record: Any
) -> tuple[list[Any], list[NDArray[np.float32]], dict[str, Any]]:
    """Adapter for :func:`spinspice.training.loop.train` (``synapse`` dw-btnn / dw-rlnn):
    epoch records (built with ``record``, the loop's ``EpochRecord``) whose ``test_acc`` is
    the hardware accuracy, the quantised weights, and the DW summary entries (ideal
    accuracy, area, energy per inference)."""
    n_hidden = spec.layers[0].n_out
    t_last = [time.perf_counter()]
    records: list[Any] = []

    def on_epoch(ep: int, total: int, rec: dict[str, float]) -> None:
        now = time.perf_counter()
        er = record(
            epoch=ep,
            train_loss=rec["train_loss"],
            train_acc=rec["train_acc"],
            test_acc=rec["hw_acc"],
            wall_s=now - t_last[0],
        )
        t_last[0] = now
        records.append(er)
        if progress is not None:
            progress(ep, total, er)

    _, net, extra = run_dw_training(config, dataset, n_hidden, progress=on_epoch)
    weights = [
        quantise(net.w1, net.bits).astype(np.float32),
        quantise(net.w2, net.bits).astype(np.float32),
    ]
    return records, weights, extra


# ------------------------------------------------------------------ BTNN vs RLNN study


def compare_nets(
    data: Dataset,
    *,
    kinds: tuple[DWNet, ...] = ("dw-btnn", "dw-rlnn"),
    hidden: tuple[int, ...] = (10, 20, 30, 50, 100),
    bits: tuple[int, ...] = (4,),
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    epochs: int = 30,
    vote_ratio: float = 1.2,
    progress: Any = None,
) -> Any:
    """Train every (kind, hidden, bits, seed) and tabulate accuracies, area and energy.

    One row per run: ``kind, hidden, bits, seed, ideal_error, hw_error, hw_error_argmax,
    vote_undecided, area_m2, energy_J, cells`` (errors as fractions of the test set).
    """
    import pandas as pd

    from spinspice.array_builder.dw_crossbar import DWCrossbarDesign
    from spinspice.netlists.technology import MosfetTechnology

    cell = DWCrossbarDesign(rows=1, cols=1, technology=MosfetTechnology.default()).cell_area_m2()
    rows = []
    total = len(kinds) * len(hidden) * len(bits) * len(seeds)
    done = 0
    for kind in kinds:
        for h in hidden:
            for b in bits:
                for s in seeds:
                    net, hist = train_net(
                        kind, data, n_hidden=h, epochs=epochs, seed=s, bits=b, vote_ratio=vote_ratio
                    )
                    last = hist[-1]
                    cost = dw_net_cost(
                        net,
                        mean_active_inputs=last["mean_active_inputs"],
                        mean_hidden_bits=last["mean_hidden_bits"],
                        cell_area_m2=cell,
                    )
                    rows.append(
                        {
                            "kind": kind,
                            "hidden": h,
                            "bits": b,
                            "seed": s,
                            "ideal_error": 1 - last["ideal_acc"],
                            "hw_error": 1 - last["hw_acc"],
                            "hw_error_argmax": 1 - last["hw_acc_argmax"],
                            "vote_undecided": last["vote_undecided"],
                            "area_m2": cost.area_m2,
                            "energy_J": cost.energy_J,
                            "energy_crossbar_J": cost.energy_crossbar_J,
                            "cells": cost.cells,
                        }
                    )
                    done += 1
                    if progress is not None:
                        progress(done, total)
    return pd.DataFrame(rows)


def equal_error_table(df: Any, error: str = "ideal_error", target: float | None = None) -> Any:
    """Table I's shape: for each kind the smallest net whose mean ``error`` over seeds is at
    most ``target`` (default: the BTNN's best mean error + 1 point), with its area and
    energy, and the RLNN/BTNN ratios."""
    import pandas as pd

    g = df.groupby(["kind", "hidden", "bits"], as_index=False).agg(
        error=(error, "mean"),
        error_std=(error, "std"),
        area_m2=("area_m2", "mean"),
        energy_J=("energy_J", "mean"),
        cells=("cells", "mean"),
        seeds=("seed", "count"),
    )
    if target is None:
        target = float(g[g["kind"] == "dw-btnn"]["error"].min()) + 0.01
    out = []
    for kind, sub in g.groupby("kind"):
        ok = sub[sub["error"] <= target].sort_values("area_m2")
        if len(ok):
            out.append({**ok.iloc[0].to_dict(), "target_error": target})
        else:
            out.append({"kind": kind, "target_error": target, "error": float("nan")})
    t = pd.DataFrame(out)
    if {"dw-btnn", "dw-rlnn"} <= set(t["kind"]):
        b = t[t["kind"] == "dw-btnn"].iloc[0]
        r = t[t["kind"] == "dw-rlnn"].iloc[0]
        t["area_vs_btnn"] = t["area_m2"] / b["area_m2"]
        t["energy_vs_btnn"] = t["energy_J"] / b["energy_J"]
        del r
    return t
