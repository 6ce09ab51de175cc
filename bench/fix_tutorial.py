"""Which fix matters most: the seed tutorial's network, trained by nn_core, fix by fix.

    python bench/fix_tutorial.py [--seeds 5] [--dataset digits] [--out bench/results/fix_tutorial.json]

The tutorial's section-5 network (sigmoid hidden and output layers, no biases, weights
N(0, 1) x 0.01, quadratic cost summed over the whole training set, one update per
pass, raw pixels, SGD at 0.01, 100 passes, 50 hidden units) as the engine trains it
(``playground/tutorial_fix.py``), on the digits with raw pixel values 0-16. Rows
(``tutorial_fix.ablation_configs``): as written (a broadcasting error, NumPy's own
message recorded), one-hot labels alone, each other fix alone on top of one-hot
labels, all fixes added one by one in the page's order, all fixes but one, and the
step-size rows (lr 0.001 alone, the mean at lr 1, mini-batches with scaled inputs).
Each row is trained once per seed (seeds 0..N-1: starting weights and batch order);
the final test accuracy's median and range are reported, how many seeds blew up
(the engine's trainer stops a run whose loss explodes and keeps the last good
weights), and the median share of hidden units saturated after the first pass (the
trainer's ``history.health``). ``inputs`` records the raw images' mean pixel sum and
the first layer's pre-activation std at the start (the engine's ``forward_trace``).
One BLAS thread, as the app runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from nn_core import datasets  # noqa: E402
from playground.learn import tutorial_fix as tf  # noqa: E402

OUT = ROOT / "bench" / "results" / "fix_tutorial.json"


def measure(dataset_name: str, seeds: int) -> dict:
    dataset = datasets.load(dataset_name)
    rows = []
    started = time.perf_counter()
    trained: dict = {}  # a configuration in two groups is trained once
    for group, label, fixes, lr in tf.ablation_configs():
        per_seed, diverged, seconds, saturated, error = [], 0, [], [], None
        for seed in range(seeds):
            key = (fixes, seed, lr)
            if key not in trained:
                trained[key] = tf.train_tutorial(dataset, fixes, seed=seed, learning_rate=lr)
            result = trained[key]
            if result.error:
                error = result.error
                break
            per_seed.append(result.final_accuracy)
            diverged += result.diverged
            seconds.append(result.seconds)
            if result.saturated_after_first_pass is not None:
                saturated.append(result.saturated_after_first_pass)
        row = {"group": group, "label": label, "fixes": sorted(fixes), "learning_rate": lr,
               "error": error, "per_seed": per_seed, "diverged": diverged}
        if per_seed:
            row.update(median=statistics.median(per_seed), min=min(per_seed),
                       max=max(per_seed), seconds_median=statistics.median(seconds))
        if saturated:
            row["saturated_median"] = statistics.median(saturated)
        rows.append(row)
        shown = error or f"{row['median']:.1%} ({row['min']:.1%}-{row['max']:.1%}), " \
                         f"blew up {diverged}/{seeds}, {row['seconds_median']:.2f} s"
        print(f"{group:12s} {label:45s} {shown}", flush=True)
    X_raw, _ = tf.training_inputs(dataset, ())
    z_std = [float(np.std(tf.tutorial_network((), X_raw.shape[1], dataset.n_classes, seed)
                          .forward_trace(X_raw)[0][0])) for seed in range(seeds)]
    return {
        "dataset": dataset_name,
        "n_train": int(len(dataset.y_train)),
        "n_test": int(len(dataset.y_test)),
        "raw_pixel_max": tf.RAW_PIXEL_MAX.get(dataset_name, 255.0),
        "epochs": tf.EPOCHS,
        "hidden": tf.HIDDEN,
        "learning_rate": tf.LEARNING_RATE,
        "mini_batch": tf.MINI_BATCH,
        "seeds": list(range(seeds)),
        "rows": rows,
        "inputs": {"row_sum_mean": float(X_raw.sum(axis=1).mean()),
                   "z_std_at_init": statistics.median(z_std)},
        "total_seconds": round(time.perf_counter() - started, 1),
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "processor": platform.machine()},
        "command": f"python bench/fix_tutorial.py --seeds {seeds} --dataset {dataset_name}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with threadpool_limits(1, user_api="blas"):
        results = measure(args.dataset, args.seeds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out} ({results['total_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
