"""The Learn pages through AppTest: what they show is what nn_core computes.

* Backprop: after Forward, Backward, Update and Step the page's numbers (its LaTeX and
  its metrics) are those of a separately built ``MLP``'s ``forward_trace`` and
  ``loss_and_gradients``, and its update is ``W - eta dW``; each gradient's
  finite-difference check is shown and tiny.
* Optimizers: the race chart's paths are ``nn_core.optimizers`` stepped by hand on the
  surface's gradient; the network race trains to the end and its curves are ``fit``'s.
* Fix the tutorial: Step 0 shows NumPy's real message; toggles retrain; the measured table
  is the bench's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nn_core import MLP, datasets
from nn_core.optimizers import make_optimizer
from playground.common.state import STATE_KEY
from playground.common.urlstate import SESSION_PARAM
from playground.learn import backprop as bp
from playground.learn import optimizer_race as race
from playground.learn import tutorial_fix as tf
from tests.apptest_helpers import (
    assert_calm,
    keyed_chart,
    metrics,
    run_until,
    started,
)

ROOT = Path(__file__).resolve().parents[2]


def open_page(path: str, **query) -> AppTest:
    """``path`` in a new session; ``query``: the address's parameters (a reload passes
    the ones the tab had, its ``sid`` among them)."""
    app = started(**query)
    app.switch_page(path).run()
    assert_calm(app)
    return app


def latex(app) -> str:
    return "\n".join(el.value for el in app.latex)


def numbers(app) -> str:
    """Every number matrix on the page (the HTML beside the formulas)."""
    return "\n".join(el.proto.body for el in app.get("html"))


def click(app, key: str) -> None:
    app.button(key=key).click().run()
    assert_calm(app)


# --------------------------------------------------------------------------- backprop


def test_backprop_numbers_are_nn_cores_own():
    app = open_page("pages/backprop.py")
    assert [t.value for t in app.title] == ["Backprop"]
    assert metrics(app)["Loss before the update"] == "—"
    assert app.button(key="bp-backward").disabled and app.button(key="bp-update").disabled

    # The same network, built here from nn_core alone: the page's defaults.
    walk = bp.BackpropWalk()
    net = MLP([2, 3, 3], activation=walk.activation, output=walk.output, seed=walk.seed,
              dtype=np.float64)
    x = np.array([walk.x])
    label = walk.label
    zs, acts = net.forward_trace(x)
    loss, grad_w, grad_b = net.loss_and_gradients(x, [label])

    click(app, "bp-forward")
    shown = numbers(app)
    for values in (zs[0], acts[1], zs[1], acts[2]):
        assert bp.html_matrix(values, np.ones(values.shape, bool)) in shown
    assert bp.html_matrix([[loss]], [[True]]) in shown
    assert r"z_1 = x W_1 + b_1" in latex(app)
    assert metrics(app)["Loss before the update"] == f"{loss:.4g}"
    assert not app.button(key="bp-backward").disabled and app.button(key="bp-update").disabled

    click(app, "bp-backward")
    shown = numbers(app)
    for grad in (*grad_w, *grad_b):
        assert bp.html_matrix(grad, np.ones(np.atleast_2d(grad).shape, bool)) in shown
    # delta2 = p - y, and the finite-difference check beside every gradient (measured
    # 1e-10..1e-9 in float64).
    delta2 = acts[2] - np.eye(3)[label]
    assert bp.html_matrix(delta2, np.ones(delta2.shape, bool)) in shown
    diffs = [float(d) for d in re.findall(r"relative difference ([0-9.e+-]+)", shown)]
    assert len(diffs) == 4 and max(diffs) < 1e-7
    assert shown.count("finite differences ≈") == 4

    click(app, "bp-update")
    new_w2 = net.weights[1] - walk.learning_rate * grad_w[1]
    shown = numbers(app)
    # The new weights, highlighted where they changed (all of them, here).
    assert bp.html_matrix(new_w2, np.ones(new_w2.shape, bool)) in shown
    assert 'class="bp-hi"' in shown
    net.train_step(x, [label], optimizer="sgd", learning_rate=walk.learning_rate)
    np.testing.assert_allclose(net.weights[1], new_w2, rtol=1e-14)
    after = net.evaluate(x, [label])[0]
    values = metrics(app)
    assert values["Loss after the update"] == f"{after:.4g}"
    assert values["Loss before the update"] == f"{loss:.4g}" and values["Steps taken"] == "1"
    # The change, signed, to 4 significant digits like every number on the page.
    change = next(m for m in app.metric if m.label == "Loss after the update").delta
    assert change == f"{after - loss:+.4g}" and float(change) < 0

    click(app, "bp-step")
    values = metrics(app)
    assert values["Loss before the update"] == f"{after:.4g}"
    net.train_step(x, [label], optimizer="sgd", learning_rate=walk.learning_rate)
    assert values["Loss after the update"] == f"{net.evaluate(x, [label])[0]:.4g}"
    assert values["Steps taken"] == "2"
    # The page's walk holds exactly the engine's numbers (not just to 4 digits).
    page_walk = app.session_state["learn-backprop"]
    np.testing.assert_array_equal(page_walk.net.weights[0], net.weights[0])


def test_backprop_settings_build_the_network_they_name():
    app = open_page("pages/backprop.py")
    app.selectbox(key="bp-activation").select("relu")
    app.selectbox(key="bp-output").select("sigmoid")
    app.radio(key="bp-outputs").set_value(2)
    app.number_input(key="bp-seed").set_value(7)
    app.number_input(key="bp-x1").set_value(-1.5)
    app.number_input(key="bp-x2").set_value(2.0)
    app.run()
    app.selectbox(key="bp-label-2").select(1)
    app.select_slider(key="bp-lr").set_value(0.1)
    app.run()
    assert_calm(app)
    click(app, "bp-step")
    net = MLP([2, 3, 2], activation="relu", output="sigmoid", seed=7, dtype=np.float64)
    x = np.array([[-1.5, 2.0]])
    loss, grad_w, _ = net.loss_and_gradients(x, [1])
    formulas = latex(app)
    assert r"\max(0, z_1)" in formulas and r"(1 - y_k) \log(1 - p_k)" in formulas
    assert bp.html_matrix(grad_w[0], np.ones((2, 3), bool)) in numbers(app)
    assert metrics(app)["Loss before the update"] == f"{loss:.4g}"
    # The diagram shows the network's output values and, on hover, weights and gradients.
    fig = keyed_chart(app, "chart-network")
    hovers = [t for trace in fig["data"] for t in (trace.get("hovertext") or [])]
    assert any(h.startswith("W1[0,0] = ") and "dL/dW1[0,0]" in h for h in hovers)


def test_backprop_batch_of_four_with_the_quadratic_cost():
    app = open_page("pages/backprop.py")
    app.selectbox(key="bp-output").select("quadratic")
    app.radio(key="bp-batch").set_value(4)
    app.run()
    assert_calm(app)
    click(app, "bp-step")
    # The tutorial's section-5 network, built here: sigmoid outputs, the quadratic cost.
    net = MLP([2, 3, 3], activation="sigmoid", output="sigmoid", loss="mse", seed=0,
              dtype=np.float64)
    X = np.array([[1.0, -0.5], [-0.5, 1.0], [1.5, 0.5], [-1.0, -1.5]])
    labels = [0, 1, 2, 0]
    loss, grad_w, _ = net.loss_and_gradients(X, labels)
    zs, acts = net.forward_trace(X)
    p, y = acts[2], np.eye(3)[labels]
    shown = numbers(app)
    every = np.ones((4, 3), bool)
    # The three rows of delta2: dC/dp = p - y, sigma'(z2) = p(1 - p), and their product,
    # which is the engine's delta2 (each sample's db2).
    for values in (p - y, p * (1 - p), (p - y) * p * (1 - p)):
        assert bp.html_matrix(values, every) in shown
    engine = np.stack([net.loss_and_gradients(X[i : i + 1], labels[i : i + 1])[2][1]
                       for i in range(4)])
    assert bp.html_matrix(engine, every) in shown
    np.testing.assert_allclose(engine, (p - y) * p * (1 - p), rtol=1e-12)
    # Each sample's dW2, and the mean: the engine's gradient for the batch.
    assert bp.html_matrix(grad_w[1], np.ones((3, 3), bool)) in shown
    assert shown.count("the mean of the samples' differs from it by") == 4
    ratios = re.search(r"([0-9.]+) to ([0-9.]+): the slope σ′", shown)
    assert ratios and 0 < float(ratios.group(1)) <= float(ratios.group(2)) < 0.25
    formulas = latex(app)
    for tex in bp.FACTOR_TEX["quadratic"]:
        assert tex in formulas
    assert metrics(app)["Loss before the update"] == f"{loss:.4g}"
    # The activation plot carries this step's z1 values, the engine's.
    fig = keyed_chart(app, "chart-activation")
    rug = next(t for t in fig["data"] if t.get("name") == "the layer's z")
    np.testing.assert_allclose(rug["x"], zs[0].ravel(), rtol=1e-12)
    # The tutorial's w_ij, mapped onto W, with a worked entry.
    assert any("w_{ij}^{(1)}" in m.value for m in app.markdown)


# --------------------------------------------------------------------------- optimizers


def hand_paths(surface, rates, steps, momentum=0.9, beta1=0.9, beta2=0.999):
    """nn_core.optimizers stepped by hand on the surface's gradient."""
    out = {}
    for name in race.OPTIMIZER_NAMES:
        opt = make_optimizer(name, 2, np.float64, rates[name])
        if name == "momentum":
            opt.momentum = momentum
        if name == "adam":
            opt.beta1, opt.beta2 = beta1, beta2
        p = np.array(surface.start, dtype=np.float64)
        points = [p.copy()]
        for _ in range(steps):
            new = np.empty(2)
            opt.update(p, surface.gradient(p), new)
            p = new
            if not np.isfinite(p).all() or np.abs(p).max() > race.ESCAPE_RADIUS:
                break
            points.append(p.copy())
        out[race.OPTIMIZER_LABELS[name]] = np.array(points)
    return out


