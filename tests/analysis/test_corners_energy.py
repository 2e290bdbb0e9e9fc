"""Corner checks, decoding sweep and the energy table, through the CLI and the API."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.analysis.corners import CORNER_COLUMNS, corner_weights, corners_of, read_disturb_p
from spinspice.analysis.energy import ENERGY_COLUMNS, row_control_energy_J
from spinspice.array_builder.array_4t2r import Array4T2RDesign, ReadPulse
from spinspice.array_builder.synapse_4t2r import Synapse4T2RDesign
from spinspice.cli import cli
from spinspice.netlists.technology import MosfetTechnology
from spinspice.spintronic_cells.fit import shipped_fit


def test_corners_and_weights() -> None:
    assert [c.label for c in corners_of(3, 5)] == ["[1,1]", "[1,5]", "[3,5]", "[3,1]"]
    assert [c.label for c in corners_of(1, 1)] == ["[1,1]"]
    w = corner_weights(6, 7, seed=3)
    for c in corners_of(6, 7):
        assert w[c.m, c.n] in ("+1", "-1")


def test_read_disturb_is_the_fitted_laws_probability_with_the_thermal_regime() -> None:
    fit = shipped_fit()
    # device C (Δ = 4.2) hops thermally: ~3 % of 0.5 ns reads switch, as in the Monte Carlo
    assert 0.01 < read_disturb_p(fit, ReadPulse()) < 0.06
    # the precessional law alone has none below its I_c (0.1 V / 1500 Ω = 67 µA < I_c)
    precessional = replace(fit, ap_to_p=replace(fit.ap_to_p, thermal=None),
                           p_to_ap=replace(fit.p_to_ap, thermal=None))
    assert read_disturb_p(precessional, ReadPulse()) == 0.0
    hot = read_disturb_p(fit, ReadPulse(v_rd_V=1.0, t_rd_s=2e-9))
    assert 0.3 < hot <= 1.0


def test_row_control_energy_scales_with_columns_and_slots() -> None:
    syn = Synapse4T2RDesign(technology=MosfetTechnology.default())
    one = Array4T2RDesign(synapse=syn, rows=4, cols=1)
    wide = Array4T2RDesign(synapse=syn, rows=4, cols=9)
    assert row_control_energy_J(one, 1) == 0.0
    assert row_control_energy_J(wide, 2) == pytest.approx(2 * row_control_energy_J(wide, 1))


def _precessional_fit(tmp_path: Path) -> str:
    """The shipped fit without its thermal regime (device C's reads disturb it: Δ = 4.2)."""
    fit = shipped_fit()
    path = tmp_path / "precessional.fit.json"
    path.write_text(replace(fit, ap_to_p=replace(fit.ap_to_p, thermal=None),
                            p_to_ap=replace(fit.p_to_ap, thermal=None)).to_json())
    return str(path)


@pytest.mark.ngspice
def test_corners_cli_passes_on_a_small_array_and_names_the_sweep(tmp_path: Path) -> None:
    out, sweep = tmp_path / "c.csv", tmp_path / "s.csv"
    res = CliRunner().invoke(cli, ["corners", "--rows", "4", "--cols", "3", "--csv", str(out),
                                   "--sweep", "2,4", "--sweep-csv", str(sweep),
                                   "--fit", _precessional_fit(tmp_path)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert list(df.columns) == list(CORNER_COLUMNS)
    assert len(df) == 13 and df["passed"].all()
    assert set(df["operation"]) == {"ff", "bp", "update", "read-disturb"}
    ff = df[df.operation == "ff"]
    assert (ff["error_lsb"].abs() < 0.5).all() and (ff["energy_J"] > 0).all()
    upd = df[df.operation == "update"]
    assert (upd["psw_model"] > 0.5 * upd["psw_reference"]).all()
    assert pd.read_csv(sweep)["decodes"].all()


def test_corners_cli_bad_input(tmp_path: Path) -> None:
    for args in (["--rows", "0", "--cols", "2"], ["--rows", "2", "--cols", "2", "--op", "x"],
                 ["--rows", "2", "--cols", "2", "--sweep", "4,abc"]):
        res = CliRunner().invoke(cli, ["corners", *args, "--csv", str(tmp_path / "x.csv")])
        assert res.exit_code == 2, res.output
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.ngspice
def test_energy_cli_table(tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    res = CliRunner().invoke(cli, ["energy", "--sizes", "1x1,4x4", "--csv", str(out),
                                   "--plot", str(tmp_path / "e.png")])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert list(df.columns) == list(ENERGY_COLUMNS)
    assert (tmp_path / "e.png").stat().st_size > 1000
    small, big = df.iloc[0], df.iloc[1]
    # 16× the cells: area exactly, feedforward energy roughly (all cells read in parallel)
    assert big.area_m2 == pytest.approx(16 * small.area_m2)
    assert 8 < big.e_ff_J / small.e_ff_J < 32
    assert 8 < big.e_update_J / small.e_update_J < 32
    # the periphery only costs energy
    for op in ("ff", "bp", "update"):
        assert df[f"tops_per_w_{op}_periph"].lt(df[f"tops_per_w_{op}"]).all()
    # an update drives ~0.5 mA per MTJ at 1 V for up to 2 ns: ~pJ per cell
    assert 1e-13 < small.e_update_J < 1e-11
    res = CliRunner().invoke(cli, ["energy", "--sizes", "4by4", "--csv", str(out)])
    assert res.exit_code == 2
    assert np.isfinite(df.drop(columns=["cell", "engine"]).to_numpy(dtype=float)).all()
    assert (df["engine"] == "ngspice-subprocess").all()


@pytest.mark.ngspice
def test_corners_cli_2t1r(tmp_path: Path) -> None:
    out = tmp_path / "c2.csv"
    res = CliRunner().invoke(cli, ["corners", "--cell", "2t1r", "--rows", "3", "--cols", "4",
                                   "--csv", str(out), "--plot", str(tmp_path / "w.png"),
                                   "--fit", _precessional_fit(tmp_path)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert (df["cell"] == "2t1r").all() and len(df) == 13 and df["passed"].all()
    assert (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"
    assert df[df.operation == "update"]["switch_agrees"].all()


@pytest.mark.ngspice
def test_energy_cli_2t1r(tmp_path: Path) -> None:
    out = tmp_path / "e2.csv"
    res = CliRunner().invoke(cli, ["energy", "--cell", "2t1r", "--sizes", "1x1,3x3", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert (df["cell"] == "2t1r").all()
    assert (df["e_update_J"] > 0).all() and (df["tops_per_w_ff"] > df["tops_per_w_ff_periph"]).all()
    assert df.e_ff_J.iloc[1] > 3 * df.e_ff_J.iloc[0]


@pytest.mark.ngspice
def test_quasi_static_read_energy_matches_the_transient(engine: Any) -> None:
    from spinspice.analysis.array_ops import run_array_op
    from spinspice.analysis.energy import quasi_static_read
    from spinspice.array_builder.array_4t2r import random_weights

    d = Array4T2RDesign(synapse=Synapse4T2RDesign(technology=MosfetTechnology.default()), rows=6, cols=5)
    w = random_weights(6, 5, 2)
    rng = np.random.default_rng(4)
    for op, n in (("ff", 5), ("bp", 6)):
        vec = rng.choice([-1, 1], n)
        tran = run_array_op(d, w, op, vec, pulse=ReadPulse(), engine=engine)  # type: ignore[arg-type]
        qs = quasi_static_read(d, w, op, vec, pulse=ReadPulse(), engine=engine)
        assert qs.energy_J == pytest.approx(tran.energy_J, rel=0.05)


@pytest.mark.ngspice
def test_corners_fail_device_cs_read_disturb_and_name_it(tmp_path: Path) -> None:
    # The shipped fit's thermal regime: ~3 % of reads of device C switch (Δ = 4.2), so the
    # design's read-disturb check fails (naming the probability and the model), while the
    # read checks themselves (sign, decoding) still pass.
    out = tmp_path / "c.csv"
    res = CliRunner().invoke(cli, ["corners", "--cell", "2t1r", "--rows", "2", "--cols", "2",
                                   "--csv", str(out)])
    assert res.exit_code == 1, res.output
    df = pd.read_csv(out)
    reads = df[df.operation.isin(["ff", "bp"])]
    assert reads["passed"].all() and reads["sign_ok"].all()
    (rd,) = df[df.operation == "read-disturb"].itertuples()
    assert not rd.passed and rd.read_disturb_p > 1e-3 and rd.corner == "[2,1]"
    assert "P_sw of one read = " in rd.detail and "fitted behavioural law" in rd.detail
