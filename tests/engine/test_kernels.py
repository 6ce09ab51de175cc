"""The compiled kernels (nn_core.kernels) against the NumPy passes they replace.

Adam, bias + ReLU and the ReLU derivative with its bias gradient must be bit-identical
to NumPy (same operations, same order); softmax + cross-entropy may differ in the last
bit (the C library's exp/log), so whole training runs are compared within float
tolerance, and in float64 within 1e-12 of an independent PyTorch run when PyTorch is
installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import kernels
from nn_core.network import MLP
from nn_core.optimizers import Adam

pytestmark = pytest.mark.skipif(not kernels.ENABLED, reason="numba kernels not enabled")


def _adam_run(dtype, eps_hat: bool, fused: bool, monkeypatch) -> np.ndarray:
    monkeypatch.setattr(kernels, "ENABLED", fused)
    rng = np.random.default_rng(3)
    n = 1003
    opt = Adam(n, dtype=dtype, learning_rate=3e-3, eps_hat=eps_hat)
    params, out = rng.standard_normal(n).astype(dtype), np.empty(n, dtype)
    for _ in range(7):
        grads = rng.standard_normal(n).astype(dtype) * dtype(0.1)
        grads[:5] = 0.0  # v = 0 rows: eps alone keeps the division finite
        opt.update(params, grads, out)
        params, out = out, params
    return np.concatenate([params, opt.state("m"), opt.state("v")])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("eps_hat", [False, True])
def test_adam_kernel_is_bit_identical_to_numpy(dtype, eps_hat, monkeypatch):
    fused = _adam_run(dtype, eps_hat, True, monkeypatch)
    plain = _adam_run(dtype, eps_hat, False, monkeypatch)
    assert fused.dtype == dtype
    np.testing.assert_array_equal(fused, plain)


def test_bias_relu_matches_numpy_and_keeps_nan():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((9, 7)).astype(np.float32)
    z[2, 3] = np.nan
    b = rng.standard_normal(7).astype(np.float32)
    expected = np.maximum(z + b, 0.0)
    kernels.bias_relu(z, b)
    np.testing.assert_array_equal(z, expected)  # NaN in the same place, as np.maximum
    assert np.isnan(z[2, 3])


def test_relu_backward_bias_matches_numpy():
    rng = np.random.default_rng(1)
    a = np.maximum(rng.standard_normal((33, 12)), 0.0).astype(np.float32)
    error = rng.standard_normal((33, 12)).astype(np.float32)
    expected = error * (a > 0).astype(np.float32)
    grad_bias = np.full(12, 99.0, np.float32)
    kernels.relu_backward_bias(error, a, grad_bias)
    np.testing.assert_array_equal(error, expected)
    np.testing.assert_array_equal(grad_bias, np.sum(expected, axis=0))


def test_softmax_cross_entropy_kernel_against_a_direct_formula():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((40, 6)) * 30.0  # large logits: the loss must stay exact
    b = rng.standard_normal(6)
    y = rng.integers(0, 6, 40)
    logits = z + b
    top = logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
    p = np.exp(logits - log_norm[:, None])
    expected_delta = p.copy()
    expected_delta[np.arange(40), y] -= 1.0
    expected_delta /= 40
    grad_bias = np.empty(6)
    total, correct = kernels.softmax_cross_entropy(z, b, y, 1.0 / 40, grad_bias)
    assert total == pytest.approx(np.sum(log_norm - logits[np.arange(40), y]), rel=1e-13)
    assert correct == int(np.sum(p.argmax(axis=1) == y))
    np.testing.assert_allclose(z, expected_delta, rtol=1e-12, atol=1e-15)  # p - 1 cancels
    np.testing.assert_allclose(grad_bias, expected_delta.sum(axis=0), rtol=1e-12, atol=1e-15)


def _trained(dtype, fused: bool, monkeypatch, **kw):
    monkeypatch.setattr(kernels, "ENABLED", fused)
    rng = np.random.default_rng(5)
    X = rng.random((300, 20)).astype(dtype)
    y = rng.integers(0, 4, 300)
    net = MLP([20, 16, 12, 4], seed=1, dtype=dtype, **kw)
    assert net._fusable() is fused
    history = net.fit(X, y, epochs=3, batch_size=32, optimizer="adam", learning_rate=1e-2,
                      l2=1e-3)
    return net, history


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_fused_training_matches_the_numpy_path_in_float64(reduction, monkeypatch):
    fused, h_fused = _trained(np.float64, True, monkeypatch, reduction=reduction)
    plain, h_plain = _trained(np.float64, False, monkeypatch, reduction=reduction)
    np.testing.assert_allclose(fused.get_flat_params(), plain.get_flat_params(), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(h_fused.loss, h_plain.loss, rtol=1e-12)
    assert h_fused.accuracy == h_plain.accuracy


def test_fused_training_matches_the_numpy_path_in_float32(monkeypatch):
    fused, h_fused = _trained(np.float32, True, monkeypatch)
    plain, h_plain = _trained(np.float32, False, monkeypatch)
    np.testing.assert_allclose(fused.get_flat_params(), plain.get_flat_params(), atol=1e-5)
    np.testing.assert_allclose(h_fused.loss, h_plain.loss, rtol=1e-5)


def test_fused_training_matches_pytorch_in_float64():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    X, y = rng.random((64, 10)), rng.integers(0, 3, 64)
    net = MLP([10, 8, 3], seed=0, dtype=np.float64)
    assert net._fusable()
    W = [torch.tensor(w.copy(), requires_grad=True) for w in net.weights]
    B = [torch.tensor(b.copy(), requires_grad=True) for b in net.biases]
    net.fit(X, y, epochs=1, batch_size=64, optimizer="adam", learning_rate=1e-2, shuffle=False)
    net.fit(X, y, epochs=4, batch_size=64, learning_rate=1e-2, shuffle=False)
    opt = torch.optim.Adam([*W, *B], lr=1e-2)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(5):
        opt.zero_grad()
        hidden = torch.relu(Xt @ W[0] + B[0])
        torch.nn.functional.cross_entropy(hidden @ W[1] + B[1], yt).backward()
        opt.step()
    for mine, theirs in zip([*net.weights, *net.biases], [*W, *B], strict=True):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=0, atol=1e-12)


def test_divergence_is_still_caught_on_the_fused_path():
    rng = np.random.default_rng(0)
    X = rng.random((64, 5)).astype(np.float32) * 1e3
    y = rng.integers(0, 2, 64)
    net = MLP([5, 4, 2], seed=0)
    assert net._fusable()
    history = net.fit(X, y, epochs=20, batch_size=8, optimizer="adam", learning_rate=1e6)
    assert history.diverged
    assert net.parameters_finite()
