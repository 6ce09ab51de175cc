"""The Learn pages in headless Chromium: Backprop's Step changes the loss shown, and with a
batch of 4 and the quadratic cost it shows each sample's gradients and the output error's
three rows; the Optimizers page animates and races, Fix the tutorial retrains on a toggle.

Skipped, with the reason, where Debian's Chromium or Playwright is missing (conftest.py).
Takes a screenshot of each page: into docs/screenshots/ with ``UPDATE_SCREENSHOTS=1``,
else into a temporary folder. Click timings are measured in the browser and printed
(run with ``-s``), bounded only loosely to catch hangs; ``scripts/measure_learn.py``
measures them properly (bench/results/learn_clicks.json).
"""

import statistics
import time

import pytest

from playground.learn import backprop as bp
from tests.conftest import load_script

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lb(browser):
    """``scripts/learn_browser.py``: the Learn pages' click timers."""
    return load_script("learn_browser")


@pytest.fixture(scope="module")
def page(browser):
    from playwright.sync_api import sync_playwright

    with browser.serve_app() as url, sync_playwright() as p:
        chromium = browser.launch(p)
        tab, _ = browser.open_app(chromium, url)
        yield tab
        chromium.close()


def test_backprop_step_changes_the_loss_shown(page, browser, lb, shots):
    browser.goto_page(page, "Backprop")
    step = page.get_by_role("button", name="Step", exact=True)
    step.wait_for()
    page.get_by_text("Steps taken").wait_for()
    lb.settle(page)
    assert lb.metric(page, "Loss after the update") == "—"
    timings = []
    losses = []
    for _ in range(3):
        lb.settle(page)
        before = lb.metric(page, "Steps taken")
        timings += lb.click_and_time(page, step, lb.metric_changed_js("Steps taken", before))
        lb.settle(page)
        losses.append((lb.metric(page, "Loss before the update"),
                       lb.metric(page, "Loss after the update")))
    for before, after in losses:
        assert before != after and after != "—"
        assert float(after) < float(before)  # a step on one sample lowers its loss
    # Each step starts from the loss the previous one ended with.
    assert [b for b, _ in losses[1:]] == [a for _, a in losses[:-1]]
    assert lb.metric(page, "Steps taken") == "3"
    assert page.get_by_text("relative difference").count() == 4
    assert page.get_by_text("the engine's δ₂ =").count() == 1
    assert browser.page_problems(page) == []
    page.mouse.move(5, 5)  # no tooltip in the picture
    browser.screenshot(page, shots / "learn-backprop.png")
    print(f"\nBackprop: Step answered in {', '.join(f'{t:.2f}' for t in timings)} s")
    assert max(timings) < 10  # measured 0.3-0.5 s (scripts/measure_learn.py); catches hangs


def test_backprop_batch_of_four_and_the_quadratic_cost(page, browser, lb, shots):
    browser.goto_page(page, "Backprop")
    page.get_by_role("button", name="Step", exact=True).wait_for()
    lb.settle(page)
    batch = page.locator('[data-testid="stRadio"]').filter(has_text="Samples in the batch")
    batch.get_by_text("4", exact=True).click()
    lb.settle(page)
    step = page.get_by_role("button", name="Step", exact=True)
    steps = lb.metric(page, "Steps taken")  # the batch keeps the weights and their count
    batch_step = lb.click_and_time(page, step, lb.metric_changed_js("Steps taken", steps))
    lb.settle(page)
    body = page.inner_text("body")
    # Each of the 4 samples' gradients, then their mean beside the engine's.
    assert "i = 3:" in body and "i = 4:" not in body
    assert body.count("the mean of the samples' differs from it by") == 4
    assert "one-hot of labels 0, 1, 2, 0" in body
    # Cross-entropy: the slope cancels (the ratio row says 1, backed by its numbers).
    assert "cancels it, so δ₂ = p − y" in body

    lb.select_option(page, "Output layer and loss",
                     "sigmoid + quadratic cost (tutorial §5)",
                     lb.metric_changed_js("Steps taken", str(int(steps) + 1)))
    lb.settle(page)
    assert lb.metric(page, "Steps taken") == "0"  # a new network
    quadratic_step = lb.click_and_time(page, step, lb.metric_changed_js("Steps taken", "0"))
    lb.settle(page)
    body = page.inner_text("body")
    # The three delta rows: dC/dp, the slope, their product beside the engine's delta2.
    # KaTeX keeps each formula's TeX in an annotation.
    formulas = page.locator('annotation[encoding="application/x-tex"]').all_text_contents()
    for tex in bp.FACTOR_TEX["quadratic"]:
        assert any(tex in f for f in formulas), tex
    assert "the tutorial's ∇ₐC" in body and "the engine's δ₂ =" in body
    assert "shrinks δ₂ below p − y" in body
    assert "cancels it" not in body
    assert "i = 3:" in body and lb.metric(page, "Steps taken") == "1"
    assert browser.page_problems(page) == []
    page.mouse.move(5, 5)
    browser.screenshot(page, shots / "learn-backprop-batch-quadratic.png")
    print(f"\nBackprop, batch of 4: Step answered in {batch_step[0]:.2f} s (cross-entropy), "
          f"{quadratic_step[0]:.2f} s (quadratic cost)")
    assert max(batch_step + quadratic_step) < 10  # catches hangs only


