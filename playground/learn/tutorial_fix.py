"""The "Fix the tutorial" page's logic, without Streamlit: the seed tutorial's network,
trained by the engine, with its problems fixed one toggle at a time.

The tutorial ("your first neural network", section 5) trains a 784-50-10 network:

.. code-block:: python

    self.weights = np.random.randn(n_features, self.n_hidden) * 0.01
    self.weights2 = np.random.randn(self.n_hidden, 10) * 0.01
    for iteration in range(self.n_iterations):          # 100
        layer1 = self._sigmoid(np.dot(X_train, self.weights))
        layer2 = self._sigmoid(np.dot(layer1, self.weights2))
        layer2_delta = (layer2 - y_train) * self._sigmoid_gradient(layer2)
        layer1_delta = layer2_delta.dot(self.weights2.T) * self._sigmoid_gradient(layer1)
        self.weights2 -= self.learning_rate * layer1.T.dot(layer2_delta)   # 0.01
        self.weights -= self.learning_rate * X_train.T.dot(layer1_delta)

So: sigmoid hidden and output layers, no biases, weights N(0, 1) * 0.01, the
quadratic cost ``1/2 sum (a - t)^2`` (its error at the output is ``(a - t) a (1 - a)``)
summed over the whole training set, one update per pass, raw pixels, learning rate
0.01, and integer labels ``y_train (n,)`` subtracted from the ``(n, 10)`` output.

Here the engine trains that network: ``MLP(..., "sigmoid", output="sigmoid",
loss="mse", bias=False, init="normal", reduction="sum")`` with its weights then
scaled by 0.01 (the tutorial's ``randn * 0.01``), full batches
(``batch_size = n``), plain SGD at 0.01, on the digits with their raw pixel values
(0-16). Each fix changes one of those settings. The integer-label subtraction does
not run at all: :func:`broadcast_error` shows NumPy's own message for it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from nn_core import MLP
from playground.common.i18n import N_, _, ngettext

EPOCHS = 100  # the tutorial's n_iterations: passes over the training set
HIDDEN = 50  # the tutorial's n_hidden
LEARNING_RATE = 0.01  # the tutorial's learning_rate
TUTORIAL_INIT_SCALE = 0.01  # np.random.randn(...) * 0.01
MINI_BATCH = 32
#: The learning rates the page offers (the tutorial's 0.01 among them).
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
RAW_PIXEL_MAX = {"digits": 16.0, "mnist-sample": 255.0, "mnist": 255.0}


@dataclass(frozen=True)
class Fix:
    key: str
    label: str
    help: str
    why: str


#: The fixes, in the order the page lists them (and adds them one by one). ``why`` is the
#: mechanism; :func:`why_text` adds what the measurement shows.
FIXES: tuple[Fix, ...] = (
    Fix("one_hot", N_("One-hot labels"),
        N_("Compare the 10 outputs with a 10-column one-hot target instead of subtracting the "
        "integer label from every column."),
        N_("Without it the code does not run: (n, 10) minus (n,) cannot be broadcast (Step 0).")),
    Fix("bias", N_("Biases"),
        N_("Give every unit a bias b, so z = x W + b; without one every unit's boundary passes "
        "through the origin."),
        N_("Each unit can shift its threshold instead of only tilting it; it does nothing "
        "about the step size.")),
    Fix("mean", N_("Mean instead of summed gradient"),
        N_("Divide the loss and its gradient by the number of samples, so the step size does not "
        "grow with the data set; the learning rate must then grow about n-fold."),
        N_("The summed gradient over n rows is n times the mean one, so at the same learning "
        "rate the mean takes an n times smaller step; the learning rate must then grow "
        "about n-fold to keep the step.")),
    Fix("scaled", N_("Inputs scaled to [0, 1]"),
        N_("Divide the raw pixel values (0-16 here, 0-255 in MNIST) by their maximum."),
        N_("Raw digits do not saturate the sigmoids at the start; the first summed update "
        "does. Scaling makes the inputs, and with them the first layer's gradient and its "
        "effect on z, 16 times smaller: a smaller step again.")),
    Fix("softmax", N_("Softmax + cross-entropy output"),
        N_("Softmax outputs that sum to 1, trained with cross-entropy, whose error at the logits "
        "is p - y with no sigmoid derivative to shrink it."),
        N_("No sigmoid slope a(1 - a) shrinks the output error, so the error is larger, and "
        "summed over the full batch so is the step.")),
    # The literal 32 (MINI_BATCH, asserted below): a catalogue message must be literal text.
    Fix("minibatch", N_("Mini-batches (32)"),
        N_("Update after every 32 shuffled samples instead of once per pass over the "
           "whole training set."),
        N_("Many small steps per pass instead of one: each summed over 32 rows, not "
           "all of them.")),
    Fix("adam", N_("Adam"),
        N_("Adam instead of plain gradient descent: each weight's step is scaled by its own "
        "running gradient size."),
        N_("Adam's first steps are about the learning rate on every weight, whatever the "
        "gradient's size.")),
    Fix("init", N_("He/Glorot initialisation"),
        N_("Scale the starting weights by the layer's fan-in and fan-out (Glorot for sigmoid, He "
        "for ReLU) instead of the tutorial's N(0, 1) x 0.01."),
        N_("Starting weights sized so each layer's outputs neither vanish nor saturate; the "
        "tutorial's small weights saturate nothing at the start either.")),
)
assert MINI_BATCH == 32, "the mini-batch fix's messages name 32"
FIX_KEYS: tuple[str, ...] = tuple(f.key for f in FIXES)
FIX_LABELS = {f.key: f.label for f in FIXES}


def check_fixes(fixes: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(fixes)
    unknown = chosen - set(FIX_KEYS)
    if unknown:
        raise ValueError(f"unknown fixes {sorted(unknown)}; the fixes are {', '.join(FIX_KEYS)}")
    return chosen


def describe(fixes: Iterable[str]) -> str:
    """A short label for a set of fixes, in the page's order."""
    chosen = check_fixes(fixes)
    if not chosen:
        return _("as written")
    return " + ".join(_(FIX_LABELS[k]) for k in FIX_KEYS if k in chosen)


