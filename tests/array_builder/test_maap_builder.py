"""MAAP set builders (seed 003): element counts, variation placement, validation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinspice.array_builder.maap import (
    FETS_PER_WINDOW,
    MTJS_PER_WINDOW,
    MaapAreaModel,
    MaapDesign,
    calibration_job,
    draw_maap,
    maap_job,
    sample_times,
    set_area,
    window_draws,
)
from spinspice.errors import NetlistError, ParameterError
from spinspice.netlists.circuit import Mosfet, OsdiInstance, SubcktInstance
from spinspice.spintronic_cells.she_mtj import SheMtjVariation

D = MaapDesign()


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 4))
def test_maap_job_has_one_ota_per_product_and_two_cells_per_window(n: int, p: int, k: int) -> None:
    prods = np.zeros((n, p, k))
    job = maap_job(D, prods, key="maap/test")
    assert job.circuit is not None
    els = job.circuit.elements
    otas = [e for e in els if isinstance(e, SubcktInstance) and e.subckt == "maap_ota"]
    mtjs = [e for e in els if isinstance(e, SubcktInstance) and e.subckt == "she_mtj"]
    fets = [e for e in els if isinstance(e, Mosfet)]
    assert len(otas) == p * k + p  # input OTAs + one coupling OTA per pair
    assert len(mtjs) == MTJS_PER_WINDOW * p + 1  # + the replica cell
    assert len(fets) == FETS_PER_WINDOW * p + 2
    assert "v(out)" in job.saves and f"i(vwd{p - 1})" in job.saves
    assert job.meta["windows"] == p and job.meta["inputs"] == k


def test_variation_reaches_the_instances() -> None:
    draws = draw_maap(SheMtjVariation.mtj(0.05, 0.02), 2, seed=7)
    job = maap_job(D, np.zeros((1, 2, 3)), key="maap/test", draws=draws)
    assert job.circuit is not None
    mtjs = {
        e.name: e
        for e in job.circuit.elements
        if isinstance(e, SubcktInstance) and e.subckt == "she_mtj"
    }
    w1 = window_draws(draws, 1)
    assert mtjs["Xp1c2mtj"].params["rp"] == pytest.approx(D.she.r_p_ohm * w1.rp[1])
    assert mtjs["Xp1c2mtj"].params["isat"] == pytest.approx(D.she.i_sat_A * w1.isat[1])
    offsets = {e.name: e for e in job.circuit.elements if e.name.startswith("Vp1c1t")}
    assert offsets["Vp1c1tn"].waveform.value == pytest.approx(-w1.dvth_V[0])  # type: ignore[union-attr]
    assert job.meta["seed"] == 7


def test_osdi_kind_uses_n_instances(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "she_mtj.osdi"
    fake.write_bytes(b"\0")
    d = replace(D, mtj_model="osdi")
    job = calibration_job(d, windows=2, inputs=2, s_max=2.0, osdi_path=fake)
    assert job.circuit is not None
    assert sum(isinstance(e, OsdiInstance) for e in job.circuit.elements) == 2 * MTJS_PER_WINDOW + 1
    assert "pre_osdi osdi/she_mtj.osdi" in job.deck.text()
    with pytest.raises(ParameterError):
        calibration_job(d, windows=1, inputs=1, s_max=2.0)


def test_sample_times_are_inside_each_operation() -> None:
    t = sample_times(D, 3)
    assert np.all((t > np.arange(3) * D.t_op_s) & (t < (np.arange(3) + 1) * D.t_op_s))


@pytest.mark.parametrize(
    "bad",
    [
        {"r_f_ohm": -1.0},
        {"vss_V": 0.1},
        {"t_edge_s": 0.3e-9},
        {"mtj_model": "spice"},
        {"bias1_fraction": 1.0},
    ],
)
def test_bad_design_raises(bad: dict[str, object]) -> None:
    with pytest.raises(ParameterError):
        replace(D, **bad)


def test_bad_products_raise() -> None:
    with pytest.raises(ParameterError):
        maap_job(D, np.zeros((2, 3)), key="maap/x")
    with pytest.raises(ParameterError):
        maap_job(D, np.full((1, 1, 1), np.nan), key="maap/x")
    with pytest.raises(ParameterError):
        maap_job(D, np.zeros((1, 65, 1)), key="maap/x")
    with pytest.raises(NetlistError):
        maap_job(D, np.zeros((1, 1, 1)), key="bad key!")


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.integers(1, 12))
def test_set_area_counts_the_netlist_and_scales_with_k_and_p(p: int, k: int) -> None:
    a = set_area(D, windows=p, inputs=k)
    assert np.isfinite(a.total_m2) and a.total_m2 > 0
    assert a.counts == {
        "she_mtj": MTJS_PER_WINDOW * p + 1,  # two cells per pair + the replica
        "resistor": 2 * (MTJS_PER_WINDOW * p + 1),  # R_ref and R_f per cell
        "mosfet": FETS_PER_WINDOW * p + 2,  # inverters + followers + the replica inverter
        "ota": p * k + p,  # input OTAs + one coupling OTA per pair
        "current_source": 2 * p + 2,  # two bias sources per pair, the replica's, the tail
        "trim_dac": p,  # one floor trim per pair
    }
    # one more input per window adds exactly P input OTAs; one more window adds a pair,
    # its coupling OTA and K input OTAs
    ota_in = set_area(D, windows=1, inputs=2).total_m2 - set_area(D, windows=1, inputs=1).total_m2
    assert ota_in > 0
    wider = set_area(D, windows=p, inputs=k + 1).total_m2
    assert wider - a.total_m2 == pytest.approx(p * ota_in, rel=1e-9)
    pair = set_area(D, windows=2, inputs=k).total_m2 - set_area(D, windows=1, inputs=k).total_m2
    taller = set_area(D, windows=p + 1, inputs=k).total_m2
    assert taller - a.total_m2 == pytest.approx(pair, rel=1e-9)
    assert pair > k * ota_in


def test_set_area_follows_its_model_and_the_family_reports_it() -> None:
    from spinspice.analysis.families.maap import MaapSetDesign

    base = set_area(D, windows=4, inputs=9)
    sparse = set_area(D, windows=4, inputs=9, model=MaapAreaModel(sheet_ohm=2 * 1360.0))
    assert sparse.areas_m2["resistor"] < base.areas_m2["resistor"]
    assert sparse.areas_m2["ota"] == base.areas_m2["ota"]
    assert MaapSetDesign(D, 4, 9).area_m2 == pytest.approx(base.total_m2)
    with pytest.raises(ParameterError):
        MaapAreaModel(sheet_ohm=0.0)
    with pytest.raises(ParameterError):
        MaapAreaModel(ota_transistors=0)
    with pytest.raises(ParameterError):
        set_area(D, windows=0, inputs=9)


def test_every_pair_has_a_floor_trim_dac_at_its_code() -> None:
    from spinspice.array_builder.maap import TRIM, TRIM_V_PER_CODE, calibration_job

    job = calibration_job(D, windows=2, inputs=1, s_max=2.0, trim=(5, -7))
    text = job.deck.body
    assert "Vp0trim p0trimc 0 DC 5.0e-03" in text and "Vp1trim p1trimc 0 DC -7.0e-03" in text
    assert f"Xp0trim vdd p0trimc 0 p0c2d {TRIM}" in text
    assert job.meta["trim"] == "5,-7" and job.key.endswith("-trimmed")
    zero = calibration_job(D, windows=2, inputs=1, s_max=2.0)
    assert zero.meta["trim"] == "0,0" and "Vp0trim p0trimc 0 DC 0.0e+00" in zero.deck.body
    sub = {t.name: t.params for t in D.template_subcircuits()}[TRIM]
    assert sub["gm"] * TRIM_V_PER_CODE == pytest.approx(D.trim_lsb_A)


@pytest.mark.parametrize(
    "trim",
    [(1,), (0, 0, 0), (128, 0), (0, -128), (1.5, 0), (True, 0)],
)
def test_bad_trim_codes_are_refused(trim: tuple[object, ...]) -> None:
    from spinspice.array_builder.maap import calibration_job

    with pytest.raises(ParameterError):
        calibration_job(D, windows=2, inputs=1, s_max=2.0, trim=trim)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw", [{"trim_bits": 1}, {"trim_bits": 13}, {"trim_sum": 0.0}, {"trim_lsb_A": 0.0}]
)
def test_bad_trim_design_is_refused(kw: dict[str, float]) -> None:
    with pytest.raises(ParameterError):
        MaapDesign(**kw)  # type: ignore[arg-type]


def test_a_trim_job_is_one_window_of_the_set() -> None:
    from spinspice.array_builder.maap import draw_maap, single_window_draws, trim_job
    from spinspice.spintronic_cells.she_mtj import SheMtjVariation

    draws = draw_maap(SheMtjVariation.mtj(0.05, 0.02), 3, 11)
    one = single_window_draws(draws, 2)
    assert one.rp_factor.tolist() == [*draws.rp_factor[4:6], draws.rp_factor[-1]]
    assert one.isat_factor.tolist() == [*draws.isat_factor[4:6], draws.isat_factor[-1]]
    assert one.dvth_V.tolist() == [*draws.dvth_V[10:15], *draws.dvth_V[-2:]]
    job = trim_job(D, inputs=4, draws=draws, window=2)
    text = job.deck.body
    assert ".dc Vp0trim -1.27e-01 1.27e-01 1.0e-03" in text
    assert "Xp1" not in text and text.count("maap_ota\n") == 4 + 1  # 4 inputs, 1 coupling
    with pytest.raises(ParameterError):
        single_window_draws(draws, 3)
