"""Fused element-wise passes around the matrix products of a training step.

NumPy makes one pass over memory per operation: Adam's update is twelve passes over
the parameter vector, a hidden layer's bias and ReLU two passes, softmax with its loss,
accuracy and error at the logits about ten small passes plus their Python calls. Here
each of those is one loop, compiled by numba to machine code (vectorised: the
``error_model="numpy"`` option lets a division skip Python's zero check, which would
otherwise keep LLVM from using SIMD). ``bench/kernels.py`` measures each kernel
against the NumPy passes it replaces.

Exactness: a kernel does the same floating-point operations in the same order as the
NumPy code it replaces (no fused multiply-add, no reordering: no ``fastmath``), so
Adam, the bias adds, ReLU and the bias gradients give bit-identical results either
way. Only ``softmax_cross_entropy`` differs from NumPy in the last bit, because
numba's ``exp``/``log`` are the C library's and NumPy's are its own SIMD versions.
Either path is deterministic, so training stays bit-identical under any stepping.

What it trades away: numba and llvmlite (about 210 MB installed, ~0.5 s to import)
and a one-time compilation (a few seconds) on the first run on a machine. The
compiled code is cached on disk (``cache=True``: next to this file, or in the user's
cache directory when that is read-only), so later processes load it in milliseconds.
Without numba, or with ``NN_CORE_KERNELS=numpy`` in the environment, ``ENABLED`` is
False and the engine runs its NumPy passes, as before.
"""

from __future__ import annotations

import os

import numpy as np

try:  # numba is a listed dependency, but the engine must still run without it
    import numba
except ImportError:  # pragma: no cover - exercised by NN_CORE_KERNELS=numpy instead
    numba = None

#: Whether the compiled kernels are used (numba importable and not switched off).
ENABLED = numba is not None and os.environ.get("NN_CORE_KERNELS", "numba") != "numpy"


def _compiled(function):
    """``function`` compiled once per dtype and cached on disk; released GIL so that
    several tabs training in threads run their kernels side by side."""
    if numba is None:
        return function
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)


@_compiled
def adam_step(params, grads, m_old, v_old, m, v, out, b1, c1, b2, c2, eps, step_size):
    """One Adam update, element by element, in ``Adam._step``'s order of operations:
    ``m = m_old*b1 + g*c1``, ``v = v_old*b2 + (g*g)*c2``,
    ``out = params - (m / (sqrt(v) + eps)) * step_size`` (``c1 = 1 - b1``, ``c2 = 1 - b2``;
    the scalars are of the vectors' dtype)."""
    for i in range(params.shape[0]):
        g = grads[i]
        mi = m_old[i] * b1 + g * c1
        vi = v_old[i] * b2 + (g * g) * c2
        m[i] = mi
        v[i] = vi
        out[i] = params[i] - (mi / (np.sqrt(vi) + eps)) * step_size


@_compiled
def bias_relu(z, bias):
    """``z = max(z + bias, 0)`` in place, row by row; NaN stays NaN (as ``np.maximum``)."""
    zero = z.dtype.type(0)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            value = z[i, j] + bias[j]
            z[i, j] = value if (value > zero or value != value) else zero


@_compiled
def relu_backward_bias(error, a, grad_bias):
    """``error *= (a > 0)`` in place (dL/da becomes dL/dz), and ``grad_bias`` the column
    sums of the result, summed row after row as ``np.sum(axis=0)`` does."""
    one, zero = error.dtype.type(1), error.dtype.type(0)
    grad_bias[:] = zero
    for i in range(error.shape[0]):
        for j in range(error.shape[1]):
            value = error[i, j] * (one if a[i, j] > zero else zero)
            error[i, j] = value
            grad_bias[j] += value


@_compiled
def softmax_cross_entropy(z, bias, labels, scale, grad_bias):
    """The output layer of a softmax + cross-entropy step, one row at a time, in place:
    ``z`` (the logits before the bias) becomes the error at the logits,
    ``(softmax(z + bias) - onehot(labels)) * scale``, and ``grad_bias`` its column sums.

    Returns ``(loss_sum, correct)``: the cross-entropy summed over the rows, in float64,
    as ``sum_i log(sum_k exp(z_ik - max_i)) - (z_iy - max_i)`` (the true cross-entropy
    at any logit size), and how many rows' largest probability is at their label.
    """
    rows, classes = z.shape
    one, zero = z.dtype.type(1), z.dtype.type(0)
    loss, correct = 0.0, 0
    grad_bias[:] = zero
    for i in range(rows):
        top = z[i, 0] + bias[0]
        for j in range(classes):
            value = z[i, j] + bias[j]
            z[i, j] = value
            if value > top:
                top = value
        label = labels[i]
        picked = z[i, label] - top
        total = zero
        for j in range(classes):
            value = np.exp(z[i, j] - top)
            z[i, j] = value
            total += value
        loss += np.float64(np.log(total)) - np.float64(picked)
        best, best_j = -one, 0
        for j in range(classes):
            p = z[i, j] / total
            if p > best:
                best, best_j = p, j
            z[i, j] = p
        if best_j == label:
            correct += 1
        z[i, label] -= one
        for j in range(classes):
            value = z[i, j] * scale
            z[i, j] = value
            grad_bias[j] += value
    return loss, correct


def warm_up() -> None:
    """Load (or, the first time on a machine, compile) every kernel for float32 and
    float64 now, on tiny arrays, so that a server can pay numba's one-time start-up
    (~0.7 s even from the disk cache) before anyone's first epoch."""
    if not ENABLED:
        return
    for dtype in (np.float32, np.float64):
        scalar = np.dtype(dtype).type
        vector = np.zeros(4, dtype)
        adam_step(vector, vector, vector, vector, vector.copy(), vector.copy(), vector.copy(),
                  *(scalar(0.5),) * 6)
        z, bias = np.zeros((2, 3), dtype), np.zeros(3, dtype)
        bias_relu(z, bias)
        relu_backward_bias(z, z.copy(), bias)
        softmax_cross_entropy(z, bias, np.zeros(2, np.intp), scalar(0.5), bias.copy())


__all__ = ["ENABLED", "warm_up", "adam_step", "bias_relu", "relu_backward_bias", "softmax_cross_entropy"]
