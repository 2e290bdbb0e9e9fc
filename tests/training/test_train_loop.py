"""End-to-end training: reproducibility, learning beyond chance, config validation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from spinspice.errors import ParameterError
from spinspice.training.data import Dataset, load_dataset
from spinspice.training.loop import TrainingConfig, train
from spinspice.training.studies import parse_sweep, run_sweep


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset("digits")


@pytest.fixture(scope="module")
def wbcd() -> Dataset:
    return load_dataset("wbcd")


def _strip(res: object) -> list[tuple[float, ...]]:
    return [
        (r.train_loss, r.train_acc, r.test_acc, r.weight_changes, r.device_switches)
        for r in res.records  # type: ignore[attr-defined]
    ]


def test_same_seed_same_run_other_seed_differs(digits: Dataset) -> None:
    cfg = TrainingConfig(synapse="mtj-4t2r", epochs=2, seed=7, r_rsd=0.1, theta0_rsd=0.1)
    a = train(cfg, dataset=digits)
    b = train(cfg, dataset=digits)
    c = train(replace(cfg, seed=8), dataset=digits)
    assert _strip(a) == _strip(b)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    assert _strip(a) != _strip(c)


@pytest.mark.parametrize(
    ("synapse", "epochs", "floor"),
    [("float", 3, 0.85), ("gxnor", 3, 0.6), ("mtj-4t2r", 3, 0.6)],
)
def test_short_digits_run_beats_chance(
    digits: Dataset, synapse: str, epochs: int, floor: float
) -> None:
    res = train(TrainingConfig(synapse=synapse, epochs=epochs), dataset=digits)  # type: ignore[arg-type]
    assert res.test_accuracy > floor  # chance is 0.10
    assert res.summary["test_accuracy"] == res.test_accuracy
    assert res.summary["synapse"] == synapse and res.summary["epochs"] == epochs
    if synapse != "float":
        assert all(set(np.unique(w).tolist()) <= {-1.0, 0.0, 1.0} for w in res.weights)


def test_mtj_summary_reports_device_psw(digits: Dataset) -> None:
    res = train(TrainingConfig(synapse="mtj-4t2r", epochs=1), dataset=digits)
    p = res.summary["psw_ap_to_p_at_0.25_0.5_1_Tup"]
    assert 0 < p[0] < p[1] < p[2] < 0.5  # the device does not reach P_sw(T_up) ~ 1
    counts = res.summary["final_state_counts"]
    assert sum(counts.values()) == 64 * 100 + 100 * 10


def test_conv_net_trains(digits: Dataset) -> None:
    res = train(TrainingConfig(synapse="gxnor", net="conv8x3-fc10", epochs=2), dataset=digits)
    assert res.test_accuracy > 0.4
    assert res.weights[0].shape == (8, 9)


@pytest.mark.parametrize("synapse", ["mtj-1t1r", "mtj-1r-4phase", "dp"])
def test_binary_wbcd_beats_majority(wbcd: Dataset, synapse: str) -> None:
    res = train(
        TrainingConfig(dataset="wbcd", net="30-2", synapse=synapse, epochs=2),  # type: ignore[arg-type]
        dataset=wbcd,
    )
    assert res.test_accuracy > 0.8  # majority class is 0.63
    assert res.summary["effective_loss"] == "mse"
    assert res.summary["b_per_layer"][0] > 0


def test_2phase_sneak_disturbance_is_applied(wbcd: Dataset) -> None:
    cfg = TrainingConfig(dataset="wbcd", net="30-2", synapse="mtj-1r-2phase", epochs=1)
    on = train(replace(cfg, sneak_rate_2phase=0.2), dataset=wbcd)
    off = train(replace(cfg, sneak=False), dataset=wbcd)
    assert on.summary["false_switches"] > 100
    assert off.summary["false_switches"] == 0


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"dataset": "cifar"}, "dataset"),
        ({"synapse": "pcm"}, "synapse"),
        ({"epochs": 0}, "epochs"),
        ({"lr": -1.0}, "lr"),
        ({"a": 0.6, "r": 0.5}, "window"),
        ({"r_rsd": 1.0}, "r_rsd"),
        ({"temperature_K": 400.0}, "temperature"),
        ({"dataset": "mnist"}, "data_dir"),
        ({"sneak_rate_2phase": 2.0}, "sneak_rate_2phase"),
        ({"lr_decay": 0.0}, "lr_decay"),
        ({"psw_tables": ("a.csv",), "temperature_K": 300.0}, "device model"),
        ({"switching_model": "llg"}, "switching_model"),
    ],
)
def test_config_validation(kwargs: dict[str, object], msg: str) -> None:
    with pytest.raises(ParameterError, match=msg):
        TrainingConfig(**kwargs)  # type: ignore[arg-type]


def test_binary_rejects_conv(digits: Dataset) -> None:
    with pytest.raises(ParameterError, match="dense"):
        train(TrainingConfig(synapse="mtj-1t1r", net="conv4x3-fc10", epochs=1), dataset=digits)


def test_sweep_rows_and_parse() -> None:
    assert parse_sweep("theta0=0.0913,0.345") == ("theta0", (0.0913, 0.345))
    assert parse_sweep("r-rsd=0.05")[0] == "r_rsd"
    for bad in ("bogus=1", "theta0", "theta0=a", "theta0="):
        with pytest.raises(ParameterError):
            parse_sweep(bad)
    wb = load_dataset("wbcd")
    base = TrainingConfig(dataset="wbcd", net="30-2", synapse="mtj-1r-2phase", epochs=1)
    res = run_sweep(base, "sneak_rate_2phase", [0.0, 0.3], [0, 1], dataset=wb)
    assert [r.value for r in res.rows] == [0.0, 0.3]
    assert len(res.runs) == 4
    assert res.rows[0].mean_test_accuracy > res.rows[1].mean_test_accuracy
    assert res.table()[0]["n_seeds"] == 2
    with pytest.raises(ParameterError):
        run_sweep(base, "theta0_rsd", [2.0], [0], dataset=wb)


def test_psw_tables_replace_the_closed_form(tmp_path: Path, digits: Dataset) -> None:
    from spinspice.training.mtj_update import DeviceSwitching

    dev = DeviceSwitching.from_preset()
    widths = np.linspace(0.0, 4e-9, 81)
    paths = []
    for state, direction in (("AP", "AP->P"), ("P", "P->AP")):
        p = dev.psw(widths, direction=direction, voltage_V=1.0)  # type: ignore[arg-type]
        f = tmp_path / f"{state}.csv"
        f.write_text(
            "width_s,psw,from_state,voltage_V\n"
            + "".join(f"{w:.9e},{q:.9e},{state},1.0\n" for w, q in zip(widths, p, strict=True))
        )
        paths.append(str(f))
    cfg = TrainingConfig(synapse="mtj-4t2r", epochs=1, psw_tables=tuple(paths))
    res = train(cfg, dataset=digits)
    ref = dev.psw(np.array([0.5e-9, 1e-9, 2e-9]), direction="AP->P", voltage_V=1.0)
    assert np.allclose(res.summary["psw_ap_to_p_at_0.25_0.5_1_Tup"], ref, atol=0.01)
    assert res.test_accuracy > 0.5
    with pytest.raises(ParameterError, match="made at"):
        train(replace(cfg, v_up_V=1.5), dataset=digits)
