"""The Boundaries page's live panel: one custom component that stays mounted.

Its JavaScript (``canvas.js``) keeps four canvases (network, boundary,
curves) and a confusion table, and redraws them in place from the payload that
``boundary_figures.frame_payload`` builds: no chart is rebuilt from scratch, so a frame
costs the browser a few milliseconds (see ``boundary_figures`` for why not Plotly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from playground.common.i18n import FONT_FAMILY
from playground.shell import panel_kit

NAME = "mlp_playground_boundaries"
_JS = panel_kit.JS + (Path(__file__).with_name("canvas.js")).read_text(encoding="utf-8")
_CSS = """
.bd-root { position: relative; color: var(--st-text-color, #31333f);
           font-family: FONT_FAMILY; font-size: 13px; }
.bd-grid { display: grid; grid-template-columns: minmax(0, 1.35fr) minmax(0, 1fr);
           grid-template-areas: "net out" "curves cm"; gap: 14px 24px; align-items: start; }
.bd-net { grid-area: net; } .bd-out { grid-area: out; }
.bd-curves { grid-area: curves; } .bd-cm { grid-area: cm; }
.bd-net, .bd-out, .bd-curves, .bd-cm { min-width: 0; }
/* A deep network's diagram spans the panel (canvas.js sets bd-deep when its layer
   titles would not fit in the left column), the curves too, under the boundary. */
.bd-deep .bd-grid { grid-template-areas: "net net" "out cm" "curves curves"; }
.bd-net-titles { position: relative; font-size: 12px; line-height: 15px; }
.bd-net-title { position: absolute; top: 0; transform: translateX(-50%);
                white-space: nowrap; text-align: center; }
.bd-title { font-weight: 600; margin: 0 0 4px 34px; }
.bd-legend { margin-left: 34px; display: flex; gap: 12px; flex-wrap: wrap; }
.bd-legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
               margin-right: 4px; vertical-align: -1px; border: 1px solid #fff; }
.bd-legend i.test { background: transparent; border: 1.6px solid #222; }
.bd-cm-title { font-weight: 600; margin-bottom: 6px; }
.bd-cm table { border-collapse: collapse; }
.bd-cm th { font-weight: 400; padding: 4px 8px; text-align: center; }
.bd-cm td { min-width: 56px; height: 34px; text-align: center; border: 1px solid #ddd; }
.bd-tip { position: absolute; z-index: 10; pointer-events: none; white-space: pre-line;
          background: rgba(255, 255, 255, 0.96); color: #222; border: 1px solid #999;
          border-radius: 4px; padding: 6px 8px; font: 12px/1.4 monospace; max-width: 360px; }
canvas { display: block; }
/* Narrow: one column, the boundary first, next to the Play that changes it. */
@media (max-width: 760px) {
  .bd-grid, .bd-deep .bd-grid { grid-template-columns: minmax(0, 1fr);
                                grid-template-areas: "out" "net" "curves" "cm"; }
}
"""

_component = st.components.v2.component(NAME, html="", css=_CSS.replace("FONT_FAMILY", FONT_FAMILY), js=_JS)


def live_panel(payload: dict[str, Any], key: str = "bd-live") -> None:
    """Draw one frame (``boundary_figures.frame_payload``) in the live panel."""
    _component(data=payload, key=key)
