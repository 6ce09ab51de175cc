"""Boundaries: watch a small network split 2-D points, its boundary and every neuron
redrawn as it trains (TensorFlow Playground's idea, on this app's engine)."""

import streamlit as st

from nn_core.data import datasets2d as d2
from playground.boundaries import component as boundary_component
from playground.boundaries import lab as bd
from playground.common.vocab import ACTIVATION_LABELS, OPTIMIZER_LABELS
from playground.shell import server, ui
from playground.shell.copy_link import copy_link_button

FRAME_SECONDS = 0.1  # how often the live panel redraws while playing
SLOT_WAIT_SECONDS = 0.5  # longest wait for a training slot while other sessions train

pg = ui.playground()
with ui.friendly_errors("reading this page's settings"):
    lab, link_notes = bd.lab_for(pg, st.session_state, st.query_params.to_dict())


def _lab() -> bd.BoundaryLab:
    return pg.room("boundaries")


# ----------------------------------------------------------------------------- callbacks


@ui.guarded("changing a setting")
def _on_setting() -> None:
    config, note = bd.config_from_widgets(st.session_state, _lab().config)
    if note:
        pg.notify("warning", note)
    _lab().apply(config)


@ui.guarded("changing the network")
def _on_network(change, *args) -> None:
    _lab().apply(change(_lab().config, *args))


@ui.guarded("regenerating the data")
def _on_regenerate() -> None:
    _lab().regenerate()


@ui.guarded("setting the preset")
def _on_preset() -> None:
    lab = _lab()
    lab.use_preset()
    pg.notify("info", f"Preset for {d2.LABELS[lab.config.data]}: "
                      f"{bd.preset_summary(lab.config.data)}. Press **Play**.")


@ui.guarded("playing or pausing")
def _on_play() -> None:
    _lab().toggle()


@ui.guarded("stepping one epoch")
def _on_step() -> None:
    _lab().step_epoch()


@ui.guarded("resetting")
def _on_reset() -> None:
    _lab().reset()


# ----------------------------------------------------------------------------- controls


def controls(lab: bd.BoundaryLab) -> None:
    """The settings column. Every widget shows the lab's config (set here before it is
    drawn) and writes back to it through ``_on_setting``."""
    for key, value in bd.widget_values(lab.config).items():
        st.session_state[key] = value
    key = bd.widget_key
    st.markdown("**Data**")
    st.selectbox(
        "Dataset", list(d2.DATASETS), format_func=d2.LABELS.get, key=key("data"),
        on_change=_on_setting,
        help="Which points to separate. Spiral and the 3-class sets are the hard ones: "
        "try the preset below.",
    )
    st.slider("Noise (%)", *bd.NOISE_PERCENT, key=key("noise"), on_change=_on_setting,
              help="How much the points stray from their pattern: more noise blurs the "
              "classes into each other.")
    st.slider("Train ratio (%)", *bd.RATIO_PERCENT, step=5, key=key("ratio"),
              on_change=_on_setting,
              help="The share of points the network learns from; the rest are the test "
              "points it never trains on.")
    st.button("Regenerate", icon=":material/refresh:", key="bd-regenerate",
              on_click=_on_regenerate, width="stretch",
              help="Draw new points of the same kind (the next seed) and start a new network.")
    st.pills(
        "Features", list(d2.FEATURES), selection_mode="multi", key=bd.FEATURES_KEY,
        format_func=lambda f: d2.FEATURES[f][0], on_change=_on_setting,
        help="What the network is fed about each point: its coordinates x1 and x2, and "
        "ready-made bends of them (each scaled to [−1, 1]). A feature that already bends "
        "the right way saves the network the work. Click one to switch it on or off.",
    )
    st.markdown("**Training**")
    st.selectbox("Activation", bd.ACTIVATIONS, format_func=ACTIVATION_LABELS.get,
                 key=key("activation"), on_change=_on_setting,
                 help="The bend each hidden unit applies to its weighted sum; tanh is "
                 "TensorFlow Playground's default.")
    st.selectbox("Optimizer", bd.OPTIMIZERS, format_func=OPTIMIZER_LABELS.get,
                 key=key("optimizer"), on_change=_on_setting,
                 help="How the weights are nudged after each batch. TensorFlow Playground "
                 "has plain SGD only; Adam adapts its step size per weight.")
    st.select_slider("Learning rate", bd.LEARNING_RATES, key=key("learning_rate"),
                     format_func=lambda v: f"{v:g}", on_change=_on_setting,
                     help="Step size of each update; changes apply from the next batch. "
                     "Too big and the boundary jitters or blows up.")
    st.slider("Batch size", 1, bd.MAX_BATCH, key=key("batch_size"), on_change=_on_setting,
              help="Points per weight update; a change applies from the next epoch.")
    left, right = st.columns(2)
    left.select_slider("L1", bd.REGULARIZATION, key=key("l1"), on_change=_on_setting,
                       format_func=lambda v: "off" if v == 0 else f"{v:g}",
                       help="Pulls every weight towards 0 by the same amount: unneeded "
                       "links die out (watch them thin).")
    right.select_slider("L2", bd.REGULARIZATION, key=key("l2"), on_change=_on_setting,
                        format_func=lambda v: "off" if v == 0 else f"{v:g}",
                        help="Pulls big weights towards 0 hardest: a smoother boundary.")
    st.number_input("Seed", 0, 2**31 - 1, step=1, key=key("seed"), on_change=_on_setting,
                    help="Fixes the points and the starting weights, so a run can be "
                    "repeated exactly.")


