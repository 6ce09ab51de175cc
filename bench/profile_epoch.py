"""Where one nn_core training epoch spends its time, by kind of work.

    python bench/profile_epoch.py [--hidden 128] [--batch 128] [--repeats 3]

Replays one epoch of ``MLP.fit`` (784-h-10, ReLU, softmax, Adam, float32, on
the benchmark's 60,000 synthetic rows) step by step with the same NumPy calls
and the public pieces of the engine (``nn_core.activations``,
``nn_core.optimizers``), timing each kind of work: shuffle, gather, matrix
products, bias, activation, softmax/loss/accuracy, optimizer. The replay's
total is checked against a real ``MLP.fit(epochs=1)``; what fit does beyond
the replay (input checks, Python bookkeeping) shows as the difference.

It mirrors network.py as written when this file was: if the engine changes
its steps, update ``replay_epoch``. Timers add about 1 us per batch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

import numpy as np
from _worker import SEED, synthetic_data

from nn_core import activations as act
from nn_core.optimizers import make_optimizer
from nn_core.recipe import Recipe


def replay_epoch(X, y, hidden: int, batch: int, rng) -> dict[str, float]:
    """One epoch of the engine's steps for a one-hidden-layer net; seconds per kind of work."""
    n, d = X.shape
    k = int(y.max()) + 1
    sizes = [(d, hidden), (hidden, k)]
    n_weights = d * hidden + hidden * k
    n_params = n_weights + hidden + k
    theta = np.zeros((2, n_params), np.float32)
    theta[:, :n_weights] = rng.standard_normal(n_weights) * 0.05
    grad = np.zeros(n_params, np.float32)
    optimizer = make_optimizer("adam", n_params, np.float32, 1e-3)
    inputs = np.empty((batch, d), np.float32)
    H, P = np.empty((batch, hidden), np.float32), np.empty((batch, k), np.float32)
    err, scratch = np.empty_like(H), np.empty_like(H)
    loss_scratch = np.empty_like(P)

    def views(flat):
        w1 = flat[: d * hidden].reshape(sizes[0])
        w2 = flat[d * hidden : n_weights].reshape(sizes[1])
        return w1, w2, flat[n_weights : n_weights + hidden], flat[n_weights + hidden :]

    gw1, gw2, gb1, gb2 = views(grad)
    spent: dict[str, float] = defaultdict(float)
    clock = time.perf_counter
    current = 0

    t0 = clock()
    order = rng.permutation(n)
    spent["shuffle"] += clock() - t0
    for start in range(0, n, batch):
        w1, w2, b1, b2 = views(theta[current])
        t0 = clock()
        index = order[start : start + batch]
        m = index.shape[0]
        x, h, p, e = inputs[:m], H[:m], P[:m], err[:m]
        np.take(X, index, axis=0, out=x, mode="clip")
        yb = y[index]
        t1 = clock()
        np.matmul(x, w1, out=h)
        t2 = clock()
        h += b1
        t3 = clock()
        act.relu(h)
        t4 = clock()
        np.matmul(h, w2, out=p)
        t5 = clock()
        p += b2
        t6 = clock()
        act.softmax_with_loss(p, yb, loss_scratch[:m])
        int(np.count_nonzero(p.argmax(axis=1) == yb))
        delta = act.fused_delta(p, yb, 1.0 / m, loss_scratch[:m])
        t7 = clock()
        np.matmul(h.T, delta, out=gw2)
        t8 = clock()
        np.sum(delta, axis=0, out=gb2)
        t9 = clock()
        np.matmul(delta, w2.T, out=e)
        t10 = clock()
        act.relu_backward(h, e, scratch[:m])
        t11 = clock()
        np.matmul(x.T, e, out=gw1)
        t12 = clock()
        np.sum(e, axis=0, out=gb1)
        t13 = clock()
        optimizer.update(theta[current], grad, theta[1 - current])
        current = 1 - current
        t14 = clock()
        spent["gather (take + y[index])"] += t1 - t0
        spent["matmul (5 per batch)"] += (t2 - t1) + (t5 - t4) + (t8 - t7) + (t10 - t9) + (t12 - t11)
        spent["bias add + bias grads"] += (t3 - t2) + (t6 - t5) + (t9 - t8) + (t13 - t12)
        spent["relu forward + backward"] += (t4 - t3) + (t11 - t10)
        spent["softmax + loss + accuracy + delta"] += t7 - t6
        spent["adam update"] += t14 - t13
    return dict(spent)


def fit_epoch_seconds(X, y, hidden: int, batch: int) -> float:
    """One epoch of the recipe's training (Adam at 1e-3), after a 200-batch warm-up."""
    recipe = Recipe(hidden=(hidden,), learning_rate=1e-3, batch_size=batch, epochs=1, seed=SEED)
    net = recipe.network(X.shape[1], 10)
    recipe.fit(net, X[: 200 * batch], y[: 200 * batch])
    started = time.perf_counter()
    recipe.fit(net, X, y)
    return time.perf_counter() - started


def input_check_seconds(X) -> float:
    """What fit's finiteness check costs: a max and a min over all of X."""
    started = time.perf_counter()
    bool(np.isfinite(X.max()) and np.isfinite(X.min()))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, y = synthetic_data(60_000, 784, 10)
    rng = np.random.default_rng(SEED)
    replay_epoch(X[: 200 * args.batch], y[: 200 * args.batch], args.hidden, args.batch, rng)
    replays = [replay_epoch(X, y, args.hidden, args.batch, rng) for _ in range(args.repeats)]
    fits = [fit_epoch_seconds(X, y, args.hidden, args.batch) for _ in range(args.repeats)]
    checks = [input_check_seconds(X) for _ in range(args.repeats)]
    parts = {name: statistics.median(r[name] for r in replays) for name in replays[0]}
    fit = statistics.median(fits)
    parts["fit() input checks (X.max, X.min)"] = statistics.median(checks)
    accounted = sum(parts.values())
    print(f"784-{args.hidden}-10, batch {args.batch}, 60,000 rows: MLP.fit epoch "
          f"{fit:.3f} s (median of {args.repeats}), replay + checks {accounted:.3f} s\n")
    print("| work | seconds / epoch | share of fit |\n|---|---|---|")
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {seconds:.4f} | {seconds / fit:.0%} |")
    print(f"| rest (Python bookkeeping, not replayed) | {fit - accounted:.4f} | "
          f"{(fit - accounted) / fit:.0%} |")


if __name__ == "__main__":
    main()
