"""Reliability and safety, as a new user meets them, through AppTest (no browser).

A learner types extreme values, draws nonsense, uploads the wrong file and opens several
tabs: no page may show an exception, every problem is a message saying what to do next,
nothing uploaded is ever executed, and a trained model is never lost.

AppTest notes (Streamlit 1.67): it drives ``st.file_uploader`` (``set_value``), but after
the first run of an ``st.navigation`` app it drops the sidebar from its element tree, so a
sidebar upload is done in a fresh AppTest that starts from the session's ``Playground``.
It can't drive the drawing canvas: the Draw page reads ``TEST_DRAWING_KEY`` instead.
"""

import io
import json
import os
import pickle
import tomllib
from pathlib import Path

import numpy as np
import pytest
import streamlit as st

from nn_core import MLP
from nn_core.drawings.preprocess import drawing_to_input
from playground.common.models import (
    MAX_MODEL_BYTES,
    MB,
    ModelFileError,
    load_model_bytes,
    model_to_bytes,
)
from playground.common.runs import TrainingRun
from playground.common.state import STATE_KEY, TEST_DRAWING_KEY, Playground
from playground.common.vocab import DIVERGED, TrainConfig
from playground.draw import drawing
from playground.shell import server, ui
from tests.apptest_helpers import metrics, plotly_figures, run_until, started

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- helpers


def playground(app) -> Playground:
    return app.session_state[STATE_KEY]


def probability_bars(app) -> np.ndarray:
    """The Draw page's probability bars, as plotted."""
    (chart,) = (fig for el, fig in zip(app.get("plotly_chart"), plotly_figures(app), strict=True)
                if el.proto.id.endswith("-chart-probabilities"))
    return np.asarray(chart["data"][0]["y"], dtype=float)



def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)



def set_widgets(app, **values):
    """Set Train-page widgets by key (``cfg_lr=1.0`` sets ``cfg-lr``), then rerun."""
    for name, value in values.items():
        key = name.replace("_", "-")
        widget = next(
            w
            for kind in ("slider", "select_slider", "radio", "selectbox", "number_input")
            for w in getattr(app, kind)
            if w.key == key
        )
        widget.set_value(value)
        app.run()  # one at a time: a new layer count adds widgets
    return app


def train(app, **values):
    set_widgets(app, **values)
    app.button(key="btn-train").click().run()
    return run_until(app, lambda a: playground(a).run is not None and playground(a).run.is_done)


def assert_calm(app):
    """No exception box; returns the error messages shown (for the caller to check)."""
    assert not app.exception, [e.value for e in app.exception]
    return [e.value for e in app.error]


def model_bytes(sizes=(64, 16, 10), seed=0, scale=None) -> bytes:
    net = MLP(list(sizes), seed=seed, dtype=np.float32)
    if scale is not None:
        for w in net.weights:
            w[...] = scale
    return model_to_bytes(net)


@pytest.fixture
def trained_pg(digits):
    """A session that has trained one small model (kept as ``pg.model``)."""
    pg = Playground()
    pg.train_to_end(TrainConfig(hidden=(16,), epochs=3), digits)
    return pg


# --------------------------------------------------------------------------- divergence

DIVERGING = {"cfg_activation": "identity", "cfg_optimizer": "sgd", "cfg_lr": 1.0, "cfg_epochs": 10}


def test_a_diverging_run_warns_keeps_finite_weights_and_the_model_still_predicts(digits):
    app = started()
    train(app, **DIVERGING)
    pg = playground(app)
    run = pg.run
    assert run.status == DIVERGED
    warning = texts(app.warning)
    assert "diverged" in warning and "lower learning rate" in warning and "0.2" in warning
    assert all(np.isfinite(w).all() for w in run.net.weights)
    assert all(np.isfinite(b).all() for b in run.net.biases)
    # There was no model before, so the last good weights answer (finite, if poor).
    assert pg.model is not None and pg.model.net is run.net
    proba = pg.model.net.predict_proba(digits.X_test)
    assert np.isfinite(proba).all() and proba.shape == (len(digits.y_test), 10)
    assert metrics(app)["Test accuracy"].endswith("%")
    assert pg.runs[-1].status == DIVERGED
    assert assert_calm(app) == []
    for page in ("pages/draw.py", "pages/inspect.py"):
        app.switch_page(page).run()
        assert assert_calm(app) == []


