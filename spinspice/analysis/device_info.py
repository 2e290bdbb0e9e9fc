"""Derived quantities of an MTJ device: ``spinspice device info``.

From a preset (:class:`~spinspice.spintronic_cells.mtj.MTJParams`, with its shipped fit when
there is one) or from a behavioural fit JSON alone. Keys of :func:`device_info` (the
``--json`` contract: at least ``delta``, ``ic0_ap_to_p_A``, ``ic0_p_to_ap_A``,
``retention_s``, ``read_disturb_p``, ``source``):

* ``delta``: thermal stability Δ = E_0/(k_B·T) (preset: 1/(2·θ0²); fit: the thermal
  regime's Δ, null for a format-1 fit without one);
* ``ic0_ap_to_p_A``, ``ic0_p_to_ap_A``: critical currents, A (preset: its I_c0; fit: the
  fitted effective I_c of the precessional law);
* ``retention_s``: mean time to a thermal hop at zero current, s, the shorter direction
  (a fit with a thermal regime, also a preset's shipped fit: 1/r(0) of that regime; a
  preset without one: seed 000 ⟨τ⟩ = f0⁻¹·exp(Δ) with the preset's f0, which is also
  ``retention_closed_form_s`` next to a fitted value);
* ``read_disturb_p``: probability that a read pulse (V_rd/R_on for T_rd, seed 001 Table 3
  0.1 V, 0.5 ns) switches the device, the worse direction — from the fitted law (both
  regimes) when there is a fit, else the seed-000 thermal closed form; ``read_disturb_model``
  names which;
* ``resistance``: R_P and R_AP at a few biases (TMR(V) = TMR0/(1 + (V/V_h)²)), Ω;
* ``warning``: set when Δ < 40 (unstable for storage).
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from spinspice.array_builder.array_4t2r import ReadPulse
from spinspice.spintronic_cells.fit import MIDPOINT_DELAY, BehaviouralFit
from spinspice.spintronic_cells.mtj import MTJParams
from spinspice.spintronic_cells.thermal_law import retention_time_s

#: Δ below which a free layer is flagged unstable for storage; the usual ten-year
#: retention criterion of MRAM (Δ ≈ 40 at 1 GHz attempt frequency gives ~7 years).
STORAGE_DELTA: Final = 40.0
#: Biases of the R(V) table, V.
INFO_BIASES_V: Final = (0.0, 0.1, 0.2, 0.5, 1.0)


def _read_disturb_fit(fit: BehaviouralFit, pulse: ReadPulse) -> float:
    i_max = pulse.v_rd_V / fit.r_on_ohm
    width = np.array([pulse.t_rd_s + MIDPOINT_DELAY * fit.tsw_s])
    return float(max(fit.direction(d).cdf(i_max, width, fit.tsw_s)[0] for d in ("AP->P", "P->AP")))


def _read_disturb_preset(params: MTJParams, pulse: ReadPulse) -> float:
    # seed 000: 1 − exp(−Δt/⟨τ⟩), ⟨τ⟩ = f0⁻¹·exp(Δ·(1 − I/I_c0)), read current V_rd/R_on
    i = pulse.v_rd_V / params.r_on_ohm
    worst = 0.0
    for d in ("AP->P", "P->AP"):
        tau = math.exp(params.delta * (1.0 - i / params.ic0(d))) / params.f0_Hz
        worst = max(worst, -math.expm1(-pulse.t_rd_s / tau))
    return worst


def _resistance_rows(r_of: Any) -> list[dict[str, float]]:
    return [{"voltage_V": v, "r_p_ohm": float(r_of(0.0, v)), "r_ap_ohm": float(r_of(1.0, v))}
            for v in INFO_BIASES_V]


def device_info(
    *,
    params: MTJParams | None = None,
    preset: str = "",
    fit: BehaviouralFit | None = None,
    pulse: ReadPulse | None = None,
) -> dict[str, Any]:
    """The derived quantities of the module docstring as a JSON-ready dict.

    Give ``params`` (a preset, optionally with its ``fit``) or a ``fit`` alone.
    """
    pulse = pulse or ReadPulse()
    info: dict[str, Any] = {"preset": preset or (fit.preset if fit else ""),
                            "read_pulse": {"v_rd_V": pulse.v_rd_V, "t_rd_s": pulse.t_rd_s}}
    if params is not None:
        info.update(
            delta=params.delta,
            ic0_ap_to_p_A=params.ic0_ap_to_p_A,
            ic0_p_to_ap_A=params.ic0_p_to_ap_A,
            temperature_K=params.temperature_K,
            retention_s=math.exp(params.delta) / params.f0_Hz,
            retention_model="seed 000 Neel-Brown: f0^-1 * exp(delta), f0 of the preset",
            source=params.source,
            resistance=_resistance_rows(
                lambda s, v: params.resistance("AP" if s else "P", v)
            ),
        )
    if fit is not None:
        thermal = [d.thermal for d in (fit.ap_to_p, fit.p_to_ap)]
        fit_part: dict[str, Any] = {
            "version": fit.version,
            "ic_ap_to_p_A": fit.ap_to_p.ic_A,
            "ic_p_to_ap_A": fit.p_to_ap.ic_A,
            "retention_s": min(retention_time_s(t) for t in thermal),
            "thermal_regime": [t.source if t else "none" for t in thermal],
            "read_disturb_p": _read_disturb_fit(fit, pulse),
        }
        info["fit"] = fit_part
        info["read_disturb_p"] = fit_part["read_disturb_p"]
        if params is not None and all(thermal):
            # the fitted Monte-Carlo retention beats the closed form with an assumed f0
            info["retention_closed_form_s"] = info["retention_s"]
            info["retention_s"] = fit_part["retention_s"]
            info["retention_model"] = ("fitted thermal regime of the shipped fit: 1/r(0), "
                                       "the shorter direction")
        info["read_disturb_model"] = (
            "fitted behavioural law (precessional + thermal regime)"
            if all(thermal) else "fitted behavioural law (precessional only: no thermal regime)"
        )
        if params is None:
            th = next((t for t in thermal if t is not None), None)
            info.update(
                delta=th.delta if th else None,
                ic0_ap_to_p_A=fit.ap_to_p.ic_A,
                ic0_p_to_ap_A=fit.p_to_ap.ic_A,
                temperature_K=fit.temperature_K,
                retention_s=fit_part["retention_s"],
                retention_model="fitted thermal regime: 1/r(0)",
                source=f"behavioural fit (format {fit.version}) of preset {fit.preset!r}, "
                f"seed {fit.seed}, {fit.trials} trials",
                resistance=_resistance_rows(fit.resistance_ohm),
            )
    elif params is not None:
        info["read_disturb_p"] = _read_disturb_preset(params, pulse)
        info["read_disturb_model"] = "seed 000 thermal closed form (no fit)"
    delta = info.get("delta")
    info["warning"] = None
    if delta is not None and delta < STORAGE_DELTA:
        info["warning"] = (
            f"delta = {delta:.1f} < {STORAGE_DELTA:g}: thermally unstable for storage "
            f"(retention {info['retention_s']:.3g} s)"
        )
    return info
