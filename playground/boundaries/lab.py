"""The Boundaries page's logic, without Streamlit: TensorFlow Playground's 2-D experience
on the engine.

A :class:`BoundaryLab` is one tab's experiment: the points (``nn_core.data.datasets2d``),
their input features, the network and the engine's :class:`~nn_core.trainer.Trainer`
that trains it, both made by the engine's training recipe (``nn_core.recipe.Recipe``). The page steps it one frame at a time (``lab.frame()``, a few epochs)
from a fragment, and draws what :meth:`BoundaryLab.boundary` and
:meth:`BoundaryLab.neuron_maps` compute over the plane.

What a settings change does (as in TensorFlow Playground, where every change restarts):

* data, noise, train ratio or seed: new points, and a new network;
* features, hidden layers, activation or optimizer: a new network on the same points;
* learning rate, batch size, L1, L2: applied to the network as it trains (the learning
  rate, L1 and L2 from the next batch, the batch size from the next epoch);
* "show test data" and "discretize output": only the drawing.

The settings live in the address bar (``BOUNDARY_FIELDS``, the same table-driven scheme
as the Train page's, ``playground.common.urlstate``).
"""

from __future__ import annotations

import io
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from nn_core.data import datasets2d as d2
from nn_core.recipe import Recipe
from playground.common.i18n import N_, _, ngettext
from playground.common.metrics import confusion_matrix
from playground.common.runs import engine_reason
from playground.common.urlstate import (
    MAX_SEED,
    QueryField,
    choice,
    int_between,
    number_in,
    read_query,
    write_query,
)
from playground.common.vocab import (
    ACTIVATIONS,
    OPTIMIZERS,
    activation_label,
    optimizer_label,
)

MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 8
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
REGULARIZATION = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3)
MAX_BATCH = 32
NOISE_PERCENT = (0, 50)
RATIO_PERCENT = (10, 90)
#: Epochs trained per frame of a playing run (TensorFlow Playground trains one per
#: animation frame, about 60 a second; at 5-10 frames a second this is the same pace).
EPOCHS_PER_FRAME = 6
#: Longest a frame trains, whatever the network: the page stays responsive.
FRAME_TRAIN_SECONDS = 0.1
#: A "run" never ends by itself (it plays until paused), up to this many epochs.
MAX_EPOCHS = 1_000_000
#: Curves keep at most this many points per series when drawn (every k-th epoch).
MAX_CURVE_POINTS = 500
#: Grid cells per side: the boundary heatmap and each neuron's map.
BOUNDARY_RESOLUTION = 60
NEURON_RESOLUTION = 20

DATA_FIELDS = ("data", "noise", "ratio", "seed")
NETWORK_FIELDS = ("features", "hidden", "activation", "optimizer")
LIVE_FIELDS = ("learning_rate", "batch_size", "l1", "l2")
VIEW_FIELDS = ("show_test", "discretize")


@dataclass(frozen=True)
class BoundaryConfig:
    """Everything the Boundaries page's controls set. The defaults are TensorFlow
    Playground's (circle, x1 and x2, 4 and 2 tanh units, learning rate 0.03, batch
    10), with Adam in place of plain SGD: they reach 100% on the circle in under 10
    epochs."""

    data: str = "circle"
    noise: int = 0  # percent, 0-50
    ratio: int = 50  # percent of the points used for training, 10-90
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    optimizer: str = "adam"
    learning_rate: float = 0.03
    batch_size: int = 10
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 0
    show_test: bool = False
    discretize: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", d2.check_features(self.features))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    def validate(self) -> None:
        """Raise ValueError naming the first setting out of what the page offers."""
        if self.data not in d2.DATASETS:
            raise ValueError(f"unknown dataset {self.data!r}")
        if not NOISE_PERCENT[0] <= self.noise <= NOISE_PERCENT[1]:
            raise ValueError(f"noise must be 0-50%, not {self.noise}")
        if not RATIO_PERCENT[0] <= self.ratio <= RATIO_PERCENT[1]:
            raise ValueError(f"the train ratio must be 10-90%, not {self.ratio}")
        if len(self.hidden) > MAX_HIDDEN_LAYERS or any(not 1 <= h <= MAX_UNITS for h in self.hidden):
            raise ValueError(f"use up to {MAX_HIDDEN_LAYERS} hidden layers of 1-{MAX_UNITS} units")
        if self.activation not in ACTIVATIONS or self.optimizer not in OPTIMIZERS:
            raise ValueError("unknown activation or optimizer")
        if not 0 < self.learning_rate <= 10 or self.l1 < 0 or self.l2 < 0:
            raise ValueError("the learning rate must be positive and L1/L2 not negative")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"the batch size must be 1-{MAX_BATCH}, not {self.batch_size}")

    @property
    def n_classes(self) -> int:
        return d2.n_classes(self.data)

    def layer_sizes(self) -> list[int]:
        return [len(self.features), *self.hidden, self.n_classes]

    def recipe(self) -> Recipe:
        """The engine's training recipe for these settings (a run plays until paused)."""
        return Recipe(hidden=self.hidden, activation=self.activation, optimizer=self.optimizer,
                      learning_rate=self.learning_rate, batch_size=self.batch_size, l2=self.l2,
                      epochs=MAX_EPOCHS, seed=self.seed)

    def changed(self, other: BoundaryConfig) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


