"""Ablation: which of nn_core's speed-ups bought how much, on one training epoch.

    python bench/ablation.py [--rounds 5] [--out bench/results/ablation.json]
    python bench/ablation.py --worker VARIANT    # one timed epoch, prints one JSON line

784-128-10 ReLU, softmax cross-entropy, Adam lr 1e-3, batch 128, float32, on
bench/_worker.py's 60,000 synthetic rows, trained by a ladder of small loops,
each adding one change to the one before (VARIANTS), then nn_core itself and
the GEMM-only limit. 0-5 start from MLP(seed=0)'s weights and shuffle, so all
of 0-6 do the same maths: the report checks that their epoch losses agree and
are well below ln(10). Where float64 sneaks into the naive loop (0):
``np.eye(10)[y]`` is float64, so ``p - Y`` and all downstream of it are too:
dW2, the hidden error, ``x.T @ dz1`` (x copied to float64, then a DGEMM), the
discarded ``dz1 @ W1.T`` (W1 copied to float64) and Adam's m and v; the
weights stay float32 (updated with ``-=``). As in bench/speed.py: a fresh
process per measurement, one BLAS thread, OPENBLAS_CORETYPE/L2_SIZE unset,
untimed warm-up (200 batches), one timed epoch, rounds interleaved. Page
faults (``ru_minflt``) are counted over the warm-up and the timed epoch. One
extra round (outside the medians) reruns every variant with glibc's mmap
threshold pinned at its 128 KB default (MALLOC_MMAP_THRESHOLD_=131072): that
turns off glibc's dynamic threshold, which otherwise rises to the size of the
first mmapped block freed, so later per-batch temporaries come from the heap.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from itertools import count
from pathlib import Path

import numpy as np
from _worker import LEARNING_RATE, SEED, blas_info, synthetic_data
from speed import machine_info, spread

N_ROWS, N_IN, HIDDEN, N_OUT, BATCH, WARMUP_BATCHES = 60_000, 784, 128, 10, 128, 200
B1, B2, EPS = 0.9, 0.999, 1e-8
OUT = Path(__file__).resolve().parent / "results" / "ablation.json"
VARIANTS = {
    "0": "naive: X[idx], float64 one-hot, fresh temporaries, input gradient, textbook Adam",
    "1": "+ float32 throughout (float32 one-hot)",
    "2": "+ no input-layer gradient, no one-hot (p[rows, y] -= 1)",
    "3": "+ preallocated workspaces, out= matmuls, in-place activations, np.take(out=)",
    "4": "+ Adam in place with out=, per layer",
    "5": "+ one flat parameter vector (Adam: 12 whole-vector ops)",
    "6": "nn_core MLP.fit",
    "G": "GEMM-only limit (5 matmuls into preallocated buffers)",
}


def setup():
    """[W1, b1, W2, b2] and the shuffling generator, seeded exactly as MLP(seed=SEED) does:
    He-normal W1, Glorot-uniform W2 (drawn in float64, stored float32), zero biases."""
    init_seq, shuffle_seq = np.random.SeedSequence(SEED).spawn(2)
    rng, limit = np.random.default_rng(init_seq), math.sqrt(6.0 / (HIDDEN + N_OUT))
    W1 = rng.normal(0.0, math.sqrt(2.0 / N_IN), (N_IN, HIDDEN)).astype(np.float32)
    W2 = rng.uniform(-limit, limit, (HIDDEN, N_OUT)).astype(np.float32)
    params = [W1, np.zeros(HIDDEN, np.float32), W2, np.zeros(N_OUT, np.float32)]
    return params, np.random.default_rng(shuffle_seq)


def epochs(shuffle, step):
    """epoch(n_rows) -> (mean loss, accuracy): one shuffled pass of ``step(batch_index)``."""
    def epoch(n):
        order, loss, correct = shuffle.permutation(n), 0.0, 0
        for start in range(0, n, BATCH):
            batch_loss, batch_correct = step(order[start : start + BATCH])
            loss, correct = loss + batch_loss, correct + batch_correct
        return loss / n, correct / n
    return epoch


def adam_textbook(params, grads, ms, vs, t):
    """Adam as tutorials write it: every line makes fresh arrays."""
    for i, g in enumerate(grads):
        ms[i] = B1 * ms[i] + (1 - B1) * g
        vs[i] = B2 * vs[i] + (1 - B2) * g * g
        m_hat, v_hat = ms[i] / (1 - B1**t), vs[i] / (1 - B2**t)
        params[i] -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + EPS)


def adam_inplace(p, g, m, v, tmp, t):
    """The same step without allocating (nn_core's operations, updated in place)."""
    m *= B1
    np.multiply(g, 1 - B1, out=tmp)
    m += tmp
    v *= B2
    np.multiply(g, g, out=tmp)
    tmp *= 1 - B2
    v += tmp
    root_bc2 = math.sqrt(1 - B2**t)
    np.sqrt(v, out=tmp)
    tmp += EPS * root_bc2
    np.divide(m, tmp, out=tmp)
    tmp *= LEARNING_RATE * root_bc2 / (1 - B1**t)
    p -= tmp


def textbook(X, y, onehot_dtype=np.float64, lean=False):
    """0: as people write it; 1: onehot_dtype=float32; 2: lean (no one-hot, no input gradient)."""
    params, shuffle = setup()
    ms, vs, steps = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params], count(1)

    def step(idx):
        x, yb, m = X[idx], y[idx], len(idx)
        W1, b1, W2, b2 = params
        z1 = x @ W1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2 + b2
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        correct = int(np.count_nonzero(p.argmax(axis=1) == yb))
        if lean:
            rows = np.arange(m)
            loss = float(-np.log(p[rows, yb] + 1e-12).sum())
            p[rows, yb] -= 1  # p - onehot(y), without the one-hot matrix
            dz2 = p / m
        else:
            Y = np.eye(N_OUT, dtype=onehot_dtype)[yb]
            loss = float(-np.sum(Y * np.log(p + 1e-12)))
            dz2 = (p - Y) / m
        dW2, db2 = a1.T @ dz2, dz2.sum(axis=0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        dW1, db1 = x.T @ dz1, dz1.sum(axis=0)
        if not lean:
            dx = dz1 @ W1.T  # noqa: F841 -- gradient w.r.t. the input, computed and discarded
        adam_textbook(params, [dW1, db1, dW2, db2], ms, vs, next(steps))
        return loss, correct

    return epochs(shuffle, step)


def preallocated(X, y, update):
    """3: update="textbook"; 4: "per_layer" (Adam in place); 5: "flat" (one vector)."""
    params, shuffle = setup()
    grads, ms, vs, tmps = ([np.zeros_like(p) for p in params] for _ in range(4))
    if update == "flat":  # parameters and gradients become views into one vector each
        flat_p = np.concatenate([p.ravel() for p in params])
        flat_g, flat_m, flat_v, flat_tmp = (np.zeros_like(flat_p) for _ in range(4))
        cuts = np.cumsum([p.size for p in params])[:-1]
        params = [v.reshape(p.shape) for v, p in zip(np.split(flat_p, cuts), params, strict=True)]
        grads = [v.reshape(p.shape) for v, p in zip(np.split(flat_g, cuts), params, strict=True)]
    xb, steps = np.empty((BATCH, N_IN), np.float32), count(1)
    H, P, E, S = (np.empty((BATCH, k), np.float32) for k in (HIDDEN, N_OUT, HIDDEN, HIDDEN))

    def step(idx):
        m = idx.shape[0]
        x, h, p, e, s = xb[:m], H[:m], P[:m], E[:m], S[:m]
        np.take(X, idx, axis=0, out=x, mode="clip")  # mode="raise" would buffer a copy
        yb, rows = y[idx], np.arange(m)
        (W1, b1, W2, b2), (gW1, gb1, gW2, gb2) = params, grads
        np.matmul(x, W1, out=h)
        h += b1
        np.maximum(h, 0, out=h)
        np.matmul(h, W2, out=p)
        p += b2
        p -= p.max(axis=1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        loss = float(-np.log(p[rows, yb] + 1e-12).sum())
        correct = int(np.count_nonzero(p.argmax(axis=1) == yb))
        p[rows, yb] -= 1
        p *= 1.0 / m  # p is now dz2
        np.matmul(h.T, p, out=gW2)
        np.sum(p, axis=0, out=gb2)
        np.matmul(p, W2.T, out=e)
        np.greater(h, 0, out=s)
        e *= s  # e is now dz1
        np.matmul(x.T, e, out=gW1)
        np.sum(e, axis=0, out=gb1)
        t = next(steps)
        if update == "textbook":
            adam_textbook(params, grads, ms, vs, t)
        elif update == "per_layer":
            for args in zip(params, grads, ms, vs, tmps, strict=True):
                adam_inplace(*args, t)
        else:
            adam_inplace(flat_p, flat_g, flat_m, flat_v, flat_tmp, t)
        return loss, correct

    return epochs(shuffle, step)


def nn_core_fit(X, y):  # 6
    from nn_core.recipe import Recipe

    recipe = Recipe(hidden=(HIDDEN,), learning_rate=LEARNING_RATE, batch_size=BATCH, epochs=1,
                    seed=SEED)
    net = recipe.network(N_IN, N_OUT)

    def epoch(n):
        history = recipe.fit(net, X[:n], y[:n])
        return history.loss[-1], history.accuracy[-1]

    return epoch


def gemm_limit(X, y):  # G: the five products of each step, nothing else
    (W1, _, W2, _), _ = setup()
    H, Z, dH = (np.empty((BATCH, k), np.float32) for k in (HIDDEN, N_OUT, HIDDEN))
    gW1, gW2 = np.empty_like(W1), np.empty_like(W2)

    def epoch(n):
        for start in range(0, n, BATCH):
            x = X[start : start + BATCH]
            h, z, dh = H[: len(x)], Z[: len(x)], dH[: len(x)]
            np.matmul(x, W1, out=h)
            np.matmul(h, W2, out=z)
            np.matmul(h.T, z, out=gW2)
            np.matmul(z, W2.T, out=dh)
            np.matmul(x.T, dh, out=gW1)
        return None, None

    return epoch


FACTORIES = {
    "0": textbook, "1": lambda X, y: textbook(X, y, np.float32),
    "2": lambda X, y: textbook(X, y, np.float32, lean=True),
    "3": lambda X, y: preallocated(X, y, "textbook"),
    "4": lambda X, y: preallocated(X, y, "per_layer"),
    "5": lambda X, y: preallocated(X, y, "flat"), "6": nn_core_fit, "G": gemm_limit,
}


def worker(variant: str) -> dict:
    X, y = synthetic_data(N_ROWS, N_IN, N_OUT)
    epoch = FACTORIES[variant](X, y)
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    epoch(WARMUP_BATCHES * BATCH)
    faults1, cpu, wall = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.process_time(), time.perf_counter()
    loss, accuracy = epoch(N_ROWS)
    seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"variant": variant, "seconds": seconds, "cpu_seconds": cpu, "loss": loss,
            "accuracy": accuracy, "warmup_minor_faults": faults1 - faults0,
            "minor_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults1,
            "load_average": list(os.getloadavg()), "blas": blas_info()}


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return {**env, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_one(variant: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", variant], capture_output=True,
                          text=True, env=env, timeout=1800, check=False)
    if done.returncode != 0:
        return {"variant": variant, "ok": False, "error": done.stderr.strip()[-500:]}
    return {"ok": True, **json.loads(done.stdout.strip().splitlines()[-1])}


def summarize(runs: list[dict]) -> dict:
    """Per variant: spread of wall and CPU seconds, medians of the rest."""
    keys, out = ("minor_faults", "warmup_minor_faults", "loss", "accuracy"), {}
    for v in VARIANTS:
        rs = [r for r in runs if r["variant"] == v and r["ok"] and not r["pinned"]]
        pinned = [r for r in runs if r["variant"] == v and r["ok"] and r["pinned"]]
        if rs:
            out[v] = {**spread([r["seconds"] for r in rs]), "cpu": spread([r["cpu_seconds"] for r in rs]),
                      **{k: statistics.median(r[k] for r in rs) for k in keys if rs[0][k] is not None}}
            out[v]["pinned"] = {k: pinned[0][k] for k in ("seconds", "minor_faults")} if pinned else None
    return out


def report(summary: dict, machine: dict, runs: list[dict], rounds: int) -> str:
    """Markdown; savings and ratios of medians, wall (CPU): a single-threaded worker's CPU
    time does not count the time it waits for a core, so it is steadier on a busy machine."""
    gemm = summary.get("G", {"median": math.nan, "cpu": {"median": math.nan}})
    loads, previous = [r["load_average"][0] for r in runs if r["ok"]], None
    lines = [f"# Ablation: one epoch of {N_IN}-{HIDDEN}-{N_OUT} ReLU/softmax CE, Adam, batch {BATCH}, "
             f"float32, {N_ROWS:,} rows, 1 BLAS thread ({machine['date']})", "",
             f"{machine['cpu']}, {machine['cores']} cores; Python {machine['python']}, numpy "
             f"{machine['versions']['numpy']}; load average {machine['load_average_start'][0]:.2f} "
             f"at start, {machine['load_average_end'][0]:.2f} at end, {min(loads):.1f}-{max(loads):.1f} "
             f"during the runs; {rounds} interleaved rounds.", "",
             "| step | variant | wall s / epoch, median [min-max] | CPU s, median [min-max] | "
             "saving vs previous step, wall (CPU) | x GEMM, wall (CPU) | page faults: timed epoch "
             "(warm-up) | pinned 128 KB threshold: faults, wall s | loss | acc. |", "|---" * 10 + "|"]
    for v, label in VARIANTS.items():
        s = summary.get(v)
        if s is None:
            lines.append(f"| {v} | {label} | failed |" + " |" * 7)
            continue
        c, p = s["cpu"], s["pinned"]
        saving = "" if previous is None or v == "G" else (
            f"{previous[0] - s['median']:+.3f} s ({previous[1] - c['median']:+.3f} s, "
            f"{(previous[1] - c['median']) / previous[1]:+.0%})")
        cells = [v, label, f"{s['median']:.3f} [{s['min']:.3f}-{s['max']:.3f}]",
                 f"{c['median']:.3f} [{c['min']:.3f}-{c['max']:.3f}]", saving,
                 f"{s['median'] / gemm['median']:.2f} ({c['median'] / gemm['cpu']['median']:.2f})",
                 f"{s['minor_faults']:,.0f} ({s['warmup_minor_faults']:,.0f})",
                 f"{p['minor_faults']:,}, {p['seconds']:.3f} s" if p else "-",
                 *((f"{s['loss']:.4f}", f"{s['accuracy']:.3f}") if "loss" in s else ("-", "-"))]
        lines.append("| " + " | ".join(cells) + " |")
        previous = s["median"], c["median"]
    losses = [s["loss"] for v, s in summary.items() if v != "G"]
    gap, ceiling = max(losses) / min(losses) - 1, 0.9 * math.log(N_OUT)
    ok = gap < 0.03 and max(losses) < ceiling and len(losses) == len(VARIANTS) - 1
    lines += ["", f"Maths check {'OK' if ok else 'FAILED'}: epoch losses of 0-6 within "
              f"{gap:.2%} of each other, all below 0.9 ln(10) = {ceiling:.3f}: {max(losses) < ceiling}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=VARIANTS, help="time one variant, print JSON")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    env = child_env()
    machine, started, runs = machine_info(env), time.perf_counter(), []
    machine["libc"] = " ".join(platform.libc_ver())  # the malloc whose page faults we count
    for r in range(args.rounds):
        for v in VARIANTS:  # interleaved: 0 1 2 3 4 5 6 G, 0 1 2 ...
            runs.append({"round": r, "pinned": False, **run_one(v, env)})
            shown = f"{runs[-1]['seconds']:.3f} s" if runs[-1]["ok"] else runs[-1]["error"]
            print(f"round {r + 1}/{args.rounds} {v}: {shown}", file=sys.stderr, flush=True)
    pinned = {**env, "MALLOC_MMAP_THRESHOLD_": "131072"}  # glibc's default value, made static
    runs += [{"round": None, "pinned": True, **run_one(v, pinned)} for v in VARIANTS]
    machine.update(load_average_end=list(os.getloadavg()), seconds=time.perf_counter() - started)
    summary = summarize(runs)
    text = report(summary, machine, runs, args.rounds)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "variants": VARIANTS, "rounds": args.rounds,
                                    "warmup_batches": WARMUP_BATCHES, "summary": summary,
                                    "report": text, "runs": runs}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
