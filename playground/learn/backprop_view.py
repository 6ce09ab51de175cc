"""What the Backprop page shows, without Streamlit: its settings read from the widgets'
values, each stage's rows (a formula in LaTeX beside its live numbers in HTML), the loss
texts, what to do next, the diagram's and the activation plot's values with captions
read off their own numbers, and the tutorial's notation mapped onto the page's.

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

from playground.common.i18n import N_, _
from playground.common.models import activation_and_slope
from playground.learn import backprop as bp

#: The learning rates the page offers.
LEARNING_RATES = [0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0]

#: What the walk's stage asks of the person next.
STAGE_TEXT = {
    "start": N_("Press **Forward** to run the sample through the network, or **Step** for a "
             "whole training step."),
    "forward": N_("The forward pass is done. **Backward** computes the gradients."),
    "backward": N_("The gradients are in. **Update** moves the weights against them."),
    "update": N_("The weights moved: the metrics show the loss before and after. "
              "**Forward** (or **Step**) starts the next step."),
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
        batch_size=int(values.get("bp-batch", w.batch_size)),
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


def _m(w: bp.BackpropWalk, name: str, index: int | None = None) -> str:
    """The quantity ``name`` (its ``index``-th slice for a stack of matrices) as a small
    matrix, what just changed highlighted."""
    values, changed = w.values[name], w.changed(name)
    if index is not None:
        values, changed = values[index], changed[index]
    return bp.html_matrix(values, changed)


def _plain(values: Any) -> str:
    return bp.html_matrix(values)


def _per_sample(w: bp.BackpropWalk, name: str) -> list[str]:
    """A stack of matrices, one per sample, each after its sample number."""
    return [bp.html_group(f"i = {i}:", _m(w, name, i)) for i in range(w.values[name].shape[0])]


def _labels_text(w: bp.BackpropWalk) -> str:
    labels = ", ".join(str(int(v)) for v in w.labels)
    if len(w.labels) == 1:
        return _("one-hot of label {labels}").format(labels=labels)
    return _("one row per sample i = 0..{labels}; one-hot of labels {labels2}").format(labels=len(w.labels) - 1, labels2=labels)


def parameter_rows(w: bp.BackpropWalk) -> list[Row]:
    """The weights as they are now."""
    return [(tex, bp.html_expression(_m(w, name)))
            for name, tex in (("W1", "W_1"), ("b1", "b_1"), ("W2", "W_2"), ("b2", "b_2"))]


def forward_rows(w: bp.BackpropWalk) -> list[Row]:
    """x and y, then z1, a1, z2, p and the loss, each with the numbers that made it."""
    f_tex, _unused = bp.ACTIVATION_TEX[w.activation]
    p_tex, loss_tex = bp.OUTPUT_TEX[w.output]
    used = {k: _plain(w.values[f"{k}_used"]) for k in bp.PARAM_NAMES}
    rows = [
        (r"x, \; y", bp.html_expression("x =", _plain(w.inputs), "&nbsp;&nbsp;y =",
                                        _plain(w.target), note=_labels_text(w))),
        (r"z_1 = x W_1 + b_1",
         bp.html_expression(_plain(w.inputs), "·", used["W1"], "+", used["b1"], "=", _m(w, "z1"))),
        (rf"a_1 = f(z_1) = {f_tex}", bp.html_expression(_m(w, "a1"))),
        (r"z_2 = a_1 W_2 + b_2",
         bp.html_expression(_plain(w.values["a1"]), "·", used["W2"], "+", used["b2"], "=",
                            _m(w, "z2"))),
        (p_tex, bp.html_expression(_m(w, "p"))),
        (loss_tex, bp.html_expression(_m(w, "C"), note=_("each sample's loss") if w.batch_size > 1
                                      else "")),
    ]
    if w.batch_size > 1:
        rows.append((r"L = \frac{1}{m} \sum_i C_i",
                     bp.html_expression(_m(w, "L"), note=_("the mean over the m = {batch_size} "
                                        "samples (tutorial 4.2's J): the loss the metrics show").format(batch_size=w.batch_size))))
    return rows


def _gradient_row(w: bp.BackpropWalk, formula: str, name: str) -> Row:
    """A batch gradient, its finite-difference estimate and how far apart they are; for
    a batch also how far the mean of the samples' gradients is from it."""
    check = w.checks.get(name)
    parts = [_m(w, name)]
    notes = []
    if check is not None:
        parts += [_("&nbsp;&nbsp;finite differences ≈"), _plain(check.estimate)]
        notes.append(_("relative difference {difference_text}").format(difference_text=bp.difference_text(check.relative_difference)))
    if w.batch_size > 1 and name in w.mean_differences:
        notes.append(_("the engine's gradient for the whole batch; the mean of the samples' "
                     "differs from it by {difference_text}").format(difference_text=bp.difference_text(w.mean_differences[name])))
    return formula, bp.html_expression(*parts, note="; ".join(notes))