def test_a_diverged_run_does_not_replace_the_model_that_answers(digits):
    app = started()
    train(app, cfg_epochs=2)
    pg = playground(app)
    good = pg.model
    before = [w.copy() for w in good.net.weights]
    app.button(key="btn-reset").click().run()
    train(app, **DIVERGING)
    assert pg.run.status == DIVERGED and pg.model is good
    for w, w0 in zip(good.net.weights, before, strict=True):
        np.testing.assert_array_equal(w, w0)
    app.switch_page("pages/draw.py").run()
    assert "run #1" in texts(app.info)
    assert assert_calm(app) == []


def test_a_run_that_overflows_the_network_is_caught_as_divergence(digits):
    """Three wide linear layers at learning rate 1 used to overflow float32 on the held-out
    images while the (clipped) training loss stayed finite. The true loss now explodes
    first: the run is stopped there and rolled back to weights that still read images."""
    config = TrainConfig(hidden=(512, 512, 512), activation="identity", optimizer="sgd",
                         learning_rate=1.0, batch_size=256, epochs=5)
    run = TrainingRun(config, digits)
    run.run_to_end()
    assert run.status == DIVERGED and run.is_usable
    assert "exploded" in run.message and "lower learning rate" in run.message
    assert all(np.isfinite(w).all() for w in run.net.weights)
    assert run.epochs_done == 0 and run.history.diverged_at[0] == 1

    app = started()
    pg = playground(app)
    pg.train_to_end(TrainConfig(hidden=(16,), epochs=2), digits)
    good = pg.model
    train(app, cfg_layers=3, cfg_hidden_0=512, cfg_hidden_1=512, cfg_hidden_2=512,
          cfg_batch=256, cfg_epochs=5, **{k: v for k, v in DIVERGING.items() if k != "cfg_epochs"})
    assert pg.run.status == DIVERGED
    assert pg.model is good  # a diverged net never replaces a working model
    assert "diverged" in texts(app.warning)
    assert assert_calm(app) == []
    for page in ("pages/draw.py", "pages/inspect.py"):
        app.switch_page(page).run()
        assert assert_calm(app) == []


@pytest.mark.parametrize(
    "values",
    [
        {"cfg_lr": 1.0, "cfg_batch": 8, "cfg_epochs": 100},  # Adam at its largest step
        {"cfg_lr": 1.0, "cfg_optimizer": "momentum", "cfg_activation": "relu"},
        {"cfg_lr": 0.0001, "cfg_l2": 0.1, "cfg_activation": "sigmoid", "cfg_epochs": 1},
        {"cfg_layers": 3, "cfg_hidden_0": 4, "cfg_hidden_1": 4, "cfg_hidden_2": 4},
        {"cfg_seed": 2**31 - 1, "cfg_hidden_0": 512, "cfg_batch": 256},
    ],
    ids=["adam-lr1-batch8", "momentum-lr1", "tiny-lr-huge-l2", "three-tiny-layers", "max-seed"],
)
@pytest.mark.slow
def test_extreme_settings_never_crash(values):
    app = started()
    set_widgets(app, **values)
    app.button(key="btn-train").click().run()
    for _ in range(3):  # a few ticks of the live panel; finishing is not the point
        app.run()
    assert assert_calm(app) == []
    if not app.button(key="btn-stop").disabled:
        app.button(key="btn-stop").click().run()
    pg = playground(app)
    assert pg.run.is_done and pg.runs  # stopped or diverged, and kept either way
    assert assert_calm(app) == []


def test_a_setting_changed_just_before_train_is_the_one_trained():
    """The Train click's callback runs before the page script; it must read the widgets,
    not the config the page saved on its previous run."""
    app = started()
    app.select_slider(key="cfg-hidden-0").set_value(16)
    app.slider(key="cfg-epochs").set_value(2)
    app.button(key="btn-train").click().run()  # the change and the click in one rerun
    run = playground(app).run
    assert run.net.layer_sizes == (64, 16, 10) and run.target_epochs == 2


