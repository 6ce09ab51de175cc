"""Draw: draw a digit with the mouse or a finger and watch the network read it, ask it why,
and teach it your handwriting.

Testing note: AppTest can't drive the canvas (a custom component), so whenever the
canvas returns no image this page reads an RGBA array from
``st.session_state[playground.common.state.TEST_DRAWING_KEY]`` instead. The image ->
prediction path itself is ``playground.draw.drawing.read_drawing``, tested directly; so are
the "not a digit" check and the explanations (``playground.draw.drawing``) and the personal
set and fine-tuning (``playground.draw.teach``).
"""

import logging

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from playground.common.state import TEST_DRAWING_KEY
from playground.draw import drawing, figures, teach
from playground.draw import figures as draw_figures
from playground.draw.drawing import blank_hint, read_drawing
from playground.shell import data, ui

CANVAS_SIZE = 280
HEAD_HEIGHT = 140  # px: the Prediction, its "only a guess" line and a caption
ANSWER = "answer"
log = logging.getLogger("playground")

pg = ui.playground()


@ui.guarded("clearing the canvas")
def _clear() -> None:
    pg.clear_canvas()
    st.session_state.pop(TEST_DRAWING_KEY, None)


@ui.guarded("adding your drawing to your set")
def _teach(key: str, canvas_version: int) -> None:
    teach.of(pg).correct(st.session_state.get(key), canvas_version)


@ui.guarded("fine-tuning on your drawings")
def _fine_tune() -> None:
    model, state = pg.model, teach.of(pg)
    if model is None:
        return
    image = None if state.current is None else state.current[0]
    try:
        tuned, result = teach.fine_tune_model(
            model, state.examples, data.load_dataset(model.dataset), image
        )
    except (ValueError, RuntimeError) as exc:  # diverged, or the dataset is not here
        state.say("error", f"Couldn't fine-tune: {exc}. The model is unchanged.")
        return
    pg.model = tuned
    state.remember(result, tuned.net)
    state.rerun_page = True  # the header and the sidebar name the new model


@ui.guarded("loading your set")
def _upload_set(key: str, dataset: str) -> None:
    uploaded = st.session_state.get(key)
    if uploaded is not None:
        teach.of(pg).load(uploaded.getvalue(), str(uploaded.name), dataset)


@ui.guarded("emptying your set")
def _empty_set() -> None:
    teach.of(pg).clear()
    teach.of(pg).say("info", "Your set is empty now.")


def _dataset_or_none(name: str):
    try:
        return data.load_dataset(name)
    except (RuntimeError, ValueError):
        return None


def _novelty(model, dataset, reading):
    """The "is it a digit?" verdict for this reading, or None (no check for this model)."""
    if reading is None or dataset is None:
        return None
    try:
        with st.spinner("Learning what ordinary drawings look like (once)…"):
            detector = drawing.novelty_detector(model.net, dataset, teach.of(pg).taught_to(model.net))
        return None if detector is None else detector.assess(reading.image.ravel())
    except Exception:  # noqa: BLE001 - the answer matters more than the check
        log.exception("the not-a-digit check failed")
        return None


def prediction(reading, novelty, names, strokes, image) -> None:
    """The answer, above the canvas so that a phone shows both without scrolling. Its box
    has a fixed height: the canvas must not move under a stroke being drawn."""
    if reading is None:
        st.metric(
            "Prediction", "—",
            help="Draw a digit on the black canvas; the network's answer appears here.",
        )
        st.caption(blank_hint(image))
        return
    guess = novelty is not None and novelty.flagged
    st.metric(
        "Prediction",
        names[reading.digit] if reading.digit < len(names) else str(reading.digit),
        delta="only a guess" if guess else None,
        delta_color="off",
        delta_arrow="off",
        help="The class the network gives the highest probability"
        + (" (a guess: the drawing is unlike the digits it learned from)." if guess else "."),
    )
    st.caption(
        f"{reading.confidence:.0%} sure"
        + (" · not a digit?" if guess else "")
        + (f" · {strokes} stroke{'s' if strokes != 1 else ''}" if strokes else "")
    )


def why(model, reading, names, seen_col) -> None:
    """The "why this answer" overlay and the hidden units behind it."""
    options = [ANSWER, *range(len(names))]
    choice = seen_col.selectbox(
        "Explain",
        options,
        format_func=lambda c: f"the answer ({names[reading.digit]})" if c == ANSWER
        else (f"{names[c]} (the answer)" if c == reading.digit else f"why not {names[c]}?"),
        key="why-class",
        help="Which class's score to explain: the answer, or another one (why not that?).",
    )
    target = reading.digit if choice == ANSWER else int(choice)
    explanation = drawing.explain(model.net, reading, target)
    name = names[target] if target < len(names) else str(target)
    seen_col.plotly_chart(
        draw_figures.attribution_overlay(reading.image, explanation.attribution, name,
                                         is_answer=target == reading.digit),
        key="chart-why", config={"displayModeBar": False},
    )
    seen_col.caption("Gradient × input: each pixel's ink times how much the score changes with it.")
    if explanation.units:
        st.plotly_chart(
            draw_figures.unit_tiles(explanation.units, name),
            key="chart-units", config={"displayModeBar": False},
        )
        st.caption(
            "Each tile is a hidden unit's incoming weights (red: ink there excites it, blue: "
            "inhibits it), with how active it is on your drawing and what it adds to the score."
        )