def shrink_note(w: bp.BackpropWalk) -> str:
    """What the ratio ``||delta2|| / ||p - y||`` shown says, from its own numbers."""
    ratios = w.values["shrink"].ravel()
    if np.allclose(ratios, 1.0, rtol=0.0, atol=1e-9):
        return (_("1: dividing by the slope in ∂C/∂p cancels it, so δ₂ = p − y (no slope "
                "left to shrink it)"))
    low, high = bp.number_text(ratios.min()), bp.number_text(ratios.max())
    span = low if low == high else f"{low} to {high}"
    return (_("{span}: the slope σ′(z₂) = p(1 − p), at most ¼, shrinks δ₂ below p − y").format(span=span))


def backward_rows(w: bp.BackpropWalk) -> list[Row]:
    """From the loss back to every weight: delta2 unfused into its two factors, the
    output layer's gradients (per sample and their mean), f'(z1), delta1 and the hidden
    layer's gradients."""
    _unused, fprime_tex = bp.ACTIVATION_TEX[w.activation]
    dcdp_tex, slope_tex, delta_tex = bp.FACTOR_TEX[w.output]
    slope = (_per_sample(w, "slope2") if w.output == "softmax" else [_m(w, "slope2")])
    return [
        (dcdp_tex, bp.html_expression(_m(w, "dCdp"), note=_("the tutorial's ∇ₐC"))),
        (slope_tex, bp.html_expression(*slope)),
        (delta_tex, bp.html_expression(
            _m(w, "delta2_factors"), _("&nbsp;&nbsp;the engine's δ₂ ="), _m(w, "delta2"),
            note=_("each sample's db₂ in the engine; the two differ by "
                 "{difference_text}").format(difference_text=bp.difference_text(w.factor_difference)))),
        (r"\lVert \delta_2 \rVert \,/\, \lVert p - y \rVert",
         bp.html_expression(_m(w, "shrink"), note=shrink_note(w))),
        *_layer_gradient_rows(w, 2, input_i="a_{1,i}", input_one="a_1"),
        (rf"f'(z_1) = {fprime_tex}", bp.html_expression(_m(w, "fprime1"))),
        (r"\delta_1 = \delta_2 W_2^{\top} \odot f'(z_1)",
         bp.html_expression(_plain(w.values["delta2"]), "·", _plain(w.values["W2_used"].T), "⊙",
                            _plain(w.values["fprime1"]), "=", _m(w, "delta1"))),
        *_layer_gradient_rows(w, 1, input_i="x_i", input_one="x"),
    ]


