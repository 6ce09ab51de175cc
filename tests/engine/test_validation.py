"""Bad input is a ValueError naming the problem; a diverging run keeps its last good weights."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import MLP


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer_sizes": [64]}, "at least two layers"),
        ({"layer_sizes": []}, "at least two layers"),
        ({"layer_sizes": [64, 0, 10]}, r"layer_sizes\[1\] must be a positive integer"),
        ({"layer_sizes": [64, -3, 10]}, r"layer_sizes\[1\]"),
        ({"layer_sizes": [64, 2.5, 10]}, r"layer_sizes\[1\]"),
        ({"layer_sizes": "64,10"}, "list of layer sizes"),
        ({"activation": "swish"}, "activation must be one of identity, leaky_relu, relu, sigmoid, tanh; got 'swish'"),
        ({"output": "linear"}, "output must be one of exp, identity, sigmoid, softmax"),
        ({"dtype": np.int32}, "dtype must be float32 or float64"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, message):
    args = {"layer_sizes": [4, 3, 2], **kwargs}
    with pytest.raises(ValueError, match=message):
        MLP(**args)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 4)).astype(np.float32), rng.integers(0, 3, size=20)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, y: (np.where(np.arange(80).reshape(20, 4) == 5, np.nan, X), y), "NaN or infinity"),
        (lambda X, y: (np.where(np.arange(80).reshape(20, 4) == 7, np.inf, X), y), "NaN or infinity"),
        (lambda X, y: (X, y[:-1]), "different lengths: 20 samples but 19 labels"),
        (lambda X, y: (X, np.where(np.arange(20) == 3, 7, y)), r"labels outside 0\.\.2 \(found 0\.\.7\)"),
        (lambda X, y: (X, np.where(np.arange(20) == 3, -1, y)), r"labels outside 0\.\.2"),
        (lambda X, y: (X[:, :3], y), "X has 3 features, but this network expects 4"),
        (lambda X, y: (X[:0], y[:0]), "empty"),
        (lambda X, y: (X[0], y), "must be 2-D"),
        (lambda X, y: (X, y + 0.5), "integer class labels"),
        (lambda X, y: (X.astype(str), y), "must contain numbers"),
    ],
)
def test_fit_rejects_bad_data(data, change, message):
    X, y = change(*data)
    with pytest.raises(ValueError, match=message):
        MLP([4, 5, 3], seed=0).fit(X, y, epochs=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0}, "learning_rate must be a positive"),
        ({"learning_rate": -0.1}, "learning_rate must be a positive"),
        ({"learning_rate": float("nan")}, "learning_rate must be a positive"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": 2.5}, "epochs must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of adagrad, adam, momentum, rmsprop, sgd"),
        ({"l2": -1}, "l2 must be a non-negative"),
        ({"validation_data": (np.zeros((3, 4)),)}, "validation_data must be a pair"),
        ({"validation_data": (np.zeros((3, 5)), np.zeros(3, int))}, "X_val has 5 features"),
        ({"callback": 3}, "callback must be callable"),
    ],
)
def test_fit_rejects_bad_settings(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP([4, 5, 3], seed=0).fit(*data, **kwargs)


def test_predict_rejects_wrong_feature_count(data):
    net = MLP([4, 5, 3], seed=0)
    with pytest.raises(ValueError, match="X has 6 features, but this network expects 4"):
        net.predict(np.zeros((2, 6)))
    with pytest.raises(ValueError, match=r"reshape\(1, -1\)"):
        net.predict_proba(np.zeros(4))


def test_bad_settings_leave_the_model_untouched(data):
    net = MLP([4, 5, 3], seed=0)
    before = [w.copy() for w in net.weights]
    with pytest.raises(ValueError):
        net.fit(*data, learning_rate=-1)
    for a, b in zip(before, net.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_divergence_stops_and_restores_the_last_finite_weights():
    rng = np.random.default_rng(1)
    X = rng.normal(scale=50.0, size=(256, 10)).astype(np.float32)
    y = rng.integers(0, 4, size=256)
    net = MLP([10, 64, 64, 4], activation="relu", seed=0)
    history = net.fit(X, y, epochs=50, batch_size=16, optimizer="sgd", learning_rate=50.0)
    assert history.diverged
    epoch, batch = history.diverged_at
    assert 1 <= epoch <= 50 and batch >= 1
    assert history.epochs == epoch - 1  # the diverged epoch is not recorded
    assert all(np.isfinite(w).all() for w in net.weights + net.biases)
    proba = net.predict_proba(X)
    assert np.isfinite(proba).all()
    # The restored weights are the ones whose loss was finite: their loss is finite.
    loss, _, _ = net.loss_and_gradients(X, y)
    assert np.isfinite(loss)
    assert net.history_.diverged


def test_divergence_restores_exactly_the_weights_before_the_bad_step():
    """Replay: the weights kept are the ones the run had just before the non-finite batch."""
    rng = np.random.default_rng(2)
    X = rng.normal(scale=10.0, size=(64, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=64)
    probe = MLP([6, 32, 3], seed=3)
    history = probe.fit(X, y, epochs=30, batch_size=8, optimizer="sgd", learning_rate=3.0)
    assert history.diverged
    epoch, batch = history.diverged_at
    steps_done = (epoch - 1) * 8 + (batch - 1)
    assert probe.optimizer_.steps == steps_done - 1

    assert batch >= 2, "pick data that diverges mid-epoch so the replay below stays simple"

    replay = MLP([6, 32, 3], seed=3)
    if epoch > 1:
        replay.fit(X, y, epochs=epoch - 1, batch_size=8, optimizer="sgd", learning_rate=3.0)
    order = replay.permutation(64)  # the permutation the failing epoch drew
    for b in range(batch - 2):
        index = order[b * 8 : (b + 1) * 8]
        replay.train_step(X[index], y[index], optimizer="sgd", learning_rate=3.0)
    for a, b in zip(probe.weights + probe.biases, replay.weights + replay.biases, strict=True):
        np.testing.assert_array_equal(a, b)


def test_inputs_that_overflow_the_network_get_a_clear_error():
    # Their float32 sum overflows, but every value is finite: the exact check must accept them.
    X = np.full((8, 4), 3e38, dtype=np.float32)
    net = MLP([4, 3, 2], seed=0)
    # ... yet they overflow the network: a clear error rather than NaN probabilities.
    with pytest.raises(ValueError, match="too large for this network"):
        net.predict_proba(X)
    assert net.predict(X[:, :1].repeat(4, axis=1) * 1e-38).shape == (8,)
    X[3, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.predict(X)
