"""**Copy link** on Train and Boundaries copies the page's link in one click and says
"Copied" (playground/shell/copy_link.py); without the clipboard it shows the link,
selected. In headless Chromium: the context is granted clipboard access and the
clipboard is read back; a second context is refused it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

# Settings that differ from the defaults, so the link must carry them.
PAGES = (
    ("/?hidden=64-32&lr=0.01&epochs=7", "/", {"hidden": ["64-32"], "lr": ["0.01"], "epochs": ["7"]}),
    ("/boundaries?data=xor&hidden=8-8&lr=0.01", "/boundaries",
     {"data": ["xor"], "hidden": ["8-8"], "lr": ["0.01"]}),
)


def _page(chromium, app_url: str, path: str, clipboard: bool):
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    if clipboard:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    page = context.new_page()
    page.goto(app_url + path)
    page.get_by_role("heading", level=1).first.wait_for(timeout=90_000)
    return page


@pytest.mark.parametrize(("link", "page_path", "wanted"), PAGES, ids=["train", "boundaries"])
def test_copy_link_copies_in_one_click_and_says_copied(chromium, app_url, link, page_path,
                                                       wanted):
    page = _page(chromium, app_url, link, clipboard=True)
    button = page.get_by_role("button", name="Copy link")
    button.wait_for(timeout=60_000)
    assert button.count() == 1
    page.evaluate("() => navigator.clipboard.writeText('nothing yet')")
    button.click()
    page.get_by_role("button", name="Copied").wait_for(timeout=5_000)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    parts = urlsplit(copied)
    assert f"{parts.scheme}://{parts.netloc}" == app_url
    assert parts.path == page_path
    query = parse_qs(parts.query)
    assert "sid" not in query  # the tab's token stays out of a shared link
    for name, value in wanted.items():
        assert query.get(name) == value, (name, copied)
    # No popover opened: nothing but the button changed, and it reads "Copy link" again.
    assert page.get_by_role("dialog").count() == 0
    page.get_by_role("button", name="Copy link").wait_for(timeout=5_000)
    page.context.close()


def test_without_the_clipboard_the_link_is_shown_selected(chromium, app_url):
    page = _page(chromium, app_url, PAGES[0][0], clipboard=False)
    # A page that may not write the clipboard (permission refused, or no secure context).
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: {"
                         "writeText: () => Promise.reject(new DOMException('denied', "
                         "'NotAllowedError'))}})")
    page.reload()
    page.get_by_role("button", name="Copy link").wait_for(timeout=60_000)
    page.get_by_role("button", name="Copy link").click()
    field = page.get_by_role("textbox", name="The link")
    field.wait_for(timeout=5_000)
    value = field.input_value()
    assert urlsplit(value).path == "/" and "hidden=64-32" in value
    selected = field.evaluate("f => [f.selectionStart, f.selectionEnd, f.value.length]")
    assert selected == [0, len(value), len(value)]
    assert page.get_by_role("button", name="Copied").count() == 0
    page.context.close()
