"""Sweep: train a grid of settings at once and watch their accuracy fill in a heatmap."""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from playground.common import vocab
from playground.common.state import url_params
from playground.common.vocab import (
    ACTIVATION_LABELS,
    LEARNING_RATES,
    MAX_EPOCHS,
    OPTIMIZER_LABELS,
    format_l2,
    format_lr,
)
from playground.shell import data, ui
from playground.sweep import figures
from playground.sweep import view as sv

TICK_SECONDS = 0.5  # how often the live panel looks for new results while a sweep runs
THIS_MACHINE, CLUSTER = "This machine", "A Dask cluster"

pg = ui.playground()


@dataclass
class Plan:
    dataset: str
    values: dict
    configs: list
    scheduler: str | None
    n_jobs: int | None
    problem: str | None


# ----------------------------------------------------------------------------- controls


def choose_values(key: str) -> list:
    param = sv.PARAMS[key]
    if key == "learning_rate":
        low, high = st.select_slider(
            "Learning rates from … to",
            LEARNING_RATES,
            value=(1e-4, 1.0),
            format_func=format_lr,
            key="sweep-lr-range",
            help="The range of step sizes to try, on a log scale: the heatmap shows where "
            "it is too small (slow), just right, and too big (blows up).",
        )
        density = st.radio(
            "Learning rates per decade",
            list(sv.LR_DENSITIES),
            horizontal=True,
            key="sweep-lr-density",
            help="How finely to cut each factor of ten: 1 (0.001, 0.01…), 3 (1, 2, 5 of "
            "each), or every rate the Train page offers.",
        )
        values = list(sv.lr_grid(low, high, density))
        st.caption("Learning rates: " + ", ".join(format_lr(v) for v in values))
        return values
    return st.multiselect(
        param.label.capitalize(),
        param.options,
        default=list(param.default),
        format_func=param.format,
        key=f"sweep-values-{key}",
        help=param.help,
    )


def where_to_run() -> tuple[str | None, int | None, str | None]:
    """(scheduler address, local workers, problem)."""
    where = st.radio(
        "Run on",
        [THIS_MACHINE, CLUSTER],
        horizontal=True,
        key="sweep-where",
        help="This machine: one process per core. A Dask cluster: every run is a task on "
        "a cluster you started with `dask scheduler` and `dask worker`.",
    )
    if where == THIS_MACHINE:
        cpus = os.cpu_count() or 1
        n_jobs = cpus if cpus == 1 else st.slider(
            "Worker processes",
            1,
            cpus,
            value=cpus,
            key="sweep-jobs",
            help="How many runs train at the same time, each in its own process with one core.",
        )
        return None, int(n_jobs), None
    text = st.text_input(
        "Scheduler address",
        placeholder="tcp://192.168.1.10:8786",
        key="sweep-scheduler",
        help="The address `dask scheduler` prints, of the form tcp://host:port. Each worker "
        "needs this project installed and loads the dataset itself.",
    )
    if not sv.dask_available():
        return None, None, (
            'Running on a cluster needs Dask on this machine: pip install "dask[distributed]" '
            "and restart the app."
        )
    try:
        return sv.parse_scheduler_address(text), None, None
    except ValueError as exc:
        return None, None, str(exc)


def settings_note(axes: list[str], epochs: int | None) -> str:
    config = pg.config
    fixed = {
        "hidden": f"hidden {config.hidden_label}",
        "activation": ACTIVATION_LABELS.get(config.activation, config.activation),
        "optimizer": OPTIMIZER_LABELS.get(config.optimizer, config.optimizer),
        "learning_rate": f"lr {format_lr(config.learning_rate)}",
        "batch_size": f"batch {config.batch_size}",
        "l2": f"L2 {format_l2(config.l2)}",
        "seed": f"seed {config.seed}",
    }
    shown = [text for key, text in fixed.items() if key not in axes]
    if epochs is not None:
        shown.append(f"{epochs} epochs")
    return "Every run also uses the Train page's other settings: " + ", ".join(shown) + "."


