"""``spinspice device``: single-MTJ switching probability and the behavioural-model fit."""

from __future__ import annotations

import contextlib
from pathlib import Path

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
)

#: Largest pulse straight across one MTJ we simulate, V (tunnel barriers break down
#: near 1.5 V; beyond a few volts the device laws mean nothing).
MAX_MTJ_VOLTAGE_V = 5.0


def _widths(text: str) -> list[float]:
    values = list(parse_float_list(text, "--widths (pulse widths, s)", 0.0, 1.0))
    if any(not (v > 0 and v < 1) for v in values):
        raise click.BadParameter("pulse widths must be > 0 and < 1 s", param_hint="--widths")
    return values


@click.group()
def device() -> None:
    """Single-MTJ physics: switching probability and the behavioural-model fit."""


@device.command("psw")
@click.option("--preset", default="seed001-device-c", show_default=True,
              help="Device parameter preset (seed 001 Table 3 device C).")
@click.option("--from", "from_state", type=click.Choice(["AP", "P"]), required=True,
              help="Start state; the pulse polarity is the one that switches it.")
@click.option("--voltage", type=click.FloatRange(min=0.0, max=MAX_MTJ_VOLTAGE_V),
              required=True,
              help="Pulse amplitude straight across the MTJ, in volts (0 <= V <= 5; 0 V is "
              "retention: thermal switching only; MgO barriers break down near 1.5 V).")
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
@simulator_options
@handle_errors
def device_psw(preset: str, from_state: str, voltage: float, widths: str, model: str,
               trials: int, temperature: float | None, seed: int, fit_path: Path | None,
               mtj_model: str, csv_path: Path, plot_path: Path | None,
               draws_path: Path | None, backend: str, timeout_s: float, threads: int,
               keep_run_dir: bool) -> None:
    """Switching probability P_sw of one MTJ versus pulse width (writes a CSV table)."""
    import numpy as np

    from spinspice.analysis.device import draws_table, plot_psw, psw_table
    from spinspice.analysis.tables import write_csv
    from spinspice.spintronic_cells.fit import shipped_fit
    from spinspice.spintronic_cells.fit_checks import load_checked_fit
    from spinspice.spintronic_cells.presets import get_preset

    out = _prepare_output(csv_path)
    plot_out = _prepare_output(plot_path)
    draws_out = _prepare_output(draws_path)
    if draws_out is not None and model != "spice":
        raise click.BadParameter("--draws needs --model spice", param_hint="--draws")
    params = get_preset(preset)
    fit = None
    if model == "spice":
        fit = load_checked_fit(fit_path) if fit_path else shipped_fit(preset)
    # the spice model's jobs show the engine's own bar
    bar = (progress_bar(f"device psw: LLG Monte Carlo, {trials} trials") if model == "llg"
           else contextlib.nullcontext(None))
    with bar as tick:
        df = psw_table(params, from_state=from_state, voltage_V=voltage,  # type: ignore[arg-type]
                       widths_s=np.asarray(_widths(widths)), model=model, trials=trials,
                       temperature_K=temperature, seed=seed, fit=fit,
                       mtj_kind=mtj_model,  # type: ignore[arg-type]
                       engine=make_backend(backend, timeout_s, threads, keep_run_dir),
                       progress=tick)
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
@click.option("--out", "-o", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Output JSON (versioned, with provenance and residuals).")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Measured switching data CSV instead of the Monte Carlo: "
              "voltage_V,width_s,trials,switched | voltage_V,width_s,psw,trials | "
              "voltage_V,width_s,wer[,trials] (docs/device.md; examples/measured_switching.csv).")
@click.option("--from", "from_state", type=click.Choice(["AP", "P"]), default=None,
              help="With --data: the start state of the measured switches.")