def describe_hidden(hidden: tuple[int, ...]) -> str:
    return "none" if not hidden else "-".join(map(str, hidden))


# ----------------------------------------------------------------------------- presets

#: A network and features that learn each dataset: what the "Preset that works" button
#: sets (the data are left alone). Measured test accuracy after 300 epochs at 0% noise
#: (50% train ratio, seed 0): 100% on circle, XOR, Gaussian, moons and 3 blobs, 98.8% on
#: the spiral, 93% on the 3-class spiral (tests/features/test_boundaries.py checks each).
PRESETS: dict[str, dict[str, Any]] = {
    "circle": {"features": ("x1", "x2"), "hidden": (4, 2)},
    "xor": {"features": ("x1", "x2"), "hidden": (4, 2)},
    "gauss": {"features": ("x1", "x2"), "hidden": (2,)},
    "spiral": {"features": ("x1", "x2", "sinx1", "sinx2"), "hidden": (8, 8),
               "learning_rate": 0.01},
    "moons": {"features": ("x1", "x2"), "hidden": (8, 8), "learning_rate": 0.01},
    "blobs3": {"features": ("x1", "x2"), "hidden": (4,)},
    "spiral3": {"features": ("x1", "x2", "sinx1", "sinx2"), "hidden": (8, 8, 8, 8),
                "learning_rate": 0.01},
}
HARD_DATASETS = ("spiral", "spiral3", "moons")
PRESET_COMMON = {"activation": "tanh", "optimizer": "adam", "batch_size": 10, "l1": 0.0,
                 "l2": 0.0}


def preset(config: BoundaryConfig) -> BoundaryConfig:
    """``config`` with the features and network that learn its dataset (data untouched)."""
    return replace(config, **{**PRESET_COMMON, **PRESETS[config.data]})


#: The datasets' names as shown (``nn_core`` names them in English: it knows no UI).
DATA_LABELS = {
    "circle": N_("Circle"), "xor": N_("XOR"), "gauss": N_("Gaussian"), "spiral": N_("Spiral"),
    "moons": N_("Moons"), "blobs3": N_("Blobs (3 classes)"), "spiral3": N_("Spiral (3 classes)"),
}


def data_label(data: str) -> str:
    """A dataset's name in the tab's language."""
    return _(DATA_LABELS[data]) if data in DATA_LABELS else d2.LABELS.get(data, data)


def preset_summary(data: str) -> str:
    chosen = {**PRESET_COMMON, **PRESETS[data]}
    features = ", ".join(d2.FEATURES[f][0] for f in chosen["features"])
    layers = _(" and ").join(map(str, chosen["hidden"]))
    return ngettext(
        "features {features}; {n} hidden layer of {layers} tanh units; Adam at learning rate {lr:g}",
        "features {features}; {n} hidden layers of {layers} tanh units; Adam at learning rate {lr:g}",
        len(chosen["hidden"]),
    ).format(features=features, n=len(chosen["hidden"]), layers=layers,
             lr=chosen.get("learning_rate", 0.03))


# ----------------------------------------------------------------------------- the URL


