"""The Sweep page's logic without Streamlit (playground.sweep.view) and its figures."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from playground.common.urlstate import config_from_query, config_to_query
from playground.common.vocab import LEARNING_RATES, TrainConfig
from playground.sweep import figures
from playground.sweep import view as sv


def result(index=0, status="ok", val=0.9, test=0.88, **settings):
    base = {"hidden": (64,), "activation": "relu", "optimizer": "adam", "learning_rate": 3e-3,
            "batch_size": 32, "l2": 0.0, "epochs": 30, "seed": 0}
    return {**base, **settings, "status": status, "val_accuracy": val, "test_accuracy": test,
            "train_seconds": 0.5, "epochs_done": 30, "worker": "host:1", "index": index}


# --------------------------------------------------------------------------- choices


def test_learning_rates_form_a_log_grid_of_the_train_pages_rates():
    assert sv.lr_grid(1e-4, 1.0) == (1e-4, 1e-3, 1e-2, 0.1, 1.0)
    assert sv.lr_grid(1e-3, 1e-2, "3 per decade") == (1e-3, 2e-3, 5e-3, 1e-2)
    assert sv.lr_grid(1e-2, 1e-3, "all") == (1e-3, 2e-3, 3e-3, 5e-3, 1e-2)  # either order
    assert sv.lr_grid(3e-3, 3e-3) == (3e-3,)  # no power of ten inside: the one rate
    ratios = np.diff(np.log10(sv.lr_grid(1e-4, 1.0)))
    np.testing.assert_allclose(ratios, 1.0)  # evenly spaced on a log axis
    assert set(sv.lr_grid(1e-4, 1.0, "all")) == set(LEARNING_RATES)
    with pytest.raises(ValueError, match="density"):
        sv.lr_grid(1e-3, 1e-2, "10 per decade")


@pytest.mark.parametrize("key", list(sv.PARAMS))
def test_every_value_offered_opens_on_the_train_page_unchanged(key):
    """The Best button goes through the Train page's URL scheme: every value the Sweep
    page offers must be one that scheme (and so the Train page's controls) accepts."""
    param = sv.PARAMS[key]
    assert set(param.default) <= set(param.options)
    for value in param.options:
        config = replace(TrainConfig(), **{key: value})
        parsed, notes = config_from_query(config_to_query(config))
        assert notes == [] and parsed == config, (key, value, notes)


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1:8786", "tcp://scheduler.lab.example:8786", "tcp://[::1]:8786",
     "  tcp://10.0.0.5:1234 "],
)
def test_a_scheduler_address_of_the_form_tcp_host_port_is_accepted(address):
    assert sv.parse_scheduler_address(address) == address.strip()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Enter the scheduler's address"),
        ("127.0.0.1:8786", "use the form tcp://host:port"),
        ("tls://127.0.0.1:8786", "use the form tcp://host:port"),
        ("inproc://x", "use the form tcp://host:port"),
        ("tcp://127.0.0.1", "use the form tcp://host:port"),
        ("tcp://127.0.0.1:8786/status", "use the form tcp://host:port"),
        ("tcp://host:8786?x=1", "use the form tcp://host:port"),
        ("tcp://a b:8786", "use the form tcp://host:port"),
        ("tcp://127.0.0.1:0", "out of range"),
        ("tcp://127.0.0.1:70000", "out of range"),
    ],
)
def test_anything_else_is_refused_saying_why(text, problem):
    with pytest.raises(ValueError, match=problem.replace("?", r"\?")):
        sv.parse_scheduler_address(text)


# --------------------------------------------------------------------------- configs


