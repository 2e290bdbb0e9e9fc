"""Thermally activated (sub-critical) switching of the behavioural STT-MTJ law.

Below the critical current an STT-MTJ still switches, by thermal activation over a barrier
that the current lowers (seed 000, Néel–Brown with the barrier lowered by the current):

    ⟨τ⟩ = f0⁻¹·exp(Δ·(1 − I/I_th)),   i.e. a hazard rate r_NB(I) = f0·exp(−Δ·(1 − I/I_th)).

``I`` is the current in the direction that drives the switch (A; negative currents raise
the barrier), Δ the thermal stability of the preset (fixed, not fitted: it is a property
of the magnet), and f0 (Hz), I_th (A) are fitted to the Monte Carlo at zero and low
currents. The Néel–Brown form only holds below the critical current; above it the
precessional law (:mod:`spinspice.spintronic_cells.fit`) takes over. That law's constants
are *effective*: fitted to the Monte Carlo at high current, they already contain the
thermal agitation there (its fitted θ0 is twice Table 3's). Adding the thermal hazard on top
would count it twice, so the thermal rate hands over smoothly at a fitted current I_h:

    r(I) = x·w(I),  x = f0·exp(−Δ + min(Δ·I/I_th, EXPONENT_CAP)),
    w(I) = ½·(1 − tanh(HANDOVER_SHARPNESS·(I/I_h − 1))),

w = 1 well below I_h, 0 well above (the precessional regime), smooth in between. The
exponent cap only prevents overflow.

Warm-up. The current lowers the barrier by pumping the free layer to an effective
temperature T/(1 − I/I_th) (that is where the Néel–Brown form with a current-lowered
barrier comes from), but the ensemble starts in equilibrium at T and reaches the pumped
distribution only after the energy relaxation time of the well, ~1/(α·γμ0·(H_k + M_s/2))
≈ 2 ns for seed 001's device C. The Monte Carlo shows it: at 0.2 V the hazard rate grows
by 40 % between 0.5–1 ns and 2–5 ns. So the exponent B relaxes to its steady value:

    dB/dt = (Δ·I/I_th − B)/τ_w,   B = Δ·I/I_th at the operating point,
    x = f0·exp(−Δ + min(B, EXPONENT_CAP)),

with τ_w fitted (a better-fitting exponent than the instantaneous seed-000 form, which
leaves |z| up to 6 at 0.1–0.2 V; the steady state is exactly seed 000's).
In the circuit the state is the low-passed current J (dJ/dt = (I − J)/τ_w, B = Δ·J/I_th),
the same equation scaled: a node holding the exponent B itself (O(1–80) V, amplified from
the A-sized current) made ngspice's time step collapse in the 4T2R update array.

A thermal hop is a first barrier crossing (the Monte Carlo's switching time). The
stochastic LLG ensemble starts in thermal equilibrium, and a fraction of it sits near the
barrier: it crosses within the first ~0.1 ns. That is a burst of hazard h0 (dimensionless)
at the start of the simulation, spread over HOP_BURST_TIME_S and handed over like the
rate (at high current the precessional law's own |θ| > π/2 draws are these devices):
rate h0·w(I)·exp(−t/t_b)/t_b. With the behavioural model's delay D = 4.579·t_sw from the
threshold to the resistance midpoint, the probability of *no* thermal switch by t is,
for a current step at t = 0,

    S_th(t) = exp(−h0·w(I)·(1 − exp(−(t − D)/t_b)) − ∫_0^(t−D) r du) for t ≥ D, 1 before.

In a circuit each instance carries a threshold E ~ Exp(1) drawn in Python; the device
hops when ∫ r dt (burst included) reaches E (docs/engineering_facts.md §4: exact for
time-varying rates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from spinspice.errors import ParameterError

#: Largest exponent Δ·I/I_th evaluated (overflow guard), dimensionless; exp(80) ≈ 5.5e34 puts
#: x far above any r_max, where r = r_max to double precision.
EXPONENT_CAP: Final = 80.0
#: Threshold of "no thermal hop" for instances without a drawn E (an integrated hazard of
#: 1e3 has probability e^-1000), dimensionless.
NO_HOP_THRESHOLD: Final = 1.0e3
#: Sharpness of the hand-over w(I) (module docstring), dimensionless; our choice: w falls from
#: 0.98 to 0.02 between 0.75·I_h and 1.25·I_h, steeper than the Néel–Brown exponent rises
#: for seed 001 device C (Δ/I_th < 8/I_h), so r(I) falls to 0 above I_h.
HANDOVER_SHARPNESS: Final = 8.0
#: Time constant t_b of the start-of-simulation hop burst (module docstring), s; our choice
#: from the Monte Carlo of seed 001 device C (0.56 % of trials cross by 50 ps, ~0.9 % by
#: 0.1 ps, then the steady rate); the templates write the same number.
HOP_BURST_TIME_S: Final = 50e-12
#: Points of the trapezoidal integral of the warming-up rate (ThermalFit.integrated_rate); our
#: choice (relative error < 1e-5 for τ_w ≥ duration/1000).
INTEGRATION_POINTS: Final = 4001


@dataclass(frozen=True, slots=True)
class ThermalFit:
    """Thermally activated regime of one switching direction (SI units).

    ``source`` is ``"monte-carlo"`` (fitted to the stochastic LLG), ``"preset"`` (the Monte
    Carlo showed too few hops to fit: f0, I_th from the preset, h0 = 0) or
    ``"measured"`` (fitted to a user's data). ``max_abs_z``/``rms_z`` are the binomial
    z-scores of the thermal runs' points (None when not fitted); ``points`` the number of
    such points.
    """

    delta: float
    f0_Hz: float
    ith_A: float
    ih_A: float
    h0: float
    tau_w_s: float
    voltages_V: tuple[float, ...]
    duration_s: float
    source: str
    points: int
    rms_z: float | None
    max_abs_z: float | None

    def __post_init__(self) -> None:
        for name in ("delta", "f0_Hz", "ith_A", "ih_A", "tau_w_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ParameterError(
                    f"thermal {name} must be a positive finite number, got {value!r}"
                )
        if not (math.isfinite(self.h0) and self.h0 >= 0):
            raise ParameterError(f"thermal h0 must be >= 0, got {self.h0!r}")

    @property
    def rate0_Hz(self) -> float:
        """Hazard rate at zero current, f0·exp(−Δ), Hz (1/retention time)."""
        return self.f0_Hz * math.exp(-self.delta)

    @property
    def slope_per_A(self) -> float:
        """Δ/I_th, 1/A: the exponent gained per ampere of driving current."""
        return self.delta / self.ith_A

    def rate_Hz(self, current_A: Any) -> Any:
        """Thermal hazard rate r(I) of the module docstring, Hz (I signed: + drives the switch)."""
        return thermal_rate(current_A, self.rate0_Hz, self.slope_per_A, self.ih_A)

    def survival(self, current_A: float, t_s: np.ndarray, delay_s: float) -> np.ndarray:
        """S_th(t): probability of no thermal switch by the midpoint time t for a current
        step from 0 to ``current_A`` at t = 0 (module docstring; the exponent warms up)."""
        t = np.asarray(t_s, float)
        u = np.maximum(t - delay_s, 0.0)
        burst = self.h0 * float(handover(current_A, self.ih_A)) * -np.expm1(-u / HOP_BURST_TIME_S)
        hazard = burst + self.integrated_rate(current_A, u)
        out: np.ndarray = np.where(t >= delay_s, np.exp(-hazard), 1.0)
        return out

    def integrated_rate(self, current_A: float, t_s: np.ndarray) -> np.ndarray:
        """∫_0^t r(B(u)) du after a current step at u = 0 (B(0) = 0), dimensionless."""
        t = np.asarray(t_s, float)
        t_end = float(np.max(t, initial=0.0))
        if t_end <= 0:
            return np.zeros_like(t)
        u = np.linspace(0.0, t_end, INTEGRATION_POINTS)
        b = self.slope_per_A * current_A * (1.0 - np.exp(-u / self.tau_w_s))
        x = self.rate0_Hz * np.exp(np.minimum(b, EXPONENT_CAP))
        r = x * handover(current_A, self.ih_A)
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (r[1:] + r[:-1]) * np.diff(u))])
        out: np.ndarray = np.interp(t, u, cum)
        return out


def handover(current_A: Any, ih_A: float) -> Any:
    """w(I) = ½·(1 − tanh(s·(I/I_h − 1))) of the module docstring, dimensionless."""
    return 0.5 * (1.0 - np.tanh(HANDOVER_SHARPNESS * (np.asarray(current_A, float) / ih_A - 1.0)))


def thermal_rate(current_A: Any, rate0_Hz: float, slope_per_A: float, ih_A: float) -> Any:
    """Steady r(I) = r0·exp(min(k·I, cap))·w(I) (module docstring), Hz.

    The one Python form; ``mtj_stt_behavioural.j2`` and ``mtj_stt.va`` write the same
    expression with model parameters ``nb_*`` (r0), ``kth_*`` (k) and ``ih_*`` (I_h).
    """
    x = rate0_Hz * np.exp(np.minimum(slope_per_A * np.asarray(current_A, float), EXPONENT_CAP))
    return x * handover(current_A, ih_A)


def retention_time_s(thermal: ThermalFit | None) -> float:
    """Mean retention time 1/r(0) at zero current, s (inf without a thermal regime)."""
    if thermal is None:
        return math.inf
    return 1.0 / float(thermal.rate_Hz(0.0))
