"""Gradient-descent optimizers with one signature: ``update(params, grads, out)``.

All parameters of a network live in one flat vector (weights and biases of
every layer are views into it), so each optimizer does a handful of
whole-vector, in-place NumPy operations per batch instead of a Python loop
over layers.

The update rules and defaults follow PyTorch's conventions, ``g`` the batch
gradient and ``lr`` the learning rate:

=========  ===================================================================
sgd        ``p -= lr * g``
momentum   ``v = mu * v + g;  p -= lr * v``                      (mu = 0.9)
           ``nesterov = True``: ``p -= lr * (g + mu * v)`` (Nesterov's momentum)
adagrad    ``s += g * g;  p -= lr * g / (sqrt(s) + eps)``          (eps = 1e-10)
rmsprop    ``s = rho * s + (1 - rho) * g * g;  p -= lr * g / (sqrt(s) + eps)``
           (rho = 0.9, eps = 1e-8)
adam       ``m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;``
           ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected
           ``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)``
           (b1 = 0.9, b2 = 0.999, eps = 1e-8); ``eps_hat = True`` adds eps to
           ``sqrt(v)`` instead (Kingma & Ba's "efficient" form, scikit-learn's)
=========  ===================================================================

Why ``out``: the network keeps two parameter vectors and each update writes
the new parameters into the other one, at the same cost as updating in place.
The optimizer keeps its state the same way. If the next batch's loss turns out
non-finite, ``rollback()`` plus the network switching back to its previous
parameter vector restores the last good state exactly, without copying
anything per batch. The trade: twice the memory for parameters and state
(small next to the data), and only one step of undo.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels


class Optimizer:
    """Base class: owns double-buffered state vectors and a scratch vector."""

    name = "base"
    #: names of per-parameter state vectors, e.g. ("velocity",)
    state_names: tuple[str, ...] = ()

    def __init__(self, n_params: int, dtype=np.float32, learning_rate: float = 1e-3) -> None:
        self.learning_rate = learning_rate
        self.dtype = np.dtype(dtype)
        self.steps = 0
        # _state[name] has shape (2, n_params): slot _current holds the live state.
        self._state = {
            name: np.zeros((2, n_params), dtype=self.dtype) for name in self.state_names
        }
        self._current = 0
        self._scratch = np.empty(n_params, dtype=self.dtype)
        self._can_rollback = False

    # -- state access ---------------------------------------------------------
    def state(self, name: str) -> np.ndarray:
        """The live state vector ``name`` (read it, don't keep it across updates)."""
        return self._state[name][self._current]

    def _old_new(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        buf = self._state[name]
        return buf[self._current], buf[1 - self._current]

    # -- the one signature ----------------------------------------------------
    def update(self, params: np.ndarray, grads: np.ndarray, out: np.ndarray) -> None:
        """Write ``params`` after one step along ``grads`` into ``out`` (may be ``params``)."""
        if out is params and self.state_names:
            raise ValueError("update needs a separate 'out' vector when the optimizer has state")
        self._step(params, grads, out)
        self.steps += 1
        if self.state_names:
            self._current = 1 - self._current
        self._can_rollback = True

    def advance(self, steps: int) -> None:
        """Record ``steps`` updates that compiled code took on this optimizer's state
        vectors (``kernels.train_batches`` with Adam), as ``steps`` calls of ``update``."""
        if steps > 0:
            self.steps += steps
            if self.state_names:
                self._current = (self._current + steps) % 2
            self._can_rollback = True

    def rollback(self) -> None:
        """Undo the state change of the last ``update`` (one level only)."""
        if not self._can_rollback:
            raise RuntimeError("nothing to roll back: rollback() undoes one update at most")
        self.steps -= 1
        if self.state_names:
            self._current = 1 - self._current
        self._can_rollback = False

    @property
    def nbytes(self) -> int:
        """Bytes of memory in the optimizer's arrays: its double-buffered state and scratch."""
        return self._scratch.nbytes + sum(buffer.nbytes for buffer in self._state.values())

    def _step(self, params: np.ndarray, grads: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError

    def _adaptive_step(self, params, grads, mean_square, eps, out) -> None:
        """``out = params - lr * g / (sqrt(mean_square) + eps)``: AdaGrad's and RMSProp's step."""
        tmp = self._scratch
        np.sqrt(mean_square, out=tmp)
        tmp += eps
        np.divide(grads, tmp, out=tmp)
        tmp *= self.learning_rate
        np.subtract(params, tmp, out=out)

    # -- persistence ----------------------------------------------------------
    def get_state(self) -> dict[str, np.ndarray]:
        return {name: self.state(name).copy() for name in self.state_names}

    def set_state(self, state: dict[str, np.ndarray], steps: int) -> None:
        for name in self.state_names:
            self._state[name][self._current][...] = state[name]
        self.steps = int(steps)
        self._can_rollback = False

    def hyperparameters(self) -> dict[str, float]:
        return {}


class SGD(Optimizer):
    name = "sgd"

    def _step(self, params, grads, out):
        np.multiply(grads, self.learning_rate, out=self._scratch)
        np.subtract(params, self._scratch, out=out)


class Momentum(Optimizer):
    name = "momentum"
    state_names = ("velocity",)

    def __init__(self, n_params, dtype=np.float32, learning_rate=1e-2, momentum=0.9,
                 nesterov=False):
        super().__init__(n_params, dtype, learning_rate)
        self.momentum = momentum
        self.nesterov = nesterov

    def _step(self, params, grads, out):
        v_old, v = self._old_new("velocity")
        np.multiply(v_old, self.momentum, out=v)
        v += grads
        if self.nesterov:  # look ahead along the new velocity: p -= lr * (g + mu * v)
            np.multiply(v, self.momentum, out=self._scratch)
            self._scratch += grads
            self._scratch *= self.learning_rate
        else:
            np.multiply(v, self.learning_rate, out=self._scratch)
        np.subtract(params, self._scratch, out=out)

    def hyperparameters(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class AdaGrad(Optimizer):
    name = "adagrad"
    state_names = ("sum_sq",)

    def __init__(self, n_params, dtype=np.float32, learning_rate=1e-2, eps=1e-10):
        super().__init__(n_params, dtype, learning_rate)
        self.eps = eps

    def _step(self, params, grads, out):
        s_old, s = self._old_new("sum_sq")
        np.multiply(grads, grads, out=self._scratch)
        np.add(s_old, self._scratch, out=s)
        self._adaptive_step(params, grads, s, self.eps, out)

    def hyperparameters(self):
        return {"eps": self.eps}


class RMSProp(Optimizer):
    name = "rmsprop"
    state_names = ("mean_sq",)

    def __init__(self, n_params, dtype=np.float32, learning_rate=1e-3, rho=0.9, eps=1e-8):
        super().__init__(n_params, dtype, learning_rate)
        self.rho = rho
        self.eps = eps

    def _step(self, params, grads, out):
        s_old, s = self._old_new("mean_sq")
        tmp = self._scratch
        np.multiply(grads, grads, out=tmp)
        tmp *= 1.0 - self.rho
        np.multiply(s_old, self.rho, out=s)
        s += tmp
        self._adaptive_step(params, grads, s, self.eps, out)

    def hyperparameters(self):
        return {"rho": self.rho, "eps": self.eps}


class Adam(Optimizer):
    name = "adam"
    state_names = ("m", "v")

    def __init__(self, n_params, dtype=np.float32, learning_rate=1e-3,
                 beta1=0.9, beta2=0.999, eps=1e-8, eps_hat=False):
        super().__init__(n_params, dtype, learning_rate)
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        #: False: p -= lr * m_hat / (sqrt(v_hat) + eps) (PyTorch); True: eps is added to
        #: sqrt(v) before the bias correction, i.e. to sqrt(v_hat) scaled by sqrt(1 - b2^t).
        self.eps_hat = eps_hat

    def _step(self, params, grads, out):
        b1, b2 = self.beta1, self.beta2
        m_old, m = self._old_new("m")
        v_old, v = self._old_new("v")
        tmp = self._scratch
        t = self.steps + 1
        # p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps), as PyTorch computes it,
        # with sqrt(bc2) moved into the step size and eps: one pass over the vector fewer.
        root_bc2 = math.sqrt(1.0 - b2**t)
        step_size = self.learning_rate * root_bc2 / (1.0 - b1**t)
        eps = self.eps if self.eps_hat else self.eps * root_bc2
        if kernels.ENABLED:  # the same operations as below, in one pass instead of twelve
            scalar = self.dtype.type  # as NumPy rounds a Python float next to an array
            kernels.adam_step(params, grads, m_old, v_old, m, v, out, scalar(b1),
                              scalar(1.0 - b1), scalar(b2), scalar(1.0 - b2), scalar(eps),
                              scalar(step_size))
            return
        # m = b1 m + (1 - b1) g
        np.multiply(m_old, b1, out=m)
        np.multiply(grads, 1.0 - b1, out=tmp)
        m += tmp
        # v = b2 v + (1 - b2) g^2
        np.multiply(v_old, b2, out=v)
        np.multiply(grads, grads, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        np.subtract(params, tmp, out=out)

    def fused_state(self):
        """What compiled code needs to take Adam's steps as ``_step`` does: the state
        buffers (2, n_params) "m" and "v", the live slot, steps so far, the learning rate,
        beta1, beta2, eps and eps_hat (then record the steps with ``advance``)."""
        return (self._state["m"], self._state["v"], self._current, self.steps,
                self.learning_rate, self.beta1, self.beta2, self.eps, self.eps_hat)

    def hyperparameters(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "eps_hat": self.eps_hat}


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, AdaGrad, RMSProp, Adam)
}


def make_optimizer(name: str, n_params: int, dtype, learning_rate: float) -> Optimizer:
    """Build the optimizer ``name`` (one of ``OPTIMIZERS``) over ``n_params`` parameters."""
    try:
        cls = OPTIMIZERS[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(OPTIMIZERS))
        raise ValueError(f"optimizer must be one of {valid}; got {name!r}") from None
    return cls(n_params, dtype=dtype, learning_rate=learning_rate)
