"""In-situ stochastic training of binary MTJ crossbars (seed 002).

What lives here
---------------
* :class:`WriteMapping`: seed 002 eq. 6–7, t_wr = t0 + t1·|δ|, I_wr = I0 + I1·|x|, with the
  Table 3 coefficients per switching direction (:data:`SEED002_TABLE3`).
* :func:`seed002_switching`: the device model (``analytic`` law of
  :mod:`spinspice.spintronic_cells.switching`) with parameters per direction chosen so that
  the Table 3 mapping meets seed 002's design rules eq. 8–9 (:func:`seed002_device_params`).
* :class:`SneakDisturbance`: false-switch probabilities of unselected 1R cells per write
  phase, derived from seed 002's average sneak currents and the device model
  (:func:`sneak_rate`) or read from a sneak-path summary file.
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
from pathlib import Path
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.mtj import MTJParams
from spinspice.spintronic_cells.seed002 import (
    SEED002_R_AP_OHM,
    SEED002_R_P_OHM,
    SEED002_TABLE3,
    calibrate_direction,
)
from spinspice.training.gxnor import F32, NetSpec, Network
from spinspice.training.mtj_update import (
    DeviceSwitching,
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
    "DirectionalSwitching",
    "SneakDisturbance",
    "WriteMapping",
    "calibrate_direction",
    "deploy_deterministic",
    "seed002_device_params",
    "seed002_switching",
    "sneak_rate",
]

F64 = NDArray[np.float64]
BinaryVariant = Literal["mtj-1t1r", "mtj-1r-2phase", "mtj-1r-4phase"]
#: Probability that an MTJ starts in P (else AP); our choice (unbiased random start).
P_START_PROBABILITY: Final = 0.5


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


def seed002_device_params(
    direction: Direction, *, p0: float = 0.05, p_max: float = 0.7
) -> MTJParams:
    """:class:`MTJParams` of the seed 002 crossbar MTJ for one switching direction.

    Seed 002 lists no device parameters beyond Table 3 and R_P, R_AP (§4.3). We take the
    device model's ``analytic`` law and choose I_c0, C = 2·I_c0/(α·γ·μ0·Ms) (through α at
    μ0·Ms = 0.5 T) and θ0 with :func:`calibrate_direction`. Results (P0 = 0.05, η = 0.7):
    AP→P I_c0 = 15 µA, C = 4.6e-14 A·s; P→AP I_c0 = 50 µA, C = 9.2e-14 A·s; θ0 = 0.070 rad
    (Δ = 1/(2θ0²) ≈ 100) for both. One parameter set per direction, because seed 002's
    direction asymmetry (different spin-transfer efficiencies) is not a single α.
    Geometry is seed 001 device C's (it does not enter the ``analytic`` law).
    """
    from spinspice.spintronic_cells.mtj import GAMMA_T

    t0, t1, i0, i1 = SEED002_TABLE3[direction]
    ic, c, theta0 = calibrate_direction(t0, t1, i0, i1, p0=p0, p_max=p_max)
    mu0_ms = 0.5
    alpha = 2.0 * ic / (c * GAMMA_T * mu0_ms)
    return MTJParams(
        a_m=50e-9,
        b_m=20e-9,
        t_f_m=2e-9,
        mu0_ms_T=mu0_ms,
        alpha=alpha,
        r_on_ohm=SEED002_R_P_OHM,
        r_off_ohm=SEED002_R_AP_OHM,
        ic0_ap_to_p_A=ic,
        ic0_p_to_ap_A=ic,
        theta0_rad=theta0,
        v_half_V=1e3,  # seed 002 uses bias-independent R_P, R_AP
        source=(
            f"seed 002 Table 3 {direction} (t0, t1, I0, I1) with the eq. 8-9 design rules, "
            f"P0 = {p0}, P(I0+I1, t0+t1) = {p_max}; R_P, R_AP from seed 002 §4.3"
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectionalSwitching:
    """A switching model per direction (seed 002's asymmetric device)."""

    ap_to_p: DeviceSwitching
    p_to_ap: DeviceSwitching

    def psw(
        self,
        width_s: F64,
        *,
        direction: Direction,
        voltage_V: F64 | float,
        r_scale: F64 | None = None,
        theta0_scale: F64 | None = None,
    ) -> F64:
        """P_sw of the model of ``direction`` (see :class:`SwitchingModel`)."""
        m = self.ap_to_p if direction == "AP->P" else self.p_to_ap
        return m.psw(
            width_s,
            direction=direction,
            voltage_V=voltage_V,
            r_scale=r_scale,
            theta0_scale=theta0_scale,
        )

    def psw_current(self, width_s: F64, *, direction: Direction, current_A: F64 | float) -> F64:
        """P_sw for current pulses of ``current_A`` A."""
        m = self.ap_to_p if direction == "AP->P" else self.p_to_ap
        return m.psw_current(width_s, direction=direction, current_A=current_A)


def seed002_switching(*, p0: float = 0.05, p_max: float = 0.7) -> DirectionalSwitching:
    """Device model of the seed 002 crossbar MTJ (see :func:`seed002_device_params`)."""
    return DirectionalSwitching(
        ap_to_p=DeviceSwitching(params=seed002_device_params("AP->P", p0=p0, p_max=p_max)),
        p_to_ap=DeviceSwitching(params=seed002_device_params("P->AP", p0=p0, p_max=p_max)),
    )


def sneak_rate(
    model: DirectionalSwitching,
    *,
    scheme: Literal["2phase", "4phase"],
    abs_x: float = 0.5,
    abs_delta: float = 0.5,
) -> float:
    """Average-case false-switch probability of one unselected cell in one write phase.

    Seed 002 §4.4: in the 2-phase scheme the expected sneak current is
    (V_P − V_AP)/(2R) (V_AP < 0), in the 4-phase scheme V/(3R). We evaluate the device
    model at those currents for a P cell (P→AP, R_P, V_P) and an AP cell (AP→P, R_AP, V_AP),
    with the write amplitudes of eq. 6–7 at |x| = ``abs_x`` and |δ| = ``abs_delta``, and
    average over the two states and the two sneak polarities (a current can only switch a
    cell in the state it drives away from, so half the exposures cannot flip it):
    rate = ¼·(P_P→AP + P_AP→P).
    """
    map_p = WriteMapping.seed002("P->AP")
    map_ap = WriteMapping.seed002("AP->P")
    x = np.array([abs_x])
    v_p = float(map_p.current(x)[0]) * SEED002_R_P_OHM
    v_ap = float(map_ap.current(x)[0]) * SEED002_R_AP_OHM  # magnitude of V_AP
    width = float(map_p.width(np.array([abs_delta]))[0])
    if scheme == "2phase":
        i_p, i_ap = (v_p + v_ap) / (2 * SEED002_R_P_OHM), (v_p + v_ap) / (2 * SEED002_R_AP_OHM)
    elif scheme == "4phase":
        i_p, i_ap = v_p / (3 * SEED002_R_P_OHM), v_ap / (3 * SEED002_R_AP_OHM)
    else:
        raise ParameterError(f"scheme must be '2phase' or '4phase', got {scheme!r}")
    w = np.array([width])
    p_p = float(model.psw_current(w, direction="P->AP", current_A=i_p)[0])
    p_ap = float(model.psw_current(w, direction="AP->P", current_A=i_ap)[0])
    return 0.25 * (p_p + p_ap)


@dataclass(frozen=True, slots=True, kw_only=True)
class SneakDisturbance:
    """False switches of unselected cells in 1R crossbars (seed 002 §4.4).

    Attributes
    ----------
    rate_2phase:
        Probability that an unselected cell flips in one write phase of the 2-phase scheme.
    rate_4phase:
        Same for the 4-phase scheme.
    dp_program_flip:
        Probability that a cell of a deterministically programmed 1R crossbar ends in the
        wrong state through sneak currents of the (full-amplitude) programming of the
        other cells (``dp`` baseline with sneak on).

    :meth:`from_device` derives all three from seed 002's average-case sneak currents and
    the device model (:func:`sneak_rate`); :meth:`from_file` reads them from a sneak-path
    summary (e.g. the crossbar simulations).
    """

    rate_2phase: float
    rate_4phase: float
    dp_program_flip: float

    def __post_init__(self) -> None:
        for name in ("rate_2phase", "rate_4phase", "dp_program_flip"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and 0.0 <= v <= 1.0):
                raise ParameterError(f"SneakDisturbance.{name} must be in [0, 1], got {v!r}")

    @classmethod
    def from_device(cls, model: DirectionalSwitching | None = None) -> SneakDisturbance:
        """Rates of :func:`sneak_rate`: write phases at |x| = |δ| = 0.5 (typical), DP
        programming at full amplitude |x| = |δ| = 1 in the 2-phase pattern (one exposure)."""
        m = model or seed002_switching()
        return cls(
            rate_2phase=sneak_rate(m, scheme="2phase"),
            rate_4phase=sneak_rate(m, scheme="4phase"),
            dp_program_flip=sneak_rate(m, scheme="2phase", abs_x=1.0, abs_delta=1.0),
        )

    @classmethod
    def from_file(
        cls, path: str | Path, *, defaults: SneakDisturbance | None = None
    ) -> SneakDisturbance:
        """Read rates from a JSON object or a CSV table; missing entries keep ``defaults``.

        JSON: ``{"false_switch_rate_2phase": r2, "false_switch_rate_4phase": r4,
        "dp_program_flip": rd}`` (any subset). CSV: columns ``scheme,false_switch_rate``
        with ``scheme`` in ``2phase``, ``4phase``, ``dp``; or the ``--summary`` table of
        ``spinspice sneak --crossbar 1r``, whose ``phase == all`` row gives the scheme's
        rate as ``expected_false_switches / n_unselected`` (the solved crossbar's average
        false-switch probability per unselected cell and phase; 1T1R rows are ignored).
        """
        import json

        p = Path(path)
        if not p.is_file():
            raise ParameterError(f"sneak summary not found: {p}")
        base = defaults or cls.from_device()
        values = {
            "rate_2phase": base.rate_2phase,
            "rate_4phase": base.rate_4phase,
            "dp_program_flip": base.dp_program_flip,
        }
        keys = {
            "false_switch_rate_2phase": "rate_2phase",
            "false_switch_rate_4phase": "rate_4phase",
            "dp_program_flip": "dp_program_flip",
            "2phase": "rate_2phase",
            "4phase": "rate_4phase",
            "dp": "dp_program_flip",
        }
        text = p.read_text()
        found = 0
        try:
            if p.suffix.lower() == ".json":
                data = json.loads(text)
                if not isinstance(data, dict):
                    raise ParameterError(f"{p}: expected a JSON object")
                for k, v in data.items():
                    if k in keys:
                        values[keys[k]] = float(v)
                        found += 1
            else:
                import csv
                import io

                reader = csv.DictReader(io.StringIO(text))
                fields = set(reader.fieldnames or ())
                if {"scheme", "false_switch_rate"} <= fields:
                    for row in reader:
                        if row["scheme"] in keys:
                            values[keys[row["scheme"]]] = float(row["false_switch_rate"])
                            found += 1
                elif fields >= _SUMMARY_COLUMNS:
                    # `spinspice sneak --summary`: the per-scheme row of a 1R crossbar;
                    # rate per unselected cell and phase = expected false switches over
                    # the (phase, unselected cell) exposures
                    for row in reader:
                        ok = row["scheme"] in ("2phase", "4phase") and row["phase"] == "all"
                        if ok and row["crossbar"] == "1r":
                            n = float(row["n_unselected"])
                            rate = float(row["expected_false_switches"]) / n if n > 0 else 0.0
                            values[keys[row["scheme"]]] = rate
                            found += 1
                else:
                    raise ParameterError(
                        f"{p}: CSV needs columns scheme,false_switch_rate or be a "
                        "`spinspice sneak --summary` table"
                    )
        except (ValueError, TypeError) as exc:
            raise ParameterError(f"{p}: unreadable sneak summary ({exc})") from None
        if found == 0:
            raise ParameterError(
                f"{p}: no false-switch rates found (see SneakDisturbance.from_file)"
            )
        return cls(**values)


_SUMMARY_COLUMNS = {"crossbar", "scheme", "phase", "n_unselected", "expected_false_switches"}


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
        Sneak disturbance rates (used by the 1R variants when ``sneak_on``); ``None`` =
        :meth:`SneakDisturbance.from_device`.
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
        self.sneak = sneak if sneak is not None else SneakDisturbance.from_device()
        self.sneak_on = sneak_on
        self.b = [np.float32(x) for x in b]
        self.r_p = r_p_ohm
        self.r_ap = r_ap_ohm
        self.map_ap_p = WriteMapping.seed002("AP->P")
        self.map_p_ap = WriteMapping.seed002("P->AP")
        self.states: list[NDArray[np.bool_]] = [  # True = P
            rng.random(s) < P_START_PROBABILITY for s in shapes
        ]
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
            i_wr = wm.current(ax[cols])
            rs = None if rs_all is None else rs_all[sel]
            d: Direction = "AP->P" if direction == "AP->P" else "P->AP"
            if isinstance(self.model, DirectionalSwitching):
                # eq. 7 maps |x| to a current; a driver set for R_nominal delivers
                # I_wr / r_scale into a device whose resistance is r_scale·R_nominal.
                i_dev = i_wr if rs is None else i_wr / rs
                p[sel] = self.model.psw_current(width, direction=d, current_A=i_dev)
            else:
                p[sel] = self.model.psw(width, direction=d, voltage_V=i_wr * r_nom, r_scale=rs)
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
