"""MAAP-CNN (seed 003 §3): float training, quantised MAAP inference, redundancy, counts."""

from __future__ import annotations

import numpy as np
import pytest

from spinspice.analysis.maap import S_FS
from spinspice.analysis.maap_module import MaapStats
from spinspice.errors import ParameterError
from spinspice.training.maap_cnn import (
    CnnSpec,
    activation_scale,
    finetune_fc,
    float_accuracy,
    load_images,
    maap_accuracy,
    maap_features,
    operation_counts,
    run_study,
    train_cnn,
)


@pytest.fixture(scope="module")
def trained():  # type: ignore[no-untyped-def]
    data = load_images("digits")
    w = train_cnn(CnnSpec(), data, seed=0, epochs=8)
    return data, w, activation_scale(w, data.x_train)


def _noisy_stats(sigma: float, n: int = 64) -> MaapStats:
    # synthetic devices: knee offsets of sigma * FS (the ngspice-derived ones are tested
    # in tests/analysis/test_maap.py)
    rng = np.random.default_rng(5)
    s = np.linspace(-0.25 * S_FS, S_FS, 81)
    b = rng.normal(0, sigma * S_FS, n)
    curves = np.clip(s[None, :] + b[:, None], 0, S_FS)
    return MaapStats(0.05, 0.0, 5, s, curves, np.ones(n), b, 0.0, S_FS)


def test_float_cnn_learns_digits(trained) -> None:  # type: ignore[no-untyped-def]
    data, w, _ = trained
    assert float_accuracy(w, data.x_test, data.y_test) > 0.9


def test_ideal_maap_at_8_bits_matches_float(trained) -> None:  # type: ignore[no-untyped-def]
    data, w, full = trained
    acc = maap_accuracy(
        w,
        data,
        bits=8,
        redundancy=1,
        stats=MaapStats.ideal(S_FS),
        rng=np.random.default_rng(0),
        act_full=full,
    )
    assert acc == pytest.approx(float_accuracy(w, data.x_test, data.y_test), abs=0.02)


def test_redundancy_recovers_accuracy_lost_to_variation(trained) -> None:  # type: ignore[no-untyped-def]
    data, w, full = trained
    st = _noisy_stats(0.3)
    acc = {
        r: maap_accuracy(
            w, data, bits=8, redundancy=r, stats=st, rng=np.random.default_rng(r), act_full=full
        )
        for r in (1, 16)
    }
    assert acc[16] > acc[1] + 0.03


def test_operation_counts_of_the_digits_cnn() -> None:
    c = operation_counts(CnnSpec())
    assert c.maap == c.adc == 8 * 3 * 3  # 8 filters, 3x3 pooled
    assert c.multiply == 72 * 36 + 72 * 10
    with pytest.raises(ParameterError):
        CnnSpec(image=9)
    with pytest.raises(ParameterError):
        load_images("mnist")


def test_mnist_idx_files_run_through_the_28px_network(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # tiny synthetic IDX set: class c has a bright 6x6 square at position c
    from spinspice.training.data import write_idx

    rng = np.random.default_rng(0)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, n).astype(np.uint8)
        x = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
        for i, c in enumerate(y):
            r, q = divmod(int(c), 5)
            x[i, 4 + 12 * r : 10 + 12 * r, 2 + 5 * q : 8 + 5 * q] = 250
        return x, y

    xtr, ytr = make(300)
    xte, yte = make(100)
    write_idx(tmp_path / "train-images-idx3-ubyte", xtr)
    write_idx(tmp_path / "train-labels-idx1-ubyte", ytr)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", xte, compress=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", yte)
    data = load_images("mnist", data_dir=tmp_path)
    assert data.x_train.shape == (300, 28, 28) and float(data.x_train.max()) <= 1.0
    spec = CnnSpec(image=28)
    assert spec.n_features == 8 * 13 * 13 == operation_counts(spec).maap
    w = train_cnn(spec, data, seed=0, epochs=3)
    acc = maap_accuracy(
        w,
        data,
        bits=8,
        redundancy=2,
        stats=MaapStats.ideal(S_FS),
        rng=np.random.default_rng(0),
        act_full=activation_scale(w, data.x_train),
    )
    assert acc > 0.8


def _sums(seed: int, n: int = 4000) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.6, 0.6, (n, 4))  # (operations, P = 4)


def test_operation_correction_removes_the_bias_of_the_max_over_varied_windows() -> None:
    # the WTA reads max_p (s_p + e_p) > max_p s_p: the single-window correction leaves that
    # bias whatever R; the operation's mean transfer, calibrated on other sums, removes it
    st = _noisy_stats(0.1, n=200)
    sums = _sums(1)
    true = np.clip(sums, 0, S_FS).max(axis=-1)
    m = true < 0.9 * S_FS  # away from the full-scale clip
    window = st.evaluate(np.random.default_rng(2), sums, 64) - true
    op = st.with_operation_correction(_sums(3), np.random.default_rng(4))
    opc = op.evaluate(np.random.default_rng(2), sums, 64) - true
    assert window[m].mean() > 0.01 * S_FS
    assert abs(opc[m].mean()) < 0.25 * window[m].mean()
    assert np.sqrt(np.mean(opc[m] ** 2)) < np.sqrt(np.mean(window[m] ** 2))


def test_operation_correction_of_ideal_devices_is_the_identity() -> None:
    st = MaapStats.ideal(S_FS).with_operation_correction(_sums(5), np.random.default_rng(0))
    sums = _sums(6, 500)
    out = st.evaluate(np.random.default_rng(0), sums, 3)
    assert out == pytest.approx(np.clip(sums, 0, S_FS).max(axis=-1), abs=1e-9)
    with pytest.raises(ParameterError):
        MaapStats.ideal(S_FS).with_operation_correction(_sums(5, 10), np.random.default_rng(0))


def test_fc_finetuning_on_device_features_recovers_accuracy(trained) -> None:  # type: ignore[no-untyped-def]
    data, w, full = trained
    st = _noisy_stats(0.3)
    feat = maap_features(
        w, data.x_train, bits=8, redundancy=1, stats=st, rng=np.random.default_rng(1), act_full=full
    )
    w2 = finetune_fc(w, feat, data.y_train, epochs=10, seed=0)
    assert np.array_equal(w2.wc, w.wc)
    acc = {
        name: maap_accuracy(
            ww, data, bits=8, redundancy=1, stats=st, rng=np.random.default_rng(7), act_full=full
        )
        for name, ww in (("float", w), ("tuned", w2))
    }
    assert acc["tuned"] > acc["float"] + 0.02
    with pytest.raises(ParameterError):
        finetune_fc(w, feat, data.y_train, epochs=0, seed=0)


def test_run_study_rows_record_the_mean_correction_and_fc_epochs() -> None:
    st = {(0.0, 0.0): MaapStats.ideal(S_FS), (0.05, 0.0): _noisy_stats(0.1)}
    df = run_study(
        dataset="digits",
        data_dir=None,
        bits=[8],
        redundancy=[2],
        stats=st,
        seeds=1,
        epochs=3,
        op_correction=True,
        fc_epochs=1,
    )
    assert len(df) == 2
    assert df["op_correction"].all() and (df["fc_epochs"] == 1).all()
    assert df["test_accuracy"].between(0.5, 1.0).all()
