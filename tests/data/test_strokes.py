"""The synthetic mouse-drawn digits: shape, determinism, and that they look like canvas output."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.drawings.strokes import DIGIT_VARIANTS, digit_paths, make_drawn_digit_set, render_digit


@pytest.fixture(scope="module")
def drawn_set() -> tuple[np.ndarray, np.ndarray]:
    return make_drawn_digit_set(4, seed=123)


def test_set_has_canvas_shape_dtype_and_every_class(drawn_set):
    images, labels = drawn_set
    assert images.shape == (40, 280, 280, 4)
    assert images.dtype == np.uint8
    assert labels.shape == (40,)
    assert labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == [4] * 10


def test_set_is_deterministic_for_a_seed_and_differs_between_seeds(drawn_set):
    images, labels = drawn_set
    again_images, again_labels = make_drawn_digit_set(4, seed=123)
    np.testing.assert_array_equal(images, again_images)
    np.testing.assert_array_equal(labels, again_labels)
    other_images, _ = make_drawn_digit_set(4, seed=124)
    assert not np.array_equal(images, other_images)


def test_images_look_like_the_canvas(drawn_set):
    images, _ = drawn_set
    # Opaque everywhere, grey levels only (white ink on black).
    assert (images[..., 3] == 255).all()
    assert (images[..., 0] == images[..., 1]).all() and (images[..., 1] == images[..., 2]).all()
    for image in images:
        ink = image[..., 0]
        # Not blank, mostly background, and with full-strength ink in the middle of strokes.
        assert ink.max() == 255
        assert 0.005 < (ink > 127).mean() < 0.4
        # The whole stroke (round caps included) is inside the canvas: the border is black.
        border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
        assert border.max() == 0


def test_digit_height_varies_over_the_requested_range(drawn_set):
    images, _ = drawn_set
    heights = []
    for image in images:
        rows = np.flatnonzero((image[..., 0] > 127).any(axis=1))
        heights.append((rows[-1] - rows[0] + 1) / 280)
    # 35-90 % of the canvas for the centre line, plus the pen width.
    assert min(heights) < 0.5 and max(heights) > 0.75
    assert 0.3 < min(heights) and max(heights) <= 1.0


@pytest.mark.parametrize("digit", range(10))
def test_every_variant_renders(digit):
    rng = np.random.default_rng(digit)
    for _ in range(3 * len(DIGIT_VARIANTS[digit])):
        image = render_digit(digit, rng, size=96)
        assert image.shape == (96, 96, 4) and image.dtype == np.uint8
        assert image[..., 0].max() == 255


def test_stroke_width_is_respected():
    thin = render_digit(0, np.random.default_rng(5), stroke_width=6)
    thick = render_digit(0, np.random.default_rng(5), stroke_width=24)
    thin_ink = (thin[..., 0] > 127).sum()
    thick_ink = (thick[..., 0] > 127).sum()
    # Same skeleton (same seed); ink area grows roughly with the width.
    assert 2.5 < thick_ink / thin_ink < 5.0


def test_small_canvas_scales_the_pen():
    image = render_digit(3, np.random.default_rng(0), size=28)
    assert image.shape == (28, 28, 4)
    assert image[..., 0].max() > 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"digit": 10},
        {"digit": -1},
        {"digit": 2.5},
        {"digit": 1, "size": 4},
        {"digit": 1, "stroke_width": 0},
        {"digit": 1, "stroke_width": float("nan")},
        {"digit": 1, "stroke_width": 500},
        {"digit": 1, "stroke_width": "wide"},
        {"digit": None},
        {"digit": "3"},
        {"digit": True},
        {"digit": 1, "size": None},
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        render_digit(rng=np.random.default_rng(0), **kwargs)


@pytest.mark.parametrize("kwargs", [{"n_per_class": -1}, {"n_per_class": 1.5}, {"size": 3}])
def test_bad_set_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        make_drawn_digit_set(**{"n_per_class": 1, "seed": 0, **kwargs})


def test_empty_set():
    images, labels = make_drawn_digit_set(0, seed=0, size=32)
    assert images.shape == (0, 32, 32, 4) and labels.shape == (0,)


def test_render_digit_draws_exactly_the_digit_paths():
    from PIL import Image, ImageDraw

    pen = 14.0
    image = render_digit(4, np.random.default_rng(9), stroke_width=pen)
    paths = digit_paths(4, np.random.default_rng(9), stroke_width=pen)
    assert len(paths) == 2  # both 4 variants are two strokes
    for path in paths:
        assert path.ndim == 2 and path.shape[1] == 2 and len(path) > 20
        steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
        assert steps.max() < 3.0  # dense, like mouse-move events
        assert (path >= pen / 2).all() and (path <= 280 - pen / 2).all()
    # Independent re-drawing of the paths (thin pen) falls inside the rendered ink.
    probe = Image.new("L", (280, 280))
    draw = ImageDraw.Draw(probe)
    for path in paths:
        draw.line([tuple(p) for p in path], fill=255, width=2)
    probe_ink = np.asarray(probe) > 0
    assert (image[..., 0][probe_ink] > 127).mean() > 0.99


# --------------------------------------------------------------------------- non-digits, styles


def test_non_digit_sets_are_seeded_and_each_kind_looks_like_its_name():
    from nn_core.drawings.strokes import NON_DIGIT_KINDS, make_non_digit_set

    images, kinds = make_non_digit_set(6, seed=5)
    assert images.shape == (24, 280, 280, 4) and sorted(set(kinds)) == sorted(NON_DIGIT_KINDS)
    again, again_kinds = make_non_digit_set(6, seed=5)
    np.testing.assert_array_equal(images, again)
    assert list(kinds) == list(again_kinds)
    for image, kind in zip(images, kinds, strict=True):
        ink = image[..., 0] > 127
        rows = np.flatnonzero(ink.any(axis=1))
        cols = np.flatnonzero(ink.any(axis=0))
        height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        fill = ink.sum() / (height * width)
        border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
        assert not border.any(), kind  # inside the canvas, like the digits
        if kind == "dot":
            assert max(height, width) <= 45, (height, width)  # the pen, and little more
        elif kind == "line":
            # Within 35 degrees of horizontal: much wider than tall, apart from the pen.
            assert width >= 1.2 * height, (width, height)
        elif kind == "blob":
            # Filled like a disc (pi/4 = 0.79 of its box) and not small. Measured over 30:
            # 0.72-0.84 of the box, at least 95 px across.
            assert fill > 0.68 and min(height, width) > 60, fill
        else:
            # A tangle of strokes: emptier than a blob (measured 0.31-0.70), and large.
            assert fill < 0.8 and max(height, width) > 60, fill


@pytest.mark.parametrize("style", ["0-slashed", "9-g-tail", "7-hook-bar", "1-long-flag"])
def test_unusual_styles_are_drawn_like_the_digits(style):
    from nn_core.drawings.strokes import UNUSUAL_STYLES, render_paths, unusual_digit_paths

    digit, _ = UNUSUAL_STYLES[style]
    paths = unusual_digit_paths(style, np.random.default_rng(0))
    assert len(paths) >= 1 and all(p.ndim == 2 and p.shape[1] == 2 for p in paths)
    image = render_paths(paths)
    assert image.shape == (280, 280, 4) and image[..., 0].max() == 255
    assert 0 <= digit <= 9
    np.testing.assert_array_equal(paths[0], unusual_digit_paths(style, np.random.default_rng(0))[0])
    with pytest.raises(ValueError, match="style"):
        unusual_digit_paths("8-backwards", np.random.default_rng(0))
