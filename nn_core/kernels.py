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

``train_batches`` puts the passes and the matrix products of whole training steps
into one compiled call (the products through NumPy's own BLAS, ``nn_core.blas``),
each batch split in two halves that run on two threads where NumPy's BLAS may use
two (``step_threads``). What that buys and costs is in docs/engine.md ("Compiled
steps on two threads").
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import types
from collections.abc import Iterator

import numpy as np

from . import blas
from .blas import NO_TRANS, TRANS, gemm

try:  # numba is a listed dependency, but the engine must still run without it
    import numba
    from numba import prange
except ImportError:  # pragma: no cover - exercised by NN_CORE_KERNELS=numpy instead
    numba = None
    prange = range

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


def all_finite(values) -> bool:
    """Whether every number in the 1-D ``values`` is finite: one pass, no temporary.

    It sums ``value * 0``: 0 for a finite number, NaN for NaN or an infinity, and a sum
    of zeros and NaNs is NaN exactly when there is a NaN, in any order. So numba may
    reorder the sum (``fastmath={"reassoc"}``, nothing else) and vectorise it: 6 ms
    for MNIST's 60,000 x 784 on one thread, against 17 ms for a loop that tests each
    number and 7 ms for NumPy's two-thread BLAS product (``MLP._finite``)."""
    zero = values.dtype.type(0)
    total = zero
    for i in range(values.shape[0]):
        total += values[i] * zero
    return total == zero


if numba is not None:
    all_finite = numba.njit(cache=True, nogil=True, fastmath={"reassoc"})(all_finite)


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


def _train_batches(gemm_at, X, y, order, first, count, batch, gather, sizes, theta, current,
                   grad, inputs, activations, errors, labels, bias_parts, part_loss, part_correct,
                   mean, penalty, max_loss, reference, factor, floor, adam, m_state, v_state,
                   state_current, steps, learning_rate, b1, b2, eps, eps_hat, results):
    """Up to ``count`` training steps of a ReLU + softmax cross-entropy network, whole,
    in compiled code: see ``MLP.train_batches``, which is the only caller.

    Each step's rows are split into two halves (``prange(2)``): each half gathers its
    rows, runs them forward, takes the loss and runs the error back to every layer's
    pre-activation; then each half computes the weight gradients of half the input
    rows of every layer and (``adam``) takes Adam's step on exactly those weights.
    The halves are the same whether one thread runs both (``train_batches``) or two
    threads run one each (``train_batches_parallel``), so the result does not depend
    on the thread count. Stops before the step of a batch whose loss is not finite
    (status 1) or above ``max_loss`` (status 2). ``results`` gets (batches done,
    status, last loss, ``loss_sum`` + loss x rows per batch, correct, reference).
    """
    layers = sizes.shape[0] - 1
    # offsets[l]: where layer l's activations start in ``activations`` (and, for a hidden
    # layer, its dL/da in ``errors``); offsets[l] // batch: where its bias starts after
    # the weights (and in ``bias_parts``); weight_at[l]: where its weights start.
    offsets = np.zeros(layers, np.int64)
    weight_at = np.zeros(layers, np.int64)
    for layer in range(1, layers):
        offsets[layer] = offsets[layer - 1] + batch * sizes[layer]
        weight_at[layer] = weight_at[layer - 1] + sizes[layer - 1] * sizes[layer]
    n_weights = weight_at[layers - 1] + sizes[layers - 1] * sizes[layers]
    n_params = theta.shape[1]
    item = theta.itemsize
    zero, one = theta.dtype.type(0), theta.dtype.type(1)  # gemm's alpha and beta
    rows_total = order.shape[0] if gather else X.shape[0]
    loss_sum = results[3]
    correct_sum = 0
    status = 0
    loss = 0.0
    done = 0
    source = inputs if gather else X
    for step in range(count):
        start = (first + step) * batch
        m = min(batch, rows_total - start)
        params = theta[current]
        scale = theta.dtype.type(1.0 / m) if mean else theta.dtype.type(1.0)
        for part in prange(2):
            r0 = part * m // 2
            r1 = (part + 1) * m // 2
            rows = r1 - r0
            for r in range(r0, r1):
                if gather:
                    row = order[start + r]
                    inputs[r, :] = X[row]
                    labels[r] = y[row]
                else:
                    labels[r] = y[r]
            below_at = source.ctypes.data + r0 * sizes[0] * item
            for layer in range(layers):
                n_in, n_out = sizes[layer], sizes[layer + 1]
                at = offsets[layer]
                z_at = activations.ctypes.data + (at + r0 * n_out) * item
                gemm(gemm_at, NO_TRANS, NO_TRANS, rows, n_out, n_in, one, below_at, n_in,
                     params.ctypes.data + weight_at[layer] * item, n_out, zero, z_at, n_out)
                z = activations[at : at + m * n_out].reshape((m, n_out))[r0:r1]
                bias = params[n_weights + at // batch : n_weights + at // batch + n_out]
                if layer < layers - 1:
                    bias_relu(z, bias)
                else:
                    total, right = softmax_cross_entropy(
                        z, bias, labels[r0:r1], scale,
                        bias_parts[part, at // batch : at // batch + n_out])
                    part_loss[part] = total
                    part_correct[part] = right
                below_at = z_at
            # back from the logits to each hidden layer's dL/dz, for these rows only
            for layer in range(layers - 1, 0, -1):
                n_in, n_out = sizes[layer], sizes[layer + 1]
                at, below = offsets[layer], offsets[layer - 1]
                delta = activations if layer == layers - 1 else errors
                gemm(gemm_at, NO_TRANS, TRANS, rows, n_in, n_out, one,
                     delta.ctypes.data + (at + r0 * n_out) * item, n_out,
                     params.ctypes.data + weight_at[layer] * item, n_out, zero,
                     errors.ctypes.data + (below + r0 * n_in) * item, n_in)
                relu_backward_bias(
                    errors[below : below + m * n_in].reshape((m, n_in))[r0:r1],
                    activations[below : below + m * n_in].reshape((m, n_in))[r0:r1],
                    bias_parts[part, below // batch : below // batch + n_in])
        total = part_loss[0] + part_loss[1]
        loss = (total / m if mean else total) + penalty
        if not math.isfinite(loss):
            status = 1
            break
        if loss > max_loss:
            status = 2
            break
        for j in range(n_params - n_weights):
            grad[n_weights + j] = bias_parts[0, j] + bias_parts[1, j]
        new = 1 - current
        if adam:
            t = float(steps + 1)
            root_bc2 = math.sqrt(1.0 - b2 ** t)
            step_size = theta.dtype.type(learning_rate * root_bc2 / (1.0 - b1 ** t))
            step_eps = theta.dtype.type(eps if eps_hat else eps * root_bc2)
        else:
            step_size = zero
            step_eps = zero
        beta1, keep1 = theta.dtype.type(b1), theta.dtype.type(1.0 - b1)
        beta2, keep2 = theta.dtype.type(b2), theta.dtype.type(1.0 - b2)
        for part in prange(2):
            for layer in range(layers):
                n_in, n_out = sizes[layer], sizes[layer + 1]
                i0 = part * n_in // 2
                i1 = (part + 1) * n_in // 2
                if layer == 0:
                    below_at = source.ctypes.data
                else:
                    below_at = activations.ctypes.data + offsets[layer - 1] * item
                delta = activations if layer == layers - 1 else errors
                w_at = weight_at[layer]
                if i1 > i0:
                    gemm(gemm_at, TRANS, NO_TRANS, i1 - i0, n_out, m, one, below_at + i0 * item, n_in,
                         delta.ctypes.data + offsets[layer] * item, n_out, zero,
                         grad.ctypes.data + (w_at + i0 * n_out) * item, n_out)
                    if adam:
                        p0, p1 = w_at + i0 * n_out, w_at + i1 * n_out
                        adam_step(theta[current, p0:p1], grad[p0:p1],
                                  m_state[state_current, p0:p1], v_state[state_current, p0:p1],
                                  m_state[1 - state_current, p0:p1],
                                  v_state[1 - state_current, p0:p1], theta[new, p0:p1],
                                  beta1, keep1, beta2, keep2, step_eps, step_size)
            if adam and part == 1:
                adam_step(theta[current, n_weights:], grad[n_weights:],
                          m_state[state_current, n_weights:], v_state[state_current, n_weights:],
                          m_state[1 - state_current, n_weights:],
                          v_state[1 - state_current, n_weights:], theta[new, n_weights:],
                          beta1, keep1, beta2, keep2, step_eps, step_size)
        right = part_correct[0] + part_correct[1]
        if adam:
            current = new
            state_current = 1 - state_current
            steps += 1
            loss_sum += loss * m
            correct_sum += right
            if reference != reference:  # the run's first batch sets the explosion limit
                reference = max(loss, floor)
                max_loss = factor * reference
        else:
            correct_sum = right
        done += 1
    results[0] = done
    results[1] = status
    results[2] = loss
    results[3] = loss_sum
    results[4] = correct_sum
    results[5] = reference


def _twin(function, name: str):
    """A copy of ``function`` under another name: numba's disk cache files compilations by
    function name, not by options, so the serial and the parallel compilation of one body
    need two names."""
    twin = types.FunctionType(function.__code__, function.__globals__, name,
                              function.__defaults__, function.__closure__)
    twin.__qualname__ = name
    twin.__doc__ = function.__doc__
    return twin


if numba is not None:
    #: ``_train_batches`` with both halves on the calling thread.
    train_batches = _compiled(_twin(_train_batches, "train_batches"))
    #: ``_train_batches`` with the halves on two threads (numba's thread pool).
    train_batches_parallel = numba.njit(cache=True, nogil=True, error_model="numpy",
                                        parallel=True)(
        _twin(_train_batches, "train_batches_parallel"))
else:  # pragma: no cover
    train_batches = train_batches_parallel = None

#: Held by the one run whose steps use two threads; another run meanwhile uses one.
PARALLEL = threading.Lock()


def steps_available() -> bool:
    """Whether ``train_batches`` can run here: the kernels are on and NumPy's BLAS
    functions were found (``nn_core.blas``)."""
    return ENABLED and blas.numpy_blas() is not None


_local = threading.local()


@contextlib.contextmanager
def step_threads() -> Iterator[int]:
    """The threads ``run_steps`` calls inside the ``with`` block use (yielded): two when
    NumPy's BLAS may use two now and no other run holds them (``PARALLEL``), else one.

    With two, numba's pool runs the two halves of each step and each half's products
    run on its own thread: NumPy's BLAS is set to one thread for the block and set back
    after it (OpenBLAS's threaded products, called from two threads at once, queue for
    its one helper thread: an epoch took 0.36 s instead of 0.19). A second run that
    wants two threads meanwhile gets one, not four threads on two cores. Either way the
    arithmetic is the same, so the result is too.
    """
    functions = blas.numpy_blas() if ENABLED else None
    threads = 1 if functions is None else functions.threads()
    if threads < 2 or not PARALLEL.acquire(blocking=False):
        yield 1
        return
    try:
        functions.set_threads(1)
        _local.parallel = True
        yield 2
    finally:
        _local.parallel = False
        functions.set_threads(threads)
        PARALLEL.release()


def run_steps(dtype, *args) -> None:
    """``train_batches`` with ``args`` after the first (``dtype`` picks the gemm, whose
    address goes first), on the threads ``step_threads`` gave this thread."""
    args = (blas.numpy_blas().gemm_for(dtype), *args)
    if getattr(_local, "parallel", False):
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        train_batches_parallel(*args)
    else:
        train_batches(*args)


def warm_up() -> None:
    """Load (or, the first time on a machine, compile) every kernel for float32 and
    float64 now, on tiny arrays, so that a server can pay numba's one-time start-up
    (~0.7 s even from the disk cache) before anyone's first epoch."""
    if not ENABLED:
        return
    for dtype in (np.float32, np.float64):
        scalar = np.dtype(dtype).type
        vector = np.zeros(4, dtype)
        all_finite(vector)
        all_finite(_read_only(vector))  # the app's shared datasets are read-only
        adam_step(vector, vector, vector, vector, vector.copy(), vector.copy(), vector.copy(),
                  *(scalar(0.5),) * 6)
        z, bias = np.zeros((2, 3), dtype), np.zeros(3, dtype)
        bias_relu(z, bias)
        relu_backward_bias(z, z.copy(), bias)
        softmax_cross_entropy(z, bias, np.zeros(2, np.intp), scalar(0.5), bias.copy())
        if steps_available():
            functions = [train_batches]
            if blas.numpy_blas().threads() >= 2:  # runs will take two threads here
                functions.append(train_batches_parallel)
            for function in functions:
                for read_only in (False, True):
                    _tiny_steps(dtype, function, read_only)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _tiny_steps(dtype, function, read_only: bool) -> None:
    """One Adam step of a 3-2-2 network on two rows with ``function``: compiles or loads
    it for ``dtype`` and a writable or ``read_only`` X (numba compiles each kind
    separately: the app's datasets are read-only, and a first run on one compiled for
    6 s before this loaded it). Per-batch calls have the same argument types."""
    sizes = np.array([3, 2, 2], np.int64)
    theta, state = np.zeros((2, 14), dtype), np.zeros((2, 14), dtype)
    X, rows = np.zeros((2, 3), dtype), np.zeros(2, np.intp)
    buffers = (np.zeros((2, 3), dtype), np.zeros(8, dtype), np.zeros(4, dtype), rows.copy(),
               np.zeros((2, 4), dtype), np.zeros(2), np.zeros(2, np.int64))
    if read_only:
        X = _read_only(X)
    function(blas.numpy_blas().gemm_for(dtype), X, rows, rows, 0, 1, 2, True, sizes, theta, 0,
             np.zeros(14, dtype), *buffers, True, 0.0, math.inf, math.nan, 10.0, 1.0, True,
             state, state.copy(), 0, 0, 1e-3, 0.9, 0.999, 1e-8, False, np.zeros(6))


__all__ = ["ENABLED", "PARALLEL", "adam_step", "all_finite", "bias_relu", "relu_backward_bias", "run_steps",
           "softmax_cross_entropy", "step_threads", "steps_available", "train_batches",
           "train_batches_parallel", "warm_up"]
