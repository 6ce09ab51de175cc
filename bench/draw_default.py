"""Which model should Draw train on arrival? The 8x8 digits model or a 28x28 one on the
bundled MNIST sample, measured the way Draw uses them.

For each candidate, trained exactly as the app does it (``playground.common.runs.TrainingRun``
stepping the engine's trainer, one BLAS thread like the app), over several seeds:

* time to train on arrival (wall clock, and CPU time, which a busy machine inflates less);
* test accuracy on the dataset's own test set;
* mouse-drawn digits read right: ``nn_core.drawings.strokes`` drawings (a seeded set, 50 per
  digit) through the canvas preprocessing (``nn_core.drawings.preprocess``), as Draw reads them.

    python bench/draw_default.py [--seeds 3] [--per-class 50] [--out bench/results/draw_default.json]

Seed 0 is the model the app trains (its settings are ``playground.common.vocab.DEFAULT_MODEL_CONFIG``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from threadpoolctl import threadpool_limits  # noqa: E402

from nn_core import datasets  # noqa: E402
from nn_core.drawings.preprocess import drawing_to_input  # noqa: E402
from nn_core.drawings.strokes import make_drawn_digit_set  # noqa: E402
from playground.common.runs import TrainingRun  # noqa: E402
from playground.common.vocab import DEFAULT_MODEL_CONFIG, TrainConfig  # noqa: E402


def candidates() -> dict[str, TrainConfig]:
    return {"digits 8x8 (Train's default)": TrainConfig(), "mnist-sample 28x28": DEFAULT_MODEL_CONFIG}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--drawn-seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/draw_default.json")
    args = parser.parse_args()
    threadpool_limits(1, user_api="blas")  # as app.py

    images, labels = make_drawn_digit_set(args.per_class, seed=args.drawn_seed)
    results = {}
    for name, base in candidates().items():
        dataset = datasets.load(base.dataset)
        inputs = np.stack([drawing_to_input(image, base.dataset) for image in images])
        rows = []
        for seed in range(args.seeds):
            config = TrainConfig(**{**base.as_dict(), "hidden": base.hidden, "seed": seed})
            started, cpu_started = time.perf_counter(), time.process_time()
            run = TrainingRun(config, dataset)
            run.run_to_end()
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            predicted = run.net.predict(inputs)
            per_class = [float(np.mean(predicted[labels == d] == d)) for d in range(10)]
            rows.append({"seed": seed, "seconds": seconds, "cpu_seconds": cpu_seconds,
                         "test": run.test_accuracy,
                         "drawn": float(np.mean(predicted == labels)), "drawn_per_class": per_class})
            print(f"{name} seed {seed}: {seconds:.2f} s ({cpu_seconds:.2f} s CPU), "
                  f"test {run.test_accuracy:.2%}, "
                  f"drawn {rows[-1]['drawn']:.1%} (worst digit {min(per_class):.0%} "
                  f"= {int(np.argmin(per_class))})")
        results[name] = {"config": base.as_dict(), "runs": rows}

    print(f"\n| model | train on arrival (CPU) | test accuracy | mouse-drawn digits read right ({labels.size}) |")
    print("|---|---|---|---|")
    for name, result in results.items():
        runs = result["runs"]
        seconds = np.array([r["seconds"] for r in runs])
        cpu = np.median([r["cpu_seconds"] for r in runs])
        test = np.array([r["test"] for r in runs])
        drawn = np.array([r["drawn"] for r in runs])
        print(f"| {name} | {np.median(seconds):.2f} s ({cpu:.2f} s) "
              f"| {test[0]:.1%} (seeds: {test.min():.1%}-{test.max():.1%}) "
              f"| {drawn[0]:.1%} (seeds: {drawn.min():.1%}-{drawn.max():.1%}) |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine(),
        "drawn_digits": int(labels.size), "drawn_seed": args.drawn_seed, "results": results,
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
