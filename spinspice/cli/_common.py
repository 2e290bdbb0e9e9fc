"""Shared pieces of every command: one-line errors, output preparation, common options.

Exit codes: 0 success, 1 the check ran but did not pass, 2 bad input or a failure of
the simulator/installation (a one-line message names the problem), never a traceback.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from spinspice.errors import ParameterError, SimulationError, SpinspiceError

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


#: ngspice console/log lines that say what went wrong (shown instead of its banner).
_NGSPICE_ERROR_MARKERS = (
    "could not find",
    "error",
    "unknown",
    "not found",
    "singular",
    "timestep too small",
    "no such",
    "fatal",
    "failed",
)


def ngspice_error_line(log_tail: str) -> str | None:
    """The most telling line of an ngspice log tail: the first line naming a specific
    error (e.g. "Could not find include file ..."), else None (never its banner)."""
    lines = [ln.strip() for ln in log_tail.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    for ln in lines:  # the first specific error is the cause; the rest follow from it
        low = ln.lower()
        generic = ("error in netlist line", "error on line", "error: fatal error")
        if low.startswith(generic) or low.endswith(":") or "exit(1)" in low:
            continue
        if any(m in low for m in _NGSPICE_ERROR_MARKERS):
            return ln
    return None


def handle_errors(func: F) -> F:
    """Turn toolkit errors into a one-line message and exit code 2 (never a traceback).

    A failed simulation names ngspice's own error line and the kept run directory, if any.
    An unexpected exception is reported in one line too (set ``SPINSPICE_DEBUG=1`` for
    the traceback).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SimulationError as exc:
            msg = str(exc)
            line = ngspice_error_line(exc.log_tail) if exc.log_tail else None
            if line:
                msg += f"; ngspice: {line!r}"
            if (
                exc.run_dir is not None
                and Path(exc.run_dir).exists()
                and str(exc.run_dir) not in msg
            ):
                msg += f"; run directory kept: {exc.run_dir}"
            _fail(msg)
        except SpinspiceError as exc:
            _fail(str(exc))
        except click.ClickException:
            raise
        except OSError as exc:
            _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        except MemoryError:
            _fail("out of memory; simulate a smaller problem")
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("SPINSPICE_DEBUG"):
                raise
            _fail(
                f"internal error ({type(exc).__name__}: {exc}); please report it "
                "(SPINSPICE_DEBUG=1 shows the traceback)"
            )
        return None

    return wrapper  # type: ignore[return-value]


#: File name endings matplotlib writes.
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def _param_names_of(path: Path) -> list[str]:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return []
    return [
        name
        for name, value in ctx.params.items()
        if value is not None and isinstance(value, str | Path) and str(value) == str(path)
    ]


def _prepare_output(path: Path | None) -> Path | None:
    """Check an output path before any work starts; create its parent directory.

    Refused (``ParameterError``, exit 2): an existing target that is not a regular file
    (directory, device, FIFO, socket, or a symlink to one), a plot whose name does not
    end in an image suffix, a CSV not ending in ``.csv``, ``-`` for anything but a table,
    and two outputs of one command naming the same file. ``-`` writes a table to stdout.
    """
    if path is None:
        return None
    from spinspice.analysis.tables import check_output_target

    path = Path(path)
    names = _param_names_of(path)
    if len(names) > 1:
        given = " and ".join("--" + n.removesuffix("_path").replace("_", "-") for n in names)
        raise ParameterError(f"{path} is given for two outputs ({given}); give each its own file")
    name = names[0] if names else ""
    is_plot = "plot" in name or name in ("figure", "png")
    if str(path) == "-":
        if is_plot:
            raise ParameterError("a plot cannot be written to '-' (stdout); give a file name")
        return path
    check_output_target(path)
    suffix = path.suffix.lower()
    if is_plot and suffix not in PLOT_SUFFIXES:
        raise ParameterError(f"plot {path}: the name must end in one of {', '.join(PLOT_SUFFIXES)}")
    if "csv" in name and suffix != ".csv":
        raise ParameterError(f"CSV output {path}: the name must end in .csv")
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        seen: dict[str, str] = ctx.meta.setdefault("spinspice.outputs", {})
        key = os.path.realpath(path)
        if key in seen:
            raise ParameterError(f"{path} is given for two outputs; give each its own file")
        seen[key] = name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"cannot create directory {path.parent}: {exc.strerror}") from None
    return path


