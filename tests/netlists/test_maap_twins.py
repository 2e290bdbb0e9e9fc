"""The Verilog-A twins of the MAAP OTA and bias source agree with their B-source templates
in ngspice (operating point and transient), so VACASK runs the same equations."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    ModelCard,
    OsdiInstance,
    Pwl,
    Resistor,
    Save,
    SubcktInstance,
    TemplateSubcircuit,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import make_job
from spinspice.netlists.osdi import compile_va

OTA = {"gm": 4.5e-4, "imax": 4.5e-4, "iq": 1e-6, "ro": 1e7, "cin": 1e-15, "cout": 5e-16}


def _va(name: str) -> Path:
    return Path(str(resources.files("spinspice") / "verilog_a" / name))


def _bench(osdi: bool, tmp: Path) -> tuple[Circuit, tuple[Path, ...]]:
    drive = Pwl(((0.0, -0.3), (1e-9, -0.3), (2e-9, 0.3), (3e-9, 0.3)))
    common = (
        VoltageSource("Vdd", "vdd", GROUND, Dc(1.0)),
        VoltageSource("Vin", "inp", GROUND, drive),
        VoltageSource("Vout", "o", GROUND, Dc(0.0)),
        Resistor("Rl", "out", "o", 1e3),
        VoltageSource("Vb", "b", GROUND, Dc(0.5)),
        Resistor("Rb", "b", "bn", 1e4),
    )
    params = {"gm": 2e-4, "imax": 9e-3}
    if osdi:
        ota_lib = compile_va(_va("maap_ota.va"), tmp)
        isrc_lib = compile_va(_va("maap_isrc.va"), tmp)
        elements = (
            *common,
            OsdiInstance("Nota", ("vdd", "inp", GROUND, "out"), "ota",
                         {**OTA, **params}),
            OsdiInstance("Nsrc", ("bn", GROUND), "isrc", {"idc": 2e-5}),
        )
        models = (ModelCard("ota", "spinspice_maap_ota"), ModelCard("isrc", "spinspice_maap_isrc"))
        return Circuit(title="twins", elements=elements, models=models,
                       analyses=(Transient(1e-11, 3e-9, max_step_s=1e-11),),
                       saves=(Save("i", ("vout",)), Save("i", ("vdd",)),
                              Save("v", ("bn",)))), (ota_lib, isrc_lib)
    elements = (
        *common,
        SubcktInstance("Xota", ("vdd", "inp", GROUND, "out"), "maap_ota", params),
        SubcktInstance("Xsrc", ("bn", GROUND), "maap_isrc", {"idc": 2e-5}),
    )
    templates = (TemplateSubcircuit("maap_ota.j2", "maap_ota", OTA),
                 TemplateSubcircuit("maap_isrc.j2", "maap_isrc", {"idc": 0.0}))
    return Circuit(title="twins", elements=elements, template_subcircuits=templates,
                   analyses=(Transient(1e-11, 3e-9, max_step_s=1e-11),),
                   saves=(Save("i", ("vout",)), Save("i", ("vdd",)), Save("v", ("bn",)))), ()


@pytest.mark.ngspice
def test_maap_ota_and_isrc_twins_agree_with_their_templates(tmp_path: Path) -> None:
    eng = NgspiceSubprocess()
    runs = []
    for osdi in (False, True):
        c, libs = _bench(osdi, tmp_path)
        runs.append(eng.run_job(make_job(c, key=f"t/twin{int(osdi)}", osdi=libs)).plot("tran"))
    b, v = runs
    for name in ("i(vout)", "i(vdd)", "v(bn)"):
        ref = np.interp(v.scale, b.scale, b[name])
        assert np.max(np.abs(v[name] - ref)) < 1e-6 * np.max(np.abs(ref)) + 1e-12, name
    # the output saturates at the OTA's imax * tanh(gm V / imax) (into 1 kOhm at 0 V)
    i_end = float(b["i(vout)"][-1])  # into the + node of Vout, through Rl from out
    assert i_end == pytest.approx(9e-3 * np.tanh(2e-4 * 0.3 / 9e-3), rel=1e-3)
