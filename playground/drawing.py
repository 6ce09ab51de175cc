"""Canvas image -> what the network sees -> prediction, as one pure function.

The Draw page calls :func:`read_drawing` with the canvas's RGBA array; tests call
it directly with images from ``nn_core.strokes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


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
    probabilities = np.asarray(net.predict_proba(image.reshape(1, -1)))[0]
    return DrawingReading(int(np.argmax(probabilities)), probabilities, image)
