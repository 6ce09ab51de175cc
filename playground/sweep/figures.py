"""The Sweep page's figures: the results heatmap and parallel coordinates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from playground.common.figures import (
    MARGIN,
)
from playground.common.i18n import _


def sweep_heatmap(
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    z: Sequence[Sequence[float | None]],
    text: Sequence[Sequence[str]],
    x_title: str,
    y_title: str,
    title: str = _("Validation accuracy"),
) -> go.Figure:
    """A sweep's grid: one cell per pair of settings, coloured by accuracy in percent
    (0-100, so colours mean the same as cells fill in), blank until its run is in."""
    # Plain lists with None (gaps), not arrays: small, and readable in the browser as is.
    values = [[None if v is None or not math.isfinite(v) else float(v) for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=list(x_labels),
            y=list(y_labels),
            zmin=0,
            zmax=100,
            colorscale="Viridis",
            text=[list(row) for row in text],
            texttemplate="%{text}",
            hovertemplate=f"{x_title} %{{x}}, {y_title} %{{y}}: %{{z:.1f}}%<extra></extra>",
            colorbar={"title": {"text": "%"}, "thickness": 12},
            xgap=2,
            ygap=2,
        )
    )
    fig.update_xaxes(title_text=x_title, type="category", side="bottom")
    fig.update_yaxes(title_text=y_title, type="category")
    fig.update_layout(
        height=max(260, 60 * len(y_labels) + 120), margin=MARGIN, title={"text": title},
        uirevision="sweep",
    )
    return fig


def sweep_parallel(dimensions: Sequence[Mapping], colour: Sequence[float]) -> go.Figure:
    """Parallel coordinates of a sweep: one line per run through each setting's axis
    to its accuracy, coloured by that accuracy (0-100 %)."""
    fig = go.Figure(
        go.Parcoords(
            dimensions=[dict(d) for d in dimensions],
            # No colour bar: the last axis is the accuracy, with its own scale.
            line={"color": list(colour), "colorscale": "Viridis", "cmin": 0, "cmax": 100},
        )
    )
    fig.update_layout(height=340, margin={"l": 60, "r": 60, "t": 90, "b": 20},
                      title={"text": _("Every run: settings → validation accuracy")})
    return fig


