"""What the Boundaries page draws, as plain data: the payload of its canvas component.

The live panel is one custom component (``playground/canvas.js``, mounted by
``playground/boundary_component.py``) that keeps its canvases and redraws them in
place, a few milliseconds a frame. Plotly charts were tried first and measured: in
Streamlit 1.67 a chart whose figure changes gets a new element id (the id hashes the
figure), so the browser builds it from scratch every frame; four of them cost 230-295
ms of the browser's time per frame, under 4 frames a second on this 2-core machine.

Everything here is pure (NumPy in, JSON-able dicts out) and unit-tested. Grids travel
as base64 bytes: probabilities as ``round(255 p)``, unit outputs in [-1, 1] as
``round(127.5 (v + 1))``; :func:`decode_grid` reads them back (tests use it).

Colours follow the app's one convention (``playground.common.figures``: TensorFlow
Playground's): blue for positive values and class 1, orange for negative values and
class 0, white for 0 (or an even chance); a third class is green. The payload carries
every colour that means something (signs, classes, counts, curves), so ``canvas.js``
holds no copy of the convention; its only own colours are the greys of frames and ink.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from playground.common.figures import NEGATIVE, POSITIVE, TRAIN_COLOUR, VAL_COLOUR
from playground.common.i18n import FONT_FAMILY, _

ORANGE = NEGATIVE
BLUE = POSITIVE
GREEN = "#2ca02c"
CLASS_COLOURS = (ORANGE, BLUE, GREEN)
#: What the canvas colours by: the signs of weights and unit outputs, the confusion
#: matrix's counts (shades of the positive end), the train and test curves.
PALETTE = {"positive": POSITIVE, "negative": NEGATIVE, "count": POSITIVE,
           "train": TRAIN_COLOUR, "test": VAL_COLOUR}


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=np.uint8).tobytes()).decode()


def encode_probabilities(p: np.ndarray) -> str:
    """Probabilities in [0, 1] as base64 bytes ``round(255 p)``, in C order."""
    return _b64(np.rint(np.clip(np.nan_to_num(p, nan=0.5), 0.0, 1.0) * 255.0))


def encode_signed(v: np.ndarray) -> str:
    """Values in [-1, 1] as base64 bytes ``round(127.5 (v + 1))``, in C order."""
    return _b64(np.rint((np.clip(np.nan_to_num(v), -1.0, 1.0) + 1.0) * 127.5))


def decode_grid(text: str, shape: Sequence[int], signed: bool = False) -> np.ndarray:
    """The inverse of :func:`encode_probabilities` (or :func:`encode_signed`)."""
    raw = np.frombuffer(base64.b64decode(text), dtype=np.uint8).astype(np.float64)
    values = raw / 127.5 - 1.0 if signed else raw / 255.0
    return values.reshape(tuple(shape))


def unit_scale(values: np.ndarray, kind: str) -> tuple[np.ndarray, float]:
    """A unit's map brought into [-1, 1] for the diverging colours, and the factor it was
    divided by: bounded outputs (tanh, sigmoid, the scaled features) as they are,
    unbounded ones (ReLU, linear) divided by their largest size over the plane."""
    if kind == "output":
        return values, 1.0
    finite = values[np.isfinite(values)]
    limit = float(np.abs(finite).max()) if finite.size else 0.0
    if limit > 1.0:
        return values / limit, limit
    return values, 1.0


def boundary_payload(proba: np.ndarray, discretize: bool = False) -> dict[str, Any]:
    """The boundary: class probabilities ``(n, n, K)`` over the plane (row ``i`` at
    ``x2 = axis[i]``, bottom to top; column ``j`` at ``x1 = axis[j]``)."""
    proba = np.asarray(proba)
    n, _, k = proba.shape
    return {"n": int(n), "k": int(k), "proba": encode_probabilities(proba),
            "discretize": bool(discretize)}


def points_payload(X: np.ndarray, y: np.ndarray) -> list[list[float]]:
    """Points as ``[x1, x2, class]`` rows (coordinates to 2 decimals: a tenth of a pixel)."""
    return [[round(float(a), 2), round(float(b), 2), int(c)]
            for (a, b), c in zip(np.asarray(X), np.asarray(y), strict=True)]


def network_payload(
    maps: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    names: Sequence[Sequence[str]],
    formulas: Sequence[Sequence[str]],
    titles: Sequence[str],
) -> dict[str, Any]:
    """The network diagram: column ``c`` (inputs, hidden layers, outputs) has one tile
    per unit, ``maps[c][:, :, j]`` over a ``g x g`` grid of the plane; ``weights[c]``
    links column ``c`` to ``c + 1``. Each unit carries its name and formula (hover)."""
    columns = []
    last = len(maps) - 1
    for c, m in enumerate(maps):
        kind = "input" if c == 0 else "output" if c == last else "hidden"
        units = []
        for j in range(m.shape[2]):
            values = m[:, :, j]
            scaled, factor = unit_scale(values, kind)
            finite = values[np.isfinite(values)]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
            units.append({
                "name": names[c][j],
                "formula": formulas[c][j],
                "range": [round(low, 3), round(high, 3)],
                "scaled": round(factor, 3),
                "map": encode_probabilities(values) if kind == "output" else encode_signed(scaled),
            })
        columns.append({"title": titles[c], "kind": kind, "units": units})
    return {
        "g": int(maps[0].shape[0]),
        "columns": columns,
        "weights": [np.round(np.asarray(w, dtype=np.float64), 3).tolist() for w in weights],
    }


def curves_payload(history: Mapping[str, Sequence[float]]) -> dict[str, list]:
    """Per-epoch train and test loss and accuracy (non-finite values as None)."""

    def clean(values: Sequence[float]) -> list:
        return [round(float(v), 5) if math.isfinite(v) else None for v in values]

    return {
        "epoch": [int(e) for e in history.get("epoch", [])],
        **{key: clean(history.get(key, [])) for key in
           ("loss", "val_loss", "accuracy", "val_accuracy")},
    }


def canvas_words() -> dict[str, str]:
    """The panel's own words in the tab's language (``canvas.js`` fills ``{name}``)."""
    return {
        "class": _("class {i}"), "test_points": _("test points"), "units": _("{title}: {n} units"),
        "scaled": _("(colours scaled by 1/{n})"), "plane": _("over the plane: {low} to {high}"),
        "loss": _("loss"), "accuracy": _("accuracy"), "train": _("train"), "test": _("test"),
        "epoch": _("epoch"), "predicted": _("predicted {j}"), "true": _("true {i}"),
        "confusion": _("Confusion matrix (test points)"),
        "net_label": _("The network: each unit's output over the plane, and the weights between units"),
        "boundary_label": _("The decision boundary with the points"),
        "curves_label": _("Train and test loss and accuracy per epoch"),
        "font": FONT_FAMILY,
    }


def frame_payload(
    *,
    frame: int,
    title: str,
    proba: np.ndarray,
    discretize: bool,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray] | None,
    network: dict[str, Any],
    history: Mapping[str, Sequence[float]],
    confusion: np.ndarray,
    domain: float,
) -> dict[str, Any]:
    """Everything one frame of the live panel draws."""
    k = int(np.asarray(proba).shape[-1])
    return {
        "frame": int(frame),
        "title": title,
        "domain": float(domain),
        "colours": list(CLASS_COLOURS[:k]),
        "palette": dict(PALETTE),
        "boundary": boundary_payload(proba, discretize),
        "train": points_payload(*train),
        "test": None if test is None else points_payload(*test),
        "network": network,
        "curves": curves_payload(history),
        "words": canvas_words(),
        "confusion": np.asarray(confusion, dtype=np.int64).tolist(),
    }
