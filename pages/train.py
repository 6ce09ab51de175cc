"""Train: pick an architecture, press Train, watch loss, accuracy and weights move."""

import time

import streamlit as st

from playground.common import vocab
from playground.common.diagnosis import run_warning
from playground.common.models import architecture_label
from playground.common.runs import build_network
from playground.common.urlstate import share_link
from playground.common.vocab import (
    ACTIVATION_LABELS,
    ACTIVATIONS,
    BATCH_SIZES,
    FIELD_LABELS,
    L2_VALUES,
    LAYER_SIZES,
    LEARNING_RATES,
    MAX_EPOCHS,
    MAX_HIDDEN_LAYERS,
    OPTIMIZER_LABELS,
    OPTIMIZERS,
    PAUSED,
    RUNNING,
    TrainConfig,
    config_from_widgets,
    format_l2,
    format_lr,
    format_seconds,
)
from playground.shell import data, server, ui
from playground.shell.copy_link import copy_link_button
from playground.train import figures
from playground.train import view as train_view

TICK_SECONDS = 0.1  # how often the live panel steps while a run is going
SLOT_WAIT_SECONDS = 1.0  # longest wait for a training slot while other sessions train

pg = ui.playground()


# ----------------------------------------------------------------------------- controls


def controls(current: TrainConfig) -> tuple[TrainConfig, bool]:
    """The settings column; returns the chosen config and whether its dataset is ready."""
    names = vocab.dataset_names()
    dataset = st.radio(
        "Dataset",
        names,
        index=names.index(current.dataset) if current.dataset in names else 0,
        format_func=vocab.dataset_label,
        key="cfg-dataset",
        help="Digits: small 8×8 images, bundled, trains in about a second. "
        "MNIST: the classic 28×28 digits, bigger and slower, downloaded once.",
    )
    ready = dataset == "digits" or data.is_available(dataset)
    if not ready:
        shown = vocab.DISPLAY_NAMES.get(dataset, dataset)
        st.info(
            f"{shown} isn't on this machine yet: download it once "
            f"(about {vocab.DOWNLOAD_MB.get(dataset, 12)} MB)."
        )
        if st.button(
            f"Download {shown}",
            key=f"download-{dataset}",
            icon=":material/download:",
            help="Fetch the dataset files once; they are kept for next time.",
        ):
            ui.download_with_progress(dataset)
            ready = data.is_available(dataset)

    n_layers = st.radio(
        "Hidden layers",
        list(range(1, MAX_HIDDEN_LAYERS + 1)),
        index=min(len(current.hidden), MAX_HIDDEN_LAYERS) - 1,
        horizontal=True,
        key="cfg-layers",
        help="How many layers of hidden units sit between the pixels and the 10 outputs.",
    )
    hidden = []
    for i in range(n_layers):
        default = current.hidden[i] if i < len(current.hidden) else 32
        hidden.append(
            st.select_slider(
                f"Units in hidden layer {i + 1}",
                LAYER_SIZES,
                value=default if default in LAYER_SIZES else 64,
                key=f"cfg-hidden-{i}",
                help="More units can learn more patterns, but train slower and can overfit.",
            )
        )
    # One select box a row: side by side in the settings column they clipped their text.
    activation = st.selectbox(
        "Activation",
        ACTIVATIONS,
        index=ACTIVATIONS.index(current.activation),
        format_func=lambda a: ACTIVATION_LABELS.get(a, a),
        key="cfg-activation",
        help="The bend each hidden unit applies to its input. ReLU is fast and a good default.",
    )
    optimizer = st.selectbox(
        "Optimizer",
        OPTIMIZERS,
        index=OPTIMIZERS.index(current.optimizer),
        format_func=lambda o: OPTIMIZER_LABELS.get(o, o),
        key="cfg-optimizer",
        help="How the weights are nudged after each batch. Adam adapts its step size; "
        "plain SGD usually wants a larger learning rate.",
    )
    learning_rate = st.select_slider(
        "Learning rate",
        LEARNING_RATES,
        value=current.learning_rate,
        format_func=format_lr,
        key="cfg-lr",
        help="Step size of each update (log scale). Too small: slow learning. Too big: the "
        "loss jumps around or blows up. You can change it while a run is going: it applies "
        "from the next batch.",
    )
    epochs = st.slider(
        "Epochs",
        1,
        MAX_EPOCHS,
        value=current.epochs,
        key="cfg-epochs",
        help="How many times the network sees the whole training set. You can change it "
        "while a run is going.",
    )
    left, right = st.columns(2)
    batch_size = left.select_slider(
        "Batch size",
        BATCH_SIZES,
        value=current.batch_size,
        key="cfg-batch",
        help="Images per weight update. Small batches: more, noisier updates per epoch. "
        "A change while a run is going applies from the next epoch.",
    )
    l2 = right.select_slider(
        "L2",
        L2_VALUES,
        value=current.l2,
        format_func=format_l2,
        key="cfg-l2",
        help="Weight decay: pulls weights towards 0 to fight overfitting. 'off' = none. "
        "A change while a run is going applies from the next batch.",
    )
    seed = st.number_input(
        "Seed",
        min_value=0,
        max_value=2**31 - 1,
        value=current.seed,
        step=1,
        key="cfg-seed",
        help="Fixes the random starting weights and shuffling, so a run can be repeated exactly.",
    )
    config = TrainConfig(
        dataset=dataset,
        hidden=tuple(hidden),
        activation=activation,
        optimizer=optimizer,
        learning_rate=float(learning_rate),
        epochs=int(epochs),
        batch_size=int(batch_size),
        l2=float(l2),
        seed=int(seed),
    )
    return config, ready


