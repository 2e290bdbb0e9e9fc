"""Command-line interface: parses options and delegates; errors become one line + exit 2.

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

from spinspice import __version__
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


def simulator_options(func: F) -> F:
    """Options selecting and configuring the simulator backend."""
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


def make_backend(backend: str, timeout_s: float, threads: int, keep_run_dir: bool) -> Any:
    """The simulator backend chosen on the command line."""
    if backend == "pyspice":
        from spinspice.analysis.pyspice_backend import PySpiceShared

        return PySpiceShared(num_threads=threads)
    from spinspice.analysis.runner import NgspiceOptions, NgspiceSubprocess

    return NgspiceSubprocess(
        NgspiceOptions(timeout_s=timeout_s, num_threads=threads, keep_run_dir=keep_run_dir)
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="spinspice")
def cli() -> None:
    """spinspice: MTJ synapse circuits, simulated in ngspice.

    All values are SI: volts (V), ohms, seconds (s), amperes (A). Numbers are plain
    decimals or exponent form (1.5e3, 2e-9); SPICE suffixes such as 1Meg are refused.
    """


@cli.command()
@handle_errors
def doctor() -> None:
    """Report ngspice (path, version, KLU, OSDI), the Verilog-A compiler and Python packages.

    Each feature is checked by actually using it. Exit code 2 if something required
    is missing; each missing item comes with an install hint.
    """
    from rich.table import Table

    from spinspice.analysis.environment import run_checks

    checks = run_checks()
    table = Table(title=f"spinspice {__version__} environment")
    table.add_column("component")
    table.add_column("status")
    table.add_column("detail")
    table.add_column("how to fix")
    for c in checks:
        status = "[green]ok[/]" if c.ok else "[red]MISSING[/]"
        table.add_row(c.name, status, c.detail, "" if c.ok else c.hint)
    _console().print(table)
    if not all(c.ok for c in checks):
        sys.exit(EXIT_BAD_INPUT)


@cli.command()
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("gxnor.csv"),
    show_default=True,
    help="Output table, one row per case: input,weight,u_V,r1_ohm,r2_ohm,i_out_A,"
    "i_ideal_A,expected,sign_ok,abs_ratio_to_min_nonzero (currents in A).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a bar chart of |i_out| per case (format from the suffix: .png, .pdf, .svg).",
)
@click.option(
    "--v-rd",
    "v_rd",
    type=click.FloatRange(min=0.0, min_open=True),
    default=0.1,
    show_default=True,
    help="Read voltage V_rd in volts (> 0, at most V_dd); inputs -1/0/+1 map to -V_rd/0/+V_rd.",
)
@click.option(
    "--r-on",
    type=click.FloatRange(min=0.0, min_open=True),
    default=1500.0,
    show_default=True,
    help="MTJ parallel-state resistance in ohms (seed 001 Table 3).",
)
@click.option(
    "--r-off",
    type=click.FloatRange(min=0.0, min_open=True),
    default=2500.0,
    show_default=True,
    help="MTJ antiparallel-state resistance in ohms (seed 001 Table 3).",
)
@click.option(
    "--zero-ratio",
    type=click.FloatRange(min=1.0, min_open=True),
    default=10.0,
    show_default=True,
    help="A zero case passes if its |i_out| is this many times below the smallest nonzero one.",
)
@technology_options
@simulator_options
@handle_errors
def gxnor(
    csv_path: Path,
    plot_path: Path | None,
    v_rd: float,
    r_on: float,
    r_off: float,
    zero_ratio: float,
    models: Path | None,
    corner: str | None,
    config: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Simulate the 4T2R synapse GXNOR truth table (12 cases) in ngspice.

    Inputs {-1, 0, +1} (voltages -V_rd, 0, +V_rd) x weights {-1, 0s, 0w, +1}
    (seed 001 Table 1). A nonzero case passes when sign(i_out) = GXNOR(input, weight); a
    zero case when |i_out| is --zero-ratio times below the smallest nonzero |i_out|.
    i_out (A) is positive out of the cell into the grounded row. Exit code 1 if any case
    fails.
    """
    from rich.table import Table

    from spinspice.analysis.gxnor import plot_gxnor, run_gxnor
    from spinspice.analysis.tables import write_csv
    from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign
    from spinspice.netlists.technology import load_technology

    csv_out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    tech = load_technology(config, models=models, corner=corner)
    design = Synapse4T2RDesign(technology=tech, r_on_ohm=r_on, r_off_ohm=r_off)
    result = run_gxnor(
        design,
        v_rd_V=v_rd,
        backend=make_backend(backend, timeout_s, threads, keep_run_dir),
        zero_ratio=zero_ratio,
    )
    df = result.table()
    assert csv_out is not None
    write_csv(df, csv_out)
    if plot_out is not None:
        plot_gxnor(result, plot_out)
    table = Table(title=f"4T2R GXNOR, V_rd = {v_rd:g} V ({tech.library.name} {tech.corner or ''})")
    for col in ("input", "weight", "i_out_A", "i_ideal_A", "expected", "sign_ok"):
        table.add_column(col, justify="right")
    for row in df.itertuples(index=False):
        table.add_row(
            f"{row.input:+d}",
            str(row.weight),
            f"{row.i_out_A:.4e}",
            f"{row.i_ideal_A:.4e}",
            f"{row.expected:+d}",
            "[green]yes[/]" if row.sign_ok else "[red]NO[/]",
        )
    con = _console()
    con.print(table)
    con.print(f"wrote {csv_out}" + (f" and {plot_out}" if plot_out else ""))
    if result.passed:
        con.print(f"[green]PASS[/]: all {len(df)} cases correct")
    else:
        con.print(f"[red]FAIL[/]: {int((~df['sign_ok']).sum())} of {len(df)} cases wrong")
        sys.exit(EXIT_FAILED_CHECK)


