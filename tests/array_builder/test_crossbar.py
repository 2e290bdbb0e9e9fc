"""Seed 002 crossbar descriptions: calibration, schedules (eq. 10-11, Table 4), topology."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinspice.array_builder.crossbar import (
    K_ACC,
    K_MTJ,
    CrossbarDesign,
    build_network,
    load_states,
    load_vector,
    random_inputs,
    read_phase,
    seed002_fit,
    write_schedule,
    write_voltage_V,
)
from spinspice.array_builder.crossbar_spice import network_circuit, update_transient_circuit
from spinspice.errors import ParameterError
from spinspice.netlists.job import make_job
from spinspice.spintronic_cells.fit import DirectionFit


def test_seed002_fit_reproduces_the_quoted_voltages_and_table3_probabilities() -> None:
    fit = seed002_fit()
    d = CrossbarDesign(architecture="1r", rows=2, cols=2)
    vp = write_voltage_V(fit, d.coefficients, np.array([0.0, 1.0]), "P->AP")
    vap = write_voltage_V(fit, d.coefficients, np.array([0.0, 1.0]), "AP->P")
    # seed 002 §4.3: V_P in [0.68, 0.98] V, V_AP in [-0.81, -0.62] V (R_P is the mean of
    # the two ends, which the seed's rounding puts 1 % apart)
    assert vp == pytest.approx([0.68, 0.98], abs=0.005)
    assert vap == pytest.approx([-0.62, -0.81], abs=1e-9)

    def p(dfit: DirectionFit, i: float, t: float) -> float:
        from scipy.special import erfc

        q = max(i - dfit.ic_A, 0.0) * t / dfit.c_As
        return float(erfc((np.pi / 2) * np.exp(-q) / (np.sqrt(2) * dfit.theta0_rad)))

    for dfit, i0, i1 in ((fit.ap_to_p, 60e-6, 30e-6), (fit.p_to_ap, 140e-6, 60e-6)):
        assert p(dfit, i0 + i1, 1.5e-9) == pytest.approx(0.05, rel=1e-9)  # eq. 8
        assert p(dfit, i0, 2.5e-9) == pytest.approx(0.05, rel=1e-9)  # eq. 9
        assert p(dfit, i0 + i1, 2.5e-9) == pytest.approx(0.7, rel=1e-9)  # eta (Fig. 3)
        assert p(dfit, i0 * 0.5, 2.5e-9) < 1e-20


def test_two_phase_schedule_follows_eq10_11() -> None:
    d = CrossbarDesign(architecture="1t1r", rows=3, cols=4)
    x = np.array([0.5, -1.0, 0.0])
    delta = np.array([1.0, -0.5, 0.0, -1.0])
    w1, w2 = write_schedule(d, x, delta, "2phase")
    assert w1.col_on.tolist() == [True, False, True, False]
    assert w2.col_on.tolist() == [False, True, False, True]
    assert w1.col_width_s[0] == pytest.approx(2.5e-9) and w1.col_width_s[2] == pytest.approx(1.5e-9)
    assert w2.col_width_s[1] == pytest.approx(2.0e-9)
    assert w1.row_V[0] > 0 and w1.row_V[1] < 0 and w1.row_V[2] > 0  # V_P u(x) + V_AP u(-x)
    assert w2.row_V[0] < 0 and w2.row_V[1] > 0
    assert w1.selected[:, 0].all() and not w1.selected[:, 1].any()
    assert [iv for iv in w1.intervals()] == [(0.0, 1.5e-9), (1.5e-9, 2.5e-9)]


def test_four_phase_schedule_follows_table4_and_needs_1r() -> None:
    d = CrossbarDesign(architecture="1r", rows=2, cols=2)
    x, delta = np.array([1.0, -1.0]), np.array([1.0, -1.0])
    phases = write_schedule(d, x, delta, "4phase")
    sel = [np.argwhere(p.selected).tolist() for p in phases]
    assert sel == [[[0, 0]], [[1, 0]], [[0, 1]], [[1, 1]]]
    assert phases[0].row_V[0] > 0 and phases[1].row_V[1] < 0  # V_P, V_AP
    assert phases[2].row_V[0] < 0 and phases[3].row_V[1] > 0  # V_AP, V_P
    assert phases[0].row_on.tolist() == [True, False] and phases[0].row_V[1] == 0
    with pytest.raises(ParameterError, match="1R"):
        write_schedule(CrossbarDesign(architecture="1t1r", rows=2, cols=2), x, delta, "4phase")


@pytest.mark.parametrize(("arch", "m", "n"), [("1r", 1, 1), ("1r", 3, 5), ("1t1r", 4, 2)])
def test_network_has_every_element_and_renders(arch: str, m: int, n: int) -> None:
    d = CrossbarDesign(architecture=arch, rows=m, cols=n)  # type: ignore[arg-type]
    x, delta, st = random_inputs(m, n, 0)
    net = build_network(d, read_phase(d, x), st)
    per_cell = 4 if arch == "1t1r" else 3  # wire row, wire column, MTJ (+ access)
    periphery = (2 if arch == "1r" else 1) * m + n
    assert net.res_a.size == per_cell * m * n + periphery
    assert (net.res_kind == K_MTJ).sum() == m * n
    assert (net.res_kind == K_ACC).sum() == (m * n if arch == "1t1r" else 0)
    body = make_job(network_circuit(net), key="test").deck.body
    assert sum(ln.startswith("Rmtj") for ln in body.splitlines()) == m * n
    assert f"Rmtj{m}_{n} r{m}_{n} " in body  # the far cell exists
    body_b = make_job(network_circuit(net, mtj="behavioural"), key="test").deck.body
    assert "Xmtj1_1 " in body_b and ".subckt mtj_stt" in body_b
    phases = write_schedule(d, x, delta, "2phase")
    plan = update_transient_circuit(d, phases, st, replicas=2, seed=3)
    assert make_job(plan.circuit, key="test").deck.body.count("\nXk1_") == m * n
    assert len(plan.draws.l_ap2p) == 2 * m * n


def test_inputs_are_validated(tmp_path: Path) -> None:
    d = CrossbarDesign(architecture="1r", rows=2, cols=3)
    with pytest.raises(ParameterError, match="within"):
        read_phase(d, [0.5, 1.5])
    with pytest.raises(ParameterError, match="2 entries"):
        read_phase(d, [0.5])
    with pytest.raises(ParameterError, match="architecture"):
        CrossbarDesign(architecture="2t2r", rows=2, cols=2)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="rows"):
        CrossbarDesign(architecture="1r", rows=0, cols=2)
    with pytest.raises(ParameterError, match="r_driver_ohm"):
        CrossbarDesign(architecture="1r", rows=2, cols=2, r_driver_ohm=float("nan"))
    with pytest.raises(ParameterError, match="booleans"):
        build_network(d, read_phase(d, [0, 0]), np.zeros((2, 3)))  # type: ignore[arg-type]
    f = tmp_path / "x.txt"
    f.write_text("0.5, -0.25\n")
    assert load_vector(f, 2, "x").tolist() == [0.5, -0.25]
    f.write_text("0.5 nan\n")
    with pytest.raises(ParameterError):
        load_vector(f, 2, "x")
    s = tmp_path / "s.txt"
    s.write_text("P AP 1\n0 p ap\n")
    assert load_states(s, (2, 3)).tolist() == [[False, True, True], [False, False, True]]
    s.write_text("P X 1\n0 p ap\n")
    with pytest.raises(ParameterError, match="unknown label"):
        load_states(s, (2, 3))