# ----------------------------------------------------------------------------- buttons


@ui.guarded("starting the run")
def _on_train() -> None:
    # The widgets' current values, not pg.config: a setting changed just before the click
    # may not have reached pg.config yet (its rerun was cut short by the click).
    pg.start_training(config_from_widgets(st.session_state, pg.config), data.load_dataset)


@ui.guarded("stopping the run")
def _on_stop() -> None:
    record = pg.stop()
    if record is not None:
        pg.notify("info", f"Stopped run #{record.run_id} after {record.epochs_done} epochs; its weights are kept.")


@ui.guarded("resetting")
def _on_reset() -> None:
    pg.reset()
    pg.notify("info", "Reset. Press **Train** to start a new network with the settings on the left.")


def buttons(ready: bool) -> None:
    run = pg.run
    running = run is not None and run.status == RUNNING
    paused = run is not None and run.status == PAUSED
    cols = st.columns([1.3, 1, 1, 1, 1.2])
    cols[0].button(
        "Train",
        type="primary",
        icon=":material/play_arrow:",
        key="btn-train",
        on_click=_on_train,
        disabled=running or not ready,
        width="stretch",
        help="Start a new run from fresh random weights with the settings on the left.",
    )
    cols[1].button(
        "Resume" if paused else "Pause",
        icon=":material/pause:" if not paused else ":material/play_circle:",
        key="btn-pause",
        on_click=ui.guarded("pausing or resuming the run")(pg.toggle_pause),
        disabled=not (running or paused),
        width="stretch",
        help="Pause training and look around; Resume carries on from the same weights.",
    )
    cols[2].button(
        "Stop",
        icon=":material/stop:",
        key="btn-stop",
        on_click=_on_stop,
        disabled=not (running or paused),
        width="stretch",
        help="End the run now and keep the weights it has learned so far.",
    )
    cols[3].button(
        "Reset",
        icon=":material/restart_alt:",
        key="btn-reset",
        on_click=_on_reset,
        disabled=run is None,
        width="stretch",
        help="Clear the current run so the next Train builds a new network.",
    )
    with cols[4]:
        copy_link_button(share_link(st.context.url, pg.config), key="train-copy-link",
                         help="Copies a link that sets these controls; Train then gives the "
                         "same curves and weights, bit for bit (settings only, not your runs).")


