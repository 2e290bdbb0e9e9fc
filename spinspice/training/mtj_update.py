"""MTJ-GXNOR weight update of the 4T2R ternary synapse (seed 001 §4.1, §4.3, §4.4).

Switching models are injected through the :class:`SwitchingModel` protocol (pulse width in
seconds and drive voltage in, switching probability out). Two implementations live here:
:class:`ClosedFormSwitching` (seed 001 eq. 16) and :class:`TableSwitching` (a simulated
``width_s,psw`` table). The physics stage (``spinspice.spintronic_cells``) will be adapted to
the protocol by the lead; this module does not import it.

State machine (worked out from seed 001 Table 1, §4.1 and eq. 18–20)
--------------------------------------------------------------------
A synapse is two MTJs (R1, R2); ``on`` = P = R_on, ``off`` = AP = R_off::

    +1 = (on, off)    0s = (off, off)    0w = (on, on)    −1 = (off, on)

so W = [R1 on] − [R2 on]. For an update value ΔW with κ = ⌊|ΔW|⌋ and ν = |ΔW| − κ:

* sign(ΔW) > 0: the current can only switch R1 off→on (AP→P) and R2 on→off (P→AP);
  R1 receives the κ pulse 1{κ≠0}·T_up, R2 the ν pulse |ν|·T_up (eq. 18–20, Table 2).
* sign(ΔW) < 0: R1 can only go on→off (P→AP) with the ν pulse, R2 off→on (AP→P) with the
  κ pulse.

Each MTJ that receives a pulse of width Δt and is not already in its target state switches
with P_sw(Δt) from the injected model (independently), which gives eq. 17/24,
Δw = sign(ΔW)·(1{κ≠0} + Bern(P_sw(ν·T_up))), when P_sw(T_up) ≈ 1. The full table:

==========  ======  =============================================================
W           ΔW      outcome (P1 = P_sw of the κ pulse, P2 = P_sw of the ν pulse)
==========  ======  =============================================================
−1          > 0     +1: P1·P2; 0w: P1(1−P2); 0s: (1−P1)P2; stays: (1−P1)(1−P2)
0s          > 0     +1: P1 (κ≠0 only; R2 is already off)
0w          > 0     +1: P2 (R1 already on, only the ν-pulsed R2 can switch)
+1          > 0     no MTJ can switch (saturated, the boundary of eq. 9 in hardware)
+1          < 0     −1: P1·P2; 0s: P1'(R1 via ν)…  (mirror image of −1, ΔW > 0)
0w          < 0     −1: P2 (R1 on→off with the ν pulse; seed 001 §4.4 example 2)
0s          < 0     −1: P1 (κ≠0 only; R2 off→on with the κ pulse)
−1          < 0     no MTJ can switch (seed 001 §4.4.1, last paragraph)
==========  ======  =============================================================

Note on seed 001 §4.1, "if ΔW > 0 … only a synapse with weight W = −1 or W = 0s can switch":
with the current directions of eq. 18–20 a 0w synapse *can* go to +1 through its ν-pulsed
R2 (exactly the mirror of §4.4 example 2), while 0s needs κ ≠ 0. The sentence therefore holds
for the κ MTJ only; we implement the circuit (Table 1 + eq. 18–20), and the tests check
both §4.4 examples. Consequence: 0s is a "strong" zero that ignores fractional updates and
0w a "weak" zero that moves with them.

Leakage (seed 001 §4.4.2, last sentence): an MTJ of an updated synapse that receives *no*
pulse but could switch in the present current direction flips with ``leak_prob``.

Zero-width pulses: no current flows, so P_sw = 0 (eq. 16 itself would give ≈ 5·10⁻⁶ at
Δt = 0 for θ0 = 0.345).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError

__all__ = [
    "SEED001_TABLE3",
    "SEED001_TABLE7",
    "ClosedFormSwitching",
    "DeviceVariation",
    "Direction",
    "MTJGxnorUpdater",
    "MTJUpdateSettings",
    "SwitchingModel",
    "TableSwitching",
    "seed001_switching",
    "seed001_temperature_point",
    "weights_from_mtj",
]

F64 = NDArray[np.float64]
Direction = Literal["AP->P", "P->AP"]

#: Seed 001 Table 3 (MTJ device C of its ref. [18]; CMOS rows): θ0 [rad], R_on/R_off [Ω],
#: V_up [V], T_up [s]; C [A·s] = 2·I_c0/(α·γ·μ0·Ms) is given in the brief as 3.566e-13.
SEED001_TABLE3: Final[dict[str, float]] = {
    "theta0": 0.345,
    "c_As": 3.566e-13,
    "r_on_ohm": 1500.0,
    "r_off_ohm": 2500.0,
    "v_up_V": 1.0,
    "t_up_s": 2e-9,
}

#: Seed 001 Table 7: temperature [K] → (R_off [Ω], θ0 [rad]); R_on is temperature-independent.
SEED001_TABLE7: Final[dict[float, tuple[float, float]]] = {
    260.0: (2780.0, 0.3187),
    273.0: (2690.0, 0.3266),
    300.0: (2500.0, 0.345),
    333.0: (2270.0, 0.3617),
    373.0: (2000.0, 0.3827),
}


def seed001_temperature_point(temperature_K: float) -> tuple[float, float]:
    """(R_off [Ω], θ0 [rad]) at ``temperature_K``, linear interpolation of seed 001 Table 7.

    Raises
    ------
    ParameterError
        Outside the tabulated range 260–373 K (no extrapolation).
    """
    temps = np.array(sorted(SEED001_TABLE7))
    if not temps[0] <= temperature_K <= temps[-1]:
        raise ParameterError(
            f"temperature {temperature_K} K outside seed 001 Table 7 range "
            f"[{temps[0]:.0f}, {temps[-1]:.0f}] K"
        )
    roff = np.array([SEED001_TABLE7[t][0] for t in temps])
    th = np.array([SEED001_TABLE7[t][1] for t in temps])
    return float(np.interp(temperature_K, temps, roff)), float(np.interp(temperature_K, temps, th))


@runtime_checkable
class SwitchingModel(Protocol):
    """Probability that an MTJ switches under one write pulse.

    Conventions: P = on = R_on (low resistance), AP = off = R_off. ``direction`` names the
    transition attempted; the device is assumed to be in the starting state of it.
    """

    def psw(
        self,
        width_s: F64,
        *,
        direction: Direction,
        voltage_V: F64 | float,
        r_scale: F64 | None = None,
        theta0_scale: F64 | None = None,
    ) -> F64:
        """Switching probability for pulses of ``width_s`` seconds at ``voltage_V``.

        Parameters
        ----------
        width_s:
            Pulse widths, s (any shape; 0 means no pulse → probability 0).
        direction:
            ``"AP->P"`` or ``"P->AP"``.
        voltage_V:
            Voltage across the MTJ during the pulse (scalar or broadcastable array).
        r_scale, theta0_scale:
            Per-device multiplicative deviations of the resistance and of θ0 (device-to-
            device variation, broadcastable to ``width_s``); ``None`` = nominal device.
        """
        ...


def _erf(x: F64) -> F64:
    from scipy.special import erf

    out: F64 = np.asarray(erf(x), dtype=np.float64)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedFormSwitching:
    """Seed 001 eq. 16: P_sw(Δt) = 1 − erf(π / (2√2·θ0·exp(Δt·V/(C·R)))).

    R is the resistance of the starting state (R_off for AP→P, R_on for P→AP).

    Attributes
    ----------
    theta0:
        θ0, standard deviation of the initial magnetisation angle, rad. Seed 001 Table 3:
        0.345 at 300 K.
    c_As:
        C = 2·I_c0/(α·γ·μ0·Ms), A·s. 3.566e-13 for seed 001 Table 3.
    r_on_ohm:
        R_on (P state), Ω. Seed 001 Table 3: 1500.
    r_off_ohm:
        R_off (AP state), Ω. Seed 001 Table 3: 2500.
    c_p_to_ap_As, theta0_p_to_ap:
        Optional different C and θ0 for the P→AP direction (I_c0 is larger for P→AP, seed
        002 §2.3); ``None`` = same as AP→P.

    Notes
    -----
    With the Table 3 numbers, V = 1 V and Δt = T_up = 2 ns the probability is ≈ 0.91 from
    P (R_on) and ≈ 0.63 from AP (R_off), not ≈ 1 as seed 001 §4.1 assumes. We keep that.
    """

    theta0: float
    c_As: float
    r_on_ohm: float
    r_off_ohm: float
    c_p_to_ap_As: float | None = None
    theta0_p_to_ap: float | None = None

    def __post_init__(self) -> None:
        for name in ("theta0", "c_As", "r_on_ohm", "r_off_ohm"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ParameterError(f"ClosedFormSwitching.{name} must be > 0, got {v}")
        for name in ("c_p_to_ap_As", "theta0_p_to_ap"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise ParameterError(f"ClosedFormSwitching.{name} must be > 0, got {v}")
        if self.r_off_ohm <= self.r_on_ohm:
            raise ParameterError("r_off_ohm must exceed r_on_ohm")

    def psw(
        self,
        width_s: F64,
        *,
        direction: Direction,
        voltage_V: F64 | float,
        r_scale: F64 | None = None,
        theta0_scale: F64 | None = None,
    ) -> F64:
        """Eq. 16 (see :class:`SwitchingModel` for the arguments)."""
        w = np.asarray(width_s, dtype=np.float64)
        if direction == "AP->P":
            r, c, th = self.r_off_ohm, self.c_As, self.theta0
        elif direction == "P->AP":
            r = self.r_on_ohm
            c = self.c_As if self.c_p_to_ap_As is None else self.c_p_to_ap_As
            th = self.theta0 if self.theta0_p_to_ap is None else self.theta0_p_to_ap
        else:
            raise ParameterError(f"direction must be 'AP->P' or 'P->AP', got {direction!r}")
        rr = r if r_scale is None else r * np.asarray(r_scale, dtype=np.float64)
        tt = th if theta0_scale is None else th * np.asarray(theta0_scale, dtype=np.float64)
        v = np.abs(np.asarray(voltage_V, dtype=np.float64))
        expo = np.minimum(w * v / (c * rr), 50.0)
        arg = math.pi / (2.0 * math.sqrt(2.0) * tt * np.exp(expo))
        p = 1.0 - _erf(arg)
        out: F64 = np.where(w > 0, np.clip(p, 0.0, 1.0), 0.0)
        return out


def seed001_switching(
    *, theta0: float | None = None, r_off_ohm: float | None = None
) -> ClosedFormSwitching:
    """:class:`ClosedFormSwitching` with seed 001 Table 3 numbers (θ0, R_off overridable)."""
    t = SEED001_TABLE3
    return ClosedFormSwitching(
        theta0=t["theta0"] if theta0 is None else theta0,
        c_As=t["c_As"],
        r_on_ohm=t["r_on_ohm"],
        r_off_ohm=t["r_off_ohm"] if r_off_ohm is None else r_off_ohm,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSwitching:
    """Switching probability interpolated from a (pulse width, P_sw) table.

    The table is measured at one drive voltage ``voltage_V`` (e.g. a Monte-Carlo LLG run of
    the physics stage, CSV columns ``width_s,psw``). Other voltages and device resistance
    deviations are mapped onto the table with the scaling law of seed 001 eq. 16, where P_sw
    depends on Δt·V/R only: effective width = width · (V/voltage_V) / r_scale. θ0 variation
    has no such mapping and is rejected.

    Attributes
    ----------
    widths_s:
        Increasing pulse widths, s (≥ 2 points).
    psw_ap_to_p:
        P_sw at each width for AP→P, in [0, 1].
    psw_p_to_ap:
        P_sw for P→AP (``None`` = same table as AP→P).
    voltage_V:
        Drive voltage at which the table was produced, V (default 1.0 = seed 001 V_up).
    """

    widths_s: tuple[float, ...]
    psw_ap_to_p: tuple[float, ...]
    psw_p_to_ap: tuple[float, ...] | None = None
    voltage_V: float = 1.0

    def __post_init__(self) -> None:
        w = np.asarray(self.widths_s)
        if w.ndim != 1 or len(w) < 2 or np.any(np.diff(w) <= 0) or w[0] < 0:
            raise ParameterError("TableSwitching.widths_s must be >= 2 increasing widths >= 0")
        for name in ("psw_ap_to_p", "psw_p_to_ap"):
            p = getattr(self, name)
            if p is None:
                continue
            pa = np.asarray(p)
            if pa.shape != w.shape:
                raise ParameterError(f"TableSwitching.{name} needs one value per width")
            if np.any(~np.isfinite(pa)) or np.any(pa < 0) or np.any(pa > 1):
                raise ParameterError(f"TableSwitching.{name} must lie in [0, 1]")
        if not (math.isfinite(self.voltage_V) and self.voltage_V > 0):
            raise ParameterError("TableSwitching.voltage_V must be > 0")

    @classmethod
    def from_csv(
        cls,
        path: str | Path,
        *,
        path_p_to_ap: str | Path | None = None,
        voltage_V: float = 1.0,
    ) -> TableSwitching:
        """Read CSV(s) with header ``width_s,psw`` (one row per width, sorted or not)."""

        def _read(p: str | Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
            pp = Path(p)
            if not pp.is_file():
                raise ParameterError(f"switching table not found: {pp}")
            with pp.open(newline="") as fh:
                reader = csv.DictReader(fh)
                if reader.fieldnames is None or not {"width_s", "psw"} <= set(reader.fieldnames):
                    raise ParameterError(f"{pp}: CSV needs columns width_s,psw")
                try:
                    rows = sorted((float(r["width_s"]), float(r["psw"])) for r in reader)
                except ValueError as exc:
                    raise ParameterError(f"{pp}: non-numeric value ({exc})") from exc
            return tuple(r[0] for r in rows), tuple(r[1] for r in rows)

        w, p = _read(path)
        p2: tuple[float, ...] | None = None
        if path_p_to_ap is not None:
            w2, p2 = _read(path_p_to_ap)
            if w2 != w:
                raise ParameterError("both direction tables must use the same widths")
        return cls(widths_s=w, psw_ap_to_p=p, psw_p_to_ap=p2, voltage_V=voltage_V)

    def psw(
        self,
        width_s: F64,
        *,
        direction: Direction,
        voltage_V: F64 | float,
        r_scale: F64 | None = None,
        theta0_scale: F64 | None = None,
    ) -> F64:
        """Interpolated P_sw (clamped to the table ends; 0 for zero-width pulses)."""
        if theta0_scale is not None and np.any(np.asarray(theta0_scale) != 1.0):
            raise ParameterError("TableSwitching cannot apply θ0 variation (no scaling law)")
        if direction == "AP->P" or self.psw_p_to_ap is None:
            table = self.psw_ap_to_p
        else:
            table = self.psw_p_to_ap
        w = np.asarray(width_s, dtype=np.float64)
        eff = w * (np.abs(np.asarray(voltage_V, dtype=np.float64)) / self.voltage_V)
        if r_scale is not None:
            eff = eff / np.asarray(r_scale, dtype=np.float64)
        p = np.interp(eff, np.asarray(self.widths_s), np.asarray(table))
        out: F64 = np.where(w > 0, p, 0.0)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceVariation:
    """Device-to-device variation, drawn once per synapse MTJ with ``seed`` (seed 001 §5.4.1).

    Attributes
    ----------
    r_rsd:
        Relative standard deviation of the MTJ resistance (Gaussian, mean 1). Default 0.
        Seed 001 Table 5 studies 0–35 %; typical devices ≈ 5 % (its ref. [11]).
    theta0_rsd:
        Relative standard deviation of θ0 (Gaussian, mean 1). Default 0.
    seed:
        Seed of the draw.
    """

    r_rsd: float = 0.0
    theta0_rsd: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("r_rsd", "theta0_rsd"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 <= v < 1.0):
                raise ParameterError(f"DeviceVariation.{name} must be in [0, 1), got {v}")

    @property
    def active(self) -> bool:
        """True when any RSD is nonzero."""
        return self.r_rsd > 0 or self.theta0_rsd > 0

    def draw(self, shape: tuple[int, ...], *, salt: int = 0) -> tuple[F64, F64]:
        """(r_scale, theta0_scale) arrays of ``shape``, truncated at 0.05 (no negative R).

        ``salt`` separates draws for different layers with the same seed.
        """
        rng = np.random.default_rng([self.seed, salt, 0x5EED])
        r = np.maximum(1.0 + self.r_rsd * rng.standard_normal(shape), 0.05)
        t = np.maximum(1.0 + self.theta0_rsd * rng.standard_normal(shape), 0.05)
        return r, t


@dataclass(frozen=True, slots=True, kw_only=True)
class MTJUpdateSettings:
    """Circuit settings of the 4T2R update (seed 001 Table 3 CMOS rows, §4.3, §4.4.2).

    Attributes
    ----------
    t_up_s:
        Update period T_up, s. Seed 001 Table 3: 2 ns.
    v_up_V:
        Update voltage V_up across the MTJ, V. Seed 001 Table 3: 1 V.
    leak_prob:
        Probability that an unpulsed but switchable MTJ of an updated synapse flips (leakage,
        seed 001 §4.4.2). Default 0.
    """

    t_up_s: float = 2e-9
    v_up_V: float = 1.0
    leak_prob: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.t_up_s) and self.t_up_s > 0):
            raise ParameterError(f"t_up_s must be > 0, got {self.t_up_s}")
        if not (math.isfinite(self.v_up_V) and self.v_up_V > 0):
            raise ParameterError(f"v_up_V must be > 0, got {self.v_up_V}")
        if not 0.0 <= self.leak_prob <= 1.0:
            raise ParameterError(f"leak_prob must be in [0, 1], got {self.leak_prob}")


def weights_from_mtj(r1_on: NDArray[np.bool_], r2_on: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Ternary weight of each synapse, W = [R1 on] − [R2 on] (seed 001 Table 1)."""
    out: NDArray[np.float32] = r1_on.astype(np.float32) - r2_on.astype(np.float32)
    return out


