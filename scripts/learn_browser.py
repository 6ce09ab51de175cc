"""Drive the Learn pages in headless Chromium and time how fast each click is answered.

Used by ``tests/browser/test_browser_learn.py`` and ``scripts/measure_learn.py``. The time is taken
in the browser itself: from the click's ``pointerdown`` to the first DOM change that
shows the answer (a JavaScript predicate over the page), both on the browser's clock.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import DEEP_FIND  # noqa: E402

_ARM = """(predicates) => {
  const checks = predicates.map(p => new Function('return (' + p + ')();'));
  const state = {click: null, seen: predicates.map(() => null)};
  window.__learnTimer = state;
  document.addEventListener('pointerdown', () => { state.click = performance.now(); },
                            {capture: true, once: true});
  const look = () => {
    if (state.click === null) return false;
    checks.forEach((check, i) => {
      if (state.seen[i] !== null) return;
      let ok = false;
      try { ok = check(); } catch (e) { ok = false; }
      if (ok) state.seen[i] = performance.now();
    });
    return state.seen.every(t => t !== null);
  };
  const observer = new MutationObserver(() => { if (look()) observer.disconnect(); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                   attributes: true});
}"""

#: JavaScript: the shown value of the metric labelled ``label``.
METRIC_JS = """(label) => {
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
      .find(e => e.innerText.includes(label));
  return m ? m.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
}"""


def metric_changed_js(label: str, before: str) -> str:
    """A predicate: the metric ``label`` shows something other than ``before``."""
    return (f"() => {{ const v = ({METRIC_JS})({label!r}); "
            f"return v !== null && v !== {before!r}; }}")


def text_shown_js(text: str) -> str:
    """A predicate: the page's text contains ``text``."""
    return f"() => document.body.innerText.includes({text!r})"


#: JavaScript: the text of every cell of the page's tables (``st.table``'s, and
#: ``st.dataframe``'s: it draws on a canvas, and keeps an accessible grid of its cells).
TABLES_JS = """() => [...document.querySelectorAll(
    '[data-testid="stDataFrame"] [role=gridcell], [data-testid="stTable"] td')]
    .map(c => c.innerText).join('|')"""


def tables_changed_js(page) -> str:
    """A predicate: the page's tables show other cells than they do now (once they show
    any: a table still drawing its first cells would count as changed at once)."""
    page.wait_for_function(f"() => ({TABLES_JS})().length > 0", timeout=30_000)
    page.wait_for_timeout(300)
    before = page.evaluate(TABLES_JS)
    return (f"() => {{ const t = ({TABLES_JS})(); "
            f"return t.length > 0 && t !== {before!r}; }}")


#: JavaScript: how many frames the live view (``shell/livechart``) has drawn, -1 if none
#: is on the page (it lives in a shadow root).
LIVE_FRAMES_JS = """() => {
  DEEP_FIND
  const root = deepFind('.lc-root');
  return root ? Number(root.dataset.frames) : -1;
}""".replace("DEEP_FIND", DEEP_FIND)


def metric(page, label: str) -> str | None:
    return page.evaluate(METRIC_JS, label)


def click_and_time(page, target, *predicates: str, timeout: float = 60.0) -> list[float]:
    """Click the locator ``target``; for each JavaScript ``predicate``, the seconds (browser
    clock) from the click's pointerdown until it first held. Waits for all of them."""
    page.evaluate(_ARM, list(predicates))
    target.click()
    page.wait_for_function("() => window.__learnTimer.seen.every(t => t !== null)",
                           timeout=timeout * 1000)
    timer = page.evaluate("() => window.__learnTimer")
    return [(seen - timer["click"]) / 1000.0 for seen in timer["seen"]]


def settle(page, ms: int = 400) -> None:
    """Let the page finish its rerun (no 'Running' indicator) before the next click."""
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 || !document.querySelector('[data-testid="stStatusWidget"]').innerText
                        .includes('Running')""",
        timeout=60_000,
    )
    page.wait_for_timeout(ms)


def toggle(page, label: str):
    """The clickable part of the toggle labelled ``label``."""
    return page.locator('[data-testid="stCheckbox"]').filter(has_text=label).locator("label").first


def select_option(page, select_label: str, option: str, *predicates: str) -> list[float]:
    """Open the selectbox labelled ``select_label`` and time choosing ``option``."""
    page.get_by_role("combobox", name=select_label).click()
    choice = page.get_by_role("option", name=option)
    return click_and_time(page, choice, *predicates)
