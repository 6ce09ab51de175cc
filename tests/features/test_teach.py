"""Draw's glue without Streamlit: the personal set (playground.draw.teach), the default model,
the "not a digit" detector cache and the why-figures (playground.draw.drawing, draw_figures)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from nn_core.drawings.preprocess import drawing_to_image
from nn_core.drawings.strokes import render_digit, render_non_digit
from playground.common.models import ActiveModel
from playground.common.vocab import (
    BATCH_SIZES,
    DEFAULT_MODEL_CONFIG,
    L2_VALUES,
    LAYER_SIZES,
    LEARNING_RATES,
)
from playground.draw import drawing, teach
from playground.draw.figures import attribution_overlay, unit_tiles


def test_the_default_draw_model_is_a_setting_the_train_page_offers():
    config = DEFAULT_MODEL_CONFIG
    config.validate()
    assert config.dataset == "mnist-sample" and config.hidden == (256,)
    assert config.learning_rate in LEARNING_RATES and config.batch_size in BATCH_SIZES
    assert config.l2 in L2_VALUES and all(h in LAYER_SIZES for h in config.hidden)


def _image(value: float = 0.5, shape=(28, 28)) -> np.ndarray:
    return np.full(shape, value, dtype=np.float32)


def test_corrections_fill_the_set_and_a_second_pick_relabels():
    state = teach.TeachState()
    assert len(state) == 0 and state.fits("digits") and state.to_bytes() is None
    state.current = (_image(0.1), "mnist-sample")
    state.correct(3, canvas_version=0)
    state.correct(5, canvas_version=0)  # the same drawing, another digit: relabelled
    assert len(state) == 1 and state.examples.labels.tolist() == [5]
    assert state.pop_message()[1].startswith("Relabelled this drawing as a 5")
    state.current = (_image(0.2), "mnist-sample")
    state.correct(5, canvas_version=0)  # more ink on the same canvas: a new drawing
    state.current = (_image(0.3), "mnist-sample")
    state.correct(1, canvas_version=1)
    assert state.counts() == [0, 1, 0, 0, 0, 2, 0, 0, 0, 0]
    assert state.summary() == "Your set: 3 drawings (1: 1, 5: 2)."
    assert state.fits("mnist") and not state.fits("digits")
    state.current = (_image(0.3, (8, 8)), "digits")  # another model's inputs don't mix in
    state.correct(2, canvas_version=2)
    assert len(state) == 3 and state.pop_message()[0] == "warning"
    state.correct(None, canvas_version=3)
    assert len(state) == 3
    state.clear()
    assert len(state) == 0 and state.result is None


def test_a_full_set_says_so(monkeypatch):
    monkeypatch.setattr(teach, "MAX_PERSONAL", 2)
    state = teach.TeachState()
    for version in range(3):
        state.current = (_image(version / 10), "mnist-sample")
        state.correct(version, version)
    assert len(state) == 2 and "full" in state.pop_message()[1]


def test_uploads_replace_the_set_only_when_they_fit():
    mine = teach.TeachState()
    mine.current = (_image(0.4), "mnist-sample")
    mine.correct(7, 0)
    payload = mine.to_bytes()
    other = teach.TeachState()
    assert other.load(payload, "mine.npz", "mnist")  # MNIST inputs: the same 28x28
    assert other.examples.labels.tolist() == [7]
    digits = teach.TeachState()
    assert not digits.load(payload, "mine.npz", "digits")
    level, text = digits.pop_message()
    assert level == "error" and "28×28" in text and "unchanged" in text and len(digits) == 0
    assert not digits.load(b"junk", "junk.npz", "digits")
    assert "Couldn't load junk.npz" in digits.pop_message()[1]


@pytest.mark.slow
def test_fine_tune_model_leaves_the_original_and_reports_before_and_after(
    draw_default_run, mnist_sample
):
    from nn_core.drawings.strokes import render_paths, unusual_digit_paths

    rng = np.random.default_rng(11)
    state = teach.TeachState()
    for version in range(5):
        image = drawing_to_image(render_paths(unusual_digit_paths("0-slashed", rng)), "mnist-sample")
        state.current = (image, "mnist-sample")
        state.correct(0, version)
    model = ActiveModel(copy.deepcopy(draw_default_run.net), "mnist-sample",
                        draw_default_run.test_accuracy, "default model (run #1)")
    weights = [w.copy() for w in model.net.weights]
    drawing_now = state.examples.images[0]
    tuned, result = teach.fine_tune_model(model, state.examples, mnist_sample, drawing_now)
    for before, w in zip(weights, model.net.weights, strict=True):
        np.testing.assert_array_equal(before, w)  # the original is untouched
    assert tuned.net is not model.net and tuned.dataset == "mnist-sample"
    assert tuned.source == "default model (run #1) · fine-tuned on 5 of your drawings"
    assert result.steps == 300 and result.n_examples == 5
    assert result.test_after == tuned.test_accuracy
    assert result.test_after >= result.test_before - 0.01  # at most a point
    assert result.personal_after == 5 and result.drawing_after[0] == 0
    # Fine-tuning the fine-tuned model again names it once.
    again, _ = teach.fine_tune_model(tuned, state.examples, mnist_sample, None, steps=5)
    assert again.source.count("fine-tuned") == 1
    with pytest.raises(ValueError, match="empty"):
        teach.fine_tune_model(model, None, mnist_sample)


def test_detectors_are_fitted_once_per_network_and_refitted_for_a_new_one(
    draw_default_run, mnist_sample, digits
):
    net = draw_default_run.net
    first = drawing.novelty_detector(net, mnist_sample)
    assert drawing.novelty_detector(net, mnist_sample) is first
    copied = copy.deepcopy(net)
    assert drawing.novelty_detector(copied, mnist_sample) is not first
    assert drawing.novelty_detector(net, digits.__class__(**{**digits.__dict__, "name": "fashion-mnist"})) is None
    line = drawing_to_image(render_non_digit("line", np.random.default_rng(1)), "mnist-sample")
    reading = drawing.DrawingReading(4, np.eye(10)[4], line)
    verdict = first.assess(line.ravel())
    assert verdict.flagged
    message = drawing.not_a_digit_message(verdict, reading, [str(i) for i in range(10)])
    assert message.startswith("That doesn't look like a digit") and "**4**, is only a guess" in message


def test_explain_and_its_figures(draw_default_run):
    net = draw_default_run.net
    image = drawing_to_image(render_digit(2, np.random.default_rng(4)), "mnist-sample")
    proba = net.predict_proba(image.reshape(1, -1))[0]
    reading = drawing.DrawingReading(int(np.argmax(proba)), proba, image)
    explanation = drawing.explain(net, reading, target=5, k=4)
    assert explanation.target == 5 and explanation.attribution.shape == (28, 28)
    assert len(explanation.units) == 4
    overlay = attribution_overlay(image, explanation.attribution, "5", is_answer=False)
    assert overlay.layout.title.text.startswith("Why not 5?")
    limit = float(np.abs(explanation.attribution).max())
    assert overlay.data[1].zmin == pytest.approx(-limit) and overlay.data[1].zmax == pytest.approx(limit)
    tiles = unit_tiles(explanation.units, "5")
    assert len(tiles.data) == 4 and "unit" in tiles.layout.annotations[0].text
    with pytest.raises(ValueError):
        attribution_overlay(image, explanation.attribution[:5], "5")
    with pytest.raises(ValueError):
        unit_tiles([], "5")


def test_a_fine_tune_result_describes_only_the_canvas_it_read(draw_default_run):
    """After Clear (a new canvas version) "This drawing 0 (100%), was 8" would name a
    drawing no longer there: the result is for its network and its canvas only."""
    state = teach.TeachState()
    net, other = draw_default_run.net, copy.deepcopy(draw_default_run.net)
    result = teach.FineTuneResult(5, 300, 1.0, 0.9, 0.91, (8, 0.7), (0, 1.0), 1, 5)
    assert state.result_for(net, 0) is None
    state.remember(result, net, canvas_version=3)
    assert state.result_for(net, 3) is result
    assert state.result_for(net, 4) is None  # Clear: a new canvas
    assert state.result_for(other, 3) is None  # another model answers now
    assert state.result_for(None, 3) is None
    state.clear()
    assert state.result_for(net, 3) is None


def test_the_blank_canvas_shows_the_shape_the_model_reads(draw_default_run, default_run):
    assert drawing.input_shape(draw_default_run.net, "mnist-sample") == (28, 28)
    assert drawing.input_shape(draw_default_run.net, "mnist") == (28, 28)
    assert drawing.input_shape(default_run.net, "digits") == (8, 8)
    with pytest.raises(ValueError, match="784 inputs"):
        drawing.input_shape(draw_default_run.net, "digits")


def test_the_caption_under_the_prediction():
    reading = drawing.DrawingReading(3, np.array([0.1, 0.2, 0.14, 0.56]), _image())
    assert drawing.prediction_caption(reading, True, 1) == "56% sure · not a digit? · 1 stroke"
    assert drawing.prediction_caption(reading, False, 2) == "56% sure · 2 strokes"
    assert drawing.prediction_caption(reading, False, 0) == "56% sure"
