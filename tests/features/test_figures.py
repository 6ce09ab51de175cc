"""Figure builders: plain arrays in, Plotly figures out; no Streamlit, no engine."""

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from playground.common import figures as common_figures
from playground.draw import figures as draw_figures
from playground.inspect import figures as inspect_figures
from playground.inspect import gallery as inspect_gallery
from playground.train import figures as train_figures


def _json_ok(fig: go.Figure) -> dict:
    assert isinstance(fig, go.Figure)
    return json.loads(fig.to_json())


def _hex_rgb(colour: str) -> tuple[int, ...]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def assert_the_sign_scale(colorscale) -> None:
    """``colorscale`` (as Plotly stores it) is the app's sign scale: the negative colour
    (orange) at the low end, white at 0, the positive colour (blue) at the high end."""
    stops = [(float(v), c) for v, c in colorscale]
    assert stops == [(0.0, common_figures.NEGATIVE), (0.5, "#ffffff"),
                     (1.0, common_figures.POSITIVE)]
    blue, orange = _hex_rgb(common_figures.POSITIVE), _hex_rgb(common_figures.NEGATIVE)
    assert blue[2] > blue[0] and orange[0] > orange[2]  # blue is blue, orange is orange


# --------------------------------------------------------------------------- training curves


# --------------------------------------------------------------------------- weights


def test_run_overlay_one_line_per_run_and_skips_empty_ones():
    fig = train_figures.run_overlay(
        [("#1 64 ReLU", [1.0, 0.5]), ("#2 empty", []), ("#3 128 ReLU", [0.9, 0.4, 0.2])],
        metric="validation loss",
    )
    assert [t.name for t in fig.data] == ["#1 64 ReLU", "#3 128 ReLU"]
    assert list(fig.data[1].x) == [1, 2, 3]
    assert "validation loss" in fig.layout.title.text


def test_run_overlay_accuracy_axis_is_in_percent():
    fig = train_figures.run_overlay([("a", [0.5, 0.9])], metric="validation accuracy")
    assert fig.layout.yaxis.tickformat == ".0%"


# --------------------------------------------------------------------------- drawing


def test_probability_bars_highlights_the_most_likely_class():
    p = np.full(10, 0.02)
    p[7] = 0.82
    fig = draw_figures.probability_bars(p)
    bar = fig.data[0]
    assert list(bar.x) == [str(i) for i in range(10)]
    colours = list(bar.marker.color)
    assert colours[7] == common_figures.HIGHLIGHT
    assert colours.count(common_figures.HIGHLIGHT) == 1
    assert bar.text[7] == "82%"


def test_probability_bars_blank_canvas_gives_empty_bars():
    fig = draw_figures.probability_bars(None)
    assert list(fig.data[0].y) == [0.0] * 10
    assert common_figures.HIGHLIGHT not in list(fig.data[0].marker.color)


def test_probability_bars_with_class_names_and_wrong_length():
    names = ["cat", "dog", "bird"]
    fig = draw_figures.probability_bars([0.1, 0.7, 0.2], names)
    assert list(fig.data[0].x) == names
    with pytest.raises(ValueError):
        draw_figures.probability_bars([0.5, 0.5], names)


def test_input_image_shows_the_small_image_with_square_pixels():
    img = np.linspace(0, 1, 64).reshape(8, 8)
    fig = draw_figures.input_image(img)
    heat = fig.data[0]
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), img, rtol=1e-6)
    assert heat.zmin == 0 and heat.zmax == 1
    assert fig.layout.yaxis.scaleanchor == "x"
    assert "8×8" in fig.layout.title.text
    assert "28×28" in draw_figures.input_image(np.zeros((28, 28))).layout.title.text
    # Nothing drawn yet: an all-black image of the shape the network reads, on the same
    # 0..1 grey scale; with no shape given there is no blank to show (no 8x8 by default).
    for shape in ((8, 8), (28, 28)):
        blank = draw_figures.input_image(None, blank_shape=shape)
        np.testing.assert_array_equal(np.asarray(blank.data[0].z, dtype=float), np.zeros(shape))
        assert blank.data[0].zmin == 0 and blank.data[0].zmax == 1
        assert blank.layout.title.text == f"What the network sees ({shape[0]}×{shape[1]})"
    with pytest.raises(ValueError, match="shape"):
        draw_figures.input_image(None)
    with pytest.raises(ValueError):
        draw_figures.input_image(np.zeros((2, 2, 2)))


