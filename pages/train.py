"""Train: pick an architecture, press Train, watch loss, accuracy and weights move."""

import streamlit as st

from playground.common import vocab
from playground.common.i18n import N_, _
from playground.common.models import architecture_label
from playground.common.runs import build_network
from playground.common.vocab import RUNNING, TrainConfig, field_label
from playground.shell import layout, live, ui
from playground.train import panel as run_panel
from playground.train import settings
from playground.train import view as train_view

TICK_SECONDS = 1.0  # the live panel's timer; its view asks for each next frame itself (panel.FRAME_SECONDS)
SLOT_WAIT_SECONDS = 1.0  # longest wait for a training slot while other sessions train

pg = ui.playground()
panel = live.LivePanel(pg, "train")  # first: it carries out the buttons' clicks


def show_run(run) -> None:
    """The live panel of ``run``: the panel's worker trains it a piece at a time while
    frames draw it; a run that ends is kept at once (``pg.start_run``), and its network
    answers on Draw and Inspect."""
    stream = run_panel.live_stream(pg)
    stream.restart()  # a full page run: the view may be new (a reload), send it all
    panel.show(
        live=lambda: pg.run is run and run.status == RUNNING,
        step=lambda _checkpoint: train_view.train_piece(run),
        draw=lambda: run_panel.render_run(run, pg.runs, stream),
        progress=lambda: (run.progress, _("Run #{run_id}: {status}").format(
            run_id=run.run_id, status=run.status_line())),
        every=TICK_SECONDS,
        slot_wait=SLOT_WAIT_SECONDS,
        doing=N_("training"),
        background=True,
        # A setting changed while frames ask can miss its own page run (shell/live.py).
        widgets_changed=lambda: vocab.config_from_widgets(st.session_state, pg.config) != pg.config,
    )


def preview(config: TrainConfig) -> None:
    """Empty curves and the starting weights of the network that Train would build."""
    shape = vocab.IMAGE_SHAPES.get(config.dataset)
    net = build_network(config, shape[0] * shape[1]) if shape is not None else None
    stream = run_panel.live_stream(pg)
    stream.restart()
    if net is None:
        run_panel.preview(config, None, None, stream)
        return
    run_panel.preview(config, net, shape, stream)
    st.caption(
        _("Train will build a {architecture_label}. Each tile is one hidden unit's "
        "weight for every input pixel. Training shapes them.").format(architecture_label=architecture_label(net))
    )


settings_box, main_box = ui.settings_page(
    pg,
    _("Train"),
    _("Choose an architecture, press **Train** and watch the loss fall and the weights take "
    "shape. Then go to **Draw** and see if it can read your handwriting."),
    "train",
)
with settings_box:
    config, dataset_ready = settings.controls(pg.config)
    pg.config = config
    settings.preset_button(pg, panel)

run = pg.run
with main_box:
    if run is not None and run.is_active:
        changed = run.config.architecture_changes(config)
        if changed:
            st.warning(
                _("You changed the {items}. That needs a new "
                "network: press **Reset**, then **Train**. The current run goes on as it was.").format(items=', '.join(field_label(c) for c in changed)),
                icon=":material/sync_problem:",
            )
        for note in train_view.live_change_notes(run.apply_live(config), run, config.epochs):
            st.toast(note)
    settings.buttons(pg, panel, dataset_ready)
    if run is None:
        layout.by_width(
            "train-tip",
            wide=lambda: st.info(train_view.start_tip(config), icon=":material/arrow_back:"),
            narrow=lambda: st.info(train_view.start_tip(config, narrow=True),
                                   icon=":material/arrow_downward:"),
        )
        with ui.friendly_errors(N_("previewing the network")):
            preview(config)
    else:
        show_run(run)

if pg.runs:
    st.divider()
    with ui.friendly_errors(N_("comparing runs")):
        run_panel.compare_runs(pg)
