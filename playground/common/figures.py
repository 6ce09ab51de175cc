"""Pure Plotly figure builders: NumPy arrays (or lists) in, ``go.Figure`` out.

No Streamlit and no engine in here, so every builder is unit-tested on plain arrays.
Colours: weights use a diverging scale centred at 0 (blue negative, red positive);
images use grey (black background, white ink, like the canvas).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

DIVERGING = "RdBu_r"


GREYS = [[0.0, "#000000"], [1.0, "#ffffff"]]


TRAIN_COLOUR = "#1f77b4"


VAL_COLOUR = "#ff7f0e"


HIGHLIGHT = "#e4572e"


MUTED = "#9aa5b1"


RUN_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def symmetric_limit(values: np.ndarray) -> float:
    """Largest absolute finite value (at least a tiny positive number)."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 1e-6
    return float(max(finite.max(), 1e-6))


def square_image_axes(fig: go.Figure, row: int | None = None, col: int | None = None) -> None:
    """Hide ticks, put row 0 at the top and keep pixels square."""
    kwargs = {} if row is None else {"row": row, "col": col}
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="", **kwargs)
    fig.update_yaxes(
        showticklabels=False,
        showgrid=False,
        zeroline=False,
        ticks="",
        autorange="reversed",
        scaleanchor="x" if row is None else None,
        **kwargs,
    )


def two_panels(
    traces: Sequence[tuple[int, dict]],
    titles: tuple[str, str],
    layout: dict,
) -> go.Figure:
    """Two side-by-side panels from plain dicts, ``traces`` as ``(panel 1 or 2, trace)``.

    The live charts are rebuilt every frame of a run: one ``go.Figure`` from plain
    dicts is cheaper than ``make_subplots`` plus an ``add_trace`` per line. Plotly
    validates it (its only public constructor does; skipping that needs a private
    keyword, which this project does not use).
    """
    axes = {1: ("x", "y"), 2: ("x2", "y2")}
    data = [{**trace, "xaxis": axes[panel][0], "yaxis": axes[panel][1]} for panel, trace in traces]
    base = {
        "xaxis": {"domain": [0.0, 0.45], "anchor": "y"},
        "yaxis": {"anchor": "x"},
        "xaxis2": {"domain": [0.55, 1.0], "anchor": "y2"},
        "yaxis2": {"anchor": "x2"},
        "annotations": [
            {"text": text, "x": x, "y": 1.0, "xref": "paper", "yref": "paper",
             "xanchor": "center", "yanchor": "bottom", "showarrow": False,
             "font": {"size": 16}}
            for text, x in zip(titles, (0.225, 0.775), strict=True)
        ],
    }
    for name, value in layout.items():
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            base[name] = {**base[name], **value}
        elif name == "annotations":
            base[name] = base[name] + list(value)
        else:
            base[name] = value
    return go.Figure({"data": data, "layout": base})


