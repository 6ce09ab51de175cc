"""MLP Playground: train a from-scratch NumPy MLP you can watch, then draw digits for it.

Run with ``streamlit run app.py``. This file only routes: page config, the shared
sidebar and navigation over the pages in ``pages/`` (the list is
``playground.shell.navigation.PAGES``).
"""

import streamlit as st
from threadpoolctl import threadpool_limits

from playground.shell import navigation, server, ui

# A run shares the machine with the server's pages, other tabs and browsers: one BLAS
# thread per training run avoids oversubscribing the cores (OpenBLAS's default of one
# thread per core made training 3-10x slower on a busy 2-core machine); see
# server.blas_threads for the measurements and the setting that changes it.
threadpool_limits(server.blas_threads(), user_api="blas")
# Once per process: load the digits and freeze the imported objects out of the garbage
# collector's way (see playground/server.py; it halved training time with four tabs).
server.prepare_process()

st.set_page_config(
    page_title="MLP Playground",
    # An emoji, which Streamlit draws as an inline SVG: a ":material/...:" favicon is
    # fetched from fonts.gstatic.com (every other icon uses Streamlit's bundled font).
    page_icon="🧠",
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on phones
)

ui.start_language()  # the menu's titles are in the tab's language
with navigation.route() as page:
    pg = ui.playground()
    with ui.friendly_errors(ui.showing_page(page.title)):
        page.run()
# After the page, so it shows the model the page may just have trained or loaded.
with ui.friendly_errors(ui.DRAWING_SIDEBAR):
    ui.sidebar(pg)
# Last: the settings into the address bar, and the tab's state where a reload finds it.
with ui.friendly_errors(ui.SAVING_STATE):
    ui.persist(pg)
