"""The fitted behavioural MTJ in ngspice against the Monte Carlo; OSDI twin; read disturb; CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.analysis.device import psw_table, spice_switching
from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.cli import cli
from spinspice.netlists import mtj_model
from spinspice.netlists.circuit import GROUND, Circuit, Dc, Pwl, Transient, VoltageSource
from spinspice.netlists.job import make_job
from spinspice.netlists.osdi import compile_va
from spinspice.spintronic_cells.fit import shipped_fit
from spinspice.spintronic_cells.llg import run_llg
from spinspice.spintronic_cells.presets import get_preset

DEV = get_preset("seed001-device-c")
FIT = shipped_fit()


@pytest.mark.ngspice
@pytest.mark.parametrize("from_state", ["AP", "P"])
def test_spice_psw_agrees_with_the_monte_carlo_within_3_sigma(from_state: str, engine: Any) -> None:
    # 500 ngspice instances (each its own recorded draw) against 10 000 LLG trials, at six
    # widths placed at the Monte Carlo's 10–85 % quantiles (seed 001 device C, 1 V).
    mc = run_llg(DEV, from_state=from_state, voltage_V=1.0, duration_s=3e-9, n_trials=10_000,  # type: ignore[arg-type]
                 seed=21, n_trace=0)
    widths = np.quantile(np.nan_to_num(mc.switch_times_s, nan=np.inf), [0.1, 0.25, 0.4, 0.55, 0.7, 0.85])
    p_mc = mc.psw_at(widths)[0]
    assert p_mc.min() > 0.05 and p_mc.max() < 0.95
    sp = spice_switching(FIT, from_state=from_state, voltage_V=1.0, duration_s=float(widths.max()),  # type: ignore[arg-type]
                         n=500, seed=5, engine=engine)
    p_sp = sp.psw_at(widths)
    z = (p_sp - p_mc) / np.sqrt(p_mc * (1 - p_mc) * (1 / 500 + 1 / 10_000))
    assert np.all(np.abs(z) < 3), (p_sp, p_mc, z)
    assert sp.draws.seed == 5 and sp.draws.theta_ap2p_rad.size == 500


@pytest.mark.ngspice
def test_osdi_twin_matches_behavioural_switching_times_for_the_same_draws(engine: Any) -> None:
    kw = {"from_state": "P", "voltage_V": 1.0, "duration_s": 2e-9, "n": 40, "seed": 4}
    beh = spice_switching(FIT, kind="behavioural", **kw, engine=engine)  # type: ignore[arg-type]
    osdi = spice_switching(FIT, kind="osdi", **kw, engine=engine)  # type: ignore[arg-type]
    np.testing.assert_array_equal(np.isnan(beh.switch_times_s), np.isnan(osdi.switch_times_s))
    ok = np.isfinite(beh.switch_times_s)
    assert ok.sum() > 20
    np.testing.assert_allclose(osdi.switch_times_s[ok], beh.switch_times_s[ok], rtol=1e-3)


@pytest.mark.ngspice
@pytest.mark.parametrize("state", ["AP", "P"])
def test_osdi_twin_matches_behavioural_iv(state: str, tmp_path: Path) -> None:
    # Both kinds side by side on one source, swept −0.3 V → +0.3 V in 1 ns (too short and
    # too weak to reach a switching threshold): the currents must agree point by point and
    # follow R(state, V) with the bias-dependent TMR.
    osdi_lib = compile_va(mtj_model.verilog_a_source(), tmp_path)
    sweep = Pwl(((0.0, -0.3), (1e-9, 0.3)))
    circuit = Circuit(
        title="iv",
        elements=(
            VoltageSource("Va", "a", GROUND, sweep),
            mtj_model.instance("behavioural", "b", "a", GROUND, l_ap2p=1.0, l_p2ap=1.0, state=state),  # type: ignore[arg-type]
            VoltageSource("Vc", "a", "c", Dc(0.0)),
            mtj_model.instance("osdi", "o", "c", GROUND, l_ap2p=1.0, l_p2ap=1.0, state=state),  # type: ignore[arg-type]
        ),
        template_subcircuits=(mtj_model.behavioural_subcircuit(FIT),),
        models=(mtj_model.osdi_model_card(FIT),),
        analyses=(Transient(5e-12, 1e-9, max_step_s=5e-12),),
    )
    sim = NgspiceSubprocess().run_job(make_job(circuit, key="test", osdi=(osdi_lib,)))
    tran = sim.plot("tran")
    v = tran["v(a)"]
    i_osdi = tran["i(vc)"]
    i_beh = -tran["i(va)"] - i_osdi
    np.testing.assert_allclose(i_osdi, i_beh, rtol=1e-5, atol=1e-11)
    nz = np.abs(v) > 0.02
    expected = [DEV.resistance(state, x) for x in v[nz]]  # type: ignore[arg-type]
    np.testing.assert_allclose(v[nz] / i_beh[nz], expected, rtol=2e-3)


@pytest.mark.ngspice
def test_read_pulse_never_switches_without_the_thermal_regime(engine: Any) -> None:
    # seed 001 Table 3: V_rd = 0.1 V, T_rd = 0.5 ns; both polarities / start states. Only the
    # precessional law (a format-1 fit): the read current is below its I_c, so no switch.
    # The shipped format-2 fit hops like the Monte Carlo (tests/analysis/test_device_thermal.py).
    precessional = replace(FIT, version=1, ap_to_p=replace(FIT.ap_to_p, thermal=None),
                           p_to_ap=replace(FIT.p_to_ap, thermal=None))
    for state in ("AP", "P"):
        sp = spice_switching(precessional, from_state=state, voltage_V=0.1, duration_s=0.5e-9, n=500, seed=8, engine=engine)  # type: ignore[arg-type]
        assert np.isnan(sp.switch_times_s).all()


def test_read_disturb_in_the_monte_carlo_is_thermal() -> None:
    # Finding: Table 3's θ0 = 0.345 rad means Δ = 4.2, so ~2 % of devices hop the barrier
    # within 0.5 ns with or without the read current; the seed's "no read disturb" needs a
    # stiffer free layer. With θ0 = 0.2 rad (Δ = 12.5) no trial of 10 000 switches.
    table3 = run_llg(DEV, from_state="AP", voltage_V=0.1, duration_s=0.5e-9, n_trials=10_000, seed=2, n_trace=0)
    idle = run_llg(DEV, from_state="AP", voltage_V=0.0, duration_s=0.5e-9, n_trials=10_000, seed=2, n_trace=0)
    assert 0.005 < table3.final_switched.mean() < 0.05
    assert abs(table3.final_switched.mean() - idle.final_switched.mean()) < 0.015
    stiff = replace(DEV, theta0_rad=0.2)
    for state in ("AP", "P"):
        r = run_llg(stiff, from_state=state, voltage_V=0.1, duration_s=0.5e-9, n_trials=10_000, seed=2, n_trace=0)  # type: ignore[arg-type]
        assert r.final_switched.mean() < 1e-3


def test_psw_table_columns_and_bounds() -> None:
    t = psw_table(DEV, from_state="AP", voltage_V=1.0, widths_s=np.array([0.5e-9, 1e-9]), model="llg", trials=500)
    assert list(t.columns)[:4] == ["width_s", "psw", "psw_low", "psw_high"]
    assert np.all((t.psw_low <= t.psw) & (t.psw <= t.psw_high))


def test_device_psw_cli_writes_csv_and_refuses_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "psw.csv"
    res = CliRunner().invoke(cli, ["device", "psw", "--preset", "seed001-device-c", "--from", "AP",
                                   "--voltage", "1", "--widths", "1e-9,2e-9", "--model", "analytic",
                                   "--csv", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert list(table.columns[:2]) == ["width_s", "psw"]
    assert table.psw.iloc[1] == pytest.approx(0.248, abs=1e-3)
    for bad in (["--widths", "1Meg"], ["--model", "magic"], ["--preset", "nope"], ["--from", "X"]):
        args = ["device", "psw", "--from", "AP", "--voltage", "1", "--widths", "1e-9",
                "--csv", str(tmp_path / "b.csv"), *bad]
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 2, (bad, r.output)
        assert not (tmp_path / "b.csv").exists()


def test_device_psw_plot_with_histogram(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["device", "psw", "--from", "P", "--voltage", "1", "--widths",
                                   "0.5e-9,1e-9", "--model", "llg", "--trials", "300",
                                   "--csv", str(tmp_path / "p.csv"), "--plot", str(tmp_path / "p.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.ngspice
def test_spice_psw_reports_its_random_draws(tmp_path: Path) -> None:
    d = tmp_path / "draws.csv"
    res = CliRunner().invoke(cli, ["device", "psw", "--from", "AP", "--voltage", "1", "--widths",
                                   "1e-9", "--model", "spice", "--mtj-model", "osdi", "--trials",
                                   "20", "--seed", "7", "--csv", str(tmp_path / "p.csv"),
                                   "--draws", str(d)])
    assert res.exit_code == 0, res.output
    draws = pd.read_csv(d)
    assert len(draws) == 20 and (draws.seed == 7).all()
    p = pd.read_csv(tmp_path / "p.csv").psw.iloc[0]
    assert p == pytest.approx((draws.switch_time_s <= 1e-9).mean())


def test_device_fit_cli_writes_a_versioned_fit(tmp_path: Path) -> None:
    out = tmp_path / "fit.json"
    res = CliRunner().invoke(cli, ["device", "fit", "--trials", "300", "--seed", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    from spinspice.spintronic_cells.fit import load_fit

    fit = load_fit(out)
    assert fit.trials == 300 and fit.seed == 3 and fit.version == 2
    assert fit.ap_to_p.thermal is not None and fit.p_to_ap.thermal is not None
    assert 0 < fit.ap_to_p.ic_A < fit.p_to_ap.ic_A * 2
    assert fit.ap_to_p.max_cdf_error < 0.1
