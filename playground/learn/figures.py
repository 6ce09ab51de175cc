"""Pure Plotly figure builders for the Learn pages: arrays in, ``go.Figure`` out.

No Streamlit and no engine in here (like :mod:`playground.figures`): the network
diagram of the Backprop page, the optimizers' race over a contour plot (animated
with Plotly frames), and curve overlays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from playground.common.figures import RUN_COLOURS, sign_colour, sign_legend
from playground.common.i18n import _, pgettext

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
MAX_FRAMES = 50
#: The longest path (in points) drawn with a marker at each step.
MARKED_STEPS = 60
CONTROLS_GAP = 62  # px from the plot's bottom edge to the Play button and step slider


def _fmt(value: float) -> str:
    return f"{value:.4g}"


# --------------------------------------------------------------------------- backprop


def network_diagram(
    weights: Sequence[np.ndarray],
    node_values: Sequence[np.ndarray | None],
    gradients: Sequence[np.ndarray | None] | None = None,
    layer_names: Sequence[str] = ("x", "a1", "p"),
    weight_names: Sequence[str] = ("W1", "W2"),
) -> go.Figure:
    """Nodes per layer showing their values, edges coloured by sign (the app's
    :data:`~playground.common.figures.DIVERGING`) and sized by magnitude; hovering an
    edge shows the weight and its gradient. Every index counts from 0, as the page's
    matrices and labels do: node ``p[k]`` is class ``k``.

    ``weights[l]`` is ``(n_l, n_{l+1})``; ``node_values[l]`` the layer's values, one row
    per sample ``(m, n_l)`` (or one sample as ``(n_l,)``), None before the forward pass:
    a node shows sample 0's value and its hover every sample's. ``gradients[l]`` is like
    ``weights[l]``, or None.
    """
    sizes = [weights[0].shape[0], *(w.shape[1] for w in weights)]
    ys = [np.linspace(1, -1, n) * (0.35 * (n - 1)) for n in sizes]
    limit = max(float(np.abs(w).max()) for w in weights) or 1.0
    gradients = gradients if gradients is not None else [None] * len(weights)
    fig = go.Figure()
    for layer, w in enumerate(weights):
        grad = gradients[layer]
        mid_x, mid_y, hover = [], [], []
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                value = float(w[i, j])
                y0, y1 = float(ys[layer][i]), float(ys[layer + 1][j])
                fig.add_trace(go.Scatter(
                    x=[layer, layer + 1], y=[y0, y1], mode="lines",
                    # At least a fifth of the way to the sign's colour: a small weight
                    # stays visible (and its sign readable) on the white background.
                    line={"color": sign_colour(value, limit, floor=0.2),
                          "width": 1.0 + 7.0 * abs(value) / limit},
                    hoverinfo="skip", showlegend=False,
                ))
                # Hover on the edge: an invisible marker at its middle.
                mid_x.append(layer + 0.5)
                mid_y.append((y0 + y1) / 2)
                name = f"{weight_names[layer]}[{i},{j}]"
                text = f"{name} = {_fmt(value)}"
                text += (f"<br>dL/d{name} = {_fmt(float(grad[i, j]))}" if grad is not None
                         else "<br>" + _("gradient: press Backward"))
                hover.append(text)
        fig.add_trace(go.Scatter(
            x=mid_x, y=mid_y, mode="markers", marker={"size": 14, "opacity": 0.0},
            hovertext=hover, hoverinfo="text", showlegend=False, name=f"{weight_names[layer]}",
        ))
    for layer, n in enumerate(sizes):
        values = node_values[layer]
        rows = None if values is None else np.atleast_2d(np.asarray(values, dtype=np.float64))
        texts, hover = [], []
        for k in range(n):
            label = f"{layer_names[layer]}[{k}]"
            if rows is None:
                texts.append(label)
                hover.append(_("{label}: press Forward").format(label=label))
            else:
                texts.append(_fmt(float(rows[0, k])))
                hover.append(f"{label} = {_fmt(float(rows[0, k]))}" if len(rows) == 1 else
                             f"{label}<br>" + "<br>".join(
                                 _("sample {s}: {value}").format(s=s, value=_fmt(float(rows[s, k])))
                                 for s in range(len(rows))))
        colours = ("#ffffff" if rows is None
                   else [sample_colorscale("Greens", [0.6 * min(1.0, abs(float(v)))])[0]
                         for v in rows[0]])
        fig.add_trace(go.Scatter(
            x=[layer] * n, y=ys[layer], mode="markers+text", text=texts,
            textposition="middle center", textfont={"size": 12, "color": "#111111"},
            marker={"size": 46, "color": colours, "line": {"color": "#333333", "width": 1.5}},
            hovertext=hover, hoverinfo="text", showlegend=False, name=layer_names[layer],
        ))
    fig.update_xaxes(visible=False, range=[-0.4, len(sizes) - 0.6])
    fig.update_yaxes(visible=False, range=[-1.1, 1.1])
    annotations = [
        {"x": layer, "y": 1.05, "text": f"<b>{name}</b>", "showarrow": False,
         "yref": "y", "xref": "x"}
        for layer, name in enumerate(layer_names)
    ]
    fig.update_layout(height=340, margin=_MARGIN, annotations=annotations,
                      title={"text": _("Edges: {SIGN_LEGEND}, width = size of the weight").format(SIGN_LEGEND=sign_legend())},
                      plot_bgcolor="#ffffff", hovermode="closest")
    return fig


# --------------------------------------------------------------------------- optimizers


def frame_steps(n_steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Which steps get an animation frame: all of them up to ``max_frames``, else evenly
    spaced ones, always ending at ``n_steps``."""
    if n_steps <= max_frames:
        return list(range(n_steps + 1))
    return sorted({int(round(s)) for s in np.linspace(0, n_steps, max_frames + 1)})


