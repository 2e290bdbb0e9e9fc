"""``spinspice dw``: the domain-wall circuits of seed 004, simulated in ngspice.

Commands: ``synapse``, ``crossbar``, ``adc``, ``vote``, ``recurrent`` (one CSV each, columns
as documented in their help) and ``rnn`` (the recurrent-vs-time-lagged study).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from spinspice.cli._common import (
    _console,
    _prepare_output,
    handle_errors,
    make_backend,
    parse_float_list,
    progress_bar,
    quiet_option,
    simulator_options,
    technology_options,
)
from spinspice.errors import ParameterError


def _floats(_ctx: Any, param: Any, value: str | None) -> tuple[float, ...] | None:
    """Parse a comma-separated list of finite numbers (empty items refused)."""
    if value is None:
        return None
    try:
        return parse_float_list(value, "the list")
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param=param) from None


F = TypeVar("F", bound=Callable[..., Any])


def _dw_model_option(func: F) -> F:
    func = click.option(
        "--osdi-cache",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Directory for the compiled Verilog-A (default ~/.cache/spinspice/osdi).",
    )(func)
    return click.option(
        "--dw-model",
        type=click.Choice(["osdi", "behavioural"]),
        default="osdi",
        show_default=True,
        help="DW devices as the Verilog-A twins (compiled with openvaf-r) or as B-sources.",
    )(func)


def _csv_plot(default_csv: str, columns: str) -> Callable[[F], F]:
    def deco(func: F) -> F:
        func = click.option(
            "--plot",
            "plot_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Also write a figure (format from the suffix: .png, .pdf, .svg).",
        )(func)
        return click.option(
            "--csv",
            "csv_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=Path(default_csv),
            show_default=True,
            help=f"Output table, columns {columns} (+ more).",
        )(func)

    return deco


def _models(kind: str, cache: Path | None) -> Any:
    from spinspice.array_builder.dw_devices import dw_models

    return dw_models(kind, cache)  # type: ignore[arg-type]


def _status(message: str) -> Any:
    return _console(stderr=True).status(message, spinner="dots")


@click.group("dw")
def dw() -> None:
    """Domain-wall synapse crossbars of seed 004 (Dong et al.): synapse, crossbar with
    offset column, 3-bit racetrack ADC, recurrent neuron, time-domain majority vote.

    Device values: preset seed004-dw (docs/domain_wall.md lists each value's source).
    """


@dw.command("synapse")
@click.option(
    "--current",
    "i_A",
    type=float,
    default=-15e-6,
    show_default=True,
    help="Programming current, A (sign: + moves the wall towards X = 1, the AP end).",
)
@click.option(
    "--widths",
    callback=_floats,
    default="1e-9,2e-9,4e-9",
    show_default=True,
    help="Pulse widths to compare, s (comma-separated).",
)
@click.option("--pulses", type=click.IntRange(1, 200), default=20, show_default=True)
@click.option(
    "--x0",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="Start position (1 = the AP reset end).",
)
@_csv_plot("dw_synapse.csv", "pulse,width_s,x,g_S")
@_dw_model_option
@simulator_options
@handle_errors
def synapse(
    i_A: float,
    widths: tuple[float, ...],
    pulses: int,
    x0: float,
    csv_path: Path,
    plot_path: Path | None,
    dw_model: str,
    osdi_cache: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Conductance of one DW synapse vs pulse count and pulse width (seed 004 eq. 1)."""
    from spinspice.analysis.domain_wall import plot_synapse, run_synapse
    from spinspice.analysis.tables import write_csv
    from spinspice.spintronic_cells.domain_wall import DW_PRESETS

    p = DW_PRESETS["seed004-dw"]
    out = _prepare_output(csv_path)
    plot = _prepare_output(plot_path)
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    df = run_synapse(
        p, engine, _models(dw_model, osdi_cache), i_A=i_A, widths_s=widths, n_pulses=pulses, x0=x0
    )
    assert out is not None
    write_csv(df, out)
    if plot is not None:
        plot_synapse(df, plot)
    err = float((df["x"] - df["x_law"]).abs().max())
    _console().print(
        f"wrote {out}: {len(df)} rows; max |X_ngspice - X_law| = {err:.2e}; "
        f"G {df['g_S'].min() * 1e6:.2f}..{df['g_S'].max() * 1e6:.2f} uS"
    )


@dw.command("crossbar")
@click.option("--rows", type=click.IntRange(1, 256), default=32, show_default=True)
@click.option("--cols", type=click.IntRange(1, 256), default=32, show_default=True)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the random weights, inputs and programming variation.",
)
@click.option("--vectors", type=click.IntRange(1, 2000), default=100, show_default=True)
@click.option("--no-variation", is_flag=True, help="Program the weights ideally.")
@click.option(
    "--access-w",
    "access_w_m",
    type=click.FloatRange(1e-8, 1e-4),
    default=None,
    help="Access NMOS width, m (default: the technology's NMOS width).",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the one-row error summary CSV.",
)
@_csv_plot("dw_crossbar.csv", "vector,col,i_out_A,i_ideal_A,error_lsb")
@_dw_model_option
@technology_options
@simulator_options
@handle_errors
def crossbar(
    rows: int,
    cols: int,
    seed: int,
    vectors: int,
    no_variation: bool,
    access_w_m: float | None,
    summary_path: Path | None,
    csv_path: Path,
    plot_path: Path | None,
    dw_model: str,
    osdi_cache: Path | None,
    models: Path | None,
    corner: str | None,
    config: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Dot products of an M x N DW crossbar (offset column, V_DD/2 buffer) vs the ideal.

    Random 4-bit weights and binary inputs from --seed; error_lsb = (i_out - i_ideal)/LSB,
    LSB = V_DD/2 (G_P - G_AP)/15.
    """
    import pandas as pd

    from spinspice.analysis.domain_wall import plot_crossbar, run_crossbar
    from spinspice.analysis.tables import write_csv
    from spinspice.array_builder.dw_crossbar import DWCrossbarDesign
    from spinspice.cli._common import cli_technology

    out = _prepare_output(csv_path)
    plot = _prepare_output(plot_path)
    summ = _prepare_output(summary_path)
    tech = cli_technology(config, models, corner)  # with --osdi/--va
    design = DWCrossbarDesign(rows=rows, cols=cols, technology=tech, access_w_m=access_w_m)
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    with _status(f"simulating the {rows}x{cols} DW crossbar, {vectors} vectors"):
        res = run_crossbar(
            design,
            engine,
            _models(dw_model, osdi_cache),
            n_vectors=vectors,
            seed=seed,
            variation=not no_variation,
        )
    assert out is not None
    write_csv(res.table(), out)
    s = res.summary()
    if summ is not None:
        write_csv(
            pd.DataFrame(
                [
                    {
                        "rows": rows,
                        "cols": cols,
                        "vectors": vectors,
                        "seed": seed,
                        "variation": not no_variation,
                        **s,
                    }
                ]
            ),
            summ,
        )
    if plot is not None:
        plot_crossbar(res, plot)
    _console().print(
        f"wrote {out}: {rows}x{cols}, {vectors} vectors, LSB = {s['lsb_A'] * 1e6:.3f} uA, "
        f"full scale up to {s['max_ideal_lsb']:.0f} LSB\n"
        f"error vs ideal: mean {s['mean_error_lsb']:+.2f}, rms {s['rms_error_lsb']:.2f}, "
        f"max {s['max_abs_error_lsb']:.2f} LSB; gain {s['gain']:.4f}, rms after gain "
        f"{s['rms_after_gain_lsb']:.2f} LSB; vs programmed walls rms "
        f"{s['rms_circuit_error_lsb']:.2f} LSB; ngspice {s['elapsed_s']:.1f} s"
    )


@dw.command("adc")
@click.option("--points", type=click.IntRange(8, 512), default=200, show_default=True)
@click.option(
    "--max-current",
    "i_max_A",
    type=click.FloatRange(1e-7, 1e-3),
    default=None,
    help="Sweep 0..this current, A (default 1.2 x full scale).",
)
@click.option(
    "--offset-current",
    "i_offset_A",
    type=click.FloatRange(0, 1e-4),
    default=None,
    help="Add a threshold-offset device supplying this current, A (ReLU knee at I_th - I_offset).",
)
@click.option(
    "--linearity",
    "lin_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write DNL/INL per code.",
)
@_csv_plot("dw_adc.csv", "i_in_A,code")
@_dw_model_option
@simulator_options
@handle_errors
def adc(
    points: int,
    i_max_A: float | None,
    i_offset_A: float | None,
    lin_path: Path | None,
    csv_path: Path,
    plot_path: Path | None,
    dw_model: str,
    osdi_cache: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Racetrack converter code vs input current, with DNL/INL (seed 004 Fig. 2)."""
    import numpy as np

    from spinspice.analysis.domain_wall import plot_adc, run_adc
    from spinspice.analysis.tables import write_csv
    from spinspice.array_builder.dw_devices import ThresholdOffset
    from spinspice.spintronic_cells.domain_wall import RacetrackParams

    r = RacetrackParams()
    out = _prepare_output(csv_path)
    plot = _prepare_output(plot_path)
    lin_out = _prepare_output(lin_path)
    off = ThresholdOffset.for_current(r.strip, i_offset_A) if i_offset_A else None
    hi = i_max_A if i_max_A is not None else 1.2 * r.i_full_scale_A
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    with _status(f"converting {points} currents"):
        res = run_adc(
            r, engine, _models(dw_model, osdi_cache), np.linspace(0, hi, points), offset=off
        )
    assert out is not None
    write_csv(res.table(), out)
    lin = res.linearity()
    if lin_out is not None:
        write_csv(lin, lin_out)
    if plot is not None:
        plot_adc(res, plot)
    codes = sorted(set(res.code.tolist()))
    _console().print(
        f"wrote {out}: codes {codes}, monotonic {res.monotonic}, LSB {r.i_lsb_A * 1e6:.3f} uA, "
        f"knee {res.knee_A * 1e6:.3f} uA (I_th - I_offset = "
        f"{(r.strip.i_th_A - res.i_offset_A) * 1e6:.3f} uA); max |DNL| "
        f"{np.nanmax(np.abs(lin['dnl_lsb'])):.3f}, max |INL| "
        f"{np.nanmax(np.abs(lin['inl_lsb'])):.3f}"
        f" LSB (sweep step {hi / (points - 1) / r.i_lsb_A:.3f} LSB); "
        f"{int((res.code != res.code_law).sum())} codes differ from the law"
    )


@dw.command("vote")
@click.option("--inputs", "k", type=click.IntRange(2, 64), default=10, show_default=True)
@click.option(
    "--ratios",
    callback=_floats,
    default="2,1.5,1.3,1.2,1.15,1.1,1.07,1.05,1.03,1.02,1.01",
    show_default=True,
    help="Winner/runner-up current ratios, one trial each.",
)
@click.option(
    "--current",
    "i_top_A",
    type=click.FloatRange(1e-8, 1e-4),
    default=1e-6,
    show_default=True,
    help="Winner current, A.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--inverter-stages",
    type=click.Choice(["1", "3", "5"]),
    default="3",
    show_default=True,
    help="Inverters after each capacitor (Fig. 5 draws one).",
)
@click.option(
    "--gate-delay",
    "gate_delay_s",
    type=click.FloatRange(1e-13, 1e-9),
    default=1e-11,
    show_default=True,
    help="Delay of each AND2 stage of the shut-off tree, s.",
)
@_csv_plot("dw_vote.csv", "trial,winner_expected,winner_simulated,margin_s")
@technology_options
@simulator_options
@handle_errors
def vote(
    k: int,
    ratios: tuple[float, ...],
    i_top_A: float,
    seed: int,
    inverter_stages: str,
    gate_delay_s: float,
    csv_path: Path,
    plot_path: Path | None,
    models: Path | None,
    corner: str | None,
    config: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Time-domain majority vote (seed 004 Fig. 5): winner and time margin vs current ratio."""
    from spinspice.analysis.domain_wall import plot_vote, run_vote, vote_trials
    from spinspice.analysis.tables import write_csv
    from spinspice.array_builder.dw_neurons import VoteDesign
    from spinspice.cli._common import cli_technology

    out = _prepare_output(csv_path)
    plot = _prepare_output(plot_path)
    tech = cli_technology(config, models, corner)  # with --osdi/--va
    design = VoteDesign(
        technology=tech, inverter_stages=int(inverter_stages), gate_delay_s=gate_delay_s
    )
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    with _status(f"simulating {len(ratios)} votes of {k} inputs"):
        df = run_vote(design, engine, vote_trials(k, ratios, i_top_A=i_top_A, seed=seed))
    assert out is not None
    write_csv(df, out)
    if plot is not None:
        plot_vote(df, plot)
    ok = df["winner_simulated"] == df["winner_expected"]
    good = df["ratio"][ok]
    bad = df["ratio"][~ok]
    limit = f"smallest resolved ratio {good.min():.3f}" if len(good) else "no ratio resolved"
    if len(bad):
        limit += f", largest failing ratio {bad.max():.3f}"
    _console().print(f"wrote {out}: {int(ok.sum())}/{len(df)} correct; {limit}")


@dw.command("recurrent")
@click.option("--cycles", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option(
    "--max-current",
    "i_max_A",
    type=click.FloatRange(0, 1e-4),
    default=12e-6,
    show_default=True,
    help="Residue currents are uniform in 0..this, A.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--no-offset",
    is_flag=True,
    help="Leave out the threshold-offset device (the wall then needs I > I_th).",
)
@click.option(
    "--threshold",
    "y_thr",
    type=click.FloatRange(0.01, 0.99),
    default=0.5,
    show_default=True,
    help="Read position: output 1 once the wall passes it.",
)
@_csv_plot("dw_recurrent.csv", "cycle,x,expected_x,output")
@_dw_model_option
@simulator_options
@handle_errors
def recurrent(
    cycles: int,
    i_max_A: float,
    seed: int,
    no_offset: bool,
    y_thr: float,
    csv_path: Path,
    plot_path: Path | None,
    dw_model: str,
    osdi_cache: Path | None,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """State of the recurrent DW neuron over cycles vs the sum of its inputs' displacements."""
    import numpy as np

    from spinspice.analysis.domain_wall import plot_recurrent, run_recurrent
    from spinspice.analysis.tables import write_csv
    from spinspice.array_builder.dw_devices import ThresholdOffset
    from spinspice.array_builder.dw_neurons import RecurrentBench
    from spinspice.spintronic_cells.domain_wall import DW_PRESETS

    p = DW_PRESETS["seed004-dw"]
    out = _prepare_output(csv_path)
    plot = _prepare_output(plot_path)
    rng = np.random.default_rng(seed)
    cur = tuple(float(c) for c in rng.uniform(0, i_max_A, cycles))
    off = None if no_offset else ThresholdOffset.for_current(p, p.i_th_A)
    bench = RecurrentBench(currents_A=cur, offset=off)
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    df = run_recurrent(p, engine, _models(dw_model, osdi_cache), bench, y_threshold=y_thr)
    assert out is not None
    write_csv(df, out)
    if plot is not None:
        plot_recurrent(df, plot, y_thr)
    err = float((df["x"] - df["expected_x"]).abs().max())
    fire = df.index[df["output"] == 1]
    _console().print(
        f"wrote {out}: {cycles} cycles, max |x - expected_x| = {err:.2e}; output 1 from cycle "
        f"{int(df['cycle'][fire[0]]) if len(fire) else '-'}; outputs match the law: "
        f"{bool((df['output'] == df['expected_output']).all())}"
    )


@dw.command("nets")
@click.option(
    "--hidden",
    callback=_floats,
    default="10,20,30,50,100",
    show_default=True,
    help="Hidden-layer sizes.",
)
@click.option(
    "--bits",
    "bits_list",
    callback=_floats,
    default="4",
    show_default=True,
    help="Weight bits (DW synapse levels 2^bits).",
)
@click.option("--seeds", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--epochs", type=click.IntRange(1, 1000), default=30, show_default=True)
@click.option(
    "--vote-ratio",
    type=click.FloatRange(1.0, 10.0),
    default=1.2,
    show_default=True,
    help="Smallest current ratio the majority vote resolves (spinspice dw vote).",
)
@click.option(
    "--dataset", type=click.Choice(["digits", "mnist"]), default="digits", show_default=True
)
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="MNIST IDX directory (for --dataset mnist).",
)
@click.option(
    "--table",
    "table_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the equal-error BTNN vs RLNN table (Table I shape).",
)
@_csv_plot("dw_nets.csv", "kind,hidden,bits,seed,ideal_error,hw_error,area_m2,energy_J")
@quiet_option
@handle_errors
def nets(
    hidden: tuple[float, ...],
    bits_list: tuple[float, ...],
    seeds: int,
    epochs: int,
    vote_ratio: float,
    dataset: str,
    data_dir: Path | None,
    table_path: Path | None,
    csv_path: Path,
    plot_path: Path | None,
) -> None:
    """Spin BTNN vs spin RLNN on DW crossbars (seed 004 Fig. 8, Table I): error, area, energy."""
    from spinspice.analysis.tables import write_csv
    from spinspice.errors import ParameterError
    from spinspice.spintronic_cells.domain_wall import MAX_SYNAPSE_BITS
    from spinspice.training.data import load_dataset
    from spinspice.training.dw_nets import MAX_HIDDEN, compare_nets, equal_error_table

    hs = tuple(int(h) for h in hidden)
    bs = tuple(int(b) for b in bits_list)
    if any(h != v or not 1 <= h <= MAX_HIDDEN for h, v in zip(hs, hidden, strict=True)):
        raise ParameterError("--hidden takes integers in 1..4096")
    if any(b != v or not 1 <= b <= MAX_SYNAPSE_BITS for b, v in zip(bs, bits_list, strict=True)):
        raise ParameterError("--bits takes integers in 1..8")
    out = _prepare_output(csv_path)
    tab = _prepare_output(table_path)
    plot = _prepare_output(plot_path)
    data = load_dataset(dataset, data_dir=data_dir)
    with progress_bar("dw nets: training DW nets") as tick:
        df = compare_nets(
            data,
            hidden=hs,
            bits=bs,
            seeds=tuple(range(seeds)),
            epochs=epochs,
            vote_ratio=vote_ratio,
            progress=tick,
        )
    assert out is not None
    write_csv(df, out)
    t = equal_error_table(df)
    if tab is not None:
        write_csv(t, tab)
    if plot is not None:
        _plot_nets(df, plot)
    con = _console()
    g = df.groupby(["kind", "hidden", "bits"])[["ideal_error", "hw_error"]].mean()
    con.print(g.to_string(float_format=lambda v: f"{100 * v:.1f} %"))
    con.print(t.to_string())
    con.print(f"wrote {out}" + (f" and {tab}" if tab else ""))


def _plot_nets(df: Any, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, x in zip(axes, ("hidden", "bits"), strict=True):
        for kind, sub in df.groupby("kind"):
            other = "bits" if x == "hidden" else "hidden"
            keep = sub[sub[other] == sub[other].max()]
            g = keep.groupby(x)
            for col, ls in (("ideal_error", "-"), ("hw_error", "--")):
                m, s = g[col].mean(), g[col].std()
                ax.errorbar(
                    m.index,
                    100 * m,
                    yerr=100 * s,
                    ls=ls,
                    marker="o",
                    ms=3,
                    label=f"{kind} {col.split('_')[0]}",
                )
        ax.set_xlabel(x if x == "bits" else "hidden neurons")
        ax.set_ylabel("test error (%)")
        if x == "hidden":
            ax.set_xscale("log")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fmt = target.suffix.lstrip(".") or "png"
    write_atomic(target, lambda p: fig.savefig(p, format=fmt, dpi=130))
    plt.close(fig)


# ------------------------------------------------------------------ RNN study (Fig. 9)


@dw.command("rnn")
@click.option("--seeds", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Seeds (sequence sets, weight programming, lagged-net training) per point.")
@click.option(
    "--rnn-hidden",
    default="1,2,3,4,6",
    show_default=True,
    help="Hidden recurrent DW neurons (template phases 360/H deg apart).",
)
@click.option(
    "--hidden",
    "lagged_hidden",
    default="1,2,4,8,16",
    show_default=True,
    help="Hidden binary-threshold neurons of the time-lagged BTNN.",
)
@click.option(
    "--delays",
    default="0,1,2,4,6,8,11",
    show_default=True,
    help="Shift-register delay stages of the time-lagged BTNN.",
)
@click.option("--train", "n_train", type=click.IntRange(10, 100000), default=800, show_default=True,
              help="Training sequences (lagged-net training, RNN calibration).")
@click.option("--test", "n_test", type=click.IntRange(10, 100000), default=400, show_default=True,
              help="Test sequences scored.")
@click.option("--epochs", type=click.IntRange(1, 10000), default=300, show_default=True,
              help="Training epochs of the time-lagged BTNN.")
@click.option(
    "--cycles",
    "n_cycles",
    type=click.IntRange(2, 200),
    default=16,
    show_default=True,
    help="Frames (network cycles) per sequence.",
)
@click.option(
    "--frame",
    "frame_samples",
    type=click.IntRange(4, 256),
    default=16,
    show_default=True,
    help="Samples per frame.",
)
@click.option(
    "--latency",
    type=click.IntRange(1, 199),
    default=5,
    show_default=True,
    help="Cycles allowed to detect (label 1 from the latency-th target cycle on).",
)
@click.option(
    "--noise",
    type=click.FloatRange(0, 10),
    default=0.3,
    show_default=True,
    help="White-noise standard deviation of the waveform.",
)
@click.option(
    "--target",
    "acc_target",
    type=click.FloatRange(0, 1),
    default=0.95,
    show_default=True,
    help="Accuracy target of the smallest-hidden table (Fig. 9(b) shape).",
)
@click.option(
    "--table",
    "table_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the smallest hidden count per (model, cycles) reaching --target.",
)
@_csv_plot("dw_rnn.csv", "model,hidden,cycles,seed,accuracy")
@quiet_option
@handle_errors
def rnn(
    seeds: int,
    rnn_hidden: str,
    lagged_hidden: str,
    delays: str,
    n_train: int,
    n_test: int,
    epochs: int,
    n_cycles: int,
    frame_samples: int,
    latency: int,
    noise: float,
    acc_target: float,
    table_path: Path | None,
    csv_path: Path,
    plot_path: Path | None,
) -> None:
    """Recurrent DW neurons vs a time-lagged spin BTNN on a mixed-frequency detection task
    (seed 004 Fig. 9): accuracy per (model, hidden, cycles/delays, seed).

    The recurrent net is designed (sinusoid templates at phases 360/H deg, dead zone and
    step gain from the CUSUM rule, calibrated on the training set); the time-lagged BTNN is
    trained. Both use 4-bit differential DW weights programmed with variation
    (docs/domain_wall.md §6).
    """
    from spinspice.analysis.tables import write_csv
    from spinspice.cli._common import parse_int_list
    from spinspice.training.dw_rnn import (
        MAX_DELAYS,
        MAX_HIDDEN,
        PhonemeTask,
        plot_rnn_study,
        rnn_study,
        smallest_hidden,
    )

    rh = parse_int_list(rnn_hidden, "--rnn-hidden", 1, MAX_HIDDEN)
    lh = parse_int_list(lagged_hidden, "--hidden", 1, MAX_HIDDEN)
    dl = parse_int_list(delays, "--delays", 0, min(MAX_DELAYS, n_cycles - 1))
    task = PhonemeTask(
        cycles=n_cycles,
        frame_samples=frame_samples,
        target_periods=max(1, frame_samples // 8),
        latency=latency,
        noise=noise,
        distractor_periods=(0.5, min(6.0, frame_samples / 2 - 0.5)),
    )
    out = _prepare_output(csv_path)
    tab = _prepare_output(table_path)
    plot = _prepare_output(plot_path)
    with progress_bar("dw rnn: RNN study") as tick:
        df = rnn_study(
            task,
            rnn_hidden=rh,
            lagged_hidden=lh,
            delays=dl,
            seeds=tuple(range(seeds)),
            n_train=n_train,
            n_test=n_test,
            epochs=epochs,
            progress=tick,
        )
    df.attrs["target"] = acc_target
    assert out is not None
    write_csv(df, out)
    t = smallest_hidden(df, acc_target)
    if tab is not None:
        write_csv(t, tab)
    if plot is not None:
        plot_rnn_study(df, task, plot, n_train=n_train)
    con = _console()
    g = df.groupby(["model", "cycles", "hidden"])[["accuracy", "sequence_accuracy"]].mean()
    con.print(g.to_string(float_format=lambda v: f"{v:.3f}"))
    con.print(f"always-off baseline: {df['always_off_accuracy'].mean():.3f} of scored cycles")
    con.print(t.to_string())
    con.print(f"wrote {out}" + (f" and {tab}" if tab else ""))
