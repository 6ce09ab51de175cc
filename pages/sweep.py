"""Sweep: train a grid of settings at once and watch their accuracy fill in a heatmap."""

from __future__ import annotations

import os

import streamlit as st

from playground.common.i18n import N_, _
from playground.shell import data, layout, live, ui
from playground.sweep import controls, figures
from playground.sweep import panel as sweep_panel
from playground.sweep import view as sv

TICK_SECONDS = 0.5  # how often the live panel looks for new results while a sweep runs

pg = ui.playground()
panel = live.LivePanel(pg, "sweep")


# ----------------------------------------------------------------------------- running


def budget(plan: controls.Plan) -> None:
    dataset = data.load_dataset(plan.dataset)
    workers = plan.n_jobs or (os.cpu_count() or 1)
    seconds = sv.estimate_seconds(plan.configs, sv.training_rows(dataset), workers,
                                  sv.measured_batch_seconds(dataset), sv.machine_speed(workers))
    st.markdown(f"**{sv.budget_line(len(plan.configs), seconds)}**")
    if plan.scheduler:
        st.caption(_("With {workers} local processes; a cluster shares the runs among its workers.").format(workers=workers))


def start(plan: controls.Plan) -> None:
    try:
        # Local workers get the dataset this server has loaded; cluster workers load their own.
        dataset = plan.dataset if plan.scheduler else data.load_dataset(plan.dataset)
        pg.rooms["sweep"] = sv.SweepState.start(plan.values, plan.configs, dataset,
                                       scheduler=plan.scheduler, n_jobs=plan.n_jobs)
    except sv.start_errors() as exc:
        pg.notify("error", _("Couldn't start the sweep: {exc}").format(exc=exc))
    st.rerun()


def buttons(plan: controls.Plan) -> None:
    state = pg.room("sweep")
    running = state is not None and state.running
    left, right = st.container(key="sweep-actions").columns(2)
    if left.button(
        _("Run"),
        type="primary",
        icon=":material/play_arrow:",
        key="btn-sweep-run",
        disabled=running or plan.problem is not None,
        width="stretch",
        help=_("Train every combination, several at once; the heatmap fills in as they finish."),
    ):
        start(plan)
    if right.button(
        _("Cancel"),
        icon=":material/stop:",
        key="btn-sweep-cancel",
        disabled=not running,
        width="stretch",
        help=_("Stop the runs not yet finished; the results so far are kept."),
    ):
        state.cancel()
        st.rerun()


def preview(plan: controls.Plan) -> None:
    """The grid the sweep will fill, empty."""
    x_key, y_key = list(plan.values)[:2]
    st.plotly_chart(
        figures.sweep_heatmap(*sv.preview_grid(plan.values), _(sv.PARAMS[x_key].label),
                              _(sv.PARAMS[y_key].label), _("Validation accuracy: press Run to fill")),
        key="chart-sweep-heatmap",
        config={"displayModeBar": False},
    )


def show_sweep(state: sv.SweepState) -> None:
    """Progress, heatmap and parallel coordinates; the panel looks for new results
    every tick while the sweep runs (the runs train in other processes)."""
    panel.show(
        live=lambda: pg.room("sweep") is state and state.running,
        step=lambda checkpoint: state.poll(),
        draw=lambda: sweep_panel.draw(state),
        progress=lambda: (state.done_count / max(state.total, 1), state.status_line()),
        every=TICK_SECONDS,
        doing=N_("showing the sweep"),
    )


# ----------------------------------------------------------------------------- page

settings_box, main_box = ui.settings_page(
    pg,
    _("Sweep"),
    _("Train many networks at once, one per combination of settings, and watch a heatmap "
    "of their accuracy fill in: where the learning rate is too low, just right, too high."),
    "sweep",
)
with settings_box:
    plan = controls.controls(pg)

with main_box:
    if plan.problem:
        st.info(plan.problem, icon=":material/info:")
    else:
        with ui.friendly_errors(N_("estimating the sweep's time")):
            budget(plan)
    state = pg.room("sweep")
    if state is not None:
        state.poll()  # a full rerun looks for results too (not only the live panel's timer)
    buttons(plan)
    if state is None:
        layout.by_width(
            "sweep-tip",
            wide=lambda: st.info(_("Pick the settings on the left and press **Run**."),
                                 icon=":material/arrow_back:"),
            narrow=lambda: st.info(_("Press **Run**, or first pick the settings below the grid."),
                                   icon=":material/arrow_downward:"),
        )
        if plan.problem is None:
            with ui.friendly_errors(N_("drawing the empty grid")):
                preview(plan)
    else:
        show_sweep(state)
        if not state.running:
            with ui.friendly_errors(N_("showing the best run")):
                sweep_panel.outcome(pg, state)