def teach_panel(model, dataset, reading) -> None:
    """ "Wrong? It's a …", Fine-tune, and the personal set."""
    state = teach.of(pg)
    names = data.class_names(model.dataset)
    message = state.pop_message()
    if message is not None:
        getattr(st, message[0], st.info)(message[1])
    state.current = None if reading is None else (reading.image, model.dataset)
    fits = state.fits(model.dataset)
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    key = f"teach-{pg.canvas_version}"
    with row:
        st.pills(
            "Wrong? It's a …",
            list(range(len(names))),
            format_func=lambda i: names[i],
            key=key,
            disabled=reading is None,
            on_change=_teach,
            args=(key, pg.canvas_version),
            help="Pick the right digit: the drawing, as the network sees it, goes into your "
            "set with that label, for Fine-tune to learn from.",
        )
        st.button(
            "Fine-tune",
            key="btn-fine-tune",
            icon=":material/school:",
            disabled=len(state) == 0 or not fits or dataset is None,
            on_click=_fine_tune,
            help="Train the network a few hundred steps on your set mixed with its training "
            "digits, so it learns your style without forgetting the rest.",
        )
    result = state.result
    if result is not None and state.tuned_net is model.net:
        fine_tune_result(result, names=names)
    with st.expander(f"Your set: {len(state)} drawing{'s' if len(state) != 1 else ''}"):
        st.caption(state.summary() + " It stays with this tab (a reload keeps it); "
                   "download it to keep it for good.")
        if not fits:
            h, w = state.image_shape
            st.warning(f"Your set holds {h}×{w} drawings; this model reads other inputs, "
                       "so it can't fine-tune on them. Empty the set or load a matching model.")
        cols = st.container(horizontal=True, gap="small")
        payload = state.to_bytes()
        cols.download_button(
            "Download my set (.npz)",
            data=payload or b"",
            file_name="my-drawings.npz",
            mime="application/octet-stream",
            disabled=payload is None,
            key="download-set",
            on_click="ignore",
            help="Save your corrected drawings to a file you can upload later.",
        )
        cols.button("Empty my set", key="btn-empty-set", on_click=_empty_set,
                    disabled=len(state) == 0,
                    help="Forget every drawing in your set (the model keeps what it learned).")
        st.file_uploader(
            "Upload a set (.npz)",
            type=["npz"],
            key="upload-set",
            on_change=_upload_set,
            args=("upload-set", model.dataset),
            help=f"A set saved with “Download my set” (up to {teach.MAX_UPLOAD_BYTES // 2**20} MB); "
            "it replaces the one here.",
        )


def fine_tune_result(result, names) -> None:
    def said(pair):
        return "—" if pair is None else f"{names[pair[0]]} ({pair[1]:.0%})"

    cols = st.columns(3)
    cols[0].metric(
        "This drawing", said(result.drawing_after),
        delta=f"was {said(result.drawing_before)}", delta_color="off", delta_arrow="off",
        help="What the network read on the canvas before and after fine-tuning.",
    )
    cols[1].metric(
        "Test accuracy", f"{result.test_after:.1%}",
        delta=f"{result.test_change_points:+.1f} points (was {result.test_before:.1%})",
        help="Share of the test images read right, after fine-tuning (and the change): "
        "learning your style should not cost the rest.",
    )
    cols[2].metric(
        "Your set read right", f"{result.personal_after}/{result.n_examples}",
        delta=f"was {result.personal_before}/{result.n_examples}", delta_color="off",
        delta_arrow="off", help="How many of your own corrected drawings the network reads right.",
    )
    st.caption(f"Fine-tuned: {result.steps} steps of 32, your drawings mixed with training "
               f"digits, in {result.seconds:.1f} s.")


def board() -> None:
    """The canvas and what the network makes of it; reruns alone on every stroke."""
    model = pg.model
    if model is None:
        return
    if teach.of(pg).rerun_page:  # a fine-tune changed the model: redraw the whole page
        teach.of(pg).rerun_page = False
        st.rerun()
    with ui.friendly_errors("reading your drawing"):
        dataset = _dataset_or_none(model.dataset)
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
        novelty = _novelty(model, dataset, reading)
        with head:
            prediction(reading, novelty, names, strokes, image)
        with result_col:
            if novelty is not None and novelty.flagged:
                st.warning(drawing.not_a_digit_message(novelty, reading, names),
                           icon=":material/help:")
            explaining = st.toggle(
                "Why this answer?",
                key="why-toggle",
                disabled=reading is None,
                help="Colour what the network sees by how each pixel pushed the score (red "
                "up, blue down) and show the hidden units that added most.",
            )
            bars_col, seen_col = st.columns([1.4, 1])
            bars_col.plotly_chart(
                figures.probability_bars(None if reading is None else reading.probabilities, names),
                key="chart-probabilities",
                config={"displayModeBar": False},
            )
            if explaining and reading is not None:
                why(model, reading, names, seen_col)
            else:
                seen_col.plotly_chart(
                    figures.input_image(
                        None if reading is None else reading.image,
                        title="What the network sees",
                    ),
                    key="chart-seen",
                    config={"displayModeBar": False},
                )
                if reading is not None:
                    seen_col.caption(
                        "Your drawing cropped, centred and shrunk like the training images."
                    )
    with ui.friendly_errors("teaching the network"):
        teach_panel(model, dataset, reading)


st.title("Draw")
st.caption("Draw a digit from 0 to 9 with the mouse or finger. The network reads it after every stroke.")
active = ui.page_model(pg)  # trains the default model if the tab has none
if active is not None:
    with ui.friendly_errors("preparing the Draw page"):
        # The calibration drawings for "not a digit", once per process, while you draw.
        drawing.warm_up(_dataset_or_none(active.dataset))
    st.info(f"Answering: **{active.dataset}** · {active.architecture} · "
            + ("" if active.test_accuracy is None else f"test accuracy {active.test_accuracy:.1%} · ")
            + active.source, icon=":material/neurology:")
    st.fragment(board)()
