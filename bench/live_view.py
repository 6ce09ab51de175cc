"""The Train page's live view in headless Chromium: frame rates and the browser's load.

    python bench/live_view.py [--root CHECKOUT] [--label after] [--runs 3]
                              [--compare before=OTHER_CHECKOUT ...]
                              [--out bench/results/live_view_browser.json]

What it measures
    For two runs, each pressed ``--runs`` times in a fresh tab of one fresh server:
    ``/?dataset=mnist-sample&hidden=256&epochs=50`` (784-256-10, about half a minute)
    and the default digits run (``/``, under a second). From the click on Train until
    the page shows "Test accuracy", the browser itself counts (``scripts/browser.py:
    WATCH_LIVE_VIEW``): redraws of the live curves per second, changes of the weight
    pictures per second while the run goes, and the share of the run's wall time its
    main thread spent in long tasks (over 50 ms, a ``PerformanceObserver``).

How to read it
    ``--root`` measures another checkout's app with the same browser and counter (the
    Plotly charts of before: each new plot of the loss chart counts as a frame). The
    JSON keeps every repetition, the medians and the spread (min-max), the machine's
    load average before each run (the machine may be shared), under ``--label``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import browser  # noqa: E402

RUNS = {
    "mnist_sample_256_50": "/?dataset=mnist-sample&hidden=256&epochs=50",
    "default_digits": "/",
}
FIGURES = ("curves_per_second", "weights_per_second", "long_task_share", "seconds")


def summary(repeats: list[dict]) -> dict:
    """Median and spread of each figure over the repetitions."""
    out = {}
    for name in FIGURES:
        values = [r[name] for r in repeats]
        out[name] = {"median": round(statistics.median(values), 3),
                     "min": round(min(values), 3), "max": round(max(values), 3)}
    return out


def _one(chromium, url: str, link: str) -> dict:
    page = chromium.new_context(viewport={"width": 1400, "height": 1300}).new_page()
    page.goto(url + link)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # the preview's charts settle before the click
    load = os.getloadavg()[0]
    seen = browser.watch_live_run(page)
    seen["load_average_1min"] = round(load, 2)
    page.context.close()
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in seen.items()}


def measure(roots: dict[str, Path], runs: int) -> dict:
    """Each checkout's app in a server process of its own, one browser; the rounds are
    interleaved (round 1 of every checkout, then round 2, ...), so a change in the
    machine's load falls on all of them alike."""
    from playwright.sync_api import sync_playwright

    repeats = {label: {name: [] for name in RUNS} for label in roots}
    with contextlib.ExitStack() as stack, sync_playwright() as p:
        urls = {label: stack.enter_context(browser.serve_app(root=root))
                for label, root in roots.items()}
        chromium = browser.launch(p)
        for _ in range(runs):
            for label, url in urls.items():
                for name, link in RUNS.items():
                    repeats[label][name].append(_one(chromium, url, link))
                    print(label, name, repeats[label][name][-1], flush=True)
        chromium.close()
    return {label: {name: {"link": RUNS[name], "repeats": reps, **summary(reps)}
                    for name, reps in by_run.items()}
            for label, by_run in repeats.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose app to serve")
    parser.add_argument("--label", default="after", help="key in the JSON (before, after)")
    parser.add_argument("--compare", nargs="*", default=[], metavar="LABEL=ROOT",
                        help="more checkouts, measured in rounds interleaved with --root")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/live_view_browser.json")
    args = parser.parse_args()
    roots = {args.label: args.root}
    for item in args.compare:
        label, _, root = item.partition("=")
        roots[label] = Path(root)
    figures = measure(roots, args.runs)
    recorded = json.loads(args.out.read_text()) if args.out.exists() else {}
    for label, root in roots.items():
        recorded[label] = {"root": str(root), "cpus": os.cpu_count(),
                           "interleaved_with": sorted(set(roots) - {label}), **figures[label]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(recorded, indent=2) + "\n")


if __name__ == "__main__":
    main()
