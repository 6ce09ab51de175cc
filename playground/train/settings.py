"""The Train page's controls: the settings column and the buttons that steer a run."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

from playground.common import vocab
from playground.common.i18n import N_, _
from playground.common.state import Playground
from playground.common.urlstate import share_link
from playground.shell import data, ui
from playground.shell.copy_link import copy_link_button
from playground.shell.live import LivePanel


def controls(current: vocab.TrainConfig) -> tuple[vocab.TrainConfig, bool]:
    """The settings column; returns the chosen config and whether its dataset is ready."""
    names = vocab.dataset_names()
    dataset = st.radio(
        _("Dataset"),
        names,
        index=names.index(current.dataset) if current.dataset in names else 0,
        format_func=vocab.dataset_label,
        key=vocab.widget_key("dataset"),
        help=_("Digits: small 8×8 images, bundled, trains in about a second. "
        "MNIST: the classic 28×28 digits, bigger and slower, downloaded once."),
    )
    ready = dataset == "digits" or data.is_available(dataset)
    if not ready:
        shown = vocab.display_name(dataset)
        st.info(
            _("{shown} isn't on this machine yet: download it once "
            "(about {megabytes} MB).").format(shown=shown, megabytes=vocab.DOWNLOAD_MB.get(dataset, 12))
        )
        if st.button(
            _("Download {shown}").format(shown=shown),
            key=f"download-{dataset}",
            icon=":material/download:",
            help=_("Fetch the dataset files once; they are kept for next time."),
        ):
            ui.download_with_progress(dataset)
            ready = data.is_available(dataset)

    n_layers = st.radio(
        _("Hidden layers"),
        list(range(1, vocab.MAX_HIDDEN_LAYERS + 1)),
        index=min(len(current.hidden), vocab.MAX_HIDDEN_LAYERS) - 1,
        horizontal=True,
        key=vocab.LAYERS_KEY,
        help=_("How many layers of hidden units sit between the pixels and the 10 outputs."),
    )
    hidden = []
    for i in range(n_layers):
        default = current.hidden[i] if i < len(current.hidden) else 32
        hidden.append(
            st.select_slider(
                _("Units in hidden layer {i}").format(i=i + 1),
                vocab.LAYER_SIZES,
                value=default if default in vocab.LAYER_SIZES else 64,
                key=vocab.hidden_key(i),
                help=_("More units can learn more patterns, but train slower and can overfit."),
            )
        )
    # One select box a row: side by side in the settings column they clipped their text.
    activation = _named_choice(
        _("Activation"), vocab.ACTIVATIONS, current.activation, vocab.activation_label,
        key=vocab.widget_key("activation"),
        help=_("The bend each hidden unit applies to its input. ReLU is fast and a good default."),
    )
    optimizer = _named_choice(
        _("Optimizer"), vocab.OPTIMIZERS, current.optimizer, vocab.optimizer_label,
        key=vocab.widget_key("optimizer"),
        help=_("How the weights are nudged after each batch. Adam adapts its step size; "
        "plain SGD usually wants a larger learning rate."),
    )
    learning_rate = _setting_slider(
        st, current, "learning_rate", _("Learning rate"), vocab.LEARNING_RATES, vocab.format_lr,
        help=_("Step size of each update (log scale). Too small: slow learning. Too big: the "
        "loss jumps around or blows up. You can change it while a run is going: it applies "
        "from the next batch."),
    )
    epochs = st.slider(
        _("Epochs"),
        1,
        vocab.MAX_EPOCHS,
        value=current.epochs,
        key=vocab.widget_key("epochs"),
        help=_("How many times the network sees the whole training set. You can change it "
        "while a run is going."),
    )
    left, right = st.columns(2)
    batch_size = _setting_slider(
        left, current, "batch_size", _("Batch size"), vocab.BATCH_SIZES,
        help=_("Images per weight update. Small batches: more, noisier updates per epoch. "
        "A change while a run is going applies from the next epoch."),
    )
    l2 = _setting_slider(
        right, current, "l2", "L2", vocab.L2_VALUES, vocab.format_l2,
        help=_("Weight decay: pulls weights towards 0 to fight overfitting. 'off' = none. "
        "A change while a run is going applies from the next batch."),
    )
    seed = st.number_input(
        _("Seed"),
        min_value=0,
        max_value=2**31 - 1,
        value=current.seed,
        step=1,
        key=vocab.widget_key("seed"),
        help=_("Fixes the random starting weights and shuffling, so a run can be repeated exactly."),
    )
    config = vocab.TrainConfig(
        dataset=dataset,
        hidden=tuple(hidden),
        activation=activation,
        optimizer=optimizer,
        learning_rate=float(learning_rate),
        epochs=int(epochs),
        batch_size=int(batch_size),
        l2=float(l2),
        seed=int(seed),
    )
    return config, ready


def _setting_slider(box: Any, current: vocab.TrainConfig, field: str, label: str,
                    choices: tuple, shown: Callable[[Any], str] | None = None, *,
                    help: str) -> Any:
    """A slider over the vocabulary's ``choices`` for TrainConfig's ``field``, in ``box``
    (``st`` or a column), starting at ``current``'s value."""
    return box.select_slider(label, choices, value=getattr(current, field),
                             format_func=shown or str, key=vocab.widget_key(field), help=help)


