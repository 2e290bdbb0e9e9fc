"""Named MTJ parameter sets, each citing the paper and table it comes from."""

from __future__ import annotations

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.mtj import MTJParams

_P2 = 0.25  # P² from R_off/R_on = 2500/1500 = (1 + P²)/(1 − P²)

#: Named presets.
PRESETS: dict[str, MTJParams] = {
    "seed001-device-c": MTJParams(
        a_m=50e-9,
        b_m=20e-9,
        t_f_m=2.0e-9,
        mu0_ms_T=0.5,
        alpha=0.01,
        r_on_ohm=1500.0,
        r_off_ohm=2500.0,
        ic0_ap_to_p_A=157e-6,
        # Table 3 gives one I_c0 = 157 µA; we take it for AP→P and scale P→AP by the
        # Slonczewski efficiency ratio g(π)/g(0) = (1 + P²)/(1 − P²) (seed 002 §2.3:
        # P→AP needs more current).
        ic0_p_to_ap_A=157e-6 * (1 + _P2) / (1 - _P2),
        theta0_rad=0.345,
        temperature_K=300.0,
        temperature_law="seed001-table7",
        source=(
            "seed 001 (Greenberg-Toledo et al.) Table 3, MTJ device C: a = 50 nm, b = 20 nm, "
            "t_f = 2 nm, mu0*Ms = 0.5 T, alpha = 0.01, R_on = 1500 ohm, R_off = 2500 ohm, "
            "Ic0 = 157 uA, theta0 = 0.345, T = 300 K; temperature dependence from Table 7"
        ),
    ),
}


def get_preset(name: str) -> MTJParams:
    """The preset called ``name``.

    Raises
    ------
    ParameterError
        If there is no such preset (the message lists the valid names).
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(
            f"unknown MTJ preset {name!r}; available: {', '.join(sorted(PRESETS))}"
        ) from None
