"""Backprop: one step of training on one sample, every number visible."""

import streamlit as st

from playground.learn import backprop as bp
from playground.learn import figures as learn_figures
from playground.shell import ui

STATE = "learn-backprop"
LEARNING_RATES = [0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0]

pg = ui.playground()


def walk() -> bp.BackpropWalk:
    found = st.session_state.get(STATE)
    if not isinstance(found, bp.BackpropWalk):
        found = st.session_state[STATE] = bp.BackpropWalk()
    return found


def apply_settings(w: bp.BackpropWalk) -> None:
    """The controls' current values into the walk (also from inside button callbacks,
    which run before the page, so a changed input counts for the click that follows)."""
    state = st.session_state
    n_outputs = int(state.get("bp-outputs", w.n_outputs))
    label = min(int(state.get(f"bp-label-{n_outputs}", w.label)), n_outputs - 1)
    w.configure(
        activation=state.get("bp-activation", w.activation),
        output=state.get("bp-output", w.output),
        n_outputs=n_outputs,
        seed=int(state.get("bp-seed", w.seed)),
        x=(state.get("bp-x1", w.x[0]), state.get("bp-x2", w.x[1])),
        label=label,
        learning_rate=float(state.get("bp-lr", w.learning_rate)),
    )


def press(action: str) -> None:
    w = walk()
    apply_settings(w)
    getattr(w, action)()


def controls(w: bp.BackpropWalk) -> None:
    c1, c2, c3, c4 = st.columns([1.25, 1, 1, 1])  # c1's select boxes show their whole value
    c1.selectbox(
        "Hidden activation f", bp.ACTIVATIONS, key="bp-activation",
        index=bp.ACTIVATIONS.index(w.activation), format_func=bp.ACTIVATION_LABELS.get,
        help="The function each hidden unit applies to its weighted sum z1; its slope f'(z1) "
        "is what the error is multiplied by on its way back.",
    )
    c1.selectbox(
        "Output layer and loss", bp.OUTPUTS, key="bp-output",
        index=bp.OUTPUTS.index(w.output), format_func=bp.OUTPUT_LABELS.get,
        help="Softmax turns the outputs into probabilities that sum to 1; sigmoid gives each "
        "output its own yes/no probability (the tutorial's section 4.2). Both, with their "
        "cross-entropy, give the error p - y at z2.",
    )
    c2.radio(
        "Outputs", (2, 3), key="bp-outputs", index=(2, 3).index(w.n_outputs), horizontal=True,
        help="How many classes the network tells apart (its output units).",
    )
    c2.number_input(
        "Seed", min_value=0, max_value=9999, value=w.seed, step=1, key="bp-seed",
        help="Picks the random starting weights; another seed is another network.",
    )
    c3.number_input(
        "Input x₁", value=float(w.x[0]), step=0.25, format="%.2f", key="bp-x1",
        min_value=-10.0, max_value=10.0,
        help="The sample's first feature.",
    )
    c3.number_input(
        "Input x₂", value=float(w.x[1]), step=0.25, format="%.2f", key="bp-x2",
        min_value=-10.0, max_value=10.0,
        help="The sample's second feature.",
    )
    n_outputs = int(st.session_state.get("bp-outputs", w.n_outputs))
    c4.selectbox(
        "Label (the true class)", list(range(n_outputs)), key=f"bp-label-{n_outputs}",
        index=min(w.label, n_outputs - 1),
        help="The class this sample belongs to; y is its one-hot vector.",
    )
    c4.select_slider(
        "Learning rate η", LEARNING_RATES, key="bp-lr",
        value=w.learning_rate if w.learning_rate in LEARNING_RATES else 0.5,
        help="How far the update moves each weight against its gradient: W ← W − η dW.",
    )


