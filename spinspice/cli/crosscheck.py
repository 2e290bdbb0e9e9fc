"""``spinspice crosscheck``: one family operation in ngspice and in VACASK, vector by vector."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from spinspice.analysis.families import get, names
from spinspice.cli._common import (
    _console,
    _prepare_output,
    array_design,
    fit_option,
    handle_errors,
    load_device_fit,
    technology_options,
)


@click.command("crosscheck")
@click.option(
    "--cell",
    type=click.Choice(names("jobs")),
    required=True,
    help="Cell family (from the family registry).",
)
@click.option(
    "--op", "operation", required=True, help="Operation whose jobs to run in both engines."
)
@click.option("--rows", type=click.IntRange(1, 1024), required=True, help="Array rows M.")
@click.option("--cols", type=click.IntRange(1, 1024), required=True, help="Array columns N.")
@click.option(
    "--mtj-model",
    type=click.Choice(["behavioural", "osdi"]),
    default="behavioural",
    show_default=True,
    help="MTJ model of the ngspice run (VACASK always runs the Verilog-A twin).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seed of the random weights, inputs and MTJ draws.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Agreement table: quantity,time_s,ngspice,vacask,rel_diff.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1),
    default=3600.0,
    show_default=True,
    help="Time limit per simulator run, in seconds.",
)
@fit_option
@technology_options
@handle_errors
def crosscheck(
    cell: str,
    operation: str,
    rows: int,
    cols: int,
    mtj_model: str,
    seed: int,
    csv_path: Path,
    timeout_s: float,
    fit_path: Path | None,
    models: Path | None,
    corner: str | None,
    config: Path | None,
) -> None:
    """Run one operation's jobs in ngspice and in VACASK and write the agreement table.

    Rows per saved vector: the settled value (end of the analysis), the largest waveform
    difference (transients, relative to the vector's peak) and, for MTJ states, the
    switching times (rel_diff in s); plus the wall time of every job and of each engine.
    """
    import pandas as pd

    from spinspice.analysis.crosscheck import (
        COLUMNS,
        crosscheck_rows,
        run_crosscheck,
        signal_rows,
    )
    from spinspice.analysis.runner import NgspiceOptions, NgspiceSubprocess
    from spinspice.analysis.tables import write_csv
    from spinspice.analysis.vacask_engine import VacaskEngine, VacaskOptions

    out = _prepare_output(csv_path)
    assert out is not None
    family = get(cell)
    fit = load_device_fit(cell, fit_path)
    design = array_design(cell, rows, cols, config, models, corner, fit)
    jobs = family.build_jobs(design, fit, operation, seed=seed, mtj_model=mtj_model)  # type: ignore[arg-type]
    ngspice = NgspiceSubprocess(NgspiceOptions(timeout_s=timeout_s))
    vacask = VacaskEngine(VacaskOptions(timeout_s=timeout_s))
    err = _console(stderr=True)
    with err.status(f"{len(jobs)} job(s) in ngspice, then in VACASK ..."):
        check = run_crosscheck(jobs, ngspice, vacask)
    rows_ = crosscheck_rows(check)
    frame = pd.DataFrame([[getattr(r, c) for c in COLUMNS] for r in rows_], columns=list(COLUMNS))
    write_csv(frame, out)
    con = _console()
    con.print(f"{cell} {operation} {rows}x{cols}: {len(jobs)} job(s)", markup=False)
    con.print(
        f"wall time: ngspice {check.ngspice_wall_s:.2f} s, VACASK {check.vacask_wall_s:.2f} s "
        f"(x{check.vacask_wall_s / max(check.ngspice_wall_s, 1e-9):.2f})",
        markup=False,
    )
    con.print(
        f"simulator CPU time: ngspice {check.ngspice_cpu_s:.2f} s, VACASK "
        f"{check.vacask_cpu_s:.2f} s (x{check.vacask_cpu_s / max(check.ngspice_cpu_s, 1e-9):.2f})",
        markup=False,
    )
    for kind, label in (("settled", "settled signal currents"),
                        ("waveform", "signal-current waveforms (rel. to peak)")):
        sel = signal_rows(rows_, kind)
        if sel:
            worst = max(sel, key=lambda r: r.rel_diff)
            con.print(f"{label}: {len(sel)} vectors, worst rel_diff {worst.rel_diff:.2e} "
                      f"({worst.quantity})", markup=False)
    switches = [r for r in rows_ if ":switch:" in r.quantity]
    if switches:
        worst_s = max(switches, key=lambda r: r.rel_diff)
        shown = "never in one engine" if math.isinf(worst_s.rel_diff) else (
            f"{worst_s.rel_diff * 1e12:.3f} ps")
        con.print(f"MTJ switching times: {len(switches)} switches, worst difference {shown} "
                  f"({worst_s.quantity})", markup=False)
    con.print(f"wrote {len(rows_)} rows to {out}", markup=False)
    sys.stdout.flush()
