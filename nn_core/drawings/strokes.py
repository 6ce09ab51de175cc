"""Synthetic digits drawn the way a mouse draws them, to measure how well models read drawings.

``render_digit`` returns an RGBA canvas image like the app's drawing canvas (white ink
on opaque black, round caps and joins, anti-aliased edges): a digit built from
hand-made stroke templates -- several variants per digit, the way people write them
(a "1" with or without flag and base, an open or closed "4", a "7" with or without a
bar, a "2" with or without a loop, ...) -- with smooth centripetal Catmull-Rom curves,
then perturbed: template proportions, a smooth random warp (the hand's wobble), size
(35-90 % of the canvas height), aspect, slant (shear -0.3..0.3), rotation (+-10 deg),
position (anywhere it fits) and pen width (8-30 px on a 280 px canvas).

``make_drawn_digit_set`` draws a labelled, seeded set of them; ``digit_paths`` gives
the mouse paths themselves (to drive a real canvas in browser tests).

Two more kinds of drawing, drawn the same way (same wobble, placement and pen):

- **Non-digits** (``NON_DIGIT_KINDS``: a line, a dot, a random scribble, a filled blob),
  for measuring whether a model can tell that a drawing is not a digit at all
  (``non_digit_paths``, ``render_non_digit``, ``make_non_digit_set``). The line is kept
  within 35 degrees of horizontal: an upright line is a fair "1".
- **Unusual styles** (``UNUSUAL_STYLES``: a slashed zero, a 9 with a "g" tail, a 7 with
  a hooked top and a crossbar, a 1 with a long flag and a base), digits written in a way
  the templates above never write them, for teaching a model someone's handwriting
  (``unusual_digit_paths``).

What it trades away: these are one engineer's templates, not people's drawings. They
cover the common shapes but not every idiosyncrasy (European "1" with a long flag,
"7" with a curly top, a "4" drawn in one stroke, scribbles, corrections), and the strokes
have constant width, like a canvas brush but unlike a pen. Accuracy measured on them is
a sanity figure for the preprocessing, not a promise about real users.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "DIGIT_VARIANTS",
    "NON_DIGIT_KINDS",
    "UNUSUAL_STYLES",
    "digit_paths",
    "make_drawn_digit_set",
    "make_non_digit_set",
    "non_digit_paths",
    "render_digit",
    "render_non_digit",
    "render_paths",
    "unusual_digit_paths",
]

Points = np.ndarray  # (n, 2) float, (x, y) with y pointing down, digit height ~1
Stroke = Points
Template = Callable[[np.random.Generator], list[Stroke]]

_SUPERSAMPLE = 2  # draw at 2x and average down: anti-aliased like the browser canvas
_CANVAS_REFERENCE = 280  # pen widths and margins below are for a 280 px canvas
_PEN_WIDTH_RANGE = (8.0, 30.0)
_HEIGHT_RANGE = (0.35, 0.90)  # digit height (stroke centre line) / canvas side
_SHEAR_RANGE = (-0.3, 0.3)
_MAX_ROTATION_DEG = 10.0
_STEP = 0.006  # spacing of the drawn points, in digit heights (~1 px at 200 px)
# Width multiplier per digit on top of the templates' proportions, so that the median
# width/height of the drawings matches real handwriting (MNIST: 0.9 for "0" and "2",
# 1.0 for "5", 0.7 for "6" and "9", ...); the templates alone came out 25-40 % too narrow.
_WIDTH = {0: 1.6, 1: 1.0, 2: 1.45, 3: 1.33, 4: 1.4, 5: 1.7, 6: 1.35, 7: 1.5, 8: 1.38, 9: 1.37}
_ASPECT_JITTER = 0.3  # log-uniform +-: some people write narrow, some wide
_EDGE_PX = 2.0  # blank margin kept around the ink


# --------------------------------------------------------------------------- curve helpers


def _catmull_rom(ctrl: Sequence[Sequence[float]], step: float = _STEP) -> Points:
    """Centripetal Catmull-Rom spline through ``ctrl`` (no overshoot loops), densely sampled."""
    p = np.asarray(ctrl, dtype=np.float64)
    if len(p) < 2:
        return p.copy()
    # Phantom end points mirror the first/last segment, so the curve reaches both ends.
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = [p[1:2]]
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0), 1e-9) ** 0.5
        t2 = t1 + max(np.linalg.norm(p2 - p1), 1e-9) ** 0.5
        t3 = t2 + max(np.linalg.norm(p3 - p2), 1e-9) ** 0.5
        n = max(2, int(math.ceil(np.linalg.norm(p2 - p1) / step)))
        t = np.linspace(t1, t2, n + 1)[1:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    return np.vstack(out)


def _polyline(ctrl: Sequence[Sequence[float]], step: float = _STEP) -> Points:
    """Straight segments through ``ctrl`` (sharp corners), densely sampled."""
    p = np.asarray(ctrl, dtype=np.float64)
    out = [p[:1]]
    for a, b in zip(p[:-1], p[1:], strict=True):
        n = max(1, int(math.ceil(np.linalg.norm(b - a) / step)))
        t = np.linspace(0.0, 1.0, n + 1)[1:, None]
        out.append(a + t * (b - a))
    return np.vstack(out)


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> list[list[float]]:
    """Control points along an elliptic arc; angles in degrees, 0 = right, 90 = down."""
    n = max(3, int(abs(a1 - a0) / 30) + 1)
    angles = np.radians(np.linspace(a0, a1, n))
    return [[cx + rx * math.cos(a), cy + ry * math.sin(a)] for a in angles]


def _join(*pieces: Points) -> Stroke:
    """One stroke from pieces that share end points (a corner where they meet)."""
    return np.vstack([pieces[0]] + [piece[1:] for piece in pieces[1:]])


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


# --------------------------------------------------------------------------- templates
# Coordinates: x right, y down; the digit spans y = 0 (top) .. 1 (bottom), x ~ -0.3..0.3.
# Each template draws its own proportions, so no two "2"s share a skeleton.


def _zero_ccw(rng: np.random.Generator) -> list[Stroke]:
    # Start at the top, go left (counter-clockwise), overshoot or stop short of the start.
    rx, end = _u(rng, 0.22, 0.36), -450 + _u(rng, -35, 15)
    return [_catmull_rom(_arc(0, 0.5, rx, 0.5, -90 + _u(rng, -15, 15), end))]


def _zero_cw(rng: np.random.Generator) -> list[Stroke]:
    rx, start = _u(rng, 0.2, 0.34), -100 + _u(rng, -15, 15)
    return [_catmull_rom(_arc(0, 0.5, rx, 0.5, start, start + 360 + _u(rng, -20, 25)))]


def _one_plain(rng: np.random.Generator) -> list[Stroke]:
    bow = _u(rng, -0.03, 0.03)
    return [_catmull_rom([[0, 0], [bow, 0.5], [0, 1]])]


def _one_flag(rng: np.random.Generator) -> list[Stroke]:
    flag = [-_u(rng, 0.12, 0.24), _u(rng, 0.1, 0.28)]
    return [_polyline([flag, [0, 0], [0, 1]])]


def _one_flag_base(rng: np.random.Generator) -> list[Stroke]:
    half = _u(rng, 0.12, 0.22)
    return _one_flag(rng) + [_polyline([[-half, 1], [half, 1]])]


def _two_curved(rng: np.random.Generator) -> list[Stroke]:
    # The neck usually bows out towards the lower right (a swan's neck), sometimes it is
    # straight; the base ends under the bowl or runs on past it.
    w, start, bulge = _u(rng, 0.22, 0.3), _u(rng, 0.1, 0.3), _u(rng, -0.02, 0.12)
    bowl = [[-w, start], [-0.12, 0.04], [0.06, 0], [w * 0.9, 0.14], [w * 0.85, 0.35],
            [0.05 + bulge, _u(rng, 0.45, 0.65) + bulge / 2], [-w, 0.98]]  # fmt: skip
    base = [[-w, 0.98], [w + _u(rng, -0.05, 0.15), 0.98 - _u(rng, -0.03, 0.05)]]
    return [_join(_catmull_rom(bowl), _polyline(base))]


def _two_loop(rng: np.random.Generator) -> list[Stroke]:
    w, start, bulge = _u(rng, 0.22, 0.3), _u(rng, 0.1, 0.3), _u(rng, -0.02, 0.1)
    path = [[-w, start], [-0.12, 0.04], [0.06, 0], [w * 0.9, 0.14], [w * 0.85, 0.35],
            [bulge, 0.62], [-w * 0.75, 0.86], [-w * 0.85, 0.97], [-w * 0.55, 0.98],
            [-w * 0.3, 0.9], [-w * 0.2, 0.95], [0.05, 0.99], [w + _u(rng, -0.05, 0.15), 0.97]]  # fmt: skip
    return [_catmull_rom(path)]


def _three_round(rng: np.random.Generator) -> list[Stroke]:
    w, mid = _u(rng, 0.2, 0.28), _u(rng, 0.42, 0.5)
    upper = [[-w, 0.12], [-0.05, 0], [0.15, 0.03], [w, 0.2], [0.13, mid - 0.08], [-0.05, mid]]
    lower = [[-0.05, mid], [0.18, mid + 0.08], [w + 0.02, 0.74], [0.15, 0.94], [-0.05, 1],
             [-w, 0.88]]  # fmt: skip
    return [_join(_catmull_rom(upper), _catmull_rom(lower))]


def _three_flat_top(rng: np.random.Generator) -> list[Stroke]:
    w, mid = _u(rng, 0.2, 0.27), _u(rng, 0.36, 0.45)
    lower = [[-0.02, mid], [0.2, mid + 0.1], [w + 0.02, 0.72], [0.12, 0.95], [-0.08, 1],
             [-w, 0.87]]  # fmt: skip
    return [_join(_polyline([[-w, 0], [w, 0], [-0.02, mid]]), _catmull_rom(lower))]


def _four_open(rng: np.random.Generator) -> list[Stroke]:
    bar, stem = _u(rng, 0.55, 0.7), _u(rng, 0.08, 0.18)
    left = [[-_u(rng, 0.1, 0.2), 0], [-0.25, bar], [0.3, bar]]
    return [_polyline(left), _polyline([[stem, _u(rng, 0.0, 0.2)], [stem, 1]])]


def _four_closed(rng: np.random.Generator) -> list[Stroke]:
    bar, stem = _u(rng, 0.55, 0.7), _u(rng, 0.05, 0.15)
    return [
        _polyline([[stem, 0], [-0.28, bar], [0.3, bar]]),
        _polyline([[stem, 0], [stem, 1]]),
    ]


def _five_two_strokes(rng: np.random.Generator) -> list[Stroke]:
    w, knee = _u(rng, 0.2, 0.27), _u(rng, 0.38, 0.5)
    bowl = [[-0.2, knee], [0.0, knee - 0.06], [0.2, knee + 0.04], [w + 0.02, 0.7],
            [0.15, 0.92], [-0.05, 1], [-w, 0.9]]  # fmt: skip
    body = _join(_polyline([[-0.17, 0], [-0.2, knee]]), _catmull_rom(bowl))
    return [body, _polyline([[-0.17, 0], [w + _u(rng, -0.02, 0.06), 0]])]


def _five_one_stroke(rng: np.random.Generator) -> list[Stroke]:
    w, knee = _u(rng, 0.2, 0.27), _u(rng, 0.38, 0.5)
    bowl = [[-0.2, knee], [0.0, knee - 0.06], [0.2, knee + 0.04], [w + 0.02, 0.7],
            [0.15, 0.92], [-0.05, 1], [-w, 0.9]]  # fmt: skip
    return [_join(_polyline([[w, 0], [-0.17, 0], [-0.2, knee]]), _catmull_rom(bowl))]


def _six_curved(rng: np.random.Generator) -> list[Stroke]:
    loop = _u(rng, 0.5, 0.62)
    path = [[0.18, 0.03], [0.0, 0.1], [-0.17, 0.32], [-0.24, 0.62], [-0.18, 0.88], [0, 1],
            [0.18, 0.9], [0.22, 0.72], [0.1, loop], [-0.1, loop + 0.02], [-0.22, 0.74]]  # fmt: skip
    return [_catmull_rom(path)]


def _six_straight(rng: np.random.Generator) -> list[Stroke]:
    loop = _u(rng, 0.5, 0.62)
    path = [[0.12, 0], [-0.08, 0.35], [-0.2, 0.68], [-0.15, 0.92], [0.02, 1], [0.18, 0.88],
            [0.18, 0.7], [0.05, loop], [-0.12, loop + 0.04], [-0.19, 0.72]]  # fmt: skip
    return [_catmull_rom(path)]


def _seven_plain(rng: np.random.Generator) -> list[Stroke]:
    foot = _u(rng, -0.12, 0.05)
    return [_polyline([[-0.25, 0], [0.25, 0], [foot, 1]])]


def _seven_bar(rng: np.random.Generator) -> list[Stroke]:
    foot = _u(rng, -0.12, 0.0)
    mid_x = 0.5 * (0.25 + foot)
    bar = [[mid_x - _u(rng, 0.12, 0.2), 0.52], [mid_x + _u(rng, 0.1, 0.18), 0.48]]
    return [_polyline([[-0.25, 0], [0.25, 0], [foot, 1]]), _polyline(bar)]


def _seven_curved(rng: np.random.Generator) -> list[Stroke]:
    foot = _u(rng, -0.1, 0.02)
    stem = [[0.25, 0], [0.12, 0.4], [foot, 1]]
    return [_join(_polyline([[-0.25, _u(rng, 0.0, 0.1)], [0.25, 0]]), _catmull_rom(stem))]


def _eight_one_stroke(rng: np.random.Generator) -> list[Stroke]:
    waist = _u(rng, 0.4, 0.5)
    path = [[0.17, 0.1], [0, 0], [-0.17, 0.1], [-0.15, waist - 0.15], [0, waist],
            [0.2, waist + 0.14], [0.22, 0.83], [0, 1], [-0.22, 0.83], [-0.2, waist + 0.14],
            [0, waist], [0.15, waist - 0.15], [0.16, 0.1], [0.04, 0.0]]  # fmt: skip
    return [_catmull_rom(path)]


def _eight_two_loops(rng: np.random.Generator) -> list[Stroke]:
    waist = _u(rng, 0.4, 0.5)
    top = _arc(0, waist / 2, _u(rng, 0.13, 0.2), waist / 2, -90, 270 + _u(rng, -10, 20))
    low = (1 - waist) / 2
    bottom = _arc(0, waist + low, _u(rng, 0.18, 0.26), low, -90, 270 + _u(rng, -10, 20))
    return [_catmull_rom(top), _catmull_rom(bottom)]


def _nine_straight(rng: np.random.Generator) -> list[Stroke]:
    r, head = _u(rng, 0.17, 0.24), _u(rng, 0.2, 0.27)
    loop = _arc(0, head, r, head, -10, -370 + _u(rng, -15, 10))
    end = loop[-1]
    return [_join(_catmull_rom(loop), _polyline([end, [end[0] - _u(rng, 0.0, 0.06), 1]]))]


def _nine_curved(rng: np.random.Generator) -> list[Stroke]:
    # The stem bends left at the foot: from a slight curve to a full hook.
    r, head, hook = _u(rng, 0.17, 0.24), _u(rng, 0.2, 0.27), _u(rng, 0.05, 0.3)
    loop = _arc(0, head, r, head, -10, -370 + _u(rng, -15, 10))
    end = loop[-1]
    stem = [end, [end[0], 0.62], [end[0] - hook * 0.4, 0.92], [end[0] - hook, 1]]
    return [_join(_catmull_rom(loop), _catmull_rom(stem))]


#: Stroke templates per digit, drawn with equal probability.
DIGIT_VARIANTS: dict[int, tuple[Template, ...]] = {
    0: (_zero_ccw, _zero_cw),
    1: (_one_plain, _one_flag, _one_flag_base),
    2: (_two_curved, _two_loop),
    3: (_three_round, _three_flat_top),
    4: (_four_open, _four_closed),
    5: (_five_two_strokes, _five_one_stroke),
    6: (_six_curved, _six_straight),
    7: (_seven_plain, _seven_bar, _seven_curved),
    8: (_eight_one_stroke, _eight_two_loops),
    9: (_nine_straight, _nine_curved),
}


# --------------------------------------------------------------------------- perturbation


def _wobble(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Smooth random warp of the plane (a few long sine waves): the hand's imprecision."""
    amplitude = _u(rng, 0.015, 0.035)
    waves = [
        (rng.normal(size=2) * 2.5, rng.uniform(0, 2 * math.pi), rng.normal(size=2))
        for _ in range(3)
    ]
    out = []
    for s in strokes:
        shift = np.zeros_like(s)
        for freq, phase, direction in waves:
            shift += np.sin(s @ freq + phase)[:, None] * direction
        out.append(s + amplitude * shift / math.sqrt(len(waves)))
    return out


