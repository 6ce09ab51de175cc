"""The Backprop page's logic, without Streamlit: one training step of a tiny network on
one sample, walked through in three stages, every number taken from the engine.

* **Forward**: ``net.forward_trace(x)`` gives ``z1, a1, z2, p``; ``net.evaluate`` the loss.
* **Backward**: ``net.loss_and_gradients(x, y)`` gives ``dW1, db1, dW2, db2``. For one
  sample the bias gradient *is* the layer's error (``db = sum over the batch of
  delta``), so ``delta2 = db2`` and ``delta1 = db1``; ``f'(z1)`` is the engine's own
  activation derivative (``activations.DERIVATIVES``) applied to a vector of ones.
* **Update**: ``net.train_step(x, y, optimizer="sgd")``, the engine's SGD step
  ``W <- W - eta dW`` (``nn_core.optimizers.SGD``).

Beside each gradient, :func:`gradient_check` estimates it by central finite
differences of the engine's loss (``net.evaluate``), perturbing one weight at a time.
Nothing here computes a forward pass, a loss or a gradient itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from nn_core import MLP
from nn_core import activations as act

ACTIVATIONS = ("sigmoid", "tanh", "relu")
ACTIVATION_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}
OUTPUTS = ("softmax", "sigmoid")
OUTPUT_LABELS = {
    "softmax": "softmax + cross-entropy",
    "sigmoid": "sigmoid + binary cross-entropy",
}
N_INPUTS, N_HIDDEN = 2, 3
STAGES = ("start", "forward", "backward", "update")
FD_STEP = 1e-6  # central differences in float64: truncation ~h^2, rounding ~1e-16/h

#: Every quantity the page shows, in the order it appears.
FORWARD_NAMES = ("z1", "a1", "z2", "p", "L")
BACKWARD_NAMES = ("delta2", "dW2", "db2", "fprime1", "delta1", "dW1", "db1")
PARAM_NAMES = ("W1", "b1", "W2", "b2")
GRADIENT_OF = {"dW1": ("weights", 0), "db1": ("biases", 0), "dW2": ("weights", 1),
               "db2": ("biases", 1)}


def tiny_network(activation: str = "sigmoid", output: str = "softmax", n_outputs: int = 3,
                 seed: int = 0) -> MLP:
    """The 2-3-K network of the page, in float64 so finite differences are precise."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}; got {output!r}")
    if n_outputs not in (2, 3):
        raise ValueError(f"the tiny network has 2 or 3 outputs; got {n_outputs!r}")
    return MLP([N_INPUTS, N_HIDDEN, n_outputs], activation=activation, output=output,
               seed=seed, dtype=np.float64)


def one_hot(label: int, n_outputs: int) -> np.ndarray:
    target = np.zeros((1, n_outputs))
    target[0, label] = 1.0
    return target


def parameters(net: MLP) -> dict[str, np.ndarray]:
    """Copies of the live weights and biases (biases as ``(1, n)`` rows, like ``z``)."""
    return {"W1": net.weights[0].copy(), "b1": net.biases[0][None, :].copy(),
            "W2": net.weights[1].copy(), "b2": net.biases[1][None, :].copy()}


def forward_values(net: MLP, x: np.ndarray, label: int) -> dict[str, np.ndarray]:
    """``z1, a1, z2, p`` from ``net.forward_trace`` and ``L`` from ``net.evaluate``."""
    zs, activations = net.forward_trace(x)
    loss, _ = net.evaluate(x, [label])
    return {"z1": zs[0], "a1": activations[1], "z2": zs[1], "p": activations[2],
            "L": np.array([[loss]])}


def backward_values(net: MLP, x: np.ndarray, label: int) -> dict[str, np.ndarray]:
    """The gradients from ``net.loss_and_gradients`` and the errors they contain."""
    _, grad_weights, grad_biases = net.loss_and_gradients(x, [label])
    _, activations = net.forward_trace(x)
    a1 = activations[1]
    fprime = np.ones_like(a1)  # f'(z1): the engine's derivative applied to ones
    act.DERIVATIVES[net.activation](a1.copy(), fprime, np.empty_like(a1))
    return {
        "delta2": grad_biases[1][None, :],  # one sample: db2 = delta2
        "dW2": grad_weights[1],
        "db2": grad_biases[1][None, :],
        "fprime1": fprime,
        "delta1": grad_biases[0][None, :],  # one sample: db1 = delta1
        "dW1": grad_weights[0],
        "db1": grad_biases[0][None, :],
    }


@dataclass
class GradientCheck:
    """A central finite-difference estimate of one gradient and how far the engine's is."""

    estimate: np.ndarray
    relative_difference: float


