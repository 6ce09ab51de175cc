"""Measure the real app in headless Chromium: first render, mouse-up -> prediction latency,
how often mouse-drawn digits are read right by Draw's default model (28x28, trained on
arrival on the bundled MNIST sample), and how long Fine-tune takes to change an answer.

The digits are drawn with the mouse (``page.mouse``) along the stroke paths that
``nn_core.drawings.strokes`` uses for its synthetic drawings, at the Draw page's default pen
width. Nothing is asserted; the figures are printed (and optionally written as JSON).

    python scripts/measure_browser.py [--n-per-class 4] [--seed 2024] [--teach 5] [--json out.json]

``--teach N``: then draws N slashed zeros (``nn_core.drawings.strokes.UNUSUAL_STYLES``), corrects
each with "Wrong? It's a …" 0, draws another and times Fine-tune until the
**Prediction** shows 0 (0 to skip).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-class", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--teach", type=int, default=5, help="slashed zeros to teach (0: skip)")
    args = parser.parse_args()

    reason = browser.chromium_missing_reason()
    if reason:
        print(f"cannot measure: {reason}", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(args.seed)
    labels = rng.permutation(np.repeat(np.arange(10), args.n_per_class))
    results = {"n_digits": int(labels.size), "seed": args.seed}
    with browser.serve_app() as url, sync_playwright() as p:
        chromium = browser.launch(p)
        page, results["first_render_cold_s"] = browser.open_app(chromium, url)
        warm, results["first_render_warm_s"] = browser.open_app(chromium, url)
        warm.close()

        t0 = time.perf_counter()
        browser.goto_page(page, "Draw")  # no model yet: the default one trains on arrival
        page.get_by_text("Answering").first.wait_for(timeout=60_000)
        page.locator(browser.CANVAS).wait_for(timeout=60_000)
        results["draw_ready_with_default_training_s"] = time.perf_counter() - t0

        latencies, predictions, n_strokes = [], [], []
        for digit in labels:
            strokes = browser.digit_strokes(int(digit), rng)
            n_strokes.append(len(strokes))
            up = browser.draw(page, strokes)
            latencies.append(browser.wait_for_strokes(page, len(strokes)) - up)
            predictions.append(browser.metric_value(page, "Prediction"))
            browser.clear(page)
        if args.teach:
            results.update(measure_fine_tune(page, args.teach, rng))
        chromium.close()

    right = np.array([p == str(d) for p, d in zip(predictions, labels, strict=True)])
    results["read_right"] = int(right.sum())
    results["accuracy"] = float(right.mean())
    results["per_class_accuracy"] = {
        str(d): float(right[labels == d].mean()) for d in range(10) if (labels == d).any()
    }
    results["latency_median_s"] = statistics.median(latencies)
    results["latency_p90_s"] = float(np.percentile(latencies, 90))
    results["latency_max_s"] = max(latencies)
    single = [t for t, n in zip(latencies, n_strokes, strict=True) if n == 1]
    multi = [t for t, n in zip(latencies, n_strokes, strict=True) if n > 1]
    results["latency_median_single_stroke_s"] = statistics.median(single) if single else None
    results["latency_median_last_of_several_strokes_s"] = statistics.median(multi) if multi else None
    confusions = [f"{d}->{p}" for p, d, ok in zip(predictions, labels, right, strict=True) if not ok]

    print(f"first render: cold {results['first_render_cold_s']:.2f} s, "
          f"warm {results['first_render_warm_s']:.2f} s")
    print(f"Draw page ready (trains the default model): "
          f"{results['draw_ready_with_default_training_s']:.2f} s")
    print(f"read right: {results['read_right']}/{results['n_digits']} "
          f"({results['accuracy']:.0%}); misread: {', '.join(confusions) or 'none'}")
    print("per class: " + ", ".join(f"{k}: {v:.0%}" for k, v in results["per_class_accuracy"].items()))
    print(f"mouse-up -> updated prediction: median {results['latency_median_s']:.2f} s, "
          f"p90 {results['latency_p90_s']:.2f} s, max {results['latency_max_s']:.2f} s")
    if single and multi:
        print(f"  median after a one-stroke digit {statistics.median(single):.2f} s ({len(single)}), "
              f"after the last stroke of a multi-stroke digit {statistics.median(multi):.2f} s "
              f"({len(multi)}; waits for the previous stroke's update when strokes come fast)")
    if args.teach:
        print(f"fine-tune on {args.teach} slashed zeros: the drawing read "
              f"{results['fine_tune_drawing_before']!r} before; Fine-tune click -> "
              f"Prediction 0: {results['fine_tune_to_prediction_s']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def measure_fine_tune(page, n: int, rng: np.random.Generator) -> dict:
    """Teach ``n`` slashed zeros through the page, then time Fine-tune on another one."""
    from nn_core.drawings.strokes import unusual_digit_paths

    def slashed_zero():
        return unusual_digit_paths("0-slashed", rng, stroke_width=browser.PEN_WIDTH)

    for _ in range(n):
        strokes = slashed_zero()
        browser.draw(page, strokes)
        browser.wait_for_strokes(page, len(strokes))
        browser.correct_as(page, 0)
        browser.clear(page)
    browser.draw_until_misread(page, slashed_zero, 0)  # a slashed zero the model still misreads
    timed = browser.click_until_metric(page, "Fine-tune", "Prediction", "0")
    return {"fine_tune_examples": n, "fine_tune_drawing_before": timed["before"],
            "fine_tune_to_prediction_s": timed["seconds"]}


if __name__ == "__main__":
    raise SystemExit(main())
