"""Steering a run in the real app, in headless Chromium: controls answer at once, a
reload loses nothing, and the figures a person feels (click to answer, chart share,
frame rate) are measured.

Click-to-answer times are measured by the browser's own clock (pointer down to the
progress bar's new text), so Playwright's overhead is not in them. They are printed
(run with ``-s``); with ``MLP_PLAYGROUND_RECORD=1`` they are written to
``bench/results/steering_browser.json`` for the README.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "steering_browser.json"
SLOWEST = "/?hidden=512-512-512&batch=8&epochs=100"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def figures():
    measured: dict = {}
    yield measured
    print("\nsteering:", json.dumps(measured, indent=1))
    if os.environ.get("MLP_PLAYGROUND_RECORD") == "1":
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(measured, indent=2) + "\n")


def _new_page(chromium, **kwargs):
    context = chromium.new_context(viewport={"width": 1400, "height": 1300}, **kwargs)
    return context.new_page()


def _wait_running(page, browser, past_epoch=1):
    page.get_by_text("so far").first.wait_for(timeout=60_000)
    deadline = time.time() + 60
    while time.time() < deadline:
        text = browser.progress_text(page)
        if "so far" in text and "paused" not in text and browser.epoch_shown(text) >= past_epoch:
            return
        time.sleep(0.1)
    raise AssertionError("the run did not get going")


def test_slowest_network_pauses_at_once_and_a_reload_keeps_everything(
    chromium, app_url, browser, figures
):
    page = _new_page(chromium)
    page.goto(app_url + SLOWEST)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    # The start tip is written twice (a wide and a narrow layout, one of them hidden by CSS;
    # while the first visit's page runs stream in, both can show for a moment).
    tips = page.get_by_text("3 hidden layers of 512 and 512 and 512").filter(visible=True)
    deadline = time.time() + 5
    while tips.count() != 1 and time.time() < deadline:
        time.sleep(0.1)
    assert tips.count() == 1
    page.get_by_role("button", name="Train").first.click()

    pauses, extra_epochs = [], []
    for _ in range(3):
        _wait_running(page, browser, past_epoch=len(pauses) + 1)
        timed = browser.click_and_time(page, "Pause", "· paused ·")
        pauses.append(timed["seconds"])
        extra = browser.epoch_shown(timed["after"]) - browser.epoch_shown(timed["before"])
        extra_epochs.append(extra)
        page.wait_for_timeout(400)
        # Paused means paused: nothing trains while it is.
        assert browser.epoch_shown(browser.progress_text(page)) == browser.epoch_shown(timed["after"])
        page.get_by_role("button", name="Resume").first.click()
    figures["pause_seconds"] = [round(s, 3) for s in pauses]
    figures["pause_extra_epochs"] = extra_epochs
    # At most one more epoch trains after the click: the one under way.
    assert max(extra_epochs) <= 1, extra_epochs
    # Measured 0.07-0.30 s (median about 0.15 s) on a 2-core machine with the browser,
    # the server and the test on the same cores. The bar is 0.3 s: the best of three clicks
    # must make it (a click that is not noticed until a tick ends takes 0.3-0.5 s), and
    # every click must be answered within 10x the bar (a hang).
    figures["pause_median_seconds"] = round(statistics.median(pauses), 3)
    assert min(pauses) <= 0.3 and max(pauses) <= 3.0, pauses

    _wait_running(page, browser, past_epoch=4)
    timed = browser.click_and_time(page, "Stop", "stopped")
    figures["stop_seconds"] = round(timed["seconds"], 3)
    assert browser.epoch_shown(timed["after"]) - browser.epoch_shown(timed["before"]) <= 1
    assert timed["seconds"] < 3.0  # 10x the bar: only a hang fails this
    page.get_by_text("Test accuracy").first.wait_for(timeout=30_000)
    accuracy = browser.metric_value(page, "Test accuracy")
    shown = browser.progress_text(page)

    page.reload()
    page.get_by_text("Test accuracy").first.wait_for(timeout=60_000)
    assert browser.metric_value(page, "Test accuracy") == accuracy
    # The same run, stopped at the same epoch (its "stopped in N s" may be one rerun newer).
    after = browser.progress_text(page)
    assert "stopped" in after and browser.epoch_shown(after) == browser.epoch_shown(shown)
    assert "512-512-512" in page.url and "batch=8" in page.url and "sid=" in page.url
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "run #1" in sidebar  # the stopped run's model still answers
    sliders = page.locator('[data-testid="stSliderThumbValue"]').all_inner_texts()
    assert sliders.count("512") == 3 and "8" in sliders and "100" in sliders
    assert browser.page_problems(page) == []
    page.context.close()


def test_a_learning_rate_change_is_acknowledged_at_once(chromium, app_url, browser, figures):
    page = _new_page(chromium)
    page.goto(app_url + SLOWEST)
    page.get_by_role("button", name="Train").first.click()
    _wait_running(page, browser, past_epoch=1)
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="Learning rate")
    thumb = slider.get_by_role("slider")
    page.evaluate(
        """() => { window.__lr = {}; document.addEventListener('keydown',
             () => { window.__lr.key = performance.now(); window.__lr.before =
               [...document.querySelectorAll('[data-testid="stProgress"]')]
               .map(e => e.innerText).join('|'); }, {capture: true, once: true});
           new MutationObserver((m, o) => {
             const bars = [...document.querySelectorAll('[data-testid="stProgress"]')]
               .map(e => e.innerText).join('|');
             if (window.__lr.key !== undefined && bars.includes('lr 0.002')) {
               window.__lr.seen = performance.now(); window.__lr.after = bars; o.disconnect(); }
           }).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
    )
    thumb.focus()
    thumb.press("ArrowLeft")  # 0.003 -> 0.002
    page.wait_for_function("() => window.__lr.seen !== undefined", timeout=30_000)
    timed = page.evaluate("() => window.__lr")
    seconds = (timed["seen"] - timed["key"]) / 1000
    figures["lr_change_seconds"] = round(seconds, 3)
    # Streamlit's frontend sends a slider's new value 200 ms after the key press (its
    # debounce), and a learning-rate change does not pause the run: on this network that
    # alone is over half an epoch. Measured 0.11-0.29 s and 0-1 epochs on a quiet machine.
    figures["lr_change_epochs"] = (
        browser.epoch_shown(timed["after"]) - browser.epoch_shown(timed["before"])
    )
    assert figures["lr_change_epochs"] <= 2
    assert seconds < 3.0  # 10x the bar: only a hang fails this
    # The engine took the new rate from the batch after the change reached it.
    page.get_by_role("button", name="Pause").first.click()
    page.get_by_text("· paused ·").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Stop").first.click()
    page.context.close()


