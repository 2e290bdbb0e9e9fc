"""``spinspice maap``: the SHE-MTJ Multiply-Accumulate-Activate-Pool sets of seed 003.

``transfer``, ``check``, ``energy`` and ``cnn`` parse options and delegate to
:mod:`spinspice.analysis.maap`, :mod:`spinspice.analysis.maap_energy` and
:mod:`spinspice.training.maap_cnn`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import click

from spinspice.cli._common import (
    _console,
    _prepare_output,
    handle_errors,
    make_backend,
    progress_bar,
    simulator_options,
)
from spinspice.errors import ParameterError

#: Least fraction of the counted vectors (top two windows at least 1 LSB apart) whose winner
#: must be right for ``maap check`` to exit 0; our choice.
MIN_WINNER_FRACTION: Final = 0.99


def _int_list(text: str, what: str, lo: int, hi: int) -> tuple[int, ...]:
    from spinspice.cli._common import parse_int_list

    return parse_int_list(text, what, lo, hi)


def _float_list(text: str, what: str, lo: float, hi: float) -> tuple[float, ...]:
    from spinspice.cli._common import parse_float_list

    return parse_float_list(text, what, lo, hi)


def _design(mtj_model: str, osdi_dir: Path | None) -> tuple[Any, Path | None]:
    from spinspice.array_builder.maap import MaapDesign

    d = MaapDesign(mtj_model=mtj_model)  # type: ignore[arg-type]
    if mtj_model != "osdi":
        return d, None

    from spinspice.netlists import she_mtj_model as sm
    from spinspice.netlists.osdi import compile_va

    return d, compile_va(sm.verilog_a_source(), osdi_dir)


_trim_option = click.option(
    "--trim/--no-trim",
    default=True,
    show_default=True,
    help="Set every pair's floor trim once before use (the one-time test step; "
    "docs/maap.md §2). Only varied devices need it.",
)


_mtj_model_option = click.option(
    "--mtj-model",
    type=click.Choice(["behavioural", "osdi"]),
    default="behavioural",
    show_default=True,
    help="SHE-MTJ as B-sources, or the Verilog-A twin compiled with openvaf-r (OSDI).",
)


@click.group("maap")
def maap() -> None:
    """SHE-MTJ MAAP sets of seed 003: convolution + ReLU + max-pool in one circuit."""


@maap.command("transfer")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Cell transfer, one row per point: i_in_A,v_out_V,in_linear_range.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also plot the cell and the ReLU-pair transfer (.png/.pdf/.svg).",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write gain, linear range and saturation currents as JSON.",
)
@click.option(
    "--i-max",
    "i_max_A",
    type=click.FloatRange(1e-7, 1e-3),
    default=120e-6,
    show_default=True,
    help="Sweep the HM input current over ±this, A.",
)
@click.option(
    "--linear-tol",
    type=click.FloatRange(1e-4, 0.5),
    default=0.02,
    show_default=True,
    help="Linear range: deviation from the zero-input tangent below this fraction "
    "of the output swing.",
)
@_mtj_model_option
@simulator_options
@handle_errors
def transfer(
    csv_path: Path,
    plot_path: Path | None,
    summary_path: Path | None,
    i_max_A: float,
    linear_tol: float,
    mtj_model: str,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Cell output voltage vs HM input current (ngspice DC sweep): gain, linear range,
    saturation current."""
    from spinspice.analysis.maap import plot_transfer, run_transfer
    from spinspice.analysis.tables import write_csv, write_json

    csv_out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    sum_out = _prepare_output(summary_path)
    d, osdi = _design(mtj_model, None)
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    t = run_transfer(engine, d, i_max_A=i_max_A, linear_tol=linear_tol, osdi_path=osdi)
    assert csv_out is not None
    write_csv(t.table(), csv_out)
    if plot_out is not None:
        plot_transfer(t, plot_out)
    if sum_out is not None:
        write_json(t.summary() | {"mtj_model": mtj_model}, sum_out)
    con = _console()
    con.print(f"gain at 0: {t.gain_V_per_A * 1e-3:.3f} mV/uA ({t.gain_V_per_A:.4g} V/A)")
    con.print(
        f"linear range (±{100 * linear_tol:g} % of swing): "
        f"{t.linear_min_A * 1e6:.1f} .. {t.linear_max_A * 1e6:.1f} uA"
    )
    con.print(
        f"saturation current (95 % of swing): {t.i_sat_neg_A * 1e6:.1f} / "
        f"+{t.i_sat_pos_A * 1e6:.1f} uA; output {t.v_out_V.min():.3f} .. {t.v_out_V.max():.3f} V"
    )
    con.print(f"wrote {csv_out}" + (f" and {plot_out}" if plot_out else ""))


