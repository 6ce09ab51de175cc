"""Draw: draw a digit with the mouse and watch the network read it.

Testing note: AppTest can't drive the canvas (a custom component), so whenever the
canvas returns no image this page reads an RGBA array from
``st.session_state[playground.state.TEST_DRAWING_KEY]`` instead. The image ->
prediction path itself is ``playground.drawing.read_drawing``, tested directly.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from playground import data, figures, ui
from playground.drawing import blank_hint, read_drawing
from playground.state import TEST_DRAWING_KEY

CANVAS_SIZE = 280

pg = ui.playground()


@ui.guarded("clearing the canvas")
def _clear() -> None:
    pg.clear_canvas()
    st.session_state.pop(TEST_DRAWING_KEY, None)


def board(model) -> None:
    """The canvas and what the network makes of it; reruns alone on every stroke."""
    with ui.friendly_errors("reading your drawing"):
        # A fixed-width column for the canvas: a narrower flexible column would let the
        # neighbouring column cover (and swallow mouse events on) the canvas's right part.
        row = st.container(horizontal=True, gap="large")
        draw_col = row.container(width=CANVAS_SIZE + 16)
        result_col = row.container(width="stretch")
        with draw_col:
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
                "Clear",
                icon=":material/ink_eraser:",
                key="btn-clear",
                on_click=_clear,
                help="Wipe the canvas and draw another digit.",
            )
            st.slider(
                "Pen width",
                min_value=6,
                max_value=40,
                value=18,
                key="pen-width",
                help="Thickness of your strokes in canvas pixels (the canvas is 280×280).",
            )
        image = result.image_data if result is not None else None
        strokes = len((result.json_data or {}).get("objects", [])) if result is not None else 0
        if image is None:
            image = st.session_state.get(TEST_DRAWING_KEY)
        reading = read_drawing(model.net, image, model.dataset)
        with result_col:
            names = data.class_names(model.dataset)
            if reading is None:
                st.metric(
                    "Prediction",
                    "—",
                    help="Draw a digit on the black canvas; the network's answer appears here.",
                )
                st.caption(blank_hint(image))
            else:
                st.metric(
                    "Prediction",
                    names[reading.digit] if reading.digit < len(names) else str(reading.digit),
                    help="The class the network gives the highest probability.",
                )
                st.caption(
                    f"{reading.confidence:.0%} sure"
                    + (f" · {strokes} stroke{'s' if strokes != 1 else ''}" if strokes else "")
                )
            bars_col, seen_col = st.columns([1.4, 1])
            bars_col.plotly_chart(
                figures.probability_bars(None if reading is None else reading.probabilities, names),
                key="chart-probabilities",
                config={"displayModeBar": False},
            )
            seen_col.plotly_chart(
                figures.input_image(
                    None if reading is None else reading.image,
                    title="What the network sees",
                ),
                key="chart-seen",
                config={"displayModeBar": False},
            )
            if reading is not None:
                seen_col.caption("Your drawing cropped, centred and shrunk like the training images.")


st.title("Draw")
st.caption("Draw a digit from 0 to 9 with the mouse. The network reads it after every stroke.")
active = ui.page_model(pg)
if active is not None:
    st.info(f"Answering: **{active.dataset}** · {active.architecture} · "
            + ("" if active.test_accuracy is None else f"test accuracy {active.test_accuracy:.1%} · ")
            + active.source, icon=":material/neurology:")
    st.fragment(board)(active)
