"""Sneak-path extraction (seed 002 §4.4.1-4.4.2), the sneak CLI and the stochastic transient."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.analysis.sneak import adversarial_inputs, analyse, run_update_transient
from spinspice.array_builder.crossbar import CrossbarDesign, random_inputs
from spinspice.cli import cli

IDEAL = {"r_driver_ohm": 1e-3, "r_select_on_ohm": 1e-3}


def _signs(m: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, d, st = random_inputs(m, n, seed)
    return np.sign(x + 1e-12), np.sign(d + 1e-12), st


def test_two_phase_sneak_voltages_follow_section_441() -> None:
    """Mean -> (V_P - V_AP)/2 for random signs; worst -> V_P - V_AP for the adversarial input."""
    m = 24
    d = CrossbarDesign(architecture="1r", rows=m, cols=m, **IDEAL)  # type: ignore[arg-type]
    r = analyse(d, *_signs(m, m, 5), "2phase")
    tot = r.summary.iloc[-1]
    assert 0.45 < tot["mean_ratio"] < 0.55
    w = analyse(d, *adversarial_inputs(m, m), "2phase").summary.iloc[-1]
    assert w["worst_ratio"] > 0.9
    assert w["worst_ratio"] == pytest.approx((m - 1) / m, abs=0.03)


def test_four_phase_sneak_voltages_follow_section_442_and_switch_far_less() -> None:
    m = 24
    d = CrossbarDesign(architecture="1r", rows=m, cols=m, **IDEAL)  # type: ignore[arg-type]
    inputs = _signs(m, m, 5)
    four = analyse(d, *inputs, "4phase").summary.iloc[-1]
    two = analyse(d, *inputs, "2phase").summary.iloc[-1]
    assert 0.2 < four["mean_ratio"] < 0.4  # seed: V_P/3
    w = analyse(d, *adversarial_inputs(m, m), "4phase").summary.iloc[-1]
    assert w["worst_ratio"] > 0.9  # seed: -> V_P
    assert two["expected_false_switches"] > 10
    assert four["expected_false_switches"] < 1e-6 * two["expected_false_switches"]


def test_1t1r_access_transistors_block_sneak_paths() -> None:
    d = CrossbarDesign(architecture="1t1r", rows=8, cols=8)
    r = analyse(d, *random_inputs(8, 8, 3), "2phase")
    tot = r.summary.iloc[-1]
    assert tot["worst_v_unselected_V"] < 1e-3
    assert tot["expected_false_switches"] < 1e-12
    assert tot["expected_switches_selected"] > 0.1
    t = r.table
    assert len(t) == 2 * 64 and list(t.columns[:4]) == ["phase", "row", "col", "selected"]
    assert (t.loc[t["selected"], "p_false_switch"] == 0).all()


def test_sneak_cli_writes_tidy_csv_and_summary(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "x.txt").write_text("1 -0.5 0.25\n")
    (tmp_path / "d.txt").write_text("-1, 0.5\n")
    args = [
        "sneak",
        "--crossbar",
        "1r",
        "--scheme",
        "4phase",
        "--rows",
        "3",
        "--cols",
        "2",
        "--inputs",
        str(tmp_path / "x.txt"),
        "--errors",
        str(tmp_path / "d.txt"),
        "--csv",
        str(tmp_path / "o" / "cells.csv"),
        "--summary",
        str(tmp_path / "s.csv"),
        "--plot",
        str(tmp_path / "h.png"),
    ]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    cells = pd.read_csv(tmp_path / "o" / "cells.csv")
    for col in ("phase", "row", "col", "selected", "v_cell_V", "i_cell_A", "p_false_switch"):
        assert col in cells.columns
    assert len(cells) == 4 * 6
    summary = pd.read_csv(tmp_path / "s.csv")
    assert summary["phase"].tolist() == ["w1", "w2", "w3", "w4", "all"]
    assert (tmp_path / "h.png").stat().st_size > 1000
    bad = runner.invoke(
        cli,
        [
            "sneak",
            "--crossbar",
            "1t1r",
            "--scheme",
            "4phase",
            "--rows",
            "2",
            "--cols",
            "2",
            "--random",
            "1",
            "--csv",
            str(tmp_path / "c.csv"),
        ],
    )
    assert bad.exit_code == 2 and "1R" in bad.output
    none = runner.invoke(
        cli,
        [
            "sneak",
            "--crossbar",
            "1r",
            "--scheme",
            "2phase",
            "--rows",
            "2",
            "--cols",
            "2",
            "--csv",
            str(tmp_path / "c.csv"),
        ],
    )
    assert none.exit_code == 2
    (tmp_path / "x.txt").write_text("1 2 0\n")
    out = runner.invoke(cli, args)
    assert out.exit_code == 2 and "within [-1, 1]" in out.output


@pytest.mark.ngspice
def test_stochastic_transient_flips_agree_with_fast_path(engine: Any) -> None:
    """Item 5: the same thresholds give the same flips in ngspice and in the fast path."""
    d = CrossbarDesign(architecture="1r", rows=2, cols=2)
    x = np.array([0.8, -0.6])
    delta = np.array([0.9, -0.7])
    st = np.array([[False, True], [True, False]])
    c = run_update_transient(d, x, delta, st, "2phase", replicas=6, seed=4, engine=engine)
    assert c.flipped_spice.shape == (6, 2, 2)
    assert c.agreement >= 0.95
    assert 0 < c.p_fast.max() < 1