def test_configs_are_every_combination_with_the_train_pages_other_settings():
    base = TrainConfig(activation="tanh", optimizer="sgd", l2=1e-4, seed=3, epochs=30)
    values = {"learning_rate": [1e-3, 1e-2, 0.1], "hidden": [(16,), (64, 32)]}
    configs = sv.build_configs(values, base, epochs=7)
    assert len(configs) == 6
    assert [(c["learning_rate"], c["hidden"]) for c in configs[:2]] == [
        (1e-3, (16,)), (1e-3, (64, 32))]
    assert all(c["activation"] == "tanh" and c["optimizer"] == "sgd" and c["l2"] == 1e-4
               and c["seed"] == 3 and c["epochs"] == 7 for c in configs)
    swept = sv.build_configs({"epochs": [5, 10], "seed": [0]}, base, epochs=99)
    assert [c["epochs"] for c in swept] == [5, 10]  # a swept setting wins


def test_too_many_runs_or_an_empty_axis_is_refused():
    with pytest.raises(ValueError, match="pick at least one hidden layers"):
        sv.build_configs({"learning_rate": [0.1], "hidden": []}, TrainConfig())
    too_many = {"learning_rate": list(LEARNING_RATES), "hidden": list(sv.HIDDEN_CHOICES),
                "seed": list(sv.SEED_CHOICES)}
    with pytest.raises(ValueError, match=f"runs at most {sv.MAX_RUNS}"):
        sv.build_configs(too_many, TrainConfig())


def test_the_estimate_is_each_configs_batches_shared_among_the_workers():
    configs = sv.build_configs({"hidden": [(16,), (64,)], "batch_size": [10, 100]},
                               TrainConfig(), epochs=2)
    per_batch = {(16,): 0.001, (64,): 0.004}
    calls = []

    def measure(hidden, batch_size, activation, optimizer):
        calls.append((hidden, batch_size))
        return per_batch[hidden]

    # 1000 rows: 100 batches of 10 or 10 of 100; two epochs each.
    jobs = [2 * 100 * 0.001, 2 * 10 * 0.001, 2 * 100 * 0.004, 2 * 10 * 0.004]
    one = sv.estimate_seconds(configs, 1000, 1, measure, sv.MachineSpeed())
    two = sv.estimate_seconds(configs, 1000, 2, measure)  # None: the idle defaults
    assert one == pytest.approx(sum(jobs) + sv.POOL_START_SECONDS)
    assert two == pytest.approx(0.8 + sv.POOL_START_SECONDS)  # the 0.8 s job alone
    assert len(calls) == 8
    assert sv.budget_line(4, one) == "4 runs, about 2.1 s on this machine"
    assert sv.budget_line(1, 75) == "1 run, about 1 min 15 s on this machine"


def test_a_finished_sweep_teaches_the_estimate_this_machines_pace_and_overhead(monkeypatch):
    per_batch = {(16,): 0.001, (64,): 0.004}

    def measure(hidden, batch_size, activation, optimizer):
        return per_batch[hidden]

    # 1000 rows in batches of 100: 10 batches an epoch. Run 0 was expected to take
    # 2 epochs * 10 * 0.001 = 0.02 s; run 1 diverged after 1 of its 2 epochs: 0.04 s.
    results = [result(0, hidden=(16,), batch_size=100, epochs=2) | {"train_seconds": 0.06,
                                                                      "epochs_done": 2},
               result(1, hidden=(64,), batch_size=100, epochs=2, status="diverged")
               | {"train_seconds": 0.12, "epochs_done": 1},
               result(2, status="error: MemoryError: ") | {"train_seconds": 0.0,
                                                          "epochs_done": 0}]
    speed = sv.learn_speed(results, elapsed=2.0, n_train=1000, n_workers=2,
                           seconds_per_batch=measure, busy=1.5)
    assert speed.pace == pytest.approx((0.06 + 0.12) / (0.02 + 0.04))  # 3x the measure
    assert speed.factor == pytest.approx(2.0)  # of which 1.5 was the machine's load
    assert speed.overhead == pytest.approx(2.0 - 0.12)  # the longer run alone on a worker
    # Later, with 3 cores' worth of other work on 2 cores: (3 + 2 workers) / 2 = 2.5.
    monkeypatch.setattr(sv.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sv, "busy_cores", lambda: 3.0)
    now = sv.machine_speed(2)
    assert now.pace == pytest.approx(2.0 * 2.5) and now.overhead == speed.overhead
    configs = sv.build_configs({"hidden": [(16,), (64,)], "seed": [0]}, TrainConfig(), epochs=2)
    configs = [c | {"batch_size": 100} for c in configs]
    assert sv.estimate_seconds(configs, 1000, 2, measure, speed) == pytest.approx(
        3 * 2 * 10 * 0.004 + 1.88)
    assert sv.learn_speed(results[2:], 1.0, 1000, 2, measure) is None  # nothing trained


