"""Canvas drawing -> feature vector: dataset conventions, invariances, robustness, accuracy."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image
from scipy import ndimage

from nn_core.drawings.preprocess import EmptyDrawingError, drawing_to_image, drawing_to_input
from nn_core.drawings.strokes import make_drawn_digit_set, render_digit

DATASETS = ("digits", "mnist", "fashion-mnist")
LENGTHS = {"digits": 64, "mnist": 784, "fashion-mnist": 784}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def drawings() -> tuple[np.ndarray, np.ndarray]:
    return make_drawn_digit_set(3, seed=7)


def _ink_crop(rgba: np.ndarray) -> np.ndarray:
    grey = rgba[..., 0]
    rows = np.flatnonzero(grey.any(axis=1))
    cols = np.flatnonzero(grey.any(axis=0))
    return grey[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _on_canvas(crop: np.ndarray, at: tuple[int, int], size: int = 280) -> np.ndarray:
    canvas = np.zeros((size, size), dtype=np.uint8)
    canvas[at[0] : at[0] + crop.shape[0], at[1] : at[1] + crop.shape[1]] = crop
    return canvas


def _scaled(crop: np.ndarray, factor: float) -> np.ndarray:
    h, w = crop.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _canvas_with_line(size: int = 280) -> np.ndarray:
    """RGBA canvas with a white vertical bar: the simplest drawing."""
    image = np.zeros((size, size, 4), dtype=np.uint8)
    image[..., 3] = 255
    image[size // 4 : 3 * size // 4, size // 2 - 5 : size // 2 + 5, :3] = 255
    return image


# --------------------------------------------------------------------------- output format


@pytest.mark.parametrize("name", DATASETS)
def test_output_format(drawings, name):
    image = drawings[0][0]
    vector = drawing_to_input(image, name)
    assert vector.shape == (LENGTHS[name],)
    assert vector.dtype == np.float32
    assert np.isfinite(vector).all() and vector.min() >= 0.0 and vector.max() <= 1.0
    assert vector.max() > 0.5  # the drawing is there, not a faint ghost
    seen = drawing_to_image(image, name)
    assert seen.shape == ((8, 8) if name == "digits" else (28, 28))
    np.testing.assert_array_equal(seen.ravel(), vector)


def test_dataset_name_is_forgiving_about_case_and_underscores(drawings):
    image = drawings[0][0]
    np.testing.assert_array_equal(
        drawing_to_input(image, " MNIST "), drawing_to_input(image, "mnist")
    )
    np.testing.assert_array_equal(
        drawing_to_input(image, "Fashion_MNIST"), drawing_to_input(image, "fashion-mnist")
    )


@pytest.mark.parametrize("name", ["cifar10", "", "digit", None, 3])
def test_unknown_dataset_name_raises_a_value_error_naming_it(name):
    with pytest.raises(ValueError, match="dataset_name"):
        drawing_to_input(_canvas_with_line(), name)


# --------------------------------------------------------------------------- blank canvas


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280, 4), dtype=np.uint8) + np.array([0, 0, 0, 255], dtype=np.uint8),
        np.full((280, 280, 4), 255, dtype=np.uint8),  # white canvas
        np.zeros((280, 280, 4), dtype=np.uint8),  # fully transparent
        np.zeros((50, 60), dtype=np.float64),
        np.full((50, 60, 3), 0.3),  # any uniform colour
        np.ones((1, 1), dtype=bool),
    ],
    ids=["black-rgba", "white-rgba", "transparent", "float-zeros", "grey-rgb", "1x1"],
)
@pytest.mark.parametrize("name", DATASETS)
def test_blank_canvas_raises_empty_drawing_error(image, name):
    with pytest.raises(EmptyDrawingError) as info:
        drawing_to_input(image, name)
    assert isinstance(info.value, ValueError)


def test_faint_noise_is_blank():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 20, size=(280, 280), dtype=np.uint8)  # < 8 % of full scale
    with pytest.raises(EmptyDrawingError):
        drawing_to_input(noise, "mnist")


# --------------------------------------------------------------------------- colour handling


@pytest.mark.parametrize("name", DATASETS)
def test_black_on_white_reads_like_white_on_black(drawings, name):
    rgba = drawings[0][3]
    inverted = rgba.copy()
    inverted[..., :3] = 255 - rgba[..., :3]
    np.testing.assert_allclose(
        drawing_to_input(inverted, name), drawing_to_input(rgba, name), atol=1e-5
    )


@pytest.mark.parametrize("name", DATASETS)
def test_rgba_rgb_grey_and_float_give_the_same_features(drawings, name):
    rgba = drawings[0][5]
    expected = drawing_to_input(rgba, name)
    grey = rgba[..., 0]
    for variant in (rgba[..., :3], grey, grey[..., None], grey / 255.0, grey.astype(np.float32)):
        np.testing.assert_allclose(drawing_to_input(variant, name), expected, atol=1e-5)


@pytest.mark.parametrize("name", ["mnist", "digits"])
def test_transparent_background_is_composited(drawings, name):
    rgba = drawings[0][1]
    expected = drawing_to_input(rgba, name)
    ink = rgba[..., 0]
    white_ink = np.zeros_like(rgba)
    white_ink[..., :3] = 255
    white_ink[..., 3] = ink  # white paint, coverage in alpha, nothing behind it
    black_ink = np.zeros_like(rgba)
    black_ink[..., 3] = ink  # black paint on a transparent background
    np.testing.assert_allclose(drawing_to_input(white_ink, name), expected, atol=1e-5)
    np.testing.assert_allclose(drawing_to_input(black_ink, name), expected, atol=1e-5)


def test_coloured_pen_on_coloured_background_is_read():
    image = np.zeros((200, 200, 3), dtype=np.uint8)
    image[...] = (20, 40, 120)  # dark blue paper
    image[50:150, 95:105] = (250, 230, 60)  # yellow pen
    seen = drawing_to_image(image, "mnist")
    # A vertical bar: centred, tall and narrow.
    rows = np.flatnonzero(seen.max(axis=1) > 0.2)
    cols = np.flatnonzero(seen.max(axis=0) > 0.2)
    assert rows.size >= 18 and cols.size <= 6


# --------------------------------------------------------------------------- mnist conventions


def test_mnist_centre_of_mass_is_at_14_14(drawings):
    # scipy's convention (pixel i centred at i); real MNIST averages (14.0, 14.0) in it.
    images, _ = drawings
    for image in images:
        com = ndimage.center_of_mass(drawing_to_image(image, "mnist"))
        assert np.hypot(com[0] - 14.0, com[1] - 14.0) < 0.5


@pytest.mark.parametrize(
    "shape",
    ["dot", "L", "corner-blob", "horizontal-line"],
)
def test_mnist_centre_of_mass_for_odd_shapes(shape):
    canvas = np.zeros((280, 280), dtype=np.uint8)
    if shape == "dot":
        canvas[140, 140] = 255
    elif shape == "L":
        canvas[20:260, 20:40] = 255
        canvas[240:260, 20:260] = 255
    elif shape == "corner-blob":
        canvas[:60, :60] = 255  # the drawing touches the border
    else:
        canvas[100:110, 10:270] = 255
    seen = drawing_to_image(canvas, "mnist")
    assert np.isfinite(seen).all()
    com = ndimage.center_of_mass(seen)
    assert np.hypot(com[0] - 14.0, com[1] - 14.0) < 0.5


def test_mnist_digit_box_is_20_px(drawings):
    images, labels = drawings
    for image, label in zip(images, labels, strict=True):
        seen = drawing_to_image(image, "mnist")
        rows = np.flatnonzero(seen.max(axis=1) > 0.05)
        cols = np.flatnonzero(seen.max(axis=0) > 0.05)
        longest = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        assert 19 <= longest <= 21, (label, longest)


def test_mnist_stroke_width_is_normalised():
    # The same "0" drawn with a 6 px and a 30 px pen reads (almost) the same.
    thin = render_digit(0, np.random.default_rng(3), stroke_width=6)
    thick = render_digit(0, np.random.default_rng(3), stroke_width=30)
    a = drawing_to_input(thin, "mnist")
    b = drawing_to_input(thick, "mnist")
    assert _cosine(a, b) > 0.9
    # MNIST's digits carry ~100 units of ink (sum of pixels / 255); so should these.
    assert 70 < a.sum() < 150 and 70 < b.sum() < 150


# --------------------------------------------------------------------------- digits conventions


def test_digits_values_are_block_counts(drawings):
    images, _ = drawings
    for image in images:
        vector = drawing_to_input(image, "digits")
        counts = vector * 16
        np.testing.assert_allclose(counts, np.round(counts), atol=1e-5)
        assert vector.min() >= 0.0 and vector.max() <= 1.0


def test_digits_ink_and_layout_match_load_digits(drawings):
    from sklearn.datasets import load_digits

    reference = load_digits().images  # 0..16 per block
    images, _ = drawings
    ours = np.stack([drawing_to_image(image, "digits") * 16 for image in images])
    # Ink: on-pixels of the 32x32 bitmap per image (load_digits: 313 +- 34).
    assert abs(ours.sum(axis=(1, 2)).mean() - reference.sum(axis=(1, 2)).mean()) < 15
    # Every digit spans all 8 rows and at most 6 of 8 columns, centred, as in load_digits.
    for image in ours:
        rows = np.flatnonzero(image.any(axis=1))
        cols = np.flatnonzero(image.any(axis=0))
        assert rows[0] == 0 and rows[-1] == 7
        assert cols[0] >= 1 and cols[-1] <= 6


def test_digits_are_deslanted_like_optdigits():
    # optdigits aligns the leftmost ink of the top and bottom rows: a slanted "1" and an
    # upright one give the same bitmap, near enough.
    upright = np.zeros((280, 280), dtype=np.uint8)
    upright[40:240, 130:145] = 255
    slanted = np.zeros_like(upright)
    for row in range(40, 240):
        shift = (240 - row) // 4  # leans right by 50 px over 200
        slanted[row, 110 + shift : 125 + shift] = 255
    a = drawing_to_input(upright, "digits")
    b = drawing_to_input(slanted, "digits")
    assert _cosine(a, b) > 0.95


# --------------------------------------------------------------------------- invariances


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mnist", "digits"])
def test_position_and_size_on_the_canvas_do_not_matter(name):
    rng = np.random.default_rng(11)
    for digit in range(10):
        crop = _ink_crop(render_digit(digit, rng))
        while max(crop.shape) > 170:  # leave room to scale up by 1.5
            crop = _scaled(crop, 0.5)
        base = drawing_to_input(_on_canvas(crop, (10, 10)), name)
        moved = drawing_to_input(_on_canvas(crop, (95, 100)), name)
        np.testing.assert_allclose(moved, base, atol=1e-6)
        for factor in (0.5, 1.5):
            resized = drawing_to_input(_on_canvas(_scaled(crop, factor), (5, 5)), name)
            assert _cosine(base, resized) > 0.95, (digit, factor)


# --------------------------------------------------------------------------- robustness


def _bar(size: int) -> np.ndarray:
    image = np.zeros((size, size), dtype=np.uint8)
    image[size // 4 : 3 * size // 4 + 1, size // 2] = 255
    return image


ODD_BUT_VALID = {
    "single-dot": np.pad(np.full((1, 1), 255, np.uint8), 140),
    "3x3-dot": np.pad(np.full((1, 1), 255, np.uint8), 1),
    "1-px-line": _bar(280),
    "tiny-2x3": np.array([[0, 255, 0], [0, 0, 0]], dtype=np.uint8),
    "bool-mask": _bar(64).astype(bool),
    "uint16": _bar(64).astype(np.uint16) * 257,
    "int64-255": _bar(64).astype(np.int64),
    "float-0-255": _bar(64).astype(np.float64),
    "negative-floats": _bar(64) / 255.0 - 0.5,
    "float16": (_bar(64) / 255.0).astype(np.float16),
    "grey-alpha": np.stack([_bar(64), np.full((64, 64), 255, np.uint8)], axis=-1),
    "wide-strip": np.pad(np.full((3, 200), 255, np.uint8), ((10, 10), (5, 5))),
    "mostly-ink": np.pad(np.full((250, 250), 255, np.uint8), 15),
}


@pytest.mark.parametrize("key", sorted(ODD_BUT_VALID))
@pytest.mark.parametrize("name", DATASETS)
def test_odd_but_valid_images_give_finite_features(key, name):
    vector = drawing_to_input(ODD_BUT_VALID[key], name)
    assert vector.shape == (LENGTHS[name],)
    assert np.isfinite(vector).all() and 0.0 <= vector.min() and vector.max() <= 1.0
    assert vector.max() > 0.0


def test_huge_image():
    image = np.zeros((4000, 4000), dtype=np.uint8)
    image[800:3200, 1900:2100] = 255  # a thick "1"
    image[800:1000, 1500:2100] = 255  # with a flag
    for name in DATASETS:
        vector = drawing_to_input(image, name)
        assert vector.shape == (LENGTHS[name],) and np.isfinite(vector).all()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros(10), "shape"),
        (np.zeros((2, 5, 5, 4)), "shape"),
        (np.zeros((5, 5, 5)), "shape"),
        (np.zeros((0, 5)), "no pixels"),
        (np.zeros((5, 0, 3)), "no pixels"),
        (np.float64(1.0), "shape"),
        (np.full((5, 5), np.nan), "NaN"),
        (np.where(np.eye(9) > 0, np.nan, 0.5), "NaN"),
        (np.full((5, 5), np.inf), "infinite"),
        (np.array([["a", "b"], ["c", "d"]]), "dtype"),
        (np.zeros((5, 5), dtype=complex), "dtype"),
        (np.empty((3, 3), dtype=object), "dtype"),
        (None, "dtype"),
        ("not an image", "dtype"),
        ([[1, 2], [3]], "array"),
    ],
)
def test_malformed_input_raises_a_clear_value_error(image, message):
    with pytest.raises(ValueError, match=message):
        drawing_to_input(image, "mnist")


_DTYPES = st.sampled_from(
    [np.uint8, np.int8, np.int32, np.int64, np.uint16, np.float16, np.float32, np.float64, bool]
)


@st.composite
def _arbitrary_images(draw):
    dtype = np.dtype(draw(_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12))
    if draw(st.booleans()):  # bias towards image-like shapes
        shape = draw(
            st.tuples(
                st.integers(1, 40),
                st.integers(1, 40),
                st.sampled_from([(), (1,), (2,), (3,), (4,)]),
            ).map(lambda t: (t[0], t[1], *t[2]))
        )
    if dtype.kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=8 * min(dtype.itemsize, 8))
    else:
        elements = None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=_arbitrary_images(), name=st.sampled_from(DATASETS))
def test_any_array_gives_a_finite_vector_or_a_value_error(image, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        try:
            vector = drawing_to_input(image, name)
        except ValueError:
            return
    assert vector.shape == (LENGTHS[name],)
    assert vector.dtype == np.float32
    assert np.isfinite(vector).all() and 0.0 <= vector.min() and vector.max() <= 1.0


# --------------------------------------------------------------------------- accuracy


@pytest.mark.slow
def test_a_digits_classifier_reads_the_drawings():
    """A model trained only on load_digits reads preprocessed mouse drawings.

    Measured with LogisticRegression on 200 drawings, seeds 0-3: 89.5-93 % (this seed:
    92.0 %). Without deslanting 86.5-88.5 % (this seed: 86.5 %), without stroke
    normalisation 80-85 %, without either 73-78 %. The bar, 3 points under this seed's
    92 %, leaves room for harmless changes, not for losing a step.
    """
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    digits = load_digits()
    try:  # BLAS threads fight over a busy machine: 0.05 s on one thread, seconds on many
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext as threadpool_limits
    with threadpool_limits(1):
        model = LogisticRegression(max_iter=1000).fit(digits.data / 16.0, digits.target)
        images, labels = make_drawn_digit_set(20, seed=0)
        features = np.stack([drawing_to_input(image, "digits") for image in images])
        predictions = model.predict(features)
    accuracy = float((predictions == labels).mean())
    assert accuracy >= 0.89, accuracy  # measured 0.92; 0.865 without deslanting
    # No class is lost entirely. The hardest is "8" (~50 %: load_digits' 8s are compact
    # blobs, a mouse-drawn 8 has two round open loops), then "7" without a bar (~80 %).
    per_class = [float((predictions[labels == k] == k).mean()) for k in range(10)]
    assert min(per_class) >= 0.3, per_class


#: The MNIST sample bundled with the repository (data/mnist-sample).
MNIST_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "mnist-sample"


def _mnist_digit_on_canvas(digit: np.ndarray, size: int = 280) -> np.ndarray:
    """A 28x28 MNIST digit enlarged to the canvas as the canvas returns a drawing:
    (size, size, 4) RGBA uint8, white ink on an opaque black background."""
    big = Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR)
    rgba = np.empty((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = np.asarray(big)[..., None]
    rgba[..., 3] = 255
    return rgba


@pytest.mark.slow
def test_real_mnist_digits_drawn_on_the_canvas_read_almost_as_well_as_raw():
    """Real MNIST test digits, enlarged to the 280 px canvas and preprocessed, read about as
    well as the raw 784 pixels by a model trained on MNIST.

    Measured (784-256-10, Adam, 10 epochs, on the sample's 6,000 / 2,000): 93.9 % raw,
    92.75 % after drawing_to_input, a drop of 1.15 points. Mutations of the MNIST recipe
    drop it far more: digit box 24 or 17 px instead of 20: 77-78 %; centre of mass at 13
    instead of 14: 76.8 %; pen 0.07 of the box instead of 0.115: 84.5 %.
    """
    from threadpoolctl import threadpool_limits

    from nn_core import MLP, datasets

    data = datasets.load("mnist", data_dir=MNIST_SAMPLE)
    stem = datasets.IDX_FILE_STEMS[2]  # the test images: t10k-images-idx3-ubyte
    test_images = datasets.read_idx(next(MNIST_SAMPLE.glob(f"{stem}*")), ndim=3)
    assert test_images.shape == (len(data.y_test), 28, 28)
    with threadpool_limits(1):
        net = MLP([784, 256, 10], seed=0)
        net.fit(data.X_train, data.y_train, epochs=10, batch_size=64, optimizer="adam",
                learning_rate=1e-3)
        raw = float((net.predict(data.X_test) == data.y_test).mean())
        drawn = np.stack(
            [drawing_to_input(_mnist_digit_on_canvas(img), "mnist") for img in test_images]
        )
        preprocessed = float((net.predict(drawn) == data.y_test).mean())
    print(f"\nMNIST sample: raw {raw:.2%}, drawn on the canvas and preprocessed {preprocessed:.2%}")
    assert raw >= 0.91, raw  # measured 0.939: the model itself is sound
    assert raw - preprocessed <= 0.03, (raw, preprocessed)  # measured drop 0.0115
