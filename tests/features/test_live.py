"""The one live loop (``playground.shell.live``) without a browser: a click delivered twice
acts once, frames step only while live and redraw a stale page, a frame without a
training slot draws without stepping.

The double delivery is the one measured in the browser before the loop existed: the
fragment timer's message carried a Pause click (a fragment run paused the run), then the
click's own message did (the full run resumed it). Here the two deliveries are the two
calls of the button's callback, with a fragment frame between them.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from playground.common.state import Playground
from playground.common.vocab import PAUSED, RUNNING, TrainConfig
from playground.shell import live, server
from playground.train import view as train_view

SMALL = TrainConfig(hidden=(16,), epochs=30, batch_size=32)


@pytest.fixture
def running_pg(digits):
    pg = Playground()
    pg.start_run(SMALL, digits)
    return pg


def frame(state, pg, rerun, slot_wait=None):
    """One fragment run of the Train panel (what ``LivePanel.show`` runs every tick)."""
    run = pg.run
    live.run_frame(
        state,
        live=lambda: pg.run is run and run.status == RUNNING,
        step=lambda checkpoint: (run.step(budget_seconds=0.02, max_epochs=1), checkpoint()),
        checkpoint=lambda: None,
        slot_wait=slot_wait,
        rerun=lambda: rerun.append(True),
    )


def test_a_pause_click_delivered_twice_pauses_once(running_pg):
    pg = running_pg
    panel = live.LivePanel(pg, "train")  # a full page run: the page drawn with the run going
    panel.state.drawn_live = True
    on_pause = panel.click("btn-pause", pg.toggle_pause)
    reruns: list[bool] = []

    on_pause()  # 1st delivery: the fragment timer's message, so a fragment run follows
    frame(panel.state, pg, reruns)
    # A fragment run carries out nothing; it asks for the page run the click waits for.
    assert pg.run.status == RUNNING and reruns == [True]
    on_pause()  # 2nd delivery: the click's own message, so a full page run follows
    live.LivePanel(pg, "train")
    assert pg.run.status == PAUSED
    # The page run draws the page for a paused run; the next frame finds it up to date.
    panel.state.drawn_live = False
    frame(panel.state, pg, reruns)
    assert pg.run.status == PAUSED and reruns == [True]


def test_clicks_wait_in_order_for_the_next_page_run_and_each_control_counts(running_pg):
    pg = running_pg
    panel = live.LivePanel(pg, "train")
    done: list[str] = []
    panel.click("btn-stop", lambda: done.append("stop"))()
    panel.click("btn-pause", lambda: done.append("pause"))()
    panel.click("btn-stop", lambda: done.append("stop again"))()  # the same click, again
    assert done == []
    assert panel.state.carry_out() == 2 and done == ["stop", "pause"]
    assert panel.state.carry_out() == 0 and done == ["stop", "pause"]
    # Clicks made after a page run carried out the last ones count again.
    panel.click("btn-pause", lambda: done.append("resume"))()
    live.LivePanel(pg, "train")
    assert done == ["stop", "pause", "resume"]
    # Each panel has its own queue, kept in the tab (a reload finds it).
    other = live.LivePanel(pg, "boundaries")
    assert other.state is not panel.state
    assert pg.room(live.ROOM)["train"] is panel.state


def test_frames_step_only_while_live_and_redraw_a_stale_page(running_pg):
    pg = running_pg
    state = live.panel_state(pg, "train")
    reruns: list[bool] = []

    state.drawn_live = True
    progress = pg.run.trainer.progress
    frame(state, pg, reruns)  # running, and drawn so: a step, no redraw
    assert pg.run.trainer.progress > progress and reruns == []

    pg.run.pause()  # paused outside this panel's frames (a full run of another tab, say)
    progress = pg.run.trainer.progress
    frame(state, pg, reruns)  # the page still shows it running: redraw the page
    assert reruns == [True] and pg.run.trainer.progress == progress

    state.drawn_live = False  # what that full page run writes
    frame(state, pg, reruns)
    assert reruns == [True]

    pg.run.resume()
    pg.run.trainer.epochs = pg.run.epochs_done + 1  # the run ends during the next frame
    state.drawn_live = True
    for _ in range(200):
        frame(state, pg, reruns)
        if not pg.run.is_active:
            break
    assert pg.run.is_done and reruns == [True, True]  # it ended: redraw the page once


def test_a_frame_without_a_training_slot_does_not_step(running_pg):
    pg = running_pg
    state = live.panel_state(pg, "train")
    state.drawn_live = True
    reruns: list[bool] = []
    progress = pg.run.trainer.progress
    with contextlib.ExitStack() as held:
        for _ in range(server.SLOTS):  # every slot busy with other tabs' training
            assert held.enter_context(server.training_slot(timeout=1.0))
        frame(state, pg, reruns, slot_wait=0.01)
    assert pg.run.trainer.progress == progress and reruns == []
    frame(state, pg, reruns, slot_wait=0.01)  # a slot is free again
    assert pg.run.trainer.progress > progress


# --------------------------------------------------------------------------- the worker


def background_frame(state, pg, rerun, slot_wait=None):
    """One fragment run of the Train panel as the page runs it (``background=True``)."""
    run = pg.run

    def step(_checkpoint):
        train_view.train_piece(run, piece_seconds=0.02)
        if run.is_done:
            pg.complete_run(run)

    live.run_background_frame(
        state,
        live=lambda: pg.run is run and run.status == RUNNING,
        step=step,
        slot_wait=slot_wait,
        rerun=lambda: rerun.append(True),
    )
    run.drawn_epochs = run.epochs_done  # the frame drew the run as it is now


def _wait(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the worker did not get there"
        time.sleep(0.01)


def test_the_worker_trains_while_frames_come_and_the_last_frame_redraws_the_page(running_pg):
    """A frame only asks for the work; the worker trains the run to its end in its own
    thread (one thread, however many frames ask), and records it once."""
    pg = running_pg
    state = live.PanelState(drawn_live=True)
    reruns: list[bool] = []
    background_frame(state, pg, reruns, slot_wait=1.0)
    first = state.worker.thread
    assert first is not None and first.is_alive() and first is not threading.current_thread()
    _wait(lambda: pg.run.trainer.progress > 0)
    background_frame(state, pg, reruns, slot_wait=1.0)
    assert state.worker.thread is first  # a running worker is not started twice
    while not pg.run.is_done:  # frames keep coming, as the browser's timer sends them
        background_frame(state, pg, reruns, slot_wait=1.0)
        time.sleep(0.02)
    first.join(10)
    assert pg.run.status == "finished" and pg.run.epochs_done == SMALL.epochs
    assert [r.run_id for r in pg.runs] == [pg.run.run_id]
    background_frame(state, pg, reruns)  # the page still shows it running: redraw once
    assert reruns == [True]


def test_the_worker_stops_when_no_frame_asks_and_a_frame_starts_it_again(running_pg):
    """A closed tab sends no frames: its run stops training (it stays running, and the
    next frame, after a reload, goes on from there)."""
    pg = running_pg
    now = [0.0]
    state = live.PanelState(drawn_live=True)
    state.worker = live.Worker(clock=lambda: now[0])
    background_frame(state, pg, [])
    _wait(lambda: pg.run.trainer.progress > 0)
    now[0] += live.WATCH_SECONDS  # no frame for that long
    state.worker.thread.join(10)
    assert not state.worker.running and pg.run.status == RUNNING
    progress = pg.run.trainer.progress
    time.sleep(0.1)
    assert pg.run.trainer.progress == progress  # nothing trains a tab no one watches
    background_frame(state, pg, [])
    _wait(lambda: pg.run.trainer.progress > progress)


def test_a_pause_holds_while_the_worker_runs(running_pg):
    pg = running_pg
    state = live.PanelState(drawn_live=True)
    background_frame(state, pg, [])
    _wait(lambda: pg.run.trainer.progress > 0)
    pg.toggle_pause()  # the click's full page run; it waits for the piece under way
    assert pg.run.status == PAUSED
    state.worker.thread.join(10)
    progress = pg.run.trainer.progress
    background_frame(state, pg, [])  # a frame of a paused run asks for no work
    time.sleep(0.1)
    assert pg.run.trainer.progress == progress and not state.worker.running


def test_an_error_in_the_work_reaches_the_next_frame(running_pg):
    pg = running_pg
    state = live.PanelState(drawn_live=True)

    def broken(_checkpoint):
        raise MemoryError("no room for the next batch")

    state.worker.watch(lambda: True, broken, None)
    state.worker.thread.join(10)
    with pytest.raises(MemoryError, match="next batch"):
        background_frame(state, pg, [])
    assert state.worker.error is None  # raised once; the frame after starts afresh


def test_the_worker_rests_while_a_full_page_run_draws_the_page(running_pg):
    """A click's full page run is answered at full speed: the worker trains no piece from
    the top of the page (``LivePanel``) until the panel is drawn."""
    pg = running_pg
    train_view.train_piece(pg.run, piece_seconds=0.01)  # the engine's kernels are loaded
    progress = pg.run.trainer.progress
    state = live.PanelState(drawn_live=True)
    state.worker.page_run_until = state.worker.clock() + 30  # a page run has begun
    background_frame(state, pg, [])
    time.sleep(0.3)
    assert pg.run.trainer.progress == progress and state.worker.running
    state.worker.page_run_until = -float("inf")  # ... and has drawn its panel
    _wait(lambda: pg.run.trainer.progress > progress)


def test_a_frame_that_finds_the_widgets_changed_asks_for_one_page_run(running_pg):
    """A setting whose own page run never came (its value reached the server with a
    frame's request): the frame asks for a full page run, once per page run."""
    from playground.common import vocab

    pg = running_pg
    state = live.panel_state(pg, "train")
    state.drawn_live = True
    widgets = {"cfg-lr": pg.config.learning_rate}
    reruns: list[bool] = []

    def changed() -> bool:
        return vocab.config_from_widgets(widgets, pg.config) != pg.config

    def background_frame():
        live.run_background_frame(state, lambda: pg.run.status == RUNNING,
                                  lambda _c: time.sleep(0.01), None,  # (no training: the run stays live)
                                  lambda: reruns.append(True), changed)

    background_frame()
    assert reruns == []  # the widgets hold what the page ran with
    widgets["cfg-lr"] = 0.01  # the slider moved; no page run of its own came
    background_frame()
    background_frame()
    assert reruns == [True]  # one ask, not one per frame
    state.asked_for_page_run = False  # what the next full page run (show) writes
    pg.config = vocab.config_from_widgets(widgets, pg.config)
    background_frame()
    assert reruns == [True]  # that page run took the new rate: nothing more to ask
    pg.run.pause()


def test_a_frame_that_finds_a_click_waiting_asks_for_the_page_run(running_pg):
    """A click whose callback ran in a frame's run (its action queued) and whose own full
    page run never came: the next frame asks for one, until a page run carries it out."""
    pg = running_pg
    state = live.panel_state(pg, "train")
    state.drawn_live = True
    reruns: list[bool] = []

    def background_frame():
        live.run_background_frame(state, lambda: pg.run.status == RUNNING,
                                  lambda _c: time.sleep(0.01), None,  # (no training: the run stays live)
                                  lambda: reruns.append(True))

    background_frame()
    assert reruns == []
    state.queue("btn-pause", pg.run.pause)
    background_frame()
    background_frame()
    assert reruns == [True, True]  # each frame asks while the click waits
    state.carry_out()  # what the page run does first
    state.drawn_live = False  # and it draws the page paused
    background_frame()
    assert reruns == [True, True] and pg.run.status == PAUSED
