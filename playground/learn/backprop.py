"""The Backprop page's logic, without Streamlit: one training step of a tiny network on
one sample or a batch of four, walked through in three stages, every number the engine's.

* **Forward**: ``net.forward_trace(X)`` gives ``z1, a1, z2, p`` (one row per sample);
  ``net.evaluate`` each sample's loss ``C_i`` and the batch's mean ``L``.
* **Backward**: ``net.loss_and_gradients`` on each sample alone gives that sample's
  ``dW1, db1, dW2, db2``; for one sample the bias gradient *is* the layer's error, so
  the rows of ``delta2`` and ``delta1`` are the samples' ``db2`` and ``db1``. On the
  whole batch it gives the gradients the update uses, which are the mean of the
  samples' (tutorial 4.3: ``eta/m sum_k dC_k/dw``); the page shows both and how far
  apart they are. ``f'(z1)`` is the engine's own activation derivative
  (``activations.DERIVATIVES``) applied to a vector of ones.
* **Update**: ``net.train_step(X, y, optimizer="sgd")``, the engine's SGD step
  ``W <- W - eta dW`` (``nn_core.optimizers.SGD``).

The output error is shown unfused, as the tutorial's section 3.2 writes it:
``delta2 = dC/dp (.) sigma'(z2)``. The engine never forms those two factors (it
computes the fused ``p - y`` for the cross-entropies, and the quadratic cost's
product in one go), so they are the one thing computed here, from their textbook
formulas (``dC/dp``, and the softmax's Jacobian ``diag(p) - p^T p``; the sigmoid's
slope is the engine's own derivative). Their product is then set beside the engine's
``delta2`` with the relative difference, so the page shows that they agree.

Beside each gradient, :func:`gradient_check` estimates it by central finite
differences of the engine's loss (``net.evaluate``), perturbing one weight at a time.
Nothing else here computes a forward pass, a loss or a gradient itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from nn_core import MLP
from nn_core import activations as act
from playground.common.i18n import N_

ACTIVATIONS = ("sigmoid", "tanh", "relu")
ACTIVATION_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}
OUTPUTS = ("softmax", "sigmoid", "quadratic")
OUTPUT_LABELS = {
    "softmax": N_("softmax + cross-entropy"),
    "sigmoid": N_("sigmoid + binary cross-entropy (summed)"),
    "quadratic": N_("sigmoid + quadratic cost (tutorial §5)"),
}
#: The page's output choice as the engine's ``(output, loss)`` (None: the output's own).
ENGINE_OUTPUT = {"softmax": ("softmax", None), "sigmoid": ("sigmoid", None),
                 "quadratic": ("sigmoid", "mse")}
N_INPUTS, N_HIDDEN = 2, 3
BATCH_SIZES = (1, 4)
#: The batch of four: the person's sample first, then these (inputs, label), the label
#: taken modulo the number of outputs.
EXTRA_SAMPLES = (((-0.5, 1.0), 1), ((1.5, 0.5), 2), ((-1.0, -1.5), 0))
STAGES = ("start", "forward", "backward", "update")
FD_STEP = 1e-6  # central differences in float64: truncation ~h^2, rounding ~1e-16/h
#: f'(z) below this counts as saturated (sigmoid, tanh) or dead (ReLU) on the page.
STUCK_SLOPE = 0.05

#: Every quantity the page shows, in the order it appears.
FORWARD_NAMES = ("z1", "a1", "z2", "p", "C", "L")
BACKWARD_NAMES = ("dCdp", "slope2", "delta2_factors", "delta2", "shrink", "dW2_each", "dW2",
                  "db2", "fprime1", "delta1", "dW1_each", "dW1", "db1")
PARAM_NAMES = ("W1", "b1", "W2", "b2")
GRADIENT_OF = {"dW1": ("weights", 0), "db1": ("biases", 0), "dW2": ("weights", 1),
               "db2": ("biases", 1)}
#: Each batch gradient and the per-sample quantity whose mean it is.
SAMPLE_PARTS = {"dW2": "dW2_each", "db2": "delta2", "dW1": "dW1_each", "db1": "delta1"}


def tiny_network(activation: str = "sigmoid", output: str = "softmax", n_outputs: int = 3,
                 seed: int = 0) -> MLP:
    """The 2-3-K network of the page, in float64 so finite differences are precise."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}; got {output!r}")
    if n_outputs not in (2, 3):
        raise ValueError(f"the tiny network has 2 or 3 outputs; got {n_outputs!r}")
    engine_output, loss = ENGINE_OUTPUT[output]
    return MLP([N_INPUTS, N_HIDDEN, n_outputs], activation=activation, output=engine_output,
               loss=loss, seed=seed, dtype=np.float64)


