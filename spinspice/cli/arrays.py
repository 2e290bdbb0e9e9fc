"""``spinspice corners`` and ``spinspice energy``: array verification and energy tables."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from spinspice.analysis.families import names
from spinspice.array_builder.array_4t2r import MAX_ARRAY_SIDE
from spinspice.cli._common import (
    EXIT_FAILED_CHECK,
    _console,
    _prepare_output,
    array_design,
    chosen_engine,
    fit_option,
    handle_errors,
    load_device_fit,
    make_backend,
    parse_int_list,
    simulator_options,
    technology_options,
)

_SIZE = re.compile(r"^\s*(\d{1,4})\s*[xX×]\s*(\d{1,4})\s*$")


def _sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        m = _SIZE.match(part)
        if not m:
            raise click.BadParameter(f"{part!r} is not a size like 64x64", param_hint="--sizes")
        out.append((int(m.group(1)), int(m.group(2))))
    return out


def _int_list(text: str, what: str) -> list[int]:
    return list(parse_int_list(text, what, 1, MAX_ARRAY_SIDE))


@click.command("corners")
@click.option(
    "--cell",
    type=click.Choice(names("corners")),
    default="4t2r",
    show_default=True,
    help="Synapse cell family (from the family registry).",
)
@click.option("--rows", type=click.IntRange(1, 1024), required=True, help="Array rows M.")
@click.option("--cols", type=click.IntRange(1, 1024), required=True, help="Array columns N.")
@click.option(
    "--op",
    "op",
    type=click.Choice(["all", "ff", "bp", "update"]),
    default="all",
    show_default=True,
    help="Operation(s) to check.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the random weights, activations and MTJ draws.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Output: one row per (corner, operation): corner,operation,passed and the "
    "figures with units in their names (A, s, J; error_lsb in synapse currents).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    default=None,
    help="PNG of the feedforward output waveforms with only column 1 driven (the worst "
    "corner [M,1]), in units of one synapse current.",
)
@click.option(
    "--sweep",
    "sweep",
    type=str,
    default=None,
    help="Also find the largest N×N array whose fully loaded feedforward decodes, "
    "over these sizes (e.g. 4,8,16,32).",
)
@click.option(
    "--sweep-csv",
    type=click.Path(path_type=Path),
    default=None,
    help="Output of --sweep (size,max_abs_error_lsb,worst_row,decodes,why).",
)
@fit_option
@technology_options
@simulator_options
@handle_errors
def corners(
    cell: str,
    rows: int,
    cols: int,
    op: str,
    seed: int,
    csv_path: Path,
    plot_path: Path | None,
    sweep: str | None,
    sweep_csv: Path | None,
    fit_path: Path | None,
    models: Path | None,
    corner: str | None,
    config: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Simulate an M×N synapse array in ngspice and check its four corner synapses.

    Checks GXNOR sign and the row/column-current error against the ideal integer count
    (seed 001 eq. 31-32, in units of one synapse current; < 0.5 decodes), read disturb,
    the stochastic update against the fitted MTJ law, settling latency (s) and energy (J).
    [M,1] is the worst case (seed 001 §5.2.1). Exit code 1 if any check fails.
    """
    from spinspice.analysis.families import get
    from spinspice.analysis.tables import write_csv

    family = get(cell, "corners")
    out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    sweep_out = _prepare_output(sweep_csv)
    sizes = _int_list(sweep, "--sweep") if sweep else []
    if sweep_csv and not sweep:
        raise click.BadParameter("--sweep-csv needs --sweep", param_hint="--sweep-csv")
    if sizes and family.decode_sweep is None:
        raise click.BadParameter(
            f"--sweep is implemented for --cell {', '.join(names('sweep'))}", param_hint="--sweep"
        )
    largest = max([rows * cols, *(n * n for n in sizes)])
    sim = make_backend(backend, timeout_s, threads, keep_run_dir, cells=largest)
    ops = family.corner_operations if op == "all" else (op,)
    fit = load_device_fit(cell, fit_path)
    design = array_design(cell, rows, cols, config, models, corner, fit)
    df = family.run_corners(design, fit, operations=ops, seed=seed, engine=sim)
    assert out is not None
    write_csv(df, out)
    con = _console()
    show = [
        c
        for c in (
            "corner",
            "operation",
            "passed",
            "error_lsb",
            "latency_s",
            "energy_J",
            "psw_model",
        )
        if c in df.columns
    ]
    con.print(df[show].to_string(index=False))
    failed = not bool(df["passed"].all())
    if plot_out is not None and family.plot_worst_corner is not None:
        family.plot_worst_corner(design, seed, sim, plot_out)
    if sizes and family.decode_sweep is not None:

        def make(n: int) -> object:
            return array_design(cell, n, n, config, models, corner, fit)

        sw = family.decode_sweep(make, sizes, seed=seed, engine=sim)
        if sweep_out is not None:
            write_csv(sw, sweep_out)
        con.print(sw.to_string(index=False))
        bad = sw[~sw["decodes"]]
        good = sw[sw["decodes"]]
        largest = int(good["size"].max()) if len(good) else 0
        if len(bad):
            first = bad.iloc[0]
            con.print(
                f"largest decoding size {largest}x{largest}; decoding first fails at "
                f"{int(first['size'])}x{int(first['size'])} (row {int(first['worst_row'])}, "
                f"{first['max_abs_error_lsb']:.2f} LSB): {first['why']}"
            )
        else:
            con.print(f"all sizes decode (largest {largest}x{largest})")
    extra = [str(p) for p in (plot_out, sweep_out) if p is not None]
    con.print(f"wrote {out}" + "".join(f" and {p}" for p in extra))
    if failed:
        con.print(f"[red]FAIL[/]: {int((~df['passed'].astype(bool)).sum())} checks failed")
        sys.exit(EXIT_FAILED_CHECK)
    con.print(f"[green]PASS[/]: all {len(df)} corner checks")