# --------------------------------------------------------------------------- inspect


def test_confusion_matrix_writes_counts_and_leaves_zeros_blank():
    cm = np.array([[5, 0], [2, 3]])
    fig = inspect_figures.confusion_matrix(cm, ["zero", "one"])
    heat = fig.data[0]
    np.testing.assert_array_equal(np.asarray(heat.z), cm)
    assert np.asarray(heat.text).tolist() == [["5", ""], ["2", "3"]]
    assert list(heat.x) == ["zero", "one"]
    assert fig.layout.xaxis.title.text == "predicted class"
    assert fig.layout.yaxis.title.text == "true class"
    with pytest.raises(ValueError):
        inspect_figures.confusion_matrix(np.zeros((2, 3)))


def test_per_class_accuracy_highlights_the_weakest_class_and_handles_nan():
    fig = inspect_figures.per_class_accuracy([0.9, 0.5, np.nan, 1.0])
    colours = list(fig.data[0].marker.color)
    assert colours[1] == common_figures.HIGHLIGHT and colours.count(common_figures.HIGHLIGHT) == 1
    assert fig.data[0].text[2] == "n/a"
    with pytest.raises(ValueError):
        inspect_figures.per_class_accuracy([0.5], ["a", "b"])


def test_misclassified_gallery_titles_each_image():
    from tests.apptest_helpers import read_gallery

    images = np.random.default_rng(0).random((5, 8, 8))
    page = inspect_gallery.misclassified_gallery(images, [3, 8, 1, 7, 4], [5, 1, 7, 1, 9],
                                                 [0.92, 0.5, 0.61, 0.99, 0.3])
    tiles = read_gallery(page)
    assert [t for _, t in tiles] == ["true 3 → 5 (92%)", "true 8 → 1 (50%)", "true 1 → 7 (61%)",
                                     "true 7 → 1 (99%)", "true 4 → 9 (30%)"]
    for (image, _), original in zip(tiles, images, strict=True):
        assert image.shape == (8, 8)
        np.testing.assert_allclose(image, original, atol=0.5 / 255 + 1e-6)  # 8-bit PNG
    # Each title is also the image's alternative text; names and markup are escaped.
    assert 'alt="true 3 → 5 (92%)"' in page
    odd = inspect_gallery.misclassified_gallery(np.zeros((1, 2, 2)), [0], [1], [0.5], ["<a>", "b&c"])
    assert "true &lt;a&gt; → b&amp;c (50%)" in odd and "<a>" not in odd
    # The grid wraps to the width: as many columns as fit, none fixed.
    assert "repeat(auto-fill" in inspect_gallery.STYLE


def test_misclassified_gallery_with_nothing_to_show():
    assert "No misclassified" in inspect_gallery.misclassified_gallery(np.zeros((0, 8, 8)), [], [], [])
    with pytest.raises(ValueError):
        inspect_gallery.misclassified_gallery(np.zeros((2, 8, 8)), [1], [2], [0.5])
    with pytest.raises(ValueError, match="2-D"):
        inspect_gallery.png_data_uri(np.zeros((2, 2, 2)))


# --------------------------------------------------------------------------- one sign colour


def test_sign_colour_is_the_diverging_scale_plotly_draws():
    from plotly.colors import sample_colorscale

    for value in (-2.0, -1.3, -0.2, 0.0, 0.4, 1.1, 2.0):
        mine = _hex_rgb(common_figures.sign_colour(value, 2.0))
        plotly = _rgb_text(sample_colorscale(
            [list(stop) for stop in common_figures.DIVERGING], [0.5 + 0.25 * value])[0])
        assert max(abs(a - b) for a, b in zip(mine, plotly, strict=True)) <= 1, value
    assert common_figures.sign_colour(3.0, 2.0) == common_figures.POSITIVE  # clipped
    assert common_figures.sign_colour(-2.0, 2.0) == common_figures.NEGATIVE
    # A floor keeps a tiny weight tinted with its sign's colour.
    assert common_figures.sign_colour(1e-9, 1.0, floor=0.2) != "#ffffff"
    with pytest.raises(ValueError):
        common_figures.sign_colour(1.0, 0.0)
    assert common_figures.rgba(common_figures.POSITIVE, 0.5) == "rgba(8, 119, 189, 0.5)"
    assert common_figures.SIGN_LEGEND == "blue +, orange −"


