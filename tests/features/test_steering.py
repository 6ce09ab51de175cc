"""Steering a run: settings in the URL, a tab that survives a reload, and a Train page
that says when a run is not learning and why (glue level, no browser)."""

from __future__ import annotations

import math
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from playground.common import sessions
from playground.common.diagnosis import causes, chance_warning, is_at_chance, run_warning
from playground.common.runs import TrainingRun
from playground.common.state import STATE_KEY, Playground, get_playground, url_params
from playground.common.urlstate import (
    QUERY_FIELDS,
    SESSION_PARAM,
    config_from_query,
    config_to_query,
    share_link,
)
from playground.common.vocab import DIVERGED, FINISHED, STOPPED, TrainConfig
from playground.train import figures
from playground.train import view as train_view

# --------------------------------------------------------------------------- the URL


def test_a_link_sets_every_setting_and_round_trips():
    config = TrainConfig(dataset="digits", hidden=(512, 512, 512), activation="tanh",
                         optimizer="rmsprop", learning_rate=2e-4, epochs=100, batch_size=8,
                         l2=1e-3, seed=12345)
    query = config_to_query(config)
    assert query == {"dataset": "digits", "hidden": "512-512-512", "activation": "tanh",
                     "optimizer": "rmsprop", "lr": "0.0002", "epochs": "100", "batch": "8",
                     "l2": "0.001", "seed": "12345"}
    assert config_from_query(query) == (config, [])
    # Parameters left out keep the defaults.
    partial, notes = config_from_query({"hidden": "512-512", "batch": "8"})
    assert notes == [] and partial == TrainConfig(hidden=(512, 512), batch_size=8)


@pytest.mark.parametrize(
    "name, value",
    [
        ("hidden", "0"), ("hidden", "64-64-64-64"), ("hidden", "65"), ("hidden", "1e9"),
        ("hidden", "-"), ("lr", "0.0031"), ("lr", "nan"), ("lr", "inf"), ("lr", "-1"),
        ("epochs", "0"), ("epochs", "101"), ("epochs", "3.5"), ("batch", "7"),
        ("batch", "1e400"), ("l2", "0.5"), ("seed", "-1"), ("seed", str(2**31)),
        ("activation", "softplus"), ("optimizer", "<script>"), ("dataset", "../../etc"),
        ("seed", "9" * 5000), ("hidden", "６４"), ("lr", "1e"), ("batch", "８"),
    ],
)
def test_a_bad_or_out_of_range_value_falls_back_with_a_short_note(name, value):
    config, notes = config_from_query({name: value, "epochs": "7"} if name != "epochs"
                                      else {name: value})
    default = TrainConfig(epochs=7) if name != "epochs" else TrainConfig()
    assert config == default
    assert len(notes) == 1 and f"`{name}=" in notes[0] and len(notes[0]) < 200
    spec = QUERY_FIELDS[name]
    assert notes[0].endswith(f"kept {name}={spec.format(getattr(default, spec.config_field))}.")


def test_unknown_parameters_are_ignored_and_lists_take_the_last_value():
    config, notes = config_from_query({"evil": "1", "lr": ["0.1", "0.01"]})
    assert notes == [] and config.learning_rate == 0.01


def test_share_link_carries_settings_but_never_the_session_token():
    config = TrainConfig(hidden=(32, 16), seed=3)
    link = share_link("http://localhost:8501/", config)
    assert link.startswith("http://localhost:8501/?dataset=digits&hidden=32-16&")
    assert "seed=3" in link and SESSION_PARAM not in link
    assert share_link(None, config).startswith("http://localhost:8501/?")


# --------------------------------------------------------------------------- reloads


def test_first_page_run_takes_settings_from_the_link_then_a_reload_restores_everything(digits):
    store = sessions.SessionStore()
    tab = {}
    pg = get_playground(tab, {"hidden": "16", "epochs": "2", "batch": "8"}, store)
    assert pg.config == TrainConfig(hidden=(16,), epochs=2, batch_size=8)
    pg.train_to_end(pg.config, digits)
    store.put(pg.token, pg)
    params = url_params(pg)
    assert params[SESSION_PARAM] == pg.token and params["hidden"] == "16"

    reloaded = {}  # a reload is a new Streamlit session with the same address
    again = get_playground(reloaded, params, store)
    assert again is pg and again.model is pg.model and len(again.runs) == 1
    assert reloaded[STATE_KEY] is pg
    # Once the session has its state, later page runs don't look at the link again.
    assert get_playground(reloaded, {"hidden": "512"}, store) is pg


