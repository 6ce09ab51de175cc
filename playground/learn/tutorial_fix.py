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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nn_core import MLP

EPOCHS = 100  # the tutorial's n_iterations: passes over the training set
HIDDEN = 50  # the tutorial's n_hidden
LEARNING_RATE = 0.01  # the tutorial's learning_rate
TUTORIAL_INIT_SCALE = 0.01  # np.random.randn(...) * 0.01
MINI_BATCH = 32
RAW_PIXEL_MAX = {"digits": 16.0, "mnist-sample": 255.0, "mnist": 255.0}


@dataclass(frozen=True)
class Fix:
    key: str
    label: str
    help: str
    why: str


#: The fixes, in the order the page lists them (and adds them one by one).
FIXES: tuple[Fix, ...] = (
    Fix("one_hot", "One-hot labels",
        "Compare the 10 outputs with a 10-column one-hot target instead of subtracting the "
        "integer label from every column.",
        "Without it the code does not run: (n, 10) minus (n,) cannot be broadcast."),
    Fix("bias", "Biases",
        "Give every unit a bias b, so z = x W + b; without one every unit's boundary passes "
        "through the origin.",
        "Each unit can shift its threshold instead of only tilting it."),
    Fix("mean", "Mean instead of summed gradient",
        "Divide the loss and its gradient by the number of samples, so the step size does not "
        "grow with the data set.",
        "The summed gradient over n samples is n times the mean one: the same learning rate "
        "takes an n times bigger step."),
    Fix("scaled", "Inputs scaled to [0, 1]",
        "Divide the raw pixel values (0-16 here, 0-255 in MNIST) by their maximum.",
        "Large inputs make large pre-activations, where the sigmoid is flat and passes back "
        "almost no gradient."),
    Fix("softmax", "Softmax + cross-entropy output",
        "Softmax outputs that sum to 1, trained with cross-entropy, whose error at the logits "
        "is p - y with no sigmoid derivative to shrink it.",
        "The quadratic cost through a sigmoid multiplies the error by a(1 - a), which is near "
        "0 when an output is confidently wrong."),
    Fix("minibatch", f"Mini-batches ({MINI_BATCH})",
        f"Update after every {MINI_BATCH} shuffled samples instead of once per pass over the "
        "whole training set.",
        "Many small steps per pass instead of one; with a summed gradient each step is also "
        "over far fewer samples."),
    Fix("adam", "Adam",
        "Adam instead of plain gradient descent: each weight's step is scaled by its own "
        "running gradient size.",
        "Adam's step is about the learning rate whatever the gradient's size, so a summed or "
        "tiny gradient moves the weights sensibly."),
    Fix("init", "He/Glorot initialisation",
        "Scale the starting weights by the layer's fan-in and fan-out (Glorot for sigmoid, He "
        "for ReLU) instead of the tutorial's N(0, 1) x 0.01.",
        "Starting weights sized so each layer's outputs neither vanish nor saturate."),
)
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
        return "as written"
    return " + ".join(FIX_LABELS[k] for k in FIX_KEYS if k in chosen)


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
    test_accuracy: list[float] = field(default_factory=list)  # after each epoch
    train_accuracy: list[float] = field(default_factory=list)  # running, during each epoch
    loss: list[float] = field(default_factory=list)
    diverged: bool = False
    diverged_reason: str | None = None
    seconds: float = 0.0
    error: str | None = None  # Step 0's message, when the labels are not one-hot

    @property
    def label(self) -> str:
        return describe(self.fixes)

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else float("nan")

    def summary(self) -> str:
        if self.error:
            return "does not run (broadcasting error)"
        text = f"{self.final_accuracy:.1%} test accuracy after {len(self.test_accuracy)} epochs"
        if self.diverged:
            text += " (stopped: the loss blew up)"
        return text


def tutorial_trainer(dataset, fixes: Iterable[str], seed: int = 0, epochs: int = EPOCHS):
    """The engine's trainer for the tutorial's network with ``fixes`` (one-hot labels
    included: integer labels ``y`` are the engine's one-hot targets), not yet stepped."""
    chosen = check_fixes(fixes)
    if "one_hot" not in chosen:
        raise ValueError("without one-hot labels the tutorial's network does not train: "
                         "see broadcast_error()")
    X_train, X_test = training_inputs(dataset, chosen)
    net = tutorial_network(chosen, X_train.shape[1], dataset.n_classes, seed)
    batch = MINI_BATCH if "minibatch" in chosen else X_train.shape[0]
    return net.trainer(
        X_train, dataset.y_train, epochs=epochs, batch_size=batch,
        optimizer="adam" if "adam" in chosen else "sgd", learning_rate=LEARNING_RATE,
        validation_data=(X_test, dataset.y_test), health_samples=0,
    )


