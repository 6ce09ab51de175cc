"""The Train page's run panel: curves, health, metrics and weights of a run, and the
comparison of finished runs (Streamlit)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import streamlit as st

from playground.common.diagnosis import run_warning
from playground.common.runs import RunRecord, TrainingRun
from playground.common.state import Playground
from playground.common.vocab import RUNNING, format_seconds
from playground.train import figures
from playground.train import view as train_view


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def chart(figure: Any, key: str, **kwargs: Any) -> None:
    st.plotly_chart(figure, key=key, width="stretch", config={"displayModeBar": False}, **kwargs)


def render_run(run: TrainingRun, runs: Sequence[RunRecord]) -> None:
    """Everything below the progress bar (``runs``: the finished ones, for the accuracy delta). While the run trains only the curves and
    health meters are drawn (capped by the tick rate); the weight heatmaps join once
    it pauses or ends, so drawing stays a small share of the run's time."""
    started = time.perf_counter()
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
            delta=train_view.accuracy_delta(run, runs),
            help="Share of the held-out test images (never used in training) read right.",
        )
        m2.metric("Train accuracy", _percent(run.train_accuracy), help="Share of the training images read right.")
        m3.metric("Training time", format_seconds(run.train_seconds), help="Time the network spent learning; drawing the live charts is not counted.")
    chart(
        figures.training_curves(vars(run.history), run.target_epochs,
                                lr_marks=train_view.lr_marks(run)),
        "chart-curves",
    )
    if run.history.health:
        chart(
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


def render_weights(run: TrainingRun) -> None:
    image_shape = getattr(run.dataset, "image_shape", None)
    weights = run.net.weights
    if image_shape is not None:
        chart(figures.weight_tiles(weights[0], image_shape), "chart-tiles")
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
                chart(
                    figures.weight_matrix(
                        w,
                        from_label=f"hidden {i + 1}",
                        to_label="output" if last else f"hidden {i + 2}",
                        to_names=names if last else None,
                    ),
                    f"chart-matrix-{i}",
                )


def compare_runs(pg: Playground) -> None:
    """The finished runs of this tab: their curves overlaid, a table, and a way to forget them."""
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
        chart(
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
