"""``spinspice netlist``: export the decks of any registered family and operation."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from spinspice.analysis.families import get, names
from spinspice.cli._common import (
    _console,
    array_design,
    fit_option,
    handle_errors,
    load_device_fit,
    technology_options,
)


@click.command("netlist")
@click.option(
    "--cell",
    type=click.Choice(names("jobs")),
    required=True,
    help="Cell family (from the family registry).",
)
@click.option(
    "--op",
    "operation",
    required=True,
    help="Operation whose decks to write (per family: see the error message for a wrong one; "
    "4t2r: gxnor, ff, bp, update; 2t1r: ff, bp, update; 1t1r/1r: read, 2phase, "
    "[4phase,] and their -transient updates).",
)
@click.option("--rows", type=click.IntRange(1, 1024), required=True, help="Array rows M.")
@click.option("--cols", type=click.IntRange(1, 1024), required=True, help="Array columns N.")
@click.option(
    "--mtj-model",
    type=click.Choice(["behavioural", "osdi"]),
    default="behavioural",
    show_default=True,
    help="MTJ as a B-source subcircuit or as the compiled Verilog-A twin (the .va and .osdi "
    "are copied into DIR).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seed of the random weights, inputs and MTJ draws of the decks.",
)
@click.option(
    "--dialect",
    type=click.Choice(["ngspice", "vacask"]),
    default="ngspice",
    show_default=True,
    help="Netlist dialect: ngspice decks (.cir), or VACASK decks (.sim, Spectre-like; the MTJ "
    "as its compiled Verilog-A twin, bundled MOSFET models only).",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="New (or empty) directory to write the decks, files, manifest.json and README.txt.",
)
@fit_option
@technology_options
@handle_errors
def netlist(
    cell: str,
    operation: str,
    rows: int,
    cols: int,
    mtj_model: str,
    seed: int,
    dialect: str,
    out_dir: Path,
    fit_path: Path | None,
    models: Path | None,
    corner: str | None,
    config: Path | None,
) -> None:
    """Write the ngspice decks of one operation of an M×N array, ready for plain ngspice.

    The directory is self-contained: every path inside it is relative, the model library
    (and what it includes) and any Verilog-A model are copied in, and README.txt gives the
    command per deck (cd DIR && ngspice -b -r X.raw -o X.log X.cir).
    """
    from spinspice import __version__
    from spinspice.analysis.export import export_jobs, ngspice_command
    from spinspice.netlists.job import JobFile
    from spinspice.netlists.mtj_model import verilog_a_source

    family = get(cell)
    fit = load_device_fit(cell, fit_path)
    design = array_design(cell, rows, cols, config, models, corner, fit)
    jobs = family.build_jobs(design, fit, operation, seed=seed, mtj_model=mtj_model)  # type: ignore[arg-type]
    if mtj_model == "osdi":
        from dataclasses import replace

        va = JobFile.of(f"va/{verilog_a_source().name}", verilog_a_source())
        jobs = [replace(j, files=(*j.files, va)) if j.deck.osdi else j for j in jobs]
    header = {
        "spinspice": __version__,
        "family": cell,
        "operation": operation,
        "rows": rows,
        "cols": cols,
        "seed": seed,
        "mtj_model": mtj_model,
        "fit_preset": fit.preset,
    }
    if dialect == "vacask":
        from spinspice.analysis.export import export_vacask_jobs, vacask_export_command

        sims = export_vacask_jobs(jobs, out_dir, header=header)
        con = _console()
        for d in sims:
            con.print(f"{d}  ->  cd {out_dir} && {vacask_export_command(d.name)}", markup=False)
        con.print(f"wrote {len(sims)} VACASK deck(s), manifest.json and README.txt to {out_dir}")
        sys.stdout.flush()
        return
    decks = export_jobs(jobs, out_dir, header=header)
    con = _console()
    for d in decks:
        con.print(f"{d}  ->  cd {out_dir} && {ngspice_command(d.name)}", markup=False)
    con.print(f"wrote {len(decks)} deck(s), manifest.json and README.txt to {out_dir}")
    sys.stdout.flush()