def _features(text: str) -> tuple[str, ...]:
    parts = [p for p in re.split(r"[,\s-]+", text) if p]
    if not parts or any(p not in d2.FEATURES for p in parts):
        raise ValueError("feature names joined by '-' from " + ", ".join(d2.FEATURES))
    return d2.check_features(parts)


def _hidden(text: str) -> tuple[int, ...]:
    if text == "none":
        return ()
    parts = text.split("-")
    if not 1 <= len(parts) <= MAX_HIDDEN_LAYERS or not all(
        re.fullmatch(r"[1-9]", p) and int(p) <= MAX_UNITS for p in parts
    ):
        raise ValueError(
            f"'none' or 1 to {MAX_HIDDEN_LAYERS} layer sizes of 1-{MAX_UNITS} joined by '-', "
            "e.g. 8-8"
        )
    return tuple(int(p) for p in parts)


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("0 or 1")
    return text == "1"


#: URL name -> (config field, parser, formatter): the Boundaries settings in the address bar.
BOUNDARY_FIELDS: dict[str, QueryField] = {
    "data": QueryField("data", choice(tuple(d2.DATASETS)), str),
    "noise": QueryField("noise", int_between(*NOISE_PERCENT), str),
    "ratio": QueryField("ratio", int_between(*RATIO_PERCENT), str),
    "features": QueryField("features", _features, "-".join),
    "hidden": QueryField("hidden", _hidden, describe_hidden),
    "activation": QueryField("activation", choice(ACTIVATIONS), str),
    "optimizer": QueryField("optimizer", choice(OPTIMIZERS), str),
    "lr": QueryField("learning_rate", number_in(LEARNING_RATES), lambda v: f"{v:g}"),
    "batch": QueryField("batch_size", int_between(1, MAX_BATCH), str),
    "l1": QueryField("l1", number_in(REGULARIZATION), lambda v: f"{v:g}"),
    "l2": QueryField("l2", number_in(REGULARIZATION), lambda v: f"{v:g}"),
    "seed": QueryField("seed", int_between(0, MAX_SEED), str),
    "test": QueryField("show_test", _flag, lambda v: "1" if v else "0"),
    "discretize": QueryField("discretize", _flag, lambda v: "1" if v else "0"),
}
assert {f.config_field for f in BOUNDARY_FIELDS.values()} == {
    f.name for f in fields(BoundaryConfig)
}
#: Parameters only a Boundaries link has: a link with one of them is this page's.
OWN_PARAMS = ("data", "noise", "ratio", "features", "l1", "test", "discretize")


def is_boundaries_query(params: Mapping[str, Any]) -> bool:
    """Whether an address's parameters are the Boundaries page's (not the Train page's,
    which share some names: hidden, activation, lr, ...)."""
    return "dataset" not in params and any(name in params for name in OWN_PARAMS)


def config_from_query(
    params: Mapping[str, Any], defaults: BoundaryConfig | None = None
) -> tuple[BoundaryConfig, list[str]]:
    """The Boundaries config a link asks for, and a note per refused value."""
    return read_query(params, defaults or BoundaryConfig(), BOUNDARY_FIELDS)


def config_to_query(config: BoundaryConfig) -> dict[str, str]:
    return write_query(config, BOUNDARY_FIELDS)


PAGE_PATH = "boundaries"


def share_link(base_url: str | None, config: BoundaryConfig, lang: str | None = None) -> str:
    """A link that opens the Boundaries page with ``config`` (no session token), in
    ``lang`` if given.

    ``base_url`` is the address the page was opened with (any page of the app)."""
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(base_url or "http://localhost:8501")
    path = parts.path.rstrip("/")
    if not path.endswith("/" + PAGE_PATH):
        # The app's pages sit one level under its root: /draw, /boundaries, ...
        last = path.rsplit("/", 1)[-1]
        if last in ("train", "draw", "inspect", "sweep"):
            path = path[: -len(last) - 1]
        path += "/" + PAGE_PATH
    query = config_to_query(config) | ({"lang": lang} if lang else {})
    return f"{parts.scheme}://{parts.netloc}{path}?{urlencode(query)}"


# ----------------------------------------------------------------------------- the lab


@dataclass
class Snapshot:
    """What the page shows about the network now."""

    epoch: int
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float