# --------------------------------------------------------------------------- step 0


def broadcast_error(n_samples: int, n_classes: int = 10, net: MLP | None = None,
                    X=None, y=None) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Run the tutorial's ``layer2 - y_train`` and return the two shapes and NumPy's message.

    With ``net``, ``X`` and ``y``, ``layer2`` is that network's real output on ``X``
    (its last ``forward_trace`` activation) and ``y_train`` the real labels; otherwise
    arrays of the given shapes. Returns ``(layer2.shape, y_train.shape, message)``;
    the message is empty if the subtraction went through (it does for n = 10 or n = 1,
    silently subtracting each label from a whole column, or row).
    """
    if net is not None:
        layer2 = net.forward_trace(X)[1][-1]
        y_train = np.asarray(y)
    else:
        layer2 = np.full((n_samples, n_classes), 0.5)
        y_train = np.zeros(n_samples, dtype=np.int64)
    try:
        layer2 - y_train  # noqa: B018 - the tutorial's line, run for its error
    except ValueError as exc:
        return layer2.shape, y_train.shape, str(exc)
    return layer2.shape, y_train.shape, ""


# --------------------------------------------------------------------------- the network


def tutorial_network(fixes: Iterable[str], n_features: int, n_classes: int = 10,
                     seed: int = 0, hidden: int = HIDDEN) -> MLP:
    """The tutorial's network as an engine ``MLP``, with ``fixes`` applied."""
    chosen = check_fixes(fixes)
    softmax = "softmax" in chosen
    net = MLP(
        [n_features, hidden, n_classes],
        activation="sigmoid",
        output="softmax" if softmax else "sigmoid",
        loss=None if softmax else "mse",
        bias="bias" in chosen,
        init="auto" if "init" in chosen else "normal",
        reduction="mean" if "mean" in chosen else "sum",
        seed=seed,
        dtype=np.float64,  # NumPy's default, as the tutorial's arrays are
    )
    if "init" not in chosen:
        for weights in net.weights:  # the tutorial's np.random.randn(...) * 0.01
            weights *= TUTORIAL_INIT_SCALE
    return net


