"""Mini-batch training that can be stepped a little at a time: the one training loop.

``MLP.fit`` is a :class:`Trainer` stepped until it is done; the playground app
steps the same trainer a few batches per screen refresh. Because the loop is the
same object whatever the stepping, a run is exactly repeatable: the batches of
an epoch come from one permutation drawn at the epoch's start (from the
network's seeded generator), the loss sums run in the same order, and settings
changed between steps apply at a defined point. So ``fit`` in one go, steps of
random sizes, pauses, and a learning-rate change applied at the same batch all
give bit-identical weights and history.

A run's keywords are one dataclass, :class:`TrainSettings`: ``MLP.fit``,
``MLP.trainer`` and ``Trainer`` take exactly its fields (``takes_settings`` makes
their signatures from it). The trainer owns the settings that may change between
steps, and says when a change applies:

* ``trainer.learning_rate``: from the next batch (recorded in ``history.lr_changes``);
  while this is the network's latest unfinished trainer, ``net.learning_rate`` is
  the same setting;
* ``trainer.l1``, ``trainer.l2``: from the next batch;
* ``trainer.batch_size``: from the next epoch (an epoch's batches are one partition);
* ``trainer.epochs`` (the target): at once; lowering it below the epochs done
  ends the run at the end of the current epoch.

The trainer reaches the network only through :class:`Trainable`, a short public
interface, and imports nothing from ``network.py`` (which imports this module).

What it trades away: a step boundary falls between batches, never inside one,
so ``max_seconds`` is honoured to within one batch's time. The signatures made
from the dataclass are visible to ``help`` and ``inspect``, not to static type
checkers.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from . import checks
from .optimizers import OPTIMIZERS, Optimizer

#: A batch loss above this many times the reference loss counts as a blow-up.
EXPLOSION_FACTOR = 10.0
#: Most batches one call of the network's compiled steps takes (``train_batches``): at
#: ~0.5 ms a batch, a step with a time limit overshoots it by a few milliseconds at most.
CHUNK = 8
#: Rows of the training set used to sample unit health (dead or saturated units).
HEALTH_PROBE_ROWS = 256
#: Sigmoid outputs outside [0.01, 0.99] and tanh outputs beyond +-0.99 are saturated:
#: there the derivative is under 4% (sigmoid) or 2% (tanh) of its peak.
SATURATION = {"sigmoid": 0.01, "tanh": 0.01}


@dataclass
class History:
    """Per-epoch record of one ``fit`` call (or one trainer's run).

    ``loss``/``accuracy`` are running means over the epoch's batches (the
    weights move during the epoch, as in Keras); ``val_loss``/``val_accuracy``
    are computed on ``validation_data`` after each epoch (empty lists without
    it). Both losses include the L2 penalty when ``l2 > 0``, so that the two
    curves stay comparable. ``seconds`` is each epoch's wall time.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    #: True when a non-finite loss stopped training (weights were restored).
    diverged: bool = False
    #: (epoch, batch), both 1-based within this ``fit`` call, of the first non-finite loss.
    diverged_at: tuple[int, int] | None = None
    #: True when the callback stopped training by returning False.
    stopped: bool = False
    #: Why the run diverged, in words ("the loss exploded to ...").
    diverged_reason: str | None = None
    #: Every learning-rate change as (epoch, batch, new value): the 1-based epoch and
    #: batch that first trained with the new value.
    lr_changes: list[tuple[int, int, float]] = field(default_factory=list)
    #: A few samples per epoch: {"epoch", "batch", "grad_norms" (per weight matrix),
    #: "stuck" (share of dead or saturated units per hidden layer)}.
    health: list[dict[str, Any]] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def extend(self, other: History) -> None:
        for name in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate",
                     "lr_changes", "health"):
            getattr(self, name).extend(getattr(other, name))
        self.diverged = self.diverged or other.diverged
        if other.diverged_at is not None:
            self.diverged_at = other.diverged_at
            self.diverged_reason = other.diverged_reason
        self.stopped = other.stopped


