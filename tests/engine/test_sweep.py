"""nn_core.sweep on this machine: configs, one config's training, the local process pool.

A sweep's result for a config must be the run the Train page makes with those
settings (same network, same validation rows, same accuracies, bit for bit), and the
pool must give the same numbers as training in this process. The Dask backend is
tested on a real LocalCluster in test_sweep_dask.py.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nn_core import sweep
from nn_core.sweep import (
    DEFAULTS,
    GRID_KEYS,
    RESULT_KEYS,
    expand_grid,
    makespan,
    run_config,
    run_sweep,
    start_sweep,
    train_config,
)
from playground.common.runs import TrainingRun
from playground.common.vocab import TrainConfig

# What is compared across backends: everything but where and how fast.
SAME_KEYS = (*GRID_KEYS, "status", "val_accuracy", "test_accuracy", "epochs_done", "index")


def comparable(results):
    return [{k: r[k] for k in SAME_KEYS} for r in results]


# --------------------------------------------------------------------------- configs


def test_a_grid_is_the_full_product_last_key_fastest_with_defaults_filled_in():
    configs = expand_grid({"hidden": [(16,), 64], "learning_rate": [1e-3, 1e-2, 0.1]},
                          {"epochs": 5})
    assert len(configs) == 6
    assert [(c["hidden"], c["learning_rate"]) for c in configs[:3]] == [
        ((16,), 1e-3), ((16,), 1e-2), ((16,), 0.1)]
    assert configs[3]["hidden"] == (64,)  # a bare size is a one-layer network
    assert all(c["epochs"] == 5 and c["optimizer"] == DEFAULTS["optimizer"] for c in configs)
    assert all(set(c) == set(GRID_KEYS) for c in configs)


def test_a_list_of_configs_is_a_random_search_each_completed():
    configs = expand_grid([{"learning_rate": 0.05, "seed": 3}, {"hidden": (32, 16)}])
    assert configs[0]["learning_rate"] == 0.05 and configs[0]["seed"] == 3
    assert configs[1]["hidden"] == (32, 16) and configs[1]["learning_rate"] == DEFAULTS["learning_rate"]


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"lr": [0.1]}, "unknown setting 'lr'"),
        ({"learning_rate": [0]}, "learning_rate must be a positive number"),
        ({"optimizer": ["adamw"]}, "optimizer must be one of"),
        ({"hidden": [(64, 0)]}, "hidden must be a positive whole number"),
        ({"batch_size": [2.5]}, "batch_size must be a positive whole number"),
        ({"l2": [-1e-3]}, "l2 must be a 0 or positive number"),
        ({"seed": [-1]}, "seed must be a whole number"),
        ({"epochs": []}, "epochs has no values"),
        ([], "the grid has no configs"),
        ("learning_rate", "grid must be a dict of lists or a list of dicts"),
    ],
)
def test_a_bad_grid_is_refused_naming_the_problem(grid, message):
    with pytest.raises(ValueError, match=message):
        expand_grid(grid)


def test_the_validation_split_is_the_recipes():
    from nn_core import recipe

    assert sweep.split_validation is recipe.split_validation
    assert sweep.VALIDATION_FRACTION is recipe.VALIDATION_FRACTION
    train, val = sweep.split_validation(1347, 0.1, 7)
    assert len(val) == 135 and len(np.intersect1d(train, val)) == 0
    assert len(np.union1d(train, val)) == 1347


# --------------------------------------------------------------------------- one config


def test_a_config_gives_the_train_pages_run_bit_for_bit(digits):
    settings = {"hidden": (32,), "optimizer": "sgd", "learning_rate": 0.1, "epochs": 4,
                "batch_size": 16, "l2": 1e-4, "seed": 5}
    result = train_config(settings, digits)
    run = TrainingRun(TrainConfig(**settings), digits)
    run.run_to_end()
    assert result["status"] == "ok" and result["epochs_done"] == 4
    assert result["test_accuracy"] == run.test_accuracy
    assert result["val_accuracy"] == run.history.val_accuracy[-1]
    # And it learned something: measured 92% validation accuracy.
    assert result["val_accuracy"] > 0.85


def test_a_diverging_config_reports_it_and_a_broken_one_never_raises(digits):
    diverged = train_config({"optimizer": "adam", "learning_rate": 1.0, "epochs": 3}, digits)
    assert diverged["status"] == "diverged" and diverged["epochs_done"] < 3
    broken = run_config(4, {"activation": "swish"}, "digits")
    assert broken["status"].startswith("error: ValueError: activation must be one of")
    assert broken["index"] == 4 and broken["val_accuracy"] is None and broken["worker"]


# --------------------------------------------------------------------------- local pool


@pytest.mark.subprocess
def test_a_local_sweep_streams_results_from_other_processes_equal_to_in_process_training(digits):
    grid = {"hidden": [(16,), (64,)], "learning_rate": [1e-2, 1.0]}
    seen = []
    started = time.perf_counter()
    results = run_sweep(grid, dataset="digits", epochs=4, n_jobs=2,
                        progress=lambda done, total, r: seen.append((done, total, r)))
    print(f"4 configs on 2 local processes: {time.perf_counter() - started:.2f} s")
    assert [done for done, _, _ in seen] == [1, 2, 3, 4] and {t for _, t, _ in seen} == {4}
    assert len(results) == 4 and [r["index"] for r in results] == [0, 1, 2, 3]
    assert all(set(RESULT_KEYS) <= set(r) for r in results)
    here = [{**train_config(c, digits), "index": i}
            for i, c in enumerate(expand_grid(grid, {"epochs": 4}))]
    assert comparable(results) == comparable(here)
    assert [r["status"] for r in results] == ["ok", "diverged", "ok", "diverged"]
    pids = {int(r["worker"].rsplit(":", 1)[1]) for r in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


@pytest.mark.subprocess
def test_a_local_sweep_by_name_or_with_the_dataset_is_the_same(digits):
    grid = [{"hidden": (16,), "epochs": 2, "seed": s} for s in (0, 1)]
    assert comparable(run_sweep(grid, dataset=digits, n_jobs=1)) == comparable(
        run_sweep(grid, dataset="digits", n_jobs=1))
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        run_sweep(grid, dataset="cifar")
    with pytest.raises(ValueError, match="n_jobs must be a positive whole number"):
        run_sweep(grid, n_jobs=0)


@pytest.mark.subprocess
def test_cancelling_a_local_sweep_stops_the_running_and_pending_configs():
    slow = [{"hidden": (256, 256), "batch_size": 8, "epochs": 100, "seed": s} for s in range(6)]
    handle = start_sweep(slow, n_jobs=2)
    assert not handle.done and handle.total == 6
    time.sleep(0.5)
    started = time.perf_counter()
    handle.cancel()
    assert handle.wait(30), "cancel didn't end the sweep"
    print(f"cancel took {time.perf_counter() - started:.2f} s")
    # Each config takes about a minute here: none can have finished.
    assert handle.cancelled and handle.completed == 0 and handle.error is None


def _pool_workers(psutil):
    """This process's loky worker processes that are still running."""
    workers = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "popen_loky" in " ".join(child.cmdline()) and child.status() != "zombie":
                workers.append(child)
        except psutil.NoSuchProcess:
            pass
    return workers


