"""Text that fits, in headless Chromium at a desktop (1400 px) and a phone (390 px) width:
select boxes show their whole value, whichever option is chosen, and the Boundaries
diagram's layer titles never run into each other, however deep the network.

A select box shows its value on one line in an ``<input>``: the value is clipped when
the input's ``scrollWidth`` exceeds its ``clientWidth``. Layer titles are DOM text over
the diagram's canvas (``playground/boundaries/canvas.js``), so their boxes are measured.
"""

from __future__ import annotations

import pytest

from tests.conftest import load_browser_helpers

pytestmark = pytest.mark.browser

SIZES = ((1400, 1100), (390, 844))
# Five hidden layers of 8 units: the deepest networks' titles used to overlap.
DEEP_LINK = "/boundaries?data=circle&hidden=8-8-8-8-8"


def _open(chromium, url: str, size: tuple[int, int]):
    page = chromium.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.goto(url)
    page.get_by_role("heading", level=1).first.wait_for(timeout=90_000)
    return page


def _select(page, label: str):
    return page.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=True)).first


def _open_list(page, box) -> None:
    """Open the select box's list. A click that lands while a rerun redraws the box
    opens nothing (the box it hit is replaced): then click again, up to 3 times."""
    for attempt in range(3):
        box.locator("input").evaluate("e => e.scrollIntoView({block: 'center'})")
        box.locator("input").click()
        try:
            page.get_by_role("option").first.wait_for(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - the click was lost to a redraw: click again
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def _options(page, label: str) -> list[str]:
    box = _select(page, label)
    _open_list(page, box)
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def _choose(page, label: str, option: str) -> dict:
    """Pick ``option`` in the select box ``label``; its input's widths once it shows it."""
    box = _select(page, label)
    _open_list(page, box)
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_function(
        "([label, option]) => [...document.querySelectorAll('[data-testid=\"stSelectbox\"] input')]"
        ".some(i => i.getAttribute('aria-label') === label && i.value === option)",
        arg=[label, option], timeout=30_000)
    page.wait_for_timeout(300)  # the rerun it starts may redraw the column
    return box.locator("input").evaluate(
        "i => ({value: i.value, scroll: i.scrollWidth, client: i.clientWidth})")


def _clipped(page, labels: list[str]) -> list[tuple[str, dict]]:
    clipped = []
    for label in labels:
        for option in _options(page, label):
            widths = _choose(page, label, option)
            if widths["scroll"] > widths["client"]:
                clipped.append((label, widths))
    return clipped


@pytest.mark.parametrize("size", SIZES, ids=["1400px", "390px"])
def test_train_select_boxes_show_every_option_whole(chromium, app_url, size):
    page = _open(chromium, app_url + "/", size)
    assert _clipped(page, ["Activation", "Optimizer"]) == []
    page.context.close()


WIDEST = """([label, texts]) => {
  // The option whose text is widest in this select box's own font.
  const input = [...document.querySelectorAll('[data-testid="stSelectbox"] input')]
      .find(i => i.getAttribute('aria-label') === label);
  const style = getComputedStyle(input);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  return texts.reduce((a, b) => ctx.measureText(b).width > ctx.measureText(a).width ? b : a);
}"""
# The other pages with select boxes (Draw and Fix the tutorial have none).
OTHER_PAGES = ("/inspect", "/sweep", "/boundaries", "/backprop", "/optimizers")


@pytest.mark.parametrize("size", SIZES, ids=["1400px", "390px"])
@pytest.mark.parametrize("path", OTHER_PAGES)
def test_every_select_box_shows_its_widest_option_whole(chromium, app_url, path, size):
    page = _open(chromium, app_url + path, size)
    page.locator('[data-testid="stSelectbox"]').first.wait_for(timeout=60_000)
    labels = page.locator('[data-testid="stSelectbox"] input').evaluate_all(
        "inputs => inputs.map(i => i.getAttribute('aria-label'))")
    assert labels
    clipped = []
    for label in labels:
        widest = page.evaluate(WIDEST, [label, _options(page, label)])
        widths = _choose(page, label, widest)
        if widths["scroll"] > widths["client"]:
            clipped.append((path, label, widths))
    assert clipped == []
    page.context.close()


TITLES = """() => [...document.querySelectorAll('*')].flatMap(e => e.shadowRoot
    ? [...e.shadowRoot.querySelectorAll('.bd-net-title')] : [])
  .concat([...document.querySelectorAll('.bd-net-title')])
  .map(t => { const r = t.getBoundingClientRect();
              return {text: t.innerText, left: r.left, right: r.right, top: r.top,
                      bottom: r.bottom}; })"""

NET = """() => { DEEP_FIND
  const root = deepFind('.bd-root'); if (!root || !root.__bd || !root.__bd.network.hit) return null;
  const box = root.querySelector('.bd-net').getBoundingClientRect();
  return {panel: root.getBoundingClientRect().width, left: box.left, right: box.right,
          canvas: root.querySelector('.bd-net canvas').getBoundingClientRect().width,
          tile: root.__bd.network.hit.tile}; }""".replace("DEEP_FIND", load_browser_helpers().DEEP_FIND)


@pytest.mark.parametrize("size", SIZES, ids=["1400px", "390px"])
def test_boundaries_layer_titles_do_not_overlap_with_five_hidden_layers(chromium, app_url, size):
    page = _open(chromium, app_url + DEEP_LINK, size)
    page.get_by_text("5 hidden layers").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => ({NET})() !== null", timeout=60_000)
    net = page.evaluate(NET)
    titles = page.evaluate(TITLES)
    assert len(titles) == 7, titles  # input, five hidden layers, output
    assert titles[0]["text"] == "Input" and titles[-1]["text"] == "Output"
    for i, title in enumerate(titles[1:-1], start=1):
        # "Hidden 1 (8)", or on a narrow screen the same over two lines, or "H1" / "(8)".
        assert f"{i}" in title["text"] and "(8)" in title["text"], title
    for a, b in zip(titles, titles[1:], strict=False):
        assert a["right"] <= b["left"], (a, b)  # side by side, not touching
    for title in titles:  # and inside the diagram's box, not cut off at its sides
        assert net["left"] - 0.5 <= title["left"] and title["right"] <= net["right"] + 0.5, title
    if size[0] >= 1000:
        # On a desktop a deep diagram takes the panel's whole width, and its tiles grow
        # (beside the boundary it had 385 px and the 20 px smallest tiles).
        assert net["canvas"] >= 0.95 * net["panel"], net
        assert net["tile"] >= 30, net
    page.context.close()


def test_boundaries_default_network_keeps_its_place_beside_the_boundary(chromium, app_url):
    # Two hidden layers fit beside the boundary: the diagram does not take the full width.
    page = _open(chromium, app_url + "/boundaries?data=circle&hidden=4-2", SIZES[0])
    page.get_by_text("2 hidden layers").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => ({NET})() !== null", timeout=60_000)
    net = page.evaluate(NET)
    assert net["canvas"] < 0.7 * net["panel"], net
    titles = page.evaluate(TITLES)
    assert [t["text"] for t in titles] == ["Input", "Hidden 1 (4)", "Hidden 2 (2)", "Output"]
    page.context.close()
