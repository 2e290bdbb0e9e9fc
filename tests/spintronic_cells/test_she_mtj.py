"""SHE-MTJ device law (seed 003 §2.2): spin-Hall angle, HM resistance, saturating response."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.she_mtj import (
    SheMtjVariation,
    conductance_S,
    draw_variation,
    get_she_preset,
    m_equilibrium,
    smooth_clamp,
)

P = get_she_preset("seed003")


def test_preset_derived_values() -> None:
    # theta_eff = 0.3 (1 - sech(5/3.5)); R_HM = 2e-6 * 60e-9 / (45e-9 * 5e-9)
    assert P.theta_eff == pytest.approx(0.3 * (1 - 1 / math.cosh(5 / 3.5)))
    assert P.r_hm_ohm == pytest.approx(533.33, rel=1e-4)
    assert P.r_ap_ohm == pytest.approx(2.5 * P.r_p_ohm)
    # I_sat = 2 e mu0 Ms tF Hk w t / (hbar theta_eff xi): 52.4 uA for the preset
    assert P.i_sat_A == pytest.approx(52.38e-6, rel=1e-3)
    assert "OUR CHOICES" in P.source


def test_i_sat_scales_with_anisotropy_and_inverse_spin_hall_angle() -> None:
    assert replace(P, hk_A_per_m=2e4).i_sat_A == pytest.approx(2 * P.i_sat_A)
    assert replace(P, theta_sh=0.6).i_sat_A == pytest.approx(P.i_sat_A / 2)


@given(st.floats(-50, 50, allow_nan=False))
def test_clamp_is_bounded_odd_and_monotone(x: float) -> None:
    y = float(smooth_clamp(x))
    assert -1 <= y <= 1
    assert float(smooth_clamp(-x)) == pytest.approx(-y, abs=1e-12)
    assert float(smooth_clamp(x + 1e-3)) >= y


def test_response_is_linear_then_saturates() -> None:
    i = np.array([0.2, 0.5, 0.8]) * P.i_sat_A
    np.testing.assert_allclose(m_equilibrium(P, i), [0.2, 0.5, 0.8], atol=5e-3)
    assert float(m_equilibrium(P, 3 * P.i_sat_A)) == pytest.approx(1.0, abs=1e-3)
    assert float(m_equilibrium(P, -3 * P.i_sat_A)) == pytest.approx(-1.0, abs=1e-3)


def test_conductance_spans_p_and_ap() -> None:
    assert float(conductance_S(P, 1.0, 0.0)) == pytest.approx(1 / P.r_p_ohm)
    assert float(conductance_S(P, -1.0, 0.0)) == pytest.approx(1 / P.r_ap_ohm)
    # TMR falls with bias: the AP conductance rises towards G_P
    assert float(conductance_S(P, -1.0, 0.5)) > float(conductance_S(P, -1.0, 0.0))


def test_variation_draws_are_seeded_and_have_the_asked_spread() -> None:
    v = SheMtjVariation(sigma_rp=0.05, sigma_isat=0.1, sigma_vth_V=0.02)
    a = draw_variation(v, 4000, 4000, seed=3)
    b = draw_variation(v, 4000, 4000, seed=3)
    np.testing.assert_array_equal(a.rp_factor, b.rp_factor)
    assert a.seed == 3
    assert np.std(a.rp_factor) == pytest.approx(0.05, rel=0.1)
    assert np.std(a.isat_factor) == pytest.approx(0.1, rel=0.1)
    assert np.std(a.dvth_V) == pytest.approx(0.02, rel=0.1)
    z = draw_variation(SheMtjVariation(), 5, 5, seed=1)
    np.testing.assert_array_equal(z.rp_factor, 1.0)


@pytest.mark.parametrize("bad", [{"theta_sh": -0.1}, {"tau_m_s": 0.0}, {"r_p_ohm": math.nan}])
def test_bad_parameters_raise(bad: dict[str, float]) -> None:
    with pytest.raises(ParameterError):
        replace(P, **bad)


def test_bad_variation_raises() -> None:
    with pytest.raises(ParameterError):
        SheMtjVariation(sigma_rp=-0.1)
    with pytest.raises(ParameterError):
        SheMtjVariation(sigma_vth_V=1.0)
