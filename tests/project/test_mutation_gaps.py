"""Behaviour the mutation check (``scripts/mutation_check.py``) found untested.

Each test here was written for a deliberate bug that the rest of the suite let
through; the mutation's id is named in the test's docstring. Every assertion is
against an independent reference (plain NumPy/SciPy written out here) or the
documented behaviour, never against the source text.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp

from nn_core import MLP
from playground.common.diagnosis import chance_warning
from playground.common.vocab import TrainConfig, config_from_widgets


def _data(n=203, n_features=12, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_features)).astype(np.float32)
    y = (X[:, :n_classes].argmax(axis=1) + rng.integers(0, 2, size=n)) % n_classes
    return X, y


def _reference_logits(net, X):
    """The forward pass written out in float64 NumPy from the net's live weights."""
    hidden = {
        "relu": lambda z: np.maximum(z, 0.0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),  # PyTorch's default slope
        "tanh": np.tanh,
        "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
        "identity": lambda z: z,
    }[net.activation]
    a = np.asarray(X, dtype=np.float64)
    n_layers = len(net.weights)
    for layer, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        z = a @ w.astype(np.float64) + b.astype(np.float64)
        a = hidden(z) if layer < n_layers - 1 else z
    return a


def _reference_loss(net, X, y, l2=0.0):
    """Mean softmax cross-entropy, logsumexp(z) - z_y, plus l2 / 2 * sum ||W||^2."""
    z = _reference_logits(net, X)
    ce = float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(y)), y]))
    return ce + 0.5 * l2 * sum(float(np.sum(w.astype(np.float64) ** 2)) for w in net.weights)


# --------------------------------------------------------------------------- nn_core


