"""Engines: run simulation jobs and return their results (ngspice as a subprocess here).

Every simulator sits behind one small interface, :class:`Engine`: ``available()`` and
``run(jobs)`` — a list of :class:`~spinspice.netlists.job.Job` in, one
:class:`SimResult` per job out, in order. Engines are configured by an options object —
no module-level executable paths or singletons — and analysis code never makes one: the
caller (the CLI, a study, a test) passes its engine down. :class:`NgspiceSubprocess` copies
each job's files into a private run directory and runs
``ngspice -b -n -r out.raw -o out.log deck.cir`` (argv list, no shell) in a private
temporary directory with a timeout; the deck's control block, written by the toolkit,
sets ``num_threads`` (ENGINEERING_NOTES §1: Debian's start-up script sets 8).

A run is declared failed on *any* of: non-zero exit code, a known failure pattern in
the log or console output ("timestep too small", "singular matrix", "no such vector",
"unknown subckt", ...), a missing or truncated raw file, a missing analysis, or — since
every deck sets ``.options klu`` — no "Using KLU" line in the log.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from spinspice.analysis.rawfile import RawPlot, find_plot, read_raw
from spinspice.errors import (
    ResultParseError,
    SimulationError,
    SimulationTimeoutError,
    SimulatorNotFoundError,
)
from spinspice.netlists.job import Job

#: Oldest ngspice we accept: 46 is the first with KLU + OSDI in Debian (backports).
MIN_NGSPICE_VERSION = 46

#: First ngspice release that loads OSDI (Verilog-A) models (ngspice 39 release notes).
FIRST_OSDI_NGSPICE = 39

INSTALL_HINT = (
    "install ngspice >= 46 from Debian bookworm-backports: run scripts/install.sh, or "
    "apt-get install -t bookworm-backports ngspice libngspice0 libngspice0-dev"
)

#: (pattern, message, hint) checked against the log and console output, in order.
FAILURE_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"timestep too small", re.I),
        "transient did not converge (timestep too small)",
        "use smoother waveforms (finite rise/fall), method=gear, or a smaller max step",
    ),
    (
        re.compile(r"singular matrix", re.I),
        "singular matrix",
        "a node may be floating or connected only to capacitors; add a leak resistor",
    ),
    (
        re.compile(r"no such vector", re.I),
        "a requested vector does not exist",
        "check the saved node/source names",
    ),
    (
        re.compile(r"(gmin|source) stepping failed|no convergence in dc", re.I),
        "operating point did not converge",
        "check supply values and device models; try .nodeset or initial conditions",
    ),
    (
        re.compile(r"unknown subckt|unknown model|could not find a valid modelname", re.I),
        "a subcircuit or model is not defined",
        "check the model library and corner (--models/--corner) and the model names",
    ),
    (
        re.compile(r"^\s*error[: ]", re.I | re.M),
        "ngspice reported an error",
        "see the log tail",
    ),
    (
        re.compile(r"simulation interrupted|run simulation\(s\) aborted|aborted", re.I),
        "simulation aborted",
        "see the log tail",
    ),
)


class KluLineMissingError(SimulationError):
    """A run finished with results but its log lacks the "Using KLU" line."""


@dataclass(frozen=True, slots=True)
class NgspiceOptions:
    """How to run ngspice.

    Parameters
    ----------
    executable:
        Program name or path; resolved with :func:`shutil.which`.
    timeout_s:
        Wall-clock limit of one run, in s.
    num_threads:
        OpenMP threads ngspice may use for device evaluation (1–256).
    keep_run_dir:
        Keep the private run directory (deck, log, raw file) after the run, successful or
        not; without it every run directory is removed, also on failure or interrupt.
    on_kept:
        Called with every run directory that is kept (the CLI prints them).
    workdir_parent:
        Where run directories are created (default: the system temporary directory).
    filetype:
        Raw-file format ngspice writes (binary is smaller and faster).
    """

    executable: str = "ngspice"
    timeout_s: float = 600.0
    num_threads: int = 1
    keep_run_dir: bool = False
    workdir_parent: Path | None = None
    filetype: str = "binary"
    on_kept: Callable[[Path], None] | None = None

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.filetype not in ("binary", "ascii"):
            raise ValueError("filetype must be 'binary' or 'ascii'")


@dataclass(frozen=True, slots=True)
class SimResult:
    """The outcome of one simulation.

    Attributes
    ----------
    plots:
        Every plot of the raw file, in file order.
    log:
        The simulator log text.
    run_dir:
        Run directory if it was kept, else None.
    elapsed_s:
        Wall-clock time of the simulator run, in s.
    backend:
        Name of the backend that produced the result.
    """

    plots: tuple[RawPlot, ...]
    log: str
    run_dir: Path | None
    elapsed_s: float
    backend: str

    def plot(self, kind: str) -> RawPlot:
        """The plot of an analysis kind: ``"op"``, ``"tran"``, ``"dc"`` or ``"ac"``."""
        return find_plot(self.plots, kind)

    def vector(self, name: str, kind: str = "op") -> np.ndarray:
        """One vector (e.g. ``"i(vout)"``) of the plot of analysis ``kind``."""
        return self.plot(kind)[name]


class Engine(Protocol):
    """What every simulation engine offers."""

    @property
    def name(self) -> str:
        """Name of the engine (for tables and messages)."""
        ...

    def available(self) -> bool:
        """True if the engine can run here."""
        ...

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Simulate ``jobs`` (one result each, same order); raise a
        :class:`~spinspice.errors.SpinspiceError` on the first failure."""
        ...