def race_paths(app) -> dict[str, np.ndarray]:
    fig = keyed_chart(app, "chart-race")
    return {t["name"]: np.column_stack([t["x"], t["y"]]) for t in fig["data"][2:]}


@pytest.mark.slow
def test_optimizer_paths_are_nn_core_optimizers_stepped_by_hand():
    app = open_page("pages/optimizers.py")
    assert [t.value for t in app.title] == ["Optimizers"]
    valley = race.SURFACES["valley"]
    expected = hand_paths(valley, valley.learning_rates, valley.steps, momentum=0.5)
    shown = race_paths(app)
    assert list(shown) == ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"]
    for name, points in expected.items():
        np.testing.assert_array_equal(shown[name], points)
    table = app.table[0].value.reset_index()  # a plain table, its rows named by optimizer
    assert list(table["optimizer"]) == list(shown)
    assert list(table["steps to within 0.01"])[:3] == ["70", "18", "50"]  # measured
    assert "left the saddle" not in " ".join(table.columns)
    # Small numbers keep their exponent on one line: a minus sign, which a browser does
    # not break after, not a hyphen ("5.03e-" over "06" on a phone).
    distances = list(table["distance to a minimum"])
    assert all("-" not in d for d in distances) and any("e\u2212" in d for d in distances)
    assert [float(d.replace("\u2212", "-")) for d in distances] == pytest.approx(
        [race.race_table(valley, race.race(valley, valley.learning_rates, valley.steps, 0.5),
                         0.01)[i]["distance to a minimum"] for i in range(5)], rel=1e-2)
    assert valley.blurb in " ".join(c.value for c in app.caption)

    # Another surface, one learning rate for all, other momentum and betas.
    app.selectbox(key="opt-surface").select("saddle").run()
    app.toggle(key="opt-same-lr").set_value(True).run()
    app.select_slider(key="opt-lr-all-saddle").set_value(0.05)
    app.slider(key="opt-momentum-saddle").set_value(0.5)
    app.slider(key="opt-beta1").set_value(0.8)
    app.select_slider(key="opt-beta2").set_value(0.99)
    app.slider(key="opt-steps-saddle").set_value(120)
    app.run()
    assert_calm(app)
    saddle = race.SURFACES["saddle"]
    expected = hand_paths(saddle, dict.fromkeys(race.OPTIMIZER_NAMES, 0.05), 120,
                          momentum=0.5, beta1=0.8, beta2=0.99)
    shown = race_paths(app)
    for name, points in expected.items():
        np.testing.assert_array_equal(shown[name], points)
    # One step at a time: the paths drawn up to the chosen step, the frames replay them.
    app.slider(key="opt-shown-saddle-120").set_value(30).run()
    shown = race_paths(app)
    for name, points in expected.items():
        np.testing.assert_array_equal(shown[name], points[:31])
    fig = keyed_chart(app, "chart-race")
    assert fig["frames"][-1]["name"] == "30"
    assert saddle.formula in latex(app)
    table = app.table[0].value
    assert list(table[race.escape_title(saddle)]) == [
        str(race.left_saddle_at(race.Path(n, 0.05, p), 1, 0.5) or "not yet")
        for n, p in zip(race.OPTIMIZER_NAMES, expected.values(), strict=True)]
    # The momentum map is the bench's grid, with its optimum marked first.
    saved = json.loads((ROOT / "bench" / "results" / "momentum_map.json").read_text())
    grid = keyed_chart(app, "chart-momentum-map")
    assert grid["data"][1]["x"] == [saved["optimum"]["learning_rate"]]
    assert grid["data"][1]["y"] == [saved["optimum"]["momentum"]]


