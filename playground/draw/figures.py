"""Pure Plotly figure builders for Draw's "why this answer": arrays in, ``go.Figure`` out.

Same conventions as ``playground.common.figures`` (and its helpers): images in grey
(white ink on black), signed quantities on the app's diverging scale centred at 0, blue
up (positive), orange down (negative).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.common.figures import (
    DIVERGING,
    GREYS,
    HIGHLIGHT,
    MARGIN,
    MUTED,
    NEGATIVE,
    NEGATIVE_NAME,
    POSITIVE,
    POSITIVE_NAME,
    class_share_bars,
    rgba,
    square_image_axes,
    symmetric_limit,
)
from playground.common.i18n import _

#: The push's legend in words: the app's sign colours.
PUSH_LEGEND = f"{POSITIVE_NAME} up, {NEGATIVE_NAME} down"


def push_legend() -> str:
    """:data:`PUSH_LEGEND` in the tab's language."""
    return _("{positive} up, {negative} down").format(positive=_(POSITIVE_NAME),
                                                      negative=_(NEGATIVE_NAME))

# The app's sign colours, see-through at 0 so the drawing shows beneath: the positive
# colour where the pixel pushed the score up, the negative one where it pushed it down.
_OVERLAY = [
    [0.0, rgba(NEGATIVE, 0.95)],
    [0.35, rgba(NEGATIVE, 0.6)],
    [0.5, rgba("#ffffff", 0.0)],
    [0.65, rgba(POSITIVE, 0.6)],
    [1.0, rgba(POSITIVE, 0.95)],
]


def attribution_overlay(
    image: np.ndarray, attribution: np.ndarray, class_name: str, is_answer: bool = True
) -> go.Figure:
    """What the network sees (grey) with gradient x input on top: blue pixels pushed
    ``class_name``'s score up, orange ones pushed it down."""
    image = np.asarray(image, dtype=np.float32)
    attribution = np.asarray(attribution, dtype=np.float32)
    if image.ndim != 2 or attribution.shape != image.shape:
        raise ValueError(f"image {image.shape} and attribution {attribution.shape} must be one 2-D shape")
    limit = symmetric_limit(attribution)
    small = image.shape[0] <= 16
    fig = go.Figure(
        [
            go.Heatmap(z=image, colorscale=GREYS, zmin=0.0, zmax=1.0, showscale=False,
                       xgap=1 if small else 0, ygap=1 if small else 0, hoverinfo="skip"),
            go.Heatmap(
                z=attribution, colorscale=_OVERLAY, zmin=-limit, zmax=limit, zmid=0.0,
                xgap=1 if small else 0, ygap=1 if small else 0,
                colorbar={"title": {"text": _("push")}, "thickness": 10, "tickformat": ".2f"},
                hovertemplate=_("row %{y}, column %{x}<br>pushed the score by %{z:+.3f}")
                + "<extra></extra>",
            ),
        ]
    )
    why = (_("Why {class_name}?") if is_answer else _("Why not {class_name}?")).format(
        class_name=class_name)
    return _draw_image_panel(fig, f"{why} {push_legend().capitalize()}")


