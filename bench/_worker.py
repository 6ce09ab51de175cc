"""One timed measurement in a fresh process; ``bench/speed.py`` runs many of these.

    python bench/_worker.py SYSTEM SHAPE [--warmup-batches N]

SYSTEM is ``nn_core``, ``sklearn``, ``torch``, ``gemm`` (the GEMM-only limit) or
``inference`` (with SHAPE ``drawing``). The worker imports its system, builds
the data, records the resident-memory high-water mark as a baseline, warms up
(a few hundred untimed batches), times one epoch (for ``digits``: the whole
30-epoch run, model construction included), and prints ONE JSON line on
stdout. A system that cannot run here (PyTorch not installed, the drawing
modules not written yet) prints ``{"ok": false, "skipped": "why"}`` and exits 0.

Each measurement gets its own process so that allocator state, BLAS thread
pools and caches warmed by one system never help or hurt another.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Run as a script, sys.path[0] is bench/: make the repository importable too.
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SEED = 0
LEARNING_RATE = 1e-3
DIGITS_EPOCHS = 30  # the app's default run
SYSTEMS = ("nn_core", "sklearn", "torch", "gemm")


@dataclass(frozen=True)
class Shape:
    """One training problem: ``n_features -> hidden -> n_classes``, ReLU, softmax, Adam."""

    name: str
    data: str  # "synthetic" (MNIST-sized random images) or "digits" (sklearn 8x8)
    n_rows: int
    n_features: int
    hidden: int
    n_classes: int
    batch: int
    epochs: int  # epochs timed: 1, or 30 for the digits run

    @property
    def label(self) -> str:
        arch = f"{self.n_features}-{self.hidden}-{self.n_classes}"
        run = "1 epoch" if self.epochs == 1 else f"{self.epochs} epochs"
        return f"{self.name}: {arch}, batch {self.batch}, {self.n_rows:,} rows, {run}"


def _mnist_like(hidden: int, batch: int) -> Shape:
    return Shape(f"h{hidden}_b{batch}", "synthetic", 60_000, 784, hidden, 10, batch, 1)


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        _mnist_like(32, 128),
        _mnist_like(128, 128),
        _mnist_like(512, 128),
        _mnist_like(128, 32),
        _mnist_like(128, 512),
        Shape("digits", "digits", 1_347, 64, 64, 10, 32, DIGITS_EPOCHS),
        # For the smoke test only: a second or so per worker.
        Shape("tiny", "synthetic", 512, 64, 16, 10, 32, 1),
    )
}


# ------------------------------------------------------------------- data


def synthetic_data(n_rows: int, n_features: int, n_classes: int, seed: int = SEED):
    """Random uint8-like images scaled to [0, 1], labelled by a random linear teacher.

    Learnable (a linear model can reach 100 %), MNIST-sized and MNIST-typed
    (float32 in [0, 1], int64 labels). Filled in small chunks so that building
    it never holds more than the dataset plus a couple of MB: the memory
    baseline taken right after is the dataset itself.
    """
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal((n_features, n_classes)).astype(np.float32)
    X = np.empty((n_rows, n_features), dtype=np.float32)
    y = np.empty(n_rows, dtype=np.int64)
    step = 2_000
    for start in range(0, n_rows, step):
        stop = min(start + step, n_rows)
        pixels = rng.integers(0, 256, size=(stop - start, n_features), dtype=np.uint8)
        np.multiply(pixels, np.float32(1.0 / 255.0), out=X[start:stop])
        y[start:stop] = ((X[start:stop] - np.float32(0.5)) @ teacher).argmax(axis=1)
    return X, y


def digits_data():
    """The app's digits training split: 1,347 rows of 64 pixels scaled 0-16 -> 0-1.

    Same split as ``nn_core.data.datasets.load("digits")`` (stratified 75/25, seed 0).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = np.multiply(digits.data, 1.0 / 16.0, dtype=np.float32)
    y = np.asarray(digits.target, dtype=np.int64)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    return np.ascontiguousarray(X_train), np.ascontiguousarray(y_train)


def make_data(shape: Shape):
    if shape.data == "digits":
        return digits_data()
    return synthetic_data(shape.n_rows, shape.n_features, shape.n_classes)


def warmup_rows(shape: Shape, batches: int) -> int:
    return min(shape.n_rows, batches * shape.batch)


# ------------------------------------------------------------ measurement


