"""The steppable trainer: one training loop, exactly repeatable whatever the stepping.

``fit`` is a trainer stepped until done, so the tests compare ``fit`` in one go
with the same run stepped in random slices, paused, and steered (a learning-rate
change at a given batch), bit for bit: weights, optimizer state and history.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_core import MLP
from nn_core.optimizers import OPTIMIZERS
from nn_core.trainer import EXPLOSION_FACTOR, stuck_units

HISTORY_FIELDS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "lr_changes")


def _data(n=203, n_features=12, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_features)).astype(np.float32)
    y = (X[:, :n_classes].argmax(axis=1) + rng.integers(0, 2, size=n)) % n_classes
    return X, y


def _net(hidden, seed=3):
    return MLP([12, *hidden, 4], activation="tanh", seed=seed, dtype=np.float32)


def _same_run(a, b):
    for wa, wb in zip(a[0].weights + a[0].biases, b[0].weights + b[0].biases, strict=True):
        np.testing.assert_array_equal(wa, wb)
    for name in HISTORY_FIELDS:
        assert getattr(a[1], name) == getattr(b[1], name), name
    state_a, state_b = a[0].optimizer_.get_state(), b[0].optimizer_.get_state()
    for key in state_a:
        np.testing.assert_array_equal(state_a[key], state_b[key])


OPTIMIZER_LR = {"sgd": 0.2, "momentum": 0.05, "adagrad": 0.05, "rmsprop": 3e-3, "adam": 3e-3}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("hidden", [(16,), (16, 8), (16, 8, 8)])
def test_random_stepping_is_bit_identical_to_fit(hidden, optimizer):
    X, y = _data()
    Xv, yv = _data(n=50, seed=1)
    settings = dict(epochs=4, batch_size=16, optimizer=optimizer,
                    learning_rate=OPTIMIZER_LR[optimizer], l2=1e-3, validation_data=(Xv, yv))
    whole = _net(hidden)
    history = whole.fit(X, y, **settings)

    stepped = _net(hidden)
    trainer = stepped.trainer(X, y, **settings)
    rng = np.random.default_rng(7)
    calls = 0
    while not trainer.done:
        trainer.step(max_batches=int(rng.integers(1, 8)))
        calls += 1
        assert stepped.weights[0].base is not None  # views stay live between steps
    assert calls > 8 and trainer.epoch == 4 and not history.diverged
    _same_run((whole, history), (stepped, trainer.history))
    assert len(history.loss) == 4 and history.loss[-1] < history.loss[0]


def test_time_budgets_and_pauses_do_not_change_the_run():
    X, y = _data(n=400)
    settings = dict(epochs=3, batch_size=8, optimizer="adam", learning_rate=3e-3)
    whole = _net((32,))
    history = whole.fit(X, y, **settings)
    stepped = _net((32,))
    trainer = stepped.trainer(X, y, **settings)
    budgets = [1e-4, 0.0, 5e-3, 1e-3]
    i = 0
    while not trainer.done:
        done = trainer.step(max_seconds=budgets[i % 4])
        assert done >= 1  # at least one batch per call, however small the budget
        stepped.predict(X[:3])  # looking at the net between steps changes nothing
        i += 1
    _same_run((whole, history), (stepped, trainer.history))


def _lr_change_at(net, X, y, epoch, batch, value, stepping):
    """Train with a learning-rate change before (epoch, batch), stepping as told."""
    trainer = net.trainer(X, y, epochs=3, batch_size=10, optimizer="momentum",
                          learning_rate=0.05)
    per_epoch = trainer.batches_per_epoch
    target = (epoch - 1) * per_epoch + (batch - 1)  # batches before the change
    done = 0
    while done < target:
        done += trainer.step(max_batches=min(stepping, target - done))
    net.learning_rate = value
    while not trainer.done:
        trainer.step(max_batches=stepping)
    return trainer.history


def test_a_learning_rate_change_applies_from_the_next_batch_and_is_recorded():
    X, y = _data()
    first, second = _net((16,)), _net((16,))
    a = _lr_change_at(first, X, y, epoch=2, batch=5, value=0.2, stepping=1)
    b = _lr_change_at(second, X, y, epoch=2, batch=5, value=0.2, stepping=7)
    _same_run((first, a), (second, b))
    assert a.lr_changes == [(2, 5, 0.2)]
    assert a.learning_rate == [0.05, 0.2, 0.2]
    # A change one batch later is a different run.
    third = _net((16,))
    c = _lr_change_at(third, X, y, epoch=2, batch=6, value=0.2, stepping=3)
    assert c.lr_changes == [(2, 6, 0.2)]
    assert not np.array_equal(third.weights[0], first.weights[0])
    # Epoch 1 is the same in all three, epoch 2 differs once the rates differ.
    assert c.loss[0] == a.loss[0] and c.loss[1] != a.loss[1]


def test_batch_size_change_applies_from_the_next_epoch():
    X, y = _data()
    net = _net((16,))
    trainer = net.trainer(X, y, epochs=2, batch_size=10, optimizer="sgd", learning_rate=0.1)
    trainer.step(max_batches=3)
    trainer.batch_size = 50
    assert trainer.batches_per_epoch == math.ceil(203 / 10)  # this epoch keeps its batches
    trainer.step(max_batches=math.ceil(203 / 10) - 3)
    assert trainer.epoch == 1 and trainer.batch == 0
    assert trainer.batches_per_epoch == math.ceil(203 / 50)
    assert trainer.step() == math.ceil(203 / 50)
    assert trainer.done and trainer.epoch == 2


def test_l2_change_applies_from_the_next_batch():
    X, y = _data()
    plain, decayed = _net((16,)), _net((16,))
    a = plain.trainer(X, y, epochs=1, batch_size=20, optimizer="sgd", learning_rate=0.1)
    b = decayed.trainer(X, y, epochs=1, batch_size=20, optimizer="sgd", learning_rate=0.1)
    a.step(max_batches=2)
    b.step(max_batches=2)
    np.testing.assert_array_equal(plain.weights[0], decayed.weights[0])
    b.l2 = 0.5
    a.step()
    b.step()
    assert np.linalg.norm(decayed.weights[0]) < 0.95 * np.linalg.norm(plain.weights[0])


def test_lowering_the_target_ends_the_run_at_the_end_of_this_epoch():
    X, y = _data()
    net = _net((16,))
    trainer = net.trainer(X, y, epochs=10, batch_size=16, optimizer="adam")
    per_epoch = trainer.batches_per_epoch
    trainer.step(max_batches=2 * per_epoch + 3)
    trainer.epochs = 1
    assert not trainer.done
    trainer.step()
    assert trainer.done and trainer.epoch == 3 and len(trainer.history.loss) == 3
    with pytest.raises(ValueError, match="epochs"):
        trainer.epochs = 0


def test_fit_continues_and_history_accumulates_on_the_network():
    X, y = _data()
    net = _net((16,))
    net.fit(X, y, epochs=2, optimizer="adam")
    trainer = net.trainer(X, y, epochs=3)
    trainer.run()
    assert net.epochs_trained_ == 5 and len(net.history_.loss) == 5
    assert trainer.step() == 0  # a finished trainer does nothing


def test_an_explosion_with_a_finite_loss_is_caught_and_rolled_back():
    # The example: huge inputs, SGD at lr 1e4. The clipped loss of old stayed
    # finite (about 16) while the weights grew to 1e19; now the loss is the true one.
    rng = np.random.default_rng(0)
    X = rng.random((120, 6)) * 1e3
    y = rng.integers(0, 3, size=120)
    net = MLP([6, 16, 3], seed=0)
    history = net.fit(X, y, optimizer="sgd", learning_rate=1e4, epochs=20)
    assert history.diverged and history.diverged_at is not None
    assert "exploded" in history.diverged_reason or "finite" in history.diverged_reason
    assert all(np.isfinite(w).all() for w in net.weights + net.biases)
    assert len(history.loss) < 20


def test_explosion_rollback_restores_the_weights_before_the_previous_step():
    X, y = _data(n=64)
    net = _net((8,))
    trainer = net.trainer(X, y, epochs=5, batch_size=16, optimizer="sgd", learning_rate=0.1,
                          shuffle=False)
    trainer.step(max_batches=3)
    before_step = [w.copy() for w in net.weights]
    trainer.step(max_batches=1)
    # Make the next batch's loss explode: scale the output weights up enormously.
    net.weights[-1][...] *= 1e4
    net.biases[-1][...] += 0.0
    trainer.step(max_batches=1)
    history = trainer.history
    assert history.diverged and "exploded" in history.diverged_reason
    assert trainer.done and history.diverged_at == (2, 1)
    for w, saved in zip(net.weights, before_step, strict=True):
        np.testing.assert_array_equal(w, saved)


def test_a_healthy_run_is_not_flagged_as_exploding():
    X, y = _data(n=300)
    for optimizer in sorted(OPTIMIZERS):
        net = _net((32,))
        history = net.fit(X, y, epochs=15, batch_size=8, optimizer=optimizer,
                          learning_rate=OPTIMIZER_LR[optimizer])
        assert not history.diverged, (optimizer, history.diverged_reason)
        assert max(history.loss) < EXPLOSION_FACTOR * math.log(4)


def test_health_samples_gradient_norms_and_stuck_units():
    X, y = _data()
    net = MLP([12, 16, 8, 4], activation="relu", seed=0)
    assert net.fit(X, y, epochs=1, batch_size=16).health == []  # fit: off unless asked
    history = net.fit(X, y, epochs=2, batch_size=16, optimizer="adam", health_samples=4)
    per_epoch = [h for h in history.health if h["epoch"] == 2]
    assert 3 <= len(per_epoch) <= 5
    sample = history.health[-1]
    assert len(sample["grad_norms"]) == 3 and len(sample["stuck"]) == 2
    assert all(g > 0 for g in sample["grad_norms"])
    # Kill half of the first layer's units: they are dead on every probe row.
    net.biases[0][:8] = -1e3
    trainer = net.trainer(X, y, epochs=1, batch_size=16, optimizer="sgd", learning_rate=1e-6)
    trainer.run()
    assert trainer.history.health[-1]["stuck"][0] >= 0.5


def test_stuck_units_definition():
    relu = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert stuck_units("relu", relu) == pytest.approx(1 / 3)
    sig = np.array([[0.001, 0.5, 0.999], [0.995, 0.2, 0.9999]])
    assert stuck_units("sigmoid", sig) == pytest.approx(2 / 3)
    tanh = np.array([[-0.999, 0.0], [0.995, 0.5]])
    assert stuck_units("tanh", tanh) == pytest.approx(1 / 2)
    assert stuck_units("identity", relu) == 0.0


def test_trainer_rejects_bad_settings_with_named_errors():
    X, y = _data()
    net = _net((8,))
    with pytest.raises(ValueError, match="batch_size"):
        net.trainer(X, y, batch_size=0)
    trainer = net.trainer(X, y)
    with pytest.raises(ValueError, match="l2"):
        trainer.l2 = -1
    # A bad learning rate is refused when it is set, through the trainer or its network.
    with pytest.raises(ValueError, match="learning_rate"):
        trainer.learning_rate = float("nan")
    with pytest.raises(ValueError, match="learning_rate"):
        net.learning_rate = 0.0
    assert trainer.learning_rate == net.learning_rate == 1e-3


def test_rows_train_on_a_subset_without_copying_it():
    X, y = _data(n=240)
    rows = np.arange(0, 240, 2)
    subset = _net((16,))
    history = subset.fit(X[rows], y[rows], epochs=3, batch_size=16, optimizer="adam")
    indexed = _net((16,))
    trainer = indexed.trainer(X, y, rows=rows, epochs=3, batch_size=16, optimizer="adam")
    trainer.run()
    _same_run((subset, history), (indexed, trainer.history))
    for bad in ([], [0, 240], [[1, 2]], [0.5]):
        with pytest.raises(ValueError, match="rows"):
            _net((4,)).trainer(X, y, rows=bad)
