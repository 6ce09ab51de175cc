"""Layout defects a newcomer met, checked in the real browser: nothing covers or clips text.

* Draw: the canvas's toolbar (it rises above the canvas on hover) must not cover the
  caption under the Prediction ("56% sure · not a digit? · 1 stroke"), on a desktop and
  on a phone; on a phone every pill of "Wrong? It's a …" is whole (the "9" was cut off).
* Inspect on a phone: the misclassified images' titles do not overlap ("ue 2 -> 1") and
  the images follow their controls without a large gap.

"Covers" is two bounding boxes intersecting; "clipped" is ``scrollWidth > clientWidth``
or a box reaching out of its container. Skipped, with the reason, without Debian's
Chromium or Playwright (conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}


def overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def new_page(chromium, viewport):
    phone = viewport == PHONE
    context = chromium.new_context(viewport=viewport, has_touch=phone, is_mobile=phone)
    return context, context.new_page()


def open_draw(page, app_url, browser):
    page.goto(f"{app_url}/draw")
    page.get_by_text("Answering").first.wait_for(timeout=90_000)
    page.locator(browser.CANVAS).first.wait_for(timeout=60_000)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_canvas_toolbar_leaves_the_prediction_and_its_caption_visible(
    chromium, app_url, browser, viewport
):
    from nn_core.drawings.strokes import non_digit_paths

    context, page = new_page(chromium, viewport)
    open_draw(page, app_url, browser)
    # A line: "not a digit?", so the Prediction carries "only a guess" and the caption
    # is at its longest and lowest.
    strokes = non_digit_paths("line", np.random.default_rng(1), stroke_width=browser.PEN_WIDTH)
    (browser.touch_draw if viewport == PHONE else browser.draw)(page, strokes)
    browser.wait_for_strokes(page, len(strokes))
    canvas = browser.current_canvas(page).bounding_box()
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    toolbar = page.locator(".dc-toolbar-card").first  # inside the component's shadow root
    page.wait_for_function(
        """() => { DEEP_FIND
                   const t = deepFind('.dc-toolbar');
                   return t && getComputedStyle(t).opacity === '1'; }""".replace(
            "DEEP_FIND", browser.DEEP_FIND),
        timeout=5_000,
    )
    page.wait_for_timeout(300)  # the toolbar's rise takes 0.1 s after a 0.1 s delay
    bar = toolbar.bounding_box()
    caption = page.locator('[data-testid="stCaptionContainer"] p').filter(has_text="sure").first
    text = caption.inner_text()
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first
    print(f"\n{viewport['width']} px: toolbar y={bar['y']:.0f}-{bar['y'] + bar['height']:.0f}, "
          f"caption {text!r} y={caption.bounding_box()['y']:.0f}-"
          f"{caption.bounding_box()['y'] + caption.bounding_box()['height']:.0f}, "
          f"canvas from y={canvas['y']:.0f}")
    assert "not a digit?" in text and "1 stroke" in text
    assert bar["height"] > 0 and bar["y"] < canvas["y"]  # risen above the canvas
    assert not overlap(bar, caption.bounding_box()), (bar, caption.bounding_box())
    assert not overlap(bar, metric.bounding_box())
    assert caption.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert canvas["y"] + canvas["height"] <= PHONE["height"] or viewport != PHONE
    assert browser.page_problems(page) == []
    context.close()


def test_on_a_phone_every_digit_of_wrong_its_a_is_whole(chromium, app_url, browser):
    context, page = new_page(chromium, PHONE)
    open_draw(page, app_url, browser)
    strokes = browser.digit_strokes(7, np.random.default_rng(3))
    browser.touch_draw(page, strokes)
    browser.wait_for_strokes(page, len(strokes))
    group = page.get_by_role("radiogroup", name="Wrong? It's a …")
    group.scroll_into_view_if_needed()
    pills = group.get_by_role("radio").all()
    assert [p.inner_text().strip() for p in pills] == [str(d) for d in range(10)]
    widget = page.locator('[class*="st-key-teach-"]').first.bounding_box()
    boxes = [p.bounding_box() for p in pills]
    for digit, box in enumerate(boxes):
        assert box["x"] >= widget["x"], (digit, box, widget)
        assert box["x"] + box["width"] <= widget["x"] + widget["width"], (digit, box, widget)
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # Nothing in the group scrolls sideways (a scrolled-away pill is a clipped one).
    clipped = group.evaluate(
        """g => { const out = []; for (let e = g; e && !(e.dataset && e.dataset.testid ===
                  'stElementContainer'); e = e.parentElement)
                    if (e.scrollWidth > e.clientWidth) out.push(e.className);
                  return out; }"""
    )
    assert clipped == []
    browser.correct_as(page, 9)  # and the last one works
    context.close()


def test_inspect_on_a_phone_titles_do_not_overlap_and_images_follow_their_controls(
    chromium, app_url, browser
):
    context, page = new_page(chromium, PHONE)
    page.goto(f"{app_url}/inspect")
    page.get_by_text("Misclassified test images").first.wait_for(timeout=120_000)
    gallery = page.locator(".st-key-inspect-gallery")
    gallery.locator("figcaption").first.wait_for(timeout=30_000)
    gallery.scroll_into_view_if_needed()
    captions = gallery.locator("figcaption").all()
    images = gallery.locator("img").all()
    assert len(captions) == len(images) == 24  # the default: 24 mistakes
    caption_boxes = [c.bounding_box() for c in captions]
    image_boxes = [i.bounding_box() for i in images]
    for box in caption_boxes + image_boxes:
        assert box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    boxes = caption_boxes + image_boxes
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(c.evaluate("e => e.scrollWidth <= e.clientWidth") for c in captions)
    assert all(c.inner_text().startswith("true ") for c in captions)  # not cut to "ue 2"
    columns = len({round(b["x"]) for b in image_boxes})
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="How many to show").first
    gap = image_boxes[0]["y"] - (slider.bounding_box()["y"] + slider.bounding_box()["height"])
    print(f"\nphone gallery: {columns} columns, images {image_boxes[0]['width']:.0f} px, "
          f"{gap:.0f} px below the slider")
    assert 2 <= columns <= 4
    assert image_boxes[0]["width"] >= 64  # big enough to read
    assert 0 <= gap < 60  # measured 16 px (the Plotly grid left ~100 px)
    assert browser.page_problems(page) == []
    context.close()
