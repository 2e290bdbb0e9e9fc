"""The DW device law of seed 004 (eq. 1, end stops, G(X), programming, variation, ADC)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.domain_wall import (
    DW_PRESET_SOURCES,
    DW_PRESETS,
    DWParams,
    Programming,
    RacetrackParams,
    RecurrentNeuronParams,
    conductance_S,
    move,
    program_positions,
    pulse_train,
    velocity_m_per_s,
    vote_ratio_limit,
    vote_times_s,
)

P = DW_PRESETS["seed004-dw"]


def test_preset_gives_the_threshold_and_velocity_of_the_engineering_facts() -> None:
    # docs/engineering_facts.md §7: w = 50 nm, t = 1.5 nm -> I_th ~ 7.5 uA and v ~ 10 m/s at 15 uA
    assert P.i_th_A == pytest.approx(7.5e-6)
    assert float(velocity_m_per_s(P, 15e-6)) == pytest.approx(9.92, rel=1e-3)
    assert P.on_off_ratio == pytest.approx(2.5)
    # every field of the preset is sourced or marked as our choice
    fields = set(DWParams.__dataclass_fields__) - {"source"}
    assert fields == set(DW_PRESET_SOURCES)


def test_no_motion_at_or_below_threshold_and_odd_in_current() -> None:
    i = np.array([0.0, 1e-6, 7.5e-6, -7.5e-6])
    assert np.all(velocity_m_per_s(P, i) == 0.0)
    assert float(velocity_m_per_s(P, -20e-6)) == -float(velocity_m_per_s(P, 20e-6))
    # linear above threshold (seed 004 eq. 1)
    v1, v2 = velocity_m_per_s(P, [10e-6, 12.5e-6])
    assert v2 == pytest.approx(2 * v1)


def test_wall_stops_at_the_track_ends() -> None:
    assert float(move(P, 0.9, 30e-6, 1e-6)) == 1.0
    assert float(move(P, 0.1, -30e-6, 1e-6)) == 0.0


def test_conductance_runs_from_gp_to_gap() -> None:
    g = conductance_S(P, [0.0, 0.5, 1.0])
    assert g[0] == P.g_p_S and g[2] == P.g_ap_S
    assert g[1] == pytest.approx(0.5 * (P.g_p_S + P.g_ap_S))


def test_ideal_programming_hits_every_level() -> None:
    prog = Programming(bits=4)
    x = program_positions(P, prog, np.arange(16))
    np.testing.assert_allclose(1.0 - x, np.arange(16) / 15, atol=1e-12)
    # pulse width per LSB at 15 uA: (L/15) / v
    assert prog.lsb_width_s(P) == pytest.approx(500e-9 / 15 / 9.9229, rel=1e-3)


def test_variation_statistics_match_the_parameters() -> None:
    rng = np.random.default_rng(1)
    prog = Programming(bits=4)
    x = program_positions(P, prog, np.full(20000, 10), rng)
    dist = 1.0 - x
    nominal = 10 / 15
    rel = dist / nominal - 1.0
    expected = np.hypot(P.sigma_d2d, P.sigma_p2p)
    assert rel.std() == pytest.approx(expected, rel=0.05)
    assert abs(rel.mean()) < 3 * expected / np.sqrt(20000) + 1e-3


def test_pulse_train_is_linear_until_the_end_stop() -> None:
    xs = pulse_train(P, i_A=15e-6, width_s=2e-9, n_pulses=40, x0=0.0)
    step = 9.9229 * 2e-9 / 500e-9
    assert xs[1] == pytest.approx(step, rel=1e-3)
    assert xs[-1] == 1.0
    assert np.all(np.diff(xs) >= 0)


def test_adc_spans_all_eight_codes_monotonically() -> None:
    r = RacetrackParams()
    i = np.linspace(0, 1.3 * r.i_full_scale_A, 2001)
    codes = r.code(i)
    assert set(codes.tolist()) == set(range(8))
    assert np.all(np.diff(codes) >= 0)
    # knee at I_th; one code per i_lsb
    assert int(r.code(r.strip.i_th_A)) == 0
    assert int(r.code(r.strip.i_th_A + 3 * r.i_lsb_A)) == 3


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e-4), st.floats(0, 1e-4), st.floats(-2e-5, 2e-5))
def test_adc_code_is_monotone_in_current(i1: float, i2: float, off: float) -> None:
    r = RacetrackParams()
    lo, hi = sorted((i1, i2))
    assert int(r.relu_code(lo, off)) <= int(r.relu_code(hi, off))


def test_threshold_offset_moves_the_relu_knee() -> None:
    r = RacetrackParams()
    off = 5e-6
    knee = r.strip.i_th_A - off
    assert int(r.relu_code(knee - 1e-9, off)) == 0
    assert int(r.relu_code(knee + 1.5 * r.i_lsb_A, off)) >= 1


def test_recurrent_neuron_accumulates_and_fires() -> None:
    n = RecurrentNeuronParams()
    i = np.full(6, 12.5e-6)
    ys, out = n.trajectory(i)
    step = float(n.step(12.5e-6))
    np.testing.assert_allclose(ys, np.minimum(step * np.arange(1, 7), 1.0))
    assert out.tolist() == [int(y > 0.5) for y in ys]


def test_vote_times_and_ratio_limit() -> None:
    t = vote_times_s([1e-6, 2e-6], 20e-15, 0.5)
    np.testing.assert_allclose(t, [1e-8, 5e-9])
    assert vote_ratio_limit(1e-6, 20e-15, 0.5, 1e-10) == pytest.approx(1.01)


@pytest.mark.parametrize(
    "change",
    [
        {"g_ap_S": 1e-4},
        {"polarization": 1.5},
        {"sigma_p2p": -0.1},
        {"width_m": 0.0},
        {"alpha": float("nan")},
    ],
)
def test_bad_parameters_are_refused(change: dict[str, float]) -> None:
    with pytest.raises(ParameterError):
        DWParams(**change)  # type: ignore[arg-type]


def test_programming_refuses_out_of_range_levels() -> None:
    with pytest.raises(ParameterError):
        program_positions(P, Programming(bits=2), [4])
