"""Pure Plotly figure builders: NumPy arrays (or lists) in, ``go.Figure`` out.

No Streamlit and no engine in here, so every builder is unit-tested on plain arrays.
Colours: every signed quantity (weights, gradients, a pixel's push, a unit's output) on
every page uses one convention, TensorFlow Playground's: **blue positive, orange
negative**, white at 0 (:data:`DIVERGING`, ends :data:`POSITIVE` and :data:`NEGATIVE`,
said in words by :data:`SIGN_LEGEND`). The Boundaries canvas gets the two ends in its
payload rather than its own copy. Images use grey (black background, white ink, like
the canvas). The scale is two straight runs through white, not a perceptually even
map: the price of matching the Boundaries canvas, which mixes colours the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from playground.common.i18n import FONT_FAMILY, N_, _

# Every figure names a font stack with Chinese fonts in it (the app shows in Chinese too).
pio.templates["playground"] = go.layout.Template(layout={"font": {"family": FONT_FAMILY}})
pio.templates.default = "plotly+playground"

#: Positive values (weights, gradients, pushes): TensorFlow Playground's blue.
POSITIVE = "#0877bd"
#: Negative values: TensorFlow Playground's orange.
NEGATIVE = "#f59322"
#: Zero, the middle of the diverging scale.
ZERO = "#ffffff"
#: The two ends in words, for legends and captions (translated where shown: ``_(POSITIVE_NAME)``).
POSITIVE_NAME, NEGATIVE_NAME = N_("blue"), N_("orange")
SIGN_LEGEND = f"{POSITIVE_NAME} +, {NEGATIVE_NAME} −"


def sign_legend() -> str:
    """:data:`SIGN_LEGEND` in the tab's language."""
    return f"{_(POSITIVE_NAME)} +, {_(NEGATIVE_NAME)} −"
#: The diverging scale of every signed quantity: orange (most negative) through white
#: (0) to blue (most positive). Use it with ``zmid=0`` and symmetric limits.
DIVERGING = ((0.0, NEGATIVE), (0.5, ZERO), (1.0, POSITIVE))


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


def rgba(colour: str, alpha: float) -> str:
    """``"#rrggbb"`` as a CSS ``rgba(r, g, b, alpha)`` string."""
    if len(colour) != 7 or not colour.startswith("#"):
        raise ValueError(f"a colour must look like #rrggbb; got {colour!r}")
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha:g})"


