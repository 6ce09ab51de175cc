"""Swap one import: nn_core's MLPClassifier/MLPRegressor against scikit-learn's.

    python bench/sklearn_dropin.py [--rounds 5] [--tasks digits moons ...]
                                   [--out bench/results/sklearn_dropin.json]

What it measures
    The same scikit-learn code run twice, once after
    ``from sklearn.neural_network import MLPClassifier, MLPRegressor`` and once after
    ``from nn_core import MLPClassifier, MLPRegressor``: default parameters
    (``hidden_layer_sizes=(100,)``, ReLU, Adam, ``max_iter=200``, ``tol=1e-4``),
    ``random_state`` = the round number, in a ``StandardScaler`` pipeline, scored
    by 5-fold cross-validation (stratified for the classifiers, shuffled, fixed
    folds). Per task: the mean held-out score over the folds (accuracy, or R^2)
    and the total time of the five ``fit`` calls, as CPU time of the process
    (``time.process_time``) and as wall time.

    * ``digits``: scikit-learn's 8x8 digits, 1,797 images, 10 classes;
    * ``moons``: ``make_moons(2000, noise=0.25)``, 2 classes (one logistic unit);
    * ``friedman1``: ``make_friedman1(2000, noise=1.0)``, regression, 10 features;
    * ``diabetes``: scikit-learn's diabetes regression set, 442 rows
      (``max_iter=1000``: 200 Adam epochs leave both far from converged);
    * ``friedman1-lbfgs``: friedman1 with ``solver="lbfgs"`` (scipy's L-BFGS-B over
      each library's own objective and gradient).

How to read it
    Each (round, task, system) is a fresh process, so neither library warms the
    other's caches; rounds are interleaved (systems alternate, their order rotated
    each round) so that slow spells of a busy machine spread over both. The table
    shows medians over rounds [min-max]; "speed-up" is scikit-learn's median fit time
    over nn_core's. The table's times are CPU times: with one thread per process they
    are the work done, and unlike wall time they do not grow while other processes
    hold the CPU (this development machine is shared; each run's load average is
    recorded, and the wall-time speed-up is shown next to it). Every child runs with
    one BLAS/OpenMP thread and without ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``, so that
    OpenBLAS picks its kernels for this CPU (see bench/speed.py); the parent's own
    environment is left alone. Both libraries get float64 input (scikit-learn's
    default after ``StandardScaler``), so both train in float64.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_OUT = HERE / "results" / "sklearn_dropin.json"
SYSTEMS = ("nn_core", "sklearn")
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
UNSET_IN_CHILDREN = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
#: task -> (kind, estimator parameters beyond the defaults)
TASKS: dict[str, tuple[str, dict]] = {
    "digits": ("classification", {}),
    "moons": ("classification", {}),
    "friedman1": ("regression", {}),
    "diabetes": ("regression", {"max_iter": 1000}),
    "friedman1-lbfgs": ("regression", {"solver": "lbfgs"}),
}


# ------------------------------------------------------------------- child side
def load(task: str):
    from sklearn.datasets import load_diabetes, load_digits, make_friedman1, make_moons

    if task == "digits":
        return load_digits(return_X_y=True)
    if task == "moons":
        return make_moons(2000, noise=0.25, random_state=0)
    if task.startswith("friedman1"):
        return make_friedman1(2000, noise=1.0, random_state=0)
    if task == "diabetes":
        return load_diabetes(return_X_y=True)
    raise ValueError(f"unknown task {task!r}")


def measure(system: str, task: str, seed: int) -> dict:
    """Cross-validate one task with one library's estimators (in this process)."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if system == "nn_core":
        sys.path.insert(0, str(REPO))
        from nn_core import MLPClassifier, MLPRegressor
    else:
        from sklearn.neural_network import MLPClassifier, MLPRegressor

    kind, params = TASKS[task]
    X, y = load(task)
    X = X.astype(np.float64)
    folds = (StratifiedKFold if kind == "classification" else KFold)(
        n_splits=5, shuffle=True, random_state=0)
    estimator = MLPClassifier if kind == "classification" else MLPRegressor
    scores, fit_seconds, fit_cpu_seconds, n_iter = [], 0.0, 0.0, []
    for train, test in folds.split(X, y):
        model = make_pipeline(StandardScaler(), estimator(random_state=seed, **params))
        started, started_cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[train], y[train])
        fit_cpu_seconds += time.process_time() - started_cpu
        fit_seconds += time.perf_counter() - started
        scores.append(float(model.score(X[test], y[test])))
        n_iter.append(int(model[-1].n_iter_))
    return {"ok": True, "system": system, "task": task, "seed": seed,
            "score": float(np.mean(scores)), "fold_scores": scores,
            "fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu_seconds, "n_iter": n_iter,
            "load": os.getloadavg()[0]}