def _rgb_text(colour: str) -> tuple[int, ...]:
    """``"rgb(5, 48, 97)"`` -> ``(5, 48, 97)``."""
    return tuple(round(float(v)) for v in colour.strip("rgb() ").split(","))


def test_every_pages_sign_colours_are_the_one_convention():
    from playground.boundaries import figures as boundary_figures
    from playground.learn import figures as learn_figures

    # Train's weight pictures (above), Draw's unit tiles and its push overlay.
    tiles = draw_figures.unit_tiles([(0, 0.5, 0.2, np.array([[1.0, -1.0]]))], "3")
    assert_the_sign_scale(tiles.data[0].colorscale)
    overlay = draw_figures.attribution_overlay(np.zeros((2, 2)), np.array([[1.0, -1.0], [0, 0]]),
                                               "3")
    scale = overlay.data[1].colorscale
    assert scale[0][1] == common_figures.rgba(common_figures.NEGATIVE, 0.95)
    assert scale[-1][1] == common_figures.rgba(common_figures.POSITIVE, 0.95)
    assert "Blue up, orange down" in overlay.layout.title.text
    # Backprop's diagram: a positive weight's edge blue, a negative one's orange.
    fig = learn_figures.network_diagram([np.array([[2.0, -2.0]]), np.array([[1.0], [-1.0]])],
                                        [None, None, None])
    edges = [t.line.color for t in fig.data if t.mode == "lines"]
    assert edges[:2] == [common_figures.POSITIVE, common_figures.NEGATIVE]
    assert edges[2] == common_figures.sign_colour(1.0, 2.0, floor=0.2)
    assert common_figures.SIGN_LEGEND in fig.layout.title.text
    # Boundaries: its canvas gets the two ends in its payload; class 0 is the negative end.
    frame = boundary_figures.frame_payload(
        frame=0, title="t", proba=np.full((2, 2, 2), 0.5), discretize=False,
        train=(np.zeros((1, 2)), np.zeros(1, int)), test=None,
        network={"g": 2, "columns": [], "weights": []}, history={}, confusion=np.eye(2),
        domain=6.0)
    assert frame["palette"]["positive"] == common_figures.POSITIVE
    assert frame["palette"]["negative"] == common_figures.NEGATIVE
    assert frame["colours"] == [common_figures.NEGATIVE, common_figures.POSITIVE]


def test_the_boundaries_canvas_takes_its_colours_from_the_payload():
    from pathlib import Path

    js = (Path(__file__).resolve().parents[2] / "playground" / "boundaries" / "canvas.js").read_text()
    for hex_colour in re.findall(r"#[0-9a-fA-F]{6}", js):
        # Only greys of frames and ink (Streamlit's text colour #31333f is one, nearly).
        assert np.ptp(_hex_rgb(hex_colour)) <= 16, (
            f"canvas.js hard-codes the colour {hex_colour}: put it in the payload")
    for key in ("positive", "negative", "train", "test", "count"):
        assert f"data.palette.{key}" in js


SOURCES = ("pages", "playground")
#: Files the scan leaves to their own test (pages/train.py's has one below).
NOT_MINE = {"pages/train.py"}


