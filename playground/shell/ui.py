"""Streamlit helpers shared by the pages: friendly errors, the session model, the sidebar."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from playground.common import i18n, sessions, vocab
from playground.common.i18n import N_, _
from playground.common.models import (
    MAX_MODEL_BYTES,
    MB,
    OVERFLOW_ADVICE,
    ActiveModel,
    ModelFileError,
    ModelOverflowError,
    load_model_bytes,
    model_to_bytes,
)
from playground.common.state import STATE_KEY, Playground, get_playground, url_params
from playground.common.urlstate import LANG_PARAM
from playground.common.vocab import DEFAULT_MODEL_CONFIG
from playground.shell import data, layout, navigation

log = logging.getLogger("playground")
F = TypeVar("F", bound=Callable[..., Any])


def playground() -> Playground:
    """This tab's state: found again after a reload (``?sid=``), or made from the link.

    The link's training settings are read only on the pages whose settings they are
    (Train, Sweep): a link's parameters belong to the page in its path."""
    if STATE_KEY not in st.session_state:  # the session's first page run (not a callback)
        navigation.ensure_routed()
    pg = get_playground(
        st.session_state, st.query_params.to_dict(), sessions.STORE,
        read_settings=navigation.reads_train_settings(),
        default_lang=i18n.language_from_locale(st.context.locale),
    )
    # This run's text in the tab's language (set again on every run: a run's thread may be new).
    i18n.set_language(pg.lang)
    return pg


def start_language() -> None:
    """Set this run's language before anything is drawn (app.py, before the menu, which
    comes before :func:`playground`): the tab's, else the link's, else the browser's."""
    pg = st.session_state.get(STATE_KEY)
    i18n.set_language(
        getattr(pg, "lang", None)
        or i18n.normalise(st.query_params.get(LANG_PARAM))
        or i18n.language_from_locale(st.context.locale)
    )


def _tab_language() -> str | None:
    """The tab's language, for text made before this run called :func:`playground` (a
    widget callback runs before the page script)."""
    pg = st.session_state.get(STATE_KEY)
    return getattr(pg, "lang", None)


i18n.set_language_source(_tab_language)


#: Where a page leaves its own address-bar settings for :func:`persist` (see :func:`page_query`).
PAGE_QUERY_KEY = "playground_page_query"


def page_query(params: Mapping[str, str]) -> None:
    """Put this page's own settings in the address bar instead of the Train page's, for
    this page run (the Boundaries page: its parameters share names with Train's). The
    tab's ``sid`` is added as always; the Train settings come back on the other pages."""
    st.session_state[PAGE_QUERY_KEY] = (navigation.current_page(), dict(params))


def persist(pg: Playground) -> None:
    """Keep the tab's state findable after a reload and its settings in the address bar.

    Run at the end of every page run (app.py). The URL is only rewritten when it
    differs, so an unchanged page adds nothing to the browser's history. A page that
    called :func:`page_query` during this run gets its parameters written instead of
    the Train settings (a claim left by an interrupted run of another page is dropped).
    """
    sessions.STORE.put(pg.token, pg)
    claim = st.session_state.pop(PAGE_QUERY_KEY, None)
    own = claim[1] if isinstance(claim, tuple) and claim[0] == navigation.current_page() else None
    wanted = url_params(pg, own)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


