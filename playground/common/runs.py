"""Training runs the Train page steps a little at a time.

The network, its held-out validation rows and its trainer come from the engine's
one training recipe (``nn_core.recipe.Recipe.start``, which the sweeps use too); a
:class:`TrainingRun` only owns what the app adds around them: the run's status
(running, paused, ...), the clock, and the final test score. The page steps it for a fraction of a second per screen refresh
(``run.step(budget_seconds=...)``), never past the end of an epoch, so a
Pause or Stop click is answered within one refresh and at most one more epoch
trains after it. Because the engine's loop does not care how it is stepped, the
same settings and seed give the same run, bit for bit, on any machine speed.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any

import numpy as np

from playground.common.i18n import N_, _, ngettext
from playground.common.vocab import (
    ACTIVE_STATUSES,
    DIVERGED,
    DONE_STATUSES,
    FINISHED,
    LEARNING_RATES,
    MAX_GAP_SECONDS,
    PAUSED,
    READY,
    RUNNING,
    STOPPED,
    TrainConfig,
    activation_label,
    format_l2,
    format_lr,
    format_seconds,
    optimizer_label,
)


def build_network(config: TrainConfig, n_features: int, n_classes: int = 10) -> Any:
    """The fresh, untrained network Train builds for ``config`` (the recipe's)."""
    return config.network(n_features, n_classes)


def _percent(value: float) -> float | None:
    return round(100 * value, 1) if math.isfinite(value) else None


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate")


def history_dict(history: Any) -> dict[str, list]:
    """The per-epoch lists of an engine ``History`` (what the charts draw), copied."""
    return {key: list(getattr(history, key)) for key in HISTORY_KEYS}


@dataclass
class RunRecord:
    """A finished (or stopped, or diverged) run, kept for comparison."""

    run_id: int
    config: TrainConfig
    history: dict[str, list[float]]
    status: str
    epochs_done: int
    test_accuracy: float
    train_accuracy: float
    train_seconds: float
    #: (epoch, batch, value) of every learning-rate change, as the engine records them.
    lr_changes: list[tuple[int, int, float]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``#3 digits 64 ReLU, Adam lr 0.003, batch 32, 30 ep``: what tells runs apart."""
        config = self.config
        lr = format_lr(config.learning_rate)
        if self.lr_changes:
            lr += "→" + "→".join(format_lr(v) for *_when, v in self.lr_changes)
        l2 = "" if config.l2 == 0 else f", L2 {format_l2(config.l2)}"  # L2: a name, untranslated
        return _(
            "#{run_id} {dataset} {hidden} {activation}, {optimizer} lr {lr}, "
            "batch {batch}{l2}, {epochs} ep"
        ).format(run_id=self.run_id, dataset=config.dataset, hidden=config.hidden_label,
                 activation=activation_label(config.activation),
                 optimizer=optimizer_label(config.optimizer), lr=lr, batch=config.batch_size,
                 l2=l2, epochs=self.epochs_done)

    def summary_row(self) -> dict[str, Any]:
        """One row for the runs table, by column key (``RUN_COLUMNS`` has their labels)."""
        return {
            "run": f"#{self.run_id}",
            "dataset": self.config.dataset,
            "hidden": self.config.hidden_label,
            "activation": self.config.activation,
            "optimizer": self.config.optimizer,
            "learning rate": format_lr(self.config.learning_rate)
            + ("*" if self.lr_changes else ""),
            "epochs": self.epochs_done,
            "batch": self.config.batch_size,
            "L2": format_l2(self.config.l2),
            "seed": self.config.seed,
            "test accuracy %": _percent(self.test_accuracy),
            "train accuracy %": _percent(self.train_accuracy),
            "time (s)": round(self.train_seconds, 2),
            "ended": status_label(self.status),
        }


#: The runs table's column keys (``RunRecord.summary_row``) and the headers shown for them.
RUN_COLUMNS = {
    "run": N_("run"),
    "dataset": N_("dataset"),
    "hidden": N_("hidden"),
    "activation": N_("activation"),
    "optimizer": N_("optimizer"),
    "learning rate": N_("learning rate"),
    "epochs": N_("epochs"),
    "batch": N_("batch"),
    "L2": N_("L2"),
    "seed": N_("seed"),
    "test accuracy %": N_("test accuracy %"),
    "train accuracy %": N_("train accuracy %"),
    "time (s)": N_("time (s)"),
    "ended": N_("ended"),
}
#: A run's status (``vocab.READY`` ...) as shown.
STATUS_LABELS = {
    READY: N_("ready"),
    RUNNING: N_("running"),
    PAUSED: N_("paused"),
    FINISHED: N_("finished"),
    STOPPED: N_("stopped"),
    DIVERGED: N_("diverged"),
}


def status_label(status: str) -> str:
    """A run's status in the tab's language."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def engine_reason(text: str) -> str:
    """Why the engine said a run diverged (``nn_core`` speaks English: it knows no UI), in
    the tab's language; a reason this table does not know is shown as the engine put it."""
    import re

    if text == "the loss stopped being a finite number":
        return _("the loss stopped being a finite number")
    if text == "the weights stopped being finite numbers":
        return _("the weights stopped being finite numbers")
    exploded = re.fullmatch(r"the loss exploded to (\S+), over (\S+)x its starting value \((\S+)\)",
                            text)
    if exploded:
        return _("the loss exploded to {loss}, over {factor}x its starting value ({start})").format(
            loss=exploded[1], factor=exploded[2], start=exploded[3])
    return text


class TrainingRun:
    """One training run of one network on one dataset, steppable and pausable.

    ``dataset`` is an ``nn_core.data.datasets.Dataset`` (anything with ``X_train``,
    ``y_train``, ``X_test``, ``y_test``, ``n_classes``). ``config`` is a recipe
    (``TrainConfig`` is one): ``Recipe.start`` holds out the validation rows, builds the
    network and its trainer, which trains on the other rows in place (no copy).

    Thread-safe: one tab's page runs can overlap in two threads (a fragment run still
    inside a training step while a click's full run stops the run), so ``step`` and the
    controls (start, pause, resume, stop, apply_live) hold the run's lock. A control
    thus waits for the training piece under way (at most one ``step`` budget) and acts
    between two pieces; the engine's trainer is never stepped and finished at once.
    Measured before the lock: a Stop on 512-512-512 batch 8 ran ``_finish(STOPPED)``
    while the other thread's step was in flight, which then saw the finished trainer
    and overwrote the run as "finished" (the Stop was lost).
    """

    def __init__(
        self,
        config: TrainConfig,
        dataset: Any,
        run_id: int = 1,
        *,
        clock: Callable[[], float] = time.perf_counter,
        on_end: Callable[[TrainingRun], Any] | None = None,
    ) -> None:
        config.validate()
        self.config = config
        self.dataset = dataset
        self.run_id = run_id
        self.clock = clock
        #: Called with the run when it ends (finished, stopped or diverged), under its
        #: lock: no one sees an ended run that is not yet recorded.
        self.on_end = on_end
        self._lock = threading.RLock()
        training = config.start(dataset.X_train, dataset.y_train,
                                n_classes=getattr(dataset, "n_classes", None))
        self.net, self.trainer = training.net, training.trainer
        self.n_classes = self.net.n_classes
        self.train_idx, self.X_val, self.y_val = training.train_rows, training.X_val, training.y_val

        self.status = READY
        self.train_seconds = 0.0  # time inside the trainer's steps only
        self.chart_seconds = 0.0  # server time the page spent drawing this run's frames
        self._wall_seconds = 0.0  # see elapsed_seconds
        #: Frames of the live view drawn while this run trained, and the epochs done when
        #: the last was drawn (the Train panel keeps both; a short run waits for frames).
        self.frames = 0
        self.drawn_epochs = 0
        self._last_step_end: float | None = None
        self.message: str | None = None
        self.test_accuracy: float | None = None
        self.train_accuracy: float | None = None

    # ------------------------------------------------------------------ state

    #: Read-only views of the engine's trainer: ``history`` is its ``History`` of this run
    #: (per-epoch lists, lr changes, health), ``epochs_done`` and ``target_epochs`` its
    #: epoch count and target, and its live settings.
    history = property(attrgetter("trainer.history"))
    epochs_done = property(attrgetter("trainer.epoch"))
    target_epochs = property(attrgetter("trainer.epochs"))
    batch_size = property(attrgetter("trainer.batch_size"))
    l2 = property(attrgetter("trainer.l2"))
    lr_changes = property(attrgetter("trainer.history.lr_changes"))
    diverged_at = property(attrgetter("trainer.history.diverged_at"))

    @property
    def learning_rate(self) -> float:
        return float(self.trainer.learning_rate)

    @property
    def n_train(self) -> int:
        return int(self.train_idx.size)

    @property
    def is_active(self) -> bool:
        """Started or ready and not yet over (running, paused or ready)."""
        return self.status in ACTIVE_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def progress(self) -> float:
        """Fraction of the planned epochs done, counting the current partial epoch."""
        return 1.0 if self.status == FINISHED else self.trainer.progress

    @property
    def elapsed_seconds(self) -> float:
        """Wall-clock time of the run so far: time in ``step`` plus the short gaps between
        steps (drawing the charts); pauses and longer absences are not counted."""
        return self._wall_seconds

    @property
    def seconds_left(self) -> float | None:
        """Estimated wall-clock time left, from the pace so far (None before epoch 1)."""
        done = self.trainer.progress * self.target_epochs
        if not self.history.loss or done <= 0:
            return None
        return max(0.0, (self.target_epochs - done) * self.elapsed_seconds / done)

    def status_line(self) -> str:
        """``Epoch 12/30 · lr 0.003 · 0.4 s so far · about 0.6 s left`` (or the final state)."""
        head = _("Epoch {epoch}/{epochs}").format(epoch=self.epochs_done, epochs=self.target_epochs)
        spent = _("{time} so far").format(time=format_seconds(self.elapsed_seconds))
        lr = f"lr {format_lr(self.learning_rate)}"
        if self.status == RUNNING:
            left = self.seconds_left
            tail = (_("estimating time left…") if left is None
                    else _("about {time} left").format(time=format_seconds(left)))
            return f"{head} · {lr} · {spent} · {tail}"
        if self.status == PAUSED:
            return f"{head} · {status_label(PAUSED)} · {lr} · {spent}"
        if self.status == READY:
            return f"{head} · {status_label(READY)}"
        return _("{head} · {status} in {time} ({computing} of it computing{elsewhere})").format(
            head=head, status=status_label(self.status), time=format_seconds(self.elapsed_seconds),
            computing=format_seconds(self.train_seconds), elsewhere=self._elsewhere())

    def _elsewhere(self) -> str:
        """The rest of the wall time, named, and the live view drawn alongside. A run
        trains in its panel's worker thread while the page draws it in another
        (``shell/live.py``), so the only gaps are waits between two pieces of training:
        a short run waiting for the page to draw it (``train_view.train_piece``), a
        click being carried out, or a training slot held by other tabs."""
        text = ""
        rest = self._wall_seconds - self.train_seconds
        if rest >= 0.05:
            text += _(", {time} waiting between pieces of training (for the page to "
                      "draw a short run, a click, or another tab's run)").format(
                time=format_seconds(rest))
        if self.frames:
            text += ngettext(
                "; the live view drew {frames} frame alongside ({time} of the server's time)",
                "; the live view drew {frames} frames alongside ({time} of the server's time)",
                self.frames,
            ).format(frames=self.frames, time=format_seconds(self.chart_seconds))
        return text

    # ------------------------------------------------------------------ controls

    def start(self) -> None:
        with self._lock:
            if self.status in (READY, PAUSED):
                self.status = RUNNING
                self._last_step_end = None

    def pause(self) -> None:
        with self._lock:
            if self.status == RUNNING:
                self.status = PAUSED
                self._last_step_end = None

    def resume(self) -> None:
        with self._lock:
            if self.status == PAUSED:
                self.start()

    def stop(self) -> None:
        """End the run now, keeping the weights as they are."""
        with self._lock:
            if self.is_active:
                self._finish(STOPPED)

    def apply_live(self, config: TrainConfig) -> list[str]:
        """Take learning rate and L2 (from the next batch), batch size (from the next
        epoch) and epochs from ``config``. Returns the names of the fields that changed.

        Epochs below what the run has already done end it at the end of the current
        epoch: the target becomes the epochs done so far, plus the one under way.
        """
        with self._lock:
            return self._apply_live(config)

    def _apply_live(self, config: TrainConfig) -> list[str]:
        changed: list[str] = []
        if not self.is_active:
            return changed
        trainer = self.trainer
        if config.learning_rate != trainer.learning_rate:
            trainer.learning_rate = float(config.learning_rate)
            changed.append("learning_rate")
        floor = max(1, trainer.epoch + (1 if trainer.batch else 0))
        wanted = max(int(config.epochs), floor)
        if wanted != trainer.epochs:
            trainer.epochs = wanted
            changed.append("epochs")
        if config.batch_size != trainer.batch_size:
            trainer.batch_size = int(config.batch_size)
            changed.append("batch_size")
        if config.l2 != trainer.l2:
            trainer.l2 = float(config.l2)
            changed.append("l2")
        return changed

    # ------------------------------------------------------------------ training

    def step(self, budget_seconds: float = 0.2, max_epochs: int | None = 1) -> int:
        """Train while running, for about ``budget_seconds``, ending at the latest at the
        end of ``max_epochs`` epochs (counting the one under way; None: no limit).

        Returns the number of epochs completed. Finishes the run (computing the
        test and train accuracy) once the planned epochs are done.
        """
        with self._lock:  # re-checked inside: a Stop may have come while this waited
            return self._step(budget_seconds, max_epochs)

    def _step(self, budget_seconds: float, max_epochs: int | None) -> int:
        if self.status != RUNNING:
            return 0
        trainer = self.trainer
        start = self.clock()
        if self._last_step_end is not None:
            self._wall_seconds += min(start - self._last_step_end, MAX_GAP_SECONDS)
        epochs_before = trainer.epoch
        max_batches = None
        if max_epochs is not None:
            max_batches = max_epochs * trainer.batches_per_epoch - trainer.batch
        trainer.step(max_batches=max_batches, max_seconds=budget_seconds)
        end = self.clock()
        self.train_seconds += end - start
        self._wall_seconds += end - start
        if trainer.done:
            self._finish(DIVERGED if self.history.diverged else FINISHED)
        self._last_step_end = end if self.status == RUNNING else None
        return trainer.epoch - epochs_before

    def run_to_end(self) -> None:
        """Train synchronously until the planned epochs are done (used for small runs)."""
        self.start()
        while self.status == RUNNING:
            self.step(budget_seconds=math.inf, max_epochs=None)

    def _finish(self, status: str) -> None:
        if self.is_done:  # it ended already (a Stop, or the last epoch): that stands
            return
        self._last_step_end = None
        self.trainer.finish()  # a stopped run ends here for the engine too
        idx = self.train_idx
        if idx.size > 20_000:  # a large sample is as good an estimate and much faster
            idx = np.random.default_rng(0).choice(idx, 20_000, replace=False)
        try:
            with np.errstate(all="ignore"):  # a diverged net's last good weights may be huge
                self.test_accuracy = float(
                    self.net.score(self.dataset.X_test, self.dataset.y_test)
                )
                self.train_accuracy = float(
                    self.net.score(self.dataset.X_train[idx], self.dataset.y_train[idx])
                )
        except ValueError:  # the engine refuses to score when the activations overflow
            self.test_accuracy = self.train_accuracy = None
        if status == DIVERGED:
            epoch, _batch = self.diverged_at or (self.epochs_done + 1, 0)
            lower = [lr for lr in LEARNING_RATES if lr <= self.learning_rate / 5]
            suggestion = format_lr(lower[-1] if lower else LEARNING_RATES[0])
            kept = (
                _("The weights from before that step were kept.")
                if self.is_usable
                else _("Its weights grew too large to read images any more.")
            )
            reason = engine_reason(self.history.diverged_reason
                                   or _("the loss stopped being a finite number"))
            self.message = _(
                "Training diverged in epoch {epoch}: {reason}. {kept} The learning rate "
                "{lr} is too high for these settings: try a lower "
                "learning rate (for example {suggestion}) and press Train again. Draw and Inspect keep "
                "using the previous model, if there was one."
            ).format(epoch=epoch, reason=reason, kept=kept, lr=format_lr(self.learning_rate),
                     suggestion=suggestion)
        # Last: the page reads a run without its lock, and an ended run must show its
        # scores and message from the first frame that sees it ended.
        self.status = status
        if self.on_end is not None:
            self.on_end(self)

    @property
    def is_usable(self) -> bool:
        """Whether the ended run's network can read the test images (not once they overflow it)."""
        return self.test_accuracy is not None

    def record(self) -> RunRecord:
        if not self.is_done:
            raise ValueError("only a finished, stopped or diverged run can be recorded")
        return RunRecord(
            run_id=self.run_id,
            config=replace(self.config),
            history=history_dict(self.history),
            status=self.status,
            epochs_done=self.epochs_done,
            test_accuracy=_or_nan(self.test_accuracy),
            train_accuracy=_or_nan(self.train_accuracy),
            train_seconds=self.train_seconds,
            lr_changes=list(self.lr_changes),
        )


def warm_up_engine() -> None:
    """Load the engine's compiled training kernels now (``nn_core.kernels``; about a
    second), so no one's first run waits for them."""
    from nn_core import kernels

    kernels.warm_up()
