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
    MaapDesign,
    calibration_job,
    draw_maap,
    maap_job,
    sample_times,
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
