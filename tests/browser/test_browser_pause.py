"""Every Pause click answers: the newcomer's sequence, repeated in headless Chromium.

On the slowest network (512-512-512, batch 8, 100 epochs): Train, change the learning
rate mid-run, Stop, move the rate back, Reset, Train, and Pause once the bar reads
Epoch 2. Before ``playground.shell.live`` this lost 2 Pause clicks in about 37 (1 in 18
measured here): the fragment timer's message carried the click to a fragment run,
which paused, and the click's own message to the full run, which resumed. Each
repetition checks that the pause holds (still paused, Resume shown, a second later),
not only that "paused" showed once.

The learning-rate change in the sequence was lost too, about 1 time in 12 when pressed
0.3 s after Train (and in CI, after the other browser tests, within 30 s): its value
reached the server with a live-view frame's request and its own page run never came
(a frame now asks for one, ``shell/live.py``); and Reset's notice, gone on the next
page run, moved every setting down the page, so the browser drew the sliders anew and
a key press on the old copy was dropped (notices now have a place of their own).

Click-to-answer times are the browser's own (pointer down or key press to the progress
bar's new text); Stop and the learning-rate change are timed in the same sequence.
They are printed (``-s``); with ``MLP_PLAYGROUND_RECORD=1`` they are written to
``bench/results/pause.json``. ``MLP_PLAYGROUND_PAUSE_REPEATS`` sets the repetitions
(default 30; about 15 s each on a busy 2-core machine).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "pause.json"
SLOWEST = "/?hidden=512-512-512&batch=8&epochs=100"
PAUSE_AT_EPOCH = 2
REPEATS = int(os.environ.get("MLP_PLAYGROUND_PAUSE_REPEATS", "30"))
pytestmark = [pytest.mark.browser, pytest.mark.slow]

_ARM_KEY_TIMER = """(word) => {
  // From the next key press until a progress bar says ``word``: the browser's clock.
  const bars = () => [...document.querySelectorAll('[data-testid="stProgress"]')]
      .map(e => e.innerText).join('|');
  window.__keyTimer = {};
  document.addEventListener('keydown', () => { window.__keyTimer.key = performance.now(); },
                            {capture: true, once: true});
  const observer = new MutationObserver(() => {
    const t = window.__keyTimer;
    if (t.key !== undefined && t.seen === undefined && bars().includes(word)) {
      t.seen = performance.now(); observer.disconnect(); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _bar(page, browser) -> str:
    return browser.progress_text(page)


def _wait_until(predicate, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _running_at(page, browser, epoch: int) -> None:
    def ready() -> bool:
        text = _bar(page, browser)
        return ("so far" in text and "paused" not in text and "stopped" not in text
                and browser.epoch_shown(text) >= epoch)

    _wait_until(ready, f"the run to pass epoch {epoch}")


def _move_slider(page, thumb, key: str, shown: str) -> None:
    """Press ``key`` on the slider until its thumb shows ``shown``: a key pressed while
    the page redraws the slider can land on the old one (then nothing moved)."""
    for _ in range(3):
        thumb.focus()
        thumb.press(key)
        try:
            page.wait_for_function(
                """(shown) => [...document.querySelectorAll('[data-testid="stSlider"]')]
                     .some(s => s.innerText.includes('Learning rate')
                                && s.querySelector('[data-testid="stSliderThumbValue"]')
                                    .innerText.trim() === shown)""",
                arg=shown, timeout=3_000)
            return
        except Exception:  # noqa: BLE001 - the press was lost: press again
            continue
    raise AssertionError(f"the learning-rate slider never showed {shown}")


def _press_and_time(page, thumb, key: str, word: str) -> float:
    page.evaluate(_ARM_KEY_TIMER, word)
    thumb.focus()
    thumb.press(key)
    try:
        page.wait_for_function("() => window.__keyTimer.seen !== undefined", timeout=30_000)
    except Exception as exc:  # noqa: BLE001 - say what the page showed instead
        shown = page.evaluate("""() => ({
            key: window.__keyTimer.key,
            slider: [...document.querySelectorAll('[data-testid="stSlider"]')]
                .filter(s => s.innerText.includes('Learning rate'))
                .map(s => s.querySelector('[data-testid="stSliderThumbValue"]').innerText),
            bar: [...document.querySelectorAll('[data-testid="stProgress"]')]
                .map(e => e.innerText).join('|'),
            url: location.search, running: document.querySelectorAll(
                '[data-testid="stStatusWidget"]').length})""")
        raise AssertionError(f"no {word!r} in 30 s after the key press; the bar: "
                             f"{shown.pop('bar')!r}; the page: {shown}") from exc
    timed = page.evaluate("() => window.__keyTimer")
    return (timed["seen"] - timed["key"]) / 1000


def _summary(seconds: list[float]) -> dict:
    return {"n": len(seconds), "median_s": round(statistics.median(seconds), 3),
            "max_s": round(max(seconds), 3), "all_s": [round(s, 3) for s in seconds]}


def test_every_pause_click_answers_and_holds(chromium, app_url, browser):
    page = chromium.new_context(viewport={"width": 1400, "height": 1300}).new_page()
    page.goto(app_url + SLOWEST)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    lr_thumb = (page.locator('[data-testid="stSlider"]').filter(has_text="Learning rate")
                .get_by_role("slider"))
    pauses, stops, lr_changes = [], [], []
    for i in range(REPEATS):
        page.get_by_role("button", name="Train").first.click()
        _running_at(page, browser, 0)
        lr_changes.append(_press_and_time(page, lr_thumb, "ArrowLeft", "lr 0.002"))
        stopped = browser.click_and_time(page, "Stop", "stopped")
        stops.append(stopped["seconds"])
        _move_slider(page, lr_thumb, "ArrowRight", "0.003")  # back, with no run to take it
        page.wait_for_function(  # the page run that took it wrote the address
            "() => new URLSearchParams(location.search).get('lr') === '0.003'", timeout=30_000)
        page.get_by_role("button", name="Reset").first.click()
        _wait_until(lambda: _bar(page, browser) == "", "the reset page (no progress bar)")
        page.get_by_role("button", name="Train").first.click()
        _running_at(page, browser, PAUSE_AT_EPOCH)
        try:
            timed = browser.click_and_time(page, "Pause", "· paused ·", timeout=15)
        except Exception as exc:  # noqa: BLE001 - say which click, and what the bar showed
            raise AssertionError(f"Pause click {i + 1} of {REPEATS} got no answer in 15 s; "
                                 f"the bar: {_bar(page, browser)!r}") from exc
        pauses.append(timed["seconds"])
        # The answer holds: a click delivered twice must not resume the run it paused.
        page.get_by_role("button", name="Resume").first.wait_for(timeout=10_000)
        held = _bar(page, browser)
        page.wait_for_timeout(1000)
        after = _bar(page, browser)
        assert "paused" in after and browser.epoch_shown(after) == browser.epoch_shown(held), (
            f"Pause click {i + 1} did not hold: {held!r} then {after!r}")
        assert page.get_by_role("button", name="Resume").count() == 1
    assert browser.page_problems(page) == []
    page.context.close()

    figures = {
        "sequence": f"{SLOWEST}: Train, lr 0.003 -> 0.002 mid-run, Stop, lr back, Reset, "
                    f"Train, Pause at Epoch {PAUSE_AT_EPOCH}; repeated {REPEATS} times",
        "pause": _summary(pauses),
        "stop": _summary(stops),
        "lr_change": _summary(lr_changes),
        "lost_pause_clicks": 0,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": list(os.getloadavg())},
    }
    print("\npause:", json.dumps({k: v for k, v in figures.items() if k != "sequence"}))
    if os.environ.get("MLP_PLAYGROUND_RECORD") == "1":
        RESULTS.write_text(json.dumps(figures, indent=1) + "\n")
    # The bar is 0.3 s for the typical Pause; a single slow click (the machine is shared)
    # is allowed up to 10x the bar, which only a hang exceeds. Stop and the learning rate
    # are recorded and held to the hang bar only: here they come right after another click
    # whose page run is still drawing, Stop scores the network first (0.05-0.1 s for
    # 512-512-512), and a slider's change leaves the browser 0.2 s after the key press.
    assert figures["pause"]["median_s"] <= 0.3, figures["pause"]
    for name in ("pause", "stop", "lr_change"):
        assert figures[name]["max_s"] <= 3.0, figures[name]
