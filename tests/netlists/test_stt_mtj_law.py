"""The STT-MTJ resistance law is one law: Python, the B-source template and the Verilog-A
twin agree on a voltage grid (DC sweep, state pinned), both states, for two device fits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spinspice.array_builder.crossbar import seed002_fit
from spinspice.netlists import mtj_model
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    Options,
    Pwl,
    Save,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import make_job
from spinspice.spintronic_cells.fit import BehaviouralFit, shipped_fit
from spinspice.spintronic_cells.mtj import stt_resistance_ohm
from spinspice.spintronic_cells.presets import get_preset


def test_python_forms_are_the_one_law() -> None:
    fit = shipped_fit()
    v = np.linspace(-1.2, 1.2, 49)
    p = get_preset("seed001-device-c")
    for s, state in ((0.0, "P"), (1.0, "AP")):
        law = stt_resistance_ohm(fit.r_on_ohm, fit.tmr0, fit.v_half_V, s, v)
        np.testing.assert_array_equal(fit.resistance_ohm(s, v), law)
        np.testing.assert_array_equal([p.resistance(state, x) for x in v], law)  # type: ignore[arg-type]
    # TMR falls with |V| and is even in V
    r_ap = fit.resistance_ohm(1.0, v)
    assert np.all(np.diff(r_ap[v >= 0]) <= 0) and np.allclose(r_ap, r_ap[::-1])
    # dR/dV is the derivative of the law
    h = 1e-6
    num = (fit.resistance_ohm(1.0, v + h) - fit.resistance_ohm(1.0, v - h)) / (2 * h)
    np.testing.assert_allclose(fit.resistance_dv(1.0, v), num, rtol=1e-6, atol=1e-6)


@pytest.mark.ngspice
@pytest.mark.parametrize("fit", [shipped_fit(), seed002_fit()], ids=["seed001", "seed002"])
@pytest.mark.parametrize("state", ["P", "AP"])
def test_bsource_and_verilog_a_follow_the_python_law(
    fit: BehaviouralFit, state: str, engine: Any, tmp_path: Path
) -> None:
    # Two MTJs, one of each kind, on the same source ramped -1 V -> +1 V in 1 ns; their
    # currents through 0 V sources. Thresholds of 50 keep both latched in their state.
    # (Not a .dc sweep: ngspice sets `time` to the swept value there, which would wake the
    # switching integrators of the B-source model for V > 0.)
    thresholds = {"l_ap2p": 50.0, "l_p2ap": 50.0}
    circuit = Circuit(
        title="stt mtj law",
        elements=(
            VoltageSource("Va", "a", GROUND, Pwl(((0.0, -1.0), (1e-9, 1.0)))),
            VoltageSource("Vb", "a", "b", Dc(0.0)),
            mtj_model.instance("behavioural", "beh", "b", GROUND, state=state, **thresholds),  # type: ignore[arg-type]
            VoltageSource("Vo", "a", "o", Dc(0.0)),
            mtj_model.instance("osdi", "va", "o", GROUND, state=state, **thresholds),  # type: ignore[arg-type]
        ),
        template_subcircuits=(mtj_model.behavioural_subcircuit(fit),),
        models=(mtj_model.osdi_model_card(fit),),
        analyses=(Transient(1e-11, 1e-9, max_step_s=1e-11),),
        # tight Newton tolerances: with the default reltol (1e-3) the saved branch current
        # comes from a linearisation up to 1e-3 away from the converged law
        options=Options(numeric={"reltol": 1e-9, "abstol": 1e-15, "vntol": 1e-12}),
        saves=(Save("v", ("a",)), Save("i", ("vb",)), Save("i", ("vo",))),
    )
    job = make_job(circuit, key="test/stt-law", osdi=mtj_model.osdi_files("osdi"))
    (sim,) = engine.run([job])
    dc = sim.plot("tran")
    v = dc["v(a)"]
    s = 1.0 if state == "AP" else 0.0
    law = fit.resistance_ohm(s, v)
    nz = np.abs(v) > 1e-3
    assert nz.sum() > 50
    for name in ("i(vb)", "i(vo)"):
        r = v[nz] / dc[name][nz]
        np.testing.assert_allclose(r, law[nz], rtol=1e-6)
