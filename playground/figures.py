"""Pure Plotly figure builders: NumPy arrays (or lists) in, ``go.Figure`` out.

No Streamlit and no engine in here, so every builder is unit-tested on plain arrays.
Colours: weights use a diverging scale centred at 0 (blue negative, red positive);
images use grey (black background, white ink, like the canvas).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def _symmetric_limit(values: np.ndarray) -> float:
    """Largest absolute finite value (at least a tiny positive number)."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 1e-6
    return float(max(finite.max(), 1e-6))


def _square_image_axes(fig: go.Figure, row: int | None = None, col: int | None = None) -> None:
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


# --------------------------------------------------------------------------- training


def _two_panels(
    traces: Sequence[tuple[int, dict]],
    titles: tuple[str, str],
    layout: dict,
) -> go.Figure:
    """Two side-by-side panels from plain dicts, ``traces`` as ``(panel 1 or 2, trace)``.

    The live charts are rebuilt every frame of a run, and ``make_subplots`` plus
    validated ``add_trace`` calls cost about 12 ms a figure; built from dicts and
    checked once by Plotly's schema-free constructor, it is under 1 ms. Same figure.
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
    return go.Figure({"data": data, "layout": base}, skip_invalid=False, _validate=False)


def training_curves(
    history: Mapping[str, Sequence[float]],
    total_epochs: int | None = None,
    title: str | None = None,
    lr_marks: Sequence[tuple[float, float]] = (),
) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch, training and validation.

    ``history`` holds lists ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``
    (missing or empty lists are skipped). ``total_epochs`` fixes the x range so the
    curves grow into the plot while a run is going. ``lr_marks`` are learning-rate
    changes ``(x, new value)`` with ``x`` in epochs (2.5: halfway through epoch 3),
    drawn on the loss panel as dashed lines labelled with the new rate.
    """
    series = (
        ("loss", "train loss", TRAIN_COLOUR, 1),
        ("val_loss", "validation loss", VAL_COLOUR, 1),
        ("accuracy", "train accuracy", TRAIN_COLOUR, 2),
        ("val_accuracy", "validation accuracy", VAL_COLOUR, 2),
    )
    traces = []
    for key, name, colour, panel in series:
        # Empty series still get a trace, so both panels and the legend show from the start.
        values = [float(v) for v in (history.get(key) or [])]
        traces.append((panel, {
            "type": "scatter",
            "x": list(range(1, len(values) + 1)),
            "y": values,
            "mode": "lines+markers" if len(values) < 40 else "lines",
            "name": name,
            "legendgroup": "val" if key.startswith("val") else "train",
            "line": {"color": colour, "dash": "dot" if key.startswith("val") else "solid"},
            "marker": {"size": 4},
            "hovertemplate": f"epoch %{{x}}<br>{name} %{{y:.4f}}<extra></extra>",
        }))
    shapes = [
        {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
         "line": {"color": MUTED, "dash": "dash", "width": 1}}
        for x, _ in lr_marks
    ]
    marks = [
        {"text": f"lr {value:g}", "x": x, "xref": "x", "y": 1, "yref": "y domain",
         "yanchor": "bottom", "showarrow": False, "font": {"size": 10, "color": MUTED}}
        for x, value in lr_marks
    ]
    n_done = max((len(history.get(k) or []) for k in ("loss", "val_loss")), default=0)
    x_range = [0.5, max(total_epochs or 0, n_done, 1) + 0.5]
    # Short panel titles: two long ones overlap on a phone-sized screen.
    return _two_panels(traces, ("Loss ↓", "Accuracy ↑"), {
        "xaxis": {"title": {"text": "epoch"}, "range": x_range},
        "xaxis2": {"title": {"text": "epoch"}, "range": x_range},
        "yaxis": {"rangemode": "tozero"},
        "yaxis2": {"range": [0, 1.02], "tickformat": ".0%"},
        "shapes": shapes,
        "annotations": marks,
        "height": 320,
        "margin": {**_MARGIN, "t": 50},
        "legend": {"orientation": "h", "y": -0.25},
        "uirevision": "curves",
        **({"title": {"text": title}} if title else {}),
    })


