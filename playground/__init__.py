"""The app between the ``nn_core`` engine and the pages in ``pages/``: two floors, six rooms.

* ``common`` - the shared floor, no Streamlit: ``vocab`` (choices, labels, defaults),
  ``runs`` (the steppable :class:`TrainingRun`), ``state`` (the tab's ``Playground``; a
  feature keeps its state in ``pg.room(name, factory)``), ``sessions``, ``urlstate``,
  ``diagnosis``, ``metrics``, ``models``, ``datasets``, ``i18n`` (the tab's language and
  its catalogue), ``figures`` (palette and shared figure helpers).
* ``shell`` - the Streamlit floor: ``navigation`` (page list, routing), ``ui`` (sidebar,
  friendly errors, persist, a page's opening), ``live`` (the ONE live loop: every panel
  that trains while the page shows it), ``layout`` (phone and desktop columns), ``data``
  (cached datasets), ``server`` (warm-up, training slots, BLAS threads), ``copy_link``
  (the one-click **Copy link** button), ``livechart`` (the live view, drawn in the
  browser) and ``panel_kit`` (the JavaScript the canvas components share).
* The rooms, one per feature: ``train``, ``inspect``, ``draw``, ``boundaries``, ``sweep``,
  ``learn``. Each holds its page's logic (without Streamlit where it can) and its figures.

Import rules (``tests/project/test_layout.py`` walks the import graph and checks them):

1. ``nn_core`` never imports ``playground``, ``pages``, ``streamlit`` or ``plotly``.
2. ``common`` imports only ``nn_core`` and libraries, never ``streamlit``.
3. ``shell`` imports only ``common``.
4. A feature imports ``common``, ``shell`` and ``nn_core``, never another feature.
5. ``pages/x.py`` imports ``shell``, ``common`` and its own feature, never ``nn_core`` directly.
6. Only ``shell`` touches ``streamlit.runtime``.

What this trades away: a helper two features could share must move down to ``common``
(or ``shell``) first; in return a feature can change without breaking another.
"""
