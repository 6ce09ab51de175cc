"""Optimizers: why Adam is not SGD. Races on 2-D surfaces and on a real network."""

import streamlit as st

from playground.common.i18n import N_, _
from playground.learn import figures as learn_figures
from playground.learn import optimizer_race as race
from playground.learn import optimizer_view as view
from playground.shell import data, live, ui
from playground.shell.livechart import LiveStream

RACE_ROOM = "learn-network-race"  # the tab's room holding its network race
TICK_SECONDS = 1.0  # the race panel's timer; its live view asks for each next frame itself
PIECE_SECONDS = 0.01  # training per network in one piece of the panel's worker
SLOT_WAIT_SECONDS = 0.5  # longest wait for a training slot while other sessions train
LR_CHOICES = sorted({1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5,
                     0.9, 1.0, 1.5, 2.0, *(lr for s in race.SURFACES.values()
                                            for lr in s.learning_rates.values())})
NET_LR_CHOICES = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0]
TOLERANCES = [0.1, 0.05, 0.01, 0.001]

pg = ui.playground()
panel = live.LivePanel(pg, "optimizers")  # it carries out the Race click

@st.cache_data(max_entries=64, show_spinner=False)
def race_paths(surface_key: str, learning_rates: tuple, steps: int, momentum: float,
               beta1: float, beta2: float) -> list[race.Path]:
    """The five paths (deterministic, so cached per process)."""
    return race.race(race.SURFACES[surface_key], dict(learning_rates), steps, momentum,
                     beta1, beta2)


@st.cache_data(max_entries=8, show_spinner=False)
def contours(surface_key: str):
    return race.contour_grid(race.SURFACES[surface_key])


# --------------------------------------------------------------------------- 2-D race


def surface_race() -> None:
    st.subheader(_("A race on 2-D loss surfaces"))
    st.caption(
        _("Each optimizer starts from the same point and steps downhill on f(x, y). Each step "
        "is nn_core's own optimizer update (the code that trains the networks) applied to "
        "the two parameters (x, y).")
    )
    settings, chart = st.columns([1, 2.4], gap="large")
    # The table, full width under both columns (its last column fits), is filled as soon
    # as the paths are known, before the chart column: a new surface's numbers show while
    # the formula and the chart are still on their way.
    table = st.container()
    with settings, st.container(border=True):
        key = st.selectbox(
            _("Surface"), list(race.SURFACES), format_func=lambda k: _(race.SURFACES[k].label),
            key="opt-surface",
            help=_("The loss surface the optimizers race on; each has its own difficulty."),
        )
        surface = race.SURFACES[key]
        st.caption(_(surface.blurb))
        steps = st.slider(
            _("Steps"), 10, 2000, surface.steps, step=10, key=f"opt-steps-{key}",
            help=_("How many updates each optimizer takes."),
        )
        same = st.toggle(
            _("One learning rate for all"), value=False, key="opt-same-lr",
            help=_("Off: each optimizer at a learning rate that suits it on this surface. On: "
            "one learning rate for all, to see how differently they use it."),
        )
        if same:
            lr = st.select_slider(
                _("Learning rate"), LR_CHOICES, value=surface.learning_rates["adam"],
                key=f"opt-lr-all-{key}",
                help=_("The step size η every optimizer uses."),
            )
            rates = dict.fromkeys(race.OPTIMIZER_NAMES, lr)
        else:
            rates = {}
            for name in race.OPTIMIZER_NAMES:
                rates[name] = st.select_slider(
                    _("{OPTIMIZER_LABELS} learning rate").format(OPTIMIZER_LABELS=race.OPTIMIZER_LABELS[name]), LR_CHOICES,
                    value=surface.learning_rates[name], key=f"opt-lr-{name}-{key}",
                    help=_("The step size η of {OPTIMIZER_LABELS} on this surface.").format(OPTIMIZER_LABELS=race.OPTIMIZER_LABELS[name]),
                )
        momentum = st.slider(
            _("Momentum μ"), 0.0, 0.99, surface.momentum, step=0.01, key=f"opt-momentum-{key}",
            help=_("How much of its velocity Momentum keeps each step (0: plain SGD)."),
        )
        beta1 = st.slider(
            _("Adam β₁"), 0.0, 0.99, 0.9, step=0.01, key="opt-beta1",
            help=_("How long Adam remembers the gradient's direction (its momentum)."),
        )
        beta2 = st.select_slider(
            _("Adam β₂"), [0.9, 0.99, 0.995, 0.999, 0.9999], value=0.999, key="opt-beta2",
            help=_("How long Adam remembers the gradient's size (its RMSProp average)."),
        )
        tolerance = st.select_slider(
            _("Tolerance"), TOLERANCES, value=0.01, key="opt-tolerance",
            help=_("How close (distance in the plane) to a minimum counts as arrived."),
        )
    paths = race_paths(key, tuple(sorted(rates.items())), int(steps), float(momentum),
                       float(beta1), float(beta2))
    with table:
        view.race_table(surface, paths, tolerance)
    with chart:
        st.latex(surface.formula)
        shown = st.slider(
            _("Step shown"), 0, int(steps), int(steps), key=f"opt-shown-{key}-{steps}",
            help=_("Draw the paths up to this step; move it one step at a time with the arrow "
            "keys, or press ▶ Play under the chart for the animation."),
        )
        xs, ys, z = contours(key)
        fig = learn_figures.optimizer_race(
            xs, ys, z, [(p.label, p.points) for p in paths], surface.minima, shown_step=shown,
            contour_title="log(1 + f − f_min)" if surface.log_contours else "f − f_min",
        )
        st.plotly_chart(fig, key="chart-race", config={"displayModeBar": False})


