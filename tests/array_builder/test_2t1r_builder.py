"""2T1R cell and array builders: structure, validation and update schedules (no simulator)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from spinspice.array_builder.array_2t1r import (
    Array2T1RDesign,
    UpdatePulse2T1R,
    array_circuit,
    check_binary_weights,
    load_binary_weights,
    parse_binary_weights,
    random_binary_weights,
    update_circuit,
    widths_from_delta,
)
from spinspice.array_builder.array_4t2r import Array4T2RDesign
from spinspice.array_builder.synapse_2t1r import (
    Synapse2T1RDesign,
    mtj_state,
    parse_binary_weight,
    synapse_subcircuit,
)
from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign
from spinspice.errors import NetlistError, ParameterError
from spinspice.netlists.circuit import CellArray, Pwl, VoltageSource
from spinspice.netlists.job import make_job
from spinspice.netlists.technology import MosfetTechnology
from spinspice.spintronic_cells.fit import shipped_fit

TECH = MosfetTechnology.default()


def design(m: int, n: int) -> Array2T1RDesign:
    return Array2T1RDesign(synapse=Synapse2T1RDesign(technology=TECH), rows=m, cols=n)


def test_weight_convention_and_cell() -> None:
    syn = Synapse2T1RDesign(technology=TECH)
    assert mtj_state(1) == "P" and mtj_state(-1) == "AP"
    assert syn.weight_resistance(1) == 1500.0 and syn.weight_resistance(-1) == 2500.0
    # (G - G_ref)·u is ±(G_on - G_off)/2·u
    assert syn.ideal_signed_current(0.1, 1) == pytest.approx(syn.ideal_unit_A(0.1))
    assert syn.ideal_signed_current(0.1, -1) == pytest.approx(-syn.ideal_unit_A(0.1))
    sub = synapse_subcircuit(syn)
    assert sub.ports == ("u", "ub", "ep", "en", "out")
    assert [e.name for e in sub.elements] == ["Mp", "Mn", "Rmtj"]
    with pytest.raises(ParameterError):
        Synapse2T1RDesign(technology=TECH, r_on_ohm=3000.0)
    with pytest.raises(ParameterError):
        mtj_state(0)


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 5), (6, 2)])
def test_builder_emits_data_and_reference_cells(m: int, n: int) -> None:
    d = design(m, n)
    w = random_binary_weights(m, n, 0)
    c = array_circuit(d, w, "ff", np.ones(n, dtype=int))
    arr = next(e for e in c.elements if isinstance(e, CellArray))
    body = make_job(c, key="test").deck.body
    cells = [ln for ln in body.splitlines() if ln.startswith("XA_")]
    segs = [ln for ln in body.splitlines() if ln.startswith("RA_")]
    assert len(cells) == (m + 2) * (n + 2)
    assert len(segs) == arr.n_segments == (m + 2) * (n + 2) * 5  # 2 column + 3 row lines
    r = np.array(arr.cell_params["r"])
    assert np.array_equal(r[:m, :n], np.where(w == 1, 1500.0, 2500.0))
    assert np.all(r[m, :] == 1500.0) and np.all(r[m + 1, :] == 2500.0)  # reference rows
    assert np.all(r[:m, n] == 1500.0) and np.all(r[:m, n + 1] == 2500.0)  # reference columns
    # reference columns are idle in feedforward
    srcs = {e.name: e for e in c.elements if isinstance(e, VoltageSource)}
    assert srcs[f"Vu_{n + 1}"].waveform.__class__.__name__ == "Dc"
    assert isinstance(srcs["Vu_1"].waveform, Pwl)


def test_bp_drives_rows_and_idles_reference_rows() -> None:
    d = design(3, 2)
    c = array_circuit(d, random_binary_weights(3, 2, 1), "bp", np.array([1, -1, 0]))
    srcs = {e.name: e for e in c.elements if isinstance(e, VoltageSource)}
    assert isinstance(srcs["Vout_1"].waveform, Pwl)
    assert srcs["Vout_3"].waveform.__class__.__name__ == "Dc"  # error 0
    assert srcs["Vout_4"].waveform.__class__.__name__ == "Dc"  # reference row
    assert all(srcs[f"Vu_{k}"].waveform.__class__.__name__ == "Dc" for k in range(1, 5))


def test_weight_parsing_and_files(tmp_path: Path) -> None:
    w = parse_binary_weights([["-1", "+1"], [1, -1]])
    assert w.tolist() == [[-1, 1], [1, -1]]
    assert parse_binary_weight(" 1 ") == 1
    for bad in ("0", "2", "0s", "1\n.control", True):
        with pytest.raises(ParameterError):
            parse_binary_weight(bad)
    with pytest.raises(ParameterError, match="rectangular"):
        parse_binary_weights([["-1", "1"], ["1"]])
    p = tmp_path / "w.csv"
    p.write_text("-1,1\n1,-1\n")
    assert load_binary_weights(p).tolist() == w.tolist()
    q = tmp_path / "w.npy"
    np.save(q, w)
    assert load_binary_weights(q).tolist() == w.tolist()
    with pytest.raises(ParameterError):
        load_binary_weights(tmp_path / "missing.csv")
    with pytest.raises(ParameterError):
        check_binary_weights(np.zeros((2, 2), dtype=int), (2, 2))
    with pytest.raises(ParameterError):
        check_binary_weights(w, (3, 2))


def test_bad_inputs_are_refused() -> None:
    d = design(2, 3)
    w = random_binary_weights(2, 3, 0)
    for vec in (np.array([1, 1]), np.array([1, 2, 1]), np.array([0.5, 1, 1])):
        with pytest.raises(ParameterError):
            array_circuit(d, w, "ff", vec)
    with pytest.raises(ParameterError):
        array_circuit(d, w, "bp", np.ones(3, dtype=int))  # bp needs one error per row
    with pytest.raises(ParameterError):
        array_circuit(d, w, "xx", np.ones(3, dtype=int))  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        array_circuit(d, w.T, "ff", np.ones(3, dtype=int))
    for rows in (0, 1025, True, 2.0):
        with pytest.raises(ParameterError):
            Array2T1RDesign(synapse=d.synapse, rows=rows, cols=2)  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        Array2T1RDesign(synapse=Synapse4T2RDesign(technology=TECH), rows=2, cols=2)  # type: ignore[arg-type]


def test_area_counts_two_transistors_and_the_reference() -> None:
    d = design(64, 64)
    d4 = Array4T2RDesign(synapse=Synapse4T2RDesign(technology=TECH), rows=64, cols=64)
    assert d.cell_area_m2 == pytest.approx(d4.cell_area_m2 / 2)
    assert d.area_m2 == pytest.approx(66 * 66 * d.cell_area_m2)
    assert d.data_area_m2 == pytest.approx(64 * 64 * d.cell_area_m2)


def test_widths_from_delta() -> None:
    s, w = widths_from_delta(np.array([-3.0, -1.0, 0.0, 0.5, 2.0]), 2e-9)
    assert s.tolist() == [-1, -1, 0, 1, 1]
    assert w == pytest.approx([2e-9, 1e-9, 0.0, 0.5e-9, 2e-9])
    with pytest.raises(ParameterError):
        widths_from_delta(np.array([np.nan]), 2e-9)


def test_update_schedule_and_gates() -> None:
    d = design(2, 3)
    w = np.array([[-1, 1, 1], [1, -1, 1]])
    sign = np.array([[1, 0, 0], [-1, 0, 1]])
    ud = update_circuit(d, w, sign, 1e-9, fit=shipped_fit(), seed=3)
    assert ud.columns == (1, 3)  # column 2 has no pulse
    assert np.isnan(ud.pulse_start_s[0, 1]) and not np.isnan(ud.pulse_start_s[1, 2])
    assert ud.draws.theta_ap2p_rad.shape == (6,) and ud.draws.seed == 3
    srcs = {e.name: e for e in ud.circuit.elements if isinstance(e, VoltageSource)}
    ep1, en2 = srcs["Vep_1"].waveform, srcs["Ven_2"].waveform
    assert isinstance(ep1, Pwl) and min(v for _, v in ep1.points) == -1.0  # PMOS on: +1
    assert isinstance(en2, Pwl) and max(v for _, v in en2.points) == 1.0  # NMOS on: -1
    assert srcs["Ven_1"].waveform.__class__.__name__ == "Dc"  # row 1 never goes to -1
    assert srcs["Vu_2"].waveform.__class__.__name__ == "Dc"  # idle column
    body = make_job(ud.circuit, key="test").deck.body
    assert body.count("\nXmtj_") == 6 and body.count("\nXA_") == 6
    all_cols = update_circuit(d, w, sign, 1e-9, fit=shipped_fit(), seed=3, skip_idle_columns=False)
    assert all_cols.columns == (1, 2, 3)


def test_update_refuses_bad_input() -> None:
    d = design(2, 2)
    w = np.array([[1, -1], [1, 1]])
    fit = shipped_fit()
    ok = np.array([[1, 0], [0, -1]])
    with pytest.raises(ParameterError, match="V_up"):
        update_circuit(d, w, ok, 1e-9, fit=fit, seed=0, pulse=UpdatePulse2T1R(v_up_V=1.2))
    with pytest.raises(ParameterError, match="fit"):
        update_circuit(
            replace(d, synapse=Synapse2T1RDesign(technology=TECH, r_on_ohm=1000.0)),
            w,
            ok,
            1e-9,
            fit=fit,
            seed=0,
        )
    for sign, width in ((ok[:1], 1e-9), (ok * 2, 1e-9), (ok, -1e-9), (ok, np.nan), (ok, 1e-3)):
        with pytest.raises(ParameterError):
            update_circuit(d, w, sign, width, fit=fit, seed=0)
    for seed in (-1, True, 1.5):
        with pytest.raises(ParameterError):
            update_circuit(d, w, ok, 1e-9, fit=fit, seed=seed)  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        UpdatePulse2T1R(t_up_s=0.0)
    with pytest.raises((ParameterError, NetlistError)):
        update_circuit(d, np.array([["1", "x"], ["1", "1"]]), ok, 1e-9, fit=fit, seed=0)