def test_a_busy_machine_slows_the_expected_runs_by_its_load_over_its_cores(monkeypatch):
    monkeypatch.setattr(sv.os, "cpu_count", lambda: 2)
    # What else runs now: 5 busy cores' worth, plus 2 workers, on 2 cores.
    monkeypatch.setattr(sv, "busy_cores", lambda: 5.0)
    assert sv.busy_pace(2) == pytest.approx(3.5)
    monkeypatch.setattr(sv, "busy_cores", lambda: 0.5)
    assert sv.busy_pace(2) == pytest.approx(1.25)
    monkeypatch.setattr(sv, "busy_cores", lambda: 0.0)
    assert sv.busy_pace(2) == 1.0 and sv.busy_pace(1) == 1.0  # never < 1
    # Without /proc/stat: the load average, less the process asking.
    monkeypatch.setattr(sv, "busy_cores", lambda: None)
    monkeypatch.setattr(sv.os, "getloadavg", lambda: (6.0, 5.0, 4.0))
    # A load of 6 is this process and 5 others: with 2 workers, 7 on 2 cores.
    assert sv.busy_pace(2) == pytest.approx(3.5)
    monkeypatch.setattr(sv.os, "getloadavg", lambda: (2.5, 0.0, 0.0))
    assert sv.busy_pace(2) == pytest.approx(1.75)
    monkeypatch.setattr(sv.os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert sv.busy_pace(2) == 1.0

    def no_load_average():
        raise OSError("no load average here")

    monkeypatch.setattr(sv.os, "getloadavg", no_load_average)
    assert sv.busy_pace(2) == 1.0


def test_busy_cores_reads_the_busy_share_of_proc_stat(monkeypatch, tmp_path):
    """Busy is all ticks but idle and iowait (stolen time counts as busy), times the cores."""
    stat = tmp_path / "stat"
    monkeypatch.setattr(sv, "PROC_STAT", str(stat))
    monkeypatch.setattr(sv.os, "cpu_count", lambda: 2)
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 0 50 800 50 0 0 0 7 0\ncpu0 1 2 3\n")
    first = sv._cpu_ticks()
    assert first == (1000, 850)  # guest time is inside user already
    assert sv.busy_between(first, (1020, 855)) == pytest.approx((1 - 5 / 20) * 2)
    assert sv.busy_between(first, first) == 0.0
    stat.write_text("nonsense\n")
    assert sv._cpu_ticks() is None
    monkeypatch.setattr(sv, "_cpu_watch", sv._CpuWatch())
    assert sv.busy_cores() is None  # busy_pace then asks the load average
    monkeypatch.setattr(sv, "PROC_STAT", str(tmp_path / "missing"))
    assert sv.busy_cores() is None


@contextlib.contextmanager
def another_session():
    """A thread spinning beside the test, as another session's training would."""
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            sum(range(1000))

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="no /proc/stat here")
def test_busy_cores_sees_a_busy_thread_without_making_the_asker_wait(monkeypatch):
    """The watcher thread reads /proc/stat four times a second: a busy thread beside the
    asker is one busy core, and only the first ask waits for a reading."""
    monkeypatch.setattr(sv, "_cpu_watch", sv._CpuWatch())
    assert sv.busy_cores() is not None  # the first ask starts the watcher, waits a reading
    with another_session():
        time.sleep(3 * sv.WATCH_SECONDS)
        started = time.perf_counter()
        busy = sv.busy_cores()
        waited = time.perf_counter() - started
    assert 0.7 <= busy <= (os.cpu_count() or 1)
    assert waited < sv.WATCH_SECONDS  # no reading taken for the ask


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_estimate_is_within_2x_of_a_digits_sweeps_time_beside_a_busy_session(digits):
    """The reported 4-6x: the page measured a batch on the server's wall clock, where
    another session's training thread took the GIL in turns."""
    from nn_core.sweep import batch_seconds

    def measure(hidden, batch_size, activation, optimizer):
        return batch_seconds(digits, hidden, batch_size, activation, optimizer)

    def busy_estimate(configs, speed):
        with another_session():
            return sv.estimate_seconds(configs, sv.training_rows(digits), 2, measure, speed)

    def run(configs):
        state = sv.SweepState.start({"learning_rate": [], "hidden": []}, configs, digits,
                                    n_jobs=2)
        while not state.poll():
            state.handle.wait(0.2)
        assert state.status == sv.FINISHED and state.done_count == len(configs)
        return state.seconds

    first = sv.build_configs({"learning_rate": [1e-3, 1e-2], "hidden": [(32,), (128,)]},
                             TrainConfig(), epochs=20)
    guess = busy_estimate(first, sv.MachineSpeed(pace=sv.busy_pace(2)))
    took = run(first)  # and the state teaches machine_speed() what it measured
    # Rates at which Adam trains to the end on digits: a run that diverges stops early
    # (at lr 0.1 and 1.0 most do, within a few epochs), and no estimate made before the
    # sweep can know when; there the estimate is an upper bound.
    second = sv.build_configs({"learning_rate": sv.lr_grid(1e-4, 1e-2), "hidden": [(32,), (128,)],
                               "seed": [0, 1]}, TrainConfig(), epochs=30)
    estimate = busy_estimate(second, sv.machine_speed(2))
    truth = run(second)
    print(f"\n4 runs: first estimate {guess:.1f} s, took {took:.1f} s; 12 runs: estimate "
          f"{estimate:.1f} s (pace {sv.machine_speed(2).pace:.2f}), took {truth:.1f} s")
    assert truth / 2 <= estimate <= truth * 2
    assert took / 2 <= guess <= took * 2  # before any sweep, from what runs now


