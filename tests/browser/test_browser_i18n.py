"""The app in Chinese and in English, in headless Chromium: every page with ``lang=zh``
shows no English sentence, no error, and Chinese glyphs that really render; with
``lang=en`` every page is English as before; switching the language mid-run on Train
loses nothing.

"No English sentence": no run of four or more English words in the visible text,
outside code, maths (KaTeX) and the few phrases of Streamlit's own widgets, which the
app cannot translate (:data:`STREAMLIT_OWN`). "Glyphs render": two different Chinese
characters, drawn on a canvas in the font of the page's title, give two different
pictures, and neither is the box a missing glyph gets (a character no font has), and
both are full-width; without a Chinese font (``fonts-wqy-microhei`` missing) every one
of them is the same box and the test fails.
"""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser

#: (address, title in English, title in Chinese, text that says the page has settled).
PAGES = (
    ("/", "Train", "训练", None),
    ("/draw", "Draw", "画数字", "作答模型"),
    ("/inspect", "Inspect", "检查", "正在检查"),
    ("/boundaries", "Boundaries", "决策边界", None),
    ("/sweep", "Sweep", "扫描", None),
    ("/backprop", "Backprop", "反向传播", None),
    ("/optimizers", "Optimizers", "优化器", None),
    ("/fix_tutorial", "Fix the tutorial", "修正教程", "这次运行"),
)
#: Streamlit's own words on its widgets (the file uploader, the number input): the app
#: has no say in them (Streamlit has no translation layer). Reviewed: these only.
STREAMLIT_OWN = ("Skip to main content", "Drag and drop file here", "Drag and drop files here",
                 "Limit 200MB per file")
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?: +[A-Za-z][A-Za-z'’-]*){3,}")
CJK = re.compile(r"[\u4e00-\u9fff]")

#: Every visible text node (shadow roots too, for the custom components), without code,
#: maths and hidden elements.
_VISIBLE_TEXT = """() => {
  const skip = 'pre, code, script, style, .katex, .katex-display, [data-testid^="stCode"]';
  const out = [];
  const walk = (root) => {
    const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = it.nextNode(); node; node = it.nextNode()) {
      const el = node.parentElement;
      const text = node.textContent.trim();
      if (!el || !text || el.closest(skip)) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      if (!el.getClientRects().length) continue;
      out.push(text);
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document.body);
  return out;
}"""

#: Draw characters in the font of the page's title; compare their pictures and widths.
_GLYPHS = """() => {
  const h1 = document.querySelector('h1');
  const style = getComputedStyle(h1);
  const size = 40;
  const font = `${size}px ${style.fontFamily}`;
  const picture = (ch) => {
    const c = document.createElement('canvas');
    c.width = c.height = 64;
    const ctx = c.getContext('2d');
    ctx.font = font;
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#000';
    ctx.fillText(ch, 4, 4);
    const data = ctx.getImageData(0, 0, 64, 64).data;
    let ink = 0, sum = 0;
    for (let i = 3; i < data.length; i += 4) { ink += data[i] > 0; sum = (sum * 31 + data[i]) % 1000003; }
    return { ink, sum, width: ctx.measureText(ch).width };
  };
  return { family: style.fontFamily, size, a: picture('训'), b: picture('练'),
           missing: picture('\\u{10FFFD}') };
}"""


def open_page(page, app_url: str, path: str, lang: str, title: str, settled: str | None) -> None:
    sep = "&" if "?" in path else "?"
    page.goto(f"{app_url}{path}{sep}lang={lang}")
    page.get_by_role("heading", name=title).first.wait_for(timeout=90_000)
    if settled is not None:
        page.get_by_text(settled).first.wait_for(timeout=90_000)
    # Let the page finish its run (Streamlit's status widget goes away when it is idle).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.wait_for_timeout(700)
        if not page.locator('[data-testid="stStatusWidget"]').is_visible():
            break
    page.wait_for_timeout(800)


def english_runs(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        for allowed in STREAMLIT_OWN:
            text = text.replace(allowed, "")
        found += ENGLISH_RUN.findall(text)
    return found


@pytest.fixture(scope="module")
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1300}, locale="en-US")
    yield context.new_page()
    context.close()


def test_the_english_sentence_check_catches_english_and_passes_chinese():
    assert english_runs(["Press Train to start"]) == ["Press Train to start"]
    assert english_runs(["按 **训练** 开始：2 个隐藏层，ReLU，Adam", "SGD + momentum"]) == []
    assert english_runs(["Drag and drop file here"]) == []


