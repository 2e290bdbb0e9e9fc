"""``spinspice train``: GXNOR / MTJ-GXNOR / binary MTJ crossbar training from the command line.

The command only parses options, builds a :class:`~spinspice.training.loop.TrainingConfig`
and delegates to :mod:`spinspice.training`; bad input becomes a one-line message and exit
code 2.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

_SYNAPSES = (
    "float", "gxnor", "mtj-4t2r", "mtj-1t1r", "mtj-1r-2phase", "mtj-1r-4phase", "dp",
    "dw-btnn", "dw-rlnn",
)
_MODELS = ("analytic", "analytic-hc", "thermal", "precessional")
#: A convolutional layer takes (channels, height, width) inputs.
CONV_INPUT_NDIM = 3


@click.command("train")
@click.option(
    "--dataset",
    type=click.Choice(["digits", "wbcd", "mnist"]),
    default="digits",
    show_default=True,
    help="digits / wbcd (bundled with scikit-learn, fixed stratified splits) or mnist "
    "(IDX files in --data-dir).",
)
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Directory with the four MNIST IDX files (optionally .gz).",
)
@click.option(
    "--net",
    default="64-100-10",
    show_default=True,
    help="Net spec: dense '64-100-10' (first number = input features), or "
    "'conv8x3-fc10' (3x3 convolution, 8 filters, then 10 outputs).",
)
@click.option(
    "--synapse",
    type=click.Choice(_SYNAPSES),
    default="gxnor",
    show_default=True,
    help="float (real weights), gxnor (ideal ternary), mtj-4t2r (MTJ-GXNOR), "
    "mtj-1t1r / mtj-1r-2phase / mtj-1r-4phase (binary crossbars), dp (deterministic "
    "programming baseline), dw-btnn / dw-rlnn (seed 004 DW crossbars: binary-threshold or "
    "3-bit racetrack neurons, 4-bit DW weights with variation, majority vote).",
)
@click.option("--epochs", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seed of initialisation, shuffling, stochastic updates and device draws.",
)
@click.option(
    "--seeds",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Repeat with seeds S, S+1, ... (summary reports mean and spread).",
)
@click.option(
    "--split-seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seed of the train/test split of the bundled datasets.",
)
@click.option("--batch-size", type=click.IntRange(1, 1_000_000), default=32, show_default=True)
@click.option(
    "--lr",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="Learning rate (default per synapse, see docs/training.md).",
)
@click.option(
    "--lr-decay",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Per-epoch multiplicative learning-rate decay.",
)
@click.option("--optimizer", type=click.Choice(["adam", "sgd"]), default="adam", show_default=True)
@click.option("--loss", type=click.Choice(["auto", "ce", "mse"]), default="auto", show_default=True)
@click.option(
    "--r",
    "r_thr",
    type=click.FloatRange(min=0.0, min_open=True),
    default=0.5,
    show_default=True,
    help="Ternary activation threshold r (seed 001 eq. 8).",
)
@click.option(
    "--a",
    "a_win",
    type=click.FloatRange(min=0.0, min_open=True),
    default=0.5,
    show_default=True,
    help="Window half-width a of the derivative (eq. 8).",
)
@click.option(
    "--m",
    "m_proj",
    type=click.FloatRange(min=0.0, min_open=True),
    default=3.0,
    show_default=True,
    help="Projection steepness m (eq. 12, ideal GXNOR).",
)
@click.option(
    "--preset", default="seed001-device-c", show_default=True, help="MTJ device preset of mtj-4t2r."
)
@click.option(
    "--switching-model",
    type=click.Choice(_MODELS),
    default="analytic",
    show_default=True,
    help="Closed-form P_sw law of the device model.",
)
@click.option(
    "--psw-table",
    "psw_tables",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV width_s,psw (as written by 'spinspice device psw'); give one per "
    "direction (from_state column) or one for both. Replaces the closed form.",
)
@click.option(
    "--t-up",
    "t_up_s",
    type=click.FloatRange(min=0.0, min_open=True),
    default=2e-9,
    show_default=True,
    help="Update period T_up in seconds (seed 001: 2e-9).",
)
@click.option(
    "--v-up",
    "v_up_V",
    type=click.FloatRange(min=0.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Update voltage V_up in volts (seed 001: 1).",
)
@click.option(
    "--theta0",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="theta0 of every MTJ in rad (Table 6 sweep); default: the preset's.",
)
@click.option(
    "--temperature",
    "temperature_K",
    type=click.FloatRange(260.0, 373.0),
    default=None,
    help="Temperature in kelvin (theta0 and R_off of Table 7).",
)
@click.option(
    "--r-rsd",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.0,
    show_default=True,
    help="Device-to-device resistance RSD (fraction, Table 5).",
)
@click.option(
    "--theta0-rsd",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.0,
    show_default=True,
    help="Device-to-device theta0 RSD (fraction, Table 5).",
)
@click.option(
    "--leak-prob",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="4T2R leakage flip probability per quiet update (seed 001 §4.4.2).",
)
@click.option(
    "--sneak/--no-sneak",
    default=True,
    show_default=True,
    help="Sneak-path false switches in the 1R variants and dp programming.",
)
@click.option(
    "--sneak-rate-2phase",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="False-switch probability per unselected cell and phase (2-phase); "
    "default: derived from the device model.",
)
@click.option(
    "--sneak-rate-4phase",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Same for the 4-phase scheme.",
)
@click.option(
    "--dp-program-flip",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Wrong-state probability after deterministic 1R programming (dp).",
)
@click.option(
    "--sneak-table",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Sneak-path rates: JSON, CSV scheme,false_switch_rate, or the --summary CSV of "
    "`spinspice sneak --crossbar 1r`.",
)
@click.option(
    "--sweep",
    default=None,
    help="Study: NAME=V1,V2,... over r_rsd, theta0_rsd, theta0, temperature_K, "
    "v_up_V, t_up_s, leak_prob, sneak_rate_2phase, sneak_rate_4phase, lr, m.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Per-epoch table: epoch,train_loss,train_acc,test_acc,wall_s,weight_changes,"
    "device_switches (accuracies as fractions, wall time in s); seed and sweep "
    "columns first when repeating.",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON summary: test_accuracy and every setting.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Accuracy curves (.png, .pdf or .svg).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train(**opts: Any) -> None:
    """Train a ternary (GXNOR, MTJ-GXNOR) or binary MTJ-crossbar network.

    Units are SI: seconds (--t-up), volts (--v-up), kelvin (--temperature), radians
    (--theta0); rates and RSDs are fractions. Runs are reproducible from --seed.
    """
    from spinspice.cli._common import handle_errors

    handle_errors(_run)(**opts)


def _run(**o: Any) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from spinspice.cli._common import _console, _prepare_output, check_memory
    from spinspice.errors import ParameterError
    from spinspice.training.data import load_dataset
    from spinspice.training.loop import EpochRecord, TrainingConfig, TrainingResult, net_spec
    from spinspice.training.loop import train as run_training
    from spinspice.training.output import (
        epoch_rows,
        plot_curves,
        plot_curves_mean,
        write_epochs_csv,
        write_summary,
    )
    from spinspice.training.studies import parse_sweep, run_sweep

    if o["dataset"] == "mnist" and o["data_dir"] is None:
        raise click.BadParameter("--dataset mnist needs --data-dir", param_hint="--data-dir")
    csv_out = _prepare_output(o["csv_path"])
    summary_out = _prepare_output(o["summary_path"])
    plot_out = _prepare_output(o["plot_path"])
    if plot_out is not None and plot_out.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise click.BadParameter("use a .png, .pdf or .svg file name", param_hint="--plot")
    try:
        cfg = TrainingConfig(
            dataset=o["dataset"],
            net=o["net"],
            synapse=o["synapse"],
            epochs=o["epochs"],
            seed=o["seed"],
            split_seed=o["split_seed"],
            batch_size=o["batch_size"],
            lr=o["lr"],
            lr_decay=o["lr_decay"],
            optimizer=o["optimizer"],
            loss=o["loss"],
            r=o["r_thr"],
            a=o["a_win"],
            m=o["m_proj"],
            t_up_s=o["t_up_s"],
            v_up_V=o["v_up_V"],
            preset=o["preset"],
            switching_model=o["switching_model"],
            psw_tables=tuple(str(p) for p in o["psw_tables"]),
            theta0=o["theta0"],
            temperature_K=o["temperature_K"],
            r_rsd=o["r_rsd"],
            theta0_rsd=o["theta0_rsd"],
            leak_prob=o["leak_prob"],
            sneak=o["sneak"],
            sneak_rate_2phase=o["sneak_rate_2phase"],
            sneak_rate_4phase=o["sneak_rate_4phase"],
            dp_program_flip=o["dp_program_flip"],
            sneak_table=None if o["sneak_table"] is None else str(o["sneak_table"]),
            data_dir=None if o["data_dir"] is None else str(o["data_dir"]),
        )
    except ParameterError as exc:
        raise click.BadParameter(str(exc)) from None
    if o["sweep"] is not None:
        try:
            param, values = parse_sweep(o["sweep"])
        except ParameterError as exc:
            raise click.BadParameter(str(exc), param_hint="--sweep") from None
    else:
        param, values = "", (float("nan"),)
    seeds = tuple(cfg.seed + k for k in range(o["seeds"]))
    data = load_dataset(cfg.dataset, split_seed=cfg.split_seed, data_dir=cfg.data_dir)
    try:
        spec = net_spec(cfg, data)
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--net") from None
    check_memory(_train_bytes(spec, cfg.batch_size), f"train --net {cfg.net}")

    con = _console(stderr=True)
    total = len(values) * len(seeds) * cfg.epochs
    labelled: list[tuple[str, float, int, TrainingResult]] = []
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[acc]}"),
        console=con,
        disable=o["quiet"],
        transient=False,
    ) as bar:
        task = bar.add_task(f"train {cfg.synapse} on {cfg.dataset}", total=total, acc="")

        finished: list[tuple[int, EpochRecord]] = []  # (seed, record) of finished epochs
        current = [cfg.seed]

        def tick(epoch: int, n: int, rec: EpochRecord) -> None:
            finished.append((current[0], rec))
            bar.update(task, advance=1, acc=f"test {100 * rec.test_acc:.1f} %")

        try:
            if param:
                sweep = run_sweep(cfg, param, values, seeds, dataset=data, progress=tick)
                for v, res in sweep.runs:
                    labelled.append((f"{param}={v:g} s{res.config.seed}", v, res.config.seed, res))
            else:
                for s in seeds:
                    current[0] = s
                    res = run_training(replace(cfg, seed=s), dataset=data, progress=tick)
                    labelled.append((f"{cfg.synapse} s{s}", float("nan"), s, res))
        except (KeyboardInterrupt, SystemExit) as exc:
            if param or not finished:
                raise
            _write_partial(finished, len(seeds) > 1, cfg, csv_out, summary_out, total)
            con.print(
                f"interrupted: wrote the {len(finished)} finished epochs to {csv_out}"
                + (f" and {summary_out} (complete: false)" if summary_out else ""),
                markup=False,
            )
            code = exc.code if isinstance(exc, SystemExit) else 130
            raise SystemExit(code) from None

    rows: list[dict[str, Any]] = []
    for _, v, s, res in labelled:
        prefix: dict[str, Any] = {}
        if param:
            prefix[param] = v
        if param or len(seeds) > 1:
            prefix["seed"] = s
        rows.extend(epoch_rows(res.records, **prefix))
    assert csv_out is not None
    write_epochs_csv(rows, csv_out)

    accs = [res.test_accuracy for *_, res in labelled]
    mean = sum(accs) / len(accs)
    first = labelled[0][3]
    summary: dict[str, Any] = dict(first.summary)
    summary["test_accuracy"] = mean if len(accs) > 1 else accs[0]
    summary["seeds"] = list(seeds)
    if len(accs) > 1:
        summary["test_accuracy_per_run"] = accs
        summary["test_accuracy_min"] = min(accs)
        summary["test_accuracy_max"] = max(accs)
    if param:
        summary["sweep_param"] = param
        summary["sweep"] = sweep.table()
        summary.pop(param, None)
    if summary_out is not None:
        write_summary(summary, summary_out)
    if plot_out is not None:
        plot_title = f"{cfg.synapse} {cfg.net} on {cfg.dataset}"
        if len(seeds) > 1:  # mean ± spread over seeds, one curve per sweep value
            groups: dict[str, list[TrainingResult]] = {}
            for _, v, _, res in labelled:
                key = f"{param}={v:g}" if param else cfg.synapse
                groups.setdefault(key, []).append(res)
            plot_curves_mean(list(groups.items())[:12], plot_out, title=plot_title)
        else:
            plot_curves(
                [(lab, res) for lab, _, _, res in labelled[:12]], plot_out, title=plot_title
            )
    out = _console()
    if param:
        for row in sweep.rows:
            out.print(
                f"{param} = {row.value:g}: test accuracy {100 * row.mean_test_accuracy:.2f} % "
                f"± {100 * row.std_test_accuracy:.2f} ({len(row.seeds)} seeds)"
            )
    else:
        out.print(
            f"{cfg.synapse} {cfg.net} on {cfg.dataset}: test accuracy {100 * mean:.2f} %"
            + (f" (mean of {len(accs)} seeds)" if len(accs) > 1 else "")
        )
    written = [str(p) for p in (csv_out, summary_out, plot_out) if p is not None]
    out.print("wrote " + ", ".join(written))
    sys.stdout.flush()


def _train_bytes(spec: Any, batch_size: int) -> float:
    """Estimated peak memory of training ``spec``, bytes: float64 weights, latent
    weights, gradients and optimizer state (4 copies of every parameter) and three float64
    activation buffers per unit of a batch, over ~200 MB of imports and data."""
    shape = tuple(spec.input_shape)
    params = 0
    units = 0
    for layer in spec.layers:
        if layer.kind == "conv" and len(shape) == CONV_INPUT_NDIM:
            c, h, w = shape
            k = layer.kernel
            params += c * layer.n_out * k * k
            shape = (layer.n_out, max(h - k + 1, 1), max(w - k + 1, 1))
        else:
            n_in = 1
            for d in shape:
                n_in *= d
            params += n_in * layer.n_out
            shape = (layer.n_out,)
        n = 1
        for d in shape:
            n *= d
        units += n
    return 200e6 + 4 * 8.0 * params + 3 * 8.0 * batch_size * units


def _write_partial(
    finished: list[tuple[int, Any]],
    several_seeds: bool,
    cfg: Any,
    csv_out: Any,
    summary_out: Any,
    total: int,
) -> None:
    """Write the epochs that finished before an interrupt; the summary says
    ``complete: false``."""
    from spinspice.training.output import epoch_rows, write_epochs_csv, write_summary

    rows: list[dict[str, Any]] = []
    for seed in dict.fromkeys(s for s, _ in finished):
        recs = [r for s, r in finished if s == seed]
        rows.extend(epoch_rows(recs, **({"seed": seed} if several_seeds else {})))
    write_epochs_csv(rows, csv_out)
    if summary_out is not None:
        last = finished[-1][1]
        write_summary(
            {
                "complete": False,
                "epochs_finished": len(finished),
                "epochs_planned": total,
                "synapse": cfg.synapse,
                "net": cfg.net,
                "dataset": cfg.dataset,
                "last_test_accuracy": float(last.test_acc),
            },
            summary_out,
        )
