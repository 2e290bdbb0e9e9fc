"""Seed 002 binary crossbar training: eq. 6–9 mapping, device calibration, sneak rates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinspice.errors import ParameterError
from spinspice.training.binary import (
    SEED002_TABLE3,
    BinaryCrossbarTrainer,
    SneakDisturbance,
    WriteMapping,
    _odd_flip_prob,
    calibrate_direction,
    deploy_deterministic,
    seed002_switching,
    sneak_rate,
)
from spinspice.training.gxnor import parse_net
from spinspice.training.mtj_update import Direction


def test_write_mapping_eq6_eq7_table3() -> None:
    ap = WriteMapping.seed002("AP->P")
    p = WriteMapping.seed002("P->AP")
    assert ap.width(np.array([0.0, 0.5, 1.0, 3.0])).tolist() == pytest.approx(
        [1.5e-9, 2.0e-9, 2.5e-9, 2.5e-9]
    )
    assert ap.current(np.array([0.0, 1.0])).tolist() == pytest.approx([60e-6, 90e-6])
    assert p.current(np.array([0.0, 0.5, 1.0])).tolist() == pytest.approx([140e-6, 170e-6, 200e-6])
    with pytest.raises(ParameterError):
        WriteMapping(t0_s=-1.0, t1_s=1e-9, i0_A=1e-6, i1_A=1e-6)


@pytest.mark.parametrize("direction", ["AP->P", "P->AP"])
def test_calibrated_device_meets_design_rules_eq8_eq9(direction: Direction) -> None:
    t0, t1, i0, i1 = SEED002_TABLE3[direction]
    ic, _, _ = calibrate_direction(t0, t1, i0, i1)
    assert ic == pytest.approx(i0 - i1 * t0 / t1)
    model = seed002_switching()
    w = np.array([t0, t0 + t1, t0 + t1, 0.9 * t0])
    i = np.array([i0 + i1, i0, i0 + i1, i0 + i1])
    p = np.array(
        [model.psw_current(w[k : k + 1], direction=direction, current_A=i[k])[0] for k in range(4)]
    )
    assert p[0] == pytest.approx(0.05, abs=1e-9)  # eq. 8 at t_wr = t0
    assert p[1] == pytest.approx(0.05, abs=1e-9)  # eq. 9 at I_wr = I0
    assert p[2] == pytest.approx(0.7, abs=1e-9)  # largest write: eta = 0.7 (Fig. 3)
    assert p[3] < 0.05  # shorter than t0: below P0


def test_sneak_rates_follow_seed002_analysis() -> None:
    m = seed002_switching()
    r2 = sneak_rate(m, scheme="2phase")
    r4 = sneak_rate(m, scheme="4phase")
    # 2-phase average sneak (V_P - V_AP)/2R is comparable to a write: a few % per phase;
    # 4-phase V/3R is below I_c0 or barely above it: negligible (seed 002 §4.4.2).
    assert 0.01 < r2 < 0.2
    assert r4 < 1e-6
    full = sneak_rate(m, scheme="2phase", abs_x=1.0, abs_delta=1.0)
    assert full > r2
    d = SneakDisturbance.from_device(m)
    assert (d.rate_2phase, d.rate_4phase, d.dp_program_flip) == (r2, r4, full)
    with pytest.raises(ParameterError):
        sneak_rate(m, scheme="3phase")  # type: ignore[arg-type]


def test_sneak_summary_files(tmp_path: Path) -> None:
    j = tmp_path / "s.json"
    j.write_text(json.dumps({"false_switch_rate_2phase": 0.02, "other": 1}))
    d = SneakDisturbance.from_file(j)
    assert d.rate_2phase == 0.02
    assert d.rate_4phase == SneakDisturbance.from_device().rate_4phase
    c = tmp_path / "s.csv"
    c.write_text("scheme,false_switch_rate\n4phase,0.001\ndp,0.2\n")
    d = SneakDisturbance.from_file(c)
    assert (d.rate_4phase, d.dp_program_flip) == (0.001, 0.2)
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"nothing": 1}))
    with pytest.raises(ParameterError, match="no false-switch"):
        SneakDisturbance.from_file(bad)
    bad.write_text(json.dumps({"2phase": 3.0}))
    with pytest.raises(ParameterError):
        SneakDisturbance.from_file(bad)


def test_odd_flip_probability() -> None:
    p = _odd_flip_prob(0.1, np.array([0, 1, 2, 3]))
    assert p.tolist() == pytest.approx([0.0, 0.1, 2 * 0.1 * 0.9, 0.1**3 + 3 * 0.1 * 0.9**2])


@dataclass(frozen=True)
class Always:
    def psw(
        self,
        width_s: np.ndarray,
        *,
        direction: Direction,
        voltage_V: object,
        r_scale: object = None,
        theta0_scale: object = None,
    ) -> np.ndarray:
        return np.ones_like(np.asarray(width_s, float))


def test_write_directions_follow_table1() -> None:
    spec = parse_net("2-2", n_features=2, image_shape=None, n_classes=2)
    tr = BinaryCrossbarTrainer(
        spec, b=[1.0], variant="mtj-1t1r", model=Always(), rng=np.random.default_rng(0)
    )
    tr.states[0][:] = np.array([[True, False], [True, False]])  # True = P = +b
    x = np.array([1.0, -1.0])
    delta = np.array([0.5, -0.5])
    tr._write_layer(0, x, delta)
    # dW = -delta x^T: row 0 (delta > 0): [-, +] -> [AP, P]; row 1 (delta < 0): [+, -] -> [P, AP]
    assert tr.states[0].tolist() == [[False, True], [True, False]]
    assert tr.switches == 2
    assert tr.read_weights()[0].tolist() == [[-1.0, 1.0], [1.0, -1.0]]


def test_1t1r_has_no_false_switches_and_2phase_does() -> None:
    spec = parse_net("4-3", n_features=4, image_shape=None, n_classes=3)
    sneak = SneakDisturbance(rate_2phase=0.3, rate_4phase=0.0, dp_program_flip=0.0)
    counts = {}
    for variant in ("mtj-1t1r", "mtj-1r-2phase", "mtj-1r-4phase"):
        tr = BinaryCrossbarTrainer(
            spec,
            b=[0.5],
            variant=variant,  # type: ignore[arg-type]
            model=seed002_switching(),
            rng=np.random.default_rng(1),
            sneak=sneak,
        )
        for k in range(50):
            tr.train_sample(np.ones(4, np.float32) * (k % 2 - 0.5), k % 3)
        counts[variant] = tr.false_switches
    assert counts["mtj-1t1r"] == 0 and counts["mtj-1r-4phase"] == 0
    assert counts["mtj-1r-2phase"] > 20


def test_trainer_rejects_conv_and_bad_b() -> None:
    conv = parse_net("conv2x3-fc10", n_features=64, image_shape=(1, 8, 8), n_classes=10)
    with pytest.raises(ParameterError, match="dense"):
        BinaryCrossbarTrainer(
            conv, b=[1, 1], variant="mtj-1t1r", model=Always(), rng=np.random.default_rng(0)
        )
    dense = parse_net("4-3", n_features=4, image_shape=None, n_classes=3)
    with pytest.raises(ParameterError, match="b per layer"):
        BinaryCrossbarTrainer(
            dense, b=[-1.0], variant="mtj-1t1r", model=Always(), rng=np.random.default_rng(0)
        )


def test_deploy_deterministic_flips_and_scales() -> None:
    st = [np.ones((100, 100), bool)]
    w = deploy_deterministic(st, [0.5], rng=np.random.default_rng(0), program_flip=0.2)
    frac = float((w[0] < 0).mean())
    assert frac == pytest.approx(0.2, abs=0.02)
    w = deploy_deterministic(
        st, [0.5], rng=np.random.default_rng(0), r_scale=[np.full((100, 100), 2.0)]
    )
    assert np.all(w[0] == 0.25)


def test_sneak_cli_summary_feeds_training(tmp_path: Path) -> None:
    """`spinspice sneak --summary` output is a valid `train --sneak-table` input."""
    from click.testing import CliRunner

    from spinspice.cli import cli

    summary = tmp_path / "sum.csv"
    res = CliRunner().invoke(
        cli,
        ["sneak", "--crossbar", "1r", "--scheme", "2phase", "--rows", "8", "--cols", "8",
         "--random", "3", "--csv", str(tmp_path / "cells.csv"), "--summary", str(summary)],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(summary)
    row = table[table.phase == "all"].iloc[0]
    d = SneakDisturbance.from_file(summary)
    assert d.rate_2phase == pytest.approx(row.expected_false_switches / row.n_unselected)
    assert 0 < d.rate_2phase < 1
    assert d.rate_4phase == SneakDisturbance.from_device().rate_4phase  # not in this table
    # a 1T1R summary carries no 1R sneak rate
    table.assign(crossbar="1t1r").to_csv(summary, index=False)
    with pytest.raises(ParameterError, match="no false-switch"):
        SneakDisturbance.from_file(summary)
