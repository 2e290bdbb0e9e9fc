"""``spinspice maap``: CSV columns (public contract) and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from spinspice.cli import cli
from spinspice.cli.maap import _float_list, _int_list
from spinspice.errors import ParameterError


@pytest.mark.ngspice
def test_maap_check_writes_the_contract_columns(tmp_path: Path) -> None:
    out = tmp_path / "check.csv"
    summ = tmp_path / "s.json"
    r = CliRunner().invoke(
        cli,
        [
            "maap",
            "check",
            "--inputs",
            "9",
            "--windows",
            "4",
            "--vectors",
            "12",
            "--seed",
            "1",
            "--csv",
            str(out),
            "--summary",
            str(summ),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns[:5]) == ["vector", "expected", "output", "error_lsb", "winner_correct"]
    assert len(df) == 12 and summ.is_file()
    assert json.loads(summ.read_text())["trim_codes"] is None  # nominal devices: no trim


@pytest.mark.ngspice
@pytest.mark.parametrize("trim", ["--trim", "--no-trim"])
def test_maap_check_with_variation_reports_its_trim_codes(trim: str, tmp_path: Path) -> None:
    summ = tmp_path / "s.json"
    args = ["maap", "check", "--inputs", "3", "--windows", "2", "--vectors", "6"]
    args += ["--mtj-variation", "0.05", "--csv", str(tmp_path / "c.csv"), "--summary", str(summ)]
    r = CliRunner().invoke(cli, [*args, trim])
    assert r.exit_code in (0, 1), r.output  # 1: too few counted winners in 6 vectors
    s = json.loads(summ.read_text())
    if trim == "--trim":
        assert len(s["trim_codes"]) == 2 and s["trim_saturated"] == 0
    else:
        assert s["trim_codes"] is None


@pytest.mark.ngspice
def test_maap_energy_writes_the_contract_columns(tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    r = CliRunner().invoke(
        cli,
        [
            "maap",
            "energy",
            "--bits",
            "4,8",
            "--redundancy",
            "1,4",
            "--vectors",
            "5",
            "--csv",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns[:8]) == [
        "bits",
        "redundancy",
        "e_maap_op_J",
        "e_maap_J",
        "e_memory_J",
        "e_adc_J",
        "e_multiply_J",
        "e_image_J",
    ]
    assert len(df) == 4


@pytest.mark.ngspice
def test_maap_transfer_writes_csv_and_plot(tmp_path: Path) -> None:
    out, png, js = tmp_path / "t.csv", tmp_path / "t.png", tmp_path / "t.json"
    r = CliRunner().invoke(
        cli, ["maap", "transfer", "--csv", str(out), "--plot", str(png), "--summary", str(js)]
    )
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(out).columns) == ["i_in_A", "v_out_V", "in_linear_range"]
    assert png.stat().st_size > 1000
    summ = json.loads(js.read_text())
    assert summ["gain_V_per_A"] > 0 and summ["i_sat_pos_A"] > 0 > summ["i_sat_neg_A"]


@pytest.mark.parametrize(
    "args",
    [
        ["maap", "energy", "--bits", "4,x", "--csv", "e.csv"],
        ["maap", "energy", "--redundancy", "0", "--csv", "e.csv"],
        ["maap", "check", "--inputs", "0", "--csv", "c.csv"],
        ["maap", "cnn", "--dataset", "mnist", "--csv", "c.csv"],
        ["maap", "cnn", "--vth-sigma", "0.5", "--csv", "c.csv"],
    ],
)
def test_bad_input_is_a_one_line_error_exit_2(args: list[str], tmp_path: Path) -> None:
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output


@pytest.mark.ngspice
def test_maap_cnn_writes_the_contract_columns(tmp_path: Path) -> None:
    out = tmp_path / "cnn.csv"
    r = CliRunner().invoke(
        cli,
        [
            "maap",
            "cnn",
            "--dataset",
            "digits",
            "--bits",
            "4",
            "--redundancy",
            "1,4",
            "--vth-sigma",
            "0",
            "--mtj-variation",
            "0,0.05",
            "--seeds",
            "1",
            "--devices",
            "4",
            "--epochs",
            "2",
            "--csv",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns[:6]) == [
        "bits",
        "redundancy",
        "vth_sigma_V",
        "mtj_variation",
        "seed",
        "test_accuracy",
    ]
    assert len(df) == 4 and df["test_accuracy"].between(0, 1).all()
    assert (df["devices_simulated"] == [1, 1, 4, 4]).all()
    assert df["trimmed"].tolist() == [False, False, True, True]  # nominal devices need none


@given(st.lists(st.integers(1, 64), min_size=1, max_size=6))
def test_int_list_round_trips(values: list[int]) -> None:
    assert _int_list(",".join(map(str, values)), "--bits", 1, 64) == tuple(values)


@given(st.text(max_size=12))
def test_int_list_refuses_anything_else_with_a_parameter_error(text: str) -> None:
    try:
        out = _int_list(text, "--bits", 1, 64)
    except ParameterError:
        return
    assert all(1 <= v <= 64 for v in out)


@given(st.lists(st.floats(0, 0.2, allow_nan=False), min_size=1, max_size=4))
def test_float_list_round_trips(values: list[float]) -> None:
    text = ",".join(repr(v) for v in values)
    assert _float_list(text, "--vth-sigma", 0.0, 0.2) == tuple(values)