def run_one(engine: Engine, job: Job) -> SimResult:
    """Run a single job on ``engine``."""
    return engine.run([job])[0]


@dataclass(frozen=True, slots=True)
class NgspiceInfo:
    """What an ngspice installation offers."""

    path: str
    version: int
    version_text: str
    klu: bool
    osdi: bool


@lru_cache(maxsize=8)
def _probe(path: str) -> NgspiceInfo:
    try:
        proc = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SimulatorNotFoundError(
            f"cannot run {path} --version: {exc}; {INSTALL_HINT}"
        ) from None
    out = proc.stdout + proc.stderr
    m = re.search(r"ngspice-(\d+)", out)
    if m is None:
        raise SimulatorNotFoundError(f"{path} does not look like ngspice; {INSTALL_HINT}")
    version = int(m.group(1))
    klu = "KLU" in out
    # OSDI support arrived in ngspice 39 and every build that can load Verilog-A models
    # registers the osdi commands; Debian's 46 has it. We check with a real load in doctor.
    osdi = version >= FIRST_OSDI_NGSPICE
    return NgspiceInfo(path, version, m.group(0), klu, osdi)


def ngspice_info(executable: str = "ngspice") -> NgspiceInfo:
    """Locate ngspice and read its version and features.

    Raises
    ------
    SimulatorNotFoundError
        If ngspice is missing, older than 46, or built without KLU.
    """
    path = shutil.which(executable)
    if path is None:
        raise SimulatorNotFoundError(f"ngspice executable {executable!r} not found; {INSTALL_HINT}")
    info = _probe(path)
    if info.version < MIN_NGSPICE_VERSION:
        raise SimulatorNotFoundError(
            f"{path} is {info.version_text}, but spinspice needs ngspice >= "
            f"{MIN_NGSPICE_VERSION} (KLU, OSDI); {INSTALL_HINT}"
        )
    if not info.klu:
        raise SimulatorNotFoundError(f"{path} was built without the KLU solver; {INSTALL_HINT}")
    return info


def log_tail(text: str, lines: int = 25) -> str:
    """Last ``lines`` non-empty lines of a log."""
    kept = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


def check_log(log: str, run_dir: Path | None) -> None:
    """Raise :class:`SimulationError` for the first known failure pattern in ``log``."""
    for pattern, message, hint in FAILURE_PATTERNS:
        if pattern.search(log):
            raise SimulationError(
                f"ngspice failed: {message}", run_dir=run_dir, log_tail=log_tail(log), hint=hint
            )