@dataclass(frozen=True, eq=False)
class TrainSettings:
    """Every keyword of a training run, checked: what ``MLP.fit``, ``MLP.trainer`` and
    ``Trainer`` take (their signatures are made from these fields, in this order).

    ``optimizer=None`` and ``learning_rate=None`` keep the network's current ones.
    ``rows`` trains on those rows of ``X`` only; ``sample_weight`` weighs each row of
    ``X`` (both are checked against ``X`` by the trainer).
    """

    epochs: int = 10
    batch_size: int = 32
    optimizer: str | None = None
    learning_rate: float | None = None
    l2: float = 0.0
    validation_data: tuple[Any, Any] | None = None
    callback: Callable[[int, History], bool | None] | None = None
    shuffle: bool = True
    health_samples: int = 4
    l1: float = 0.0
    sample_weight: Any = None
    rows: Any = None

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        put("epochs", checks.positive_int("epochs", self.epochs))
        put("batch_size", checks.positive_int("batch_size", self.batch_size))
        if self.optimizer is not None:
            checks.choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.learning_rate is not None:
            put("learning_rate", checks.positive_float("learning_rate", self.learning_rate))
        put("l2", checks.non_negative_float("l2", self.l2))
        put("l1", checks.non_negative_float("l1", self.l1))
        if self.callback is not None and not callable(self.callback):
            raise ValueError(f"callback must be callable or None; got {self.callback!r}")
        put("shuffle", bool(self.shuffle))
        put("health_samples", checks.non_negative_int("health_samples", self.health_samples))

    def keywords(self) -> dict[str, Any]:
        """The settings as keywords (no copies of the arrays they hold)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def takes_settings(**defaults: Any) -> Callable[[Callable], Callable]:
    """Decorator for ``function(self, X, y, settings)``: call it with :class:`TrainSettings`'
    fields as parameters instead (by keyword or, after the others, by position), with
    ``defaults`` in place of some of the dataclass's defaults. The wrapper's signature,
    which ``help`` and ``inspect`` show, lists them."""

    def decorate(function: Callable) -> Callable:
        own = inspect.signature(function)
        head = list(own.parameters.values())[:-1]  # all but settings
        names = [f.name for f in fields(TrainSettings)]
        tail = [
            inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=defaults.get(f.name, f.default), annotation=f.type)
            for f in fields(TrainSettings)
        ]
        signature = inspect.Signature(head + tail, return_annotation=own.return_annotation)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)  # a TypeError for a wrong keyword
            given = bound.arguments
            settings = TrainSettings(**{**defaults, **{n: given.pop(n) for n in names if n in given}})
            return function(*given.values(), settings)

        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        return wrapper

    return decorate


@runtime_checkable
class Trainable(Protocol):
    """What a :class:`Trainer` uses of its network (``MLP`` is one), and nothing else."""

    n_classes: int
    dtype: np.dtype
    activation: str
    epochs_trained_: int
    history_: History
    optimizer_: Optimizer | None
    #: The learning rate a trainer given none starts with.
    learning_rate: float

    def checked_data(self, X: Any, y: Any, sample_weight: Any = None, *,
                     names: tuple[str, str] = ("X", "y")) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray | None]:
        """``(X, y, sample_weight)`` checked and converted to the network's dtype."""
        ...

    def use_optimizer(self, name: str | None = None) -> Optimizer:
        """The optimizer called ``name`` (None: the current one), kept or made fresh."""
        ...

    def attach_trainer(self, trainer: Trainer) -> None:
        """From now until it is done, ``learning_rate`` reads and sets ``trainer``'s."""
        ...

    def permutation(self, n: int) -> np.ndarray:
        """A shuffled ``range(n)`` from the network's seeded generator."""
        ...

    def batch_buffer(self, batch_size: int) -> np.ndarray:
        """The network's reusable input buffer of ``batch_size`` rows (per-batch buffers
        allocated here, once per batch size)."""
        ...

    def train_batch(self, x: np.ndarray, y: np.ndarray, *, l2: float = 0.0, l1: float = 0.0,
                    max_loss: float = math.inf,
                    sample_weight: np.ndarray | None = None) -> tuple[float, int]:
        """One optimizer step on a checked batch: ``(loss, n_correct)``; no step if the
        loss is not finite (``(nan, 0)``) or above ``max_loss`` (``(loss, 0)``)."""
        ...

    def can_train_batches(self, l2: float, l1: float, sample_weight: Any,
                          y: np.ndarray) -> bool:
        """Whether ``train_batches`` can take this run's steps now."""
        ...

    def batch_threads(self, l2: float, l1: float, sample_weight: Any,
                      y: np.ndarray) -> contextlib.AbstractContextManager:
        """A ``with`` block around a run's ``train_batches`` calls (it sets their threads)."""
        ...

    def train_batches(self, X: np.ndarray, y: np.ndarray, order: np.ndarray, first: int,
                      count: int, batch_size: int, *, reference: float | None, factor: float,
                      loss_sum: float) -> tuple[int, int, float, float, int, float | None]:
        """Up to ``count`` steps on batches gathered from ``X[order]``, as ``train_batch``
        would take them: (done, status, last loss, loss sum, correct, reference)."""
        ...

    def undo_step(self) -> bool:
        """Back to the parameters and optimizer state before the last step."""
        ...

    def settle(self, keep_undo: bool = False) -> None:
        """Make the parameter arrays handed out earlier live again after steps."""
        ...

    def parameters_finite(self) -> bool:
        ...

    def gradient_norms(self) -> list[float]:
        """The norm of each weight matrix's gradient from the last batch."""
        ...

    def forward_trace(self, X: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        ...

    def evaluate(self, X: Any, y: Any, l2: float = 0.0, l1: float = 0.0) -> tuple[float, float]:
        ...


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


def _live_setting(name: str, when: str) -> property:
    """A setting the trainer owns, read from and written (checked) into its settings."""

    def get(self: Trainer) -> Any:
        return getattr(self.settings, name)

    def put(self: Trainer, value: Any) -> None:
        self.settings = replace(self.settings, **{name: value})

    return property(get, put, doc=f"The run's {name}; a change applies {when}.")


def _fixed_setting(name: str) -> property:
    """A setting the trainer reads from its settings and never changes during a run."""
    return property(lambda self: getattr(self.settings, name),
                    doc=f"The run's {name} (fixed for the run).")


class Trainer:
    """Mini-batch gradient descent over ``(X, y)`` for ``net``, one ``step`` at a time.

    Build it with ``net.trainer(...)`` (the keywords of ``fit``, :class:`TrainSettings`),
    or as ``Trainer(net, X, y, settings)`` or ``Trainer(net, X, y, **keywords)``; then
    call ``step(max_batches=None, max_seconds=None)`` until ``done``. ``epoch`` counts
    finished epochs, ``batch`` the batches done in the current one, and ``history`` is
    the run's :class:`History`, growing epoch by epoch; ``settings`` holds the run's
    settings as they are now.

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

    learning_rate = _live_setting("learning_rate", "from the next batch")
    l2 = _live_setting("l2", "from the next batch")
    l1 = _live_setting("l1", "from the next batch")
    batch_size = _live_setting("batch_size", "from the next epoch")
    epochs = _live_setting("epochs", "at once (the target number of epochs)")
    callback = _fixed_setting("callback")
    shuffle = _fixed_setting("shuffle")
    health_samples = _fixed_setting("health_samples")

    def __init__(self, net: Trainable, X: Any, y: Any, settings: TrainSettings | None = None,
                 /, **keywords: Any) -> None:
        if settings is None:
            settings = TrainSettings(**keywords)
        elif keywords or not isinstance(settings, TrainSettings):
            raise TypeError("give the settings as one TrainSettings or as keywords, not both")
        self.net = net
        self.X, self.y, self.sample_weight = net.checked_data(X, y, settings.sample_weight)
        if not self.y.flags.writeable:
            # The compiled steps are compiled once per kind of array, read-only or not:
            # labels are cheap to copy, so they always come writable (X, read-only in the
            # app's shared datasets, has both kinds loaded by kernels.warm_up).
            self.y = self.y.copy()
        self.rows = None if settings.rows is None else self._check_rows(settings.rows,
                                                                        self.X.shape[0])
        self.n = self.X.shape[0] if self.rows is None else self.rows.shape[0]
        self.validation = None
        if settings.validation_data is not None:
            try:
                X_val, y_val = settings.validation_data
            except (TypeError, ValueError):
                raise ValueError("validation_data must be a pair (X_val, y_val)") from None
            self.validation = net.checked_data(X_val, y_val, names=("X_val", "y_val"))[:2]
        optimizer = net.use_optimizer(settings.optimizer)
        rate = net.learning_rate if settings.learning_rate is None else settings.learning_rate
        #: The run's settings as they are now (the live ones change by the properties).
        self.settings = replace(settings, optimizer=optimizer.name, learning_rate=rate)
        net.attach_trainer(self)

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
        #: Seconds the last batches took each: how many the next chunk can take within a
        #: ``step``'s time limit (the first chunk of a run takes one).
        self._batch_seconds: float | None = None
        probe_rows = np.arange(min(HEALTH_PROBE_ROWS, self.n))
        self._probe = self.X[probe_rows if self.rows is None else self.rows[probe_rows]]

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
        try:
            # Overflow is expected when a run diverges; it is detected and handled below.
            settings = self.settings
            with np.errstate(over="ignore", invalid="ignore"), self.net.batch_threads(
                    settings.l2, settings.l1, self.sample_weight, self.y):
                while not self.done:
                    if self._order is None:
                        if self.epoch >= self.epochs:
                            self.finish()
                            break
                        self._start_epoch()
                    left = None if max_batches is None else max_batches - done_batches
                    if deadline is not None:  # no more batches than fit in the time left
                        fit = 1 if self._batch_seconds is None else max(1, int(min(
                            CHUNK, (deadline - time.perf_counter()) / max(self._batch_seconds, 1e-6))))
                        left = fit if left is None else min(left, fit)
                    chunk_started = time.perf_counter()
                    stepped, fine = self._train_next_batches(left)
                    if stepped:
                        self._batch_seconds = (time.perf_counter() - chunk_started) / stepped
                    done_batches += stepped
                    if not fine:
                        break
                    if self.batch * self._epoch_batch_size >= self.n:
                        self._end_epoch(started)
                        started = time.perf_counter()
                    if max_batches is not None and done_batches >= max_batches:
                        break
                    if deadline is not None and time.perf_counter() >= deadline:
                        break
                if not self.done and self._order is None and self.epoch >= self.epochs:
                    self.finish()
        finally:
            if self._order is not None:
                self._epoch_seconds += time.perf_counter() - started
            self.net.settle(keep_undo=True)
        return done_batches

    def run(self) -> History:
        """Step until done; returns the history."""
        while not self.done:
            self.step()
        return self.history

    def finish(self) -> None:
        """End the run here (it ends by itself once its epochs are done, it diverged or
        the callback stopped it): its history joins the network's ``history_``, its
        learning rate stays the network's, and its last step can no longer be undone.
        Calling it again does nothing."""
        if self.done:
            return
        self.done = True
        self._order = None
        net = self.net
        net.settle()
        net.history_.extend(self.history)
        net.learning_rate = self.learning_rate  # the next run starts where this one ended

    def _start_epoch(self) -> None:
        self._epoch_batch_size = min(self.batch_size, self.n)
        order = self.net.permutation(self.n) if self.shuffle else np.arange(self.n)
        self._order = order if self.rows is None else self.rows[order]
        self.batch = 0
        n_batches = math.ceil(self.n / self._epoch_batch_size)
        # Every ``_health_every``-th batch is sampled (never, with health_samples=0).
        self._health_every = (
            max(1, n_batches // self.health_samples) if self.health_samples else n_batches + 1
        )
        self._loss_sum, self._correct, self._epoch_seconds = 0.0, 0, 0.0

    def _train_next_batches(self, most: int | None) -> tuple[int, bool]:
        """The next batches, up to ``most`` and no further than the epoch's end or the
        next health sample: (batches stepped, False when the run diverged and is over).

        Adam without penalty or sample weights takes them in one call of the network's
        compiled steps (``train_batches``, up to ``CHUNK`` batches, the same steps bit for
        bit); anything else one ``train_batch`` at a time."""
        net, settings = self.net, self.settings
        self._hand_over_rate()
        if not net.can_train_batches(settings.l2, settings.l1, self.sample_weight, self.y):
            return (1, True) if self._train_next_batch() else (0, False)
        size = self._epoch_batch_size
        count = min(CHUNK, math.ceil(self.n / size) - self.batch,
                    self._health_every - self.batch % self._health_every)
        if most is not None:
            count = min(count, most)
        done, status, loss, self._loss_sum, correct, self._reference_loss = net.train_batches(
            self.X, self.y, self._order, self.batch, count, size,
            reference=self._reference_loss, factor=EXPLOSION_FACTOR, loss_sum=self._loss_sum)
        self.batch += done
        self._correct += correct
        if status == 1:
            return done, self._diverge("the loss stopped being a finite number")
        if status == 2:
            return done, self._diverge(
                f"the loss exploded to {loss:.3g}, over {EXPLOSION_FACTOR:g}x its "
                f"starting value ({self._reference_loss:.3g})"
            )
        if self.batch % self._health_every == 0:
            self._sample_health()
        return done, True

    def _hand_over_rate(self) -> None:
        """The optimizer steps with the trainer's rate: handed over when it changes."""
        rate = self.settings.learning_rate
        if rate != self._lr_in_use:
            if self._lr_in_use is not None:
                self.history.lr_changes.append((self.epoch + 1, self.batch + 1, rate))
            self._lr_in_use = rate
            self.net.optimizer_.learning_rate = rate

    def _train_next_batch(self) -> bool:
        """One batch; False (and the run is over) when it diverged."""
        net, settings = self.net, self.settings
        self._hand_over_rate()
        size = self._epoch_batch_size
        start = self.batch * size
        index = self._order[start : start + size]
        m = index.shape[0]
        x = net.batch_buffer(size)[:m]
        # Gather into the preallocated batch buffer: no per-batch allocation.
        np.take(self.X, index, axis=0, out=x, mode="clip")
        labels = self.y[index]
        limit = math.inf if self._reference_loss is None else EXPLOSION_FACTOR * self._reference_loss
        # Past the limit the batch takes no step: rolling back then restores the weights
        # from before the previous step, the last whose loss was in bounds.
        weights = None if self.sample_weight is None else self.sample_weight[index]
        loss, correct = net.train_batch(x, labels, l2=settings.l2, l1=settings.l1,
                                        max_loss=limit, sample_weight=weights)
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
        self.net.undo_step()
        history = self.history
        history.diverged, history.diverged_at = True, (self.epoch + 1, self.batch + 1)
        history.diverged_reason = reason
        self.finish()
        return False

    def _end_epoch(self, started: float) -> None:
        net, history = self.net, self.history
        # The last update of the epoch has not been checked by a forward pass yet.
        if not net.parameters_finite():
            self.batch -= 1
            self._diverge("the weights stopped being finite numbers")
            return
        history.loss.append(self._loss_sum / self.n)
        history.accuracy.append(self._correct / self.n if self.y.ndim == 1 else math.nan)
        history.learning_rate.append(float(self._lr_in_use))
        if self.validation is not None:
            val_loss, val_accuracy = net.evaluate(*self.validation, self.l2, self.l1)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
        history.seconds.append(self._epoch_seconds + time.perf_counter() - started)
        self._order = None
        self.batch = 0
        self.epoch += 1
        net.epochs_trained_ += 1
        if self.callback is not None and self.callback(self.epoch, history) is False:
            history.stopped = True
            self.finish()
        elif self.epoch >= self.epochs:
            self.finish()

    def _sample_health(self) -> None:
        net = self.net
        _, activations = net.forward_trace(self._probe)
        stuck = [stuck_units(net.activation, a) for a in activations[1:-1]]
        self.history.health.append({"epoch": self.epoch + 1, "batch": self.batch,
                                    "grad_norms": net.gradient_norms(), "stuck": stuck})


__all__ = ["EXPLOSION_FACTOR", "History", "TrainSettings", "Trainable", "Trainer",
           "stuck_units", "takes_settings"]
