"""What the Backprop page shows, without Streamlit: its settings read from the widgets'
values, each stage's rows (a formula in LaTeX beside its live numbers in HTML), the loss
texts and what to do next.

The page (``pages/backprop.py``) lays out widgets and draws these rows; the numbers
come from :class:`playground.learn.backprop.BackpropWalk`, never computed here. A row's
numbers are HTML (``backprop.html_expression``): much lighter for the browser than the
same matrices in LaTeX, which kept a click's answer over 0.5 s. The cost: the numbers
are not typeset like the formulas beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from playground.learn import backprop as bp

#: The learning rates the page offers.
LEARNING_RATES = [0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0]

#: What the walk's stage asks of the person next.
STAGE_TEXT = {
    "start": "Press **Forward** to run the sample through the network, or **Step** for a "
             "whole training step.",
    "forward": "The forward pass is done. **Backward** computes the gradients.",
    "backward": "The gradients are in. **Update** moves the weights against them.",
    "update": "The weights moved: the loss on this sample went from before to after. "
              "**Forward** (or **Step**) starts the next step.",
}

Row = tuple[str, str]  # (formula in LaTeX, numbers in HTML)


def apply_settings(w: bp.BackpropWalk, values: Mapping[str, Any]) -> None:
    """The controls' current values (``values``: the widgets' state, by key) into the
    walk; a control not drawn yet keeps the walk's own setting."""
    n_outputs = int(values.get("bp-outputs", w.n_outputs))
    label = min(int(values.get(f"bp-label-{n_outputs}", w.label)), n_outputs - 1)
    w.configure(
        activation=values.get("bp-activation", w.activation),
        output=values.get("bp-output", w.output),
        n_outputs=n_outputs,
        seed=int(values.get("bp-seed", w.seed)),
        x=(values.get("bp-x1", w.x[0]), values.get("bp-x2", w.x[1])),
        label=label,
        learning_rate=float(values.get("bp-lr", w.learning_rate)),
    )


# --------------------------------------------------------------------------- loss metrics


def loss_text(value: float | None) -> str:
    """A loss for a metric: 4 significant digits, like every number on the page."""
    return "—" if value is None else bp.number_text(value)


def loss_change_text(before: float | None, after: float | None) -> str | None:
    """The update's change of the loss, signed, 4 significant digits (None before an
    update; ``0`` when nothing changed, never ``-0``)."""
    if before is None or after is None:
        return None
    text = bp.number_text(after - before)
    return text if text == "0" or text.startswith("-") else f"+{text}"


# --------------------------------------------------------------------------- rows


def _m(w: bp.BackpropWalk, name: str) -> str:
    """The quantity ``name`` as a small matrix, what just changed highlighted."""
    return bp.html_matrix(w.values[name], w.changed(name))


def _plain(values: Any) -> str:
    return bp.html_matrix(values)


def parameter_rows(w: bp.BackpropWalk) -> list[Row]:
    """The weights as they are now."""
    return [(tex, bp.html_expression(_m(w, name)))
            for name, tex in (("W1", "W_1"), ("b1", "b_1"), ("W2", "W_2"), ("b2", "b_2"))]


def forward_rows(w: bp.BackpropWalk) -> list[Row]:
    """x and y, then z1, a1, z2, p and the loss, each with the numbers that made it."""
    f_tex, _ = bp.ACTIVATION_TEX[w.activation]
    p_tex, loss_tex = bp.OUTPUT_TEX[w.output]
    used = {k: _plain(w.values[f"{k}_used"]) for k in bp.PARAM_NAMES}
    return [
        (r"x, \; y", bp.html_expression("x =", _plain(w.inputs), "&nbsp;&nbsp;y =",
                                        _plain(w.target), note=f"one-hot of label {w.label}")),
        (r"z_1 = x W_1 + b_1",
         bp.html_expression(_plain(w.inputs), "·", used["W1"], "+", used["b1"], "=", _m(w, "z1"))),
        (rf"a_1 = f(z_1) = {f_tex}", bp.html_expression(_m(w, "a1"))),
        (r"z_2 = a_1 W_2 + b_2",
         bp.html_expression(_plain(w.values["a1"]), "·", used["W2"], "+", used["b2"], "=",
                            _m(w, "z2"))),
        (p_tex, bp.html_expression(_m(w, "p"))),
        (loss_tex, bp.html_expression(_m(w, "L"))),
    ]


def _gradient_row(w: bp.BackpropWalk, formula: str, name: str) -> Row:
    """A gradient, and beside it its finite-difference estimate and how far apart they are."""
    check = w.checks.get(name)
    parts = [_m(w, name)]
    note = ""
    if check is not None:
        parts += ["&nbsp;&nbsp;finite differences ≈", _plain(check.estimate)]
        note = f"relative difference {check.relative_difference:.1e}"
    return formula, bp.html_expression(*parts, note=note)


def backward_rows(w: bp.BackpropWalk) -> list[Row]:
    """From the loss back to every weight: delta2, the output layer's gradients, f'(z1),
    delta1 and the hidden layer's gradients."""
    _, fprime_tex = bp.ACTIVATION_TEX[w.activation]
    return [
        (r"\delta_2 = \frac{\partial L}{\partial z_2} = p - y",
         bp.html_expression(_plain(w.values["p"]), "−", _plain(w.target), "=", _m(w, "delta2"))),
        _gradient_row(w, r"dW_2 = a_1^{\top} \delta_2", "dW2"),
        _gradient_row(w, r"db_2 = \delta_2", "db2"),
        (rf"f'(z_1) = {fprime_tex}", bp.html_expression(_m(w, "fprime1"))),
        (r"\delta_1 = \delta_2 W_2^{\top} \odot f'(z_1)",
         bp.html_expression(_plain(w.values["delta2"]), "·", _plain(w.values["W2_used"].T), "⊙",
                            _plain(w.values["fprime1"]), "=", _m(w, "delta1"))),
        _gradient_row(w, r"dW_1 = x^{\top} \delta_1", "dW1"),
        _gradient_row(w, r"db_1 = \delta_1", "db1"),
    ]


def update_rows(w: bp.BackpropWalk) -> list[Row]:
    """Every weight and bias moved against its gradient: ``W <- W - eta dW``."""
    eta = bp.number_text(w.learning_rate)
    rows = []
    for name, grad in (("W2", "dW2"), ("b2", "db2"), ("W1", "dW1"), ("b1", "db1")):
        sym = f"{name[0]}_{name[1]}"
        rows.append((rf"{sym} \leftarrow {sym} - \eta\, d{sym}",
                     bp.html_expression(_plain(w.values[f"{name}_used"]), f"− {eta} ×",
                                        _plain(w.values[grad]), "=", _m(w, name))))
    return rows


def diagram_values(w: bp.BackpropWalk) -> tuple[list[np.ndarray], list[Any], list[np.ndarray] | None]:
    """The network diagram's weights, node values (None where not computed yet) and
    gradients (None before Backward)."""
    values = w.values
    forward_done = w.stage != "start"
    backward_done = w.stage in ("backward", "update")
    nodes = [w.inputs[0], values["a1"][0] if forward_done else None,
             values["p"][0] if forward_done else None]
    gradients = [values["dW1"], values["dW2"]] if backward_done else None
    return [values["W1"], values["W2"]], nodes, gradients
