"""Say when a run is not learning, and why, from its settings and measured signals.

A run "at chance" reads the validation images no better than guessing: its
validation accuracy is within ``CHANCE_MARGIN`` of ``1/K`` after
``CHANCE_EPOCHS`` epochs, or its training loss sits flat near ``ln K`` (the loss
of a uniform guess over K classes). The likely causes are read from the
engine's own records (``History.loss``, ``History.health``) and the settings:

* learning rate too high: the loss went up, or ended above ``ln K``, or the
  rate is far above what the optimizer usually wants;
* learning rate too low: the loss has barely moved, at a rate far below what
  the optimizer usually wants;
* vanishing gradients: sigmoid/tanh with two or more hidden layers, and the
  first layer's gradient 20x smaller than the last's, or most units saturated;
* dead ReLUs: most of a layer's units output 0 for every probe image.

Pure functions: no Streamlit, so they are tested directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from playground.common.i18n import _
from playground.common.vocab import (
    CHANCE_EPOCHS,
    CHANCE_MARGIN,
    TrainConfig,
    format_lr,
    optimizer_label,
)

#: Learning rates each optimizer usually works with on these datasets (low, high).
USUAL_LEARNING_RATES = {
    "sgd": (1e-2, 0.5),
    "momentum": (1e-3, 0.1),
    "adagrad": (1e-3, 0.1),
    "rmsprop": (1e-4, 1e-2),
    "adam": (1e-4, 1e-2),
}
FLAT_LOSS = 0.02  # a relative loss change under this over the run counts as flat
VANISHING_RATIO = 0.05  # first-layer gradient norm under this share of the last layer's
STUCK_SHARE = 0.5  # more than this share of a layer's units dead or saturated


def is_at_chance(accuracy: float | None, n_classes: int) -> bool:
    """Whether ``accuracy`` is no better than guessing among ``n_classes`` (within 5 points)."""
    if accuracy is None or not math.isfinite(accuracy):
        return False
    return accuracy <= 1.0 / n_classes + CHANCE_MARGIN


def _loss_is_flat_near_guessing(loss: Sequence[float], n_classes: int) -> bool:
    if len(loss) < CHANCE_EPOCHS:
        return False
    guess = math.log(n_classes)
    start, end = loss[0], loss[-1]
    moved = abs(start - end) / max(abs(start), 1e-12)
    return moved < FLAT_LOSS and abs(end - guess) < 0.1 * guess


def causes(config: TrainConfig, history: Any, n_classes: int) -> list[str]:
    """Likely reasons a run is stuck at chance, most likely first (may be empty)."""
    found: list[str] = []
    loss = list(history.loss)
    low, high = USUAL_LEARNING_RATES.get(config.optimizer, (1e-4, 1.0))
    lr = config.learning_rate
    optimizer = optimizer_label(config.optimizer)
    usual = _("{optimizer} usually wants {format_lr} to {format_lr2}").format(optimizer=optimizer, format_lr=format_lr(low), format_lr2=format_lr(high))
    guess = math.log(n_classes)
    loss_rose = len(loss) >= 2 and loss[-1] > loss[0] * 1.01
    above_guessing = bool(loss) and loss[-1] > guess * 1.05
    moved = abs(loss[0] - loss[-1]) / max(abs(loss[0]), 1e-12) if loss else 0.0
    if lr > high or loss_rose or (above_guessing and lr >= low):
        found.append(
            _("the learning rate {format_lr} is too high: each step overshoots, so the loss "
            "{value} ({usual})").format(format_lr=format_lr(lr), value='rose' if loss_rose else 'cannot fall below guessing', usual=usual)
        )
    elif lr < low and moved < 0.1:
        found.append(
            _("the learning rate {format_lr} is too low: the loss has moved only "
            "{moved:.1%} ({usual})").format(format_lr=format_lr(lr), moved=moved, usual=usual)
        )
    health = list(getattr(history, "health", []))
    last = health[-1] if health else None
    if config.activation in ("sigmoid", "tanh") and len(config.hidden) >= 2 and last:
        norms = last["grad_norms"]
        ratio = norms[0] / norms[-1] if norms[-1] > 0 else 0.0
        saturated = max(last["stuck"], default=0.0)
        if ratio < VANISHING_RATIO or saturated > STUCK_SHARE:
            found.append(
                _("vanishing gradients: with {hidden} {activation} layers the "
                "first layer's gradient is {ratio:.1e} of the last one's").format(hidden=len(config.hidden), activation=config.activation, ratio=ratio)
                + (_(" and {saturated:.0%} of a layer's units are saturated").format(saturated=saturated) if saturated > STUCK_SHARE
                   else "")
                + _("; try ReLU, or Adam, or fewer layers")
            )
    if config.activation in ("relu", "leaky_relu") and last:
        dead = max(last["stuck"], default=0.0)
        if dead > STUCK_SHARE:
            found.append(
                _("dead ReLUs: {dead:.0%} of a hidden layer's units output 0 for every image, so "
                "no gradient reaches them (a too-high learning rate often kills them)").format(dead=dead)
            )
    return found


def chance_warning(config: TrainConfig, history: Any, n_classes: int) -> str | None:
    """A warning for the Train page when the run is at chance, naming the likely causes;
    None while the run learns (or before ``CHANCE_EPOCHS`` epochs)."""
    val_accuracy = list(history.val_accuracy)
    epochs = len(val_accuracy)
    if epochs < CHANCE_EPOCHS:
        return None
    at_chance = is_at_chance(val_accuracy[-1], n_classes)
    if not at_chance and not _loss_is_flat_near_guessing(list(history.loss), n_classes):
        return None
    chance = 1.0 / n_classes
    head = (
        _("After {epochs} epochs the validation accuracy is {val_accuracy:.1%}, about "
        "chance ({chance:.0%} for {n_classes} classes): the network is guessing, not learning.").format(epochs=epochs, val_accuracy=val_accuracy[-1], chance=chance, n_classes=n_classes)
    )
    found = causes(config, history, n_classes)
    if not found:
        return head + _(" Try another learning rate or optimizer.")
    return head + _(" Likely cause: ") + "; ".join(found) + "."


def run_warning(config: TrainConfig, history: Any, n_classes: int) -> str | None:
    """What the Train page warns about: a run at chance (with its likely causes), else
    a layer whose units are mostly dead or saturated while the run still learns a little."""
    warning = chance_warning(config, history, n_classes)
    if warning is not None:
        return warning
    health = list(getattr(history, "health", []))
    if len(history.loss) < 1 or not health:
        return None
    stuck = health[-1]["stuck"]
    worst = max(range(len(stuck)), key=stuck.__getitem__, default=None)
    if worst is None or stuck[worst] <= STUCK_SHARE:
        return None
    kind = _("dead (they output 0 for every image)") if config.activation in (
        "relu", "leaky_relu") else _("saturated (stuck at the flat ends of the curve)")
    return (
        _("{stuck:.0%} of hidden layer {worst}'s units are {kind}: no gradient "
        "flows through them, so they have stopped learning. The learning rate "
        "{format_lr} is probably too high; try a lower one.").format(stuck=stuck[worst], worst=worst + 1, kind=kind, format_lr=format_lr(config.learning_rate))
    )
