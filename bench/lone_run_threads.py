"""Should a lone training run use both cores? The preset's epochs at 1 and 2 BLAS threads.

    python bench/lone_run_threads.py [--rounds 3] [--epochs 2] [--out bench/results/lone_run_threads.json]

The app gives each run one BLAS thread (``app.py``), so that several tabs training at
once do not oversubscribe the cores. This measures what a run alone on the server
would gain from two: ``--epochs`` epochs of the Train page's MNIST preset
(``vocab.MNIST_PRESET``, through ``Recipe.start`` as the page trains, on full MNIST when
it is in its cache folder, else on synthetic rows of MNIST's shape), at 1 and at 2
threads, on a quiet machine and beside one busy process (a pure-Python loop standing in
for what shares a server: the page's own frames, another tab's run, a browser). Every
measurement is a fresh process; rounds interleave the four cases; medians are reported.
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` are unset in the children only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "results" / "lone_run_threads.json"
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CASES = tuple((threads, busy) for busy in (False, True) for threads in (1, 2))


def child(epochs: int) -> None:
    """In the measured process: the preset's first ``epochs`` epochs; prints one JSON line."""
    sys.path.insert(0, str(REPO))
    from dataclasses import replace

    import numpy as np

    from nn_core import kernels
    from nn_core.data import datasets
    from nn_core.recipe import Recipe
    from playground.common.vocab import MNIST_PRESET

    if datasets.available("mnist"):
        d = datasets.load("mnist")
        X, y, source = d.X_train, d.y_train, "mnist"
    else:
        sys.path.insert(0, str(HERE))
        from mnist import synthetic

        X, y, _, _ = synthetic(n_test=0)
        source = "synthetic"
    X = np.ascontiguousarray(X, dtype=np.float32)
    kernels.warm_up()
    training = replace(Recipe.of(MNIST_PRESET), epochs=epochs).start(X, y, n_classes=10)
    started = time.perf_counter()
    training.trainer.run()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds_per_epoch": seconds / epochs, "source": source,
                      "rows": int(len(training.train_rows))}))


def measure(threads: int, busy: bool, epochs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update({name: str(threads) for name in THREAD_ENV})
    hog = (subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None)
    try:
        done = subprocess.run([sys.executable, __file__, "--child", "--epochs", str(epochs)],
                              capture_output=True, text=True, env=env, timeout=900, check=True)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"threads": threads, "busy": busy, **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.epochs)
        return 0
    runs = []
    for r in range(args.rounds):
        order = CASES[r % len(CASES):] + CASES[: r % len(CASES)]  # rotated each round
        for threads, busy in order:
            runs.append({"round": r, **measure(threads, busy, args.epochs)})
            print(f"round {r + 1}: {threads} thread(s), {'busy' if busy else 'quiet'}: "
                  f"{runs[-1]['seconds_per_epoch']:.3f} s/epoch", file=sys.stderr, flush=True)
    medians = {f"{t}_{'busy' if b else 'quiet'}": statistics.median(
        x["seconds_per_epoch"] for x in runs if (x["threads"], x["busy"]) == (t, b)) for t, b in CASES}
    results = {"what": "seconds per epoch of the Train page's MNIST preset, alone",
               "epochs": args.epochs, "rounds": args.rounds, "source": runs[0]["source"],
               "cpus": os.cpu_count(), "load_average_end": list(os.getloadavg()),
               "median_seconds_per_epoch": medians, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print("| machine | 1 thread | 2 threads | 2 / 1 |\n|---|---|---|---|")
    for load in ("quiet", "busy"):
        one, two = medians[f"1_{load}"], medians[f"2_{load}"]
        print(f"| {load} | {one:.3f} s | {two:.3f} s | {two / one:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
