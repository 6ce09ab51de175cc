"""Parts of the Optimizers page, in Streamlit: the Momentum map read from the bench's
saved grid, the 2-D race's table, and the network race's results with the verdict read
off its own table.

The map is the bench's (``bench/results/momentum_map.json``), not recomputed on a click:
its ~1,300 paths take seconds. The cost: it is only as fresh as the last
``python bench/momentum_map.py``, which its caption names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from playground.common.figures import RUN_COLOURS
from playground.common.i18n import _, translate_rows
from playground.learn import figures as learn_figures
from playground.learn import optimizer_race as race
from playground.shell import livechart
from playground.shell.livechart import LiveStream, line_chart

MAP_FILE = Path(__file__).resolve().parents[2] / "bench" / "results" / "momentum_map.json"


@st.cache_data(show_spinner=False)
def _momentum_map(mtime: float) -> dict | None:  # the file's mtime: a new bench run reloads
    try:
        return json.loads(MAP_FILE.read_text())
    except (OSError, ValueError):
        return None


def momentum_map() -> None:
    """The (η, μ) map for Momentum on the valley, its optimum and the page's default."""
    try:
        found = _momentum_map(MAP_FILE.stat().st_mtime)
    except OSError:
        found = None
    if found is None:
        st.info(_("No map yet: run `python bench/momentum_map.py`."), icon=":material/map:")
        return
    valley = race.SURFACES["valley"]
    best = found["optimum"]
    default = (valley.learning_rates["momentum"], valley.momentum)
    marks = [(_("optimum: η {lr:g}, μ {momentum:g}, {steps} steps").format(
                lr=best["learning_rate"], momentum=best["momentum"], steps=best["steps"]),
              best["learning_rate"], best["momentum"]),
             (_("the page's default: η {default:g}, μ {default2:g}").format(default=default[0], default2=default[1]), *default),
             ("μ 0.9, η 0.1", 0.1, 0.9)]
    st.plotly_chart(
        learn_figures.momentum_map(found["learning_rates"], found["momenta"],
                                   found["steps_to_converge"], marks, found["steps"]),
        key="chart-momentum-map", config={"displayModeBar": False})
    st.caption(
        _("Measured by `{found}`: the engine's Momentum from the valley's start, "
        "{found2} learning rates x {found3} momenta, "
        "steps until it stays within {found4:g} of the minimum (out of "
        "{found5}). Too little μ and it crawls like SGD; too much for its η and it "
        "swings across the valley; past the right edge it diverges.").format(found=found['command'], found2=len(found['learning_rates']), found3=len(found['momenta']), found4=found['tolerance'], found5=found['steps'])
    )


#: How the 2-D race table writes its numbers (by the rows' keys).
RACE_NUMBER_FORMATS = {"distance to a minimum": "{:.2e}", "f − f_min at the end": "{:.2e}",
                       "learning rate": "{:g}"}


def race_number(key: str, value: object) -> object:
    """A race table cell: its number written by RACE_NUMBER_FORMATS, with the minus sign
    (U+2212) for the hyphen, which a browser may break a line after: on a phone,
    "5.03e-06" showed as "5.03e-" over "06"."""
    if key not in RACE_NUMBER_FORMATS:
        return value
    return RACE_NUMBER_FORMATS[key].format(value).replace("-", "\u2212")


def race_table(surface: race.Surface, paths: list, tolerance: float) -> None:
    """The 2-D race's table, as a plain HTML table with its numbers written out: it shows
    in the same browser frame as the text around it (``st.dataframe``'s canvas grid took
    about 0.2 s more to show new rows after a surface change), and a table of five rows
    needs no scrolling or sorting."""
    steps = f"steps to within {tolerance:g}"  # the rows' key (race.race_table)
    labels = {steps: _("steps to within {tolerance:g}").format(tolerance=tolerance)}
    rows = [{key: race_number(key, value) for key, value in row.items()}
            for row in race.race_table(surface, paths, tolerance)]
    st.table(pd.DataFrame(translate_rows(rows, labels)).set_index(_("optimizer")))
    st.caption(
        _("Steps to within the tolerance: the first step from which the path stays that close "
        "to a minimum until the end.")
        + (_(" Left the saddle: the first step more than that far out along the way off it.")
           if surface.escape is not None else "")
    )


#: Shortest time between two frames of the race's live view (the browser asks for each).
FRAME_SECONDS = 1 / 15


def race_live_view(current: race.NetworkRace, stream: LiveStream) -> None:
    """The race's validation curves while it runs, in the live component (uPlot): the
    browser appends each frame's new epochs. Drawn with Plotly on every frame, the two
    charts kept the browser's main thread busy for 96% of a 60-epoch race. Each curve
    goes up to the epoch every optimizer has reached (they train in turns)."""
    loss, accuracy = current.curves("val_loss"), current.curves("val_accuracy")
    reached = min((len(values) for _label, values in loss), default=0)
    series = [{"name": label, "colour": RUN_COLOURS[i % len(RUN_COLOURS)]}
              for i, (label, _values) in enumerate(loss)]
    epoch = _("epoch")
    layout = {"charts": [
        line_chart("race-loss", _("Validation loss per epoch"), "curves", series,
                   x_label=epoch),
        line_chart("race-accuracy", _("Validation accuracy per epoch"), "curves", series,
                   x_label=epoch, percent=True, y_max=1.02),
    ]}
    xs = list(range(1, reached + 1))
    payload = stream.frame(
        f"race-{id(current)}", layout,
        {"race-loss": (xs, [values[:reached] for _label, values in loss]),
         "race-accuracy": (xs, [values[:reached] for _label, values in accuracy])},
        x_range=(1.0, float(max(2, current.epochs))), running=not current.done)
    livechart.show(payload, key="race-live", pace=FRAME_SECONDS, stream=stream)


def race_results(current: race.NetworkRace, stream: LiveStream) -> None:
    """The network race: its live curves while it runs (``stream``: what the tab's
    browser was sent), then the finished curves (Plotly, with their hover), the table
    and the verdict."""
    if not current.done:
        race_live_view(current, stream)
        return
    left, right = st.columns(2)
    left.plotly_chart(
        learn_figures.curves(current.curves("val_loss"), _("validation loss"),
                             _("Validation loss per epoch")),
        key="chart-net-loss", config={"displayModeBar": False})
    right.plotly_chart(
        learn_figures.curves(current.curves("val_accuracy"), _("validation accuracy"),
                             _("Validation accuracy per epoch"), percent=True),
        key="chart-net-accuracy", config={"displayModeBar": False})
    target = f"epochs to {race.TARGET_ACCURACY:.0%} (validation)"  # the rows' key
    labels = {target: _("epochs to {target:.0%} (validation)").format(target=race.TARGET_ACCURACY)}
    st.dataframe(translate_rows(current.table(), labels), hide_index=True, width="stretch",
                 column_config={
                     _("best validation accuracy"): st.column_config.NumberColumn(format="%.3f"),
                     _("test accuracy there"): st.column_config.NumberColumn(format="%.3f"),
                     _("learning rate"): st.column_config.NumberColumn(format="%g"),
                 })
    if current.done:
        st.markdown(current.verdict())
