"""``spinspice device info``: derived quantities of a preset or a fit, JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinspice.analysis.device_info import device_info
from spinspice.cli import cli
from spinspice.spintronic_cells.fit import shipped_fit
from spinspice.spintronic_cells.presets import get_preset

CONTRACT = {"delta", "ic0_ap_to_p_A", "ic0_p_to_ap_A", "retention_s", "read_disturb_p", "source"}


def test_info_json_has_the_contract_keys_and_warns_for_device_c(tmp_path: Path) -> None:
    out = tmp_path / "info.json"
    res = CliRunner().invoke(cli, ["device", "info", "--preset", "seed001-device-c",
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    info = json.loads(out.read_text())
    assert set(info) >= CONTRACT
    assert info["delta"] == pytest.approx(4.2, abs=0.01)
    assert info["ic0_ap_to_p_A"] == pytest.approx(157e-6)
    # fitted retention of Δ = 4.2: tens of ns; reads disturb it at the Monte-Carlo rate (~3 %)
    assert 5e-9 < info["retention_s"] < 1e-7
    assert 0.01 < info["read_disturb_p"] < 0.06
    assert "thermal regime" in info["read_disturb_model"]
    assert "seed 001" in info["source"]
    assert "thermally unstable" in info["warning"] and "delta = 4.2 < 40" in res.output


def test_info_from_a_fit_file_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text(shipped_fit().to_json())
    res = CliRunner().invoke(cli, ["device", "info", "--fit", str(path), "--json",
                                   str(tmp_path / "i.json")])
    assert res.exit_code == 0, res.output
    info = json.loads((tmp_path / "i.json").read_text())
    assert set(info) >= CONTRACT and info["ic0_ap_to_p_A"] == shipped_fit().ap_to_p.ic_A
    for args in ([], ["--preset", "seed001-device-c", "--fit", str(path)], ["--preset", "nope"]):
        bad = CliRunner().invoke(cli, ["device", "info", *args])
        assert bad.exit_code == 2, bad.output


def test_info_of_a_preset_without_fit_uses_the_closed_form() -> None:
    info = device_info(params=get_preset("seed001-device-c"), preset="x")
    assert info["read_disturb_model"].startswith("seed 000")
    assert info["retention_s"] == pytest.approx(1e-9 * 2.718281828459045 ** info["delta"])