def thin(points: np.ndarray, max_points: int) -> np.ndarray:
    """At most ``max_points`` rows of ``points``, evenly spaced, first and last kept."""
    if len(points) <= max_points:
        return points
    return points[np.unique(np.linspace(0, len(points) - 1, max_points).round().astype(int))]


def _points_only(points: np.ndarray) -> dict:
    return {"type": "scatter", "x": points[:, 0].astype(np.float32),
            "y": points[:, 1].astype(np.float32)}


def optimizer_race(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: Sequence[tuple[str, np.ndarray]],
    minima: Sequence[tuple[float, float]],
    shown_step: int | None = None,
    contour_title: str = "f − f_min",
    max_frames: int = MAX_FRAMES,
    frame_points: int = 80,
) -> go.Figure:
    """The surface's contours with each optimizer's path ``(label, (n, 2) points)`` drawn
    up to ``shown_step`` (all of it when None), and Plotly frames that replay the paths
    (Play/Pause buttons and a step slider, all in the browser).

    The drawn paths carry every point, in float64; the frames carry only the points, at
    most ``frame_points`` per path, in float32, so a long race stays a small page (the
    Rosenbrock race's 1,500 steps: well under 1 MB instead of 8).
    """
    n_steps = max((len(points) - 1 for _unused, points in paths), default=0)
    last = n_steps if shown_step is None else int(min(max(shown_step, 0), n_steps))

    def path_trace(i: int, label: str, part: np.ndarray) -> dict:
        return {
            "type": "scatter", "x": part[:, 0], "y": part[:, 1],
            # A marker per step only on short paths: Plotly draws each marker as an SVG
            # element, and 5 paths of 1,500 steps kept the browser busy for 1 s after a
            # surface change (150 steps: 0.3 s); a long path's steps read as its line.
            "mode": "lines+markers" if len(part) <= MARKED_STEPS else "lines", "name": label,
            "line": {"color": RUN_COLOURS[i % len(RUN_COLOURS)], "width": 2.5},
            "marker": {"size": 4},
            "hovertemplate": f"{label}<br>(%{{x:.4f}}, %{{y:.4f}})<extra></extra>",
        }

    data = [
        {"type": "contour", "x": np.asarray(xs, np.float32), "y": np.asarray(ys, np.float32),
         "z": np.asarray(z, np.float32), "colorscale": "Viridis", "reversescale": True,
         "ncontours": 30, "showscale": False, "opacity": 0.75,
         "contours": {"coloring": "fill", "showlines": True},
         "hovertemplate": f"(%{{x:.2f}}, %{{y:.2f}}): {contour_title} %{{z:.3g}}<extra></extra>"},
        {"type": "scatter", "x": [m[0] for m in minima], "y": [m[1] for m in minima],
         "mode": "markers", "name": _("minimum"),
         "marker": {"symbol": "star", "size": 16, "color": "#ffd700",
                    "line": {"color": "#000000", "width": 1}},
         "hovertemplate": _("minimum (%{x:.3f}, %{y:.3f})") + "<extra></extra>"},
        *(path_trace(i, label, points[: last + 1]) for i, (label, points) in enumerate(paths)),
    ]
    path_indices = list(range(2, 2 + len(paths)))
    steps = [s for s in frame_steps(n_steps, max_frames) if s <= last] or [0]
    if steps[-1] != last:
        steps.append(last)
    frames = [
        {"name": str(s), "traces": path_indices,
         # Only the points: Plotly merges a frame's traces into the drawn ones, which keep
         # their colours and names.
         "data": [_points_only(thin(points[: s + 1], frame_points)) for _unused, points in paths]}
        for s in steps
    ]
    animate = {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
               "transition": {"duration": 0}}
    # The controls sit under the x axis's ticks and title, not on them: their offset is
    # in pixels (CONTROLS_GAP), turned into the fraction of the plot's height Plotly wants.
    height, margin = 580, {"l": 10, "r": 10, "t": 40, "b": 150}
    below = -CONTROLS_GAP / (height - margin["t"] - margin["b"])
    slider = {
        "active": len(steps) - 1, "x": 0.16, "len": 0.84, "y": below, "yanchor": "top",
        "currentvalue": {"prefix": _("step") + " ", "font": {"size": 12, "color": "#444444"}},
        "ticklen": 0, "minorticklen": 0, "font": {"color": "rgba(0,0,0,0)"},
        "steps": [{"label": str(s), "method": "animate", "args": [[str(s)], animate]}
                  for s in steps],
    }
    buttons = {
        "type": "buttons", "direction": "left", "x": 0.0, "y": below, "xanchor": "left",
        "yanchor": "top", "showactive": False, "pad": {"t": 40},
        "buttons": [
            {"label": "▶ " + pgettext("button", "Play"), "method": "animate",
             "args": [None, {**animate, "frame": {"duration": 80, "redraw": False},
                             "fromcurrent": False}]},
            {"label": "❚❚ " + _("Pause"), "method": "animate", "args": [[None], animate]},
        ],
    }
    layout = {
        "height": height, "margin": margin,
        "xaxis": {"range": [float(xs[0]), float(xs[-1])], "title": {"text": "x"},
                  "constrain": "domain"},
        # Equal units on both axes at any width: a long narrow valley stays long and
        # narrow on a phone instead of being stretched into near-circles.
        "yaxis": {"range": [float(ys[0]), float(ys[-1])], "title": {"text": "y"},
                  "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        "legend": {"orientation": "h", "y": 1.07, "x": 0},
        "updatemenus": [buttons], "sliders": [slider],
    }
    # Public Plotly only: the figure is validated as it is built (about 30 ms more than
    # skipping validation through Plotly's private ``_validate`` keyword, measured on the
    # valley race), and the frames go through the public ``frames`` property.
    fig = go.Figure({"data": data, "layout": layout})
    fig.frames = frames
    return fig


def curves(
    series: Sequence[tuple[str, Sequence[float]]],
    y_title: str,
    title: str,
    x_title: str | None = None,
    percent: bool = False,
    height: int = 360,
) -> go.Figure:
    """One line per ``(label, values per epoch)``; ``x_title`` defaults to "epoch"."""
    x_title = _("epoch") if x_title is None else x_title
    data = []
    for i, (label, values) in enumerate(series):
        values = np.asarray(values, dtype=float)
        fmt = ".1%" if percent else ".4g"
        data.append({
            "type": "scatter", "x": np.arange(1, values.size + 1), "y": values,
            "mode": "lines", "name": label,
            "line": {"color": RUN_COLOURS[i % len(RUN_COLOURS)], "width": 2},
            "hovertemplate": f"{label}<br>{x_title} %{{x}}: %{{y:{fmt}}}<extra></extra>",
        })
    layout = {
        "height": height, "margin": _MARGIN, "title": {"text": title},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero",
                  **({"tickformat": ".0%", "range": [0, 1.02]} if percent else {})},
        "legend": {"orientation": "h", "y": -0.25},
    }
    return go.Figure(data=data, layout=layout)


