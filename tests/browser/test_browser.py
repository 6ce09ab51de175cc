"""The real app in headless Chromium: draw with the mouse (Draw's default model, trained on
arrival), read, clear; then train and inspect.

Skipped, with the reason, where Debian's Chromium (/usr/bin/chromium) or Playwright is
missing; a failure instead with ``MLP_PLAYGROUND_REQUIRE_BROWSER=1``, as in CI (conftest.py).
Takes a screenshot of each page: into docs/screenshots/ with ``UPDATE_SCREENSHOTS=1``, else into a temporary folder (so a test run leaves the tracked
PNGs alone). Timings are printed (run with ``-s``), not asserted;
``scripts/measure_browser.py`` measures them properly.
"""

import time

import numpy as np
import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(app_url, browser):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = browser.launch(p)
        context = chromium.new_context(viewport={"width": 1400, "height": 1300})
        yield context.new_page()
        chromium.close()


def test_draw_reads_mouse_drawn_digits_with_the_default_model_then_train_and_inspect(
    page, app_url, shots, browser
):
    t0 = time.perf_counter()
    page.goto(app_url)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    first_render = time.perf_counter() - t0
    browser.screenshot(page, shots / "train-start.png")

    # Draw first: no model yet, so Draw trains its default (28x28, on the bundled MNIST
    # sample: no download) on arrival.
    t0 = time.perf_counter()
    browser.goto_page(page, "Draw")
    page.get_by_text("Answering").first.wait_for(timeout=60_000)
    page.locator(browser.CANVAS).wait_for(timeout=30_000)
    draw_ready = time.perf_counter() - t0
    assert "mnist-sample" in page.get_by_text("Answering").first.inner_text()
    assert browser.metric_value(page, "Prediction") == "—"
    assert browser.blocked_canvas_points(page) == []  # every part of the canvas takes the mouse

    rng = np.random.default_rng(7)
    latencies, misread = [], []
    digits = [3, 0, 7, 1, 2, 4, 5, 6, 8, 9] * 2  # every class twice; 3 first for draw.png
    for i, digit in enumerate(digits):
        strokes = browser.digit_strokes(digit, rng)
        up = browser.draw(page, strokes)
        latencies.append(browser.wait_for_strokes(page, len(strokes)) - up)
        value = browser.metric_value(page, "Prediction")
        assert value in [str(d) for d in range(10)]
        if value != str(digit):
            misread.append(f"{digit}->{value}")
        if i == 0:
            browser.screenshot(page, shots / "draw.png")
        browser.clear(page)
        assert browser.metric_value(page, "Prediction") == "—"
    right = len(digits) - len(misread)
    print(f"\nfirst render {first_render:.2f} s, Draw ready (default model trained on arrival) "
          f"{draw_ready:.2f} s, mouse-up -> prediction median {np.median(latencies):.2f} s "
          f"(max {max(latencies):.2f} s), read {right}/{len(digits)} right; misread: {misread}")
    # scripts/measure_browser.py: the default model read 49 of 50 such digits right (98%;
    # one 2 read as 8); this test's 20: 20/20. The bar is 95%: one miss in 20.
    assert right >= 19, f"read {right}/{len(digits)} mouse-drawn digits right: {misread}"
    assert browser.page_problems(page) == []

    t0 = time.perf_counter()
    browser.goto_page(page, "Train")
    page.get_by_role("button", name="Train").first.click()
    page.get_by_text("Test accuracy").first.wait_for(timeout=60_000)
    train_seconds = time.perf_counter() - t0
    accuracy = browser.metric_value(page, "Test accuracy")
    assert accuracy.endswith("%") and float(accuracy[:-1]) > 90
    browser.screenshot(page, shots / "train.png")

    browser.goto_page(page, "Inspect")
    page.get_by_text("Misclassified test images").wait_for(timeout=30_000)
    browser.screenshot(page, shots / "inspect.png")
    print(f"training (default run, animated) {train_seconds:.2f} s")