def _widths(text: str) -> list[float]:
    try:
        values = [float(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: give comma-separated pulse widths in seconds, e.g. 0.5e-9,1e-9,2e-9"
        ) from None
    if not values or any(not (v > 0 and v < 1) for v in values):
        raise click.BadParameter("pulse widths must be > 0 and < 1 s")
    return values


@cli.group()
def device() -> None:
    """Single-MTJ physics: switching probability and the behavioural-model fit."""


@device.command("psw")
@click.option("--preset", default="seed001-device-c", show_default=True,
              help="Device parameter preset (seed 001 Table 3 device C).")
@click.option("--from", "from_state", type=click.Choice(["AP", "P"]), required=True,
              help="Start state; the pulse polarity is the one that switches it.")
@click.option("--voltage", type=click.FloatRange(min=0.0, min_open=True), required=True,
              help="Pulse amplitude straight across the MTJ, in volts (> 0).")
@click.option("--widths", required=True,
              help="Comma-separated pulse widths in seconds, e.g. 0.5e-9,1e-9,2e-9.")
@click.option("--model", type=click.Choice(["analytic", "analytic-hc", "thermal", "precessional",
              "llg", "spice"]), default="analytic", show_default=True,
              help="Switching model: closed forms, LLG Monte Carlo, or the fitted behavioural "
              "model simulated in ngspice.")
@click.option("--trials", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True,
              help="Trials (llg) or simulated instances (spice, at most 5000).")
@click.option("--temperature", type=click.FloatRange(260.0, 373.0), default=None,
              help="Temperature in kelvin (260-373 K, seed 001 Table 7); default: the preset's.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (llg, spice).")
@click.option("--fit", "fit_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Behavioural fit JSON for --model spice (default: shipped fit).")
@click.option("--mtj-model", type=click.Choice(["behavioural", "osdi"]), default="behavioural",
              show_default=True, help="For --model spice: B-source subcircuit or Verilog-A/OSDI.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output: width_s,psw,psw_low,psw_high,model,from_state,voltage_V,"
              "temperature_K,trials (widths in s).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="PNG: P_sw against width (and the switching-time histogram "
              "for llg/spice).")
@click.option("--draws", "draws_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="For --model spice: CSV of every instance's random draw "
              "(theta in rad, thresholds) and switching time (s).")
@handle_errors
def device_psw(preset: str, from_state: str, voltage: float, widths: str, model: str,
               trials: int, temperature: float | None, seed: int, fit_path: Path | None,
               mtj_model: str, csv_path: Path, plot_path: Path | None,
               draws_path: Path | None) -> None:
    """Switching probability P_sw of one MTJ versus pulse width (writes a CSV table)."""
    import numpy as np

    from spinspice.analysis.device import draws_table, plot_psw, psw_table
    from spinspice.analysis.tables import write_csv
    from spinspice.spintronic_cells.fit import load_fit, shipped_fit
    from spinspice.spintronic_cells.presets import get_preset

    out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    draws_out = _prepare_output(draws_path)
    if draws_out is not None and model != "spice":
        raise click.BadParameter("--draws needs --model spice", param_hint="--draws")
    params = get_preset(preset)
    fit = None
    if model == "spice":
        fit = load_fit(fit_path) if fit_path else shipped_fit(preset)
    df = psw_table(params, from_state=from_state, voltage_V=voltage,  # type: ignore[arg-type]
                   widths_s=np.asarray(_widths(widths)), model=model, trials=trials,
                   temperature_K=temperature, seed=seed, fit=fit,
                   mtj_kind=mtj_model)  # type: ignore[arg-type]
    assert out is not None
    write_csv(df, out)
    if plot_out is not None:
        plot_psw(df, plot_out)
    if draws_out is not None:
        write_csv(draws_table(df), draws_out)
    _console().print(df[["width_s", "psw", "psw_low", "psw_high"]].to_string(index=False))
    _console().print(f"wrote {out}" + (f" and {plot_out}" if plot_out else ""))


@device.command("fit")
@click.option("--preset", default="seed001-device-c", show_default=True, help="Device preset.")
@click.option("--trials", type=click.IntRange(100, 200_000), default=5000, show_default=True,
              help="Monte Carlo trials per voltage and direction.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Output JSON (versioned, with provenance and residuals).")
@handle_errors
def device_fit(preset: str, trials: int, seed: int, out_path: Path) -> None:
    """Fit the behavioural MTJ model to the LLG Monte Carlo (both directions)."""
    from spinspice.analysis.tables import write_atomic
    from spinspice.spintronic_cells.fit import fit_behavioural
    from spinspice.spintronic_cells.presets import get_preset

    out = _prepare_output(out_path)
    fit = fit_behavioural(get_preset(preset), preset=preset, n_trials=trials, seed=seed)
    assert out is not None
    write_atomic(out, lambda p: p.write_text(fit.to_json()))
    for d in (fit.ap_to_p, fit.p_to_ap):
        _console().print(
            f"{d.direction}: C = {d.c_As:.4g} A*s, I_c = {d.ic_A * 1e6:.1f} uA, "
            f"theta0 = {d.theta0_rad:.3f} rad, CDF error rms {d.rms_cdf_error:.3f} "
            f"max {d.max_cdf_error:.3f}"
        )
    _console().print(f"t_sw = {fit.tsw_s * 1e12:.1f} ps; wrote {out}")


def _register_subcommands() -> None:
    """Commands that live in their own modules (imported lazily by click at call time)."""
    from spinspice.cli_arrays import corners, energy
    from spinspice.cli_sneak import sneak
    from spinspice.cli_train import train

    for command in (corners, energy, sneak, train):
        cli.add_command(command)


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="spinspice")


if __name__ == "__main__":  # pragma: no cover
    main()
