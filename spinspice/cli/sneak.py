"""`spinspice sneak`: sneak-path extraction per write phase of a seed 002 crossbar.

Parses options and delegates to :func:`spinspice.analysis.sneak.analyse`; toolkit errors
become one-line messages with exit code 2 (``spinspice.cli._common.handle_errors``).
"""

from __future__ import annotations

from pathlib import Path

import click

from spinspice.cli._common import quiet_option

#: Memory model of ``sneak`` (peak RSS with ``/usr/bin/time -v``, 1R 2-phase, interval
#: solver: 256² 188 MB, 1024² 1.19 GB, i.e. ≤ 490 B per cell and phase over ~160 MB of
#: imports; the sparse-LU path before needed ~5.6 kB per cell and phase).
SNEAK_BASE_BYTES = 160e6
SNEAK_BYTES_PER_CELL_PHASE = 600.0


@click.command("sneak")
@click.option(
    "--crossbar",
    "architecture",
    type=click.Choice(["1t1r", "1r"]),
    required=True,
    help="1T1R (seed 002 Fig. 4) or 1R (Fig. 5c) crossbar.",
)
@click.option(
    "--scheme",
    type=click.Choice(["2phase", "4phase"]),
    required=True,
    help="2-phase (§4.3, §4.4.1) or 4-phase (Table 4, 1R only) write schedule.",
)
@click.option("--rows", type=click.IntRange(1, 4096), required=True, help="M (inputs).")
@click.option("--cols", type=click.IntRange(1, 4096), required=True, help="N (outputs).")
@click.option(
    "--inputs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of M inputs x in [-1, 1].",
)
@click.option(
    "--errors",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of N errors delta in [-1, 1].",
)
@click.option(
    "--states",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="MTJ states grid (P/AP or 0/1); default: random (AP with probability 1/2).",
)
@click.option(
    "--random",
    "seed",
    type=click.IntRange(0, 2**32 - 1),
    help="Random inputs, errors and states from this seed.",
)
@click.option(
    "--pattern",
    type=click.Choice(["uniform", "signs", "worst"]),
    default="uniform",
    show_default=True,
    help="With --random: x, delta ~ U[-1, 1] (uniform), random signs with |x| = |delta| = 1 "
    "(signs); or the adversarial pattern of seed 002 §4.4 (worst, no seed needed).",
)
@click.option(
    "--linear-mtj",
    is_flag=True,
    help="Fixed MTJ resistances (R_P, R_AP at zero bias) instead of bias-dependent TMR.",
)
@click.option(
    "--ideal-periphery",
    is_flag=True,
    help="Drivers and selection transistors of 1 mOhm (the seed's idealised analysis).",
)
@click.option(
    "--p-threshold",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.01,
    show_default=True,
    help="Count unselected cells with P above this.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write one row per (phase, cell).",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the per-phase and per-scheme aggregates (CSV).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Heat maps of the sneak voltage per phase (PNG/PDF/SVG).",
)
@quiet_option
def sneak(
    architecture: str,
    scheme: str,
    rows: int,
    cols: int,
    inputs: Path | None,
    errors: Path | None,
    states: Path | None,
    seed: int | None,
    pattern: str,
    linear_mtj: bool,
    ideal_periphery: bool,
    p_threshold: float,
    csv_path: Path,
    summary_path: Path | None,
    plot_path: Path | None,
) -> None:
    """Voltage, current and false-switching probability of every cell in every write phase."""
    from spinspice.cli._common import _prepare_output, check_memory, handle_errors, progress_bar

    @handle_errors
    def run() -> None:
        import numpy as np

        # every output checked before any work (issue 12)
        out = _prepare_output(csv_path) or csv_path
        summary_out = _prepare_output(summary_path)
        plot_out = _prepare_output(plot_path)
        phases = 2 if scheme == "2phase" else 4
        check_memory(
            SNEAK_BASE_BYTES + rows * cols * SNEAK_BYTES_PER_CELL_PHASE * phases,
            f"sneak {rows}x{cols} {scheme}",
        )

        from spinspice.analysis.sneak import adversarial_inputs, analyse, plot_heatmaps
        from spinspice.analysis.tables import write_csv
        from spinspice.array_builder.crossbar import (
            CrossbarDesign,
            load_states,
            load_vector,
            random_inputs,
        )

        files = inputs is not None or errors is not None
        if pattern == "worst":
            if files or seed is not None:
                raise click.UsageError("--pattern worst takes no --inputs/--errors/--random")
            x, delta, st = adversarial_inputs(rows, cols)
        elif files:
            if inputs is None or errors is None or seed is not None:
                raise click.UsageError("give both --inputs and --errors, or --random SEED")
            x = load_vector(inputs, rows, "inputs x")
            delta = load_vector(errors, cols, "errors delta")
            st = random_inputs(rows, cols, 0)[2]
        elif seed is not None:
            x, delta, st = random_inputs(rows, cols, seed)
            if pattern == "signs":
                x, delta = np.where(x >= 0, 1.0, -1.0), np.where(delta >= 0, 1.0, -1.0)
        else:
            raise click.UsageError(
                "give --inputs FILE --errors FILE, --random SEED or --pattern worst"
            )
        if states is not None:
            st = load_states(states, (rows, cols))
        periphery = (
            {"r_driver_ohm": 1e-3, "r_select_on_ohm": 1e-3, "r_sense_ohm": 1e-3}
            if ideal_periphery
            else {}
        )
        design = CrossbarDesign(architecture=architecture, rows=rows, cols=cols, **periphery)  # type: ignore[arg-type]
        with progress_bar(f"sneak {architecture} {scheme} {rows}x{cols} intervals") as tick:
            result = analyse(
                design,
                x,
                delta,
                st,
                scheme,  # type: ignore[arg-type]
                bias=not linear_mtj,
                p_threshold=p_threshold,
                progress=tick,
            )
        write_csv(result.table, out)
        if summary_out is not None:
            write_csv(result.summary, summary_out)
        if plot_out is not None:
            plot_heatmaps(result, plot_out)
        total = result.summary.iloc[-1]
        click.echo(
            f"{architecture} {scheme} {rows}x{cols}: worst unselected |v| "
            f"{total['worst_v_unselected_V']:.4g} V ({total['worst_ratio']:.3f} of v_ref), mean "
            f"{total['mean_v_unselected_V']:.4g} V ({total['mean_ratio']:.3f}), expected false "
            f"switches {total['expected_false_switches']:.4g}; wrote {out}"
        )

    run()
