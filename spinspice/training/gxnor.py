"""GXNOR ternary training (seed 001 §2.3) and the small numpy networks it runs on.

What lives here
---------------
* :func:`parse_net`: net spec strings. ``"64-100-10"`` is a fully connected net (the first
  number must equal the input size); ``"conv8x3-fc10"`` is a valid-padding 3×3 convolution
  with 8 filters followed by a 10-way dense layer (needs an image dataset); tokens are
  ``conv<C>x<K>``, ``fc<N>`` or a plain number ``<N>`` (dense).
* :class:`Network`: forward/backward of dense and im2col-convolution layers in float32, with
  either ternary activations (GXNOR) or ``tanh`` (float / binary nets). Every layer's
  pre-activation is ``z = (W x) / sqrt(fan_in)`` (a fixed, non-learned scale so the same
  thresholds ``r`` work for every layer; no biases, no batch norm).
* GXNOR maths, each naming its seed 001 equation: :func:`ternary_activation` (quantised
  activation φ_r), :func:`window_derivative` (eq. 8), :func:`boundary` (eq. 9),
  :func:`projection` (eq. 10–13 with η(ν) = tanh(m|ν|/Δz), Δz = 1).
* Optimisers producing the real-valued update ΔW from the gradient: :class:`Sgd`,
  :class:`Adam`. With GXNOR the discrete transition happens only through the projection;
  no full-precision weight copy is kept (seed 001 §1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError

__all__ = [
    "Adam",
    "LayerSpec",
    "NetSpec",
    "Network",
    "Sgd",
    "boundary",
    "cross_entropy",
    "kappa_nu",
    "mse_tanh",
    "parse_net",
    "projection",
    "projection_probability",
    "ternary_activation",
    "window_derivative",
]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Activation = Literal["ternary", "tanh"]
#: Length of an image input shape: (channels, height, width).
IMAGE_SHAPE_LEN: Final = 3


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True, slots=True, kw_only=True)
class LayerSpec:
    """One layer of a net spec.

    Attributes
    ----------
    kind:
        ``"fc"`` (dense) or ``"conv"`` (valid-padding, stride 1, square kernel).
    n_out:
        Output units (fc) or output channels (conv).
    kernel:
        Kernel size K of a conv layer (0 for fc).
    """

    kind: Literal["fc", "conv"]
    n_out: int
    kernel: int = 0

    def __post_init__(self) -> None:
        if self.n_out < 1:
            raise ParameterError(f"layer width must be >= 1, got {self.n_out}")
        if self.kind == "conv" and self.kernel < 1:
            raise ParameterError(f"conv kernel must be >= 1, got {self.kernel}")


@dataclass(frozen=True, slots=True, kw_only=True)
class NetSpec:
    """A parsed net: input shape and layers (the last layer gives the class scores)."""

    text: str
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]


_TOKEN = re.compile(r"^(?:conv(?P<c>\d+)x(?P<k>\d+)|fc(?P<f>\d+)|(?P<n>\d+))$")


def parse_net(
    spec: str, *, n_features: int, image_shape: tuple[int, int, int] | None, n_classes: int
) -> NetSpec:
    """Parse a net spec string (see the module docstring) against a dataset's shapes.

    Raises
    ------
    ParameterError
        Malformed token, input size mismatch, conv without image data, conv after fc, a
        kernel larger than the feature map, or an output width different from n_classes.
    """
    tokens = [t.strip().lower() for t in spec.split("-") if t.strip()]
    if not tokens:
        raise ParameterError("empty net spec")
    parsed: list[tuple[str, int, int]] = []
    for tok in tokens:
        m = _TOKEN.match(tok)
        if m is None:
            raise ParameterError(f"bad net spec token {tok!r} in {spec!r} (use N, fcN, convCxK)")
        if m["c"] is not None:
            parsed.append(("conv", int(m["c"]), int(m["k"])))
        elif m["f"] is not None:
            parsed.append(("fc", int(m["f"]), 0))
        else:
            parsed.append(("num", int(m["n"]), 0))
    input_shape: tuple[int, ...]
    if parsed[0][0] == "num":
        if parsed[0][1] != n_features:
            raise ParameterError(
                f"net spec {spec!r} starts with {parsed[0][1]} inputs but the data has "
                f"{n_features} features"
            )
        parsed = parsed[1:]
        input_shape = (n_features,)
    elif parsed[0][0] == "conv":
        if image_shape is None:
            raise ParameterError(f"net spec {spec!r} has a conv layer but the data are not images")
        input_shape = image_shape
    else:
        input_shape = (n_features,)
    layers: list[LayerSpec] = []
    h = input_shape[1] if len(input_shape) == IMAGE_SHAPE_LEN else 0
    seen_fc = False
    for kind, n, k in parsed:
        if kind == "conv":
            if seen_fc:
                raise ParameterError(f"net spec {spec!r}: conv after a dense layer")
            if k > h:
                raise ParameterError(f"net spec {spec!r}: kernel {k} larger than map {h}")
            h = h - k + 1
            layers.append(LayerSpec(kind="conv", n_out=n, kernel=k))
        else:
            seen_fc = True
            layers.append(LayerSpec(kind="fc", n_out=n))
    if not layers:
        raise ParameterError(f"net spec {spec!r} has no layers")
    if layers[-1].kind != "fc" or layers[-1].n_out != n_classes:
        raise ParameterError(
            f"net spec {spec!r} must end with a dense layer of {n_classes} outputs (classes)"
        )
    return NetSpec(text=spec, input_shape=input_shape, layers=tuple(layers))


# --------------------------------------------------------------------------- GXNOR maths
def ternary_activation(z: F32, r: float) -> F32:
    """Quantised ternary activation φ_r (seed 001 §2.3.2): sign(z) if |z| > r else 0."""
    out: F32 = (np.sign(z) * (np.abs(z) > r)).astype(np.float32)
    return out


def window_derivative(z: F32, r: float, a: float) -> F32:
    """Approximate derivative of φ_r, seed 001 eq. 8 (sum of windows at the steps ±r).

    ∂φ_r/∂z = 1/(2a) if r − a ≤ |z| ≤ r + a, else 0.
    """
    az = np.abs(z)
    out: F32 = (((az >= r - a) & (az <= r + a)) * np.float32(1.0 / (2.0 * a))).astype(np.float32)
    return out


def boundary(w: NDArray[np.floating], dw: NDArray[np.floating]) -> F64:
    """Boundary function ϱ(W, ΔW), seed 001 eq. 9 (keeps W + ϱ inside [−1, 1])."""
    w64 = np.asarray(w, dtype=np.float64)
    d64 = np.asarray(dw, dtype=np.float64)
    out: F64 = np.where(d64 > 0, np.minimum(1.0 - w64, d64), np.maximum(-1.0 - w64, d64))
    return out


def kappa_nu(rho: NDArray[np.floating], dz: float = 1.0) -> tuple[F64, F64]:
    """Quotient κ (toward zero) and remainder ν of ϱ / Δz (seed 001 eq. 11; Fig. 1 examples).

    ΔW = 1.5 → (κ, ν) = (1, 0.5); ΔW = −0.5 → (0, −0.5).
    """
    q = np.asarray(rho, dtype=np.float64) / dz
    kappa: F64 = np.trunc(q)
    nu: F64 = (q - kappa) * dz
    return kappa, nu


def projection_probability(nu: NDArray[np.floating], m: float, dz: float = 1.0) -> F64:
    """η(ν) = tanh(m·|ν|/Δz), seed 001 eq. 12."""
    out: F64 = np.tanh(m * np.abs(np.asarray(nu, dtype=np.float64)) / dz)
    return out


def projection(
    w: NDArray[np.floating],
    dw: NDArray[np.floating],
    *,
    m: float,
    rng: np.random.Generator,
    dz: float = 1.0,
) -> F32:
    """GXNOR discrete update: returns W(k+1), seed 001 eq. 9–13.

    ϱ = boundary(W, ΔW); κ, ν = quotient/remainder of ϱ/Δz;
    Δw = κΔz + sign(ν)·Bern(η(ν))·Δz; W(k+1) = W(k) + Δw (eq. 10).
    """
    rho = boundary(w, dw)
    kappa, nu = kappa_nu(rho, dz)
    eta = projection_probability(nu, m, dz)
    bern = rng.random(eta.shape) < eta
    new = np.asarray(w, dtype=np.float64) + (kappa + np.sign(nu) * bern) * dz
    out: F32 = np.clip(np.rint(new / dz) * dz, -1.0, 1.0).astype(np.float32)
    return out


# --------------------------------------------------------------------------- losses
def cross_entropy(logits: F32, y: NDArray[np.int64]) -> tuple[float, F32]:
    """Mean softmax cross-entropy and its gradient w.r.t. the logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.log(np.maximum(p[np.arange(n), y], 1e-12)).mean())
    g = p.copy()
    g[np.arange(n), y] -= 1.0
    grad: F32 = (g / n).astype(np.float32)
    return loss, grad