class BoundaryLab:
    """One tab's 2-D experiment: points, features, network, trainer, and whether it plays."""

    def __init__(self, config: BoundaryConfig | None = None) -> None:
        self.config = config or BoundaryConfig()
        self.config.validate()
        self.playing = False
        self.message: str | None = None
        self.frames = 0
        self.train_seconds = 0.0
        self._make_data()
        self._build()

    # ------------------------------------------------------------------ building
    def _make_data(self) -> None:
        c = self.config
        self.X, self.y = d2.make(c.data, noise=c.noise / 100, seed=c.seed)
        self.train_rows, self.test_rows = d2.split(len(self.X), c.ratio / 100, seed=c.seed)

    def _build(self) -> None:
        """A fresh network (seeded) and its trainer on the current points."""
        c = self.config
        self.F = d2.features(self.X, c.features)
        self.net = c.recipe().network(len(c.features), c.n_classes)
        self.trainer = self._new_trainer()
        self._past: dict[str, list[float]] = {k: [] for k in _CURVES}
        #: Train loss and accuracy on all training points at each epoch's end (the
        #: trainer's own are running means over the epoch, while the weights move).
        self._train_curve: dict[str, list[float]] = {"loss": [], "accuracy": []}
        self.message = None
        self.frames = 0
        self.train_seconds = 0.0

    def _new_trainer(self):
        """The recipe's trainer on the training points, scoring the test points after
        each epoch (the page's own split, not the recipe's validation share)."""
        test = (self.F[self.test_rows], self.y[self.test_rows])
        return self.config.recipe().trainer(
            self.net, self.F, self.y, l1=self.config.l1, validation_data=test,
            health_samples=0, rows=self.train_rows,
        )

    def networks(self) -> tuple[Any, ...]:
        """The networks this experiment holds (``sessions.playground_bytes`` counts them)."""
        return (self.net,)

    # ------------------------------------------------------------------ settings
    def apply(self, config: BoundaryConfig) -> list[str]:
        """Take on new settings; returns what changed (field names)."""
        config.validate()
        changed = self.config.changed(config)
        if not changed:
            return []
        self.config = config
        if any(f in DATA_FIELDS for f in changed):
            self._make_data()
            self._build()
        elif any(f in NETWORK_FIELDS for f in changed):
            self._build()
        else:
            self.trainer.learning_rate = config.learning_rate
            self.trainer.batch_size = config.batch_size
            self.trainer.l1 = config.l1
            self.trainer.l2 = config.l2
        return changed

    def regenerate(self) -> None:
        """New points of the same kind (the next seed), and a new network."""
        self.apply(replace(self.config, seed=(self.config.seed + 1) % (MAX_SEED + 1)))

    def use_preset(self) -> BoundaryConfig:
        self.apply(preset(self.config))
        return self.config

    def reset(self) -> None:
        """The network back to its seeded starting weights; the curves cleared; paused."""
        self.playing = False
        self._build()

    # ------------------------------------------------------------------ training
    @property
    def epoch(self) -> int:
        return len(self._past["loss"]) + self.trainer.epoch

    def _continue(self) -> None:
        """After a divergence (weights rolled back), a new trainer carries on from them."""
        if self.trainer.done:
            for key in _CURVES:
                self._past[key].extend(getattr(self.trainer.history, key))
            self.trainer = self._new_trainer()
            self.message = None

    def play(self) -> None:
        self._continue()
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def step_epoch(self) -> int:
        """Train to the end of the current epoch (one whole epoch from a boundary);
        pauses. Returns the epochs completed (0 if the run diverged)."""
        self.pause()
        self._continue()
        before = self.trainer.epoch
        started = time.perf_counter()
        self.trainer.step(max_batches=self.trainer.batches_per_epoch - self.trainer.batch)
        self.train_seconds += time.perf_counter() - started
        self._record_epochs()
        self._after_training()
        return self.trainer.epoch - before

    def frame(self, epochs: int = EPOCHS_PER_FRAME,
              max_seconds: float = FRAME_TRAIN_SECONDS) -> int:
        """One frame of a playing run: up to ``epochs`` epochs or ``max_seconds`` of
        training, whichever comes first. Returns the epochs completed."""
        if not self.playing:
            return 0
        trainer = self.trainer
        before = trainer.epoch
        started = time.perf_counter()
        deadline = started + max_seconds
        while not trainer.done and trainer.epoch - before < epochs:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            trainer.step(max_batches=trainer.batches_per_epoch - trainer.batch,
                         max_seconds=remaining)
            self._record_epochs()
        self.train_seconds += time.perf_counter() - started
        self.frames += 1
        self._after_training()
        return trainer.epoch - before

    def _record_epochs(self) -> None:
        """The train loss and accuracy of an epoch that just ended (a step stops at an
        epoch's end at the latest, so the weights are that epoch's last)."""
        while len(self._train_curve["loss"]) < self.epoch:
            c = self.config
            rows = self.train_rows
            with np.errstate(all="ignore"):
                loss, accuracy = self.net.evaluate(self.F[rows], self.y[rows], l2=c.l2, l1=c.l1)
            self._train_curve["loss"].append(loss)
            self._train_curve["accuracy"].append(accuracy)

    def _after_training(self) -> None:
        history = self.trainer.history
        if history.diverged:
            self.playing = False
            self.message = (
                _("Training stopped: {diverged_reason}. The weights from just before "
                "are kept. Lower the learning rate (or L1/L2), then press **Play** to carry "
                "on, or **Reset**.").format(diverged_reason=engine_reason(history.diverged_reason or ""))
            )

    # ------------------------------------------------------------------ looking
    def history(self, max_points: int = MAX_CURVE_POINTS) -> dict[str, list[float]]:
        """Train and test loss and accuracy at the end of each epoch (as ``snapshot``
        computes them), every k-th epoch when there are more than ``max_points``;
        ``epoch`` numbers them."""
        full = {k: self._past[k] + list(getattr(self.trainer.history, k)) for k in _CURVES}
        full.update(self._train_curve)
        n = len(full["loss"])
        stride = max(1, math.ceil(n / max_points))
        picked = list(range(n - 1, -1, -stride))[::-1]
        out = {k: [full[k][i] for i in picked] for k in _CURVES}
        out["epoch"] = [i + 1 for i in picked]
        return out

    def snapshot(self) -> Snapshot:
        """Loss and accuracy of the network as it is now, on the train and test points
        (the loss includes the L1/L2 penalty, as training sees it)."""
        c = self.config
        tr, te = self.train_rows, self.test_rows
        with np.errstate(all="ignore"):
            train_loss, train_acc = self.net.evaluate(self.F[tr], self.y[tr], l2=c.l2, l1=c.l1)
            test_loss, test_acc = self.net.evaluate(self.F[te], self.y[te], l2=c.l2, l1=c.l1)
        return Snapshot(self.epoch, train_loss, test_loss, train_acc, test_acc)

    def boundary(self, resolution: int = BOUNDARY_RESOLUTION) -> tuple[np.ndarray, np.ndarray]:
        """``(axis, proba)``: the class probabilities over a ``resolution``-square grid of
        the plane, ``proba[i, j, k]`` at ``x1 = axis[j], x2 = axis[i]``."""
        axis, points = d2.grid(resolution)
        with np.errstate(all="ignore"):
            proba = self.net.predict_proba(d2.features(points, self.config.features))
        return axis, proba.reshape(resolution, resolution, -1)

    def neuron_maps(self, resolution: int = NEURON_RESOLUTION) -> list[np.ndarray]:
        """Every unit's output over a ``resolution``-square grid of the plane, layer by
        layer: the input features, each hidden layer, the output probabilities; each
        ``(resolution, resolution, units)`` (row ``i`` is ``x2 = axis[i]``)."""
        _unused, points = d2.grid(resolution)
        with np.errstate(all="ignore"):
            _unused, activations = self.net.forward_trace(d2.features(points, self.config.features))
        return [a.reshape(resolution, resolution, -1) for a in activations]

    def confusion(self, rows: str = "test") -> np.ndarray:
        """Counts ``cm[true, predicted]`` on the test (or train) points."""
        index = self.test_rows if rows == "test" else self.train_rows
        with np.errstate(all="ignore"):
            predicted = self.net.predict(self.F[index])
        return confusion_matrix(self.y[index], predicted, self.config.n_classes)

    def points(self, rows: str = "train") -> tuple[np.ndarray, np.ndarray]:
        index = self.train_rows if rows == "train" else self.test_rows
        return self.X[index], self.y[index]

    # ------------------------------------------------------------------ saving
    def model_bytes(self) -> bytes:
        """The network as an ``.npz`` model file (``MLP.load`` reads it back)."""
        buffer = io.BytesIO()
        self.net.save(buffer)
        return buffer.getvalue()

    def model_file_name(self) -> str:
        c = self.config
        return f"boundaries-{c.data}-{'-'.join(c.features)}-{describe_hidden(c.hidden)}.npz"

    def status_line(self) -> str:
        c = self.config
        state = _("playing") if self.playing else _("paused")
        return _("Epoch {epoch} · {state} · {data}, {activation}, {optimizer} lr {lr:g}").format(
            epoch=self.epoch, state=state, data=data_label(c.data),
            activation=activation_label(c.activation), optimizer=optimizer_label(c.optimizer),
            lr=c.learning_rate)


_CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")


# ----------------------------------------------------------------------------- the hover text


def _term(weight: float, name: str, first: bool) -> str:
    if first:
        return f"{'−' if weight < 0 else ''}{abs(weight):.2f}·{name}"
    return f" {'−' if weight < 0 else '+'} {abs(weight):.2f}·{name}"


def linear_text(weights: np.ndarray, bias: float, names: list[str], per_line: int = 3) -> str:
    """``0.52·x1 − 1.31·x2 + 0.10``, broken into lines of ``per_line`` terms."""
    terms = [_term(float(w), n, i == 0) for i, (w, n) in enumerate(zip(weights, names, strict=True))]
    terms.append(f" {'−' if bias < 0 else '+'} {abs(float(bias)):.2f}")
    lines = ["".join(terms[i : i + per_line]) for i in range(0, len(terms), per_line)]
    return "\n".join(lines)


def unit_names(config: BoundaryConfig) -> list[list[str]]:
    """Short names of every unit, layer by layer: ``x1``..., ``h1,1``..., ``class 0``..."""
    names = [[d2.FEATURES[f][0] for f in config.features]]
    for layer, size in enumerate(config.hidden, start=1):
        names.append([f"h{layer},{j + 1}" for j in range(size)])
    names.append([_("class {k}").format(k=k) for k in range(config.n_classes)])
    return names


