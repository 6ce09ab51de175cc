"""nn_core.drawings.explain: gradient x input and hidden-unit contributions, against finite
differences and the closed form of a one-hidden-layer network."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import MLP
from nn_core.drawings.explain import (
    gradient_times_input,
    hidden_gradient,
    top_units,
    unit_contributions,
    unit_weight_image,
)


def _logit(net: MLP, x: np.ndarray, cls: int) -> float:
    zs, _ = net.forward_trace(x.reshape(1, -1))
    return float(zs[-1][0, cls])


def _upper_logit(net: MLP, hidden: np.ndarray, cls: int) -> float:
    """Class score as a function of the first hidden layer's activations (by hand)."""
    from nn_core import activations as act

    h = hidden.reshape(1, -1)
    for layer in range(1, len(net.weights)):
        z = h @ net.weights[layer] + net.biases[layer]
        h = act.ACTIVATIONS[net.activation](z.copy()) if layer < len(net.weights) - 1 else z
    return float(h[0, cls])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("sizes", [[6, 5, 4], [6, 7, 5, 4]])
def test_gradient_times_input_is_input_times_finite_differences(activation, sizes):
    net = MLP(sizes, activation=activation, seed=3, dtype=np.float64)
    x = np.random.default_rng(0).uniform(0.05, 1.0, size=sizes[0])
    eps = 1e-6
    for cls in range(sizes[-1]):
        fd = np.array([
            (_logit(net, x + eps * e, cls) - _logit(net, x - eps * e, cls)) / (2 * eps)
            for e in np.eye(sizes[0])
        ])
        np.testing.assert_allclose(gradient_times_input(net, x, cls), x * fd, rtol=1e-6, atol=1e-9)
    # Pixels without ink contribute nothing.
    x[2] = 0.0
    assert gradient_times_input(net, x, 1)[2] == 0.0


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("sizes", [[6, 5, 4], [6, 7, 5, 4], [6, 3, 5, 5, 4]])
def test_hidden_gradient_matches_finite_differences(activation, sizes):
    net = MLP(sizes, activation=activation, seed=4, dtype=np.float64)
    x = np.random.default_rng(1).uniform(0, 1, size=sizes[0])
    eps = 1e-6
    for cls in range(sizes[-1]):
        hidden, gradient = hidden_gradient(net, x, cls)
        _, activations = net.forward_trace(x.reshape(1, -1))
        np.testing.assert_array_equal(hidden, activations[1][0])
        fd = np.array([
            (_upper_logit(net, hidden + eps * e, cls) - _upper_logit(net, hidden - eps * e, cls))
            / (2 * eps)
            for e in np.eye(sizes[1])
        ])
        np.testing.assert_allclose(gradient, fd, rtol=1e-6, atol=1e-9)


def test_one_hidden_layer_contributions_are_the_logit_terms_and_add_up():
    """z_c = sum_j a_j W[j, c] + b_c: each unit's contribution is its term, exactly."""
    net = MLP([10, 8, 3], activation="relu", seed=5, dtype=np.float64)
    x = np.random.default_rng(2).uniform(0, 1, size=10)
    for cls in range(3):
        activations, contributions = unit_contributions(net, x, cls)
        np.testing.assert_allclose(contributions, activations * net.weights[1][:, cls], rtol=1e-12)
        assert contributions.sum() + net.biases[1][cls] == pytest.approx(_logit(net, x, cls))


def test_top_units_are_the_largest_contributions_in_order():
    net = MLP([10, 8, 3], activation="relu", seed=6, dtype=np.float64)
    x = np.random.default_rng(3).uniform(0, 1, size=10)
    activations, contributions = unit_contributions(net, x, 2)
    top = top_units(net, x, 2, k=3)
    assert [u.unit for u in top] == list(np.argsort(-contributions)[:3])
    assert [u.contribution for u in top] == sorted((u.contribution for u in top), reverse=True)
    assert all(u.activation == pytest.approx(activations[u.unit]) for u in top)
    assert len(top_units(net, x, 2, k=50)) == 8


def test_weight_images_and_refusals():
    net = MLP([12, 5, 3], seed=7, dtype=np.float64)
    np.testing.assert_array_equal(unit_weight_image(net, 4, (3, 4)), net.weights[0][:, 4].reshape(3, 4))
    with pytest.raises(ValueError, match="unit"):
        unit_weight_image(net, 5, (3, 4))
    with pytest.raises(ValueError, match="class"):
        gradient_times_input(net, np.zeros(12), 3)
    with pytest.raises(ValueError, match="features"):
        gradient_times_input(net, np.zeros(11), 0)
    with pytest.raises(ValueError, match="no hidden layer"):
        hidden_gradient(MLP([12, 3], seed=0), np.zeros(12), 0)


@pytest.mark.slow
def test_the_draw_model_explains_a_drawn_seven(draw_default_run):
    """On Draw's default model: the answer's own score is pushed up by the drawing's ink
    overall, and its top units add to it."""
    from nn_core.drawings.preprocess import drawing_to_input
    from nn_core.drawings.strokes import render_digit

    net = draw_default_run.net
    x = drawing_to_input(render_digit(7, np.random.default_rng(0)), "mnist-sample")
    assert int(net.predict(x[None])[0]) == 7
    attribution = gradient_times_input(net, x, 7)
    assert attribution.shape == (784,) and attribution.sum() > 0
    assert np.all(attribution[x == 0] == 0)
    top = top_units(net, x, 7, k=6)
    assert len(top) == 6 and all(u.contribution > 0 and u.activation > 0 for u in top)
