"""The Boundaries page through AppTest: it trains, draws the boundary and every neuron's
map (the component's payload is the network's own numbers), and every dataset, feature
toggle, + / − control, button and link setting does what it says.

AppTest runs the page once per ``app.run()``: a playing lab trains one frame each time
(AppTest does not fire the fragment's timer), which is what the tests step through.
"""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nn_core.data import datasets2d as d2
from playground.boundaries import component as boundary_component
from playground.boundaries import figures as bf
from playground.boundaries import lab as bd
from playground.common.state import STATE_KEY
from playground.common.vocab import TrainConfig
from tests.apptest_helpers import (
    app_session,
    assert_calm,
    components,
    copy_links,
    metrics,
    run_until,
)


def open_page(**query) -> AppTest:
    """The Boundaries page, opened with ``query`` in the address (as a link would): its
    first run is on ``/boundaries?...``, as a visitor's is."""
    app = app_session(**query)
    app.switch_page("pages/boundaries.py").run()
    assert_calm(app)
    if query:
        # A link's parameters belong to the page in its path: Train's settings are untouched.
        assert app.session_state[STATE_KEY].config == TrainConfig()
    return app


def lab(app) -> bd.BoundaryLab:
    return app.session_state[STATE_KEY].room("boundaries")


def payload(app) -> dict:
    panels = components(app, boundary_component.NAME)
    assert len(panels) == 1
    return panels[0]


