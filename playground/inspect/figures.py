"""The Inspect page's figures: confusion matrix, per-class accuracy and the misclassified gallery."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.common.figures import (
    GREYS,
    HIGHLIGHT,
    MARGIN,
    TRAIN_COLOUR,
)


def confusion_matrix(cm: np.ndarray, class_names: Sequence[str] | None = None) -> go.Figure:
    """Counts of (true class, predicted class) on the test set, with the counts written in."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix must be square, got shape {cm.shape}")
    names = [str(c) for c in (class_names or range(cm.shape[0]))]
    fig = go.Figure(
        go.Heatmap(
            z=cm,
            x=names,
            y=names,
            colorscale="Blues",
            text=np.where(cm > 0, cm.astype(str), ""),  # zeros left blank: mistakes stand out
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
            colorbar={"title": {"text": "images"}, "thickness": 12},
        )
    )
    fig.update_xaxes(title_text="predicted class", type="category", side="bottom")
    fig.update_yaxes(title_text="true class", type="category", autorange="reversed")
    fig.update_layout(
        height=460, margin=MARGIN, title={"text": "Confusion matrix (test set)"}
    )
    return fig


def per_class_accuracy(
    accuracy: Sequence[float], class_names: Sequence[str] | None = None
) -> go.Figure:
    """Accuracy for each true class; the weakest class is highlighted."""
    acc = np.asarray(accuracy, dtype=float)
    names = [str(c) for c in (class_names or range(acc.size))]
    if acc.size != len(names):
        raise ValueError(f"{acc.size} accuracies for {len(names)} classes")
    colours = [TRAIN_COLOUR] * acc.size
    finite = np.where(np.isfinite(acc), acc, np.inf)
    if acc.size and np.isfinite(finite).any():
        colours[int(np.argmin(finite))] = HIGHLIGHT
    fig = go.Figure(
        go.Bar(
            x=names,
            y=acc,
            marker_color=colours,
            text=[f"{a:.0%}" if np.isfinite(a) else "n/a" for a in acc],
            textposition="outside",
            hovertemplate="class %{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="true class", type="category")
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%", title_text="accuracy")
    fig.update_layout(height=300, margin=MARGIN, title={"text": "Accuracy per class"})
    return fig


def misclassified_gallery(
    images: np.ndarray,
    true_labels: Sequence[int],
    predicted: Sequence[int],
    confidence: Sequence[float],
    class_names: Sequence[str] | None = None,
    cols: int = 8,
) -> go.Figure:
    """Small grey images titled ``true 3 → 8 (92%)``."""
    images = np.asarray(images, dtype=np.float32)
    n = images.shape[0]
    if not (len(true_labels) == len(predicted) == len(confidence) == n):
        raise ValueError("images, labels, predictions and confidences must have one entry each")
    names = [str(c) for c in (class_names or range(10))]
    if n == 0:
        fig = go.Figure()
        fig.add_annotation(text="No misclassified test images", showarrow=False, font={"size": 16})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(height=120, margin=MARGIN)
        return fig
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    titles = [
        f"true {names[int(t)]} → {names[int(p)]} ({c:.0%})"
        for t, p, c in zip(true_labels, predicted, confidence, strict=True)
    ]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=0.02,
        vertical_spacing=min(0.3 / rows, 0.12),
    )
    for i in range(n):
        r, c = divmod(i, cols)
        fig.add_trace(
            go.Heatmap(
                z=images[i],
                coloraxis="coloraxis",
                hovertemplate=titles[i] + "<extra></extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="",
                     autorange="reversed")
    for i in range(n):  # square pixels in every tile
        suffix = "" if i == 0 else str(i + 1)
        fig.layout[f"yaxis{suffix}"].update(scaleanchor=f"x{suffix}", constrain="domain")
        fig.layout[f"xaxis{suffix}"].update(constrain="domain")
    fig.update_annotations(font_size=11)
    fig.update_layout(
        coloraxis={"colorscale": GREYS, "cmin": 0.0, "cmax": 1.0, "showscale": False},
        height=60 + rows * 135,
        margin={**MARGIN, "t": 30},
    )
    return fig


