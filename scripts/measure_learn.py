"""Measure how fast the Learn pages answer clicks, in headless Chromium on this machine.

Each click is timed in the browser, from pointerdown to the first DOM change that shows
the answer (``scripts/learn_browser.py``). Nothing is asserted; the figures are printed
and written as JSON.

    python scripts/measure_learn.py [--repeats 5] [--json bench/results/learn_clicks.json]

What "answered" means, per click:

* Backprop: **Step** -> "Steps taken" changes; **Forward** -> "Loss after the update"
  clears; **Backward** -> the finite-difference checks appear; **Update** -> "Loss
  after the update" shows a number.
* Optimizers: another surface -> its description shows (paths computed, chart sent);
  "One learning rate for all" -> the per-optimizer sliders go or come back; **Race**
  -> its progress bar first moves, and (recorded apart) the race finishes.
* Fix the tutorial: a fix toggled on for the first time -> a progress bar or the new
  accuracy shows ("first answer"), and separately when the new accuracy shows (the
  network trained, about a second on the digits); toggled off again -> the cached
  accuracy shows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402
import learn_browser as lb  # noqa: E402

from playground.learn import tutorial_fix as tf

SURFACE_TEXT = {
    "Rosenbrock": "banana valley",
    "Saddle": "saddle point",
    "Two minima": "behind a hump",
    "Long narrow valley": "ill-conditioned quadratic",
}


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median_s": round(statistics.median(values), 3),
            "max_s": round(max(values), 3), "all_s": [round(v, 3) for v in values]}


def backprop(page, repeats: int) -> dict:
    browser.goto_page(page, "Backprop")
    page.get_by_role("button", name="Step", exact=True).wait_for()
    out = {"Step": [], "Forward": [], "Backward": [], "Update": []}
    lb.settle(page)
    lb.click_and_time(page, page.get_by_role("button", name="Step", exact=True),
                      lb.metric_changed_js("Steps taken", lb.metric(page, "Steps taken")))
    for _ in range(repeats):
        lb.settle(page)
        steps = lb.metric(page, "Steps taken")
        out["Step"] += lb.click_and_time(page, page.get_by_role("button", name="Step", exact=True),
                                         lb.metric_changed_js("Steps taken", steps))
        lb.settle(page)
        out["Forward"] += lb.click_and_time(
            page, page.get_by_role("button", name="Forward", exact=True),
            "() => (" + lb.METRIC_JS + ")('Loss after the update') === '—'")
        lb.settle(page)
        out["Backward"] += lb.click_and_time(
            page, page.get_by_role("button", name="Backward", exact=True),
            lb.text_shown_js("relative difference"))
        lb.settle(page)
        out["Update"] += lb.click_and_time(
            page, page.get_by_role("button", name="Update", exact=True),
            lb.metric_changed_js("Loss after the update", "—"))
    return {k: summary(v) for k, v in out.items()}


def optimizers(page, repeats: int) -> dict:
    browser.goto_page(page, "Optimizers")
    page.get_by_text("A race on 2-D loss surfaces").wait_for()
    first, again, toggle, tables = [], [], [], []
    for round_ in range(repeats):
        for option, text in SURFACE_TEXT.items():
            lb.settle(page)
            seconds = lb.select_option(page, "Surface", option, lb.text_shown_js(text),
                                       lb.tables_changed_js(page))
            (first if round_ == 0 else again).append(seconds[0])
            tables.append(seconds[1])
        lb.settle(page)
        toggle += lb.click_and_time(
            page, lb.toggle(page, "One learning rate for all"),
            "() => !document.body.innerText.includes('SGD learning rate')")
        lb.settle(page)
        toggle += lb.click_and_time(
            page, lb.toggle(page, "One learning rate for all"),
            lb.text_shown_js("SGD learning rate"))
    lb.settle(page)
    race = lb.click_and_time(page, page.get_by_role("button", name="Race", exact=True),
                             lb.text_shown_js("Racing:"), lb.text_shown_js("Race finished."))
    return {
        "surface (paths computed)": summary(first),
        "surface (cached)": summary(again),
        "surface: its table updated": summary(tables),
        "one learning rate for all": summary(toggle),
        "Race: progress shows": summary(race[:1]),
        "Race: finished (5 networks x 20 epochs)": summary(race[1:]),
    }


def fix_tutorial(page) -> dict:
    browser.goto_page(page, "Fix the tutorial")
    page.get_by_text("Which fix matters most").wait_for(timeout=60_000)
    first_answer, trained, cached = [], [], []
    fixes = {"one_hot"}
    for fix in tf.FIXES[1:]:
        lb.settle(page)
        fixes.add(fix.key)
        done = lb.text_shown_js(f"This run: {tf.describe(fixes)}, lr ")
        times = lb.click_and_time(
            page, lb.toggle(page, fix.label),
            f"() => document.body.innerText.includes('Training:') || ({done})()", done)
        first_answer.append(times[0])
        trained.append(times[1])
    for fix in reversed(tf.FIXES[1:]):
        lb.settle(page)
        fixes.discard(fix.key)
        cached += lb.click_and_time(
            page, lb.toggle(page, fix.label),
            lb.text_shown_js(f"This run: {tf.describe(fixes)}, lr "))
    return {"toggle: first answer": summary(first_answer),
            "toggle: trained and shown": summary(trained),
            "toggle back (cached)": summary(cached)}


def measure(repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    with browser.serve_app() as url, sync_playwright() as p:
        chromium = browser.launch(p)
        page = chromium.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
        results = {"Backprop": backprop(page, repeats),
                   "Optimizers": optimizers(page, repeats),
                   "Fix the tutorial": fix_tutorial(page)}
        problems = browser.page_problems(page)
        chromium.close()
    return {"clicks": results, "page_problems": problems,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average": os.getloadavg()},
            "command": f"python scripts/measure_learn.py --repeats {repeats}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    reason = browser.chromium_missing_reason()
    if reason:
        print(f"cannot measure: {reason}", file=sys.stderr)
        return 2
    results = measure(args.repeats)
    for page_name, clicks in results["clicks"].items():
        for what, s in clicks.items():
            print(f"{page_name:17s} {what:42s} median {s['median_s']:.3f} s, "
                  f"max {s['max_s']:.3f} s (n={s['n']})")
    if results["page_problems"]:
        print("page problems:", results["page_problems"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
