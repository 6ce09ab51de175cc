"""The Train page's run panel: the live view of a run (curves, health, weights), its
metrics, and the comparison of finished runs (Streamlit)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import streamlit as st

from playground.common import figures as common_figures
from playground.common.diagnosis import run_warning
from playground.common.figures import NEGATIVE_NAME, POSITIVE_NAME
from playground.common.i18n import N_, _
from playground.common.runs import RUN_COLUMNS, RunRecord, TrainingRun
from playground.common.state import Playground
from playground.common.vocab import RUNNING, TrainConfig, format_seconds
from playground.shell import livechart
from playground.shell.livechart import LiveStream
from playground.train import figures
from playground.train import view as train_view

#: Seconds between two weight pictures sent while a run trains (2.5 a second).
WEIGHTS_EVERY = 0.4
#: Shortest time between two frames a running view's browser asks for (15 a second at
#: most; each is asked for once the last is drawn, see ``livechart.show``).
FRAME_SECONDS = 1 / 15


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def chart(figure: Any, key: str, **kwargs: Any) -> None:
    st.plotly_chart(figure, key=key, width="stretch", config={"displayModeBar": False}, **kwargs)


#: Captions of the live view's sections (drawn inside it, under each).
CAPTIONS = {
    "curves": N_("Hover a chart for each curve's value at that epoch. Dashed lines mark "
              "learning-rate changes."),
    "health": N_("Health, sampled a few times per epoch: each weight matrix's gradient size (if "
              "the first layer's is far below the last's, gradients are vanishing), and the "
              "share of hidden units that are dead or saturated, which no longer learn."),
    "weights": N_("Each tile is one hidden unit: the weight it gives every input pixel. "
                  "{Positive} pixels push the unit up, {negative} pixels "
                  "push it down. The pictures move while it trains (about twice a second); "
                  "Freeze keeps them still for reading. Hover a tile for its unit and range."),
}


def captions() -> dict[str, str]:
    """:data:`CAPTIONS` in the tab's language."""
    colours = {"Positive": _(POSITIVE_NAME).capitalize(), "negative": _(NEGATIVE_NAME)}
    return {name: _(text).format(**colours) for name, text in CAPTIONS.items()}


def live_stream(pg: Playground) -> LiveStream:
    """The tab's stream of the Train live view (what its browser was sent)."""
    return pg.room("train-live-view", LiveStream)


def _layout(activation: str, health: Sequence) -> dict:
    layout = figures.live_health_series(figures.live_layout(activation, bool(health)), health)
    return {**layout, "captions": captions()}


def render_run(run: TrainingRun, runs: Sequence[RunRecord], stream: LiveStream) -> None:
    """Everything below the progress bar (``runs``: the finished ones, for the accuracy
    delta): warnings, the final metrics, and one frame of the live view, which gets only
    the points it lacks, and the weights at most every ``WEIGHTS_EVERY`` seconds."""
    started = time.perf_counter()
    if run.message:
        st.warning(run.message, icon=":material/warning:")
    warning = run_warning(run.config, run.history, run.n_classes)
    if warning:
        st.warning(warning, icon=":material/psychology_alt:")
    if run.is_done:
        m1, m2, m3 = st.columns(3)
        m1.metric(
            _("Test accuracy"),
            _percent(run.test_accuracy),
            delta=train_view.accuracy_delta(run, runs),
            help=_("Share of the held-out test images (never used in training) read right."),
        )
        m2.metric(_("Train accuracy"), _percent(run.train_accuracy), help=_("Share of the training images read right."))
        m3.metric(_("Training time"), format_seconds(run.train_seconds), help=_("Time the network spent learning; drawing the live charts is not counted."))
    # No lock: the run's worker trains on meanwhile, and a frame waiting for its piece
    # cost 44 ms of each frame's time. The picture may be a step apart between charts;
    # live_points keeps the curves to whole epochs.
    running = run.status == RUNNING
    drawn_epochs = run.epochs_done
    history = vars(run.history)
    health = run.history.health
    # The stream restarts when the health series appear (the layout gains their lines).
    stream_id = f"run-{run.run_id}-{min(len(health), 1)}"
    image_shape = getattr(run.dataset, "image_shape", None)
    names = [str(c) for c in getattr(run.dataset, "class_names", range(run.n_classes))]
    payload = stream.frame(
        stream_id,
        _layout(run.config.activation, health),
        figures.live_points(history, run.trainer.batches_per_epoch),
        x_range=figures.curve_x_range(run.epochs_done, run.target_epochs, running),
        now=run.epochs_done + (run.trainer.batch / max(1, run.trainer.batches_per_epoch)),
        marks=figures.lr_mark_labels(train_view.lr_marks(run)),
        running=running,
        images=lambda: figures.weight_images(run.net.weights, image_shape, names),
        images_every=WEIGHTS_EVERY,
    )
    livechart.show(payload, key="train-live", pace=FRAME_SECONDS, stream=stream)
    if running:
        run.frames += 1
        run.drawn_epochs = drawn_epochs
        run.chart_seconds += time.perf_counter() - started
    elif health:
        activation_panel(run)


