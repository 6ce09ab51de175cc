"""Backprop: one step of training on one sample or a batch of four, every number visible."""

import streamlit as st

from playground.common import figures as common_figures
from playground.common.i18n import N_, _
from playground.learn import backprop as bp
from playground.learn import backprop_view as view
from playground.learn import figures as learn_figures
from playground.shell import ui

STATE = "learn-backprop"

pg = ui.playground()


def walk() -> bp.BackpropWalk:
    found = st.session_state.get(STATE)
    if not isinstance(found, bp.BackpropWalk):
        found = st.session_state[STATE] = bp.BackpropWalk()
    return found


def press(action: str) -> None:
    """A button's callback. Callbacks run before the page, so the controls' values are
    applied first: a changed input counts for the click that follows."""
    w = walk()
    view.apply_settings(w, st.session_state)
    getattr(w, action)()


def controls(w: bp.BackpropWalk) -> None:
    # The two select boxes get a row of their own, wide enough to show their whole value.
    s1, s2 = st.columns([1, 1.6])
    c2, c3, c4 = st.columns(3)
    s1.selectbox(
        _("Hidden activation f"), bp.ACTIVATIONS, key="bp-activation",
        index=bp.ACTIVATIONS.index(w.activation), format_func=bp.ACTIVATION_LABELS.get,
        help=_("The function each hidden unit applies to its weighted sum z1; its slope f'(z1) "
        "is what the error is multiplied by on its way back."),
    )
    s2.selectbox(
        _("Output layer and loss"), bp.OUTPUTS, key="bp-output",
        index=bp.OUTPUTS.index(w.output), format_func=lambda o: _(bp.OUTPUT_LABELS[o]),
        help=_("Softmax turns the outputs into probabilities that sum to 1, sigmoid gives each "
        "output its own yes/no probability; with a cross-entropy the error at z2 is p − y, "
        "with the quadratic cost (the tutorial's code) it is (p − y) ⊙ σ'(z2)."),
    )
    c2.radio(
        _("Outputs"), (2, 3), key="bp-outputs", index=(2, 3).index(w.n_outputs), horizontal=True,
        help=_("How many classes the network tells apart (its output units)."),
    )
    c2.radio(
        _("Samples in the batch"), bp.BATCH_SIZES, key="bp-batch",
        index=bp.BATCH_SIZES.index(w.batch_size), horizontal=True,
        help=_("How many samples one step averages its gradients over (tutorial 3.3 and 4.3): "
        "yours alone, or yours and three fixed ones."),
    )
    c2.number_input(
        _("Seed"), min_value=0, max_value=9999, value=w.seed, step=1, key="bp-seed",
        help=_("Picks the random starting weights; another seed is another network."),
    )
    c3.number_input(
        _("Input x[0]"), value=float(w.x[0]), step=0.25, format="%.2f", key="bp-x1",
        min_value=-10.0, max_value=10.0,
        help=_("Your sample's first feature (indices count from 0)."),
    )
    c3.number_input(
        _("Input x[1]"), value=float(w.x[1]), step=0.25, format="%.2f", key="bp-x2",
        min_value=-10.0, max_value=10.0,
        help=_("Your sample's second feature."),
    )
    n_outputs = int(st.session_state.get("bp-outputs", w.n_outputs))
    c4.selectbox(
        _("Label (the true class)"), list(range(n_outputs)), key=f"bp-label-{n_outputs}",
        index=min(w.label, n_outputs - 1),
        help=_("The class your sample belongs to, counted from 0; y is its one-hot vector."),
    )
    c4.select_slider(
        _("Learning rate η"), view.LEARNING_RATES, key="bp-lr",
        value=w.learning_rate if w.learning_rate in view.LEARNING_RATES else 0.5,
        help=_("How far the update moves each weight against its gradient: W ← W − η dW."),
    )


