"""Accuracy of nn_core's reference models: held-out test sets and mouse-drawn digits.

Run from the repository root:

    python bench/accuracy.py                 # digits + mnist-sample + drawn digits, 3 seeds
    python bench/accuracy.py --seeds 1       # quicker

What it reports, per model, mean / min / max over seeds:

* ``digits``: scikit-learn's 8x8 digits, stratified 75/25 split, 64-64-10
  ReLU, Adam (target: test accuracy >= 97.5%);
* ``mnist-sample``: the 6,000 / 2,000 real MNIST digits in
  ``data/mnist-sample`` (bundled; or ``--mnist-dir``), 784-256-10 ReLU, Adam
  (target >= 94.5%);
* ``drawn``: the same models reading digits rendered as a mouse draws them
  (``nn_core.drawings.strokes``: random size, position, slant, thickness), each
  passed through ``nn_core.drawings.preprocess.drawing_to_input`` like a canvas
  drawing (targets: >= 95% for MNIST, >= 85% for digits).

Not a test: accuracy depends on seeds and settings, so this prints figures
for the README rather than asserting them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nn_core import MLP, datasets  # noqa: E402
from nn_core.recipe import Recipe  # noqa: E402

#: The reference recipes (the app's defaults follow the digits one).
RECIPES = {
    "digits": Recipe(hidden=(64,), epochs=30, batch_size=32, learning_rate=3e-3, l2=1e-4),
    "mnist": Recipe(hidden=(256,), epochs=40, batch_size=32, learning_rate=1e-3, l2=1e-4),
}


def train(ds: datasets.Dataset, recipe: Recipe, seed: int) -> tuple[MLP, float]:
    """The recipe with ``seed`` on all of ``ds``'s training rows (no validation split)."""
    recipe = replace(recipe, seed=seed)
    net = recipe.network(ds.n_features, ds.n_classes)
    started = time.perf_counter()
    recipe.fit(net, ds.X_train, ds.y_train)
    return net, time.perf_counter() - started


def drawn_accuracy(net: MLP, dataset_name: str, images: np.ndarray, labels: np.ndarray):
    from nn_core.drawings.preprocess import drawing_to_input

    features = np.stack([drawing_to_input(image, dataset_name) for image in images])
    predicted = net.predict(features)
    per_class = [float(np.mean(predicted[labels == c] == c)) for c in range(10)]
    return float(np.mean(predicted == labels)), per_class


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--drawn-per-class", type=int, default=50)
    parser.add_argument("--mnist-dir", type=Path, default=ROOT / "data/mnist-sample")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/accuracy.json")
    args = parser.parse_args()

    try:
        from nn_core.drawings.strokes import make_drawn_digit_set

        images, labels = make_drawn_digit_set(args.drawn_per_class, seed=2026)
    except ImportError:
        images = labels = None
        print("nn_core.drawings.strokes is missing: skipping the drawn-digit set")

    data = {"digits": datasets.load("digits")}
    if datasets.available("mnist", args.mnist_dir):
        data["mnist"] = datasets.load("mnist", data_dir=args.mnist_dir)
    else:
        print(f"no MNIST files in {args.mnist_dir}: skipping mnist-sample")

    results = {}
    for name, ds in data.items():
        recipe = RECIPES[name]
        rows = []
        for seed in range(args.seeds):
            net, seconds = train(ds, recipe, seed)
            row = {"seed": seed, "test": net.score(ds.X_test, ds.y_test), "seconds": seconds}
            if images is not None:
                row["drawn"], row["drawn_per_class"] = drawn_accuracy(net, name, images, labels)
            rows.append(row)
        arch = "-".join(map(str, [ds.n_features, *recipe.hidden, ds.n_classes]))
        results[name] = {"architecture": arch, "recipe": asdict(recipe), "runs": rows,
                         "train_size": len(ds.y_train), "test_size": len(ds.y_test)}

    print(f"\n| model | recipe | test accuracy (mean, min-max over {args.seeds} seeds) "
          f"| drawn digits ({0 if images is None else len(images)}) | train time |")
    print("|---|---|---|---|---|")
    for name, result in results.items():
        recipe, runs = result["recipe"], result["runs"]
        test = np.array([r["test"] for r in runs])
        seconds = np.median([r["seconds"] for r in runs])
        drawn = np.array([r.get("drawn", np.nan) for r in runs])
        label = "digits" if name == "digits" else "mnist-sample"
        print(f"| {label} {result['architecture']} | Adam lr {recipe['learning_rate']:g}, "
              f"batch {recipe['batch_size']}, {recipe['epochs']} epochs, L2 {recipe['l2']:g} "
              f"| {test.mean():.2%} ({test.min():.2%}-{test.max():.2%}) "
              f"| {drawn.mean():.1%} ({drawn.min():.1%}-{drawn.max():.1%}) | {seconds:.1f} s |")
    if images is not None:
        print("\nDrawn digits read right, per class (mean over seeds):")
        print("| model | " + " | ".join(map(str, range(10))) + " |")
        print("|---|" + "---|" * 10)
        for name, result in results.items():
            per_class = np.mean([r["drawn_per_class"] for r in result["runs"]], axis=0)
            print(f"| {name} | " + " | ".join(f"{v:.0%}" for v in per_class) + " |")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "results": results},
                                   indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
