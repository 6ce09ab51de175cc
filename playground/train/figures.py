"""The Train page's figures: learning curves, weight tiles and heatmaps, run overlays and health meters."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.common.figures import (
    DIVERGING,
    MARGIN,
    MUTED,
    RUN_COLOURS,
    TRAIN_COLOUR,
    VAL_COLOUR,
    square_image_axes,
    symmetric_limit,
    two_panels,
)


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
    return two_panels(traces, ("Loss ↓", "Accuracy ↑"), {
        "xaxis": {"title": {"text": "epoch"}, "range": x_range},
        "xaxis2": {"title": {"text": "epoch"}, "range": x_range},
        "yaxis": {"rangemode": "tozero"},
        "yaxis2": {"range": [0, 1.02], "tickformat": ".0%"},
        "shapes": shapes,
        "annotations": marks,
        "height": 320,
        "margin": {**MARGIN, "t": 50},
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
    limit = symmetric_limit(weights[:, :n])
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
    square_image_axes(fig)
    shown = f"first {n} of {weights.shape[1]}" if n < weights.shape[1] else f"all {n}"
    fig.update_layout(
        title={"text": title or f"Input → hidden layer 1 weights ({shown} units)"},
        height=420,
        margin=MARGIN,
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
    limit = symmetric_limit(weights)
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
        margin=MARGIN,
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
        margin=MARGIN,
        title={"text": f"Compare runs: {metric}"},
        legend={"orientation": "h", "y": -0.2},
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
    return two_panels(traces, ("Gradient norm", f"Units {stuck_name}"), {
        "xaxis": {"title": {"text": "epoch"}},
        "xaxis2": {"title": {"text": "epoch"}},
        "yaxis": {"type": "log"},
        "yaxis2": {"range": [0, 1.02], "tickformat": ".0%"},
        "height": 240,
        "margin": {**MARGIN, "t": 40},
        "legend": {"orientation": "h", "y": -0.35},
        "uirevision": "health",
    })




# ----------------------------------------------------------------------------- live view
# The payload pieces of the live view (``playground.shell.livechart``): its layout, each
# chart's points and the weight pictures. The Plotly figures above stay for the tests'
# references and the Compare view (``run_overlay``).


def live_layout(activation: str = "relu", health: bool = True) -> dict:
    """The live view's charts: loss (with the learning-rate marks) and accuracy; with
    ``health``, each weight matrix's gradient norm (log axis) and the share of stuck
    units (dead for ReLU, saturated for sigmoid and tanh)."""
    from playground.shell.livechart import line_chart

    stuck_name = {"relu": "dead", "leaky_relu": "dead", "sigmoid": "saturated",
                  "tanh": "saturated"}.get(activation, "stuck")
    charts = [
        line_chart("loss", "Loss ↓", "curves", [
            {"name": "train loss", "colour": TRAIN_COLOUR},
            {"name": "validation loss", "colour": VAL_COLOUR, "dash": True}], marks=True),
        line_chart("accuracy", "Accuracy ↑", "curves", [
            {"name": "train accuracy", "colour": TRAIN_COLOUR},
            {"name": "validation accuracy", "colour": VAL_COLOUR, "dash": True}],
            percent=True, y_max=1.02),
    ]
    if health:
        charts += [
            line_chart("grad", "Gradient norm (log)", "health", [], height=180, log=True),
            line_chart("stuck", f"Units {stuck_name}", "health", [], height=180,
                       percent=True, y_max=1.02),
        ]
    return {"charts": charts, "stuck_name": stuck_name}


def live_health_series(layout: dict, samples: Sequence[Mapping[str, object]]) -> dict:
    """``layout`` with one health series per weight matrix and hidden layer (their count
    is known from the first sample)."""
    if not samples:
        return layout
    n_norms = len(samples[0]["grad_norms"])
    n_stuck = len(samples[0]["stuck"])
    charts = []
    for chart in layout["charts"]:
        if chart["id"] == "grad":
            chart = {**chart, "series": [{"name": f"W{i + 1}", "colour": RUN_COLOURS[i % len(RUN_COLOURS)]}
                                         for i in range(n_norms)]}
        elif chart["id"] == "stuck":
            chart = {**chart, "series": [{"name": f"hidden {i + 1}", "dash": True,
                                          "colour": RUN_COLOURS[i % len(RUN_COLOURS)]}
                                         for i in range(n_stuck)]}
        charts.append(chart)
    return {**layout, "charts": charts}


def live_points(history: Mapping[str, Sequence], batches_per_epoch: int) -> dict:
    """Each chart's whole series ``(x, [ys])``: curves per epoch (1, 2, ...), health at
    the epoch's fraction it was sampled (``epoch - 1 + batch / batches_per_epoch``)."""
    loss, val_loss = list(history.get("loss") or []), list(history.get("val_loss") or [])
    acc, val_acc = list(history.get("accuracy") or []), list(history.get("val_accuracy") or [])
    n = max(len(loss), len(val_loss))
    pad = lambda values: [*values, *[None] * (n - len(values))]  # noqa: E731
    x = list(range(1, n + 1))
    points = {"loss": (x, [pad(loss), pad(val_loss)]),
              "accuracy": (x, [pad(acc), pad(val_acc)])}
    samples = list(history.get("health") or [])
    hx = [float(s["epoch"]) - 1 + float(s["batch"]) / max(batches_per_epoch, 1) for s in samples]
    if samples:
        norms = np.array([s["grad_norms"] for s in samples], dtype=float).reshape(len(samples), -1)
        stuck = np.array([s["stuck"] for s in samples], dtype=float).reshape(len(samples), -1)
        # A log axis has no place for 0: a gradient norm of exactly 0 is left out.
        points["grad"] = (hx, [[v if v > 0 else None for v in col] for col in norms.T.tolist()])
        points["stuck"] = (hx, stuck.T.tolist())
    return points