def weight_tiles(
    weights: np.ndarray,
    image_shape: tuple[int, int],
    max_tiles: int = 64,
    title: str | None = None,
) -> go.Figure:
    """Each first-layer hidden unit's incoming weights drawn as an image tile.

    ``weights`` is the first weight matrix, shape ``(n_inputs, n_hidden)`` with
    ``n_inputs == prod(image_shape)``. Tiles are laid out in a near-square grid,
    separated by one empty pixel, on one diverging colour scale centred at 0.
    Only the first ``max_tiles`` units are drawn.
    """
    weights = np.asarray(weights, dtype=np.float32)
    h, w = (int(s) for s in image_shape)
    if weights.ndim != 2 or weights.shape[0] != h * w:
        raise ValueError(
            f"first-layer weights of shape {weights.shape} do not match images of {h}x{w}"
        )
    n = min(weights.shape[1], max_tiles)
    if n < 1:
        raise ValueError("there are no hidden units to draw")
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    mosaic = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan, dtype=np.float32)
    unit = np.full(mosaic.shape, -1, dtype=np.int32)
    for j in range(n):
        r, c = divmod(j, cols)
        top, left = r * (h + 1), c * (w + 1)
        mosaic[top : top + h, left : left + w] = weights[:, j].reshape(h, w)
        unit[top : top + h, left : left + w] = j + 1
    limit = _symmetric_limit(weights[:, :n])
    fig = go.Figure(
        go.Heatmap(
            z=mosaic,
            customdata=unit,
            colorscale=DIVERGING,
            zmin=-limit,
            zmax=limit,
            zmid=0.0,
            hoverongaps=False,
            hovertemplate="hidden unit %{customdata}<br>weight %{z:.3f}<extra></extra>",
            colorbar={"title": {"text": "weight"}, "thickness": 12},
        )
    )
    _square_image_axes(fig)
    shown = f"first {n} of {weights.shape[1]}" if n < weights.shape[1] else f"all {n}"
    fig.update_layout(
        title={"text": title or f"Input → hidden layer 1 weights ({shown} units)"},
        height=420,
        margin=_MARGIN,
        plot_bgcolor="rgba(0,0,0,0)",
        uirevision="tiles",
    )
    return fig


def weight_matrix(
    weights: np.ndarray,
    from_label: str = "layer k",
    to_label: str = "layer k+1",
    title: str | None = None,
    to_names: Sequence[str] | None = None,
) -> go.Figure:
    """A deeper weight matrix ``(n_in, n_out)`` as a heatmap: rows = from, columns = to.

    Units are numbered from 1; pass ``to_names`` to name the columns instead (the
    output layer's classes, ``0``-``9`` for digits).
    """
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim != 2:
        raise ValueError(f"a weight matrix must be 2-D, got shape {weights.shape}")
    if to_names is not None and len(to_names) != weights.shape[1]:
        raise ValueError(f"{len(to_names)} names for {weights.shape[1]} columns")
    limit = _symmetric_limit(weights)
    columns = (
        np.arange(1, weights.shape[1] + 1) if to_names is None else [str(n) for n in to_names]
    )
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=columns,
            y=np.arange(1, weights.shape[0] + 1),
            colorscale=DIVERGING,
            zmin=-limit,
            zmax=limit,
            zmid=0.0,
            hovertemplate=f"{from_label} unit %{{y}} → {to_label} unit %{{x}}"
            "<br>weight %{z:.3f}<extra></extra>",
            colorbar={"title": {"text": "weight"}, "thickness": 12},
        )
    )
    fig.update_xaxes(title_text=to_label, showgrid=False, type="category" if to_names else None)
    fig.update_yaxes(title_text=from_label, autorange="reversed", showgrid=False)
    fig.update_layout(
        # Short enough for a third of a wide page: the shape is on the axes and in the hover.
        title={"text": title or f"{from_label} → {to_label}", "font": {"size": 14}},
        height=320,
        margin=_MARGIN,
        uirevision=f"matrix-{from_label}",
    )
    return fig