def _affine(strokes: list[Stroke], rng: np.random.Generator, width: float) -> list[Stroke]:
    """Aspect (``width`` times a random factor), slant and rotation about the centre."""
    aspect = width * math.exp(_u(rng, -_ASPECT_JITTER, _ASPECT_JITTER))
    shear = _u(rng, *_SHEAR_RANGE)
    angle = math.radians(float(np.clip(rng.normal(0, 4.0), -_MAX_ROTATION_DEG, _MAX_ROTATION_DEG)))
    cos, sin = math.cos(angle), math.sin(angle)
    # y points down, so x -= shear * y leans the top to the right for shear > 0.
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -shear], [0.0, 1.0]])
    centre = np.vstack(strokes).mean(axis=0)
    return [(s - centre) @ matrix.T for s in strokes]


def _place(strokes: list[Stroke], rng: np.random.Generator, size: int, pen: float) -> list[Stroke]:
    """Scale to a random height and move to a random position where the ink fits."""
    points = np.vstack(strokes)
    lo, hi = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(hi - lo, 1e-6)
    height = _u(rng, *_HEIGHT_RANGE) * size
    # Round caps stick out pen/2 on each side; keep 2 px spare so no ink touches the edge.
    room = size - pen - 2 * _EDGE_PX
    scale = min(height / extent[1], room / extent.max())
    span = extent * scale
    offset = pen / 2 + _EDGE_PX + rng.uniform(0.0, 1.0, size=2) * np.maximum(room - span, 0.0)
    return [(s - lo) * scale + offset for s in strokes]