def test_optimizers_race(page, browser, lb, shots):
    browser.goto_page(page, "Optimizers")
    page.get_by_text("A race on 2-D loss surfaces").wait_for()
    lb.settle(page)
    seconds = lb.select_option(page, "Surface", "Two minima", lb.text_shown_js("behind a hump"),
                               lb.tables_changed_js(page))
    lb.settle(page)
    # The table under the surface answers too (issue: 0.65-1.4 s; measured 0.36-0.63 s
    # once the 2-D race reran alone and long paths lost their per-step markers).
    tables = [seconds[1]]
    for option, text in (("Saddle", "starts next to a saddle point"),
                         ("Long narrow valley", "ill-conditioned quadratic")):
        tables.append(lb.select_option(page, "Surface", option, lb.text_shown_js(text),
                                       lb.tables_changed_js(page))[1])
        lb.settle(page)
    # Plotly's own animation controls are in the chart.
    play = page.locator(".js-plotly-plot .updatemenu-button").filter(has_text="Play")
    assert play.first.is_visible()
    race = lb.click_and_time(page, page.get_by_role("button", name="Race", exact=True),
                             lb.text_shown_js("Racing:"), lb.text_shown_js("Race finished."),
                             timeout=120)
    lb.settle(page)
    # A longer race, watched: its curves reach the browser while it runs (the live view
    # counts its frames), not only when it ends. Before its worker thread: 1 frame of a
    # 60-epoch race reached the browser; after: 6 or more.
    page.locator('[data-testid="stNumberInput"]').filter(has_text="Epochs").locator(
        "input").fill("60")
    page.keyboard.press("Enter")
    lb.settle(page)
    page.get_by_role("button", name="Race", exact=True).click()
    page.wait_for_function(lb.text_shown_js("Racing:"), timeout=30_000)
    frames, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        frames.append(page.evaluate(lb.LIVE_FRAMES_JS))
        if "Race finished." in page.evaluate("() => document.body.innerText"):
            break
        page.wait_for_timeout(40)
    live_frames = max(frames)
    assert live_frames >= 2, frames
    lb.settle(page)
    assert browser.page_problems(page) == []
    page.mouse.move(5, 5)
    browser.screenshot(page, shots / "learn-optimizers.png")
    print(f"\nOptimizers: surface answered in {seconds[0]:.2f} s, its table in "
          f"{[round(t, 2) for t in tables]} s; race progress after "
          f"{race[0]:.2f} s, finished after {race[1]:.2f} s; a 60-epoch race drew "
          f"{live_frames} live frames")
    assert seconds[0] < 10 and race[0] < 10 and race[1] < 120  # catches hangs only
    assert statistics.median(tables) < 5.0  # 10x the 0.5 s target: only a hang fails


def test_fix_the_tutorial_toggles(page, browser, lb, shots):
    browser.goto_page(page, "Fix the tutorial")
    page.get_by_text("Which fix matters most").wait_for(timeout=60_000)
    message = "ValueError: operands could not be broadcast together with shapes (1347,10) (1347,)"
    step_zero = page.locator("code").filter(has_text=message)
    step_zero.first.wait_for(timeout=30_000)  # the page may still be drawing on a busy machine
    assert step_zero.count() == 1
    lb.settle(page)
    done = lb.text_shown_js("This run: One-hot labels + Mini-batches (32), lr 0.01, seed 0.")
    first, trained = lb.click_and_time(
        page, lb.toggle(page, "Mini-batches (32)"),
        f"() => document.body.innerText.includes('Training:') || ({done})()", done)
    lb.settle(page)
    accuracy = lb.metric(page, "Test accuracy")
    assert float(accuracy.rstrip("%")) > 94  # measured 97.8 %
    assert browser.page_problems(page) == []
    page.mouse.move(5, 5)
    browser.screenshot(page, shots / "learn-fix-tutorial.png")
    print(f"\nFix the tutorial: toggle answered in {first:.2f} s, trained and shown in "
          f"{trained:.2f} s")
    assert first < 10 and trained < 60  # catches hangs only


