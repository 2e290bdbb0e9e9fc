"""Stochastic in-situ update of 4T2R arrays in ngspice (seed 001 §4.3–4.4)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from spinspice.analysis.update_ops import repeat_cell_update, run_update
from spinspice.array_builder.array_4t2r import Array4T2RDesign
from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign
from spinspice.array_builder.update_4t2r import kappa_nu, update_circuit
from spinspice.errors import ParameterError
from spinspice.netlists.technology import MosfetTechnology
from spinspice.spintronic_cells.fit import shipped_fit

FIT = shipped_fit()
SYN = Synapse4T2RDesign(technology=MosfetTechnology.default())


def test_kappa_nu_split() -> None:
    k, nu = kappa_nu(np.array([1.5, -0.5, 0.0, 2.0, -1.25]))
    assert k.tolist() == [1, 0, 0, 2, 1]
    np.testing.assert_allclose(nu, [0.5, -0.5, 0.0, 0.0, -0.25])
    with pytest.raises(ParameterError, match="within"):
        kappa_nu(np.array([2.5]))


def test_bad_update_requests() -> None:
    d = Array4T2RDesign(synapse=SYN, rows=2, cols=2)
    w = np.array([["-1", "0w"], ["+1", "0s"]], dtype=object)
    with pytest.raises(ParameterError, match="general scheme"):
        update_circuit(d, w, FIT, scheme="general", errors=np.zeros(2), inputs=np.zeros(2))
    with pytest.raises(ParameterError, match="inputs must be"):
        update_circuit(d, w, FIT, scheme="sgd", errors=np.zeros(2), inputs=np.array([2, 0]))
    with pytest.raises(ParameterError, match="unknown ternary weight"):
        update_circuit(d, np.array([["-1", "x"], ["+1", "0s"]], dtype=object), FIT,
                       scheme="general", delta_w=np.zeros((2, 2)))


def _predicted(res, fit) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Switching predicted from each MTJ's own draw: progress (I − I_c)/C·width ≥ L."""
    plan = res.plan
    pred = np.zeros_like(res.switched)
    for j, draws in enumerate((plan.draws1, plan.draws2)):
        for d, thr in (("AP->P", draws.l_ap2p), ("P->AP", draws.l_p2ap)):
            f = fit.direction(d)
            can = (res.p_model[..., j] > 0) & (res.start_ap[..., j] == (d == "AP->P"))
            progress = (res.current_A[..., j] - f.ic_A) / f.c_As * plan.widths_s[..., j]
            pred[..., j] |= can & (thr.reshape(progress.shape) <= progress)
    return pred


@pytest.mark.ngspice
def test_general_scheme_switches_exactly_the_cells_the_model_predicts(engine: Any) -> None:
    # 2×4 array, every weight with updates of both signs; columns updated one by one.
    d = Array4T2RDesign(synapse=SYN, rows=2, cols=4)
    w = np.array([["-1", "0s", "0w", "+1"], ["+1", "0w", "0s", "-1"]], dtype=object)
    dw = np.array([[1.5, 0.7, -0.6, -1.9], [0.9, 0.0, 1.0, -2.0]])
    res = run_update(d, update_circuit(d, w, FIT, scheme="general", delta_w=dw, seed=11), FIT, engine=engine)
    # ΔW = 0 never touches a cell; a sign can only move the weight its way (§4.1).
    assert res.final_weights[1, 1] == "0w"
    order = {"-1": -1, "0s": 0, "0w": 0, "+1": 1}
    for m in range(2):
        for n in range(4):
            before, after = order[w[m, n]], order[res.final_weights[m, n]]
            assert (after - before) * np.sign(dw[m, n]) >= 0
    # −1 with ΔW = −2, +1 with ΔW > 0: current directions cannot switch anything.
    assert res.final_weights[1, 3] == "-1" and res.final_weights[1, 0] == "+1"
    assert np.array_equal(res.switched, _predicted(res, FIT))
    assert res.energy_J > 0


@pytest.mark.ngspice
def test_sgd_scheme_updates_all_cells_in_parallel(engine: Any) -> None:
    d = Array4T2RDesign(synapse=SYN, rows=2, cols=3)
    w = np.array([["-1", "-1", "-1"], ["+1", "+1", "+1"]], dtype=object)
    # y = (+2, −2): κ = 2 pulses for T_up; x = (+1, 0, −1): ΔW = y·x
    res = run_update(d, update_circuit(d, w, FIT, scheme="sgd", errors=np.array([2.0, -2.0]),
                                    inputs=np.array([1, 0, -1]), seed=4), FIT, engine=engine)
    assert res.plan.slot_of_column.tolist() == [0, 0, 0]
    assert res.final_weights[:, 1].tolist() == ["-1", "+1"]  # x = 0: untouched
    assert res.final_weights[1, 2] == "+1" and res.final_weights[0, 2] == "-1"  # ΔW pushes outward
    assert np.array_equal(res.switched, _predicted(res, FIT))
    assert res.switched[0, 0].any() and res.switched[1, 0].any()


@pytest.mark.ngspice
def test_section_4_4_examples_within_3_sigma(engine: Any) -> None:
    # Example 1: W = −1, ΔW = 1.5 (κ = 1, ν = 0.5): +1 with P_sw1(T_up)·P_sw2(0.5·T_up)
    # (eq. 27), 0 (0w or 0s) with 1 − P_sw2 (eq. 26). Example 2: W = 0w, ΔW = −0.5: −1 with
    # P_sw1(0.5·T_up). 200 independent simulated cells each.
    n = 200
    ex1 = repeat_cell_update(SYN, "-1", 1.5, FIT, n=n, seed=100, engine=engine)
    p1, p2 = ex1.p_switch_model
    for label, p in (("+1", p1 * p2), ("0w", p1 * (1 - p2)), ("0s", (1 - p1) * p2)):
        sigma = np.sqrt(p * (1 - p) / n)
        assert abs(ex1.fraction(label) - p) < 3 * sigma, (label, ex1.fraction(label), p)
    zero = ex1.fraction("0w") + ex1.fraction("0s")
    assert abs(zero - (1 - p2)) < 3 * np.sqrt(p2 * (1 - p2) / n)
    assert 0.1 < p2 < 0.9 and p1 > 0.7
    ex2 = repeat_cell_update(SYN, "0w", -0.5, FIT, n=n, seed=200, engine=engine)
    q = ex2.p_switch_model[0]
    assert ex2.p_switch_model[1] == 0.0  # MTJ2 is not driven
    assert abs(ex2.fraction("-1") - q) < 3 * np.sqrt(q * (1 - q) / n)
    assert ex2.fraction("0w") + ex2.fraction("-1") == 1.0