def test_an_edited_link_wins_over_the_restored_settings_and_unknown_tokens_start_afresh():
    store = sessions.SessionStore()
    pg = Playground()
    store.put(pg.token, pg)
    again = get_playground({}, {SESSION_PARAM: pg.token, "seed": "9"}, store)
    assert again is pg and again.config.seed == 9
    fresh = get_playground({}, {SESSION_PARAM: sessions.new_token()}, store)
    assert fresh is not pg and "expired" in fresh.pop_notices()[0][1]
    hostile = get_playground({}, {SESSION_PARAM: "../" * 50}, store)
    assert hostile is not pg and hostile.token != "../" * 50


def test_the_store_is_bounded_by_count_age_and_memory():
    now = [0.0]
    store = sessions.SessionStore(max_sessions=3, ttl_seconds=100, max_bytes=1000,
                                  clock=lambda: now[0], size_of=lambda state: state)
    tokens = [sessions.new_token() for _ in range(5)]
    for token in tokens[:4]:
        store.put(token, 10)
        now[0] += 1
    assert len(store) == 3 and store.get(tokens[0]) is None  # least recently used went first
    assert store.get(tokens[1]) == 10  # ... and a get refreshes
    store.put(tokens[4], 10)
    assert store.get(tokens[1]) == 10 and store.get(tokens[2]) is None
    now[0] += 101
    assert store.get(tokens[1]) is None and len(store) == 0  # expired
    big = sessions.new_token()
    store.put(tokens[0], 600)
    store.put(big, 600)  # over max_bytes: the older one goes
    assert store.get(big) == 600 and store.get(tokens[0]) is None
    with pytest.raises(ValueError, match="token"):
        store.put("short", 1)


def test_store_counts_a_tabs_networks(default_run):
    pg = Playground()
    assert sessions.playground_bytes(pg) == 0
    pg.complete_run(default_run)
    size = sessions.playground_bytes(pg)
    n = default_run.net.n_params  # 64-64-10: 4,810
    # Two parameter vectors, the gradient, Adam's double-buffered m and v and its scratch
    # vector; the compiled steps' buffers for 32 rows: the input (64), each layer's
    # output (64 + 10), the hidden layer's error (64) and two halves' bias gradients;
    # then the labels (intp), the layer sizes, the halves' loss and count and the results.
    assert size == ((2 + 1 + 4 + 1) * n + 32 * (64 + (64 + 10) + 64) + 2 * (64 + 10)) * 4 \
        + (32 + 3 + 2 + 2 + 6) * 8
    pg.run = default_run  # the same network twice counts once
    assert sessions.playground_bytes(pg) == size


# --------------------------------------------------------------------------- diagnosis


def test_sigmoid_three_layers_sgd_tiny_lr_is_flagged_at_chance_with_its_causes(digits):
    config = TrainConfig(activation="sigmoid", hidden=(64, 64, 64), optimizer="sgd",
                         learning_rate=1e-4, epochs=6)
    run = TrainingRun(config, digits)
    run.run_to_end()
    warning = chance_warning(config, run.history, 10)
    assert warning is not None and "chance" in warning
    assert "too low" in warning and "vanishing gradients" in warning
    assert run_warning(config, run.history, 10) == warning


def test_the_default_run_gets_no_warning(default_run):
    assert run_warning(default_run.config, default_run.history, 10) is None
    assert default_run.status == FINISHED


def test_no_chance_verdict_before_five_epochs(digits):
    config = TrainConfig(optimizer="sgd", learning_rate=1e-4, epochs=4)
    run = TrainingRun(config, digits)
    run.run_to_end()
    assert chance_warning(config, run.history, 10) is None


def _history(loss, val_accuracy, health=()):
    return SimpleNamespace(loss=loss, val_accuracy=val_accuracy, health=list(health))


def test_causes_from_signals():
    flat = [2.30, 2.30, 2.30, 2.30, 2.30]
    chance = [0.1] * 5
    rose = _history([1.0, 1.5, 2.0, 2.4, 2.6], chance)
    assert "too high" in causes(TrainConfig(learning_rate=1e-3), rose, 10)[0]
    assert "too high" in causes(TrainConfig(learning_rate=1.0), _history(flat, chance), 10)[0]
    low = causes(TrainConfig(optimizer="sgd", learning_rate=1e-4), _history(flat, chance), 10)
    assert len(low) == 1 and "too low" in low[0]
    dead = _history([2.0] * 5, chance, [{"grad_norms": [0.1, 0.1], "stuck": [0.9]}])
    found = causes(TrainConfig(learning_rate=1e-3), dead, 10)
    assert any("dead ReLUs" in c for c in found)
    vanishing = _history(flat, chance, [{"grad_norms": [1e-4, 1e-2, 1.0], "stuck": [0, 0]}])
    found = causes(TrainConfig(activation="tanh", hidden=(8, 8), learning_rate=0.01,
                               optimizer="sgd"), vanishing, 10)
    assert any("vanishing" in c for c in found)
    # A healthy run's signals name no cause.
    healthy = _history([2.3, 1.0, 0.5, 0.3, 0.2], [0.5, 0.8, 0.9, 0.95, 0.96],
                       [{"grad_norms": [0.3, 0.3], "stuck": [0.05]}])
    assert causes(TrainConfig(), healthy, 10) == []
    assert run_warning(TrainConfig(), healthy, 10) is None