def test_leaky_relu_has_the_documented_slope_of_one_hundredth():
    """leaky-relu-slope: max(z, 0.01 z), as the activations module and PyTorch define it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    net = MLP([5, 9, 3], activation="leaky_relu", seed=1, dtype=np.float64)
    zs, activations = net.forward_trace(X)
    z = X @ net.weights[0] + net.biases[0]
    assert (z < 0).any() and (z > 0).any()
    np.testing.assert_allclose(activations[1], np.where(z > 0, z, 0.01 * z), rtol=1e-12)
    logits = _reference_logits(net, X)
    expected = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    np.testing.assert_allclose(net.predict_proba(X), expected, rtol=1e-10)


def test_predict_is_the_most_likely_class():
    """predict-argmin: predict() names the class with the highest probability."""
    X, _ = _data(n=300)
    y = X[:, :4].argmax(axis=1)  # no label noise: a net can learn it well
    net = MLP([12, 16, 4], activation="relu", seed=0)
    net.fit(X, y, epochs=20, batch_size=16, optimizer="adam", learning_rate=1e-2)
    expected = _reference_logits(net, X).argmax(axis=1)
    predicted = net.predict(X)
    assert predicted.shape == (300,) and predicted.dtype.kind == "i"
    # float32 vs float64 may break a near-tie differently on a row or two, no more.
    assert np.mean(predicted == expected) >= 0.99
    np.testing.assert_array_equal(predicted, net.predict_proba(X).argmax(axis=1))
    assert np.mean(predicted == y) == pytest.approx(net.score(X, y))
    assert net.score(X, y) > 0.8  # it learned something, so the most likely class matters


def test_evaluate_and_validation_loss_include_the_l2_penalty():
    """val-loss-without-l2: the README and History say both losses include l2 / 2 * sum W^2."""
    X, y = _data(n=120)
    Xv, yv = _data(n=60, seed=1)
    net = MLP([12, 16, 4], activation="tanh", seed=2, dtype=np.float64)
    l2 = 0.05
    loss, accuracy = net.evaluate(Xv, yv, l2=l2)
    assert loss == pytest.approx(_reference_loss(net, Xv, yv, l2), rel=1e-10)
    assert accuracy == float(np.mean(_reference_logits(net, Xv).argmax(axis=1) == yv))
    assert loss > _reference_loss(net, Xv, yv) + 1e-3  # the penalty is not negligible here
    history = net.fit(X, y, epochs=2, batch_size=20, optimizer="sgd", learning_rate=0.1, l2=l2,
                      validation_data=(Xv, yv))
    assert history.val_loss[-1] == pytest.approx(_reference_loss(net, Xv, yv, l2), rel=1e-10)


def test_epoch_loss_and_accuracy_are_means_over_the_samples():
    """epoch-loss-not-weighted: history.loss is the epoch's mean per-sample loss. With a
    learning rate too small to move float32 weights, that is the loss before training."""
    X, y = _data(n=203)  # 13 batches of 16, the last one of 11
    net = MLP([12, 16, 4], activation="tanh", seed=3)
    before_loss = _reference_loss(net, X, y)
    before_accuracy = float(np.mean(_reference_logits(net, X).argmax(axis=1) == y))
    history = net.fit(X, y, epochs=1, batch_size=16, optimizer="sgd", learning_rate=1e-12)
    assert history.loss[0] == pytest.approx(before_loss, rel=1e-5)
    assert history.accuracy[0] == pytest.approx(before_accuracy, abs=1.5 / 203)


def _record_batches(net):
    """Spy on the rows each training batch holds (column 0 of X carries the row number)."""
    seen: list[np.ndarray] = []
    train_batch = net.train_batch

    def spy(x, *args, **kwargs):
        seen.append(np.rint(x[:, 0] * 256).astype(int))
        return train_batch(x, *args, **kwargs)

    net.train_batch = spy
    return seen


def _numbered_data(n=203):
    X, y = _data(n=n)
    X[:, 0] = np.arange(n) / 256  # exact in float32
    return X, y


def test_every_epoch_sees_every_row_once_in_a_fresh_order():
    """no-reshuffle-per-epoch: "batches are reshuffled every epoch" (MLP.fit)."""
    X, y = _numbered_data()
    net = MLP([12, 8, 4], seed=5)
    seen = _record_batches(net)
    net.fit(X, y, epochs=3, batch_size=16, optimizer="sgd", learning_rate=1e-3)
    per_epoch = math.ceil(203 / 16)
    assert len(seen) == 3 * per_epoch
    orders = [np.concatenate(seen[e * per_epoch:(e + 1) * per_epoch]) for e in range(3)]
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(203))
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[1], orders[2])
    assert not np.array_equal(orders[0], orders[2])
    # The first batches of consecutive epochs hold different rows, not just a rotation.
    assert set(seen[0]) != set(seen[per_epoch])
    # shuffle=False: the rows in their own order, every epoch.
    plain = MLP([12, 8, 4], seed=5)
    seen = _record_batches(plain)
    plain.fit(X, y, epochs=2, batch_size=16, optimizer="sgd", learning_rate=1e-3, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(seen), np.tile(np.arange(203), 2))


def test_a_smaller_batch_size_set_mid_epoch_waits_for_the_next_epoch():
    """batch-size-mid-epoch: a batch-size change applies from the next epoch, so changing
    it mid-epoch gives the same run as changing it at the epoch boundary."""
    X, y = _numbered_data()

    def run(change_after):
        net = MLP([12, 8, 4], activation="tanh", seed=6)
        seen = _record_batches(net)
        trainer = net.trainer(X, y, epochs=2, batch_size=20, optimizer="sgd", learning_rate=0.1)
        trainer.step(max_batches=change_after)
        trainer.batch_size = 8
        trainer.run()
        return net, trainer.history, seen

    mid, at_boundary = run(change_after=4), run(change_after=math.ceil(203 / 20))
    for a, b in zip(mid[0].weights + mid[0].biases, at_boundary[0].weights + at_boundary[0].biases,
                    strict=True):
        np.testing.assert_array_equal(a, b)
    assert mid[1].loss == at_boundary[1].loss
    sizes = [len(batch) for batch in mid[2]]
    first = math.ceil(203 / 20)
    assert sizes[:first] == [20] * (first - 1) + [203 - 20 * (first - 1)]
    assert sizes[first:] == [8] * (203 // 8) + [203 % 8]
    np.testing.assert_array_equal(np.sort(np.concatenate(mid[2][:first])), np.arange(203))


def _model_file(net, **meta_changes):
    meta = {"format": "mlp-playground/model", "version": 1, **net.get_config(), **meta_changes}
    arrays = {"meta": np.array(json.dumps(meta))}
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        arrays[f"W{i}"], arrays[f"b{i}"] = w, b
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize("version", [2, 99, 0, -1, "1", None, 1.5, True])
def test_a_model_file_of_an_unknown_version_is_refused(version):
    """load-accepts-future-version: this build reads version 1 files only."""
    net = MLP([6, 5, 3], seed=0)
    assert MLP.load(io.BytesIO(_model_file(net))).get_config() == net.get_config()
    with pytest.raises(ValueError, match="unsupported version"):
        MLP.load(io.BytesIO(_model_file(net, version=version)))


# --------------------------------------------------------------------------- playground


@pytest.mark.parametrize(
    "key, value, field, expected",
    [
        ("cfg-l2", 0.01, "l2", 0.01),
        ("cfg-lr", 0.1, "learning_rate", 0.1),
        ("cfg-batch", 128, "batch_size", 128),
        ("cfg-epochs", 7, "epochs", 7),
        ("cfg-seed", 42, "seed", 42),
        ("cfg-activation", "tanh", "activation", "tanh"),
        ("cfg-optimizer", "sgd", "optimizer", "sgd"),
        ("cfg-dataset", "mnist", "dataset", "mnist"),
        ("cfg-hidden-0", 16, "hidden", (16,)),
    ],
)
def test_config_from_widgets_reads_every_control(key, value, field, expected):
    """widgets-ignore-l2: Train trains what every control shows, not the saved config."""
    fallback = TrainConfig(l2=1e-4, learning_rate=1e-3, batch_size=32, epochs=30, seed=0)
    config = config_from_widgets({key: value}, fallback)
    assert getattr(config, field) == expected
    untouched = {f: getattr(fallback, f) for f in fallback.as_dict() if f != field}
    assert {f: getattr(config, f) for f in untouched} == untouched
    assert config_from_widgets({}, fallback) == fallback


@pytest.mark.parametrize("config", [
    TrainConfig(),
    TrainConfig(dataset="mnist", hidden=(256, 256), learning_rate=1e-3, batch_size=128, epochs=7),
    TrainConfig(dataset="mnist-sample", hidden=(16, 8, 4), activation="tanh", optimizer="sgd",
                learning_rate=0.5, batch_size=8, epochs=1, l2=1e-2, seed=12345),
])
def test_widget_values_are_what_config_from_widgets_reads_back(config):
    """The preset sets the widgets (``widget_values``): every field must come back."""
    from playground.common.vocab import widget_values

    other = TrainConfig(dataset="digits", hidden=(64, 64, 64), learning_rate=3e-3, epochs=30)
    assert config_from_widgets(widget_values(config), other) == config


def test_an_l2_changed_just_before_train_is_the_l2_trained():
    """widgets-ignore-l2, on the page: the click's callback runs before the page script,
    so the L2 (and learning rate) set in the same rerun must still reach the run."""
    from streamlit.testing.v1 import AppTest

    from playground.common.state import STATE_KEY

    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"),
                            default_timeout=60)
    app.run()
    assert not app.exception
    app.select_slider(key="cfg-l2").set_value(0.01)
    app.select_slider(key="cfg-lr").set_value(0.01)
    app.button(key="btn-train").click().run()
    assert not app.exception
    run = app.session_state[STATE_KEY].run
    # The run's own record of its settings (its label and the runs table's L2 column)...
    assert run.config.l2 == 0.01 and run.config.learning_rate == 0.01
    # ... and what the engine trains with.
    assert run.l2 == 0.01 and run.trainer.l2 == 0.01
    assert run.learning_rate == 0.01


def _history(epochs, accuracy=0.1, loss=2.302):
    from types import SimpleNamespace

    return SimpleNamespace(loss=[loss] * epochs, val_accuracy=[accuracy] * epochs, health=[])


def test_no_chance_verdict_before_five_epochs_even_when_guessing():
    """chance-verdict-too-early: a run exactly at chance, with its loss flat at ln 10, gets
    the warning from epoch 5 (CHANCE_EPOCHS) on, never before."""
    config = TrainConfig(optimizer="sgd", learning_rate=1e-4)
    for epochs in range(1, 5):
        assert chance_warning(config, _history(epochs), 10) is None, epochs
    warning = chance_warning(config, _history(5), 10)
    assert warning is not None and "chance" in warning and "After 5 epochs" in warning
    # A learning run is never flagged, however long it runs.
    assert chance_warning(TrainConfig(), _history(8, accuracy=0.9, loss=0.3), 10) is None
