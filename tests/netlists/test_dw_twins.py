"""The Verilog-A twins of the DW bit-line readout and offset readout agree with their
B-source templates in ngspice, so VACASK runs the same equations (the DW synapse twin
has its own agreement test beside the device)."""

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
    OperatingPoint,
    OsdiInstance,
    Resistor,
    Save,
    SubcktInstance,
    TemplateSubcircuit,
    VoltageSource,
)
from spinspice.netlists.job import make_job
from spinspice.netlists.osdi import compile_va

RD = {"vmid": 0.5, "gain": 1e3, "rout": 1e2, "ri": 1e4, "k": 1.0}
OFF = {"vmid": 0.5, "gain": 1e3, "rout": 1e2, "ri": 1e4}


def _va(name: str) -> Path:
    return Path(str(resources.files("spinspice") / "verilog_a" / name))


def _circuit(osdi: bool, vioff: float) -> Circuit:
    common = (
        VoltageSource("Vdd", "vdd", GROUND, Dc(1.0)),
        Resistor("Rd1", "drn", "fb", 1e4), Resistor("Rf1", "fb", GROUND, 1.2e4),
        Resistor("Rg1", "gate", GROUND, 1e3),
        VoltageSource("Vioff", "ioffd", GROUND, Dc(vioff)), Resistor("Ri", "ioffd", "ioff", 1.0),
        VoltageSource("Vres", "res", GROUND, Dc(0.0)),
        Resistor("Rd2", "drn2", "fb2", 1e4), Resistor("Rf2", "fb2", GROUND, 0.8e4),
        Resistor("Rg2", "gate2", GROUND, 1e3), Resistor("Rl2", "ioff2", GROUND, 1e6),
    )
    rd_nodes = ("vdd", "drn", "gate", "fb", "ioff", "res")
    off_nodes = ("vdd", "drn2", "gate2", "fb2", "ioff2")
    saves = (Save("i", ("vres",)), Save("i", ("vdd",)), Save("v", ("gate",)),
             Save("v", ("ioff2",)), Save("v", ("gate2",)))
    if osdi:
        return Circuit(
            title="dw twins",
            elements=(*common, OsdiInstance("Nrd", rd_nodes, "rd", {"k": 0.8}),
                      OsdiInstance("Noff", off_nodes, "off")),
            models=(ModelCard("rd", "spinspice_dw_readout"),
                    ModelCard("off", "spinspice_dw_offset_readout")),
            analyses=(OperatingPoint(),), saves=saves,
        )
    return Circuit(
        title="dw twins",
        elements=(*common, SubcktInstance("Xrd", rd_nodes, "dwrd", {"k": 0.8}),
                  SubcktInstance("Xoff", off_nodes, "dwoff")),
        template_subcircuits=(TemplateSubcircuit("dw_readout.j2", "dwrd", RD),
                              TemplateSubcircuit("dw_offset_readout.j2", "dwoff", OFF)),
        analyses=(OperatingPoint(),), saves=saves,
    )


@pytest.mark.ngspice
@pytest.mark.parametrize("vioff", [0.0, 0.2])
def test_dw_readout_twins_agree_with_their_templates(tmp_path: Path, vioff: float) -> None:
    libs = (compile_va(_va("dw_readout.va"), tmp_path),
            compile_va(_va("dw_offset_readout.va"), tmp_path))
    eng = NgspiceSubprocess()
    b = eng.run_job(make_job(_circuit(False, vioff), key="t/b")).plot("op")
    v = eng.run_job(make_job(_circuit(True, vioff), key="t/v", osdi=libs)).plot("op")
    for name in ("i(vres)", "i(vdd)", "v(gate)", "v(ioff2)", "v(gate2)"):
        ref = float(b[name][0])
        assert float(v[name][0]) == pytest.approx(ref, rel=1e-9, abs=1e-15), name
    assert abs(float(b["i(vres)"][0])) > 1e-6  # the residue is not trivially zero
    assert np.isfinite(float(v["v(ioff2)"][0])) and abs(float(v["v(ioff2)"][0])) > 0.1