def check_output(
    log: str,
    plots: tuple[RawPlot, ...],
    job: Job,
    run_dir: Path | None,
) -> None:
    """Raise :class:`SimulationError` if the log or results show a failure (see module doc)."""
    check_log(log, run_dir)
    if "Using KLU" not in log:
        raise KluLineMissingError(
            "ngspice did not use the KLU solver although the deck sets .options klu",
            run_dir=run_dir,
            log_tail=log_tail(log),
            hint=INSTALL_HINT,
        )
    for kind in job.deck.analyses:
        try:
            plot = find_plot(plots, kind)
        except ResultParseError:
            raise SimulationError(
                f"ngspice wrote no {kind} results",
                run_dir=run_dir,
                log_tail=log_tail(log),
                hint="see the log tail",
            ) from None
        missing = [v for v in job.saves if v not in plot.names()]
        if missing and kind in ("op", "tran", "dc"):
            raise SimulationError(
                f"{kind} results lack saved vectors {missing}",
                run_dir=run_dir,
                log_tail=log_tail(log),
                hint="check the saved node/source names",
            )


@dataclass(slots=True)
class NgspiceSubprocess:
    """ngspice in batch mode as a child process (the default backend)."""

    options: NgspiceOptions = field(default_factory=NgspiceOptions)
    name: str = "ngspice-subprocess"

    def available(self) -> bool:
        """True if an ngspice >= 46 with KLU is on the PATH."""
        try:
            ngspice_info(self.options.executable)
        except SimulatorNotFoundError:
            return False
        return True

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Simulate ``jobs`` one after the other (see :meth:`run_job`)."""
        return [self.run_job(job) for job in jobs]

    def run_job(self, job: Job) -> SimResult:
        """Simulate one job in a private run directory.

        ngspice runs in its own process group. On a timeout, an interrupt (SIGINT) or a
        termination request (SIGTERM; while a run is in progress in the main thread it is
        turned into :class:`SystemExit` 143) the whole group is killed and the run
        directory removed; it is kept only with ``keep_run_dir`` (and then reported through
        ``on_kept`` and named in the error).

        Raises
        ------
        SimulatorNotFoundError
            ngspice missing, too old, or without KLU.
        SimulationTimeoutError
            The run exceeded the timeout (the process group is killed).
        SimulationError
            Any failure listed in the module docstring.
        """
        info = ngspice_info(self.options.executable)
        text = job.deck.text(num_threads=self.options.num_threads, filetype=self.options.filetype)
        parent = self.options.workdir_parent
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        run_dir = Path(tempfile.mkdtemp(prefix="spinspice-run-", dir=parent))
        done = False
        try:
            with terminate_raises():
                try:
                    result = self._run_in(job, info, text, run_dir)
                except KluLineMissingError:
                    # Seen twice on a machine at load average ~9, never reproduced: the
                    # results were complete but the log lacked the line. One clean rerun;
                    # a second miss is a real failure (an ngspice without KLU).
                    shutil.rmtree(run_dir, ignore_errors=True)
                    run_dir.mkdir()
                    result = self._run_in(job, info, text, run_dir)
            done = True
            return result
        except SimulationError as exc:
            raise self._settle_failure(exc, run_dir) from None
        finally:
            if not done and not self.options.keep_run_dir:
                shutil.rmtree(run_dir, ignore_errors=True)

    def _settle_failure(self, exc: SimulationError, run_dir: Path) -> SimulationError:
        """The error to raise for a failed run: naming the run directory if it is kept."""
        kept = self._kept(run_dir) if self.options.keep_run_dir else None
        message = str(exc).split("; hint: ")[0].split("; run directory: ")[0]
        new = type(exc)(message, run_dir=kept, log_tail=exc.log_tail, hint=exc.hint)
        return new

    def _run_in(self, job: Job, info: NgspiceInfo, text: str, run_dir: Path) -> SimResult:
        for f in job.files:
            f.copy_to(run_dir)
        deck_path = run_dir / "deck.cir"
        deck_path.write_text(text, encoding="ascii")
        raw_path = run_dir / "out.raw"
        log_path = run_dir / "out.log"
        argv = [info.path, "-b", "-n", "-r", raw_path.name, "-o", log_path.name, deck_path.name]
        limit = job.timeout_s if job.timeout_s is not None else self.options.timeout_s
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPICE_")}
        env["OMP_NUM_THREADS"] = str(self.options.num_threads)
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=run_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=env,
            start_new_session=True,  # its own process group: killed as a whole
        )
        try:
            stdout, stderr = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            raise SimulationTimeoutError(
                f"ngspice did not finish job {job.key} within {limit:g} s",
                run_dir=run_dir,
                log_tail=log_tail(log),
                hint="raise --timeout, save fewer vectors, or simulate a smaller array",
            ) from None
        except BaseException:
            _kill_group(proc)
            raise
        finally:
            if proc.poll() is None:
                _kill_group(proc)
        elapsed = time.perf_counter() - t0
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        console = stdout + stderr
        full_log = log + "\n" + console
        if proc.returncode != 0:
            check_log(full_log, run_dir)
            raise SimulationError(
                f"ngspice exited with code {proc.returncode}",
                run_dir=run_dir,
                log_tail=log_tail(full_log),
                hint="see the log tail",
            )
        if not raw_path.exists():
            check_output(full_log, (), job, run_dir)
            raise SimulationError(
                "ngspice wrote no raw file", run_dir=run_dir, log_tail=log_tail(full_log)
            )
        try:
            plots = tuple(read_raw(raw_path))
        except ResultParseError as exc:
            raise SimulationError(
                f"ngspice results unreadable: {exc}",
                run_dir=run_dir,
                log_tail=log_tail(full_log),
                hint="the run probably stopped early; see the log tail",
            ) from None
        check_output(full_log, plots, job, run_dir)
        kept: Path | None = None
        if self.options.keep_run_dir:
            kept = self._kept(run_dir)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        return SimResult(plots, full_log, kept, elapsed, self.name)

    def _kept(self, run_dir: Path) -> Path:
        if self.options.on_kept is not None:
            self.options.on_kept(run_dir)
        return run_dir


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill the child's whole process group (ngspice and anything it started); reap it."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _raise_terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def terminate_raises() -> Iterator[None]:
    """While active (main thread, default SIGTERM handler only), SIGTERM raises
    ``SystemExit(143)`` so that cleanup code runs instead of the process vanishing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, OSError):  # pragma: no cover
        yield
        return
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass(slots=True)
class CachingEngine:
    """An engine that runs each distinct job (by content hash) once and reuses its result.

    Measures that need a reference simulation (one cell's current, say) simply ask for
    its job again; behind this wrapper the second request costs nothing. The cache lives
    in the object, never in a module.
    """

    inner: Engine
    cache: dict[str, SimResult] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The wrapped engine's name."""
        return self.inner.name

    def available(self) -> bool:
        """True if the wrapped engine is."""
        return self.inner.available()

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Results of ``jobs``, simulating only those not seen before."""
        todo = {j.hash: j for j in jobs if j.hash not in self.cache}
        for job, res in zip(todo.values(), self.inner.run(list(todo.values())), strict=True):
            self.cache[job.hash] = res
        return [self.cache[j.hash] for j in jobs]


@dataclass(slots=True)
class AtTemperature:
    """An engine adapter that runs every job at one circuit temperature (°C).

    Measures stay unchanged: each job is re-rendered with ``.temp`` set
    (:func:`~spinspice.netlists.job.at_temperature`) before the wrapped engine runs it.
    """

    inner: Engine
    temperature_C: float

    @property
    def name(self) -> str:
        """The wrapped engine's name."""
        return self.inner.name

    def available(self) -> bool:
        """True if the wrapped engine is."""
        return self.inner.available()

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Results of ``jobs`` simulated at :attr:`temperature_C`."""
        from spinspice.netlists.job import at_temperature

        return self.inner.run([at_temperature(j, self.temperature_C) for j in jobs])


@dataclass(slots=True)
class RecordingEngine:
    """An engine adapter that records every job it runs (for provenance and tests)."""

    inner: Engine
    jobs: list[Job] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The wrapped engine's name."""
        return self.inner.name

    def available(self) -> bool:
        """True if the wrapped engine is."""
        return self.inner.available()

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Record ``jobs``, then run them on the wrapped engine."""
        self.jobs.extend(jobs)
        return self.inner.run(jobs)