# ---------------------------------------------------------------- numbers


class FiniteFloat(click.FloatRange):
    """A float option that refuses NaN and ±inf (and, with bounds, out-of-range values).

    Every float option of the command tree is this type: :func:`harden_options` swaps
    ``click.FLOAT`` and ``click.FloatRange`` for it when the group is assembled.
    """

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        v = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.min is None and self.max is None:
            return v
        return super().convert(v, param, ctx)


def _finite_version(t: Any) -> Any:
    if isinstance(t, FiniteFloat):
        return None
    if isinstance(t, click.FloatRange):
        return FiniteFloat(t.min, t.max, min_open=t.min_open, max_open=t.max_open, clamp=t.clamp)
    if t is click.FLOAT or type(t) is click.types.FloatParamType:
        return FiniteFloat()
    if isinstance(t, click.Tuple):
        types = [_finite_version(x) or x for x in t.types]
        if any(a is not b for a, b in zip(types, t.types, strict=True)):
            return click.Tuple(types)
    return None


class InputFile(click.Path):
    """An existing input file that must be a *regular* file: a FIFO would block the
    command forever, ``/dev/zero`` would fill the memory."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import stat

        out = super().convert(value, param, ctx)
        try:
            st = os.stat(out)
        except OSError:
            return out  # click reported a missing file already, if it had to
        if not stat.S_ISREG(st.st_mode):
            self.fail(f"{value!r} is not a regular file", param, ctx)
        return out


def _input_file_version(t: Any) -> Any:
    if isinstance(t, InputFile) or not isinstance(t, click.Path):
        return None
    if not (t.exists and t.file_okay and not t.dir_okay):
        return None
    return InputFile(
        exists=True,
        file_okay=True,
        dir_okay=False,
        readable=t.readable,
        resolve_path=t.resolve_path,
        allow_dash=t.allow_dash,
        path_type=t.type,
    )


#: Largest random seed an option takes (numpy seeds must be >= 0; 32 bits).
MAX_SEED = 2**32 - 1


def _seed_version(param: click.Parameter) -> Any:
    t = param.type
    if param.name != "seed" or not (t is click.INT or isinstance(t, click.IntRange)):
        return None
    if isinstance(t, click.IntRange) and (t.min, t.max) == (0, MAX_SEED):
        return None
    return click.IntRange(0, MAX_SEED)


def harden_options(group: click.Command) -> None:
    """Make every float option of ``group`` (recursively) a :class:`FiniteFloat`, every
    existing-file option an :class:`InputFile` and every ``--seed`` an integer in
    0..:data:`MAX_SEED`."""
    for param in group.params:
        new = (_finite_version(param.type) or _input_file_version(param.type)
               or _seed_version(param))
        if new is not None:
            param.type = new
    if isinstance(group, click.Group):
        for cmd in group.commands.values():
            harden_options(cmd)


def parse_float_list(
    text: str, what: str, lo: float | None = None, hi: float | None = None
) -> tuple[float, ...]:
    """A comma-separated list of finite numbers; empty items (``1e-9,,2e-9``) refused."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or any(not p for p in parts):
        raise ParameterError(f"{what}: empty item in {text!r}")
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        raise ParameterError(f"{what} must be comma-separated numbers, got {text!r}") from None
    for v in vals:
        if not math.isfinite(v):
            raise ParameterError(f"{what}: {v} is not a finite number")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise ParameterError(f"{what} must be numbers in [{lo:g}, {hi:g}], got {text!r}")
    return vals


def parse_int_list(text: str, what: str, lo: int, hi: int) -> tuple[int, ...]:
    """A comma-separated list of integers in ``lo..hi``; empty items refused."""
    parts = [p.strip() for p in str(text).split(",")]
    if any(not p for p in parts):
        raise ParameterError(f"{what}: empty item in {text!r}")
    try:
        vals = tuple(int(p) for p in parts)
    except ValueError:
        raise ParameterError(f"{what} must be comma-separated integers, got {text!r}") from None
    if any(not lo <= v <= hi for v in vals):
        raise ParameterError(f"{what} must be integers in {lo}..{hi}, got {text!r}")
    return vals


