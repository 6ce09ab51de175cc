"""The Train page through AppTest: what it trains on, links, reloads and warnings.

Each test checks that a setting or a number on the page is the real one: the L2 on
screen is the L2 the engine trains with, the validation curve is scored on held-out
rows, "Test accuracy" is scored on the test set.
"""

from __future__ import annotations

import numpy as np
import pytest

from playground.common.state import STATE_KEY
from playground.common.urlstate import SESSION_PARAM
from tests.apptest_helpers import (
    copy_links,
    live_views,
    metrics,
    plotly_figures,
    run_until,
    started,
)


def playground(app):
    return app.session_state[STATE_KEY]


def train_to_end(app):
    app.button(key="btn-train").click().run()
    return run_until(app, lambda a: "Test accuracy" in metrics(a))


def texts(elements):
    return " ".join(e.value for e in elements)


def test_a_link_sets_the_controls_and_a_bad_value_gets_a_note():
    app = started(hidden="128-32", optimizer="sgd", lr="0.1", epochs="4", batch="8",
                  l2="0.001", seed="5", activation="bogus")
    assert app.radio(key="cfg-layers").value == 2
    assert app.select_slider(key="cfg-hidden-0").value == 128
    assert app.select_slider(key="cfg-hidden-1").value == 32
    assert app.selectbox(key="cfg-optimizer").value == "sgd"
    assert app.select_slider(key="cfg-lr").value == 0.1
    assert app.slider(key="cfg-epochs").value == 4
    assert app.select_slider(key="cfg-batch").value == 8
    assert app.select_slider(key="cfg-l2").value == 0.001
    assert app.number_input(key="cfg-seed").value == 5
    assert app.selectbox(key="cfg-activation").value == "relu"  # the default
    assert "`activation=bogus` isn't valid" in texts(app.warning)
    # The address bar now carries every setting and this tab's token.
    assert app.query_params["hidden"] == "128-32" and app.query_params[SESSION_PARAM]
    assert "2 hidden layers of 128 and 32" in texts(app.info)  # the tip describes them


def test_the_same_link_and_train_give_the_same_curves_bit_for_bit():
    query = {"hidden": "32", "epochs": "3", "batch": "16", "lr": "0.01", "seed": "4"}
    first, second = started(**query), started(**query)
    histories = []
    for app in (first, second):
        train_to_end(app)
        histories.append(playground(app).runs[-1].history)
    assert histories[0]["loss"] == histories[1]["loss"]
    assert histories[0]["val_accuracy"] == histories[1]["val_accuracy"]
    w = [playground(a).model.net.weights[0] for a in (first, second)]
    np.testing.assert_array_equal(*w)


def test_a_reload_keeps_settings_model_and_runs():
    app = started(hidden="16", epochs="2")
    train_to_end(app)
    pg = playground(app)
    address = dict(app.query_params.items())
    reloaded = started(**address)  # a new session with the same address
    assert playground(reloaded) is pg
    assert reloaded.select_slider(key="cfg-hidden-0").value == 16
    assert "Test accuracy" in metrics(reloaded) and len(playground(reloaded).runs) == 1
    # Someone else's link without the token starts a tab of its own.
    other = started(hidden="16", epochs="2")
    assert playground(other) is not pg and playground(other).runs == []


def test_copy_link_shows_a_link_with_the_settings_and_no_token():
    app = started(hidden="64-64", seed="7")
    links = copy_links(app)
    assert len(links) == 1 and "hidden=64-64" in links[0] and "seed=7" in links[0]
    assert SESSION_PARAM not in links[0]


@pytest.mark.slow
def test_sigmoid_three_layers_sgd_tiny_lr_shows_the_chance_warning():
    app = started(activation="sigmoid", hidden="64-64-64", optimizer="sgd", lr="0.0001",
                  epochs="6")
    train_to_end(app)
    warning = texts(app.warning)
    assert "chance" in warning and "too low" in warning and "vanishing" in warning
    # Draw says the model reads digits at chance, and offers the default instead.
    app.switch_page("pages/draw.py").run()
    assert "reads digits at chance" in texts(app.warning)
    app.button(key="btn-default-model").click().run()
    assert not playground(app).model_at_chance and "at chance" not in texts(app.warning)