# ------------------------------------------------------------------ parent side
def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET_IN_CHILDREN}
    env.update({name: "1" for name in THREAD_ENV})
    return env


def run_child(system: str, task: str, seed: int, timeout: float = 1800.0) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", system, task, str(seed)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=REPO, env=child_env(), check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "system": system, "task": task, "seed": seed,
                "error": f"timeout {timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return {"ok": False, "system": system, "task": task, "seed": seed,
                "error": f"exit {done.returncode}: {tail}"}
    return json.loads(lines[-1])


def plan(rounds: int, tasks: list[str]) -> list[tuple[int, str, str]]:
    """(round, task, system) in run order: systems alternate, rotated every round."""
    order = []
    for r in range(rounds):
        rotated = SYSTEMS[r % 2:] + SYSTEMS[: r % 2]
        order += [(r, task, system) for task in tasks for system in rotated]
    return order


def summarise(runs: list[dict], tasks: list[str]) -> dict:
    summary = {}
    for task in tasks:
        row = {}
        for system in SYSTEMS:
            done = [r for r in runs if r.get("ok") and r["task"] == task and r["system"] == system]
            if not done:
                continue
            seconds = [r["fit_seconds"] for r in done]
            cpu = [r["fit_cpu_seconds"] for r in done]
            scores = [r["score"] for r in done]
            row[system] = {
                "score_median": statistics.median(scores), "score_min": min(scores),
                "score_max": max(scores), "fit_seconds_median": statistics.median(seconds),
                "fit_seconds_min": min(seconds), "fit_seconds_max": max(seconds),
                "fit_cpu_seconds_median": statistics.median(cpu),
                "fit_cpu_seconds_min": min(cpu), "fit_cpu_seconds_max": max(cpu),
                "n_iter_median": statistics.median(i for r in done for i in r["n_iter"]),
                "rounds": len(done),
            }
        if len(row) == 2:
            row["speedup"] = row["sklearn"]["fit_cpu_seconds_median"] / row["nn_core"][
                "fit_cpu_seconds_median"]
            row["speedup_wall"] = row["sklearn"]["fit_seconds_median"] / row["nn_core"][
                "fit_seconds_median"]
        summary[task] = row
    return summary


def table(summary: dict) -> str:
    lines = [
        "| task | metric | nn_core score | scikit-learn score | nn_core fit, CPU s (5 folds) "
        "| scikit-learn fit, CPU s | speed-up | (wall time) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task, row in summary.items():
        if "speedup" not in row:
            continue
        ours, theirs = row["nn_core"], row["sklearn"]
        metric = "accuracy" if TASKS[task][0] == "classification" else "R^2"

        def score(s, metric=metric):
            if metric == "accuracy":
                return f"{100 * s['score_median']:.1f}% [{100 * s['score_min']:.1f}-" \
                       f"{100 * s['score_max']:.1f}]"
            return f"{s['score_median']:.3f} [{s['score_min']:.3f}-{s['score_max']:.3f}]"

        def secs(s):
            return f"{s['fit_cpu_seconds_median']:.2f} [{s['fit_cpu_seconds_min']:.2f}-" \
                   f"{s['fit_cpu_seconds_max']:.2f}]"

        lines.append(f"| {task} | {metric} | {score(ours)} | {score(theirs)} | {secs(ours)} "
                     f"| {secs(theirs)} | **{row['speedup']:.1f}x** "
                     f"| {row['speedup_wall']:.1f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--child", nargs=3, metavar=("SYSTEM", "TASK", "SEED"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        system, task, seed = args.child
        print(json.dumps(measure(system, task, int(seed))))
        return 0

    runs = []
    order = plan(args.rounds, args.tasks)
    for i, (r, task, system) in enumerate(order, start=1):
        result = run_child(system, task, seed=r)
        result["round"] = r
        runs.append(result)
        shown = (f"score {result['score']:.4f}, fit {result['fit_cpu_seconds']:.2f} s CPU, "
                 f"{result['fit_seconds']:.2f} s wall"
                 if result.get("ok") else result.get("error"))
        print(f"[{i}/{len(order)}] round {r + 1} {task:16s} {system:8s} {shown}",
              file=sys.stderr, flush=True)
    summary = summarise(runs, args.tasks)
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python bench/sklearn_dropin.py " + " ".join(argv or sys.argv[1:]),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {name: importlib.metadata.version(name)
                     for name in ("numpy", "scipy", "scikit-learn")},
        "child_environment": {"threads": 1, "unset": list(UNSET_IN_CHILDREN),
                              "parent_had": {k: os.environ[k] for k in UNSET_IN_CHILDREN
                                             if k in os.environ}},
        "protocol": "5-fold CV, StandardScaler + default MLP, random_state = round",
        "tasks": {task: {"kind": TASKS[task][0], "params": TASKS[task][1]} for task in args.tasks},
        "summary": summary,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(summary))
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0 if all(r.get("ok") for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
