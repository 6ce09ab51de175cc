"""A Train run takes its L2 into the engine when it is built: its very first batch is
the step plain NumPy computes for that L2.

``test_steering.py`` changes L2 in the middle of a run; this is the other half (a
run *started* with L2 > 0 and trained with L2 = 0 passed every test before it).
The expected step is computed here from scratch, in float64: a tanh network's
forward pass, the mean softmax cross-entropy plus ``l2 / 2 * sum(W^2)`` over the
weights (not the biases; ``nn_core/network.py``'s documented loss), its gradient by
hand (checked against central differences), and one plain SGD step. The engine trains
in float32, hence the tolerance, which is far below the L2 term's size.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from playground.common.runs import TrainingRun
from playground.common.vocab import TrainConfig

L2 = 0.1
LEARNING_RATE = 0.5
ATOL = 2e-6  # float32 against float64 over one step of this size


def _dataset(n: int = 40, features: int = 5, classes: int = 3) -> SimpleNamespace:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, features)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    return SimpleNamespace(X_train=X, y_train=y, X_test=X[:8], y_test=y[:8], n_classes=classes)


def _loss_and_grads(W, b, X, y, l2):
    """Mean softmax cross-entropy of a tanh MLP plus ``l2 / 2 * sum W^2``, and its
    gradient with respect to every weight and bias."""
    activations = [X]
    for Wi, bi in zip(W[:-1], b[:-1], strict=True):
        activations.append(np.tanh(activations[-1] @ Wi + bi))
    z = activations[-1] @ W[-1] + b[-1]
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    m = X.shape[0]
    loss = -np.log(p[np.arange(m), y]).mean() + l2 / 2 * sum((Wi**2).sum() for Wi in W)
    delta = p.copy()
    delta[np.arange(m), y] -= 1.0
    delta /= m
    gW, gb = [None] * len(W), [None] * len(W)
    for i in range(len(W) - 1, -1, -1):
        gW[i] = activations[i].T @ delta + l2 * W[i]
        gb[i] = delta.sum(axis=0)
        if i:
            delta = (delta @ W[i].T) * (1.0 - activations[i] ** 2)
    return loss, gW, gb


def _sgd_step(W, b, X, y, l2):
    _, gW, gb = _loss_and_grads(W, b, X, y, l2)
    return ([Wi - LEARNING_RATE * g for Wi, g in zip(W, gW, strict=True)],
            [bi - LEARNING_RATE * g for bi, g in zip(b, gb, strict=True)])


def test_the_hand_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    W = [rng.normal(size=(5, 4)), rng.normal(size=(4, 3))]
    b = [rng.normal(size=4), rng.normal(size=3)]
    X, y = rng.normal(size=(9, 5)), rng.integers(0, 3, size=9)
    _, gW, gb = _loss_and_grads(W, b, X, y, L2)
    h = 1e-6
    for params, grads in ((W, gW), (b, gb)):
        for i, p in enumerate(params):
            for index in np.ndindex(p.shape):
                saved = p[index]
                p[index] = saved + h
                up = _loss_and_grads(W, b, X, y, L2)[0]
                p[index] = saved - h
                down = _loss_and_grads(W, b, X, y, L2)[0]
                p[index] = saved
                assert grads[i][index] == pytest.approx((up - down) / (2 * h), abs=1e-7)


@pytest.mark.parametrize("hidden", [(4,), (4, 4)])
def test_a_run_built_with_l2_trains_its_first_batch_with_that_l2(hidden):
    data = _dataset()
    # One epoch of one batch (the batch is larger than the training rows), plain SGD:
    # the whole run is a single step, independent of the shuffle order.
    config = TrainConfig(hidden=hidden, activation="tanh", optimizer="sgd",
                         learning_rate=LEARNING_RATE, epochs=1, batch_size=256, l2=L2, seed=5)
    run = TrainingRun(config, data)
    W0 = [w.astype(np.float64) for w in run.net.weights]
    b0 = [v.astype(np.float64) for v in run.net.biases]
    rows = run.train_idx
    X, y = data.X_train[rows].astype(np.float64), data.y_train[rows]

    run.run_to_end()
    assert run.epochs_done == 1 and run.trainer.batches_per_epoch == 1

    W1, b1 = _sgd_step(W0, b0, X, y, L2)
    for got, want in zip(run.net.weights + run.net.biases, W1 + b1, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)
    # The L2 part of the step is large next to the tolerance: a run that lost its L2
    # would be this far off.
    W_no_l2, _ = _sgd_step(W0, b0, X, y, 0.0)
    assert max(np.abs(a - c).max() for a, c in zip(W1, W_no_l2, strict=True)) > 1000 * ATOL
    # And the run says so: its L2 and its loss (with the penalty) are the configured ones.
    assert run.l2 == L2
    loss0 = _loss_and_grads(W0, b0, X, y, L2)[0]
    assert run.history.loss[0] == pytest.approx(loss0, rel=1e-5)
