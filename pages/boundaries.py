"""Boundaries: watch a small network split 2-D points, its boundary and every neuron
redrawn as it trains (TensorFlow Playground's idea, on this app's engine)."""

import streamlit as st

from playground.boundaries import component as boundary_component
from playground.boundaries import controls
from playground.boundaries import lab as bd
from playground.common.i18n import N_, _
from playground.shell import layout, live, ui

FRAME_SECONDS = 0.1  # how often the live panel redraws while playing
SLOT_WAIT_SECONDS = 0.5  # longest wait for a training slot while other sessions train

pg = ui.playground()
with ui.friendly_errors(N_("reading this page's settings")):
    lab, link_notes = bd.lab_for(pg, st.session_state, st.query_params.to_dict())
panel = live.LivePanel(pg, "boundaries")  # it carries out the controls' clicks


def draw(lab: bd.BoundaryLab) -> None:
    snap = lab.snapshot()
    m = st.container(key="bd-metrics").columns(5)
    m[0].metric(_("Epoch"), f"{snap.epoch:,}", help=_("Passes over the training points so far."))
    m[1].metric(_("Train loss"), f"{snap.train_loss:.3f}",
                help=_("Cross-entropy on the training points now (plus the L1/L2 penalty)."))
    m[2].metric(_("Test loss"), f"{snap.test_loss:.3f}",
                help=_("The same on the test points, never trained on."))
    m[3].metric(_("Train accuracy"), f"{snap.train_accuracy:.1%}",
                help=_("Share of training points on the right side of the boundary."))
    m[4].metric(_("Test accuracy"), f"{snap.test_accuracy:.1%}",
                help=_("Share of test points on the right side of the boundary."))
    if lab.message:
        st.warning(lab.message, icon=":material/warning:")
    boundary_component.live_panel(bd.live_frame(lab, snap))
    st.caption(
        _("In the network, each tile is one unit's output over the whole plane (blue positive, "
        "orange negative; an output tile is its class's probability); links are blue for "
        "positive and orange for negative weights, thicker when larger. Hover a tile for its "
        "formula with the current numbers, a link for its weight. The boundary is pale where "
        "the network is unsure.")
    )


# ----------------------------------------------------------------------------- page

st.title(_("Boundaries"))
st.caption(
    _("A small network learns to separate 2-D points while you watch: the decision boundary "
    "(shaded where it is unsure), every neuron's own map of the plane and the weights "
    "between them, redrawn as it trains. TensorFlow Playground's idea, on this app's "
    "engine, with more than two classes, five optimizers, L1 and L2, a confusion matrix "
    "and a model to download.")
)
ui.show_notices(pg)
for note in link_notes:
    st.warning(note)
with ui.friendly_errors(N_("showing the settings")):
    ui.page_query(bd.config_to_query(lab.config))
    settings_col, main_col = st.columns([1, 3.1], gap="large")  # 3.1: selects fit at 1400 px
    with settings_col, st.container(border=True):
        controls.controls(pg, panel, lab)
    # On a phone: Play, then the boundary it changes, the settings under them; the rows
    # of buttons and metrics wrap three to a line (see shell/layout.py).
    layout.main_first_when_narrow("bd-main")
    layout.wrap_rows_when_narrow("bd-actions", "bd-network", "bd-metrics")
    layout.wrap_rows_when_narrow("bd-view", per_line=2)
    with main_col, st.container(key="bd-main"):
        controls.buttons(pg, panel, lab)
        controls.view_row(pg, panel, lab)
        controls.network_controls(pg, panel, lab)
        panel.show(
            live=lambda: lab.playing,
            step=lambda checkpoint: lab.frame(),
            draw=lambda: draw(lab),
            every=FRAME_SECONDS,
            slot_wait=SLOT_WAIT_SECONDS,
            doing=N_("training"),
        )
