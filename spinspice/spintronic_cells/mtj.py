"""STT-MTJ device parameters and the conventions every MTJ model in spinspice follows.

Conventions (fixed here, once):

* State **P** (parallel, free layer along the fixed layer, m_x = +1) has the low
  resistance R_on; state **AP** (m_x = −1) has R_off (seed 001 §2.4).
* **Positive current flows from the free layer to the fixed layer** (electrons flow
  fixed → free) and switches AP → P; negative current switches P → AP (seed 001 §2.4).
* The free layer is an in-plane ellipse with axes a (easy axis, x) and b, thickness t_f;
  the out-of-plane direction z carries the thin-film demagnetising field M_s.
* Resistance versus the angle θ between the layers: R(θ) = R_on·(1 + P²)/(1 + P²·cos θ)
  (seed 001 §5.2.2), so R_off/R_on = (1 + P²)/(1 − P²) fixes the polarisation P from
  R_on and R_off. Bias dependence of the AP resistance (Kim et al., CICC 2015 form):
  TMR(V) = TMR0 / (1 + (V/V_h)²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

from spinspice.errors import ParameterError

#: Boltzmann constant, J/K.
KB = 1.380649e-23
#: Vacuum permeability, T·m/A.
MU0 = 4e-7 * math.pi
#: Elementary charge, C.
E_CHARGE = 1.602176634e-19
#: Reduced Planck constant, J·s.
HBAR = 1.054571817e-34
#: Gyromagnetic ratio of the electron, rad/(s·T) (use with fields in tesla).
GAMMA_T = 1.760859e11
#: γ·μ0 in m/(A·s) (use with fields in A/m; docs/engineering_facts.md §5).
GAMMA0 = GAMMA_T * MU0

State = Literal["P", "AP"]
TemperatureLaw = Literal["theta0-sqrt-t", "seed001-table7"]
#: The temperature laws :meth:`MTJParams.at_temperature` knows.
TEMPERATURE_LAWS: tuple[str, ...] = ("theta0-sqrt-t", "seed001-table7")
Direction = Literal["AP->P", "P->AP"]


def stt_resistance_ohm(r_p_ohm: float, tmr0: float, v_half_V: float, s: Any, v_V: Any) -> Any:
    """The STT-MTJ resistance law, Ω: R = R_P·(1 + s·TMR0/(1 + (V/V_h)²)).

    ``s`` is the state (0 = P, 1 = AP; fractional during a transition), ``v_V`` the voltage
    across the MTJ (V, either sign: TMR(V) is even); floats or numpy arrays. This is the one
    Python form of the law; ``templates/mtj_stt_behavioural.j2`` and ``verilog_a/mtj_stt.va``
    write the same expression (a test compares all three on a voltage grid). The bias
    dependence TMR(V) = TMR0/(1 + (V/V_h)²) is the Minnesota model's form (docs/
    engineering_facts.md §6).
    """
    return r_p_ohm * (1.0 + s * tmr0 / (1.0 + (v_V / v_half_V) ** 2))


def stt_resistance_dv(r_p_ohm: float, tmr0: float, v_half_V: float, s: Any, v_V: Any) -> Any:
    """dR/dV of :func:`stt_resistance_ohm`, Ω/V (for Newton solves)."""
    u = v_V / v_half_V
    den = 1.0 + u * u
    return r_p_ohm * s * tmr0 * (-2.0 * u / v_half_V) / (den * den)


def direction_from(state: State) -> Direction:
    """The switching direction that starts in ``state``."""
    if state not in ("P", "AP"):
        raise ParameterError(f"state must be 'P' or 'AP', got {state!r}")
    return "AP->P" if state == "AP" else "P->AP"


def _check(name: str, value: float, lo: float, hi: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if not lo <= value <= hi:
        raise ParameterError(f"{name} = {value!r} is outside the allowed range [{lo:g}, {hi:g}]")


@dataclass(frozen=True, slots=True, kw_only=True)
class MTJParams:
    """Parameters of an in-plane STT-MTJ (SI units).

    Parameters
    ----------
    a_m, b_m:
        Free-layer ellipse axes (a along the easy axis), m.
    t_f_m:
        Free-layer thickness, m. Volume V = π·a·b/4·t_f.
    mu0_ms_T:
        μ0·M_s, T.
    alpha:
        Gilbert damping α.
    r_on_ohm, r_off_ohm:
        Zero-bias resistances of P and AP, Ω.
    v_half_V:
        Bias at which the TMR halves, V (TMR(V) = TMR0/(1 + (V/V_h)²)). Default 10 V,
        i.e. practically bias-independent as in seed 001, which uses constant R_on/R_off.
    ic0_ap_to_p_A, ic0_p_to_ap_A:
        Critical currents, A (P→AP larger, seed 002 §2.3).
    theta0_rad:
        Standard deviation θ0 of the initial angle at ``temperature_K`` (seed 001 eq. 15);
        sets the in-plane anisotropy field through θ0 = sqrt(k_B·T/(μ0·H_k·M_s·V)).
    temperature_K:
        Temperature, K.
    f0_Hz:
        Attempt frequency of the thermally activated regime, Hz (seed 000). Default 1 GHz.
    source:
        Where the numbers come from.
    temperature_law:
        How :meth:`at_temperature` changes the device: ``"theta0-sqrt-t"`` (default) scales
        θ0 ∝ √T at fixed H_k, M_s and V (seed 001 eq. 15) and keeps both resistances, i.e.
        this device has no resistance-temperature law of its own; ``"seed001-table7"``
        (seed 001 device C only) adds that device's measured R_off(T) of Table 7.
    """

    a_m: float
    b_m: float
    t_f_m: float
    mu0_ms_T: float
    alpha: float
    r_on_ohm: float
    r_off_ohm: float
    ic0_ap_to_p_A: float
    ic0_p_to_ap_A: float
    theta0_rad: float
    temperature_K: float = 300.0
    v_half_V: float = 10.0
    f0_Hz: float = 1e9
    source: str = ""
    temperature_law: TemperatureLaw = "theta0-sqrt-t"

    def __post_init__(self) -> None:
        _check("a_m", self.a_m, 1e-9, 1e-5)
        _check("b_m", self.b_m, 1e-9, 1e-5)
        _check("t_f_m", self.t_f_m, 1e-10, 1e-7)
        _check("mu0_ms_T", self.mu0_ms_T, 0.01, 3.0)
        _check("alpha", self.alpha, 1e-4, 1.0)
        _check("r_on_ohm", self.r_on_ohm, 1.0, 1e9)
        _check("r_off_ohm", self.r_off_ohm, 1.0, 1e9)
        _check("ic0_ap_to_p_A", self.ic0_ap_to_p_A, 1e-9, 1.0)
        _check("ic0_p_to_ap_A", self.ic0_p_to_ap_A, 1e-9, 1.0)
        _check("theta0_rad", self.theta0_rad, 1e-4, 1.5)
        _check("temperature_K", self.temperature_K, 1.0, 1000.0)
        _check("v_half_V", self.v_half_V, 1e-3, 1e3)
        _check("f0_Hz", self.f0_Hz, 1e3, 1e15)
        if self.r_off_ohm <= self.r_on_ohm:
            raise ParameterError(
                f"r_off_ohm ({self.r_off_ohm}) must exceed r_on_ohm ({self.r_on_ohm})"
            )
        if self.temperature_law not in TEMPERATURE_LAWS:
            raise ParameterError(
                f"temperature_law must be one of {', '.join(TEMPERATURE_LAWS)}, "
                f"got {self.temperature_law!r}"
            )
        if self.a_m < self.b_m:
            raise ParameterError("a_m (easy axis) must be at least b_m")

    # ---------------------------------------------------------------- derived quantities
    @property
    def volume_m3(self) -> float:
        """Free-layer volume π·a·b/4·t_f, m³."""
        return math.pi * self.a_m * self.b_m / 4.0 * self.t_f_m

    @property
    def ms_A_per_m(self) -> float:
        """Saturation magnetisation M_s, A/m."""
        return self.mu0_ms_T / MU0

    @property
    def hk_A_per_m(self) -> float:
        """In-plane anisotropy field H_k from θ0 (seed 001 eq. 15), A/m."""
        return (
            KB * self.temperature_K / (self.theta0_rad**2 * MU0 * self.ms_A_per_m * self.volume_m3)
        )

    @property
    def barrier_J(self) -> float:
        """Energy barrier E_0 = μ0·H_k·M_s·V/2, J."""
        return MU0 * self.hk_A_per_m * self.ms_A_per_m * self.volume_m3 / 2.0

    @property
    def delta(self) -> float:
        """Thermal stability Δ = E_0/(k_B·T) = 1/(2·θ0²)."""
        return self.barrier_J / (KB * self.temperature_K)

    @property
    def tmr0(self) -> float:
        """Zero-bias TMR, (R_off − R_on)/R_on."""
        return (self.r_off_ohm - self.r_on_ohm) / self.r_on_ohm

    @property
    def polarization(self) -> float:
        """Spin polarisation P from R_off/R_on = (1 + P²)/(1 − P²)."""
        r = self.r_off_ohm / self.r_on_ohm
        return math.sqrt((r - 1.0) / (r + 1.0))

    def ic0(self, direction: Direction) -> float:
        """Critical current of a switching direction, A."""
        if direction == "AP->P":
            return self.ic0_ap_to_p_A
        if direction == "P->AP":
            return self.ic0_p_to_ap_A
        raise ParameterError(f"direction must be 'AP->P' or 'P->AP', got {direction!r}")

    def charge_constant(self, direction: Direction) -> float:
        """C = 2·I_c0/(α·γ·μ0·M_s) of seed 001 eq. 16, A·s (γ in rad/(s·T))."""
        return 2.0 * self.ic0(direction) / (self.alpha * GAMMA_T * self.mu0_ms_T)

    def resistance(self, state: State, voltage_V: float = 0.0) -> float:
        """Resistance of ``state`` at bias ``voltage_V``, Ω (bias-dependent TMR for AP)."""
        if state in ("P", "AP"):
            s = 1.0 if state == "AP" else 0.0
            return float(stt_resistance_ohm(self.r_on_ohm, self.tmr0, self.v_half_V, s, voltage_V))
        raise ParameterError(f"state must be 'P' or 'AP', got {state!r}")

    def resistance_at_angle(self, cos_theta: float) -> float:
        """R(θ) = R_on·(1 + P²)/(1 + P²·cos θ), Ω (seed 001 §5.2.2)."""
        p2 = self.polarization**2
        return self.r_on_ohm * (1.0 + p2) / (1.0 + p2 * cos_theta)

    def at_temperature(self, temperature_K: float) -> MTJParams:
        """Parameters at another temperature, by this device's ``temperature_law``.

        Both laws: θ0 ∝ sqrt(T) at fixed H_k, M_s and V (seed 001 eq. 15; Table 7 follows it
        to 1 %). ``"seed001-table7"`` (device C) also interpolates R_off(T) linearly in
        Table 7 of seed 001 (260–373 K), scaled by this device's R_off at its own
        temperature, R_on being temperature independent (seed 001 §5.4.3);
        ``"theta0-sqrt-t"`` keeps both resistances (no resistance law known for the device).
        """
        _check("temperature_K", temperature_K, 1.0, 1000.0)
        if self.temperature_law == "theta0-sqrt-t":
            return replace(
                self,
                temperature_K=float(temperature_K),
                theta0_rad=self.theta0_rad * math.sqrt(temperature_K / self.temperature_K),
            )
        ratio = _table7_roff(temperature_K) / _table7_roff(self.temperature_K)
        return replace(
            self,
            temperature_K=float(temperature_K),
            theta0_rad=self.theta0_rad * math.sqrt(temperature_K / self.temperature_K),
            r_off_ohm=self.r_off_ohm * ratio,
        )


#: Seed 001 Table 7: temperature (K) → R_off (Ω) of device C.
TABLE7_T_K = (260.0, 273.0, 300.0, 333.0, 373.0)
TABLE7_ROFF_OHM = (2780.0, 2690.0, 2500.0, 2270.0, 2000.0)
TABLE7_THETA0_RAD = (0.3187, 0.3266, 0.345, 0.3617, 0.3827)


def _table7_roff(temperature_K: float) -> float:
    import numpy as np

    if not TABLE7_T_K[0] <= temperature_K <= TABLE7_T_K[-1]:
        raise ParameterError(
            f"temperature {temperature_K} K is outside seed 001 Table 7 "
            f"({TABLE7_T_K[0]:g}-{TABLE7_T_K[-1]:g} K), where R_off(T) is known"
        )
    return float(np.interp(temperature_K, TABLE7_T_K, TABLE7_ROFF_OHM))