# ----------------------------------------------------------------------------- live panel


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _chart(figure, key: str, **kwargs) -> None:
    st.plotly_chart(figure, key=key, width="stretch", config={"displayModeBar": False}, **kwargs)


def render_run(run, bar) -> None:
    """Everything below the progress bar. While the run trains only the curves and
    health meters are drawn (capped by the tick rate); the weight heatmaps join once
    it pauses or ends, so drawing stays a small share of the run's time."""
    started = time.perf_counter()
    bar.progress(run.progress, text=f"Run #{run.run_id}: {run.status_line()}")
    if run.message:
        st.warning(run.message, icon=":material/warning:")
    warning = run_warning(run.config, run.history, run.n_classes)
    if warning:
        st.warning(warning, icon=":material/psychology_alt:")
    if run.is_done:
        m1, m2, m3 = st.columns(3)
        m1.metric(
            "Test accuracy",
            _percent(run.test_accuracy),
            delta=train_view.accuracy_delta(run, pg.runs),
            help="Share of the held-out test images (never used in training) read right.",
        )
        m2.metric("Train accuracy", _percent(run.train_accuracy), help="Share of the training images read right.")
        m3.metric("Training time", format_seconds(run.train_seconds), help="Time the network spent learning; drawing the live charts is not counted.")
    _chart(
        figures.training_curves(vars(run.history), run.target_epochs,
                                lr_marks=train_view.lr_marks(run)),
        "chart-curves",
    )
    if run.history.health:
        _chart(
            figures.health_meters(run.history.health, run.trainer.batches_per_epoch,
                                  run.config.activation),
            "chart-health",
        )
        st.caption(
            "Health, sampled a few times per epoch: each weight matrix's gradient size (if the "
            "first layer's is far below the last's, gradients are vanishing), and the share "
            "of hidden units that are dead or saturated, which no longer learn."
        )
    if run.status == RUNNING:
        st.caption(
            "The weight pictures appear when the run pauses or ends: redrawing them every "
            "frame would slow the training down."
        )
        run.chart_seconds += time.perf_counter() - started
    else:
        render_weights(run)


def render_weights(run) -> None:
    image_shape = getattr(run.dataset, "image_shape", None)
    weights = run.net.weights
    if image_shape is not None:
        _chart(figures.weight_tiles(weights[0], image_shape), "chart-tiles")
        st.caption(
            "Each tile is one hidden unit: the weight it gives every input pixel. "
            "Red pixels push the unit up, blue pixels push it down."
        )
    deeper = weights[1:]
    if deeper:
        names = [str(c) for c in getattr(run.dataset, "class_names", range(run.n_classes))]
        cols = st.columns(len(deeper))
        for i, (col, w) in enumerate(zip(cols, deeper, strict=True)):
            last = i == len(deeper) - 1
            with col:
                _chart(
                    figures.weight_matrix(
                        w,
                        from_label=f"hidden {i + 1}",
                        to_label="output" if last else f"hidden {i + 2}",
                        to_names=names if last else None,
                    ),
                    f"chart-matrix-{i}",
                )


def preview(config: TrainConfig) -> None:
    """Empty curves and the starting weights of the network that Train would build."""
    _chart(figures.training_curves({}, config.epochs), "chart-curves")
    shape = vocab.IMAGE_SHAPES.get(config.dataset)
    if shape is None:
        return
    net = build_network(config, shape[0] * shape[1])
    _chart(
        figures.weight_tiles(
            net.weights[0], shape, title=f"Starting weights: random (seed {config.seed})"
        ),
        "chart-tiles",
    )
    st.caption(
        f"Train will build a {architecture_label(net)}. Each tile is one hidden unit's "
        "weight for every input pixel. Training shapes them."
    )


