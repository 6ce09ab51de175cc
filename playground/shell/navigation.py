"""The page list and the routing: every page run goes through ``app.py``.

``st.navigation`` is documented to switch off the old ``pages/``-folder mode for
every session once any session has called it. A fresh server's first visitor who
opens a page's own address (``/boundaries?...``) is the one case it has not been
called yet: Streamlit then runs the page file alone, without ``app.py``'s page
config, sidebar and :func:`playground.shell.ui.persist`. :func:`ensure_routed`
notices that (the page starts without :func:`route`'s mark for this run), calls
``st.navigation`` with the same pages, hidden, and reruns once; the rerun goes
through ``app.py`` and lands on the same page, since its address is unchanged.
All of it is public, documented Streamlit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import streamlit as st

from playground.common.i18n import N_, _

#: (section, file, title, icon, default): the app's eight pages, in menu order.
#: Section and title are English (marked for the catalogue), shown in the tab's language.
PAGES = (
    (N_("Play"), "pages/train.py", N_("Train"), ":material/model_training:", True),
    (N_("Play"), "pages/draw.py", N_("Draw"), ":material/draw:", False),
    (N_("Play"), "pages/inspect.py", N_("Inspect"), ":material/search_insights:", False),
    (N_("Play"), "pages/boundaries.py", N_("Boundaries"), ":material/scatter_plot:", False),
    (N_("Play"), "pages/sweep.py", N_("Sweep"), ":material/grid_on:", False),
    (N_("Learn"), "pages/backprop.py", N_("Backprop"), ":material/account_tree:", False),
    (N_("Learn"), "pages/optimizers.py", N_("Optimizers"), ":material/speed:", False),
    (N_("Learn"), "pages/fix_tutorial.py", N_("Fix the tutorial"), ":material/build:", False),
)
#: Set in session state while app.py runs a page (see :func:`route`).
ROUTED_KEY = "playground_routed"
#: The address of the page app.py routed to last (``"/"`` for Train), kept after the run.
PAGE_KEY = "playground_page"
#: Set once a session has asked to be routed, so a page never reruns in a loop.
ROUTE_ASKED_KEY = "playground_route_asked"


def page_sections() -> dict[str, list]:
    sections: dict[str, list] = {}
    for section, path, title, icon, default in PAGES:
        # url_path from the file name, so a page's address is the same in both languages.
        sections.setdefault(_(section), []).append(
            st.Page(path, title=_(title), icon=icon, default=default)
        )
    return sections


@contextlib.contextmanager
def route(position: str = "sidebar") -> Iterator[st.navigation]:
    """In app.py: the navigation menu and the page to run, marked as routed while it runs."""
    page = st.navigation(page_sections(), position=position)
    st.session_state[ROUTED_KEY] = True
    st.session_state[PAGE_KEY] = page.url_path or "/"
    try:
        yield page
    finally:
        st.session_state.pop(ROUTED_KEY, None)


def ensure_routed() -> None:
    """At the top of a page: if app.py did not route this run, route it (once)."""
    if st.session_state.get(ROUTED_KEY) or st.session_state.get(ROUTE_ASKED_KEY):
        return
    st.session_state[ROUTE_ASKED_KEY] = True
    st.navigation(page_sections(), position="hidden")
    st.rerun()


def current_page() -> str | None:
    """The address of the page this run shows (``"/"`` for Train), or None if unrouted."""
    return st.session_state.get(PAGE_KEY)


#: Pages whose links carry the training settings (``?hidden=...&lr=...``): Train, and
#: Sweep, whose runs are Train runs. Every other page's link parameters are its own.
TRAIN_SETTINGS_PAGES = ("/", "sweep")


def reads_train_settings() -> bool:
    """Whether this run's page takes the training settings from its link."""
    return current_page() in TRAIN_SETTINGS_PAGES
