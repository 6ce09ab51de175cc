"""Draw's glue: canvas image -> what the network sees -> prediction, whether it is a digit
at all, and why this answer.

The Draw page calls :func:`read_drawing` with the canvas's RGBA array; tests call
it directly with images from ``nn_core.drawings.strokes``. :func:`novelty_detector` gives the
"that doesn't look like a digit" check (``nn_core.drawings.novelty``) for a model, fitted once
and shared; :func:`explain` gives gradient x input and the top hidden units
(``nn_core.drawings.explain``). The default model Draw trains on arrival is
:data:`playground.common.vocab.DEFAULT_MODEL_CONFIG`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.common.i18n import N_, _, ngettext
from playground.common.models import predict_proba

BLANK_HINT = N_("Draw one digit, large and centred, with white ink.")
FULL_HINT = (
    N_("Nothing stands out as a digit: the canvas is (almost) all ink. "
    "Press **Clear** and draw one digit, large and centred.")
)


def blank_hint(rgba: np.ndarray | None) -> str:
    """What to say when :func:`read_drawing` finds nothing to read on this canvas image."""
    if rgba is None:
        return _(BLANK_HINT)
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.size == 0:
        return _(BLANK_HINT)
    rgba = rgba.astype(np.float32) / 255.0 if rgba.dtype == np.uint8 else rgba.astype(np.float32)
    ink = rgba[..., :3].mean(axis=2) * rgba[..., 3]
    return _(FULL_HINT) if float(np.mean(ink > 0.5)) > 0.5 else _(BLANK_HINT)


@dataclass(frozen=True)
class DrawingReading:
    digit: int
    probabilities: np.ndarray  # one per class
    image: np.ndarray  # the 8x8 or 28x28 input, values 0..1

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.digit])


def read_drawing(net: Any, rgba: np.ndarray | None, dataset_name: str) -> DrawingReading | None:
    """Predict the digit on a canvas image, or None when the canvas is blank/missing."""
    from nn_core.drawings.preprocess import EmptyDrawingError, drawing_to_image

    if rgba is None:
        return None
    rgba = np.asarray(rgba)
    if rgba.size == 0:
        return None
    try:
        # drawing_to_input(rgba, name) is exactly drawing_to_image(rgba, name).ravel()
        image = np.asarray(drawing_to_image(rgba, dataset_name), dtype=np.float32)
    except EmptyDrawingError:
        return None
    probabilities = predict_proba(net, image.reshape(1, -1))[0]
    return DrawingReading(int(np.argmax(probabilities)), probabilities, image)


def input_shape(net: Any, dataset_name: str) -> tuple[int, int]:
    """The image the network reads (8x8 for digits, 28x28 for MNIST): what Draw shows,
    blank, before anything is drawn. Raises ValueError if the network's input size is
    not that image's."""
    from nn_core.drawings.preprocess import DATASET_IMAGE_SHAPES

    n_inputs = int(net.layer_sizes[0])
    shape = DATASET_IMAGE_SHAPES.get(dataset_name)
    if shape is None or shape[0] * shape[1] != n_inputs:
        raise ValueError(f"a network with {n_inputs} inputs does not read "
                         f"{dataset_name!r} images")
    return shape


def class_name(names: list[str], digit: int) -> str:
    return names[digit] if digit < len(names) else str(digit)


def prediction_caption(reading: DrawingReading, flagged: bool, strokes: int) -> str:
    """The line under the Prediction: ``56% sure · not a digit? · 1 stroke``."""
    return (
        _("{confidence:.0%} sure").format(confidence=reading.confidence)
        + (_(" · not a digit?") if flagged else "")
        + (ngettext(" · {n} stroke", " · {n} strokes", strokes).format(n=strokes) if strokes else "")
    )


# --------------------------------------------------------------------------- not a digit

#: Datasets of digits: the only ones where "that is not a digit" means something.
DIGIT_DATASETS = ("digits", "mnist-sample", "mnist")
#: Calibration drawings: ordinary mouse-drawn digits, per preprocessing recipe.
CALIBRATION_PER_CLASS = 30
CALIBRATION_SEED = 1

_LOCK = threading.Lock()
_SHARED: dict[tuple[str, str], Any] = {}  # computed once per process, shared by all tabs
_KEY_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_DETECTORS: OrderedDict[tuple[int, float, int], Any] = OrderedDict()
_MAX_DETECTORS = 8  # a detector of a 256-unit model holds ~5 MB
_WARMING: set[str] = set()


def _once(key: tuple[str, str], compute: Any) -> Any:
    """``compute()`` once per process for ``key``; callers meanwhile wait for it."""
    with _LOCK:
        if key in _SHARED:
            return _SHARED[key]
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:
        with _LOCK:
            if key in _SHARED:
                return _SHARED[key]
        value = compute()
        with _LOCK:
            _SHARED[key] = value
        return value


def _recipe(dataset_name: str) -> str:
    return "digits" if dataset_name == "digits" else "mnist"