def training_inputs(dataset, fixes: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(X_train, X_test)``: the dataset's [0, 1] features, or its raw pixel values."""
    if "scaled" in check_fixes(fixes):
        return dataset.X_train, dataset.X_test
    top = RAW_PIXEL_MAX.get(dataset.name, 255.0)
    return (np.multiply(dataset.X_train, top, dtype=np.float64),
            np.multiply(dataset.X_test, top, dtype=np.float64))


@dataclass
class TutorialResult:
    """One training of the tutorial's network: its curves and how it ended."""

    fixes: frozenset[str]
    seed: int
    learning_rate: float = LEARNING_RATE
    #: Share of the hidden units saturated on every probe image after the first pass
    #: (the engine's ``history.health`` record); None when nothing trained.
    saturated_after_first_pass: float | None = None
    test_accuracy: list[float] = field(default_factory=list)  # after each epoch
    train_accuracy: list[float] = field(default_factory=list)  # running, during each epoch
    loss: list[float] = field(default_factory=list)
    diverged: bool = False
    diverged_reason: str | None = None
    seconds: float = 0.0
    error: str | None = None  # Step 0's message, when the labels are not one-hot

    @property
    def label(self) -> str:
        return f"{describe(self.fixes)}, lr {self.learning_rate:g}"

    @property
    def short_label(self) -> str:
        return short_label(self.fixes, self.learning_rate)

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else float("nan")

    def summary(self) -> str:
        if self.error:
            return _("does not run (broadcasting error)")
        text = _("{final_accuracy:.1%} test accuracy after {test_accuracy} epochs").format(final_accuracy=self.final_accuracy, test_accuracy=len(self.test_accuracy))
        if self.diverged:
            text += _(" (stopped: the loss blew up)")
        return text


def tutorial_trainer(dataset, fixes: Iterable[str], seed: int = 0, epochs: int = EPOCHS,
                     learning_rate: float = LEARNING_RATE):
    """The engine's trainer for the tutorial's network with ``fixes`` (one-hot labels
    included: integer labels ``y`` are the engine's one-hot targets), not yet stepped.
    It samples the hidden units' health once per pass (``history.health``)."""
    chosen = check_fixes(fixes)
    if "one_hot" not in chosen:
        raise ValueError("without one-hot labels the tutorial's network does not train: "
                         "see broadcast_error()")
    X_train, X_test = training_inputs(dataset, chosen)
    net = tutorial_network(chosen, X_train.shape[1], dataset.n_classes, seed)
    batch = MINI_BATCH if "minibatch" in chosen else X_train.shape[0]
    return net.trainer(
        X_train, dataset.y_train, epochs=epochs, batch_size=batch,
        optimizer="adam" if "adam" in chosen else "sgd",
        learning_rate=check_learning_rate(learning_rate),
        validation_data=(X_test, dataset.y_test), health_samples=1,
    )


def train_tutorial(dataset, fixes: Iterable[str], seed: int = 0, epochs: int = EPOCHS,
                   progress: Callable[[float], None] | None = None,
                   piece_seconds: float = 0.05,
                   learning_rate: float = LEARNING_RATE) -> TutorialResult:
    """Train the tutorial's network with ``fixes`` on ``dataset`` with the engine's trainer,
    ``piece_seconds`` at a time, calling ``progress(fraction)`` after each piece.

    Without the one-hot fix nothing trains: the result carries Step 0's error.
    """
    chosen = check_fixes(fixes)
    result = TutorialResult(chosen, seed, check_learning_rate(learning_rate))
    if "one_hot" not in chosen:
        X_train, _unused = training_inputs(dataset, chosen)
        net = tutorial_network(chosen, X_train.shape[1], dataset.n_classes, seed)
        _unused, _unused, result.error = broadcast_error(len(dataset.y_train), net=net, X=X_train,
                                             y=dataset.y_train)
        return result
    trainer = tutorial_trainer(dataset, chosen, seed, epochs, learning_rate)
    started = time.perf_counter()
    while not trainer.done:
        trainer.step(max_seconds=piece_seconds)
        if progress is not None:
            progress(trainer.progress if not trainer.done else 1.0)
    result.seconds = time.perf_counter() - started
    history = trainer.history
    result.test_accuracy = [float(a) for a in history.val_accuracy]
    result.train_accuracy = [float(a) for a in history.accuracy]
    result.loss = [float(v) for v in history.loss]
    result.diverged = bool(history.diverged)
    result.diverged_reason = history.diverged_reason
    first_pass = [h for h in history.health if h["epoch"] == 1]
    if first_pass:  # the last sample of pass 1: after its last update
        result.saturated_after_first_pass = float(first_pass[-1]["stuck"][0])
    return result


def check_learning_rate(learning_rate: float) -> float:
    value = float(learning_rate)
    if not (value > 0 and np.isfinite(value)):
        raise ValueError(f"the learning rate must be a positive number, not {learning_rate!r}")
    return value


def batch_rows(fixes: Iterable[str], n_train: int) -> int:
    """How many rows one update sums (or averages) over."""
    return min(MINI_BATCH, n_train) if "minibatch" in check_fixes(fixes) else n_train


def effective_step(fixes: Iterable[str], learning_rate: float, n_train: int) -> float:
    """What multiplies the mean per-row gradient in one SGD update: ``lr x rows`` when the
    gradient is summed over the batch's rows, ``lr`` when it is averaged."""
    chosen = check_fixes(fixes)
    lr = check_learning_rate(learning_rate)
    return lr if "mean" in chosen else lr * batch_rows(chosen, n_train)


def step_readout(fixes: Iterable[str], learning_rate: float, n_train: int) -> str:
    """The effective step as the page states it."""
    chosen = check_fixes(fixes)
    lr = check_learning_rate(learning_rate)
    rows = batch_rows(chosen, n_train)
    if "adam" in chosen:
        return (_("Adam: about {lr:g} on every weight per update, whatever the gradient's "
                "size ({value} updates a pass)").format(lr=lr, value=-(-n_train // rows)))
    if "mean" in chosen:
        text = _("lr = {lr:g} (the gradient averaged over {rows:,} rows)").format(lr=lr, rows=rows)
    else:
        text = _("lr x rows = {lr:g} x {rows:,} = {lr2:.4g} (the gradient summed)").format(lr=lr, rows=rows, lr2=lr * rows)
    updates = -(-n_train // rows)
    return ngettext("{text}, {n} update a pass", "{text}, {n} updates a pass", updates).format(
        text=text, n=updates)


SHORT_NAMES = {"bias": N_("biases"), "mean": N_("mean"), "scaled": N_("scaled"),
               "softmax": N_("softmax"), "minibatch": N_("mini-batches"), "adam": N_("Adam"),
               "init": N_("Glorot")}


def short_label(fixes: Iterable[str], learning_rate: float = LEARNING_RATE) -> str:
    """A legend-sized label: what differs from one-hot labels alone, and the rate."""
    chosen = check_fixes(fixes)
    extra = [_(SHORT_NAMES[k]) for k in FIX_KEYS if k in chosen and k != "one_hot"]
    head = "+".join(extra) if extra else _("one-hot only")
    return f"{head}, lr {float(learning_rate):g}"


# --------------------------------------------------------------------------- the ablation

#: The step-size rows of the measured table: ``(label, fixes, learning rate)``. The
#: cheapest fix (a smaller rate), the mean with its rate grown, and the two places
#: where a fix shrinks the step too far or not at all.
STEP_SIZE_ROWS: tuple[tuple[str, frozenset[str], float], ...] = (
    (N_("One-hot labels, lr 0.01 (the tutorial's)"), frozenset({"one_hot"}), 0.01),
    (N_("One-hot labels, lr 0.001"), frozenset({"one_hot"}), 0.001),
    (N_("+ Mean, lr 0.01"), frozenset({"one_hot", "mean"}), 0.01),
    (N_("+ Mean, lr 1"), frozenset({"one_hot", "mean"}), 1.0),
    (N_("+ Mini-batches (32), lr 0.01"), frozenset({"one_hot", "minibatch"}), 0.01),
    (N_("+ Mini-batches + Inputs scaled, lr 0.01"),
     frozenset({"one_hot", "minibatch", "scaled"}), 0.01),
    (N_("+ Adam, lr 0.01"), frozenset({"one_hot", "adam"}), 0.01),
)
SMALL_RATE = 0.001  # the cheapest fix: the tutorial's network with only this rate changed
SMALL_RATE_LABEL = N_("Learning rate 0.001 instead of 0.01")
assert (SMALL_RATE, LEARNING_RATE) == (0.001, 0.01), "SMALL_RATE_LABEL names both rates"


def ablation_configs() -> list[tuple[str, str, frozenset[str], float]]:
    """``(group, label, fixes, learning rate)`` for the measured tables: the tutorial as
    written, one-hot labels only (the least that runs), each other fix alone on top of
    one-hot labels, all fixes added one by one in the page's order, all fixes but one
    (all at lr 0.01), and the step-size rows (:data:`STEP_SIZE_ROWS`)."""
    lr = LEARNING_RATE
    rows: list[tuple[str, str, frozenset[str], float]] = [
        ("as written", "as written", frozenset(), lr),
        ("alone", FIX_LABELS["one_hot"], frozenset({"one_hot"}), lr),
    ]
    for key in FIX_KEYS[1:]:
        rows.append(("alone", f"+ {FIX_LABELS[key]}", frozenset({"one_hot", key}), lr))
    added: set[str] = {"one_hot"}
    for key in FIX_KEYS[1:]:
        added.add(key)
        rows.append(("one by one", f"+ {FIX_LABELS[key]}", frozenset(added), lr))
    for key in FIX_KEYS:
        rows.append(("all but one", f"all but {FIX_LABELS[key]}", frozenset(FIX_KEYS) - {key}, lr))
    rows += [("step size", label, fixes, rate) for label, fixes, rate in STEP_SIZE_ROWS]
    return rows


#: The step-size table's column keys, for the catalogue (see ``i18n.translate_rows``).
STEP_TABLE_WORDS = (N_("fix"), N_("configuration"), N_("effective step"),
                    N_("hidden units saturated after pass 1"), N_("test accuracy"))
TABLE_COLUMNS = {
    "alone": N_("this fix alone (with one-hot labels)"),
    "one by one": N_("fixes added one by one, down to this one"),
    "all but one": N_("all fixes but this one"),
}


def _fix_of(group: str, fixes: frozenset[str]) -> str | None:
    """Which fix a row of the ablation is about."""
    if group == "alone":
        extra = fixes - {"one_hot"}
        return next(iter(extra)) if extra else "one_hot"
    if group == "one by one":
        return max(fixes, key=FIX_KEYS.index)
    if group == "all but one":
        missing = set(FIX_KEYS) - fixes
        return next(iter(missing)) if len(missing) == 1 else None
    return None


def format_cell(row: dict) -> str:
    """A measured row as one table cell: median test accuracy, range over the seeds, and
    how many runs blew up."""
    if row.get("error"):
        return _("does not run")
    text = f"{row['median']:.1%}"
    if round(row["min"], 3) != round(row["max"], 3):
        text += f" ({row['min'] * 100:.1f}–{row['max'] * 100:.1f})"
    if row.get("diverged"):
        text += _(", blew up {row}/{row2}").format(row=row['diverged'], row2=len(row['per_seed']))
    return text


def find_row(results: dict, fixes: Iterable[str], learning_rate: float = LEARNING_RATE,
             group: str | None = None) -> dict | None:
    """The measured row of ``fixes`` at ``learning_rate`` (rows measured before the rate
    was recorded are at the tutorial's 0.01)."""
    chosen = sorted(check_fixes(fixes))
    for row in results["rows"]:
        if (row["fixes"] == chosen and (group is None or row["group"] == group)
                and abs(row.get("learning_rate", LEARNING_RATE) - learning_rate) < 1e-12):
            return row
    return None


def table_rows(results: dict) -> list[dict]:
    """The bench's JSON as the table the page and the docs show: one row per fix, its
    test accuracy alone, added one by one, and left out of all the others; then, when
    measured, the tutorial's network with only its learning rate lowered."""
    cells: dict[str, dict[str, str]] = {key: {} for key in FIX_KEYS}
    for row in results["rows"]:
        if row["group"] not in TABLE_COLUMNS:
            continue
        fix = _fix_of(row["group"], frozenset(row["fixes"]))
        if fix is not None:
            cells[fix][TABLE_COLUMNS[row["group"]]] = format_cell(row)
            if fix == "one_hot" and row["group"] == "alone":  # where the chain starts
                cells[fix][TABLE_COLUMNS["one by one"]] = format_cell(row)
    rows = [{"fix": FIX_LABELS[key],
             **{title: cells[key].get(title, "—") for title in TABLE_COLUMNS.values()}}
            for key in FIX_KEYS]
    small = find_row(results, {"one_hot"}, SMALL_RATE)
    if small is not None:
        rows.append({"fix": SMALL_RATE_LABEL, TABLE_COLUMNS["alone"]: format_cell(small),
                     TABLE_COLUMNS["one by one"]: "—", TABLE_COLUMNS["all but one"]: "—"})
    return rows


def step_size_rows(results: dict) -> list[dict]:
    """The step-size rows: configuration, effective step, hidden units saturated after
    the first pass (median over the seeds) and test accuracy."""
    n = int(results["n_train"])
    rows = []
    for label, fixes, rate in STEP_SIZE_ROWS:
        row = find_row(results, fixes, rate)
        if row is None:
            continue
        step = (_("about lr per weight") if "adam" in fixes
                else f"{effective_step(fixes, rate, n):.4g}")
        saturated = row.get("saturated_median")
        rows.append({"configuration": label, "effective step": step,
                     "hidden units saturated after pass 1":
                         "—" if saturated is None else f"{saturated:.0%}",
                     "test accuracy": format_cell(row)})
    return rows


def as_written(results: dict) -> str:
    """What the tutorial's code as written does, from the bench's JSON."""
    for row in results["rows"]:
        if row["group"] == "as written":
            return row.get("error") or format_cell(row)
    return _("not measured")


def markdown_table(results: dict, rows: list[dict] | None = None) -> str:
    """:func:`table_rows` (or ``rows``) as a Markdown table (for the docs)."""
    rows = table_rows(results) if rows is None else rows
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the words


def _median(results: dict, fixes: Iterable[str], rate: float = LEARNING_RATE,
            group: str | None = None) -> float:
    row = find_row(results, fixes, rate, group)
    if row is None or row.get("error") or "median" not in row:
        raise KeyError(f"not measured: {sorted(fixes)} at lr {rate:g}")
    return float(row["median"])


def _pct(value: float) -> str:
    return f"{value:.1%}"


def verdict(with_it: float, without_it: float) -> str:
    """What leaving a fix out of all the others does, in words that follow the numbers:
    a change under one point is "no measurable difference"."""
    change = with_it - without_it
    if change >= 0.01:
        return _("it adds {change:.1f} points").format(change=change * 100)
    if change <= -0.01:
        return _("it costs {value:.1f} points: here it hurts").format(value=-change * 100)
    return _("within a point: no measurable difference here")


def why_text(key: str, results: dict) -> str:
    """One fix's "why" as the page states it: the mechanism, then what the measurement
    shows (alone, and left out of all the others), with the reason when it hurts."""
    fix = FIXES[FIX_KEYS.index(key)]
    if key == "one_hot":
        return (_("{why} With it alone the network runs but stays at chance "
                "({pct}): the step is the problem.").format(why=_(fix.why), pct=_pct(_median(results, {'one_hot'}))))
    every = _median(results, FIX_KEYS, group=_("one by one"))
    alone = _pct(_median(results, {"one_hot", key}, group="alone"))
    left_out = _median(results, set(FIX_KEYS) - {key}, group=_("all but one"))
    measured = (_("Alone (with one-hot labels): {alone}. Left out of all the others: "
                "{pct}, against {pct2} with every fix: "
                "{verdict}.").format(alone=alone, pct=_pct(left_out), pct2=_pct(every), verdict=verdict(every, left_out)))
    n = int(results["n_train"])
    extra = ""
    if key == "mean":
        extra = (_(" At lr 0.01 the full-batch step shrinks {n:,}-fold, too small: "
                 "{pct}. With lr 1 it reaches "
                 "{pct2}.").format(n=n, pct=_pct(_median(results, {'one_hot', 'mean'})), pct2=_pct(_median(results, {'one_hot', 'mean'}, 1.0))))
    elif key == "scaled":
        stats = results.get("inputs", {})
        mini = _median(results, {"one_hot", "minibatch"})
        scaled = _median(results, {"one_hot", "minibatch", "scaled"})
        extra = (_(" At the start the raw digits' pre-activations have std "
                 "{stats:.2f}, nowhere near the flat "
                 "part. On top of mini-batches scaling lowers the accuracy from "
                 "{pct} to {pct2}: the step became too small, and the rate "
                 "would have to grow.").format(stats=stats.get('z_std_at_init', float('nan')), pct=_pct(mini), pct2=_pct(scaled)))
    elif key == "adam":
        stats = results.get("inputs", {})
        row_sum = stats.get("row_sum_mean", float("nan"))
        extra = (_(" That is what sinks it on raw pixels: an image's pixels sum to about "
                 "{row_sum:.0f}, so a step of 0.01 on every weight moves a hidden unit's z "
                 "by about {row_sum2:.1f} at once, into the flat part.").format(row_sum=row_sum, row_sum2=row_sum * LEARNING_RATE))
    elif key == "minibatch":
        extra = (_(" {value} steps a pass, each lr x {MINI_BATCH} = "
                 "{LEARNING_RATE:g} instead of lr x {n:,} = "
                 "{LEARNING_RATE2:.4g}: the fix that matters (below).").format(value=-(-n // MINI_BATCH), MINI_BATCH=MINI_BATCH, LEARNING_RATE=LEARNING_RATE * MINI_BATCH, n=n, LEARNING_RATE2=LEARNING_RATE * n))
    elif key == "softmax":
        row = find_row(results, {"one_hot", "softmax"}, group="alone")
        if row and row.get("diverged"):
            extra = (_(" Alone, with the summed full-batch step, {row} of "
                     "{row2} runs blew up.").format(row=row['diverged'], row2=len(row['per_seed'])))
    return f"{_(fix.why)} {measured}{extra}"


def explanation(results: dict) -> str:
    """Why the table comes out as it does, in a few sentences built from its numbers."""
    n = int(results["n_train"])
    full = find_row(results, {"one_hot"}, LEARNING_RATE, "alone") or {}
    mini = find_row(results, {"one_hot", "minibatch"}, LEARNING_RATE, "alone") or {}
    sat_full, sat_mini = full.get("saturated_median"), mini.get("saturated_median")
    saturated = ("" if sat_full is None or sat_mini is None else
                 _(" After that first update {sat_full:.0%} of the hidden units sit in the "
                 "sigmoid's flat part on every probe image (mini-batches: {sat_mini:.0%}), "
                 "and a flat sigmoid passes almost no gradient back.").format(sat_full=sat_full, sat_mini=sat_mini))
    return (
        _("**Why mini-batches matter most.** The tutorial sums the gradient over all {n:,} "
        "rows and takes one step of lr x {n:,} = {LEARNING_RATE:.4g} a pass: that "
        "step saturates the sigmoids.{saturated} Mini-batches take {value} "
        "smaller steps a pass (lr x {MINI_BATCH} = {LEARNING_RATE2:g}) and "
        "reach {pct}. Anything else that "
        "makes the step small works too: lr {SMALL_RATE:g} alone reaches "
        "{pct2}, the mean with lr 1 "
        "{pct3}; the mean at lr 0.01 makes "
        "it {n:,} times smaller, too small "
        "({pct4}). Fixes that leave the step as "
        "it is (biases, Glorot initialisation) stay at chance alone.").format(n=n, LEARNING_RATE=LEARNING_RATE * n, saturated=saturated, value=-(-n // MINI_BATCH), MINI_BATCH=MINI_BATCH, LEARNING_RATE2=LEARNING_RATE * MINI_BATCH, pct=_pct(_median(results, {'one_hot', 'minibatch'})), SMALL_RATE=SMALL_RATE, pct2=_pct(_median(results, {'one_hot'}, SMALL_RATE)), pct3=_pct(_median(results, {'one_hot', 'mean'}, 1.0)), pct4=_pct(_median(results, {'one_hot', 'mean'})))
    )


#: The tutorial's own slips, each with its section: ``(section, text)``.
TUTORIAL_SLIPS: tuple[tuple[str, str], ...] = (
    ("3.2", N_("The backward formula writes ((w^(l+1))^T delta^(l+1)): the transpose belongs "
            "to the w_jk convention (row = the unit the weight feeds). Section 3.1 defines "
            "w_ij from unit i of layer l-1 to unit j of layer l, for which it is w delta, "
            "no transpose.")),
    ("4.3", N_("Gradient descent divides the summed gradient by the batch size m (eta/m); the "
            "code of 5.3 does not, so its step is n times the formula's.")),
    ("5.2", N_("On scikit-learn 1.2 or newer, fetch_openml returns a pandas DataFrame, so "
            "X[permutation] looks up columns and raises KeyError, before the broadcasting "
            "error of Step 0 is ever reached (add as_frame=False or use X.iloc).")),
    ("5.3", N_("layer2 - y_train subtracts (n,) integer labels from (n, 10) outputs: the "
            "broadcasting error of Step 0; the target must be one-hot.")),
)


# --------------------------------------------------------------------------- cache


class ResultCache:
    """Finished trainings by (dataset, fixes, seed, learning rate), shared by every
    session of the process: the engine is deterministic, so a configuration trained once
    is the same for everyone. Least recently used first out."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, dataset_name: str, fixes: Iterable[str], seed: int,
            learning_rate: float = LEARNING_RATE) -> TutorialResult | None:
        key = (dataset_name, check_fixes(fixes), int(seed), float(learning_rate))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, dataset_name: str, result: TutorialResult) -> None:
        key = (dataset_name, result.fixes, int(result.seed), float(result.learning_rate))
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


RESULTS = ResultCache()