def test_a_measured_batch_time_is_remembered(digits):
    measure = sv.measured_batch_seconds(digits)
    first = measure((16,), 32, "relu", "adam")
    assert 0 < first < 1 and measure((16,), 32, "relu", "adam") == first


# --------------------------------------------------------------------------- a tab's sweep


class FakeHandle:
    def __init__(self, total, where="this machine (2 processes)"):
        self.total, self.where = total, where
        self.finished, self.error, self.cancelled, self.elapsed = [], None, False, 0.0
        self.done = False

    def results(self):
        return list(self.finished)

    def cancel(self):
        self.cancelled = self.done = True

    def wait(self, timeout=None):
        return self.done


def started_state(values, handle):
    configs = sv.build_configs(values, TrainConfig(), epochs=3)

    def start(configs_, **kwargs):
        assert configs_ == configs and kwargs["timeout"] == sv.CONNECT_TIMEOUT_SECONDS
        return handle

    return sv.SweepState.start(values, configs, "digits", start=start), configs


def test_a_sweep_state_takes_results_as_they_come_and_ends_once():
    handle = FakeHandle(4)
    state, configs = started_state({"learning_rate": [1e-3, 1e-2], "hidden": [(16,), (64,)]},
                                   handle)
    assert state.running and state.total == 4 and state.axes == ("learning_rate", "hidden")
    assert state.poll() is False and state.done_count == 0
    handle.finished.append(result(0, **configs[0]))
    handle.elapsed = 2.0
    assert state.poll() is False and state.done_count == 1
    assert state.status_line() == (
        "1 of 4 runs done on this machine (2 processes) · 2.0 s so far · about 6.0 s left")
    handle.finished += [result(i, **configs[i]) for i in (1, 2, 3)]
    handle.done, handle.elapsed = True, 5.0
    assert state.poll() is True and state.status == sv.FINISHED and state.handle is None
    assert state.poll() is False  # ended once
    assert state.status_line() == "All 4 runs done on this machine (2 processes) in 5.0 s."