def calibration_inputs(dataset_name: str) -> np.ndarray:
    """Ordinary drawn digits as this dataset's network input (300 of them, ~1.5 s the
    first time in a process, then shared by every tab)."""
    from nn_core.drawings.novelty import generated_digit_inputs

    recipe = _recipe(dataset_name)

    def compute() -> np.ndarray:
        inputs = generated_digit_inputs(recipe, CALIBRATION_PER_CLASS, seed=CALIBRATION_SEED)
        inputs.flags.writeable = False
        return inputs

    return _once(("calibration", recipe), compute)


def shape_view(dataset: Any) -> Any:
    """The dataset's shape view (``nn_core.drawings.novelty.ShapeView``), fitted once per process."""
    from nn_core.drawings.novelty import ShapeView

    return _once(("shape", dataset.name), lambda: ShapeView.fit(dataset.X_train, dataset.y_train))


def warm_up(dataset: Any) -> None:
    """Compute the calibration drawings and the shape view in a background thread, so the
    first drawing need not wait for them (they take ~2 s once per process)."""
    if dataset is None or getattr(dataset, "name", None) not in DIGIT_DATASETS:
        return
    with _LOCK:
        if dataset.name in _WARMING:
            return
        _WARMING.add(dataset.name)

    def work() -> None:
        try:
            calibration_inputs(dataset.name)
            shape_view(dataset)
        except Exception:  # noqa: BLE001 - the page computes them when needed, and says why
            with _LOCK:
                _WARMING.discard(dataset.name)

    threading.Thread(target=work, name=f"warm-up-{dataset.name}", daemon=True).start()


def _fingerprint(net: Any) -> tuple[int, float]:
    return id(net), float(sum(float(np.sum(w)) for w in net.weights))


def novelty_detector(net: Any, dataset: Any, taught: Any = None) -> Any | None:
    """The "is this a digit?" detector for ``net`` trained on ``dataset`` (None for a
    dataset that is not digits). Fitted on first use (~0.2 s) and kept for a few nets.

    ``taught``: the personal set (``nn_core.drawings.personal.ExampleSet``) the network was
    fine-tuned on, if it was. Its drawings then count as digits the network learned
    from: they join the training rows, a tenth of them as in fine-tuning (both views are
    refitted, ~0.5 s), so a style taught on purpose is not called "not a digit".
    """
    from nn_core.drawings.novelty import DigitNovelty
    from nn_core.drawings.personal import DEFAULT_SHARE, mix

    if getattr(dataset, "name", None) not in DIGIT_DATASETS:
        return None
    n_taught = 0 if taught is None else len(taught)
    key = (*_fingerprint(net), n_taught)
    with _LOCK:
        cached = _DETECTORS.get(key)
        if cached is not None and cached.net is net:
            _DETECTORS.move_to_end(key)
            return cached
    if n_taught:
        n_rows = round(len(dataset.y_train) / (1.0 - DEFAULT_SHARE))
        X, y = mix(taught.X, taught.labels, dataset.X_train, dataset.y_train, n_rows)
        detector = DigitNovelty.fit(net, X, y, calibration_inputs(dataset.name))
    else:
        detector = DigitNovelty.fit(
            net, dataset.X_train, dataset.y_train, calibration_inputs(dataset.name),
            shape=shape_view(dataset),
        )
    with _LOCK:
        _DETECTORS[key] = detector
        while len(_DETECTORS) > _MAX_DETECTORS:
            _DETECTORS.popitem(last=False)
    return detector


def not_a_digit_message(novelty: Any, reading: DrawingReading, names: list[str]) -> str:
    """What Draw says about a drawing the detector flags."""
    guess = class_name(names, reading.digit)
    share = min(novelty.percentile, 0.999)
    why = (
        _("its shape is unlike any digit's") if novelty.view == "shape"
        else _("the network's hidden units respond to it unlike to any digit")
    )
    return (
        _("That doesn't look like a digit: {why} (stranger than {share:.1%} of ordinary "
        "drawn digits). The best guess below, **{guess}**, is only a guess.").format(why=why, share=share, guess=guess)
    )


# --------------------------------------------------------------------------- why this answer


@dataclass(frozen=True)
class Explanation:
    """Why the network gives class ``target`` its score for one drawing."""

    target: int
    attribution: np.ndarray  # gradient x input, in the image's shape
    #: The first hidden layer's top units: (unit, activation, contribution, weight image).
    units: list[tuple[int, float, float, np.ndarray]]


def explain(net: Any, reading: DrawingReading, target: int | None = None, k: int = 6) -> Explanation:
    """Gradient x input for class ``target`` (default: the answer) on what the network
    sees, and the ``k`` first-layer hidden units that add most to that class's score."""
    from nn_core.drawings.explain import gradient_times_input, top_units, unit_weight_image

    target = reading.digit if target is None else int(target)
    shape = reading.image.shape
    attribution = gradient_times_input(net, reading.image.ravel(), target).reshape(shape)
    units = []
    if len(getattr(net, "layer_sizes", ())) >= 3:
        for unit in top_units(net, reading.image.ravel(), target, k):
            units.append((unit.unit, unit.activation, unit.contribution,
                          unit_weight_image(net, unit.unit, shape)))
    return Explanation(target, np.asarray(attribution, dtype=np.float32), units)