@contextlib.contextmanager
def friendly_errors(doing: str = N_("showing this page")) -> Iterator[None]:
    """Turn any unexpected exception into an ``st.error`` with a next step (no traceback).

    Streamlit's own rerun/stop signals are BaseExceptions and pass through untouched.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the whole point is to catch everything
        log.exception("error while %s", doing)
        st.error(friendly_message(doing, exc))


#: What app.py is doing around the page (for :func:`friendly_errors`; translated when shown).
DRAWING_SIDEBAR = N_("drawing the sidebar")
SAVING_STATE = N_("saving this tab's state")


def showing_page(title: str) -> str:
    """What app.py is doing while a page runs, for :func:`friendly_errors`."""
    return _("showing the {page} page").format(page=title)


def friendly_message(doing: str, exc: BaseException) -> str:
    """What to tell the person when ``exc`` happened while ``doing`` (no traceback).

    ``doing`` is an English phrase marked with ``N_`` (translated here, when it is shown)."""
    if isinstance(exc, MemoryError):
        return _(
            "Ran out of memory while {doing}. Try fewer or smaller hidden layers, "
            "a smaller batch size, or the digits dataset."
        ).format(doing=_(doing))
    if isinstance(exc, ModelOverflowError):
        return str(exc)
    return _(
        "Something went wrong while {doing}: {error}. "
        "Press **Reset** on the Train page or reload the page to start again; "
        "your finished runs and the current model are kept."
    ).format(doing=_(doing), error=exc or type(exc).__name__)


def guarded(doing: str) -> Callable[[F], F]:
    """Decorate a widget callback (``on_click``/``on_change``) so an unexpected error
    becomes a notice on the page instead of an exception box.

    Callbacks run before the page script, outside :func:`friendly_errors`.
    """

    def decorate(callback: F) -> F:
        @functools.wraps(callback)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - see friendly_errors
                log.exception("error while %s", doing)
                playground().notify("error", friendly_message(doing, exc))
                return None

        return wrapper  # type: ignore[return-value]

    return decorate


def download_with_progress(name: str) -> None:
    """Download a dataset with a progress bar; on failure, say what went wrong briefly."""
    name_shown = vocab.display_name(name)
    bar = st.progress(0.0, text=_("Downloading {name_shown}…").format(name_shown=name_shown))
    last = [-1.0]

    def progress(done: int, total: int, filename: str) -> None:
        fraction = min(1.0, done / total) if total else 0.0
        if fraction - last[0] >= 0.01 or fraction >= 1.0:
            last[0] = fraction
            bar.progress(fraction, text=_("Downloading {filename}: {done:.1f} of {total:.1f} MB").format(filename=filename, done=done / 1e6, total=total / 1e6))

    try:
        data.download_dataset(name, progress=progress)
    except Exception as exc:  # noqa: BLE001 - any failure becomes advice
        bar.empty()
        download_failure(name, exc)
    else:
        bar.progress(1.0, text=_("{name_shown} is ready.").format(name_shown=name_shown))


def download_failure(name: str, exc: BaseException) -> None:
    """One short sentence and what to do; the raw error (URLs, paths) in an expander."""
    shown = vocab.display_name(name)
    st.error(
        _("Couldn't download {shown}: {download_problem} Check the internet "
        "connection and try again; the bundled digits work offline.").format(shown=shown, download_problem=data.download_problem(exc)),
        icon=":material/cloud_off:",
    )
    with st.expander(_("Details")):
        st.code(f"{type(exc).__name__}: {exc}", language=None, wrap_lines=True)  # raw, untranslated


def ensure_model(pg: Playground) -> ActiveModel | None:
    """The session's model; on first use trains Draw's default model: 28×28, on the
    bundled MNIST sample, with the engine's trainer (about 2 s; ``vocab.DEFAULT_MODEL_CONFIG``)."""
    if pg.model is not None:
        return pg.model
    config = DEFAULT_MODEL_CONFIG
    with st.spinner(_("No model yet: training the default 28×28 model on the bundled MNIST "
                      "sample ({hidden_label} ReLU units, Adam, about 2 s)…").format(
                        hidden_label=config.hidden_label)):
        run = pg.train_to_end(config, data.load_dataset(config.dataset))
    if pg.model is not None:
        pg.model.source = _("default model (run #{run_id}, trained on arrival)").format(
            run_id=run.run_id)
    return pg.model


def show_notices(pg: Playground) -> None:
    """The tab's pending notices, in a container that is there even when empty.

    A notice that came and went above the page's widgets moved them down the page's
    element list, and the browser drew each of them anew; the old copy stays on screen
    until the page run ends, and a key press or a drag on it was lost (measured: a
    learning-rate change right after Train, which follows Reset's notice, was dropped)."""
    with st.container():
        for level, text in pg.pop_notices():
            getattr(st, level, st.info)(text)


def page_heading(pg: Playground, title: str, caption: str) -> None:
    """A page's title, the one-paragraph caption under it, then the tab's pending notices."""
    st.title(title)
    st.caption(caption)
    show_notices(pg)


def settings_page(pg: Playground, title: str, caption: str, room: str) -> tuple[Any, Any]:
    """Train's and Sweep's opening: the heading, then the settings box and the main
    column (its buttons in the container ``{room}-actions``). On a phone the main column
    comes first, its buttons and chart above the settings (see shell/layout.py).
    Returns the two containers to draw into."""
    page_heading(pg, title, caption)
    return layout.settings_and_main(f"{room}-main", f"{room}-actions")


def note_run_elsewhere(pg: Playground) -> None:
    """On Draw/Inspect: say that an unfinished run waits for the Train page."""
    run = pg.run
    if run is not None and run.is_active and run.epochs_done < run.target_epochs:
        st.caption(
            _("Run #{run_id} ({epochs_done}/{target_epochs} epochs) carries on when "
            "you go back to **Train**; until it ends, the model below answers.").format(run_id=run.run_id, epochs_done=run.epochs_done, target_epochs=run.target_epochs)
        )


def page_model(pg: Playground) -> ActiveModel | None:
    """What Draw and Inspect start with: notices, a word on an unfinished run, then the
    model to show (trained on arrival if need be), or None after a warning.

    A model that reads digits at chance is shown with a warning that says so, and
    the last good model (or the default one) is offered in its place.
    """
    show_notices(pg)
    note_run_elsewhere(pg)
    active = ensure_model(pg)
    if active is None:
        st.warning(_("No model is available. Train one on the **Train** page."))
    elif pg.model_at_chance:
        accuracy = "" if active.test_accuracy is None else _(" ({accuracy:.1%} on the test set)").format(
            accuracy=active.test_accuracy)
        st.warning(
            _("The current model ({source}) reads digits at chance{accuracy}: it is "
            "guessing. Its answers below mean nothing yet.").format(source=active.source, accuracy=accuracy),
            icon=":material/casino:",
        )
        if pg.last_good_model is not None:
            st.button(
                _("Use the last good model ({source})").format(source=pg.last_good_model.source),
                key="btn-last-good-model",
                on_click=guarded(N_("switching models"))(pg.use_last_good_model),
                help=_("Switch back to the model that answered before this one."),
            )
        else:
            st.button(
                _("Use the default model"),
                key="btn-default-model",
                on_click=guarded(N_("training the default model"))(_use_default_model),
                args=(pg,),
                help=_("Train the default 28×28 model on the bundled MNIST sample (about 2 s) and use it instead."),
            )
    return active


