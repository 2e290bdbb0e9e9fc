"""The same deck on both backends (subprocess and in-process PySpice) gives the same waveforms."""

from __future__ import annotations

import os

import numpy as np
import pytest

from spinspice.analysis.pyspice_backend import PySpiceShared
from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.errors import SimulationError
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
from spinspice.netlists.job import make_job

pytestmark = [pytest.mark.ngspice, pytest.mark.pyspice]


def deck() -> Circuit:
    return Circuit(
        title="two backends",
        elements=(
            VoltageSource("V1", "in", GROUND, Pulse(0.0, 1.0, 1e-10, 5e-11, 5e-11, 5e-10, 2e-9)),
            Resistor("R1", "in", "mid", 2e3),
            Capacitor("C1", "mid", GROUND, 2e-13),
            Resistor("R2", "mid", "out", 1e3),
            Capacitor("C2", "out", GROUND, 1e-13),
        ),
        analyses=(OperatingPoint(), Transient(1e-11, 2e-9, max_step_s=1e-11)),
        saves=(Save("v", ("mid",)), Save("v", ("out",)), Save("i", ("v1",))),
    )


def test_same_deck_same_waveforms() -> None:
    d = make_job(deck(), key="test")
    a = NgspiceSubprocess().run_job(d)
    b = PySpiceShared().run_job(d)
    ta, tb = a.plot("tran"), b.plot("tran")
    # Same engine, same deck, same options: identical time steps and values.
    np.testing.assert_allclose(ta["time"], tb["time"], rtol=0, atol=1e-18)
    for name in ("v(mid)", "v(out)", "i(v1)"):
        np.testing.assert_allclose(ta[name], tb[name], rtol=1e-9, atol=1e-15)
    assert np.ptp(ta["v(out)"]) > 0.3  # the pulse really went through
    assert "Using KLU" in b.log


def test_repeated_runs_and_errors_leave_the_instance_usable() -> None:
    backend = PySpiceShared()
    bad = Circuit(
        title="unknown subckt",
        elements=(VoltageSource("V1", "a", GROUND, Dc(1.0)), SubcktInstance("X1", ("a",), "nope")),
        analyses=(OperatingPoint(),),
    )
    with pytest.raises(SimulationError):
        backend.run_job(make_job(bad, key="test"))
    d = make_job(deck(), key="test")
    first = backend.run_job(d).plot("tran")["v(out)"]
    for _ in range(3):
        again = backend.run_job(d).plot("tran")["v(out)"]
        np.testing.assert_array_equal(first, again)


def test_job_files_reach_the_in_process_backend() -> None:
    # The GXNOR deck includes the model library by its relative job-file name: PySpice
    # runs it in the job's run directory and gets the subprocess backend's currents.
    from spinspice.analysis.gxnor import run_gxnor
    from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign
    from spinspice.netlists.technology import MosfetTechnology

    design = Synapse4T2RDesign(technology=MosfetTechnology.default())
    cwd = os.getcwd()
    a = run_gxnor(design, NgspiceSubprocess())
    b = run_gxnor(design, PySpiceShared())
    assert os.getcwd() == cwd
    np.testing.assert_allclose(a.i_out_A, b.i_out_A, rtol=1e-9, atol=1e-15)
    assert b.passed


def _long_deck() -> Circuit:
    """An RC transient of ~10^6 forced steps: seconds of ngspice time."""
    return Circuit(
        title="long",
        elements=(
            VoltageSource("V1", "in", GROUND, Pulse(0.0, 1.0, 1e-10, 5e-11, 5e-11, 5e-10, 2e-9)),
            Resistor("R1", "in", "out", 1e3),
            Capacitor("C1", "out", GROUND, 1e-13),
        ),
        analyses=(Transient(1e-12, 2e-6, max_step_s=1e-12),),
        saves=(Save("v", ("out",)),),
    )


def _pyspice_run_dirs() -> set[str]:
    import tempfile
    from pathlib import Path

    return {p.name for p in Path(tempfile.gettempdir()).glob("spinspice-pyspice-*")}


def test_in_process_runs_honour_the_time_limit() -> None:
    import time

    before = _pyspice_run_dirs()
    backend = PySpiceShared(timeout_s=0.5)
    t0 = time.monotonic()
    with pytest.raises(SimulationError, match="time limit"):
        backend.run_job(make_job(_long_deck(), key="test/long"))
    assert time.monotonic() - t0 < 10
    assert _pyspice_run_dirs() <= before  # no run directory left behind
    ok = PySpiceShared().run_job(make_job(deck(), key="test"))  # the instance still works
    assert np.ptp(ok.plot("tran")["v(out)"]) > 0.3


def test_in_process_runs_are_interruptible() -> None:
    """SIGINT during an in-process run: KeyboardInterrupt at once (the analysis runs in
    ngspice's background thread, halted), no run directory left, the instance reusable."""
    import signal
    import threading
    import time

    before = _pyspice_run_dirs()
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        PySpiceShared().run_job(make_job(_long_deck(), key="test/long"))
    assert time.monotonic() - t0 < 10
    assert _pyspice_run_dirs() <= before
    ok = PySpiceShared().run_job(make_job(deck(), key="test"))
    assert np.ptp(ok.plot("tran")["v(out)"]) > 0.3
