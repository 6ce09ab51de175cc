"""One live loop for every panel that moves on its own: Train's run, Boundaries' Play,
the Sweep's results and the Optimizers race.

The engine owns the step, the UI owns the clock (TensorFlow Playground's Player): a
page says what one frame's step is and how to draw its panel, and this module runs
them in a Streamlit fragment that the browser reruns every ``every`` seconds while the
panel is live. It owns what four pages once did each on its own (with three names for
one flag, and one page without the stale-page guard):

* the timer: ``st.fragment(run_every=...)`` only while the panel is live, so a paused
  panel costs nothing;
* the training slot (``server.training_slot``): a frame that gets none in
  ``slot_wait`` seconds (other tabs are training) draws now and steps next time;
* the stale page: the page around the panel (its buttons, the sidebar) is drawn by full
  page runs, the panel by its own fragment runs. When a frame finds the panel no
  longer in the state the page was drawn for (the run ended, or a full rerun asked for
  earlier lost a race with the timer), it asks for a full rerun. ``drawn_live`` is the
  one flag: written only by full page runs, read by frames.

And the clicks. While the timer runs, a click on a button outside the panel can reach
the server twice. Streamlit's browser side sends a click a moment later (its widget
updates are batched in a zero-delay timeout) and only then forgets it; a fragment
timer that fires in between sends every widget's state, the click included, for a
fragment run. The click's own message then starts a full run (``runner.fastReruns``
starts it at once), and Streamlit runs the button's callback in both. Measured on
Train before this module: 1 Pause in 18 was paused by a fragment run, then resumed by
the click's full run 90 ms later (the run went on, the button still said Pause). So
the callback of a control only queues its action, once (the same action already
waiting is the same click), and the next full page run carries it out before drawing;
a fragment run never does. Every click thus acts once, in a full run, at the cost that
two clicks of one button within a single page run (tens of milliseconds) count once.

And work that outlasts a frame (``background=True``, Train's runs). A frame must end
before the browser's timer asks for the next one: a fragment run still going when the
next request comes is superseded, and the browser never shows what it drew (measured
on 784-256-10: 0.2 s of training per 0.1 s frame, 0 of about 50 frames reached the
live view). Shorter training per frame fixes the picture but halves the speed (0.05 s
per frame: 8.6 frames a second, the run 2.3 times slower). So such a panel's work runs
in a worker thread of the tab (:class:`Worker`), a piece at a time, for as long as
frames keep asking for it (``WATCH_SECONDS``: a closed tab's work stops); a frame only
draws. The work must hold its own lock against the page's clicks (a
``TrainingRun`` does), and must not call Streamlit.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from playground.shell import server, ui

#: The tab's room (``pg.rooms``) holding every live panel's :class:`PanelState`, by name.
ROOM = "live-panels"

Checkpoint = Callable[[], None]
_lock = threading.Lock()  # callbacks and page runs of one tab may run in two threads
#: A worker stops when no frame has asked for its work for this long (a closed tab or a
#: hidden one, whose browser slows its timers; the next frame starts it again).
WATCH_SECONDS = 3.0
#: Longest a worker rests while a full page run draws the page (it rests until the page
#: has drawn its panel; this bounds a page run that never gets there).
PAGE_RUN_SECONDS = 1.0


class Worker:
    """A panel's work in a thread of the tab's own: ``step(checkpoint)`` again and again
    (holding a training slot), while ``live()`` and while frames keep asking (:meth:`watch`).

    An exception in ``step`` ends the worker and is kept in ``error``; the next frame
    raises it where the page shows errors (``ui.friendly_errors``).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.thread: threading.Thread | None = None
        self.watched_at = -float("inf")
        #: A full page run is drawing the page until then: the worker rests, so that
        #: the click that started the run is answered at full speed (Python shares one
        #: core between threads: a training worker doubled a Pause's answer time).
        self.page_run_until = -float("inf")
        self.error: BaseException | None = None
        self._guard = threading.Lock()

    def watch(self, live: Callable[[], bool], step: Callable[[Checkpoint], Any],
              slot_wait: float | None) -> None:
        """A frame asks for the work: start the thread unless it runs."""
        with self._guard:
            self.watched_at = self.clock()
            if self.thread is not None and self.thread.is_alive():
                return
            self.error = None
            self.thread = threading.Thread(
                target=self._work, args=(live, step, slot_wait), daemon=True,
                name="live-panel-worker")
            self.thread.start()

    @property
    def watched(self) -> bool:
        return self.clock() - self.watched_at < WATCH_SECONDS

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _work(self, live: Callable[[], bool], step: Callable[[Checkpoint], Any],
              slot_wait: float | None) -> None:
        try:
            while live() and self.watched:
                if self.clock() < self.page_run_until:
                    time.sleep(0.005)
                    continue
                with _slot(slot_wait) as slot:
                    if slot:
                        step(lambda: None)
        except BaseException as exc:  # noqa: BLE001 - kept for the page to show
            self.error = exc