@click.command("energy")
@click.option(
    "--cell",
    type=click.Choice(names("energy")),
    default="4t2r",
    show_default=True,
    help="Synapse cell family (from the family registry).",
)
@click.option(
    "--sizes",
    type=str,
    default="1x1,64x64,128x128",
    show_default=True,
    help="Array sizes MxN, comma separated.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of weights/inputs.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Output: cell,rows,cols,area_m2,p_ff_W,p_update_W,e_ff_J,e_update_J,"
    "tops_per_w_ff,tops_per_w_bp,tops_per_w_update (+ with periphery, e_bp_J, ...).",
)
@click.option(
    "--method",
    type=click.Choice(["transient", "op"]),
    default="transient",
    show_default=True,
    help="Read energies from full transients, or quasi-statically from the DC operating "
    "point plus wire charging (within ~3 % of the transient, for 128x128 and larger).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    default=None,
    help="PNG of energy per operation against array size.",
)
@fit_option
@technology_options
@simulator_options
@handle_errors
def energy(
    cell: str,
    sizes: str,
    seed: int,
    method: str,
    csv_path: Path,
    plot_path: Path | None,
    fit_path: Path | None,
    models: Path | None,
    corner: str | None,
    config: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Energy (J), power (W), area (m²) and TOPS/W of arrays, simulated in ngspice.

    Feedforward/backprop energies come from full-array transients; the update from one
    column slot times N plus the row-control charging (see docs/arrays.md). TOPS/W with and
    without the peripheral model of seed 001 Table 9.
    """
    from spinspice.analysis.energy import energy_table, plot_energy
    from spinspice.analysis.families import get
    from spinspice.analysis.tables import write_csv

    family = get(cell, "energy")
    if method not in family.energy_methods:
        raise click.BadParameter(
            f"--cell {cell} supports --method {', '.join(family.energy_methods)}",
            param_hint="--method",
        )
    out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    dims = _sizes(sizes)
    if chosen_engine() == "fast" and method != "op":
        raise click.BadParameter(
            "the fast engine gives quasi-static reads (no dynamic energy): use --method op, "
            "or --engine ngspice for transients",
            param_hint="--engine",
        )
    # auto: the fast solver for quasi-static reads of large arrays, ngspice for transients
    largest = max(m * n for m, n in dims) if method == "op" else 0
    sim = make_backend(backend, timeout_s, threads, keep_run_dir, cells=largest)
    fit = load_device_fit(cell, fit_path)
    designs = [array_design(cell, m, n, config, models, corner, fit) for m, n in dims]
    assert family.energy is not None
    df = energy_table(family.energy, designs, fit, seed=seed, engine=sim, method=method)
    assert out is not None
    write_csv(df, out)
    if plot_out is not None:
        plot_energy(df, plot_out)
    con = _console()
    con.print(
        df[
            [
                "rows",
                "cols",
                "area_m2",
                "p_ff_W",
                "p_update_W",
                "tops_per_w_ff",
                "tops_per_w_bp",
                "tops_per_w_update",
            ]
        ].to_string(index=False)
    )
    con.print(f"wrote {out}" + (f" and {plot_out}" if plot_out else ""))
