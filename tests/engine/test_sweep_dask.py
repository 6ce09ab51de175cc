"""nn_core.sweep on a real Dask cluster: a LocalCluster of two worker processes.

The cluster listens on 127.0.0.1 only, on free ports. A sweep there must give
the local pool's results bit for bit, use both workers, load the dataset once per
worker, stop pending tasks on cancel, and survive a worker killed mid-sweep (the
scheduler runs its tasks again). scikit-learn's GridSearchCV over nn_core's
MLPClassifier runs on the same cluster through joblib's Dask backend.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

distributed = pytest.importorskip("distributed")

# Each test starts (or talks to) a Dask LocalCluster of worker processes.
pytestmark = [pytest.mark.cluster, pytest.mark.slow]

from nn_core.sweep import (  # noqa: E402
    GRID_KEYS,
    SweepError,
    expand_grid,
    run_sweep,
    start_sweep,
    train_config,
    worker_loads,
)

SAME_KEYS = (*GRID_KEYS, "status", "val_accuracy", "test_accuracy", "epochs_done", "index")
GRID = {"hidden": [(16,), (64,)], "learning_rate": [1e-2, 1.0], "optimizer": ["sgd", "adam"]}


def comparable(results):
    return [{k: r[k] for k in SAME_KEYS} for r in results]


@pytest.fixture(scope="module", autouse=True)
def plain_main():
    """Dask's nanny starts each worker with multiprocessing's spawn, which runs the parent's
    ``__main__`` again in the child. After an AppTest in the same pytest process that is
    app.py (AppTest leaves it in ``sys.modules``), and a worker running it dies at once:
    give the workers (and the one a kill makes the nanny restart) an empty ``__main__``."""
    import sys
    import types

    real = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = real


def local_cluster():
    return distributed.LocalCluster(
        # Everything on 127.0.0.1, on free ports (None would still bind HTTP to 8787).
        n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
        dashboard_address="127.0.0.1:0", silence_logs=40,
    )


@pytest.fixture(scope="module")
def client():
    started = time.perf_counter()
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        print(f"LocalCluster up in {time.perf_counter() - started:.2f} s")
        yield client


def test_eight_configs_run_on_both_workers_and_equal_the_local_run(client):
    started = time.perf_counter()
    seen = []
    results = run_sweep(GRID, dataset="digits", epochs=5, scheduler=client,
                        progress=lambda done, total, r: seen.append(done))
    print(f"8 configs on the LocalCluster: {time.perf_counter() - started:.2f} s")
    assert len(results) == 8 and seen == list(range(1, 9))
    workers = set(client.scheduler_info()["workers"])
    assert {r["worker"] for r in results} == workers  # both computed some
    assert all(r["worker"].startswith("tcp://127.0.0.1:") for r in results)
    local = run_sweep(GRID, dataset="digits", epochs=5, n_jobs=2)
    assert comparable(results) == comparable(local)
    assert [r["status"] for r in results].count("diverged") == 2  # Adam at lr 1.0
    # Each worker loaded the digits once, by name; the tasks carried only the configs.
    assert client.run(worker_loads) == {w: {"digits": 1} for w in workers}


def test_a_scheduler_address_works_like_a_client(client):
    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    configs = [{"hidden": (16,), "epochs": 2, "seed": s} for s in range(3)]
    by_address = run_sweep(configs, scheduler=address)
    assert comparable(by_address) == comparable(run_sweep(configs, scheduler=client))


def test_cancelling_stops_the_pending_tasks(client):
    slow = [{"hidden": (256, 256), "batch_size": 8, "epochs": 100, "seed": s} for s in range(8)]
    handle = start_sweep(slow, scheduler=client)
    time.sleep(0.3)
    handle.cancel()
    assert handle.wait(20)
    assert handle.cancelled and handle.completed == 0  # each takes about a minute here
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(client.processing().values()):
        time.sleep(0.1)
    # Nothing left queued: the two that were running were let go too.
    assert not any(client.processing().values())
    assert not any(key.startswith("nn-sweep") for key in client.who_has())


def test_a_worker_killed_mid_sweep_has_its_tasks_run_again():
    # Slow enough (about a second each here) that the kill lands while tasks run.
    configs = [{"hidden": (128,), "batch_size": 16, "epochs": 12, "seed": s} for s in range(4)]
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        handle = start_sweep(configs, scheduler=client)
        deadline = time.monotonic() + 30
        processing = {}
        while time.monotonic() < deadline:
            processing = {w: keys for w, keys in client.processing().items() if keys}
            if len(processing) == 2:
                break
            time.sleep(0.05)
        assert len(processing) == 2, "both workers should be running tasks"
        victim, lost = sorted(processing.items())[0]
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        assert handle.wait(60), "the sweep should finish on the remaining workers"
        results = handle.ordered()
    print(f"killed {victim}, which was running {sorted(lost)}")
    assert handle.error is None and len(results) == 4
    assert all(r["status"] == "ok" for r in results)
    lost_indices = {int(key.rsplit("-", 1)[1]) for key in lost}
    for r in results:
        if r["index"] in lost_indices:
            assert r["worker"] != victim  # computed again elsewhere
    from nn_core import datasets

    digits = datasets.load("digits")
    again = results[min(lost_indices)]
    expected = train_config(expand_grid([configs[again["index"]]])[0], digits)
    assert again["val_accuracy"] == expected["val_accuracy"]
    assert again["test_accuracy"] == expected["test_accuracy"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_gridsearchcv_over_mlpclassifier_runs_on_the_cluster(client, digits):
    import joblib
    from sklearn.model_selection import GridSearchCV

    from nn_core import MLPClassifier

    grid = {"hidden_layer_sizes": [(16,), (32,)], "learning_rate_init": [1e-3, 1e-2]}
    estimator = MLPClassifier(max_iter=15, random_state=0)
    X, y = digits.X_train, digits.y_train
    with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
        on_cluster = GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(X, y)
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    here = GridSearchCV(estimator, grid, cv=3, n_jobs=1).fit(X, y)
    assert on_cluster.best_params_ == here.best_params_
    assert list(on_cluster.cv_results_["mean_test_score"]) == list(here.cv_results_["mean_test_score"])
    # Measured 94.7% mean accuracy over the folds for the best of the four.
    assert on_cluster.best_score_ > 0.9


def test_an_unreachable_scheduler_is_reported_within_the_timeout():
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(SweepError, match="Couldn't reach the Dask scheduler at tcp://127.0.0.1"):
        start_sweep({"seed": [0]}, scheduler=f"tcp://127.0.0.1:{port}", timeout=1.0)
    seconds = time.perf_counter() - started
    print(f"an unreachable scheduler was reported after {seconds:.2f} s")
    assert seconds < 10  # the timeout is 1 s; 10x loose, only to catch a hang
