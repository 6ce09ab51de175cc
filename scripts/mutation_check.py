"""Mutation check: does the test suite notice when the code's behaviour changes?

Each entry of ``MUTATIONS`` is a small, deliberate bug: an exact source snippet
(it must occur exactly once in its file) and what to put in its place. For every
mutation the repository is copied to a temporary directory (without ``.venv``,
``.git`` and caches), the bug is put in the copy, and pytest runs the tests that
should catch it there (``-x -q -p no:cacheprovider``, browser tests deselected,
``MLP_PLAYGROUND_REQUIRE_BROWSER`` unset, a time limit per mutation). A failing
test *kills* the mutation; passing tests let it *survive*, which means the suite
has a gap. A snippet that no longer occurs exactly once makes the mutation
*stale*: the code changed and the list must follow it.

Before the mutations, the same test selections run once on an unmutated copy (the
baseline): a mutation only counts as killed if its tests pass without it.

    python scripts/mutation_check.py            # all; exit 0 only if all killed, none stale
    python scripts/mutation_check.py --list     # the mutations and whether their snippets match
    python scripts/mutation_check.py --only adam-beta2 l2-grad-sign --jobs 1

A full run writes ``bench/results/mutation_check.json`` (the table, the timings and
a short text summary); ``--only`` runs write a report only when given ``--report``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "results" / "mutation_check.json"
DEFAULT_TIMEOUT = 300.0
MAX_JOBS = 2  # the machine has two cores; more workers only thrash
# Not copied into the scratch repository: the venv (used in place), VCS data, caches, artefacts.
EXCLUDED = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
            "artifacts", "node_modules", ".mypy_cache"}
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider", "-m", "not browser")


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str
    find: str
    replace: str
    description: str
    #: pytest arguments selecting the tests that must catch it: files, node ids, "-k", "expr"
    tests: tuple[str, ...]
    #: allow browser tests (only for a mutation nothing else can catch)
    browser: bool = False


M = Mutation
GAPS = "tests/project/test_mutation_gaps.py::"  # tests added where a mutation first survived
MUTATIONS: tuple[Mutation, ...] = (
    # ------------------------------------------------------------------ nn_core/optimizers.py
    M("adam-beta2", "nn_core/optimizers.py",
      "beta2=0.999",
      "beta2=0.99",
      "Adam's default beta2 is 0.99 instead of PyTorch's 0.999",
      ("tests/engine/test_optimizers.py",)),
    M("momentum-constant", "nn_core/optimizers.py",
      "momentum=0.9",
      "momentum=0.8",
      "SGD momentum's default mu is 0.8 instead of 0.9",
      ("tests/engine/test_optimizers.py",)),
    M("rmsprop-rho", "nn_core/optimizers.py",
      "rho=0.9,",
      "rho=0.99,",
      "RMSProp's default rho is 0.99 instead of 0.9",
      ("tests/engine/test_optimizers.py",)),
    M("adam-no-bias-correction", "nn_core/optimizers.py",
      "step_size = self.learning_rate * root_bc2 / (1.0 - b1**t)",
      "step_size = self.learning_rate * root_bc2",
      "Adam forgets the first moment's bias correction 1 / (1 - beta1^t)",
      ("tests/engine/test_optimizers.py",)),
    M("adagrad-no-accumulation", "nn_core/optimizers.py",
      "np.add(s_old, self._scratch, out=s)",
      "np.copyto(s, self._scratch)",
      "AdaGrad keeps only the last squared gradient instead of their running sum",
      ("tests/engine/test_optimizers.py",)),
    M("rollback-keeps-step-count", "nn_core/optimizers.py",
      "        self.steps -= 1\n",
      "",
      "Optimizer.rollback() leaves the step counter (Adam's t) one step ahead",
      ("tests/engine/test_optimizers.py",)),
    # ------------------------------------------------------------------ nn_core/activations.py
    M("tanh-backward-noop", "nn_core/activations.py",
      '"tanh": (tanh, tanh_backward),',
      '"tanh": (tanh, identity_backward),',
      "tanh's backward pass does nothing (the derivative 1 - a^2 is skipped)",
      ("tests/engine/test_network.py",)),
    M("sigmoid-derivative", "nn_core/activations.py",
      "    np.subtract(1.0, a, out=scratch)\n    scratch *= a\n",
      "    np.subtract(1.0, a, out=scratch)\n",
      "sigmoid's derivative is 1 - a instead of a (1 - a)",
      ("tests/engine/test_network.py",)),
    M("relu-derivative-everywhere", "nn_core/activations.py",
      "np.greater(a, 0.0, out=scratch)  # scratch holds",
      "np.greater_equal(a, 0.0, out=scratch)  # scratch holds",
      "ReLU's derivative is 1 for inactive units too (a >= 0 always holds)",
      ("tests/engine/test_network.py",)),
    M("leaky-relu-slope", "nn_core/activations.py",
      "LEAKY_SLOPE = 0.01",
      "LEAKY_SLOPE = 0.1",
      "leaky ReLU's negative slope is 0.1 instead of the documented 0.01",
      ("tests/engine/test_network.py",
       GAPS + "test_leaky_relu_has_the_documented_slope_of_one_hundredth")),
    M("softmax-loss-no-picked-logit", "nn_core/activations.py",
      "return float(np.add.reduce(sums, axis=None, dtype=np.float64)) - picked",
      "return float(np.add.reduce(sums, axis=None, dtype=np.float64))",
      "softmax cross-entropy drops the picked-logit term: logsumexp(z) - max instead of "
      "logsumexp(z) - z_y",
      ("tests/engine/test_network.py",)),
    M("bce-no-log1p", "nn_core/activations.py",
      "    total = float(scratch.sum(dtype=np.float64))\n",
      "    total = 0.0\n",
      "sigmoid/BCE loss loses its log1p(exp(-|z|)) term",
      ("tests/engine/test_network.py",)),
    M("softmax-no-max-shift", "nn_core/activations.py",
      "    z -= z.max(axis=1, keepdims=True)\n    np.exp(z, out=z)\n"
      "    z /= z.sum(axis=1, keepdims=True)\n",
      "    np.exp(z, out=z)\n    z /= z.sum(axis=1, keepdims=True)\n",
      "softmax (predict_proba) no longer subtracts the row max, so big logits overflow",
      ("tests/engine/test_network.py",)),
    # ------------------------------------------------------------------ nn_core/kernels.py
    M("kernel-adam-bias-correction", "nn_core/optimizers.py",
      "scalar(1.0 - b1), scalar(b2), scalar(1.0 - b2), scalar(eps),\n"
      "                              scalar(step_size))",
      "scalar(1.0 - b1), scalar(b2), scalar(1.0 - b2), scalar(eps),\n"
      "                              scalar(self.learning_rate))",
      "the fused Adam step drops the bias corrections (steps by the bare learning rate)",
      ("tests/engine/test_kernels.py", "tests/engine/test_optimizers.py")),
    M("kernel-adam-second-moment", "nn_core/kernels.py",
      "vi = v_old[i] * b2 + (g * g) * c2",
      "vi = v_old[i] * b2 + g * c2",
      "the fused Adam step averages g instead of g^2 into the second moment",
      ("tests/engine/test_kernels.py",)),
    M("kernel-relu-hides-nan", "nn_core/kernels.py",
      "value if (value > zero or value != value) else zero",
      "value if value > zero else zero",
      "the fused bias + ReLU turns NaN into 0, hiding a diverging run",
      ("tests/engine/test_kernels.py",)),
    M("kernel-relu-bias-grad-not-reset", "nn_core/kernels.py",
      "    grad_bias[:] = zero\n    for i in range(error.shape[0]):",
      "    for i in range(error.shape[0]):",
      "the hidden bias gradient accumulates over batches instead of starting from 0",
      ("tests/engine/test_kernels.py",)),
    M("kernel-softmax-loss-unshifted", "nn_core/kernels.py",
      "picked = z[i, label] - top",
      "picked = z[i, label]",
      "the fused cross-entropy forgets that the log-sum-exp was shifted by the row max",
      ("tests/engine/test_kernels.py",)),
    M("kernel-softmax-delta-not-scaled", "nn_core/kernels.py",
      "value = z[i, j] * scale",
      "value = z[i, j]",
      "the fused error at the logits is p - y, not (p - y) / m",
      ("tests/engine/test_kernels.py",)),
    M("fused-backprop-weight-not-transposed", "nn_core/network.py",
      "np.matmul(delta, weights[layer].T, out=back)",
      "np.matmul(delta, weights[layer - 1].T[: delta.shape[1], : back.shape[1]], out=back)",
      "the fused path sends the error back through the wrong layer's weights",
      ("tests/engine/test_kernels.py",)),
    # ------------------------------------------------------------------ nn_core/network.py
    M("backprop-weight-not-transposed", "nn_core/network.py",
      "np.matmul(delta, weights[layer].T, out=error)",
      "np.matmul(delta, weights[layer - 1].T[: delta.shape[1], : error.shape[1]], out=error)",
      "backprop sends the error back through the wrong (previous layer's transposed) weights",
      ("tests/engine/test_network.py",)),
    M("output-delta-not-averaged", "nn_core/network.py",
      'scale = 1.0 / m if self.reduction == "mean" else 1.0',
      "scale = 1.0",
      "the error at the logits is p - y, not (p - y) / m: gradients of the sum, not the mean",
      ("tests/engine/test_network.py",)),
    M("l2-grad-sign", "nn_core/network.py",
      "np.multiply(w, l2, out=self._l2_scratch)\n"
      "            self._grad[: self._n_weights] += self._l2_scratch",
      "np.multiply(w, l2, out=self._l2_scratch)\n"
      "            self._grad[: self._n_weights] -= self._l2_scratch",
      "the L2 term's gradient has the wrong sign (weights grow instead of decay)",
      ("tests/engine/test_network.py",)),
    M("l2-penalty-not-halved", "nn_core/network.py",
      "total = 0.5 * l2 * float(np.dot(w, w)) if l2 > 0 else 0.0",
      "total = l2 * float(np.dot(w, w)) if l2 > 0 else 0.0",
      "the L2 penalty is l2 * sum(W^2) instead of l2 / 2 * sum(W^2)",
      ("tests/engine/test_network.py",)),
    M("bias-grad-mean", "nn_core/network.py",
      "np.sum(delta, axis=0, out=self._grad_biases[layer])",
      "np.mean(delta, axis=0, out=self._grad_biases[layer])",
      "bias gradients are divided by the batch size a second time",
      ("tests/engine/test_network.py",)),
    M("he-init-variance", "nn_core/network.py",
      "values = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=weight.shape)",
      "values = rng.normal(0.0, math.sqrt(1.0 / fan_in), size=weight.shape)",
      "He initialisation uses variance 1 / fan_in instead of 2 / fan_in",
      ("tests/engine/test_network.py",)),
    M("predict-argmin", "nn_core/network.py",
      "return self._raw_scores(self._check_X(X)).argmax(axis=1)",
      "return self._raw_scores(self._check_X(X)).argmin(axis=1)",
      "MLP.predict returns the least likely class",
      ("tests/engine/test_network.py", GAPS + "test_predict_is_the_most_likely_class")),
    M("sigmoid-proba-not-renormalised", "nn_core/network.py",
      "proba /= np.maximum(proba.sum(axis=1, keepdims=True), np.finfo(self.dtype).tiny)",
      "proba = proba",
      "predict_proba of a sigmoid-output net returns raw sigmoids that do not sum to 1",
      ("tests/engine/test_network.py",)),
    M("val-loss-without-l2", "nn_core/network.py",
      "return loss + self._penalty(l2, l1), accuracy",
      "return loss, accuracy",
      "evaluate / val_loss leave out the L2 penalty that the training loss includes",
      ("tests/engine/test_network.py", "tests/engine/test_trainer.py",
       GAPS + "test_evaluate_and_validation_loss_include_the_l2_penalty")),
    M("undo-keeps-bad-weights", "nn_core/network.py",
      "        self._current = 1 - self._current\n        self.optimizer_.rollback()\n",
      "        self.optimizer_.rollback()\n",
      "rolling back after a divergence restores the optimizer state but not the weights",
      ("tests/engine/test_validation.py::test_divergence_restores_exactly_the_weights_before_the_bad_step",
       "tests/engine/test_trainer.py")),
    M("lr-change-waits-for-next-epoch", "nn_core/trainer.py",
      "        if settings.learning_rate != self._lr_in_use:\n",
      "        if settings.learning_rate != self._lr_in_use and self.batch == 0:\n",
      "a learning-rate change reaches the optimizer only at the start of the next epoch",
      ("tests/engine/test_trainer.py",)),
    M("net-learning-rate-not-the-trainers", "nn_core/network.py",
      "            trainer.learning_rate = value\n            return\n",
      "            pass\n",
      "setting net.learning_rate during a run bypasses its trainer (the step size changes, "
      "unrecorded)",
      ("tests/engine/test_trainer.py", "tests/engine/test_recipe.py")),
    M("finished-run-forgets-learning-rate", "nn_core/trainer.py",
      "        net.learning_rate = self.learning_rate  # the next run starts where this one ended\n",
      "",
      "a finished run's learning rate is lost: the network's next run starts from an older one",
      ("tests/engine/test_recipe.py",)),
    M("nbytes-skips-batch-buffers", "nn_core/network.py",
      "                arrays += workspace.arrays()\n",
      "                pass\n",
      "MLP.nbytes leaves out the per-batch buffers",
      ("tests/engine/test_memory.py",)),
    # ------------------------------------------------------------------ nn_core/trainer.py
    M("explosion-detection-off", "nn_core/trainer.py",
      "limit = math.inf if self._reference_loss is None else "
      "EXPLOSION_FACTOR * self._reference_loss",
      "limit = math.inf",
      "the trainer never flags a finite but exploding loss",
      ("tests/engine/test_trainer.py",)),
    M("batch-size-mid-epoch", "nn_core/trainer.py",
      "        size = self._epoch_batch_size\n        start = self.batch * size\n",
      "        size = min(self.batch_size, self._epoch_batch_size)\n"
      "        start = self.batch * size\n",
      "a smaller batch size applies mid-epoch instead of from the next epoch",
      ("tests/engine/test_trainer.py",
       GAPS + "test_a_smaller_batch_size_set_mid_epoch_waits_for_the_next_epoch")),
    M("no-reshuffle-per-epoch", "nn_core/trainer.py",
      "order = self.net.permutation(self.n) if self.shuffle else np.arange(self.n)",
      "order = self.__dict__.setdefault('_first_order', self.net.permutation(self.n)) "
      "if self.shuffle else np.arange(self.n)",
      "the trainer shuffles once and reuses the first epoch's order for every epoch",
      ("tests/engine/test_trainer.py",
       GAPS + "test_every_epoch_sees_every_row_once_in_a_fresh_order")),
    M("epoch-loss-not-weighted", "nn_core/trainer.py",
      "self._loss_sum += loss * m",
      "self._loss_sum += loss",
      "history.loss sums batch means instead of averaging per sample (epoch loss far too small)",
      ("tests/engine/test_trainer.py", "tests/engine/test_network.py",
       GAPS + "test_epoch_loss_and_accuracy_are_means_over_the_samples")),
    M("dead-relu-any-row", "nn_core/trainer.py",
      "stuck = np.all(hidden <= 0.0, axis=0)",
      "stuck = np.any(hidden <= 0.0, axis=0)",
      "a ReLU unit counts as dead when it is 0 on any probe row instead of on every row",
      ("tests/engine/test_trainer.py",)),
    # ------------------------------------------------------------------ nn_core/model_io.py
    M("load-accepts-nan", "nn_core/model_io.py",
      "if not np.isfinite(array).all():",
      "if False:",
      "the model loader no longer refuses NaN or infinite weights",
      ("tests/engine/test_model_io.py",)),
    M("load-accepts-wrong-dtype", "nn_core/model_io.py",
      "if array.dtype != dtype:",
      "if False:",
      "the model loader no longer checks that the arrays' dtype matches the metadata",
      ("tests/engine/test_model_io.py",)),
    M("load-accepts-future-version", "nn_core/model_io.py",
      "not 1 <= found <= version",
      "not 1 <= found",
      "the model loader accepts files of a newer format version it can't know",
      ("tests/engine/test_model_io.py", "tests/data/test_personal.py",
       GAPS + "test_a_model_file_of_an_unknown_version_is_refused")),
    M("load-allows-pickle", "nn_core/model_io.py",
      "with np.load(io.BytesIO(data), allow_pickle=False) as archive:",
      "with np.load(io.BytesIO(data), allow_pickle=True) as archive:",
      "the model loader reads pickled (object) arrays",
      ("tests/engine/test_model_io.py",)),
    # ------------------------------------------------------------------ playground/
    M("apply-live-ignores-l2", "playground/common/runs.py",
      '            trainer.l2 = float(config.l2)\n            changed.append("l2")\n',
      '            changed.append("l2")\n',
      "TrainingRun.apply_live says L2 changed but the trainer keeps the old L2",
      ("tests/features/test_playground.py", "tests/features/test_steering.py")),
    M("run-built-without-l2", "nn_core/recipe.py",
      '"learning_rate": self.learning_rate, "l2": self.l2}',
      '"learning_rate": self.learning_rate, "l2": 0.0}',
      "TrainingRun builds its trainer with L2 = 0 whatever the run's L2 (a mid-run change "
      "still applies)",
      ("tests/features/test_run_settings_at_build.py",)),
    M("boundaries-link-sets-train", "playground/shell/navigation.py",
      'TRAIN_SETTINGS_PAGES = ("/", "sweep")',
      'TRAIN_SETTINGS_PAGES = ("/", "sweep", "boundaries")',
      "a Boundaries link's parameters change the Train page's settings",
      ("tests/app/test_app_boundaries.py", "-k", "link")),
    M("stop-without-run-lock", "playground/common/runs.py",
      "        with self._lock:\n            if self.is_active:\n                self._finish(STOPPED)",
      "        if self.is_active:\n            self._finish(STOPPED)",
      "a Stop from another thread finishes the trainer while a step is in flight (the "
      "step then records the run as finished: the Stop is lost)",
      ("tests/features/test_steering.py", "-k", "thread")),
    M("widgets-ignore-l2", "playground/common/vocab.py",
      'l2=float(get("cfg-l2", fallback.l2)),',
      "l2=float(fallback.l2),",
      "config_from_widgets ignores the L2 widget (cfg-l2): Train uses the previous L2",
      (GAPS + "test_config_from_widgets_reads_every_control",
       GAPS + "test_an_l2_changed_just_before_train_is_the_l2_trained",
       "tests/app/test_app_reliability.py::"
       "test_a_setting_changed_just_before_train_is_the_one_trained")),
    M("validation-rows-trained-on", "nn_core/recipe.py",
      "rows=train_rows, validation_data=(X_val, y_val)",
      "rows=None, validation_data=(X_val, y_val)",
      "a run trains on every training row, the held-out validation rows included",
      ("tests/engine/test_recipe.py", "tests/features/test_playground.py", "tests/app/test_app_train.py", "-k",
       "validation or held_out or split")),
    M("validation-on-training-rows", "nn_core/recipe.py",
      "rows=train_rows, validation_data=(X_val, y_val)",
      "rows=train_rows, validation_data=(X[train_rows], y[train_rows])",
      "a run's validation curve is scored on rows it trains on instead of the held-out ones",
      ("tests/engine/test_recipe.py", "tests/features/test_playground.py", "tests/app/test_app_train.py", "-k",
       "validation or held_out or split")),
    M("recipe-validation-share", "nn_core/recipe.py",
      "VALIDATION_FRACTION = 0.1",
      "VALIDATION_FRACTION = 0.2",
      "the recipe holds out a fifth of the training rows instead of the documented tenth",
      ("tests/engine/test_recipe.py",)),
    M("divergence-suggests-same-lr", "playground/common/runs.py",
      "lower = [lr for lr in LEARNING_RATES if lr <= self.learning_rate / 5]",
      "lower = [lr for lr in LEARNING_RATES if lr <= self.learning_rate]",
      "after a divergence the suggested 'lower' learning rate is the same rate",
      ("tests/features/test_playground.py", "tests/features/test_steering.py")),
    M("confusion-swapped", "playground/common/metrics.py",
      "np.add.at(cm, (y_true, y_pred), 1)",
      "np.add.at(cm, (y_pred, y_true), 1)",
      "the confusion matrix counts (predicted, true) instead of (true, predicted)",
      ("tests/features/test_playground.py",)),
    M("drawing-argmin", "playground/draw/drawing.py",
      "return DrawingReading(int(np.argmax(probabilities)), probabilities, image)",
      "return DrawingReading(int(np.argmin(probabilities)), probabilities, image)",
      "Draw predicts the least likely digit",
      ("tests/features/test_playground.py",)),
    M("url-hidden-size-unchecked", "playground/common/urlstate.py",
      "if any(s not in vocab.LAYER_SIZES for s in sizes):",
      "if False:",
      "a URL's hidden layer sizes are no longer checked against the offered sizes",
      ("tests/features/test_steering.py",)),
    M("url-epochs-unbounded", "playground/common/urlstate.py",
      '"epochs": QueryField("epochs", int_between(1, vocab.MAX_EPOCHS), str),',
      '"epochs": QueryField("epochs", int_between(0, 10**9), str),',
      "a URL's epochs are no longer limited to 1..MAX_EPOCHS",
      ("tests/features/test_steering.py",)),
    M("session-ttl-ignored", "playground/common/sessions.py",
      "cutoff = self.clock() - self.ttl_seconds",
      'cutoff = float("-inf")',
      "the session store never expires a tab (TTL ignored)",
      ("tests/features/test_steering.py",)),
    M("session-get-no-refresh", "playground/common/sessions.py",
      "            self._items[token] = (self.clock(), item[1])\n"
      "            self._items.move_to_end(token)\n            return item[1]\n",
      "            return item[1]\n",
      "reading a tab from the session store does not count as using it (no LRU/TTL refresh)",
      ("tests/features/test_steering.py",)),
    M("sessions-skip-rooms", "playground/common/sessions.py",
      "            found.extend(networks())\n",
      "            pass\n",
      "the session store's count of a tab leaves out the networks in its features' rooms",
      ("tests/engine/test_memory.py",)),
    M("chance-margin", "playground/common/diagnosis.py",
      "return accuracy <= 1.0 / n_classes + CHANCE_MARGIN",
      "return accuracy <= 1.0 / n_classes + 2 * CHANCE_MARGIN",
      "'at chance' means within 10 points of guessing instead of 5",
      ("tests/features/test_steering.py",)),
    M("chance-verdict-too-early", "playground/common/diagnosis.py",
      "    if epochs < CHANCE_EPOCHS:\n        return None\n",
      "    if epochs < 1:\n        return None\n",
      "the chance warning is given before CHANCE_EPOCHS epochs",
      ("tests/features/test_steering.py",
       GAPS + "test_no_chance_verdict_before_five_epochs_even_when_guessing")),
    M("accuracy-delta-plus-zero", "playground/train/view.py",
      "    if round(points, 1) == 0:\n        return None\n",
      "",
      "accuracy_delta shows '+0.0 pts' (an arrow) when nothing changed",
      ("tests/features/test_steering.py",)),
    M("lr-marks-off-by-one", "playground/train/view.py",
      "(epoch - 1 + (batch - 1) / per_epoch, value)",
      "(epoch - 1 + batch / per_epoch, value)",
      "the loss chart's learning-rate marks sit one batch late",
      ("tests/features/test_steering.py",)),
    M("infer-dataset-any-outputs", "playground/common/models.py",
      "if len(sizes) < 2 or sizes[-1] != 10:",
      "if len(sizes) < 2:",
      "an uploaded model with other than 10 outputs is taken for a digits/MNIST model",
      ("tests/features/test_playground.py",)),
    # ------------------------------------------------------------------ pages/
    M("live-x-range-keeps-target", "playground/train/figures.py",
      "last = max(epochs_done, target_epochs if running else 0, 1)",
      "last = max(epochs_done, target_epochs, 1)",
      "after a run stops early the epoch axis still runs to the target epoch",
      ("tests/features/test_figures.py", "-k", "shrinks_to_the_epochs_done")),
    M("live-stream-resends-everything", "playground/shell/livechart/__init__.py",
      "start = 0 if key else min(self.sent.get(chart_id, 0), len(xs))",
      "start = 0",
      "the live view is sent every point on every frame, not only the new ones",
      ("tests/features/test_figures.py", "-k", "only_new_points")),
    M("output-heatmap-from-1", "playground/train/figures.py",
      '"to_names": [str(c) for c in class_names] if last and class_names is not None else None,',
      '"to_names": None,',
      "the Train page's output heatmap numbers the classes 1-10 instead of 0-9",
      ("tests/app/test_app_train.py", "-k", "default_run_has_no_warning")),
    M("train-page-skips-apply-live", "pages/train.py",
      "train_view.live_change_notes(run.apply_live(config), run, config.epochs)",
      "train_view.live_change_notes([], run, config.epochs)",
      "the Train page never hands changed settings to the running run",
      ("tests/app/test_app.py", "-k", "live_learning_rate")),
    M("inspect-gallery-swapped", "pages/inspect.py",
      "        dataset.y_test[shown],\n        evaluation.predicted[shown],\n",
      "        evaluation.predicted[shown],\n        dataset.y_test[shown],\n",
      "Inspect's gallery swaps the true and predicted labels",
      ("tests/app/test_app_pages.py", "-k", "inspect")),
    M("inspect-hardest-class-argmax", "pages/inspect.py",
      "weakest = int(np.nanargmin(evaluation.class_accuracy))",
      "weakest = int(np.nanargmax(evaluation.class_accuracy))",
      "Inspect's 'Hardest class' is the class read best",
      ("tests/app/test_app_pages.py", "-k", "inspect")),
    # ----------------------------------------------- the engine's newer options
    M("l1-grad-sign", "nn_core/network.py",
      "            self._l2_scratch *= l1\n",
      "            self._l2_scratch *= -l1\n",
      "the L1 term's gradient has the wrong sign",
      ("tests/engine/test_engine_options.py",)),
    M("no-bias-still-learns-biases", "nn_core/network.py",
      "            self._grad[self._n_weights :] = 0.0  # biases held at zero\n",
      "            pass  # biases held at zero\n",
      "bias=False nets still move their biases",
      ("tests/engine/test_engine_options.py",)),
    M("mse-softmax-jacobian", "nn_core/activations.py",
      "            scratch -= dot\n",
      "            scratch -= 0 * dot\n",
      "the quadratic cost's softmax Jacobian drops its sum_k a_k g_k term",
      ("tests/engine/test_engine_options.py",)),
    M("score-gradient-skips-first-layer", "nn_core/network.py",
      "            error = delta @ self.weights[layer].T\n",
      "            error = delta @ self.weights[max(layer, 1)].T if layer else delta[:, :1] * 0 + delta.sum()\n",
      "score_gradient does not carry the error back through the first layer's weights",
      ("tests/engine/test_network.py", "-k", "score_gradient")),
    M("sample-weight-ignored-in-loss", "nn_core/activations.py",
      "    return float(np.add.reduce(rows * weights, dtype=np.float64))",
      "    return float(np.add.reduce(rows, dtype=np.float64))",
      "sample weights are ignored by the loss",
      ("tests/engine/test_engine_weights.py",)),
    M("feature-sin-is-cos", "nn_core/data/datasets2d.py",
      "    return np.sin(X[:, column])",
      "    return np.cos(X[:, column])",
      "the Boundaries page's sin x features compute cos",
      ("tests/data/test_datasets2d.py",)),
    M("sweep-worker-unnamed", "nn_core/sweep.py",
      '    result["worker"] = worker_name()',
      '    result["worker"] = "local"',
      "a sweep result no longer says where it was computed",
      ("tests/engine/test_sweep.py",)),
    # ----------------------------------------------- a newcomer's defects (Draw, Inspect, ...)
    M("draw-blank-grid-8x8", "pages/draw.py",
      "blank_shape=drawing.input_shape(model.net, model.dataset),",
      "blank_shape=(8, 8),",
      "Draw's blank canvas shows an 8x8 'what the network sees' whatever the model reads",
      ("tests/app/test_draw_page.py", "-k", "blank_canvas")),
    M("draw-result-survives-clear", "playground/draw/teach.py",
      "return self.result if canvas_version == self.result_canvas else None",
      "return self.result",
      "after Clear, the last Fine-tune's 'This drawing ... was ...' stays on screen",
      ("tests/features/test_teach.py::test_a_fine_tune_result_describes_only_the_canvas_it_read",
       "tests/app/test_draw_page.py::"
       "test_a_blank_canvas_shows_the_models_own_input_and_clear_drops_the_old_result")),
    M("draw-no-toolbar-room", "pages/draw.py",
      "            st.space(TOOLBAR_ROOM)\n",
      "",
      "the canvas's toolbar, risen on hover, covers the caption under the Prediction",
      ("tests/browser/test_browser_layout.py", "-k", "toolbar"), browser=True),
    M("draw-pills-scroll", "playground/draw/panels.py",
      "            wrap=True,\n",
      "            wrap=None,\n",
      "on a phone, 'Wrong? It's a …' scrolls its 9 out of sight instead of wrapping",
      ("tests/browser/test_browser_layout.py", "-k", "whole"), browser=True),
    M("inspect-gallery-fixed-columns", "playground/inspect/gallery.py",
      "repeat(auto-fill, minmax(6.5rem, 1fr))",
      "repeat(8, 1fr)",
      "Inspect's gallery keeps eight columns on a phone (tiny images, squeezed titles)",
      ("tests/browser/test_browser_layout.py", "-k", "inspect"), browser=True),
    M("backprop-loss-fixed-decimals", "playground/learn/backprop_view.py",
      'return "—" if value is None else bp.number_text(value)',
      'return "—" if value is None else f"{value:.4f}"',
      "Backprop's loss metrics show 4 decimals (0.0003) instead of 4 significant digits",
      ("tests/features/test_learn.py", "-k", "loss_texts")),
    M("backprop-change-fixed-decimals", "playground/learn/backprop_view.py",
      "text = bp.number_text(after - before)",
      'text = f"{after - before:.4f}"',
      "Backprop's loss change shows 4 decimals ('-0.0000') instead of 4 significant digits",
      ("tests/features/test_learn.py", "-k", "loss_texts")),
    M("backprop-delta2-shown-fused", "playground/learn/backprop.py",
      '"delta2_factors": chain(output, dcdp, slope),',
      '"delta2_factors": p - y,',
      "Backprop's product of dC/dp and sigma'(z2) is the fused p - y: the quadratic cost's "
      "shrink by sigma' is hidden",
      ("tests/features/test_backprop.py", "-k", "quadratic")),
    M("backprop-quadratic-dcdp-wrong", "playground/learn/backprop.py",
      "    if output == \"quadratic\":\n        return p - y\n",
      "    if output == \"quadratic\":\n        return (p - y) * p * (1.0 - p)\n",
      "Backprop's dC/dp for the quadratic cost already carries sigma' (counted twice)",
      ("tests/features/test_backprop.py", "-k", "quadratic")),
    M("backprop-output-slope-ones", "playground/learn/backprop.py",
      '    act.DERIVATIVES["sigmoid"](p.copy(), slope, np.empty_like(p))\n',
      "",
      "Backprop's sigma'(z2) row shows ones: the sigmoid's slope is never applied",
      ("tests/features/test_backprop.py", "-k", "quadratic or cancels")),
    M("backprop-shrink-note-always-cancels", "playground/learn/backprop_view.py",
      "if np.allclose(ratios, 1.0, rtol=0.0, atol=1e-9):",
      "if True:",
      "Backprop says sigma' cancelled even under the quadratic cost, where its numbers show "
      "delta2 shrunk",
      ("tests/features/test_backprop.py", "-k", "quadratic")),
    M("backprop-batch-of-one", "playground/learn/backprop.py",
      "    rows = rows[:batch_size]\n",
      "    rows = rows[:1]\n",
      "Backprop's batch of 4 holds only the person's sample",
      ("tests/features/test_backprop.py", "-k", "batch")),
    M("backprop-batch-sum-not-mean", "playground/learn/backprop.py",
      "name: relative_difference(grads[part].mean(axis=0).reshape(grads[name].shape),",
      "name: relative_difference(grads[part].sum(axis=0).reshape(grads[name].shape),",
      "Backprop compares the samples' summed gradients (tutorial 3.3's accumulation) with the "
      "engine's mean and reports them apart",
      ("tests/features/test_backprop.py", "-k", "batch")),
    M("backprop-diagram-one-based-edges", "playground/learn/figures.py",
      'name = f"{weight_names[layer]}[{i},{j}]"',
      'name = f"{weight_names[layer]}[{i + 1},{j + 1}]"',
      "Backprop's diagram numbers its weights from 1 while the page's matrices count from 0",
      ("tests/features/test_backprop.py", "-k", "indices")),
    M("backprop-diagram-one-based-nodes", "playground/learn/figures.py",
      'label = f"{layer_names[layer]}[{k}]"',
      'label = f"{layer_names[layer]}[{k + 1}]"',
      "Backprop's diagram numbers its nodes from 1: label 0 is p[1]",
      ("tests/features/test_backprop.py", "-k", "indices")),
    M("backprop-diagram-old-nodes-after-update", "playground/learn/backprop_view.py",
      'hidden, output = ("a1_after", "p_after") if updated else ("a1", "p")',
      'hidden, output = ("a1", "p")',
      "After Update, Backprop's diagram draws the new weights with the old node values",
      ("tests/features/test_backprop.py", "-k", "diagram_nodes")),
    M("activation-caption-counts-the-live", "playground/learn/backprop.py",
      "return int(np.count_nonzero(np.asarray(slopes) < STUCK_SLOPE))",
      "return int(np.count_nonzero(np.asarray(slopes) > STUCK_SLOPE))",
      "the activation plot's caption counts the units that pass the error as stuck ones",
      ("tests/features/test_backprop.py", "-k", "activation_view")),
    M("activation-plot-no-rug", "playground/common/figures.py",
      "        if z.size <= max_points:\n",
      "        if z.size < 0:\n",
      "the activation plot draws a few z values as a histogram, not each one on the curves",
      ("tests/features/test_backprop.py", "-k", "activation")),
    M("colours-red-blue-again", "playground/common/figures.py",
      "DIVERGING = ((0.0, NEGATIVE), (0.5, ZERO), (1.0, POSITIVE))",
      'DIVERGING = "RdBu_r"',
      "the weight pictures go back to red for positive while Boundaries draws positive blue",
      ("tests/features/test_figures.py", "-k", "weight or sign or convention")),
    M("colours-boundaries-palette-swapped", "playground/boundaries/figures.py",
      'PALETTE = {"positive": POSITIVE, "negative": NEGATIVE,',
      'PALETTE = {"positive": NEGATIVE, "negative": POSITIVE,',
      "the Boundaries canvas draws positive weights orange, unlike every other page",
      ("tests/features/test_figures.py", "-k", "convention")),
    # ------------------------------------------- the Learn pages' claims (Optimizers, Fix)
    M("valley-momentum-default-swings", "playground/learn/optimizer_race.py",
      '            steps=150,\n            momentum=0.5,\n        ),\n        Surface(\n'
      '            key="rotated-valley",',
      '            steps=150,\n            momentum=0.9,\n        ),\n        Surface(\n'
      '            key="rotated-valley",',
      "the valley's Momentum default swings across it (mu 0.9): slower than SGD, against "
      "the page's words",
      ("tests/features/test_learn.py", "-k", "default_races")),
    M("rotated-valley-not-rotated", "playground/learn/optimizer_race.py",
      "    along, across = ROTATION * (x + y), ROTATION * (y - x)\n    return _valley_value",
      "    along, across = x, y\n    return _valley_value",
      "the rotated valley's contours are the axis-aligned valley's (its gradient is not)",
      ("tests/features/test_learn.py", "-k", "rotated")),
    M("saddle-left-when-inside", "playground/learn/optimizer_race.py",
      "out = np.flatnonzero(np.abs(path.points[:, axis]) > far)",
      "out = np.flatnonzero(np.abs(path.points[:, axis]) < far)",
      "'left the saddle at step' counts the steps still on it",
      ("tests/features/test_learn.py", "-k", "saddle")),
    M("network-race-chooses-on-test", "playground/learn/optimizer_race.py",
      "validation_data=validation, health_samples=0,",
      "validation_data=self._test, health_samples=0,",
      "the network race picks its best epoch and epochs to 95% on the test set",
      ("tests/features/test_learn.py", "-k", "network_race_same_start")),
    M("tutorial-learning-rate-ignored", "playground/learn/tutorial_fix.py",
      "learning_rate=check_learning_rate(learning_rate),",
      "learning_rate=LEARNING_RATE,",
      "Fix the tutorial's learning-rate control never reaches the trainer",
      ("tests/features/test_learn.py", "-k", "learning_rate_reaches")),
    M("tutorial-mean-text-helps", "playground/learn/tutorial_fix.py",
      '"rate the mean takes an n times smaller step; the learning rate must then grow "\n'
      '        "about n-fold to keep the step."',
      '"rate the mean takes a sensible step."',
      "the 'mean' text reads as if it helps at the fixed rate, not that the rate must grow",
      ("tests/features/test_learn.py", "-k", "words_follow")),
    M("tutorial-verdict-hides-harm", "playground/learn/tutorial_fix.py",
      "    if change <= -0.01:\n",
      "    if change <= -1.0:\n",
      "a fix that costs points is called 'no measurable difference'",
      ("tests/features/test_learn.py", "-k", "words_follow")),
    M("tutorial-effective-step-ignores-mean", "playground/learn/tutorial_fix.py",
      'return lr if "mean" in chosen else lr * batch_rows(chosen, n_train)',
      "return lr * batch_rows(chosen, n_train)",
      "the effective step stays lr x rows when the gradient is averaged",
      ("tests/features/test_learn.py", "-k", "words_follow")),
    M("tutorial-no-change-green-arrow", "pages/fix_tutorial.py",
      'delta_arrow="off" if change == 0 else "auto",',
      'delta_arrow="auto",',
      "'+0.0 points' shows an up-arrow",
      ("tests/app/test_learn_pages.py", "-k", "green")),
    M("tutorial-legend-long-names", "pages/fix_tutorial.py",
      'series.append((_("{label}, seed {seed}").format(label=old.short_label, seed=old.seed),',
      'series.append((_("{label}, seed {seed}").format(label=old.label, seed=old.seed),',
      "the curves' legend names start with the shared 'One-hot labels + …' and get cut off",
      ("tests/app/test_learn_pages.py", "-k", "cheapest")),
    M("race-controls-on-the-ticks", "playground/learn/figures.py",
      'below = -CONTROLS_GAP / (height - margin["t"] - margin["b"])',
      "below = 0.0",
      "Plotly's Play/Pause and step slider sit on the race chart's x-axis ticks",
      ("tests/browser/test_browser_learn.py", "-k", "optimizers_layout"), browser=True),
    M("race-axes-unequal", "playground/learn/figures.py",
      '"scaleanchor": "x", "scaleratio": 1, ',
      "",
      "the valley is drawn with unequal units: squeezed into near-circles on a phone",
      ("tests/browser/test_browser_learn.py", "-k", "optimizers_layout"), browser=True),
    M("colours-diagram-edges-own-scale", "playground/learn/figures.py",
      'line={"color": sign_colour(value, limit, floor=0.2),',
      'line={"color": "#d62728" if value >= 0 else "#1f77b4",',
      "Backprop's diagram colours its edges red + and blue -, against its legend",
      ("tests/features/test_figures.py", "-k", "convention")),
    M("upload-boundaries-generic-message", "playground/common/models.py",
      "            raise ModelFileError(plane)\n",
      "            pass\n",
      "a Boundaries model in the sidebar gets the generic 'use Download model' refusal",
      ("tests/app/test_app_pages.py", "-k", "boundaries")),
    # ----------------------------------------------- the live loop (playground/shell/live.py)
    M("live-click-counted-twice", "playground/shell/live.py",
      "            if any(queued == name for queued, _ in self.clicks):\n"
      "                return False\n",
      "",
      "a click that reaches the server twice (fragment timer, then its own message) is "
      "carried out twice: a Pause pauses, then resumes",
      ("tests/features/test_live.py",)),
    M("live-fragment-carries-out-clicks", "playground/shell/live.py",
      "    if live():\n        with _slot(slot_wait) as slot:\n",
      "    state.carry_out()\n    if live():\n        with _slot(slot_wait) as slot:\n",
      "a fragment run carries out queued clicks (the first of two deliveries acts at once)",
      ("tests/features/test_live.py",)),
    M("live-stale-page-kept", "playground/shell/live.py",
      "        return live_now != self.drawn_live\n",
      "        return False\n",
      "a frame that finds the page drawn for another state (run ended, paused elsewhere) "
      "never asks for a full rerun: buttons and sidebar stay stale",
      ("tests/features/test_live.py",)),
    M("live-steps-without-slot", "playground/shell/live.py",
      "            if slot:\n                step(checkpoint)\n",
      "            step(checkpoint)\n",
      "a frame trains even when every training slot is busy with other tabs",
      ("tests/features/test_live.py",)),
    # ----------------------------------------------- the Sweep page's time estimate
    M("sweep-batch-wall-clock", "nn_core/sweep.py",
      "        started = time.thread_time()\n"
      "        count = trainer.step(max_batches=50, max_seconds=budget)\n"
      "        seconds = time.thread_time() - started\n",
      "        started = time.perf_counter()\n"
      "        count = trainer.step(max_batches=50, max_seconds=budget)\n"
      "        seconds = time.perf_counter() - started\n",
      "a batch is timed on the wall clock: in the server, other sessions' threads count too "
      "(the Sweep estimate 4-6x too high)",
      ("tests/engine/test_sweep.py", "-k", "another_thread")),
    M("sweep-estimate-ignores-pace", "playground/sweep/view.py",
      "        speed.pace * config_seconds(",
      "        config_seconds(",
      "the Sweep estimate ignores how busy the machine is and what the last sweep measured",
      ("tests/features/test_sweep_view.py", "-k", "teaches")),
    M("sweep-busy-pace-one", "playground/sweep/view.py",
      "    return max(1.0, (load + max(1, n_workers)) / (os.cpu_count() or 1))",
      "    return 1.0",
      "the Sweep estimate ignores the other programs running (the load average)",
      ("tests/features/test_sweep_view.py", "-k", "busy_machine")),
    M("sweep-learns-nothing", "playground/sweep/view.py",
      "                self.learn(self.results, self.seconds)",
      "                pass",
      "a finished sweep does not teach the next estimate this machine's speed",
      ("tests/features/test_sweep_view.py", "-k", "teaches")),
    # ----------------------------------------------- Train's run summary
    M("train-delta-across-datasets", "playground/train/view.py",
      "        and r.config.dataset == run.config.dataset\n",
      "",
      "Train's '+2.9 pts vs #1' compares a digits run with an MNIST-sample run",
      ("tests/features/test_steering.py", "-k", "accuracy_delta")),
    M("train-summary-hides-waiting", "playground/common/runs.py",
      "        rest = self._wall_seconds - self.train_seconds\n",
      "        rest = 0.0\n",
      "Train's 'finished in 1.4 s (0.2 s computing, 4% drawing)' leaves the waits between "
      "pieces of training unnamed",
      ("tests/features/test_playground.py", "-k", "accounts_for_all")),
    M("train-frames-uncounted", "playground/common/runs.py",
      "        if self.frames:\n",
      "        if False:\n",
      "Train's summary cannot say how many frames the live view drew alongside",
      ("tests/features/test_playground.py", "-k", "accounts_for_all")),
    # ----------------------------------------------- the live loop's worker
    M("worker-unwatched", "playground/shell/live.py",
      "            while live() and self.watched:",
      "            while live():",
      "a closed tab's run trains on to its end (no frame asks for it any more)",
      ("tests/features/test_live.py", "-k", "no_frame_asks")),
    M("worker-started-twice", "playground/shell/live.py",
      "            if self.thread is not None and self.thread.is_alive():\n                return\n",
      "",
      "every frame starts another worker thread on the same run",
      ("tests/features/test_live.py", "-k", "trains_while_frames_come")),
    M("worker-trains-during-page-run", "playground/shell/live.py",
      "                if self.clock() < self.page_run_until:",
      "                if False:",
      "the worker trains while a click's full page run draws the page (the answer slows)",
      ("tests/features/test_live.py", "-k", "rests_while")),
    M("worker-error-lost", "playground/shell/live.py",
      "            self.error = exc",
      "            pass",
      "an exception in the background work vanishes: the run silently stops training",
      ("tests/features/test_live.py", "-k", "error_in_the_work")),
    # ----------------------------------------------- phones: the action next to what it changes
    M("phone-settings-first", "playground/shell/layout.py",
      "{{ order: -1; }}",
      "{{ order: 0; }}",
      "on a phone the settings come first: Train's button 1,200 px down, Play two screens "
      "above its boundary",
      ("tests/browser/test_browser_phone_layout.py", "-k", "phone"), browser=True),
    M("phone-tip-says-left", "pages/train.py",
      "narrow=lambda: st.info(train_view.start_tip(config, narrow=True),",
      "narrow=lambda: st.info(train_view.start_tip(config),",
      "on a phone Train's start tip sends you to settings 'on the left' (they are below)",
      ("tests/browser/test_browser_phone_layout.py", "-k", "train_and_sweep and phone"), browser=True),
    M("phone-boundary-after-network", "playground/boundaries/component.py",
      'grid-template-areas: "out" "net" "curves" "cm"; }',
      'grid-template-areas: "net" "out" "curves" "cm"; }',
      "on a phone the network diagram comes between Play and the boundary",
      ("tests/browser/test_browser_phone_layout.py", "-k", "boundaries and phone"), browser=True),
    M("phone-buttons-one-a-line", "playground/shell/layout.py",
      "{{ min-width: calc({share} - 1rem); }}",
      "{{ }}",
      "on a phone every button and metric takes a line of its own: Play's boundary a "
      "screen further down",
      ("tests/browser/test_browser_phone_layout.py", "-k", "boundaries and phone"), browser=True),
)


# ---------------------------------------------------------------------------- running


@dataclass
class Result:
    id: str
    status: str  # killed | survived | stale | error
    seconds: float = 0.0
    returncode: int | None = None
    caught_by: str | None = None
    detail: str = ""


def occurrences(mutation: Mutation, root: Path = ROOT) -> int:
    path = root / mutation.file
    if not path.is_file():
        return 0
    return path.read_text(encoding="utf-8").count(mutation.find)


def _ignore(directory: str, names: list[str]) -> set[str]:
    ignored = {n for n in names if n in EXCLUDED or n.endswith((".pyc", ".egg-info"))}
    if Path(directory).resolve() == ROOT / "bench" / "results":
        ignored |= {n for n in names if n.endswith(".tmp")}
    return ignored


def copy_repo(dest: Path, attempts: int = 3) -> Path:
    """A copy of the working tree (uncommitted changes included) under ``dest``."""
    target = dest / "repo"
    for attempt in range(attempts):
        try:
            shutil.copytree(ROOT, target, ignore=_ignore, symlinks=True)
            return target
        except (shutil.Error, OSError):  # a file moved or vanished while it was copied
            shutil.rmtree(target, ignore_errors=True)
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def _env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MLP_PLAYGROUND_REQUIRE_BROWSER", None)
    env["PYTHONPATH"] = str(repo)  # the copy's packages, never the checkout's
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")  # two workers on two cores: one BLAS thread each
    return env


_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()


def run_pytest(repo: Path, selection: tuple[str, ...], browser: bool,
               timeout: float) -> tuple[int | None, str, float]:
    """Run pytest in ``repo``; returns (returncode or None on timeout, output, seconds)."""
    options = list(PYTEST_ARGS)
    if browser:  # the marker filter goes, not the interpreter's own "-m pytest"
        at = options.index("-m")
        del options[at:at + 2]
    args = [sys.executable, "-m", "pytest", *options, *selection]
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=repo, env=_env(repo), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    with _RUNNING_LOCK:
        _RUNNING.add(process)
    try:
        output, _ = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        _kill(process)
        output, _ = process.communicate()
        code = None
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(process)
    return code, output or "", time.perf_counter() - started


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # pytest and anything it started
    except (ProcessLookupError, PermissionError):
        pass


def _first_failure(output: str) -> str | None:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0].split(" ", 1)[1]
    return None


def _tail(output: str, lines: int = 12) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def check_mutation(mutation: Mutation, timeout: float, baseline_ok: dict) -> Result:
    started = time.perf_counter()
    count = occurrences(mutation)
    if count != 1:
        return Result(mutation.id, "stale",
                      detail=f"the snippet occurs {count} times in {mutation.file}, not once")
    key = (mutation.tests, mutation.browser)
    if key in baseline_ok and not baseline_ok[key]:
        return Result(mutation.id, "error", detail="its tests fail without the mutation")
    with tempfile.TemporaryDirectory(prefix=f"mutation-{mutation.id}-") as scratch:
        repo = copy_repo(Path(scratch))
        path = repo / mutation.file
        source = path.read_text(encoding="utf-8")
        if source.count(mutation.find) != 1:  # the file changed between the check and the copy
            return Result(mutation.id, "stale", detail="the snippet changed while copying")
        mutated = source.replace(mutation.find, mutation.replace, 1)
        try:
            compile(mutated, str(path), "exec")
        except SyntaxError as exc:
            return Result(mutation.id, "error", detail=f"the mutated file does not compile: {exc}")
        path.write_text(mutated, encoding="utf-8")
        code, output, _ = run_pytest(repo, mutation.tests, mutation.browser, timeout)
    seconds = time.perf_counter() - started
    if code is None:
        return Result(mutation.id, "error", seconds, None,
                      detail=f"timed out after {timeout:g} s\n{_tail(output)}")
    if code == 0:
        return Result(mutation.id, "survived", seconds, 0, detail=_tail(output, 3))
    if code in (1, 2):  # 1: a test failed; 2: collection/import failed (e.g. at import time)
        return Result(mutation.id, "killed", seconds, code, caught_by=_first_failure(output),
                      detail=_tail(output, 3))
    return Result(mutation.id, "error", seconds, code, detail=_tail(output))


def run_baseline(selections: list[tuple[tuple[str, ...], bool]], timeout: float,
                 pool: concurrent.futures.Executor) -> dict:
    """Each distinct test selection once on an unmutated copy: {(tests, browser): passed}."""
    scratch = tempfile.TemporaryDirectory(prefix="mutation-baseline-")
    try:
        repo = copy_repo(Path(scratch.name))
        futures = {pool.submit(run_pytest, repo, tests, browser, timeout): (tests, browser)
                   for tests, browser in selections}
        results = {}
        for future in concurrent.futures.as_completed(futures):
            code, output, seconds = future.result()
            key = futures[future]
            results[key] = {"passed": code == 0, "seconds": seconds,
                            "returncode": code, "tail": "" if code == 0 else _tail(output)}
        return results
    finally:
        scratch.cleanup()


# ---------------------------------------------------------------------------- reporting


def _selection_text(tests: tuple[str, ...]) -> str:
    return " ".join(tests).replace("tests/", "")


def print_table(mutations: list[Mutation], results: dict[str, Result]) -> None:
    width = max(len(m.id) for m in mutations)
    print(f"\n{'mutation':<{width}}  {'status':<8}  {'time':>6}  file / caught by")
    print("-" * (width + 60))
    for m in mutations:
        r = results[m.id]
        where = r.caught_by or (r.detail.splitlines()[0] if r.status != "killed" and r.detail
                                else m.file)
        print(f"{m.id:<{width}}  {r.status:<8}  {r.seconds:5.1f}s  {m.file}: {where}")


def summary_lines(results: list[Result], total: float, jobs: int, baseline_seconds: float,
                  n_playground: int) -> list[str]:
    counts = {s: sum(r.status == s for r in results) for s in ("killed", "survived", "stale",
                                                              "error")}
    lines = [
        f"{len(results)} mutations ({n_playground} in playground/ and pages/): "
        f"{counts['killed']} killed, {counts['survived']} survived, {counts['stale']} stale, "
        f"{counts['error']} errors.",
        f"Wall time {total:.0f} s with {jobs} worker(s), of which baseline {baseline_seconds:.0f} s; "
        f"mutation runs took {sum(r.seconds for r in results):.0f} s of worker time.",
    ]
    slow = sorted(results, key=lambda r: -r.seconds)[:3]
    lines.append("Slowest: " + ", ".join(f"{r.id} {r.seconds:.1f} s" for r in slow) + ".")
    for status in ("survived", "stale", "error"):
        ids = [r.id for r in results if r.status == status]
        if ids:
            lines.append(f"{status.capitalize()}: {', '.join(ids)}.")
    return lines


def write_report(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


# ---------------------------------------------------------------------------- main


def _check_list() -> None:
    ids = [m.id for m in MUTATIONS]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"duplicate mutation ids: {sorted(duplicates)}")
    for m in MUTATIONS:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", m.id) or m.find == m.replace or not m.tests:
            raise SystemExit(f"malformed mutation {m.id!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutations")
    parser.add_argument("--list", action="store_true",
                        help="list the mutations and whether each snippet occurs exactly once")
    parser.add_argument("--jobs", type=int, default=min(MAX_JOBS, os.cpu_count() or 1),
                        help=f"parallel workers (at most {MAX_JOBS})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds allowed per pytest run (default %(default)g)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip running the selections on an unmutated copy first")
    parser.add_argument("--report", type=Path, default=None,
                        help=f"where to write the JSON report (default for a full run: "
                             f"{REPORT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    _check_list()

    selected = list(MUTATIONS)
    if args.only:
        unknown = sorted(set(args.only) - {m.id for m in MUTATIONS})
        if unknown:
            parser.error(f"unknown mutation ids: {', '.join(unknown)}")
        selected = [m for m in MUTATIONS if m.id in args.only]

    if args.list:
        stale = 0
        for m in selected:
            count = occurrences(m)
            stale += count != 1
            mark = "ok   " if count == 1 else f"STALE ({count}x)"
            print(f"{mark}  {m.id:<32} {m.file:<26} {m.description}")
            print(f"       tests: {_selection_text(m.tests)}")
        n_pg = sum(m.file.startswith(("playground/", "pages/")) for m in selected)
        print(f"\n{len(selected)} mutations, {n_pg} in playground/ and pages/, {stale} stale")
        return 1 if stale else 0

    jobs = max(1, min(args.jobs, MAX_JOBS))
    if jobs != args.jobs:
        print(f"--jobs {args.jobs}: using {jobs} (at most {MAX_JOBS} workers)")
    report_path = args.report if args.report is not None else (None if args.only else REPORT)

    started = time.perf_counter()
    results: dict[str, Result] = {}
    baseline: dict = {}
    baseline_seconds = 0.0
    runnable = [m for m in selected if occurrences(m) == 1]
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            if not args.no_baseline and runnable:
                selections = sorted({(m.tests, m.browser) for m in runnable})
                print(f"Baseline: {len(selections)} test selections on an unmutated copy…",
                      flush=True)
                t0 = time.perf_counter()
                baseline = run_baseline(selections, args.timeout, pool)
                baseline_seconds = time.perf_counter() - t0
                failed = [k for k, v in baseline.items() if not v["passed"]]
                for tests, _ in failed:
                    print(f"  baseline FAILED: {_selection_text(tests)}\n"
                          f"{baseline[(tests, _)]['tail']}")
            baseline_ok = {k: v["passed"] for k, v in baseline.items()}
            print(f"Running {len(selected)} mutations with {jobs} worker(s)…", flush=True)
            futures = {pool.submit(check_mutation, m, args.timeout, baseline_ok): m
                       for m in selected}
            for future in concurrent.futures.as_completed(futures):
                m = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - report it, go on with the rest
                    result = Result(m.id, "error", detail=f"{type(exc).__name__}: {exc}")
                results[m.id] = result
                print(f"  {result.status:<8} {result.seconds:5.1f}s  {m.id}", flush=True)
    except KeyboardInterrupt:
        with _RUNNING_LOCK:
            for process in list(_RUNNING):
                _kill(process)
        print("interrupted", file=sys.stderr)
        return 130
    total = time.perf_counter() - started

    ordered = [results[m.id] for m in selected]
    print_table(selected, results)
    n_pg = sum(m.file.startswith(("playground/", "pages/")) for m in selected)
    lines = summary_lines(ordered, total, jobs, baseline_seconds, n_pg)
    print("\n" + "\n".join(lines))
    for r in ordered:
        if r.status in ("survived", "error") and r.detail:
            print(f"\n[{r.id}] {r.status}:\n{r.detail}")

    ok = all(r.status == "killed" for r in ordered)
    if report_path is not None:
        by_id = {m.id: m for m in selected}
        payload = {
            "what": "mutation check: each mutation put in a copy of the repo, its tests run there",
            "command": "python scripts/mutation_check.py" + (
                " --only " + " ".join(args.only) if args.only else ""),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git_commit": _git_commit(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "jobs": jobs,
            "timeout_seconds": args.timeout,
            "pytest_args": list(PYTEST_ARGS),
            "passed": ok,
            "counts": {s: sum(r.status == s for r in ordered)
                       for s in ("killed", "survived", "stale", "error")},
            "total_mutations": len(ordered),
            "playground_and_pages_mutations": n_pg,
            "seconds": {"total": round(total, 1), "baseline": round(baseline_seconds, 1),
                        "mutations_worker_time": round(sum(r.seconds for r in ordered), 1)},
            "summary": lines,
            "baseline": [
                {"tests": list(k[0]), "passed": v["passed"], "seconds": round(v["seconds"], 1)}
                for k, v in sorted(baseline.items())
            ],
            "mutations": [
                {
                    "id": r.id,
                    "file": by_id[r.id].file,
                    "description": by_id[r.id].description,
                    "tests": list(by_id[r.id].tests),
                    "status": r.status,
                    "caught_by": r.caught_by,
                    "returncode": r.returncode,
                    "seconds": round(r.seconds, 1),
                    **({"detail": r.detail} if r.status != "killed" else {}),
                }
                for r in ordered
            ],
        }
        write_report(report_path, payload)
        print(f"\nReport: {report_path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
