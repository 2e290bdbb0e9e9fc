"""MTJ-GXNOR weight update of the 4T2R ternary synapse (seed 001 §4.1, §4.3, §4.4).

Switching probabilities come from the device model of :mod:`spinspice.spintronic_cells`
through the :class:`SwitchingModel` protocol (pulse width and drive in, P_sw out):

* :class:`DeviceSwitching` wraps an :class:`~spinspice.spintronic_cells.mtj.MTJParams`
  (default preset ``seed001-device-c``) and one of the closed forms of
  :mod:`spinspice.spintronic_cells.switching` (default ``analytic``: seed 001 eq. 15
  integrated over θ with the (I − I_c0) drive; ``analytic-hc`` is eq. 16 as printed).
  Temperature uses :meth:`MTJParams.at_temperature` (θ0 ∝ √T, R_off(T) of Table 7).
* :class:`TableSwitching` interpolates a ``width_s,psw`` CSV as written by
  ``spinspice device psw`` (LLG Monte Carlo, SPICE) or by a circuit simulation.

State machine (seed 001 Table 1, eq. 18–20 and the two examples of §4.4)
-------------------------------------------------------------------------
A synapse is two MTJs (R1, R2); ``on`` = P = R_on, ``off`` = AP = R_off::

    +1 = (on, off)    0s = (off, off)    0w = (on, on)    −1 = (off, on)

so W = [R1 on] − [R2 on]. For an update value ΔW with κ = ⌊|ΔW|⌋ and ν = |ΔW| − κ:

* sign(ΔW) > 0: R1 receives the κ pulse 1{κ≠0}·T_up in the direction off→on (AP→P), R2 the
  ν pulse |ν|·T_up in the direction on→off (P→AP) (eq. 18–20; §4.4 example 1).
* sign(ΔW) < 0: R1 receives the ν pulse on→off, R2 the κ pulse off→on (§4.4 example 2).

An MTJ that receives a pulse of width Δt and is not already in its target state switches
with P_sw(Δt) (independently of the other), which is eq. 17/24,
Δw = sign(ΔW)·(1{κ≠0} + Bern(P_sw(ν·T_up))), when P_sw(T_up) ≈ 1:

==========  ======  =============================================================
W           ΔW      outcome (Pκ = P_sw(T_up) if κ≠0 else 0, Pν = P_sw(|ν|·T_up))
==========  ======  =============================================================
−1          > 0     +1: Pκ·Pν; 0w: Pκ(1−Pν); 0s: (1−Pκ)Pν; stays: (1−Pκ)(1−Pν)
0s          > 0     +1: Pκ (R2 is already off; the ν pulse cannot act)
0w          > 0     +1: Pν (R1 is already on)
+1          > 0     nothing can switch (saturation = the boundary of eq. 9)
+1          < 0     mirror image of (−1, ΔW > 0)
0w          < 0     −1: Pν (§4.4 example 2)
0s          < 0     −1: Pκ
−1          < 0     nothing can switch (§4.4.1, last paragraph)
==========  ======  =============================================================

Review notes (deviations from the seed's prose, kept on purpose):

* ν pulses only ever switch an MTJ *off* and κ pulses only switch one *on*. Hence 0s is
  a "strong" zero that fractional updates cannot leave, and 0w a "weak" zero. Seed 001
  §4.1 says "if ΔW > 0 … only W = −1 or W = 0s can switch"; with eq. 18–20 and both §4.4
  examples it is 0w (and 0s only through κ ≠ 0). With |ΔW| < 1 everywhere, every synapse
  drifts into 0s and training stalls; the update values must reach |ΔW| ≥ 1 sometimes.
  :class:`~spinspice.training.loop.TrainingConfig` therefore scales ΔW by ``lr`` so that
  large gradients produce κ = 1 (see ``docs/training.md``).
* P_sw(T_up) of the default device at V_up = 1 V, T_up = 2 ns is ≈ 0.24 with the
  ``analytic`` model (0.63/0.91 with eq. 16 as printed), not ≈ 1 as §4.1 assumes. We do not
  tune the device to hide this; the summary reports P_sw(T_up) and ``--t-up``/``--v-up``
  calibrate it (docs/engineering_facts.md §5).

Leakage (seed 001 §4.4.2, last sentence): in a synapse updated with κ = 0, the MTJ that
receives no pulse may switch R_on → R_off through leakage currents; we flip it with
probability ``leak_prob`` when it is on (the example's R2 of a 0w synapse).

Zero-width pulses: no current flows, so P_sw = 0 (the closed forms would give ≈ 5·10⁻⁶ at
Δt = 0 for θ0 = 0.345).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.mtj import MTJParams
from spinspice.spintronic_cells.presets import get_preset
from spinspice.spintronic_cells.switching import (
    MODELS,
    psw_analytic,
    psw_analytic_hc,
    psw_precessional,
    psw_thermal,
)

__all__ = [
    "DEFAULT_PRESET",
    "DeviceSwitching",
    "DeviceVariation",
    "Direction",
    "MTJGxnorUpdater",
    "MTJUpdateSettings",
    "SwitchingModel",
    "TableSwitching",
    "weights_from_mtj",
]

F64 = NDArray[np.float64]
Direction = Literal["AP->P", "P->AP"]
ModelName = Literal["analytic", "analytic-hc", "thermal", "precessional"]

#: Device preset used when none is named (seed 001 Table 3, device C).
DEFAULT_PRESET = "seed001-device-c"
#: Fewest pulse widths of a switching table: interpolation needs two points.
MIN_TABLE_WIDTHS: Final = 2
#: Switching directions (AP→P, P→AP): at most one switching table each.
N_DIRECTIONS: Final = 2
#: Probability that a zero weight starts as 0w (both MTJs on) rather than 0s; our choice
#: (unbiased).
ZERO_W_PROBABILITY: Final = 0.5


def _check_direction(direction: str) -> Direction:
    if direction == "AP->P":
        return "AP->P"
    if direction == "P->AP":
        return "P->AP"
    raise ParameterError(f"direction must be 'AP->P' or 'P->AP', got {direction!r}")


@runtime_checkable
class SwitchingModel(Protocol):
    """Probability that an MTJ switches under one write pulse.

    Conventions (those of :mod:`spinspice.spintronic_cells.mtj`): P = on = R_on, AP = off
    = R_off. ``direction`` names the transition attempted; the device is in its start state.
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
            Voltage straight across the MTJ during the pulse, V (scalar or broadcastable).
        r_scale, theta0_scale:
            Per-device multiplicative deviations of the resistance and of θ0 (device-to-
            device variation, broadcastable to ``width_s``); ``None`` = nominal device.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceSwitching:
    """P_sw from the physics stage's device model (:mod:`spinspice.spintronic_cells`).

    Attributes
    ----------
    params:
        Device parameters (e.g. ``get_preset("seed001-device-c")``).
    model:
        Closed form of :mod:`spinspice.spintronic_cells.switching`: ``analytic`` (default;
        seed 001 eq. 15 with drive I − I_c0), ``analytic-hc`` (eq. 16 as printed),
        ``thermal`` or ``precessional`` (seed 002 eq. 5).

    Notes
    -----
    A voltage V straight across the MTJ drives I = V / (R(start state, V)·r_scale).
    θ0 variation is supported for ``analytic`` and ``analytic-hc``, whose θ0 enters only
    as the 1/θ0 factor of the erf argument (the formula is the one of
    :func:`~spinspice.spintronic_cells.switching.psw_analytic`; a test checks that both
    agree).
    """

    params: MTJParams
    model: ModelName = "analytic"

    def __post_init__(self) -> None:
        if not isinstance(self.params, MTJParams):
            raise ParameterError("DeviceSwitching.params must be an MTJParams")
        if self.model not in MODELS:
            raise ParameterError(
                f"unknown switching model {self.model!r}; use one of {', '.join(MODELS)}"
            )

    @classmethod
    def from_preset(
        cls,
        name: str = DEFAULT_PRESET,
        *,
        model: ModelName = "analytic",
        temperature_K: float | None = None,
        theta0_rad: float | None = None,
    ) -> DeviceSwitching:
        """Device of preset ``name``, optionally at another temperature or with another θ0.

        ``temperature_K`` applies :meth:`MTJParams.at_temperature` (θ0 ∝ √T, R_off(T) from
        seed 001 Table 7, 260–373 K); ``theta0_rad`` then overrides θ0 (Table 6 sweep).
        """
        p = get_preset(name)
        if temperature_K is not None:
            p = p.at_temperature(temperature_K)
        if theta0_rad is not None:
            p = replace(p, theta0_rad=theta0_rad)
        return cls(params=p, model=model)

    def psw_current(
        self,
        width_s: F64,
        *,
        direction: Direction,
        current_A: F64 | float,
        theta0_scale: F64 | None = None,
    ) -> F64:
        """P_sw for current pulses of magnitude ``current_A`` (A) in the switching polarity."""
        d = _check_direction(direction)
        w = np.asarray(width_s, dtype=np.float64)
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ParameterError("pulse widths must be finite and >= 0 s")
        i = np.abs(np.asarray(current_A, dtype=np.float64))
        p = self.params
        if theta0_scale is None:
            if self.model == "analytic":
                out = psw_analytic(p, i, w, d)
            elif self.model == "analytic-hc":
                # eq. 16 depends on V/R = I only.
                out = psw_analytic_hc(p, i, 1.0, w, d)
            elif self.model == "thermal":
                out = psw_thermal(p, i, w, d)
            else:
                out = psw_precessional(p, i, w, d)
        else:
            if self.model not in ("analytic", "analytic-hc"):
                raise ParameterError(
                    f"θ0 variation needs model 'analytic' or 'analytic-hc', not {self.model!r}"
                )
            from scipy.special import erf

            th = p.theta0_rad * np.asarray(theta0_scale, dtype=np.float64)
            c = p.charge_constant(d)
            drive = np.maximum(i - p.ic0(d), 0.0) if self.model == "analytic" else i
            arg = math.pi / (2.0 * math.sqrt(2.0) * th) * np.exp(-w * drive / c)
            out = 1.0 - np.asarray(erf(arg), dtype=np.float64)
            if self.model == "analytic":
                out = np.where(i > p.ic0(d), out, 0.0)
        res: F64 = np.where(w > 0, np.clip(out, 0.0, 1.0), 0.0)
        return res

    def current(
        self, direction: Direction, voltage_V: F64 | float, r_scale: F64 | None = None
    ) -> F64:
        """I = |V| / (R(start state, V)·r_scale), A, for a voltage straight across the MTJ."""
        d = _check_direction(direction)
        state: Literal["AP", "P"] = "AP" if d == "AP->P" else "P"
        v = np.abs(np.asarray(voltage_V, dtype=np.float64))
        if v.ndim == 0:
            r = np.asarray(self.params.resistance(state, float(v)), dtype=np.float64)
        else:  # R(V) of the device model, evaluated once per distinct voltage
            uniq, inv = np.unique(v, return_inverse=True)
            r_u = np.array([self.params.resistance(state, float(u)) for u in uniq])
            r = r_u[inv].reshape(v.shape)
        if r_scale is not None:
            r = r * np.asarray(r_scale, dtype=np.float64)
        out: F64 = v / r
        return out

    def psw(
        self,
        width_s: F64,
        *,
        direction: Direction,
        voltage_V: F64 | float,
        r_scale: F64 | None = None,
        theta0_scale: F64 | None = None,
    ) -> F64:
        """P_sw for voltage pulses (see :class:`SwitchingModel`)."""
        i = self.current(direction, voltage_V, r_scale)
        return self.psw_current(
            width_s, direction=direction, current_A=i, theta0_scale=theta0_scale
        )


