"""Datasets for the training stage: bundled scikit-learn sets and an MNIST IDX reader.

Every loader returns a :class:`Dataset` with a fixed, stratified train/test split and
features standardised with statistics fitted on the *training* split only.

* ``digits``: scikit-learn's bundled 8×8 handwritten digits (1797 samples, 10 classes,
  no download). Split 70 % / 30 % stratified, ``random_state=split_seed`` (default 0).
  Image shape (1, 8, 8) for convolutional nets.
* ``wbcd``: scikit-learn's bundled Wisconsin Breast Cancer (Diagnostic) set, the WBCD of
  seed 002 §5 (569 samples, 30 features, 2 classes). Seed 002 tests on 200 samples; we use
  a stratified split with exactly 200 test samples (``random_state=split_seed``).
* ``mnist``: the classic IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``)
  from a local directory, read by :func:`read_idx`; the official 60k/10k split is kept.
  Pixels are scaled to [0, 1] and then standardised per pixel on the training split.

Standardisation: ``x' = (x − μ_train) / max(σ_train, 1e-6)``; constant features (σ = 0,
e.g. the always-blank corner pixels of the digits) therefore stay 0.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError

__all__ = [
    "DATASETS",
    "Dataset",
    "load_breast_cancer_split",
    "load_dataset",
    "load_digits_split",
    "load_mnist",
    "read_idx",
    "write_idx",
]

#: Names accepted by :func:`load_dataset`.
DATASETS: Final = ("digits", "wbcd", "mnist")
#: Axes of a feature matrix: (n_samples, n_features).
FEATURES_NDIM: Final = 2
#: Fewest classes of a classification data set.
MIN_CLASSES: Final = 2
#: Bytes of the IDX magic number: two zero bytes, the type code, the number of dimensions
#: (LeCun's MNIST page).
IDX_MAGIC_BYTES: Final = 4
#: Most dimensions an IDX file can hold: the count is one byte (LeCun's MNIST page).
IDX_MAX_NDIM: Final = 255
#: Axes of an MNIST image array: (n, height, width).
IMAGES_NDIM: Final = 3

#: IDX type byte → big-endian numpy dtype (the format described on LeCun's MNIST page).
_IDX_DTYPES: Final[dict[int, str]] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_IDX_CODES: Final[dict[str, int]] = {
    "uint8": 0x08,
    "int8": 0x09,
    "int16": 0x0B,
    "int32": 0x0C,
    "float32": 0x0D,
    "float64": 0x0E,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    """A standardised, split classification dataset (arrays are float32 / int64).

    Attributes
    ----------
    name:
        Dataset name (``digits``, ``wbcd``, ``mnist``).
    x_train, x_test:
        Features, shape (n, n_features), float32, standardised on the training split.
    y_train, y_test:
        Integer class labels, shape (n,), int64.
    n_classes:
        Number of classes.
    image_shape:
        (channels, height, width) when the features are an image (row-major flattening),
        else ``None``.
    split:
        Human-readable description of the split (documented in the summary).
    """

    name: str
    x_train: NDArray[np.float32]
    y_train: NDArray[np.int64]
    x_test: NDArray[np.float32]
    y_test: NDArray[np.int64]
    n_classes: int
    image_shape: tuple[int, int, int] | None = None
    split: str = field(default="")

    def __post_init__(self) -> None:
        if self.x_train.ndim != FEATURES_NDIM or self.x_test.ndim != FEATURES_NDIM:
            raise ParameterError("Dataset features must be 2-D (n_samples, n_features)")
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise ParameterError("train and test feature counts differ")
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise ParameterError("feature and label counts differ")
        if self.n_classes < MIN_CLASSES:
            raise ParameterError(f"n_classes must be >= 2, got {self.n_classes}")

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(self.x_train.shape[1])


def _standardise(
    x_train: NDArray[np.floating], x_test: NDArray[np.floating]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    mu = x_train.mean(axis=0)
    sigma = np.maximum(x_train.std(axis=0), 1e-6)
    return (
        ((x_train - mu) / sigma).astype(np.float32),
        ((x_test - mu) / sigma).astype(np.float32),
    )


def _split(
    name: str,
    x: NDArray[np.floating],
    y: NDArray[np.integer],
    *,
    test_size: float | int,
    split_seed: int,
    image_shape: tuple[int, int, int] | None,
) -> Dataset:
    from sklearn.model_selection import train_test_split

    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=split_seed, shuffle=True
    )
    x_tr32, x_te32 = _standardise(np.asarray(x_tr, float), np.asarray(x_te, float))
    return Dataset(
        name=name,
        x_train=x_tr32,
        y_train=np.asarray(y_tr, dtype=np.int64),
        x_test=x_te32,
        y_test=np.asarray(y_te, dtype=np.int64),
        n_classes=int(np.max(y)) + 1,
        image_shape=image_shape,
        split=f"stratified train_test_split(test_size={test_size}, random_state={split_seed})",
    )


def load_digits_split(split_seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8×8 digits, 70/30 stratified split, standardised.

    Parameters
    ----------
    split_seed:
        ``random_state`` of the split (default 0; keep it fixed to compare runs).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _split(
        "digits",
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target, dtype=np.int64),
        test_size=0.3,
        split_seed=split_seed,
        image_shape=(1, 8, 8),
    )


def load_breast_cancer_split(split_seed: int = 0) -> Dataset:
    """WBCD (seed 002 §5): bundled breast-cancer set, 200 stratified test samples.

    Parameters
    ----------
    split_seed:
        ``random_state`` of the split (default 0).
    """
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    return _split(
        "wbcd",
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target, dtype=np.int64),
        test_size=200,
        split_seed=split_seed,
        image_shape=None,
    )


def _open_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ParameterError(f"{path}: corrupt gzip stream ({exc})") from exc
    return raw


def read_idx(path: str | Path) -> NDArray[np.generic]:
    """Read an IDX file (the MNIST ``*-ubyte`` format), plain or gzip-compressed.

    Layout: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then one big-endian uint32 per
    dimension, then the data in row-major big-endian order. Gzip is detected from the magic
    bytes ``1f 8b``, not the file name.

    Parameters
    ----------
    path:
        File to read.

    Returns
    -------
    numpy.ndarray
        Array with the stored shape, in native byte order.

    Raises
    ------
    ParameterError
        Missing file, bad magic number, unknown type code, or a payload whose size does
        not match the header.
    """
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"IDX file not found: {p}")
    data = _open_bytes(p)
    if len(data) < IDX_MAGIC_BYTES:
        raise ParameterError(f"{p}: too short for an IDX header ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ParameterError(
            f"{p}: bad IDX magic {data[:4].hex()} (the first two bytes must be zero)"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ParameterError(f"{p}: unknown IDX type code 0x{code:02x}")
    if ndim == 0:
        raise ParameterError(f"{p}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ParameterError(f"{p}: truncated IDX header ({ndim} dimensions declared)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header
    if got != expected:
        raise ParameterError(
            f"{p}: IDX payload is {got} bytes but the header shape {shape} needs {expected}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: NDArray[np.generic], *, compress: bool = False) -> Path:
    """Write ``array`` as an IDX file (inverse of :func:`read_idx`; used by tests).

    Parameters
    ----------
    path:
        Target file.
    array:
        Array of dtype uint8, int8, int16, int32, float32 or float64.
    compress:
        Gzip the file.
    """
    arr = np.asarray(array)
    if arr.dtype.name not in _IDX_CODES:
        raise ParameterError(f"IDX cannot store dtype {arr.dtype}")
    if arr.ndim == 0 or arr.ndim > IDX_MAX_NDIM:
        raise ParameterError("IDX needs 1..255 dimensions")
    header = bytes([0, 0, _IDX_CODES[arr.dtype.name], arr.ndim])
    header += struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    p = Path(path)
    p.write_bytes(gzip.compress(payload) if compress else payload)
    return p


def _find_idx(directory: Path, stem: str) -> Path:
    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    raise ParameterError(f"MNIST file {stem}[.gz] not found in {directory}")


def load_mnist(directory: str | Path) -> Dataset:
    """MNIST from the four IDX files in ``directory`` (official 60k/10k split).

    Expects ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``).
    Nothing is downloaded.

    Raises
    ------
    ParameterError
        Missing files, malformed IDX data, or image/label counts that disagree.
    """
    d = Path(directory)
    parts: dict[str, NDArray[np.generic]] = {}
    for key, stem in (
        ("xtr", "train-images-idx3-ubyte"),
        ("ytr", "train-labels-idx1-ubyte"),
        ("xte", "t10k-images-idx3-ubyte"),
        ("yte", "t10k-labels-idx1-ubyte"),
    ):
        parts[key] = read_idx(_find_idx(d, stem))
    for x_key, y_key in (("xtr", "ytr"), ("xte", "yte")):
        x, y = parts[x_key], parts[y_key]
        if x.ndim != IMAGES_NDIM or y.ndim != 1 or len(x) != len(y):
            raise ParameterError(
                f"MNIST images {x.shape} and labels {y.shape} do not match (want (n,h,w), (n,))"
            )
    h, w = parts["xtr"].shape[1:]
    xtr = parts["xtr"].reshape(len(parts["xtr"]), -1).astype(float) / 255.0
    xte = parts["xte"].reshape(len(parts["xte"]), -1).astype(float) / 255.0
    x_tr32, x_te32 = _standardise(xtr, xte)
    y_tr = parts["ytr"].astype(np.int64)
    y_te = parts["yte"].astype(np.int64)
    return Dataset(
        name="mnist",
        x_train=x_tr32,
        y_train=y_tr,
        x_test=x_te32,
        y_test=y_te,
        n_classes=max(int(y_tr.max()), int(y_te.max())) + 1,
        image_shape=(1, int(h), int(w)),
        split="official MNIST train/t10k files",
    )


def load_dataset(name: str, *, split_seed: int = 0, data_dir: str | Path | None = None) -> Dataset:
    """Load a dataset by name (see :data:`DATASETS`).

    Parameters
    ----------
    name:
        ``digits``, ``wbcd`` or ``mnist``.
    split_seed:
        Seed of the stratified split (bundled sets only).
    data_dir:
        Directory of the MNIST IDX files (required for ``mnist``).
    """
    if name == "digits":
        return load_digits_split(split_seed)
    if name == "wbcd":
        return load_breast_cancer_split(split_seed)
    if name == "mnist":
        if data_dir is None:
            raise ParameterError("dataset 'mnist' needs data_dir (directory of the IDX files)")
        return load_mnist(data_dir)
    raise ParameterError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
