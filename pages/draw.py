"""Draw: draw a digit with the mouse or a finger and watch the network read it, ask it why,
and teach it your handwriting.

The page lays out the canvas and what the network makes of it; the panels around it
(the answer, why, teaching) are ``playground.draw.panels``.

Testing note: AppTest can't drive the canvas (a custom component), so whenever the
canvas returns no image this page reads an RGBA array from
``st.session_state[playground.common.state.TEST_DRAWING_KEY]`` instead. The image ->
prediction path itself is ``playground.draw.drawing.read_drawing``, tested directly; so are
the "not a digit" check and the explanations (``playground.draw.drawing``) and the personal
set and fine-tuning (``playground.draw.teach``).
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from playground.common.i18n import N_, _
from playground.common.state import TEST_DRAWING_KEY
from playground.draw import drawing, figures, panels, teach
from playground.draw.drawing import read_drawing
from playground.shell import data, ui

CANVAS_SIZE = 280
HEAD_HEIGHT = 140  # px: the Prediction, its "only a guess" line and a caption
# px above the canvas for its toolbar (undo, redo, ...), which rises above the canvas on
# hover: without this room it covered the caption under the Prediction. Measured with it:
# the toolbar ends 4 px above the canvas and starts 8 px below the caption (phone and desktop).
TOOLBAR_ROOM = 12

pg = ui.playground()


def board() -> None:
    """The canvas and what the network makes of it; reruns alone on every stroke."""
    model = pg.model
    if model is None:
        return
    if teach.of(pg).rerun_page:  # a fine-tune changed the model: redraw the whole page
        teach.of(pg).rerun_page = False
        st.rerun()
    with ui.friendly_errors(N_("reading your drawing")):
        dataset = panels.dataset_or_none(model.dataset)
        names = data.class_names(model.dataset)
        # Fixed height: whatever it shows, the canvas below stays put (a canvas that moves
        # while a stroke is drawn cuts the stroke).
        head = st.container(height=HEAD_HEIGHT, border=False)
        # A fixed-width column for the canvas: a narrower flexible column would let the
        # neighbouring column cover (and swallow mouse events on) the canvas's right part.
        row = st.container(horizontal=True, gap="large")
        draw_col = row.container(width=CANVAS_SIZE + 16)
        result_col = row.container(width="stretch")
        with draw_col:
            st.space(TOOLBAR_ROOM)
            result = st_canvas(
                stroke_width=st.session_state.get("pen-width", 18),
                stroke_color="#FFFFFF",
                background_color="#000000",
                height=CANVAS_SIZE,
                width=CANVAS_SIZE,
                drawing_mode="freedraw",
                update_streamlit=True,
                return_image_data=True,
                key=pg.canvas_key,
            )
            st.button(
                _("Clear"),
                icon=":material/ink_eraser:",
                key="btn-clear",
                on_click=panels.clear,
                args=(pg,),
                help=_("Wipe the canvas and draw another digit."),
            )
            st.slider(
                _("Pen width"),
                min_value=6,
                max_value=40,
                value=18,
                key="pen-width",
                help=_("Thickness of your strokes in canvas pixels (the canvas is 280×280)."),
            )
        image = result.image_data if result is not None else None
        strokes = len((result.json_data or {}).get("objects", [])) if result is not None else 0
        if image is None:
            image = st.session_state.get(TEST_DRAWING_KEY)
        reading = read_drawing(model.net, image, model.dataset)
        novelty = panels.novelty(pg, model, dataset, reading)
        with head:
            panels.prediction(reading, novelty, names, strokes, image)
        with result_col:
            if novelty is not None and novelty.flagged:
                st.warning(drawing.not_a_digit_message(novelty, reading, names),
                           icon=":material/help:")
            explaining = st.toggle(
                _("Why this answer?"),
                key="why-toggle",
                disabled=reading is None,
                help=_("Colour what the network sees by how each pixel pushed the score "
                "({legend}) and show the hidden units that added most.").format(legend=figures.push_legend()),
            )
            bars_col, seen_col = st.columns([1.4, 1])
            bars_col.plotly_chart(
                figures.probability_bars(None if reading is None else reading.probabilities, names),
                key="chart-probabilities",
                config={"displayModeBar": False},
            )
            if explaining and reading is not None:
                panels.why(model, reading, names, seen_col)
            else:
                seen_col.plotly_chart(
                    figures.input_image(
                        None if reading is None else reading.image,
                        title=_("What the network sees"),
                        blank_shape=drawing.input_shape(model.net, model.dataset),
                    ),
                    key="chart-seen",
                    config={"displayModeBar": False},
                )
                if reading is not None:
                    seen_col.caption(
                        _("Your drawing cropped, centred and shrunk like the training images.")
                    )
    with ui.friendly_errors(N_("teaching the network")):
        panels.teach_panel(pg, model, dataset, reading)


st.title(_("Draw"))
st.caption(_("Draw a digit from 0 to 9 with the mouse or finger. The network reads it after every stroke."))
active = ui.page_model(pg)  # trains the default model if the tab has none
if active is not None:
    with ui.friendly_errors(N_("preparing the Draw page")):
        # The calibration drawings for "not a digit", once per process, while you draw.
        drawing.warm_up(panels.dataset_or_none(active.dataset))
    accuracy = ("" if active.test_accuracy is None
                else _("test accuracy {accuracy:.1%} · ").format(accuracy=active.test_accuracy))
    st.info(_("Answering: **{dataset}** · {architecture} · {accuracy}{source}").format(
        dataset=active.dataset, architecture=active.architecture, accuracy=accuracy,
        source=active.source), icon=":material/neurology:")
    st.fragment(board)()