def _slider_to(page, label: str, key: str, shown: str) -> None:
    """Press ``key`` on the slider ``label`` until its thumb shows ``shown`` (a press
    during a redraw can be lost)."""
    box = page.locator('[data-testid="stSlider"]').filter(has_text=label)
    for _ in range(12):
        if box.locator('[data-testid="stSliderThumbValue"]').inner_text().strip() == shown:
            return
        box.get_by_role("slider").focus()
        box.get_by_role("slider").press(key)
        page.wait_for_timeout(700)
    raise AssertionError(f"the {label} slider never showed {shown}")


def test_fix_the_tutorial_lr_0001_alone_learns(page, browser, lb):
    """One-hot labels alone (the default) with lr 0.001: over 80% (measured 90.2%)."""
    browser.goto_page(page, "Fix the tutorial")
    page.get_by_text("Which fix matters most").wait_for(timeout=60_000)
    lb.settle(page)
    if page.locator('[data-testid="stCheckbox"]').filter(has_text="Mini-batches").locator(
            "input").is_checked():  # the module's earlier test switched it on
        lb.toggle(page, "Mini-batches (32)").click()
        lb.settle(page)
    _slider_to(page, "Learning rate", "ArrowLeft", "0.001")
    page.wait_for_function(lb.text_shown_js("This run: One-hot labels, lr 0.001, seed 0."),
                           timeout=60_000)
    lb.settle(page)
    assert float(lb.metric(page, "Test accuracy").rstrip("%")) > 80
    assert page.get_by_text("0.001 x 1,347 = 1.347").count() >= 1
    assert browser.page_problems(page) == []


def _controls_clear_of_ticks(tab) -> None:
    ticks = [b for b in _boxes(tab, ".js-plotly-plot g.xtick text") if b["width"]]
    titles = [b for b in _boxes(tab, ".js-plotly-plot .g-xtitle") if b["width"]]
    controls = (_boxes(tab, ".js-plotly-plot .updatemenu-button")
                + _boxes(tab, ".js-plotly-plot .slider-container"))
    assert ticks and controls
    assert not [(c, t) for c in controls for t in ticks + titles if _overlap(c, t)]


def _boxes(page, selector: str) -> list[dict]:
    return page.evaluate(
        "(sel) => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect())"
        ".map(r => ({x: r.x, y: r.y, width: r.width, height: r.height}))", selector)


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 1100},
                                      {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_optimizers_layout(page, viewport):
    """Play/Pause and the step slider stay clear of the x axis's ticks; the race table is
    not clipped; the valley keeps equal units on both axes (long and narrow on a phone)."""
    from urllib.parse import urlsplit

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    context = page.context.browser.new_context(viewport=viewport)
    try:
        tab = context.new_page()
        tab.goto(origin + "/optimizers")
        tab.locator(".js-plotly-plot .updatemenu-button").first.wait_for(timeout=90_000)
        tab.wait_for_timeout(800)
        _controls_clear_of_ticks(tab)
        # At 1400 px every column of the race table is in view (nothing in it scrolls
        # sideways); on a phone the table scrolls sideways, as a wide table must.
        clipped = tab.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stTable"], [data-testid="stTable"] *')]
                 .filter(e => getComputedStyle(e).overflowX !== 'visible'
                              && e.scrollWidth > e.clientWidth + 1).length""")
        assert tab.locator('[data-testid="stTable"] td').count() >= 5 * 5  # it is there
        assert clipped == 0 or viewport["width"] < 800
        # Each number stays on one line ("5.03e-" over "06" on a phone, with a hyphen).
        lines = tab.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stTable"] td')]
                 .filter(td => /e[\u2212-]\\d/.test(td.innerText))
                 .map(td => {  // the lines its text fills: its text boxes' tops
                     const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
                     const tops = new Set();
                     for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                         const r = document.createRange(); r.selectNodeContents(n);
                         for (const b of r.getClientRects()) tops.add(Math.round(b.top));
                     }
                     return tops.size; })""")
        assert lines and all(n == 1 for n in lines), lines
        assert tab.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        # Equal units: the valley's plot area (x -10..10, y -4..4) is 20/8 as wide as tall.
        plot = _boxes(tab, ".js-plotly-plot .draglayer .nsewdrag")[0]
        assert plot["width"] / plot["height"] == pytest.approx(20 / 8, rel=0.03)
        # A square surface fills the chart's height: its ticks sit lowest.
        tab.get_by_role("combobox", name="Surface").click()
        tab.get_by_role("option", name="Rosenbrock").click()
        tab.get_by_text("banana valley").first.wait_for(timeout=60_000)
        tab.wait_for_timeout(1500)
        _controls_clear_of_ticks(tab)
    finally:
        context.close()
