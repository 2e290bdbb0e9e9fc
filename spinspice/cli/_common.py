"""Shared pieces of every command: one-line errors, output preparation, common options.

Exit codes: 0 success, 1 the check ran but did not pass, 2 bad input or a failure of
the simulator/installation (a one-line message names the problem), never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from spinspice.errors import SimulationError, SpinspiceError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED_CHECK = 1
EXIT_BAD_INPUT = 2

def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    from rich.markup import escape

    _console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", markup=True)
    sys.exit(EXIT_BAD_INPUT)


def handle_errors(func: F) -> F:
    """Turn toolkit errors into a one-line message and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SimulationError as exc:
            msg = str(exc)
            if exc.log_tail:
                last = exc.log_tail.strip().splitlines()[-1]
                msg += f"; last log line: {last!r}"
            _fail(msg)
        except SpinspiceError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return None

    return wrapper  # type: ignore[return-value]


def _prepare_output(path: Path | None) -> Path | None:
    """Create the parent directory of an output file; refuse directories."""
    if path is None:
        return None
    if path.is_dir():
        raise click.BadParameter(f"{path} is a directory; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def technology_options(func: F) -> F:
    """Options selecting the MOSFET models."""
    func = click.option(
        "--config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="TOML config with a [technology] table (models, corner, model names, sizes).",
    )(func)
    func = click.option(
        "--corner",
        type=str,
        default=None,
        help="Library section to load, e.g. tt, ff, ss (bundled models: tt/ff/ss; default tt).",
    )(func)
    func = click.option(
        "--models",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Your foundry MOSFET model library (checked for unsafe content before use).",
    )(func)
    return func


def _remember_engine(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    ctx.meta["spinspice.engine"] = value
    return value


def simulator_options(func: F) -> F:
    """Options selecting and configuring the simulator backend."""
    func = click.option(
        "--engine",
        type=click.Choice(["ngspice", "vacask"]),
        default="ngspice",
        show_default=True,
        expose_value=False,
        callback=_remember_engine,
        help="Simulator: ngspice, or VACASK (independent integrator and solver; the MTJ runs "
        "as its Verilog-A twin; bundled MOSFET models only).",
    )(func)
    func = click.option(
        "--backend",
        type=click.Choice(["subprocess", "pyspice"]),
        default="subprocess",
        show_default=True,
        help="ngspice as a child process, or in-process through PySpice (optional extra).",
    )(func)
    func = click.option(
        "--timeout",
        "timeout_s",
        type=click.FloatRange(min=0.1),
        default=600.0,
        show_default=True,
        help="Simulator time limit per run, in seconds.",
    )(func)
    func = click.option(
        "--threads",
        type=click.IntRange(1, 256),
        default=1,
        show_default=True,
        help="ngspice OpenMP threads for device evaluation.",
    )(func)
    func = click.option(
        "--keep-run-dir",
        is_flag=True,
        help="Keep the simulator's run directory (deck, log, raw file) for inspection.",
    )(func)
    return func


def _report_kept(run_dir: Path) -> None:
    _console(stderr=True).print(f"kept run directory: {run_dir}", markup=False)


def make_backend(backend: str, timeout_s: float, threads: int, keep_run_dir: bool) -> Any:
    """The engine chosen on the command line, wrapped so that identical jobs run once.

    Every kept run directory (``--keep-run-dir``, or a failed run) is printed on stderr.
    """
    from spinspice.analysis.runner import CachingEngine, NgspiceOptions, NgspiceSubprocess

    engine: Any
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get("spinspice.engine") == "vacask":
        from spinspice.analysis.vacask_engine import VacaskEngine, VacaskOptions

        if backend != "subprocess":
            raise click.BadParameter("--backend pyspice runs ngspice; drop it for --engine vacask")
        engine = VacaskEngine(
            VacaskOptions(timeout_s=timeout_s, keep_run_dir=keep_run_dir, on_kept=_report_kept)
        )
    elif backend == "pyspice":
        from spinspice.analysis.pyspice_backend import PySpiceShared

        engine = PySpiceShared(num_threads=threads)
    else:
        engine = NgspiceSubprocess(
            NgspiceOptions(
                timeout_s=timeout_s,
                num_threads=threads,
                keep_run_dir=keep_run_dir,
                on_kept=_report_kept,
            )
        )
    return CachingEngine(engine)


def fit_option(func: F) -> F:
    """``--fit FILE``: the device law of the array's MTJs (default: the family's preset)."""
    return click.option(
        "--fit",
        "fit_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Behavioural MTJ fit JSON (spinspice device fit) whose R_P, TMR and switching "
        "law the array uses; default: the family's preset (seed 001 device C, or seed 002's "
        "device for the crossbars).",
    )(func)


def load_device_fit(cell: str, fit_path: Path | None) -> Any:
    """The fit named by ``--fit``, else the family's default device."""
    from spinspice.analysis.families import get
    from spinspice.spintronic_cells.fit import load_fit

    return load_fit(fit_path) if fit_path is not None else get(cell).default_fit()



def array_design(
    cell: str,
    rows: int,
    cols: int,
    config: Path | None,
    models: Path | None,
    corner: str | None,
    fit: Any,
) -> Any:
    """The registered family's design at this size, technology and device fit."""
    from spinspice.analysis.families import get
    from spinspice.analysis.registry import DesignSpec
    from spinspice.netlists.technology import load_technology

    tech = load_technology(config, models=models, corner=corner)
    return get(cell).make_design(DesignSpec(rows=rows, cols=cols, technology=tech, fit=fit))
