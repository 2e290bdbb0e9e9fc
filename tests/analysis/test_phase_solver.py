"""The interval solver of ``sneak`` gives the voltages of the sparse-LU Newton path (to
1e-9 V, the issue's promise) for both crossbars, both schemes, linear and bias-dependent
MTJs, and near-ideal drivers."""

from __future__ import annotations

import numpy as np
import pytest

from spinspice.analysis import nodal
from spinspice.analysis.phase_solver import PhaseSolver
from spinspice.analysis.sneak import analyse
from spinspice.array_builder.crossbar import CrossbarDesign, random_inputs, write_schedule
from spinspice.errors import ParameterError

CASES = [
    ("1r", "2phase", True),
    ("1r", "4phase", True),
    ("1t1r", "2phase", True),
    ("1r", "2phase", False),
    ("1t1r", "2phase", False),
]


@pytest.mark.parametrize(("arch", "scheme", "bias"), CASES)
def test_intervals_match_a_factorisation_per_solve(
    arch: str, scheme: str, bias: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    design = CrossbarDesign(architecture=arch, rows=23, cols=19)  # type: ignore[arg-type]
    x, delta, states = random_inputs(23, 19, 5)
    fast = analyse(design, x, delta, states, scheme, bias=bias, keep_intervals=True)  # type: ignore[arg-type]
    monkeypatch.setattr(nodal, "REF_PCG_MAX", 0)  # every Newton solve factorises
    ref = analyse(
        design,
        x,
        delta,
        states,
        scheme,
        bias=bias,
        keep_intervals=True,
        method="lu",  # type: ignore[arg-type]
    )
    worst = max(
        float(np.max(np.abs(a.v_intervals_V - b.v_intervals_V)))
        for a, b in zip(fast.phases, ref.phases, strict=True)
    )
    assert worst < 1e-9
    cols = ["v_cell_V", "i_cell_A", "p_switch", "p_false_switch"]
    np.testing.assert_allclose(fast.table[cols], ref.table[cols], rtol=1e-6, atol=1e-12)
    assert (fast.table[["phase", "row", "col", "selected", "state"]]).equals(
        ref.table[["phase", "row", "col", "selected", "state"]]
    )


def test_near_ideal_drivers_keep_the_error_bound() -> None:
    """1 µΩ drivers make the system stiff (docs/engineering_facts.md §7): the error
    estimate still holds the voltages to the LU path's."""
    design = CrossbarDesign(architecture="1r", rows=24, cols=24, r_driver_ohm=1e-6)
    x, delta, states = random_inputs(24, 24, 3)
    fast = analyse(design, x, delta, states, "2phase", keep_intervals=True)
    ref = analyse(design, x, delta, states, "2phase", keep_intervals=True, method="lu")
    for a, b in zip(fast.phases, ref.phases, strict=True):
        assert np.max(np.abs(a.v_intervals_V - b.v_intervals_V)) < 1e-9


def test_later_intervals_need_few_iterations() -> None:
    """Started from the previous interval, a bias-dependent interval takes a few Newton
    steps of a few CG iterations each (the speed of the path rests on it)."""
    design = CrossbarDesign(architecture="1r", rows=48, cols=48)
    x, delta, states = random_inputs(48, 48, 1)
    phase = write_schedule(design, x, delta, "2phase")[0]
    solver = PhaseSolver(design, phase, states)
    sols = [solver.solve(a) for a, _ in phase.intervals()]
    later = sols[1:]
    assert len(later) > 10
    assert np.mean([s.newton for s in later]) <= 4
    assert np.mean([s.cg for s in later]) <= 10


def test_bad_arguments() -> None:
    design = CrossbarDesign(architecture="1r", rows=4, cols=4)
    x, delta, states = random_inputs(4, 4, 0)
    phase = write_schedule(design, x, delta, "2phase")[0]
    with pytest.raises(ParameterError, match="tol_V"):
        PhaseSolver(design, phase, states, tol_V=0.0)
    with pytest.raises(ParameterError, match="method"):
        analyse(design, x, delta, states, "2phase", method="magic")
