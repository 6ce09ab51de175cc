"""What the pages show is what the model does, through AppTest (no browser).

Draw shows the digit the session's model reads in a known drawing; Inspect's gallery,
"Hardest class" and class filter agree with the model's own predictions on the test
set; the sidebar's Download model button carries the session's model. (The Train
page's Compare-runs curve choice is covered in test_app.py::test_runs_are_kept_and_compared.)

AppTest can't drive the drawing canvas: the Draw page reads ``TEST_DRAWING_KEY``. It
drops the sidebar after the first run of an ``st.navigation`` app, so the sidebar is
read in a fresh AppTest that starts from the session's ``Playground``.
"""

import io
from pathlib import Path

import numpy as np
import pytest

from nn_core import MLP
from nn_core.drawings.preprocess import drawing_to_image
from nn_core.drawings.strokes import render_digit
from playground.common.state import STATE_KEY, TEST_DRAWING_KEY, Playground
from playground.common.vocab import TrainConfig
from playground.shell import data
from tests.apptest_helpers import (
    assert_calm,
    gallery_tiles,
    keyed_chart,
    metrics,
    served_files,
    started,
)


@pytest.fixture(scope="module")
def digits():
    return data.load_dataset("digits")


# --------------------------------------------------------------------------- draw


@pytest.mark.slow
def test_draw_page_shows_the_digit_that_was_drawn(digits):
    app = started()
    app.switch_page("pages/draw.py").run()
    net = app.session_state[STATE_KEY].model.net  # the default model, trained on arrival
    rng = np.random.default_rng(0)
    # Measured with this seed: the default 28x28 model reads all ten right, 96-100 % sure.
    assert app.session_state[STATE_KEY].model.dataset == "mnist-sample"
    for digit in range(10):
        drawing = render_digit(digit, rng)
        app.session_state[TEST_DRAWING_KEY] = drawing
        app.run()
        assert metrics(app)["Prediction"] == str(digit)
        # The two charts show this drawing's features and the model's probabilities for them.
        seen = drawing_to_image(drawing, "mnist-sample")
        np.testing.assert_allclose(keyed_chart(app, "chart-seen")["data"][0]["z"], seen, atol=1e-6)
        expected = net.predict_proba(seen.reshape(1, -1))[0]
        bars = keyed_chart(app, "chart-probabilities")["data"][0]["y"]
        np.testing.assert_allclose(bars, expected, rtol=1e-5, atol=1e-7)
        assert int(np.argmax(bars)) == digit
    app.button(key="btn-clear").click().run()
    assert metrics(app)["Prediction"] == "—"
    assert_calm(app)


# --------------------------------------------------------------------------- inspect


@pytest.fixture(scope="module")
def weak_pg(digits):
    """A session whose model makes plenty of mistakes (measured: 78.7 % on the test set,
    96 mistakes, 1-20 in every class but 6, which has none), so the gallery is full."""
    pg = Playground()
    pg.train_to_end(TrainConfig(hidden=(16,), epochs=2), digits)
    return pg


def _gallery(app, digits):
    """Per tile: (test-set index of the image, its title)."""
    shown = gallery_tiles(app)
    assert shown is not None, "no gallery"
    images = digits.X_test.reshape(-1, 8, 8)
    tiles = []
    for image, title in shown:
        # The tiles are 8-bit PNGs: grey levels within half a step of 1/255.
        matches = np.flatnonzero(np.all(np.abs(images - image) <= 0.5 / 255 + 1e-6, axis=(1, 2)))
        assert matches.size >= 1, f"tile {title!r} is not a test image"
        tiles.append((int(matches[0]), title))
    return tiles