# ---------------------------------------------------------------- memory


def available_memory_bytes() -> int:
    """Memory this machine can give a new allocation now (``MemAvailable``), bytes."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError):  # pragma: no cover - not Linux
        return 1 << 62


def check_memory(needed_bytes: float, what: str) -> None:
    """Refuse (exit 2, with the estimate) work whose estimated memory exceeds what the
    machine has available now."""
    have = available_memory_bytes()
    if needed_bytes > have:
        gib = 1024.0**3
        raise ParameterError(
            f"{what} needs an estimated {needed_bytes / gib:.1f} GiB of memory; this machine "
            f"has {have / gib:.1f} GiB available — choose a smaller size"
        )


# ---------------------------------------------------------------- the group


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


class SpinspiceGroup(click.Group):
    """The command group: click's usage errors in the same one-line style as ours."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        parent: Any = super()
        if not standalone:
            return parent.main(*args, standalone_mode=False, **kwargs)
        import signal
        import threading

        previous: Any = None
        if threading.current_thread() is threading.main_thread():
            # SIGTERM becomes SystemExit(143): cleanup (ngspice's process group, run
            # directories, temporary output files) runs instead of the process vanishing.
            previous = signal.signal(signal.SIGTERM, _exit_on_signal)
        try:
            rv = parent.main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            _fail(" ".join(exc.format_message().split()) + hint)
        except click.ClickException as exc:
            _fail(exc.format_message().replace("\n", " "))
        except click.exceptions.Abort:
            _console(stderr=True).print("interrupted", markup=False)
            sys.exit(130)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        sys.exit(rv if isinstance(rv, int) else 0)