def peak_rss_bytes() -> int:
    """This process's resident-set high-water mark (ru_maxrss is in KB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def blas_info() -> list[dict]:
    """What threadpoolctl sees loaded: BLAS/OpenMP libraries, kernels, thread counts."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    keys = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads",
            "threading_layer")
    return [{k: info.get(k) for k in keys if k in info} for info in threadpool_info()]


def timed(run) -> tuple[float, float, object]:
    """(wall seconds, process CPU seconds, return value) of ``run()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = run()
    return time.perf_counter() - wall, time.process_time() - cpu, value


# --------------------------------------------------------------- systems
# Each returns (warm_up, run): warm_up() is untimed, run() is the timed work and
# returns the mean training loss of its last epoch (None when there is none).


def nn_core_runner(shape: Shape, X, y, warm: int):
    from dataclasses import replace

    from nn_core.recipe import Recipe

    recipe = Recipe(hidden=(shape.hidden,), learning_rate=LEARNING_RATE, batch_size=shape.batch,
                    seed=SEED)

    def fresh():
        return recipe.network(shape.n_features, shape.n_classes)

    def fit(net, X_, y_, epochs):
        return replace(recipe, epochs=epochs).fit(net, X_, y_).loss[-1]

    if shape.epochs > 1:  # the app's run: a fresh net trained from scratch
        return (lambda: fit(fresh(), X, y, 3)), (lambda: fit(fresh(), X, y, shape.epochs))
    net = fresh()
    return (lambda: fit(net, X[:warm], y[:warm], 1)), (lambda: fit(net, X, y, 1))


def sklearn_runner(shape: Shape, X, y, warm: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)

    def fit(X_, y_, epochs):
        clf = MLPClassifier(
            hidden_layer_sizes=(shape.hidden,), activation="relu", solver="adam",
            batch_size=shape.batch, max_iter=epochs, shuffle=True, tol=0.0,
            n_iter_no_change=10**9, alpha=0.0, learning_rate_init=LEARNING_RATE,
            random_state=SEED,
        )
        clf.fit(X_, y_)
        if clf.coefs_[0].dtype != np.float32:
            raise RuntimeError(f"sklearn trained in {clf.coefs_[0].dtype}, not float32")
        return float(clf.loss_)

    warm_epochs = 3 if shape.epochs > 1 else 1
    return (lambda: fit(X[:warm], y[:warm], warm_epochs)), (lambda: fit(X, y, shape.epochs))


def torch_runner(shape: Shape, X, y, warm: int):
    import torch

    torch.manual_seed(SEED)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)  # shared memory, no copies

    def fresh():
        model = torch.nn.Sequential(
            torch.nn.Linear(shape.n_features, shape.hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(shape.hidden, shape.n_classes),
        )
        return model, torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    loss_fn = torch.nn.CrossEntropyLoss()

    def train(model, optimizer, n_rows, epochs):
        loss_sum = 0.0
        for _ in range(epochs):
            order, loss_sum = torch.randperm(n_rows), 0.0
            for start in range(0, n_rows, shape.batch):
                index = order[start : start + shape.batch]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(X_t[index]), y_t[index])
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * index.shape[0]
        return loss_sum / n_rows

    if shape.epochs > 1:
        return (lambda: train(*fresh(), X.shape[0], 3)), (
            lambda: train(*fresh(), X.shape[0], shape.epochs)
        )
    model, optimizer = fresh()
    return (lambda: train(model, optimizer, warm, 1)), (
        lambda: train(model, optimizer, X.shape[0], 1)
    )


def gemm_runner(shape: Shape, X, y, warm: int):
    """The five matrix products of one step, into preallocated buffers, nothing else."""
    rng = np.random.default_rng(SEED)
    b, h, k = shape.batch, shape.hidden, shape.n_classes
    W1 = rng.standard_normal((shape.n_features, h)).astype(np.float32) * np.float32(0.05)
    W2 = rng.standard_normal((h, k)).astype(np.float32) * np.float32(0.05)
    H, Z, dH = (np.empty((b, n), np.float32) for n in (h, k, h))
    gW1, gW2 = np.empty_like(W1), np.empty_like(W2)

    def epochs(n_rows, count):
        for _ in range(count):
            for start in range(0, n_rows, b):
                x = X[start : start + b]
                m = x.shape[0]
                h_, z_, dh_ = H[:m], Z[:m], dH[:m]
                np.matmul(x, W1, out=h_)  # forward, layer 1
                np.matmul(h_, W2, out=z_)  # forward, layer 2
                np.matmul(h_.T, z_, out=gW2)  # dW2
                np.matmul(z_, W2.T, out=dh_)  # error into the hidden layer
                np.matmul(x.T, dh_, out=gW1)  # dW1

    warm_epochs = 3 if shape.epochs > 1 else 1
    return (lambda: epochs(warm, warm_epochs)), (lambda: epochs(X.shape[0], shape.epochs))


RUNNERS = {
    "nn_core": nn_core_runner,
    "sklearn": sklearn_runner,
    "torch": torch_runner,
    "gemm": gemm_runner,
}


def skip_reason(system: str) -> str | None:
    if system == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            return "PyTorch is not installed (optional: pip install torch==2.13.0)"
    return None


def run_training(system: str, shape: Shape, warmup_batches: int) -> dict:
    reason = skip_reason(system)
    if reason:
        return {"ok": False, "skipped": reason}
    X, y = make_data(shape)
    baseline = peak_rss_bytes()
    warm = warmup_rows(shape, warmup_batches)
    warm_up, run = RUNNERS[system](shape, X, y, warm)
    warm_up()
    seconds, cpu_seconds, loss = timed(run)
    extra = max(0, peak_rss_bytes() - baseline)
    result = {
        "ok": True,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "loss": None if loss is None else float(loss),
        "epochs": shape.epochs,
        "n_rows": int(X.shape[0]),
        "batches_per_epoch": math.ceil(X.shape[0] / shape.batch),
        "warmup_rows": warm,
        "dataset_bytes": int(X.nbytes),
        "rss_baseline_bytes": baseline,
        "rss_extra_bytes": extra,
    }
    if system == "torch":
        import torch

        result["torch_threads"] = torch.get_num_threads()
    return result


# -------------------------------------------------------------- inference


def run_inference(calls: int = 200) -> dict:
    """One drawing -> probabilities, as the app does it: preprocessing plus predict_proba."""
    try:
        from nn_core.drawings.preprocess import drawing_to_input
        from nn_core.drawings.strokes import render_digit
    except ImportError as exc:
        return {"ok": False, "skipped": f"drawing modules not available yet ({exc})"}
    from nn_core.recipe import Recipe

    X, y = digits_data()
    recipe = Recipe(hidden=(64,), learning_rate=LEARNING_RATE, epochs=DIGITS_EPOCHS, seed=SEED)
    net = recipe.network(64, 10)
    recipe.fit(net, X, y)
    rng = np.random.default_rng(SEED)
    drawings = [render_digit(digit, rng) for digit in range(10)]  # 280x280 RGBA canvases

    def once(image):
        started = time.perf_counter()
        x = drawing_to_input(image, "digits")
        middle = time.perf_counter()
        net.predict_proba(np.asarray(x).reshape(1, -1))
        return middle - started, time.perf_counter() - started

    for image in drawings * 2:
        once(image)
    preprocess, total = zip(*(once(drawings[i % 10]) for i in range(calls)), strict=True)
    return {
        "ok": True,
        "calls": calls,
        "image_shape": list(np.asarray(drawings[0]).shape),
        "median_seconds": statistics.median(total),
        "p90_seconds": statistics.quantiles(total, n=10)[-1],
        "min_seconds": min(total),
        "median_preprocess_seconds": statistics.median(preprocess),
    }


# ------------------------------------------------------------------- main


def measure(system: str, shape_name: str, warmup_batches: int = 200) -> dict:
    """The worker's result as a dict (also usable in-process, e.g. from a test)."""
    if system == "inference":
        result = run_inference()
    else:
        result = run_training(system, SHAPES[shape_name], warmup_batches)
    result.update({
        "system": system,
        "shape": shape_name,
        "blas": blas_info(),
        "load_average": list(os.getloadavg()),  # other work on the machine meanwhile
    })
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=(*SYSTEMS, "inference"))
    parser.add_argument("shape", choices=(*SHAPES, "drawing"))
    parser.add_argument("--warmup-batches", type=int, default=200)
    args = parser.parse_args(argv)
    if (args.system == "inference") != (args.shape == "drawing"):
        parser.error("the 'drawing' shape goes with the 'inference' system only")
    print(json.dumps(measure(args.system, args.shape, args.warmup_batches)))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["SHAPES", "SYSTEMS", "Shape", "measure"]
