"""The Sweep page's logic, without Streamlit: what to sweep, what it costs, what it found.

The sweeps themselves are the engine's (``nn_core.sweep``); this module turns the
page's choices into configs, keeps a tab's sweep (:class:`SweepState`, one field of
the tab's ``Playground``), and turns results into the heatmap's grid, the parallel
coordinates, the CSV and the Train page's settings for the best config. Every value
offered here is one the Train page's controls offer, so the best config opens there.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from playground.common import vocab
from playground.common.i18n import N_, _, ngettext

#: Most runs one sweep may ask for on the page.
MAX_RUNS = 500
#: How long the page waits for a scheduler to answer before saying it can't reach it.
CONNECT_TIMEOUT_SECONDS = 3.0
#: Starting the local worker processes (measured 1-2 s the first time, less after).
POOL_START_SECONDS = 1.0
#: Statuses of a tab's sweep.
RUNNING, FINISHED, CANCELLED, FAILED = "running", "finished", "cancelled", "failed"
METRIC = "val_accuracy"


def _hidden_label(hidden: Sequence[int]) -> str:
    return "-".join(str(h) for h in hidden)


#: Architectures offered: every single layer size of the Train page, and a few deeper ones
#: built from the same sizes.
HIDDEN_CHOICES: tuple[tuple[int, ...], ...] = (
    *((size,) for size in vocab.LAYER_SIZES),
    (64, 32), (128, 64), (128, 128), (256, 128), (512, 256), (512, 512),
    (128, 64, 32), (256, 256, 256),
)
assert all(size in vocab.LAYER_SIZES for hidden in HIDDEN_CHOICES for size in hidden)
EPOCH_CHOICES = (5, 10, 20, 30, 50, 100)
assert all(1 <= e <= vocab.MAX_EPOCHS for e in EPOCH_CHOICES)
SEED_CHOICES = tuple(range(10))


@dataclass(frozen=True)
class Param:
    """A setting the page can sweep: its name, the values the Train page allows, the
    values picked by default, how to show a value, and a one-sentence explanation."""

    key: str
    label: str
    options: tuple
    default: tuple
    format: Callable[[Any], str]
    help: str
    numeric: bool = False


PARAMS: dict[str, Param] = {
    p.key: p
    for p in (
        Param("learning_rate", N_("learning rate"), vocab.LEARNING_RATES, (1e-4, 1e-3, 1e-2, 0.1, 1.0),
              vocab.format_lr, N_("Step size of each update: too small learns slowly, too big blows up."),
              numeric=True),
        Param("hidden", N_("hidden layers"), HIDDEN_CHOICES, ((16,), (64,), (256,)), _hidden_label,
              N_("Units per hidden layer (64-32: two layers): more can learn more, but slower.")),
        Param("optimizer", N_("optimizer"), vocab.OPTIMIZERS, ("sgd", "adam"),
              lambda o: vocab.optimizer_label(o),
              N_("How the weights are nudged after each batch; SGD usually wants a larger rate.")),
        Param("activation", N_("activation"), vocab.ACTIVATIONS, ("relu", "tanh", "sigmoid"),
              lambda a: vocab.activation_label(a),
              N_("The bend each hidden unit applies to its input.")),
        Param("batch_size", N_("batch size"), vocab.BATCH_SIZES, (16, 64, 256), str,
              N_("Images per weight update: small batches give more, noisier updates."),
              numeric=True),
        Param("l2", "L2", vocab.L2_VALUES, (0.0, 1e-4, 1e-2), vocab.format_l2,
              N_("Weight decay, pulling weights towards 0 against overfitting."), numeric=True),
        Param("epochs", N_("epochs"), EPOCH_CHOICES, (10, 30), str,
              N_("How many times each network sees the whole training set."), numeric=True),
        Param("seed", N_("seed"), SEED_CHOICES, (0, 1, 2), str,
              N_("Random starting weights and batch order: how much luck moves the score."),
              numeric=True),
    )
}
DEFAULT_AXES = ("learning_rate", "hidden")
LR_DENSITIES = {"1 per decade": (1,), "3 per decade": (1, 2, 5), "all": None}
#: How the learning-rate densities (``LR_DENSITIES``' keys) are shown.
LR_DENSITY_LABELS = {"1 per decade": N_("1 per decade"), "3 per decade": N_("3 per decade"),
                     "all": N_("all")}


def lr_grid(low: float, high: float, density: str = "1 per decade") -> tuple[float, ...]:
    """The Train page's learning rates from ``low`` to ``high`` on a log grid: ``1 per
    decade`` (1e-4, 1e-3, ...), ``3 per decade`` (1, 2, 5 of each decade) or ``all``."""
    if density not in LR_DENSITIES:
        raise ValueError(f"density must be one of {', '.join(LR_DENSITIES)}")
    low, high = min(low, high), max(low, high)
    mantissas = LR_DENSITIES[density]
    chosen = []
    for lr in vocab.LEARNING_RATES:
        if not low <= lr <= high:
            continue
        mantissa = round(lr / 10 ** math.floor(math.log10(lr) + 1e-9))
        if mantissas is None or mantissa in mantissas:
            chosen.append(lr)
    return tuple(chosen) or (low,)


_ADDRESS = re.compile(r"tcp://(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])"
                      r":(?P<port>[0-9]{1,5})")


def parse_scheduler_address(text: str) -> str:
    """A scheduler address of the form ``tcp://host:port``, checked (ValueError saying
    what is wrong). Nothing else is accepted: no other protocols, paths or options."""
    address = (text or "").strip()
    if not address:
        raise ValueError("Enter the scheduler's address, e.g. tcp://192.168.1.10:8786.")
    match = _ADDRESS.fullmatch(address)
    if match is None:
        raise ValueError(
            f"{address[:60]!r} isn't a scheduler address: use the form tcp://host:port, "
            "e.g. tcp://192.168.1.10:8786 (what `dask scheduler` prints)."
        )
    if not 1 <= int(match["port"]) <= 65535:
        raise ValueError(f"Port {match['port']} is out of range: use 1 to 65535 (Dask's default is 8786).")
    return address


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported here (needed only for a scheduler)."""
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