def test_the_default_run_has_no_warning_and_draws_curves_health_and_weights():
    app = started()
    train_to_end(app)
    assert texts(app.warning) == ""
    # One live view, sent whole on this full page run: its charts, series and weights.
    (view,) = live_views(app)
    assert view["key"] and view["running"] is False
    charts = {c["id"]: c for c in view["layout"]["charts"]}
    names = {s["name"] for c in charts.values() for s in c["series"]}
    assert {"train loss", "validation accuracy", "W1", "W2", "hidden 1"} <= names
    assert charts["grad"]["log"] and len(view["points"]["loss"]["x"]) == 30
    images = {i["id"]: i for i in view["images"]}
    assert images["tiles"]["title"].startswith("Input → hidden layer 1")
    # The output heatmap numbers the classes 0-9.
    assert images["matrix-1"]["to_names"] == [str(i) for i in range(10)]
    # The run ended: the epoch axis ends at its last epoch.
    assert view["x_range"] == [0.5, 30.5]
    # The health area shows the activation and its slope with the layer's z values.
    assert any("f′" in str(t.get("name")) for f in plotly_figures(app) for t in f["data"])


def test_l2_on_screen_is_the_l2_the_engine_trains_with():
    plain = started(epochs="3", seed="1")
    decayed = started(epochs="3", seed="1", l2="0.01")
    norms = []
    for app in (plain, decayed):
        train_to_end(app)
        norms.append(float(np.linalg.norm(playground(app).model.net.weights[0])))
    run = playground(decayed).run
    assert run.l2 == 0.01 and run.trainer.l2 == 0.01
    assert norms[1] < 0.8 * norms[0]  # measured: 0.55x


def test_validation_is_held_out_and_test_accuracy_is_the_test_set():
    app = started(epochs="3")
    train_to_end(app)
    run = playground(app).run
    train_rows, val_rows = set(run.train_idx.tolist()), run.X_val
    assert len(train_rows) + len(val_rows) == len(run.dataset.y_train)
    held_out = sorted(set(range(len(run.dataset.y_train))) - train_rows)
    np.testing.assert_array_equal(run.X_val, run.dataset.X_train[held_out])
    assert run.trainer.n == len(train_rows)  # the engine never trains on them
    expected_val = run.net.evaluate(run.X_val, run.y_val)[1]
    assert run.history.val_accuracy[-1] == expected_val
    test_accuracy = run.net.score(run.dataset.X_test, run.dataset.y_test)
    assert metrics(app)["Test accuracy"] == f"{test_accuracy:.1%}"
    assert run.test_accuracy == test_accuracy


def test_an_offline_download_says_so_in_one_short_sentence(tmp_path, monkeypatch):
    """The raw error (URLs, cache paths, urlopen's words) goes into an expander."""
    import streamlit as st

    from nn_core import datasets

    monkeypatch.setenv("MLP_PLAYGROUND_DATA", str(tmp_path))
    st.cache_resource.clear()
    raw = (
        f"Could not download MNIST into {tmp_path}: https://example.invalid/train-images-idx3"
        "-ubyte.gz: <urlopen error [Errno -3] Temporary failure in name resolution>; OpenML "
        "fallback fetch_openml('mnist_784'): <urlopen error [Errno -3]> " + "x" * 400
    )

    def offline(name, data_dir=None, *, download=False, progress=None):
        raise datasets.DatasetUnavailableError(raw)

    app = started()
    monkeypatch.setattr(datasets, "load", offline)
    app.radio(key="cfg-dataset").set_value("mnist").run()
    app.button(key="download-mnist").click().run()
    shown = [e.value for e in app.error]
    assert len(shown) == 1 and "offline" in shown[0] and len(shown[0]) < 200
    assert "urlopen" not in shown[0] and str(tmp_path) not in shown[0]
    details = [e for e in app.expander if e.label == "Details"]
    assert details and "urlopen" in details[0].code[0].value
    assert not app.exception
    st.cache_resource.clear()


def test_inspect_offers_the_last_good_model_after_a_chance_run():
    app = started(hidden="16", epochs="3")
    train_to_end(app)
    good = playground(app).model
    for key, value in (("cfg-activation", "sigmoid"), ("cfg-optimizer", "sgd")):
        app.selectbox(key=key).set_value(value)
    app.select_slider(key="cfg-lr").set_value(0.0001)
    app.slider(key="cfg-epochs").set_value(6).run()
    train_to_end(app)
    assert playground(app).model_at_chance and playground(app).last_good_model is good
    app.switch_page("pages/inspect.py").run()
    assert "reads digits at chance" in texts(app.warning)
    app.button(key="btn-last-good-model").click().run()
    assert playground(app).model is good and "at chance" not in texts(app.warning)
    assert not app.exception


def test_a_notice_leaves_every_widget_where_it_was():
    """A notice (Reset's, Stop's, a link's) shows in a place of its own: the page's
    widgets keep their places in the page, so the browser keeps their elements. Before,
    each widget below a notice that came or went was drawn anew, and a key press on
    its old copy, still on screen while the page ran, was lost."""
    from playground.common.state import Playground

    pg = Playground()
    app = started(pg)
    top_level = len(app.main.children)
    pg.notify("info", "A notice for this test.")
    app.run()
    assert [i.value for i in app.info][:1] == ["A notice for this test."]
    assert len(app.main.children) == top_level