def test_inspect_gallery_hardest_class_and_filter_agree_with_the_model(weak_pg, digits):
    proba = weak_pg.model.net.predict_proba(digits.X_test)
    predicted, y = proba.argmax(axis=1), digits.y_test
    wrong = np.flatnonzero(predicted != y)
    per_class = np.array([np.mean(predicted[y == k] == k) for k in range(10)])
    assert wrong.size > 24  # the gallery is capped at 24 tiles by default

    app = started(weak_pg)
    app.switch_page("pages/inspect.py").run()
    assert_calm(app)
    m = metrics(app)
    assert m["Test accuracy"] == f"{np.mean(predicted == y):.1%}"
    assert m["Mistakes"] == f"{wrong.size} of {y.size}"
    hardest = int(m["Hardest class"])
    assert per_class[hardest] == per_class.min(), (hardest, per_class)
    hardest_metric = next(x for x in app.metric if x.label == "Hardest class")
    assert hardest_metric.delta == f"{per_class.min():.0%} right"

    def check_tiles(expected_count, true_class=None):
        tiles = _gallery(app, digits)
        assert len(tiles) == expected_count
        confidences = []
        for index, title in tiles:
            assert predicted[index] != y[index], f"{title!r}: the model reads this one right"
            sure = proba[index, predicted[index]]
            assert title == f"true {y[index]} → {predicted[index]} ({sure:.0%})"
            if true_class is not None:
                assert y[index] == true_class, title
            confidences.append(sure)
        assert confidences == sorted(confidences, reverse=True)  # most confident first

    check_tiles(min(24, wrong.size))
    for k in range(10):
        app.selectbox(key="inspect-class").set_value(str(k)).run()
        assert_calm(app)
        n_wrong = int(np.sum(y[wrong] == k))
        if n_wrong:
            check_tiles(min(24, n_wrong), true_class=k)
        else:
            assert gallery_tiles(app) is None
            assert any("No mistakes for that class" in i.value for i in app.info)


# --------------------------------------------------------------------------- sidebar


def test_sidebar_download_button_carries_the_session_model(weak_pg, digits, monkeypatch):
    served = served_files(monkeypatch)
    app = started(weak_pg)
    button = next(b for b in app.get("download_button") if b.key == "download-model")
    payload = served[Path(button.proto.url).stem]  # what a click on the button downloads

    net = MLP.load(io.BytesIO(payload))
    session_net = weak_pg.model.net
    assert net.layer_sizes == session_net.layer_sizes == (64, 16, 10)
    for loaded, live in zip(net.weights + net.biases, session_net.weights + session_net.biases,
                            strict=True):
        np.testing.assert_array_equal(loaded, live)
    np.testing.assert_array_equal(net.predict_proba(digits.X_test),
                                  session_net.predict_proba(digits.X_test))


@pytest.mark.parametrize(
    ("config", "architecture"),
    [({}, "2 inputs (the features of a point of the plane) and 2 classes, 2 → 4 → 2 → 2 tanh MLP"),
     ({"data": "spiral3", "features": ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"),
       "hidden": (8,), "activation": "relu"},
      "7 inputs (the features of a point of the plane) and 3 classes, 7 → 8 → 3 ReLU MLP")],
    ids=["default", "seven-features-three-classes"],
)
def test_a_boundaries_model_in_the_sidebar_is_named_for_what_it_is(weak_pg, config, architecture):
    """The issue's newcomer saved a model with Boundaries' "Download model" and was told,
    by the sidebar, to upload a model saved with "Download model"."""
    from playground.boundaries.lab import BoundaryConfig, BoundaryLab

    payload = BoundaryLab(BoundaryConfig(**config)).model_bytes()  # what Boundaries downloads
    app = started(weak_pg)
    good = weak_pg.model
    app.file_uploader(key="model-upload").set_value(
        ("boundaries-circle-x1-x2-4-2.npz", payload, "application/octet-stream"))
    app.run()
    assert not app.exception
    shown = [e.value for e in app.error]
    assert len(shown) == 1, shown
    message = shown[0]
    assert message.startswith("Couldn't load boundaries-circle-x1-x2-4-2.npz: This is a 2-D "
                              "model from the Boundaries page: a network with " + architecture)
    assert "The sidebar loads digit models (64 inputs for digits or 784 for MNIST, 10 classes)" in message
    assert "open **Boundaries** to train a 2-D network there" in message
    assert "Download model" not in message  # what the newcomer had already done
    assert "The current model is kept." in message and weak_pg.model is good