def _draw(strokes: list[Stroke], size: int, pen: float) -> np.ndarray:
    """White strokes with round caps and joins on black, anti-aliased; (size, size) uint8."""
    k = _SUPERSAMPLE
    image = Image.new("L", (size * k, size * k), 0)
    draw = ImageDraw.Draw(image)
    width = max(1, round(pen * k))
    radius = pen * k / 2
    for s in strokes:
        xy = [(float(x), float(y)) for x, y in s * k]
        if len(xy) > 1:
            draw.line(xy, fill=255, width=width)
        # A round brush stamped at every point: round caps and joins. (PIL's
        # joint="curve" leaves hairline gaps between densely sampled segments.)
        for x, y in xy:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)
    return np.asarray(image.reduce(k))


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def render_digit(
    digit: int,
    rng: np.random.Generator,
    size: int = 280,
    stroke_width: float | None = None,
) -> np.ndarray:
    """One mouse-drawn ``digit`` as the canvas returns it: (size, size, 4) RGBA uint8.

    Opaque black background, white ink. ``stroke_width`` is in pixels of this image;
    by default it is drawn from 8-30 px scaled to ``size``/280.
    """
    _check_digit_and_size(digit, size)
    if stroke_width is None:
        pen = _u(rng, *_PEN_WIDTH_RANGE) * size / _CANVAS_REFERENCE
    else:
        pen = _checked_pen(stroke_width, size)
    paths = digit_paths(digit, rng, size=size, stroke_width=pen)
    ink = _draw(paths, int(size), pen)
    rgba = np.empty((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = ink[..., None]
    rgba[..., 3] = 255  # the canvas paints its background: alpha is opaque everywhere
    return rgba


def digit_paths(
    digit: int, rng: np.random.Generator, size: int = 280, stroke_width: float = 18.0
) -> list[np.ndarray]:
    """The mouse paths of one drawn ``digit``: a list of (n, 2) float arrays of (x, y)
    canvas pixels, one per stroke (mouse-down to mouse-up), points ~1 px apart.

    Placed so that a pen of ``stroke_width`` px keeps the ink inside the canvas. For
    driving a real canvas with a mouse; ``render_digit`` draws exactly these.
    """
    _check_digit_and_size(digit, size)
    pen = _checked_pen(stroke_width, size)
    variants = DIGIT_VARIANTS[int(digit)]
    template = variants[int(rng.integers(len(variants)))]
    paths = _affine(_wobble(template(rng), rng), rng, _WIDTH[int(digit)])
    return _place(paths, rng, int(size), pen)


def _check_digit_and_size(digit: object, size: object) -> None:
    if not _is_int(digit) or not 0 <= digit <= 9:
        raise ValueError(f"digit must be an integer 0..9, got {digit!r}")
    if not _is_int(size) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 px, got {size!r}")


def _checked_pen(stroke_width: object, size: int) -> float:
    try:
        pen = float(stroke_width)
    except (TypeError, ValueError):
        pen = math.nan
    if not (math.isfinite(pen) and 0 < pen < size / 2):
        raise ValueError(f"stroke_width must be a number in (0, size/2), got {stroke_width!r}")
    return pen


def make_drawn_digit_set(
    n_per_class: int, seed: int, size: int = 280
) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` drawings of each digit, shuffled: images (n, size, size, 4) uint8
    and labels (n,) int64. The same seed gives the same set."""
    if not _is_int(n_per_class) or n_per_class < 0:
        raise ValueError(f"n_per_class must be an integer >= 0, got {n_per_class!r}")
    if not _is_int(size) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 px, got {size!r}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(10, dtype=np.int64), int(n_per_class)))
    images = np.empty((labels.size, size, size, 4), dtype=np.uint8)
    for i, digit in enumerate(labels):
        images[i] = render_digit(int(digit), rng, size=size)
    return images, labels


def render_paths(paths: Sequence[np.ndarray], size: int = 280, stroke_width: float = 18.0) -> np.ndarray:
    """Mouse paths (as ``digit_paths`` returns them) drawn as the canvas draws them:
    (size, size, 4) RGBA uint8, white ink with round caps on opaque black."""
    if not _is_int(size) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 px, got {size!r}")
    pen = _checked_pen(stroke_width, size)
    ink = _draw([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in paths], int(size), pen)
    rgba = np.empty((size, size, 4), dtype=np.uint8)
    rgba[..., :3] = ink[..., None]
    rgba[..., 3] = 255
    return rgba


# --------------------------------------------------------------------------- non-digits


def _line(rng: np.random.Generator) -> list[Stroke]:
    # Within 35 degrees of horizontal (an upright line is a "1"); 1 unit long.
    angle = math.radians(_u(rng, -35, 35))
    half = np.array([math.cos(angle), math.sin(angle)]) * 0.5
    return [_polyline([-half, half])]


def _dot(rng: np.random.Generator) -> list[Stroke]:
    # A click, or a jiggle of a few pixels: all the ink comes from the pen.
    n = int(rng.integers(1, 4))
    return [np.cumsum(rng.normal(0.0, 0.004, size=(n, 2)), axis=0)]


def _scribble(rng: np.random.Generator) -> list[Stroke]:
    # A tangle: 10-20 random points in a box, joined by a smooth curve.
    n = int(rng.integers(10, 21))
    points = rng.uniform(-0.5, 0.5, size=(n, 2)) * np.array([_u(rng, 0.6, 1.4), 1.0])
    return [_catmull_rom(points)]


def _blob(rng: np.random.Generator) -> list[Stroke]:
    # A filled, irregular round shape, filled the way a mouse fills it: back and forth
    # (rows 0.04 apart, under the pen's width once placed) inside a random star polygon.
    angles = np.sort(rng.uniform(0.0, 2 * math.pi, size=int(rng.integers(6, 11))))
    radii = rng.uniform(0.35, 0.5, size=angles.size)
    aspect = _u(rng, 0.7, 1.4)
    grid = np.radians(np.arange(0, 360, 2.0))
    radius = np.interp(grid, angles, radii, period=2 * math.pi)
    outline = np.stack([aspect * radius * np.cos(grid), radius * np.sin(grid)], axis=1)
    path = [outline]
    for y in np.arange(-0.48, 0.49, 0.04):
        # Where the row crosses the outline: the leftmost and rightmost crossing.
        near = outline[np.abs(outline[:, 1] - y) < 0.03]
        if len(near) < 2:
            continue
        row = [[near[:, 0].min(), y], [near[:, 0].max(), y]]
        path.append(_polyline(row if len(path) % 2 else row[::-1]))
    return [np.vstack(path)]


#: Drawings that are not digits, by kind.
NON_DIGIT_KINDS: dict[str, Template] = {
    "line": _line,
    "dot": _dot,
    "scribble": _scribble,
    "blob": _blob,
}


def non_digit_paths(
    kind: str, rng: np.random.Generator, size: int = 280, stroke_width: float = 18.0
) -> list[np.ndarray]:
    """Mouse paths of one non-digit drawing of ``kind`` (see ``NON_DIGIT_KINDS``), placed
    like ``digit_paths`` places a digit."""
    if kind not in NON_DIGIT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(NON_DIGIT_KINDS)}, got {kind!r}")
    if not _is_int(size) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 px, got {size!r}")
    pen = _checked_pen(stroke_width, size)
    strokes = _wobble(NON_DIGIT_KINDS[kind](rng), rng)
    if kind == "dot":
        # Placed as is: scaling a dot up to digit size would make a line of it.
        centre = rng.uniform(pen / 2 + _EDGE_PX + 20, size - pen / 2 - _EDGE_PX - 20, size=2)
        return [s * size + centre for s in strokes]
    if kind == "line":
        # Any length from a dash to the whole canvas, anywhere it fits.
        points = np.vstack(strokes)
        room = size - pen - 2 * _EDGE_PX
        length = _u(rng, 0.2, 0.9) * room
        extent = np.maximum(points.max(axis=0) - points.min(axis=0), 1e-6)
        scale = min(length / max(extent), room / max(extent))
        span = extent * scale
        offset = pen / 2 + _EDGE_PX + rng.uniform(0, 1, size=2) * np.maximum(room - span, 0)
        return [(s - points.min(axis=0)) * scale + offset for s in strokes]
    return _place(strokes, rng, int(size), pen)


def render_non_digit(kind: str, rng: np.random.Generator, size: int = 280) -> np.ndarray:
    """One non-digit drawing of ``kind`` as the canvas returns it (RGBA uint8)."""
    pen = _u(rng, *_PEN_WIDTH_RANGE) * size / _CANVAS_REFERENCE
    if kind == "blob":  # a fill needs its rows to overlap
        pen = max(pen, 14.0 * size / _CANVAS_REFERENCE)
    return render_paths(non_digit_paths(kind, rng, size=size, stroke_width=pen), size, pen)


def make_non_digit_set(
    n_per_kind: int, seed: int, size: int = 280
) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_kind`` drawings of each non-digit kind, shuffled: images (n, size, size, 4)
    uint8 and kinds (n,) str. The same seed gives the same set."""
    if not _is_int(n_per_kind) or n_per_kind < 0:
        raise ValueError(f"n_per_kind must be an integer >= 0, got {n_per_kind!r}")
    rng = np.random.default_rng(seed)
    kinds = rng.permutation(np.repeat(np.array(list(NON_DIGIT_KINDS)), int(n_per_kind)))
    images = np.empty((kinds.size, size, size, 4), dtype=np.uint8)
    for i, kind in enumerate(kinds):
        images[i] = render_non_digit(str(kind), rng, size=size)
    return images, kinds


# --------------------------------------------------------------------------- unusual styles


def _seven_hook_bar(rng: np.random.Generator) -> list[Stroke]:
    # The top starts with a hook dropping from its left end (a serif pulled down), then
    # the bar across the stem: the continental 7.
    hook = _u(rng, 0.2, 0.32)
    foot = _u(rng, -0.12, 0.0)
    top = _join(
        _catmull_rom([[-0.25, hook], [-0.27, hook * 0.4], [-0.2, 0.0]]),
        _polyline([[-0.2, 0.0], [0.25, 0.0], [foot, 1.0]]),
    )
    mid_x = 0.5 * (0.25 + foot)
    bar = [[mid_x - _u(rng, 0.16, 0.22), 0.5], [mid_x + _u(rng, 0.14, 0.2), 0.5]]
    return [top, _polyline(bar)]


def _one_long_flag(rng: np.random.Generator) -> list[Stroke]:
    # The flag reaches halfway down, and a wide base: the continental 1.
    flag = [-_u(rng, 0.3, 0.4), _u(rng, 0.4, 0.55)]
    half = _u(rng, 0.25, 0.32)
    return [_polyline([flag, [0, 0], [0, 1]]), _polyline([[-half, 1], [half, 1]])]


def _zero_slashed(rng: np.random.Generator) -> list[Stroke]:
    # An oval and a slash through it, corner to corner: a programmer's zero.
    rx = _u(rng, 0.24, 0.32)
    ring = _catmull_rom(_arc(0, 0.5, rx, 0.5, -90 + _u(rng, -15, 15), 270 + _u(rng, -10, 10)))
    slash = [[-rx - _u(rng, 0.0, 0.06), _u(rng, 0.85, 0.95)], [rx + _u(rng, 0.0, 0.06), _u(rng, 0.05, 0.15)]]
    return [ring, _polyline(slash)]


def _nine_g_tail(rng: np.random.Generator) -> list[Stroke]:
    # A 9 whose stem curls back up to the left at the foot, like a "g".
    r, head = _u(rng, 0.18, 0.22), _u(rng, 0.2, 0.24)
    loop = _arc(0, head, r, head, -10, -370 + _u(rng, -10, 10))
    end = loop[-1]
    tail = [end, [end[0], 0.75], [end[0] - 0.1, 0.98], [end[0] - _u(rng, 0.25, 0.35), 1.0],
            [end[0] - _u(rng, 0.35, 0.45), _u(rng, 0.8, 0.9)]]  # fmt: skip
    return [_join(_catmull_rom(loop), _catmull_rom(tail))]


#: Digits written in styles the stroke templates never use: ``(digit, template)``.
#: The default Draw model reads the slashed zero and the g-tailed nine wrong most of the
#: time (as 8, and as 3, 8 or 9), the other two mostly right.
UNUSUAL_STYLES: dict[str, tuple[int, Template]] = {
    "0-slashed": (0, _zero_slashed),
    "9-g-tail": (9, _nine_g_tail),
    "7-hook-bar": (7, _seven_hook_bar),
    "1-long-flag": (1, _one_long_flag),
}


def unusual_digit_paths(
    style: str, rng: np.random.Generator, size: int = 280, stroke_width: float = 18.0
) -> list[np.ndarray]:
    """Mouse paths of one digit in an unusual ``style`` (see ``UNUSUAL_STYLES``), with
    the same wobble, slant and placement as ``digit_paths``."""
    if style not in UNUSUAL_STYLES:
        raise ValueError(f"style must be one of {', '.join(UNUSUAL_STYLES)}, got {style!r}")
    if not _is_int(size) or size < 8:
        raise ValueError(f"size must be an integer of at least 8 px, got {size!r}")
    pen = _checked_pen(stroke_width, size)
    digit, template = UNUSUAL_STYLES[style]
    paths = _affine(_wobble(template(rng), rng), rng, _WIDTH[digit])
    return _place(paths, rng, int(size), pen)
