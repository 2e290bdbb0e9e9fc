"""Spin BTNN / RLNN on DW crossbars (seed 004): training, vote, cost model, loop entry."""

from __future__ import annotations

import numpy as np
import pytest

from spinspice.errors import ParameterError
from spinspice.training.data import load_dataset
from spinspice.training.dw_nets import (
    DWNetParams,
    dw_net_cost,
    hidden,
    quantise,
    train_net,
    vote,
)
from spinspice.training.loop import TrainingConfig, train

DATA = load_dataset("digits")


def test_quantise_and_neurons() -> None:
    assert np.allclose(quantise(np.array([0.0, 0.51, 2.0, -1.0]), 4), [0, 8 / 15, 1, 0])
    z = np.array([-1.0, 0.2, 3.4, 20.0])
    assert hidden("dw-btnn", z).tolist() == [0, 1, 1, 1]
    assert hidden("dw-rlnn", z).tolist() == [0, 0, 3, 7]  # 3-bit racetrack: clip at 7


def test_vote_needs_the_ratio() -> None:
    s = np.array([[1.0, 1.1, 0.2], [1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    assert vote(s, 1.2).tolist() == [-1, 1, -1]
    assert vote(s, 1.05).tolist() == [1, 1, -1]


def test_rlnn_second_layer_costs_nine_cells_per_weight() -> None:
    rng = np.random.default_rng(0)
    kw = {
        "w1": rng.uniform(0, 1, (64, 30)),
        "t1": np.zeros(30),
        "w2": rng.uniform(0, 1, (30, 10)),
        "t2": np.zeros(10),
    }
    b = dw_net_cost(
        DWNetParams(kind="dw-btnn", **kw),
        mean_active_inputs=20,
        mean_hidden_bits=10,
        cell_area_m2=1e-13,
    )
    r = dw_net_cost(
        DWNetParams(kind="dw-rlnn", **kw),
        mean_active_inputs=20,
        mean_hidden_bits=10,
        cell_area_m2=1e-13,
    )
    assert b.cells == 65 * 31 + 31 * 11
    assert r.cells == 65 * 31 + 91 * 31
    assert r.area_m2 > b.area_m2 and b.energy_J > 0


@pytest.mark.parametrize("kind", ["dw-btnn", "dw-rlnn"])
def test_short_training_learns_digits(kind: str) -> None:
    _, hist = train_net(kind, DATA, n_hidden=30, epochs=4, seed=0)  # type: ignore[arg-type]
    assert hist[-1]["ideal_acc"] > 0.75  # chance is 0.1
    assert 0 <= hist[-1]["hw_acc"] <= hist[-1]["hw_acc_argmax"] + 1e-12


def test_train_entry_point_runs_dw_rlnn() -> None:
    res = train(TrainingConfig(synapse="dw-rlnn", net="64-20-10", epochs=2), dataset=DATA)
    assert len(res.records) == 2
    assert res.summary["dw_area_m2"] > 0 and res.summary["dw_energy_per_inference_J"] > 0
    with pytest.raises(ParameterError):
        train(TrainingConfig(synapse="dw-btnn", net="64-20-20-10", epochs=1), dataset=DATA)