@click.option("--data-trials", type=click.IntRange(1, 10**12), default=None,
              help="With --data: trials per row of a wer file without a trials column.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="With --data: diagnostics JSON (estimates, 95 % intervals, "
              "per-point residual z); default: next to --out as <name>.report.json.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="With --data: PNG of data against the fitted curves, 95 % band.")
@quiet_option
@handle_errors
def device_fit(preset: str, trials: int, seed: int, out_path: Path, data_path: Path | None,
               from_state: str | None, data_trials: int | None, report_path: Path | None,
               plot_path: Path | None) -> None:
    """Fit the behavioural MTJ law: to the LLG Monte Carlo (both directions, both regimes),
    or with --data to measured switching data of one direction (maximum likelihood)."""
    from spinspice.analysis.tables import write_atomic
    from spinspice.spintronic_cells.fit import fit_behavioural
    from spinspice.spintronic_cells.presets import get_preset

    out = _prepare_output(out_path)
    assert out is not None
    if data_path is not None:
        _fit_measured_cmd(preset, data_path, from_state, data_trials, out, report_path,
                          plot_path)
        return
    for name, value in (("--from", from_state), ("--data-trials", data_trials),
                        ("--report", report_path), ("--plot", plot_path)):
        if value is not None:
            raise click.BadParameter(f"{name} needs --data", param_hint=name)
    with progress_bar(f"device fit: Monte Carlo, {trials} trials per run") as tick:
        fit = fit_behavioural(get_preset(preset), preset=preset, n_trials=trials, seed=seed,
                              progress=tick)
    write_atomic(out, lambda p: p.write_text(fit.to_json()))
    for d in (fit.ap_to_p, fit.p_to_ap):
        _console().print(
            f"{d.direction}: C = {d.c_As:.4g} A*s, I_c = {d.ic_A * 1e6:.1f} uA, "
            f"theta0 = {d.theta0_rad:.3f} rad, CDF error rms {d.rms_cdf_error:.3f} "
            f"max {d.max_cdf_error:.3f}"
        )
        th = d.thermal
        if th is not None:
            z = "" if th.rms_z is None else f", z-scores rms {th.rms_z:.2f} max {th.max_abs_z:.2f}"
            _console().print(
                f"  thermal ({th.source}): delta = {th.delta:.2f}, f0 = {th.f0_Hz:.3g} Hz, "
                f"I_th = {th.ith_A * 1e6:.1f} uA, hand-over I_h = {th.ih_A * 1e6:.1f} uA, "
                f"h0 = {th.h0:.4f}, tau_w = {th.tau_w_s * 1e9:.3f} ns{z}"
            )
    _console().print(f"t_sw = {fit.tsw_s * 1e12:.1f} ps; wrote {out}")


def _fit_measured_cmd(preset: str, data_path: Path, from_state: str | None,
                      data_trials: int | None, out: Path, report_path: Path | None,
                      plot_path: Path | None) -> None:
    import json

    import pandas as pd

    from spinspice.analysis.device_fit import fit_measured, parse_switching_csv, plot_measured_fit
    from spinspice.analysis.tables import write_atomic
    from spinspice.errors import ParameterError
    from spinspice.spintronic_cells.fit import shipped_fit
    from spinspice.spintronic_cells.presets import get_preset

    if from_state is None:
        raise click.BadParameter("--data needs --from AP|P (the start state)", param_hint="--from")
    report = _prepare_output(report_path or out.with_name(out.stem + ".report.json"))
    plot = _prepare_output(plot_path)
    try:
        table = pd.read_csv(data_path, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ParameterError(f"cannot read {data_path} as CSV: {exc}") from None
    data = parse_switching_csv(table, from_state, data_trials)  # type: ignore[arg-type]
    res = fit_measured(data, get_preset(preset), shipped_fit(preset), preset=preset)
    write_atomic(out, lambda p: p.write_text(res.fit.to_json()))
    assert report is not None
    text = json.dumps(_json_safe(res.report()), indent=2, sort_keys=True) + "\n"
    write_atomic(report, lambda p: p.write_text(text))
    if plot is not None:
        plot_measured_fit(res, plot)
    con = _console()
    for key, unit, scale in (("c_As", "A*s", 1.0), ("ic_A", "uA", 1e6), ("theta0_rad", "rad", 1.0)):
        lo, hi = res.ci95[key]
        con.print(f"{res.direction} {key}: {res.estimates[key] * scale:.4g} {unit} "
                  f"(95 % CI {lo * scale:.4g} .. {hi * scale:.4g})")
    con.print(f"{data.voltage_V.size} points, deviance {res.deviance:.2f}, "
              f"max |residual z| {float(abs(res.residual_z).max()):.2f}")
    con.print(f"wrote {out} and {report}" + (f" and {plot}" if plot else ""))



def _json_safe(value: object) -> object:
    """Infinite/NaN floats as null (strict JSON)."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@device.command("info")
@click.option("--preset", default=None, help="Device preset (with its shipped fit, if any).")
@click.option("--fit", "fit_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A behavioural fit JSON instead of a preset.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the quantities as JSON (keys: delta, ic0_ap_to_p_A, "
              "ic0_p_to_ap_A, retention_s, read_disturb_p, source, ...).")
@handle_errors
def device_info_cmd(preset: str | None, fit_path: Path | None, json_path: Path | None) -> None:
    """Derived quantities of a device: delta, I_c0, retention, read disturb, R(V), source."""
    import json

    from spinspice.analysis.device_info import device_info
    from spinspice.analysis.tables import write_atomic
    from spinspice.errors import ParameterError
    from spinspice.spintronic_cells.fit import shipped_fit
    from spinspice.spintronic_cells.fit_checks import load_checked_fit
    from spinspice.spintronic_cells.presets import get_preset

    if (preset is None) == (fit_path is None):
        raise click.UsageError("give exactly one of --preset NAME or --fit FILE")
    out = _prepare_output(json_path)
    if preset is not None:
        params = get_preset(preset)
        try:
            fit = shipped_fit(preset)
        except ParameterError:
            fit = None
        info = device_info(params=params, preset=preset, fit=fit)
    else:
        assert fit_path is not None
        info = device_info(fit=load_checked_fit(fit_path))
    con = _console()
    delta = info["delta"]
    con.print(f"device: {info['preset'] or '(fit)'}")
    con.print(f"  delta = {delta:.2f}" if delta is not None
              else "  delta = (unknown: the fit has no thermal regime)")
    con.print(f"  I_c0 AP->P = {info['ic0_ap_to_p_A'] * 1e6:.1f} uA, "
              f"P->AP = {info['ic0_p_to_ap_A'] * 1e6:.1f} uA")
    con.print(f"  retention = {info['retention_s']:.3g} s ({info['retention_model']})")
    con.print(f"  read disturb P({info['read_pulse']['v_rd_V']:g} V, "
              f"{info['read_pulse']['t_rd_s'] * 1e9:g} ns) = {info['read_disturb_p']:.3g} "
              f"({info['read_disturb_model']})")
    if "fit" in info:
        f = info["fit"]
        con.print(f"  fit: I_c AP->P {f['ic_ap_to_p_A'] * 1e6:.1f} uA, P->AP "
                  f"{f['ic_p_to_ap_A'] * 1e6:.1f} uA, retention {f['retention_s']:.3g} s, "
                  f"thermal regime {', '.join(f['thermal_regime'])}")
    for row in info["resistance"]:
        con.print(f"  R_P = {row['r_p_ohm']:.1f} ohm, R_AP = {row['r_ap_ohm']:.1f} ohm "
                  f"at {row['voltage_V']:g} V")
    con.print(f"  source: {info['source']}")
    if info["warning"]:
        _console(stderr=True).print(f"warning: {info['warning']}")
    if out is not None:
        text = json.dumps(_json_safe(info), indent=2, sort_keys=True) + "\n"
        write_atomic(out, lambda p: p.write_text(text))
        con.print(f"wrote {out}")