def test_a_finished_sweep_on_this_machine_teaches_the_next_estimate(digits):
    values = {"learning_rate": [1e-3, 1e-2], "hidden": [(16,), (64,)]}
    configs = sv.build_configs(values, TrainConfig(), epochs=3)
    handle = FakeHandle(4)
    handle.n_workers = 2
    state = sv.SweepState.start(values, configs, digits, start=lambda configs_, **kw: handle)
    handle.finished += [result(i, **configs[i]) for i in range(4)]  # 0.5 s of training each
    handle.done, handle.elapsed = True, 3.25
    assert state.poll() is True and state.status == sv.FINISHED
    # Two workers, two runs each: 1 s of training on each; the other 2.25 s is overhead.
    assert sv.machine_speed(2).overhead == pytest.approx(2.25)
    cancelled = FakeHandle(4)
    cancelled.n_workers = 2
    state = sv.SweepState.start(values, configs, digits, start=lambda configs_, **kw: cancelled)
    cancelled.finished.append(result(0, **configs[0]))
    cancelled.elapsed = 9.0
    state.cancel()
    assert sv.machine_speed(2).overhead == pytest.approx(2.25)  # a cancelled sweep: no lesson


def test_cancelling_keeps_the_results_so_far_and_a_failure_says_why():
    handle = FakeHandle(4)
    state, configs = started_state({"learning_rate": [1e-3, 1e-2], "hidden": [(16,), (64,)]},
                                   handle)
    handle.finished.append(result(2, **configs[2]))
    state.cancel()
    assert state.status == sv.CANCELLED and state.done_count == 1
    assert state.status_line().startswith("Cancelled after 1 of 4 runs")
    broken = FakeHandle(4)
    state, _ = started_state({"learning_rate": [1e-3, 1e-2], "hidden": [(16,), (64,)]}, broken)
    broken.done, broken.error = True, "CommClosedError: the scheduler went away"
    state.poll()
    assert state.status == sv.FAILED
    assert state.status_line().endswith("CommClosedError: the scheduler went away")


def test_the_heatmap_grid_puts_each_result_in_its_cell_for_the_chosen_third_value():
    values = {"learning_rate": [1e-3, 1.0], "hidden": [(16,), (64,)], "optimizer": ["sgd", "adam"]}
    handle = FakeHandle(8)
    state, configs = started_state(values, handle)
    state.results = [
        result(0, val=0.5, **configs[0]),                         # lr 1e-3, 16, sgd
        result(1, val=0.9, **configs[1]),                         # lr 1e-3, 16, adam
        result(7, status="diverged", val=0.1, **configs[7]),      # lr 1.0, 64, adam
        result(5, status="error: MemoryError: ", val=None, **configs[5]),  # lr 1.0, 16, adam
    ]
    x, y, z, text = sv.heatmap_grid(state, "adam")
    assert x == ["0.001", "1"] and y == ["16", "64"]
    assert z == [[pytest.approx(90.0), None], [None, pytest.approx(10.0)]]
    assert text == [["90%", "!"], ["", "✕ 10%"]]
    x, y, z, text = sv.heatmap_grid(state, "sgd")
    assert z == [[pytest.approx(50.0), None], [None, None]]


def test_parallel_coordinates_have_an_axis_per_setting_and_one_for_accuracy():
    values = {"learning_rate": [1e-3, 1e-2], "hidden": [(16,), (64,)]}
    state, configs = started_state(values, FakeHandle(4))
    state.results = [result(3, val=0.8, **configs[3]), result(0, val=0.6, **configs[0]),
                     result(1, status="error: x", val=None, **configs[1])]
    dims, colour = sv.parallel_dimensions(state)
    assert [d["label"] for d in dims] == ["learning rate", "hidden layers", "validation accuracy %"]
    assert dims[0]["values"] == [1, 0] and dims[0]["ticktext"] == ["0.001", "0.01"]
    assert dims[1]["values"] == [1, 0] and dims[1]["ticktext"] == ["16", "64"]
    assert colour == pytest.approx([80.0, 60.0]) and dims[2]["values"] == colour
    figure = figures.sweep_parallel(dims, colour)
    assert figure.data[0].type == "parcoords" and len(figure.data[0].dimensions) == 3


