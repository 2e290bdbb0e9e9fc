"""Three-terminal spin-Hall MTJ (SHE-MTJ) with a linear, saturating hard-axis response.

Seed 003 §2.2 (and its ref. [3], Stephan & Koester, IEEE TED 67, 487 (2020)): a charge
current I_HM through the heavy-metal (HM) strip under the free layer (FL) produces a spin
current with the effective spin-Hall angle

    θ_eff = θ_SH · (1 − sech(t_HM / λ_sf))                                   (1)

whose in-plane *field-like* torque acts along the FL hard axis. A hard-axis drive tilts the
FL linearly until it saturates (Stoner–Wohlfarth hard-axis loop, no hysteresis), so the
projection m of the FL on the reference layer follows

    m_eq(I_HM) = clamp(I_HM / I_sat, −1, 1)                                  (2)

smoothed as ``(sqrt((x+1)² + ε²) − sqrt((x−1)² + ε²)) / 2`` with x = I_HM / I_sat, so a
SPICE solver sees a smooth function. I_sat is the current whose field-like effective field

    H_FL = ξ_FL · θ_eff · ħ J_HM / (2 e μ0 M_s t_F)                          (3)

equals the anisotropy field H_k: I_sat = 2 e μ0 M_s t_F H_k w t_HM / (ħ θ_eff ξ_FL).
The FL follows m_eq with a first-order lag τ_m: dm/dt = (m_eq − m) / τ_m.

The MTJ conductance is linear in m (Slonczewski, G ∝ 1 + P² cos θ):

    G(m, V) = (G_P + G_AP(V)) / 2 + (G_P − G_AP(V)) / 2 · m,
    G_AP(V) = 1 / (R_P (1 + TMR(V))),   TMR(V) = TMR0 / (1 + (V / V_h)²)       (4)

Conventions fixed here for every SHE-MTJ circuit of spinspice:

* terminals: ``a`` = HM input end, ``b`` = HM constant end, ``t`` = MTJ top (output);
  the MTJ stack sits on the HM node ``h``, (1 − f_b) R_HM from ``a`` and f_b R_HM from ``b``;
* positive I_HM flows a → h (into the input terminal) and drives m → +1 = parallel
  (low resistance); negative drives m → −1 = antiparallel.

Where each value of the preset comes from is in :data:`SHE_MTJ_PRESETS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from spinspice.errors import ParameterError

#: Reduced Planck constant, J·s (CODATA 2018, exact).
HBAR = 1.054571817e-34
#: Elementary charge, C (exact).
E_CHARGE = 1.602176634e-19
#: Vacuum permeability, H/m.
MU0 = 1.25663706212e-6
#: Smoothing width ε of the clamp (2), in units of I_sat.
CLAMP_EPS = 0.05


def _check(name: str, value: float, lo: float, hi: float, *, lo_open: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if (value <= lo if lo_open else value < lo) or value > hi:
        raise ParameterError(
            f"{name} must be in {'(' if lo_open else '['}{lo:g}, {hi:g}], got {value!r}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SheMtjParams:
    """SHE-MTJ geometry and material (SI units).

    Parameters
    ----------
    theta_sh:
        Bulk spin-Hall angle θ_SH (dimensionless).
    lambda_sf_m:
        HM spin-diffusion length λ_sf, m.
    rho_hm_ohm_m:
        HM resistivity ρ, Ω·m (200 µΩ·cm = 2e-6 Ω·m).
    hm_length_m, hm_width_m, hm_thickness_m:
        HM strip length (between the input and constant terminals), width w and thickness
        t_HM, m.
    hm_split:
        Fraction f_b of R_HM between the MTJ and the constant terminal (where the pillar sits
        along the strip). The MTJ read current and the input current share this part, so it
        shifts the MTJ bias by f_b R_HM I_in.
    ms_A_per_m:
        FL saturation magnetisation M_s, A/m.
    t_fl_m:
        FL thickness t_F, m.
    hk_A_per_m:
        FL in-plane anisotropy field H_k that the hard-axis drive works against, A/m.
    xi_fl:
        Field-like to damping-like torque ratio ξ_FL (dimensionless).
    r_p_ohm:
        MTJ parallel resistance at zero bias, Ω.
    tmr0:
        Zero-bias TMR, (R_AP − R_P) / R_P.
    v_half_V:
        Bias at which the TMR halves, V.
    tau_m_s:
        FL response time τ_m, s.
    source:
        Where the values come from.
    """

    theta_sh: float
    lambda_sf_m: float
    rho_hm_ohm_m: float
    hm_length_m: float
    hm_width_m: float
    hm_thickness_m: float
    hm_split: float
    ms_A_per_m: float
    t_fl_m: float
    hk_A_per_m: float
    xi_fl: float
    r_p_ohm: float
    tmr0: float
    v_half_V: float
    tau_m_s: float
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check("theta_sh", self.theta_sh, 0.0, 2.0)
        _check("lambda_sf_m", self.lambda_sf_m, 0.0, 1e-6)
        _check("rho_hm_ohm_m", self.rho_hm_ohm_m, 0.0, 1e-3)
        for name in ("hm_length_m", "hm_width_m", "hm_thickness_m", "t_fl_m"):
            _check(name, getattr(self, name), 0.0, 1e-5)
        _check("hm_split", self.hm_split, 0.0, 0.99)
        _check("ms_A_per_m", self.ms_A_per_m, 0.0, 1e7)
        _check("hk_A_per_m", self.hk_A_per_m, 0.0, 1e7)
        _check("xi_fl", self.xi_fl, 0.0, 100.0)
        _check("r_p_ohm", self.r_p_ohm, 0.0, 1e9)
        _check("tmr0", self.tmr0, 0.0, 100.0)
        _check("v_half_V", self.v_half_V, 0.0, 100.0)
        _check("tau_m_s", self.tau_m_s, 0.0, 1e-3)

    @property
    def theta_eff(self) -> float:
        """Effective spin-Hall angle, eq. (1)."""
        return self.theta_sh * (1.0 - 1.0 / math.cosh(self.hm_thickness_m / self.lambda_sf_m))

    @property
    def r_hm_ohm(self) -> float:
        """HM strip resistance ρ L / (w t_HM), Ω (the input impedance of the cell)."""
        return self.rho_hm_ohm_m * self.hm_length_m / (self.hm_width_m * self.hm_thickness_m)

    @property
    def j_sat_A_per_m2(self) -> float:
        """HM current density at which H_FL of eq. (3) reaches H_k, A/m²."""
        return (
            2.0
            * E_CHARGE
            * MU0
            * self.ms_A_per_m
            * self.t_fl_m
            * self.hk_A_per_m
            / (HBAR * self.theta_eff * self.xi_fl)
        )

    @property
    def i_sat_A(self) -> float:
        """Saturation current I_sat = J_sat · w · t_HM, A."""
        return self.j_sat_A_per_m2 * self.hm_width_m * self.hm_thickness_m

    @property
    def r_ap_ohm(self) -> float:
        """Zero-bias antiparallel resistance R_P (1 + TMR0), Ω."""
        return self.r_p_ohm * (1.0 + self.tmr0)


#: Named SHE-MTJ parameter sets.
SHE_MTJ_PRESETS: dict[str, SheMtjParams] = {
    "seed003": SheMtjParams(
        theta_sh=0.3,
        lambda_sf_m=3.5e-9,
        rho_hm_ohm_m=2.0e-6,
        hm_length_m=60e-9,
        hm_width_m=45e-9,
        hm_thickness_m=5e-9,
        hm_split=0.1,
        ms_A_per_m=1.0e6,
        t_fl_m=1.0e-9,
        hk_A_per_m=1.0e4,
        xi_fl=1.0,
        r_p_ohm=4.7e3,
        tmr0=1.5,
        v_half_V=0.5,
        tau_m_s=0.1e-9,
        source=(
            "seed 003 §2.2/§4.1: TMR = 1.5, 0.6 ns per MAAP operation. Published ranges "
            "(docs/engineering_facts.md §7): theta_SH = 0.3 (beta-W/Pt-class 0.3-0.4), "
            "lambda_sf = 3.5 nm, rho = 200 uOhm*cm, HM 60 x 45 x 5 nm (R_HM = 533 ohm), "
            "Ms = 1 MA/m. OUR CHOICES (not in the seed): t_F = 1 nm, H_k = 10 kA/m "
            "(in-plane shape anisotropy of a small ellipse), xi_FL = 1 (field-like = "
            "damping-like torque, spin-swapping regime of seed 003 ref. [9]), R_P = 4.7 kOhm "
            "(RA = 10 Ohm*um^2 on the 60 x 45 nm ellipse), f_b = 0.1 (MTJ next to the "
            "constant contact: keeps the input current out of the MTJ read path), "
            "V_h = 0.5 V, tau_m = 0.1 ns "
            "(well inside the 0.6 ns operation)."
        ),
    ),
}


def get_she_preset(name: str) -> SheMtjParams:
    """The SHE-MTJ preset called ``name`` (ParameterError lists the valid names)."""
    try:
        return SHE_MTJ_PRESETS[name]
    except KeyError:
        raise ParameterError(
            f"unknown SHE-MTJ preset {name!r}; available: {', '.join(sorted(SHE_MTJ_PRESETS))}"
        ) from None


def smooth_clamp(x: np.ndarray | float, eps: float = CLAMP_EPS) -> np.ndarray:
    """Smooth clamp of ``x`` to [−1, 1], eq. (2): exact outside |x| ≈ 1 ± 3ε."""
    x = np.asarray(x, dtype=float)
    out: np.ndarray = 0.5 * (np.sqrt((x + 1.0) ** 2 + eps**2) - np.sqrt((x - 1.0) ** 2 + eps**2))
    return out


def m_equilibrium(
    p: SheMtjParams, i_hm_A: np.ndarray | float, *, i_sat_A: float | None = None
) -> np.ndarray:
    """Steady FL projection m for an HM current (A), eq. (2); ``i_sat_A`` overrides I_sat."""
    isat = p.i_sat_A if i_sat_A is None else i_sat_A
    return smooth_clamp(np.asarray(i_hm_A, dtype=float) / isat)


def conductance_S(
    p: SheMtjParams,
    m: np.ndarray | float,
    v_mtj_V: np.ndarray | float,
    *,
    r_p_ohm: float | None = None,
) -> np.ndarray:
    """MTJ conductance G(m, V) of eq. (4), S; ``r_p_ohm`` overrides R_P (a variation draw)."""
    rp = p.r_p_ohm if r_p_ohm is None else r_p_ohm
    v = np.asarray(v_mtj_V, dtype=float)
    tmr = p.tmr0 / (1.0 + (v / p.v_half_V) ** 2)
    gp = 1.0 / rp
    gap = 1.0 / (rp * (1.0 + tmr))
    out: np.ndarray = 0.5 * (gp + gap) + 0.5 * (gp - gap) * np.asarray(m, dtype=float)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SheMtjVariation:
    """Relative Gaussian spreads of a SHE-MTJ and its transistors (per device).

    Parameters
    ----------
    sigma_rp:
        Relative σ of R_P (and with it R_AP: the TMR is kept), e.g. 0.05 = 5 %.
    sigma_isat:
        Relative σ of the saturation (critical) current I_sat.
    sigma_vth_V:
        σ of transistor threshold voltages, V (absolute).
    """

    sigma_rp: float = 0.0
    sigma_isat: float = 0.0
    sigma_vth_V: float = 0.0

    def __post_init__(self) -> None:
        _check("sigma_rp", self.sigma_rp, 0.0, 0.3, lo_open=False)
        _check("sigma_isat", self.sigma_isat, 0.0, 0.3, lo_open=False)
        _check("sigma_vth_V", self.sigma_vth_V, 0.0, 0.2, lo_open=False)

    @classmethod
    def mtj(cls, x: float, sigma_vth_V: float = 0.0) -> SheMtjVariation:
        """One MTJ variation level ``x`` for both R_P and I_sat (the CLI's --mtj-variation)."""
        return cls(sigma_rp=x, sigma_isat=x, sigma_vth_V=sigma_vth_V)


@dataclass(frozen=True, slots=True)
class SheMtjDraws:
    """Per-device draws: R_P and I_sat factors of each MTJ, ΔV_th of each transistor.

    ``rp_factor[i]`` and ``isat_factor[i]`` multiply the preset's R_P and I_sat of MTJ i;
    ``dvth_V[j]`` adds to |V_th| of transistor j (positive = weaker device). The seed is
    recorded so the draw can be reported with the results.
    """

    seed: int
    rp_factor: np.ndarray
    isat_factor: np.ndarray
    dvth_V: np.ndarray


def draw_variation(v: SheMtjVariation, n_mtj: int, n_fet: int, seed: int) -> SheMtjDraws:
    """Draw ``n_mtj`` MTJs and ``n_fet`` transistor offsets from ``v`` with ``seed``.

    Factors are floored at 0.5 so that an extreme draw (> 10 σ at 5 %) cannot give a
    negative resistance.
    """
    if n_mtj < 0 or n_fet < 0:
        raise ParameterError("device counts must be >= 0")
    rng = np.random.default_rng(seed)
    rp = np.maximum(1.0 + v.sigma_rp * rng.standard_normal(n_mtj), 0.5)
    isat = np.maximum(1.0 + v.sigma_isat * rng.standard_normal(n_mtj), 0.5)
    dvth = v.sigma_vth_V * rng.standard_normal(n_fet)
    return SheMtjDraws(seed, rp, isat, dvth)