def _read_psw_csv(path: str | Path) -> tuple[tuple[float, ...], tuple[float, ...], str, float]:
    """(widths, psw, from_state or '', voltage or nan) of one ``width_s,psw`` CSV."""
    pp = Path(path)
    if not pp.is_file():
        raise ParameterError(f"switching table not found: {pp}")
    with pp.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"width_s", "psw"} <= set(reader.fieldnames):
            raise ParameterError(f"{pp}: CSV needs columns width_s,psw")
        raw = list(reader)
    try:
        rows = sorted((float(r["width_s"]), float(r["psw"])) for r in raw)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{pp}: non-numeric value ({exc})") from exc
    if not rows:
        raise ParameterError(f"{pp}: no rows")
    states = {r.get("from_state") or "" for r in raw}
    volts = {r.get("voltage_V") or "" for r in raw}
    if len(states) > 1 or len(volts) > 1:
        raise ParameterError(f"{pp}: one start state and one voltage per table, please")
    state = states.pop()
    vtxt = volts.pop()
    try:
        volt = float(vtxt) if vtxt else math.nan
    except ValueError as exc:
        raise ParameterError(f"{pp}: bad voltage_V {vtxt!r}") from exc
    return tuple(r[0] for r in rows), tuple(r[1] for r in rows), state, volt


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSwitching:
    """Switching probability interpolated from (pulse width, P_sw) tables.

    A table holds one drive voltage, nominal devices (e.g. ``spinspice device psw --model
    llg`` or a circuit simulation of the 4T2R update). Asking for another voltage, or for
    device variation, raises :class:`ParameterError`: use :class:`DeviceSwitching` for
    those studies.

    Attributes
    ----------
    widths_s:
        Increasing pulse widths, s (≥ 2 points).
    psw_ap_to_p:
        P_sw at each width for AP→P, in [0, 1].
    psw_p_to_ap:
        P_sw for P→AP (``None`` = same table as AP→P).
    voltage_V:
        Drive voltage at which the tables were produced, V.
    """

    widths_s: tuple[float, ...]
    psw_ap_to_p: tuple[float, ...]
    psw_p_to_ap: tuple[float, ...] | None = None
    voltage_V: float = 1.0

    def __post_init__(self) -> None:
        w = np.asarray(self.widths_s, dtype=np.float64)
        if w.ndim != 1 or len(w) < MIN_TABLE_WIDTHS or np.any(np.diff(w) <= 0) or w[0] < 0:
            raise ParameterError("TableSwitching.widths_s must be >= 2 increasing widths >= 0")
        for name in ("psw_ap_to_p", "psw_p_to_ap"):
            p = getattr(self, name)
            if p is None:
                continue
            pa = np.asarray(p, dtype=np.float64)
            if pa.shape != w.shape:
                raise ParameterError(f"TableSwitching.{name} needs one value per width")
            if np.any(~np.isfinite(pa)) or np.any(pa < 0) or np.any(pa > 1):
                raise ParameterError(f"TableSwitching.{name} must lie in [0, 1]")
        if not (math.isfinite(self.voltage_V) and self.voltage_V > 0):
            raise ParameterError("TableSwitching.voltage_V must be > 0")

    @classmethod
    def from_csv(
        cls, paths: Sequence[str | Path], *, voltage_V: float | None = None
    ) -> TableSwitching:
        """Read one or two CSVs with columns ``width_s,psw`` (``spinspice device psw``).

        A ``from_state`` column (AP or P) assigns a table to its direction; with a single
        table it serves both directions. The voltage is the ``voltage_V`` column, else the
        argument.
        """
        if not 1 <= len(paths) <= N_DIRECTIONS:
            raise ParameterError("give one or two switching tables (one per direction)")
        tables = [_read_psw_csv(p) for p in paths]
        volts = {t[3] for t in tables if not math.isnan(t[3])}
        if voltage_V is not None:
            volts.add(float(voltage_V))
        if len(volts) != 1 or not all(math.isclose(v, next(iter(volts))) for v in volts):
            raise ParameterError(
                "switching tables need one common drive voltage (voltage_V column or argument)"
            )
        volt = next(iter(volts))
        by_dir: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {}
        for (w, p, state, _), path in zip(tables, paths, strict=True):
            if state not in ("", "AP", "P"):
                raise ParameterError(f"{path}: from_state must be AP or P, got {state!r}")
            key = {"AP": "AP->P", "P": "P->AP", "": "both"}[state]
            if key in by_dir:
                raise ParameterError(f"two switching tables for {key}")
            by_dir[key] = (w, p)
        if len(tables) == N_DIRECTIONS and "both" in by_dir:
            raise ParameterError("with two tables each needs a from_state column (AP, P)")
        if "both" in by_dir:
            w, p = by_dir["both"]
            return cls(widths_s=w, psw_ap_to_p=p, psw_p_to_ap=None, voltage_V=volt)
        first = by_dir.get("AP->P") or by_dir["P->AP"]
        second = by_dir.get("P->AP")
        if second is not None and second[0] != first[0]:
            raise ParameterError("both direction tables must use the same widths")
        return cls(
            widths_s=first[0],
            psw_ap_to_p=first[1],
            psw_p_to_ap=None if second is None else second[1],
            voltage_V=volt,
        )

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
        d = _check_direction(direction)
        if r_scale is not None or theta0_scale is not None:
            raise ParameterError(
                "a P_sw table describes nominal devices; use the device model for variation"
            )
        v = np.abs(np.asarray(voltage_V, dtype=np.float64))
        if not np.allclose(v, self.voltage_V, rtol=1e-6):
            raise ParameterError(
                f"the P_sw table was made at {self.voltage_V:g} V; it cannot be used at "
                f"{np.unique(v)} V (use the device model, or a table made at that voltage)"
            )
        table = self.psw_ap_to_p if d == "AP->P" or self.psw_p_to_ap is None else self.psw_p_to_ap
        w = np.asarray(width_s, dtype=np.float64)
        p = np.interp(w, np.asarray(self.widths_s), np.asarray(table))
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
        Probability that the unpulsed MTJ of a synapse updated with κ = 0 switches
        R_on → R_off through leakage currents (seed 001 §4.4.2, example 2). Default 0.
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
        zero_w = rng.random(w.shape) < ZERO_W_PROBABILITY
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
        flip1 = rng.random(d.shape) < p1
        flip2 = rng.random(d.shape) < p2
        leak = self.settings.leak_prob
        if leak > 0:
            # κ = 0: the κ-MTJ (R1 for ΔW > 0, R2 for ΔW < 0) gets no pulse; if on, it may
            # leak R_on → R_off (seed 001 §4.4.2). Independent draws, taken only when used.
            quiet = upd & (kappa == 0)
            l1 = quiet & pos & arr.r1_on & (rng.random(d.shape) < leak)
            l2 = quiet & neg & arr.r2_on & (rng.random(d.shape) < leak)
            flip1 |= l1
            flip2 |= l2
        arr.r1_on ^= flip1
        arr.r2_on ^= flip2
        n = int(flip1.sum() + flip2.sum())
        arr.switches += n
        return n
