"""The Backprop page's output error unfused, its batch, its indices and its pictures,
checked against independent references (SciPy's sigmoid and softmax, central finite
differences written here, a separately built ``nn_core.MLP``).

* The quadratic cost (tutorial section 5): ``delta2 = dC/dp (.) sigma'(z2)`` equals
  finite differences of ``C`` in ``z2``, and the ratio shown says sigma' shrank it.
* The cross-entropies: the factors' product is ``p - y`` (sigma' cancels), ratio 1.
* A batch of 4: each sample's ``dW`` is its own one-sample gradient and their mean is
  the engine's gradient for the batch.
* Indices count from 0; the diagram's nodes go with its edges; the activation figure
  and every caption's numbers are read off the values on show.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import special

from nn_core import MLP
from playground.common import figures as common_figures
from playground.common.models import activation_and_slope
from playground.learn import backprop as bp
from playground.learn import backprop_view as bp_view
from playground.learn import figures as learn_figures

ENGINE = {"softmax": {"output": "softmax"}, "sigmoid": {"output": "sigmoid"},
          "quadratic": {"output": "sigmoid", "loss": "mse"}}


def sample_loss(output: str, z2: np.ndarray, y: np.ndarray) -> float:
    """One sample's loss from its logits, written out with SciPy."""
    if output == "softmax":
        return float(-np.sum(y * np.log(special.softmax(z2))))
    p = special.expit(z2)
    if output == "sigmoid":
        return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return float(0.5 * np.sum((p - y) ** 2))


