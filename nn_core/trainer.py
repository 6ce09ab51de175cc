"""Mini-batch training that can be stepped a little at a time: the one training loop.

``MLP.fit`` is a :class:`Trainer` stepped until it is done; the playground app
steps the same trainer a few batches per screen refresh. Because the loop is the
same object whatever the stepping, a run is exactly repeatable: the batches of
an epoch come from one permutation drawn at the epoch's start (from the
network's seeded generator), the loss sums run in the same order, and settings
changed between steps apply at a defined point. So ``fit`` in one go, steps of
random sizes, pauses, and a learning-rate change applied at the same batch all
give bit-identical weights and history.

What may change between steps, and when it applies:

* ``net.learning_rate``: from the next batch (recorded in ``history.lr_changes``);
* ``trainer.l2``: from the next batch;
* ``trainer.batch_size``: from the next epoch (an epoch's batches are one partition);
* ``trainer.epochs`` (the target): at once; lowering it below the epochs done
  ends the run at the end of the current epoch.

What it trades away: a step boundary falls between batches, never inside one,
so ``max_seconds`` is honoured to within one batch's time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .network import MLP, History

#: A batch loss above this many times the reference loss counts as a blow-up.
EXPLOSION_FACTOR = 10.0
#: Rows of the training set used to sample unit health (dead or saturated units).
HEALTH_PROBE_ROWS = 256
#: Sigmoid outputs outside [0.01, 0.99] and tanh outputs beyond +-0.99 are saturated:
#: there the derivative is under 4% (sigmoid) or 2% (tanh) of its peak.
SATURATION = {"sigmoid": 0.01, "tanh": 0.01}


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def stuck_units(activation: str, hidden: np.ndarray) -> float:
    """Share of the units (columns of ``hidden``, a layer's activations over some rows)
    that sit in the flat part of their activation on every row, so that no gradient
    (ReLU: exactly none; leaky ReLU: 1%; sigmoid/tanh: a few %) flows through them.

    For ReLU that is a dead unit (output 0 everywhere); for sigmoid and tanh a
    saturated one. A linear unit is never stuck.
    """
    if activation in ("relu", "leaky_relu"):
        stuck = np.all(hidden <= 0.0, axis=0)
    elif activation == "sigmoid":
        margin = SATURATION["sigmoid"]
        stuck = np.all((hidden < margin) | (hidden > 1.0 - margin), axis=0)
    elif activation == "tanh":
        stuck = np.all(np.abs(hidden) > 1.0 - SATURATION["tanh"], axis=0)
    else:
        return 0.0
    return float(np.mean(stuck))


class Trainer:
    """Mini-batch gradient descent over ``(X, y)`` for ``net``, one ``step`` at a time.

    Build it with ``net.trainer(...)`` (same arguments as ``fit``), then call
    ``step(max_batches=None, max_seconds=None)`` until ``done``. ``epoch`` counts
    finished epochs, ``batch`` the batches done in the current one, and
    ``history`` is the run's :class:`~nn_core.network.History`, growing epoch by
    epoch.

    A run stops early, with ``history.diverged`` set and the weights (and
    optimizer state) rolled back to those before the last step, when a batch's
    loss is not finite or exceeds ``EXPLOSION_FACTOR`` times the larger of the
    run's first batch loss and ``ln K`` (K classes): the loss of a blown-up
    network can stay finite while its weights grow without bound.

    ``rows`` (an index array) trains on those rows of ``X`` only, without copying
    them out (a held-out split of a large, shared dataset). ``sample_weight`` (one
    non-negative number per row of ``X``) makes each batch's loss
    ``sum_i w_i L_i / sum_i w_i``, its gradient rows scaled alike; without it the
    batch loss is the plain mean, on an untouched code path. ``health_samples``
    times per epoch it records ``history.health``: each
    weight matrix's gradient norm on the current batch, and the share of each
    hidden layer's units that are dead or saturated on a fixed probe of
    training rows (one small forward pass each time).
    """

    def __init__(
        self,
        net: MLP,
        X: Any,
        y: Any,
        epochs: int = 10,
        batch_size: int = 32,
        optimizer: str | None = None,
        learning_rate: float | None = None,
        l2: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        callback: Callable[[int, History], bool | None] | None = None,
        shuffle: bool = True,
        health_samples: int = 4,
        rows: Any = None,
        l1: float = 0.0,
        sample_weight: Any = None,
    ) -> None:
        from .network import History, _check_positive_float

        self.net = net
        self.X = net._check_X(X)
        self.y = net._check_y(y, self.X.shape[0])
        self.rows = None if rows is None else self._check_rows(rows, self.X.shape[0])
        self.n = self.X.shape[0] if self.rows is None else self.rows.shape[0]
        self.sample_weight = net._check_sample_weight(sample_weight, self.X.shape[0])
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.l1 = l1
        if learning_rate is not None:
            net.learning_rate = _check_positive_float("learning_rate", learning_rate)
        self.validation = None
        if validation_data is not None:
            try:
                X_val, y_val = validation_data
            except (TypeError, ValueError):
                raise ValueError("validation_data must be a pair (X_val, y_val)") from None
            X_val = net._check_X(X_val, "X_val")
            self.validation = (X_val, net._check_y(y_val, X_val.shape[0], "y_val"))
        if callback is not None and not callable(callback):
            raise ValueError(f"callback must be callable or None; got {callback!r}")
        self.callback = callback
        self.shuffle = bool(shuffle)
        if isinstance(health_samples, bool) or not isinstance(health_samples, (int, np.integer)) \
                or health_samples < 0:
            raise ValueError(f"health_samples must be a non-negative integer; got {health_samples!r}")
        self.health_samples = int(health_samples)
        net._ensure_optimizer(optimizer)

        self.history = History()
        self.epoch = 0
        self.batch = 0
        self.done = False
        self._order: np.ndarray | None = None
        self._epoch_batch_size = 0
        self._loss_sum = 0.0
        self._correct = 0
        self._epoch_seconds = 0.0
        self._reference_loss: float | None = None
        self._lr_in_use: float | None = None
        probe_rows = np.arange(min(HEALTH_PROBE_ROWS, self.n))
        self._probe = self.X[probe_rows if self.rows is None else self.rows[probe_rows]]
        self._probe_outputs: list[np.ndarray] | None = None

    @staticmethod
    def _check_rows(rows: Any, n: int) -> np.ndarray:
        index = np.asarray(rows)
        if index.ndim != 1 or index.shape[0] == 0 or not np.issubdtype(index.dtype, np.integer):
            raise ValueError(
                f"rows must be a non-empty 1-D array of row numbers; got {index.dtype} {index.shape}"
            )
        if index.min() < 0 or index.max() >= n:
            raise ValueError(f"rows must be row numbers in 0..{n - 1}; got {index.min()}..{index.max()}")
        return index.astype(np.intp, copy=False)

    # ------------------------------------------------------------- settings
    @property
    def epochs(self) -> int:
        """Target number of epochs; may change between steps."""
        return self._epochs

    @epochs.setter
    def epochs(self, value: int) -> None:
        self._epochs = _check_positive_int("epochs", value)

    @property
    def batch_size(self) -> int:
        """Batch size; a change applies from the next epoch."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = _check_positive_int("batch_size", value)

    @property
    def l2(self) -> float:
        """L2 strength; a change applies from the next batch."""
        return self._l2

    @l2.setter
    def l2(self, value: float) -> None:
        from .network import MLP

        self._l2 = MLP._check_l2(value)

    @property
    def l1(self) -> float:
        """L1 strength; a change applies from the next batch."""
        return self._l1

    @l1.setter
    def l1(self, value: float) -> None:
        from .network import MLP

        self._l1 = MLP._check_l2(value, "l1")

    @property
    def batches_per_epoch(self) -> int:
        """Batches in the current epoch (or the next one, between epochs)."""
        size = self._epoch_batch_size if self._order is not None else min(self.batch_size, self.n)
        return math.ceil(self.n / size)

    @property
    def progress(self) -> float:
        """Epochs done, counting the current epoch's share of batches, over the target."""
        partial = self.batch / self.batches_per_epoch if self._order is not None else 0.0
        return min(1.0, (self.epoch + partial) / self.epochs)

    # ------------------------------------------------------------- stepping
    def step(self, max_batches: int | None = None, max_seconds: float | None = None) -> int:
        """Train up to ``max_batches`` batches or for about ``max_seconds`` (whichever
        comes first; neither: until done). Returns the number of batches done."""
        if max_batches is not None:
            max_batches = int(max_batches)
        if self.done or (max_batches is not None and max_batches <= 0):
            return 0
        started = time.perf_counter()
        deadline = None if max_seconds is None else started + float(max_seconds)
        done_batches = 0
        net = self.net
        try:
            # Overflow is expected when a run diverges; it is detected and handled below.
            with np.errstate(over="ignore", invalid="ignore"):
                while not self.done:
                    if self._order is None:
                        if self.epoch >= self.epochs:
                            self._finish()
                            break
                        self._start_epoch()
                    if not self._train_next_batch():
                        break
                    done_batches += 1
                    if self.batch * self._epoch_batch_size >= self.n:
                        self._end_epoch(started)
                        started = time.perf_counter()
                    if max_batches is not None and done_batches >= max_batches:
                        break
                    if deadline is not None and time.perf_counter() >= deadline:
                        break
                if not self.done and self._order is None and self.epoch >= self.epochs:
                    self._finish()
        finally:
            if self._order is not None:
                self._epoch_seconds += time.perf_counter() - started
            net._settle(keep_undo=True)
        return done_batches

    def run(self) -> History:
        """Step until done; returns the history."""
        while not self.done:
            self.step()
        return self.history

    def _start_epoch(self) -> None:
        from .network import _check_positive_float

        _check_positive_float("learning_rate", self.net.learning_rate)
        self._epoch_batch_size = min(self.batch_size, self.n)
        self.net._get_workspace(self._epoch_batch_size)
        rng = self.net._shuffle_rng
        order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        self._order = order if self.rows is None else self.rows[order]
        self.batch = 0
        n_batches = math.ceil(self.n / self._epoch_batch_size)
        # Every ``_health_every``-th batch is sampled (never, with health_samples=0).
        self._health_every = (
            max(1, n_batches // self.health_samples) if self.health_samples else n_batches + 1
        )
        self._loss_sum, self._correct, self._epoch_seconds = 0.0, 0, 0.0

    def _train_next_batch(self) -> bool:
        """One batch; False (and the run is over) when it diverged."""
        from .network import _check_positive_float

        net = self.net
        learning_rate = net.learning_rate
        if learning_rate != self._lr_in_use:
            learning_rate = _check_positive_float("learning_rate", learning_rate)
            if self._lr_in_use is not None:
                self.history.lr_changes.append((self.epoch + 1, self.batch + 1, learning_rate))
            self._lr_in_use = learning_rate
        size = self._epoch_batch_size
        start = self.batch * size
        index = self._order[start : start + size]
        m = index.shape[0]
        ws = net._workspace
        x = ws.inputs[:m]
        # Gather into the preallocated batch buffer: no per-batch allocation.
        np.take(self.X, index, axis=0, out=x, mode="clip")
        labels = self.y[index]
        limit = math.inf if self._reference_loss is None else EXPLOSION_FACTOR * self._reference_loss
        # Past the limit the batch takes no step: rolling back then restores the weights
        # from before the previous step, the last whose loss was in bounds.
        if self.sample_weight is None:
            loss, correct = net._train_batch(x, labels, ws, self._l2, max_loss=limit, l1=self._l1)
        else:
            loss, correct = net._train_batch(x, labels, ws, self._l2, max_loss=limit, l1=self._l1,
                                             sample_weight=self.sample_weight[index])
        if not math.isfinite(loss):
            return self._diverge("the loss stopped being a finite number")
        if loss > limit:
            return self._diverge(
                f"the loss exploded to {loss:.3g}, over {EXPLOSION_FACTOR:g}x its "
                f"starting value ({self._reference_loss:.3g})"
            )
        if self._reference_loss is None:
            self._reference_loss = max(loss, math.log(max(net.n_classes, 2)))
        self.batch += 1
        self._loss_sum += loss * m
        self._correct += correct
        if self.batch % self._health_every == 0:
            self._sample_health()
        return True

    def _diverge(self, reason: str) -> bool:
        self.net._undo_last_update()
        history = self.history
        history.diverged, history.diverged_at = True, (self.epoch + 1, self.batch + 1)
        history.diverged_reason = reason
        self._finish()
        return False

    def _end_epoch(self, started: float) -> None:
        net, history = self.net, self.history
        # The last update of the epoch has not been checked by a forward pass yet.
        if not np.isfinite(net._theta[net._current]).all():
            self.batch -= 1
            self._diverge("the weights stopped being finite numbers")
            return
        history.loss.append(self._loss_sum / self.n)
        history.accuracy.append(self._correct / self.n if self.y.ndim == 1 else math.nan)
        history.learning_rate.append(float(net.learning_rate))
        if self.validation is not None:
            val_loss, val_accuracy = net._evaluate(*self.validation, self._l2, self._l1)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
        history.seconds.append(self._epoch_seconds + time.perf_counter() - started)
        self._order = None
        self.batch = 0
        self.epoch += 1
        net.epochs_trained_ += 1
        if self.callback is not None and self.callback(self.epoch, history) is False:
            history.stopped = True
            self._finish()
        elif self.epoch >= self.epochs:
            self._finish()

    def _finish(self) -> None:
        if not self.done:
            self.done = True
            self._order = None
            self.net.history_.extend(self.history)

    def _sample_health(self) -> None:
        net = self.net
        norms = [float(np.sqrt(np.dot(g.ravel(), g.ravel()))) for g in net._grad_weights]
        if self._probe_outputs is None:
            self._probe_outputs = [
                np.empty((self._probe.shape[0], n), dtype=net.dtype) for n in net.layer_sizes[1:]
            ]
        net._logits(self._probe, self._probe_outputs)
        stuck = [stuck_units(net.activation, a) for a in self._probe_outputs[:-1]]
        self.history.health.append(
            {"epoch": self.epoch + 1, "batch": self.batch, "grad_norms": norms, "stuck": stuck}
        )


__all__ = ["Trainer", "stuck_units", "EXPLOSION_FACTOR"]
