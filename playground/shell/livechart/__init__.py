"""The live view: line charts and weight pictures that stay mounted in the browser and
keep their data there, fed only what changed (a Streamlit components v2 component).

Plotly rebuilds a chart whose figure changes, so a live panel drawn with it costs the
browser a long task per frame (74% of the default run busy, 4 frames a second). Here
the browser appends each frame's new points to uPlot charts (``uPlot.iife.min.js``,
MIT, bundled so the app works offline) and paints weights as images on canvases; a
frame costs it a few milliseconds. Boundaries' canvas component showed the way.

What it trades away: the payload is a small protocol of its own (:class:`LiveStream`
builds it, ``livechart.js`` reads it) instead of a figure any Plotly user can read; a
delta lost on the way (the browser never saw a frame) leaves the charts as they were
until the next keyframe, at most ``KEYFRAME_SECONDS`` later; the weights are bytes
(256 levels of a symmetric range), so a hover reads a weight to about 1% of the range.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from playground.common import figures as common_figures
from playground.common.i18n import FONT_FAMILY, _
from playground.shell import panel_kit

NAME = "mlp_playground_livechart"
_HERE = Path(__file__).parent
#: Longest time between two keyframes (everything sent again) of a live stream.
KEYFRAME_SECONDS = 2.0

_CSS = """
.lc-root { position: relative; color: var(--st-text-color, #31333f);
           font-family: FONT_FAMILY; font-size: 13px; }
.lc-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px 24px; }
.lc-chart { min-width: 0; }
.lc-section { margin-bottom: 10px; }
.lc-caption { color: var(--st-secondary-text-color, #6b6f76); font-size: 13px; margin: 2px 0 8px; }
.lc-caption:empty { display: none; }
.lc-weights-head { display: flex; flex-wrap: wrap; gap: 6px 20px; align-items: center; margin: 4px 0 6px; }
.lc-freeze { cursor: pointer; user-select: none; }
.lc-scale { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; }
.lc-scale i { display: inline-block; width: 90px; height: 10px; border: 1px solid #ccc; }
.lc-weights-body { display: flex; flex-wrap: wrap; gap: 16px 24px; align-items: flex-start; }
.lc-matrices { display: flex; flex-wrap: wrap; gap: 12px 20px; flex: 1 1 220px; min-width: 0; }
.lc-tiles { flex: 1 1 320px; min-width: 0; max-width: 520px; }
.lc-image { min-width: 0; }
.lc-matrices .lc-image { flex: 1 1 90px; max-width: 260px; }
.lc-image-title { font-weight: 600; margin-bottom: 4px; }
.lc-names { display: flex; justify-content: space-around; font-size: 11px; }
.lc-tip { position: absolute; z-index: 10; pointer-events: none; white-space: pre-line;
          background: rgba(255, 255, 255, 0.96); color: #222; border: 1px solid #999;
          border-radius: 4px; padding: 6px 8px; font: 12px/1.4 monospace; max-width: 320px; }
.u-title { font-size: 14px !important; font-weight: 600 !important; }
.u-title, .u-legend, .lc-tip { font-family: FONT_FAMILY !important; }
.u-legend { font-size: 12px !important; }
.u-legend .u-marker { width: 14px; height: 3px; }
canvas { display: block; }
@media (max-width: 640px) { .lc-grid { grid-template-columns: minmax(0, 1fr); } }
"""


def _asset(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


# uPlot's IIFE defines a module-scoped ``uPlot``; livechart.js is the module's body.
_JS = _asset("uPlot.iife.min.js") + "\n" + panel_kit.JS + _asset("livechart.js")
_component = st.components.v2.component(
    NAME, html="", css=_asset("uPlot.min.css") + _CSS.replace("FONT_FAMILY", FONT_FAMILY), js=_JS
)


def words() -> dict[str, str]:
    """The view's own words, in the tab's language (``livechart.js`` fills the ``{name}``
    placeholders); sent with every keyframe's layout."""
    return {
        "freeze": _("Freeze the weights"),
        "changes": _("{label}, {count} changes"),
        "tile": _("hidden unit {unit}\nweights {low} to {high}"),
        "matrix": _("{from_label} unit {row} → {to_label} {to}\nweight ≈ {weight}\n"
                    "this matrix: {low} to {high}"),
    }

PALETTE = {
    "positive": common_figures.POSITIVE,
    "negative": common_figures.NEGATIVE,
    "zero": common_figures.ZERO,
    "muted": common_figures.MUTED,
}


def signed_bytes(values: np.ndarray, limit: float) -> str:
    """``values`` as base64 bytes, ``b = round((v / limit + 1) * 127.5)`` clipped to 0..255
    (``livechart.js`` reads ``(b - 127.5) / 127.5 * limit``), row-major."""
    if not limit > 0:
        raise ValueError(f"limit must be positive, got {limit}")
    scaled = np.nan_to_num(np.asarray(values, dtype=np.float32) / limit, nan=0.0)
    quantised = np.clip(np.rint((scaled + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return base64.b64encode(quantised.tobytes()).decode("ascii")


def line_chart(chart_id: str, title: str, section: str, series: Sequence[Mapping[str, Any]],
               *, x_label: str = "epoch", height: int = 220, log: bool = False,
               percent: bool = False, y_min: float | None = 0.0, y_max: float | None = None,
               marks: bool = False, now: bool = True) -> dict[str, Any]:
    """One chart of a layout: ``series`` are ``{"name", "colour", "dash"}``; ``section``
    is ``"curves"`` or ``"health"``; ``marks`` draws the stream's marks (learning-rate
    changes) on it; ``now`` draws where training is now while the stream runs."""
    if section not in ("curves", "health"):
        raise ValueError(f"section must be 'curves' or 'health', got {section!r}")
    return {"id": chart_id, "title": title, "section": section, "series": list(series),
            "x_label": x_label, "height": height, "log": log, "percent": percent,
            "y_min": None if log else y_min, "y_max": y_max, "marks": marks, "now": now}


class LiveStream:
    """What one live view has sent its browser, so that the next frame carries only
    what is new. Keep one per view and tab; call :meth:`restart` on a full page run
    (a reload or a click may have remounted the view: the next frame is a keyframe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.stream: str | None = None
        self.seq = 0
        self.sent: dict[str, int] = {}
        self.keyframe_at = -float("inf")
        self.images_at = -float("inf")

    def restart(self) -> None:
        self.stream = None

    def frame(
        self,
        stream: str,
        layout: Mapping[str, Any],
        points: Mapping[str, tuple[Sequence[float], Sequence[Sequence[float | None]]]],
        *,
        x_range: tuple[float, float],
        now: float | None = None,
        marks: Sequence[tuple[float, str]] = (),
        running: bool = False,
        images: Callable[[], list[dict[str, Any]]] | None = None,
        images_every: float = 0.4,
    ) -> dict[str, Any]:
        """The payload of one frame. ``points`` holds each chart's whole series
        ``(x, [y per series])``; only the part the browser lacks is sent. ``images()``
        is called (and its weight pictures sent) on a keyframe, when ``images_every``
        seconds have passed, and on every frame of a stream that is not running."""
        t = self.clock()
        key = stream != self.stream or t - self.keyframe_at >= KEYFRAME_SECONDS
        if key:
            self.stream, self.sent, self.keyframe_at = stream, {}, t
        self.seq = 0 if key else self.seq + 1
        payload: dict[str, Any] = {
            "stream": stream, "seq": self.seq, "key": key, "x_range": list(x_range),
            "now": now, "running": running, "marks": [[float(x), str(m)] for x, m in marks],
            "points": {},
        }
        if key:
            payload["layout"] = {**layout, "palette": PALETTE, "words": words(),
                                 "font": FONT_FAMILY}
        for chart_id, (xs, ys) in points.items():
            start = 0 if key else min(self.sent.get(chart_id, 0), len(xs))
            payload["points"][chart_id] = {
                "from": start,
                "x": [float(x) for x in xs[start:]],
                "ys": [[_finite(v) for v in y[start:]] for y in ys],
            }
            self.sent[chart_id] = len(xs)
        if images is not None and (key or not running or t - self.images_at >= images_every):
            payload["images"] = images()
            self.images_at = t
        return payload


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def show(payload: Mapping[str, Any], key: str, pace: float | None = None,
         stream: LiveStream | None = None) -> None:
    """Draw one frame of a live view (a :meth:`LiveStream.frame` payload). With ``pace``
    (seconds), a running stream's browser asks for the next frame once it has drawn this
    one, at most that often: its trigger reruns the fragment that drew the view. If the
    browser found a gap in the deltas (a frame lost on the way), ``stream`` makes the
    next frame a keyframe."""

    def asked() -> None:
        drawn = (st.session_state.get(key) or {}).get("drawn") or {}
        if stream is not None and isinstance(drawn, Mapping) and drawn.get("keyframe"):
            stream.restart()

    _component(data={**payload, "pace": pace}, key=key, on_drawn_change=asked)
