"""4T2R array feedforward/backprop simulated in ngspice (seed 001 eq. 30-32)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from spinspice.analysis.array_ops import run_array_op
from spinspice.array_builder.array_4t2r import (
    Array4T2RDesign,
    array_circuit,
    load_weights,
    parse_weights,
    random_weights,
)
from spinspice.array_builder.parasitics import WireModel
from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign
from spinspice.errors import ParameterError
from spinspice.netlists.circuit import CellArray
from spinspice.netlists.job import make_job
from spinspice.netlists.technology import MosfetTechnology


def design(n: int, m: int | None = None, wire: WireModel | None = None) -> Array4T2RDesign:
    syn = Synapse4T2RDesign(technology=MosfetTechnology.default())
    return Array4T2RDesign(synapse=syn, rows=m or n, cols=n, wire=wire or WireModel())


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 5), (7, 2)])
def test_builder_emits_every_cell_and_segment(m: int, n: int) -> None:
    d = design(n, m)
    c = array_circuit(d, random_weights(m, n, 0), "ff", np.ones(n, dtype=int))
    arr = next(e for e in c.elements if isinstance(e, CellArray))
    body = make_job(c, key="test").deck.body
    cells = [ln for ln in body.splitlines() if ln.startswith("XA_")]
    segs = [ln for ln in body.splitlines() if ln.startswith("RA_")]
    assert len(cells) == m * n
    assert len(segs) == arr.n_segments == m * n * 9  # 4 column + 5 row lines per cell
    assert f"XA_{m}_1 A_u1_{m}_1 " in body  # the worst-case cell [M, 1] exists


def test_weight_parsing_and_files(tmp_path: object) -> None:
    from pathlib import Path

    w = parse_weights([["-1", "0s"], ["0w", "+1"]])
    assert w.tolist() == [["-1", "0s"], ["0w", "+1"]]
    with pytest.raises(ParameterError, match="unknown ternary weight"):
        parse_weights([["-1", "2"]])
    with pytest.raises(ParameterError, match="rectangular"):
        parse_weights([["-1", "0s"], ["0w"]])
    p = Path(str(tmp_path)) / "w.csv"
    p.write_text("-1,0s\n0w,+1\n")
    assert load_weights(p).tolist() == w.tolist()
    with pytest.raises(ParameterError):
        array_circuit(design(2), w, "ff", np.array([1, 2]))
    with pytest.raises(ParameterError):
        array_circuit(design(2), w, "ff", np.array([1, 1, 1]))


@pytest.mark.ngspice
def test_feedforward_matches_eq31_with_ideal_wires(engine: Any) -> None:
    n = 8
    d = design(n, wire=WireModel(r_per_m_ohm=1e3, c_per_m_F=1e-15))
    w = random_weights(n, n, 1)
    x = np.random.default_rng(2).choice([-1, 0, 1], n)
    r = run_array_op(d, w, "ff", x, engine=engine)
    # With negligible wire resistance the rows decode to the integer GXNOR count of eq. 31
    # within a few % of one synapse current (the cell's +1/-1 asymmetry is ~2 %).
    assert np.max(np.abs(r.error_lsb)) < 0.1
    assert np.array_equal(np.rint(r.final_A / r.unit_A), r.ideal_count)
    assert r.energy_J > 0 and np.all(r.latency_s < r.pulse.t_rd_s)


@pytest.mark.ngspice
def test_backprop_matches_transpose_product(engine: Any) -> None:
    n = 6
    d = design(n, wire=WireModel(r_per_m_ohm=1e3, c_per_m_F=1e-15))
    w = random_weights(n, n, 4)
    y = np.random.default_rng(5).choice([-1, 0, 1], n)
    r = run_array_op(d, w, "bp", y, engine=engine)
    assert np.array_equal(np.rint(r.final_A / r.unit_A), r.ideal_count)


@pytest.mark.ngspice
def test_wire_resistance_degrades_the_far_rows(engine: Any) -> None:
    """IR drop on the column input lines grows with the array; the check can fail."""
    n = 12
    w = np.full((n, n), "+1")
    x = np.ones(n, dtype=int)
    ideal = run_array_op(design(n, wire=WireModel(r_per_m_ohm=1e3, c_per_m_F=1e-15)), w, "ff", x, engine=engine)
    lossy = run_array_op(design(n, wire=WireModel(r_per_m_ohm=1.1e7)), w, "ff", x, engine=engine)
    assert np.max(np.abs(ideal.error_lsb)) < 0.3
    assert np.max(np.abs(lossy.error_lsb)) > 0.5  # no longer decodes
    assert lossy.final_A[-1] < lossy.final_A[0]  # row M (farthest) loses most
