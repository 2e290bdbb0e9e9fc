"""The ngspice subprocess runner: real runs, typed failures, and injection that never runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spinspice.analysis.runner import NgspiceOptions, NgspiceSubprocess, ngspice_info
from spinspice.errors import (
    NetlistError,
    SimulationError,
    SimulationTimeoutError,
    SimulatorNotFoundError,
)
from spinspice.netlists.circuit import (
    GROUND,
    Capacitor,
    Circuit,
    Dc,
    OperatingPoint,
    Pulse,
    Resistor,
    Save,
    SubcktInstance,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.render import Deck

pytestmark = pytest.mark.ngspice


def rc_circuit(**changes: object) -> Circuit:
    kwargs: dict[str, object] = {
        "title": "rc step",
        "elements": (
            VoltageSource("V1", "in", GROUND, Pulse(0.0, 1.0, 1e-10, 1e-12, 1e-12, 1e-8, 2e-8)),
            Resistor("R1", "in", "out", 1e3),
            Capacitor("C1", "out", GROUND, 1e-12),
        ),
        "analyses": (OperatingPoint(), Transient(1e-11, 3e-9, max_step_s=1e-11)),
        "saves": (Save("v", ("out",)), Save("i", ("v1",))),
    }
    kwargs.update(changes)
    return Circuit(**kwargs)  # type: ignore[arg-type]


def test_info_reports_version_and_klu() -> None:
    info = ngspice_info()
    assert info.version >= 46
    assert info.klu


def test_rc_transient_matches_analytic() -> None:
    sim = NgspiceSubprocess().run_job(make_job(rc_circuit(), key="test"))
    assert "Using KLU" in sim.log
    tran = sim.plot("tran")
    t = tran["time"]
    v = tran["v(out)"]
    tau = 1e3 * 1e-12
    mask = t > 2e-10
    expected = 1.0 - np.exp(-(t[mask] - 1e-10) / tau)
    # 1 ps rise and a 10 ps max step: the discretised response is within 1 % of the
    # exponential everywhere after the first time constant.
    assert np.max(np.abs(v[mask] - expected)) < 0.01
    assert sim.plot("op")["v(out)"][0] == pytest.approx(0.0, abs=1e-12)
    assert sim.run_dir is None  # removed after success


def test_num_threads_is_set_by_us(tmp_path: Path) -> None:
    runner = NgspiceSubprocess(
        NgspiceOptions(num_threads=2, keep_run_dir=True, workdir_parent=tmp_path)
    )
    sim = runner.run_job(make_job(rc_circuit(), key="test"))
    assert sim.run_dir is not None
    deck = (sim.run_dir / "deck.cir").read_text()
    assert "set num_threads=2" in deck
    assert ".options klu" in deck


def test_singular_matrix_is_a_typed_error(tmp_path: Path) -> None:
    # A node reached only through a capacitor and a current-free path is floating at DC.
    c = rc_circuit(
        elements=(
            VoltageSource("V1", "in", GROUND, Dc(1.0)),
            Capacitor("C1", "in", "float1", 1e-12),
            Capacitor("C2", "float1", GROUND, 1e-12),
        ),
        analyses=(OperatingPoint(),),
        saves=(Save("v", ("float1",)),),
    )
    runner = NgspiceSubprocess(NgspiceOptions(workdir_parent=tmp_path / "a"))
    with pytest.raises(SimulationError) as err:
        runner.run_job(make_job(c, key="test"))
    # issue 12: a failed run's directory is removed unless --keep-run-dir ...
    assert err.value.run_dir is None and list((tmp_path / "a").iterdir()) == []
    assert err.value.log_tail and "run directory" not in str(err.value)
    kept: list[Path] = []
    runner = NgspiceSubprocess(
        NgspiceOptions(workdir_parent=tmp_path / "b", keep_run_dir=True, on_kept=kept.append)
    )
    with pytest.raises(SimulationError) as err:
        runner.run_job(make_job(c, key="test"))
    # ... and with it, the error names the kept directory
    assert err.value.run_dir is not None and (err.value.run_dir / "deck.cir").exists()
    assert kept == [err.value.run_dir] and f"run directory: {kept[0]}" in str(err.value)


def test_unknown_subcircuit_is_a_typed_error(tmp_path: Path) -> None:
    c = rc_circuit(
        elements=(
            VoltageSource("V1", "in", GROUND, Dc(1.0)),
            SubcktInstance("X1", ("in", GROUND), "nosuchcell"),
        ),
        analyses=(OperatingPoint(),),
        saves=(),
    )
    with pytest.raises(SimulationError, match=r"not defined|error"):
        NgspiceSubprocess(NgspiceOptions(workdir_parent=tmp_path)).run_job(make_job(c, key="test"))


def test_missing_saved_vector_is_a_typed_error(tmp_path: Path) -> None:
    c = rc_circuit(saves=(Save("v", ("nosuchnode",)),))
    with pytest.raises(SimulationError):
        NgspiceSubprocess(NgspiceOptions(workdir_parent=tmp_path)).run_job(make_job(c, key="test"))


def test_timeout_is_a_typed_error(tmp_path: Path) -> None:
    c = rc_circuit(analyses=(Transient(1e-15, 1e-3, max_step_s=1e-15),))
    runner = NgspiceSubprocess(NgspiceOptions(timeout_s=0.5, workdir_parent=tmp_path))
    with pytest.raises(SimulationTimeoutError):
        runner.run_job(make_job(c, key="test"))


def test_missing_and_old_ngspice(tmp_path: Path) -> None:
    with pytest.raises(SimulatorNotFoundError, match="not found"):
        NgspiceSubprocess(NgspiceOptions(executable="no-such-ngspice")).run_job(
            make_job(rc_circuit(), key="test")
        )
    fake = tmp_path / "ngspice"
    fake.write_text("#!/bin/sh\necho '** ngspice-39 : Circuit level simulation program'\n")
    fake.chmod(0o755)
    with pytest.raises(SimulatorNotFoundError, match=">= 46"):
        ngspice_info(str(fake))
    noklu = tmp_path / "ngspice47"
    noklu.write_text("#!/bin/sh\necho '** ngspice-47 : Circuit level simulation program'\n")
    noklu.chmod(0o755)
    with pytest.raises(SimulatorNotFoundError, match="KLU"):
        ngspice_info(str(noklu))


def test_star_hash_really_executes_without_the_guard(tmp_path: Path) -> None:
    """Control: ngspice *does* run `*#` lines — so the guard below matters."""
    marker = tmp_path / "executed"
    deck = tmp_path / "evil.cir"
    deck.write_text(f"evil\nR1 a 0 1\nV1 a 0 1\n*# shell touch {marker}\n.op\n.end\n")
    exe = shutil.which("ngspice")
    assert exe is not None
    subprocess.run(
        [exe, "-b", "-n", str(deck)], cwd=tmp_path, capture_output=True, timeout=60, check=False
    )
    assert marker.exists()


@pytest.mark.parametrize(
    "body",
    [
        "evil\nR1 a 0 1\nV1 a 0 1\n*# shell touch {marker}\n.op\n",
        "evil\nR1 a 0 1\nV1 a 0 1\n.control\nshell touch {marker}\n.endc\n.op\n",
        "evil\nR1 a 0 1\nV1 a 0 1\nshell touch {marker}\n.op\n",
    ],
)
def test_guard_stops_injection_before_ngspice_starts(tmp_path: Path, body: str) -> None:
    marker = tmp_path / "executed"
    # A Deck checks its body when it is made, so an evil deck never reaches a backend.
    with pytest.raises(NetlistError):
        deck = Deck(title="evil", body=body.format(marker=marker), saves=(), analyses=("op",))
        NgspiceSubprocess(NgspiceOptions(workdir_parent=tmp_path)).run_job(Job(key="evil", deck=deck))
    assert not marker.exists()
    assert not list(tmp_path.glob("spinspice-run-*"))  # no run directory: ngspice never started
