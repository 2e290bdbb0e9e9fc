"""Seed 001 §2.3 GXNOR maths (eq. 8–13) checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spinspice.errors import ParameterError
from spinspice.training.gxnor import (
    Network,
    boundary,
    cross_entropy,
    kappa_nu,
    mse_tanh,
    parse_net,
    projection,
    projection_probability,
    ternary_activation,
    window_derivative,
)


def test_ternary_activation_thresholds_at_r() -> None:
    z = np.array([-1.0, -0.51, -0.5, 0.0, 0.5, 0.51, 2.0], dtype=np.float32)
    assert ternary_activation(z, 0.5).tolist() == [-1, -1, 0, 0, 0, 1, 1]


def test_window_derivative_eq8() -> None:
    # r = 0.5, a = 0.25: 1/(2a) = 2 on 0.25 <= |z| <= 0.75, else 0.
    z = np.array([0.0, 0.2, 0.25, 0.5, 0.75, 0.8, -0.3, -0.9], dtype=np.float32)
    assert window_derivative(z, 0.5, 0.25).tolist() == [0, 0, 2, 2, 2, 0, 2, 0]


def test_boundary_eq9_keeps_weights_in_range() -> None:
    w = np.array([-1.0, -1.0, 0.0, 1.0, 1.0, 0.0])
    dw = np.array([1.5, -0.7, 2.5, 0.3, -2.5, -0.2])
    # min(1 - W, dW) for dW > 0, max(-1 - W, dW) otherwise.
    assert boundary(w, dw).tolist() == [1.5, 0.0, 1.0, 0.0, -2.0, -0.2]


def test_kappa_nu_fig1_examples() -> None:
    kappa, nu = kappa_nu(np.array([1.5, -0.5, -1.25, 0.0]))
    assert kappa.tolist() == [1.0, 0.0, -1.0, 0.0]
    assert nu.tolist() == [0.5, -0.5, -0.25, 0.0]


def test_projection_probability_eq12() -> None:
    assert projection_probability(np.array([0.5]), 3.0)[0] == pytest.approx(math.tanh(1.5))
    assert projection_probability(np.array([-0.2]), 1.0)[0] == pytest.approx(math.tanh(0.2))


def test_projection_fig1a_statistics() -> None:
    # W = -1, dW = 1.5: kappa = 1, nu = 0.5 -> W' = 0 w.p. 1 - eta, +1 w.p. eta = tanh(1.5).
    rng = np.random.default_rng(1)
    n = 40_000
    out = projection(np.full(n, -1.0), np.full(n, 1.5), m=3.0, rng=rng)
    assert set(np.unique(out).tolist()) <= {0.0, 1.0}
    frac = float((out == 1.0).mean())
    assert frac == pytest.approx(math.tanh(1.5), abs=4 * math.sqrt(0.1 / n) + 0.003)


def test_projection_fig1b_statistics() -> None:
    # W = 0, dW = -0.5: kappa = 0, nu = -0.5 -> W' = -1 w.p. tanh(m * 0.5), else 0.
    rng = np.random.default_rng(2)
    n = 40_000
    out = projection(np.zeros(n), np.full(n, -0.5), m=1.0, rng=rng)
    assert set(np.unique(out).tolist()) <= {-1.0, 0.0}
    assert float((out == -1.0).mean()) == pytest.approx(math.tanh(0.5), abs=0.012)


def test_projection_saturates_through_boundary() -> None:
    rng = np.random.default_rng(0)
    out = projection(np.ones(1000), np.full(1000, 0.9), m=3.0, rng=rng)
    assert np.all(out == 1.0)


def test_losses_and_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 2])
    for fn in (cross_entropy, mse_tanh):
        loss, g = fn(z, y)
        eps = 1e-3
        zz = z.astype(np.float64)
        num = np.zeros_like(zz)
        for idx in np.ndindex(zz.shape):
            zp, zm = zz.copy(), zz.copy()
            zp[idx] += eps
            zm[idx] -= eps
            num[idx] = (fn(zp.astype(np.float32), y)[0] - fn(zm.astype(np.float32), y)[0]) / (
                2 * eps
            )
        assert np.allclose(g, num, atol=2e-3), fn.__name__
        assert loss > 0


def test_tanh_network_backward_matches_finite_differences() -> None:
    spec = parse_net("conv2x3-fc4", n_features=25, image_shape=(1, 5, 5), n_classes=4)
    rng = np.random.default_rng(3)
    shapes = Network.weight_shapes(spec)
    assert shapes == [(2, 9), (4, 2 * 3 * 3)]
    ws = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    net = Network(spec, activation="tanh", weights=ws)
    x = rng.standard_normal((3, 25)).astype(np.float32)
    y = np.array([1, 3, 0])
    scores, cache = net.forward(x)
    _, ds = cross_entropy(scores, y)
    grads = net.backward(ds, cache)
    eps = 1e-2
    for li in range(2):
        for idx in [(0, 0), (1, 4)]:
            wp = [w.copy() for w in ws]
            wm = [w.copy() for w in ws]
            wp[li][idx] += eps
            wm[li][idx] -= eps
            lp = cross_entropy(net.forward(x, weights=wp)[0], y)[0]
            lm = cross_entropy(net.forward(x, weights=wm)[0], y)[0]
            assert grads[li][idx] == pytest.approx((lp - lm) / (2 * eps), abs=2e-3)


@pytest.mark.parametrize(
    ("spec", "msg"),
    [
        ("", "empty"),
        ("64-x-10", "bad net spec token"),
        ("63-10", "features"),
        ("64-100-9", "10 outputs"),
        ("fc10-conv4x3", "conv after a dense"),
        ("conv4x9-fc10", "larger than map"),
    ],
)
def test_parse_net_rejects(spec: str, msg: str) -> None:
    with pytest.raises(ParameterError, match=msg):
        parse_net(spec, n_features=64, image_shape=(1, 8, 8), n_classes=10)


def test_parse_net_conv_needs_images() -> None:
    with pytest.raises(ParameterError, match="not images"):
        parse_net("conv4x3-fc2", n_features=30, image_shape=None, n_classes=2)
