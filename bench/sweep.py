"""Sweep wall time: a 16-config digits sweep on 1 and 2 local workers and on a
2-worker Dask LocalCluster, and what each task costs beyond its training.

    python bench/sweep.py [--rounds 3] [--out bench/results/sweep.json]

What it measures
    The sweep: ``nn_core.sweep.run_sweep`` over hidden (64,)/(256,) x learning rate
    0.001/0.01 x optimizer SGD/Adam x batch 32/64 (16 configs), 30 epochs each, on
    the bundled digits. Backends:

    * ``local-1``, ``local-2``: a fresh pool of 1 or 2 local processes per sweep (what
      the Sweep page does), so the wall time includes starting the pool;
    * ``dask-2``: a LocalCluster of 2 worker processes (1 thread each, 127.0.0.1),
      started once; the first round also loads the digits on each worker.

    For each: the wall time, the sum of the configs' own ``train_seconds`` (the
    training), and the overhead per task, ``(wall x workers - training) / tasks``:
    the time a worker spends on a task other than training it (dispatch, results,
    and its share of starting up). Separately, ``start``: a sweep of one 1-epoch
    config per worker (pool start-up plus a trivial task; for Dask, the cluster's
    own start and its first, cold sweep are recorded apart), and the ``dispatch``
    overhead per task from 64 tiny configs (one epoch of a 4-unit network):
    ``((wall - start) x workers - training) / 64``.

How to read it
    Rounds are interleaved (local-1, local-2, dask-2, then rotated) so a slow spell
    of a busy machine spreads over all three; the summary gives the median [min-max]
    and the JSON keeps every run with the load average at its start. Each config
    trains with one BLAS thread on every backend, so the accuracies are identical
    (the script checks) and only the time differs.

What it does not control
    Other processes on the machine (compare the load averages before trusting a
    spread), and CPU frequency. The machine this ran on has 2 cores, so 2 workers
    is the most that helps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nn_core.sweep import GRID_KEYS, run_sweep, worker_dataset  # noqa: E402

GRID = {
    "hidden": [(64,), (256,)],
    "learning_rate": [1e-3, 1e-2],
    "optimizer": ["sgd", "adam"],
    "batch_size": [32, 64],
}
EPOCHS = 30
TINY = [{"hidden": (4,), "epochs": 1, "batch_size": 256, "seed": s} for s in range(64)]
BACKENDS = ("local-1", "local-2", "dask-2")
SAME = (*GRID_KEYS, "status", "val_accuracy", "test_accuracy", "epochs_done", "index")


def timed(grid, scheduler, n_jobs, epochs=EPOCHS):
    load = os.getloadavg()
    started = time.perf_counter()
    results = run_sweep(grid, dataset="digits", epochs=epochs, scheduler=scheduler, n_jobs=n_jobs)
    wall = time.perf_counter() - started
    return wall, results, load


def measure(backend: str, client) -> dict:
    scheduler = client if backend.startswith("dask") else None
    n_jobs = None if scheduler else int(backend.split("-")[1])
    workers = 2 if scheduler else n_jobs
    start_wall, _, _ = timed([{"hidden": (4,), "epochs": 1}] * workers, scheduler, n_jobs)
    tiny_wall, tiny, _ = timed(TINY, scheduler, n_jobs)
    wall, results, load = timed(GRID, scheduler, n_jobs)
    training = sum(r["train_seconds"] for r in results)
    tiny_training = sum(r["train_seconds"] for r in tiny)
    return {
        "backend": backend,
        "workers": workers,
        "load_average": load,
        "wall_seconds": wall,
        "training_seconds": training,
        "overhead_per_task_seconds": (wall * workers - training) / len(results),
        "start_seconds": start_wall,
        "dispatch_per_task_seconds": ((tiny_wall - start_wall) * workers - tiny_training) / len(tiny),
        "workers_used": sorted({r["worker"] for r in results}),
        "results": [{k: r[k] for k in SAME} for r in results],
    }


def summarize(runs: list[dict]) -> dict:
    summary = {}
    for backend in BACKENDS:
        mine = [r for r in runs if r["backend"] == backend]
        if not mine:
            continue
        summary[backend] = {
            key: {"median": statistics.median(r[key] for r in mine),
                  "min": min(r[key] for r in mine), "max": max(r[key] for r in mine)}
            for key in ("wall_seconds", "training_seconds", "overhead_per_task_seconds",
                        "start_seconds", "dispatch_per_task_seconds")
        }
    return summary


def table(summary: dict, cluster_start: float) -> str:
    def cell(stats, scale=1.0, digits=2):
        return (f"{stats['median'] * scale:.{digits}f} "
                f"[{stats['min'] * scale:.{digits}f}-{stats['max'] * scale:.{digits}f}]")

    lines = ["| backend | 16-config wall (s) | training (s) | overhead/task (ms) | start (s) "
             "| dispatch/task (ms) |", "|---|---|---|---|---|---|"]
    for backend, s in summary.items():
        lines.append(
            f"| {backend} | {cell(s['wall_seconds'])} | {cell(s['training_seconds'])} | "
            f"{cell(s['overhead_per_task_seconds'], 1e3, 0)} | {cell(s['start_seconds'])} | "
            f"{cell(s['dispatch_per_task_seconds'], 1e3, 1)} |"
        )
    lines.append(f"\nLocalCluster (2 workers) started in {cluster_start:.2f} s.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "sweep.json"))
    args = parser.parse_args()

    import distributed

    started = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
        dashboard_address="127.0.0.1:0", silence_logs=40,
    )
    client = distributed.Client(cluster)
    cluster_start = time.perf_counter() - started
    # Warm-ups, timed but kept out of the rounds: this process loads the digits once (it
    # hands them to every local pool), and each Dask worker loads them on its first task.
    started = time.perf_counter()
    worker_dataset("digits")
    parent_load = time.perf_counter() - started
    cold_wall, _, _ = timed([{"hidden": (4,), "epochs": 1}] * 2, client, None)
    runs = []
    try:
        for round_ in range(args.rounds):
            order = BACKENDS[round_ % 3:] + BACKENDS[:round_ % 3]
            for backend in order:
                run = measure(backend, client)
                run["round"] = round_
                runs.append(run)
                print(f"round {round_} {backend}: {run['wall_seconds']:.2f} s "
                      f"(load {run['load_average'][0]:.2f})", flush=True)
    finally:
        client.close()
        cluster.close()
    reference = runs[0]["results"]
    identical = all(r["results"] == reference for r in runs)
    summary = summarize(runs)
    report = {
        "command": f"python bench/sweep.py --rounds {args.rounds}",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "grid": {k: [list(v) if isinstance(v, tuple) else v for v in vals]
                 for k, vals in GRID.items()},
        "epochs": EPOCHS,
        "cluster_start_seconds": cluster_start,
        "cluster_first_sweep_seconds": cold_wall,
        "parent_dataset_load_seconds": parent_load,
        "identical_results_across_backends": identical,
        "summary": summary,
        "runs": [{k: v for k, v in r.items() if k != "results"} for r in runs],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(table(summary, cluster_start))
    print(f"The cluster's first (cold) sweep of 2 trivial configs: {cold_wall:.2f} s "
          "(each worker loads the digits once).")
    print(f"identical accuracies on every backend and round: {identical}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
