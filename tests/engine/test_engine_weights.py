"""Engine features behind the scikit-learn drop-ins: per-sample weights, the flat
parameter vector and its objective, the Poisson output, Nesterov momentum.

Each is checked against an independent reference: finite differences, repeated
rows (a weight of k is k copies of the row), closed forms, SciPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax, xlogy

from nn_core import MLP
from nn_core.optimizers import make_optimizer

CASES = [  # (output, loss, kind of targets)
    ("softmax", None, "labels"),
    ("softmax", "mse", "labels"),
    ("sigmoid", None, "multilabel"),
    ("sigmoid", None, "labels"),
    ("identity", None, "values"),
    ("exp", None, "counts"),
]


def _problem(kind: str, n: int = 11, n_out: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = {
        "labels": lambda: rng.integers(0, n_out, n),
        "multilabel": lambda: (rng.random((n, n_out)) > 0.5).astype(float),
        "values": lambda: rng.normal(size=(n, n_out)),
        "counts": lambda: rng.poisson(2.0, size=(n, n_out)).astype(float),
    }[kind]()
    return X, y


def _net(output, loss, activation="tanh", seed=1):
    net = MLP([5, 6, 4], activation, output=output, loss=loss, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed + 10)
    for b in net.biases:  # non-zero biases exercise every term of the gradient
        b[...] = rng.normal(scale=0.1, size=b.shape)
    return net


def _numerical_gradient(net, X, y, l2, weights, h=1e-6):
    theta = net.get_flat_params()
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        net.set_flat_params(theta + step)
        plus = net.flat_loss_and_gradient(X, y, l2=l2, sample_weight=weights)[0]
        net.set_flat_params(theta - step)
        minus = net.flat_loss_and_gradient(X, y, l2=l2, sample_weight=weights)[0]
        grad[i] = (plus - minus) / (2 * h)
    net.set_flat_params(theta)
    return grad


# ----------------------------------------------------------------- sample weights
@pytest.mark.parametrize(("output", "loss", "kind"), CASES)
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_weighted_gradient_matches_finite_differences(output, loss, kind, activation):
    X, y = _problem(kind)
    weights = np.random.default_rng(3).uniform(0.0, 3.0, size=len(X))
    weights[2] = 0.0  # a zero weight is allowed
    net = _net(output, loss, activation)
    _, grad = net.flat_loss_and_gradient(X, y, l2=0.1, sample_weight=weights)
    numeric = _numerical_gradient(net, X, y, 0.1, weights)
    error = np.max(np.abs(grad - numeric)) / np.max(np.abs(grad))
    assert error < 1e-6  # measured 1e-10 to 3e-9


@pytest.mark.parametrize(("output", "loss", "kind"), CASES)
def test_integer_weights_are_repeated_rows(output, loss, kind):
    # sum_i w_i L_i / sum_i w_i over rows = the plain mean over the rows repeated w_i times.
    X, y = _problem(kind)
    counts = np.random.default_rng(4).integers(0, 4, size=len(X))
    counts[0] = 2
    net = _net(output, loss)
    weighted = net.loss_and_gradients(X, y, l2=0.05, sample_weight=counts)
    repeated = net.loss_and_gradients(np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0),
                                      l2=0.05)
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    for a, b in zip(weighted[1] + weighted[2], repeated[1] + repeated[2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_weighted_cross_entropy_matches_a_closed_form():
    X, y = _problem("labels", n=30)
    weights = np.random.default_rng(5).uniform(0.1, 2.0, size=30)
    net = _net("softmax", None)
    W1, W2 = net.weights
    b1, b2 = net.biases
    logp = log_softmax(np.tanh(X @ W1 + b1) @ W2 + b2, axis=1)
    expected = -np.sum(weights * logp[np.arange(30), y]) / weights.sum()
    assert net.loss_and_gradients(X, y, sample_weight=weights)[0] == pytest.approx(expected,
                                                                                    rel=1e-12)


def test_sum_reduction_weights_without_normalising():
    X, y = _problem("labels")
    weights = np.linspace(0.5, 2.0, len(X))
    mean_net = _net("softmax", None)
    sum_net = MLP([5, 6, 4], "tanh", seed=1, dtype=np.float64, reduction="sum")
    sum_net.set_flat_params(mean_net.get_flat_params())
    mean = mean_net.loss_and_gradients(X, y, sample_weight=weights)[0]
    total = sum_net.loss_and_gradients(X, y, sample_weight=weights)[0]
    assert total == pytest.approx(mean * weights.sum(), rel=1e-12)


def test_trainer_with_weights_takes_the_steps_of_repeated_rows():
    # One full batch per epoch: weighted rows and repeated rows are the same objective,
    # so plain SGD walks the same path.
    X, y = _problem("labels", n=20)
    counts = np.random.default_rng(6).integers(1, 4, size=20)
    weighted, repeated = _net("softmax", None), _net("softmax", None)
    weighted.fit(X, y, epochs=5, batch_size=20, optimizer="sgd", learning_rate=0.5,
                 sample_weight=counts, shuffle=False)
    repeated.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts), epochs=5,
                 batch_size=int(counts.sum()), optimizer="sgd", learning_rate=0.5, shuffle=False)
    np.testing.assert_allclose(weighted.get_flat_params(), repeated.get_flat_params(),
                               rtol=1e-10, atol=1e-12)


def test_unit_weights_change_nothing_and_none_is_the_plain_path():
    X, y = _problem("labels", n=40)
    plain, ones, none = (_net("softmax", None) for _ in range(3))
    plain.fit(X, y, epochs=3, batch_size=8, optimizer="adam")
    ones.fit(X, y, epochs=3, batch_size=8, optimizer="adam", sample_weight=np.ones(40))
    none.fit(X, y, epochs=3, batch_size=8, optimizer="adam", sample_weight=None)
    np.testing.assert_array_equal(plain.get_flat_params(), none.get_flat_params())
    np.testing.assert_allclose(plain.get_flat_params(), ones.get_flat_params(), rtol=1e-9)
    assert plain.history_.loss == none.history_.loss


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones(3), r"one weight per sample, shape \(11,\)"),
        (np.ones((11, 1)), "1-D"),
        (np.r_[np.ones(10), -1.0], "negative"),
        (np.r_[np.ones(10), np.nan], "NaN"),
        (np.zeros(11), "all zeros"),
        (np.array(["a"] * 11), "real numbers"),
    ],
)
def test_bad_sample_weight_is_refused(weights, match):
    X, y = _problem("labels")
    net = _net("softmax", None)
    with pytest.raises(ValueError, match=match):
        net.fit(X, y, epochs=1, sample_weight=weights)
    with pytest.raises(ValueError, match=match):
        net.loss_and_gradients(X, y, sample_weight=weights)


# ---------------------------------------------------------- the flat parameter vector
def test_flat_vector_is_weights_then_biases_as_scikit_learn_packs_them():
    net = _net("softmax", None)
    packed = np.hstack([w.ravel() for w in net.weights] + [b.ravel() for b in net.biases])
    np.testing.assert_array_equal(net.get_flat_params(), packed)
    theta = np.arange(net.n_params, dtype=float)
    net.set_flat_params(theta)
    np.testing.assert_array_equal(net.weights[0].ravel(), theta[:30])
    np.testing.assert_array_equal(net.biases[-1], theta[-4:])
    with pytest.raises(ValueError, match="vector of the 64 parameters"):
        net.set_flat_params(theta[:-1])
    with pytest.raises(ValueError, match="finite"):
        net.set_flat_params(np.full(net.n_params, np.nan))


def test_flat_objective_agrees_with_loss_and_gradients():
    X, y = _problem("labels")
    net = _net("softmax", None, activation="relu")
    loss, grad_w, grad_b = net.loss_and_gradients(X, y, l2=0.3)
    flat_loss, flat_grad = net.flat_loss_and_gradient(X, y, l2=0.3)
    assert flat_loss == loss
    np.testing.assert_array_equal(flat_grad, np.hstack([g.ravel() for g in grad_w + grad_b]))
    # A fresh copy each call: the caller may keep it.
    again = net.flat_loss_and_gradient(X, y, l2=0.3)[1]
    assert again is not flat_grad and np.array_equal(again, flat_grad)


def test_scipy_lbfgs_over_the_flat_vector_fits_a_small_problem():
    from scipy.optimize import minimize

    X, y = _problem("labels", n=40)
    net = _net("softmax", None)

    def objective(theta):
        net.set_flat_params(theta)
        return net.flat_loss_and_gradient(X, y, l2=1e-3)

    start = net.flat_loss_and_gradient(X, y, l2=1e-3)[0]
    result = minimize(objective, net.get_flat_params(), method="L-BFGS-B", jac=True,
                      options={"maxiter": 300})
    net.set_flat_params(result.x)
    # Measured: 1.41 -> 0.26 (converged after 258 iterations), every training row right.
    assert result.fun < 0.3 * start
    assert net.score(X, y) == 1.0


# -------------------------------------------------------------------- Poisson
def test_poisson_loss_is_half_the_deviance():
    X, counts = _problem("counts", n=25)
    weights = np.random.default_rng(7).uniform(0.5, 1.5, size=25)
    net = _net("exp", None)
    assert net.loss == "poisson"
    rate = np.exp(np.tanh(X @ net.weights[0] + net.biases[0]) @ net.weights[1] + net.biases[1])
    np.testing.assert_allclose(net.outputs(X), rate, rtol=1e-12)
    deviance = xlogy(counts, counts / rate) - counts + rate  # per element, 0 at a perfect fit
    for w in (None, weights):
        expected = np.average(deviance.sum(axis=1), weights=w)
        assert net.loss_and_gradients(X, counts, sample_weight=w)[0] == pytest.approx(
            expected, rel=1e-12)
    with pytest.raises(ValueError, match=">= 0"):
        net.fit(X, -counts, epochs=1)
    with pytest.raises(ValueError, match="not probabilities"):
        net.predict_proba(X)


def test_poisson_regression_matches_scikit_learns_glm():
    from scipy.optimize import minimize
    from sklearn.linear_model import PoissonRegressor

    rng = np.random.default_rng(8)
    X = rng.uniform(-1, 1, size=(2000, 2))
    counts = rng.poisson(np.exp(0.5 + X @ np.array([1.0, -0.7])))
    glm = PoissonRegressor(alpha=0.0, tol=1e-10, max_iter=1000).fit(X, counts)
    reference = np.r_[glm.coef_, glm.intercept_]
    # No hidden layer, exp output: a Poisson GLM. L-BFGS over the flat vector finds its MLE ...
    net = MLP([2, 1], output="exp", seed=0, dtype=np.float64)

    def objective(theta):
        net.set_flat_params(theta)
        return net.flat_loss_and_gradient(X, counts[:, None])

    result = minimize(objective, net.get_flat_params(), method="L-BFGS-B", jac=True,
                      options={"gtol": 1e-10})
    np.testing.assert_allclose(result.x, reference, rtol=1e-5)
    # ... and the trainer gets close to it by mini-batch steps.
    net = MLP([2, 1], output="exp", seed=0, dtype=np.float64)
    net.fit(X, counts[:, None], epochs=40, batch_size=100, optimizer="adam", learning_rate=0.01)
    # Measured: within 0.014 of the MLE (1.012, -0.762, 0.514 vs 1.005, -0.749, 0.511).
    np.testing.assert_allclose(net.get_flat_params(), reference, atol=0.05)


# ------------------------------------------------------------- Nesterov momentum
def test_nesterov_momentum_matches_scikit_learns_update_rule():
    # scikit-learn writes it v <- mu v - lr g; p <- p + mu v - lr g. With a constant
    # learning rate this is the engine's v <- mu v + g; p <- p - lr (g + mu v).
    rng = np.random.default_rng(9)
    grads = rng.normal(size=(6, 5))
    lr, mu = 0.1, 0.9
    p_ref, v_ref = np.zeros(5), np.zeros(5)
    optimizer = make_optimizer("momentum", 5, np.float64, lr)
    optimizer.momentum, optimizer.nesterov = mu, True
    params, out = np.zeros(5), np.empty(5)
    for g in grads:
        v_ref = mu * v_ref - lr * g
        p_ref = p_ref + mu * v_ref - lr * g
        optimizer.update(params, g, out)
        params, out = out, params
        np.testing.assert_allclose(params, p_ref, rtol=1e-12, atol=1e-15)
    assert optimizer.hyperparameters() == {"momentum": 0.9, "nesterov": True}


def test_adam_eps_hat_is_the_efficient_form_of_the_paper():
    # Kingma & Ba, section 2: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); p -= lr_t m / (sqrt(v) + eps)
    # (scikit-learn's AdamOptimizer). The default adds eps to sqrt(v_hat) instead (PyTorch).
    rng = np.random.default_rng(10)
    grads = rng.normal(scale=1e-6, size=(5, 4))  # tiny gradients: where eps matters
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    for eps_hat in (True, False):
        optimizer = make_optimizer("adam", 4, np.float64, lr)
        optimizer.eps_hat = eps_hat
        params, out = np.zeros(4), np.empty(4)
        p_ref, m, v = np.zeros(4), np.zeros(4), np.zeros(4)
        for t, g in enumerate(grads, start=1):
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            if eps_hat:
                p_ref -= lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
            else:
                p_ref -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
            optimizer.update(params, g, out)
            params, out = out, params
            np.testing.assert_allclose(params, p_ref, rtol=1e-12)


def test_sklearn_init_draws_weights_and_biases_in_scikit_learns_bounds():
    for activation, factor in (("relu", 6.0), ("tanh", 6.0), ("sigmoid", 2.0)):
        net = MLP([300, 200, 10], activation, init="sklearn", seed=0, dtype=np.float64)
        for weight, bias in zip(net.weights, net.biases, strict=True):
            limit = np.sqrt(factor / sum(weight.shape))
            for values in (weight, bias):
                assert np.abs(values).max() <= limit
                # uniform on [-limit, limit]: standard deviation limit / sqrt(3)
                assert values.std() == pytest.approx(limit / np.sqrt(3), rel=0.25)
        assert MLP([3, 2], init="sklearn", seed=0).get_config()["init"] == "sklearn"
    assert not MLP([3, 4, 2], init="sklearn", bias=False, seed=0).get_flat_params()[-6:].any()