def numeric_delta(output: str, z2: np.ndarray, y: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """dC/dz2 by central differences, one row per sample."""
    out = np.zeros_like(z2)
    for i in range(z2.shape[0]):
        for k in range(z2.shape[1]):
            e = np.zeros(z2.shape[1])
            e[k] = h
            out[i, k] = (sample_loss(output, z2[i] + e, y[i])
                         - sample_loss(output, z2[i] - e, y[i])) / (2 * h)
    return out


def walked(output: str = "softmax", batch_size: int = 1, **kwargs) -> bp.BackpropWalk:
    walk = bp.BackpropWalk(output=output, batch_size=batch_size, **kwargs)
    walk.forward()
    walk.backward()
    return walk


# --------------------------------------------------------------------------- delta2 unfused


@pytest.mark.parametrize("batch_size", bp.BATCH_SIZES)
def test_quadratic_cost_delta2_is_dCdp_times_sigma_prime_and_finite_differences(batch_size):
    walk = walked("quadratic", batch_size, seed=3, x=(0.8, -1.1), label=1)
    assert walk.net.output == "sigmoid" and walk.net.loss == "mse"
    v = walk.values
    z2, y = v["z2"], walk.target
    p = special.expit(z2)
    np.testing.assert_allclose(v["p"], p, rtol=1e-13)
    np.testing.assert_allclose(v["dCdp"], p - y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(v["slope2"], p * (1 - p), rtol=1e-12)
    # The product of the two factors shown, the engine's delta2 and finite differences.
    numeric = numeric_delta("quadratic", z2, y)
    np.testing.assert_allclose(v["delta2_factors"], v["dCdp"] * v["slope2"], rtol=1e-15)
    np.testing.assert_allclose(v["delta2_factors"], numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(v["delta2"], numeric, rtol=1e-6, atol=1e-9)
    assert walk.factor_difference < 1e-14
    # sigma' <= 1/4 shrinks delta2: the ratio shown is below a quarter (measured 0.19-0.23).
    ratios = v["shrink"].ravel()
    np.testing.assert_allclose(
        ratios, np.linalg.norm(numeric, axis=1) / np.linalg.norm(p - y, axis=1), rtol=1e-6)
    assert (ratios < 0.25).all()
    note = bp_view.shrink_note(walk)
    assert "shrinks δ₂ below p − y" in note and "cancels" not in note
    assert bp.number_text(ratios.min()) in note and bp.number_text(ratios.max()) in note
    # The whole step against finite differences of the engine's loss.
    assert max(c.relative_difference for c in walk.checks.values()) < 1e-7


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_cross_entropy_cancels_the_slope(output):
    walk = walked(output, 4, seed=5)
    v = walk.values
    z2, y = v["z2"], walk.target
    p = special.softmax(z2, axis=1) if output == "softmax" else special.expit(z2)
    # dC/dp against finite differences of the loss written in p.
    h = 1e-7
    for i in range(len(p)):
        for k in range(p.shape[1]):
            up, down = p[i].copy(), p[i].copy()
            up[k] += h
            down[k] -= h
            if output == "softmax":
                loss = lambda q, i=i: -np.sum(y[i] * np.log(q))  # noqa: E731
            else:
                loss = lambda q, i=i: -np.sum(y[i] * np.log(q) + (1 - y[i]) * np.log(1 - q))  # noqa: E731
            assert v["dCdp"][i, k] == pytest.approx((loss(up) - loss(down)) / (2 * h), rel=1e-5)
    if output == "softmax":  # the Jacobian, column by column, by finite differences
        for i in range(len(p)):
            for j in range(p.shape[1]):
                e = np.zeros(p.shape[1])
                e[j] = 1e-6
                column = (special.softmax(z2[i] + e) - special.softmax(z2[i] - e)) / 2e-6
                np.testing.assert_allclose(v["slope2"][i][:, j], column, rtol=1e-6, atol=1e-10)
    else:
        np.testing.assert_allclose(v["slope2"], p * (1 - p), rtol=1e-12)
    np.testing.assert_allclose(v["delta2_factors"], p - y, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(v["delta2"], numeric_delta(output, z2, y), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(v["shrink"], 1.0, rtol=1e-12)
    assert bp_view.shrink_note(walk).startswith("1: ")


def test_the_page_shows_the_three_delta_rows_and_their_notes():
    walk = walked("quadratic", 4)
    rows = dict(bp_view.backward_rows(walk))
    dcdp, slope, delta = bp.FACTOR_TEX["quadratic"]
    assert bp.html_matrix(walk.values["dCdp"], walk.changed("dCdp")) in rows[dcdp]
    assert bp.html_matrix(walk.values["slope2"], walk.changed("slope2")) in rows[slope]
    shown = rows[delta]
    assert bp.html_matrix(walk.values["delta2_factors"], walk.changed("delta2_factors")) in shown
    assert bp.html_matrix(walk.values["delta2"], walk.changed("delta2")) in shown
    assert f"differ by {bp.difference_text(walk.factor_difference)}" in shown
    # Softmax's slope is one Jacobian per sample, each labelled with its sample.
    soft = walked("softmax", 4)
    rows = dict(bp_view.backward_rows(soft))
    jacobians = rows[bp.FACTOR_TEX["softmax"][1]]
    for i in range(4):
        assert bp.html_group(f"i = {i}:", bp.html_matrix(soft.values["slope2"][i],
                                                         soft.changed("slope2")[i])) in jacobians


# --------------------------------------------------------------------------- the batch


@pytest.mark.parametrize("output", bp.OUTPUTS)
def test_batch_mean_dW_equals_the_engines_gradient(output):
    walk = walked(output, 4, seed=2, x=(0.3, 0.9), label=2, n_outputs=3)
    X, labels = walk.inputs, walk.labels
    assert X.shape == (4, 2) and X[0].tolist() == [0.3, 0.9] and labels.tolist() == [2, 1, 2, 0]
    net = MLP([2, 3, 3], activation="sigmoid", seed=2, dtype=np.float64, **ENGINE[output])
    _, grad_w, grad_b = net.loss_and_gradients(X, labels)
    v = walk.values
    for layer, (each, delta) in enumerate((("dW1_each", "delta1"), ("dW2_each", "delta2"))):
        # Each sample's gradient is its own one-sample gradient (a_prev^T delta) ...
        for i in range(4):
            _, gw, gb = net.loss_and_gradients(X[i : i + 1], labels[i : i + 1])
            np.testing.assert_array_equal(v[each][i], gw[layer])
            np.testing.assert_array_equal(v[delta][i], gb[layer])
            a_prev = X[i] if layer == 0 else v["a1"][i]
            np.testing.assert_allclose(v[each][i], np.outer(a_prev, v[delta][i]), rtol=1e-12,
                                       atol=1e-16)
        # ... and their mean is the engine's gradient for the whole batch.
        np.testing.assert_allclose(v[each].mean(axis=0), grad_w[layer], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(v[delta].mean(axis=0), grad_b[layer], rtol=1e-12, atol=1e-16)
        np.testing.assert_array_equal(v[f"dW{layer + 1}"], grad_w[layer])
    assert max(walk.mean_differences.values()) < 1e-12
    assert max(c.relative_difference for c in walk.checks.values()) < 1e-7
    # The update is W - eta * the mean gradient: the engine's SGD on the batch.
    walk.update()
    np.testing.assert_allclose(walk.values["W2"], walk.values["W2_used"] - 0.5 * grad_w[1],
                               rtol=1e-14, atol=1e-16)


def test_the_batch_rows_show_each_samples_gradient_and_the_mean():
    walk = walked("softmax", 4)
    rows = dict(bp_view.backward_rows(walk))
    each = rows[r"dW_2^{(i)} = a_{1,i}^{\top} \delta_{2,i}"]
    for i in range(4):
        assert f"i = {i}:" in each
        assert bp.html_matrix(walk.values["dW2_each"][i], walk.changed("dW2_each")[i]) in each
    mean = rows[r"dW_2 = \frac{1}{m} \sum_i dW_2^{(i)}"]
    assert bp.html_matrix(walk.values["dW2"], walk.changed("dW2")) in mean
    text = bp.difference_text(walk.mean_differences["dW2"])
    assert f"the mean of the samples' differs from it by {text}" in mean
    forward = dict(bp_view.forward_rows(walk))
    assert "one-hot of labels 0, 1, 2, 0" in forward[r"x, \; y"]
    loss = forward[r"L = \frac{1}{m} \sum_i C_i"]
    assert walk.values["L"][0, 0] == pytest.approx(walk.values["C"].mean(), rel=1e-14)
    assert bp.html_matrix(walk.values["L"], walk.changed("L")) in loss
    # One sample: no per-sample rows, the tutorial's one-sample formulas.
    single = dict(bp_view.backward_rows(walked("softmax", 1)))
    assert r"dW_2 = a_1^{\top} \delta_2" in single and not any("(i)" in k for k in single)


def test_batch_settings():
    walk = bp.BackpropWalk()
    walk.step()
    assert walk.configure("sigmoid", "softmax", 3, 0, (1.0, -0.5), 0, 0.5, batch_size=4)
    assert walk.stage == "start" and walk.steps_taken == 1  # same network, step restarted
    assert walk.inputs.shape == (4, 2)
    assert walk.configure("sigmoid", "softmax", 2, 0, (1.0, -0.5), 1, 0.5, batch_size=4)
    assert walk.labels.tolist() == [1, 1, 0, 0]  # the fixed samples' labels modulo 2
    with pytest.raises(ValueError, match="1 or 4 samples"):
        walk.configure("sigmoid", "softmax", 2, 0, (1.0, -0.5), 1, 0.5, batch_size=3)


# --------------------------------------------------------------------------- indices, diagram


def diagram(walk: bp.BackpropWalk):
    weights, nodes, gradients, caption = bp_view.diagram_values(walk)
    return learn_figures.network_diagram(weights, nodes, gradients), caption


def test_indices_count_from_zero():
    walk = bp.BackpropWalk(n_outputs=2)
    fig, caption = diagram(walk)
    hovers = [t for trace in fig.data if trace.hovertext for t in trace.hovertext]
    assert "x[0] = 1" in hovers and "x[1] = -0.5" in hovers  # the input is known at once
    assert "p[0]: press Forward" in hovers and "p[1]: press Forward" in hovers
    assert "a1[2]: press Forward" in hovers and not any("p[2]" in h for h in hovers)
    edges = {h.split(" = ")[0] for h in hovers if h.startswith("W")}
    assert edges == {f"W1[{i},{j}]" for i in range(2) for j in range(3)} | {
        f"W2[{i},{j}]" for i in range(3) for j in range(2)}
    assert "label k is output p[k]" in caption
    walk.step()
    # The label's output node: label 0 is p[0], whose value is p[:, 0].
    fig, _ = diagram(walk)
    node_hover = [t for trace in fig.data if trace.name == "p" for t in trace.hovertext]
    assert node_hover[0] == f"p[0] = {walk.values['p_after'][0, 0]:.4g}"


def test_diagram_nodes_go_with_the_edges_drawn():
    walk = bp.BackpropWalk(batch_size=4)
    walk.forward()
    walk.backward()
    weights, nodes, _, caption = bp_view.diagram_values(walk)
    np.testing.assert_array_equal(weights[1], walk.values["W2_used"])
    np.testing.assert_array_equal(nodes[2], walk.values["p"])
    walk.update()
    weights, nodes, gradients, caption = bp_view.diagram_values(walk)
    # After the update the edges are the new weights and the nodes what those give.
    np.testing.assert_array_equal(weights[1], walk.net.weights[1])
    zs, acts = walk.net.forward_trace(walk.inputs)
    np.testing.assert_array_equal(nodes[1], acts[1])
    np.testing.assert_array_equal(nodes[2], acts[2])
    assert not np.array_equal(nodes[2], walk.values["p"])
    assert "new weights" in caption and gradients is not None
    fig, _ = diagram(walk)
    node_texts = [t for trace in fig.data if trace.name == "p" for t in trace.text]
    assert node_texts == [f"{v:.4g}" for v in acts[2][0]]
    hover = [t for trace in fig.data if trace.name == "a1" for t in trace.hovertext][0]
    assert hover.startswith("a1[0]<br>sample 0: ") and "sample 3: " in hover


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize("activation", bp.ACTIVATIONS)
def test_activation_and_slope_are_the_functions(activation):
    z = np.linspace(-5, 5, 41)
    f, slope = activation_and_slope(activation, z)
    expected = {"sigmoid": (special.expit(z), special.expit(z) * (1 - special.expit(z))),
                "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
                "relu": (np.maximum(z, 0), (z > 0).astype(float))}[activation]
    np.testing.assert_allclose(f, expected[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(slope, expected[1], rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="activation must be one of"):
        activation_and_slope("softsign", z)


def test_activation_view_puts_this_steps_z1_on_the_curves():
    walk = bp.BackpropWalk(activation="relu", batch_size=4, seed=1)
    args, caption = bp_view.activation_view(walk)
    assert "z" not in args and "Forward puts z1 on them" in caption
    walk.forward()
    args, caption = bp_view.activation_view(walk)
    z1 = walk.values["z1"]
    np.testing.assert_array_equal(args["z"], z1)
    np.testing.assert_array_equal(args["f_at_z"], walk.values["a1"])  # the engine's a1
    slope = (z1 > 0).astype(float)
    np.testing.assert_array_equal(args["slope_at_z"], slope)
    dead = int((z1 <= 0).sum())
    assert dead > 0  # measured: 7 of the 12 values
    assert f"{dead} of 12 below 0.05" in caption and "12 values of z1 (4 × 3 units)" in caption
    assert args["grid"].min() <= z1.min() and args["grid"].max() >= z1.max()
    fig = common_figures.activation_curves(**args)
    rug = next(t for t in fig.data if t.name == "the layer's z")
    np.testing.assert_array_equal(rug.x, z1.ravel())
    dots = next(t for t in fig.data if t.name == "f′(z)")
    np.testing.assert_array_equal(dots.y, slope.ravel())


def test_activation_curves_histogram_for_many_values_and_bad_input():
    grid = np.linspace(-3, 3, 7)
    f, slope = activation_and_slope("tanh", grid)
    z = np.random.default_rng(0).normal(size=500)
    fig = common_figures.activation_curves("tanh", grid, f, slope, z=z)
    kinds = [t.type for t in fig.data]
    assert kinds == ["scatter", "scatter", "histogram"]
    assert fig.data[2].histnorm == "probability" and fig.layout.yaxis2.overlaying == "y"
    np.testing.assert_array_equal(fig.data[2].x, z)
    with pytest.raises(ValueError, match="one shape"):
        common_figures.activation_curves("tanh", grid, f[:-1], slope)
    with pytest.raises(ValueError, match="needs f"):
        common_figures.activation_curves("tanh", grid, f, slope, z=z[:5])


# --------------------------------------------------------------------------- the mapping


def test_tutorial_mapping_works_an_entry_of_z1_out():
    walk = bp.BackpropWalk(x=(1.25, -0.75), seed=6)
    assert "For example" not in bp_view.tutorial_mapping(walk)
    walk.forward()
    text = bp_view.tutorial_mapping(walk)
    worked = re.search(r"b_1\[1\] = (.*?) = ([-0-9.e]+)\$", text)
    assert worked is not None
    terms = [float(t) for t in re.findall(r"\(?(-?[0-9.]+(?:e-?[0-9]+)?)\)?", worked.group(1))]
    x, w1, b1 = walk.inputs[0], walk.values["W1"], walk.values["b1"][0]
    assert terms == pytest.approx([x[0], w1[0, 1], x[1], w1[1, 1], b1[1]], rel=1e-3)
    assert float(worked.group(2)) == pytest.approx(walk.values["z1"][0, 1], rel=1e-3)
    assert terms[0] * terms[1] + terms[2] * terms[3] + terms[4] == pytest.approx(
        float(worked.group(2)), rel=2e-3)
    assert "(m, n_\\text{in})" in text and "W_1[i, j]" in text
