"""Each optimizer's steps against its textbook formula, written out independently here."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import MLP
from nn_core.optimizers import OPTIMIZERS, make_optimizer


def _reference(name, params, grads, lr):
    """Yield parameters after each step, in plain NumPy, PyTorch's conventions."""
    p = params.copy()
    state1 = np.zeros_like(p)
    state2 = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            p = p - lr * g
        elif name == "momentum":
            state1 = 0.9 * state1 + g
            p = p - lr * state1
        elif name == "adagrad":
            state1 = state1 + g * g
            p = p - lr * g / (np.sqrt(state1) + 1e-10)
        elif name == "rmsprop":
            state1 = 0.9 * state1 + 0.1 * g * g
            p = p - lr * g / (np.sqrt(state1) + 1e-8)
        elif name == "adam":
            state1 = 0.9 * state1 + 0.1 * g
            state2 = 0.999 * state2 + 0.001 * g * g
            m_hat = state1 / (1 - 0.9**t)
            v_hat = state2 / (1 - 0.999**t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        yield p


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_steps_follow_the_formula(name):
    rng = np.random.default_rng(0)
    params = rng.normal(size=50)
    grads = [rng.normal(scale=s, size=50) for s in (1.0, 0.1, 3.0, 0.5, 1e-3, 2.0)]
    optimizer = make_optimizer(name, 50, np.float64, learning_rate=0.05)
    current, other = params.copy(), np.empty(50)
    for expected, g in zip(_reference(name, params, grads, 0.05), grads, strict=True):
        optimizer.update(current, g, other)
        current, other = other, current
        np.testing.assert_allclose(current, expected, rtol=1e-12, atol=1e-14)
    assert optimizer.steps == len(grads)


def _flat(net):
    return np.concatenate([w.ravel() for w in net.weights] + list(net.biases))


def _assign(net, flat):
    offset = 0
    for array in net.weights + net.biases:
        array[...] = flat[offset : offset + array.size].reshape(array.shape)
        offset += array.size


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_network_training_uses_the_formula(name):
    """Train steps of a real network equal the formula applied to its own gradients."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 4)), rng.integers(0, 3, size=12)
    net = MLP([4, 5, 3], activation="tanh", seed=2, dtype=np.float64)
    probe = MLP([4, 5, 3], activation="tanh", seed=2, dtype=np.float64)
    start = _flat(probe)
    grads = []
    for _ in range(4):
        # The gradient at the point the reference trajectory has reached so far.
        _assign(probe, list(_reference(name, start, grads, 0.1))[-1] if grads else start)
        _, gw, gb = probe.loss_and_gradients(X, y)
        grads.append(np.concatenate([g.ravel() for g in gw] + gb))
        net.train_step(X, y, optimizer=name, learning_rate=0.1)
    expected = list(_reference(name, start, grads, 0.1))[-1]
    np.testing.assert_allclose(_flat(net), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", ["momentum", "adagrad", "rmsprop", "adam"])
def test_rollback_restores_the_previous_state_exactly(name):
    rng = np.random.default_rng(3)
    optimizer = make_optimizer(name, 10, np.float32, learning_rate=0.1)
    a, b = rng.normal(size=10).astype(np.float32), np.empty(10, np.float32)
    optimizer.update(a, rng.normal(size=10).astype(np.float32), b)
    before = {k: v.copy() for k, v in optimizer.get_state().items()}
    optimizer.update(b, rng.normal(size=10).astype(np.float32), a)
    optimizer.rollback()
    for key, value in optimizer.get_state().items():
        np.testing.assert_array_equal(value, before[key])
    assert optimizer.steps == 1
    with pytest.raises(RuntimeError):
        optimizer.rollback()


def test_unknown_optimizer_lists_the_valid_names():
    with pytest.raises(ValueError, match="adagrad, adam, momentum, rmsprop, sgd"):
        make_optimizer("lbfgs", 3, np.float32, 0.1)
