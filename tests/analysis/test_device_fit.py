"""``spinspice device fit --data``: maximum-likelihood fit of the behavioural law to measured
switching data, its intervals, diagnostics and refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from spinspice.analysis.device_fit import (
    _model,
    fit_measured,
    parse_switching_csv,
    synthetic_data,
)
from spinspice.cli import cli
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.fit import load_fit, shipped_fit
from spinspice.spintronic_cells.llg import run_llg
from spinspice.spintronic_cells.presets import get_preset

BASE = shipped_fit()
DEV = get_preset("seed001-device-c")
TRUE = (2.3e-13, 70e-6, 0.66)  # C [A·s], I_c [A], θ0 [rad]
VOLTS = (0.8, 1.0, 1.2)
WIDTHS = tuple(np.array([0.3, 0.6, 1.0, 1.5, 2.0, 3.0]) * 1e-9)
KEYS = ("c_As", "ic_A", "theta0_rad")
EXAMPLE = Path(__file__).parents[2] / "examples" / "measured_switching.csv"


def test_synthetic_data_from_a_known_law_are_recovered_within_95_percent_intervals() -> None:
    data = synthetic_data(TRUE, BASE, "AP", VOLTS, WIDTHS, 500, seed=1)
    res = fit_measured(data, DEV, BASE, preset="seed001-device-c")
    for key, true in zip(KEYS, TRUE, strict=True):
        lo, hi = res.ci95[key]
        assert lo <= true <= hi, (key, lo, true, hi)
    assert np.abs(res.residual_z).max() < 3.5 and res.fit.ap_to_p.c_As == res.estimates["c_As"]
    assert res.fit.p_to_ap == BASE.p_to_ap  # the unmeasured direction is the preset's


def test_intervals_cover_the_true_values_93_to_97_percent_of_200_data_sets() -> None:
    # 6 widths × 3 voltages × 500 trials, 200 independent data sets (measured: ~10 s,
    # 0.05 s per fit); Wald intervals on ln C, I_c, ln θ0 from the observed information.
    cover = np.zeros(3)
    for k in range(200):
        res = fit_measured(synthetic_data(TRUE, BASE, "AP", VOLTS, WIDTHS, 500, seed=k), DEV, BASE,
                           preset="x")
        cover += [res.ci95[key][0] <= true <= res.ci95[key][1]
                  for key, true in zip(KEYS, TRUE, strict=True)]
    frac = cover / 200
    assert np.all((frac >= 0.93) & (frac <= 0.97)), frac


def test_a_fit_to_monte_carlo_measurements_predicts_held_back_widths() -> None:
    widths = np.array([0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0]) * 1e-9
    held = np.array([False, False, True, False, False, True, False, False])
    n = 2000
    rows = []
    for k, v in enumerate((0.8, 1.0, 1.2)):
        mc = run_llg(DEV, from_state="AP", voltage_V=v, duration_s=3e-9, n_trials=n, seed=50 + k,
                     n_trace=0)
        p = mc.psw_at(widths)[0]
        rows += [{"voltage_V": v, "width_s": w, "trials": n, "switched": round(x * n),
                  "held": h} for w, x, h in zip(widths, p, held, strict=True)]
    table = pd.DataFrame(rows)
    fit_rows, test_rows = table[~table.held], table[table.held]
    res = fit_measured(parse_switching_csv(fit_rows.drop(columns="held"), "AP"), DEV, BASE,
                       preset="seed001-device-c")
    cur = np.array([v / float(BASE.resistance_ohm(1.0, v)) for v in test_rows.voltage_V])
    w = test_rows.width_s.to_numpy()
    pred = _model(res.z_opt, cur, w, BASE.tsw_s)
    draws = np.random.default_rng(0).multivariate_normal(res.z_opt, res.covariance_z, 400)
    sd_pred = np.std([_model(z, cur, w, BASE.tsw_s) for z in draws], axis=0)
    p_mc = test_rows.switched.to_numpy() / n
    z = (p_mc - pred) / np.sqrt(p_mc * (1 - p_mc) / n + sd_pred**2)
    assert np.all(np.abs(z) < 3), (p_mc, pred, z)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([(1.0, 1e-9, 100, 101)], "data row 1: switched = 101 exceeds trials = 100"),
        ([(1.0, 1e-9, 100, 10), (1.0, -1e-9, 100, 5)], "data row 2: width_s = -1e-09 must be > 0"),
        ([(1.0, 1e-9, 100, 10), (1.0, 2e-9, 100, 50), (1.0, 1e-9, 100, 12)],
         "data row 3: repeats voltage_V = 1, width_s = 1e-09 of row 1"),
        ([(1.0, 1e-9, 1000, 500), (1.0, 2e-9, 1000, 100)],
         "data row 2: P_sw = 0.1 at width 2e-09 s is below 0.5"),
        ([(0.0, 1e-9, 100, 10)], "data row 1: voltage_V = 0 must be > 0"),
        ([(1.0, 1e-9, 10.5, 1)], "data row 1: trials = 10.5 must be a whole number"),
    ],
)
def test_bad_data_is_refused_naming_the_row(rows: list[tuple[float, ...]], match: str) -> None:
    table = pd.DataFrame(rows, columns=["voltage_V", "width_s", "trials", "switched"])
    with pytest.raises(ParameterError, match=match.replace("(", r"\(").replace(".", r"\.")):
        parse_switching_csv(table, "AP")


def test_psw_and_wer_forms_convert_to_counts() -> None:
    psw = pd.DataFrame({"voltage_V": [1.0, 1.0], "width_s": [1e-9, 2e-9], "psw": [0.25, 0.5],
                        "trials": [400, 400]})
    d = parse_switching_csv(psw, "P")
    np.testing.assert_array_equal(d.switched, [100, 200])
    wer = pd.DataFrame({"voltage_V": [1.0], "width_s": [1e-9], "wer": [0.75]})
    with pytest.raises(ParameterError, match="wer data need a trials column or --trials"):
        parse_switching_csv(wer, "AP")
    assert parse_switching_csv(wer, "AP", 400).switched[0] == 100
    with pytest.raises(ParameterError, match=r"data row 1: psw = 1\.5 is outside"):
        parse_switching_csv(psw.assign(psw=[1.5, 0.5]), "AP")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 1000)), min_size=1, max_size=8,
                unique_by=lambda x: x[0]),
       st.data())
def test_parser_accepts_valid_counts_and_names_an_overfull_row(
    points: list[tuple[int, int]], data: Any
) -> None:
    # one voltage; counts rising with width (so monotone); then one row made overfull
    points.sort()
    n_all = max(n for _, n in points)
    ks = sorted(data.draw(st.integers(0, n)) for _, n in points)
    table = pd.DataFrame({"voltage_V": 1.0, "width_s": [w * 1e-10 for w, _ in points],
                          "trials": n_all, "switched": ks})
    d = parse_switching_csv(table, "AP")
    np.testing.assert_array_equal(d.switched, ks)
    j = data.draw(st.integers(0, len(points) - 1))
    table.loc[j, "switched"] = n_all + 1
    with pytest.raises(ParameterError, match=f"data row {j + 1}: switched"):
        parse_switching_csv(table, "AP")


def test_device_fit_data_cli_writes_a_fit_every_command_accepts(tmp_path: Path) -> None:
    out = tmp_path / "meas.fit.json"
    res = CliRunner().invoke(cli, ["device", "fit", "--data", str(EXAMPLE), "--from", "AP",
                                   "-o", str(out), "--plot", str(tmp_path / "m.png")])
    assert res.exit_code == 0, res.output
    fit = load_fit(out)
    from spinspice.spintronic_cells.fit_checks import load_checked_fit

    assert load_checked_fit(out) == fit  # what --fit of corners, energy, train reads
    report = json.loads((tmp_path / "meas.fit.report.json").read_text())
    lo, hi = report["ci95"]["c_As"]
    assert lo < fit.ap_to_p.c_As < hi and len(report["points"]) == 24
    assert max(abs(p["residual_z"]) for p in report["points"]) < 3.5
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    bad = tmp_path / "bad.csv"
    bad.write_text("voltage_V,width_s,trials,switched\n1.0,1e-9,100,10\n1.0,2e-9,100,101\n")
    res = CliRunner().invoke(cli, ["device", "fit", "--data", str(bad), "--from", "AP",
                                   "-o", str(tmp_path / "x.json")])
    assert res.exit_code == 2 and "data row 2: switched = 101 exceeds trials = 100" in res.output
    res = CliRunner().invoke(cli, ["device", "fit", "--data", str(bad), "-o", str(tmp_path / "y.json")])
    assert res.exit_code == 2 and "--from" in res.output


@pytest.mark.ngspice
def test_device_psw_spice_uses_a_measured_fit(tmp_path: Path) -> None:
    out = tmp_path / "meas.fit.json"
    assert CliRunner().invoke(cli, ["device", "fit", "--data", str(EXAMPLE), "--from", "AP",
                                    "-o", str(out)]).exit_code == 0
    csv = tmp_path / "p.csv"
    res = CliRunner().invoke(cli, ["device", "psw", "--fit", str(out), "--model", "spice",
                                   "--mtj-model", "osdi", "--from", "AP", "--voltage", "1",
                                   "--widths", "1e-9", "--trials", "200", "--csv", str(csv)])
    assert res.exit_code == 0, res.output
    p = pd.read_csv(csv).psw.iloc[0]
    measured = pd.read_csv(EXAMPLE, comment="#")
    p_meas = measured[(measured.voltage_V == 1.0) & (measured.width_s == 1e-9)]
    expected = float(p_meas.switched.iloc[0] / p_meas.trials.iloc[0])
    assert abs(p - expected) < 3 * np.sqrt(expected * (1 - expected) / 200) + 0.01
