"""2T1R arrays simulated in ngspice: feedforward/backprop against the reference, and the
stochastic update with the behavioural MTJ (seed 001 §4.2-4.5 applied to the 2T1R cell)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from spinspice.analysis.array_2t1r_ops import (
    cell_read_2t1r,
    run_2t1r_op,
    run_2t1r_read,
    run_2t1r_update,
)
from spinspice.array_builder.array_2t1r import Array2T1RDesign, random_binary_weights
from spinspice.array_builder.parasitics import WireModel
from spinspice.array_builder.synapse_2t1r import Synapse2T1RDesign
from spinspice.errors import ParameterError
from spinspice.netlists.technology import MosfetTechnology


def design(m: int, n: int) -> Array2T1RDesign:
    syn = Synapse2T1RDesign(technology=MosfetTechnology.default())
    return Array2T1RDesign(synapse=syn, rows=m, cols=n)


@pytest.mark.ngspice
@pytest.mark.parametrize("seed", [1, 7])
def test_feedforward_and_backprop_decode_to_the_integer_count(seed: int, engine: Any) -> None:
    m, n = 4, 5  # not square, so a transposition slip cannot pass
    d = design(m, n)
    w = random_binary_weights(m, n, seed)
    rng = np.random.default_rng(seed + 100)
    x = rng.choice([-1, 1], n)
    y = rng.choice([-1, 0, 1], m)
    ff = run_2t1r_op(d, w, "ff", x, engine=engine)
    bp = run_2t1r_op(d, w, "bp", y, engine=engine)
    assert np.array_equal(ff.ideal_count, w @ x) and np.array_equal(bp.ideal_count, w.T @ y)
    for r in (ff, bp):
        assert np.max(np.abs(r.error_lsb)) < 0.5
        assert np.array_equal(np.rint(r.final_A / r.unit_A), r.ideal_count)
        nz = r.ideal_count != 0
        assert np.array_equal(np.sign(r.final_A[nz]), np.sign(r.ideal_count[nz]))
        assert r.energy_J > 0 and np.all(r.latency_s < r.pulse.t_rd_s)


@pytest.mark.ngspice
def test_reference_current_is_the_mean_of_p_and_ap(engine: Any) -> None:
    m, n = 3, 6
    # row 1 all +1, row 2 all -1, row 3 balanced (sum 0)
    w = np.array([[1] * n, [-1] * n, [1, -1] * (n // 2)])
    x = np.ones(n, dtype=int)
    ideal_wires = Array2T1RDesign(
        synapse=design(m, n).synapse,
        rows=m,
        cols=n,
        wire=WireModel(r_per_m_ohm=1e3, c_per_m_F=1e-15),
    )
    cell = cell_read_2t1r(ideal_wires.synapse, 0.1, engine=engine)
    # the single cell: G_on' > G_ref' > G_off', unit < ideal (the PMOS adds resistance)
    assert cell.i_p_A[1] > cell.reference_A[1] > cell.i_ap_A[1] > 0
    assert 0.5 * ideal_wires.synapse.ideal_unit_A(0.1) < cell.unit_A
    assert cell.unit_A < ideal_wires.synapse.ideal_unit_A(0.1)
    for d, tol in ((ideal_wires, 0.002), (design(m, n), 0.05)):
        r = run_2t1r_read(d, w, "ff", x, engine=engine)
        # reference = (G_on + G_off)/2·Σx·V_rd (with the access transistors): exact with
        # ideal wires, a few % low with the default wires (IR drop towards the far rows)
        i_ref = float(r.reference_A[-1])
        assert i_ref == pytest.approx(r.expected_reference_A, rel=tol)
        assert r.expected_reference_A == pytest.approx(n * cell.reference_A[1])
        assert float(r.ref_p_A[-1]) > i_ref > float(r.ref_ap_A[-1])
        # decoded rows: +n, -n, 0; without the reference nothing decodes
        assert r.op.final_A / r.op.unit_A == pytest.approx([n, -n, 0], abs=0.3)
        raw_count = r.raw_A[:, -1] / r.op.unit_A
        assert np.all(np.abs(raw_count - r.op.ideal_count) > 5)


@pytest.mark.ngspice
def test_update_switches_exactly_the_cells_the_model_predicts(engine: Any) -> None:
    d = design(4, 4)
    rng = np.random.default_rng(11)
    w0 = random_binary_weights(4, 4, 11)
    long_s = 10e-9  # P_sw(10 ns) ~ 0.999 at the cell current
    # four cells each: towards the other state with a long / a short pulse, towards the
    # present state (must not move), no update
    kind = rng.permutation(np.repeat(np.arange(4), 4)).reshape(4, 4)
    sign = np.select([kind <= 1, kind == 2], [-w0, w0], 0)
    width = np.where(kind == 1, 1.2e-9, long_s)
    r = run_2t1r_update(d, w0, sign, width, seed=5, engine=engine)
    assert not r.wrong_direction.any()  # only cells pulsed towards the other state move
    assert np.array_equal(r.final_weights[r.switched], r.delta_sign[r.switched])
    assert np.array_equal(r.final_weights[~r.switched], w0[~r.switched])
    long_eligible = r.eligible & (r.width_s == long_s)
    assert long_eligible.sum() == 4 and r.switched[long_eligible].all()
    # stochastic outcome agrees with the model's own integral cell by cell
    assert np.all(r.progress[r.switched] >= 1.0)
    assert np.all(r.progress[~r.switched] < 1.0)
    assert np.all(r.progress[~r.eligible] < 1e-3)
    short = r.eligible & (r.width_s < long_s)
    assert short.sum() == 4
    assert np.all(r.switch_time_s[r.switched] < r.width_s[r.switched] + 3 * r.pulse.rise_s)
    assert r.energy_J > 0


@pytest.mark.ngspice
def test_zero_update_switches_nothing_even_with_the_column_biased(engine: Any) -> None:
    d = design(3, 3)
    w0 = np.array([[1, -1, 1], [-1, 1, -1], [1, 1, -1]])
    zero = np.zeros((3, 3), dtype=int)
    r = run_2t1r_update(d, w0, zero, 5e-9, seed=0, skip_idle_columns=False, engine=engine)
    assert r.columns == (1, 2, 3)  # every column was driven at V_up with all gates off
    assert not r.switched.any() and np.array_equal(r.final_weights, w0)
    assert np.max(r.progress) < 1e-3


def test_update_and_op_refuse_bad_input(engine: Any) -> None:
    d = design(2, 2)
    w = np.array([[1, -1], [1, 1]])
    with pytest.raises(ParameterError):
        run_2t1r_op(d, w, "ff", np.array([1, 1, 1]), engine=engine)
    with pytest.raises(ParameterError):
        run_2t1r_op(d, np.array([[1, 0], [1, 1]]), "ff", np.array([1, 1]), engine=engine)
    with pytest.raises(ParameterError):
        run_2t1r_update(d, w, np.array([[2, 0], [0, 0]]), 1e-9, seed=0, engine=engine)
    with pytest.raises(ParameterError):
        run_2t1r_read(d, w, "bp", np.array([1, 1]), settle_lsb=0.0, engine=engine)
