"""The Inspect page's figures: confusion matrix and per-class accuracy (the gallery of
mistakes is HTML: ``playground.inspect.gallery``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.common.figures import HIGHLIGHT, MARGIN, TRAIN_COLOUR, class_share_bars
from playground.common.i18n import _


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
            hovertemplate=_("true %{y}, predicted %{x}: %{z}") + "<extra></extra>",
            colorbar={"title": {"text": _("images")}, "thickness": 12},
        )
    )
    fig.update_xaxes(title_text=_("predicted class"), type="category", side="bottom")
    fig.update_yaxes(title_text=_("true class"), type="category", autorange="reversed")
    fig.update_layout(
        height=460, margin=MARGIN, title={"text": _("Confusion matrix (test set)")}
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
    fig = class_share_bars(names, acc, colours,
                           [f"{a:.0%}" if np.isfinite(a) else "n/a" for a in acc],
                           x_title=_("true class"), y_title=_("accuracy"))
    fig.update_layout(height=300, margin=MARGIN, title={"text": _("Accuracy per class")})
    return fig
