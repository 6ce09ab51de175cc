"""The Boundaries page's controls: settings, the network's layers and units, Play and
the rest. Their clicks wait for the next full page run (``LivePanel.click``): while
the network plays, one click can reach the server twice."""

from __future__ import annotations

from typing import Any

import streamlit as st

from nn_core.data import datasets2d as d2
from playground.boundaries import lab as bd
from playground.common.i18n import N_, _, ngettext, pgettext
from playground.common.vocab import (
    activation_label,
    optimizer_label,
)
from playground.shell import ui
from playground.shell.copy_link import copy_link_button
from playground.shell.live import LivePanel


def lab_of(pg: Any) -> bd.BoundaryLab:
    """The tab's lab (``bd.lab_for`` makes it on the page's first run)."""
    return pg.room("boundaries")


# ----------------------------------------------------------------------------- actions


@ui.guarded(N_("changing a setting"))
def apply_settings(pg: Any) -> None:
    config, note = bd.config_from_widgets(st.session_state, lab_of(pg).config)
    if note:
        pg.notify("warning", note)
    lab_of(pg).apply(config)


@ui.guarded(N_("changing the network"))
def change_network(pg: Any, change: Any, *args: Any) -> None:
    lab_of(pg).apply(change(lab_of(pg).config, *args))


@ui.guarded(N_("regenerating the data"))
def regenerate(pg: Any) -> None:
    lab_of(pg).regenerate()


@ui.guarded(N_("setting the preset"))
def use_preset(pg: Any) -> None:
    lab = lab_of(pg)
    lab.use_preset()
    pg.notify("info", _("Preset for {LABELS}: "
                      "{preset_summary}. Press **Play**.").format(LABELS=bd.data_label(lab.config.data), preset_summary=bd.preset_summary(lab.config.data)))


@ui.guarded(N_("playing or pausing"))
def play_or_pause(pg: Any) -> None:
    lab_of(pg).toggle()


@ui.guarded(N_("stepping one epoch"))
def step_epoch(pg: Any) -> None:
    lab_of(pg).step_epoch()


@ui.guarded(N_("resetting"))
def reset(pg: Any) -> None:
    lab_of(pg).reset()


# ----------------------------------------------------------------------------- widgets


def controls(pg: Any, panel: LivePanel, lab: bd.BoundaryLab) -> None:
    """The settings column. Every widget shows the lab's config (set here before it is
    drawn) and writes back to it through :func:`apply_settings`."""
    on_setting = panel.click("bd-settings", lambda: apply_settings(pg))
    for key, value in bd.widget_values(lab.config).items():
        st.session_state[key] = value
    key = bd.widget_key
    st.markdown(_("**Data**"))
    st.selectbox(
        _("Dataset"), list(d2.DATASETS), format_func=bd.data_label, key=key("data"),
        on_change=on_setting,
        help=_("Which points to separate. Spiral and the 3-class sets are the hard ones: "
        "try the preset below."),
    )
    st.slider(_("Noise (%)"), *bd.NOISE_PERCENT, key=key("noise"), on_change=on_setting,
              help=_("How much the points stray from their pattern: more noise blurs the "
              "classes into each other."))
    st.slider(_("Train ratio (%)"), *bd.RATIO_PERCENT, step=5, key=key("ratio"),
              on_change=on_setting,
              help=_("The share of points the network learns from; the rest are the test "
              "points it never trains on."))
    st.button(_("Regenerate"), icon=":material/refresh:", key="bd-regenerate",
              on_click=panel.click("bd-regenerate", lambda: regenerate(pg)), width="stretch",
              help=_("Draw new points of the same kind (the next seed) and start a new network."))
    st.pills(
        _("Features"), list(d2.FEATURES), selection_mode="multi", key=bd.FEATURES_KEY,
        format_func=lambda f: d2.FEATURES[f][0], on_change=on_setting,
        help=_("What the network is fed about each point: its coordinates x1 and x2, and "
        "ready-made bends of them (each scaled to [−1, 1]). A feature that already bends "
        "the right way saves the network the work. Click one to switch it on or off."),
    )
    st.markdown(_("**Training**"))
    st.selectbox(_("Activation"), bd.ACTIVATIONS, format_func=activation_label,
                 key=key("activation"), on_change=on_setting,
                 help=_("The bend each hidden unit applies to its weighted sum; tanh is "
                 "TensorFlow Playground's default."))
    st.selectbox(_("Optimizer"), bd.OPTIMIZERS, format_func=optimizer_label,
                 key=key("optimizer"), on_change=on_setting,
                 help=_("How the weights are nudged after each batch. TensorFlow Playground "
                 "has plain SGD only; Adam adapts its step size per weight."))
    st.select_slider(_("Learning rate"), bd.LEARNING_RATES, key=key("learning_rate"),
                     format_func=lambda v: f"{v:g}", on_change=on_setting,
                     help=_("Step size of each update; changes apply from the next batch. "
                     "Too big and the boundary jitters or blows up."))
    st.slider(_("Batch size"), 1, bd.MAX_BATCH, key=key("batch_size"), on_change=on_setting,
              help=_("Points per weight update; a change applies from the next epoch."))
    left, right = st.columns(2)
    left.select_slider("L1", bd.REGULARIZATION, key=key("l1"), on_change=on_setting,
                       format_func=lambda v: "off" if v == 0 else f"{v:g}",
                       help=_("Pulls every weight towards 0 by the same amount: unneeded "
                       "links die out (watch them thin)."))
    right.select_slider("L2", bd.REGULARIZATION, key=key("l2"), on_change=on_setting,
                        format_func=lambda v: "off" if v == 0 else f"{v:g}",
                        help=_("Pulls big weights towards 0 hardest: a smoother boundary."))
    st.number_input(_("Seed"), 0, 2**31 - 1, step=1, key=key("seed"), on_change=on_setting,
                    help=_("Fixes the points and the starting weights, so a run can be "
                    "repeated exactly."))