def network_controls(lab: bd.BoundaryLab) -> None:
    """+ and − for the number of hidden layers and each layer's units."""
    hidden = lab.config.hidden
    cols = st.columns([1.4] + [1] * bd.MAX_HIDDEN_LAYERS, gap="small")
    with cols[0]:
        st.caption(f"**{len(hidden)} hidden layer{'s' if len(hidden) != 1 else ''}**")
        a, b = st.columns(2, gap="small")
        a.button("+", key="bd-layer-add", on_click=_on_network, args=(bd.add_layer,),
                 disabled=len(hidden) >= bd.MAX_HIDDEN_LAYERS, width="stretch",
                 help=f"Add a hidden layer (up to {bd.MAX_HIDDEN_LAYERS}).")
        b.button("−", key="bd-layer-remove", on_click=_on_network, args=(bd.remove_layer,),
                 disabled=not hidden, width="stretch",
                 help="Remove the last hidden layer (none left: a linear model).")
    for i, units in enumerate(hidden):
        with cols[i + 1]:
            st.caption(f"Layer {i + 1}: **{units}** unit{'s' if units != 1 else ''}")
            a, b = st.columns(2, gap="small")
            a.button("+", key=f"bd-unit-add-{i}", on_click=_on_network, args=(bd.add_unit, i),
                     disabled=units >= bd.MAX_UNITS, width="stretch",
                     help=f"Add a unit to hidden layer {i + 1} (up to {bd.MAX_UNITS}).")
            b.button("−", key=f"bd-unit-remove-{i}", on_click=_on_network,
                     args=(bd.remove_unit, i), disabled=units <= 1, width="stretch",
                     help=f"Remove a unit from hidden layer {i + 1}.")


def buttons(lab: bd.BoundaryLab) -> None:
    cols = st.columns([1, 1, 1, 1.6, 1.6])
    cols[0].button(
        "Pause" if lab.playing else "Play", type="primary", key="bd-play",
        icon=":material/pause:" if lab.playing else ":material/play_arrow:",
        on_click=_on_play, width="stretch",
        help="Train continuously, redrawing everything a few times a second; Pause stops "
        "and keeps the weights.",
    )
    cols[1].button("Step", icon=":material/skip_next:", key="bd-step", on_click=_on_step,
                   width="stretch", help="Train exactly one epoch (every training point once), "
                   "then pause.")
    cols[2].button("Reset", icon=":material/restart_alt:", key="bd-reset", on_click=_on_reset,
                   width="stretch", help="Back to the seeded starting weights, epoch 0.")
    hard = lab.config.data in bd.HARD_DATASETS
    cols[3].button(
        "Preset that works", icon=":material/auto_fix_high:", key="bd-preset",
        type="primary" if hard and lab.epoch == 0 else "secondary",
        on_click=_on_preset, width="stretch",
        help="Features and a network that learn this dataset: "
        f"{bd.preset_summary(lab.config.data)}.",
    )
    with cols[4]:
        copy_link_button(bd.share_link(st.context.url, lab.config), key="bd-copy-link",
                         help="Copies a link that sets every control; Play then trains the "
                         "same network on the same points, bit for bit.")


