"""Process-wide settings for serving many sessions at once from one Streamlit process.

Nothing here holds any session's data. Two things, both for the same reason: every
browser tab's script runs in a thread of this one process, and the server's own
thread (which answers every browser, and ``/_stcore/health``) needs the GIL between them.

* :func:`prepare_process` runs once per process: it loads the bundled dataset and then
  ``gc.freeze()``s everything imported so far (Streamlit, Plotly, NumPy, scikit-learn:
  about 200,000 objects). Without that, the cyclic garbage collector re-scanned all of
  them in a full collection several times a second while four tabs trained (0.1 s each,
  holding the GIL): training took twice as long and the server answered late.
* :func:`training_slot`: at most ``SLOTS`` sessions run a training slice at the same
  moment (the others wait their turn, a slice is about a quarter second). Training is
  mostly Python and holds the GIL, so more at once would not finish sooner.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
from collections.abc import Iterator

from playground.common import runs
from playground.common.figures import DIVERGING
from playground.shell import data

SLOTS_ENV = "MLP_PLAYGROUND_TRAINING_SLOTS"

_prepare_lock = threading.Lock()
_prepared = False


def prepare_process() -> bool:
    """Warm up and freeze the long-lived objects, once per process; True the first time."""
    global _prepared
    with _prepare_lock:
        if _prepared:
            return False
        _prepared = True
    with contextlib.suppress(Exception):  # a warm-up, never a reason to fail a page
        _warm_up()
    gc.collect()
    gc.freeze()  # objects from here on are collected as usual
    return True


def _warm_up() -> None:
    """Do once, now, what the first training run would otherwise do in the middle of
    everyone's session: import scikit-learn's datasets (about 0.8 s), pandas and pyarrow
    (for the runs table), and Plotly's lazily imported validators (each trace type the
    pages draw, and subplots)."""
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go
    import pyarrow as pa
    from plotly.subplots import make_subplots

    data.load_dataset("digits")
    runs.warm_up_engine()
    pa.Table.from_pandas(pd.DataFrame([{"run": "#1", "test accuracy %": 97.0}]))
    grid = np.zeros((8, 8))
    panels = make_subplots(rows=1, cols=2)
    panels.add_trace(go.Scatter(x=[1, 2], y=[1.0, 0.5], mode="lines+markers"), row=1, col=1)
    panels.add_trace(go.Heatmap(z=grid, colorscale=DIVERGING, zmid=0), row=1, col=2)
    panels.update_layout(coloraxis={"colorscale": "gray"}, annotations=[{"text": "warm"}])
    for figure in (
        panels,
        go.Figure(go.Bar(x=list("0123456789"), y=np.full(10, 0.1))),
        go.Figure(go.Heatmap(z=grid, text=grid, texttemplate="%{text}")),
        go.Figure(go.Parcoords(dimensions=[{"label": "a", "values": [1, 2]}])),
    ):
        figure.to_json()


def _slot_count() -> int:
    try:
        return max(1, int(os.environ[SLOTS_ENV]))
    except (KeyError, ValueError):
        return max(1, (os.cpu_count() or 1) // 2)


SLOTS = _slot_count()
_slots = threading.BoundedSemaphore(SLOTS)


BLAS_THREADS_ENV = "MLP_PLAYGROUND_BLAS_THREADS"
log = logging.getLogger(__name__)


def blas_threads() -> int:
    """BLAS threads per training run: 1, or ``MLP_PLAYGROUND_BLAS_THREADS``.

    One, because a run rarely has the machine to itself: the page's own frames, other
    tabs and a browser share it, and two-threaded BLAS then spin-waits for a partner
    thread that is not running. Measured (``bench/lone_run_threads.py``, the MNIST
    preset on 2 cores): 2 threads take 0.57x the time of 1 on an idle machine, but 1.61x
    beside one busy process, and 2.2x on the Train page in Chromium (10 against 18-22 s;
    ``scripts/measure_threads.py``). Set 2 for a machine that only trains one run at a time
    with nothing else running. Any other value gives 1, and the server's log says why."""
    value = os.environ.get(BLAS_THREADS_ENV, "1")
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        log.warning(
            "%s must be a whole number of threads >= 1, not %r: using 1", BLAS_THREADS_ENV, value)
        return 1
    return threads


@contextlib.contextmanager
def training_slot(timeout: float = 1.0) -> Iterator[bool]:
    """Hold one training slot for the ``with`` block; yields False if none freed up in
    ``timeout`` seconds (then skip training this time rather than block the page)."""
    acquired = _slots.acquire(timeout=timeout)
    try:
        yield acquired
    finally:
        if acquired:
            _slots.release()
