"""Inspect's gallery of misclassified test images, as HTML that reflows with the screen.

A Plotly grid of subplots has a fixed number of columns and a fixed height: on a phone
(390 px) eight columns squeezed their titles into one another ("ue 2 -> 1") and the
square tiles left a large empty band above them. Here each image is an ``<img>``
(a PNG in a data URI, its pixels enlarged by the browser without smoothing) with its
title under it, in a CSS grid of as many columns as fit: three on a phone, about ten on
a desktop. What this trades away: no hover readout of pixel values, and the images are
8-bit PNGs (grey levels rounded to 1/255).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

#: Put on the page once, with the gallery.
STYLE = """<style>
.insp-gallery {display: grid; grid-template-columns: repeat(auto-fill, minmax(6.5rem, 1fr));
               gap: 0.9rem 0.6rem; margin: 0; padding: 0;}
.insp-tile {margin: 0; min-width: 0; display: flex; flex-direction: column; align-items: center;}
.insp-tile img {width: 100%; max-width: 6rem; aspect-ratio: 1 / 1; image-rendering: pixelated;
                display: block; background: #000;}
.insp-tile figcaption {font-size: 0.78rem; line-height: 1.25; margin-top: 0.3rem;
                       text-align: center; font-variant-numeric: tabular-nums;
                       overflow-wrap: anywhere;}
</style>"""


def tile_title(true_name: str, predicted_name: str, confidence: float) -> str:
    """``true 3 → 8 (92%)``."""
    return f"true {true_name} → {predicted_name} ({confidence:.0%})"


def png_data_uri(image: np.ndarray) -> str:
    """A grey image with values 0..1 (white ink on black) as a PNG data URI."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"a gallery image must be 2-D, got shape {image.shape}")
    grey = np.round(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255.0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def misclassified_gallery(
    images: np.ndarray,
    true_labels: Sequence[int],
    predicted: Sequence[int],
    confidence: Sequence[float],
    class_names: Sequence[str] | None = None,
) -> str:
    """Each image titled ``true 3 → 8 (92%)``, in a grid that wraps to the screen's width."""
    images = np.asarray(images, dtype=np.float32)
    n = images.shape[0]
    if not (len(true_labels) == len(predicted) == len(confidence) == n):
        raise ValueError("images, labels, predictions and confidences must have one entry each")
    names = [str(c) for c in (class_names or range(10))]
    if n == 0:
        return '<div class="insp-gallery"><p>No misclassified test images</p></div>'
    tiles = []
    for image, t, p, c in zip(images, true_labels, predicted, confidence, strict=True):
        title = html.escape(tile_title(names[int(t)], names[int(p)], float(c)))
        tiles.append(f'<figure class="insp-tile"><img src="{png_data_uri(image)}" alt="{title}" '
                     f'title="{title}"><figcaption>{title}</figcaption></figure>')
    return f'<div class="insp-gallery">{"".join(tiles)}</div>'
