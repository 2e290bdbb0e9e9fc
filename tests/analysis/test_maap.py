"""MAAP sets in ngspice (seed 003): transfer, max-pool(ReLU) check, energy, module."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from spinspice.analysis.maap import S_FS, run_check, run_transfer
from spinspice.analysis.maap_energy import (
    TABLE1_COUNTS,
    energy_table,
    image_energy,
    measure_op_energy,
    search_table1_networks,
    seed_maap_op_J,
)
from spinspice.analysis.maap_module import MaapStats, characterise
from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.array_builder.maap import MaapDesign
from spinspice.netlists import she_mtj_model as sm
from spinspice.netlists.osdi import compile_va

D = MaapDesign()


@pytest.mark.ngspice
def test_cell_transfer_is_linear_and_saturates_at_the_device_i_sat() -> None:
    t = run_transfer(NgspiceSubprocess(), D, n_points=121)
    assert t.gain_V_per_A > 1e3  # mV per uA: more HM current, higher output
    assert t.linear_min_A < -20e-6 and t.linear_max_A > 20e-6
    # the free layer saturates at I_sat (52 uA); the cell output follows it
    assert t.i_sat_pos_A == pytest.approx(D.she.i_sat_A, rel=0.2)
    assert t.i_sat_neg_A == pytest.approx(-D.she.i_sat_A, rel=0.2)
    # ReLU pair: flat below zero (within 0.1 of the rise to FS), rising above
    neg = t.relu_v_V[t.relu_s < 0]
    rise = np.interp(S_FS, t.relu_s, t.relu_v_V) - np.interp(0.0, t.relu_s, t.relu_v_V)
    assert np.ptp(neg) < 0.1 * rise
    assert rise > 0.3


@pytest.mark.ngspice
def test_osdi_twin_gives_the_same_cell_transfer(tmp_path: Path) -> None:
    osdi = compile_va(sm.verilog_a_source(), tmp_path)
    eng = NgspiceSubprocess()
    b = run_transfer(eng, D, n_points=41)
    o = run_transfer(eng, replace(D, mtj_model="osdi"), n_points=41, osdi_path=osdi)
    np.testing.assert_allclose(o.v_out_V, b.v_out_V, atol=2e-3)


@pytest.mark.ngspice
def test_check_computes_maxpool_relu_on_random_vectors() -> None:
    res = run_check(NgspiceSubprocess(), D, inputs=9, windows=4, vectors=40, seed=3, bits=4)
    s = res.summary()
    assert s["winner_vectors_counted"] >= 25
    assert s["fraction_winner_correct"] >= 0.99
    assert s["max_abs_error_lsb"] < 1.5
    assert s["fraction_within_1_lsb"] >= 0.95
    assert list(res.table.columns[:5]) == [
        "vector",
        "expected",
        "output",
        "error_lsb",
        "winner_correct",
    ]
    # the ideal really is max_p ReLU: a vector whose windows are all negative reads 0
    zero = res.table["ideal_value"] == 0
    assert (res.table.loc[zero, "output"] <= 1).all()
    assert 0.1e-12 < s["e_maap_op_J"] < 10e-12


@pytest.mark.ngspice
def test_energy_per_operation_split_adds_up() -> None:
    op = measure_op_energy(NgspiceSubprocess(), D, vectors=10)
    assert op.e_op_J == pytest.approx(sum(op.split_J.values()))
    assert all(v >= 0 for v in op.split_J.values())
    assert 0.1e-12 < op.e_op_J < 10e-12
    df = energy_table(op.e_op_J, [4, 32], [1, 16], TABLE1_COUNTS)
    assert list(df.columns[:8]) == [
        "bits",
        "redundancy",
        "e_maap_op_J",
        "e_maap_J",
        "e_memory_J",
        "e_adc_J",
        "e_multiply_J",
        "e_image_J",
    ]
    assert (df["e_image_J"] > 0).all()


def test_eq2_reproduces_the_seed_totals() -> None:
    # seed 003 §4.2: ~80 nJ for 4 bits and ~1000 nJ for 32 bits (R = 16)
    e4 = image_energy(seed_maap_op_J(4), 4, 16, TABLE1_COUNTS)["e_image_J"]
    e32 = image_energy(seed_maap_op_J(32), 32, 16, TABLE1_COUNTS)["e_image_J"]
    assert e4 == pytest.approx(80.6e-9, rel=0.01)
    assert e32 == pytest.approx(964e-9, rel=0.01)


def test_no_searched_network_reproduces_table1() -> None:
    df = search_table1_networks()
    assert len(df) > 1000  # many networks give 3904 MAAP operations ...
    assert not (df["multiply_match"] & df["memory_match"]).any()  # ... none all four counts


def test_ideal_module_is_maxpool_relu() -> None:
    st = MaapStats.ideal(S_FS)
    sums = np.array([[-1.0, 0.5, 0.2, -0.3], [-2.0, -1.0, -0.1, -0.5], [3.0, 0.0, 0.0, 0.0]])
    out = st.evaluate(np.random.default_rng(0), sums, 4)
    np.testing.assert_allclose(out, [0.5, 0.0, S_FS], atol=1e-9)


@pytest.mark.ngspice
def test_variation_spreads_the_devices_and_is_reproducible() -> None:
    eng = NgspiceSubprocess()
    a = characterise(eng, D, mtj_variation=0.05, vth_sigma_V=0.0, devices=6, seed=2)
    b = characterise(eng, D, mtj_variation=0.05, vth_sigma_V=0.0, devices=6, seed=2)
    np.testing.assert_allclose(a.curves, b.curves)
    assert a.devices == 6
    assert np.std(a.offset) > 0.01
    nominal = characterise(eng, D, mtj_variation=0.0, vth_sigma_V=0.0, devices=6, seed=2)
    assert nominal.devices == 1
    assert abs(nominal.offset[0]) < 0.05 and abs(nominal.gain[0] - 1) < 0.05


@pytest.mark.ngspice
def test_floor_trim_pulls_every_pair_onto_the_nominal_floor() -> None:
    """The trim sweep lowers the output with the code (the sign convention), the nominal
    set trims to code 0, and varied sets end within one code step of the nominal floor,
    which their untrimmed floors are not."""
    from spinspice.analysis.maap import trim_sets
    from spinspice.array_builder.maap import draw_maap, trim_job
    from spinspice.spintronic_cells.she_mtj import SheMtjVariation

    eng = NgspiceSubprocess()
    dc = eng.run([trim_job(D, inputs=2)])[0].plot("dc")
    step = np.diff(dc["v(out)"])
    assert np.all(step < 0)  # code > 0 pushes current into d: output down
    var = SheMtjVariation.mtj(0.05, 0.02)
    draws = [draw_maap(var, 2, 40 + i) for i in range(4)]
    zero = [draw_maap(SheMtjVariation.mtj(0.0, 0.0), 2, 0)]
    (nominal,) = trim_sets(eng, D, inputs=2, windows=2, draws=zero)
    assert nominal.codes == (0, 0) and max(map(abs, nominal.residual_V)) < 1e-9
    trims = trim_sets(eng, D, inputs=2, windows=2, draws=draws)
    codes = np.array([t.codes for t in trims])
    resid = np.abs([t.residual_V for t in trims])
    assert np.count_nonzero(codes) >= 6  # the draws do need trimming
    assert resid.max() <= np.abs(step).max() / 2 + 1e-6
    # the untrimmed floor of the same pairs: the code-0 point of each sweep
    untrimmed = []
    for dr in draws:
        for p in range(2):
            r = eng.run([trim_job(D, inputs=2, draws=dr, window=p)])[0].plot("dc")
            untrimmed.append(r["v(out)"][D.trim_max_code])
    target = dc["v(out)"][D.trim_max_code]
    assert np.std(np.array(untrimmed) - target) > 10 * resid.max()


@pytest.mark.ngspice
def test_trim_removes_the_floor_spread_of_the_module_devices() -> None:
    eng = NgspiceSubprocess()
    kw = {"mtj_variation": 0.05, "vth_sigma_V": 0.02, "devices": 8, "seed": 3}
    raw = characterise(eng, D, trim=False, **kw)  # type: ignore[arg-type]
    cut = characterise(eng, D, **kw)  # type: ignore[arg-type]
    assert raw.trim_codes is None and cut.trim_codes is not None
    assert cut.trim_codes.shape == (8,) and not cut.trim_saturated.any()  # type: ignore[union-attr]
    floor_raw, floor_cut = raw.curves[:, 0], cut.curves[:, 0]  # decoded output at s = -FS/4
    assert floor_raw.max() > 0.1 * S_FS  # some untrimmed floors decode far above 0
    assert floor_cut.max() < 0.02 * S_FS


@pytest.mark.ngspice
def test_check_with_variation_trims_the_set_first() -> None:
    from spinspice.spintronic_cells.she_mtj import SheMtjVariation

    var = SheMtjVariation.mtj(0.05, 0.0)
    eng = NgspiceSubprocess()
    kw = {"inputs": 3, "windows": 2, "vectors": 30, "seed": 5, "variation": var, "batch": 30}
    res = run_check(eng, D, **kw)  # type: ignore[arg-type]
    raw = run_check(eng, D, trim=False, **kw)  # type: ignore[arg-type]
    assert res.trim is not None and len(res.trim.codes) == 2 and raw.trim is None
    err, err_raw = res.table["error_lsb"].abs().mean(), raw.table["error_lsb"].abs().mean()
    assert err < err_raw