def percent(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_the_page_trains_and_draws_the_boundary_and_every_neuron():
    app = open_page()
    assert app.title[0].value == "Boundaries"
    assert metrics(app)["Epoch"] == "0"
    play = app.button(key="bd-play")
    assert play.label == "Play"
    play.click().run()
    assert app.button(key="bd-play").label == "Pause"
    run_until(app, lambda a: percent(metrics(a)["Test accuracy"]) >= 0.9, max_runs=40)
    frames = lab(app).frames
    print(f"default settings: >= 90% test accuracy after {frames} frames")
    # Measured: 2 frames (12 epochs). A frame trains at most 0.1 s, so a very busy
    # machine may need more; 10x is the bound.
    assert frames <= 20
    frame = payload(app)
    net = lab(app).net
    b = frame["boundary"]
    shown = bf.decode_grid(b["proba"], (b["n"], b["n"], b["k"]))
    _, points = d2.grid(b["n"])
    expected = net.predict_proba(d2.features(points, lab(app).config.features))
    np.testing.assert_allclose(shown.reshape(-1, 2), expected, atol=0.5 / 255 + 1e-6)
    columns = frame["network"]["columns"]
    assert [len(c["units"]) for c in columns] == [2, 4, 2, 2]
    for column in columns:
        for unit in column["units"]:
            assert unit["formula"] and unit["range"][0] < unit["range"][1]  # a real map
    assert frame["title"].startswith(f"Epoch {lab(app).epoch} ·")
    app.button(key="bd-play").click().run()
    assert app.button(key="bd-play").label == "Play" and not lab(app).playing


@pytest.mark.slow
@pytest.mark.parametrize("name", list(d2.DATASETS))
def test_every_dataset_can_be_chosen_and_trained(name):
    app = open_page()
    app.selectbox(key="bd-data").set_value(name).run()
    assert_calm(app)
    assert lab(app).config.data == name
    app.button(key="bd-step").click().run()
    assert metrics(app)["Epoch"] == "1"
    frame = payload(app)
    k = d2.n_classes(name)
    assert frame["boundary"]["k"] == k and len(frame["confusion"]) == k
    assert len(frame["network"]["columns"][-1]["units"]) == k
    assert {c for _, _, c in frame["train"]} == set(range(k))


@pytest.mark.slow
def test_every_feature_toggle_switches_that_input():
    app = open_page()
    assert app.button_group(key="bd-features").value == ["x1", "x2"]

    def toggle(name):
        chosen = list(app.button_group(key="bd-features").value)
        toggled = [f for f in chosen if f != name] if name in chosen else [*chosen, name]
        app.button_group(key="bd-features").set_value(toggled).run()
        assert_calm(app)
        assert lab(app).config.features == d2.check_features(toggled)
        names = [u["name"] for u in payload(app)["network"]["columns"][0]["units"]]
        assert names == [d2.FEATURES[f][0] for f in d2.check_features(toggled)]
        app.button(key="bd-step").click().run()
        assert lab(app).epoch == 1  # a new network on the new inputs, trained one epoch

    for name in list(d2.FEATURES)[2:]:  # every other feature on, one at a time
        toggle(name)
    assert lab(app).config.features == tuple(d2.FEATURES)
    for name in list(d2.FEATURES)[:-1]:  # and off again, down to the last
        toggle(name)
    assert lab(app).config.features == ("sinx2",)
    # Switching the last one off keeps it, with a note.
    app.button_group(key="bd-features").set_value([]).run()
    assert lab(app).config.features == ("sinx2",)
    assert any("at least one input feature" in w.value for w in app.warning)


def test_plus_and_minus_change_the_layers_and_units():
    app = open_page()
    app.button(key="bd-layer-add").click().run()
    assert lab(app).config.hidden == (4, 2, 2)
    app.button(key="bd-unit-add-0").click().run()
    app.button(key="bd-unit-remove-2").click().run()
    assert lab(app).config.hidden == (5, 2, 1)
    assert [len(c["units"]) for c in payload(app)["network"]["columns"]] == [2, 5, 2, 1, 2]
    app.button(key="bd-layer-remove").click().run()
    assert lab(app).config.hidden == (5, 2)
    app.button(key="bd-unit-remove-1").click().run()
    assert app.button(key="bd-unit-remove-1").disabled  # one unit is the least
    assert_calm(app)


def test_step_reset_regenerate_and_the_spiral_preset():
    app = open_page()
    app.button(key="bd-step").click().run()
    app.button(key="bd-step").click().run()
    assert metrics(app)["Epoch"] == "2"
    app.button(key="bd-reset").click().run()
    assert metrics(app)["Epoch"] == "0"
    app.button(key="bd-regenerate").click().run()
    assert lab(app).config.seed == 1 and app.number_input(key="bd-seed").value == 1
    app.selectbox(key="bd-data").set_value("spiral").run()
    app.button(key="bd-preset").click().run()
    config = lab(app).config
    assert config == bd.preset(config) and config.hidden == (8, 8)
    assert app.button_group(key="bd-features").value == ["x1", "x2", "sinx1", "sinx2"]
    assert any("Preset for Spiral" in i.value for i in app.info)
    app.button(key="bd-play").click().run()
    run_until(app, lambda a: percent(metrics(a)["Test accuracy"]) >= 0.9, max_runs=80)
    print(f"spiral preset on the page: >= 90% after {lab(app).epoch} epochs")


def test_live_settings_apply_to_the_running_network():
    app = open_page()
    app.button(key="bd-play").click().run()
    net = lab(app).net
    app.select_slider(key="bd-learning_rate").set_value(0.1).run()
    app.select_slider(key="bd-l2").set_value(0.001).run()
    app.slider(key="bd-batch_size").set_value(4).run()
    assert lab(app).net is net and lab(app).playing
    assert net.learning_rate == 0.1 and lab(app).trainer.l2 == 0.001
    assert lab(app).trainer.batch_size == 4
    app.selectbox(key="bd-activation").set_value("relu").run()
    assert lab(app).net is not net and lab(app).net.activation == "relu"


def test_show_test_data_and_discretize_change_the_drawing():
    app = open_page()
    assert payload(app)["test"] is None
    app.toggle(key="bd-show_test").set_value(True).run()
    assert len(payload(app)["test"]) == len(lab(app).test_rows)
    app.toggle(key="bd-discretize").set_value(True).run()
    assert payload(app)["boundary"]["discretize"] is True


def test_a_link_sets_the_controls_and_a_bad_value_gets_a_note():
    app = open_page(data="moons", noise="20", ratio="70", features="x1,x2,sinx1", hidden="8-8",
                    lr="0.01", activation="bogus", l1="0.001", test="1")
    config = lab(app).config
    assert (config.data, config.noise, config.ratio, config.hidden) == ("moons", 20, 70, (8, 8))
    assert config.features == ("x1", "x2", "sinx1") and config.show_test
    assert app.selectbox(key="bd-data").value == "moons"
    assert app.slider(key="bd-noise").value == 20
    assert app.select_slider(key="bd-l1").value == 0.001
    assert app.selectbox(key="bd-activation").value == "tanh"  # the default
    assert any("`activation=bogus` isn't valid" in w.value for w in app.warning)
    # The Train page's settings are left alone by a Boundaries link.
    assert app.session_state[STATE_KEY].config == TrainConfig()
    # The address bar shows this page's own settings (app.py's persist writes them).
    shown = {k: (v[0] if isinstance(v, list) else v) for k, v in app.query_params.items()}
    shown.pop("sid")
    assert shown.pop("lang") == "en"  # the tab's language, on every page's address
    assert shown == bd.config_to_query(config) and shown["activation"] == "tanh"


def test_the_download_button_and_the_copy_link():
    app = open_page()
    labels = [b.proto.label for b in app.get("download_button")]
    assert "Download model" in labels
    links = copy_links(app)
    assert len(links) == 1 and "/boundaries?data=circle" in links[0] and "sid=" not in links[0]