def test_mostly_dead_units_are_warned_about_even_above_chance():
    history = _history([2.0, 1.9, 1.9, 1.9, 1.9], [0.3] * 5,
                       [{"grad_norms": [0.1, 0.1], "stuck": [0.97]}])
    warning = run_warning(TrainConfig(optimizer="momentum", learning_rate=1.0), history, 10)
    assert warning is not None and "97%" in warning and "dead" in warning
    assert "chance" not in warning


def test_is_at_chance():
    assert is_at_chance(0.10, 10) and is_at_chance(0.149, 10) and is_at_chance(0.02, 10)
    assert not is_at_chance(0.16, 10) and not is_at_chance(None, 10)
    assert not is_at_chance(math.nan, 10) and is_at_chance(0.54, 2)


def test_a_chance_model_is_not_silently_handed_to_draw_and_inspect(digits, default_run):
    pg = Playground()
    pg.complete_run(default_run)
    good = pg.model
    assert not pg.model_at_chance and pg.last_good_model is None
    bad = TrainingRun(TrainConfig(activation="sigmoid", hidden=(64, 64, 64), optimizer="sgd",
                                  learning_rate=1e-4, epochs=2), digits, run_id=2)
    bad.run_to_end()
    pg.complete_run(bad)
    assert pg.model.net is bad.net and pg.model_at_chance
    assert pg.last_good_model is good
    assert pg.use_last_good_model() and pg.model is good and pg.last_good_model is None
    assert not pg.use_last_good_model()


# --------------------------------------------------------------------------- page logic


def test_accuracy_delta_has_no_arrow_for_zero_and_names_the_previous_run():
    from playground.common.runs import RunRecord

    def record(run_id, accuracy, dataset="digits"):
        return RunRecord(run_id, TrainConfig(dataset=dataset), {}, FINISHED, 1, accuracy,
                         accuracy, 1.0)

    run = SimpleNamespace(run_id=1, test_accuracy=0.9712, config=TrainConfig())
    assert train_view.accuracy_delta(run, []) is None
    assert train_view.accuracy_delta(run, [record(0, 0.9711)]) is None
    assert train_view.accuracy_delta(run, [record(0, 0.95)]) == "+2.1 pts vs #0"
    assert train_view.accuracy_delta(run, [record(0, 0.99)]) == "-1.9 pts vs #0"
    assert train_view.accuracy_delta(run, [record(2, 0.5)]) is None  # only earlier runs
    # Only runs on the same dataset: an MNIST sample run's accuracy is no yardstick.
    run = SimpleNamespace(run_id=3, test_accuracy=0.9712, config=TrainConfig())
    assert train_view.accuracy_delta(run, [record(1, 0.95), record(2, 0.943, "mnist-sample")]) \
        == "+2.1 pts vs #1"
    assert train_view.accuracy_delta(run, [record(2, 0.943, "mnist-sample")]) is None


def test_start_tip_describes_the_settings_on_screen():
    tip = train_view.start_tip(TrainConfig(hidden=(128, 32), optimizer="sgd", learning_rate=0.1))
    assert "2 hidden layers of 128 and 32 ReLU units" in tip and "SGD" in tip
    assert "0.1" in tip and "defaults" not in tip
    assert "defaults" in train_view.start_tip(TrainConfig())
    assert tip.endswith("Change the settings on the left first, if you like.")
    phone = train_view.start_tip(TrainConfig(), narrow=True)
    assert "below the chart" in phone and "left" not in phone


def test_lr_marks_sit_where_the_new_rate_was_first_used(digits):
    run = TrainingRun(TrainConfig(epochs=3, hidden=(8,), batch_size=100), digits)
    run.start()
    run.step(budget_seconds=60)  # epoch 1: batches 1-13
    run.step(budget_seconds=1e-9)  # batch 1 of epoch 2
    run.net.learning_rate = 0.01
    run.step(budget_seconds=60)
    per_epoch = run.trainer.batches_per_epoch
    assert run.lr_changes == [(2, 2, 0.01)]
    assert train_view.lr_marks(run) == [(1 + 1 / per_epoch, 0.01)]
    # The live view marks it there, labelled with the new rate.
    assert figures.lr_mark_labels(train_view.lr_marks(run)) == [(1 + 1 / per_epoch, "lr 0.01")]


