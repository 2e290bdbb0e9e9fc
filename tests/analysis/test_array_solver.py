"""The fast quasi-static engine: MOSFET tables and the array solver against ngspice."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from spinspice.analysis.array_solver import (
    FastEngine,
    quasi_static_circuit,
    settled_values,
    waveform_value,
)
from spinspice.analysis.mosfet_table import (
    DeviceKey,
    MosfetGrid,
    MosfetTable,
    cache_dir,
    load_or_characterise,
    validate,
)
from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.errors import SimulationError
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    OperatingPoint,
    Pwl,
    Resistor,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import make_job
from spinspice.netlists.technology import MosfetTechnology


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache directory of this test module only (not the user's)."""
    path = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(path))
        yield path


# --------------------------------------------------------------------------- no simulator


def _synthetic_table(f: object) -> MosfetTable:
    grid = MosfetGrid(vgs_V=(-1.0, 1.0, 41), vds_V=(-1.0, 1.0, 41), vbs_V=(-0.2, 0.2, 5))
    vbs, vgs, vds = grid.axes()
    b, g, d = np.meshgrid(vbs, vgs, vds, indexing="ij")
    key = DeviceKey(
        libraries=(MosfetTechnology.default().library_ref(),),
        model="nmos28",
        element="M",
        w_m=1e-6,
        l_m=3e-8,
    )
    y = f(g, d, b)  # type: ignore[operator]
    return MosfetTable(key=key, grid=grid, i_d_A=y, i_b_A=np.zeros_like(y))


