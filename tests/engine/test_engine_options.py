"""The engine's options for the Learn pages, the Boundaries page and the estimators:
the quadratic cost with every output, target matrices, sum reduction, no biases, the
tutorial's N(0, 1) initialisation, and L1. Gradients against central finite
differences in float64; losses against closed forms written out here with SciPy."""

from __future__ import annotations

import io

import numpy as np
import pytest
from scipy.special import expit, log_expit
from scipy.special import softmax as scipy_softmax

from nn_core import MLP
from nn_core.activations import ACTIVATIONS


def _problem(n=12, n_features=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)
    return X, y


def _numerical(net, X, y, array, l2=0.0, l1=0.0, h=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        plus = net.loss_and_gradients(X, y, l2=l2, l1=l1)[0]
        array[index] = original - h
        minus = net.loss_and_gradients(X, y, l2=l2, l1=l1)[0]
        array[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def _relative_error(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)


def _check_gradients(net, X, y, l2=0.0, l1=0.0, tolerance=1e-6):
    rng = np.random.default_rng(5)
    for b in net.biases:
        b[...] = rng.normal(scale=0.1, size=b.shape) if net.bias else 0.0
    _, grad_w, grad_b = net.loss_and_gradients(X, y, l2=l2, l1=l1)
    for analytic, param in zip(grad_w + grad_b, net.weights + net.biases, strict=True):
        numeric = _numerical(net, X, y, param, l2, l1)
        if not net.bias and param.ndim == 1:
            assert np.all(analytic == 0)  # biases held at zero get no gradient
            continue
        assert _relative_error(analytic, numeric) < tolerance


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_quadratic_cost_gradients_with_every_output(output, activation):
    X, y = _problem()
    net = MLP([4, 5, 3], activation=activation, output=output, loss="mse", seed=1,
              dtype=np.float64)
    _check_gradients(net, X, y)
    targets = np.random.default_rng(2).random((12, 3))
    _check_gradients(net, X, targets)


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_quadratic_cost_is_half_the_squared_error(output):
    X, y = _problem()
    net = MLP([4, 3], output=output, loss="mse", seed=1, dtype=np.float64)
    z = X @ net.weights[0] + net.biases[0]
    a = {"softmax": scipy_softmax(z, axis=1), "sigmoid": expit(z), "identity": z}[output]
    onehot = np.eye(3)[y]
    expected = 0.5 * np.sum((a - onehot) ** 2) / len(y)
    assert net.loss_and_gradients(X, y)[0] == pytest.approx(expected, rel=1e-12)
    assert net.evaluate(X, y)[0] == pytest.approx(expected, rel=1e-12)


def test_multilabel_binary_cross_entropy_with_a_target_matrix():
    X, _ = _problem()
    targets = (np.random.default_rng(3).random((12, 3)) > 0.5).astype(float)
    net = MLP([4, 6, 3], activation="tanh", output="sigmoid", seed=2, dtype=np.float64)
    z = np.tanh(X @ net.weights[0] + net.biases[0]) @ net.weights[1] + net.biases[1]
    expected = -np.mean(np.sum(targets * log_expit(z) + (1 - targets) * log_expit(-z), axis=1))
    assert net.loss_and_gradients(X, targets)[0] == pytest.approx(expected, rel=1e-12)
    _check_gradients(net, X, targets)
    history = net.fit(X, targets, epochs=3, batch_size=4)
    assert len(history.loss) == 3 and np.isnan(history.accuracy[-1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        net.fit(X, targets * 2, epochs=1)


def test_a_target_matrix_is_refused_where_labels_are_needed():
    X, _ = _problem()
    net = MLP([4, 3], seed=0)  # softmax + cross-entropy
    with pytest.raises(ValueError, match="1-D array of integer labels"):
        net.fit(X, np.zeros((12, 3)), epochs=1)
    with pytest.raises(ValueError, match=r"shape \(12, 3\)"):
        MLP([4, 3], output="identity").fit(X, np.zeros((12, 2)), epochs=1)


def test_regression_with_an_identity_output_learns_a_linear_map():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    Y = X @ np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]]) + 0.25
    net = MLP([3, 2], output="identity", seed=0, dtype=np.float64)
    assert net.loss == "mse"
    history = net.fit(X, Y, epochs=60, batch_size=16, optimizer="adam", learning_rate=0.05,
                      validation_data=(X[:50], Y[:50]))
    np.testing.assert_allclose(net.outputs(X[:5]), Y[:5], atol=1e-3)
    assert history.loss[-1] < 1e-6 and np.isnan(history.val_accuracy[-1])
    with pytest.raises(ValueError, match="outputs"):
        net.predict_proba(X)


@pytest.mark.parametrize("loss", [None, "mse"])
def test_sum_reduction_is_the_mean_times_the_batch_size(loss):
    X, y = _problem()
    mean = MLP([4, 5, 3], activation="sigmoid", output="sigmoid", loss=loss, seed=3,
               dtype=np.float64)
    total = MLP([4, 5, 3], activation="sigmoid", output="sigmoid", loss=loss, seed=3,
                dtype=np.float64, reduction="sum")
    lm, gwm, gbm = mean.loss_and_gradients(X, y)
    ls, gws, gbs = total.loss_and_gradients(X, y)
    assert ls == pytest.approx(12 * lm, rel=1e-12)
    for a, b in zip(gwm + gbm, gws + gbs, strict=True):
        np.testing.assert_allclose(b, 12 * a, rtol=1e-10)
    _check_gradients(total, X, y)


def test_no_bias_network_keeps_its_biases_at_zero_while_training():
    X, y = _problem(n=60)
    net = MLP([4, 8, 3], activation="sigmoid", output="sigmoid", bias=False, seed=0,
              dtype=np.float64)
    _check_gradients(net, X, y)
    for b in net.biases:
        b[...] = 0.0
    for optimizer in ("sgd", "momentum", "adam", "rmsprop", "adagrad"):
        net.fit(X, y, epochs=2, batch_size=8, optimizer=optimizer, learning_rate=0.1)
        assert all(np.all(b == 0) for b in net.biases)
    # Without a bias, every first-layer unit's boundary passes through the origin.
    zs, _ = net.forward_trace(np.zeros((1, 4)))
    assert np.all(zs[0] == 0)


def test_normal_initialisation_is_standard_normal():
    net = MLP([400, 300, 10], init="normal", seed=0)
    assert net.weights[0].std() == pytest.approx(1.0, rel=0.02)
    assert net.weights[1].std() == pytest.approx(1.0, rel=0.05)
    he = MLP([400, 300, 10], activation="tanh", init="he", seed=0)
    assert he.weights[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    glorot = MLP([400, 300, 10], activation="relu", init="glorot", seed=0)
    assert np.abs(glorot.weights[0]).max() <= np.sqrt(6 / 700)
    with pytest.raises(ValueError, match="init must be one of"):
        MLP([4, 3], init="xavier")


def test_l1_penalty_and_its_gradient():
    X, y = _problem()
    net = MLP([4, 5, 3], activation="tanh", seed=0, dtype=np.float64)
    base = net.loss_and_gradients(X, y)[0]
    with_l1 = net.loss_and_gradients(X, y, l1=0.3)[0]
    assert with_l1 - base == pytest.approx(0.3 * sum(np.abs(w).sum() for w in net.weights))
    _check_gradients(net, X, y, l1=0.3)
    _check_gradients(net, X, y, l2=0.2, l1=0.1)
    # L1 drives weights to exactly small values: many more near zero than with L2.
    Xb, yb = _problem(n=200, n_features=4)
    sparse = MLP([4, 16, 3], seed=1)
    sparse.fit(Xb, yb, epochs=40, batch_size=20, optimizer="sgd", learning_rate=0.1, l1=0.01)
    dense = MLP([4, 16, 3], seed=1)
    dense.fit(Xb, yb, epochs=40, batch_size=20, optimizer="sgd", learning_rate=0.1)
    near_zero = [np.mean(np.abs(n.weights[0]) < 0.01) for n in (sparse, dense)]
    assert near_zero[0] > 3 * near_zero[1], near_zero
    with pytest.raises(ValueError, match="l1"):
        net.fit(X, y, l1=-1)


def test_loss_must_suit_the_output():
    with pytest.raises(ValueError, match="loss"):
        MLP([4, 3], output="identity", loss="cross_entropy")
    with pytest.raises(ValueError, match="loss"):
        MLP([4, 3], output="softmax", loss="binary_cross_entropy")
    with pytest.raises(ValueError, match="bias"):
        MLP([4, 3], bias="no")
    with pytest.raises(ValueError, match="reduction"):
        MLP([4, 3], reduction="max")


def test_options_survive_a_model_file():
    net = MLP([4, 5, 3], output="sigmoid", loss="mse", bias=False, init="normal",
              reduction="sum", seed=4)
    buffer = io.BytesIO()
    net.save(buffer)
    loaded = MLP.load(io.BytesIO(buffer.getvalue()))
    assert loaded.get_config() == net.get_config()
    assert "loss='mse'" in repr(loaded) and "bias=False" in repr(loaded)
    X, y = _problem()
    assert loaded.loss_and_gradients(X, y)[0] == pytest.approx(net.loss_and_gradients(X, y)[0])
