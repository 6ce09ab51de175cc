"""MLP Playground: train a from-scratch NumPy MLP you can watch, then draw digits for it.

Run with ``streamlit run app.py``. This file only routes: page config, the shared
sidebar and navigation over the file-based pages in ``pages/``.
"""

import streamlit as st
from threadpoolctl import threadpool_limits

from playground import server, ui

# Several tabs may train at once on a small machine, beside the server and the browser:
# one BLAS thread per training run avoids oversubscribing the cores (OpenBLAS's default
# of one thread per core made training 3-10x slower on a busy 2-core machine).
threadpool_limits(1, user_api="blas")
# Once per process: load the digits and freeze the imported objects out of the garbage
# collector's way (see playground/server.py; it halved training time with four tabs).
server.prepare_process()

st.set_page_config(
    page_title="MLP Playground",
    page_icon=":material/neurology:",
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on phones
)

pages = {
    "Play": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:", default=True),
        st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
        st.Page("pages/inspect.py", title="Inspect", icon=":material/search_insights:"),
        st.Page("pages/boundaries.py", title="Boundaries", icon=":material/scatter_plot:"),
        st.Page("pages/sweep.py", title="Sweep", icon=":material/grid_on:"),
    ],
    "Learn": [
        st.Page("pages/backprop.py", title="Backprop", icon=":material/account_tree:"),
        st.Page("pages/optimizers.py", title="Optimizers", icon=":material/speed:"),
        st.Page("pages/fix_tutorial.py", title="Fix the tutorial", icon=":material/build:"),
    ],
}
page = st.navigation(pages)

pg = ui.playground()
with ui.friendly_errors(f"showing the {page.title} page"):
    page.run()
# After the page, so it shows the model the page may just have trained or loaded.
with ui.friendly_errors("drawing the sidebar"):
    ui.sidebar(pg)
# Last: the settings into the address bar, and the tab's state where a reload finds it.
with ui.friendly_errors("saving this tab's state"):
    ui.persist(pg)