def _sign_words(path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return re.findall(r"RdBu|\bred\b[^.\n]{0,40}", text, flags=re.IGNORECASE)


def test_no_page_names_other_sign_colours():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = {}
    for folder in SOURCES:
        for path in (root / folder).rglob("*"):
            rel = path.relative_to(root).as_posix()
            if path.suffix in (".py", ".js") and rel not in NOT_MINE and _sign_words(path):
                found[rel] = _sign_words(path)
    assert found == {}


def test_the_train_page_names_the_sign_colours_too():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert _sign_words(root / "pages" / "train.py") == []


def test_the_epoch_axis_shrinks_to_the_epochs_done_once_a_run_stops():
    assert train_figures.curve_x_range(7, 50, running=True) == (0.5, 50.5)
    assert train_figures.curve_x_range(7, 50, running=False) == (0.5, 7.5)
    assert train_figures.curve_x_range(0, 50, running=False) == (0.5, 1.5)


def test_live_weights_round_trip_through_bytes_within_one_level():
    from playground.shell.livechart import signed_bytes

    rng = np.random.default_rng(0)
    w = rng.normal(size=(64, 5)).astype(np.float32)
    (tiles, matrix) = train_figures.weight_images([w, rng.normal(size=(5, 3))], (8, 8),
                                                  class_names=["a", "b", "c"])
    raw = np.frombuffer(__import__("base64").b64decode(tiles["data"]), dtype=np.uint8)
    back = (raw.astype(float) - 127.5) / 127.5 * tiles["limit"]
    # Unit-major: unit j's 64 pixels in a row.
    assert np.max(np.abs(back.reshape(5, 64) - w.T)) <= tiles["limit"] / 127.5
    assert tiles["lo"] == [round(float(v), 4) for v in w.min(axis=0)]
    assert matrix["to_names"] == ["a", "b", "c"] and matrix["n_in"] == 5
    with pytest.raises(ValueError):
        signed_bytes(w, 0.0)


def test_a_live_stream_sends_only_new_points_and_everything_on_a_keyframe():
    from playground.shell.livechart import KEYFRAME_SECONDS, LiveStream

    now = [0.0]
    stream = LiveStream(clock=lambda: now[0])
    layout = train_figures.live_layout("relu", health=False)
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "accuracy": [0.5, 0.7],
               "val_accuracy": [0.4, 0.6]}
    first = stream.frame("run-1", layout, train_figures.live_points(history, 1), x_range=(0.5, 9.5))
    assert first["key"] and first["points"]["loss"]["from"] == 0
    for name, value in (("loss", 0.4), ("val_loss", 0.45), ("accuracy", 0.8),
                        ("val_accuracy", 0.7)):
        history[name].append(value)
    now[0] += 0.1
    second = stream.frame("run-1", layout, train_figures.live_points(history, 1), x_range=(0.5, 9.5))
    assert not second["key"] and second["seq"] == 1 and "layout" not in second
    assert second["points"]["loss"] == {"from": 2, "x": [3.0], "ys": [[0.4], [0.45]]}
    now[0] += KEYFRAME_SECONDS
    third = stream.frame("run-1", layout, train_figures.live_points(history, 1), x_range=(0.5, 9.5))
    assert third["key"] and third["points"]["loss"]["from"] == 0
    stream.restart()
    assert stream.frame("run-1", layout, {}, x_range=(0.5, 1.5))["key"]


def test_live_points_leave_an_epoch_whose_values_are_not_all_in_for_the_next_frame():
    """A frame reads the history while the run's worker appends to it: with the training
    loss of epoch 3 in but not its validation loss, epoch 3 waits, so that the next
    frame (which sends only points after those sent) fills it whole, with no gap."""
    history = {"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9],
               "accuracy": [0.5, 0.6, 0.7], "val_accuracy": [0.4, 0.5]}
    from playground.shell.livechart import LiveStream

    stream = LiveStream(clock=lambda: 0.0)
    layout = {"charts": []}
    first = stream.frame("run-1", layout, train_figures.live_points(history, 1), x_range=(0, 9))
    assert first["points"]["loss"] == {"from": 0, "x": [1.0, 2.0], "ys": [[1.0, 0.8], [1.1, 0.9]]}
    history["val_loss"].append(0.85)
    history["val_accuracy"].append(0.55)
    second = stream.frame("run-1", layout, train_figures.live_points(history, 1), x_range=(0, 9))
    assert second["points"]["loss"] == {"from": 2, "x": [3.0], "ys": [[0.7], [0.85]]}
    assert second["points"]["accuracy"] == {"from": 2, "x": [3.0], "ys": [[0.7], [0.55]]}
