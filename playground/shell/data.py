"""Datasets for the app: loaded once per server process and shared by every session.

``st.cache_resource`` (not ``st.cache_data``) on purpose: ``cache_data`` hands every
caller a fresh unpickled copy, which for MNIST would copy ~200 MB on every rerun
of every session. The arrays are made read-only instead, so sharing them is safe.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from playground.common import datasets
from playground.common.i18n import _


def class_names(name: str) -> list[str]:
    """The dataset's class names, or the digits 0-9 when its files aren't here."""
    try:
        return [str(c) for c in load_dataset(name).class_names]
    except (RuntimeError, ValueError):
        return [str(i) for i in range(10)]


@st.cache_resource(show_spinner=False, max_entries=4)
def _load_cached(name: str):
    return datasets.load_read_only(name)


#: Datasets this process has loaded once: the spinner is only for the first (slow) load.
_loaded: set[str] = set()


def load_dataset(name: str):
    """The named dataset from local files (raises the engine's missing-files error).

    Cached per process. The spinner is in the tab's language, which the cache's own
    fixed ``show_spinner`` text could not be, and shows on a first load only, as the
    cache's would (a dataset evicted from the cache reloads without it)."""
    if name in _loaded:
        return _load_cached(name)
    with st.spinner(_("Loading the dataset…")):
        dataset = _load_cached(name)
    _loaded.add(name)
    return dataset


def is_available(name: str) -> bool:
    """Whether the dataset's files are on this machine (no download needed)."""
    return datasets.is_available(name)


def download_dataset(name: str, progress: Callable[[int, int, str], None] | None = None):
    """Download (if needed) and load a dataset, reporting ``progress(done, total, filename)``.

    The result replaces anything cached for ``name``.
    """
    dataset = datasets.download(name, progress)
    _load_cached.clear()
    _loaded.clear()
    return dataset


def download_problem(exc: BaseException) -> str:
    """What went wrong with a download, in a few plain words (no URLs, no paths)."""
    import urllib.error

    text = str(exc).lower()
    if isinstance(exc, urllib.error.HTTPError):
        return _("the server answered {code}.").format(code=exc.code)
    if isinstance(exc, TimeoutError) or "timed out" in text:
        return _("the connection timed out.")
    if "checksum" in text or "sha256" in text:
        return _("the file arrived damaged (its checksum did not match).")
    if isinstance(exc, (urllib.error.URLError, ConnectionError)) or any(
        word in text for word in ("urlopen", "network", "name resolution", "connection", "offline")
    ):
        return _("this machine seems to be offline.")
    if isinstance(exc, OSError) and ("space" in text or "permission" in text):
        return _("the files couldn't be written to disk.")
    return _("the download failed.")