def mse_tanh(pre: F32, y: NDArray[np.int64]) -> tuple[float, F32]:
    """MSE on tanh outputs with ±1 one-hot targets (seed 002 §5) and d loss / d pre.

    Loss = ½·mean_n Σ_k (tanh(pre) − d)²; the gradient is (y − d)(1 − y²)/n (seed 002 δ).
    """
    out = np.tanh(pre)
    d = -np.ones_like(out)
    d[np.arange(len(y)), y] = 1.0
    diff = out - d
    loss = float(0.5 * (diff**2).sum(axis=1).mean())
    grad: F32 = (diff * (1.0 - out**2) / len(y)).astype(np.float32)
    return loss, grad


# --------------------------------------------------------------------------- network
def _im2col(x: F32, k: int) -> F32:
    n, c, h, w = x.shape
    ho, wo = h - k + 1, w - k + 1
    cols = np.empty((n, ho, wo, c, k, k), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, :, :, i, j] = x[:, :, i : i + ho, j : j + wo].transpose(0, 2, 3, 1)
    out: F32 = cols.reshape(n * ho * wo, c * k * k)
    return out


def _col2im(dcols: F32, shape: tuple[int, int, int, int], k: int) -> F32:
    n, c, h, w = shape
    ho, wo = h - k + 1, w - k + 1
    d6 = dcols.reshape(n, ho, wo, c, k, k)
    dx = np.zeros(shape, dtype=np.float32)
    for i in range(k):
        for j in range(k):
            dx[:, :, i : i + ho, j : j + wo] += d6[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx


@dataclass(slots=True)
class _Cache:
    inputs: list[F32]
    cols: list[F32 | None]
    pre: list[F32]
    shapes: list[tuple[int, ...]]


class Network:
    """Dense / conv network with ternary or tanh hidden activations (no biases).

    Parameters
    ----------
    spec:
        Parsed net spec.
    activation:
        ``"ternary"`` (φ_r with the eq. 8 window derivative) or ``"tanh"``.
    r, a:
        Seed 001 eq. 8 hyperparameters (ternary only).
    weights:
        Initial weights, one float32 array per layer, shape (n_out, fan_in).

    Notes
    -----
    Layer l computes ``z = (A W^T) / sqrt(fan_in)``; the last layer's ``z`` are the scores
    (logits for cross-entropy, tanh pre-activations for MSE).
    """

    def __init__(
        self,
        spec: NetSpec,
        *,
        activation: Activation,
        weights: list[F32],
        r: float = 0.5,
        a: float = 0.5,
    ) -> None:
        self.spec = spec
        self.activation: Activation = activation
        self.r = r
        self.a = a
        self.fan_in: list[int] = []
        self.out_shapes: list[tuple[int, ...]] = []
        shape = spec.input_shape
        for layer in spec.layers:
            if layer.kind == "conv":
                c, h, w = shape
                k = layer.kernel
                self.fan_in.append(c * k * k)
                shape = (layer.n_out, h - k + 1, w - k + 1)
            else:
                self.fan_in.append(math.prod(shape))
                shape = (layer.n_out,)
            self.out_shapes.append(shape)
        if len(weights) != len(spec.layers):
            raise ParameterError("one weight array per layer is required")
        for wgt, fi, layer in zip(weights, self.fan_in, spec.layers, strict=True):
            if wgt.shape != (layer.n_out, fi):
                raise ParameterError(f"weight shape {wgt.shape} != {(layer.n_out, fi)}")
        self.weights = weights
        self.scales = [np.float32(1.0 / math.sqrt(fi)) for fi in self.fan_in]

    @staticmethod
    def weight_shapes(spec: NetSpec) -> list[tuple[int, int]]:
        """(n_out, fan_in) of every layer of ``spec``."""
        shapes: list[tuple[int, int]] = []
        shape = spec.input_shape
        for layer in spec.layers:
            if layer.kind == "conv":
                c, h, w = shape
                k = layer.kernel
                shapes.append((layer.n_out, c * k * k))
                shape = (layer.n_out, h - k + 1, w - k + 1)
            else:
                shapes.append((layer.n_out, math.prod(shape)))
                shape = (layer.n_out,)
        return shapes

    def _act(self, z: F32) -> F32:
        if self.activation == "ternary":
            return ternary_activation(z, self.r)
        out: F32 = np.tanh(z)
        return out

    def _dact(self, z: F32) -> F32:
        if self.activation == "ternary":
            return window_derivative(z, self.r, self.a)
        t = np.tanh(z)
        out: F32 = (1.0 - t * t).astype(np.float32)
        return out

    def forward(self, x: F32, *, weights: list[F32] | None = None) -> tuple[F32, _Cache]:
        """Scores for a batch ``x`` (n, n_features) and the cache for :meth:`backward`.

        ``weights`` overrides the stored weights (e.g. read-out weights with device
        variation) without changing them.
        """
        ws = self.weights if weights is None else weights
        n = x.shape[0]
        a: F32 = x.reshape((n, *self.spec.input_shape)).astype(np.float32, copy=False)
        cache = _Cache(inputs=[], cols=[], pre=[], shapes=[])
        last = len(self.spec.layers) - 1
        for idx, layer in enumerate(self.spec.layers):
            cache.shapes.append(a.shape)
            if layer.kind == "conv":
                cols = _im2col(a, layer.kernel)
                z2 = (cols @ ws[idx].T) * self.scales[idx]
                _, ho, wo = self.out_shapes[idx]
                z = z2.reshape(n, ho, wo, layer.n_out).transpose(0, 3, 1, 2)
                cache.cols.append(cols)
                cache.inputs.append(a)
            else:
                flat = a.reshape(n, -1)
                z = (flat @ ws[idx].T) * self.scales[idx]
                cache.cols.append(None)
                cache.inputs.append(flat)
            z = z.astype(np.float32, copy=False)
            cache.pre.append(z)
            a = z if idx == last else self._act(z)
        return a, cache

    def backward(
        self, dscores: F32, cache: _Cache, *, weights: list[F32] | None = None
    ) -> list[F32]:
        """Gradients d loss / d W of every layer (eq. 4 with the eq. 8 derivative)."""
        ws = self.weights if weights is None else weights
        grads: list[F32] = [np.zeros(0, np.float32)] * len(ws)
        dz = dscores
        for idx in range(len(self.spec.layers) - 1, -1, -1):
            layer = self.spec.layers[idx]
            s = self.scales[idx]
            n = dz.shape[0]
            if layer.kind == "conv":
                dz2 = dz.transpose(0, 2, 3, 1).reshape(-1, layer.n_out) * s
                cols = cache.cols[idx]
                assert cols is not None
                grads[idx] = (dz2.T @ cols).astype(np.float32)
                if idx > 0:
                    dcols = (dz2 @ ws[idx]).astype(np.float32)
                    shp = cache.shapes[idx]
                    da = _col2im(dcols, (shp[0], shp[1], shp[2], shp[3]), layer.kernel)
            else:
                dzs = dz.reshape(n, -1) * s
                grads[idx] = (dzs.T @ cache.inputs[idx]).astype(np.float32)
                if idx > 0:
                    da = (dzs @ ws[idx]).reshape(cache.shapes[idx]).astype(np.float32)
            if idx > 0:
                dz = (da * self._dact(cache.pre[idx - 1])).astype(np.float32)
        return grads

    def predict(self, x: F32, *, weights: list[F32] | None = None, batch: int = 2048) -> F32:
        """Scores for ``x`` in batches (no cache kept)."""
        outs = [self.forward(x[i : i + batch], weights=weights)[0] for i in range(0, len(x), batch)]
        return np.concatenate(outs, axis=0)


# --------------------------------------------------------------------------- optimisers
class Sgd:
    """Plain SGD: ΔW = −lr·g (seed 001 §4.3 "support of SGD")."""

    def __init__(self, shapes: list[tuple[int, int]], lr: float) -> None:
        self.lr = lr

    def step(self, idx: int, grad: F32) -> F32:
        """Update value ΔW for layer ``idx``."""
        out: F32 = (-self.lr * grad).astype(np.float32)
        return out


class Adam:
    """Adam (Kingma & Ba) producing the update value ΔW = −lr·m̂/(√v̂ + ε).

    Seed 001 §4.3 ("support of general optimization algorithms"): ΔW is computed in the
    periphery and given to the array; only its sign, κ and ν reach the synapses.
    """

    def __init__(
        self,
        shapes: list[tuple[int, int]],
        lr: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.lr = lr
        self.b1 = beta1
        self.b2 = beta2
        self.eps = eps
        self.m = [np.zeros(s, np.float32) for s in shapes]
        self.v = [np.zeros(s, np.float32) for s in shapes]
        self.t = [0] * len(shapes)

    def step(self, idx: int, grad: F32) -> F32:
        """Update value ΔW for layer ``idx``."""
        self.t[idx] += 1
        t = self.t[idx]
        m = self.m[idx]
        v = self.v[idx]
        m *= self.b1
        m += (1.0 - self.b1) * grad
        v *= self.b2
        v += (1.0 - self.b2) * grad * grad
        mhat = m / (1.0 - self.b1**t)
        vhat = v / (1.0 - self.b2**t)
        out: F32 = (-self.lr * mhat / (np.sqrt(vhat) + self.eps)).astype(np.float32)
        return out
