"""Fix the tutorial: why the seed tutorial's first network fails, fixed one toggle at a time."""

import streamlit as st

from playground.common.i18n import N_, _
from playground.common.runs import engine_reason
from playground.learn import figures as learn_figures
from playground.learn import tutorial_fix as tf
from playground.learn import tutorial_fix_view as view
from playground.shell import data, server, ui

HISTORY_ROOM = "learn-fix-history"  # the tab's room: the configurations tried, oldest first
KEEP_CURVES = 5
TUTORIAL_LOOP = _("""\
self.weights = np.random.randn(n_features, self.n_hidden) * 0.01
self.weights2 = np.random.randn(self.n_hidden, 10) * 0.01
for iteration in range(self.n_iterations):                     # 100 passes
    layer1 = self._sigmoid(np.dot(X_train, self.weights))      # no bias
    layer2 = self._sigmoid(np.dot(layer1, self.weights2))
    layer2_delta = (layer2 - y_train) * self._sigmoid_gradient(layer2)
    layer1_delta = layer2_delta.dot(self.weights2.T) * self._sigmoid_gradient(layer1)
    self.weights2 -= self.learning_rate * layer1.T.dot(layer2_delta)   # summed over all rows
    self.weights -= self.learning_rate * X_train.T.dot(layer1_delta)""")

pg = ui.playground()


def fixes_chosen() -> frozenset:
    st.markdown(_("**The fixes**: each toggle changes one thing, and the network trains again."))
    chosen = set()
    for fix in tf.FIXES:
        on = st.toggle(_(fix.label), value=fix.key == "one_hot", key=f"fix-{fix.key}",
                       help=_(fix.help))
        if on:
            chosen.add(fix.key)
    return frozenset(chosen)


def step_zero(dataset) -> None:
    st.subheader(_("Step 0: the broadcasting bug"))
    net = tf.tutorial_network((), dataset.n_features, dataset.n_classes)
    X_raw, _labels = tf.training_inputs(dataset, ())
    out_shape, y_shape, message = tf.broadcast_error(
        len(dataset.y_train), net=net, X=X_raw, y=dataset.y_train)
    st.markdown(
        _("The tutorial's `layer2` holds 10 outputs per training image, shape `{out_shape}`; "
        "`y_train` holds one integer label per image, shape `{y_shape}`. NumPy lines shapes "
        "up from the right: 10 against "
        "{y_shape2:,} does not fit, so `layer2 - y_train` stops the first pass:").format(out_shape=out_shape, y_shape=y_shape, y_shape2=y_shape[0])
    )
    st.code(f">>> layer2 - y_train\nValueError: {message}", language="text")
    st.caption(
        _("This is NumPy's own message, from running the tutorial's subtraction on this page's "
        "training set (the digits; on MNIST it says (60000,10) (60000,)). With exactly 10 "
        "rows it would run and be silently wrong: each label subtracted down a column. The "
        "fix is a one-hot target, shape (n, 10): that is the first toggle.")
    )


def train_current(dataset, fixes: frozenset, seed: int, lr: float) -> tf.TutorialResult:
    found = tf.RESULTS.get(dataset.name, fixes, seed, lr)
    if found is not None:
        return found
    bar = st.progress(0.0, text=_("Training: {describe}…").format(describe=tf.describe(fixes)))
    # Waits up to 5 s for a training slot (other tabs training), then trains anyway: the
    # page has nothing else to show, and a run is about a second.
    with server.training_slot(timeout=5.0):
        result = tf.train_tutorial(
            dataset, fixes, seed=seed, learning_rate=lr,
            progress=lambda f: bar.progress(f, text=_("Training: {describe} ({f:.0%})").format(describe=tf.describe(fixes), f=f)),
        )
    bar.empty()
    tf.RESULTS.put(dataset.name, result)
    return result


def remember(fixes: frozenset, seed: int, lr: float) -> list:
    history = pg.room(HISTORY_ROOM, list)  # kept with the tab: a reload finds it
    entry = (fixes, seed, lr)
    if entry in history:
        history.remove(entry)
    history.append(entry)
    del history[:-KEEP_CURVES]
    return history


