"""``spinspice gxnor``: the 4T2R GXNOR truth table (12 cases) simulated in ngspice."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from spinspice.cli._common import (
    EXIT_FAILED_CHECK,
    _console,
    _prepare_output,
    cli_technology,
    handle_errors,
    make_backend,
    simulator_options,
    technology_options,
)


@click.command("gxnor")
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
    csv_out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    tech = cli_technology(config, models, corner)
    design = Synapse4T2RDesign(technology=tech, r_on_ohm=r_on, r_off_ohm=r_off)
    result = run_gxnor(
        design,
        make_backend(backend, timeout_s, threads, keep_run_dir),
        v_rd_V=v_rd,
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