def _use_default_model(pg: Playground) -> None:
    pg.model = None
    pg.last_good_model = None
    ensure_model(pg)


def load_upload(pg: Playground, name: str, payload: bytes) -> bool:
    """Make an uploaded model file the session's model, or say why not (keeping the old one).

    What the sidebar's uploader does; returns whether the model was loaded.
    """
    try:
        net, dataset_name = load_model_bytes(payload, MAX_MODEL_BYTES)
    except ModelFileError as exc:
        kept = _(" The current model is kept.") if pg.model is not None else ""
        pg.notify("error", _("Couldn't load {name}: {error}{kept}").format(name=name, error=exc, kept=kept))
        return False
    test_accuracy = None
    try:
        dataset = data.load_dataset(dataset_name)
    except RuntimeError:
        pg.notify(
            "warning",
            _("Loaded the model, but the {dataset} test set isn't on this machine, "
              "so its accuracy is unknown. Download the dataset on the Train page.").format(
                dataset=dataset_name),
        )
    else:
        try:
            with np.errstate(all="ignore"):
                test_accuracy = float(net.score(dataset.X_test, dataset.y_test))
        except ValueError:  # overflows on real images although it passed the probe
            kept = _(" The current model is kept.") if pg.model is not None else ""
            pg.notify("error", _("Couldn't use {name}: {advice}{kept}").format(
                name=name, advice=_(OVERFLOW_ADVICE), kept=kept))
            return False
    pg.model = ActiveModel(net, dataset_name, test_accuracy,
                           _("uploaded file {name}").format(name=name))
    pg.notify("success", _("Loaded {name}: it now answers on Draw and Inspect.").format(name=name))
    return True


@guarded(N_("loading the model file"))
def _on_upload(pg: Playground, uploader_key: str) -> None:
    uploaded = st.session_state.get(uploader_key)
    if uploaded is None:
        return
    load_upload(pg, str(uploaded.name), uploaded.getvalue())


#: The sidebar's language switch (its value mirrors ``Playground.lang``).
LANGUAGE_KEY = "language-switch"


def _switch_language(pg: Playground) -> None:
    chosen = i18n.normalise(st.session_state.get(LANGUAGE_KEY))
    if chosen is not None:
        pg.lang = chosen
        i18n.set_language(chosen)


def language_switch(pg: Playground) -> None:
    """中文 | English: the tab's language; the next page run (at once) shows it."""
    if st.session_state.get(LANGUAGE_KEY) != pg.lang:
        st.session_state[LANGUAGE_KEY] = pg.lang  # a link or a reload chose it
    st.radio(
        "语言 · Language",  # both languages: whoever can't read one reads the other
        i18n.LANGUAGES,
        format_func=i18n.LANGUAGE_NAMES.__getitem__,
        horizontal=True,
        key=LANGUAGE_KEY,
        on_change=_switch_language,
        args=(pg,),
        help=_("Show the app in Chinese or English; the address keeps it (lang=zh or lang=en)."),
    )


def sidebar(pg: Playground) -> None:
    """The shared sidebar: the language, which model is answering, download it, upload one."""
    with st.sidebar:
        language_switch(pg)
        st.markdown(_("**Current model**"))
        if pg.model is None:
            st.caption(_("None yet: train one on **Train**, or open **Draw** to get the default."))
        else:
            st.caption(pg.model.describe())
            try:
                payload = model_to_bytes(pg.model.net)
            except Exception:  # noqa: BLE001 - saving failure must not break the page
                log.exception("could not serialise the model")
                payload = None
            if payload is not None:
                st.download_button(
                    _("Download model (.npz)"),
                    data=payload,
                    file_name=f"mlp-{pg.model.dataset}-{'-'.join(map(str, pg.model.net.layer_sizes))}.npz",
                    mime="application/octet-stream",
                    help=_("Save the weights and architecture to a file you can upload later."),
                    key="download-model",
                    on_click="ignore",
                )
        with st.expander(_("Load a saved model")):
            st.file_uploader(
                _("Model file (.npz)"),
                type=["npz"],
                key="model-upload",
                help=_("A digit model saved with this sidebar's “Download model (.npz)” (up to "
                "{MAX_MODEL_BYTES} MB); Boundaries' 2-D models can't be loaded here.").format(MAX_MODEL_BYTES=MAX_MODEL_BYTES // MB),
                on_change=_on_upload,
                args=(pg, "model-upload"),
            )