@pytest.mark.parametrize(("path", "title_en", "title_zh", "settled"), PAGES)
def test_every_page_in_chinese_has_no_english_sentence_no_error_and_real_glyphs(
    page, app_url, browser, path, title_en, title_zh, settled
):
    open_page(page, app_url, path, "zh", title_zh, settled)
    assert browser.page_problems(page) == []
    texts = page.evaluate(_VISIBLE_TEXT)
    found = english_runs(texts)
    assert found == [], f"English on {path}: {found}"
    assert sum(len(CJK.findall(t)) for t in texts) > 30  # the page really is in Chinese
    assert "lang=zh" in page.url
    glyphs = page.evaluate(_GLYPHS)
    a, b, missing = glyphs["a"], glyphs["b"], glyphs["missing"]
    assert a["ink"] > 0 and b["ink"] > 0
    assert a["sum"] != b["sum"], f"训 and 练 draw the same picture in {glyphs['family']}"
    assert missing["sum"] not in (a["sum"], b["sum"]), "a Chinese character draws as a missing glyph"
    # Real CJK glyphs are full-width: about one em each.
    assert 0.85 * glyphs["size"] <= a["width"] <= 1.15 * glyphs["size"]
    assert a["width"] == pytest.approx(b["width"], rel=0.02)


@pytest.mark.parametrize(("path", "title_en", "title_zh", "settled"), PAGES)
def test_every_page_in_english_is_english(page, app_url, browser, path, title_en, title_zh,
                                          settled):
    settled_en = {"/draw": "Answering", "/inspect": "Inspecting", "/fix_tutorial": "This run"}
    open_page(page, app_url, path, "en", title_en, settled_en.get(path))
    assert browser.page_problems(page) == []
    texts = page.evaluate(_VISIBLE_TEXT)
    # The language switch names the languages in themselves ("语言 · Language", "中文"):
    # no other Chinese on an English page.
    chinese = [t for t in texts if CJK.search(t) and t not in ("中文", "语言 · Language")]
    assert chinese == []
    assert "lang=en" in page.url


def test_switching_the_language_mid_run_on_train_loses_nothing(page, app_url, browser):
    page.goto(f"{app_url}/?hidden=256-256&batch=8&epochs=40&lang=en")
    train = page.locator(".st-key-btn-train button").first
    train.wait_for(timeout=90_000)
    train.click()

    def epoch() -> int:
        text = browser.progress_text(page)
        match = re.search(r"(?:Epoch |第 )(\d+)/", text)
        return int(match.group(1)) if match else -1

    deadline = time.monotonic() + 120
    while epoch() < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    before = epoch()
    assert before >= 2, browser.progress_text(page)
    url_before = page.url
    page.locator('[data-testid="stSidebar"]').get_by_text("中文").click()
    page.get_by_role("heading", name="训练").first.wait_for(timeout=30_000)
    # The run goes on, in Chinese: the same run, a later epoch, the Pause button renamed.
    deadline = time.monotonic() + 60
    while epoch() <= before and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    bar = browser.progress_text(page)
    assert "运行 #1" in bar and epoch() > before, bar
    pause = page.locator(".st-key-btn-pause button").first.inner_text()
    assert "暂停" in pause and "Pause" not in pause  # (the icon's name, "pause", is its glyph)
    # Nothing lost: the settings (address and controls) are the ones the run started with.
    for name in ("hidden=256-256", "batch=8", "epochs=40"):
        assert name in page.url and name in url_before
    assert "lang=zh" in page.url
    assert page.locator(".st-key-cfg-epochs").get_by_text("40").count() >= 1
    assert browser.page_problems(page) == []
    # And back: the run still goes on (or has finished as run #1), in English again.
    page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
    page.get_by_role("heading", name="Train").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    assert "Run #1" in browser.progress_text(page)
    assert "lang=en" in page.url and browser.page_problems(page) == []


def test_train_pause_resume_and_stop_answer_in_chinese(page, app_url, browser):
    """The steering sequence of the English tests, in Chinese: the buttons found by their
    keys (``st-key-btn-*``), the answers read in the progress bar's Chinese words."""
    page.goto(f"{app_url}/?hidden=512-512-512&batch=8&epochs=100&lang=zh")
    page.get_by_role("heading", name="训练").first.wait_for(timeout=90_000)

    def button(key: str):
        return page.locator(f".st-key-{key} button").first

    def bar_says(word: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = browser.progress_text(page)
            if word in text:
                return text
            page.wait_for_timeout(100)
        raise AssertionError(f"the bar never said {word!r}: {browser.progress_text(page)!r}")

    assert button("btn-train").inner_text().strip().endswith("训练")
    button("btn-train").click()
    bar_says("运行 #1")
    button("btn-pause").click()
    paused = bar_says("已暂停")
    assert "继续" in button("btn-pause").inner_text()  # Pause became Resume
    page.wait_for_timeout(1000)
    assert browser.progress_text(page) == paused  # it holds
    button("btn-pause").click()
    deadline = time.monotonic() + 30  # running again: no longer paused, and counting on
    while "已暂停" in browser.progress_text(page) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    resumed = browser.progress_text(page)
    assert "已暂停" not in resumed and "轮" in resumed, resumed
    button("btn-stop").click()
    stopped = bar_says("已停止")
    assert "Run #" not in stopped and "Epoch" not in stopped
    assert browser.page_problems(page) == []