def test_an_unexpected_error_in_a_button_is_a_friendly_message(monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(Playground, "train", broken)
    app = started()
    app.button(key="btn-train").click().run()
    errors = assert_calm(app)
    assert any("simulated failure" in e and "Reset" in e for e in errors), errors


# --------------------------------------------------------------------------- uploads


class Exploit:
    """Unpickling this runs ``touch <marker>``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def pickle_payload_npz(marker: Path) -> bytes:
    """A model file whose weights are a pickled object that would ``touch`` ``marker``."""
    meta = {"format": "mlp-playground/model", "version": 1, "layer_sizes": [64, 16, 10],
            "activation": "relu", "output": "softmax", "dtype": "float32", "seed": 0}
    rng = np.random.default_rng(0)
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "W0": np.array([Exploit(marker)], dtype=object),
        "b0": np.zeros(16, np.float32),
        "W1": rng.normal(size=(16, 10)).astype(np.float32),
        "b1": np.zeros(10, np.float32),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def bad_files(marker: Path) -> dict[str, bytes]:
    valid = model_bytes()
    rng = np.random.default_rng(3)
    return {
        "random.npz": rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "truncated.npz": valid[: len(valid) // 2],
        "pickle-payload.npz": pickle_payload_npz(marker),
        "raw-pickle.npz": pickle.dumps(Exploit(marker)),
        "empty.npz": b"",
        "too-big.npz": b"PK" + b"\0" * MAX_MODEL_BYTES,
        "wrong-shape.npz": model_bytes((5, 3, 10)),
        "overflowing.npz": model_bytes((64, 16, 10), scale=1e30),
    }


def test_the_pickle_payload_is_live(tmp_path):
    """The control: unpickled unsafely, the payload really runs (so the other tests mean it)."""
    marker = tmp_path / "control"
    with np.load(io.BytesIO(pickle_payload_npz(marker)), allow_pickle=True) as archive:
        archive["W0"]
    assert marker.exists()


def test_bad_model_files_are_refused_with_advice_and_never_run(tmp_path, trained_pg):
    marker = tmp_path / "pwned"
    good = trained_pg.model
    for name, payload in bad_files(marker).items():
        with pytest.raises(ModelFileError) as info:
            load_model_bytes(payload)
        message = str(info.value)
        assert "Traceback" not in message
        assert any(word in message for word in ("Upload", "upload", "train")), (name, message)
        # What the sidebar's uploader calls: a notice, and the model stays.
        assert ui.load_upload(trained_pg, name, payload) is False
        level, notice = trained_pg.pop_notices()[-1]
        assert level == "error" and "current model is kept" in notice
        assert trained_pg.model is good
    assert not marker.exists()
    with pytest.raises(ModelFileError, match=f"up to {MAX_MODEL_BYTES // MB} MB"):
        load_model_bytes(bad_files(marker)["too-big.npz"])


@pytest.mark.slow
def test_bad_uploads_on_the_page_keep_the_current_model(tmp_path, trained_pg):
    marker = tmp_path / "pwned"
    good = trained_pg.model
    for name, payload in bad_files(marker).items():
        app = started(trained_pg)
        app.file_uploader(key="model-upload").set_value((name, payload, "application/octet-stream"))
        app.run()
        errors = assert_calm(app)
        assert any(f"Couldn't load {name}" in e and "current model is kept" in e for e in errors), (
            name, errors)
        assert trained_pg.model is good, name
    assert not marker.exists()
    app.switch_page("pages/draw.py").run()
    assert "run #1" in texts(app.info)  # still the trained model answering
    assert assert_calm(app) == []


def test_a_valid_upload_becomes_the_model_that_answers_on_draw(digits, trained_pg):
    other = MLP([64, 24, 10], seed=5, dtype=np.float32)
    other.fit(digits.X_train, digits.y_train, epochs=5, optimizer="adam", learning_rate=3e-3)
    app = started(trained_pg)
    app.file_uploader(key="model-upload").set_value(
        ("mine.npz", model_to_bytes(other), "application/octet-stream"))
    app.run()
    assert any("Loaded mine.npz" in s.value for s in app.success)
    assert trained_pg.model.source == "uploaded file mine.npz"
    assert trained_pg.runs and trained_pg.runs[0].run_id == 1  # the earlier run is still listed
    app.switch_page("pages/draw.py").run()
    info = texts(app.info)
    assert "uploaded file mine.npz" in info and "64 → 24 → 10" in info
    from nn_core.drawings.strokes import render_digit

    drawing = render_digit(3, np.random.default_rng(0))
    app.session_state[TEST_DRAWING_KEY] = drawing
    app.run()
    # The uploaded net answers, not the trained one: its probabilities are on the page,
    # and it reads this 3 right (measured: 3, 71 % sure).
    expected = other.predict_proba(drawing_to_input(drawing, "digits")[None])[0]
    np.testing.assert_allclose(probability_bars(app), expected, rtol=1e-5, atol=1e-7)
    assert metrics(app)["Prediction"] == "3" == str(int(np.argmax(expected)))
    assert assert_calm(app) == []


def test_an_mnist_model_without_the_mnist_files_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_PLAYGROUND_DATA", str(tmp_path))
    st.cache_resource.clear()
    try:
        app = started()
        app.file_uploader(key="model-upload").set_value(
            ("mnist.npz", model_bytes((784, 32, 10)), "application/octet-stream"))
        app.run()
        assert "isn't on this machine" in texts(app.warning)
        assert playground(app).model.dataset == "mnist"
        app.switch_page("pages/inspect.py").run()
        assert "isn't on this machine" in texts(app.warning)
        assert assert_calm(app) == []
        app.switch_page("pages/draw.py").run()
        noise = _noise(np.random.default_rng(1))
        app.session_state[TEST_DRAWING_KEY] = noise
        app.run()
        # The uploaded 784-input net reads the drawing the MNIST way, without the MNIST files.
        uploaded = MLP([784, 32, 10], seed=0, dtype=np.float32)  # what model_bytes() saved
        expected = uploaded.predict_proba(drawing_to_input(noise, "mnist")[None])[0]
        np.testing.assert_allclose(probability_bars(app), expected, rtol=1e-5, atol=1e-7)
        assert metrics(app)["Prediction"] == str(int(np.argmax(expected)))
        assert assert_calm(app) == []
    finally:
        st.cache_resource.clear()


def test_a_downloaded_model_loads_back_identically(trained_pg, digits):
    payload = model_to_bytes(trained_pg.model.net)
    net, dataset = load_model_bytes(payload)
    assert dataset == "digits"
    np.testing.assert_array_equal(net.predict_proba(digits.X_test),
                                  trained_pg.model.net.predict_proba(digits.X_test))


# --------------------------------------------------------------------------- drawings


def _noise(rng):
    return rng.integers(0, 256, (280, 280, 4), dtype=np.uint8)


def _canvas(value, alpha=255):
    image = np.full((280, 280, 4), value, dtype=np.uint8)
    image[..., 3] = alpha
    return image


DRAWINGS = {
    "blank": (_canvas(0), drawing.BLANK_HINT),
    "transparent": (_canvas(0, alpha=0), drawing.BLANK_HINT),
    "all-ink": (_canvas(255), drawing.FULL_HINT),
    "noise": (_noise(np.random.default_rng(0)), None),
    "one-dot": (np.pad(_canvas(255)[:6, :6], ((137, 137), (137, 137), (0, 0))), None),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DRAWINGS))
def test_any_canvas_gives_a_prediction_or_a_hint(name):
    image, hint = DRAWINGS[name]
    app = started()
    app.switch_page("pages/draw.py").run()
    app.session_state[TEST_DRAWING_KEY] = image
    app.run()
    assert assert_calm(app) == []
    prediction = metrics(app)["Prediction"]
    if hint is None:
        assert prediction in [str(d) for d in range(10)]
    else:
        assert prediction == "—" and hint in texts(app.caption)


@pytest.mark.parametrize(
    "image",
    [np.full((28, 28, 4), np.nan), np.ones((10,)), np.ones((28, 28, 5)), np.zeros((0, 0, 4))],
    ids=["nan", "1d", "5-channels", "empty"],
)
@pytest.mark.slow
def test_a_malformed_canvas_image_is_a_message_not_a_crash(image):
    app = started()
    app.switch_page("pages/draw.py").run()
    app.session_state[TEST_DRAWING_KEY] = image
    app.run()
    errors = assert_calm(app)
    if image.size == 0:  # nothing to read: the blank-canvas answer
        assert metrics(app)["Prediction"] == "—" and not errors
    else:
        assert any("reading your drawing" in e for e in errors), errors


@pytest.mark.slow
def test_every_page_before_any_model_and_after_a_reset():
    for page in ("pages/inspect.py", "pages/draw.py", "pages/train.py"):
        app = started()
        app.switch_page(page).run()
        assert assert_calm(app) == []
    assert app.button(key="btn-reset").disabled  # nothing to reset yet
    app.button(key="btn-train").click().run()
    app.button(key="btn-reset").click().run()  # Reset mid-run
    app.switch_page("pages/inspect.py").run()
    assert assert_calm(app) == []
    assert "Misclassified test images" in texts(app.subheader)


def test_a_model_whose_numbers_overflow_gets_advice_on_inspect_and_draw():
    """Such a model can't be uploaded or trained into place any more; if one still answers
    (a model from an older build, say), the pages say what to do instead of crashing."""
    from playground.common.models import OVERFLOW_ADVICE, ActiveModel

    net = MLP([64, 16, 10], activation="identity", seed=0, dtype=np.float32)
    for w in net.weights:
        w[...] = 1e30
    pg = Playground(model=ActiveModel(net, "digits", None, "old file"))
    app = started(pg)
    app.switch_page("pages/inspect.py").run()
    assert OVERFLOW_ADVICE in texts(app.warning)
    assert assert_calm(app) == []
    app.switch_page("pages/draw.py").run()
    app.session_state[TEST_DRAWING_KEY] = DRAWINGS["noise"][0]
    app.run()
    assert not app.exception and OVERFLOW_ADVICE in texts(app.error)


# --------------------------------------------------------------------------- sessions


@pytest.mark.slow
def test_sessions_have_their_own_model_runs_and_canvas_and_share_the_data():
    first, second = started(), started()
    train(first, cfg_hidden_0=16, cfg_epochs=2)
    train(second, cfg_hidden_0=32, cfg_epochs=3)
    one, two = playground(first), playground(second)
    assert one is not two
    assert one.model.net.layer_sizes == (64, 16, 10) and two.model.net.layer_sizes == (64, 32, 10)
    assert [r.epochs_done for r in one.runs] == [2] and [r.epochs_done for r in two.runs] == [3]
    weights = [w.copy() for w in two.model.net.weights]

    train(first, cfg_hidden_0=24, cfg_epochs=2)  # more training in the first tab
    assert len(one.runs) == 2 and len(two.runs) == 1
    for w, w0 in zip(two.model.net.weights, weights, strict=True):
        np.testing.assert_array_equal(w, w0)

    # Drawing in one tab leaves the other's canvas alone.
    first.switch_page("pages/draw.py").run()
    second.switch_page("pages/draw.py").run()
    first.session_state[TEST_DRAWING_KEY] = _noise(np.random.default_rng(2))
    first.run()
    second.run()
    assert metrics(first)["Prediction"] != "—" and metrics(second)["Prediction"] == "—"
    first.button(key="btn-clear").click().run()
    assert one.canvas_version == 1 and two.canvas_version == 0

    # The dataset is loaded once for everyone, read-only.
    assert one.run.dataset is two.run.dataset
    with pytest.raises(ValueError):
        one.run.dataset.X_train[0, 0] = 1.0
    assert assert_calm(first) == [] and assert_calm(second) == []


def test_training_slots_are_shared_and_bounded():
    held = []
    for _ in range(server.SLOTS):
        # Generous: a run of an earlier test may still train in its worker thread (for
        # up to live.WATCH_SECONDS), holding a slot for a piece of 50 ms at a time.
        context = server.training_slot(timeout=10)
        assert context.__enter__()
        held.append(context)
    with server.training_slot(timeout=0.05) as got:
        assert not got  # all busy: the caller skips a tick instead of blocking
    for context in held:
        context.__exit__(None, None, None)
    with server.training_slot(timeout=0.05) as got:
        assert got


# --------------------------------------------------------------------------- serving


def test_the_server_is_local_size_limited_and_shows_no_tracebacks():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["server"]["maxUploadSize"] * MB == MAX_MODEL_BYTES
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