def effect(dataset, results: dict | None) -> None:
    st.subheader(_("Fix it, one toggle at a time"))
    settings, main = st.columns([1, 2.4], gap="large")
    with settings, st.container(border=True):
        fixes = fixes_chosen()
        lr = st.select_slider(
            _("Learning rate"), tf.LEARNING_RATES, value=tf.LEARNING_RATE, key="fix-lr",
            help=_("The step size the tutorial's trainer uses (the tutorial's is 0.01)."),
        )
        seed = st.number_input(
            _("Seed"), 0, 99, 0, key="fix-seed",
            help=_("Picks the starting weights and the order of the mini-batches."),
        )
        if "one_hot" in fixes:
            st.caption(_("Effective step: ")
                       + tf.step_readout(fixes, lr, len(dataset.y_train)))
    with main:
        show_effect(dataset, fixes, int(seed), float(lr))
    view.why_each_fix(results)


def show_effect(dataset, fixes: frozenset, seed: int, lr: float) -> None:
    result = train_current(dataset, fixes, seed, lr)
    history = remember(fixes, seed, lr)
    if result.error:
        st.warning(
            _("Without one-hot labels the tutorial's code stops at the broadcasting error "
            "above: nothing trains. Switch on **One-hot labels**."), icon=":material/block:")
    previous = None
    for entry in reversed(history[:-1]):
        old = tf.RESULTS.get(dataset.name, *entry)
        if old is not None and not old.error:
            previous = old
            break
    m1, m2, m3, m4 = st.columns(4)
    change = (None if result.error or previous is None
              else round((result.final_accuracy - previous.final_accuracy) * 100, 1))
    m1.metric(
        _("Test accuracy"),
        "—" if result.error else f"{result.final_accuracy:.1%}",
        delta=None if change is None else _("{change:+.1f} points").format(change=change),
        # No change is no news: grey and without an arrow, not a green "up".
        delta_color="off" if change == 0 else "normal",
        delta_arrow="off" if change == 0 else "auto",
        help=_("Share of the 450 test digits read right after the last epoch (chance: 10%)."),
    )
    m2.metric(_("Epochs"), 0 if result.error else len(result.test_accuracy),
              help=_("Passes over the training set (the tutorial's n_iterations = 100)."))
    m3.metric(_("Saturated after pass 1"),
              "—" if result.saturated_after_first_pass is None
              else f"{result.saturated_after_first_pass:.0%}",
              help=_("Hidden units below 0.01 or above 0.99 on every one of 256 probe images "
                   "after the first pass (the engine's health record)."))
    m4.metric(_("Training time"), "—" if result.error else _("{seconds:.2f} s").format(
        seconds=result.seconds),
              help=_("How long the engine took to train this configuration."))
    st.caption(_("This run: {label}, seed {seed}.").format(label=result.label, seed=result.seed))
    if result.diverged:
        st.caption(_("The engine stopped this run: {diverged_reason}. Its last good "
                   "weights are the ones scored.").format(
                       diverged_reason=engine_reason(result.diverged_reason or "")))
    series = []
    for entry in history:
        old = tf.RESULTS.get(dataset.name, *entry)
        if old is not None and not old.error:  # short names: the part that differs shows
            series.append((_("{label}, seed {seed}").format(label=old.short_label, seed=old.seed),
                           old.test_accuracy))
    if series:
        st.plotly_chart(
            learn_figures.curves(series, _("test accuracy"),
                                 _("Test accuracy per epoch, the last few configurations"),
                                 percent=True, height=420),
            key="chart-fix-curves", config={"displayModeBar": False},
        )


ui.page_heading(
    pg,
    _("Fix the tutorial"),
    _("The tutorial this app grew from trains a first network that cannot work. Here the engine "
    "trains that same network on the digits; fix its problems one at a time and watch the "
    "test accuracy climb from chance.")
)
with ui.friendly_errors(N_("showing the tutorial's network")):
    dataset = data.load_dataset("digits")
    st.markdown(
        _("The tutorial's section 5 network: **sigmoid** hidden and output layers, **no "
        "biases**, weights N(0, 1) × 0.01, the quadratic cost **summed** over the whole "
        "training set with **one update per pass**, **raw pixel values**, learning rate "
        "**0.01**, 100 passes, and **integer labels** subtracted from a 10-column output.")
    )
    with st.expander(_("The tutorial's training loop")):
        st.code(TUTORIAL_LOOP, language="python")
    step_zero(dataset)
    view.tutorial_slips()
results = view.load(view.RESULTS_FILE)
with ui.friendly_errors(N_("training the tutorial's network")):
    effect(dataset, results)
with ui.friendly_errors(N_("showing the measured table")):
    view.which_fix_matters(results)
    view.mnist_table(view.load(view.MNIST_RESULTS_FILE))
