"""Which recipe reaches 98% MNIST test accuracy soonest, trained as the Train page trains.

    python bench/mnist_recipes.py [--threads 1] [--max-epochs 15] [--out bench/results/mnist_recipes.json]

Each candidate (width, batch size, learning rate; Adam, ReLU, a constant rate: the
Train page has no schedule) is run through ``Recipe.start``, the Train page's path: 10%
of the 60,000 training digits held out for the validation curve, 54,000 trained on,
float32. After each epoch the 10,000 test digits are scored, untimed; an epoch's time
is the trainer's own (its batches and its validation score, as the page shows it). A
candidate's result is the training seconds until its test accuracy first reaches 98%,
or "not reached" within ``--max-epochs``. The fastest becomes ``bench/mnist.py``'s
``RECIPE`` and the Train page's "MNIST in N seconds" preset, with N from this run.

One seed (0) per candidate: 98% is reached or missed by a few tenths of a percent,
so a second seed can move a candidate's epoch count by one. ``--threads`` sets the BLAS
threads (1: what the app gives each run). Needs full MNIST in its cache folder
(``MLP_PLAYGROUND_DATA`` or the app's download); it says so and stops where it is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from nn_core import kernels  # noqa: E402
from nn_core.data import datasets  # noqa: E402
from nn_core.recipe import Recipe  # noqa: E402

TARGET = 0.98
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "mnist_recipes.json"
#: Widths, batch sizes and rates the Train page offers (``vocab``), around what is known
#: to reach 98% with one or two hidden layers and Adam.
CANDIDATES = tuple(
    Recipe(hidden=hidden, learning_rate=lr, batch_size=batch, epochs=1, seed=0)
    for hidden, batch, lr in (
        ((256,), 128, 1e-3),
        ((256,), 256, 2e-3),
        ((384,), 128, 1e-3),
        ((512,), 128, 1e-3),
        ((512,), 256, 1e-3),
        ((512,), 256, 2e-3),
        ((256, 256), 128, 1e-3),
        ((512, 256), 128, 1e-3),
    )
)


def run(recipe: Recipe, X, y, X_test, y_test, max_epochs: int) -> dict:
    training = replace(recipe, epochs=max_epochs).start(X, y, n_classes=10)
    trainer, net = training.trainer, training.net  # one run, stopped at the target
    seconds, accuracies = [], []
    while not trainer.done:
        started = time.perf_counter()
        before = trainer.epoch
        while trainer.epoch == before and not trainer.done:
            # Never past the epoch's end: the score below is of exactly this many epochs.
            trainer.step(max_batches=min(50, trainer.batches_per_epoch - trainer.batch))
        seconds.append(time.perf_counter() - started)
        accuracies.append(float(net.score(X_test, y_test)))
        print(f"  {recipe.hidden} b{recipe.batch_size} lr{recipe.learning_rate:g} epoch "
              f"{len(seconds):2d}: {seconds[-1]:.2f} s, test {accuracies[-1]:.4f}",
              file=sys.stderr, flush=True)
        if accuracies[-1] >= TARGET:
            trainer.finish()
    reached = accuracies[-1] >= TARGET
    return {"recipe": asdict(recipe), "epoch_seconds": seconds, "test_accuracy": accuracies,
            "median_epoch_seconds": statistics.median(seconds),
            "epochs_to_target": len(seconds) if reached else None,
            "seconds_to_target": sum(seconds) if reached else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not datasets.available("mnist"):
        print("full MNIST is not in its cache folder (download it in the app, or set "
              "MLP_PLAYGROUND_DATA): nothing to measure", file=sys.stderr)
        return 2
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    kernels.warm_up()  # as the app's server does at start: no candidate pays numba's load
    d = datasets.load("mnist")
    X, X_test = (np.ascontiguousarray(a, dtype=np.float32) for a in (d.X_train, d.X_test))
    results = {"target": TARGET, "threads": args.threads, "max_epochs": args.max_epochs,
               "load_average_start": list(os.getloadavg()), "runs": []}
    for recipe in CANDIDATES:
        results["runs"].append(run(recipe, X, d.y_train, X_test, d.y_test, args.max_epochs))
    results["load_average_end"] = list(os.getloadavg())
    reached = [r for r in results["runs"] if r["seconds_to_target"] is not None]
    results["fastest"] = min(reached, key=lambda r: r["seconds_to_target"])["recipe"] if reached else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(report(results))
    return 0


def report(results: dict) -> str:
    lines = [f"# Time to {results['target']:.0%} MNIST test accuracy, Train page's path, "
             f"{results['threads']} BLAS thread(s)", "",
             "| hidden | batch | lr | s/epoch | epochs | time to 98% | best test accuracy |",
             "|---|---|---|---|---|---|---|"]
    for r in sorted(results["runs"], key=lambda r: r["seconds_to_target"] or float("inf")):
        recipe = r["recipe"]
        to = f"{r['seconds_to_target']:.1f} s" if r["seconds_to_target"] else "not reached"
        lines.append(f"| {'-'.join(map(str, recipe['hidden']))} | {recipe['batch_size']} | "
                     f"{recipe['learning_rate']:g} | {r['median_epoch_seconds']:.2f} | "
                     f"{len(r['epoch_seconds'])} | {to} | {max(r['test_accuracy']):.4f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