@dataclass
class PanelState:
    """How a live panel's page was last drawn, and the clicks waiting for a full page run."""

    #: The last full page run drew the page around the panel while the panel was live.
    drawn_live: bool = False
    #: ``(name, action)`` queued by controls' callbacks, oldest first.
    clicks: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)
    #: The panel's background work (``show(background=True)``).
    worker: Worker = field(default_factory=Worker)
    #: A frame found the page's widgets holding other values than the page drew with and
    #: asked for a full page run (once per page run: see :func:`_redraw_if_stale`).
    asked_for_page_run: bool = False

    def queue(self, name: str, action: Callable[[], Any]) -> bool:
        """Queue a control's action; False if the control's click already waits (one
        click delivered twice)."""
        with _lock:
            if any(queued == name for queued, _ in self.clicks):
                return False
            self.clicks.append((name, action))
            return True

    def carry_out(self) -> int:
        """Do the queued actions in order (a full page run, before it draws); returns
        how many there were."""
        with _lock:
            clicks, self.clicks = self.clicks, []
        for _, action in clicks:
            action()
        return len(clicks)

    def clicks_waiting(self) -> bool:
        """Whether a control's action waits for a full page run."""
        with _lock:
            return bool(self.clicks)

    def page_is_stale(self, live_now: bool) -> bool:
        """Whether the page around the panel was drawn for another state than ``live_now``."""
        return live_now != self.drawn_live


def panel_state(pg: Any, name: str) -> PanelState:
    """The tab's state of the live panel ``name`` (made on first use, kept across reloads)."""
    panels = pg.room(ROOM, dict)
    state = panels.get(name)
    if not isinstance(state, PanelState):
        state = panels[name] = PanelState()
    return state


@contextlib.contextmanager
def _slot(wait: float | None) -> Iterator[bool]:
    if wait is None:  # nothing to train in this process (the sweep's workers train)
        yield True
        return
    with server.training_slot(timeout=wait) as slot:
        yield slot


def run_frame(
    state: PanelState,
    live: Callable[[], bool],
    step: Callable[[Checkpoint], Any],
    checkpoint: Checkpoint,
    slot_wait: float | None,
    rerun: Callable[[], Any],
    widgets_changed: Callable[[], bool] | None = None,
) -> None:
    """One frame's logic, without drawing: step if live (holding a training slot), then
    ``rerun()`` the whole page if it shows the panel in another state than it is now,
    or if ``widgets_changed()`` (see :func:`_redraw_if_stale`)."""
    if live():
        with _slot(slot_wait) as slot:
            if slot:
                step(checkpoint)
    _redraw_if_stale(state, live, rerun, widgets_changed)


def _redraw_if_stale(state: PanelState, live: Callable[[], bool],
                     rerun: Callable[[], Any],
                     widgets_changed: Callable[[], bool] | None = None) -> None:
    """``rerun()`` the whole page if the panel is no longer in the state the page was
    drawn for, or if the page's widgets hold values the page has not run with.

    The second is a lost message: a setting changed while frames are asking (measured
    on Train: 1 learning-rate change in 12, pressed 0.3 s after Train) reached the
    server's widget state with a frame's request, and the full page run of its own
    never came; the page went on with the old rate until the next click. Asked once
    per page run, so a page whose widgets never match cannot loop.

    A click waiting in the queue is the same lost message for a button: its callback
    ran in a frame's run (which queued its action) and its full page run never came,
    so the run went on, and each later click of that button counted as the same click
    (measured: a Pause lost for 15 s, in 3 of 5 runs of 10 Pause sequences). A frame
    asks for the page run then too; that run empties the queue."""
    if state.page_is_stale(bool(live())) or state.clicks_waiting():
        rerun()
    elif (widgets_changed is not None and not state.asked_for_page_run
            and widgets_changed()):
        state.asked_for_page_run = True
        rerun()


