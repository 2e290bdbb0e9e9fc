"""The thermal (sub-critical) regime of the behavioural MTJ law and the format-2 fit JSON."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from spinspice.errors import ParameterError
from spinspice.netlists import mtj_model
from spinspice.netlists.circuit import TEMPLATE_SUBCIRCUITS
from spinspice.spintronic_cells.fit import FIT_FORMAT_VERSION, BehaviouralFit, shipped_fit
from spinspice.spintronic_cells.thermal_law import ThermalFit, handover, retention_time_s

FIT = shipped_fit()
TH = FIT.ap_to_p.thermal


def _law(**kw: float) -> ThermalFit:
    base = dict(delta=4.2, f0_Hz=2e9, ith_A=200e-6, ih_A=70e-6, h0=0.01, tau_w_s=0.5e-9,
                voltages_V=(0.0,), duration_s=5e-9, source="test", points=0, rms_z=None,
                max_abs_z=None)
    base.update(kw)
    return ThermalFit(**base)  # type: ignore[arg-type]


def test_rate_is_neel_brown_below_the_handover_and_vanishes_above() -> None:
    law = _law()
    assert float(law.rate_Hz(0.0)) == pytest.approx(2e9 * math.exp(-4.2), rel=1e-6)
    # barrier lowered by the current: exp(Δ·I/I_th) well below I_h (w = 1 to 1e-5)
    assert float(law.rate_Hz(20e-6)) / float(law.rate_Hz(0.0)) == pytest.approx(
        math.exp(4.2 * 20e-6 / 200e-6), rel=1e-4)
    # negative drive raises the barrier; far above I_h the precessional law has taken over
    assert float(law.rate_Hz(-50e-6)) < float(law.rate_Hz(0.0))
    assert float(law.rate_Hz(3 * 70e-6)) < 1e-9 * float(law.rate_Hz(0.0))
    assert float(handover(70e-6, 70e-6)) == pytest.approx(0.5)


def test_survival_without_warm_up_is_an_exponential_after_the_burst() -> None:
    law = _law(tau_w_s=1e-15)
    t = np.array([0.5e-9, 2e-9, 5e-9])
    r = float(law.rate_Hz(40e-6))
    expected = np.exp(-law.h0 * float(handover(40e-6, 70e-6)) - r * t)
    np.testing.assert_allclose(law.survival(40e-6, t, 0.0), expected, rtol=1e-4)
    # the warm-up delays the current's effect: less hazard than the steady rate
    assert law.survival(40e-6, t, 0.0)[0] < _law().survival(40e-6, t, 0.0)[0]


def test_thermal_law_validates() -> None:
    with pytest.raises(ParameterError, match="tau_w_s"):
        _law(tau_w_s=0.0)
    with pytest.raises(ParameterError, match="h0"):
        _law(h0=-1.0)


def test_shipped_fit_has_both_regimes_fitted_to_the_monte_carlo() -> None:
    assert FIT.version == FIT_FORMAT_VERSION == 2
    for d in (FIT.ap_to_p, FIT.p_to_ap):
        th = d.thermal
        assert th is not None and th.source == "monte-carlo"
        assert th.delta == pytest.approx(1 / (2 * 0.345**2), rel=1e-3)  # Table 3: Δ = 4.2
        assert th.rms_z is not None and th.rms_z < 1.5
        assert th.ih_A > 0.5 * d.ic_A  # hands over near the precessional threshold
        # the precessional fit is unchanged by the thermal one (the regimes hand over)
        assert d.max_cdf_error < 0.03
    # retention of device C is tens of nanoseconds (Δ = 4.2): 1.8 % hop within 0.5 ns
    assert 5e-9 < retention_time_s(TH) < 1e-7


def test_format_1_fits_still_read_and_never_hop() -> None:
    data = json.loads(FIT.to_json())
    data["version"] = 1
    for key in ("ap_to_p", "p_to_ap"):
        del data[key]["thermal"]
    old = BehaviouralFit.from_json(json.dumps(data))
    assert old.version == 1 and old.ap_to_p.thermal is None
    params = mtj_model.model_params(old)
    assert params["nb_ap2p"] == 0.0 and params["nb_p2ap"] == 0.0
    round_trip = BehaviouralFit.from_json(FIT.to_json())
    assert round_trip == FIT
    data["version"] = 99
    with pytest.raises(ParameterError, match="format version 99"):
        BehaviouralFit.from_json(json.dumps(data))


def test_template_parameters_are_the_model_and_instance_parameters() -> None:
    names = set(mtj_model.model_params(FIT)) | {"l_ap2p", "l_p2ap", "s0", "e_ap2p", "e_p2ap"}
    assert names == TEMPLATE_SUBCIRCUITS["mtj_stt_behavioural.j2"]
    assert set(mtj_model.behavioural_subcircuit(FIT).params) == names


def test_draws_keep_the_angles_of_a_seed_and_add_exponential_thresholds() -> None:
    d = mtj_model.draw(FIT, 20_000, seed=3)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(d.theta_ap2p_rad, rng.normal(0.0, FIT.ap_to_p.theta0_rad, 20_000))
    assert d.e_ap2p is not None and d.e_p2ap is not None
    assert abs(d.e_ap2p.mean() - 1.0) < 0.03 and (d.e_p2ap > 0).all()
    head, tail = d.split(5)
    assert head.thermal_thresholds(4) == d.thermal_thresholds(4)
    assert tail.thermal_thresholds(0) == d.thermal_thresholds(5)
    bare = replace(d, e_ap2p=None, e_p2ap=None)
    assert bare.thermal_thresholds(0) == (1e3, 1e3)


def test_table7_resistance_law_belongs_to_device_c_only() -> None:
    from spinspice.spintronic_cells.presets import get_preset

    dev = get_preset("seed001-device-c")
    hot = dev.at_temperature(333.0)
    assert hot.r_off_ohm == pytest.approx(2270.0) and hot.theta0_rad == pytest.approx(
        0.345 * math.sqrt(333 / 300))
    other = replace(dev, temperature_law="theta0-sqrt-t", r_off_ohm=9000.0, r_on_ohm=4000.0)
    warm = other.at_temperature(333.0)
    assert warm.r_off_ohm == 9000.0 and warm.r_on_ohm == 4000.0  # no Table 7 for others
    assert warm.theta0_rad == pytest.approx(hot.theta0_rad)
    assert other.at_temperature(500.0).temperature_K == 500.0  # outside Table 7: fine
    with pytest.raises(ParameterError, match="temperature_law"):
        replace(dev, temperature_law="bogus")  # type: ignore[arg-type]


@pytest.mark.slow
def test_shipped_fit_is_reproduced_by_its_command() -> None:
    # `spinspice device fit --trials 5000 --seed 2026` (14 Monte-Carlo runs, minutes)
    from importlib import resources

    from spinspice.spintronic_cells.fit import fit_behavioural
    from spinspice.spintronic_cells.presets import get_preset

    fit = fit_behavioural(get_preset("seed001-device-c"), preset="seed001-device-c",
                          n_trials=5000, seed=2026)
    path = resources.files("spinspice.spintronic_cells") / "data" / "seed001-device-c.fit.json"
    assert fit.to_json() == path.read_text()
