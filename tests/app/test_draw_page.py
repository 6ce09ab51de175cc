"""The Draw page through AppTest: "not a digit", why this answer, and teaching it a style
of handwriting it misreads (issue 11's measure: a slashed zero, taught with 5 examples).

AppTest can't drive the canvas: the page reads ``TEST_DRAWING_KEY`` (an RGBA canvas
image from ``nn_core.drawings.strokes``) instead, through the same preprocessing.
"""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.drawings.preprocess import drawing_to_input
from nn_core.drawings.strokes import (
    render_digit,
    render_non_digit,
    render_paths,
    unusual_digit_paths,
)
from playground.common.state import STATE_KEY, TEST_DRAWING_KEY
from playground.draw import teach
from tests.apptest_helpers import app_session, metrics, plotly_figures


def new_app(**query):
    app = app_session(timeout=120, **query)
    app.run()
    return app


def draw_page(**query):
    app = new_app(**query)
    app.switch_page("pages/draw.py").run()
    assert not app.exception, app.exception
    return app


def calm(app):
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]


def show(app, image) -> str:
    app.session_state[TEST_DRAWING_KEY] = image
    app.run()
    calm(app)
    return metrics(app)["Prediction"]


def clear(app) -> None:
    app.button(key="btn-clear").click().run()


def slashed_zeros(seed: int, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [render_paths(unusual_digit_paths("0-slashed", rng)) for _ in range(n)]


def figure(app, key: str) -> dict:
    charts = [c for c in app.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id]
    assert charts, key
    index = list(app.get("plotly_chart")).index(charts[0])
    return plotly_figures(app)[index]


# --------------------------------------------------------------------------- teach


@pytest.mark.slow
def test_teaching_five_slashed_zeros_makes_the_style_read_right():
    """Measured: the default model reads 4 of 10 fresh slashed zeros right (the rest as
    8); after correcting 5 others ("Wrong? It's a …" 0) and Fine-tune, 10 of 10. Test
    accuracy 94.9% -> 94.9%; the 5 taught: 1/5 -> 5/5 read right."""
    app = draw_page()
    fresh = slashed_zeros(12, 10)
    before = [show(app, image) for image in fresh]
    clear(app)
    assert before.count("0") <= 5, before  # misread: measured 4 of 10 right

    for image in slashed_zeros(11, 5):
        show(app, image)
        app.pills[0].set_value(0).run()  # "Wrong? It's a …" 0
        calm(app)
        assert any("Added this drawing as a 0" in s.value for s in app.success)
        clear(app)
    pg = app.session_state[STATE_KEY]
    assert len(teach.of(pg)) == 5 and teach.of(pg).counts()[0] == 5
    assert teach.of(pg).examples.images.shape == (5, 28, 28)  # as the network sees them

    show(app, slashed_zeros(11, 1)[0])
    old_net = pg.model.net
    app.button(key="btn-fine-tune").click().run()
    calm(app)
    result = teach.of(pg).result
    assert pg.model.net is not old_net and "fine-tuned on 5 of your drawings" in pg.model.source
    shown = metrics(app)
    assert shown["Test accuracy"] == f"{result.test_after:.1%}"
    assert result.test_after >= result.test_before - 0.01  # at most 1 point lost
    assert result.personal_after == 5 and shown["Your set read right"] == "5/5"
    assert result.drawing_before[0] != 0 and result.drawing_after[0] == 0
    assert shown["This drawing"].startswith("0 (") and shown["Prediction"] == "0"
    assert any("fine-tuned" in i.value for i in app.info)  # the header names the new model
    clear(app)

    after = [show(app, image) for image in fresh]
    print(f"\nfresh slashed zeros read right: {before.count('0')}/10 -> {after.count('0')}/10; "
          f"test accuracy {result.test_before:.1%} -> {result.test_after:.1%}")
    assert after.count("0") >= 8, after  # measured 10 of 10
    # A taught style is a digit the network learned: no "not a digit" warning for it.
    assert not app.warning


@pytest.mark.slow
def test_the_same_drawing_corrected_twice_is_relabelled_not_added_again():
    app = draw_page()
    show(app, render_digit(7, np.random.default_rng(3)))
    app.pills[0].set_value(1).run()
    app.pills[0].set_value(7).run()
    calm(app)
    pg = app.session_state[STATE_KEY]
    assert len(teach.of(pg)) == 1 and teach.of(pg).examples.labels.tolist() == [7]
    assert any("Relabelled" in s.value for s in app.success)


@pytest.mark.slow
def test_the_set_downloads_uploads_and_survives_a_reload():
    app = draw_page()
    for digit in (2, 5):
        show(app, render_digit(digit, np.random.default_rng(digit)))
        app.pills[0].set_value(digit).run()
        clear(app)
    pg = app.session_state[STATE_KEY]
    payload = teach.of(pg).to_bytes()
    assert app.get("download_button")  # "Download my set (.npz)"
    # A reload (a new session with the same address) finds the set again.
    reloaded = new_app(**dict(app.query_params.items()))
    reloaded.switch_page("pages/draw.py").run()
    assert reloaded.session_state[STATE_KEY] is pg and len(teach.of(pg)) == 2
    assert any("2 drawings" in e.label for e in reloaded.expander)

    other = draw_page()  # another tab: its own, empty set; it uploads the file
    other.file_uploader(key="upload-set").upload("mine.npz", payload).run()
    calm(other)
    theirs = teach.of(other.session_state[STATE_KEY])
    assert theirs is not teach.of(pg) and theirs.examples.labels.tolist() == [2, 5]
    np.testing.assert_array_equal(theirs.examples.images, teach.of(pg).examples.images)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(b"PK\x03\x04 not really", "damaged"), (b"just text", "not an .npz")],
)
@pytest.mark.slow
def test_a_bad_set_file_is_refused_and_the_set_kept(payload, reason):
    app = draw_page()
    show(app, render_digit(4, np.random.default_rng(0)))
    app.pills[0].set_value(4).run()
    app.file_uploader(key="upload-set").upload("bad.npz", payload).run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "Couldn't load bad.npz" in errors[0] and reason in errors[0]
    assert "unchanged" in errors[0]
    assert len(teach.of(app.session_state[STATE_KEY])) == 1


