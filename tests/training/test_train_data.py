"""Datasets: bundled splits and the MNIST IDX reader (round trip incl. a property test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spinspice.errors import ParameterError
from spinspice.training.data import load_dataset, load_mnist, read_idx, write_idx

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    arr=st.sampled_from(DTYPES).flatmap(
        lambda dt: hnp.arrays(
            dtype=np.dtype(dt),
            shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
            elements={"allow_nan": False} if dt.startswith("float") else None,
        )
    ),
    compress=st.booleans(),
)
def test_idx_round_trip(tmp_path: Path, arr: np.ndarray, compress: bool) -> None:
    p = write_idx(tmp_path / "a.idx", arr, compress=compress)
    back = read_idx(p)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    assert np.array_equal(back, arr)


def test_idx_header_layout_is_big_endian(tmp_path: Path) -> None:
    p = write_idx(tmp_path / "x", np.array([[1, 2, 3]], dtype=np.int16))
    assert p.read_bytes() == bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0, 3])


@pytest.mark.parametrize(
    ("payload", "msg"),
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "type code"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", "payload"),
        (b"\x00\x00", "too short"),
        (b"\x1f\x8bnot-gzip", "gzip"),
    ],
)
def test_idx_rejects_malformed(tmp_path: Path, payload: bytes, msg: str) -> None:
    p = tmp_path / "bad"
    p.write_bytes(payload)
    with pytest.raises(ParameterError, match=msg):
        read_idx(p)


def _mnist_dir(tmp_path: Path, n_train: int = 30, n_test: int = 10) -> Path:
    rng = np.random.default_rng(0)
    d = tmp_path / "mnist"
    d.mkdir()
    for stem, n in (("train", n_train), ("t10k", n_test)):
        y = (np.arange(n) % 10).astype(np.uint8)
        x = rng.integers(0, 50, size=(n, 6, 6)).astype(np.uint8)
        x[np.arange(n), y // 6, y % 6] = 255  # a class-dependent bright pixel
        write_idx(d / f"{stem}-images-idx3-ubyte", x, compress=stem == "train")
        write_idx(d / f"{stem}-labels-idx1-ubyte", y)
    (d / "train-images-idx3-ubyte").rename(d / "train-images-idx3-ubyte.gz")
    return d


def test_load_mnist_from_user_files(tmp_path: Path) -> None:
    ds = load_mnist(_mnist_dir(tmp_path))
    assert ds.x_train.shape == (30, 36) and ds.x_test.shape == (10, 36)
    assert ds.image_shape == (1, 6, 6) and ds.n_classes == 10
    assert np.allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-5)


def test_load_mnist_errors(tmp_path: Path) -> None:
    d = _mnist_dir(tmp_path)
    write_idx(d / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ParameterError, match="do not match"):
        load_mnist(d)
    with pytest.raises(ParameterError, match="not found"):
        load_mnist(tmp_path)
    with pytest.raises(ParameterError, match="data_dir"):
        load_dataset("mnist")


def test_bundled_splits_are_fixed() -> None:
    dg = load_dataset("digits")
    assert (len(dg.x_train), len(dg.x_test), dg.n_classes, dg.image_shape) == (
        1257,
        540,
        10,
        (1, 8, 8),
    )
    again = load_dataset("digits")
    assert np.array_equal(dg.x_test, again.x_test) and np.array_equal(dg.y_train, again.y_train)
    other = load_dataset("digits", split_seed=1)
    assert not np.array_equal(dg.y_test, other.y_test)
    wb = load_dataset("wbcd")
    assert (len(wb.x_train), len(wb.x_test), wb.n_features, wb.n_classes) == (369, 200, 30, 2)
    # stratified: class ratio of the test split equals the whole set's (212 : 357)
    assert abs(float(wb.y_test.mean()) - 357 / 569) < 0.01
    assert np.allclose(wb.x_train.mean(axis=0), 0.0, atol=1e-5)
    with pytest.raises(ParameterError, match="unknown dataset"):
        load_dataset("cifar")
