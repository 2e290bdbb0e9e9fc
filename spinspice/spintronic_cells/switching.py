"""Analytic STT switching models (vectorised over numpy arrays).

Every model takes the current magnitude I in the switching direction (I = V/R of the
start state when a voltage V is applied straight across the MTJ with the polarity that
switches it) and the pulse width Δt, and returns P_sw ∈ [0, 1].

========================  ====================================================  ===========
model                     formula                                               regime
========================  ====================================================  ===========
``analytic``              1 − erf(π/(2√2·θ0) · exp(−Δt·(I − I_c0)/C)),           I > I_c0
                          0 for I ≤ I_c0 (seed 001 eq. 15 integrated over θ)
``analytic-hc``           1 − erf(π/(2√2·θ0·exp(Δt·V/(C·R))))                    I ≫ I_c0
                          (seed 001 eq. 16 exactly as printed)
``thermal``               1 − exp(−Δt/⟨τ⟩), ⟨τ⟩ = f0⁻¹·exp(Δ·(1 − I/I_c0))      I < I_c0
                          (seed 000)
``precessional``          exp(−4·f(a)·Δ·exp(−2Δt/T)), a = I/I_c0,                 I > I_c0
                          f(a) = (2a/(a − 1))^(−2/(a+1)) (seed 002 eq. 5)
========================  ====================================================  ===========

C = 2·I_c0/(α·γ·μ0·M_s) with γ = 1.76e11 rad/(s·T) (seed 001 eq. 16; for device C
C = 3.566e-13 A·s). In ``precessional`` seed 002 leaves the time scale T "the mean
switching time"; we use T = 2·C/(I − I_c0), which makes its exp(−2Δt/T) decay at the
same rate as the ``analytic`` model.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erf

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.mtj import (
    E_CHARGE,
    HBAR,
    MU0,
    Direction,
    MTJParams,
    State,
    direction_from,
)

Model = Literal["analytic", "analytic-hc", "thermal", "precessional"]
MODELS: tuple[str, ...] = ("analytic", "analytic-hc", "thermal", "precessional")

FloatArray = NDArray[np.float64]


def critical_current(params: MTJParams, direction: Direction) -> float:
    """Critical current I_c0 of ``direction``, A (the parameter set's value)."""
    return params.ic0(direction)


def critical_current_macrospin(params: MTJParams, direction: Direction) -> float:
    """In-plane macrospin critical current from the device physics, A.

    I_c0 = (2e/ħ)·(α/η)·μ0·M_s·V·(H_k + M_s/2), with the Slonczewski efficiency
    η = P/(2·(1 + P²·cos θ)) at the start state (cos θ = −1 for AP→P, +1 for P→AP). This
    is the standard form behind seed 001 eq. 14 (whose printed form is not dimensionally
    usable); device presets carry the measured I_c0 instead.
    """
    p = params.polarization
    cos_start = -1.0 if direction == "AP->P" else 1.0
    eta = p / (2.0 * (1.0 + p * p * cos_start))
    ms = params.ms_A_per_m
    return float(
        2.0
        * E_CHARGE
        / HBAR
        * params.alpha
        / eta
        * MU0
        * ms
        * params.volume_m3
        * (params.hk_A_per_m + ms / 2.0)
    )


def switching_time(
    params: MTJParams, current_A: ArrayLike, theta_rad: ArrayLike, direction: Direction
) -> FloatArray:
    """τ = C/(I − I_c0)·ln(π/(2|θ|)) (seed 001 eq. 15), s; +inf where I ≤ I_c0."""
    i = np.asarray(current_A, dtype=float)
    theta = np.abs(np.asarray(theta_rad, dtype=float))
    c = params.charge_constant(direction)
    over = i - params.ic0(direction)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = c / over * np.log(np.pi / (2.0 * theta))
    out: FloatArray = np.where(over > 0, np.maximum(tau, 0.0), np.inf)
    return out


def psw_analytic(
    params: MTJParams, current_A: ArrayLike, widths_s: ArrayLike, direction: Direction
) -> FloatArray:
    """1 − erf(π/(2√2·θ0)·exp(−Δt·(I − I_c0)/C)); 0 for I ≤ I_c0 (see module table)."""
    i, t = np.broadcast_arrays(np.asarray(current_A, float), np.asarray(widths_s, float))
    over = i - params.ic0(direction)
    c = params.charge_constant(direction)
    arg = np.pi / (2.0 * np.sqrt(2.0) * params.theta0_rad) * np.exp(-t * np.maximum(over, 0.0) / c)
    p: FloatArray = np.where(over > 0, 1.0 - erf(arg), 0.0)
    return p


def psw_analytic_hc(
    params: MTJParams,
    voltage_V: ArrayLike,
    resistance_ohm: ArrayLike,
    widths_s: ArrayLike,
    direction: Direction,
) -> FloatArray:
    """Seed 001 eq. 16 literally: 1 − erf(π/(2√2·θ0·exp(Δt·V/(C·R))))."""
    v = np.abs(np.asarray(voltage_V, float))
    r = np.asarray(resistance_ohm, float)
    t = np.asarray(widths_s, float)
    c = params.charge_constant(direction)
    p: FloatArray = 1.0 - erf(
        np.pi / (2.0 * np.sqrt(2.0) * params.theta0_rad * np.exp(t * v / (c * r)))
    )
    return p


def psw_thermal(
    params: MTJParams, current_A: ArrayLike, widths_s: ArrayLike, direction: Direction
) -> FloatArray:
    """1 − exp(−Δt/⟨τ⟩), ⟨τ⟩ = f0⁻¹·exp(Δ·(1 − I/I_c0)) (seed 000)."""
    i = np.asarray(current_A, float)
    t = np.asarray(widths_s, float)
    tau = np.exp(params.delta * (1.0 - i / params.ic0(direction))) / params.f0_Hz
    p: FloatArray = 1.0 - np.exp(-t / tau)
    return p


def psw_precessional(
    params: MTJParams, current_A: ArrayLike, widths_s: ArrayLike, direction: Direction
) -> FloatArray:
    """Seed 002 eq. 5 with T = 2·C/(I − I_c0) (module docstring); 0 for I ≤ I_c0."""
    i, t = np.broadcast_arrays(np.asarray(current_A, float), np.asarray(widths_s, float))
    ic = params.ic0(direction)
    a = i / ic
    c = params.charge_constant(direction)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f = (2.0 * a / (a - 1.0)) ** (-2.0 / (a + 1.0))
        big_t = 2.0 * c / (i - ic)
        p = np.exp(-4.0 * f * params.delta * np.exp(-2.0 * t / big_t))
    out: FloatArray = np.where(a > 1.0, p, 0.0)
    return out


def current_for(params: MTJParams, from_state: State, voltage_V: float) -> float:
    """|I| = |V|/R(start state, V) for a voltage straight across the MTJ, A."""
    return abs(voltage_V) / params.resistance(from_state, voltage_V)


def switching_probability(
    params: MTJParams,
    *,
    from_state: State,
    voltage_V: float,
    widths_s: ArrayLike,
    model: Model = "analytic",
    temperature_K: float | None = None,
) -> FloatArray:
    """P_sw for a voltage pulse of magnitude ``voltage_V`` straight across the MTJ.

    The polarity is the one that switches ``from_state`` (AP: positive, free → fixed).

    Raises
    ------
    ParameterError
        Unknown model or state, negative widths.
    """
    if model not in MODELS:
        raise ParameterError(f"unknown switching model {model!r}; use one of {', '.join(MODELS)}")
    widths = np.asarray(widths_s, dtype=float)
    if np.any(~np.isfinite(widths)) or np.any(widths < 0):
        raise ParameterError("pulse widths must be finite and >= 0 s")
    p = params if temperature_K is None else params.at_temperature(temperature_K)
    direction = direction_from(from_state)
    current = current_for(p, from_state, voltage_V)
    if model == "analytic":
        return psw_analytic(p, current, widths, direction)
    if model == "analytic-hc":
        return psw_analytic_hc(p, voltage_V, p.resistance(from_state, voltage_V), widths, direction)
    if model == "thermal":
        return psw_thermal(p, current, widths, direction)
    return psw_precessional(p, current, widths, direction)