@pytest.mark.slow
def test_a_blank_canvas_shows_the_models_own_input_and_clear_drops_the_old_result():
    """The issue's newcomer: a blank canvas of the 28x28 model said "What the network
    sees (8x8)"; after Clear, "This drawing 0 (100%), was 8" stayed for a drawing gone."""

    def seen() -> tuple[str, tuple[int, ...]]:
        fig = figure(app, "chart-seen")
        return fig["layout"]["title"]["text"], np.asarray(fig["data"][0]["z"]).shape

    app = draw_page()
    assert app.session_state[STATE_KEY].model.net.layer_sizes[0] == 784
    assert metrics(app)["Prediction"] == "—"
    assert seen() == ("What the network sees (28×28)", (28, 28))
    image = slashed_zeros(11, 1)[0]
    show(app, image)
    app.pills[0].set_value(0).run()
    show(app, image)
    app.button(key="btn-fine-tune").click().run()
    calm(app)
    assert "This drawing" in metrics(app) and "Test accuracy" in metrics(app)
    show(app, image)  # another stroke on the same canvas: the result still describes it
    assert "This drawing" in metrics(app)
    clear(app)
    calm(app)
    shown = metrics(app)
    assert shown["Prediction"] == "—"
    assert not {"This drawing", "Test accuracy", "Your set read right"} & set(shown)
    assert seen() == ("What the network sees (28×28)", (28, 28))
    assert "fine-tuned" in app.session_state[STATE_KEY].model.source  # the model stays tuned


# --------------------------------------------------------------------------- not a digit


@pytest.mark.slow
def test_a_line_gets_a_warning_and_its_answer_is_marked_a_guess():
    app = draw_page()
    show(app, render_non_digit("line", np.random.default_rng(1)))
    warnings = [w.value for w in app.warning]
    assert any("doesn't look like a digit" in w and "only a guess" in w for w in warnings)
    prediction = [m for m in app.metric if m.label == "Prediction"][0]
    assert prediction.value in list("0123456789")  # the best guess is still shown
    assert prediction.delta == "only a guess"
    assert any("not a digit?" in c.value for c in app.caption)
    clear(app)
    show(app, render_digit(3, np.random.default_rng(2)))
    assert metrics(app)["Prediction"] == "3"
    assert not any("doesn't look like a digit" in w.value for w in app.warning)


# --------------------------------------------------------------------------- why


@pytest.mark.slow
def test_why_this_answer_shows_gradient_times_input_and_the_top_units():
    from nn_core.drawings.explain import gradient_times_input, top_units

    app = draw_page()
    drawing = render_digit(7, np.random.default_rng(0))
    show(app, drawing)
    net = app.session_state[STATE_KEY].model.net
    x = drawing_to_input(drawing, "mnist-sample")
    app.toggle(key="why-toggle").set_value(True).run()
    calm(app)
    why = figure(app, "chart-why")
    assert why["layout"]["title"]["text"].startswith("Why 7?")
    np.testing.assert_allclose(np.asarray(why["data"][0]["z"]), x.reshape(28, 28), atol=1e-6)
    np.testing.assert_allclose(np.asarray(why["data"][1]["z"]),
                               gradient_times_input(net, x, 7).reshape(28, 28), rtol=1e-5, atol=1e-7)
    units = figure(app, "chart-units")
    expected = top_units(net, x, 7, k=6)
    assert len(units["data"]) == 6
    for trace, unit in zip(units["data"], expected, strict=True):
        np.testing.assert_allclose(np.asarray(trace["z"]), net.weights[0][:, unit.unit].reshape(28, 28),
                                   rtol=1e-6)
    # "Why not 4?": the same overlay for class 4's score.
    app.selectbox(key="why-class").set_value(4).run()
    why = figure(app, "chart-why")
    assert why["layout"]["title"]["text"].startswith("Why not 4?")
    np.testing.assert_allclose(np.asarray(why["data"][1]["z"]),
                               gradient_times_input(net, x, 4).reshape(28, 28), rtol=1e-5, atol=1e-7)
    calm(app)


# --------------------------------------------------------------------------- the sample on Train


def test_the_train_page_offers_the_bundled_sample_without_a_download():
    app = new_app(dataset="mnist-sample", hidden="16", epochs="1")
    assert app.radio(key="cfg-dataset").value == "mnist-sample"
    assert "MNIST sample 28×28 (bundled, 8,000 images)" in app.radio(key="cfg-dataset").options
    assert not any(b.label.startswith("Download") for b in app.button)
    assert not app.button(key="btn-train").disabled
    app.button(key="btn-train").click().run()
    for _ in range(80):
        if "Test accuracy" in metrics(app):
            break
        app.run()
    calm(app)
    run = app.session_state[STATE_KEY].run
    assert run.dataset.name == "mnist-sample" and run.net.layer_sizes == (784, 16, 10)
    # Measured: 86.2% after one epoch of 16 units on the 5,400 training rows.
    print(f"\nmnist-sample, 16 units, 1 epoch: test accuracy {metrics(app)['Test accuracy']}")
    assert float(metrics(app)["Test accuracy"][:-1]) > 80