def relative_difference(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``||a - n|| / max(||a||, ||n||)``; 0 when both are (numerically) zero."""
    scale = max(float(np.linalg.norm(analytic)), float(np.linalg.norm(numeric)))
    if scale < 1e-12:
        return 0.0
    return float(np.linalg.norm(analytic - numeric)) / scale


def gradient_check(net: MLP, x: np.ndarray, label: int, analytic: dict[str, np.ndarray],
                   step: float = FD_STEP) -> dict[str, GradientCheck]:
    """For each of ``dW1, db1, dW2, db2``: ``(L(w + h) - L(w - h)) / 2h`` for every entry,
    with ``L`` the engine's loss (``net.evaluate``), and the relative difference from
    ``analytic[name]``. The weights are restored exactly afterwards."""
    checks = {}
    for name, (kind, layer) in GRADIENT_OF.items():
        live = getattr(net, kind)[layer]
        estimate = np.zeros(live.shape)
        for index in np.ndindex(live.shape):
            original = live[index]
            live[index] = original + step
            up, _ = net.evaluate(x, [label])
            live[index] = original - step
            down, _ = net.evaluate(x, [label])
            live[index] = original
            estimate[index] = (up - down) / (2.0 * step)
        if kind == "biases":
            estimate = estimate[None, :]
        checks[name] = GradientCheck(estimate, relative_difference(analytic[name], estimate))
    return checks


# --------------------------------------------------------------------------- the walk


@dataclass
class BackpropWalk:
    """One tab's walk through training steps: the network, the sample, what is shown.

    ``stage`` is where the walk stands: ``"start"`` (weights only), ``"forward"``,
    ``"backward"`` or ``"update"`` (the weights just moved). ``values`` holds every
    quantity on show; ``previous`` what was on show before the last button, so the
    page can highlight what just changed.
    """

    activation: str = "sigmoid"
    output: str = "softmax"
    n_outputs: int = 3
    seed: int = 0
    x: tuple[float, float] = (1.0, -0.5)
    label: int = 0
    learning_rate: float = 0.5
    net: MLP | None = None
    stage: str = "start"
    values: dict[str, np.ndarray] = field(default_factory=dict)
    previous: dict[str, np.ndarray] = field(default_factory=dict)
    checks: dict[str, GradientCheck] = field(default_factory=dict)
    loss_before: float | None = None
    loss_after: float | None = None
    steps_taken: int = 0

    def __post_init__(self) -> None:
        if self.net is None:
            self.rebuild()

    # -------------------------------------------------------------- settings
    @property
    def inputs(self) -> np.ndarray:
        return np.array([self.x], dtype=np.float64)

    @property
    def target(self) -> np.ndarray:
        return one_hot(self.label, self.n_outputs)

    def rebuild(self) -> None:
        """A fresh network from the settings (its starting weights come from ``seed``)."""
        self.net = tiny_network(self.activation, self.output, self.n_outputs, self.seed)
        self.steps_taken = 0
        self._restart()

    def _restart(self) -> None:
        self.stage = "start"
        self.previous = {}
        self.values = parameters(self.net)
        self.checks = {}
        self.loss_before = self.loss_after = None

    def configure(self, activation: str, output: str, n_outputs: int, seed: int,
                  x: Iterable[float], label: int, learning_rate: float) -> bool:
        """Apply the page's settings. A new architecture or seed builds a new network;
        a new sample or learning rate keeps the weights and starts the step over.
        Returns whether anything changed."""
        x = tuple(float(v) for v in x)
        if len(x) != N_INPUTS or not all(math.isfinite(v) for v in x):
            raise ValueError(f"the sample needs {N_INPUTS} finite inputs; got {x!r}")
        if not 0 <= int(label) < int(n_outputs):
            raise ValueError(f"the label must be a class 0..{int(n_outputs) - 1}; got {label!r}")
        if not (math.isfinite(float(learning_rate)) and float(learning_rate) > 0):
            raise ValueError(f"the learning rate must be positive; got {learning_rate!r}")
        network = (activation, output, int(n_outputs), int(seed))
        if network != (self.activation, self.output, self.n_outputs, self.seed):
            self.activation, self.output, self.n_outputs, self.seed = network
            self.x, self.label, self.learning_rate = x, int(label), float(learning_rate)
            self.rebuild()
            return True
        sample = (x, int(label), float(learning_rate))
        if sample != (self.x, self.label, self.learning_rate):
            self.x, self.label, self.learning_rate = sample
            self._restart()
            return True
        return False

    # -------------------------------------------------------------- stages
    @property
    def can_backward(self) -> bool:
        return self.stage in ("forward", "backward")

    @property
    def can_update(self) -> bool:
        return self.stage == "backward"

    def forward(self) -> None:
        """Forward pass with the current weights: z1, a1, z2, p and the loss."""
        self.previous = dict(self.values)
        if self.stage == "update":  # a new step: the old backward values are stale
            self.values = parameters(self.net)
            self.checks = {}
        self.values.update({f"{name}_used": value
                            for name, value in parameters(self.net).items()})
        self.values.update(forward_values(self.net, self.inputs, self.label))
        self.loss_before = float(self.values["L"][0, 0])
        self.loss_after = None
        self.stage = "forward"

    def backward(self) -> None:
        """Errors and gradients, each gradient checked by finite differences."""
        if not self.can_backward:
            raise ValueError("press Forward first: the backward pass needs its values")
        self.previous = dict(self.values)
        grads = backward_values(self.net, self.inputs, self.label)
        self.values.update(grads)
        self.checks = gradient_check(self.net, self.inputs, self.label, grads)
        self.stage = "backward"

    def update(self) -> None:
        """The engine's SGD step on this sample: ``W <- W - eta dW`` for every W and b."""
        if not self.can_update:
            raise ValueError("press Backward first: the update needs the gradients")
        self.previous = dict(self.values)
        self.net.train_step(self.inputs, [self.label], optimizer="sgd",
                            learning_rate=self.learning_rate)
        self.values.update(parameters(self.net))
        self.loss_after = float(self.net.evaluate(self.inputs, [self.label])[0])
        self.steps_taken += 1
        self.stage = "update"

    def step(self) -> None:
        """Forward, Backward and Update in one go; highlights show what the step changed."""
        before = dict(self.values)
        self.forward()
        self.backward()
        self.update()
        self.previous = before

    def changed(self, name: str) -> np.ndarray | None:
        """Entries of ``name`` that differ from what was shown before the last button
        (all of them if it was not shown); None if ``name`` is not on show."""
        value = self.values.get(name)
        if value is None:
            return None
        old = self.previous.get(name)
        if old is None or old.shape != value.shape:
            return np.ones(value.shape, dtype=bool)
        return value != old


# --------------------------------------------------------------------------- formulas

ACTIVATION_TEX = {
    "sigmoid": (r"\sigma(z_1) = \frac{1}{1 + e^{-z_1}}", r"a_1 \odot (1 - a_1)"),
    "tanh": (r"\tanh(z_1)", r"1 - a_1^2"),
    "relu": (r"\max(0, z_1)", r"[z_1 > 0]"),
}
OUTPUT_TEX = {
    "softmax": (r"p = \mathrm{softmax}(z_2),\; p_k = \frac{e^{z_{2,k}}}{\sum_j e^{z_{2,j}}}",
                r"L = -\sum_k y_k \log p_k"),
    "sigmoid": (r"p = \sigma(z_2)",
                r"L = -\sum_k \left[y_k \log p_k + (1 - y_k) \log(1 - p_k)\right]"),
}


# --------------------------------------------------------------------------- HTML numbers

#: Styles for :func:`html_matrix` and :func:`html_expression` (put on the page once).
HTML_STYLE = """<style>
.bp-row {display: flex; align-items: center; flex-wrap: wrap; gap: 0.35rem;
         font-variant-numeric: tabular-nums; font-size: 0.92rem; min-height: 2.6rem;}
.bp-op {font-size: 1.05rem; padding: 0 0.1rem; color: #333;}
.bp-note {font-size: 0.8rem; color: #666; margin-left: 0.4rem;}
table.bp-m {border-collapse: separate; border-spacing: 0; margin: 0; border: none;
            border-left: 2px solid #444; border-right: 2px solid #444; border-radius: 5px;}
table.bp-m td {border: none; padding: 0.05rem 0.45rem; text-align: right; line-height: 1.3;}
table.bp-m td.bp-hi {color: #d9480f; font-weight: 700; background: #fff1e6;}
</style>"""


def number_text(value: float, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits (``-0`` shown as ``0``)."""
    text = f"{float(value):.{digits}g}"
    return "0" if text in ("-0", "-0.0") else text


def html_matrix(values: np.ndarray, changed: np.ndarray | None = None, digits: int = 4) -> str:
    """A small matrix as an HTML table with bracket-like sides; entries where ``changed``
    is True are highlighted."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    marks = None if changed is None else np.atleast_2d(changed)
    rows = []
    for i in range(values.shape[0]):
        cells = "".join(
            f'<td class="bp-hi">{number_text(v, digits)}</td>'
            if marks is not None and marks[i, j] else f"<td>{number_text(v, digits)}</td>"
            for j, v in enumerate(values[i])
        )
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="bp-m">{"".join(rows)}</table>'


def html_expression(*parts: str, note: str = "") -> str:
    """Matrices (from :func:`html_matrix`) and operators (``"+"``, ``"="``, ``"·"``...) in
    one row, plus an optional note at its end."""
    shown = [p if p.startswith("<table") else f'<span class="bp-op">{p}</span>' for p in parts]
    if note:
        shown.append(f'<span class="bp-note">{note}</span>')
    return f'<div class="bp-row">{"".join(shown)}</div>'