def momentum_map(
    learning_rates: Sequence[float],
    momenta: Sequence[float],
    steps: Sequence[Sequence[float | None]],
    marks: Sequence[tuple[str, float, float]],
    max_steps: int,
) -> go.Figure:
    """Steps to converge over (learning rate, momentum) as a heatmap (log learning-rate
    axis), blank where a run never settles; ``marks`` are ``(label, lr, mu)`` points
    drawn on it (the optimum, the page's setting)."""
    z = np.array([[np.nan if v is None else float(v) for v in row] for row in steps])
    data = [
        {"type": "heatmap", "x": list(learning_rates), "y": list(momenta), "z": z,
         "colorscale": "Viridis", "zmin": 0, "zmax": max_steps,
         "colorbar": {"title": {"text": _("steps")}, "thickness": 12},
         "hovertemplate": _("η %{x:.3g}, μ %{y:.2f}: %{z} steps") + "<extra></extra>"},
    ]
    symbols = ("star", "circle", "diamond", "square")
    for i, (label, lr, mu) in enumerate(marks):
        data.append({"type": "scatter", "x": [lr], "y": [mu], "mode": "markers",
                     "name": label,
                     "marker": {"symbol": symbols[i % len(symbols)], "size": 15,
                                "color": "#ffd700" if i == 0 else "#ffffff",
                                "line": {"color": "#000000", "width": 1.5}},
                     "hovertemplate": f"{label}<br>η %{{x:.3g}}, μ %{{y:.2f}}<extra></extra>"})
    layout = {
        "height": 420, "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "title": {"text": _("Momentum's steps to within 0.01 (blank: not within {max_steps})").format(max_steps=max_steps)},
        "xaxis": {"type": "log", "title": {"text": _("learning rate η")}},
        "yaxis": {"title": {"text": _("momentum μ")}, "range": [-0.02, 1.0]},
        "legend": {"orientation": "h", "y": -0.22, "x": 0},
        "plot_bgcolor": "#eeeeee",
    }
    return go.Figure({"data": data, "layout": layout})