def finished_network_race(epochs: int = 5) -> AppTest:
    """The Optimizers page after its network race of ``epochs`` epochs has finished."""
    app = open_page("pages/optimizers.py")
    app.number_input(key="net-epochs").set_value(epochs).run()
    app.button(key="btn-net-race").click().run()
    assert_calm(app)
    return run_until(app, lambda a: any("Race finished" in p.proto.text
                                        for p in a.get("progress")))


@pytest.mark.slow
def test_network_race_trains_each_optimizer_like_fit():
    app = finished_network_race()
    loss = keyed_chart(app, "chart-net-loss")
    accuracy = keyed_chart(app, "chart-net-accuracy")
    assert [t["name"] for t in loss["data"]] == ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"]
    digits = datasets.load("digits")
    net = MLP([64, 64, 10], activation="relu", seed=0)
    fit_rows, held_out = race.validation_split(len(digits.y_train))
    history = net.fit(digits.X_train, digits.y_train, epochs=5, batch_size=32, optimizer="adam",
                      learning_rate=1e-3, rows=fit_rows,
                      validation_data=(digits.X_train[held_out], digits.y_train[held_out]))
    np.testing.assert_allclose(loss["data"][4]["y"], history.val_loss, rtol=1e-12)
    np.testing.assert_allclose(accuracy["data"][4]["y"], history.val_accuracy, rtol=1e-12)
    table = app.dataframe[-1].value
    reached = race.epochs_to_reach(history.val_accuracy)
    assert table["epochs to 95% (validation)"].iloc[4] == (str(reached) if reached
                                                           else "not in 5")
    best = race.best_epoch(history.val_accuracy)
    assert table["at epoch"].iloc[4] == best
    assert "test accuracies at the epochs the validation data picks" in " ".join(
        m.value for m in app.markdown)