def buttons(w: bp.BackpropWalk) -> None:
    b1, b2, b3, b4, _spacer = st.columns([1, 1, 1, 1, 3])
    on = ui.guarded(N_("walking through the training step"))(press)
    b1.button(_("Forward"), key="bp-forward", on_click=on, args=("forward",), width="stretch",
              help=_("Run the batch through the network: z1, a1, z2, the output p and the loss L."))
    b2.button(_("Backward"), key="bp-backward", on_click=on, args=("backward",),
              width="stretch", disabled=not w.can_backward,
              help=_("Send the error back: delta2 = dC/dp ⊙ σ'(z2) at the output, then through "
              "W2 and f' to the hidden layer; each gives its weights' gradients. Needs Forward."))
    b3.button(_("Update"), key="bp-update", on_click=on, args=("update",), width="stretch",
              disabled=not w.can_update,
              help=_("Move every weight and bias against its gradient (plain SGD, the engine's "
              "optimizer): W ← W − η dW. Needs Backward first."))
    b4.button(_("Step"), key="bp-step", on_click=on, args=("step",), type="primary",
              width="stretch",
              help=_("Forward, Backward and Update in one go: one step of gradient descent."))


def row(formula: str, numbers: str) -> None:
    """A formula (LaTeX) beside its live numbers (HTML, see ``backprop_view``)."""
    left, right = st.columns([1.4, 3.6], vertical_alignment="center")
    left.latex(formula)
    right.html(numbers)


def rows(heading: str, shown: list[tuple[str, str]], note: str | None = None) -> None:
    st.subheader(heading)
    if note:
        st.caption(note)
    for formula, numbers in shown:
        row(formula, numbers)


def diagram(w: bp.BackpropWalk) -> None:
    weights, nodes, gradients, caption = view.diagram_values(w)
    fig = learn_figures.network_diagram(weights, nodes, gradients)
    st.plotly_chart(fig, key="chart-network", config={"displayModeBar": False})
    st.caption(caption)


def activation_plot(w: bp.BackpropWalk) -> None:
    args, caption = view.activation_view(w)
    st.plotly_chart(common_figures.activation_curves(**args, height=230), key="chart-activation",
                    config={"displayModeBar": False})
    st.caption(caption)


st.title(_("Backprop"))
st.caption(
    _("One step of training a 2-3-output network on one sample or a batch of four, every "
    "number visible: the forward pass, the error flowing back, each gradient checked by "
    "finite differences, and the update. The numbers are the engine's own (nn_core's "
    "forward_trace, loss_and_gradients and its SGD optimizer), except the output error's two "
    "factors, which the engine never forms: they come from their formulas and sit beside the "
    "engine's δ₂ they multiply to. Values that just changed are highlighted.")
)
ui.show_notices(pg)
with ui.friendly_errors(N_("setting up the network")):
    w = walk()
    with st.container(border=True):
        controls(w)
    view.apply_settings(w, st.session_state)

with ui.friendly_errors(N_("showing the training step")):
    buttons(w)
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Loss before the update"), view.loss_text(w.loss_before),
              help=_("The loss L (the batch's mean) with the weights the forward pass used."))
    change = view.loss_change_text(w.loss_before, w.loss_after)
    m2.metric(_("Loss after the update"), view.loss_text(w.loss_after), delta=change,
              delta_color="inverse", delta_arrow="off" if change == "0" else "auto",
              help=_("The loss on the same batch after the update: lower when the step helped."))
    m3.metric(_("Steps taken"), w.steps_taken,
              help=_("Updates applied to these weights since the network was built."))
    st.info(_(view.STAGE_TEXT[w.stage]), icon=":material/school:")
    st.html(bp.HTML_STYLE)

    picture, weights = st.columns([1, 1], gap="large")
    with picture:
        diagram(w)
    with weights:
        st.markdown(_("**The weights now** (random at first: the seed picks them)"))
        for formula, numbers in view.parameter_rows(w):
            row(formula, numbers)
        activation_plot(w)
    with st.expander(_("From the tutorial's w_ij to this page's W")):
        st.markdown(view.tutorial_mapping(w))
    if w.stage != "start":
        rows(_("1. Forward pass"), view.forward_rows(w))
    if w.stage in ("backward", "update"):
        rows(_("2. Backward pass"), view.backward_rows(w), note=_(
            "From the loss back to every weight by the chain rule, the output's error first "
            "as its two factors (tutorial 3.2). Beside each gradient: the same gradient "
            "estimated by central finite differences, nudging each weight by ±{step:g} "
            "and evaluating the engine's loss again, and how far apart the two are.").format(
                step=bp.FD_STEP))
    if w.stage == "update":
        rows("3. Update", view.update_rows(w))
