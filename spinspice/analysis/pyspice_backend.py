"""Optional in-process backend: the same deck through PySpice's ``NgSpiceShared``.

PySpice is GPL-3 and therefore optional (extra ``spinspice[pyspice]``); nothing else in
the toolkit imports it. Facts this module is built around (ENGINEERING_NOTES §2):

* only **one** shared ngspice instance may exist per process (a second fails with
  ``duplicate declaration of struct ngcomplex``) — PySpice's ``new_instance()`` caches it
  per process, and :class:`PySpiceShared` serialises runs with a lock;
* memory grows ~4 MB per run unless ``remove_circuit`` is called — we call it after
  every run, success or failure;
* PySpice's subprocess mode is broken on numpy 2, so it is not used;
* a foreground ``run`` blocks inside C, where Python cannot handle SIGINT/SIGTERM: we
  start the analysis with ``bg_run`` in ngspice's own thread and poll it, so an interrupt
  or the job timeout halts it (``bg_halt``) and the run directory is removed.

Results go through the same raw-file reader as the subprocess backend: after the run we
ask ngspice to ``write`` each plot into a private directory, so both backends return
identical :class:`~spinspice.analysis.rawfile.RawPlot` objects.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spinspice.analysis.rawfile import RawPlot, read_raw
from spinspice.analysis.runner import SimResult, check_output, log_tail
from spinspice.errors import SimulationError, SimulatorNotFoundError
from spinspice.netlists.job import Job
from spinspice.netlists.values import SAFE_PATH_RE

_LOCK = threading.Lock()


@functools.cache
def _shared_class() -> Any:
    """PySpice's ``NgSpiceShared`` with its thread callback fixed (defined once)."""
    try:
        from PySpice.Spice.NgSpice import Shared
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise SimulatorNotFoundError(
            f"PySpice is not installed ({exc}); pip install 'spinspice[pyspice]'"
        ) from None

    class _NgSpiceShared(Shared.NgSpiceShared):  # type: ignore[misc]
        @staticmethod
        def _background_thread_running(is_running: bool, ngspice_id: int, user_data: Any) -> int:
            # PySpice's own callback returns None to a C int, which cffi reports as an
            # ignored exception on every background run
            Shared.ffi.from_handle(user_data)._is_running = is_running
            return 0

    return _NgSpiceShared


def _shared() -> Any:
    try:
        return _shared_class().new_instance()
    except OSError as exc:
        raise SimulatorNotFoundError(
            f"PySpice cannot load libngspice ({exc}); apt-get install -t bookworm-backports "
            "libngspice0 libngspice0-dev"
        ) from None


def _reset(ng: Any, loaded: bool) -> None:
    """Remove the circuit and its plots so that memory does not grow run after run."""
    try:
        if loaded:
            ng.remove_circuit()
        for plot_name in [n for n in ng.plot_names if n != "const"]:
            ng.exec_command(f"destroy {plot_name}")
    except Exception:
        pass
    ng.clear_output()


@dataclass(slots=True)
class PySpiceShared:
    """ngspice as a shared library inside this process, through PySpice.

    Parameters
    ----------
    num_threads:
        Written into the deck's control block, as for the subprocess backend.
    timeout_s:
        Limit per run, s (``None``: none); a run past it is halted and fails.
    """

    num_threads: int = 1
    timeout_s: float | None = None
    name: str = "pyspice-shared"

    def available(self) -> bool:
        """True if PySpice imports and libngspice loads."""
        try:
            _shared()
        except SimulatorNotFoundError:
            return False
        return True

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Simulate ``jobs`` one after the other (see :meth:`run_job`)."""
        return [self.run_job(job) for job in jobs]

    def run_job(self, job: Job) -> SimResult:
        """Simulate one job in-process (ngspice's background thread, polled: module
        docstring); the limit is the smaller of ``timeout_s`` and the job's own.

        The job's files are copied into a private run directory, which is the process's
        working directory while the deck is loaded and run (the deck names its files
        relative to it); the previous working directory is restored afterwards.

        Raises
        ------
        SimulatorNotFoundError
            PySpice or libngspice missing.
        SimulationError
            ngspice reported an error, or the results fail the same checks as the
            subprocess backend.
        """
        text = job.deck.text(num_threads=self.num_threads, filetype="binary")
        run_dir = Path(tempfile.mkdtemp(prefix="spinspice-pyspice-"))
        if not SAFE_PATH_RE.match(str(run_dir)):
            raise SimulationError(f"temporary directory {run_dir} has an unsafe path")
        try:
            for f in job.files:
                f.copy_to(run_dir)
            with _LOCK:
                ng = _shared()
                ng.clear_output()
                t0 = time.perf_counter()
                log = ""
                loaded = False
                cwd = os.getcwd()
                try:
                    os.chdir(run_dir)
                    ng.load_circuit(text)
                    loaded = True
                    self._run_polled(ng, job)
                    # exec_command clears PySpice's output buffers: keep the run's log first.
                    log = ng.stdout + "\n" + ng.stderr
                    elapsed = time.perf_counter() - t0
                    names = [n for n in ng.plot_names if n != "const"]
                    plots: list[RawPlot] = []
                    for i, plot_name in enumerate(reversed(names)):
                        out = run_dir / f"plot{i}.raw"
                        ng.exec_command(f"setplot {plot_name}")
                        ng.exec_command(f"write {out}")
                        plots.extend(read_raw(out))
                except SimulationError:
                    raise
                except Exception as exc:  # PySpice raises NameError subclasses and others
                    log = log or (ng.stdout + "\n" + ng.stderr)
                    raise SimulationError(
                        f"ngspice (shared) failed: {type(exc).__name__} {exc}",
                        run_dir=None,
                        log_tail=log_tail(log),
                        hint="see the log tail",
                    ) from None
                finally:
                    _reset(ng, loaded)
                    os.chdir(cwd)
            check_output(log, tuple(plots), job, None)
        finally:
            # removed on success, failure and interrupt alike (issue 12)
            shutil.rmtree(run_dir, ignore_errors=True)
        return SimResult(tuple(plots), log, None, elapsed, self.name)

    def _run_polled(self, ng: Any, job: Job) -> None:
        """``bg_run`` and wait for it; halt it on an interrupt or past the time limit."""
        limits = [t for t in (self.timeout_s, job.timeout_s) if t is not None]
        deadline = time.monotonic() + min(limits) if limits else None
        ng.run(background=True)
        try:
            time.sleep(_POLL_S)  # ngspice needs a moment before it reports running
            while ng._ngspice_shared.ngSpice_running():
                if deadline is not None and time.monotonic() > deadline:
                    raise SimulationError(
                        f"ngspice (shared) ran past its time limit of {min(limits):g} s",
                        hint="raise --timeout, or simulate a smaller array",
                    )
                time.sleep(_POLL_S)
        except BaseException:  # interrupt, SystemExit from SIGTERM, or the time limit
            _halt(ng)
            raise


#: Poll interval of a background run, s.
_POLL_S = 0.005


def _halt(ng: Any) -> None:
    """Stop ngspice's background thread and wait until it has stopped."""
    with contextlib.suppress(Exception):
        ng.halt()
    for _ in range(2000):  # up to ~10 s
        if not ng._ngspice_shared.ngSpice_running():
            return
        time.sleep(_POLL_S)
