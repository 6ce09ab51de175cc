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


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "identity": identity,
}

DERIVATIVES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], None]] = {
    "sigmoid": sigmoid_backward,
    "tanh": tanh_backward,
    "relu": relu_backward,
    "leaky_relu": leaky_relu_backward,
    "identity": identity_backward,
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


def softmax_with_loss(z: np.ndarray, y: np.ndarray, scratch: np.ndarray) -> float:
    """Turn logits ``z`` into probabilities in place; return the mean cross-entropy.

    The loss is ``logsumexp(z) - z[y]`` per row, taken from the logits rather
    than as ``-log p[y]`` from the probabilities: it is the true cross-entropy
    (PyTorch's ``cross_entropy``) at any logit size, where ``-log p`` would be
    ``inf`` (or capped) once ``p[y]`` underflows. It costs nothing extra: the
    row max is subtracted for a stable softmax anyway, and
    ``logsumexp(z) - z[y] = log(sum(exp(z - max))) - (z[y] - max)``.
    """
    m = z.shape[0]
    z -= z.max(axis=1, keepdims=True)
    picked = float(np.add.reduce(z[np.arange(m), y], dtype=np.float64))  # sum of z[y] - max
    np.exp(z, out=z)
    sums = scratch[:, :1]
    np.add.reduce(z, axis=1, keepdims=True, out=sums)  # in [1, K]: its log is safe
    z /= sums
    np.log(sums, out=sums)
    return (float(np.add.reduce(sums, axis=None, dtype=np.float64)) - picked) / m


def sigmoid_with_loss(z: np.ndarray, y: np.ndarray, scratch: np.ndarray) -> float:
    """Turn logits ``z`` into per-output sigmoids in place; return the mean over the
    batch of the binary cross-entropy summed over the outputs.

    ``-sum_k [t_k log p_k + (1 - t_k) log(1 - p_k)]`` with ``t`` the one-hot
    target, as the seed tutorial's section 4.2 writes it, one term per output.
    From the logits it is ``sum_k softplus(z_k) - z_y`` with the stable
    ``softplus(z) = max(z, 0) + log1p(exp(-|z|))`` (PyTorch's
    ``binary_cross_entropy_with_logits``): exact at any logit size, with no
    one-hot matrix and no log of a probability that may have rounded to 0 or 1.
    """
    m = z.shape[0]
    picked = float(z[np.arange(m), y].sum(dtype=np.float64))
    np.abs(z, out=scratch)
    np.negative(scratch, out=scratch)
    np.exp(scratch, out=scratch)
    np.log1p(scratch, out=scratch)
    total = float(scratch.sum(dtype=np.float64))
    np.maximum(z, 0.0, out=scratch)
    total += float(scratch.sum(dtype=np.float64))
    sigmoid(z)
    return (total - picked) / m


def output_delta(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Turn probabilities into the fused error at the logits, ``(p - onehot(y)) / m``, in place."""
    m = p.shape[0]
    p[np.arange(m), y] -= 1.0
    p *= 1.0 / m
    return p


OUTPUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "softmax": softmax,
    "sigmoid": sigmoid,
}

#: Which loss each output layer pairs with (documentation and history labels).
OUTPUT_LOSSES: dict[str, str] = {
    "softmax": "categorical cross-entropy",
    "sigmoid": "binary cross-entropy (summed over outputs)",
}


#: Each output layer fused with its loss: ``f(z, y, scratch) -> mean loss``, turning
#: the logits ``z`` into the output activations in place (``scratch`` shaped like ``z``).
OUTPUTS_WITH_LOSS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], float]] = {
    "softmax": softmax_with_loss,
    "sigmoid": sigmoid_with_loss,
}
