"""Turn a canvas drawing into the feature vector a model trained on a dataset expects.

A digit drawn with a mouse differs from a dataset image in everything but its shape:
any size and position on a 280x280 canvas, any stroke width, RGBA pixels. This module
normalises a drawing the way each dataset's own images were normalised, so that a model
trained on the dataset can read it:

- ``"mnist"`` (and ``"mnist-sample"``, a slice of it): crop to the ink, scale the longest side to 20 px (aspect kept,
  area-averaged), and place so that the centre of mass sits at (14, 14) of the 28x28
  field -- LeCun et al.'s recipe. Centre of mass is in ``scipy.ndimage.center_of_mass``'s
  convention (pixel ``i`` has its centre at ``i``); real MNIST images average (14.0, 14.0)
  in it. The stroke is first redrawn at one pen width (0.115 of the digit's longest side:
  then the drawings carry as much ink as MNIST digits, ~104 of 784), because a mouse
  stroke may be anywhere from 3 % to 30 % of the digit.
- ``"digits"`` (UCI optdigits, what ``sklearn.datasets.load_digits`` holds): a binary
  32x32 bitmap, ink counted in 4x4 blocks (0..16), divided by 16. Measured on
  ``load_digits``: every digit spans the full 32 rows, is at most ~20 px wide and centred,
  narrow digits keep their aspect, the ink count is nearly constant (313 +- 34 of 1024
  pixels, for "1" as for "8"), and the leftmost ink of the top and bottom rows line up
  (deslanted). So the drawing is sheared upright by that rule, its box scaled to 32 rows
  and ``min(32 * aspect, 20)`` columns, and the stroke thickened or thinned (a threshold
  on the signed distance to the stroke's edge) until 313 pixels are on.
- ``"fashion-mnist"``: crop, scale the longest side to 28 px and centre the box, as
  Zalando made the dataset; the drawing's own strokes are kept.

Polarity is read from the border (its median is the background), so white ink on black
and black ink on white give the same features; RGBA with varying alpha is first
composited over a colour that contrasts with the painted pixels.

What it trades away: the stroke is rebuilt from a distance field computed at a working
resolution of 72 px for the digit's longest side, so detail finer than 1/72 of the digit
is lost (invisible at 28x28 or 8x8 anyway), and a stroke so thick that it filled a loop
cannot be thinned back open. Images larger than 1024 px are block-averaged first, so a
one-pixel scratch on a huge image may vanish (and then count as blank). A 280x280 RGBA
canvas takes ~1 ms ("mnist") to ~2 ms ("digits", which searches for the stroke width).
Needs scipy (already a dependency of scikit-learn) for the distance transform.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from scipy import ndimage

__all__ = [
    "DATASET_IMAGE_SHAPES",
    "EmptyDrawingError",
    "drawing_to_image",
    "drawing_to_input",
]

#: What the network sees, per dataset.
DATASET_IMAGE_SHAPES: dict[str, tuple[int, int]] = {
    "digits": (8, 8),
    "mnist": (28, 28),
    "mnist-sample": (28, 28),  # a slice of MNIST: MNIST's recipe
    "fashion-mnist": (28, 28),
}

# Ink below this contrast (fraction of full scale) is not a drawing: noise, a faint smudge.
_MIN_INK_CONTRAST = 0.15
# Larger images are block-averaged down first: a canvas is 280 px, a digit needs ~100.
_MAX_SIDE = 1024
# Longest side of the digit's box at which strokes are measured and redrawn.
_WORK_SIDE = 72
# Empty border (working px) around the box, so that a thickened stroke still fits.
_WORK_MARGIN = 16

# MNIST: digit box 20 px in a 28 px field. Pen width / longest side of the box (both
# including the stroke): 0.115 makes the drawings' ink per image match the MNIST sample's
# (103 vs 104 units; 0.145, a direct width estimate on MNIST, gave 126).
_MNIST_FIELD = 28
_MNIST_BOX = 20
_MNIST_PEN_RATIO = 0.115
# scipy's centre-of-mass convention: real MNIST digits average (14.0, 14.0) in it.
_MNIST_CENTRE = 14.0

# optdigits: 32x32 bitmap, digit 32 rows tall and at most 20 columns wide, 313 pixels on
# (mean of load_digits' 1797 images: 312.6; the 5th-95th percentiles are 261-368).
_DIGITS_BITMAP = 32
_DIGITS_MAX_WIDTH = 20
_DIGITS_BLOCK = 4
_DIGITS_INK_PIXELS = 313
_DIGITS_INK_TOLERANCE = 3  # close enough: load_digits' own spread is +-34

# Distance given to bitmap pixels that fall outside the working image.
_FAR = 1e6

_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as PIL's "L" conversion


class EmptyDrawingError(ValueError):
    """The canvas holds no ink: nothing to read."""


# --------------------------------------------------------------------------- public API


def drawing_to_input(image: object, dataset_name: str) -> np.ndarray:
    """The drawing as one feature vector (float32, 64 or 784 values in [0, 1]).

    Scaled like ``nn_core.data.datasets.load(dataset_name).X_*`` rows. Raises
    ``EmptyDrawingError`` for a blank canvas and ``ValueError`` for anything that is not
    an image or an unknown dataset name.
    """
    return drawing_to_image(image, dataset_name).ravel()


def drawing_to_image(image: object, dataset_name: str) -> np.ndarray:
    """What the network sees: a 2-D float32 image (8x8 or 28x28) with values in [0, 1]."""
    name = _canonical_dataset_name(dataset_name)
    ink = _ink_map(image)
    if name == "fashion-mnist":
        out = _fashion_image(ink)
    else:
        field = _StrokeField.from_ink(ink)
        out = _digits_image(field) if name == "digits" else _mnist_image(field)
    # Belt and braces: callers feed this straight to a model.
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0).astype(
        np.float32, copy=False
    )


# --------------------------------------------------------------------------- input checks


def _canonical_dataset_name(dataset_name: object) -> str:
    if not isinstance(dataset_name, str):
        raise ValueError(f"dataset_name must be a string, got {type(dataset_name).__name__}")
    key = dataset_name.strip().lower().replace("_", "-")
    if key not in DATASET_IMAGE_SHAPES:
        known = ", ".join(repr(n) for n in DATASET_IMAGE_SHAPES)
        raise ValueError(f"unknown dataset_name {dataset_name!r}; expected one of {known}")
    return key


def _validated_array(image: object) -> np.ndarray:
    """The image as an (H, W, C) numeric array, C in 1..4; raises ValueError otherwise."""
    try:
        arr = np.asarray(image)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"image is not an array: {exc}") from exc
    if arr.dtype == bool:
        arr = arr.astype(np.float32)  # a mask: True is full-strength ink (or background)
    elif not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"image must hold numbers (bool, int or float), got dtype {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise ValueError(
            "image must be (H, W) grayscale or (H, W, C) with C = 1, 2, 3 or 4 channels, "
            f"got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"image has no pixels (shape {arr.shape})")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError("image contains NaN or infinite values")
    return arr


def _full_scale(arr: np.ndarray) -> float:
    """What "white" is: 1 for floats (and bools) up to 1, 255 for 8-bit ranges, else the max."""
    top = float(arr.max())
    if np.issubdtype(arr.dtype, np.floating) and top <= 1.0:
        return 1.0
    if top <= 255.0:
        return 255.0
    return top


def _ink_map(image: object) -> np.ndarray:
    """Ink strength in [0, 1] (float32, 0 = background), whatever the polarity, cropped
    to the box of the pixels with at least half the strongest ink."""
    arr = _validated_array(image)
    luminance = _limit_size(_composite_luminance(arr, _full_scale(arr)))
    border = np.concatenate([luminance[0], luminance[-1], luminance[1:-1, 0], luminance[1:-1, -1]])
    background = float(np.median(border))
    if background > 0.5:  # dark ink on a light background
        contrast, full = np.float32(background) - luminance, background
    else:
        contrast, full = luminance - np.float32(background), 1.0 - background
    strongest = float(contrast.max())
    if strongest < _MIN_INK_CONTRAST * full:
        raise EmptyDrawingError("the drawing is blank: draw a digit first")
    # Crop before any further whole-image arithmetic: the digit is a fraction of the canvas.
    top, bottom, left, right = _bbox(contrast >= np.float32(0.5 * strongest))
    crop = contrast[top : bottom + 1, left : right + 1]
    # A grey pen reads like a white one; only the shape matters.
    return np.clip(crop * np.float32(1.0 / strongest), 0.0, 1.0)


def _composite_luminance(arr: np.ndarray, scale: float) -> np.ndarray:
    """Luminance in [0, 1] (float32, 2-D), transparent pixels composited first."""
    n_channels = arr.shape[2]
    luminance = _luminance(arr, scale)
    if n_channels in (2, 4):
        raw_alpha = arr[:, :, -1]
        if raw_alpha.min() < raw_alpha.max():  # cheap test first: canvases are opaque
            alpha = _unit_channel(arr, n_channels - 1, scale)
            coverage = float(alpha.sum())
            if coverage <= 0.0:  # only denormal-small alphas: nothing is painted
                raise EmptyDrawingError("the drawing is blank: the image is fully transparent")
            # Transparent background: put the painted pixels on a contrasting backdrop,
            # so white ink lands on black and black ink on white.
            painted = float((alpha * luminance).sum()) / coverage
            backdrop = 0.0 if painted >= 0.5 else 1.0
            luminance = alpha * luminance + (1.0 - alpha) * np.float32(backdrop)
        elif raw_alpha.max() <= 0:
            raise EmptyDrawingError("the drawing is blank: the image is fully transparent")
    return luminance


def _luminance(arr: np.ndarray, scale: float) -> np.ndarray:
    """Grey level in [0, 1] (float32) of the colour channels of an (H, W, C) array."""
    if arr.shape[2] <= 2:
        return _unit_channel(arr, 0, scale)
    if arr.dtype == np.uint8:
        # The canvas case: PIL's "L" conversion (same ITU-R 601 weights, alpha ignored)
        # is several times faster than float arithmetic on three channels.
        mode = "RGBA" if arr.shape[2] == 4 else "RGB"
        grey = Image.fromarray(np.ascontiguousarray(arr), mode=mode).convert("L")
        return np.asarray(grey, dtype=np.float32) * np.float32(1.0 / 255.0)
    r, g, b = (_unit_channel(arr, i, scale) for i in range(3))
    return r * np.float32(_LUMA[0]) + g * np.float32(_LUMA[1]) + b * np.float32(_LUMA[2])


def _unit_channel(arr: np.ndarray, index: int, scale: float) -> np.ndarray:
    """One channel as float32 in [0, 1]; out-of-range values are clipped (no blacker black)."""
    channel = arr[:, :, index]
    if channel.dtype == np.uint8:
        return channel.astype(np.float32) * np.float32(1.0 / 255.0)  # scale is 255
    if channel.dtype.kind == "f":
        # Divide before narrowing: a float64 beyond float32's range must not become inf.
        unit = np.clip(channel.astype(np.float64, copy=False) / scale, 0.0, 1.0)
        return unit.astype(np.float32)
    return np.clip(channel.astype(np.float32) * np.float32(1.0 / scale), 0.0, 1.0)


def _limit_size(luminance: np.ndarray) -> np.ndarray:
    """Block-average images larger than _MAX_SIDE (keeps the ink's mass and shape)."""
    factor = math.ceil(max(luminance.shape) / _MAX_SIDE)
    if factor <= 1:
        return luminance
    h, w = luminance.shape
    ph, pw = -h % factor, -w % factor
    # Pad with the edge so the border (the background estimate) is unchanged.
    padded = np.pad(luminance, ((0, ph), (0, pw)), mode="edge")
    return padded.reshape((h + ph) // factor, factor, (w + pw) // factor, factor).mean(axis=(1, 3))


# --------------------------------------------------------------------------- geometry


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), inclusive, of the True pixels (mask must have some)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float image (area average down, bilinear up)."""
    height, width = max(1, int(height)), max(1, int(width))
    if image.shape == (height, width):
        return image.astype(np.float32, copy=False)
    shrinking = height <= image.shape[0] and width <= image.shape[1]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    pil = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32), mode="F")
    return np.asarray(pil.resize((width, height), resample), dtype=np.float32)


class _StrokeField:
    """The drawing's ink at working resolution, as a signed distance to the stroke edge.

    ``distance`` is in working pixels: negative inside the ink (-0.5 on the edge pixels),
    positive outside (+0.5 next to the ink), so ``distance <= t`` is the stroke grown by
    ``t`` px on each side (shrunk if ``t < 0``). ``width`` is the estimated stroke width.
    """

    def __init__(self, distance: np.ndarray, width: float) -> None:
        self.distance = distance
        self.width = width

    @classmethod
    def from_ink(cls, crop: np.ndarray) -> _StrokeField:
        """From an ink map cropped to the ink's box (what ``_ink_map`` returns)."""
        scale = _WORK_SIDE / max(crop.shape)
        work = _resize(crop, round(crop.shape[0] * scale), round(crop.shape[1] * scale))
        work = np.pad(work, _WORK_MARGIN)
        mask = work >= 0.5
        if not mask.any():  # a hairline that averaged below half strength
            mask = work >= 0.5 * float(work.max())
        inside = ndimage.distance_transform_edt(mask)
        outside = ndimage.distance_transform_edt(~mask)
        distance = np.where(mask, 0.5 - inside, outside - 0.5).astype(np.float32)
        # A band n px wide has mean inside-distance (n/2 + 1)/2, hence n = 4 * mean - 2.
        width = max(1.0, 4.0 * float(inside[mask].mean()) - 2.0)
        return cls(distance, width)

    def grown(self, t: float) -> np.ndarray:
        """The stroke grown by ``t`` px per side, anti-aliased (soft 1 px edge), in [0, 1]."""
        return np.clip(0.5 - (self.distance - t), 0.0, 1.0)


# --------------------------------------------------------------------------- mnist


def _mnist_image(field: _StrokeField) -> np.ndarray:
    # Box side (stroke included) once the stroke is redrawn at width w': the box changes
    # by w' - w, and w' must be _MNIST_PEN_RATIO of it. Solve for w'.
    side = float(_WORK_SIDE)
    ratio = _MNIST_PEN_RATIO
    target = max(1.0, ratio * (side - field.width) / (1.0 - ratio))
    growth = min((target - field.width) / 2.0, _WORK_MARGIN - 2.0)
    ink = field.grown(growth)
    if float(ink.max()) < 0.5:  # thinned to nothing: keep the stroke as drawn
        ink = field.grown(0.0)
    return _frame_by_centre_of_mass(ink, _MNIST_BOX, _MNIST_FIELD, _MNIST_CENTRE)


def _frame_by_centre_of_mass(ink: np.ndarray, box: int, field: int, centre: float) -> np.ndarray:
    """Area-resample ``ink`` into a field x field image: its bounding box scaled so the
    longest side is ``box`` px, its centre of mass at (centre, centre) (pixel ``i`` has its
    centre at ``i``).

    One resample does scaling and sub-pixel placement, so the edges stay as sharp as
    MNIST's (MNIST shifted by whole pixels, leaving its centre of mass within +-0.5 px;
    a separate sub-pixel shift would blur every stroke by up to a pixel).
    """
    top, bottom, left, right = _bbox(ink > 0.0)
    step = max(bottom - top + 1, right - left + 1) / box  # working px per output px
    mass = float(ink.sum())
    com_r = float(ink.sum(axis=1) @ np.arange(ink.shape[0])) / mass
    com_c = float(ink.sum(axis=0) @ np.arange(ink.shape[1])) / mass
    # In PIL's continuous coordinates pixel i spans [i, i + 1], so the centre of mass
    # is at com + 0.5 and must land on the middle of output pixel `centre`.
    y0 = com_r + 0.5 - (centre + 0.5) * step
    x0 = com_c + 0.5 - (centre + 0.5) * step
    extent = field * step
    h, w = ink.shape
    # PIL wants the source box inside the image: pad enough zeros around the ink.
    pad = 1 + math.ceil(max(0.0, -y0, -x0, y0 + extent - h, x0 + extent - w))
    padded = Image.fromarray(np.pad(ink.astype(np.float32, copy=False), pad), mode="F")
    region = (x0 + pad, y0 + pad, x0 + pad + extent, y0 + pad + extent)
    out = padded.resize((field, field), Image.Resampling.BOX, box=region)
    return np.asarray(out, dtype=np.float32)


# --------------------------------------------------------------------------- digits


def _digits_image(field: _StrokeField) -> np.ndarray:
    bitmap = _digits_bitmap(field)
    n = _DIGITS_BITMAP // _DIGITS_BLOCK
    counts = bitmap.reshape(n, _DIGITS_BLOCK, n, _DIGITS_BLOCK).sum(axis=(1, 3))
    return counts / float(_DIGITS_BLOCK * _DIGITS_BLOCK)


def _digits_bitmap(field: _StrokeField) -> np.ndarray:
    """The optdigits 32x32 bitmap: stroke grown or shrunk until ~313 pixels are on."""
    distance = _deslanted(field.distance)
    row_min = distance.min(axis=1)
    col_min = distance.min(axis=0)
    lo = float(distance.min())  # shrunk to nothing
    hi = _WORK_MARGIN - 2.0  # as fat as the margin allows
    best, best_error = _digits_sample(distance, row_min, col_min, 0.0), math.inf
    # The on-pixel count grows with t (almost monotonically: the box grows too): bisect.
    for _ in range(12):
        t = 0.5 * (lo + hi)
        bitmap = _digits_sample(distance, row_min, col_min, t)
        count = int(bitmap.sum()) if bitmap is not None else 0
        if bitmap is not None and abs(count - _DIGITS_INK_PIXELS) < best_error:
            best, best_error = bitmap, abs(count - _DIGITS_INK_PIXELS)
            if best_error <= _DIGITS_INK_TOLERANCE:
                break
        if count < _DIGITS_INK_PIXELS:
            lo = t
        else:
            hi = t
    if best is None:  # cannot happen for a non-empty stroke; stay total anyway
        return np.zeros((_DIGITS_BITMAP, _DIGITS_BITMAP), dtype=np.uint8)
    return best


def _deslanted(distance: np.ndarray) -> np.ndarray:
    """Shear so that the leftmost ink of the top and of the bottom row line up.

    That is how the optdigits bitmaps were deslanted: in ``load_digits`` the leftmost
    ink of row 0 and row 7 differ by 0.0 +- 0.2 blocks for every digit (the same measure
    on the rightmost ink or the centre varies by class, up to 2 blocks for "7").
    """
    mask = distance <= 0.0
    rows = np.flatnonzero(mask.any(axis=1))
    top, bottom = int(rows[0]), int(rows[-1])
    if bottom - top < 2:
        return distance
    # A "row" of the 32-row bitmap is a band of working rows.
    band = max(1, round((bottom - top + 1) / _DIGITS_BITMAP))
    left_top = int(np.flatnonzero(mask[top : top + band].any(axis=0))[0])
    left_bottom = int(np.flatnonzero(mask[bottom - band + 1 : bottom + 1].any(axis=0))[0])
    # Columns per row; capped at 45 degrees so that a stray mark cannot flatten the digit.
    slope = float(np.clip((left_bottom - left_top) / (bottom - top), -1.0, 1.0))
    if slope == 0.0:
        return distance
    h, w = distance.shape
    shifts = slope * (np.arange(h) - 0.5 * (top + bottom))  # sheared about the middle row
    pad = math.ceil(float(np.abs(shifts).max())) + 1
    padded = np.pad(distance, ((0, 0), (pad, pad)), constant_values=_FAR)
    src = np.arange(w + 2 * pad)[None, :] + shifts[:, None]  # new[r, c] = old[r, src]
    c0 = np.clip(np.floor(src).astype(np.intp), 0, w + 2 * pad - 2)
    frac = np.clip(src - c0, 0.0, 1.0)
    left = np.take_along_axis(padded, c0, axis=1)
    right = np.take_along_axis(padded, c0 + 1, axis=1)
    return ((1.0 - frac) * left + frac * right).astype(np.float32)


def _digits_sample(
    distance: np.ndarray, row_min: np.ndarray, col_min: np.ndarray, t: float
) -> np.ndarray | None:
    """Binary 32x32 bitmap of ``distance <= t``, its box fitted as optdigits does."""
    rows = np.flatnonzero(row_min <= t)
    cols = np.flatnonzero(col_min <= t)
    if rows.size == 0 or cols.size == 0:
        return None
    height = rows[-1] - rows[0] + 1.0
    width = cols[-1] - cols[0] + 1.0
    size = float(_DIGITS_BITMAP)
    scale_r = size / height
    out_width = min(width * scale_r, float(_DIGITS_MAX_WIDTH))
    scale_c = out_width / width
    grid = np.arange(_DIGITS_BITMAP) + 0.5  # bitmap pixel centres
    # Working pixel k spans [k - 0.5, k + 0.5]; the box starts at rows[0] - 0.5.
    src_r = rows[0] - 0.5 + grid / scale_r
    src_c = cols[0] - 0.5 + (grid - (size - out_width) / 2.0) / scale_c
    sampled = _bilinear_grid(distance, src_r, src_c)
    return (sampled <= t).astype(np.uint8)


def _bilinear_grid(image: np.ndarray, src_r: np.ndarray, src_c: np.ndarray) -> np.ndarray:
    """``image`` sampled at every (src_r[i], src_c[j]), bilinear; _FAR outside the image.

    The sample grid is separable, so four fancy-indexed gathers do it (faster than
    scipy.ndimage.map_coordinates on 1024 points, run up to 12 times per image).
    """
    h, w = image.shape
    r0 = np.floor(src_r).astype(np.intp)
    c0 = np.floor(src_c).astype(np.intp)
    fr = (src_r - r0)[:, None]
    fc = (src_c - c0)[None, :]
    # Clamp with ufuncs: np.clip's wrapper costs more than the work on 32 values.
    ra = np.minimum(np.maximum(r0, 0), h - 1)[:, None]
    rb = np.minimum(np.maximum(r0 + 1, 0), h - 1)[:, None]
    ca = np.minimum(np.maximum(c0, 0), w - 1)[None, :]
    cb = np.minimum(np.maximum(c0 + 1, 0), w - 1)[None, :]
    top = image[ra, ca] + fc * (image[ra, cb] - image[ra, ca])
    bottom = image[rb, ca] + fc * (image[rb, cb] - image[rb, ca])
    out = top + fr * (bottom - top)
    outside_r = (src_r < 0) | (src_r > h - 1)
    outside_c = (src_c < 0) | (src_c > w - 1)
    out[outside_r, :] = _FAR
    out[:, outside_c] = _FAR
    return out


# --------------------------------------------------------------------------- fashion-mnist


def _fashion_image(crop: np.ndarray) -> np.ndarray:
    scale = _MNIST_FIELD / max(crop.shape)
    item = _resize(crop, round(crop.shape[0] * scale), round(crop.shape[1] * scale))
    out = np.zeros((_MNIST_FIELD, _MNIST_FIELD), dtype=np.float32)
    r0 = (_MNIST_FIELD - item.shape[0]) // 2
    c0 = (_MNIST_FIELD - item.shape[1]) // 2
    out[r0 : r0 + item.shape[0], c0 : c0 + item.shape[1]] = item
    return out
