"""The engine's datasets as the app uses them: shared read-only, checked, downloaded.

No Streamlit here: :mod:`playground.shell.data` caches :func:`load_read_only` once per
server process, so every tab shares one copy of each dataset's arrays.
"""

from __future__ import annotations

from collections.abc import Callable

from nn_core import datasets


def _freeze(dataset):
    for attr in ("X_train", "y_train", "X_test", "y_test"):
        array = getattr(dataset, attr, None)
        if array is not None and hasattr(array, "flags"):
            array.flags.writeable = False
    return dataset


def load_read_only(name: str):
    """The named dataset from local files, its arrays read-only (safe to share between
    tabs). Raises the engine's missing-files error when they are not here."""
    return _freeze(datasets.load(name))


def is_available(name: str) -> bool:
    """Whether the dataset's files are on this machine (no download needed)."""
    try:
        return bool(datasets.available(name))
    except Exception:  # noqa: BLE001 - a broken check just means "not available"
        return False


def download(name: str, progress: Callable[[int, int, str], None] | None = None):
    """Download (if needed) and load a dataset, reporting ``progress(done, total, filename)``."""
    return datasets.load(name, download=True, progress=progress)
