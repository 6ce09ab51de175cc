"""Activation functions, their derivatives, and the output layers with their losses.

Each hidden activation is a pair of in-place functions kept side by side:

* ``forward(z)`` overwrites the pre-activation ``z`` with ``a = f(z)``;
* ``backward(a, delta, scratch)`` multiplies the incoming error ``delta = dL/da``
  by ``f'(z)``, written in terms of the *output* ``a`` (so the pre-activation
  never has to be stored), turning it into ``dL/dz``.

Working in place on preallocated buffers is what keeps training fast (see
``network.py``); the price is that callers must own the buffers they pass.

Output layers fuse the last activation with its loss: for softmax +
categorical cross-entropy and for sigmoid + binary cross-entropy alike, the
error at the logits is ``(p - y) / m``, so no one-hot matrix and no
``dL/dp`` (with its divisions by ``p``) is ever formed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# ---------------------------------------------------------------- hidden layers


def sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-z) overflows to inf for z << 0, and 1 / (1 + inf) = 0 is the right limit.
    with np.errstate(over="ignore"):
        np.negative(z, out=z)
        np.exp(z, out=z)
    z += 1.0
    np.reciprocal(z, out=z)
    return z


def sigmoid_backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
    # sigma'(z) = a * (1 - a)
    np.subtract(1.0, a, out=scratch)
    scratch *= a
    delta *= scratch


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z, out=z)


def tanh_backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
    # tanh'(z) = 1 - a^2
    np.multiply(a, a, out=scratch)
    np.subtract(1.0, scratch, out=scratch)
    delta *= scratch


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0, out=z)


def relu_backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
    # relu'(z) = 1 where z > 0 (equivalently a > 0), else 0; at z = 0 we take 0.
    np.greater(a, 0.0, out=scratch)  # scratch holds 1.0 / 0.0 in the layer's dtype
    delta *= scratch


LEAKY_SLOPE = 0.01


def leaky_relu(z: np.ndarray) -> np.ndarray:
    # max(z, 0.01 z) is z for z > 0 and 0.01 z otherwise.
    return np.maximum(z, LEAKY_SLOPE * z, out=z)


def leaky_relu_backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
    # 1 where a > 0, else the slope; a > 0 exactly when z > 0.
    np.greater(a, 0.0, out=scratch)
    scratch *= 1.0 - LEAKY_SLOPE
    scratch += LEAKY_SLOPE
    delta *= scratch


def identity(z: np.ndarray) -> np.ndarray:
    return z


def identity_backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
    return None


#: Each hidden activation's forward function and its backward pass, side by side so
#: the two tables below cannot drift apart.
_FORWARD_AND_BACKWARD = {
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "identity": (identity, identity_backward),
}
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    name: forward for name, (forward, _) in _FORWARD_AND_BACKWARD.items()
}
DERIVATIVES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], None]] = {
    name: backward for name, (_, backward) in _FORWARD_AND_BACKWARD.items()
}

#: Initialisation gain rule per activation: "he" (variance 2 / fan_in) for the
#: ReLU family, "glorot" (variance 2 / (fan_in + fan_out)) for the squashing ones.
INIT_SCHEMES: dict[str, str] = {
    "sigmoid": "glorot",
    "tanh": "glorot",
    "relu": "he",
    "leaky_relu": "he",
    "identity": "glorot",
}

# ---------------------------------------------------------------- output layers


def softmax(z: np.ndarray) -> np.ndarray:
    # Subtracting the row max keeps exp() from overflowing; the result is unchanged.
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _weighted_rows(values: np.ndarray, weights: np.ndarray) -> float:
    """``sum_i w_i values[i]`` (a row's values summed first), accumulated in float64."""
    rows = values if values.ndim == 1 else np.add.reduce(values, axis=1)
    return float(np.add.reduce(rows * weights, dtype=np.float64))


def _target_sum(z: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """``sum_i z[i, y_i]`` for integer labels, ``sum(z * t)`` for a target matrix; with
    ``weights``, each row's term times its weight."""
    if weights is not None:
        picked = z[np.arange(z.shape[0]), y] if y.ndim == 1 else z * y
        return _weighted_rows(picked, weights)
    if y.ndim == 1:
        return float(np.add.reduce(z[np.arange(z.shape[0]), y], dtype=np.float64))
    return float(np.vdot(z, y))


def softmax_with_loss(
    z: np.ndarray, y: np.ndarray, scratch: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Turn logits ``z`` into probabilities in place; return the cross-entropy summed
    over the batch (integer labels ``y``), each row times its weight if ``weights``.

    The loss is ``logsumexp(z) - z[y]`` per row, taken from the logits rather
    than as ``-log p[y]`` from the probabilities: it is the true cross-entropy
    (PyTorch's ``cross_entropy``) at any logit size, where ``-log p`` would be
    ``inf`` (or capped) once ``p[y]`` underflows. It costs nothing extra: the
    row max is subtracted for a stable softmax anyway, and
    ``logsumexp(z) - z[y] = log(sum(exp(z - max))) - (z[y] - max)``.
    """
    z -= z.max(axis=1, keepdims=True)
    picked = _target_sum(z, y, weights)  # sum of z[y] - max
    np.exp(z, out=z)
    sums = scratch[:, :1]
    np.add.reduce(z, axis=1, keepdims=True, out=sums)  # in [1, K]: its log is safe
    z /= sums
    np.log(sums, out=sums)
    if weights is not None:
        return _weighted_rows(sums, weights) - picked
    return float(np.add.reduce(sums, axis=None, dtype=np.float64)) - picked


def sigmoid_with_loss(
    z: np.ndarray, y: np.ndarray, scratch: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Turn logits ``z`` into per-output sigmoids in place; return the binary
    cross-entropy summed over the outputs and the batch (each row times its weight
    if ``weights``).

    ``-sum_k [t_k log p_k + (1 - t_k) log(1 - p_k)]`` with ``t`` the one-hot
    target of integer labels (as the seed tutorial's section 4.2 writes it, one
    term per output) or a 0/1 target matrix (multi-label). From the logits it is
    ``sum_k softplus(z_k) - t_k z_k`` with the stable
    ``softplus(z) = max(z, 0) + log1p(exp(-|z|))`` (PyTorch's
    ``binary_cross_entropy_with_logits``): exact at any logit size, with no
    one-hot matrix and no log of a probability that may have rounded to 0 or 1.
    """
    picked = _target_sum(z, y, weights)
    np.abs(z, out=scratch)
    np.negative(scratch, out=scratch)
    np.exp(scratch, out=scratch)
    np.log1p(scratch, out=scratch)
    if weights is not None:
        total = _weighted_rows(scratch, weights)
        np.maximum(z, 0.0, out=scratch)
        total += _weighted_rows(scratch, weights)
        sigmoid(z)
        return total - picked
    total = float(scratch.sum(dtype=np.float64))
    np.maximum(z, 0.0, out=scratch)
    total += float(scratch.sum(dtype=np.float64))
    sigmoid(z)
    return total - picked


def _subtract_target(a: np.ndarray, y: np.ndarray) -> None:
    """``a -= t`` in place, with ``t`` the one-hot of labels or the target matrix."""
    if y.ndim == 1:
        a[np.arange(a.shape[0]), y] -= 1.0
    else:
        a -= y


def fused_delta(a: np.ndarray, y: np.ndarray, scale: float, scratch: np.ndarray) -> np.ndarray:
    """Softmax + cross-entropy and sigmoid + binary cross-entropy share their error at
    the logits, ``(a - t) * scale``: computed in place, with no one-hot matrix."""
    _subtract_target(a, y)
    a *= scale
    return a


def identity_output(z: np.ndarray) -> np.ndarray:
    return z


def exp_output(z: np.ndarray) -> np.ndarray:
    """``a = exp(z)``, a positive rate (the log link of Poisson regression)."""
    with np.errstate(over="ignore"):
        return np.exp(z, out=z)


def poisson_with_loss(
    z: np.ndarray, y: np.ndarray, scratch: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """Turn logits ``z`` into rates ``a = exp(z)`` in place; return half the Poisson
    deviance ``sum_k [a_k - t_k z_k + t_k log t_k - t_k]`` summed over the batch (each
    row times its weight if ``weights``), for counts ``t >= 0``.

    The ``t log t - t`` part is constant in the parameters: with it a perfect fit
    costs 0 (scikit-learn's ``poisson_loss`` keeps it too). The error at the logits is
    ``a - t``, the same fused ``(a - t) * scale`` as the cross-entropies.
    """
    picked = _target_sum(z, y, weights)  # sum t_k z_k
    exp_output(z)
    if y.ndim == 1:  # one count of 1 per row: t log t - t = -1
        count = z.shape[0] if weights is None else np.add.reduce(weights, dtype=np.float64)
        constant = -float(count)
    else:
        np.copyto(scratch, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            np.log(scratch, out=scratch, where=y > 0)
        scratch[y <= 0] = 0.0
        scratch *= y
        scratch -= y
        constant = (float(scratch.sum(dtype=np.float64)) if weights is None
                    else _weighted_rows(scratch, weights))
    rates = float(z.sum(dtype=np.float64)) if weights is None else _weighted_rows(z, weights)
    return rates - picked + constant


def _mse_with(activate: Callable[[np.ndarray], np.ndarray]):
    def mse_with_loss(
        z: np.ndarray, y: np.ndarray, scratch: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        """Activate ``z`` in place; return the quadratic cost ``1/2 sum_k (a_k - t_k)^2``
        summed over the batch (Nielsen's ``C = 1/2n sum ||y - a||^2``, before the mean),
        each row times its weight if ``weights``."""
        activate(z)
        np.copyto(scratch, z)
        _subtract_target(scratch, y)
        if weights is not None:
            return 0.5 * _weighted_rows(scratch * scratch, weights)
        return 0.5 * float(np.vdot(scratch, scratch))

    return mse_with_loss


def _mse_delta(output: str):
    def mse_delta(a: np.ndarray, y: np.ndarray, scale: float, scratch: np.ndarray) -> np.ndarray:
        """``dL/dz`` of the quadratic cost, in place: ``g = a - t`` times the output
        activation's derivative (its Jacobian, for softmax), times ``scale``."""
        np.copyto(scratch, a)
        _subtract_target(scratch, y)  # g = a - t
        if output == "identity":
            np.copyto(a, scratch)
        elif output == "sigmoid":
            sigmoid_backward(a.copy(), scratch, a)  # g * a(1 - a), written into scratch
            np.copyto(a, scratch)
        else:  # softmax: J^T g = a * (g - sum_k a_k g_k)
            dot = np.einsum("ij,ij->i", a, scratch)[:, None]
            scratch -= dot
            a *= scratch
        a *= scale
        return a

    return mse_delta


OUTPUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "softmax": softmax,
    "sigmoid": sigmoid,
    "identity": identity_output,
    "exp": exp_output,
}

#: The losses each output layer can be trained with; the first is its default.
OUTPUT_LOSSES: dict[str, tuple[str, ...]] = {
    "softmax": ("cross_entropy", "mse"),
    "sigmoid": ("binary_cross_entropy", "mse"),
    "identity": ("mse",),
    "exp": ("poisson",),
}

LOSS_LABELS: dict[str, str] = {
    "cross_entropy": "categorical cross-entropy",
    "binary_cross_entropy": "binary cross-entropy (summed over outputs)",
    "mse": "quadratic cost, 1/2 sum of squared errors",
    "poisson": "half the Poisson deviance (counts, log link)",
}

#: (output, loss) -> (forward: ``f(z, y, scratch, weights=None) -> loss summed over the
#: batch`` (weighted by row when ``weights`` is given),
#: turning the logits ``z`` into the outputs in place; backward: ``d(a, y, scale,
#: scratch)`` turning the outputs ``a`` into ``dL/dz * scale`` in place).
LOSSES: dict[tuple[str, str], tuple[Callable, Callable]] = {
    ("softmax", "cross_entropy"): (softmax_with_loss, fused_delta),
    ("sigmoid", "binary_cross_entropy"): (sigmoid_with_loss, fused_delta),
    **{(out, "mse"): (_mse_with(OUTPUTS[out]), _mse_delta(out))
       for out in ("softmax", "sigmoid", "identity")},
    ("exp", "poisson"): (poisson_with_loss, fused_delta),
}