# --------------------------------------------------------------------------- configs


def base_settings(config: vocab.TrainConfig) -> dict[str, Any]:
    """The Train page's settings as the defaults of a sweep's configs: its recipe."""
    from nn_core.recipe import Recipe

    return asdict(Recipe.of(config))


def build_configs(
    values: Mapping[str, Sequence[Any]], base: vocab.TrainConfig, epochs: int | None = None
) -> list[dict]:
    """Every combination of the swept ``values`` (in axis order, the last varying
    fastest), the other settings from ``base`` (the Train page's), ``epochs`` if given
    and epochs aren't swept. ValueError if an axis has no values or it's too many runs."""
    from nn_core.sweep import expand_grid

    for key, chosen in values.items():
        if key not in PARAMS:
            raise ValueError(f"can't sweep {key!r}")
        if not chosen:
            raise ValueError(f"pick at least one {PARAMS[key].label}")
    n_runs = math.prod(len(v) for v in values.values())
    if n_runs > MAX_RUNS:
        raise ValueError(
            f"that is {n_runs} runs; a sweep here runs at most {MAX_RUNS}: pick fewer values"
        )
    defaults = base_settings(base)
    if epochs is not None:
        defaults["epochs"] = int(epochs)
    return expand_grid({key: list(v) for key, v in values.items()}, defaults)


@dataclass(frozen=True)
class MachineSpeed:
    """How fast a sweep goes on this machine, for the estimate: its runs train at
    ``pace`` times the CPU time measured for their batches, plus ``overhead`` seconds.

    ``pace`` is ``factor`` times :func:`busy_pace` (what the other programs running take):
    3.5 on two cores with two workers and five cores' worth of other work. ``factor``
    and ``overhead`` are what the last sweep finished here measured (``factor`` its runs'
    time over its CPU-time estimate at that moment's busyness; ``overhead`` its wall time
    beyond its runs' training shared among the workers: starting the processes, building
    and scoring the networks).
    Before any sweep: 1 and the pool's start measured on an idle machine. How busy the
    machine is now need not hold for the whole sweep: the estimate is "about", and a
    sweep under way says how long it has left from its own progress."""

    pace: float = 1.0
    overhead: float = POOL_START_SECONDS
    factor: float = 1.0


#: /proc/stat: the CPU time every core has spent, in ticks, since the system started.
PROC_STAT = "/proc/stat"
#: How often the watcher reads /proc/stat: busy_cores tells the share of the last period.
WATCH_SECONDS = 0.25


