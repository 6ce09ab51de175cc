"""Inspect: where the model goes wrong on the test set."""

import numpy as np
import streamlit as st

from playground.common import metrics, models, state
from playground.common.i18n import _
from playground.inspect import figures, gallery
from playground.shell import data, ui

pg = ui.playground()


def inspect(model) -> None:
    try:
        dataset = data.load_dataset(model.dataset)
    except RuntimeError as exc:
        st.warning(state.missing_dataset_message(model.dataset, exc))
        return
    try:
        probabilities = models.predict_proba(model.net, dataset.X_test)
    except models.ModelOverflowError as exc:
        st.warning(str(exc), icon=":material/warning:")
        return
    evaluation = metrics.evaluate(probabilities, dataset.y_test)
    names = [str(c) for c in getattr(dataset, "class_names", range(10))]
    n_test = len(dataset.y_test)
    weakest = int(np.nanargmin(evaluation.class_accuracy))

    m1, m2, m3 = st.columns(3)
    m1.metric(_("Test accuracy"), f"{evaluation.accuracy:.1%}", help=_("Share of the test images read right."))
    m2.metric(_("Mistakes"), _("{size} of {n_test}").format(size=evaluation.mistakes.size, n_test=n_test), help=_("Test images read wrong."))
    m3.metric(
        _("Hardest class"),
        names[weakest],
        delta=_("{class_accuracy:.0%} right").format(class_accuracy=evaluation.class_accuracy[weakest]),
        delta_color="off",
        delta_arrow="off",
        help=_("The true class the model gets right least often."),
    )

    left, right = st.columns([1.1, 1], gap="large")
    left.plotly_chart(
        figures.confusion_matrix(evaluation.confusion, names),
        key="chart-confusion",
        config={"displayModeBar": False},
    )
    left.caption(_("Rows: the true digit. Columns: what the model said. Off the diagonal = mistakes."))
    right.plotly_chart(
        figures.per_class_accuracy(evaluation.class_accuracy, names),
        key="chart-per-class",
        config={"displayModeBar": False},
    )

    st.subheader(_("Misclassified test images"))
    if evaluation.mistakes.size == 0:
        st.success(_("No mistakes on the test set."))
        return
    f1, f2 = st.columns([1, 2])
    true_class = f1.selectbox(
        _("True class"),
        ["all", *names],
        key="inspect-class",
        help=_("Show only the mistakes on images of this digit."),
    )
    mistakes = evaluation.mistakes
    if true_class != "all":
        mistakes = mistakes[dataset.y_test[mistakes] == names.index(true_class)]
    count = f2.slider(
        _("How many to show"),
        min_value=1,
        max_value=max(1, min(64, mistakes.size)),
        value=max(1, min(24, mistakes.size)),
        key="inspect-count",
        help=_("The most confident mistakes come first."),
    ) if mistakes.size > 1 else mistakes.size
    shown = mistakes[:count]
    if shown.size == 0:
        st.info(_("No mistakes for that class."))
        return
    shape = tuple(getattr(dataset, "image_shape", (8, 8)))
    tiles = gallery.misclassified_gallery(
        dataset.X_test[shown].reshape(-1, *shape),
        dataset.y_test[shown],
        evaluation.predicted[shown],
        evaluation.confidence[shown],
        names,
    )
    # HTML, not a chart: its grid reflows to the screen (three images a row on a phone).
    st.html(gallery.STYLE)
    st.container(key="inspect-gallery").html(tiles)
    st.caption(_("Each image: its true label → the model's answer (how sure it was)."))


st.title(_("Inspect"))
st.caption(_("How the current model does on the test set, class by class, and what it gets wrong."))
active = ui.page_model(pg)
if active is not None:
    st.info(_("Inspecting: {describe}").format(describe=active.describe()), icon=":material/neurology:")
    inspect(active)