@pytest.mark.subprocess
def test_a_cancel_kills_the_worker_processes_at_once():
    """A cancel ends the running configs' processes (loky's public shutdown with
    kill_workers), not only the sweep's wait: they would otherwise train for minutes."""
    psutil = pytest.importorskip("psutil")
    earlier = {p.pid for p in _pool_workers(psutil)}
    slow = [{"hidden": (256, 256), "batch_size": 8, "epochs": 100, "seed": s} for s in range(4)]
    handle = start_sweep(slow, n_jobs=2)
    deadline = time.perf_counter() + 30
    while len(workers := [p for p in _pool_workers(psutil) if p.pid not in earlier]) < 2:
        assert time.perf_counter() < deadline, "the pool's two workers never started"
        time.sleep(0.05)
    time.sleep(0.3)  # both are training a config now
    handle.cancel()
    assert handle.wait(30) and handle.error is None and handle.completed == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], f"still running after the cancel: {alive}"


@pytest.mark.subprocess
def test_a_cancel_while_the_configs_go_out_stops_them_cleanly():
    handle = start_sweep([{"hidden": (16,), "epochs": 50, "seed": s} for s in range(40)], n_jobs=2)
    handle.cancel()  # at once: the sweep's thread is still starting the pool
    assert handle.wait(30) and handle.cancelled and handle.error is None


@pytest.mark.subprocess
@pytest.mark.slow
def test_run_sweep_stops_when_its_cancel_event_is_set():
    stop = threading.Event()
    configs = [{"hidden": (16,), "epochs": 2, "seed": 0}] + [
        {"hidden": (256, 256), "batch_size": 8, "epochs": 100, "seed": s} for s in range(3)]

    def progress(done, total, result):
        stop.set()  # after the first (quick) result

    results = run_sweep(configs, n_jobs=1, progress=progress, cancel=stop)
    assert [r["index"] for r in results] == [0]