def _smooth(g: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1e-4 * np.tanh(2 * d) * np.log1p(np.exp(4 * (g + 0.3 * b)))


def test_table_interpolant_is_accurate_and_its_gradient_is_the_derivative() -> None:
    tab = _synthetic_table(_smooth)
    rng = np.random.default_rng(3)
    g, d, b = (
        rng.uniform(-0.99, 0.99, 500),
        rng.uniform(-0.99, 0.99, 500),
        rng.uniform(-0.2, 0.2, 500),
    )
    i, dg, dd, db = tab.evaluate(g, d, b)
    exact = _smooth(g, d, b)
    assert np.max(np.abs(i - exact)) < 2e-4 * np.max(np.abs(exact))
    h = 1e-6
    for grad, shift in ((dg, (h, 0, 0)), (dd, (0, h, 0)), (db, (0, 0, h))):
        up = tab.evaluate(g + shift[0], d + shift[1], b + shift[2])[0]
        dn = tab.evaluate(g - shift[0], d - shift[1], b - shift[2])[0]
        assert np.allclose(grad, (up - dn) / (2 * h), rtol=1e-5, atol=1e-12)


def test_table_is_monotone_along_grid_lines_where_the_data_is() -> None:
    # a steep exponential (subthreshold-like): a plain cubic spline overshoots here
    tab = _synthetic_table(lambda g, d, b: 1e-9 * np.exp(np.clip(g, -1, 0.2) / 0.03) * d)
    d = np.linspace(0.05, 0.95, 2001)
    for g0 in (-0.5, 0.1, 0.15, 0.3):
        i = tab.evaluate(np.full_like(d, g0), d, np.zeros_like(d))[0]
        assert np.all(np.diff(i) >= -1e-14 * np.max(np.abs(i)))  # round-off only
    g = np.linspace(-0.9, 0.9, 2001)
    i = tab.evaluate(g, np.full_like(g, 0.5), np.zeros_like(g))[0]
    assert np.all(np.diff(i) >= -1e-14 * np.max(np.abs(i)))  # round-off only


def test_table_refuses_points_off_the_grid() -> None:
    tab = _synthetic_table(_smooth)
    with pytest.raises(SimulationError, match="outside the characterised grid"):
        tab.evaluate(np.array([1.2]), np.array([0.0]), np.array([0.0]))


def test_waveform_values() -> None:
    w = Pwl(((0.0, 0.0), (1e-9, 0.0), (2e-9, 0.5)))
    assert waveform_value(w, 0.0) == 0.0
    assert waveform_value(w, 1.5e-9) == pytest.approx(0.25)
    assert waveform_value(w, 5e-9) == 0.5
    assert waveform_value(Dc(0.3), 1.0) == 0.3


def test_resistive_network_with_floating_sources_matches_hand_solution() -> None:
    # V1 0.9 V at a; R1 a-b 100; ammeter Vm (0 V) b→c; R2 c-0 200; a floating source
    # V2 (0.2 V) between c and d with R3 d-0 50 ohm
    c = Circuit(
        title="divider",
        elements=(
            VoltageSource("V1", "a", GROUND, Pwl(((0.0, 0.0), (1e-9, 0.9)))),
            Resistor("R1", "a", "b", 100.0),
            VoltageSource("Vm", "b", "c", Dc(0.0)),
            Resistor("R2", "c", GROUND, 200.0),
            VoltageSource("V2", "d", "c", Dc(0.2)),
            Resistor("R3", "d", GROUND, 50.0),
        ),
        analyses=(Transient(1e-11, 2e-9),),
    )
    # KCL at the supernode {c, d = c + 0.2}: (0.9 − c)/100 = c/200 + (c + 0.2)/50
    vc = (0.9 / 100 - 0.2 / 50) / (1 / 100 + 1 / 200 + 1 / 50)
    i_r1 = (0.9 - vc) / 100
    res = FastEngine(characteriser=NgspiceSubprocess()).run([make_job(c, key="t/div")])[0]
    op = res.plot("op")
    assert op["v(c)"][0] == pytest.approx(vc, abs=1e-12)
    assert op["v(d)"][0] == pytest.approx(vc + 0.2, abs=1e-12)
    assert op["i(vm)"][0] == pytest.approx(i_r1, abs=1e-14)  # into n+ = b, towards c
    assert op["i(v1)"][0] == pytest.approx(-i_r1, abs=1e-14)  # delivering: negative
    assert op["i(v2)"][0] == pytest.approx(-(vc + 0.2) / 50, abs=1e-14)
    assert res.backend == "fast"
    assert settled_values(res, ["v(c)", "i(vm)"]) == pytest.approx([vc, i_r1], abs=1e-12)


def test_source_loops_are_refused() -> None:
    c = Circuit(
        title="loop",
        elements=(
            VoltageSource("V1", "a", GROUND, Dc(1.0)),
            VoltageSource("V2", "a", GROUND, Dc(1.0)),
            Resistor("R1", "a", GROUND, 1.0),
        ),
        analyses=(OperatingPoint(),),
    )
    with pytest.raises(SimulationError, match="loop of voltage sources"):
        FastEngine(characteriser=NgspiceSubprocess()).run([make_job(c, key="t/loop")])


# --------------------------------------------------------------------------- ngspice


@pytest.mark.ngspice
def test_characterisation_is_cached_private_and_accurate(private_cache: Path) -> None:
    tech = MosfetTechnology.default("tt")
    key = DeviceKey(
        libraries=(tech.library_ref(),),
        model=tech.nmos_model,
        element="M",
        w_m=tech.wn_m,
        l_m=tech.l_m,
    )
    eng = NgspiceSubprocess()
    tab = load_or_characterise(key, eng)
    assert tab.source == "ngspice"
    again = load_or_characterise(key, eng)
    assert again.source == "cache"
    np.testing.assert_array_equal(again.i_d_A, tab.i_d_A)
    assert stat.S_IMODE(os.stat(cache_dir()).st_mode) == 0o700
    assert str(cache_dir()).startswith(str(private_cache))
    # where the arrays' pass transistors work, the table is within 1 nA of ngspice
    on = validate(tab, eng, points=150, region=((0.85, 1.15), (-0.05, 0.05), (0.0, 0.0)))
    assert on.max_abs_err_A < 1e-9
    off = validate(tab, eng, points=150, region=((-1.2, -0.8), (-0.25, 0.25), (0.0, 0.0)))
    assert off.max_abs_err_A < 1e-9


def _agreement(
    circuit: Circuit, outputs: list[str], lsb_A: float, *, transient: bool = False
) -> None:
    ng = NgspiceSubprocess()
    fast = FastEngine(characteriser=ng).run([make_job(circuit, key="t/fast")])[0]
    refs = [ng.run([make_job(quasi_static_circuit(circuit), key="t/op")])[0]]
    if transient:  # the read deck itself: its last point is the settled read
        refs.append(ng.run([make_job(circuit, key="t/tran")])[0])
    i_f = settled_values(fast, outputs)
    for ref in refs:
        i_s = settled_values(ref, outputs)
        err = np.abs(i_f - i_s)
        assert np.max(err) <= 0.02 * lsb_A
        assert np.all(err <= 1e-3 * np.maximum(np.abs(i_s), lsb_A))


@pytest.mark.ngspice
@pytest.mark.parametrize("corner", ["tt", "ff", "ss"])
def test_4t2r_16x16_read_agrees_with_ngspice_op(corner: str, private_cache: Path) -> None:
    from spinspice.array_builder.array_4t2r import Array4T2RDesign, array_circuit, random_weights
    from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign

    syn = Synapse4T2RDesign(technology=MosfetTechnology.default(corner))
    design = Array4T2RDesign(synapse=syn, rows=16, cols=16)
    x = np.random.default_rng(5).integers(-1, 2, 16)
    circuit = array_circuit(design, random_weights(16, 16, 5), "ff", x)
    # LSB: half the ideal (G_on − G_off)·V_rd, below the real one-synapse current
    lsb = 0.5 * (1 / syn.r_on_ohm - 1 / syn.r_off_ohm) * 0.1
    _agreement(circuit, [f"i(vout_{m})" for m in range(1, 17)], lsb, transient=corner == "tt")


@pytest.mark.ngspice
@pytest.mark.parametrize(("corner", "operation"), [("tt", "ff"), ("ff", "bp"), ("ss", "ff")])
def test_2t1r_16x16_read_agrees_with_ngspice_op(
    corner: str, operation: str, private_cache: Path
) -> None:
    from spinspice.array_builder.array_2t1r import (
        Array2T1RDesign,
        array_circuit,
        random_binary_weights,
    )
    from spinspice.array_builder.synapse_2t1r import Synapse2T1RDesign

    syn = Synapse2T1RDesign(technology=MosfetTechnology.default(corner))
    design = Array2T1RDesign(synapse=syn, rows=16, cols=16)
    v = np.random.default_rng(6).integers(-1, 2, 16)
    circuit = array_circuit(design, random_binary_weights(16, 16, 6), operation, v)  # type: ignore[arg-type]
    lsb = 0.5 * syn.ideal_unit_A(0.1)
    outs = (
        [f"i(vout_{m})" for m in range(1, design.total_rows + 1)]
        if operation == "ff"
        else [f"i(vu_{n})" for n in range(1, design.total_cols + 1)]
    )
    _agreement(circuit, outs, lsb)


def _with_driver_resistance(circuit: Circuit, r_ohm: float) -> Circuit:
    """Every grounded source moved behind a series resistor ``r_ohm`` (same source names)."""
    from dataclasses import replace

    elements: list[object] = []
    for e in circuit.elements:
        if isinstance(e, VoltageSource) and e.n_minus == GROUND:
            inner = f"{e.n_plus}_drv"
            elements += [
                replace(e, n_plus=inner),
                Resistor(f"R{e.name}_drv", inner, e.n_plus, r_ohm),
            ]
        else:
            elements.append(e)
    return replace(circuit, elements=tuple(elements))  # type: ignore[arg-type]


@pytest.mark.ngspice
def test_near_ideal_drivers_keep_full_accuracy(private_cache: Path) -> None:
    """1 µΩ drivers (the case that costs nodal.py's PCG 5e-7): no loss here."""
    from spinspice.array_builder.array_4t2r import Array4T2RDesign, array_circuit, random_weights
    from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign

    syn = Synapse4T2RDesign(technology=MosfetTechnology.default("tt"))
    design = Array4T2RDesign(synapse=syn, rows=16, cols=16)
    x = np.random.default_rng(8).integers(-1, 2, 16)
    ideal = array_circuit(design, random_weights(16, 16, 8), "ff", x)
    stiff = _with_driver_resistance(ideal, 1e-6)
    outs = [f"i(vout_{m})" for m in range(1, 17)]
    eng = FastEngine(characteriser=NgspiceSubprocess())
    a = eng.run([make_job(ideal, key="t/ideal")])[0].plot("op")
    b = eng.run([make_job(stiff, key="t/stiff")])[0].plot("op")
    i_a = np.array([a[k][0] for k in outs])
    i_b = np.array([b[k][0] for k in outs])
    # physically the 1 µΩ drivers shift the outputs by ~1e-8 relative (a column's
    # ~0.6 mA through 1 µΩ against 0.1 V); nodal.py's PCG lost 5e-7 here
    assert np.max(np.abs(i_b - i_a)) <= 1e-7 * np.max(np.abs(i_a))
    lsb = 0.5 * (1 / syn.r_on_ohm - 1 / syn.r_off_ohm) * 0.1
    _agreement(stiff, outs, lsb)


@pytest.mark.ngspice
def test_open_pdk_osdi_mosfets_agree_with_ngspice(private_cache: Path) -> None:
    """Subcircuit-wrapped OSDI (Verilog-A) MOSFETs of an open-PDK-style library."""
    from spinspice.array_builder.array_4t2r import Array4T2RDesign, array_circuit, random_weights
    from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign
    from spinspice.netlists.technology import load_technology

    config = Path(__file__).parents[1] / "netlists" / "open_pdk" / "technology.toml"
    tech = load_technology(config)
    assert tech.element == "X" and tech.osdi
    syn = Synapse4T2RDesign(technology=tech)
    design = Array4T2RDesign(synapse=syn, rows=8, cols=8)
    x = np.random.default_rng(3).integers(-1, 2, 8)
    circuit = array_circuit(design, random_weights(8, 8, 3), "ff", x)
    lsb = 0.5 * (1 / syn.r_on_ohm - 1 / syn.r_off_ohm) * 0.1
    _agreement(circuit, [f"i(vout_{m})" for m in range(1, 9)], lsb)
