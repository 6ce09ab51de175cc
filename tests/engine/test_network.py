"""The MLP's maths against independent references.

Gradients are checked against central finite differences in float64, the
forward pass and loss against scikit-learn's own functions, and training
behaviour (reproducibility, continuation, callbacks, divergence) end to end.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, log_expit, logsumexp
from scipy.special import softmax as scipy_softmax
from sklearn.metrics import log_loss

from nn_core import MLP
from nn_core.activations import ACTIVATIONS, OUTPUTS


def _problem(n=24, n_features=5, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    return X, y


def _numerical_gradient(net, X, y, array, l2, h=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        plus = net.loss_and_gradients(X, y, l2=l2)[0]
        array[index] = original - h
        minus = net.loss_and_gradients(X, y, l2=l2)[0]
        array[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def _relative_error(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)


@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradients_match_finite_differences(activation, output):
    X, y = _problem()
    net = MLP([5, 7, 6, 4], activation=activation, output=output, seed=1, dtype=np.float64)
    # Non-zero biases so that every term of the gradient is exercised.
    rng = np.random.default_rng(2)
    for b in net.biases:
        b[...] = rng.normal(scale=0.1, size=b.shape)
    for l2 in (0.0, 0.1):
        _, grad_w, grad_b = net.loss_and_gradients(X, y, l2=l2)
        for analytic, param in zip(grad_w + grad_b, net.weights + net.biases, strict=True):
            numeric = _numerical_gradient(net, X, y, param, l2)
            assert _relative_error(analytic, numeric) < 1e-6


def test_forward_and_loss_match_scipy_and_sklearn():
    X, y = _problem(n=50, n_classes=3)
    net = MLP([5, 8, 3], activation="tanh", seed=3, dtype=np.float64)
    W1, W2 = net.weights
    b1, b2 = net.biases
    b1 += 0.3
    logits = np.tanh(X @ W1 + b1) @ W2 + b2
    expected = scipy_softmax(logits, axis=1)
    np.testing.assert_allclose(net.predict_proba(X), expected, rtol=1e-12)
    loss, _, _ = net.loss_and_gradients(X, y)
    assert loss == pytest.approx(log_loss(y, expected, labels=[0, 1, 2]), rel=1e-12)


def test_sigmoid_output_loss_is_binary_cross_entropy_summed_over_outputs():
    X, y = _problem(n=30, n_classes=4)
    net = MLP([5, 6, 4], activation="sigmoid", output="sigmoid", seed=4, dtype=np.float64)
    p = expit(expit(X @ net.weights[0] + net.biases[0]) @ net.weights[1] + net.biases[1])
    onehot = np.eye(4)[y]
    expected = -np.mean(np.sum(onehot * np.log(p) + (1 - onehot) * np.log(1 - p), axis=1))
    loss, _, _ = net.loss_and_gradients(X, y)
    assert loss == pytest.approx(expected, rel=1e-12)
    # predict_proba renormalises the per-class sigmoids.
    np.testing.assert_allclose(net.predict_proba(X), p / p.sum(axis=1, keepdims=True), rtol=1e-12)


def test_l2_penalty_covers_weights_not_biases():
    X, y = _problem()
    net = MLP([5, 6, 4], seed=0, dtype=np.float64)
    for b in net.biases:
        b += 5.0
    base = net.loss_and_gradients(X, y)[0]
    with_l2 = net.loss_and_gradients(X, y, l2=0.5)[0]
    penalty = 0.25 * sum(float(np.sum(w * w)) for w in net.weights)
    assert with_l2 - base == pytest.approx(penalty, rel=1e-12)


def test_softmax_is_stable_for_huge_logits():
    net = MLP([2, 3], seed=0, dtype=np.float32)
    net.weights[0][...] = np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    p = net.predict_proba(np.array([[1.0, 0.0], [-1.0, 0.0]], dtype=np.float32))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    loss = net.loss_and_gradients(np.array([[1.0, 0.0]]), np.array([1]))[0]
    # The true cross-entropy, from the logits: z = (1e4, -1e4, 0) with label 1 costs
    # logsumexp(z) - z_1 = 2e4, not a log clipped at machine epsilon (which gave ~15.9).
    assert loss == pytest.approx(2e4, rel=1e-6)


def _logit_net(logits, output):
    """A one-layer float64 net whose logits for the identity rows of X are ``logits``."""
    n, k = logits.shape
    net = MLP([n, k], output=output, seed=0, dtype=np.float64)
    net.weights[0][...] = logits
    return net, np.eye(n)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 30.0, 1e3, 1e4])
def test_softmax_loss_equals_logsumexp_reference_at_any_logit_size(scale):
    rng = np.random.default_rng(int(scale * 1000) % 2**32)
    logits = rng.normal(size=(40, 5)) * scale
    logits[0] = [1e4, -1e4, 0.0, 5.0, -5.0]  # a confident mistake for label != 0
    y = rng.integers(0, 5, size=40)
    y[0] = 1
    net, X = _logit_net(logits, "softmax")
    expected = np.mean(logsumexp(logits, axis=1) - logits[np.arange(40), y])
    loss = net.loss_and_gradients(X, y)[0]
    assert loss == pytest.approx(expected, rel=1e-12)
    assert net.evaluate(X, y)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 30.0, 1e3, 1e4])
def test_sigmoid_loss_equals_stable_bce_reference_at_any_logit_size(scale):
    rng = np.random.default_rng(int(scale * 1000) % 2**32 + 1)
    logits = rng.normal(size=(40, 4)) * scale
    logits[0] = [1e4, -1e4, 40.0, -40.0]  # saturated both ways, right and wrong
    y = rng.integers(0, 4, size=40)
    y[0] = 1
    net, X = _logit_net(logits, "sigmoid")
    onehot = np.eye(4)[y]
    # log sigma(z) and log(1 - sigma(z)) = log sigma(-z), each exact in SciPy at any size.
    per_output = -(onehot * log_expit(logits) + (1 - onehot) * log_expit(-logits))
    expected = np.mean(per_output.sum(axis=1))
    loss = net.loss_and_gradients(X, y)[0]
    assert loss == pytest.approx(expected, rel=1e-12)
    assert net.evaluate(X, y)[0] == pytest.approx(expected, rel=1e-12)


def test_initialisation_he_for_relu_glorot_for_tanh_and_zero_biases():
    relu = MLP([400, 300, 10], activation="relu", seed=0)
    std = relu.weights[0].std()
    assert std == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    tanh = MLP([400, 300, 10], activation="tanh", seed=0)
    limit = np.sqrt(6 / 700)
    assert np.abs(tanh.weights[0]).max() <= limit
    assert tanh.weights[0].std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    assert all(np.all(b == 0) for b in relu.biases + tanh.biases)
    assert relu.weights[0].dtype == np.float32


def test_same_seed_same_training_different_seed_differs():
    X, y = _problem(n=100, n_features=6, n_classes=3, seed=5)
    runs = []
    for seed in (7, 7, 8):
        net = MLP([6, 16, 3], seed=seed)
        history = net.fit(X, y, epochs=3, batch_size=10, optimizer="adam", learning_rate=1e-2)
        runs.append((history.loss, [w.copy() for w in net.weights]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert runs[0][0] != runs[2][0]


def test_fit_continues_from_current_weights_and_optimizer_state():
    X, y = _problem(n=90, n_features=6, n_classes=3, seed=6)
    once = MLP([6, 12, 3], seed=1)
    once.fit(X, y, epochs=4, batch_size=9, optimizer="adam", learning_rate=1e-2)
    twice = MLP([6, 12, 3], seed=1)
    twice.fit(X, y, epochs=2, batch_size=9, optimizer="adam", learning_rate=1e-2)
    twice.fit(X, y, epochs=2, batch_size=9)
    for a, b in zip(once.weights + once.biases, twice.weights + twice.biases, strict=True):
        np.testing.assert_array_equal(a, b)
    assert twice.optimizer_.steps == 40
    assert twice.epochs_trained_ == 4 and twice.history_.epochs == 4


def test_weights_are_live_views():
    net = MLP([3, 4, 2], seed=0)
    held = net.weights[0]
    X = np.ones((4, 3), dtype=np.float32)
    net.fit(X, np.array([0, 1, 0, 1]), epochs=3, batch_size=1)
    assert held is net.weights[0] or np.shares_memory(held, net.weights[0])
    held[...] = 0.0
    net.weights[1][...] = 0.0
    net.biases[1][...] = 0.0
    np.testing.assert_allclose(net.predict_proba(X), 0.5)


def test_history_and_callback_can_stop_and_change_learning_rate():
    X, y = _problem(n=60, n_features=5, n_classes=3)
    net = MLP([5, 8, 3], seed=0)
    seen = []

    def callback(epoch, history):
        seen.append((epoch, history.epochs))
        net.learning_rate = 0.5 * net.learning_rate
        return epoch < 3

    history = net.fit(X, y, epochs=10, batch_size=16, learning_rate=0.04,
                      validation_data=(X[:20], y[:20]), callback=callback)
    assert seen == [(1, 1), (2, 2), (3, 3)]
    assert history.stopped and history.epochs == 3
    assert history.learning_rate == pytest.approx([0.04, 0.02, 0.01])
    assert len(history.val_loss) == len(history.val_accuracy) == len(history.seconds) == 3
    assert all(0.0 <= a <= 1.0 for a in history.accuracy + history.val_accuracy)
    # The validation figures are the network's own evaluation after the epoch.
    assert history.val_accuracy[-1] == pytest.approx(net.score(X[:20], y[:20]))


def test_float32_is_kept_through_training():
    X, y = _problem(n=40)
    net = MLP([5, 6, 4], seed=0, dtype=np.float32)
    net.fit(X.astype(np.float64), y, epochs=2, batch_size=8, optimizer="rmsprop")
    assert all(w.dtype == np.float32 for w in net.weights + net.biases)
    assert net.predict_proba(X).dtype == np.float32
    assert net.optimizer_.state("mean_sq").dtype == np.float32
    assert net._workspace.inputs.dtype == np.float32


def test_training_learns_the_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    net = MLP([64, 32, 10], activation="relu", seed=0)
    history = net.fit(X[:1400], y[:1400], epochs=15, batch_size=32, optimizer="adam",
                      learning_rate=3e-3, validation_data=(X[1400:], y[1400:]))
    assert history.loss[-1] < history.loss[0] / 5
    assert net.score(X[1400:], y[1400:]) > 0.9


def test_train_step_is_one_optimizer_step():
    X, y = _problem(n=8)
    net = MLP([5, 6, 4], seed=0, dtype=np.float64)
    before = [w.copy() for w in net.weights]
    loss, grads, _ = net.loss_and_gradients(X, y)
    assert net.train_step(X, y, optimizer="sgd", learning_rate=0.1) == pytest.approx(loss)
    for w0, w1, g in zip(before, net.weights, grads, strict=True):
        np.testing.assert_allclose(w1, w0 - 0.1 * g, rtol=1e-12, atol=1e-15)


def test_forward_trace_exposes_every_layer():
    X, _ = _problem(n=5)
    net = MLP([5, 6, 7, 4], activation="relu", seed=0, dtype=np.float64)
    zs, activations = net.forward_trace(X)
    assert [z.shape for z in zs] == [(5, 6), (5, 7), (5, 4)]
    assert len(activations) == 4
    np.testing.assert_array_equal(activations[0], X)
    np.testing.assert_allclose(activations[1], np.maximum(zs[0], 0))
    np.testing.assert_allclose(activations[-1], net.predict_proba(X))


def test_pickled_and_copied_networks_keep_training():
    import copy
    import pickle

    X, y = _problem(n=30)
    net = MLP([5, 6, 4], seed=0)
    net.fit(X, y, epochs=1, batch_size=10)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(clone.predict_proba(X), net.predict_proba(X))
        before = clone.weights[0].copy()
        clone.fit(X, y, epochs=2, batch_size=10)
        assert not np.array_equal(before, clone.weights[0])
        assert np.shares_memory(clone.weights[0], clone._theta)
        assert np.shares_memory(clone._grad_weights[0], clone._grad)
    # The original is untouched by its clones' training.
    assert net.epochs_trained_ == 1


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_score_gradient_matches_finite_differences(activation):
    X, _ = _problem(n=5, n_features=4, n_classes=3)
    net = MLP([4, 6, 5, 3], activation=activation, seed=2, dtype=np.float64)
    rng = np.random.default_rng(3)
    for b in net.biases:
        b[...] = rng.normal(scale=0.1, size=b.shape)
    classes = np.array([0, 2, 1, 1, 0])
    analytic = net.score_gradient(X, classes)

    def scores(inputs):
        zs, _ = net.forward_trace(inputs)
        return zs[-1][np.arange(len(inputs)), classes]

    h = 1e-6
    numeric = np.zeros_like(X)
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = h
        numeric[:, j] = (scores(X + step) - scores(X - step)) / (2 * h)
    assert _relative_error(analytic, numeric) < 1e-7
    # One class for every row broadcasts.
    np.testing.assert_allclose(net.score_gradient(X, 2)[1], analytic[1])
    with pytest.raises(ValueError, match="classes"):
        net.score_gradient(X, 3)