def test_a_reload_keeps_the_network_race():
    app = finished_network_race()
    pg = app.session_state[STATE_KEY]
    shown = keyed_chart(app, "chart-net-loss")
    address = dict(app.query_params.items())
    assert address[SESSION_PARAM] == pg.token
    reloaded = open_page("pages/optimizers.py", **address)  # a new session, same address
    assert reloaded.session_state[STATE_KEY] is pg
    assert any("Race finished" in p.proto.text for p in reloaded.get("progress"))
    assert keyed_chart(reloaded, "chart-net-loss")["data"] == shown["data"]
    assert list(reloaded.dataframe[-1].value["at epoch"]) == list(
        app.dataframe[-1].value["at epoch"])


# --------------------------------------------------------------------------- fix the tutorial


@pytest.mark.slow
def test_fix_the_tutorial_page():
    app = open_page("pages/fix_tutorial.py")
    assert [t.value for t in app.title] == ["Fix the tutorial"]
    codes = [c.value for c in app.code]
    assert any("ValueError: operands could not be broadcast together with shapes (1347,10) "
               "(1347,)" in c for c in codes)
    # One-hot labels only (the default): at chance. Measured 10.2 % with seed 0.
    shown = metrics(app)["Test accuracy"]
    assert float(shown.rstrip("%")) < 15
    app.toggle(key="fix-minibatch").set_value(True).run()
    assert_calm(app)
    value = metrics(app)["Test accuracy"]
    assert float(value.rstrip("%")) > 94  # measured 97.8 %
    assert "points" in app.metric[0].proto.delta
    curves = keyed_chart(app, "chart-fix-curves")
    assert len(curves["data"]) == 2
    digits = datasets.load("digits")
    result = tf.train_tutorial(digits, {"one_hot", "minibatch"}, seed=0)
    np.testing.assert_allclose(curves["data"][-1]["y"], result.test_accuracy)
    # Without one-hot labels nothing trains: the page says why.
    app.toggle(key="fix-one_hot").set_value(False).run()
    assert_calm(app)
    assert metrics(app)["Test accuracy"] == "—"
    assert any("broadcasting error" in w.value for w in app.warning)
    # The measured tables are the bench's, the explanation and the "why" texts their words.
    results = json.loads((ROOT / "bench" / "results" / "fix_tutorial.json").read_text())
    assert app.dataframe[-3].value.to_dict("records") == tf.table_rows(results)
    assert app.dataframe[-2].value.to_dict("records") == tf.step_size_rows(results)
    mnist = json.loads((ROOT / "bench" / "results" / "fix_tutorial_mnist_sample.json")
                       .read_text())
    assert app.dataframe[-1].value.to_dict("records") == tf.table_rows(mnist)
    texts = " ".join(m.value for m in app.markdown)
    assert tf.explanation(results) in texts
    for fix in tf.FIXES:
        assert tf.why_text(fix.key, results) in texts
    for section, _ in tf.TUTORIAL_SLIPS:
        assert f"Section {section}" in texts


