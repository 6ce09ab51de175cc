"""The Sweep page's results: the heatmap filling in, parallel coordinates, the best run (Streamlit)."""

from __future__ import annotations

import streamlit as st

from playground.common.i18n import _, translate_rows
from playground.common.state import Playground, url_params
from playground.sweep import figures
from playground.sweep import view as sv


def draw(state: sv.SweepState) -> None:
    """Below the progress bar: the heatmap of the results so far and, once the sweep
    has ended, every run in parallel coordinates."""
    if state.error:
        st.error(_("The sweep stopped: {error}").format(error=state.error))
    third_value = None
    if len(state.axes) > 2:
        third = sv.PARAMS[state.axes[2]]
        third_value = st.radio(
            _("Show {label}").format(label=_(third.label)),
            state.values[third.key],
            format_func=third.format,
            horizontal=True,
            key="sweep-third",
            help=_("The heatmap shows one value of the third setting at a time."),
        )
    x_labels, y_labels, z, text = sv.heatmap_grid(state, third_value)
    x_param, y_param = sv.PARAMS[state.axes[0]], sv.PARAMS[state.axes[1]]
    title = _("Validation accuracy")
    if third_value is not None:
        title += f", {_(sv.PARAMS[state.axes[2]].label)} {sv.value_label(state.axes[2], third_value)}"
    st.plotly_chart(
        figures.sweep_heatmap(x_labels, y_labels, z, text, _(x_param.label), _(y_param.label), title),
        key="chart-sweep-heatmap",
        config={"displayModeBar": False},
    )
    st.caption(
        _("Each cell is one run, coloured by its accuracy on held-out validation images. "
        "✕ marks a run that blew up (diverged), ! one that failed.")
    )
    if state.results and not state.running:
        dimensions, colour = sv.parallel_dimensions(state)
        st.plotly_chart(
            figures.sweep_parallel(dimensions, colour),
            key="chart-sweep-parallel",
            config={"displayModeBar": False},
        )
        st.caption(_("Every run is a line through its settings to its accuracy. Drag along "
                   "an axis to pick out the runs that pass there."))
    elif state.running:
        # Redrawing this WebGL chart every tick slowed the heatmap's own updates down.
        st.caption(_("A parallel-coordinates plot of every run appears when the sweep ends."))


def outcome(pg: Playground, state: sv.SweepState) -> None:
    """The best run (with a way to open it on Train), the CSV and the table of every run."""
    best = sv.best_result(state.results)
    if best is None:
        if state.results:
            st.warning(_("No run trained to the end without blowing up: try lower learning rates."))
        return
    config = sv.train_config_of(best, state.dataset)
    m1, m2, col = st.columns([1, 1, 1.2])
    m1.metric(_("Best validation accuracy"), f"{best['val_accuracy']:.1%}",
              help=_("The highest share of held-out validation images read right."))
    test = best.get("test_accuracy")
    m2.metric(_("Its test accuracy"), "—" if test is None else f"{test:.1%}",
              help=_("The same run on the test images, which no choice was made on."))
    if col.button(
        _("Best"),
        type="primary",
        icon=":material/open_in_new:",
        key="btn-sweep-best",
        width="stretch",
        help=_("Open the best run's settings on the Train page; Train there gives the same run."),
    ):
        pg.config = config
        st.switch_page("pages/train.py", query_params=url_params(pg))
    st.caption(
        _("Best: {describe}. "
        "[Link to these settings on Train]({train_link})").format(describe=sv.describe(best, state.axes), train_link=sv.train_link(st.context.url, config))
    )
    st.download_button(
        _("Download CSV"),
        data=sv.results_csv(state.results, state.dataset),
        file_name=f"sweep-{state.dataset}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download-sweep-csv",
        on_click="ignore",
        help=_("Every run's settings, accuracies, time and worker, one row per run."),
    )
    st.dataframe(translate_rows(sv.table_rows(state.results, state.axes)), hide_index=True,
                 width="stretch")