def buttons(w: bp.BackpropWalk) -> None:
    b1, b2, b3, b4, _ = st.columns([1, 1, 1, 1, 3])
    on = ui.guarded("walking through the training step")(press)
    b1.button("Forward", key="bp-forward", on_click=on, args=("forward",), width="stretch",
              help="Run the sample through the network: z1, a1, z2, the output p and the loss L.")
    b2.button("Backward", key="bp-backward", on_click=on, args=("backward",),
              width="stretch", disabled=not w.can_backward,
              help="Send the error back: delta2 = p − y at the output, then through W2 and f' "
              "to the hidden layer; each gives its weights' gradients. Needs Forward first.")
    b3.button("Update", key="bp-update", on_click=on, args=("update",), width="stretch",
              disabled=not w.can_update,
              help="Move every weight and bias against its gradient (plain SGD, the engine's "
              "optimizer): W ← W − η dW. Needs Backward first.")
    b4.button("Step", key="bp-step", on_click=on, args=("step",), type="primary",
              width="stretch",
              help="Forward, Backward and Update in one go: one step of gradient descent.")


def m(w: bp.BackpropWalk, name: str) -> str:
    """The quantity ``name`` as a small matrix, what just changed highlighted."""
    return bp.html_matrix(w.values[name], w.changed(name))


def plain(values) -> str:
    return bp.html_matrix(values)


def row(formula: str, numbers: str) -> None:
    """A formula (LaTeX) beside its live numbers (HTML: much lighter for the browser to
    draw than the same matrices in LaTeX, which kept a click's answer over 0.5 s)."""
    left, right = st.columns([1.4, 3.6], vertical_alignment="center")
    left.latex(formula)
    right.html(numbers)


def gradient_row(w: bp.BackpropWalk, formula: str, name: str) -> None:
    check = w.checks.get(name)
    parts = [m(w, name)]
    note = ""
    if check is not None:
        parts += ["&nbsp;&nbsp;finite differences ≈", plain(check.estimate)]
        note = f"relative difference {check.relative_difference:.1e}"
    row(formula, bp.html_expression(*parts, note=note))


def parameters_block(w: bp.BackpropWalk) -> None:
    st.markdown("**The weights now** (random at first: the seed picks them)")
    for name, tex in (("W1", "W_1"), ("b1", "b_1"), ("W2", "W_2"), ("b2", "b_2")):
        row(tex, bp.html_expression(m(w, name)))


def forward_block(w: bp.BackpropWalk) -> None:
    st.subheader("1. Forward pass")
    f_tex, _ = bp.ACTIVATION_TEX[w.activation]
    p_tex, loss_tex = bp.OUTPUT_TEX[w.output]
    used = {k: plain(w.values[f"{k}_used"]) for k in bp.PARAM_NAMES}
    row(r"x, \; y", bp.html_expression("x =", plain(w.inputs), "&nbsp;&nbsp;y =",
                                       plain(w.target), note=f"one-hot of label {w.label}"))
    row(r"z_1 = x W_1 + b_1",
        bp.html_expression(plain(w.inputs), "·", used["W1"], "+", used["b1"], "=", m(w, "z1")))
    row(rf"a_1 = f(z_1) = {f_tex}", bp.html_expression(m(w, "a1")))
    row(r"z_2 = a_1 W_2 + b_2",
        bp.html_expression(plain(w.values["a1"]), "·", used["W2"], "+", used["b2"], "=",
                           m(w, "z2")))
    row(p_tex, bp.html_expression(m(w, "p")))
    row(loss_tex, bp.html_expression(m(w, "L")))