def activation_panel(run: TrainingRun) -> None:
    """The hidden activation and its slope, with the first hidden layer's z values on a
    batch of validation rows: where units saturate or die (drawn when the run pauses or
    ends; its histogram would cost a Plotly redraw per frame)."""
    args, caption = train_view.activation_view(run)
    chart(common_figures.activation_curves(**args, height=230), "chart-activation")
    st.caption(caption)


def preview(config: TrainConfig, net: Any, image_shape: tuple[int, int] | None,
            stream: LiveStream) -> None:
    """Empty curves and the starting weights of the network that Train would build."""
    payload = stream.frame(
        "preview",
        {**figures.live_layout(config.activation, health=False), "captions": captions()},
        figures.live_points({}, 1),
        x_range=figures.curve_x_range(0, config.epochs, True),
        images=None if net is None else lambda: figures.weight_images(
            net.weights, image_shape,
            title=_("Starting weights: random (seed {seed})").format(seed=config.seed)),
    )
    livechart.show(payload, key="train-live")


#: The curves the comparison can overlay: the history's key and its label.
CURVES = {
    "val_loss": N_("validation loss"),
    "loss": N_("training loss"),
    "val_accuracy": N_("validation accuracy"),
    "accuracy": N_("training accuracy"),
}


def compare_runs(pg: Playground) -> None:
    """The finished runs of this tab: their curves overlaid, a table, and a way to forget them."""
    st.subheader(_("Compare runs"))
    left, right = st.columns([1, 2])
    metric = left.radio(
        _("Curve"),
        list(CURVES),
        format_func=lambda curve: _(CURVES[curve]),
        key="compare-metric",
        help=_("Which per-epoch curve to overlay for the chosen runs."),
    )
    by_id = {r.run_id: r for r in pg.runs}
    ids = list(by_id)
    # Keyed, so a language switch keeps the choice; so a run that finishes (or a Forget)
    # must set it anew: the newest five, as on first sight.
    if st.session_state.get("compare-runs-of") != ids:
        st.session_state["compare-runs"] = ids[-5:]
        st.session_state["compare-runs-of"] = ids
    chosen = right.multiselect(
        _("Runs"),
        ids,
        key="compare-runs",
        format_func=lambda i: by_id[i].label,
        help=_("Every finished run of this session. Pick several to compare hidden sizes, "
        "learning rates or epochs."),
    )
    with right:
        chart(
            figures.run_overlay(
                [(by_id[i].label, by_id[i].history[metric]) for i in chosen], _(CURVES[metric]),
                percent="accuracy" in metric,
            ),
            "chart-compare",
        )
    st.dataframe(
        [{_(RUN_COLUMNS[column]): value for column, value in r.summary_row().items()}
         for r in reversed(pg.runs)],
        hide_index=True,
        width="stretch",
    )
    if st.button(_("Forget all runs"), key="btn-clear-runs", help=_("Empty this list (the current model stays).")):
        pg.runs.clear()
        st.rerun()