def curve_x_range(epochs_done: int, target_epochs: int, running: bool) -> tuple[float, float]:
    """The epoch axis: up to the target while a run may still get there, and only up to
    the epochs done once it has stopped (early, or by divergence), so that the curves
    fill the chart."""
    last = max(epochs_done, target_epochs if running else 0, 1)
    return (0.5, last + 0.5)


def lr_mark_labels(lr_marks: Sequence[tuple[float, float]]) -> list[tuple[float, str]]:
    return [(x, f"lr {value:g}") for x, value in lr_marks]


def weight_images(weights: Sequence[np.ndarray], image_shape: tuple[int, int] | None,
                  class_names: Sequence[str] | None = None, max_tiles: int = 64,
                  title: str | None = None) -> list[dict]:
    """The weight pictures of the live view: the first layer's units as image tiles
    (when the inputs are images), then each deeper matrix as a heatmap. Values are sent
    as bytes on each picture's own symmetric range (see ``livechart.signed_bytes``)."""
    from playground.shell.livechart import signed_bytes

    images = []
    deeper = list(weights)
    if image_shape is not None:
        first = np.asarray(deeper.pop(0), dtype=np.float32)
        h, w = (int(s) for s in image_shape)
        if first.ndim != 2 or first.shape[0] != h * w:
            raise ValueError(
                f"first-layer weights of shape {first.shape} do not match images of {h}x{w}")
        n = min(first.shape[1], max_tiles)
        cols = math.ceil(math.sqrt(n))
        shown = first[:, :n]
        limit = symmetric_limit(shown)
        units = f"first {n} of {first.shape[1]}" if n < first.shape[1] else f"all {n}"
        images.append({
            "id": "tiles", "kind": "tiles", "h": h, "w": w, "n": n, "cols": cols,
            "rows": math.ceil(n / cols), "limit": limit,
            "title": title or f"Input → hidden layer 1 weights ({units} units)",
            # Unit-major: unit j's h*w pixels, row by row.
            "data": signed_bytes(shown.T, limit),
            "lo": [round(float(v), 4) for v in shown.min(axis=0)],
            "hi": [round(float(v), 4) for v in shown.max(axis=0)],
        })
        offset = 1
    else:
        offset = 0
    for i, w in enumerate(deeper):
        w = np.asarray(w, dtype=np.float32)
        layer = i + offset  # the from-layer's hidden index (0 = the inputs)
        last = i == len(deeper) - 1
        from_label = "input" if layer == 0 else f"hidden {layer}"
        to_label = "output" if last else f"hidden {layer + 1}"
        limit = symmetric_limit(w)
        images.append({
            "id": f"matrix-{layer}", "kind": "matrix", "n_in": int(w.shape[0]),
            "n_out": int(w.shape[1]), "limit": limit, "from_label": from_label,
            "to_label": to_label, "title": f"{from_label} → {to_label}",
            "to_names": [str(c) for c in class_names] if last and class_names is not None else None,
            "data": signed_bytes(w, limit),
        })
    return images
