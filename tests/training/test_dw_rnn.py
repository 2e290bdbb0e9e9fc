"""Recurrent DW net vs time-lagged BTNN on the synthetic phoneme task (seed 004 Fig. 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from spinspice.cli import cli
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.domain_wall import DW_PRESETS, displacement
from spinspice.training.dw_rnn import (
    PhonemeTask,
    RnnDesign,
    calibrate_rnn,
    evaluate_lagged,
    make_sequences,
    run_rnn,
    score,
    simulate_hidden_neuron,
    train_lagged,
)

TASK = PhonemeTask()
P = DW_PRESETS["seed004-dw"]


def test_generator_is_deterministic_per_seed_and_labels_latch() -> None:
    a, b, c = (make_sequences(TASK, 40, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.codes, c.codes)
    assert a.codes.min() >= 0 and a.codes.max() <= 7
    for q in range(a.n):
        on = a.onset[q]
        if on < 0:
            assert a.labels[q].sum() == 0 and a.scored[q].all()
            continue
        first = on + TASK.latency - 1
        assert a.labels[q, first:].all() and not a.labels[q, :first].any()  # stays high
        assert not a.scored[q, on:first].any() and a.scored[q, first:].all()
        assert a.present[q, on : on + TASK.latency].all()


def test_score_of_always_off_and_of_the_labels() -> None:
    d = make_sequences(TASK, 60, seed=0)
    off = score(np.zeros_like(d.labels), d)
    assert off["accuracy"] == pytest.approx(off["always_off_accuracy"])
    assert score(d.labels, d)["accuracy"] == 1.0
    with pytest.raises(ParameterError):
        score(np.zeros((2, 2)), d)


def test_hidden_walls_follow_the_device_law_with_dead_zone_and_end_stops() -> None:
    d = make_sequences(TASK, 4, seed=0)
    w = np.zeros((1, TASK.frame_samples))
    below = RnnDesign(weights=w, gain_A=1e-6, bias_A=0.9 * P.i_th_A)
    assert run_rnn(below, d).y_hidden.max() == 0.0  # |I| < I_th: no motion
    above = RnnDesign(weights=w, gain_A=1e-6, bias_A=2 * P.i_th_A)
    step = float(displacement(P, 2 * P.i_th_A, above.t_cycle_s))
    y = run_rnn(above, d).y_hidden[0, :, 0]
    np.testing.assert_allclose(y, np.minimum(step * np.arange(1, TASK.cycles + 1), 1.0))
    back = RnnDesign(weights=w, gain_A=1e-6, bias_A=-2 * P.i_th_A)
    assert run_rnn(back, d).y_hidden.max() == 0.0  # end stop at 0


def test_three_template_neurons_beat_always_off_and_one_neuron() -> None:
    train = make_sequences(TASK, 200, seed=0)
    test = make_sequences(TASK, 200, seed=1)
    accs = {}
    for h in (1, 3):
        d, _ = calibrate_rnn(TASK, h, train)
        sc = score(run_rnn(d, test, rng=np.random.default_rng(0)).out, test)
        accs[h] = sc["accuracy"]
    base = sc["always_off_accuracy"]
    assert accs[3] > base + 0.15
    assert accs[3] > accs[1] + 0.05


def test_time_lagged_accuracy_rises_with_delays() -> None:
    train = make_sequences(TASK, 400, seed=0)
    test = make_sequences(TASK, 400, seed=1)
    acc = {
        dl: evaluate_lagged(train_lagged(train, delays=dl, hidden=4, seed=0, epochs=300), test)[
            "accuracy"
        ]
        for dl in (0, 8)
    }
    assert acc[8] > acc[0] + 0.05


@pytest.mark.parametrize(
    "args",
    [
        ["--delays", "20"],
        ["--hidden", "0"],
        ["--rnn-hidden", "abc"],
        ["--seeds", "0"],
        ["--latency", "16"],
    ],
)
def test_cli_bad_input_is_one_line_rc_2(args: list[str], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["dw", "rnn", *args, "--csv", str(tmp_path / "o.csv")])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


def test_cli_writes_one_row_per_model_hidden_cycles_seed(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    res = CliRunner().invoke(
        cli,
        [
            "dw", "rnn", "--seeds", "2", "--rnn-hidden", "3", "--hidden", "2",
            "--delays", "0,2", "--train", "60", "--test", "40", "--epochs", "5",
            "--csv", str(csv),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    df = pd.read_csv(csv)
    assert list(df.columns[:5]) == ["model", "hidden", "cycles", "delays", "seed"]
    assert "accuracy" in df.columns
    assert len(df) == 2 * (1 + 2)
    assert set(df[df["model"] == "lagged"]["cycles"]) == {1, 3}


@pytest.mark.ngspice
def test_recurrent_neuron_deck_reproduces_a_hidden_neurons_trajectory(tmp_path: Path) -> None:
    from spinspice.analysis.runner import NgspiceSubprocess
    from spinspice.array_builder.dw_devices import dw_models

    train = make_sequences(TASK, 200, seed=0)
    test = make_sequences(TASK, 20, seed=1)
    d, _ = calibrate_rnn(TASK, 3, train)
    run = run_rnn(d, test)
    q = int(np.flatnonzero(test.onset > 0)[0])
    k = int(np.argmax(run.y_hidden[q].max(axis=0)))
    assert run.y_hidden[q, -1, k] > d.y_threshold  # the neuron fires on this sequence
    assert (run.i_hidden_A[q, :, k] < -P.i_th_A).any()  # and is also driven backwards
    df = simulate_hidden_neuron(d, run, q, k, NgspiceSubprocess(), dw_models("osdi", tmp_path))
    # 5e-3 of the track: the netlist twins' smooth end-stop windows (docs/domain_wall.md §1)
    np.testing.assert_allclose(df["x"], df["expected_x"], atol=5e-3)
    assert (df["output"] == df["expected_output"]).all()
