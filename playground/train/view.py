"""The Train page's logic, without Streamlit: what a tick trains, what the page says.

The page (``pages/train.py``), its controls (``settings``) and its run panel (``panel``)
lay out widgets and charts and call these.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from playground.common.i18n import _, ngettext
from playground.common.models import activation_and_slope
from playground.common.runs import RunRecord, TrainingRun
from playground.common.vocab import (
    TrainConfig,
    activation_label,
    format_l2,
    format_lr,
    optimizer_label,
)

#: Training per piece of a running run, in its panel's worker thread (``shell/live.py``):
#: the longest a Pause, Stop or learning-rate change waits for the piece under way.
PIECE_SECONDS = 0.05


#: A short run is drawn in at least this many frames, so that it visibly animates.
FRAMES_PER_RUN = 6


def train_piece(run: TrainingRun, piece_seconds: float = PIECE_SECONDS) -> int:
    """One piece of a running ``run``'s training: at most ``piece_seconds``, never across
    an epoch's end; returns the epochs completed. The Train panel's worker repeats it
    while the page draws frames of the run in another thread.

    A short run waits for the page: it trains at most ``ceil(epochs / FRAMES_PER_RUN)``
    epochs past the last frame drawn (``run.drawn_epochs``), so the default digits run
    (30 epochs, 0.7 s) is drawn in 6 frames or more rather than 1. A long run never
    waits: at 10 frames a second it is not that far ahead."""
    ahead = max(1, math.ceil(run.target_epochs / FRAMES_PER_RUN))
    if run.epochs_done - run.drawn_epochs >= ahead:
        time.sleep(0.005)
        return 0
    return run.step(budget_seconds=piece_seconds, max_epochs=1)


def lr_marks(run: TrainingRun) -> list[tuple[float, float]]:
    """The run's learning-rate changes as ``(x in epochs, new value)`` for the loss chart:
    a change first used by batch ``b`` of epoch ``e`` sits at ``e - 1 + (b - 1) / batches``."""
    per_epoch = max(1, run.trainer.batches_per_epoch)
    return [(epoch - 1 + (batch - 1) / per_epoch, value) for epoch, batch, value in run.lr_changes]


def accuracy_delta(run: TrainingRun, runs: Sequence[RunRecord]) -> str | None:
    """``"+1.2 pts vs #3"`` against the previous finished run on the same dataset (a
    digits run's accuracy says nothing about an MNIST one's); None when there is none or
    the difference rounds to zero (then no arrow, neither up nor down)."""
    previous = [
        r for r in runs
        if r.run_id < run.run_id and math.isfinite(r.test_accuracy)
        and r.config.dataset == run.config.dataset
    ]
    if not previous or run.test_accuracy is None:
        return None
    points = (run.test_accuracy - previous[-1].test_accuracy) * 100
    if round(points, 1) == 0:
        return None
    return _("{points:+.1f} pts vs #{run_id}").format(points=points, run_id=previous[-1].run_id)


def start_tip(config: TrainConfig, narrow: bool = False) -> str:
    """What pressing Train will do, for the settings on screen now; ``narrow``: the
    settings are below the chart (a phone), not on the left."""
    layers = _(" and ").join(str(h) for h in config.hidden)
    l2 = "" if config.l2 == 0 else f", L2 {format_l2(config.l2)}"
    tip = ngettext(
        "Press **Train** to start: {n} hidden layer of {layers} {activation} units, "
        "{optimizer} at learning rate {lr}, batch {batch}{l2}, {epochs} epochs, seed {seed}.",
        "Press **Train** to start: {n} hidden layers of {layers} {activation} units, "
        "{optimizer} at learning rate {lr}, batch {batch}{l2}, {epochs} epochs, seed {seed}.",
        len(config.hidden),
    ).format(n=len(config.hidden), layers=layers, activation=activation_label(config.activation),
             optimizer=optimizer_label(config.optimizer), lr=format_lr(config.learning_rate),
             batch=config.batch_size, l2=l2, epochs=config.epochs, seed=config.seed)
    if config == TrainConfig():
        tip += _(" These defaults read about 97% of the digits right after a second or two.")
    return tip + (_(" Change the settings below the chart first, if you like.") if narrow
                  else _(" Change the settings on the left first, if you like."))


def live_change_notes(changed: Sequence[str], run: TrainingRun, asked_epochs: int) -> list[str]:
    """One toast per setting a running run just took on."""
    notes = []
    if "learning_rate" in changed:
        notes.append(
            _("Learning rate is now {lr}: it applies from the next batch.").format(
                lr=format_lr(run.learning_rate))
        )
    if "epochs" in changed:
        if run.target_epochs > asked_epochs:
            notes.append(
                _("This run has already reached epoch {epoch}: it stops at the end "
                  "of this one.").format(epoch=run.target_epochs)
            )
        else:
            notes.append(_("The run now aims for {epochs} epochs.").format(epochs=run.target_epochs))
    if "batch_size" in changed:
        notes.append(_("Batch size {batch} applies from the next epoch.").format(batch=run.batch_size))
    if "l2" in changed:
        notes.append(_("L2 is now {l2}: it applies from the next batch.").format(l2=format_l2(run.l2)))
    return notes


def health_caption(run: TrainingRun) -> str | None:
    """One line on the latest health sample: each layer's gradient norm and stuck units."""
    health: list[dict[str, Any]] = run.history.health
    if not health:
        return None
    last = health[-1]
    norms = ", ".join(f"W{i + 1} {g:.2g}" for i, g in enumerate(last["grad_norms"]))
    stuck = ", ".join(_("layer {layer} {share:.0%}").format(layer=i + 1, share=s)
                      for i, s in enumerate(last["stuck"]))
    if run.config.activation in ("relu", "leaky_relu"):
        return _("Gradient norms: {norms}. Units dead: {stuck}.").format(norms=norms, stuck=stuck)
    return _("Gradient norms: {norms}. Units saturated: {stuck}.").format(norms=norms, stuck=stuck)


#: Validation rows whose first-hidden-layer z values the activation chart shows.
ACTIVATION_ROWS = 64


def activation_view(run: TrainingRun) -> tuple[dict[str, Any], str]:
    """The run's hidden activation and its slope (the engine's own f and f'), with the
    first hidden layer's pre-activations z on ``ACTIVATION_ROWS`` validation rows, as
    keyword arguments of ``figures.activation_curves``, and a caption read off them."""
    rows = run.X_val[:ACTIVATION_ROWS]
    zs, _activations = run.net.forward_trace(rows)
    z = np.asarray(zs[0], dtype=np.float64).ravel()
    low, high = min(-6.0, float(z.min()) - 0.5), max(6.0, float(z.max()) + 0.5)
    grid = np.linspace(low, high, 241)
    f, slope = activation_and_slope(run.config.activation, grid)
    f_at_z, slope_at_z = activation_and_slope(run.config.activation, z)
    name = activation_label(run.config.activation)
    flat = float(np.mean(np.abs(slope_at_z) < 0.01))
    args = {"name": name, "grid": grid, "f": f, "slope": slope, "z": z, "f_at_z": f_at_z,
            "slope_at_z": slope_at_z}
    caption = _(
        "f = {name} (solid) and its slope f′ (dashed), with hidden layer 1's {values:,} "
        "values of z on {images} validation images (the histogram). {flat:.0%} of "
        "them sit where f′ is below 0.01: there a unit passes almost no error back "
        "(saturated, or a dead ReLU)."
    ).format(name=name, values=z.size, images=rows.shape[0], flat=flat)
    return args, caption