#: The live view's bars (issue 19): frames a second of the curves, weight pictures a
#: second while the run goes, and the share of the run the main thread spends in long
#: tasks (over 50 ms).
LIVE_BARS = {"curves_per_second": 10.0, "weights_per_second": 2.0, "long_task_share": 0.30}
LIVE_RUNS = {"mnist_sample_256_50": "/?dataset=mnist-sample&hidden=256&epochs=50",
             "default_digits": "/"}


def test_the_live_view_draws_at_ten_frames_a_second_with_moving_weights(
    chromium, app_url, browser, figures
):
    """On 784-256-10 (about 7 s), from the click on Train until "Test accuracy": the
    live component's own redraw counts (``data-frames``) and a ``longtask``
    PerformanceObserver, in the browser. The default digits run (under a second) is
    recorded too, and must animate (several frames), but its rates are not held to the
    bars: half its frames fall in the first and last tenths of a second."""
    live = {}
    for name, link in LIVE_RUNS.items():
        page = _new_page(chromium)
        page.goto(app_url + link)
        page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # the preview settles before the click
        seen = browser.watch_live_run(page)
        assert seen["kind"] == "component"
        live[name] = {k: round(v, 3) if isinstance(v, float) else v for k, v in seen.items()}
        assert browser.page_problems(page) == []
        page.context.close()
    figures["live_view"] = live
    mnist = live["mnist_sample_256_50"]
    assert mnist["curves_per_second"] >= LIVE_BARS["curves_per_second"], mnist
    assert mnist["weights_per_second"] >= LIVE_BARS["weights_per_second"], mnist
    assert mnist["long_task_share"] <= LIVE_BARS["long_task_share"], mnist
    assert live["default_digits"]["curve_frames"] >= 3, live["default_digits"]


def test_the_run_summary_names_where_the_time_went(chromium, app_url, browser, figures):
    page = _new_page(chromium)
    page.goto(app_url)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Train").first.click()
    page.get_by_text("Test accuracy").first.wait_for(timeout=60_000)
    status = browser.progress_text(page)
    # "... finished in 0.8 s (0.7 s of it computing; the live view drew 7 frames
    # alongside (0.0 s of the server's time))"
    figures["default_run_status"] = status
    frames = int(status.split(" frames alongside")[0].rsplit(" ", 1)[-1])
    assert "of it computing" in status and frames >= 3, status
    page.context.close()


def test_on_a_phone_the_sidebar_starts_collapsed(chromium, app_url, browser, figures):
    page = chromium.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    ).new_page()
    page.goto(app_url)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_attribute("data-collapsed") == "true"
    page.get_by_role("button", name="Train").first.tap()
    page.get_by_text("Test accuracy").first.wait_for(timeout=60_000)
    browser.screenshot(page, Path(os.environ.get("TMPDIR", "/tmp")) / "train-phone.png")
    assert browser.page_problems(page) == []
    page.context.close()


def test_the_mnist_preset_moves_every_setting_on_screen(chromium, app_url, browser, figures):
    """A keyed widget shows the value the browser holds, not the page's config: the
    preset must set the widgets themselves (AppTest has no browser to hold the old one)."""
    from playground.common import vocab

    preset = vocab.MNIST_PRESET
    page = _new_page(chromium)
    page.goto(app_url)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    page.get_by_role("button", name=vocab.mnist_preset_label()).click()
    page.get_by_text("Press Train").first.wait_for(timeout=30_000)

    def shown(label: str) -> str:
        slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
        return slider.get_by_role("slider").get_attribute("aria-valuetext")

    # The notice and the sliders come with one page run; the sliders show it ~0.2 s later.
    deadline = time.time() + 10
    while shown("Epochs") != str(preset.epochs) and time.time() < deadline:
        time.sleep(0.1)

    assert shown("Epochs") == str(preset.epochs)
    assert shown("Batch size") == str(preset.batch_size)
    assert shown("Learning rate") == vocab.format_lr(preset.learning_rate)
    assert [shown(f"Units in hidden layer {i + 1}") for i in range(len(preset.hidden))] == [
        str(units) for units in preset.hidden]
    # Full MNIST is not on this machine: the page offers it, and Train waits for it.
    assert page.get_by_role("button", name="Download MNIST").count() == 1
    assert browser.page_problems(page) == []
    page.context.close()