def network_controls(pg: Any, panel: LivePanel, lab: bd.BoundaryLab) -> None:
    """+ and − for the number of hidden layers and each layer's units."""

    def on_network(key: str, change: Any, *args: Any) -> Any:
        return panel.click(key, lambda: change_network(pg, change, *args))

    hidden = lab.config.hidden
    cols = st.container(key="bd-network").columns([1.4] + [1] * bd.MAX_HIDDEN_LAYERS, gap="small")
    with cols[0]:
        st.caption(ngettext("**{n} hidden layer**", "**{n} hidden layers**", len(hidden)).format(n=len(hidden)))
        a, b = st.columns(2, gap="small")
        a.button("+", key="bd-layer-add", on_click=on_network("bd-layer-add", bd.add_layer),
                 disabled=len(hidden) >= bd.MAX_HIDDEN_LAYERS, width="stretch",
                 help=_("Add a hidden layer (up to {MAX_HIDDEN_LAYERS}).").format(MAX_HIDDEN_LAYERS=bd.MAX_HIDDEN_LAYERS))
        b.button("−", key="bd-layer-remove", on_click=on_network("bd-layer-remove", bd.remove_layer),
                 disabled=not hidden, width="stretch",
                 help=_("Remove the last hidden layer (none left: a linear model)."))
    for i, units in enumerate(hidden):
        with cols[i + 1]:
            st.caption(ngettext("Layer {i}: **{units}** unit", "Layer {i}: **{units}** units", units).format(
                i=i + 1, units=units))
            a, b = st.columns(2, gap="small")
            a.button("+", key=f"bd-unit-add-{i}", on_click=on_network(f"bd-unit-add-{i}", bd.add_unit, i),
                     disabled=units >= bd.MAX_UNITS, width="stretch",
                     help=_("Add a unit to hidden layer {i} (up to {MAX_UNITS}).").format(i=i + 1, MAX_UNITS=bd.MAX_UNITS))
            b.button("−", key=f"bd-unit-remove-{i}",
                     on_click=on_network(f"bd-unit-remove-{i}", bd.remove_unit, i), disabled=units <= 1, width="stretch",
                     help=_("Remove a unit from hidden layer {i}.").format(i=i + 1))


def buttons(pg: Any, panel: LivePanel, lab: bd.BoundaryLab) -> None:
    """Play/Pause, Step, Reset, the preset and the link."""
    cols = st.container(key="bd-actions").columns([1, 1, 1, 1.6, 1.6])
    cols[0].button(
        _("Pause") if lab.playing else pgettext("button", "Play"), type="primary", key="bd-play",
        icon=":material/pause:" if lab.playing else ":material/play_arrow:",
        on_click=panel.click("bd-play", lambda: play_or_pause(pg)), width="stretch",
        help=_("Train continuously, redrawing everything a few times a second; Pause stops "
        "and keeps the weights."),
    )
    cols[1].button(_("Step"), icon=":material/skip_next:", key="bd-step", on_click=panel.click("bd-step", lambda: step_epoch(pg)),
                   width="stretch", help=_("Train exactly one epoch (every training point once), "
                   "then pause."))
    cols[2].button(_("Reset"), icon=":material/restart_alt:", key="bd-reset", on_click=panel.click("bd-reset", lambda: reset(pg)),
                   width="stretch", help=_("Back to the seeded starting weights, epoch 0."))
    hard = lab.config.data in bd.HARD_DATASETS
    cols[3].button(
        _("Preset that works"), icon=":material/auto_fix_high:", key="bd-preset",
        type="primary" if hard and lab.epoch == 0 else "secondary",
        on_click=panel.click("bd-preset", lambda: use_preset(pg)), width="stretch",
        help=_("Features and a network that learn this dataset: "
        "{preset_summary}.").format(preset_summary=bd.preset_summary(lab.config.data)),
    )
    with cols[4]:
        copy_link_button(bd.share_link(st.context.url, lab.config, pg.lang), key="bd-copy-link",
                         help=_("Copies a link that sets every control; Play then trains the "
                         "same network on the same points, bit for bit."))


def view_row(pg: Any, panel: LivePanel, lab: bd.BoundaryLab) -> None:
    """The view toggles and the model download."""
    on_setting = panel.click("bd-settings", lambda: apply_settings(pg))
    cols = st.container(key="bd-view").columns([1, 1, 1.2])
    cols[0].toggle(_("Show test data"), key=bd.widget_key("show_test"), on_change=on_setting,
                   help=_("Draw the test points too (outlined in black): are they on the "
                   "right side of a boundary drawn without them?"))
    cols[1].toggle(_("Discretize output"), key=bd.widget_key("discretize"), on_change=on_setting,
                   help=_("Colour each point of the plane by its predicted class only, "
                   "without the shading for how sure the network is."))
    cols[2].download_button(
        _("Download model"), data=lambda: lab_of(pg).model_bytes(), file_name=lab.model_file_name(),
        mime="application/octet-stream", icon=":material/download:", key="bd-download",
        on_click="ignore", width="stretch",
        help=_("The network as it is at the click (.npz + JSON); its inputs are the features "
        "chosen in the settings, in that order."),
    )
