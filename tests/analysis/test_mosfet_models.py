"""The bundled 28 nm-class models: safe to include, and their measured figures in range."""

from __future__ import annotations

from typing import Any

import pytest

from spinspice.analysis.mosfet import characterise
from spinspice.netlists.guard import check_model_library
from spinspice.netlists.technology import MosfetTechnology, default_library_path


def test_library_is_safe_and_complete() -> None:
    path = default_library_path()
    check_model_library(path)  # no .control, no *#, no shell
    text = path.read_text()
    for corner in ("tt", "ff", "ss"):
        section = text.split(f".lib {corner}\n")[1].split(f".endl {corner}")[0]
        assert ".model nmos28 nmos level=54" in section
        assert ".model pmos28 pmos level=54" in section


@pytest.mark.ngspice
def test_typical_corner_figures_in_documented_ranges(engine: Any) -> None:
    tech = MosfetTechnology.default("tt")
    n = characterise(tech, "nmos", engine=engine)
    p = characterise(tech, "pmos", engine=engine)
    # Targets in the library header / docs/mosfet_models.md (generic 28 nm-class ranges).
    assert 0.9e3 <= n.ion_A_per_m <= 1.3e3  # 0.9-1.3 mA/um
    assert 0.6e3 <= p.ion_A_per_m <= 1.0e3
    for f in (n, p):
        assert 1e-3 <= f.ioff_A_per_m <= 0.1  # 1-100 nA/um (1 nA/um = 1e-3 A/m)
        assert 65 <= f.ss_mV_per_dec <= 100
        assert 0 < f.dibl_mV_per_V < 150
        assert 0.1 < f.vth_sat_V < f.vth_lin_V < 0.5


@pytest.mark.ngspice
def test_corners_are_ordered(engine: Any) -> None:
    ion = {
        c: characterise(MosfetTechnology.default(c), "nmos", engine=engine).ion_A_per_m for c in ("ff", "tt", "ss")
    }
    assert ion["ff"] > ion["tt"] > ion["ss"]
