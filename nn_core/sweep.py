"""Hyperparameter sweeps: many settings trained by the engine, here or on a Dask cluster.

``run_sweep(grid, dataset="digits", ...)`` trains one network per config with the
project's one training recipe (``nn_core.recipe.Recipe.start``: the network, the
validation split and the trainer the app's Train page uses too) and returns one
result dict per config: its settings plus ``val_accuracy``, ``test_accuracy``,
``train_seconds``, ``worker`` and ``status``. ``start_sweep`` does the same without
blocking and returns a :class:`Sweep` handle to poll (``results()``, ``done``,
``cancel()``): what the app's Sweep page uses.

Where it runs:

* ``scheduler=None``: a pool of ``n_jobs`` local processes (joblib's loky: fresh
  interpreters, safe to start from a threaded server such as Streamlit's).
* ``scheduler="tcp://host:8786"`` or a ``distributed.Client``: every config is one
  Dask task. Only the config travels: each worker loads the dataset by name, once,
  from its own disk (or scikit-learn's bundled digits) and keeps it for later tasks.
  Results stream back as tasks finish; ``cancel()`` cancels the pending tasks. A worker
  that dies takes its running tasks with it; the scheduler runs them again elsewhere.

Every task trains with one BLAS thread, and a config's network, batch order and
validation rows all come from its ``seed``. So a config gives the same accuracies,
bit for bit, on any backend, and the same as any other user of the recipe (the app's
Train page) with those settings.

What it trades away: a config that is already running when a sweep is cancelled runs
to its end on a Dask worker (its result is dropped); local processes are terminated.
The local pool does not retry a config whose process died; it reports an error.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import math
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .recipe import DEFAULT, VALIDATION_FRACTION, Recipe, split_validation

#: The settings a sweep may vary: the recipe's fields.
GRID_KEYS = tuple(f.name for f in dataclasses.fields(Recipe))
#: Every result has these keys besides the config's.
RESULT_KEYS = ("val_accuracy", "test_accuracy", "train_seconds", "worker")
#: Settings a config doesn't name: the recipe's defaults.
DEFAULTS: dict[str, Any] = {key: getattr(DEFAULT, key) for key in GRID_KEYS}
OK = "ok"
DIVERGED = "diverged"
DASK_MISSING = (
    'Running a sweep on a Dask scheduler needs dask.distributed: pip install "dask[distributed]"'
)
_POLL_SECONDS = 0.05
_CANCELLED = "cancelled"  # the mark a cancel leaves in a local pool's roll of workers

ProgressCallback = Callable[[int, int, dict], None]


class SweepError(RuntimeError):
    """The sweep as a whole could not run (no Dask, an unreachable scheduler...)."""


# --------------------------------------------------------------------------- configs


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{key} must be a positive whole number, got {value!r}")
    return int(value)


def _hidden(value: Any) -> tuple[int, ...]:
    sizes = (value,) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
        raise ValueError(f"hidden must be a layer size or a tuple of them such as (64, 32), got {value!r}")
    return tuple(_positive_int("hidden", size) for size in sizes)


def _choice(key: str, value: Any, options: Iterable[str]) -> str:
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{key} must be one of {', '.join(options)}, got {value!r}")
    return value


def _number(key: str, value: Any, *, positive: bool) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (positive and number == 0):
        kind = "positive" if positive else "0 or positive"
        raise ValueError(f"{key} must be a {kind} number, got {value!r}")
    return number


def normalize_config(config: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> dict:
    """``config`` with every grid key (missing ones from ``defaults``, then ``DEFAULTS``)
    as plain Python values; ValueError naming the first unknown key or bad value."""
    from .activations import ACTIVATIONS
    from .optimizers import OPTIMIZERS

    unknown = [key for key in config if key not in GRID_KEYS]
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}: use any of {', '.join(GRID_KEYS)}")
    merged = {**DEFAULTS, **(defaults or {}), **config}
    seed = merged["seed"]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number from 0, got {seed!r}")
    return {
        "hidden": _hidden(merged["hidden"]),
        "activation": _choice("activation", merged["activation"], ACTIVATIONS),
        "optimizer": _choice("optimizer", merged["optimizer"], OPTIMIZERS),
        "learning_rate": _number("learning_rate", merged["learning_rate"], positive=True),
        "batch_size": _positive_int("batch_size", merged["batch_size"]),
        "l2": _number("l2", merged["l2"], positive=False),
        "epochs": _positive_int("epochs", merged["epochs"]),
        "seed": int(seed),
    }


def expand_grid(
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    defaults: Mapping[str, Any] | None = None,
) -> list[dict]:
    """Every config of ``grid``, complete and checked.

    ``grid`` is either a dict of lists (``{"learning_rate": [1e-3, 1e-2], "hidden":
    [(16,), (64, 32)]}``: the full product, the last key varying fastest; a value that
    is not a list or tuple is one value; a ``hidden`` value is a size or a tuple of
    sizes) or a list of config dicts (random search). Keys a config lacks come from
    ``defaults``, then :data:`DEFAULTS`.
    """
    if isinstance(grid, Mapping):
        keys = list(grid)
        choices = []
        for key in keys:
            values = grid[key]
            if isinstance(values, (list, tuple, range, np.ndarray)):
                values = list(values)
            else:
                values = [values]
            if not values:
                raise ValueError(f"{key} has no values to try")
            choices.append(values)
        raw = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*choices)]
    elif isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)):
        raw = list(grid)
        if not all(isinstance(config, Mapping) for config in raw):
            raise ValueError("a list grid must hold config dicts such as {'learning_rate': 0.01}")
    else:
        raise ValueError(f"grid must be a dict of lists or a list of dicts, got {type(grid).__name__}")
    if not raw:
        raise ValueError("the grid has no configs")
    return [normalize_config(config, defaults) for config in raw]


# --------------------------------------------------------------------------- one config


def _score(net: Any, X: np.ndarray, y: np.ndarray) -> float | None:
    try:
        with np.errstate(all="ignore"):  # a diverged net's last good weights may be huge
            return float(net.score(X, y))
    except ValueError:  # the engine refuses to score once the activations overflow
        return None


def train_config(
    config: Mapping[str, Any], dataset: Any, validation_fraction: float = VALIDATION_FRACTION
) -> dict:
    """Train one config on ``dataset`` (an ``nn_core.data.datasets.Dataset``) in this process.

    ``Recipe.start``, as for a Train-page run with these settings: the same network,
    validation rows and training, so the same accuracies. Returns the config plus
    ``status`` ("ok" or "diverged"), ``val_accuracy``, ``test_accuracy`` (None if the
    weights overflow), ``train_seconds`` and ``epochs_done``.
    """
    cfg = normalize_config(config)
    training = Recipe(**cfg).start(
        dataset.X_train, dataset.y_train, n_classes=getattr(dataset, "n_classes", None),
        validation_fraction=validation_fraction, health_samples=0,
    )
    started = time.perf_counter()
    training.trainer.run()
    seconds = time.perf_counter() - started
    return {
        **cfg,
        "status": DIVERGED if training.trainer.history.diverged else OK,
        "val_accuracy": _score(training.net, training.X_val, training.y_val),
        "test_accuracy": _score(training.net, dataset.X_test, dataset.y_test),
        "train_seconds": seconds,
        "epochs_done": training.trainer.epoch,
    }


# --------------------------------------------------------------------------- on a worker

_datasets: dict[str, Any] = {}
_loads: collections.Counter = collections.Counter()
_datasets_lock = threading.Lock()


def worker_dataset(name: str) -> Any:
    """The named dataset, loaded once per process (worker) and kept for its later tasks."""
    with _datasets_lock:
        dataset = _datasets.get(name)
        if dataset is None:
            from .data import datasets

            dataset = datasets.load(name)
            for array in (dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test):
                array.flags.writeable = False  # shared by every task of this worker
            _datasets[name] = dataset
            _loads[name] += 1
        return dataset


def _start_worker(dataset: Any, roll: str) -> None:
    """Local pool initializer: sign the roll (a directory: one file per worker, named by
    its PID, so that a cancel can end it), leave at once if the sweep was cancelled
    meanwhile, keep the dataset the parent sent, and load the compiled kernels.

    Loading the kernels here (about 0.25 s a process, from numba's disk cache) keeps
    that one-time cost out of the first run's ``train_seconds``: it made a worker's
    first run of a digits sweep 8 times slower than its others, and the Sweep page,
    which learns its pace from those times, then estimated the next sweep 2-3 times
    too long."""
    Path(roll, str(os.getpid())).touch()
    if Path(roll, _CANCELLED).exists():  # checked after signing: see _LocalBackend.cancel
        os._exit(0)
    _install_dataset(dataset)
    from nn_core import kernels

    kernels.warm_up()


def _install_dataset(dataset: Any) -> None:
    """Keep ``dataset`` (sent by the parent) in this worker, as if loaded here."""
    for array in (dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test):
        array.flags.writeable = False
    with _datasets_lock:
        _datasets[dataset.name] = dataset
        _loads[dataset.name] += 1


def worker_loads() -> dict[str, int]:
    """How many times this process has loaded each dataset (once each, if all is well)."""
    return dict(_loads)


def worker_name() -> str:
    """Where this code runs: the Dask worker's address on a Dask worker, else host:pid."""
    import sys

    if "distributed" in sys.modules:
        try:
            from distributed import get_worker

            return str(get_worker().address)
        except (ImportError, ValueError):  # not inside a Dask task
            pass
    return f"{socket.gethostname()}:{os.getpid()}"


def _failed(index: int, config: Mapping[str, Any], problem: str, worker: str | None) -> dict:
    return {
        **config,
        "status": f"error: {problem}",
        "val_accuracy": None,
        "test_accuracy": None,
        "train_seconds": 0.0,
        "epochs_done": 0,
        "worker": worker,
        "index": index,
    }


def run_config(index: int, config: Mapping[str, Any], dataset: str,
               validation_fraction: float = VALIDATION_FRACTION) -> dict:
    """One sweep task: load (or reuse) the dataset, train the config with one BLAS
    thread, and never raise: a failure is a result whose status says what went wrong."""
    from threadpoolctl import threadpool_limits

    try:
        data = worker_dataset(dataset)
        with threadpool_limits(1, user_api="blas"):
            result = train_config(config, data, validation_fraction)
    except Exception as exc:  # noqa: BLE001 - one bad config must not sink the sweep
        return _failed(index, config, f"{type(exc).__name__}: {exc}", worker_name())
    result["worker"] = worker_name()
    result["index"] = index
    return result


# --------------------------------------------------------------------------- backends


class _LocalBackend:
    """A pool of worker processes on this machine (joblib's loky).

    Loky starts each worker as a fresh interpreter that does not re-run the caller's
    main script (``multiprocessing``'s spawn and forkserver do: under Streamlit, that
    is the app). The dataset, already in this process, goes to each worker once as it
    starts (cheaper than loading it there: the digits need all of scikit-learn imported).

    A cancel must end the running configs' processes. Loky names them only in a private
    attribute, and its public way, ``shutdown(kill_workers=True)``, kills its manager
    thread (a ``KeyError`` or ``InvalidStateError`` in loky 3.6) when configs are still
    queued. So each worker signs a roll as it starts (the pool's initializer writes a
    file named by its PID into a temporary directory) and a cancel ends every signed
    worker with ``os.kill``; loky then treats the pool as broken, as for any worker that
    died: it kills the rest and fails the remaining futures. A worker's PID cannot go
    to another process before loky has reaped it, which it does only once the pool is
    broken or shut down.
    """

    def __init__(self, n_jobs: int, dataset: Any) -> None:
        from joblib.externals.loky import ProcessPoolExecutor

        self.n_workers = n_jobs
        self.where = f"this machine ({n_jobs} process{'es' if n_jobs != 1 else ''})"
        one_thread = {name: "1" for name in
                      ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        self.roll = tempfile.mkdtemp(prefix="nn-sweep-workers-")
        self.executor = ProcessPoolExecutor(
            n_jobs, env=one_thread, initializer=_start_worker, initargs=(dataset, self.roll)
        )
        # A cancel may come while the configs are going out: after it, none go out.
        self._lock = threading.Lock()
        self._cancelled = False

    def submit_all(self, configs: list[dict], dataset: str, validation_fraction: float) -> list:
        futures = []
        for i, config in enumerate(configs):
            with self._lock:
                if self._cancelled:
                    break
                futures.append(
                    self.executor.submit(run_config, i, config, dataset, validation_fraction))
        return futures

    def ready(self, pending: set, timeout: float) -> Iterable[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        return done

    @staticmethod
    def outcome(future: Any) -> tuple[str, Any]:
        if future.cancelled():
            return "cancelled", None
        exc = future.exception()
        return ("error", exc) if exc is not None else ("ok", future.result())

    def cancel(self, futures: Sequence[Any]) -> None:
        with self._lock:
            for future in futures:
                future.cancel()  # the pending ones
            if self._cancelled:  # the workers once, and never after close (no roll left)
                return
            self._cancelled = True
            # The mark first, then the roll: a worker signing after the roll was read
            # sees the mark and leaves by itself (see _start_worker).
            Path(self.roll, _CANCELLED).touch()
            for entry in os.listdir(self.roll):
                if entry.isdigit():
                    try:
                        os.kill(int(entry), signal.SIGTERM)
                    except ProcessLookupError:  # gone already
                        pass

    def close(self, cancelled: bool) -> None:
        # The results are in: the idle workers exit on their own, nobody waits for them.
        # (After a cancel they are dead already.)
        with self._lock:
            self._cancelled = True
            self.executor.shutdown(wait=False)
            shutil.rmtree(self.roll, ignore_errors=True)


class _DaskBackend:
    """Every config one task on a Dask cluster."""

    def __init__(self, scheduler: Any, timeout: float) -> None:
        try:
            import distributed
        except ImportError:
            raise SweepError(DASK_MISSING) from None
        self.distributed = distributed
        if isinstance(scheduler, str):
            try:
                self.client = distributed.Client(
                    scheduler, timeout=timeout, set_as_default=False
                )
            except (OSError, TimeoutError) as exc:
                raise SweepError(
                    f"Couldn't reach the Dask scheduler at {scheduler} within {timeout:g} s "
                    f"({type(exc).__name__}). Is it running, and is the address right?"
                ) from None
            self.owned = True
        elif isinstance(scheduler, distributed.Client):
            self.client, self.owned = scheduler, False
        else:
            raise SweepError(
                f"scheduler must be None, an address such as tcp://host:8786 or a "
                f"distributed.Client, got {scheduler!r}"
            )
        self.where = str(getattr(self.client.scheduler, "address", None) or scheduler)
        self.n_workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self._completed: Any = None

    def submit_all(self, configs: list[dict], dataset: str, validation_fraction: float) -> list:
        token = uuid.uuid4().hex[:8]
        # Only the config goes with each task; the worker loads the dataset by name.
        futures = [
            self.client.submit(run_config, i, config, dataset, validation_fraction,
                               key=f"nn-sweep-{token}-{i}")
            for i, config in enumerate(configs)
        ]
        self._completed = self.distributed.as_completed(futures, loop=self.client.loop)
        return futures

    def ready(self, pending: set, timeout: float) -> Iterable[Any]:
        batch = self._completed.next_batch(block=False)
        if not batch:
            time.sleep(min(timeout, _POLL_SECONDS))
        return batch

    @staticmethod
    def outcome(future: Any) -> tuple[str, Any]:
        if future.status == "finished":
            return "ok", future.result()
        if future.status == "cancelled":
            return "cancelled", None
        try:
            return "error", future.exception(timeout=1)
        except Exception as exc:  # noqa: BLE001 - the future's own failure
            return "error", exc

    def cancel(self, futures: Sequence[Any]) -> None:
        if self.client.status not in ("closing", "closed"):
            self.client.cancel(list(futures))

    def close(self, cancelled: bool) -> None:
        self._completed = None  # drop the futures: their results leave the workers' memory
        if self.owned:
            self.client.close()


# --------------------------------------------------------------------------- the handle


class Sweep:
    """A running (or finished) sweep. Built by :func:`start_sweep`.

    ``results()`` are the results so far in the order they finished, ``ordered()``
    the same in config order; ``done`` says whether all are in (or the sweep was
    cancelled or failed, then ``error`` says why); ``cancel()`` stops the pending
    configs. ``worker`` of each result names where it was computed.
    """

    def __init__(
        self,
        configs: list[dict],
        dataset: str,
        backend: Any,
        validation_fraction: float = VALIDATION_FRACTION,
    ) -> None:
        self.configs = configs
        self.dataset = dataset
        self.total = len(configs)
        self.where = backend.where
        self.n_workers = backend.n_workers
        self.error: str | None = None
        self._backend = backend
        self._results: list[dict] = []
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._finished = threading.Event()
        self._started = time.perf_counter()
        self._ended: float | None = None
        self._validation_fraction = validation_fraction
        self._futures: list = []  # submitted by _drive, so start_sweep returns at once

    # ------------------------------------------------------------------ reading
    def results(self) -> list[dict]:
        with self._lock:
            return list(self._results)

    def ordered(self) -> list[dict]:
        return sorted(self.results(), key=lambda r: r["index"])

    @property
    def completed(self) -> int:
        with self._lock:
            return len(self._results)

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def elapsed(self) -> float:
        """Wall-clock seconds since the sweep started (until it ended)."""
        end = self._ended if self._ended is not None else time.perf_counter()
        return end - self._started

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the sweep ends (or ``timeout`` seconds); True if it has."""
        return self._finished.wait(timeout)

    # ------------------------------------------------------------------ control
    def cancel(self) -> None:
        """Stop the configs not yet finished; the results so far are kept."""
        if self._finished.is_set() or self._cancelled.is_set():
            return
        self._cancelled.set()
        self._backend.cancel(self._futures)

    def _drive(
        self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> None:
        """Submit the configs, then collect results as they finish until all are in or
        the sweep is cancelled."""
        try:
            if not self._cancelled.is_set():
                # Starting local workers takes a second or two: here, not in start_sweep.
                self._futures = self._backend.submit_all(
                    self.configs, self.dataset, self._validation_fraction
                )
            if self._cancelled.is_set():  # cancelled while the configs were going out
                self._backend.cancel(self._futures)
            pending = set(self._futures)
            while pending and not self._cancelled.is_set():
                if cancel is not None and cancel.is_set():
                    self.cancel()
                    break
                for future in self._backend.ready(pending, _POLL_SECONDS * 2):
                    if self._cancelled.is_set():
                        break  # what finishes from here on is the cancel's doing
                    pending.discard(future)
                    kind, value = self._backend.outcome(future)
                    if kind == "cancelled":
                        continue
                    if kind == "error":
                        index = self._futures.index(future)
                        problem = f"{type(value).__name__}: {value}"
                        value = _failed(index, self.configs[index], problem, None)
                    with self._lock:
                        self._results.append(value)
                        done = len(self._results)
                    if progress is not None:
                        progress(done, self.total, value)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.cancel()
            raise
        finally:
            self._ended = time.perf_counter()
            self._futures = []
            try:
                self._backend.close(self._cancelled.is_set())
            finally:
                self._finished.set()


def _dataset_name(dataset: Any) -> str:
    from .data import datasets

    name = dataset if isinstance(dataset, str) else getattr(dataset, "name", None)
    if name not in datasets.DATASET_NAMES:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of {', '.join(datasets.DATASET_NAMES)}"
        )
    return name


def _start(
    grid: Any, dataset: Any, fixed: dict, scheduler: Any, n_jobs: int | None, timeout: float
) -> Sweep:
    name = _dataset_name(dataset)
    configs = expand_grid(grid, fixed)
    if scheduler is None:
        if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)
                                   or n_jobs < 1):
            raise ValueError(f"n_jobs must be a positive whole number or None, got {n_jobs!r}")
        workers = n_jobs if n_jobs is not None else (os.cpu_count() or 1)
        data = worker_dataset(name) if isinstance(dataset, str) else dataset
        backend: Any = _LocalBackend(max(1, min(workers, len(configs))), data)
    else:
        backend = _DaskBackend(scheduler, timeout)
    return Sweep(configs, name, backend)


def start_sweep(
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    dataset: Any = "digits",
    scheduler: Any = None,
    n_jobs: int | None = None,
    *,
    timeout: float = 10.0,
) -> Sweep:
    """Start a sweep and return at once: a :class:`Sweep` to poll or cancel.

    ``grid``, ``dataset``, ``scheduler`` and ``n_jobs`` as for :func:`run_sweep`. Each
    config's epochs, batch size and seed are its own, else :data:`DEFAULTS`' (the app
    builds complete configs; put them in the grid to sweep or fix them). ``timeout``
    bounds the wait for a scheduler given by address (SweepError if it doesn't answer).
    """
    sweep = _start(grid, dataset, {}, scheduler, n_jobs, timeout)
    threading.Thread(target=_drive_quietly, args=(sweep,), name="nn-sweep", daemon=True).start()
    return sweep


def _drive_quietly(sweep: Sweep) -> None:
    try:
        sweep._drive()
    except Exception:  # noqa: BLE001 - recorded in sweep.error for whoever polls
        pass


def run_sweep(
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    dataset: Any = "digits",
    epochs: int = DEFAULT.epochs,
    batch_size: int = DEFAULT.batch_size,
    seed: int = DEFAULT.seed,
    scheduler: Any = None,
    n_jobs: int | None = None,
    progress: ProgressCallback | None = None,
    *,
    cancel: threading.Event | None = None,
) -> list[dict]:
    """Train every config of ``grid`` on ``dataset``; one result dict per config, in order.

    ``dataset`` is a name (``nn_core.data.datasets.DATASET_NAMES``), or a loaded ``Dataset``
    of that name, which local workers then get from this process instead of loading it
    (a Dask worker always loads it by name, once).

    ``grid``: a dict of value lists over any of :data:`GRID_KEYS` (the full product),
    or a list of config dicts. ``epochs``, ``batch_size`` and ``seed`` apply where a
    config doesn't set them; other settings default to :data:`DEFAULTS`.
    ``scheduler=None`` runs on ``n_jobs`` local processes (default: the CPU count);
    an address (``"tcp://host:8786"``) or a ``distributed.Client`` runs every config as
    a Dask task. ``progress(done, total, result)`` is called as each config finishes.
    Setting ``cancel`` (a ``threading.Event``) stops the sweep: the results so far
    are returned. A result's ``status`` is "ok", "diverged" or "error: ...".
    """
    fixed = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    sweep = _start(grid, dataset, fixed, scheduler, n_jobs, 10.0)
    sweep._drive(progress, cancel)
    return sweep.ordered()


# --------------------------------------------------------------------------- budgets


def batch_seconds(
    dataset: Any,
    hidden: Sequence[int],
    batch_size: int,
    activation: str = "relu",
    optimizer: str = "adam",
    budget: float = 0.05,
) -> float:
    """Seconds one training batch of this shape takes here (one BLAS thread),
    measured on a few batches of ``dataset`` within about ``budget`` seconds.

    The measure is this thread's CPU time, not the wall clock: in a server process
    other threads (other sessions training) take the GIL in turns, and a few
    milliseconds of wall clock then counted their work too (measured 4-10x too slow
    beside one busy thread), while a sweep's worker process has its core to itself."""
    from threadpoolctl import threadpool_limits

    n_classes = int(getattr(dataset, "n_classes", 0) or int(dataset.y_train.max()) + 1)
    recipe = Recipe(hidden=tuple(hidden), activation=activation, optimizer=optimizer,
                    learning_rate=1e-4, batch_size=int(batch_size), epochs=1000)
    net = recipe.network(dataset.X_train.shape[1], n_classes)
    rows = np.arange(min(len(dataset.y_train), 64 * int(batch_size)))
    trainer = recipe.trainer(net, dataset.X_train, dataset.y_train, rows=rows, health_samples=0)
    with threadpool_limits(1, user_api="blas"):
        trainer.step(max_batches=1)  # allocates the buffers
        started = time.thread_time()
        count = trainer.step(max_batches=50, max_seconds=budget)
        seconds = time.thread_time() - started
    return seconds / max(count, 1)


def config_seconds(config: Mapping[str, Any], n_train: int, seconds_per_batch: float) -> float:
    """Expected training time of ``config`` on ``n_train`` rows at that batch speed."""
    cfg = normalize_config(config)
    batches = math.ceil(n_train / min(cfg["batch_size"], n_train))
    return cfg["epochs"] * batches * seconds_per_batch


def makespan(seconds: Sequence[float], n_workers: int) -> float:
    """Wall time of jobs taking ``seconds`` on ``n_workers`` workers, longest first
    to the least busy worker (what a pool that hands out work as it frees up achieves)."""
    loads = [0.0] * max(1, int(n_workers))
    for job in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += job
    return max(loads)


__all__ = [
    "DEFAULTS",
    "GRID_KEYS",
    "RESULT_KEYS",
    "Sweep",
    "SweepError",
    "batch_seconds",
    "config_seconds",
    "expand_grid",
    "makespan",
    "normalize_config",
    "run_config",
    "run_sweep",
    "split_validation",
    "start_sweep",
    "train_config",
    "worker_dataset",
    "worker_loads",
    "worker_name",
]