def unit_formulas(net: Any, config: BoundaryConfig) -> list[list[str]]:
    """Each unit's formula with the current numbers, layer by layer (for hover text)."""
    names = unit_names(config)
    formulas = [[_("input {name} = {FEATURE_FORMULAS}\n(from the point's coordinates "
                 "x1, x2 in [−6, 6]; it lies in [−1, 1])").format(name=name, FEATURE_FORMULAS=d2.FEATURE_FORMULAS[f])
                 for name, f in zip(names[0], config.features, strict=True)]]
    act = config.activation
    n_layers = len(net.weights)
    for layer, (weight, bias) in enumerate(zip(net.weights, net.biases, strict=True)):
        column = []
        for j in range(weight.shape[1]):
            inner = linear_text(weight[:, j], float(bias[j]), names[layer])
            target = names[layer + 1][j]
            if layer < n_layers - 1:
                column.append(f"{target} = {act}(\n{inner})")
            else:
                column.append(_("P({target}) = softmax(z)[{j}], where\nz{j} = {inner}").format(
                    target=target, j=j, inner=inner))
        formulas.append(column)
    return formulas


# ----------------------------------------------------------------------------- the page's glue

#: Set in ``st.session_state`` once the Boundaries page has read the address (once a session).
URL_READ_KEY = "boundaries-url-read"
WIDGET_PREFIX = "bd-"
_WIDGET_FIELDS = ("data", "noise", "ratio", "activation", "optimizer", "learning_rate",
                  "batch_size", "l1", "l2", "seed", "show_test", "discretize")


#: The features widget (a multi-select of ``datasets2d.FEATURES`` keys).
FEATURES_KEY = WIDGET_PREFIX + "features"


def widget_key(field_name: str) -> str:
    return WIDGET_PREFIX + field_name


