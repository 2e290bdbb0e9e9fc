"""MTJ parameters, presets and the analytic switching models against hand-computed values."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinspice.errors import ParameterError
from spinspice.spintronic_cells import switching as sw
from spinspice.spintronic_cells.mtj import TABLE7_T_K, TABLE7_THETA0_RAD
from spinspice.spintronic_cells.presets import get_preset

DEV = get_preset("seed001-device-c")
GAMMA = 1.760859e11  # gyromagnetic ratio, rad/(s·T) (seed 001 eq. 16 rounds it to 1.76e11)
R_AP_1V = 1500 * (1 + (2 / 3) / (1 + (1.0 / 10.0) ** 2))


def test_preset_is_table3_and_derived_quantities_by_hand() -> None:
    assert (DEV.r_on_ohm, DEV.r_off_ohm, DEV.ic0_ap_to_p_A, DEV.theta0_rad) == (
        1500.0, 2500.0, 157e-6, 0.345
    )
    assert "Table 3" in DEV.source
    # C = 2·Ic0/(α·γ·μ0·Ms) = 2·157e-6/(0.01·1.76e11·0.5)
    assert DEV.charge_constant("AP->P") == pytest.approx(3.5682e-13, rel=1e-4)
    assert DEV.delta == pytest.approx(1 / (2 * 0.345**2), rel=1e-9)  # 4.20
    assert DEV.polarization == pytest.approx(0.5)  # 2500/1500 = (1+P²)/(1−P²)
    # P→AP needs more current (seed 002 §2.3): ×(1+P²)/(1−P²)
    assert DEV.ic0_p_to_ap_A == pytest.approx(157e-6 * 1.25 / 0.75)
    assert DEV.resistance_at_angle(1.0) == pytest.approx(1500.0)
    assert DEV.resistance_at_angle(-1.0) == pytest.approx(2500.0)


def test_temperature_follows_table7() -> None:
    for t_k, th in zip(TABLE7_T_K, TABLE7_THETA0_RAD, strict=True):
        hot = DEV.at_temperature(t_k)
        assert hot.theta0_rad == pytest.approx(th, rel=0.01)
    assert DEV.at_temperature(333.0).r_off_ohm == pytest.approx(2270.0)
    assert DEV.at_temperature(333.0).r_on_ohm == 1500.0
    with pytest.raises(ParameterError, match="Table 7"):
        DEV.at_temperature(500.0)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [("r_off_ohm", 1000.0, "must exceed"), ("alpha", -0.1, "alpha"), ("theta0_rad", 3.0, "theta0")],
)
def test_bad_parameters_are_refused(field: str, value: float, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        replace(DEV, **{field: value})


def test_unknown_preset_lists_names() -> None:
    with pytest.raises(ParameterError, match="seed001-device-c"):
        get_preset("nope")


def test_analytic_reproduces_the_formula_by_hand() -> None:
    # I = 1 V / R_AP(1 V) from AP, R_AP(V) = R_on·(1 + TMR0/(1 + (V/V_h)²)), V_h = 10 V
    # (= 2490.1 Ω); Δt = 2 ns.
    c = 2 * 157e-6 / (0.01 * GAMMA * 0.5)
    i = 1.0 / R_AP_1V
    hand = 1 - math.erf(math.pi / (2 * math.sqrt(2) * 0.345) * math.exp(-2e-9 * (i - 157e-6) / c))
    got = sw.switching_probability(DEV, from_state="AP", voltage_V=1.0, widths_s=[2e-9], model="analytic")
    assert got[0] == pytest.approx(hand, rel=1e-12)
    assert hand == pytest.approx(0.248, abs=1e-3)
    # below the critical current: exactly 0
    low = sw.switching_probability(DEV, from_state="AP", voltage_V=0.3, widths_s=[5e-9], model="analytic")
    assert low[0] == 0.0


def test_analytic_hc_is_eq16_literally() -> None:
    for state, r in (("AP", R_AP_1V), ("P", 1500.0)):
        d = "AP->P" if state == "AP" else "P->AP"
        c_d = DEV.charge_constant(d)
        hand = 1 - math.erf(math.pi / (2 * math.sqrt(2) * 0.345 * math.exp(2e-9 / (c_d * r))))
        got = sw.switching_probability(DEV, from_state=state, voltage_V=1.0, widths_s=[2e-9], model="analytic-hc")  # type: ignore[arg-type]
        assert got[0] == pytest.approx(hand, rel=1e-12)
    from_ap = sw.switching_probability(DEV, from_state="AP", voltage_V=1.0, widths_s=[2e-9], model="analytic-hc")
    assert from_ap[0] == pytest.approx(0.632, abs=1e-3)


def test_switching_time_eq15_and_thermal_and_precessional_by_hand() -> None:
    c = DEV.charge_constant("AP->P")
    i = 1.0 / R_AP_1V
    tau = sw.switching_time(DEV, 400e-6, 0.1, "AP->P")
    assert tau == pytest.approx(c / (400e-6 - 157e-6) * math.log(math.pi / 0.2))
    assert np.isinf(sw.switching_time(DEV, 100e-6, 0.1, "AP->P"))
    # thermal: ⟨τ⟩ = f0⁻¹·exp(Δ(1 − I/Ic0)) at 0.1 V read from AP (≈40 µA)
    i_rd = 0.1 / (1500 * (1 + (2 / 3) / (1 + 0.01**2)))
    tau_th = math.exp(DEV.delta * (1 - i_rd / 157e-6)) / 1e9
    p = sw.switching_probability(DEV, from_state="AP", voltage_V=0.1, widths_s=[0.5e-9], model="thermal")
    assert p[0] == pytest.approx(1 - math.exp(-0.5e-9 / tau_th), rel=1e-12)
    # precessional (seed 002 eq. 5) with T = 2C/(I − Ic0)
    a = i / 157e-6
    f = (2 * a / (a - 1)) ** (-2 / (a + 1))
    big_t = 2 * c / (i - 157e-6)
    hand = math.exp(-4 * f * DEV.delta * math.exp(-2 * 1e-9 / big_t))
    p = sw.switching_probability(DEV, from_state="AP", voltage_V=1.0, widths_s=[1e-9], model="precessional")
    assert p[0] == pytest.approx(hand, rel=1e-12)


def test_bad_model_and_widths() -> None:
    with pytest.raises(ParameterError, match="unknown switching model"):
        sw.switching_probability(DEV, from_state="AP", voltage_V=1.0, widths_s=[1e-9], model="x")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="widths"):
        sw.switching_probability(DEV, from_state="AP", voltage_V=1.0, widths_s=[-1e-9])
    with pytest.raises(ParameterError, match="state"):
        sw.switching_probability(DEV, from_state="Q", voltage_V=1.0, widths_s=[1e-9])  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    v=st.floats(0.05, 3.0),
    dv=st.floats(0.0, 1.0),
    t=st.floats(1e-11, 1e-8),
    dt=st.floats(0.0, 1e-8),
    state=st.sampled_from(["AP", "P"]),
    model=st.sampled_from(["analytic", "analytic-hc", "thermal"]),
)
def test_psw_is_a_probability_monotone_in_width_and_voltage(
    v: float, dv: float, t: float, dt: float, state: str, model: str
) -> None:
    def p(volt: float, width: float) -> float:
        return float(
            sw.switching_probability(DEV, from_state=state, voltage_V=volt, widths_s=[width], model=model)[0]  # type: ignore[arg-type]
        )

    base = p(v, t)
    assert 0.0 <= base <= 1.0
    assert p(v, t + dt) >= base - 1e-12
    assert p(v + dv, t) >= base - 1e-12


def test_precessional_is_monotone_in_width_only() -> None:
    # Seed 002 eq. 5 as printed: f(a) grows with a, so at Δt → 0 P(a, 0) = exp(−4·f(a)·Δ)
    # *falls* with current; only the width dependence is monotone.
    w = np.linspace(0, 5e-9, 50)
    p = sw.switching_probability(DEV, from_state="AP", voltage_V=1.0, widths_s=w, model="precessional")
    assert np.all(np.diff(p) >= 0)
    p0 = [sw.switching_probability(DEV, from_state="AP", voltage_V=v, widths_s=[0.0], model="precessional")[0] for v in (1.0, 2.0)]
    assert p0[1] < p0[0]