def view_row(lab: bd.BoundaryLab) -> None:
    """The view toggles and the model download."""
    cols = st.columns([1, 1, 1.2])
    cols[0].toggle("Show test data", key=bd.widget_key("show_test"), on_change=_on_setting,
                   help="Draw the test points too (outlined in black): are they on the "
                   "right side of a boundary drawn without them?")
    cols[1].toggle("Discretize output", key=bd.widget_key("discretize"), on_change=_on_setting,
                   help="Colour each point of the plane by its predicted class only, "
                   "without the shading for how sure the network is.")
    cols[2].download_button(
        "Download model", data=lambda: _lab().model_bytes(), file_name=lab.model_file_name(),
        mime="application/octet-stream", icon=":material/download:", key="bd-download",
        on_click="ignore", width="stretch",
        help="The network as it is at the click (.npz + JSON); its inputs are the features "
        "chosen on the left, in that order.",
    )


# ----------------------------------------------------------------------------- live panel


def draw(lab: bd.BoundaryLab) -> None:
    snap = lab.snapshot()
    m = st.columns(5)
    m[0].metric("Epoch", f"{snap.epoch:,}", help="Passes over the training points so far.")
    m[1].metric("Train loss", f"{snap.train_loss:.3f}",
                help="Cross-entropy on the training points now (plus the L1/L2 penalty).")
    m[2].metric("Test loss", f"{snap.test_loss:.3f}",
                help="The same on the test points, never trained on.")
    m[3].metric("Train accuracy", f"{snap.train_accuracy:.1%}",
                help="Share of training points on the right side of the boundary.")
    m[4].metric("Test accuracy", f"{snap.test_accuracy:.1%}",
                help="Share of test points on the right side of the boundary.")
    if lab.message:
        st.warning(lab.message, icon=":material/warning:")
    boundary_component.live_panel(bd.live_frame(lab, snap))
    st.caption(
        "Left: each tile is one unit's output over the whole plane (blue positive, orange "
        "negative; an output tile is its class's probability); links are blue for positive "
        "and orange for negative weights, thicker when larger. Hover a tile for its formula "
        "with the current numbers, a link for its weight. Right: the boundary, pale where "
        "the network is unsure."
    )


def live_panel() -> None:
    with ui.friendly_errors("training"):
        lab = _lab()
        if lab.playing:
            with server.training_slot(timeout=SLOT_WAIT_SECONDS) as slot:
                if slot:  # else every slot is busy with other sessions: show, train next time
                    lab.frame()
            if not lab.playing:
                st.rerun()  # it stopped (diverged): redraw the buttons too
        elif lab.page_shows_playing:
            # Paused, but the page around was drawn while playing: draw it again.
            lab.page_shows_playing = False
            st.rerun()
        draw(lab)


# ----------------------------------------------------------------------------- page

st.title("Boundaries")
st.caption(
    "A small network learns to separate 2-D points while you watch: the decision boundary "
    "(shaded where it is unsure), every neuron's own map of the plane and the weights "
    "between them, redrawn as it trains. TensorFlow Playground's idea, on this app's "
    "engine, with more than two classes, five optimizers, L1 and L2, a confusion matrix "
    "and a model to download."
)
ui.show_notices(pg)
for note in link_notes:
    st.warning(note)
with ui.friendly_errors("showing the settings"):
    ui.page_query(bd.config_to_query(lab.config))
    settings_col, main_col = st.columns([1, 3.1], gap="large")  # 3.1: selects fit at 1400 px
    with settings_col, st.container(border=True):
        controls(lab)
    with main_col:
        buttons(lab)
        view_row(lab)
        network_controls(lab)
        lab.page_shows_playing = lab.playing
        st.fragment(live_panel, run_every=FRAME_SECONDS if lab.playing else None)()
