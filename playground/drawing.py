"""Canvas image -> what the network sees -> prediction, as one pure function.

The Draw page calls :func:`read_drawing` with the canvas's RGBA array; tests call
it directly with images from ``nn_core.strokes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.models import predict_proba

BLANK_HINT = "Draw one digit, large and centred, with white ink."
FULL_HINT = (
    "Nothing stands out as a digit: the canvas is (almost) all ink. "
    "Press **Clear** and draw one digit, large and centred."
)


def blank_hint(rgba: np.ndarray | None) -> str:
    """What to say when :func:`read_drawing` finds nothing to read on this canvas image."""
    if rgba is None:
        return BLANK_HINT
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.size == 0:
        return BLANK_HINT
    rgba = rgba.astype(np.float32) / 255.0 if rgba.dtype == np.uint8 else rgba.astype(np.float32)
    ink = rgba[..., :3].mean(axis=2) * rgba[..., 3]
    return FULL_HINT if float(np.mean(ink > 0.5)) > 0.5 else BLANK_HINT


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
    from nn_core.preprocess import EmptyDrawingError, drawing_to_image

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