def train_tutorial(dataset, fixes: Iterable[str], seed: int = 0, epochs: int = EPOCHS,
                   progress: Callable[[float], None] | None = None,
                   piece_seconds: float = 0.05) -> TutorialResult:
    """Train the tutorial's network with ``fixes`` on ``dataset`` with the engine's trainer,
    ``piece_seconds`` at a time, calling ``progress(fraction)`` after each piece.

    Without the one-hot fix nothing trains: the result carries Step 0's error.
    """
    chosen = check_fixes(fixes)
    result = TutorialResult(chosen, seed)
    if "one_hot" not in chosen:
        X_train, _ = training_inputs(dataset, chosen)
        net = tutorial_network(chosen, X_train.shape[1], dataset.n_classes, seed)
        _, _, result.error = broadcast_error(len(dataset.y_train), net=net, X=X_train,
                                             y=dataset.y_train)
        return result
    trainer = tutorial_trainer(dataset, chosen, seed, epochs)
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
    return result


# --------------------------------------------------------------------------- the ablation


def ablation_configs() -> list[tuple[str, str, frozenset[str]]]:
    """``(group, label, fixes)`` for the "which fix matters most" table: the tutorial as
    written, one-hot labels only (the least that runs), each other fix alone on top
    of one-hot labels, all fixes added one by one in the page's order, and all fixes
    but one."""
    rows: list[tuple[str, str, frozenset[str]]] = [
        ("as written", "as written", frozenset()),
        ("alone", FIX_LABELS["one_hot"], frozenset({"one_hot"})),
    ]
    for key in FIX_KEYS[1:]:
        rows.append(("alone", f"+ {FIX_LABELS[key]}", frozenset({"one_hot", key})))
    added: set[str] = {"one_hot"}
    for key in FIX_KEYS[1:]:
        added.add(key)
        rows.append(("one by one", f"+ {FIX_LABELS[key]}", frozenset(added)))
    for key in FIX_KEYS:
        rows.append(("all but one", f"all but {FIX_LABELS[key]}",
                     frozenset(FIX_KEYS) - {key}))
    return rows


TABLE_COLUMNS = {
    "alone": "this fix alone (with one-hot labels)",
    "one by one": "fixes added one by one, down to this one",
    "all but one": "all fixes but this one",
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
        return "does not run"
    text = f"{row['median']:.1%}"
    if round(row["min"], 3) != round(row["max"], 3):
        text += f" ({row['min'] * 100:.1f}–{row['max'] * 100:.1f})"
    if row.get("diverged"):
        text += f", blew up {row['diverged']}/{len(row['per_seed'])}"
    return text


def table_rows(results: dict) -> list[dict]:
    """The bench's JSON as the table the page and the README show: one row per fix,
    its test accuracy alone, added one by one, and left out of all the others."""
    cells: dict[str, dict[str, str]] = {key: {} for key in FIX_KEYS}
    for row in results["rows"]:
        fix = _fix_of(row["group"], frozenset(row["fixes"]))
        if fix is not None:
            cells[fix][TABLE_COLUMNS[row["group"]]] = format_cell(row)
            if fix == "one_hot" and row["group"] == "alone":  # where the chain starts
                cells[fix][TABLE_COLUMNS["one by one"]] = format_cell(row)
    return [{"fix": FIX_LABELS[key],
             **{title: cells[key].get(title, "—") for title in TABLE_COLUMNS.values()}}
            for key in FIX_KEYS]


def as_written(results: dict) -> str:
    """What the tutorial's code as written does, from the bench's JSON."""
    for row in results["rows"]:
        if row["group"] == "as written":
            return row.get("error") or format_cell(row)
    return "not measured"


def markdown_table(results: dict) -> str:
    """:func:`table_rows` as a Markdown table (for the README)."""
    rows = table_rows(results)
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- cache


class ResultCache:
    """Finished trainings by (dataset, fixes, seed), shared by every session of the
    process: the engine is deterministic, so a configuration trained once is the same
    for everyone. Least recently used first out."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, dataset_name: str, fixes: Iterable[str], seed: int) -> TutorialResult | None:
        key = (dataset_name, check_fixes(fixes), int(seed))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, dataset_name: str, result: TutorialResult) -> None:
        key = (dataset_name, result.fixes, int(result.seed))
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


RESULTS = ResultCache()


def recent_labels(history: Sequence[frozenset[str]]) -> list[str]:
    return [describe(f) for f in history]