def live_panel() -> None:
    with ui.friendly_errors("training"):
        run = pg.run
        if run is None:
            return
        bar = st.progress(run.progress, text=f"Run #{run.run_id}: {run.status_line()}")
        if run.status == RUNNING:
            with server.training_slot(timeout=SLOT_WAIT_SECONDS) as slot:
                if slot:  # else every slot is busy with other sessions: show, train next tick
                    # Updating the bar between pieces is where a click stops this tick.
                    train_view.tick(
                        run,
                        checkpoint=lambda r: bar.progress(
                            r.progress, text=f"Run #{r.run_id}: {r.status_line()}"
                        ),
                    )
            if run.is_done:
                pg.complete_run(run)
                st.rerun()  # refresh the whole page: metrics, comparison, sidebar
        elif pg.page_shows_running:
            # The run is over but the page around this panel was last drawn while it ran
            # (the full rerun asked for above can lose a race with the panel's own timer):
            # draw it again, or Train would stay disabled and the sidebar out of date.
            pg.page_shows_running = False
            st.rerun()
        render_run(run, bar)


# ----------------------------------------------------------------------------- compare


def compare_runs() -> None:
    st.subheader("Compare runs")
    metrics = {
        "validation loss": "val_loss",
        "training loss": "loss",
        "validation accuracy": "val_accuracy",
        "training accuracy": "accuracy",
    }
    left, right = st.columns([1, 2])
    metric = left.radio(
        "Curve",
        list(metrics),
        key="compare-metric",
        help="Which per-epoch curve to overlay for the chosen runs.",
    )
    by_id = {r.run_id: r for r in pg.runs}
    chosen = right.multiselect(
        "Runs",
        list(by_id),
        default=list(by_id)[-5:],
        format_func=lambda i: by_id[i].label,
        help="Every finished run of this session. Pick several to compare hidden sizes, "
        "learning rates or epochs.",
    )
    with right:
        _chart(
            figures.run_overlay(
                [(by_id[i].label, by_id[i].history[metrics[metric]]) for i in chosen], metric
            ),
            "chart-compare",
        )
    st.dataframe(
        [r.summary_row() for r in reversed(pg.runs)],
        hide_index=True,
        width="stretch",
    )
    if st.button("Forget all runs", key="btn-clear-runs", help="Empty this list (the current model stays)."):
        pg.runs.clear()
        st.rerun()


# ----------------------------------------------------------------------------- page

st.title("Train")
st.caption(
    "Choose an architecture, press **Train** and watch the loss fall and the weights take "
    "shape. Then go to **Draw** and see if it can read your handwriting."
)
ui.show_notices(pg)

settings_col, main_col = st.columns([1, 2.6], gap="large")
with settings_col, st.container(border=True):
    config, dataset_ready = controls(pg.config)
    pg.config = config

run = pg.run
with main_col:
    if run is not None and run.is_done and not any(r.run_id == run.run_id for r in pg.runs):
        pg.complete_run(run)  # it ended in a tick that a click cut short
    if run is not None and run.is_active:
        changed = run.config.architecture_changes(config)
        if changed:
            st.warning(
                f"You changed the {', '.join(FIELD_LABELS[c] for c in changed)}. That needs a new "
                "network: press **Reset**, then **Train**. The current run goes on as it was.",
                icon=":material/sync_problem:",
            )
        for note in train_view.live_change_notes(run.apply_live(config), run, config.epochs):
            st.toast(note)
    buttons(dataset_ready)
    if run is None:
        st.info(train_view.start_tip(config), icon=":material/arrow_back:")
        with ui.friendly_errors("previewing the network"):
            preview(config)
    else:
        # Remember how the page around the live panel was drawn (buttons, sidebar, runs).
        pg.page_shows_running = run.status == RUNNING
        st.fragment(live_panel, run_every=TICK_SECONDS if pg.page_shows_running else None)()

if pg.runs:
    st.divider()
    with ui.friendly_errors("comparing runs"):
        compare_runs()
