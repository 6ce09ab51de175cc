"""The Draw page's panels in Streamlit: the answer above the canvas, "why this answer",
and teaching the network your handwriting (with their callbacks).

The page (``pages/draw.py``) lays out the canvas and calls these. What they show is
computed in ``drawing`` (reading a drawing, "not a digit", explanations) and ``teach``
(the personal set, fine-tuning), which have no Streamlit and are tested directly; this
module only draws it, so it is tested through the page (``tests/app/test_draw_page.py``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import streamlit as st

from playground.common.figures import NEGATIVE_NAME, POSITIVE_NAME
from playground.common.i18n import N_, _, ngettext
from playground.common.state import TEST_DRAWING_KEY
from playground.draw import drawing, teach
from playground.draw import figures as draw_figures
from playground.draw.drawing import DrawingReading, blank_hint, class_name, prediction_caption
from playground.shell import data, ui

ANSWER = "answer"
log = logging.getLogger("playground")


# --------------------------------------------------------------------------- callbacks


@ui.guarded(N_("clearing the canvas"))
def clear(pg: Any) -> None:
    pg.clear_canvas()
    st.session_state.pop(TEST_DRAWING_KEY, None)


@ui.guarded(N_("adding your drawing to your set"))
def _teach(pg: Any, key: str, canvas_version: int) -> None:
    teach.of(pg).correct(st.session_state.get(key), canvas_version)


@ui.guarded(N_("fine-tuning on your drawings"))
def _fine_tune(pg: Any) -> None:
    model, state = pg.model, teach.of(pg)
    if model is None:
        return
    image = None if state.current is None else state.current[0]
    try:
        tuned, result = teach.fine_tune_model(
            model, state.examples, data.load_dataset(model.dataset), image
        )
    except (ValueError, RuntimeError) as exc:  # diverged, or the dataset is not here
        state.say("error", _("Couldn't fine-tune: {exc}. The model is unchanged.").format(exc=exc))
        return
    pg.model = tuned
    state.remember(result, tuned.net, pg.canvas_version)
    state.rerun_page = True  # the header and the sidebar name the new model


@ui.guarded(N_("loading your set"))
def _upload_set(pg: Any, key: str, dataset: str) -> None:
    uploaded = st.session_state.get(key)
    if uploaded is not None:
        teach.of(pg).load(uploaded.getvalue(), str(uploaded.name), dataset)


@ui.guarded(N_("emptying your set"))
def _empty_set(pg: Any) -> None:
    teach.of(pg).clear()
    teach.of(pg).say("info", _("Your set is empty now."))


# --------------------------------------------------------------------------- reading


def dataset_or_none(name: str) -> Any:
    try:
        return data.load_dataset(name)
    except (RuntimeError, ValueError):
        return None


def novelty(pg: Any, model: Any, dataset: Any, reading: DrawingReading | None) -> Any:
    """The "is it a digit?" verdict for this reading, or None (no check for this model)."""
    if reading is None or dataset is None:
        return None
    try:
        with st.spinner(_("Learning what ordinary drawings look like (once)…")):
            detector = drawing.novelty_detector(model.net, dataset, teach.of(pg).taught_to(model.net))
        return None if detector is None else detector.assess(reading.image.ravel())
    except Exception:  # noqa: BLE001 - the answer matters more than the check
        log.exception("the not-a-digit check failed")
        return None


def prediction(reading: DrawingReading | None, verdict: Any, names: list[str], strokes: int,
               image: np.ndarray | None) -> None:
    """The answer, above the canvas so that a phone shows both without scrolling."""
    if reading is None:
        st.metric(
            _("Prediction"), "—",
            help=_("Draw a digit on the black canvas; the network's answer appears here."),
        )
        st.caption(blank_hint(image))
        return
    guess = verdict is not None and verdict.flagged
    st.metric(
        _("Prediction"),
        class_name(names, reading.digit),
        delta=_("only a guess") if guess else None,
        delta_color="off",
        delta_arrow="off",
        help=_("The class the network gives the highest probability")
        + (_(" (a guess: the drawing is unlike the digits it learned from).") if guess else "."),
    )
    st.caption(prediction_caption(reading, guess, strokes))


def why(model: Any, reading: DrawingReading, names: list[str], seen_col: Any) -> None:
    """The "why this answer" overlay and the hidden units behind it."""
    options = [ANSWER, *range(len(names))]
    choice = seen_col.selectbox(
        _("Explain"),
        options,
        format_func=lambda c: _("the answer ({names})").format(names=names[reading.digit]) if c == ANSWER
        else (_("{names} (the answer)").format(names=names[c]) if c == reading.digit else _("why not {names}?").format(names=names[c])),
        key="why-class",
        help=_("Which class's score to explain: the answer, or another one (why not that?)."),
    )
    target = reading.digit if choice == ANSWER else int(choice)
    explanation = drawing.explain(model.net, reading, target)
    name = class_name(names, target)
    seen_col.plotly_chart(
        draw_figures.attribution_overlay(reading.image, explanation.attribution, name,
                                         is_answer=target == reading.digit),
        key="chart-why", config={"displayModeBar": False},
    )
    seen_col.caption(_("Gradient × input: each pixel's ink times how much the score changes with it."))
    if explanation.units:
        st.plotly_chart(
            draw_figures.unit_tiles(explanation.units, name),
            key="chart-units", config={"displayModeBar": False},
        )
        st.caption(
            _("Each tile is a hidden unit's incoming weights ({positive}: ink there excites "
            "it, {negative}: inhibits it), with how active it is on your drawing and what "
            "it adds to the score.").format(positive=_(POSITIVE_NAME), negative=_(NEGATIVE_NAME))
        )


# --------------------------------------------------------------------------- teaching


def teach_panel(pg: Any, model: Any, dataset: Any, reading: DrawingReading | None) -> None:
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
            _("Wrong? It's a …"),
            list(range(len(names))),
            format_func=lambda i: names[i],
            key=key,
            disabled=reading is None,
            on_change=_teach,
            args=(pg, key, pg.canvas_version),
            # Ten pills are wider than a phone (390 px): they wrap rather than scroll
            # the last one out of sight.
            wrap=True,
            help=_("Pick the right digit: the drawing, as the network sees it, goes into your "
            "set with that label, for Fine-tune to learn from."),
        )
        st.button(
            _("Fine-tune"),
            key="btn-fine-tune",
            icon=":material/school:",
            disabled=len(state) == 0 or not fits or dataset is None,
            on_click=_fine_tune,
            args=(pg,),
            help=_("Train the network a few hundred steps on your set mixed with its training "
            "digits, so it learns your style without forgetting the rest."),
        )
    result = state.result_for(model.net, pg.canvas_version)
    if result is not None:
        fine_tune_result(result, names=names)
    with st.expander(ngettext("Your set: {n} drawing", "Your set: {n} drawings", len(state)).format(n=len(state))):
        st.caption(state.summary() + _(" It stays with this tab (a reload keeps it); "
                   "download it to keep it for good."))
        if not fits:
            h, w = state.image_shape
            st.warning(_("Your set holds {h}×{w} drawings; this model reads other inputs, "
                       "so it can't fine-tune on them. Empty the set or load a matching model.").format(h=h, w=w))
        cols = st.container(horizontal=True, gap="small")
        payload = state.to_bytes()
        cols.download_button(
            _("Download my set (.npz)"),
            data=payload or b"",
            file_name="my-drawings.npz",
            mime="application/octet-stream",
            disabled=payload is None,
            key="download-set",
            on_click="ignore",
            help=_("Save your corrected drawings to a file you can upload later."),
        )
        cols.button(_("Empty my set"), key="btn-empty-set", on_click=_empty_set, args=(pg,),
                    disabled=len(state) == 0,
                    help=_("Forget every drawing in your set (the model keeps what it learned)."))
        st.file_uploader(
            _("Upload a set (.npz)"),
            type=["npz"],
            key="upload-set",
            on_change=_upload_set,
            args=(pg, "upload-set", model.dataset),
            help=_("A set saved with “Download my set” (up to {MAX_UPLOAD_BYTES} MB); "
            "it replaces the one here.").format(MAX_UPLOAD_BYTES=teach.MAX_UPLOAD_BYTES // 2**20),
        )


def fine_tune_result(result: teach.FineTuneResult, names: list[str]) -> None:
    def said(pair):
        return "—" if pair is None else f"{names[pair[0]]} ({pair[1]:.0%})"

    cols = st.columns(3)
    cols[0].metric(
        _("This drawing"), said(result.drawing_after),
        delta=_("was {said}").format(said=said(result.drawing_before)), delta_color="off", delta_arrow="off",
        help=_("What the network read on the canvas before and after fine-tuning."),
    )
    cols[1].metric(
        _("Test accuracy"), f"{result.test_after:.1%}",
        delta=_("{test_change_points:+.1f} points (was {test_before:.1%})").format(test_change_points=result.test_change_points, test_before=result.test_before),
        help=_("Share of the test images read right, after fine-tuning (and the change): "
        "learning your style should not cost the rest."),
    )
    cols[2].metric(
        _("Your set read right"), f"{result.personal_after}/{result.n_examples}",
        delta=_("was {personal_before}/{n_examples}").format(personal_before=result.personal_before, n_examples=result.n_examples), delta_color="off",
        delta_arrow="off", help=_("How many of your own corrected drawings the network reads right."),
    )
    st.caption(_("Fine-tuned: {steps} steps of 32, your drawings mixed with training "
               "digits, in {seconds:.1f} s.").format(steps=result.steps, seconds=result.seconds))
