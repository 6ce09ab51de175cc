"""How well does Draw tell digits from non-digits? ``nn_core.drawings.novelty`` on generated drawings.

Trains Draw's default model as the app does (and, for comparison, Train's 8x8 digits
model), fits the detector exactly as the Draw page does (``playground.draw.drawing``: class
Gaussians on the training digits, thresholds at the 99th percentile of 300 generated
calibration drawings, seed 1), then counts what it flags on fresh generated cases:

* ordinary mouse-drawn digits (``nn_core.drawings.strokes``, 50 per digit, seed 2024): flagged
  by mistake (the bar: at most 1 in 20);
* non-digits (``nn_core.drawings.strokes.NON_DIGIT_KINDS``: a line, a dot, a random scribble,
  a filled blob, 75 of each, seed 7): flagged as they should be (the bar: at least 3 of
  the 4 kinds).

    python bench/not_a_digit.py [--per-class 50] [--per-kind 75] [--out bench/results/not_a_digit.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from threadpoolctl import threadpool_limits  # noqa: E402

from nn_core import datasets  # noqa: E402
from nn_core.drawings.preprocess import drawing_to_input  # noqa: E402
from nn_core.drawings.strokes import NON_DIGIT_KINDS, make_drawn_digit_set, make_non_digit_set  # noqa: E402
from playground.common.runs import TrainingRun  # noqa: E402
from playground.common.vocab import DEFAULT_MODEL_CONFIG, TrainConfig  # noqa: E402
from playground.draw import drawing  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--per-kind", type=int, default=75)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/not_a_digit.json")
    args = parser.parse_args()
    threadpool_limits(1, user_api="blas")

    digit_images, digit_labels = make_drawn_digit_set(args.per_class, seed=2024)
    other_images, kinds = make_non_digit_set(args.per_kind, seed=7)
    results = {}
    for name, config in (("mnist-sample 28x28 (Draw's default)", DEFAULT_MODEL_CONFIG),
                         ("digits 8x8 (Train's default)", TrainConfig())):
        dataset = datasets.load(config.dataset)
        run = TrainingRun(config, dataset)
        run.run_to_end()
        started = time.perf_counter()
        detector = drawing.novelty_detector(run.net, dataset)
        fit_seconds = time.perf_counter() - started
        digits_in = np.stack([drawing_to_input(i, config.dataset) for i in digit_images])
        others_in = np.stack([drawing_to_input(i, config.dataset) for i in other_images])
        flagged_digits = detector.is_novel(digits_in)
        flagged_others = detector.is_novel(others_in)
        per_kind = {k: float(flagged_others[kinds == k].mean()) for k in NON_DIGIT_KINDS}
        per_digit = [float(flagged_digits[digit_labels == d].mean()) for d in range(10)]
        started = time.perf_counter()
        for x in digits_in[:100]:
            detector.assess(x)
        assess_ms = (time.perf_counter() - started) * 10
        results[name] = {
            "digits_flagged": float(flagged_digits.mean()),
            "digits_flagged_per_digit": per_digit,
            "non_digits_flagged": float(flagged_others.mean()),
            "non_digits_flagged_per_kind": per_kind,
            "kinds_flagged_at_least_75pct": sum(v >= 0.75 for v in per_kind.values()),
            "digits_read_right": float(np.mean(run.net.predict(digits_in) == digit_labels)),
            "detector_fit_seconds": fit_seconds,
            "assess_ms": assess_ms,
        }
        print(f"{name}: digits flagged {flagged_digits.mean():.1%} ({flagged_digits.sum()}/"
              f"{flagged_digits.size}); non-digits flagged {flagged_others.mean():.1%}: "
              + ", ".join(f"{k} {v:.0%}" for k, v in per_kind.items())
              + f"; fit {fit_seconds:.2f} s, {assess_ms:.1f} ms a drawing")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d"), "n_digits": int(digit_labels.size),
        "n_non_digits": int(kinds.size), "results": results,
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
