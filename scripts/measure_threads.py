"""One or two BLAS threads for a run on the Train page, measured in the browser.

    MLP_PLAYGROUND_DATA=/path/with/mnist python scripts/measure_threads.py [--rounds 2]

For each round and each thread count (1, 2; alternating, a fresh server each time with
``MLP_PLAYGROUND_BLAS_THREADS`` set), it opens the app in headless Chromium, presses the
"MNIST in N seconds" preset, then Train, and watches the run to its end as a person
would: seconds from the click to the page's "Test accuracy", the page's own
"Training time", the live view's frames per second and the browser's long-task share.
Needs full MNIST where the server looks for it (``MLP_PLAYGROUND_DATA``); writes
``bench/results/train_threads_browser.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "train_threads_browser.json"


def one_run(threads: int) -> dict:
    from playwright.sync_api import sync_playwright

    from nn_core.data import datasets
    from playground.common import vocab

    if not datasets.available("mnist"):
        raise SystemExit("full MNIST is not where MLP_PLAYGROUND_DATA points: nothing to measure")
    env = {"MLP_PLAYGROUND_BLAS_THREADS": str(threads)}
    with browser.serve_app(env=env) as url, sync_playwright() as p:
        chromium = browser.launch(p)
        page, _ = browser.open_app(chromium, url)
        page.get_by_role("button", name=vocab.mnist_preset_label()).click()
        page.get_by_text("Press Train").first.wait_for(timeout=30_000)
        started = time.perf_counter()
        seen = browser.watch_live_run(page, timeout=300)
        wall = time.perf_counter() - started
        result = {"threads": threads, "click_to_test_accuracy_s": wall,
                  "training_time": browser.metric_value(page, "Training time"),
                  "test_accuracy": browser.metric_value(page, "Test accuracy"), **seen}
        chromium.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    runs = []
    for r in range(args.rounds):
        for threads in ((1, 2) if r % 2 == 0 else (2, 1)):
            runs.append(one_run(threads))
            print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    summary = {
        str(t): {key: statistics.median(x[key] for x in runs if x["threads"] == t)
                 for key in ("click_to_test_accuracy_s", "seconds", "curves_per_second",
                             "long_task_share")}
        for t in (1, 2)}
    figures = {"what": "the MNIST preset trained on the Train page, in Chromium",
               "rounds": args.rounds, "cpus": os.cpu_count(),
               "load_average_end": list(os.getloadavg()), "median": summary, "runs": runs}
    OUT.write_text(json.dumps(figures, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