def unit_tiles(
    units: Sequence[tuple[int, float, float, np.ndarray]], class_name: str
) -> go.Figure:
    """The hidden units that add most to ``class_name``'s score, each as its incoming
    weights (the pattern it responds to), titled with its activation and contribution.

    ``units``: ``(unit, activation, contribution, weight image)`` as ``drawing.explain``
    gives them. All tiles share one diverging scale.
    """
    if not units:
        raise ValueError("no hidden units to show")
    images = [np.asarray(u[3], dtype=np.float32) for u in units]
    limit = symmetric_limit(np.stack(images))
    n = len(units)
    gap = 0.02
    width = (1.0 - gap * (n - 1)) / n
    data, layout = [], {"annotations": []}
    for i, ((unit, activation, contribution, _unused), tile) in enumerate(zip(units, images, strict=True)):
        suffix = "" if i == 0 else str(i + 1)
        x0 = i * (width + gap)
        layout[f"xaxis{suffix}"] = {"domain": [x0, x0 + width], "anchor": f"y{suffix}",
                                    "showticklabels": False, "showgrid": False, "zeroline": False,
                                    "ticks": ""}
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "autorange": "reversed",
                                    "showticklabels": False, "showgrid": False, "zeroline": False,
                                    "ticks": "", "scaleanchor": f"x{suffix}"}
        data.append({
            "type": "heatmap", "z": tile, "colorscale": DIVERGING, "zmin": -limit, "zmax": limit,
            "zmid": 0.0, "showscale": False, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
            "hovertemplate": _("unit {unit}<br>weight %{{z:.3f}}").format(unit=unit)
            + "<extra></extra>",
        })
        layout["annotations"].append({
            "text": _("unit {unit}<br>active {activation:.2f}<br>{contribution:+.2f}").format(
                unit=unit, activation=activation, contribution=contribution),
            "x": x0 + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
            "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 11},
        })
    layout.update(
        height=190,
        margin={**MARGIN, "t": 95},
        title={"text": _("Hidden units adding most to {class_name}").format(class_name=class_name), "y": 0.97, "yanchor": "top"},
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return go.Figure({"data": data, "layout": layout})


def probability_bars(
    probabilities: Sequence[float] | None,
    class_names: Sequence[str] | None = None,
) -> go.Figure:
    """The network's probability for every class; the most likely class is highlighted.

    ``probabilities=None`` (blank canvas) gives an empty chart with the same axes.
    """
    if class_names is None:
        n = 10 if probabilities is None else len(probabilities)
        class_names = [str(i) for i in range(n)]
    names = [str(c) for c in class_names]
    probs = np.zeros(len(names)) if probabilities is None else np.asarray(probabilities, float)
    if probs.shape != (len(names),):
        raise ValueError(f"{probs.size} probabilities for {len(names)} classes")
    colours = [MUTED] * len(names)
    if probabilities is not None:
        colours[int(np.argmax(probs))] = HIGHLIGHT
    fig = class_share_bars(names, probs, colours, [f"{p:.0%}" if p >= 0.01 else "" for p in probs],
                           x_title=_("class"), y_title=_("probability"))
    fig.update_layout(height=260, margin=MARGIN, title={"text": _("Probabilities")},
                      showlegend=False)
    return fig


def input_image(
    image: np.ndarray | None,
    title: str | None = None,
    blank_shape: tuple[int, int] | None = None,
) -> go.Figure:
    """A small grey image (8x8 or 28x28, values 0..1), enlarged with visible pixels.

    ``image=None`` (nothing drawn yet) shows an all-black image of ``blank_shape``, the
    shape the network reads: a blank 28x28 model must not show an 8x8 grid.
    """
    title = _("What the network sees") if title is None else title
    if image is None:
        if blank_shape is None:
            raise ValueError("a blank input image needs the shape the network reads")
        image = np.zeros(tuple(blank_shape), dtype=np.float32)
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"an input image must be 2-D, got shape {image.shape}")
    fig = go.Figure(
        go.Heatmap(
            z=image,
            colorscale=GREYS,
            zmin=0.0,
            zmax=1.0,
            showscale=False,
            xgap=1 if image.shape[1] <= 16 else 0,
            ygap=1 if image.shape[0] <= 16 else 0,
            hovertemplate=_("row %{y}, column %{x}<br>value %{z:.2f}") + "<extra></extra>",
        )
    )
    return _draw_image_panel(fig, f"{title} ({image.shape[0]}×{image.shape[1]})")


def _draw_image_panel(fig: go.Figure, title: str) -> go.Figure:
    """The Draw page's image panels (the input, the push overlay): square pixels on dark
    grey, 260 px high, so the two sit level side by side."""
    square_image_axes(fig)
    fig.update_layout(height=260, margin=MARGIN, title={"text": title}, plot_bgcolor="#333333")
    return fig


