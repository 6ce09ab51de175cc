"""A fully connected neural network (multi-layer perceptron) in plain NumPy.

What it is for: learning and playing. A learner can read every step (forward
pass, backpropagation, optimizer update) and check it against the maths, and
the playground app can train it fast enough to watch it learn live.

Shapes are batch-first everywhere: ``X (n_samples, n_features) @ W (n_in, n_out)
+ b (n_out,)``. Hidden layers share one activation; the output layer is
softmax with categorical cross-entropy (the default) or sigmoid with binary
cross-entropy summed over the outputs. The loss is the mean over the batch,
plus ``l2 / 2 * sum(||W||^2)`` over the weights (not the biases) when ``l2 > 0``.

What it trades away, and why:

* Speed comes from doing no work twice: float32 kept throughout (a stray
  float64 one-hot would turn every backward product into double precision),
  the error at the logits is the fused ``p - y`` (no one-hot matrix), and no
  gradient is computed for the input. Every layer also has preallocated
  buffers for its activations and errors, reused across batches, so a batch
  allocates nothing and the allocator never hands memory back to the OS
  mid-epoch (``bench/ablation.py`` measures what each of these buys).
* All parameters live in one flat vector (``weights``/``biases`` are views
  into it) so that an optimizer step is a few whole-vector operations. There
  are two such vectors: each update writes the new parameters into the other
  one. If a batch's loss is not finite, training stops and switches back to
  the previous vector, the last weights whose loss was finite, at no copying
  cost per batch. The price is twice the parameter memory.
* No autograd, no convolutions, no GPU: dense layers only, on purpose.

Training is ``trainer.py``'s: a ``Trainer`` owns a run's settings (learning rate,
L1, L2, batch size, epochs) and uses the network only through the public methods
``trainer.Trainable`` lists (``checked_data``, ``use_optimizer``, ``batch_buffer``,
``train_batch``, ``undo_step``, ``settle``, ...); ``fit`` and ``trainer`` take its
``TrainSettings`` keywords. The network keeps what outlives a run: the parameters,
the optimizer and its state, and the learning rate the next run starts with.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import activations as act
from . import kernels
from .checks import choice, non_negative_float, positive_float
from .optimizers import OPTIMIZERS, Optimizer, make_optimizer
from .trainer import History, Trainer, TrainSettings, takes_settings

_INFERENCE_CHUNK = 4096  # rows per forward pass at predict time: bounds memory
INIT_CHOICES = ("auto", "he", "glorot", "normal", "sklearn")


class _Workspace:
    """Per-layer buffers for one batch size, reused across batches and epochs.

    ``outputs[l]`` holds layer ``l``'s activations (the softmax probabilities
    for the last layer, which then become the error at the logits);
    ``errors[l]`` holds dL/da for hidden layer ``l``; ``scratch[l]`` is room
    for the activation derivative.
    """

    def __init__(self, layer_sizes: Sequence[int], batch_size: int, dtype: np.dtype) -> None:
        self.batch_size = batch_size
        self.inputs = np.empty((batch_size, layer_sizes[0]), dtype=dtype)
        self.outputs = [np.empty((batch_size, n), dtype=dtype) for n in layer_sizes[1:]]
        self.errors = [np.empty((batch_size, n), dtype=dtype) for n in layer_sizes[1:-1]]
        self.scratch = [np.empty((batch_size, n), dtype=dtype) for n in layer_sizes[1:]]

    def arrays(self) -> list[np.ndarray]:
        return [self.inputs, *self.outputs, *self.errors, *self.scratch]


class _StepWorkspace:
    """``kernels.train_batches``'s buffers for batches of up to ``batch_size`` rows: the
    gathered inputs and labels, every layer's activations and hidden errors in two flat
    vectors, and each half batch's bias gradients, loss and correct count."""

    def __init__(self, layer_sizes: Sequence[int], batch_size: int, dtype: np.dtype) -> None:
        self.batch_size = batch_size
        self.sizes = np.asarray(layer_sizes, dtype=np.int64)
        self.inputs = np.empty((batch_size, layer_sizes[0]), dtype=dtype)
        self.activations = np.empty(batch_size * sum(layer_sizes[1:]), dtype=dtype)
        self.errors = np.empty(max(1, batch_size * sum(layer_sizes[1:-1])), dtype=dtype)
        self.labels = np.empty(batch_size, dtype=np.intp)
        self.bias_parts = np.empty((2, sum(layer_sizes[1:])), dtype=dtype)
        self.part_loss = np.zeros(2)
        self.part_correct = np.zeros(2, dtype=np.int64)
        self.results = np.zeros(6)
        self.no_order = np.empty(0, dtype=np.intp)

    def arrays(self) -> list[np.ndarray]:
        return [self.sizes, self.inputs, self.activations, self.errors, self.labels,
                self.bias_parts, self.part_loss, self.part_correct, self.results, self.no_order]