def one_hot(labels: Iterable[int] | int, n_outputs: int) -> np.ndarray:
    """``(m, n_outputs)`` rows of 0 with a 1 at each label (one row for an int)."""
    labels = np.atleast_1d(np.asarray(labels, dtype=np.intp))
    target = np.zeros((labels.size, n_outputs))
    target[np.arange(labels.size), labels] = 1.0
    return target


def batch(x: tuple[float, float], label: int, n_outputs: int,
          batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The batch's inputs ``(m, 2)`` and labels ``(m,)``: the person's sample first."""
    if batch_size not in BATCH_SIZES:
        raise ValueError(f"the batch holds {' or '.join(map(str, BATCH_SIZES))} samples; "
                         f"got {batch_size!r}")
    rows = [(tuple(x), int(label))] + [(xs, lab % n_outputs) for xs, lab in EXTRA_SAMPLES]
    rows = rows[:batch_size]
    return (np.array([r[0] for r in rows], dtype=np.float64),
            np.array([r[1] for r in rows], dtype=np.intp))


def parameters(net: MLP) -> dict[str, np.ndarray]:
    """Copies of the live weights and biases (biases as ``(1, n)`` rows, like ``z``)."""
    return {"W1": net.weights[0].copy(), "b1": net.biases[0][None, :].copy(),
            "W2": net.weights[1].copy(), "b2": net.biases[1][None, :].copy()}


def forward_values(net: MLP, X: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """``z1, a1, z2, p`` from ``net.forward_trace``; each sample's loss ``C`` and the
    batch's ``L`` from ``net.evaluate``."""
    zs, activations = net.forward_trace(X)
    each = [net.evaluate(X[i : i + 1], labels[i : i + 1])[0] for i in range(len(X))]
    loss, _unused = net.evaluate(X, labels)
    return {"z1": zs[0], "a1": activations[1], "z2": zs[1], "p": activations[2],
            "C": np.array(each)[:, None], "L": np.array([[loss]])}


def output_gradient(output: str, p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dC/dp``, each sample's loss by its outputs (the tutorial's ``nabla_a C``):
    ``-y/p`` for softmax's cross-entropy, ``-y/p + (1-y)/(1-p)`` for the binary one
    (tutorial 4.2), ``p - y`` for the quadratic cost."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if output == "softmax":
            return np.where(y > 0, -y / p, 0.0)
        if output == "sigmoid":
            return -y / p + (1.0 - y) / (1.0 - p)
    if output == "quadratic":
        return p - y
    raise ValueError(f"output must be one of {', '.join(OUTPUTS)}; got {output!r}")


def output_slope(output: str, p: np.ndarray) -> np.ndarray:
    """How the outputs move with ``z2``: the sigmoid's ``sigma'(z2) = p (1 - p)`` by the
    engine's own derivative, ``(m, K)``; for softmax, each sample's Jacobian
    ``dp_k/dz_j = p_k (delta_kj - p_j)``, ``(m, K, K)`` (symmetric)."""
    if output == "softmax":
        return np.einsum("ik,kj->ikj", p, np.eye(p.shape[1])) - np.einsum("ik,ij->ikj", p, p)
    slope = np.ones_like(p)
    act.DERIVATIVES["sigmoid"](p.copy(), slope, np.empty_like(p))
    return slope


def chain(output: str, dcdp: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """``delta2`` from its two factors: ``dC/dp (.) sigma'`` elementwise, or for softmax
    each row times its Jacobian."""
    if output == "softmax":
        return np.einsum("ik,ikj->ij", dcdp, slope)
    return dcdp * slope


def backward_values(net: MLP, X: np.ndarray, labels: np.ndarray,
                    output: str) -> dict[str, np.ndarray]:
    """The gradients from ``net.loss_and_gradients``, per sample and for the batch, the
    errors they contain, and ``delta2``'s two factors."""
    per_sample = [net.loss_and_gradients(X[i : i + 1], labels[i : i + 1]) for i in range(len(X))]
    _unused, grad_weights, grad_biases = net.loss_and_gradients(X, labels)
    _unused, activations = net.forward_trace(X)
    a1, p = activations[1], activations[2]
    y = one_hot(labels, p.shape[1])
    fprime = np.ones_like(a1)  # f'(z1): the engine's derivative applied to ones
    act.DERIVATIVES[net.activation](a1.copy(), fprime, np.empty_like(a1))
    delta2 = np.stack([gb[1] for _unused, _unused, gb in per_sample])  # one sample: db2 = delta2
    dcdp = output_gradient(output, p, y)
    slope = output_slope(output, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = (np.linalg.norm(delta2, axis=1) / np.linalg.norm(p - y, axis=1))[:, None]
    return {
        "dCdp": dcdp,
        "slope2": slope,
        "delta2_factors": chain(output, dcdp, slope),
        "delta2": delta2,
        "shrink": shrink,
        "dW2_each": np.stack([gw[1] for _unused, gw, _unused in per_sample]),
        "dW2": grad_weights[1],
        "db2": grad_biases[1][None, :],
        "fprime1": fprime,
        "delta1": np.stack([gb[0] for _unused, _unused, gb in per_sample]),  # one sample: db1 = delta1
        "dW1_each": np.stack([gw[0] for _unused, gw, _unused in per_sample]),
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


def gradient_check(net: MLP, X: np.ndarray, labels: np.ndarray | list[int] | int,
                   analytic: dict[str, np.ndarray],
                   step: float = FD_STEP) -> dict[str, GradientCheck]:
    """For each of ``dW1, db1, dW2, db2``: ``(L(w + h) - L(w - h)) / 2h`` for every entry,
    with ``L`` the engine's loss on the batch (``net.evaluate``), and the relative
    difference from ``analytic[name]``. The weights are restored exactly afterwards."""
    labels = np.atleast_1d(np.asarray(labels))
    checks = {}
    for name, (kind, layer) in GRADIENT_OF.items():
        live = getattr(net, kind)[layer]
        estimate = np.zeros(live.shape)
        for index in np.ndindex(live.shape):
            original = live[index]
            live[index] = original + step
            up, _unused = net.evaluate(X, labels)
            live[index] = original - step
            down, _unused = net.evaluate(X, labels)
            live[index] = original
            estimate[index] = (up - down) / (2.0 * step)
        if kind == "biases":
            estimate = estimate[None, :]
        checks[name] = GradientCheck(estimate, relative_difference(analytic[name], estimate))
    return checks


def stuck_count(slopes: np.ndarray) -> int:
    """How many ``f'(z)`` values are below :data:`STUCK_SLOPE` (saturated or dead)."""
    return int(np.count_nonzero(np.asarray(slopes) < STUCK_SLOPE))


# --------------------------------------------------------------------------- the walk


@dataclass
class BackpropWalk:
    """One tab's walk through training steps: the network, the batch, what is shown.

    ``stage`` is where the walk stands: ``"start"`` (weights only), ``"forward"``,
    ``"backward"`` or ``"update"`` (the weights just moved). ``values`` holds every
    quantity on show; ``previous`` what was on show before the last button, so the
    page can highlight what just changed. ``mean_differences`` says, for each batch
    gradient, how far the mean of the samples' gradients is from it.
    """

    activation: str = "sigmoid"
    output: str = "softmax"
    n_outputs: int = 3
    seed: int = 0
    x: tuple[float, float] = (1.0, -0.5)
    label: int = 0
    learning_rate: float = 0.5
    batch_size: int = 1
    net: MLP | None = None
    stage: str = "start"
    values: dict[str, np.ndarray] = field(default_factory=dict)
    previous: dict[str, np.ndarray] = field(default_factory=dict)
    checks: dict[str, GradientCheck] = field(default_factory=dict)
    mean_differences: dict[str, float] = field(default_factory=dict)
    factor_difference: float | None = None
    loss_before: float | None = None
    loss_after: float | None = None
    steps_taken: int = 0

    def __post_init__(self) -> None:
        if self.net is None:
            self.rebuild()

    # -------------------------------------------------------------- settings
    @property
    def inputs(self) -> np.ndarray:
        """The batch's inputs ``X``, ``(m, 2)``: the person's sample in row 0."""
        return batch(self.x, self.label, self.n_outputs, self.batch_size)[0]

    @property
    def labels(self) -> np.ndarray:
        return batch(self.x, self.label, self.n_outputs, self.batch_size)[1]

    @property
    def target(self) -> np.ndarray:
        """The one-hot targets ``Y``, ``(m, K)``."""
        return one_hot(self.labels, self.n_outputs)

    def rebuild(self) -> None:
        """A fresh network from the settings (its starting weights come from ``seed``)."""
        self.net = tiny_network(self.activation, self.output, self.n_outputs, self.seed)
        self.steps_taken = 0
        self._restart()

    def _restart(self) -> None:
        self.stage = "start"
        self.previous = {}
        self.values = parameters(self.net)
        self.checks, self.mean_differences, self.factor_difference = {}, {}, None
        self.loss_before = self.loss_after = None

    def configure(self, activation: str, output: str, n_outputs: int, seed: int,
                  x: Iterable[float], label: int, learning_rate: float,
                  batch_size: int = 1) -> bool:
        """Apply the page's settings. A new architecture or seed builds a new network;
        a new sample, batch or learning rate keeps the weights and starts the step over.
        Returns whether anything changed."""
        x = tuple(float(v) for v in x)
        if len(x) != N_INPUTS or not all(math.isfinite(v) for v in x):
            raise ValueError(f"the sample needs {N_INPUTS} finite inputs; got {x!r}")
        if not 0 <= int(label) < int(n_outputs):
            raise ValueError(f"the label must be a class 0..{int(n_outputs) - 1}; got {label!r}")
        if not (math.isfinite(float(learning_rate)) and float(learning_rate) > 0):
            raise ValueError(f"the learning rate must be positive; got {learning_rate!r}")
        if int(batch_size) not in BATCH_SIZES:
            raise ValueError(f"the batch holds {' or '.join(map(str, BATCH_SIZES))} samples; "
                             f"got {batch_size!r}")
        network = (activation, output, int(n_outputs), int(seed))
        sample = (x, int(label), float(learning_rate), int(batch_size))
        if network != (self.activation, self.output, self.n_outputs, self.seed):
            self.activation, self.output, self.n_outputs, self.seed = network
            self.x, self.label, self.learning_rate, self.batch_size = sample
            self.rebuild()
            return True
        if sample != (self.x, self.label, self.learning_rate, self.batch_size):
            self.x, self.label, self.learning_rate, self.batch_size = sample
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
        """Forward pass with the current weights: z1, a1, z2, p and the losses."""
        self.previous = dict(self.values)
        if self.stage == "update":  # a new step: the old backward values are stale
            self.values = parameters(self.net)
            self.checks, self.mean_differences, self.factor_difference = {}, {}, None
        self.values.update({f"{name}_used": value
                            for name, value in parameters(self.net).items()})
        self.values.update(forward_values(self.net, self.inputs, self.labels))
        self.loss_before = float(self.values["L"][0, 0])
        self.loss_after = None
        self.stage = "forward"

    def backward(self) -> None:
        """Errors and gradients, each batch gradient checked by finite differences and
        against the mean of the samples' gradients."""
        if not self.can_backward:
            raise ValueError("press Forward first: the backward pass needs its values")
        self.previous = dict(self.values)
        grads = backward_values(self.net, self.inputs, self.labels, self.output)
        self.values.update(grads)
        self.checks = gradient_check(self.net, self.inputs, self.labels, grads)
        self.mean_differences = {
            name: relative_difference(grads[part].mean(axis=0).reshape(grads[name].shape),
                                      grads[name])
            for name, part in SAMPLE_PARTS.items()
        }
        self.factor_difference = relative_difference(grads["delta2_factors"], grads["delta2"])
        self.stage = "backward"

    def update(self) -> None:
        """The engine's SGD step on the batch: ``W <- W - eta dW`` for every W and b; then
        the values the new weights give (for the diagram) and the loss after."""
        if not self.can_update:
            raise ValueError("press Backward first: the update needs the gradients")
        self.previous = dict(self.values)
        self.net.train_step(self.inputs, self.labels, optimizer="sgd",
                            learning_rate=self.learning_rate)
        self.values.update(parameters(self.net))
        _unused, activations = self.net.forward_trace(self.inputs)
        self.values["a1_after"], self.values["p_after"] = activations[1], activations[2]
        self.loss_after = float(self.net.evaluate(self.inputs, self.labels)[0])
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
                r"C = -\sum_k y_k \log p_k"),
    "sigmoid": (r"p = \sigma(z_2)",
                r"C = -\sum_k \left[y_k \log p_k + (1 - y_k) \log(1 - p_k)\right]"),
    "quadratic": (r"p = \sigma(z_2)", r"C = \tfrac{1}{2} \sum_k (p_k - y_k)^2"),
}
#: ``dC/dp`` and how ``p`` moves with ``z2`` (the two factors of ``delta2``), and how
#: they combine, per output choice.
FACTOR_TEX = {
    "softmax": (r"\frac{\partial C}{\partial p} = -\frac{y}{p}",
                r"\frac{\partial p}{\partial z_2} = \mathrm{diag}(p) - p^{\top} p",
                r"\delta_2 = \frac{\partial C}{\partial p}\, \frac{\partial p}{\partial z_2}"),
    "sigmoid": (r"\frac{\partial C}{\partial p} = -\frac{y}{p} + \frac{1 - y}{1 - p}",
                r"\sigma'(z_2) = p \odot (1 - p)",
                r"\delta_2 = \frac{\partial C}{\partial p} \odot \sigma'(z_2)"),
    "quadratic": (r"\frac{\partial C}{\partial p} = p - y",
                  r"\sigma'(z_2) = p \odot (1 - p)",
                  r"\delta_2 = \frac{\partial C}{\partial p} \odot \sigma'(z_2)"),
}


# --------------------------------------------------------------------------- HTML numbers

#: Styles for :func:`html_matrix` and :func:`html_expression` (put on the page once).
HTML_STYLE = """<style>
.bp-row {display: flex; align-items: center; flex-wrap: wrap; gap: 0.35rem;
         font-variant-numeric: tabular-nums; font-size: 0.92rem; min-height: 2.6rem;}
.bp-op {font-size: 1.05rem; padding: 0 0.1rem; color: #333;}
.bp-note {font-size: 0.8rem; color: #666; margin-left: 0.4rem;}
.bp-group {display: inline-flex; align-items: center; gap: 0.35rem; margin-right: 0.5rem;}
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


def difference_text(value: float) -> str:
    """A relative difference for a note: ``0`` when exactly 0, else like ``2.1e-10``."""
    return "0" if value == 0 else f"{value:.1e}"


def html_group(label: str, matrix: str) -> str:
    """A label and its matrix that stay on one line when a row wraps."""
    return f'<span class="bp-group"><span class="bp-op">{label}</span>{matrix}</span>'


def html_expression(*parts: str, note: str = "") -> str:
    """Matrices (from :func:`html_matrix`), groups (:func:`html_group`) and operators
    (``"+"``, ``"="``, ``"·"``...) in one row, plus an optional note at its end."""
    shown = [p if p.startswith(("<table", '<span class="bp-group"')) else
             f'<span class="bp-op">{p}</span>' for p in parts]
    if note:
        shown.append(f'<span class="bp-note">{note}</span>')
    return f'<div class="bp-row">{"".join(shown)}</div>'