@st.fragment
def surface_race_alone() -> None:
    """The 2-D race reruns on its own: a surface change redraws this section, not the
    network race and the explainers below it (measured: the table answered in 0.5-2 s
    when the whole page reran, the target is under 0.5 s)."""
    with ui.friendly_errors(N_("racing on the 2-D surface")):
        surface_race()


# --------------------------------------------------------------------------- network race


def network_race() -> None:
    st.subheader(_("A race on a real network"))
    st.caption(
        _("The same 64-64-10 ReLU network, same seed (so the same starting weights), batch 32, "
        "trained by the engine once per optimizer on 80% of the training digits. Every "
        "choice (the best epoch, the epochs to 95%) is made on the other 20%, the "
        "validation digits; the test digits are read once, at the epoch chosen. At their "
        "usual learning rates they end within a couple of points; at one rate for all "
        "(0.01) they differ.")
    )
    same = st.toggle(
        _("One learning rate for all"), value=False, key="net-same-lr",
        help=_("Off: each optimizer at its usual rate. On: one rate for all five."),
    )
    cols = st.columns(6)
    if same:
        cols[0].select_slider(
            _("Learning rate"), NET_LR_CHOICES, value=0.01, key="net-lr-all",
            help=_("The learning rate all five optimizers use in this race."))
    else:
        for col, name in zip(cols, race.OPTIMIZER_NAMES, strict=False):
            col.select_slider(
                race.OPTIMIZER_LABELS[name], NET_LR_CHOICES,
                value=race.USUAL_LEARNING_RATES[name], key=f"net-lr-{name}",
                help=_("{OPTIMIZER_LABELS}'s learning rate for this race.").format(OPTIMIZER_LABELS=race.OPTIMIZER_LABELS[name]),
            )
    cols[5].number_input(
        _("Epochs"), 5, 60, 20, step=5, key="net-epochs",
        help=_("Passes over the 1,347 training digits, for each network."),
    )
    st.button(_("Race"), key="btn-net-race", type="primary",
              on_click=panel.click("btn-net-race", start_race),
              help=_("Train the five networks side by side (a few seconds in all)."))
    current = pg.room(RACE_ROOM)
    if current is None:
        st.info(_("Press **Race** to train the five networks."), icon=":material/flag:")
        return
    stream = pg.room("learn-race-live-view", LiveStream)
    stream.restart()  # a full page run: the view may be new (a reload), send it all
    panel.show(
        live=lambda: pg.room(RACE_ROOM) is current and not current.done,
        # The worker trains it a piece at a time; frames only draw (as on Train: a frame
        # that trained 5 x 0.03 s outlasted its timer, and only 1 of a race's frames
        # reached the browser).
        step=lambda _checkpoint: current.step(PIECE_SECONDS),
        draw=lambda: view.race_results(current, stream),
        progress=lambda: (current.progress, progress_text(current)),
        every=TICK_SECONDS,
        slot_wait=SLOT_WAIT_SECONDS,
        doing=N_("racing the optimizers"),
        background=True,
    )


@ui.guarded(N_("starting the race"))
def start_race() -> None:
    """The Race button: the settings as they are now (read before the page draws them)."""
    state = st.session_state
    if state.get("net-same-lr"):
        rates = dict.fromkeys(race.OPTIMIZER_NAMES, float(state.get("net-lr-all", 0.01)))
    else:
        rates = {name: float(state.get(f"net-lr-{name}", race.USUAL_LEARNING_RATES[name]))
                 for name in race.OPTIMIZER_NAMES}
    current = race.NetworkRace(rates, epochs=int(state.get("net-epochs", 20)))
    current.start(data.load_dataset("digits"))
    pg.rooms[RACE_ROOM] = current  # kept with the tab: a reload finds it


def progress_text(current: race.NetworkRace) -> str:
    if current.done:
        return _("Race finished.")
    done = {race.OPTIMIZER_LABELS[n]: t.epoch for n, t in current.trainers.items()}
    return _("Racing: {progress}").format(progress=", ".join(
        _("{optimizer} epoch {epoch}/{epochs}").format(optimizer=k, epoch=v, epochs=current.epochs)
        for k, v in done.items()))


# --------------------------------------------------------------------------- explainers


def explainers() -> None:
    st.subheader(_("What each one changes"))
    st.caption(_("g is the gradient of the loss for the current batch, η the learning rate, "
               "θ the parameters; every operation is per parameter."))
    for name in race.OPTIMIZER_NAMES:
        text, formula = race.EXPLAINERS[name]
        left, right = st.columns([2, 3])
        left.markdown(f"**{race.OPTIMIZER_LABELS[name]}**: {_(text)}")
        right.latex(formula)


ui.page_heading(
    pg,
    _("Optimizers"),
    _("Why Adam is not SGD: SGD, Momentum, AdaGrad, RMSProp and Adam race on 2-D loss surfaces "
    "you can see whole, then train the same network on digits.")
)
surface_race_alone()
with ui.friendly_errors(N_("racing on the 2-D surface")), st.expander(
        _("Where Momentum pays: its steps over (η, μ) on the valley")):
    view.momentum_map()  # the valley's map, whichever surface is chosen: outside the fragment
st.divider()
with ui.friendly_errors(N_("setting up the network race")):
    network_race()
st.divider()
with ui.friendly_errors(N_("explaining the optimizers")):
    explainers()