def run_background_frame(
    state: PanelState,
    live: Callable[[], bool],
    step: Callable[[Checkpoint], Any],
    slot_wait: float | None,
    rerun: Callable[[], Any],
    widgets_changed: Callable[[], bool] | None = None,
) -> None:
    """One frame of a panel whose work runs in its worker: ask for the work while live
    (raising the worker's error, if it had one), then ``rerun()`` the whole page if it
    shows the panel in another state than it is now."""
    worker = state.worker
    if worker.error is not None and not worker.running:
        error, worker.error = worker.error, None
        raise error
    if live():
        worker.watch(live, step, slot_wait)
    _redraw_if_stale(state, live, rerun, widgets_changed)


def _frame(
    state: PanelState,
    live: Callable[[], bool],
    step: Callable[[Checkpoint], Any],
    draw: Callable[[], Any],
    progress: Callable[[], tuple[float, str]] | None,
    slot_wait: float | None,
    doing: str,
    background: bool = False,
    widgets_changed: Callable[[], bool] | None = None,
) -> None:
    with ui.friendly_errors(doing):
        if background:
            run_background_frame(state, live, step, slot_wait, st.rerun, widgets_changed)
            if progress is not None:
                value, text = progress()
                st.progress(value, text=text)
            draw()
            return
        bar = None
        if progress is not None:
            value, text = progress()
            bar = st.progress(value, text=text)

        def checkpoint() -> None:
            # An element update is where Streamlit stops a script whose user just clicked.
            if bar is not None:
                value, text = progress()
                bar.progress(value, text=text)

        run_frame(state, live, step, checkpoint, slot_wait, st.rerun, widgets_changed)
        checkpoint()
        draw()


class LivePanel:
    """One page's live panel. Make it at the top of the page: that carries out the
    clicks its controls queued (see the module docstring), before anything is drawn."""

    def __init__(self, pg: Any, name: str) -> None:
        self.name = name
        self.state = panel_state(pg, name)
        worker = self.state.worker
        worker.page_run_until = worker.clock() + PAGE_RUN_SECONDS  # until show() is done
        self.state.carry_out()

    def click(self, name: str, action: Callable[[], Any]) -> Callable[[], None]:
        """An ``on_click`` / ``on_change`` for a control outside the panel: queues
        ``action()`` for the next full page run. ``name`` (the widget's key) says which
        control it is."""
        state = self.state

        def queue() -> None:
            state.queue(name, action)

        return queue

    def show(
        self,
        *,
        live: Callable[[], bool],
        step: Callable[[Checkpoint], Any],
        draw: Callable[[], Any],
        every: float,
        progress: Callable[[], tuple[float, str]] | None = None,
        slot_wait: float | None = None,
        doing: str,
        background: bool = False,
        widgets_changed: Callable[[], bool] | None = None,
    ) -> None:
        """Draw the panel, and keep it moving while ``live()``.

        Each frame: a progress bar from ``progress()`` (if given), then while live
        ``step(checkpoint)`` (holding a training slot unless ``slot_wait`` is None;
        call ``checkpoint()`` between pieces of work so a click is noticed), then
        ``draw()``. ``doing`` names the work in an error message.

        ``background=True``: ``step`` is one short piece of work, which the panel's
        :class:`Worker` repeats in its own thread while frames keep coming; each frame
        only draws (see the module docstring).

        ``widgets_changed()``: whether the page's widgets now hold values other than the
        ones this page run drew with; a frame that finds so asks for a full page run.
        """
        self.state.drawn_live = bool(live())
        self.state.asked_for_page_run = False
        fragment = st.fragment(_frame, run_every=every if self.state.drawn_live else None)
        try:
            fragment(self.state, live, step, draw, progress, slot_wait, doing, background,
                     widgets_changed)
        finally:
            self.state.worker.page_run_until = -float("inf")