def _cpu_ticks() -> tuple[int, int] | None:
    """(all ticks, idle ticks) of all cores from /proc/stat; None where there is none.
    Idle is idle plus iowait; time the hypervisor stole counts as busy (it was not ours)."""
    try:
        with open(PROC_STAT) as stat:
            fields = [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    return sum(fields), fields[3] + fields[4]


def busy_between(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Cores busy between two :func:`_cpu_ticks` readings: the busy share of the ticks,
    times the cores."""
    ticks = after[0] - before[0]
    if ticks <= 0:
        return 0.0
    return max(0.0, 1.0 - (after[1] - before[1]) / ticks) * (os.cpu_count() or 1)


class _CpuWatch:
    """A daemon thread that reads /proc/stat every WATCH_SECONDS and keeps the cores busy
    over the last period: a page run asks without waiting. (Reading twice 0.1 s apart
    on each ask made the Sweep page's rerun 0.13 s instead of 0.03.) What it trades
    away: one thread in the server that wakes four times a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._busy: float | None = None
        self._first = threading.Event()

    def busy(self) -> float | None:
        if _cpu_ticks() is None:
            return None
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="cpu-watch",
                                                daemon=True)
                self._thread.start()
        self._first.wait(timeout=4 * WATCH_SECONDS)  # only the first ask waits
        return self._busy

    def _watch(self) -> None:
        before = _cpu_ticks()
        while before is not None:
            time.sleep(WATCH_SECONDS)
            after = _cpu_ticks()
            if after is None:
                break
            self._busy = busy_between(before, after)
            self._first.set()
            before = after
        self._first.set()


_cpu_watch = _CpuWatch()


def busy_cores() -> float | None:
    """How many cores other work kept busy over the last 0.25 s (/proc/stat, read by a
    watcher thread; the first ask waits for its first reading); None where the system
    does not say (then :func:`busy_pace` falls back to the load average)."""
    return _cpu_watch.busy()


def busy_pace(n_workers: int) -> float:
    """How much longer than its CPU time a worker's run takes while the machine runs
    other things too: what else runs now (:func:`busy_cores`) plus the workers, over the
    cores; at least 1.

    Where /proc/stat is missing: the 1-minute load average less one for the process
    asking (which waits while its sweep runs; counting it made a quiet machine look half
    busy, a first estimate 2.1 times the sweep's time), else 1. The load average was the
    only measure once, and it lags a minute: right after the test suite's browser tests
    it still said 3-4 while the machine had gone quiet, and the first estimate of a
    digits sweep came out 3.7 s for 0.9 s (CI, 2026-12-05)."""
    others = busy_cores()
    if others is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows
            return 1.0
        others = max(0.0, load - 1.0)
    return max(1.0, (others + max(1, n_workers)) / (os.cpu_count() or 1))


_learned = MachineSpeed()
_learned_lock = threading.Lock()


def machine_speed(n_workers: int) -> MachineSpeed:
    """The speed to expect now on ``n_workers`` local workers: the last finished sweep's
    ``factor`` and ``overhead`` at this moment's :func:`busy_pace`."""
    with _learned_lock:
        learned = _learned
    return MachineSpeed(pace=learned.factor * busy_pace(n_workers), overhead=learned.overhead,
                        factor=learned.factor)


def training_rows(dataset: Any) -> int:
    """How many rows each run trains on: the training set less the validation rows."""
    from nn_core.recipe import VALIDATION_FRACTION

    return int(round(len(dataset.y_train) * (1 - VALIDATION_FRACTION)))


def estimate_seconds(
    configs: Sequence[Mapping[str, Any]],
    n_train: int,
    n_workers: int,
    seconds_per_batch: Callable[[tuple[int, ...], int, str, str], float],
    speed: MachineSpeed | None = None,
) -> float:
    """About how long ``configs`` take on ``n_workers`` local workers: each config's
    batches times the measured time of one batch of its shape at this machine's
    ``speed`` (:func:`machine_speed`; the idle defaults if None), shared out as a pool
    does, plus the sweep's overhead."""
    from nn_core.sweep import config_seconds, makespan

    speed = speed or MachineSpeed()
    times = [
        speed.pace * config_seconds(
            c, n_train,
            seconds_per_batch(tuple(c["hidden"]), c["batch_size"], c["activation"], c["optimizer"]),
        )
        for c in configs
    ]
    return makespan(times, n_workers) + speed.overhead


def learn_speed(
    results: Sequence[Mapping[str, Any]],
    elapsed: float,
    n_train: int,
    n_workers: int,
    seconds_per_batch: Callable[[tuple[int, ...], int, str, str], float],
    busy: float = 1.0,
) -> MachineSpeed | None:
    """Learn from a finished local sweep (its ``results``, ``elapsed`` wall seconds on
    ``n_workers``, started at :func:`busy_pace` ``busy``) the ``factor`` and ``overhead``
    that :func:`machine_speed` uses from now on; returns the speed it measured. None
    (and nothing learned) if no run trained. A diverged run counts the epochs it did."""
    from nn_core.sweep import config_seconds, makespan

    global _learned
    trained = [r for r in results
               if r.get("epochs_done", 0) > 0 and r.get("train_seconds", 0) > 0]
    if not trained or n_workers < 1:
        return None
    expected = sum(
        config_seconds({"epochs": r["epochs_done"], "batch_size": r["batch_size"]}, n_train,
                       seconds_per_batch(tuple(r["hidden"]), r["batch_size"],
                                         r["activation"], r["optimizer"]))
        for r in trained
    )
    actual = [float(r["train_seconds"]) for r in trained]
    pace = sum(actual) / expected if expected > 0 else busy
    speed = MachineSpeed(pace=pace, overhead=max(0.0, elapsed - makespan(actual, n_workers)),
                         factor=pace / busy)
    with _learned_lock:
        _learned = speed
    return speed


_batch_times: dict[tuple, float] = {}
_batch_lock = threading.Lock()


def measured_batch_seconds(dataset: Any) -> Callable[[tuple[int, ...], int, str, str], float]:
    """``seconds_per_batch`` for :func:`estimate_seconds`, measured here once per shape
    (a few batches, ~50 ms, in CPU time: see ``nn_core.sweep.batch_seconds``) and
    remembered by this server process."""
    from nn_core.sweep import batch_seconds

    def measure(hidden: tuple[int, ...], batch_size: int, activation: str, optimizer: str) -> float:
        key = (dataset.name, hidden, batch_size, activation, optimizer)
        with _batch_lock:
            if key not in _batch_times:
                _batch_times[key] = batch_seconds(dataset, hidden, batch_size, activation, optimizer)
            return _batch_times[key]

    return measure


def start_errors() -> tuple[type[Exception], ...]:
    """What starting a sweep raises for a reason to tell the person: a bad or unreachable
    scheduler address, a dataset that can't be read."""
    from nn_core.sweep import SweepError

    return (SweepError, ValueError, OSError)


def budget_line(n_runs: int, seconds: float) -> str:
    """``30 runs, about 12 s on this machine``."""
    return ngettext("{n_runs} run, about {time} on this machine",
                    "{n_runs} runs, about {time} on this machine", n_runs).format(
        n_runs=n_runs, time=vocab.format_seconds(seconds))


# --------------------------------------------------------------------------- a tab's sweep


@dataclass
class SweepState:
    """A tab's sweep: what it varies, its handle while it runs, its results after."""

    axes: tuple[str, ...]
    values: dict[str, tuple]
    dataset: str
    total: int
    where: str
    handle: Any = None
    results: list[dict] = field(default_factory=list)  # in the order they finished
    status: str = RUNNING
    error: str | None = None
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)
    #: Called with (results, seconds) when the sweep finishes: what it teaches the estimate.
    learn: Callable[[list[dict], float], Any] | None = None

    @classmethod
    def start(
        cls,
        values: Mapping[str, Sequence[Any]],
        configs: list[dict],
        dataset: Any,
        scheduler: str | None = None,
        n_jobs: int | None = None,
        start: Callable[..., Any] | None = None,
    ) -> SweepState:
        """Start the engine's sweep of ``configs`` (``nn_core.sweep.start_sweep``) on
        ``dataset``: a name, or the loaded dataset that local workers then get from here."""
        if start is None:
            from nn_core.sweep import start_sweep as start
        name = dataset if isinstance(dataset, str) else dataset.name
        handle = start(configs, dataset=name if scheduler else dataset, scheduler=scheduler,
                       n_jobs=n_jobs, timeout=CONNECT_TIMEOUT_SECONDS)
        where = _("the Dask cluster at {scheduler}").format(scheduler=scheduler) if scheduler else handle.where
        learn = None
        if scheduler is None and not isinstance(dataset, str):  # timed on this machine
            n_train, n_workers = training_rows(dataset), handle.n_workers
            per_batch, busy = measured_batch_seconds(dataset), busy_pace(handle.n_workers)

            def learn(results: list[dict], seconds: float) -> Any:
                return learn_speed(results, seconds, n_train, n_workers, per_batch, busy)

        return cls(axes=tuple(values), values={k: tuple(v) for k, v in values.items()},
                   dataset=name, total=len(configs), where=where, handle=handle, learn=learn)

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def done_count(self) -> int:
        return len(self.results)

    def poll(self) -> bool:
        """Take the results that came in; True if the sweep just ended."""
        handle = self.handle
        if handle is None or not self.running:
            return False
        self.results = handle.results()
        self.seconds = handle.elapsed
        if not handle.done:
            return False
        if handle.error:
            self.status, self.error = FAILED, handle.error
        elif handle.cancelled:
            self.status = CANCELLED
        else:
            self.status = FINISHED
            if self.learn is not None:
                self.learn(self.results, self.seconds)
        self.handle = None  # let the pool / client go
        return True

    def cancel(self) -> None:
        if self.handle is not None and self.running:
            self.handle.cancel()
            self.handle.wait(5.0)
            self.poll()

    def status_line(self) -> str:
        done, total = self.done_count, self.total
        spent = vocab.format_seconds(self.seconds)
        if self.status == RUNNING:
            left = ""
            if 0 < done < total:
                left = _(" · about {format_seconds} left").format(format_seconds=vocab.format_seconds(self.seconds * (total - done) / done))
            return _("{done} of {total} runs done on {where} · {spent} so far{left}").format(done=done, total=total, where=self.where, spent=spent, left=left)
        if self.status == FINISHED:
            return _("All {total} runs done on {where} in {spent}.").format(total=total, where=self.where, spent=spent)
        if self.status == CANCELLED:
            return _("Cancelled after {done} of {total} runs ({spent}); their results are kept.").format(done=done, total=total, spent=spent)
        return _("The sweep stopped after {done} of {total} runs: {error}").format(done=done, total=total, error=self.error)


# --------------------------------------------------------------------------- results


def value_label(key: str, value: Any) -> str:
    return PARAMS[key].format(tuple(value) if key == "hidden" else value)


def _same(key: str, a: Any, b: Any) -> bool:
    if key == "hidden":
        return tuple(a) == tuple(b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-15)
    return a == b


def percent(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else 100.0 * value


def heatmap_grid(
    state: SweepState, third_value: Any = None, metric: str = METRIC
) -> tuple[list[str], list[str], list[list[float | None]], list[list[str]]]:
    """``(x labels, y labels, z, text)`` of the heatmap: the first axis across, the
    second down, ``metric`` in percent where a result is in (None where not yet), for
    the third axis at ``third_value``. A diverged run's cell says so; a failed one ``!``."""
    x_key, y_key = state.axes[0], state.axes[1]
    xs, ys = state.values[x_key], state.values[y_key]
    z: list[list[float | None]] = [[None] * len(xs) for _unused in ys]
    text = [[""] * len(xs) for _unused in ys]
    third = state.axes[2] if len(state.axes) > 2 else None
    for result in state.results:
        if third is not None and not _same(third, result[third], third_value):
            continue
        try:
            j = next(i for i, v in enumerate(xs) if _same(x_key, v, result[x_key]))
            i = next(i for i, v in enumerate(ys) if _same(y_key, v, result[y_key]))
        except StopIteration:
            continue
        value = percent(result.get(metric))
        status = str(result.get("status", "ok"))
        if status.startswith("error"):
            text[i][j] = "!"
            continue
        z[i][j] = value
        shown = "—" if value is None else f"{value:.0f}%"
        text[i][j] = f"✕ {shown}" if status == "diverged" else shown
    return ([value_label(x_key, v) for v in xs], [value_label(y_key, v) for v in ys], z, text)


def parallel_dimensions(state: SweepState, metric: str = METRIC) -> tuple[list[dict], list[float]]:
    """The parallel-coordinates axes (each swept setting, then the metric in %) and the
    colour of each finished result's line (its metric)."""
    done = [r for r in state.results if percent(r.get(metric)) is not None]
    dimensions = []
    for key in state.axes:
        options = state.values[key]
        index = [next((i for i, v in enumerate(options) if _same(key, v, r[key])), 0) for r in done]
        dimensions.append({
            "label": _(PARAMS[key].label),
            "values": index,
            "tickvals": list(range(len(options))),
            "ticktext": [value_label(key, v) for v in options],
            "range": [-0.2, max(len(options) - 1, 0) + 0.2],
        })
    scores = [float(percent(r[metric])) for r in done]
    dimensions.append({"label": _("validation accuracy %"), "values": scores, "range": [0, 100]})
    return dimensions, scores


#: The results table's column keys and statuses, for the catalogue (``i18n.translate_rows``).
TABLE_WORDS = (N_("validation accuracy %"), N_("test accuracy %"), N_("time (s)"), N_("status"),
               N_("computed on"), N_("ok"))


def best_result(results: Sequence[Mapping[str, Any]], metric: str = METRIC) -> dict | None:
    """The run with the highest ``metric`` among those that trained to the end
    (ties: the first in config order)."""
    ok = [r for r in results if r.get("status") == "ok" and percent(r.get(metric)) is not None]
    if not ok:
        return None
    return dict(max(sorted(ok, key=lambda r: r.get("index", 0)), key=lambda r: r[metric]))


def train_config_of(result: Mapping[str, Any], dataset: str) -> vocab.TrainConfig:
    """The Train page's settings that reproduce ``result``'s run."""
    config = vocab.TrainConfig(
        dataset=dataset,
        hidden=tuple(result["hidden"]),
        activation=str(result["activation"]),
        optimizer=str(result["optimizer"]),
        learning_rate=float(result["learning_rate"]),
        epochs=int(result["epochs"]),
        batch_size=int(result["batch_size"]),
        l2=float(result["l2"]),
        seed=int(result["seed"]),
    )
    config.validate()
    return config


def describe(result: Mapping[str, Any], axes: Sequence[str]) -> str:
    """``learning rate 0.01, hidden layers 64``: the swept settings of one run."""
    return ", ".join(f"{_(PARAMS[k].label)} {value_label(k, result[k])}" for k in axes)


CSV_COLUMNS = (
    "hidden", "activation", "optimizer", "learning_rate", "batch_size", "l2", "epochs", "seed",
    "status", "val_accuracy", "test_accuracy", "train_seconds", "epochs_done", "worker",
)


def results_csv(results: Sequence[Mapping[str, Any]], dataset: str) -> bytes:
    """The results as CSV (UTF-8), one row per run in config order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("dataset", *CSV_COLUMNS))
    for result in sorted(results, key=lambda r: r.get("index", 0)):
        row = [dataset]
        for column in CSV_COLUMNS:
            value = result.get(column)
            if column == "hidden":
                value = _hidden_label(value)
            elif value is None:
                value = ""
            elif isinstance(value, float):
                value = repr(value)
            row.append(value)
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def table_rows(results: Sequence[Mapping[str, Any]], axes: Sequence[str]) -> list[dict]:
    """Rows for the results table, best validation accuracy first."""
    def sort_key(r: Mapping[str, Any]) -> float:
        value = percent(r.get(METRIC))
        return -1.0 if value is None else value

    rows = []
    for r in sorted(results, key=sort_key, reverse=True):
        row = {PARAMS[k].label: value_label(k, r[k]) for k in axes}
        val, test = percent(r.get("val_accuracy")), percent(r.get("test_accuracy"))
        row["validation accuracy %"] = None if val is None else round(val, 1)
        row["test accuracy %"] = None if test is None else round(test, 1)
        row["time (s)"] = round(float(r.get("train_seconds") or 0.0), 2)
        row["status"] = r.get("status")
        row["computed on"] = r.get("worker")
        rows.append(row)
    return rows


def train_link(page_url: str | None, config: vocab.TrainConfig) -> str:
    """A link that opens the Train page (the app's root) with ``config``'s settings,
    from any page's address (``http://host:8501/sweep?...`` -> ``http://host:8501/?...``)."""
    from urllib.parse import urlsplit

    from playground.common.urlstate import share_link

    parts = urlsplit(page_url or "")
    root = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
    return share_link(root, config)


def preview_grid(values: Mapping[str, Sequence[Any]]) -> tuple[list[str], list[str], list, list]:
    """The heatmap's empty grid for the settings picked, before the sweep runs."""
    (x_key, xs), (y_key, ys) = list(values.items())[:2]
    return ([value_label(x_key, v) for v in xs], [value_label(y_key, v) for v in ys],
            [[None] * len(xs) for _unused in ys], [[""] * len(xs) for _unused in ys])