@dataclass(slots=True)
class _MTJArray:
    r1_on: NDArray[np.bool_]
    r2_on: NDArray[np.bool_]
    r_scale: F64 | None = None
    theta0_scale: F64 | None = None
    switches: int = field(default=0)


class MTJGxnorUpdater:
    """Applies seed 001 eq. 17/24 to 4T2R synapse arrays through the state machine above.

    Parameters
    ----------
    model:
        Injected switching model.
    settings:
        T_up, V_up and leakage.
    variation:
        Device-to-device variation (one draw per MTJ per array, fixed for the run).
    """

    def __init__(
        self,
        model: SwitchingModel,
        settings: MTJUpdateSettings | None = None,
        variation: DeviceVariation | None = None,
    ) -> None:
        self.model = model
        self.settings = settings or MTJUpdateSettings()
        self.variation = variation or DeviceVariation()
        self.arrays: list[_MTJArray] = []

    def init_array(self, weights: NDArray[np.floating], rng: np.random.Generator) -> int:
        """Register an array with initial ternary ``weights``; zeros start as 0s or 0w (50/50).

        Returns the array index used by :meth:`update`.
        """
        w = np.asarray(weights)
        if np.any(~np.isin(w, (-1.0, 0.0, 1.0))):
            raise ParameterError("initial MTJ weights must be ternary (-1, 0, +1)")
        zero_w = rng.random(w.shape) < 0.5
        r1 = (w > 0) | ((w == 0) & zero_w)
        r2 = (w < 0) | ((w == 0) & zero_w)
        arr = _MTJArray(r1_on=r1, r2_on=r2)
        if self.variation.active:
            rs, ts = self.variation.draw((2, *w.shape), salt=len(self.arrays))
            arr.r_scale, arr.theta0_scale = rs, ts
        self.arrays.append(arr)
        return len(self.arrays) - 1

    def weights(self, idx: int) -> NDArray[np.float32]:
        """Current ternary weights of array ``idx``."""
        a = self.arrays[idx]
        return weights_from_mtj(a.r1_on, a.r2_on)

    def zero_kind(self, idx: int) -> NDArray[np.str_]:
        """State names (``'+1'``, ``'0s'``, ``'0w'``, ``'-1'``) of array ``idx``."""
        a = self.arrays[idx]
        names = np.array([["0s", "-1"], ["+1", "0w"]])
        out: NDArray[np.str_] = names[a.r1_on.astype(int), a.r2_on.astype(int)]
        return out

    def _switch_prob(
        self, arr: _MTJArray, k: int, width: F64, on: NDArray[np.bool_], mask: NDArray[np.bool_]
    ) -> F64:
        """P_sw of MTJ k (0 = R1, 1 = R2) for the pulses ``width``, only where ``mask``."""
        p = np.zeros(width.shape, dtype=np.float64)
        for direction, from_on in (("P->AP", True), ("AP->P", False)):
            sel = mask & (on == from_on)
            if not np.any(sel):
                continue
            rs = None if arr.r_scale is None else arr.r_scale[k][sel]
            ts = None if arr.theta0_scale is None else arr.theta0_scale[k][sel]
            d: Direction = "P->AP" if direction == "P->AP" else "AP->P"
            p[sel] = self.model.psw(
                width[sel], direction=d, voltage_V=self.settings.v_up_V, r_scale=rs, theta0_scale=ts
            )
        return p

    def update(self, idx: int, dw: NDArray[np.floating], rng: np.random.Generator) -> int:
        """Apply update values ``dw`` to array ``idx``; returns the number of MTJ switches.

        Implements Δw = sign(ΔW)·(1{κ≠0} + Bern(P_sw(ν·T_up))) (seed 001 eq. 17/24) through
        the per-MTJ state machine of the module docstring.
        """
        arr = self.arrays[idx]
        d = np.asarray(dw, dtype=np.float64)
        if d.shape != arr.r1_on.shape:
            raise ParameterError(f"update shape {d.shape} != array shape {arr.r1_on.shape}")
        s = np.sign(d)
        mag = np.abs(d)
        kappa = np.floor(mag)
        nu = mag - kappa
        t_up = self.settings.t_up_s
        w_kappa = np.where(kappa > 0, t_up, 0.0)
        w_nu = nu * t_up
        pos = s > 0
        neg = s < 0
        # Pulse widths per MTJ: ΔW>0 → R1 gets κ, R2 gets ν; ΔW<0 → R1 gets ν, R2 gets κ.
        w1 = np.where(pos, w_kappa, np.where(neg, w_nu, 0.0))
        w2 = np.where(pos, w_nu, np.where(neg, w_kappa, 0.0))
        # Target state per MTJ in the present current direction.
        r1_target_on = pos
        r2_target_on = neg
        upd = s != 0
        can1 = upd & (arr.r1_on != r1_target_on)
        can2 = upd & (arr.r2_on != r2_target_on)
        p1 = self._switch_prob(arr, 0, w1, arr.r1_on, can1 & (w1 > 0))
        p2 = self._switch_prob(arr, 1, w2, arr.r2_on, can2 & (w2 > 0))
        leak = self.settings.leak_prob
        if leak > 0:
            p1 = np.where(can1 & (w1 == 0), leak, p1)
            p2 = np.where(can2 & (w2 == 0), leak, p2)
        flip1 = rng.random(d.shape) < p1
        flip2 = rng.random(d.shape) < p2
        arr.r1_on ^= flip1
        arr.r2_on ^= flip2
        n = int(flip1.sum() + flip2.sum())
        arr.switches += n
        return n