def backward_block(w: bp.BackpropWalk) -> None:
    st.subheader("2. Backward pass")
    _, fprime_tex = bp.ACTIVATION_TEX[w.activation]
    st.caption(
        "From the loss back to every weight by the chain rule. Beside each gradient: the same "
        f"gradient estimated by central finite differences, nudging each weight by ±{bp.FD_STEP:g} "
        "and evaluating the engine's loss again, and how far apart the two are."
    )
    row(r"\delta_2 = \frac{\partial L}{\partial z_2} = p - y",
        bp.html_expression(plain(w.values["p"]), "−", plain(w.target), "=", m(w, "delta2")))
    gradient_row(w, r"dW_2 = a_1^{\top} \delta_2", "dW2")
    gradient_row(w, r"db_2 = \delta_2", "db2")
    row(rf"f'(z_1) = {fprime_tex}", bp.html_expression(m(w, "fprime1")))
    row(r"\delta_1 = \delta_2 W_2^{\top} \odot f'(z_1)",
        bp.html_expression(plain(w.values["delta2"]), "·", plain(w.values["W2_used"].T), "⊙",
                           plain(w.values["fprime1"]), "=", m(w, "delta1")))
    gradient_row(w, r"dW_1 = x^{\top} \delta_1", "dW1")
    gradient_row(w, r"db_1 = \delta_1", "db1")


def update_block(w: bp.BackpropWalk) -> None:
    st.subheader("3. Update")
    eta = bp.number_text(w.learning_rate)
    for name, grad in (("W2", "dW2"), ("b2", "db2"), ("W1", "dW1"), ("b1", "db1")):
        sym = f"{name[0]}_{name[1]}"
        row(rf"{sym} \leftarrow {sym} - \eta\, d{sym}",
            bp.html_expression(plain(w.values[f"{name}_used"]), f"− {eta} ×",
                               plain(w.values[grad]), "=", m(w, name)))


def diagram(w: bp.BackpropWalk) -> None:
    values = w.values
    forward_done = w.stage != "start"
    backward_done = w.stage in ("backward", "update")
    fig = learn_figures.network_diagram(
        [values["W1"], values["W2"]],
        [w.inputs[0], values["a1"][0] if forward_done else None,
         values["p"][0] if forward_done else None],
        [values["dW1"], values["dW2"]] if backward_done else None,
    )
    st.plotly_chart(fig, key="chart-network", config={"displayModeBar": False})
    st.caption(
        "Nodes show the input x, the hidden activations a1 and the outputs p. Hover over an "
        "edge for its weight and, after Backward, its gradient."
    )


STAGE_TEXT = {
    "start": "Press **Forward** to run the sample through the network, or **Step** for a "
             "whole training step.",
    "forward": "The forward pass is done. **Backward** computes the gradients.",
    "backward": "The gradients are in. **Update** moves the weights against them.",
    "update": "The weights moved: the loss on this sample went from before to after. "
              "**Forward** (or **Step**) starts the next step.",
}


st.title("Backprop")
st.caption(
    "One step of training a 2-3-output network on one sample, every number visible: the "
    "forward pass, the error flowing back, each gradient checked by finite differences, "
    "and the update. The numbers are the engine's own (nn_core's forward_trace, "
    "loss_and_gradients and its SGD optimizer); values that just changed are highlighted."
)
ui.show_notices(pg)
with ui.friendly_errors("setting up the network"):
    w = walk()
    with st.container(border=True):
        controls(w)
    apply_settings(w)

with ui.friendly_errors("showing the training step"):
    buttons(w)
    m1, m2, m3 = st.columns(3)
    m1.metric("Loss before the update",
              "—" if w.loss_before is None else f"{w.loss_before:.4f}",
              help="The loss on this sample with the weights the forward pass used.")
    delta = None if w.loss_after is None else f"{w.loss_after - w.loss_before:+.4f}"
    m2.metric("Loss after the update",
              "—" if w.loss_after is None else f"{w.loss_after:.4f}", delta=delta,
              delta_color="inverse",
              help="The loss on the same sample after the update: lower when the step helped.")
    m3.metric("Steps taken", w.steps_taken,
              help="Updates applied to these weights since the network was built.")
    st.info(STAGE_TEXT[w.stage], icon=":material/school:")
    st.html(bp.HTML_STYLE)

    picture, weights = st.columns([1, 1], gap="large")
    with picture:
        diagram(w)
    with weights:
        parameters_block(w)
    if w.stage != "start":
        forward_block(w)
    if w.stage in ("backward", "update"):
        backward_block(w)
    if w.stage == "update":
        update_block(w)