def controls() -> Plan:
    names = vocab.dataset_names()
    dataset = st.selectbox(
        "Dataset",
        names,
        index=names.index(pg.config.dataset) if pg.config.dataset in names else 0,
        format_func=vocab.dataset_short_label,
        key="sweep-dataset",
        help="The images every run learns from. Digits (bundled) trains fastest.",
    )
    axes = st.multiselect(
        "Settings to sweep",
        list(sv.PARAMS),
        default=list(sv.DEFAULT_AXES),
        format_func=lambda k: sv.PARAMS[k].label,
        max_selections=3,
        key="sweep-axes",
        help="Two or three settings: the first runs across the heatmap, the second down it, "
        "a third gets a selector. Every combination is one run.",
    )
    values = {key: choose_values(key) for key in axes}
    epochs = None
    if "epochs" not in axes:
        epochs = st.slider(
            "Epochs per run",
            1,
            MAX_EPOCHS,
            value=pg.config.epochs,
            key="sweep-epochs",
            help="How many times each network sees the training set; fewer make a quicker sweep.",
        )
    st.caption(settings_note(axes, epochs))
    scheduler, n_jobs, problem = where_to_run()
    configs: list = []
    if len(axes) < 2:
        problem = problem or "Pick two or three settings to sweep."
    else:
        try:
            configs = sv.build_configs(values, pg.config, epochs)
        except ValueError as exc:
            problem = problem or f"Can't sweep that: {exc}."
    if scheduler is None and problem is None and not data.is_available(dataset):
        problem = (
            f"{vocab.DISPLAY_NAMES.get(dataset, dataset)} isn't on this machine yet: download it "
            "on the Train page, or pick the digits."
        )
    return Plan(dataset, values, configs, scheduler, n_jobs, problem)


# ----------------------------------------------------------------------------- running


def budget(plan: Plan) -> None:
    dataset = data.load_dataset(plan.dataset)
    n_train = int(round(len(dataset.y_train) * 0.9))
    workers = plan.n_jobs or (os.cpu_count() or 1)
    seconds = sv.estimate_seconds(plan.configs, n_train, workers,
                                  sv.measured_batch_seconds(dataset))
    st.markdown(f"**{sv.budget_line(len(plan.configs), seconds)}**")
    if plan.scheduler:
        st.caption(f"With {workers} local processes; a cluster shares the runs among its workers.")


def start(plan: Plan) -> None:
    from nn_core.sweep import SweepError

    try:
        # Local workers get the dataset this server has loaded; cluster workers load their own.
        dataset = plan.dataset if plan.scheduler else data.load_dataset(plan.dataset)
        pg.rooms["sweep"] = sv.SweepState.start(plan.values, plan.configs, dataset,
                                       scheduler=plan.scheduler, n_jobs=plan.n_jobs)
    except (SweepError, ValueError, OSError) as exc:
        pg.notify("error", f"Couldn't start the sweep: {exc}")
    st.rerun()


def buttons(plan: Plan) -> None:
    state = pg.room("sweep")
    running = state is not None and state.running
    left, right = st.columns(2)
    if left.button(
        "Run",
        type="primary",
        icon=":material/play_arrow:",
        key="btn-sweep-run",
        disabled=running or plan.problem is not None,
        width="stretch",
        help="Train every combination, several at once; the heatmap fills in as they finish.",
    ):
        start(plan)
    if right.button(
        "Cancel",
        icon=":material/stop:",
        key="btn-sweep-cancel",
        disabled=not running,
        width="stretch",
        help="Stop the runs not yet finished; the results so far are kept.",
    ):
        state.cancel()
        st.rerun()


def preview(plan: Plan) -> None:
    """The grid the sweep will fill, empty."""
    x_key, y_key = list(plan.values)[:2]
    st.plotly_chart(
        figures.sweep_heatmap(*sv.preview_grid(plan.values), sv.PARAMS[x_key].label,
                              sv.PARAMS[y_key].label, "Validation accuracy: press Run to fill"),
        key="chart-sweep-heatmap",
        config={"displayModeBar": False},
    )