class MLP:
    """A multi-layer perceptron classifier.

    >>> net = MLP([64, 32, 10], activation="relu", seed=0)
    >>> history = net.fit(X, y, epochs=20, batch_size=32, optimizer="adam", learning_rate=1e-3)
    >>> net.predict(X[:5])

    Parameters
    ----------
    layer_sizes : sizes of all layers, input first and output last, e.g. ``[64, 32, 10]``.
    activation : hidden-layer activation, one of ``activations.ACTIVATIONS``.
    output : ``"softmax"`` (categorical cross-entropy), ``"sigmoid"`` (binary
        cross-entropy summed over outputs), ``"identity"`` (the quadratic cost) or
        ``"exp"`` (positive rates, with half the Poisson deviance: Poisson regression).
    seed : seeds the initial weights and the mini-batch shuffling.
    dtype : ``np.float32`` (default) or ``np.float64``; inputs are converted
        once to this dtype and it is kept throughout training.
    loss : ``None`` (the output's own: cross-entropy for softmax, binary
        cross-entropy for sigmoid, ``"mse"`` for ``"identity"``) or ``"mse"``,
        the quadratic cost ``1/2 sum_k (a_k - t_k)^2``, with any output.
    bias : ``False`` holds every bias at 0 (they get no gradient), as in the
        seed tutorial's network.
    init : ``"auto"`` (He for ReLU-like hidden layers, Glorot otherwise),
        ``"he"``, ``"glorot"``, ``"normal"``: N(0, 1), as older tutorials do, or
        ``"sklearn"``: scikit-learn's MLP scheme, weights *and biases* uniform in
        ``+-sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` with sigmoid hidden layers).
    reduction : ``"mean"`` (default) or ``"sum"``: the loss and its gradient
        over a batch are its mean or its sum (the tutorial sums; the step size
        then grows with the batch).

    Targets ``y`` are integer labels, or for the sigmoid output and the
    quadratic cost also a float matrix ``(n_samples, n_outputs)`` (multi-label
    0/1 targets, regression values).
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        output: str = "softmax",
        seed: int | None = None,
        dtype: Any = np.float32,
        *,
        loss: str | None = None,
        bias: bool = True,
        init: str = "auto",
        reduction: str = "mean",
    ) -> None:
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise ValueError(
                f"layer_sizes must be a list of layer sizes such as [64, 32, 10]; got {layer_sizes!r}"
            )
        if len(layer_sizes) < 2:
            raise ValueError(
                "layer_sizes needs at least two layers (input and output), e.g. [64, 10]; "
                f"got {list(layer_sizes)!r}"
            )
        for i, size in enumerate(layer_sizes):
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(
                    f"layer_sizes[{i}] must be a positive integer; got {size!r} in {list(layer_sizes)!r}"
                )
        self.layer_sizes: tuple[int, ...] = tuple(int(s) for s in layer_sizes)
        self.activation = choice("activation", activation, act.ACTIVATIONS)
        self.output = choice("output", output, act.OUTPUTS)
        allowed = act.OUTPUT_LOSSES[self.output]
        self.loss = allowed[0] if loss is None else choice(
            f"loss (with the {self.output} output)", loss, dict.fromkeys(allowed)
        )
        if not isinstance(bias, (bool, np.bool_)):
            raise ValueError(f"bias must be True or False; got {bias!r}")
        self.bias = bool(bias)
        self.init = choice("init", init, dict.fromkeys(INIT_CHOICES))
        self.reduction = choice("reduction", reduction, dict.fromkeys(("mean", "sum")))
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        ):
            raise ValueError(f"seed must be a non-negative integer or None; got {seed!r}")
        self.seed = None if seed is None else int(seed)
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"dtype must be float32 or float64; got {dtype!r}") from None
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}")

        init_seq, shuffle_seq = np.random.SeedSequence(self.seed).spawn(2)
        self._shuffle_rng = np.random.default_rng(shuffle_seq)
        self._allocate_parameters()
        self._initialise(np.random.default_rng(init_seq))

        self._learning_rate = 1e-3  # the rate a run starts with, between runs
        self._trainer: weakref.ref[Trainer] | None = None  # the latest run, see learning_rate
        self.optimizer_: Optimizer | None = None
        self.epochs_trained_: int = 0
        self.history_ = History()
        self._workspace: _Workspace | None = None
        self._step_workspace: _StepWorkspace | None = None

    # ------------------------------------------------------------ parameters
    def _allocate_parameters(self) -> None:
        sizes = self.layer_sizes
        shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
        # Layout: all weights first (so L2 touches one contiguous slice), then all biases.
        self._n_weights = sum(n_in * n_out for n_in, n_out in shapes)
        self.n_params = self._n_weights + sum(sizes[1:])
        self._theta = np.zeros((2, self.n_params), dtype=self.dtype)
        self._grad = np.zeros(self.n_params, dtype=self.dtype)
        self._current = 0
        self._can_undo = False
        self._views = [self._layer_views(self._theta[k], shapes) for k in (0, 1)]
        self._grad_weights, self._grad_biases = self._layer_views(self._grad, shapes)
        self._l2_scratch = None
        self._objective_workspace = None

    def _shapes(self) -> list[tuple[int, int]]:
        return list(zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True))

    def __getstate__(self) -> dict[str, Any]:
        # Views would be pickled as independent copies: drop them and rebuild on load.
        state = self.__dict__.copy()
        for name in ("_views", "_grad_weights", "_grad_biases", "_workspace", "_l2_scratch",
                     "_objective_workspace", "_trainer", "_step_workspace"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "learning_rate" in state:  # pickled before the trainer owned the learning rate
            state["_learning_rate"] = state.pop("learning_rate")
        self.__dict__.update(state)
        self._trainer = None
        shapes = self._shapes()
        self._views = [self._layer_views(self._theta[k], shapes) for k in (0, 1)]
        self._grad_weights, self._grad_biases = self._layer_views(self._grad, shapes)
        self._workspace = None
        self._step_workspace = None
        self._l2_scratch = None
        self._objective_workspace = None

    def _layer_views(self, flat: np.ndarray, shapes) -> tuple[list[np.ndarray], list[np.ndarray]]:
        weights, biases, offset = [], [], 0
        for n_in, n_out in shapes:
            weights.append(flat[offset : offset + n_in * n_out].reshape(n_in, n_out))
            offset += n_in * n_out
        for _, n_out in shapes:
            biases.append(flat[offset : offset + n_out])
            offset += n_out
        return weights, biases

    def _initialise(self, rng: np.random.Generator) -> None:
        """Weights by ``init`` ("auto": He-normal before ReLU-like activations,
        Glorot-uniform otherwise, and Glorot for the output layer); zero biases, except
        with "sklearn" (biases drawn like the weights, as scikit-learn's MLP does)."""
        if self.init == "sklearn":
            factor = 2.0 if self.activation == "sigmoid" else 6.0
            for weight, bias in zip(self.weights, self.biases, strict=True):
                limit = math.sqrt(factor / sum(weight.shape))
                weight[...] = rng.uniform(-limit, limit, size=weight.shape)
                bias[...] = rng.uniform(-limit, limit, size=bias.shape) if self.bias else 0.0
            return
        n_layers = len(self.layer_sizes) - 1
        for layer, weight in enumerate(self.weights):
            fan_in, fan_out = weight.shape
            is_hidden = layer < n_layers - 1
            scheme = self.init
            if scheme == "auto":
                scheme = act.INIT_SCHEMES[self.activation] if is_hidden else "glorot"
            # Drawn in float64, then rounded: float32 and float64 nets start alike.
            if scheme == "normal":
                values = rng.normal(0.0, 1.0, size=weight.shape)
            elif scheme == "he":
                values = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=weight.shape)
            else:
                limit = math.sqrt(6.0 / (fan_in + fan_out))
                values = rng.uniform(-limit, limit, size=weight.shape)
            weight[...] = values
        for bias in self.biases:
            bias[...] = 0.0

    @property
    def weights(self) -> list[np.ndarray]:
        """Live weight matrices, ``(n_in, n_out)`` per layer: writing to them changes the net."""
        return self._views[self._current][0]

    @property
    def biases(self) -> list[np.ndarray]:
        """Live bias vectors, ``(n_out,)`` per layer."""
        return self._views[self._current][1]

    @property
    def n_features(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_classes(self) -> int:
        return self.layer_sizes[-1]

    @property
    def nbytes(self) -> int:
        """Bytes of memory the network holds in arrays: its two parameter vectors, the
        gradient, its optimizer's state and scratch vectors, and its per-batch buffers
        (not the few bytes of its shuffling generator's state)."""
        arrays = [self._theta, self._grad, self._l2_scratch]
        for workspace in (self._workspace, self._objective_workspace, self._step_workspace):
            if workspace is not None:
                arrays += workspace.arrays()
        total = sum(a.nbytes for a in arrays if a is not None)
        return total + (0 if self.optimizer_ is None else self.optimizer_.nbytes)

    # --------------------------------------------- what a Trainer uses (Trainable)
    @property
    def learning_rate(self) -> float:
        """The learning rate: while a trainer made for this network is not done, that
        trainer's (setting it here sets it there: it applies from the next batch);
        between runs, the one the next run starts with (the last run's, 1e-3 at first)."""
        trainer = None if self._trainer is None else self._trainer()
        if trainer is not None and not trainer.done:
            return trainer.learning_rate
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        trainer = None if self._trainer is None else self._trainer()
        if trainer is not None and not trainer.done:
            trainer.learning_rate = value
            return
        self._learning_rate = positive_float("learning_rate", value)
        if self.optimizer_ is not None:
            self.optimizer_.learning_rate = self._learning_rate

    def attach_trainer(self, trainer: Trainer) -> None:
        """Make ``trainer`` the one ``learning_rate`` reads and sets until it is done
        (a Trainer attaches itself; held weakly, so a dropped run lets go)."""
        self._trainer = weakref.ref(trainer)

    def checked_data(
        self, X: Any, y: Any, sample_weight: Any = None, *, names: tuple[str, str] = ("X", "y")
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(X, y, sample_weight)`` checked (ValueError naming the problem) and converted
        to the network's dtype (labels to integers), as training reads them."""
        X = self._check_X(X, names[0])
        y = self._check_y(y, X.shape[0], names[1])
        return X, y, self._check_sample_weight(sample_weight, X.shape[0])

    def permutation(self, n: int) -> np.ndarray:
        """A shuffled ``range(n)``, drawn from the generator seeded by ``seed``: the order
        of one epoch's rows (so a seeded network is trained the same way every time)."""
        return self._shuffle_rng.permutation(n)

    def batch_buffer(self, batch_size: int) -> np.ndarray:
        """The input buffer for batches of ``batch_size`` rows (gather a batch into its
        first rows, then ``train_batch``). The buffers of one batch size are made once
        and reused: training allocates nothing per batch."""
        return self._get_workspace(batch_size).inputs

    def parameters_finite(self) -> bool:
        """Whether every weight and bias is a finite number."""
        return bool(np.isfinite(self._theta[self._current]).all())

    def gradient_norms(self) -> list[float]:
        """The Euclidean norm of each weight matrix's gradient from the last batch trained."""
        return [float(np.sqrt(np.dot(g.ravel(), g.ravel()))) for g in self._grad_weights]

    def settle(self, keep_undo: bool = False) -> None:
        """After training steps, make the ``weights``/``biases`` arrays handed out earlier
        the live ones again (the parameters are double-buffered, see the module).

        ``keep_undo`` swaps the two vectors instead of copying one over the other, so
        the previous parameters stay in vector 1 and one step can still be undone
        (a stepped trainer pauses between batches this way).
        """
        if self._current == 1:
            if keep_undo and self._can_undo:
                previous = self._theta[0].copy()
                self._theta[0] = self._theta[1]
                self._theta[1] = previous
            else:
                self._theta[0] = self._theta[1]
            self._current = 0
        if not keep_undo:
            self._can_undo = False

    def undo_step(self) -> bool:
        """Switch back to the parameters (and optimizer state) before the last step;
        False if there is none to undo (one step at most, and none after ``settle()``)."""
        if not self._can_undo:
            return False
        self._current = 1 - self._current
        self.optimizer_.rollback()
        self._can_undo = False
        return True

    # ----------------------------------------------------------- validation
    def _check_X(self, X: Any, name: str = "X") -> np.ndarray:
        try:
            array = np.asarray(X)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{name} must be a 2-D array of numbers: {exc}") from None
        if array.dtype == object or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool
        ):
            raise ValueError(f"{name} must contain numbers; got dtype {array.dtype}")
        if np.issubdtype(array.dtype, np.complexfloating):
            raise ValueError(f"{name} must contain real numbers; got dtype {array.dtype}")
        if array.ndim != 2:
            hint = " (use X.reshape(1, -1) for a single sample)" if array.ndim == 1 else ""
            raise ValueError(
                f"{name} must be 2-D (n_samples, n_features); got shape {array.shape}{hint}"
            )
        if array.shape[0] == 0:
            raise ValueError(f"{name} is empty: it has 0 samples")
        if array.shape[1] != self.n_features:
            raise ValueError(
                f"{name} has {array.shape[1]} features, but this network expects "
                f"{self.n_features} (layer_sizes[0])"
            )
        array = np.ascontiguousarray(array, dtype=self.dtype)
        if not self._finite(array):
            raise ValueError(f"{name} contains NaN or infinity")
        return array

    @staticmethod
    def _finite(array: np.ndarray) -> bool:
        """Whether the contiguous ``array`` holds only finite numbers, in one pass and no
        temporary the size of X: compiled where the kernels are on. The NumPy way is a
        BLAS product (any NaN or inf makes its row sum non-finite; row sums of huge
        finite values can overflow, and those get the exact check), and a threaded BLAS
        call leaves BLAS's helper thread spin-waiting for ~0.1 s, beside a two-thread
        run that starts right after (an epoch took 0.26-0.29 s instead of 0.19), and the
        compiled pass takes 6 ms on one thread where the product took 7 on two."""
        if kernels.ENABLED and array.dtype in (np.float32, np.float64):
            return bool(kernels.all_finite(array.reshape(-1)))
        with np.errstate(over="ignore", invalid="ignore"):
            row_sums = array @ np.ones(array.shape[1], dtype=array.dtype)
        return bool(np.isfinite(row_sums).all()
                    or (np.isfinite(array.max()) and np.isfinite(array.min())))

    @property
    def accepts_target_matrix(self) -> bool:
        """Whether ``y`` may be a float matrix (sigmoid or exp output, or the quadratic cost)."""
        return self.output in ("sigmoid", "exp") or self.loss == "mse"

    def _check_y(self, y: Any, n_samples: int, name: str = "y") -> np.ndarray:
        labels = np.asarray(y)
        if labels.ndim == 2 and self.accepts_target_matrix:
            return self._check_target_matrix(labels, n_samples, name)
        if labels.ndim != 1:
            matrix = (" or a 2-D target matrix (n_samples, n_outputs)"
                      if self.accepts_target_matrix else "")
            raise ValueError(
                f"{name} must be a 1-D array of integer labels{matrix}; got shape {labels.shape}"
            )
        if labels.shape[0] != n_samples:
            raise ValueError(
                f"X and {name} have different lengths: {n_samples} samples but {labels.shape[0]} labels"
            )
        if labels.dtype == object or not (
            np.issubdtype(labels.dtype, np.integer)
            or (np.issubdtype(labels.dtype, np.floating) and np.all(np.isfinite(labels))
                and np.all(labels == np.round(labels)))
        ):
            raise ValueError(f"{name} must hold integer class labels 0..{self.n_classes - 1}")
        labels = labels.astype(np.intp, copy=False)
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= self.n_classes:
            raise ValueError(
                f"{name} has labels outside 0..{self.n_classes - 1} (found {low}..{high}); "
                f"the output layer has {self.n_classes} units"
            )
        return labels

    def _check_target_matrix(self, targets: np.ndarray, n_samples: int, name: str) -> np.ndarray:
        if targets.shape != (n_samples, self.n_classes):
            raise ValueError(
                f"{name} as a target matrix must have shape ({n_samples}, {self.n_classes}) "
                f"(n_samples, outputs); got {targets.shape}"
            )
        if targets.dtype == object or not (
            np.issubdtype(targets.dtype, np.number) or targets.dtype == bool
        ) or np.issubdtype(targets.dtype, np.complexfloating):
            raise ValueError(f"{name} must contain real numbers; got dtype {targets.dtype}")
        targets = np.ascontiguousarray(targets, dtype=self.dtype)
        if not np.isfinite(targets).all():
            raise ValueError(f"{name} contains NaN or infinity")
        if self.loss == "binary_cross_entropy" and (targets.min() < 0 or targets.max() > 1):
            raise ValueError(f"{name} for binary cross-entropy must lie in [0, 1]")
        if self.loss == "poisson" and targets.min() < 0:
            raise ValueError(f"{name} for the Poisson loss must be counts or rates >= 0")
        return targets

    def _check_sample_weight(
        self, sample_weight: Any, n_samples: int, name: str = "sample_weight"
    ) -> np.ndarray | None:
        """``None``, or the weights as a 1-D array of the network's dtype: one finite,
        non-negative number per sample, not all zero."""
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight)
        if weights.dtype == object or not (
            np.issubdtype(weights.dtype, np.number) or weights.dtype == bool
        ) or np.issubdtype(weights.dtype, np.complexfloating):
            raise ValueError(f"{name} must contain real numbers; got dtype {weights.dtype}")
        if weights.shape != (n_samples,):
            raise ValueError(
                f"{name} must be a 1-D array with one weight per sample, shape ({n_samples},); "
                f"got shape {weights.shape}"
            )
        weights = np.ascontiguousarray(weights, dtype=self.dtype)
        if not np.isfinite(weights).all():
            raise ValueError(f"{name} contains NaN or infinity")
        if weights.min() < 0:
            raise ValueError(f"{name} must not be negative; got a minimum of {weights.min()}")
        if not weights.any():
            raise ValueError(f"{name} is all zeros: at least one sample must count")
        return weights

    # -------------------------------------------------------------- forward
    def _logits(self, x: np.ndarray, outputs: Sequence[np.ndarray]) -> np.ndarray:
        """Hidden layers of ``x`` into the per-layer output buffers; returns the last
        buffer holding the output layer's pre-activations (logits)."""
        hidden = act.ACTIVATIONS[self.activation]
        n_layers = len(outputs)
        a = x
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = outputs[layer]
            np.matmul(a, weight, out=z)
            z += bias
            if layer < n_layers - 1:
                hidden(z)
            a = z
        return a

    def _forward(self, x: np.ndarray, outputs: Sequence[np.ndarray]) -> np.ndarray:
        """Forward pass of ``x`` into the given per-layer output buffers; returns the last."""
        return act.OUTPUTS[self.output](self._logits(x, outputs))

    def _forward_loss(
        self, x: np.ndarray, y: np.ndarray, outputs: Sequence[np.ndarray], scratch: np.ndarray,
        l2: float, l1: float = 0.0, sample_weight: np.ndarray | None = None,
    ) -> float:
        """Forward pass as ``_forward`` (the last buffer ends up holding the outputs) and
        the batch's loss (mean or sum, by ``reduction``), computed from the logits, plus
        the L1/L2 penalty. With ``sample_weight`` the mean is ``sum_i w_i L_i / sum_i w_i``
        and the sum ``sum_i w_i L_i``."""
        z = self._logits(x, outputs)
        if sample_weight is not None:
            total = act.LOSSES[self.output, self.loss][0](z, y, scratch, weights=sample_weight)
            if self.reduction == "mean":
                total /= _weight_total(sample_weight)
            return total + self._penalty(l2, l1)
        total = act.LOSSES[self.output, self.loss][0](z, y, scratch)
        if self.reduction == "mean":
            total /= x.shape[0]
        return total + self._penalty(l2, l1)

    def outputs(self, X: Any) -> np.ndarray:
        """The output layer's activations, ``(n_samples, n_outputs)``: probabilities for
        softmax, per-output sigmoids (not renormalised), values for ``"identity"``."""
        return self._raw_scores(self._check_X(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n_samples, n_classes)``.

        For the sigmoid output these are the per-class sigmoids, renormalised to sum to 1.
        The identity output gives values, not probabilities: use ``outputs``.
        """
        if self.output in ("identity", "exp"):
            raise ValueError(
                f"an {self.output} output gives values, not probabilities: use outputs(X)"
            )
        proba = self._raw_scores(self._check_X(X))
        if self.output == "sigmoid":
            proba /= np.maximum(proba.sum(axis=1, keepdims=True), np.finfo(self.dtype).tiny)
        return proba

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels, ``(n_samples,)``."""
        return self._raw_scores(self._check_X(X)).argmax(axis=1)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy: the fraction of samples whose predicted label is ``y``."""
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        return float(np.mean(self._raw_scores(X).argmax(axis=1) == y))

    def _raw_scores(self, X: np.ndarray) -> np.ndarray:
        """Output-layer activations for validated ``X``, in chunks that bound memory."""
        out = np.empty((X.shape[0], self.n_classes), dtype=self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, X.shape[0], _INFERENCE_CHUNK):
                chunk = X[start : start + _INFERENCE_CHUNK]
                outputs = [np.empty((chunk.shape[0], n), dtype=self.dtype)
                           for n in self.layer_sizes[1:]]
                out[start : start + chunk.shape[0]] = self._forward(chunk, outputs)
        if not np.isfinite(out).all():
            raise ValueError(
                "X's values are too large for this network: its activations overflowed "
                f"{self.dtype.name}. Scale the features first, e.g. to [0, 1]"
            )
        return out

    def forward_trace(self, X: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every layer's pre-activations ``z`` and activations ``a`` for ``X``.

        Returns ``(zs, activations)`` with ``activations[0] = X`` and
        ``activations[l + 1] = f(zs[l])``; the last activation is the output
        (probabilities). Meant for inspection (step-through, explanations),
        not speed: it allocates fresh arrays.
        """
        X = self._check_X(X)
        zs, activations = [], [X]
        n_layers = len(self.weights)
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = activations[-1] @ weight + bias
            zs.append(z)
            f = act.ACTIVATIONS[self.activation] if layer < n_layers - 1 else act.OUTPUTS[self.output]
            activations.append(f(z.copy()))
        return zs, activations

    def score_gradient(self, X: Any, classes: Any) -> np.ndarray:
        """Gradient of each row's class score (its logit ``z[c]``, before the output
        activation) with respect to that row's input, ``(n_samples, n_features)``.

        ``classes`` is one class for every row or one per row. The same backward
        pass as training, seeded with ``dz_c/dz = onehot(c)`` instead of the loss's
        error, and carried one layer further, to the input. "Gradient x input"
        (``X * score_gradient(X, c)``) says which pixels pushed the score up or down.
        For inspection: it allocates fresh arrays.
        """
        X = self._check_X(X)
        rows = np.arange(X.shape[0])
        picked = np.broadcast_to(np.asarray(classes), rows.shape)
        picked = self._check_y(np.array(picked), X.shape[0], "classes")
        _, activations = self.forward_trace(X)
        derivative = act.DERIVATIVES[self.activation]
        delta = np.zeros((X.shape[0], self.n_classes), dtype=self.dtype)
        delta[rows, picked] = 1.0
        for layer in range(len(self.weights) - 1, -1, -1):
            error = delta @ self.weights[layer].T
            if layer == 0:
                return error
            derivative(activations[layer], error, np.empty_like(error))
            delta = error
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------- backward
    def _penalty(self, l2: float, l1: float = 0.0) -> float:
        """``l2 / 2 * sum W^2 + l1 * sum |W|`` over the weights, not the biases (each one
        pass: the weights are contiguous)."""
        if l2 <= 0 and l1 <= 0:
            return 0.0
        w = self._theta[self._current, : self._n_weights]
        total = 0.5 * l2 * float(np.dot(w, w)) if l2 > 0 else 0.0
        if l1 > 0:
            total += l1 * float(np.abs(w).sum(dtype=np.float64))
        return total

    def _backward(
        self, x: np.ndarray, y: np.ndarray, ws: _Workspace, m: int, l2: float, l1: float = 0.0,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        """Gradients of the batch loss into ``self._grad``; destroys the output buffer."""
        derivative = act.DERIVATIVES[self.activation]
        outputs = [o[:m] for o in ws.outputs]
        if sample_weight is None:
            scale = 1.0 / m if self.reduction == "mean" else 1.0
        else:
            scale = 1.0 / _weight_total(sample_weight) if self.reduction == "mean" else 1.0
        # dL/dz at the output, in place: (p - onehot(y)) / m for the fused losses.
        delta = act.LOSSES[self.output, self.loss][1](outputs[-1], y, scale, ws.scratch[-1][:m])
        if sample_weight is not None:
            delta *= sample_weight[:, None]  # row i of dL/dz scales with w_i
        weights = self.weights
        for layer in range(len(weights) - 1, -1, -1):
            a_prev = x if layer == 0 else outputs[layer - 1]
            np.matmul(a_prev.T, delta, out=self._grad_weights[layer])
            np.sum(delta, axis=0, out=self._grad_biases[layer])
            if layer == 0:
                break  # no gradient for the input
            error = ws.errors[layer - 1][:m]
            np.matmul(delta, weights[layer].T, out=error)
            derivative(a_prev, error, ws.scratch[layer - 1][:m])
            delta = error
        if not self.bias:
            self._grad[self._n_weights :] = 0.0  # biases held at zero
        if l2 > 0 or l1 > 0:
            self._penalty_gradient(l2, l1)

    def _penalty_gradient(self, l2: float, l1: float) -> None:
        """Add the L2/L1 penalty's gradient, ``l2 * w + l1 * sign(w)``, to the weights'."""
        w = self._theta[self._current, : self._n_weights]
        if self._l2_scratch is None:
            self._l2_scratch = np.empty(self._n_weights, dtype=self.dtype)
        if l2 > 0:
            np.multiply(w, l2, out=self._l2_scratch)
            self._grad[: self._n_weights] += self._l2_scratch
        if l1 > 0:  # d|w|/dw = sign(w), taken as 0 at 0
            np.sign(w, out=self._l2_scratch)
            self._l2_scratch *= l1
            self._grad[: self._n_weights] += self._l2_scratch

    def _get_workspace(self, batch_size: int) -> _Workspace:
        if self._workspace is None or self._workspace.batch_size != batch_size:
            self._workspace = _Workspace(self.layer_sizes, batch_size, self.dtype)
        return self._workspace

    def loss_and_gradients(
        self, X: Any, y: Any, l2: float = 0.0, l1: float = 0.0, sample_weight: Any = None
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Loss over ``(X, y)`` (mean or sum, by ``reduction``, plus the L1/L2 penalty)
        and its gradients with respect to every weight and bias.

        ``y`` holds integer labels (or a target matrix, see the class). With
        ``sample_weight`` (one non-negative number per row) the mean loss is
        ``sum_i w_i L_i / sum_i w_i``. Returns ``(loss, grad_weights, grad_biases)``,
        fresh arrays shaped like ``weights`` and ``biases``.
        """
        X, y, weights = self.checked_data(X, y, sample_weight)
        l2, l1 = non_negative_float("l2", l2), non_negative_float("l1", l1)
        m = X.shape[0]
        ws = _Workspace(self.layer_sizes, m, self.dtype)
        loss = self._forward_loss(X, y, ws.outputs, ws.scratch[-1], l2, l1, weights)
        self._backward(X, y, ws, m, l2, l1, weights)
        return (
            loss,
            [g.copy() for g in self._grad_weights],
            [g.copy() for g in self._grad_biases],
        )

    # ------------------------------------------------ the flat parameter vector
    def get_flat_params(self) -> np.ndarray:
        """A copy of every parameter as one vector: all weight matrices (row-major,
        layer by layer), then all bias vectors; ``weights``/``biases`` are views into it."""
        return self._theta[self._current].copy()

    def set_flat_params(self, theta: Any) -> None:
        """Overwrite every parameter from one vector laid out as ``get_flat_params``."""
        vector = np.asarray(theta)
        if vector.shape != (self.n_params,):
            raise ValueError(
                f"theta must be a vector of the {self.n_params} parameters; got shape {vector.shape}"
            )
        if not np.issubdtype(vector.dtype, np.number) or not np.isfinite(vector).all():
            raise ValueError("theta must contain finite numbers")
        self._theta[self._current] = vector
        if not self.bias:
            self._theta[self._current, self._n_weights :] = 0.0
        self._can_undo = False

    def flat_loss_and_gradient(
        self, X: Any, y: Any, l2: float = 0.0, l1: float = 0.0, sample_weight: Any = None
    ) -> tuple[float, np.ndarray]:
        """``loss_and_gradients`` with the gradient as one fresh vector laid out as
        ``get_flat_params``: the objective of a full-batch optimizer over the flat vector,
        such as ``scipy.optimize.minimize(..., jac=True)``. Its buffers are kept between calls."""
        X, y, weights = self.checked_data(X, y, sample_weight)
        l2, l1 = non_negative_float("l2", l2), non_negative_float("l1", l1)
        m = X.shape[0]
        ws = self._objective_workspace
        if ws is None or ws.batch_size != m:
            ws = self._objective_workspace = _Workspace(self.layer_sizes, m, self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            loss = self._forward_loss(X, y, ws.outputs, ws.scratch[-1], l2, l1, weights)
            self._backward(X, y, ws, m, l2, l1, weights)
        return loss, self._grad.copy()

    # ------------------------------------------------------------- training
    def use_optimizer(self, name: str | None = None, *, fresh: bool = False) -> Optimizer:
        """The network's optimizer called ``name`` (None: the current one, Adam if there is
        none): the current one if it has that name (its state carries on), else a fresh
        one, at ``learning_rate``; ``fresh=True`` always starts a fresh one."""
        if name is None:
            name = self.optimizer_.name if self.optimizer_ is not None else "adam"
        choice("optimizer", name, OPTIMIZERS)
        if fresh or self.optimizer_ is None or self.optimizer_.name != name:
            self.optimizer_ = make_optimizer(name, self.n_params, self.dtype, self.learning_rate)
            self._can_undo = False
        return self.optimizer_

    def train_batch(
        self, x: np.ndarray, y: np.ndarray, *, l2: float = 0.0, l1: float = 0.0,
        max_loss: float = math.inf, sample_weight: np.ndarray | None = None,
    ) -> tuple[float, int]:
        """One step of the optimizer (``use_optimizer``) on a batch: returns (loss, n_correct),
        or (nan, 0) and no step if the loss is not finite, or (loss, 0) and no step if it
        is above ``max_loss``. With a target matrix, n_correct is 0 (no labels to match).

        The trainer's hot path: ``x``, ``y`` and ``sample_weight`` must be as
        ``checked_data`` returns them (they are not checked again), ``x`` best gathered
        into ``batch_buffer``. Call ``settle`` before reading ``weights`` again.
        """
        if sample_weight is None and y.ndim == 1 and self._fusable():
            return self._train_batch_fused(x, y, l2, l1, max_loss)
        m = x.shape[0]
        ws = self._workspace
        if ws is None or ws.batch_size < m:
            ws = self._get_workspace(m)
        outputs = [o[:m] for o in ws.outputs]
        loss = self._forward_loss(x, y, outputs, ws.scratch[-1][:m], l2, l1, sample_weight)
        if not math.isfinite(loss):
            return math.nan, 0
        if loss > max_loss:
            return loss, 0
        correct = int(np.count_nonzero(outputs[-1].argmax(axis=1) == y)) if y.ndim == 1 else 0
        self._backward(x, y, ws, m, l2, l1, sample_weight)
        self.optimizer_.update(self._theta[self._current], self._grad,
                               self._theta[1 - self._current])
        self._current = 1 - self._current
        self._can_undo = True
        return loss, correct

    def _fusable(self) -> bool:
        """Whether the compiled step (``kernels.train_batches``) can train this network: the
        kernels and NumPy's BLAS functions are there (``nn_core.blas``) and it is the common
        case they cover (ReLU, softmax + cross-entropy, biases on); any other network takes
        the general NumPy path."""
        return (kernels.ENABLED and self.activation == "relu" and self.output == "softmax"
                and self.loss == "cross_entropy" and self.bias and kernels.steps_available())

    def can_train_batches(self, l2: float, l1: float, sample_weight: Any, y: np.ndarray) -> bool:
        """Whether ``train_batches`` can take a run's steps: a ``_fusable`` network, Adam,
        integer labels, and no penalty or sample weights (the trainer then steps it in
        chunks of batches, not one ``train_batch`` at a time)."""
        return (l2 == 0 and l1 == 0 and sample_weight is None and y.ndim == 1
                and self.optimizer_ is not None and self.optimizer_.name == "adam"
                and self._fusable())

    def batch_threads(self, l2: float, l1: float, sample_weight: Any,
                      y: np.ndarray) -> contextlib.AbstractContextManager:
        """A ``with`` block for a run's ``train_batches`` calls: on two threads when NumPy's
        BLAS may use two and no other run has them (``kernels.step_threads``); for a run
        that trains batch by batch, nothing."""
        if self.can_train_batches(l2, l1, sample_weight, y):
            return kernels.step_threads()
        return contextlib.nullcontext()

    def train_batches(
        self, X: np.ndarray, y: np.ndarray, order: np.ndarray, first: int, count: int,
        batch_size: int, *, reference: float | None, factor: float, loss_sum: float,
    ) -> tuple[int, int, float, float, int, float | None]:
        """Adam's steps on up to ``count`` batches, rows ``order[first * batch_size:]`` of
        ``X``/``y`` in batches of ``batch_size``, in compiled code (``kernels.train_batches``),
        on two threads inside ``batch_threads`` when NumPy's BLAS may use two.

        The same steps as ``train_batch`` one batch at a time, bit for bit. The run's first
        batch sets ``reference`` (None until then) to max(loss, log classes), and a batch
        whose loss is above ``factor`` x reference, or not finite, stops the chunk before its
        step. Returns (batches stepped, status: 0 ok, 1 loss not finite, 2 above the limit,
        the last batch's loss, ``loss_sum`` plus each stepped batch's loss x rows, correct
        predictions, reference). Requires ``can_train_batches``.
        """
        ws = self._get_step_workspace(batch_size)
        optimizer = self.optimizer_
        m_state, v_state, state_current, steps, rate, b1, b2, eps, eps_hat = optimizer.fused_state()
        limit = math.inf if reference is None else factor * reference
        ws.results[3] = loss_sum
        kernels.run_steps(
            self.dtype, X, y, order, first, count, batch_size, True, ws.sizes, self._theta,
            self._current, self._grad, ws.inputs, ws.activations, ws.errors, ws.labels,
            ws.bias_parts, ws.part_loss, ws.part_correct, self.reduction == "mean", 0.0, limit,
            math.nan if reference is None else float(reference), float(factor),
            math.log(max(self.n_classes, 2)), True, m_state, v_state, state_current, steps,
            float(rate), float(b1), float(b2), float(eps), bool(eps_hat), ws.results)
        done, status, loss, loss_sum, correct, reference = ws.results.tolist()
        done = int(done)
        if done:
            self._current = (self._current + done) % 2
            self._can_undo = True
            optimizer.advance(done)
        return (done, int(status), loss, loss_sum, int(correct),
                None if math.isnan(reference) else reference)

    def _get_step_workspace(self, batch_size: int) -> _StepWorkspace:
        ws = self._step_workspace
        if ws is None or ws.batch_size != batch_size:
            ws = self._step_workspace = _StepWorkspace(self.layer_sizes, batch_size, self.dtype)
        return ws

    def _train_batch_fused(
        self, x: np.ndarray, y: np.ndarray, l2: float, l1: float, max_loss: float,
    ) -> tuple[float, int]:
        """``train_batch`` for integer labels and no sample weights: the loss and the
        gradient from the compiled step (``kernels.train_batches`` on this one batch,
        without its Adam step), then the penalty's gradient and ``optimizer_``'s update."""
        steps = self._get_step_workspace(x.shape[0])
        penalty = self._penalty(l2, l1)
        kernels.run_steps(
            self.dtype, np.ascontiguousarray(x), y, steps.no_order, 0, 1, x.shape[0], False,
            steps.sizes,
            self._theta, self._current, self._grad, steps.inputs, steps.activations,
            steps.errors, steps.labels, steps.bias_parts, steps.part_loss, steps.part_correct,
            self.reduction == "mean", float(penalty), float(max_loss), 0.0, 0.0, 0.0, False,
            self._theta, self._theta, 0, 0, 0.0, 0.0, 0.0, 0.0, False, steps.results)
        status, loss, correct = int(steps.results[1]), float(steps.results[2]), int(steps.results[4])
        if status == 1:
            return math.nan, 0
        if status == 2:
            return loss, 0
        if l2 > 0 or l1 > 0:
            self._penalty_gradient(l2, l1)
        self.optimizer_.update(self._theta[self._current], self._grad,
                               self._theta[1 - self._current])
        self._current = 1 - self._current
        self._can_undo = True
        return loss, correct

    def train_step(
        self, X: Any, y: Any, optimizer: str | None = None, learning_rate: float | None = None,
        l2: float = 0.0, l1: float = 0.0,
    ) -> float:
        """One optimizer step on the batch ``(X, y)``; returns the batch loss before the step.

        For stepping through training one batch at a time. A non-finite loss
        raises ``FloatingPointError`` and leaves the weights unchanged.
        """
        X, y, _ = self.checked_data(X, y)
        l2, l1 = non_negative_float("l2", l2), non_negative_float("l1", l1)
        if learning_rate is not None:
            self.learning_rate = learning_rate
        self.use_optimizer(optimizer).learning_rate = self.learning_rate
        self._get_workspace(X.shape[0])
        loss, _ = self.train_batch(X, y, l2=l2, l1=l1)
        self.settle()
        if not math.isfinite(loss):
            raise FloatingPointError("the loss is not finite; the weights were left unchanged")
        return loss

    def evaluate(self, X: Any, y: Any, l2: float = 0.0, l1: float = 0.0) -> tuple[float, float]:
        """``(loss, accuracy)`` on ``(X, y)`` without training: the loss as training
        computes it (mean or sum by ``reduction``, plus the penalty); the accuracy is
        NaN for a target matrix."""
        X, y, _ = self.checked_data(X, y)
        return self._evaluate(X, y, non_negative_float("l2", l2), non_negative_float("l1", l1))

    def _evaluate(
        self, X: np.ndarray, y: np.ndarray, l2: float, l1: float = 0.0
    ) -> tuple[float, float]:
        total_loss, correct = 0.0, 0
        for start in range(0, X.shape[0], _INFERENCE_CHUNK):
            chunk, labels = X[start : start + _INFERENCE_CHUNK], y[start : start + _INFERENCE_CHUNK]
            outputs = [np.empty((chunk.shape[0], n), dtype=self.dtype) for n in self.layer_sizes[1:]]
            z = self._logits(chunk, outputs)
            total_loss += act.LOSSES[self.output, self.loss][0](z, labels, np.empty_like(z))
            if labels.ndim == 1:
                correct += int(np.count_nonzero(outputs[-1].argmax(axis=1) == labels))
        loss = total_loss / X.shape[0] if self.reduction == "mean" else total_loss
        accuracy = correct / X.shape[0] if y.ndim == 1 else math.nan
        return loss + self._penalty(l2, l1), accuracy

    @takes_settings()
    def trainer(self, X: Any, y: Any, settings: TrainSettings) -> Trainer:
        """A :class:`~nn_core.trainer.Trainer`: ``fit``, one ``step()`` at a time. It takes
        the keywords of ``fit`` (:class:`~nn_core.trainer.TrainSettings`), with
        ``health_samples=4`` and ``rows`` (train on those rows of ``X`` only).

        >>> trainer = net.trainer(X, y, epochs=30, batch_size=32, optimizer="adam")
        >>> while not trainer.done:
        ...     trainer.step(max_seconds=0.1)   # draw something between steps
        """
        return Trainer(self, X, y, settings)

    @takes_settings(health_samples=0)
    def fit(self, X: Any, y: Any, settings: TrainSettings) -> History:
        """Train with mini-batch gradient descent; returns this call's per-epoch ``History``.

        The keywords are :class:`~nn_core.trainer.TrainSettings`' (``epochs=10``,
        ``batch_size=32``, ``optimizer``, ``learning_rate``, ``l2``, ``validation_data``,
        ``callback``, ``shuffle``, ``health_samples=0``, ``l1``, ``sample_weight``,
        ``rows``). This is ``self.trainer(...)`` stepped until done. Calling ``fit``
        again continues from the current weights and optimizer state
        (``optimizer=None`` and ``learning_rate=None`` keep the current ones;
        naming a different optimizer starts it fresh). Batches are reshuffled
        every epoch by a generator seeded from ``seed``. ``callback(epoch,
        history)`` runs after each epoch (``epoch`` is 1-based within this
        call) and stops training by returning ``False``; it may change
        ``self.learning_rate``, which applies from the next batch.

        At the first batch whose loss is not finite, or exceeds 10x the larger
        of the run's first batch loss and ``ln K`` (a blow-up), training stops,
        the weights from before the previous step (and their optimizer state)
        are restored, and the history says ``diverged=True`` with
        ``diverged_at`` and ``diverged_reason``.

        ``health_samples`` per epoch fill ``history.health`` (gradient norms, dead
        or saturated units); 0 here by default, since each costs a small forward
        pass (10% of a 30-epoch digits run at 4 per epoch). ``trainer()`` takes 4.

        ``sample_weight`` (one non-negative number per row of ``X``) weights each row's
        loss: a batch's loss is ``sum_i w_i L_i / sum_i w_i`` (scikit-learn's MLP
        normalises the same way), and each row's gradient scales alike.
        """
        trainer = Trainer(self, X, y, settings)
        try:
            trainer.run()
        finally:
            trainer.finish()
        return trainer.history

    # ---------------------------------------------------------- persistence
    def get_config(self) -> dict[str, Any]:
        return {
            "layer_sizes": list(self.layer_sizes),
            "activation": self.activation,
            "output": self.output,
            "dtype": self.dtype.name,
            "seed": self.seed,
            "loss": self.loss,
            "bias": self.bias,
            "init": self.init,
            "reduction": self.reduction,
        }

    def save(self, file: str | Path | BinaryIO) -> None:
        """Write the model as ``.npz`` arrays plus JSON metadata (no pickles)."""
        from .model_io import save_model

        save_model(self, file)

    @classmethod
    def load(cls, file: str | Path | BinaryIO, max_bytes: int | None = None) -> MLP:
        """Read a model written by ``save``; anything else raises ``ValueError``."""
        from .model_io import DEFAULT_MAX_BYTES, load_model

        return load_model(cls, file, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)

    def __repr__(self) -> str:
        return (
            f"MLP({list(self.layer_sizes)}, activation={self.activation!r}, "
            f"output={self.output!r}, seed={self.seed!r}, dtype=np.{self.dtype.name}"
            + "".join(
                f", {name}={value!r}"
                for name, value, default in (
                    ("loss", self.loss, act.OUTPUT_LOSSES[self.output][0]),
                    ("bias", self.bias, True), ("init", self.init, "auto"),
                    ("reduction", self.reduction, "mean"),
                )
                if value != default
            )
            + ")"
        )


def _weight_total(weights: np.ndarray) -> float:
    """``sum_i w_i`` of a batch, in float64; a batch of zero weights counts as
    ``tiny`` (its weighted loss and gradient are 0 anyway) instead of dividing by 0."""
    return max(float(np.add.reduce(weights, dtype=np.float64)), np.finfo(weights.dtype).tiny)


def describe(net: MLP) -> str:
    """One line naming the architecture, e.g. ``64-32-10 relu/softmax``."""
    return "-".join(map(str, net.layer_sizes)) + f" {net.activation}/{net.output}"


__all__ = ["MLP", "History", "describe"]