def _remember_osdi(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta[f"spinspice.{param.name}"] = tuple(value or ())
    return value


def technology_options(func: F) -> F:
    """Options selecting the MOSFET models (and the OSDI models a library needs)."""
    func = click.option(
        "--va",
        "va",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        expose_value=False,
        callback=_remember_osdi,
        help="Verilog-A model the library's devices need (repeatable); compiled with "
        "openvaf-r into the private cache ~/.cache/spinspice and loaded as --osdi.",
    )(func)
    func = click.option(
        "--osdi",
        "osdi",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        expose_value=False,
        callback=_remember_osdi,
        help="Compiled OSDI model the library's devices need (repeatable), loaded with "
        "pre_osdi. NATIVE CODE of your choosing: ngspice runs it with your rights.",
    )(func)
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


def _remember_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta["spinspice.quiet"] = bool(value)
    return value


def simulator_options(func: F) -> F:
    """Options selecting and configuring the simulator backend (and ``--quiet``)."""
    func = quiet_option(func)
    func = click.option(
        "--engine",
        type=click.Choice(["auto", "ngspice", "vacask", "fast"]),
        default="auto",
        show_default=True,
        expose_value=False,
        callback=_remember_engine,
        help="Simulator: ngspice; VACASK (independent integrator and solver; the MTJ runs "
        "as its Verilog-A twin; bundled MOSFET models only); fast (spinspice's quasi-static "
        "array solver for reads, settled values only, ngspice for everything else); auto: "
        f"fast for arrays above {AUTO_FAST_CELLS} cells, else ngspice.",
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
        type=FiniteFloat(min=0.1, max=1e6),
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


#: ``--engine auto`` picks the fast quasi-static solver for reads above this many cells
#: (32×32): there ngspice's sparse LU dominates (docs/engineering_facts.md §1), below it the
#: transient is cheap and gives latency and energy too.
AUTO_FAST_CELLS = 32 * 32


def chosen_engine() -> str:
    """The ``--engine`` value of the running command (``auto`` when it has none)."""
    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get("spinspice.engine", "auto")) if ctx is not None else "auto"


def make_backend(
    backend: str, timeout_s: float, threads: int, keep_run_dir: bool, *, cells: int = 0
) -> Any:
    """The engine chosen on the command line, wrapped so that identical jobs run once.

    ``cells``: the largest array the command simulates (for ``--engine auto``). Every kept
    run directory (``--keep-run-dir``, or a failed run) is printed on stderr.
    """
    from spinspice.analysis.runner import CachingEngine, NgspiceOptions, NgspiceSubprocess

    engine: Any
    name = chosen_engine()
    if name == "auto":
        name = "fast" if cells > AUTO_FAST_CELLS else "ngspice"
    if name == "fast":
        from spinspice.analysis.array_solver import FastEngine, QuasiStaticFirst

        ngspice = NgspiceSubprocess(
            NgspiceOptions(
                timeout_s=timeout_s,
                num_threads=threads,
                keep_run_dir=keep_run_dir,
                on_kept=_report_kept,
            )
        )
        return CachingEngine(QuasiStaticFirst(FastEngine(characteriser=ngspice), ngspice))
    if name == "vacask":
        from spinspice.analysis.vacask_engine import VacaskEngine, VacaskOptions

        if backend != "subprocess":
            raise click.BadParameter("--backend pyspice runs ngspice; drop it for --engine vacask")
        engine = VacaskEngine(
            VacaskOptions(timeout_s=timeout_s, keep_run_dir=keep_run_dir, on_kept=_report_kept)
        )
    elif backend == "pyspice":
        from spinspice.analysis.pyspice_backend import PySpiceShared

        engine = PySpiceShared(num_threads=threads, timeout_s=timeout_s)
    else:
        engine = NgspiceSubprocess(
            NgspiceOptions(
                timeout_s=timeout_s,
                num_threads=threads,
                keep_run_dir=keep_run_dir,
                on_kept=_report_kept,
            )
        )
    ctx = click.get_current_context(silent=True)
    quiet = bool(ctx.meta.get("spinspice.quiet")) if ctx is not None else True
    label = ctx.command_path.removeprefix("spinspice ") if ctx is not None else "simulate"
    return CachingEngine(ProgressEngine(engine, label=label, quiet=quiet))


def _progress_display() -> Any:
    """The one progress display of every command: description, bar, done/total, elapsed
    time, on stderr, cleared when it ends."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=_console(stderr=True), transient=True)


class ProgressEngine:
    """An engine adapter that shows a rich progress bar on stderr while jobs run (one bar
    per ``run`` call: job count, current job key, elapsed time); ``quiet`` turns it off."""

    def __init__(self, inner: Any, *, label: str, quiet: bool) -> None:
        self.inner = inner
        self.label = label
        self.quiet = quiet

    @property
    def name(self) -> str:
        """The wrapped engine's name."""
        return str(self.inner.name)

    def available(self) -> bool:
        """True if the wrapped engine is."""
        return bool(self.inner.available())

    def run(self, jobs: Any) -> list[Any]:
        """Results of ``jobs``, one at a time under the bar."""
        jobs = list(jobs)
        if self.quiet or not jobs:
            return list(self.inner.run(jobs))
        out: list[Any] = []
        with _progress_display() as bar:
            task = bar.add_task(self.label, total=len(jobs))
            for job in jobs:
                bar.update(task, description=f"{self.label}: {job.key}")
                out.extend(self.inner.run([job]))
                bar.advance(task)
        return out


def quiet_option(func: F) -> F:
    """``--quiet``: no progress bar on stderr (part of :func:`simulator_options`)."""
    return click.option(
        "--quiet", is_flag=True, expose_value=False, callback=_remember_quiet,
        help="No progress bar on stderr.",
    )(func)


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr for work that reports (done, total); a no-op under
    ``--quiet`` or outside a command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.meta.get("spinspice.quiet"):
        yield lambda done, total: None
        return
    with _progress_display() as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


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
    from spinspice.spintronic_cells.fit_checks import load_checked_fit

    return load_checked_fit(fit_path) if fit_path is not None else get(cell).default_fit()


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

    tech = cli_technology(config, models, corner)
    return get(cell).make_design(DesignSpec(rows=rows, cols=cols, technology=tech, fit=fit))


def cli_technology(config: Path | None, models: Path | None, corner: str | None) -> Any:
    """The technology of ``--config/--models/--corner`` plus ``--osdi``/``--va``."""
    from spinspice.netlists.technology import load_technology

    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    return load_technology(
        config,
        models=models,
        corner=corner,
        osdi=meta.get("spinspice.osdi", ()),
        va=meta.get("spinspice.va", ()),
    )
