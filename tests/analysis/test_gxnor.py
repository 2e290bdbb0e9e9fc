"""The 4T2R GXNOR truth table, simulated in ngspice (seed 001 §4.5.1, §5.2.3)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from spinspice.analysis.gxnor import GXNOR_COLUMNS, run_gxnor
from spinspice.array_builder.synapse_4t2r import (
    Synapse4T2RDesign,
    TernaryWeight,
    all_gxnor_cases,
    gxnor,
    parse_weight,
)
from spinspice.errors import ParameterError
from spinspice.netlists.technology import MosfetTechnology


def test_weight_encoding_is_table_1() -> None:
    assert TernaryWeight.POS.mtj_states == ("P", "AP")
    assert TernaryWeight.NEG.mtj_states == ("AP", "P")
    assert TernaryWeight.ZERO_S.mtj_states == ("AP", "AP")
    assert TernaryWeight.ZERO_W.mtj_states == ("P", "P")
    assert [parse_weight(s) for s in ("-1", "0s", "0W", "+1", "1")] == [
        TernaryWeight.NEG,
        TernaryWeight.ZERO_S,
        TernaryWeight.ZERO_W,
        TernaryWeight.POS,
        TernaryWeight.POS,
    ]
    with pytest.raises(ParameterError, match="0s, 0w"):
        parse_weight("0")


def test_gxnor_truth_table() -> None:
    assert len(all_gxnor_cases()) == 12
    assert gxnor(1, TernaryWeight.POS) == 1
    assert gxnor(-1, TernaryWeight.POS) == -1
    assert gxnor(-1, TernaryWeight.NEG) == 1
    assert gxnor(0, TernaryWeight.NEG) == 0
    assert gxnor(1, TernaryWeight.ZERO_S) == 0


def test_design_validation() -> None:
    tech = MosfetTechnology.default()
    with pytest.raises(ParameterError, match="must exceed"):
        Synapse4T2RDesign(technology=tech, r_on_ohm=2500, r_off_ohm=1500)
    with pytest.raises(ParameterError):
        Synapse4T2RDesign(technology=tech, r_on_ohm=-1.0)


@pytest.mark.ngspice
def test_gxnor_all_cases_simulated(engine: Any) -> None:
    design = Synapse4T2RDesign(technology=MosfetTechnology.default())
    result = run_gxnor(design, engine=engine)
    df = result.table()
    assert list(df.columns[:2]) == ["input", "weight"]
    assert set(GXNOR_COLUMNS) <= set(df.columns)
    assert len(df) == 12
    nonzero = df[df["expected"] != 0]
    zero = df[df["expected"] == 0]
    # sign(i_out) = GXNOR(input, weight) for every nonzero case
    assert (np.sign(nonzero["i_out_A"]) == nonzero["expected"]).all()
    # every zero case at least 10x below the smallest nonzero case (seed 001 §5.2.3)
    assert zero["i_out_A"].abs().max() * 10 <= nonzero["i_out_A"].abs().min()
    assert df["sign_ok"].all() and result.passed
    # The transistors add series resistance, so |i_out| is below the ideal (G1-G2)u of
    # eq. 29 but of the same order (access devices are a few hundred ohms at most).
    ratio = nonzero["i_out_A"] / nonzero["i_ideal_A"]
    assert ((ratio > 0.5) & (ratio < 1.0)).all()


@pytest.mark.ngspice
def test_gxnor_fails_when_zero_states_cannot_cancel(engine: Any) -> None:
    """The check can fail: a heavily mismatched PMOS breaks the 0_s/0_w cancellation."""
    tech = MosfetTechnology.default().with_overrides(wp_m=30e-9)
    result = run_gxnor(Synapse4T2RDesign(technology=tech), zero_ratio=1e6, engine=engine)
    assert not result.passed
    assert not result.table()["sign_ok"].all()


@pytest.mark.ngspice
def test_gxnor_scales_with_read_voltage(engine: Any) -> None:
    design = Synapse4T2RDesign(technology=MosfetTechnology.default())
    low = run_gxnor(design, v_rd_V=0.05, engine=engine).i_out_A
    high = run_gxnor(design, v_rd_V=0.1, engine=engine).i_out_A
    nz = np.abs(high) > 1e-6
    # Linear-region access devices: doubling V_rd roughly doubles the current.
    assert np.allclose(high[nz] / low[nz], 2.0, rtol=0.1)
