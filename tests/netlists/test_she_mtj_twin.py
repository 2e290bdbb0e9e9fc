"""The behavioural (B-source) SHE-MTJ and its Verilog-A twin agree in ngspice, and both
follow the numpy device law."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinspice.analysis.runner import NgspiceSubprocess, run_one
from spinspice.netlists import she_mtj_model as sm
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    DcSweep,
    Pwl,
    Save,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import make_job
from spinspice.netlists.osdi import compile_va
from spinspice.spintronic_cells.she_mtj import conductance_S, get_she_preset, m_equilibrium

P = get_she_preset("seed003")


def _circuit(analysis: DcSweep | Transient, drive: Dc | Pwl, rp_factor: float) -> Circuit:
    # One HM input node driven by Va feeds both devices (each HM is its own path to ground);
    # each MTJ top is held at 0.3 V by its own source, so i(vtb) and i(vto) are the two
    # MTJ read currents.
    kw = {"p": P, "rp_factor": rp_factor, "isat_factor": 1.1}
    return Circuit(
        "she mtj twins",
        (
            VoltageSource("Va", "a", GROUND, drive),
            VoltageSource("Vtb", "tb", GROUND, Dc(0.3)),
            VoltageSource("Vto", "to", GROUND, Dc(0.3)),
            sm.instance("behavioural", "b1", "a", GROUND, "tb", **kw),
            sm.instance("osdi", "o1", "a", GROUND, "to", **kw),
        ),
        (analysis,),
        template_subcircuits=(sm.behavioural_subcircuit(P),),
        models=(sm.osdi_model_card(P),),
        saves=(
            Save("i", ("vtb",)),
            Save("i", ("vto",)),
            Save("v", ("xb1", "m")),
        ),
    )


@pytest.fixture(scope="module")
def osdi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_va(sm.verilog_a_source(), tmp_path_factory.mktemp("osdi"))


@pytest.mark.ngspice
def test_dc_transfer_agrees_and_follows_the_device_law(osdi: Path) -> None:
    c = _circuit(DcSweep("Va", -0.08, 0.08, 0.002), Dc(0.0), rp_factor=0.9)
    res = run_one(NgspiceSubprocess(), make_job(c, key="she_mtj/dc/twin", osdi=(osdi,)))
    dc = res.plot("dc")
    i_b, i_o = -dc["i(vtb)"], -dc["i(vto)"]
    np.testing.assert_allclose(i_o, i_b, rtol=1e-6, atol=1e-12)
    m = dc["v(xb1.m)"]
    va = dc["v(v-sweep)"]
    # KCL at the HM node h under the MTJ: (V(a) - V(h))/ra + I_read = V(h)/rb
    ra, rb = P.r_hm_ohm * (1 - P.hm_split), P.r_hm_ohm * P.hm_split
    v_h = (va / ra + i_b) / (1 / ra + 1 / rb)
    i_hm = (va - v_h) / ra
    np.testing.assert_allclose(
        m, m_equilibrium(P, i_hm, i_sat_A=1.1 * P.i_sat_A), atol=2e-3
    )  # SPICE reltol 1e-3
    g = conductance_S(P, m, 0.3 - v_h, r_p_ohm=0.9 * P.r_p_ohm)
    np.testing.assert_allclose(i_b, g * (0.3 - v_h), rtol=2e-3)
    # linear in the middle, saturated at the ends: conductance spans P..AP
    assert m.min() < -0.99 and m.max() > 0.99


@pytest.mark.ngspice
def test_transient_step_agrees_and_lags_by_tau(osdi: Path) -> None:
    step = Pwl(((0.0, -0.02), (0.1e-9, -0.02), (0.11e-9, 0.03), (1e-9, 0.03)))
    c = _circuit(Transient(2e-12, 1e-9, max_step_s=2e-12), step, rp_factor=1.0)
    res = run_one(NgspiceSubprocess(), make_job(c, key="she_mtj/tran/twin", osdi=(osdi,)))
    tr = res.plot("tran")
    t = tr["time"]
    i_b, i_o = -tr["i(vtb)"], -tr["i(vto)"]
    np.testing.assert_allclose(i_o, i_b, rtol=2e-4, atol=1e-9)
    m = tr["v(xb1.m)"]
    m0, m1 = m[0], m[-1]
    assert m0 < 0 < m1
    # first-order lag: 63 % of the step one tau after the input step
    k = np.searchsorted(t, 0.11e-9 + P.tau_m_s)
    frac = (m[k] - m0) / (m1 - m0)
    assert 0.55 < frac < 0.72, frac
