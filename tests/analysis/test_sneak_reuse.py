"""Sneak analysis reusing one factorisation per phase gives today's voltages (to 1e-9 V)."""

from __future__ import annotations

import numpy as np
import pytest

from spinspice.analysis import nodal
from spinspice.analysis.nodal import FactorCache, solve_bias
from spinspice.analysis.sneak import analyse
from spinspice.array_builder.crossbar import (
    CrossbarDesign,
    build_network,
    random_inputs,
    write_schedule,
)


@pytest.mark.parametrize("arch", ["1r", "1t1r"])
def test_reused_factorisations_match_a_factorisation_per_solve(
    arch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    design = CrossbarDesign(architecture=arch, rows=20, cols=17)  # type: ignore[arg-type]
    x, delta, states = random_inputs(20, 17, 4)
    fast = analyse(design, x, delta, states, "2phase", keep_intervals=True)
    monkeypatch.setattr(nodal, "REF_PCG_MAX", 0)  # every solve factorises (the old path)
    ref = analyse(design, x, delta, states, "2phase", keep_intervals=True)
    for a, b in zip(fast.phases, ref.phases, strict=True):
        assert np.max(np.abs(a.v_intervals_V - b.v_intervals_V)) < 1e-9
    cols = ["v_cell_V", "i_cell_A", "p_switch", "p_false_switch"]
    np.testing.assert_allclose(fast.table[cols], ref.table[cols], rtol=1e-6, atol=1e-12)


def test_factor_cache_replaces_factorisations_by_preconditioned_cg() -> None:
    design = CrossbarDesign(architecture="1r", rows=24, cols=24)
    x, delta, states = random_inputs(24, 24, 2)
    phase = write_schedule(design, x, delta, "2phase")[0]
    cache = FactorCache()
    prev = None
    for a, _b in phase.intervals():
        net = build_network(design, phase, states, at_s=a)
        sol = solve_bias(net, start_V=prev, factor_cache=cache)
        prev = sol.v_node_V[:, 0]
        # the same interval solved from scratch, every iteration factorised
        alone = solve_bias(net)
        assert np.max(np.abs(sol.v_node_V - alone.v_node_V)) < 1e-9
    assert cache.pcg_solves > 3 * cache.factorizations