def test_live_change_notes_say_when_each_change_applies(digits):
    run = TrainingRun(TrainConfig(epochs=40, hidden=(8,)), digits)
    run.start()
    run.step(budget_seconds=60, max_epochs=3)
    changed = run.apply_live(TrainConfig(epochs=2, hidden=(8,), learning_rate=0.01,
                                         batch_size=64, l2=1e-4))
    notes = " ".join(train_view.live_change_notes(changed, run, 2))
    assert "next batch" in notes and "next epoch" in notes and "already reached epoch 3" in notes


def test_output_heatmap_numbers_classes_from_zero_and_health_meters_plot_every_layer():
    images = figures.weight_images([np.ones((4, 10))], None,
                                   class_names=[str(i) for i in range(10)])
    assert images[-1]["to_names"] == [str(i) for i in range(10)]
    samples = [{"epoch": 1, "batch": 5, "grad_norms": [0.1, 0.2, 0.3], "stuck": [0.0, 0.5]},
               {"epoch": 1, "batch": 10, "grad_norms": [0.2, 0.2, 0.3], "stuck": [0.1, 0.5]}]
    layout = figures.live_health_series(figures.live_layout("sigmoid"), samples)
    charts = {c["id"]: c for c in layout["charts"]}
    assert [c["name"] for c in charts["grad"]["series"]] == ["W1", "W2", "W3"]
    assert [c["name"] for c in charts["stuck"]["series"]] == ["hidden 1", "hidden 2"]
    assert "saturated" in charts["stuck"]["title"]
    x, ys = figures.live_points({"health": samples}, batches_per_epoch=10)["stuck"]
    assert x == [0.5, 1.0] and ys[1] == [0.5, 0.5]


def test_a_diverged_run_suggests_a_lower_learning_rate_in_its_message(digits):
    run = TrainingRun(TrainConfig(optimizer="adam", learning_rate=1.0, epochs=5), digits)
    run.run_to_end()
    assert run.status == DIVERGED and "exploded" in run.message
    assert "lower learning rate" in run.message


def test_start_training_explains_what_stops_it(digits):
    pg = Playground()

    def missing(name):
        raise RuntimeError("no files")

    assert pg.start_training(TrainConfig(dataset="mnist"), missing) is None
    level, text = pg.pop_notices()[0]
    assert level == "error" and "isn't on this machine yet (no files)" in text
    assert pg.start_training(TrainConfig(hidden=()), lambda name: digits) is None
    level, text = pg.pop_notices()[0]
    assert "Can't start training: use 1 to 3 hidden layers" in text
    run = pg.start_training(TrainConfig(epochs=2), lambda name: digits)
    assert run is pg.run and run.status == "running" and pg.config.epochs == 2


def test_a_stop_from_another_thread_waits_for_the_step_in_flight_and_stands(digits, monkeypatch):
    """One tab's page runs can overlap in two threads: a fragment run still inside a
    training step while a click's full run stops the run. Before the run's lock, the
    Stop finished the trainer mid-step, and the step then saw it done and recorded the
    run as "finished" (the Stop lost, 1 in 2 on 512-512-512 batch 8 in the browser)."""
    run = TrainingRun(TrainConfig(epochs=50), digits)
    run.start()
    in_step, release = threading.Event(), threading.Event()
    engine_step = run.trainer.step

    def held_step(*args, **kwargs):
        in_step.set()
        assert release.wait(10)
        return engine_step(*args, **kwargs)

    monkeypatch.setattr(run.trainer, "step", held_step)
    stepper = threading.Thread(target=run.step, kwargs={"budget_seconds": 10, "max_epochs": 1})
    stepper.start()
    assert in_step.wait(10)
    stopper = threading.Thread(target=run.stop)
    stopper.start()
    stopper.join(0.3)
    assert stopper.is_alive(), "the Stop did not wait for the step in flight"
    assert run.status == "running"
    release.set()
    stepper.join(10)
    stopper.join(10)
    assert run.status == STOPPED
    assert run.epochs_done == 1  # the piece under way ended its epoch, then the Stop acted
    assert run.test_accuracy is not None
    run.step()  # a stopped run trains no more
    assert run.epochs_done == 1 and run.status == STOPPED