def live_panel() -> None:
    """Progress, heatmap and parallel coordinates; reruns alone while the sweep runs."""
    with ui.friendly_errors("showing the sweep"):
        state = pg.room("sweep")
        if state is None:
            return
        ended = state.poll()
        if ended or (not state.running and state.shown_running):
            state.shown_running = False
            st.rerun()  # the whole page: buttons, best run, download
        st.progress(state.done_count / max(state.total, 1), text=state.status_line())
        if state.error:
            st.error(f"The sweep stopped: {state.error}")
        third_value = None
        if len(state.axes) > 2:
            third = sv.PARAMS[state.axes[2]]
            third_value = st.radio(
                f"Show {third.label}",
                state.values[third.key],
                format_func=third.format,
                horizontal=True,
                key="sweep-third",
                help="The heatmap shows one value of the third setting at a time.",
            )
        x_labels, y_labels, z, text = sv.heatmap_grid(state, third_value)
        x_param, y_param = sv.PARAMS[state.axes[0]], sv.PARAMS[state.axes[1]]
        title = "Validation accuracy"
        if third_value is not None:
            title += f", {sv.PARAMS[state.axes[2]].label} {sv.value_label(state.axes[2], third_value)}"
        st.plotly_chart(
            figures.sweep_heatmap(x_labels, y_labels, z, text, x_param.label, y_param.label, title),
            key="chart-sweep-heatmap",
            config={"displayModeBar": False},
        )
        st.caption(
            "Each cell is one run, coloured by its accuracy on held-out validation images. "
            "✕ marks a run that blew up (diverged), ! one that failed."
        )
        if state.results and not state.running:
            dimensions, colour = sv.parallel_dimensions(state)
            st.plotly_chart(
                figures.sweep_parallel(dimensions, colour),
                key="chart-sweep-parallel",
                config={"displayModeBar": False},
            )
            st.caption("Every run is a line through its settings to its accuracy. Drag along "
                       "an axis to pick out the runs that pass there.")
        elif state.running:
            # Redrawing this WebGL chart every tick slowed the heatmap's own updates down.
            st.caption("A parallel-coordinates plot of every run appears when the sweep ends.")


def outcome(state: sv.SweepState) -> None:
    best = sv.best_result(state.results)
    if best is None:
        if state.results:
            st.warning("No run trained to the end without blowing up: try lower learning rates.")
        return
    config = sv.train_config_of(best, state.dataset)
    m1, m2, col = st.columns([1, 1, 1.2])
    m1.metric("Best validation accuracy", f"{best['val_accuracy']:.1%}",
              help="The highest share of held-out validation images read right.")
    test = best.get("test_accuracy")
    m2.metric("Its test accuracy", "—" if test is None else f"{test:.1%}",
              help="The same run on the test images, which no choice was made on.")
    if col.button(
        "Best",
        type="primary",
        icon=":material/open_in_new:",
        key="btn-sweep-best",
        width="stretch",
        help="Open the best run's settings on the Train page; Train there gives the same run.",
    ):
        pg.config = config
        st.switch_page("pages/train.py", query_params=url_params(pg))
    st.caption(
        f"Best: {sv.describe(best, state.axes)}. "
        f"[Link to these settings on Train]({sv.train_link(st.context.url, config)})"
    )
    st.download_button(
        "Download CSV",
        data=sv.results_csv(state.results, state.dataset),
        file_name=f"sweep-{state.dataset}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download-sweep-csv",
        on_click="ignore",
        help="Every run's settings, accuracies, time and worker, one row per run.",
    )
    st.dataframe(sv.table_rows(state.results, state.axes), hide_index=True, width="stretch")


# ----------------------------------------------------------------------------- page

st.title("Sweep")
st.caption(
    "Train many networks at once, one per combination of settings, and watch a heatmap "
    "of their accuracy fill in: where the learning rate is too low, just right, too high."
)
ui.show_notices(pg)

settings_col, main_col = st.columns([1, 2.6], gap="large")
with settings_col, st.container(border=True):
    plan = controls()

with main_col:
    if plan.problem:
        st.info(plan.problem, icon=":material/info:")
    else:
        with ui.friendly_errors("estimating the sweep's time"):
            budget(plan)
    state = pg.room("sweep")
    if state is not None:
        state.poll()  # a full rerun looks for results too (not only the live panel's timer)
    buttons(plan)
    if state is None:
        st.info("Pick the settings on the left and press **Run**.", icon=":material/arrow_back:")
        if plan.problem is None:
            with ui.friendly_errors("drawing the empty grid"):
                preview(plan)
    else:
        state.shown_running = state.running
        st.fragment(live_panel, run_every=TICK_SECONDS if state.running else None)()
        if not state.running:
            with ui.friendly_errors("showing the best run"):
                outcome(state)