def test_the_cheapest_fix_is_offered_and_its_step_shown():
    """One-hot labels alone at lr 0.001 (the rate is the only other change) reads over 80%
    (measured 90.2% with seed 0); the effective step is lr x rows, then lr with the mean."""
    app = open_page("pages/fix_tutorial.py")
    assert "13.47" in " ".join(c.value for c in app.caption)  # 0.01 x 1,347 rows, summed
    app.select_slider(key="fix-lr").set_value(0.001).run()
    assert_calm(app)
    assert float(metrics(app)["Test accuracy"].rstrip("%")) > 80
    captions = " ".join(c.value for c in app.caption)
    assert "0.001 x 1,347 = 1.347" in captions
    app.toggle(key="fix-mean").set_value(True).run()
    assert "lr = 0.001 (the gradient averaged" in " ".join(c.value for c in app.caption)
    # The legend names what differs, first: no entry starts with the shared "One-hot".
    names = [t["name"] for t in keyed_chart(app, "chart-fix-curves")["data"]]
    assert names[-2:] == ["one-hot only, lr 0.001, seed 0", "mean, lr 0.001, seed 0"]


def test_no_change_shows_no_green_arrow():
    app = open_page("pages/fix_tutorial.py")
    # Biases alone change nothing at lr 0.01 (seed 0: 10.2% with and without, measured).
    app.toggle(key="fix-bias").set_value(True).run()
    assert_calm(app)
    delta = app.metric[0].proto
    assert delta.delta == "+0.0 points"
    assert (delta.color, delta.direction) == (2, 2)  # grey, no arrow (Metric proto enums)
    app.select_slider(key="fix-lr").set_value(0.001).run()
    delta = app.metric[0].proto
    assert delta.delta.startswith("+") and (delta.color, delta.direction) == (1, 1)


def test_a_reload_keeps_the_configurations_tried():
    app = open_page("pages/fix_tutorial.py")
    app.toggle(key="fix-minibatch").set_value(True).run()
    app.toggle(key="fix-bias").set_value(True).run()
    assert_calm(app)
    tried = [t["name"] for t in keyed_chart(app, "chart-fix-curves")["data"]]
    assert len(tried) == 3  # one-hot alone (the defaults), + mini-batches, + biases
    reloaded = open_page("pages/fix_tutorial.py", **dict(app.query_params.items()))
    assert reloaded.session_state[STATE_KEY] is app.session_state[STATE_KEY]
    # The reload shows the default toggles again; the curves tried before it stay drawn.
    assert sorted(t["name"] for t in keyed_chart(reloaded, "chart-fix-curves")["data"]) == sorted(tried)
    fresh = open_page("pages/fix_tutorial.py")  # a new tab: only its own curve
    assert len(keyed_chart(fresh, "chart-fix-curves")["data"]) == 1


@pytest.mark.parametrize("path", ["pages/backprop.py", "pages/optimizers.py",
                                  "pages/fix_tutorial.py"])
@pytest.mark.slow
def test_every_control_explains_itself(path):
    app = open_page(path)
    for kind in ("selectbox", "slider", "select_slider", "number_input", "toggle", "radio",
                 "button"):
        for widget in app.get(kind):
            assert widget.proto.help, f"{kind} {widget.proto.label!r} has no help"