def _layer_gradient_rows(w: bp.BackpropWalk, layer: int, input_i: str,
                         input_one: str) -> list[Row]:
    """Layer ``layer``'s weight and bias gradients from its input (TeX ``input_i``
    for sample i, ``input_one`` for one sample): for a batch each sample's dW, then the
    mean of the samples'; for one sample the tutorial's one-sample formulas."""
    k = layer
    if w.batch_size <= 1:
        return [_gradient_row(w, rf"dW_{k} = {input_one}^{{\top}} \delta_{k}", f"dW{k}"),
                _gradient_row(w, rf"db_{k} = \delta_{k}", f"db{k}")]
    return [
        (rf"dW_{k}^{{(i)}} = {input_i}^{{\top}} \delta_{{{k},i}}",
         bp.html_expression(*_per_sample(w, f"dW{k}_each"))),
        _gradient_row(w, rf"dW_{k} = \frac{{1}}{{m}} \sum_i dW_{k}^{{(i)}}", f"dW{k}"),
        _gradient_row(w, rf"db_{k} = \frac{{1}}{{m}} \sum_i \delta_{{{k},i}}", f"db{k}"),
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


# --------------------------------------------------------------------------- pictures


def diagram_values(
    w: bp.BackpropWalk,
) -> tuple[list[np.ndarray], list[np.ndarray | None], list[np.ndarray] | None, str]:
    """The network diagram's weights, node values (one row per sample, None where not
    computed yet), gradients (None before Backward) and caption. The nodes always go with
    the edges drawn: before the update the weights the forward pass used and its values;
    after it the new weights and the values they give."""
    values = w.values
    updated = w.stage == "update"
    forward_done = w.stage != "start"
    hidden, output = ("a1_after", "p_after") if updated else ("a1", "p")
    nodes = [w.inputs, values[hidden] if forward_done else None,
             values[output] if forward_done else None]
    gradients = [values["dW1"], values["dW2"]] if w.stage in ("backward", "update") else None
    sample = "sample 0's" if w.batch_size > 1 else _("the sample's")
    if not forward_done:
        caption = (_("The weights now. Nodes: {sample} inputs x; a1 and p appear after Forward.").format(sample=sample))
    elif updated:
        caption = (_("After the update: the edges are the new weights and the nodes {sample} "
                   "values with them (the loss after the update). Hover an edge for the "
                   "gradient that moved it.").format(sample=sample))
    else:
        caption = (_("Nodes: {sample} x, a1 and p, computed with the weights on the edges. "
                   "Hover an edge for its weight").format(sample=sample) + (_(" and its gradient.") if gradients else "."))
    return ([values["W1"], values["W2"]], nodes, gradients,
            caption + _(" Indices count from 0: label k is output p[k]; W1[i, j] joins x[i] "
            "to a1[j]."))


def activation_view(w: bp.BackpropWalk) -> tuple[dict[str, Any], str]:
    """The hidden activation's curves (the engine's f and f') with this step's z1 values
    on them, as keyword arguments of ``figures.activation_curves``, and a caption whose
    every number is read off them."""
    z = w.values["z1"] if w.stage != "start" else None
    low, high = -6.0, 6.0
    if z is not None:
        low, high = min(low, float(z.min()) - 0.5), max(high, float(z.max()) + 0.5)
    grid = np.linspace(low, high, 241)
    f, slope = activation_and_slope(w.activation, grid)
    name = bp.ACTIVATION_LABELS[w.activation]
    args: dict[str, Any] = {"name": name, "grid": grid, "f": f, "slope": slope}
    if z is None:
        return args, _("f = {name} (solid) and its slope f′ (dashed). Forward puts z1 on them.").format(name=name)
    f_at_z, slope_at_z = activation_and_slope(w.activation, z)
    args.update(z=z, f_at_z=f_at_z, slope_at_z=slope_at_z)
    n, stuck = z.size, bp.stuck_count(slope_at_z)
    return args, (
        _("f = {name} (solid) and f′ (dashed), with this step's {n} values of z1 "
        "({batch_size} × {N_HIDDEN} units) as dots and ticks. f′(z1) runs from "
        "{number_text} to {number_text2}; "
        "{stuck} of {n} below {STUCK_SLOPE:g}, where a unit passes almost no error "
        "back (saturated, or a dead ReLU).").format(name=name, n=n, batch_size=w.batch_size, N_HIDDEN=bp.N_HIDDEN, number_text=bp.number_text(slope_at_z.min(), 2), number_text2=bp.number_text(slope_at_z.max(), 2), stuck=stuck, STUCK_SLOPE=bp.STUCK_SLOPE))


def _bracketed(value: float) -> str:
    """A number for a worked sum: 4 significant digits, in brackets when negative."""
    text = bp.number_text(value)
    return f"({text})" if text.startswith("-") else text


def tutorial_mapping(w: bp.BackpropWalk) -> str:
    """Markdown: the tutorial's per-neuron ``w_ij`` against the page's matrices, with a
    worked entry of z1 from the numbers on show (after Forward)."""
    text = (
        _("The tutorial (3.1) writes one neuron at a time, "
        r"$z_j^{(l)} = \sum_i w_{ij}^{(l)} a_i^{(l-1)} + b_j^{(l)}$. "
        r"Here $W_1[i, j]$ is its $w_{ij}^{(1)}$: row $i$ is the unit it comes from, column "
        r"$j$ the unit it goes to, both counted from 0. The page is batch-first, as the "
        r"engine is: $x$ holds one sample per row, $(m, n_\text{in})$, times "
        r"$W\ (n_\text{in}, n_\text{out})$, so $z_1 = x W_1 + b_1$ is every $z_j$ of "
        r"every sample at once: $z_1[s, j] = \sum_i x[s, i]\, W_1[i, j] + b_1[j]$.")
    )
    if w.stage != "start":
        x, W1, b1, z1 = w.inputs, w.values["W1_used"], w.values["b1_used"], w.values["z1"]
        t = _bracketed
        text += (
            _("\n\nFor example, with the numbers above: "
            r"$z_1[0, 1] = x[0, 0]\,W_1[0, 1] + x[0, 1]\,W_1[1, 1] + b_1[1] = "
            r"{t} \cdot {t2} + {t3} \cdot {t4} "
            r"+ {t5} = {number_text}$.").format(t=t(x[0, 0]), t2=t(W1[0, 1]), t3=t(x[0, 1]), t4=t(W1[1, 1]), t5=t(b1[0, 1]), number_text=bp.number_text(z1[0, 1]))
        )
    text += (
        _("\n\nBackward, the tutorial (3.2) multiplies each sample's error, a column, by the "
        r"transposed weights, $(w^{(l+1)})^{\top} \delta^{(l+1)}$; with one sample per row "
        r"and $W_2$ stored (from, to), the same step is $\delta_1 = \delta_2 W_2^{\top} "
        r"\odot f'(z_1)$. Its $\partial C / \partial w_{ij} = a_i \delta_j$ is "
        r"$dW = a^{\top} \delta$ for one sample, and for a batch (4.3's "
        r"$\frac{\eta}{m} \sum_k$) the mean over the samples, "
        r"$dW = \frac{1}{m} \sum_i a_i^{\top} \delta_i$, which is how the engine averages.")
    )
    return text