# --------------------------------------------------------------------------- results


def test_the_best_run_is_the_highest_validation_accuracy_that_did_not_diverge():
    results = [result(0, val=0.9), result(1, status="diverged", val=0.95),
               result(2, val=0.93, learning_rate=0.01), result(3, val=0.93, learning_rate=0.1),
               result(4, status="error: boom", val=None)]
    best = sv.best_result(results)
    assert best["index"] == 2  # ties go to the first config
    assert sv.best_result([result(0, status="diverged")]) is None
    config = sv.train_config_of(best, "digits")
    assert config == TrainConfig(learning_rate=0.01)
    assert sv.describe(best, ("learning_rate", "hidden")) == "learning rate 0.01, hidden layers 64"


def test_the_best_runs_link_opens_the_train_page_with_its_settings():
    config = TrainConfig(hidden=(128, 64), learning_rate=0.02, seed=4)
    link = sv.train_link("http://lab.example:8501/sweep?sid=abc", config)
    assert link.startswith("http://lab.example:8501/?")
    assert "hidden=128-64" in link and "lr=0.02" in link and "sid=" not in link
    from urllib.parse import parse_qsl, urlsplit

    parsed, notes = config_from_query(dict(parse_qsl(urlsplit(link).query)))
    assert parsed == config and notes == []
    assert sv.train_link(None, config).startswith("http://localhost:8501/?")


def test_the_csv_has_a_row_per_run_in_config_order_with_exact_numbers():
    results = [result(1, val=0.9259259259259259, hidden=(64, 32)),
               result(0, status="diverged", val=0.1, test=None, learning_rate=1.0)]
    rows = list(csv.DictReader(io.StringIO(sv.results_csv(results, "digits").decode())))
    assert [r["learning_rate"] for r in rows] == ["1.0", "0.003"]
    assert rows[0]["status"] == "diverged" and rows[0]["test_accuracy"] == ""
    assert rows[1]["hidden"] == "64-32" and rows[1]["dataset"] == "digits"
    assert float(rows[1]["val_accuracy"]) == 0.9259259259259259  # round-trips exactly
    assert set(rows[0]) == {"dataset", *sv.CSV_COLUMNS}


def test_the_table_lists_the_best_first():
    rows = sv.table_rows([result(0, val=0.5), result(1, val=0.9, learning_rate=0.01),
                          result(2, status="error: x", val=None)], ("learning_rate",))
    assert [r["learning rate"] for r in rows] == ["0.01", "0.003", "0.003"]
    assert rows[0]["validation accuracy %"] == 90.0 and rows[2]["validation accuracy %"] is None


def test_the_heatmap_figure_keeps_a_fixed_colour_scale_and_blank_pending_cells():
    fig = figures.sweep_heatmap(["0.001", "1"], ["16"], [[95.0, None]], [["95%", ""]],
                                "learning rate", "hidden layers")
    heat = fig.data[0]
    assert heat.zmin == 0 and heat.zmax == 100
    assert heat.z[0][0] == 95.0 and heat.z[0][1] is None
    assert list(heat.x) == ["0.001", "1"] and fig.layout.xaxis.title.text == "learning rate"


def test_the_preview_grid_is_the_sweeps_grid_empty():
    x, y, z, text = sv.preview_grid({"learning_rate": [1e-3, 0.1], "hidden": [(16,), (64, 32)],
                                     "seed": [0, 1]})
    assert x == ["0.001", "0.1"] and y == ["16", "64-32"]
    assert z == [[None, None], [None, None]] and text == [["", ""], ["", ""]]