@maap.command("check")
@click.option(
    "--inputs",
    "inputs",
    type=click.IntRange(1, 64),
    default=9,
    show_default=True,
    help="K: weighted inputs per window.",
)
@click.option(
    "--windows",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="P: windows (activation pairs) pooled by the winner-take-all.",
)
@click.option(
    "--vectors",
    type=click.IntRange(1, 100_000),
    default=200,
    show_default=True,
    help="N random weight/input vectors.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seed of the vectors (and of the device draws with variation).",
)
@click.option(
    "--bits",
    type=click.IntRange(1, 12),
    default=4,
    show_default=True,
    help="ADC resolution of the output code.",
)
@click.option(
    "--mtj-variation",
    type=click.FloatRange(0, 0.3),
    default=0.0,
    show_default=True,
    help="Relative sigma of R_P and I_sat of every MTJ (one drawn set).",
)
@click.option(
    "--vth-sigma",
    "vth_sigma_V",
    type=click.FloatRange(0, 0.2),
    default=0.0,
    show_default=True,
    help="Sigma of every transistor's V_th, V.",
)
@click.option(
    "--batch",
    type=click.IntRange(1, 1000),
    default=50,
    show_default=True,
    help="Vectors per ngspice transient.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="One row per vector: vector,expected,output,error_lsb,winner_correct,...",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also plot output vs ideal and the error histogram.",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary as JSON.",
)
@_trim_option
@_mtj_model_option
@simulator_options
@handle_errors
def check(
    inputs: int,
    windows: int,
    vectors: int,
    seed: int,
    bits: int,
    mtj_variation: float,
    vth_sigma_V: float,
    batch: int,
    csv_path: Path,
    plot_path: Path | None,
    summary_path: Path | None,
    trim: bool,
    mtj_model: str,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Simulate one MAAP set on N random vectors against max_p(ReLU(sum w*x)).

    Weights w ~ U(-1, 1), inputs x ~ U(0, 1), scaled by 3/sqrt(K) (each window sum has
    sigma = 1 unit product). The output is read by a --bits ADC calibrated on the nominal
    set; expected/output are codes, error_lsb the decoded error in LSB. Exit code 1 if the
    winner is right in fewer than 99 % of the vectors whose top two windows differ by
    >= 1 LSB.
    """
    import sys

    from spinspice.analysis.maap import plot_check, run_check
    from spinspice.analysis.tables import write_csv, write_json
    from spinspice.spintronic_cells.she_mtj import SheMtjVariation

    csv_out = _prepare_output(csv_path)
    sum_out = _prepare_output(summary_path)
    plot_out = _prepare_output(plot_path)
    d, osdi = _design(mtj_model, None)
    var = None
    if mtj_variation > 0 or vth_sigma_V > 0:
        var = SheMtjVariation.mtj(mtj_variation, vth_sigma_V)
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    with progress_bar("maap check") as tick:
        res = run_check(
            engine,
            d,
            inputs=inputs,
            windows=windows,
            vectors=vectors,
            seed=seed,
            bits=bits,
            variation=var,
            trim=trim,
            batch=batch,
            osdi_path=osdi,
            progress=tick,
        )
    assert csv_out is not None
    write_csv(res.table, csv_out)
    summ = res.summary() | {
        "inputs": inputs,
        "windows": windows,
        "seed": seed,
        "mtj_variation": mtj_variation,
        "vth_sigma_V": vth_sigma_V,
        "mtj_model": mtj_model,
        "trim_codes": None if res.trim is None else list(res.trim.codes),
        "trim_saturated": None if res.trim is None else sum(res.trim.saturated),
        "elapsed_s": res.elapsed_s,
    }
    if sum_out is not None:
        write_json(summ, sum_out)
    if plot_out is not None:
        plot_check(res, plot_out)
    con = _console()
    con.print(json.dumps(summ, indent=1))
    con.print(f"wrote {csv_out}")
    if not float(res.summary()["fraction_winner_correct"]) >= MIN_WINNER_FRACTION:
        sys.exit(1)


@maap.command("energy")
@click.option(
    "--bits",
    "bits_text",
    default="4,8,32",
    show_default=True,
    help="Comma-separated bit precisions B.",
)
@click.option(
    "--redundancy",
    "red_text",
    default="1,4,16",
    show_default=True,
    help="Comma-separated redundancy factors R.",
)
@click.option(
    "--network",
    type=click.Choice(["table1", "digits-cnn"]),
    default="table1",
    show_default=True,
    help="Operation counts: seed 003 Table 1, or derived from our digits CNN.",
)
@click.option(
    "--vectors",
    type=click.IntRange(5, 1000),
    default=40,
    show_default=True,
    help="Random operations simulated to measure the energy per MAAP operation.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="bits,redundancy,e_maap_op_J,e_maap_J,e_memory_J,e_adc_J,e_multiply_J,e_image_J,...",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also plot the energy per image (stacked by operation).",
)
@_mtj_model_option
@simulator_options
@handle_errors
def energy(
    bits_text: str,
    red_text: str,
    network: str,
    vectors: int,
    csv_path: Path,
    plot_path: Path | None,
    mtj_model: str,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """Energy per MAAP operation from ngspice and per image from seed 003 eq. 2."""
    from spinspice.analysis.maap_energy import (
        TABLE1_COUNTS,
        energy_table,
        measure_op_energy,
        plot_energy,
    )
    from spinspice.analysis.tables import write_csv

    bits = _int_list(bits_text, "--bits", 1, 64)
    reds = _int_list(red_text, "--redundancy", 1, 1024)
    csv_out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    d, osdi = _design(mtj_model, None)
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    op = measure_op_energy(engine, d, vectors=vectors, osdi_path=osdi)
    if network == "table1":
        counts = TABLE1_COUNTS
    else:
        from spinspice.training.maap_cnn import CnnSpec, operation_counts

        counts = operation_counts(CnnSpec())
    df = energy_table(op.e_op_J, bits, reds, counts)
    assert csv_out is not None
    write_csv(df, csv_out)
    if plot_out is not None:
        plot_energy(df, plot_out)
    con = _console()
    con.print(
        f"simulated energy per MAAP operation: {op.e_op_J * 1e12:.3f} pJ "
        f"({op.vectors} ops of {op.t_op_s * 1e9:g} ns; K={op.inputs}, P={op.windows}); "
        f"split: {', '.join(f'{k} {v * 1e12:.3f} pJ' for k, v in op.split_J.items())}"
    )
    con.print(
        f"counts ({counts.name}): MAAP {counts.maap}, memory {counts.memory}, "
        f"ADC {counts.adc}, multiply {counts.multiply}"
    )
    con.print(
        df[["bits", "redundancy", "e_maap_op_J", "e_image_J", "e_image_seed_op_J"]].to_string(
            index=False
        )
    )
    con.print(f"wrote {csv_out}")


@maap.command("cnn")
@click.option(
    "--dataset", type=click.Choice(["digits", "mnist"]), default="digits", show_default=True
)
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of the MNIST IDX files (for --dataset mnist).",
)
@click.option(
    "--bits",
    "bits_text",
    default="4,8,32",
    show_default=True,
    help="Comma-separated bit precisions B of weights, inputs and MAAP outputs.",
)
@click.option(
    "--redundancy",
    "red_text",
    default="1,4,16",
    show_default=True,
    help="Comma-separated redundancy factors R (R distinct MAAP sets averaged).",
)
@click.option(
    "--vth-sigma",
    "vth_text",
    default="0,0.02",
    show_default=True,
    help="Comma-separated transistor V_th sigmas, V.",
)
@click.option(
    "--mtj-variation",
    "mtj_text",
    default="0,0.05",
    show_default=True,
    help="Comma-separated relative sigmas of MTJ R_P and I_sat (0 = ideal devices).",
)
@click.option(
    "--seeds",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Seeds per point (device draws and training).",
)
@click.option(
    "--devices",
    type=click.IntRange(4, 1000),
    default=200,
    show_default=True,
    help="MAAP sets simulated in ngspice per variation level for the statistics.",
)
@click.option("--epochs", type=click.IntRange(1, 500), default=30, show_default=True)
@click.option(
    "--mean-correction",
    type=click.Choice(["operation", "window"]),
    default="operation",
    show_default=True,
    help="Mean error removed: of the whole MAAP operation (calibrated on the training set) "
    "or of one window (the devices' mean transfer).",
)
@click.option(
    "--fc-epochs",
    type=click.IntRange(0, 500),
    default=0,
    show_default=True,
    help="Retrain the digital FC layer this many epochs on training features read through "
    "the devices (0 = float-trained weights, as in seed 003).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="bits,redundancy,vth_sigma_V,mtj_variation,seed,test_accuracy,...",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also plot accuracy vs bits, redundancy, V_th sigma and energy.",
)
@_trim_option
@_mtj_model_option
@simulator_options
@handle_errors
def cnn(
    dataset: str,
    data_dir: Path | None,
    bits_text: str,
    red_text: str,
    vth_text: str,
    mtj_text: str,
    seeds: int,
    devices: int,
    epochs: int,
    mean_correction: str,
    fc_epochs: int,
    csv_path: Path,
    plot_path: Path | None,
    trim: bool,
    mtj_model: str,
    backend: str,
    timeout_s: float,
    threads: int,
    keep_run_dir: bool,
) -> None:
    """MAAP-CNN study: float-trained CNN, inference through the simulated MAAP module."""
    from spinspice.analysis.maap_energy import measure_op_energy
    from spinspice.analysis.maap_module import characterise
    from spinspice.analysis.tables import write_csv
    from spinspice.training.maap_cnn import plot_study, run_study

    bits = _int_list(bits_text, "--bits", 1, 32)
    reds = _int_list(red_text, "--redundancy", 1, 256)
    vths = _float_list(vth_text, "--vth-sigma", 0.0, 0.2)
    mtjs = _float_list(mtj_text, "--mtj-variation", 0.0, 0.3)
    if dataset == "mnist" and data_dir is None:
        raise ParameterError("--dataset mnist needs --data-dir (directory of the IDX files)")
    csv_out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    d, osdi = _design(mtj_model, None)
    engine = make_backend(backend, timeout_s, threads, keep_run_dir)
    stats = {}
    levels = sorted({(m, v) for m in mtjs for v in vths})
    with progress_bar("simulate MAAP statistics") as tick_stats:
        for i, (m, v) in enumerate(levels):
            stats[(m, v)] = characterise(
                engine,
                d,
                mtj_variation=m,
                vth_sigma_V=v,
                devices=devices,
                seed=1000 + i,
                trim=trim,
                osdi_path=osdi,
            )
            tick_stats(i + 1, len(levels))
        op = measure_op_energy(engine, d, osdi_path=osdi)
    with progress_bar("MAAP-CNN inference") as tick:
        df = run_study(
            dataset=dataset,
            data_dir=data_dir,
            bits=bits,
            redundancy=reds,
            stats=stats,
            seeds=seeds,
            epochs=epochs,
            e_maap_op_J=op.e_op_J,
            op_correction=mean_correction == "operation",
            fc_epochs=fc_epochs,
            progress=tick,
        )
    assert csv_out is not None
    write_csv(df, csv_out)
    if plot_out is not None:
        plot_study(df, plot_out)
    out = _console()
    g = df.groupby(["bits", "redundancy", "vth_sigma_V", "mtj_variation"])["test_accuracy"]
    out.print(g.agg(["mean", "std", "count"]).to_string())
    out.print(f"wrote {csv_out}")
