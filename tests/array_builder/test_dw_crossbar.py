"""DW crossbar, racetrack ADC, recurrent neuron and majority vote simulated in ngspice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinspice.analysis.domain_wall import (
    measure_crossbar,
    run_adc,
    run_crossbar,
    run_recurrent,
    run_vote,
    vote_trials,
)
from spinspice.analysis.runner import NgspiceSubprocess, run_one
from spinspice.array_builder.dw_crossbar import (
    DWCrossbarDesign,
    InputSchedule,
    crossbar_circuit,
    crossbar_job,
    expand_multibit,
    program,
)
from spinspice.array_builder.dw_devices import ThresholdOffset, dw_models
from spinspice.array_builder.dw_neurons import RecurrentBench, VoteDesign
from spinspice.errors import ParameterError
from spinspice.netlists.circuit import CellArray
from spinspice.netlists.technology import MosfetTechnology
from spinspice.spintronic_cells.domain_wall import DW_PRESETS, RacetrackParams

TECH = MosfetTechnology.default()
P = DW_PRESETS["seed004-dw"]


def test_builder_emits_the_offset_column_and_offset_row() -> None:
    d = DWCrossbarDesign(rows=3, cols=4, technology=TECH)
    w = program(d, np.arange(12).reshape(3, 4), None, offset_levels=np.array([1, 2, 3, 4]))
    c = crossbar_circuit(
        d, w, InputSchedule(vectors=np.eye(3, dtype=np.int64)), dw_models("behavioural")
    )
    arr = next(e for e in c.elements if isinstance(e, CellArray))
    assert (arr.rows, arr.cols) == (4, 5)  # + threshold-offset row, + offset column
    x0 = np.array(arr.cell_params["x0"])
    assert np.all(x0[:, -1] == 1.0)  # offset column all AP
    np.testing.assert_allclose(1 - x0[:3, :4], np.arange(12).reshape(3, 4) / 15)
    np.testing.assert_allclose(1 - x0[3, :4], np.array([1, 2, 3, 4]) / 15)


def test_inputs_must_be_binary() -> None:
    with pytest.raises(ParameterError):
        InputSchedule(vectors=np.array([[0, 2]]))


@pytest.mark.ngspice
def test_crossbar_dot_products_match_the_ideal(tmp_path: Path) -> None:
    d = DWCrossbarDesign(rows=16, cols=8, technology=TECH)
    res = run_crossbar(d, NgspiceSubprocess(), dw_models("osdi", tmp_path), n_vectors=30, seed=3)
    s = res.summary()
    # access NMOS (~2 %) and wire IR drop compress the currents: gain within 0.95..1
    assert 0.95 < s["gain"] < 1.0
    # after that gain, the programming variation (sigma ~5.4 % of each weight) is left
    assert s["rms_after_gain_lsb"] < 3.0
    # against the walls as programmed, the circuit error is the gain error alone
    e = res.error_circuit_lsb
    assert np.all(np.abs(e) <= 0.05 * res.i_programmed_A / d.i_lsb_A + 0.5)


@pytest.mark.ngspice
def test_multibit_inputs_through_1x_2x_4x_mirrors(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    levels = rng.integers(0, 16, (4, 2))
    x = rng.integers(0, 8, (6, 4))
    big, xb, ratios, groups = expand_multibit(levels, x)
    d = DWCrossbarDesign(rows=12, cols=6, technology=TECH, column_ratio=ratios, column_group=groups)
    w = program(d, big, None)
    inputs = InputSchedule(vectors=xb)
    sim = run_one(NgspiceSubprocess(), crossbar_job(d, w, inputs, dw_models("osdi", tmp_path)))
    res = measure_crossbar(d, w, inputs, sim)
    np.testing.assert_allclose(res.i_ideal_A, d.i_lsb_A * (x @ levels))  # the ideal is x.W
    np.testing.assert_allclose(res.i_out_A, res.i_ideal_A, rtol=0.04, atol=0.5 * d.i_lsb_A)


@pytest.mark.ngspice
def test_racetrack_adc_is_monotonic_over_all_codes_and_offset_sets_the_knee(tmp_path: Path) -> None:
    r = RacetrackParams()
    m = dw_models("osdi", tmp_path)
    a = run_adc(r, NgspiceSubprocess(), m, np.linspace(0, 1.2 * r.i_full_scale_A, 80))
    assert a.monotonic and set(a.code.tolist()) == set(range(8))
    assert np.array_equal(a.code, a.code_law)
    lin = a.linearity()
    step = 1.2 * r.i_full_scale_A / 79 / r.i_lsb_A  # sweep resolution, LSB
    assert np.nanmax(np.abs(lin["inl_lsb"])) <= step
    off = ThresholdOffset.for_current(r.strip, 5e-6)
    b = run_adc(r, NgspiceSubprocess(), m, np.linspace(0, 15e-6, 60), offset=off)
    expected = r.strip.i_th_A - off.current_A(r.strip)
    assert abs(b.knee_A - expected) <= 15e-6 / 59


@pytest.mark.ngspice
def test_recurrent_state_is_the_sum_of_the_cycle_displacements(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    cur = tuple(float(c) for c in rng.uniform(0, 12e-6, 20))
    bench = RecurrentBench(currents_A=cur, offset=ThresholdOffset.for_current(P, P.i_th_A))
    df = run_recurrent(P, NgspiceSubprocess(), dw_models("osdi", tmp_path), bench)
    np.testing.assert_allclose(df["x"], df["expected_x"], atol=1e-3)
    assert (df["output"] == df["expected_output"]).all()
    assert df["output"].iloc[-1] == 1 and df["output"].iloc[0] == 0


@pytest.mark.ngspice
def test_majority_vote_resolves_20_percent_and_fails_at_2_percent() -> None:
    d = VoteDesign(technology=TECH)
    trials = vote_trials(4, [2.0, 1.2, 1.02], i_top_A=1e-6, seed=0)
    df = run_vote(d, NgspiceSubprocess(), trials)
    ok = df["winner_simulated"] == df["winner_expected"]
    assert ok.tolist() == [True, True, False]
    assert df["margin_s"].iloc[0] > df["margin_s"].iloc[1] > 0


@pytest.mark.ngspice
def test_binary_threshold_neuron_compares_currents(tmp_path: Path) -> None:
    from spinspice.analysis.domain_wall import binary_threshold_A, run_binary_neuron

    i_star = binary_threshold_A(P, 20e-9, 0.5)
    assert i_star == pytest.approx(
        P.i_th_A + 0.5 * 500e-9 * 7.5e-17 / (9.9229e-11 * 20e-9), rel=1e-3
    )
    df = run_binary_neuron(
        P,
        NgspiceSubprocess(),
        dw_models("osdi", tmp_path),
        [0.5 * P.i_th_A, 0.95 * i_star, 1.05 * i_star, 1.5 * i_star],
    )
    assert df["output"].tolist() == [0, 0, 1, 1]
    assert df["x"].iloc[0] == pytest.approx(0.0, abs=1e-6)  # below I_th: no motion


@pytest.mark.ngspice
def test_rlnn_layer_racetrack_neurons_read_the_crossbar(tmp_path: Path) -> None:
    from spinspice.analysis.domain_wall import run_rlnn_layer

    d = DWCrossbarDesign(rows=16, cols=3, technology=TECH, mirror_ratio=0.3)
    r = run_rlnn_layer(d, NgspiceSubprocess(), dw_models("osdi", tmp_path), n_vectors=6, seed=1)
    # the in-circuit converters (gated residue, reset between vectors) give the law's code of
    # the currents the crossbar delivers; against the ideal x.W they may differ by one code
    # where the 4 % compression crosses a code boundary
    assert np.array_equal(r.code, r.code_from_sim_current)
    assert np.all(np.abs(r.code - r.code_ideal) <= 1)
    assert len(set(r.code.ravel().tolist())) >= 3
