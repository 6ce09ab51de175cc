"""The Sweep page's settings column: what to sweep, over which values, and where (Streamlit)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from playground.common import vocab
from playground.common.i18n import N_, _
from playground.common.state import Playground
from playground.common.vocab import (
    LEARNING_RATES,
    MAX_EPOCHS,
    TrainConfig,
    activation_label,
    format_l2,
    format_lr,
    optimizer_label,
)
from playground.shell import data
from playground.sweep import view as sv

THIS_MACHINE, CLUSTER = N_("This machine"), N_("A Dask cluster")


@dataclass
class Plan:
    """A sweep as the settings column describes it, or the problem that stops it."""

    dataset: str
    values: dict
    configs: list
    scheduler: str | None
    n_jobs: int | None
    problem: str | None


def choose_values(key: str) -> list:
    param = sv.PARAMS[key]
    if key == "learning_rate":
        low, high = st.select_slider(
            _("Learning rates from … to"),
            LEARNING_RATES,
            value=(1e-4, 1.0),
            format_func=format_lr,
            key="sweep-lr-range",
            help=_("The range of step sizes to try, on a log scale: the heatmap shows where "
            "it is too small (slow), just right, and too big (blows up)."),
        )
        density = st.radio(
            _("Learning rates per decade"),
            list(sv.LR_DENSITIES),
            format_func=lambda density: _(sv.LR_DENSITY_LABELS[density]),
            horizontal=True,
            key="sweep-lr-density",
            help=_("How finely to cut each factor of ten: 1 (0.001, 0.01…), 3 (1, 2, 5 of "
            "each), or every rate the Train page offers."),
        )
        values = list(sv.lr_grid(low, high, density))
        st.caption(_("Learning rates: {rates}").format(rates=", ".join(format_lr(v) for v in values)))
        return values
    return st.multiselect(
        _(param.label).capitalize(),
        param.options,
        default=list(param.default),
        format_func=param.format,
        key=f"sweep-values-{key}",
        help=_(param.help),
    )


def where_to_run() -> tuple[str | None, int | None, str | None]:
    """(scheduler address, local workers, problem)."""
    where = st.radio(
        _("Run on"),
        [THIS_MACHINE, CLUSTER],
        format_func=_,
        horizontal=True,
        key="sweep-where",
        help=_("This machine: one process per core. A Dask cluster: every run is a task on "
        "a cluster you started with `dask scheduler` and `dask worker`."),
    )
    if where == THIS_MACHINE:
        cpus = os.cpu_count() or 1
        n_jobs = cpus if cpus == 1 else st.slider(
            _("Worker processes"),
            1,
            cpus,
            value=cpus,
            key="sweep-jobs",
            help=_("How many runs train at the same time, each in its own process with one core."),
        )
        return None, int(n_jobs), None
    text = st.text_input(
        _("Scheduler address"),
        placeholder=_("tcp://192.168.1.10:8786"),
        key="sweep-scheduler",
        help=_("The address `dask scheduler` prints, of the form tcp://host:port. Each worker "
        "needs this project installed and loads the dataset itself."),
    )
    if not sv.dask_available():
        return None, None, (
            _('Running on a cluster needs Dask on this machine: pip install "dask[distributed]" '
            "and restart the app.")
        )
    try:
        return sv.parse_scheduler_address(text), None, None
    except ValueError as exc:
        return None, None, str(exc)


def settings_note(config: TrainConfig, axes: list[str], epochs: int | None) -> str:
    """What every run takes from the Train page's settings besides the swept ones."""
    fixed = {
        "hidden": _("hidden {layers}").format(layers=config.hidden_label),
        "activation": activation_label(config.activation),
        "optimizer": optimizer_label(config.optimizer),
        "learning_rate": f"lr {format_lr(config.learning_rate)}",
        "batch_size": _("batch {batch}").format(batch=config.batch_size),
        "l2": f"L2 {format_l2(config.l2)}",
        "seed": _("seed {seed}").format(seed=config.seed),
    }
    shown = [text for key, text in fixed.items() if key not in axes]
    if epochs is not None:
        shown.append(_("{epochs} epochs").format(epochs=epochs))
    return _("Every run also uses the Train page's other settings: {settings}.").format(
        settings=", ".join(shown))


def controls(pg: Playground) -> Plan:
    """The settings column: what to sweep, over which values, and where to run it."""
    names = vocab.dataset_names()
    dataset = st.selectbox(
        _("Dataset"),
        names,
        index=names.index(pg.config.dataset) if pg.config.dataset in names else 0,
        format_func=vocab.dataset_short_label,
        key="sweep-dataset",
        help=_("The images every run learns from. Digits (bundled) trains fastest."),
    )
    axes = st.multiselect(
        _("Settings to sweep"),
        list(sv.PARAMS),
        default=list(sv.DEFAULT_AXES),
        format_func=lambda k: _(sv.PARAMS[k].label),
        max_selections=3,
        key="sweep-axes",
        help=_("Two or three settings: the first runs across the heatmap, the second down it, "
        "a third gets a selector. Every combination is one run."),
    )
    values = {key: choose_values(key) for key in axes}
    epochs = None
    if "epochs" not in axes:
        epochs = st.slider(
            _("Epochs per run"),
            1,
            MAX_EPOCHS,
            value=pg.config.epochs,
            key="sweep-epochs",
            help=_("How many times each network sees the training set; fewer make a quicker sweep."),
        )
    st.caption(settings_note(pg.config, axes, epochs))
    scheduler, n_jobs, problem = where_to_run()
    configs: list = []
    if len(axes) < 2:
        problem = problem or _("Pick two or three settings to sweep.")
    else:
        try:
            configs = sv.build_configs(values, pg.config, epochs)
        except ValueError as exc:
            problem = problem or _("Can't sweep that: {exc}.").format(exc=exc)
    if scheduler is None and problem is None and not data.is_available(dataset):
        problem = (
            _("{display_name} isn't on this machine yet: download it "
            "on the Train page, or pick the digits.").format(display_name=vocab.display_name(dataset))
        )
    return Plan(dataset, values, configs, scheduler, n_jobs, problem)
