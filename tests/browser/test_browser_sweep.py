"""The Sweep page in headless Chromium: a small sweep fills the heatmap live, Best opens
Train with that run's settings. (Skipped without Chromium, as in conftest.py.)"""

import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser

# The heatmap's cells: how many have a value, of how many.
HEATMAP_FILL = """() => {
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const trace = (plot.data || [])[0];
    if (trace && trace.type === 'heatmap') {
      const cells = [].concat(...trace.z);
      return [cells.filter(v => v !== null && !Number.isNaN(v)).length, cells.length];
    }
  }
  return null;
}"""


def test_a_sweep_fills_the_heatmap_live_and_best_opens_train(browser, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") == "1" \
        else tmp_path
    with browser.serve_app() as url, sync_playwright() as p:
        chromium = browser.launch(p)
        page = chromium.new_page(viewport={"width": 1400, "height": 1300})
        # A Train link's 60 epochs (a link's settings belong to the page in its path)
        # become the sweep's epochs per run: 15 runs, long enough (about 4 s here) for
        # the heatmap to be seen filling in, a frame every 0.5 s.
        page.goto(f"{url}/?epochs=60")
        page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
        browser.goto_page(page, "Sweep")
        budget = page.get_by_text(re.compile(r"15 runs, about .* on this machine"))
        budget.first.wait_for(timeout=30_000)

        started = time.perf_counter()
        page.get_by_role("button", name="Run", exact=True).click()
        fills = set()
        while time.perf_counter() - started < 120:
            fill = page.evaluate(HEATMAP_FILL)
            if fill is not None:
                fills.add(tuple(fill))
            if "All 15 runs done" in browser.progress_text(page):
                break
            page.wait_for_timeout(100)
        seconds = time.perf_counter() - started
        assert "All 15 runs done" in browser.progress_text(page), browser.progress_text(page)
        page.wait_for_timeout(500)
        assert page.evaluate(HEATMAP_FILL) == [15, 15]
        partial = sorted(done for done, total in fills if 0 < done < total)
        print(f"\n15-run sweep in the browser: {seconds:.1f} s; heatmap cells seen filled: "
              f"{partial}")
        assert partial, "the heatmap should fill in while the sweep runs"
        assert browser.page_problems(page) == []
        browser.screenshot(page, shots / "sweep.png")

        best = browser.metric_value(page, "Best validation accuracy")
        assert best.endswith("%") and float(best[:-1]) > 90  # measured 97%
        page.get_by_role("button", name="Best", exact=True).click()
        page.get_by_role("heading", name="Train").first.wait_for(timeout=30_000)
        page.wait_for_url(re.compile(r"lr=[0-9.e-]+"), timeout=30_000)
        assert "epochs=60" in page.url and "hidden=" in page.url
        assert browser.page_problems(page) == []
        chromium.close()