# --------------------------------------------------------------------------- budgets


def test_a_local_worker_loads_the_kernels_before_its_first_config(tmp_path):
    """The pool's initializer loads every compiled kernel (numba's public ``signatures``:
    float32 and float64), so the first config's ``train_seconds`` does not pay for it."""
    import subprocess
    import sys

    code = (
        "import sys; from nn_core import kernels, sweep, datasets\n"
        "before = len(kernels.adam_step.signatures)\n"
        "sweep._start_worker(datasets.load('digits'), sys.argv[1])\n"
        "print(before, *(len(k.signatures) for k in (kernels.adam_step, kernels.bias_relu,"
        " kernels.relu_backward_bias, kernels.softmax_cross_entropy)))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "NN_CORE_KERNELS"}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=repo, env=env, check=True)
    assert done.stdout.split() == ["0", "2", "2", "2", "2"]
    assert len(list(tmp_path.iterdir())) == 1  # and it signed the roll, by its PID


def test_makespan_hands_the_longest_jobs_out_first():
    assert makespan([3, 3, 2, 2, 2], 2) == 7  # {3, 2, 2} and {3, 2}
    assert makespan([5, 1, 1], 3) == 5
    assert makespan([1.0] * 8, 1) == 8


def test_a_configs_time_is_its_batches_times_a_batchs_time(digits):
    config = {"epochs": 10, "batch_size": 100}
    assert sweep.config_seconds(config, 1212, 0.002) == pytest.approx(10 * 13 * 0.002)
    small, big = (sweep.batch_seconds(digits, hidden, 64) for hidden in ((8,), (512, 512)))
    print(f"one batch of 64: {small * 1e3:.2f} ms (8 units), {big * 1e3:.2f} ms (512-512)")
    assert 0 < small < 1 and 0 < big < 1


def test_a_batchs_time_is_this_threads_cpu_time_not_the_wall_clock(digits, monkeypatch):
    """In the app's server another session's training takes the GIL in turns: a wall-clock
    measure counted its work too (the Sweep page's estimate was 4-6x too high). So the
    batch is timed on this thread's CPU clock: here the wall clock runs 1,000 times
    faster than it (as if other threads held the core), and the measure follows the CPU
    clock. (Beside a real busy thread the CPU measure still rose 1.5-7x in clean CI runs:
    GIL hand-offs cost this thread too; the Sweep estimate's own test covers the result.)"""
    import types

    ticks = {"cpu": 0.0, "wall": 0.0}

    def thread_time():
        ticks["cpu"] += 1e-4
        return ticks["cpu"]

    def perf_counter():
        ticks["wall"] += 0.1
        return ticks["wall"]

    fake = types.SimpleNamespace(thread_time=thread_time, perf_counter=perf_counter,
                                 monotonic=perf_counter, time=perf_counter)
    monkeypatch.setattr(sweep, "time", fake)
    seconds = sweep.batch_seconds(digits, (64,), 32)
    assert 0 < seconds <= 1e-4  # one CPU tick over the batches timed, not 0.1 s of wall


@pytest.mark.subprocess
def test_without_dask_a_scheduler_sweep_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(sweep.SweepError, match=r'pip install "dask\[distributed\]"'):
        run_sweep({"seed": [0]}, scheduler="tcp://127.0.0.1:8786")


def test_the_sweep_benchmarks_summary_and_table():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "sweep.py"
    spec = importlib.util.spec_from_file_location("bench_sweep", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert len(expand_grid(bench.GRID, {"epochs": bench.EPOCHS})) == 16

    def run(backend, wall):
        return {"backend": backend, "wall_seconds": wall, "training_seconds": 1.0,
                "overhead_per_task_seconds": 0.05, "start_seconds": 0.5,
                "dispatch_per_task_seconds": 0.01}

    summary = bench.summarize([run("local-1", 2.0), run("local-1", 4.0), run("dask-2", 1.5)])
    assert summary["local-1"]["wall_seconds"] == {"median": 3.0, "min": 2.0, "max": 4.0}
    assert "local-2" not in summary
    table = bench.table(summary, 2.5)
    assert "| local-1 | 3.00 [2.00-4.00] |" in table and "started in 2.50 s" in table