def run_overlay(
    runs: Sequence[tuple[str, Sequence[float]]],
    metric: str = "validation loss",
) -> go.Figure:
    """One line per run (``(label, values per epoch)``) to compare runs side by side."""
    fig = go.Figure()
    for i, (label, values) in enumerate(runs):
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            continue
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, values.size + 1),
                y=values,
                mode="lines",
                name=label,
                line={"color": RUN_COLOURS[i % len(RUN_COLOURS)], "width": 2},
                hovertemplate=f"{label}<br>epoch %{{x}}: %{{y:.4f}}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text=metric, rangemode="tozero")
    if "accuracy" in metric:
        fig.update_yaxes(tickformat=".0%")
    fig.update_layout(
        height=360,
        margin=_MARGIN,
        title={"text": f"Compare runs: {metric}"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


# --------------------------------------------------------------------------- drawing


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
    fig = go.Figure(
        go.Bar(
            x=names,
            y=probs,
            marker_color=colours,
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probs],
            textposition="outside",
            hovertemplate="class %{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="class", type="category")
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%", title_text="probability")
    fig.update_layout(height=260, margin=_MARGIN, title={"text": "Probabilities"}, showlegend=False)
    return fig


def input_image(image: np.ndarray | None, title: str = "What the network sees") -> go.Figure:
    """A small grey image (8x8 or 28x28, values 0..1), enlarged with visible pixels."""
    if image is None:
        image = np.zeros((8, 8), dtype=np.float32)
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
            hovertemplate="row %{y}, column %{x}<br>value %{z:.2f}<extra></extra>",
        )
    )
    _square_image_axes(fig)
    fig.update_layout(
        height=260,
        margin=_MARGIN,
        title={"text": f"{title} ({image.shape[0]}×{image.shape[1]})"},
        plot_bgcolor="#333333",
    )
    return fig


# --------------------------------------------------------------------------- inspect


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
        height=460, margin=_MARGIN, title={"text": "Confusion matrix (test set)"}
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
    fig.update_layout(height=300, margin=_MARGIN, title={"text": "Accuracy per class"})
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
        fig.update_layout(height=120, margin=_MARGIN)
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
        margin={**_MARGIN, "t": 30},
    )
    return fig


def health_meters(
    samples: Sequence[Mapping[str, object]],
    batches_per_epoch: int,
    activation: str = "relu",
) -> go.Figure:
    """Live health of a run: each weight matrix's gradient norm (left, log scale) and
    the share of each hidden layer's units that are dead (ReLU) or saturated
    (sigmoid/tanh) (right), over training time in epochs.

    ``samples`` are the engine's ``history.health`` dicts (``epoch``, ``batch``,
    ``grad_norms``, ``stuck``). A gradient norm falling by orders of magnitude from
    the last layer to the first is the picture of vanishing gradients.
    """
    stuck_name = {"relu": "dead", "leaky_relu": "dead", "sigmoid": "saturated",
                  "tanh": "saturated"}.get(activation, "stuck")
    x = [float(s["epoch"]) - 1 + float(s["batch"]) / max(batches_per_epoch, 1) for s in samples]
    norms = np.array([s["grad_norms"] for s in samples], dtype=float).reshape(len(samples), -1)
    stuck = np.array([s["stuck"] for s in samples], dtype=float).reshape(len(samples), -1)
    traces = []
    for layer in range(norms.shape[1]):
        traces.append((1, {
            "type": "scatter", "x": x, "y": norms[:, layer].tolist(), "mode": "lines",
            "name": f"W{layer + 1}", "legendgroup": f"l{layer}",
            "line": {"color": RUN_COLOURS[layer % len(RUN_COLOURS)]},
            "hovertemplate": f"W{layer + 1} gradient norm %{{y:.3g}}<extra></extra>",
        }))
    for layer in range(stuck.shape[1]):
        traces.append((2, {
            "type": "scatter", "x": x, "y": stuck[:, layer].tolist(), "mode": "lines",
            "name": f"hidden {layer + 1}", "legendgroup": f"l{layer}",
            "line": {"color": RUN_COLOURS[layer % len(RUN_COLOURS)], "dash": "dot"},
            "hovertemplate": f"hidden layer {layer + 1}: %{{y:.0%}} {stuck_name}<extra></extra>",
        }))
    return _two_panels(traces, ("Gradient norm", f"Units {stuck_name}"), {
        "xaxis": {"title": {"text": "epoch"}},
        "xaxis2": {"title": {"text": "epoch"}},
        "yaxis": {"type": "log"},
        "yaxis2": {"range": [0, 1.02], "tickformat": ".0%"},
        "height": 240,
        "margin": {**_MARGIN, "t": 40},
        "legend": {"orientation": "h", "y": -0.35},
        "uirevision": "health",
    })


# --------------------------------------------------------------------------- sweeps


def sweep_heatmap(
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    z: Sequence[Sequence[float | None]],
    text: Sequence[Sequence[str]],
    x_title: str,
    y_title: str,
    title: str = "Validation accuracy",
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
        height=max(260, 60 * len(y_labels) + 120), margin=_MARGIN, title={"text": title},
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
                      title={"text": "Every run: settings → validation accuracy"})
    return fig