def sign_colour(value: float, limit: float, floor: float = 0.0) -> str:
    """The colour of ``value`` on :data:`DIVERGING` scaled to ``[-limit, limit]``, at
    least ``floor`` of the way from white to its end (so small values stay visible)."""
    if not limit > 0:
        raise ValueError(f"the limit must be positive; got {limit!r}")
    share = min(1.0, max(floor, abs(float(value)) / limit))
    end = POSITIVE if value >= 0 else NEGATIVE
    white = (255, 255, 255)
    rgb = (int(end[i : i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(w + (c - w) * share) for w, c in zip(white, rgb, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


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


def class_share_bars(names: Sequence[str], shares: Sequence[float], colours: Sequence[str],
                     text: Sequence[str], x_title: str, y_title: str) -> go.Figure:
    """One bar per class of a share from 0 to 1 (a probability, an accuracy), each labelled
    above with ``text``, on a percent axis with room over 100% for the labels."""
    fig = go.Figure(
        go.Bar(
            x=list(names),
            y=shares,
            marker_color=list(colours),
            text=list(text),
            textposition="outside",
            hovertemplate=_("class %{x}: %{y:.1%}") + "<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=x_title, type="category")
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%", title_text=y_title)
    return fig


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




#: Colours of an activation function and of its slope in :func:`activation_curves`.
F_COLOUR, SLOPE_COLOUR = "#333333", HIGHLIGHT


def activation_curves(
    name: str,
    grid: np.ndarray,
    f: np.ndarray,
    slope: np.ndarray,
    z: np.ndarray | None = None,
    f_at_z: np.ndarray | None = None,
    slope_at_z: np.ndarray | None = None,
    max_points: int = 200,
    height: int = 260,
) -> go.Figure:
    """An activation ``f`` and its slope ``f'`` over ``grid`` (solid and dashed), with a
    layer's pre-activations ``z`` on them: where saturation (``f'`` near 0 at large
    ``|z|``) and dead ReLUs (``f' = 0`` for ``z < 0``) show.

    Up to ``max_points`` values of ``z`` are drawn one by one: a dot on each curve
    (``f_at_z``, ``slope_at_z``, hover gives all three) and a tick on a rug under them.
    More values (a training batch times its units) become a histogram of ``z`` on a
    second axis instead, the share of values per bin. The numbers come from the caller
    (the engine's own activation and derivative); nothing here evaluates ``f``.
    """
    grid, f, slope = (np.asarray(a, dtype=np.float64).ravel() for a in (grid, f, slope))
    if not grid.size or f.shape != grid.shape or slope.shape != grid.shape:
        raise ValueError(f"grid, f and f' need one shape; got {grid.shape}, {f.shape}, "
                         f"{slope.shape}")
    finite = np.concatenate([f[np.isfinite(f)], slope[np.isfinite(slope)], [0.0]])
    low, high = float(finite.min()), float(finite.max())
    pad = 0.08 * max(high - low, 1e-9)
    rug_y = low - pad
    data = [
        {"type": "scatter", "x": grid, "y": f, "mode": "lines", "name": f"f = {name}",
         "line": {"color": F_COLOUR, "width": 2},
         "hovertemplate": "z %{x:.3f}<br>f(z) %{y:.4g}<extra></extra>"},
        {"type": "scatter", "x": grid, "y": slope, "mode": "lines", "name": _("f′ (slope)"),
         "line": {"color": SLOPE_COLOUR, "width": 2, "dash": "dash"},
         "hovertemplate": "z %{x:.3f}<br>f′(z) %{y:.4g}<extra></extra>"},
    ]
    layout: dict = {
        "height": height, "margin": {**MARGIN, "t": 30, "b": 40},
        "xaxis": {"title": {"text": "z"}, "zeroline": True},
        "yaxis": {"range": [rug_y - pad, high + pad], "zeroline": True},
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        "hovermode": "closest",
    }
    if z is not None:
        z = np.asarray(z, dtype=np.float64).ravel()
        if z.size <= max_points:
            if f_at_z is None or slope_at_z is None:
                raise ValueError("drawing z one by one needs f(z) and f'(z) at those values")
            f_at_z = np.asarray(f_at_z, dtype=np.float64).ravel()
            slope_at_z = np.asarray(slope_at_z, dtype=np.float64).ravel()
            if f_at_z.shape != z.shape or slope_at_z.shape != z.shape:
                raise ValueError(f"z, f(z) and f'(z) need one shape; got {z.shape}, "
                                 f"{f_at_z.shape}, {slope_at_z.shape}")
            both = np.stack([f_at_z, slope_at_z], axis=1)
            hover = "z %{x:.4g}<br>f(z) %{customdata[0]:.4g}<br>f′(z) %{customdata[1]:.4g}"
            data += [
                {"type": "scatter", "x": z, "y": f_at_z, "mode": "markers", "name": "f(z)",
                 "marker": {"color": F_COLOUR, "size": 8}, "customdata": both,
                 "hovertemplate": hover + "<extra></extra>", "showlegend": False},
                {"type": "scatter", "x": z, "y": slope_at_z, "mode": "markers",
                 "name": "f′(z)", "marker": {"color": SLOPE_COLOUR, "size": 8},
                 "customdata": both, "hovertemplate": hover + "<extra></extra>",
                 "showlegend": False},
                {"type": "scatter", "x": z, "y": np.full(z.size, rug_y), "mode": "markers",
                 "name": _("the layer's z"), "customdata": both,
                 "marker": {"symbol": "line-ns-open", "size": 14, "color": MUTED,
                            "line": {"width": 2}},
                 "hovertemplate": hover + "<extra></extra>"},
            ]
        else:
            data.append({"type": "histogram", "x": z[np.isfinite(z)], "yaxis": "y2",
                         "histnorm": "probability", "name": _("the layer's z"),
                         "marker": {"color": MUTED}, "opacity": 0.45,
                         "hovertemplate": _("z %{x}<br>%{y:.1%} of the values") + "<extra></extra>"})
            layout["yaxis2"] = {"overlaying": "y", "side": "right", "showgrid": False,
                                "tickformat": ".0%", "rangemode": "tozero"}
            layout["barmode"] = "overlay"
    return go.Figure({"data": data, "layout": layout})