def _named_choice(label: str, options: tuple[str, ...] | list[str], value: str,
                  name: Callable[[str], str], *, key: str, help: str) -> str:
    """A select box over vocabulary ``options``, each shown as ``name(option)``."""
    return st.selectbox(label, options, index=list(options).index(value), format_func=name,
                        key=key, help=help)


# ----------------------------------------------------------------------------- preset


@ui.guarded(N_("setting the MNIST preset"))
def use_mnist_preset(pg: Playground) -> None:
    """The preset into the page: the config, and each setting's widget set to it (a keyed
    widget shows its own value, not the config's, once it has one)."""
    pg.config = vocab.MNIST_PRESET
    st.session_state.update(vocab.widget_values(vocab.MNIST_PRESET))


def preset_button(pg: Playground, panel: LivePanel) -> None:
    """"MNIST in N seconds": the measured fastest recipe to 98% on full MNIST."""
    st.button(
        vocab.mnist_preset_label(),
        icon=":material/bolt:",
        key="btn-mnist-preset",
        on_click=panel.click("btn-mnist-preset", functools.partial(use_mnist_preset, pg)),
        width="stretch",
        help=_("Sets {recipe}: of the recipes tried on full MNIST, the one that reached 98% "
               "test accuracy soonest, in {seconds} s of training on one core of a 2-core "
               "machine.").format(recipe=vocab.mnist_preset_summary(),
                                  seconds=vocab.MNIST_PRESET_SECONDS),
    )
    # Said under the button, not at the page's top: on a phone the settings sit below
    # the chart, and a notice at the top came and went out of sight. It stays while the
    # settings are the preset's and the tab's run is not the preset's (going or done).
    run = pg.run
    if pg.config == vocab.MNIST_PRESET and (run is None or run.config != vocab.MNIST_PRESET):
        st.info(_("Set: {recipe}. Press **Train**.").format(recipe=vocab.mnist_preset_summary()))


# ----------------------------------------------------------------------------- buttons


@ui.guarded(N_("starting the run"))
def start(pg: Playground) -> None:
    # The widgets' current values, not pg.config: a setting changed just before the click
    # may not have reached pg.config yet (its rerun was cut short by the click).
    pg.start_training(vocab.config_from_widgets(st.session_state, pg.config), data.load_dataset)


@ui.guarded(N_("pausing or resuming the run"))
def pause_or_resume(pg: Playground) -> None:
    pg.toggle_pause()


@ui.guarded(N_("stopping the run"))
def stop(pg: Playground) -> None:
    record = pg.stop()
    if record is not None:
        pg.notify("info", _("Stopped run #{run_id} after {epochs} epochs; its weights are kept.").format(
            run_id=record.run_id, epochs=record.epochs_done))


@ui.guarded(N_("resetting"))
def reset(pg: Playground) -> None:
    pg.reset()
    pg.notify("info", _("Reset. Press **Train** to start a new network with the settings on this page."))


def buttons(pg: Playground, panel: LivePanel, ready: bool) -> None:
    """Train, Pause/Resume, Stop, Reset and Copy link. Their clicks wait for the next full
    page run (``panel.click``): while the run trains, one click can arrive twice."""
    run = pg.run
    running = run is not None and run.status == vocab.RUNNING
    paused = run is not None and run.status == vocab.PAUSED
    # Keyed: on a phone the row wraps three buttons to a line (pages/train.py).
    cols = st.container(key="train-actions").columns([1.3, 1, 1, 1, 1.2])
    actions = (  # label, icon, key, what a click does, disabled, help
        (_("Train"), ":material/play_arrow:", "btn-train", start, running or not ready,
         _("Start a new run from fresh random weights with the settings on this page.")),
        (_("Resume") if paused else _("Pause"),
         ":material/pause:" if not paused else ":material/play_circle:",
         "btn-pause", pause_or_resume, not (running or paused),
         _("Pause training and look around; Resume carries on from the same weights.")),
        (_("Stop"), ":material/stop:", "btn-stop", stop, not (running or paused),
         _("End the run now and keep the weights it has learned so far.")),
        (_("Reset"), ":material/restart_alt:", "btn-reset", reset, run is None,
         _("Clear the current run so the next Train builds a new network.")),
    )
    for col, (label, icon, key, action, disabled, help_text) in zip(cols[:4], actions, strict=True):
        col.button(
            label,
            type="primary" if key == "btn-train" else "secondary",
            icon=icon,
            key=key,
            on_click=panel.click(key, functools.partial(action, pg)),
            disabled=disabled,
            width="stretch",
            help=help_text,
        )
    with cols[4]:
        copy_link_button(share_link(st.context.url, pg.config, pg.lang), key="train-copy-link",
                         help=_("Copies a link that sets these controls; Train then gives the "
                                "same curves and weights, bit for bit (settings only, not your "
                                "runs)."))
