"""In-situ stochastic training of binary MTJ crossbars (seed 002).

What lives here
---------------
* :class:`WriteMapping`: seed 002 eq. 6–7, t_wr = t0 + t1·|δ|, I_wr = I0 + I1·|x|, with the
  Table 3 coefficients per switching direction (:data:`SEED002_TABLE3`).
* :func:`seed002_switching`: a :class:`~spinspice.training.mtj_update.ClosedFormSwitching`
  calibrated to the seed 002 design rules (placeholder until the physics stage supplies eq. 5
  curves; see its docstring).
* :class:`SneakDisturbance`: false-switch probabilities of unselected 1R cells per write phase.
* :class:`BinaryCrossbarTrainer`: binary weights ±b (b = mean|W| of the real-valued net,
  §3.2), tanh neurons, MSE, one read + write per sample (§4.1), for the variants
  ``mtj-1t1r`` (2-phase, selectors: no sneak), ``mtj-1r-2phase`` and ``mtj-1r-4phase``
  (§4.4), and :func:`deploy_deterministic` for the ``dp`` baseline (§5 "DP").

Conventions (seed 002 §3.2, Table 1): an MTJ in P encodes +b, in AP −b. ΔW > 0 needs AP→P,
ΔW < 0 needs P→AP; a cell already in the target state cannot switch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.training.gxnor import F32, Network, NetSpec
from spinspice.training.mtj_update import (
    ClosedFormSwitching,
    DeviceVariation,
    Direction,
    SwitchingModel,
)

__all__ = [
    "SEED002_R_AP_OHM",
    "SEED002_R_P_OHM",
    "SEED002_TABLE3",
    "BinaryCrossbarTrainer",
    "BinaryVariant",
    "SneakDisturbance",
    "WriteMapping",
    "calibrate_closed_form",
    "deploy_deterministic",
    "seed002_switching",
]

F64 = NDArray[np.float64]
BinaryVariant = Literal["mtj-1t1r", "mtj-1r-2phase", "mtj-1r-4phase"]

#: Seed 002 Table 3: (t0 [s], t1 [s], I0 [A], I1 [A]) per switching direction.
SEED002_TABLE3: Final[dict[str, tuple[float, float, float, float]]] = {
    "AP->P": (1.5e-9, 1.0e-9, 60e-6, 30e-6),
    "P->AP": (1.5e-9, 1.0e-9, 140e-6, 60e-6),
}

#: R_P, R_AP in Ω implied by seed 002 §4.3: V_P ∈ [0.68, 0.98] V at I ∈ [140, 200] µA gives
#: R_P ≈ 4.9 kΩ; V_AP ∈ [−0.81, −0.62] V at I ∈ [60, 90] µA gives 9.0–10.3 kΩ, mean 9.7 kΩ.
SEED002_R_P_OHM: Final = 4.9e3
SEED002_R_AP_OHM: Final = 9.7e3


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteMapping:
    """Seed 002 eq. 6–7: linear maps |δ| → pulse width and |x| → write current.

    Attributes
    ----------
    t0_s, t1_s:
        t_wr = t0 + t1·|δ|, s (Table 3: 1.5 ns, 1 ns for both directions).
    i0_A, i1_A:
        I_wr = I0 + I1·|x|, A (Table 3: AP→P 60 µA, 30 µA; P→AP 140 µA, 60 µA).
    """

    t0_s: float
    t1_s: float
    i0_A: float
    i1_A: float

    def __post_init__(self) -> None:
        for name in ("t0_s", "t1_s", "i0_A", "i1_A"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ParameterError(f"WriteMapping.{name} must be >= 0, got {v}")

    @classmethod
    def seed002(cls, direction: Direction) -> WriteMapping:
        """Seed 002 Table 3 coefficients for ``direction``."""
        t0, t1, i0, i1 = SEED002_TABLE3[direction]
        return cls(t0_s=t0, t1_s=t1, i0_A=i0, i1_A=i1)

    def width(self, abs_delta: F64) -> F64:
        """Eq. 6 with |δ| clipped to [0, 1]."""
        out: F64 = self.t0_s + self.t1_s * np.clip(abs_delta, 0.0, 1.0)
        return out

    def current(self, abs_x: F64) -> F64:
        """Eq. 7 with |x| clipped to [0, 1]."""
        out: F64 = self.i0_A + self.i1_A * np.clip(abs_x, 0.0, 1.0)
        return out


def calibrate_closed_form(
    q_lo_C: float, q_hi_C: float, *, p_lo: float = 0.05, p_hi: float = 0.7
) -> tuple[float, float]:
    """(C [A·s], θ0) of seed 001 eq. 16 with P(q_lo) = p_lo and P(q_hi) = p_hi.

    Eq. 16 at V = I·R depends on the charge q = Δt·I only: P = erfc(A·e^(−q/C)) with
    A = π/(2√2·θ0); two points fix C and θ0.
    """
    from scipy.special import erfcinv

    if not 0 < q_lo_C < q_hi_C or not 0 < p_lo < p_hi < 1:
        raise ParameterError("need 0 < q_lo < q_hi and 0 < p_lo < p_hi < 1")
    z_lo = float(erfcinv(p_lo))
    z_hi = float(erfcinv(p_hi))
    c = (q_hi_C - q_lo_C) / math.log(z_lo / z_hi)
    a = z_lo * math.exp(q_lo_C / c)
    return c, math.pi / (2.0 * math.sqrt(2.0) * a)


def seed002_switching(*, p0: float = 0.05, p_max: float = 0.7) -> ClosedFormSwitching:
    """Placeholder switching model for the seed 002 device (to be replaced by physics).

    Seed 002 gives no closed form for its device (eq. 5 needs Δ and T(a), not listed), only
    the design rules of §4.2: P ≈ P0 = 0.05 for x = 0 at the longest pulse (eq. 9) and the
    desired probability η·|x|·|δ| with η = 0.7 (Fig. 3) at the largest write. We therefore
    calibrate eq. 16 per direction (C, θ0) so that P((t0+t1)·I0) = p0 and
    P((t0+t1)·(I0+I1)) = p_max, with R_P, R_AP from :data:`SEED002_R_P_OHM`,
    :data:`SEED002_R_AP_OHM`. Eq. 8 then holds too (t0·(I0+I1) < (t0+t1)·I0 for Table 3).
    """
    cal: dict[str, tuple[float, float]] = {}
    for d, (t0, t1, i0, i1) in SEED002_TABLE3.items():
        cal[d] = calibrate_closed_form((t0 + t1) * i0, (t0 + t1) * (i0 + i1), p_lo=p0, p_hi=p_max)
    return ClosedFormSwitching(
        theta0=cal["AP->P"][1],
        c_As=cal["AP->P"][0],
        r_on_ohm=SEED002_R_P_OHM,
        r_off_ohm=SEED002_R_AP_OHM,
        c_p_to_ap_As=cal["P->AP"][0],
        theta0_p_to_ap=cal["P->AP"][1],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SneakDisturbance:
    """False switches of unselected cells in 1R crossbars (seed 002 §4.4).

    Attributes
    ----------
    rate_2phase:
        Probability that an unselected cell flips in one write phase of the 2-phase scheme.
        Default 0.01 — PLACEHOLDER: seed 002 only says the worst-case sneak current
        (V_P − V_AP)/R "is high enough" to switch and the average case still has "some
        probability"; to be replaced by the crossbar issue's sneak-path tables.
    rate_4phase:
        Same for the 4-phase scheme. Default 0.0: seed 002 §4.4.2 finds average sneak
        currents V/3R that "do not have the potential to cause undesired switching".
        PLACEHOLDER as above.
    dp_program_flip:
        Probability that a cell of a deterministically programmed 1R crossbar ends in the
        wrong state through disturbance by the high programming currents of the other cells
        (``dp`` baseline with sneak on). Default 0.15 — PLACEHOLDER chosen to give an error
        of the order of seed 002 Table 5 DP-1R (≈ 24 % on WBCD).
    """

    rate_2phase: float = 0.01
    rate_4phase: float = 0.0
    dp_program_flip: float = 0.15

    def __post_init__(self) -> None:
        for name in ("rate_2phase", "rate_4phase", "dp_program_flip"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 <= v <= 1.0):
                raise ParameterError(f"SneakDisturbance.{name} must be in [0, 1], got {v}")


def _odd_flip_prob(p: float, exposures: NDArray[np.integer]) -> F64:
    """P(odd number of flips) in ``exposures`` independent phases of flip probability p."""
    out: F64 = 0.5 * (1.0 - (1.0 - 2.0 * p) ** exposures.astype(np.float64))
    return out


class BinaryCrossbarTrainer:
    """Seed 002 in-situ stochastic training of a dense tanh network on binary MTJ crossbars.

    Parameters
    ----------
    spec:
        Dense net spec (conv layers are rejected: seed 002 maps one layer per crossbar).
    b:
        Binary quantisation step per layer, b = mean|W| of the real-valued net (§3.2).
    variant:
        ``mtj-1t1r``, ``mtj-1r-2phase`` or ``mtj-1r-4phase``.
    model:
        Injected switching model (called with V = I_wr·R_nominal of the starting state).
    rng:
        Random generator (initial states and switching).
    lr:
        η of eq. 2: |δ| is scaled by ``lr`` before eq. 6 (seed 002 §4.2: "|δ| ≤ 1 can be
        ensured by normalizing and adjusting with η").
    sneak:
        Sneak disturbance rates (used by the 1R variants when ``sneak_on``).
    sneak_on:
        Apply the sneak disturbance.
    variation:
        Device-to-device resistance variation (seed 002 "DV"): read conductance and write
        current of each cell scale with 1/r_scale.
    r_p_ohm, r_ap_ohm:
        Nominal resistances used to turn I_wr into the drive voltage.
    """

    def __init__(
        self,
        spec: NetSpec,
        *,
        b: list[float],
        variant: BinaryVariant,
        model: SwitchingModel,
        rng: np.random.Generator,
        lr: float = 1.0,
        sneak: SneakDisturbance | None = None,
        sneak_on: bool = True,
        variation: DeviceVariation | None = None,
        r_p_ohm: float = SEED002_R_P_OHM,
        r_ap_ohm: float = SEED002_R_AP_OHM,
    ) -> None:
        if any(layer.kind != "fc" for layer in spec.layers):
            raise ParameterError("binary crossbar training supports dense nets only")
        if variant not in ("mtj-1t1r", "mtj-1r-2phase", "mtj-1r-4phase"):
            raise ParameterError(f"unknown binary variant {variant!r}")
        shapes = Network.weight_shapes(spec)
        if len(b) != len(shapes) or any(not (math.isfinite(x) and x > 0) for x in b):
            raise ParameterError("need one positive b per layer")
        self.spec = spec
        self.variant: BinaryVariant = variant
        self.model = model
        self.rng = rng
        self.lr = lr
        self.sneak = sneak or SneakDisturbance()
        self.sneak_on = sneak_on
        self.b = [np.float32(x) for x in b]
        self.r_p = r_p_ohm
        self.r_ap = r_ap_ohm
        self.map_ap_p = WriteMapping.seed002("AP->P")
        self.map_p_ap = WriteMapping.seed002("P->AP")
        self.states: list[NDArray[np.bool_]] = [rng.random(s) < 0.5 for s in shapes]  # True = P
        var = variation or DeviceVariation()
        self.r_scale: list[F64 | None] = [
            var.draw(s, salt=100 + i)[0] if var.r_rsd > 0 else None for i, s in enumerate(shapes)
        ]
        self.net = Network(
            spec, activation="tanh", weights=[np.zeros(s, np.float32) for s in shapes]
        )
        self.switches = 0
        self.false_switches = 0

    def read_weights(self) -> list[F32]:
        """Effective weights seen by a read: ±b, scaled by 1/r_scale with variation."""
        out: list[F32] = []
        for st, b, rs in zip(self.states, self.b, self.r_scale, strict=True):
            w = np.where(st, b, -b).astype(np.float32)
            if rs is not None:
                w = (w / rs).astype(np.float32)
            out.append(w)
        return out

    def _write_layer(self, idx: int, x: F64, delta: F64) -> None:
        """One write of layer ``idx`` for input ``x`` and error ``delta`` (eq. 2, 6–7)."""
        st = self.states[idx]
        s = -np.sign(delta)[:, None] * np.sign(x)[None, :]  # sign of ΔW = −η δ x^T
        target_p = s > 0
        cand = (s != 0) & (st != target_p)
        ad = np.minimum(np.abs(delta) * self.lr, 1.0)
        ax = np.minimum(np.abs(x), 1.0)
        p = np.zeros(st.shape, dtype=np.float64)
        rs_all = self.r_scale[idx]
        for direction, wm, r_nom, from_p in (
            ("AP->P", self.map_ap_p, self.r_ap, False),
            ("P->AP", self.map_p_ap, self.r_p, True),
        ):
            sel = cand & (st == from_p)
            if not np.any(sel):
                continue
            rows, cols = np.nonzero(sel)
            width = wm.width(ad[rows])
            volt = wm.current(ax[cols]) * r_nom
            rs = None if rs_all is None else rs_all[sel]
            d: Direction = "AP->P" if direction == "AP->P" else "P->AP"
            p[sel] = self.model.psw(width, direction=d, voltage_V=volt, r_scale=rs)
        flip = self.rng.random(st.shape) < p
        st ^= flip
        self.switches += int(flip.sum())
        if self.sneak_on and self.variant != "mtj-1t1r":
            self._sneak(idx, x, delta)

    def _sneak(self, idx: int, x: F64, delta: F64) -> None:
        st = self.states[idx]
        sel_col = delta != 0  # output j written in the phase of its sign
        if self.variant == "mtj-1r-2phase":
            # 2 phases; a cell is selected in at most one (its column's δ sign).
            rate = self.sneak.rate_2phase
            exposures = np.broadcast_to((2 - sel_col.astype(int))[:, None], st.shape)
        else:
            rate = self.sneak.rate_4phase
            sel = sel_col[:, None] & (x != 0)[None, :]
            exposures = 4 - sel.astype(int)
        if rate <= 0:
            return
        flip = self.rng.random(st.shape) < _odd_flip_prob(rate, np.asarray(exposures))
        st ^= flip
        self.false_switches += int(flip.sum())

    def train_sample(self, x: F32, y: int) -> tuple[float, bool]:
        """Read, backpropagate and write for one sample (seed 002 §4.1, §4.5); (loss, hit)."""
        ws = self.read_weights()
        n_layers = len(ws)
        acts: list[F64] = [np.asarray(x, dtype=np.float64)]
        pres: list[F64] = []
        for i, w in enumerate(ws):
            z = (w.astype(np.float64) @ acts[-1]) * float(self.net.scales[i])
            pres.append(z)
            acts.append(np.tanh(z))
        out = acts[-1]
        d = -np.ones_like(out)
        d[y] = 1.0
        loss = 0.5 * float(((out - d) ** 2).sum())
        hit = int(np.argmax(out)) == y
        delta = (out - d) * (1.0 - out**2)
        deltas: list[F64] = [np.zeros(0)] * n_layers
        deltas[-1] = delta * float(self.net.scales[-1])
        for i in range(n_layers - 1, 0, -1):
            back = ws[i].astype(np.float64).T @ deltas[i]
            deltas[i - 1] = back * (1.0 - acts[i] ** 2) * float(self.net.scales[i - 1])
        for i in range(n_layers):
            self._write_layer(i, acts[i], deltas[i])
        return loss, hit

    def predict(self, x: F32) -> F32:
        """Scores (tanh outputs' pre-activations) for a batch with the read weights."""
        return self.net.predict(x, weights=self.read_weights())


def deploy_deterministic(
    states: list[NDArray[np.bool_]],
    b: list[float],
    *,
    rng: np.random.Generator,
    program_flip: float = 0.0,
    r_scale: list[F64 | None] | None = None,
) -> list[F32]:
    """Seed 002 "DP": program trained binary states deterministically into a crossbar.

    Each cell ends in the wrong state with ``program_flip`` (1R programming disturbance)
    and reads with conductance scaled by 1/r_scale (device variation, 1T1R). Returns the
    read weights.
    """
    out: list[F32] = []
    for i, (st, bb) in enumerate(zip(states, b, strict=True)):
        flipped = st ^ (rng.random(st.shape) < program_flip)
        w = np.where(flipped, bb, -bb).astype(np.float32)
        rs = None if r_scale is None else r_scale[i]
        if rs is not None:
            w = (w / rs).astype(np.float32)
        out.append(w)
    return out
