"""The Train page's figures: learning curves, weight tiles and heatmaps, run overlays and health meters."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.common.figures import (
    MARGIN,
    RUN_COLOURS,
    TRAIN_COLOUR,
    VAL_COLOUR,
    symmetric_limit,
)
from playground.common.i18n import _


def run_overlay(
    runs: Sequence[tuple[str, Sequence[float]]],
    metric: str | None = None,
    percent: bool | None = None,
) -> go.Figure:
    """One line per run (``(label, values per epoch)``) to compare runs side by side;
    ``metric`` is the y axis's title, ``percent`` (default: an accuracy) its format."""
    metric = _("validation loss") if metric is None else metric
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
                hovertemplate=f"{label}<br>" + _("epoch %{x}: %{y:.4f}") + "<extra></extra>",
            )
        )
    fig.update_xaxes(title_text=_("epoch"))
    fig.update_yaxes(title_text=metric, rangemode="tozero")
    if percent if percent is not None else "accuracy" in metric:
        fig.update_yaxes(tickformat=".0%")
    fig.update_layout(
        height=360,
        margin=MARGIN,
        title={"text": _("Compare runs: {metric}").format(metric=metric)},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


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
    stuck_title = {"dead": _("Units dead"), "saturated": _("Units saturated")}.get(
        stuck_name, _("Units stuck"))
    epoch = _("epoch")
    charts = [
        line_chart("loss", _("Loss ↓"), "curves", [
            {"name": _("train loss"), "colour": TRAIN_COLOUR},
            {"name": _("validation loss"), "colour": VAL_COLOUR, "dash": True}], marks=True,
            x_label=epoch),
        line_chart("accuracy", _("Accuracy ↑"), "curves", [
            {"name": _("train accuracy"), "colour": TRAIN_COLOUR},
            {"name": _("validation accuracy"), "colour": VAL_COLOUR, "dash": True}],
            percent=True, y_max=1.02, x_label=epoch),
    ]
    if health:
        charts += [
            line_chart("grad", _("Gradient norm (log)"), "health", [], height=180, log=True,
                       x_label=epoch),
            line_chart("stuck", stuck_title, "health", [], height=180,
                       percent=True, y_max=1.02, x_label=epoch),
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
            chart = {**chart, "series": [{"name": _("hidden {layer}").format(layer=i + 1), "dash": True,
                                          "colour": RUN_COLOURS[i % len(RUN_COLOURS)]}
                                         for i in range(n_stuck)]}
        charts.append(chart)
    return {**layout, "charts": charts}


def live_points(history: Mapping[str, Sequence], batches_per_epoch: int) -> dict:
    """Each chart's whole series ``(x, [ys])``: curves per epoch (1, 2, ...), health at
    the epoch's fraction it was sampled (``epoch - 1 + batch / batches_per_epoch``).

    Read while another thread trains (no lock): an epoch whose four values are not all
    appended yet is left for the next frame, since a frame sends each chart only the
    points after those already sent, and a gap would never be filled."""
    series = [list(history.get(name) or []) for name in ("loss", "val_loss", "accuracy",
                                                          "val_accuracy")]
    n = min(len(values) for values in series)
    loss, val_loss, acc, val_acc = (values[:n] for values in series)
    x = list(range(1, n + 1))
    points = {"loss": (x, [loss, val_loss]), "accuracy": (x, [acc, val_acc])}
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
        units = (_("first {n} of {total}").format(n=n, total=first.shape[1]) if n < first.shape[1]
                 else _("all {n}").format(n=n))
        images.append({
            "id": "tiles", "kind": "tiles", "h": h, "w": w, "n": n, "cols": cols,
            "rows": math.ceil(n / cols), "limit": limit,
            "title": title or _("Input → hidden layer 1 weights ({units} units)").format(units=units),
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
        from_label = _("input") if layer == 0 else _("hidden {layer}").format(layer=layer)
        to_label = _("output") if last else _("hidden {layer}").format(layer=layer + 1)
        limit = symmetric_limit(w)
        images.append({
            "id": f"matrix-{layer}", "kind": "matrix", "n_in": int(w.shape[0]),
            "n_out": int(w.shape[1]), "limit": limit, "from_label": from_label,
            "to_label": to_label, "title": f"{from_label} → {to_label}",
            "to_names": [str(c) for c in class_names] if last and class_names is not None else None,
            "data": signed_bytes(w, limit),
        })
    return images