def lab_for(pg: Any, session_state: Any, query: Mapping[str, Any]) -> tuple[BoundaryLab, list[str]]:
    """The tab's lab (made on the first visit), and a note per refused link value.

    The first Boundaries page run of a browser session reads the address, if it is a
    Boundaries link: a shared link, or a reload (whose restored lab keeps its network
    when the link says what it already has).
    """
    lab = pg.room("boundaries")
    from_link = not session_state.get(URL_READ_KEY) and is_boundaries_query(query)
    session_state[URL_READ_KEY] = True
    notes: list[str] = []
    if not isinstance(lab, BoundaryLab):
        config = BoundaryConfig()
        if from_link:
            config, notes = config_from_query(query, config)
        lab = BoundaryLab(config)
        pg.rooms["boundaries"] = lab
    elif from_link:
        config, notes = config_from_query(query, lab.config)
        lab.apply(config)
    return lab, notes


def widget_values(config: BoundaryConfig) -> dict[str, Any]:
    """What every settings widget shows for ``config`` (keyed by widget key)."""
    values = {widget_key(name): getattr(config, name) for name in _WIDGET_FIELDS}
    values[FEATURES_KEY] = list(config.features)
    return values


def config_from_widgets(values: Mapping[str, Any], fallback: BoundaryConfig) -> tuple[
        BoundaryConfig, str | None]:
    """The config the widgets hold (``fallback``'s for any missing), and a note if a
    choice had to be refused (no input feature left)."""
    changes = {name: values[widget_key(name)] for name in _WIDGET_FIELDS
               if values.get(widget_key(name)) is not None}
    picked = values.get(FEATURES_KEY)
    picked = fallback.features if picked is None else picked
    chosen = tuple(f for f in d2.FEATURES if f in picked)
    note = None
    if not chosen:
        chosen = fallback.features
        note = _("The network needs at least one input feature: kept {features}.").format(
            features=", ".join(d2.FEATURES[f][0] for f in chosen))
    for name in ("noise", "ratio", "batch_size", "seed"):
        if name in changes:
            changes[name] = int(changes[name])
    for name in ("learning_rate", "l1", "l2"):
        if name in changes:
            changes[name] = float(changes[name])
    return replace(fallback, features=chosen, **changes), note


def add_layer(config: BoundaryConfig) -> BoundaryConfig:
    """One more hidden layer (of 2 units, as TensorFlow Playground adds), up to the limit."""
    if len(config.hidden) >= MAX_HIDDEN_LAYERS:
        return config
    return replace(config, hidden=(*config.hidden, 2))


def remove_layer(config: BoundaryConfig) -> BoundaryConfig:
    return replace(config, hidden=config.hidden[:-1])


def add_unit(config: BoundaryConfig, layer: int) -> BoundaryConfig:
    hidden = list(config.hidden)
    hidden[layer] = min(MAX_UNITS, hidden[layer] + 1)
    return replace(config, hidden=tuple(hidden))


def remove_unit(config: BoundaryConfig, layer: int) -> BoundaryConfig:
    hidden = list(config.hidden)
    hidden[layer] = max(1, hidden[layer] - 1)
    return replace(config, hidden=tuple(hidden))


def column_titles(config: BoundaryConfig) -> list[str]:
    titles = [_("Input")]
    titles += [_("Hidden {i}").format(i=i) for i in range(1, len(config.hidden) + 1)]
    return [*titles, _("Output")]


def live_frame(lab: BoundaryLab, snapshot: Snapshot | None = None) -> dict[str, Any]:
    """The payload the live panel's canvas component draws for the lab as it is now."""
    from playground.boundaries import figures as bf

    c = lab.config
    snap = snapshot or lab.snapshot()
    _unused, proba = lab.boundary()
    network = bf.network_payload(
        lab.neuron_maps(), lab.net.weights, unit_names(c), unit_formulas(lab.net, c),
        column_titles(c),
    )
    return bf.frame_payload(
        frame=lab.frames,
        title=_("Epoch {epoch} · test accuracy {test_accuracy:.1%} · "
              "test loss {test_loss:.3f}").format(epoch=snap.epoch, test_accuracy=snap.test_accuracy, test_loss=snap.test_loss),
        proba=proba, discretize=c.discretize, train=lab.points("train"),
        test=lab.points("test") if c.show_test else None, network=network,
        history=lab.history(), confusion=lab.confusion(), domain=d2.DOMAIN,
    )
