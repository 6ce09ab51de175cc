"""The model a session is using: what it is, saving it, and loading an uploaded one."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.common.i18n import N_, _, ngettext
from playground.common.vocab import activation_label

# Input sizes of the datasets the app knows, to recognise what an uploaded model reads.
INPUT_SIZES = {"digits": 64, "mnist": 784}
MAX_MODEL_BYTES = 20 * 1024 * 1024  # keep in step with server.maxUploadSize in .streamlit/config.toml


MB = 2**20  # Streamlit's server.maxUploadSize counts megabytes of 2**20 bytes


class ModelFileError(ValueError):
    """An uploaded model that can't be used, with a message for the person."""


class ModelOverflowError(ValueError):
    """The network's activations overflow on these inputs (weights far too large)."""


OVERFLOW_ADVICE = N_(
    "This model's numbers overflow on these images: its weights are far too large, as "
    "after a run that diverged. Train a new model on **Train** with a lower learning "
    "rate, or load another model."
)


def predict_proba(net: Any, X: np.ndarray) -> np.ndarray:
    """``net.predict_proba(X)``, raising :class:`ModelOverflowError` instead of returning
    or raising about non-finite numbers."""
    try:
        with np.errstate(all="ignore"):
            proba = np.asarray(net.predict_proba(X))
    except ValueError as exc:
        text = str(exc).lower()
        if "overflow" not in text and "too large" not in text:
            raise  # a different mistake (e.g. the wrong number of inputs): not ours to reword
        raise ModelOverflowError(_(OVERFLOW_ADVICE)) from exc
    if not np.all(np.isfinite(proba)):
        raise ModelOverflowError(_(OVERFLOW_ADVICE))
    return proba


@dataclass
class ActiveModel:
    """The network that answers on the Draw and Inspect pages."""

    net: Any
    dataset: str
    test_accuracy: float | None
    source: str  # "default", "run #3", "uploaded file x.npz"

    @property
    def architecture(self) -> str:
        return architecture_label(self.net)

    def describe(self) -> str:
        acc = "" if self.test_accuracy is None else _(" · test accuracy {accuracy:.1%}").format(
            accuracy=self.test_accuracy)
        return f"{self.dataset} · {self.architecture}{acc} · {self.source}"


def architecture_label(net: Any) -> str:
    """``64 → 64 → 10 ReLU MLP``."""
    sizes = " → ".join(str(s) for s in getattr(net, "layer_sizes", []))
    act = activation_label(getattr(net, "activation", ""))
    return f"{sizes} {act} MLP".strip()


def model_to_bytes(net: Any) -> bytes:
    buffer = io.BytesIO()
    net.save(buffer)
    return buffer.getvalue()


def infer_dataset(net: Any) -> str | None:
    """Which known dataset a network's input size matches (None if none)."""
    sizes = list(getattr(net, "layer_sizes", []))
    if len(sizes) < 2 or sizes[-1] != 10:
        return None
    for name, n_in in INPUT_SIZES.items():
        if sizes[0] == n_in:
            return name
    return None


def plane_model_message(net: Any) -> str | None:
    """What to say about a model of the Boundaries page (None if ``net`` is not one).

    Boundaries saves its networks with its own "Download model": a few inputs (the
    features of a point of the plane, ``nn_core.data.datasets2d.FEATURES``) and 2 or 3
    classes. The sidebar loads digit models only, and Boundaries has no upload, so the
    message says what the file is and where such a network lives.
    """
    from nn_core.data.datasets2d import DATASETS, FEATURES

    sizes = list(getattr(net, "layer_sizes", []))
    if len(sizes) < 2 or not 1 <= sizes[0] <= len(FEATURES) or sizes[-1] not in DATASETS.values():
        return None
    n_in = sizes[0]
    return ngettext(
        "This is a 2-D model from the Boundaries page: a network with {n_in} input "
        "(the features of a point of the plane) and {n_classes} classes, {architecture}. "
        "The sidebar loads digit models (64 inputs for digits or 784 for MNIST, 10 classes), "
        "which answer on Draw and Inspect, and the Boundaries page can't open a saved model: "
        "open **Boundaries** to train a 2-D network there.",
        "This is a 2-D model from the Boundaries page: a network with {n_in} inputs "
        "(the features of a point of the plane) and {n_classes} classes, {architecture}. "
        "The sidebar loads digit models (64 inputs for digits or 784 for MNIST, 10 classes), "
        "which answer on Draw and Inspect, and the Boundaries page can't open a saved model: "
        "open **Boundaries** to train a 2-D network there.",
        n_in,
    ).format(n_in=n_in, n_classes=sizes[-1], architecture=architecture_label(net))


def load_model_bytes(data: bytes, max_bytes: int = MAX_MODEL_BYTES) -> tuple[Any, str]:
    """Validate and load an uploaded ``.npz`` model; returns ``(net, dataset_name)``.

    Raises :class:`ModelFileError` with a message saying what to do instead.
    """
    if len(data) > max_bytes:
        raise ModelFileError(_(
            "That file is {size:.1f} MB; models up to {limit:.0f} MB "
            "can be loaded. Upload a model saved from this app."
        ).format(size=len(data) / MB, limit=max_bytes / MB))
    if not data:
        raise ModelFileError(_("That file is empty. Upload a .npz model saved from this app."))
    from nn_core import MLP

    try:
        net = MLP.load(io.BytesIO(data), max_bytes=max_bytes)
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, say so politely
        raise ModelFileError(_(
            "That file is not a model this app can read ({problem}). "
            "Upload a .npz file made with this sidebar's “Download model (.npz)”."
        ).format(problem=exc)) from exc
    dataset = infer_dataset(net)
    if dataset is None:
        plane = plane_model_message(net)
        if plane is not None:
            raise ModelFileError(plane)
        raise ModelFileError(_(
            "This model has layers {layers}; the app needs "
            "64 inputs (digits) or 784 inputs (MNIST) and 10 outputs. Upload a digit "
            "model saved with this sidebar's “Download model (.npz)”."
        ).format(layers=list(getattr(net, "layer_sizes", []))))
    if not all(np.all(np.isfinite(w)) for w in net.weights):
        raise ModelFileError(_("This model's weights contain NaN or infinity; it can't be used."))
    # Finite weights can still be too large to use: try it on blank, full and random images.
    n_in = INPUT_SIZES[dataset]
    probe = np.vstack([np.zeros(n_in), np.ones(n_in), np.random.default_rng(0).random((8, n_in))])
    try:
        predict_proba(net, probe.astype(net.weights[0].dtype))
    except ValueError as exc:
        raise ModelFileError(_(
            "This model's numbers overflow on ordinary images (its weights are far too "
            "large), so it can't read anything. Upload another model or train a new one."
        )) from exc
    return net, dataset


def activation_and_slope(activation: str, z: Any) -> tuple[np.ndarray, np.ndarray]:
    """``f(z)`` and ``f'(z)`` of a hidden activation, computed by the engine's own
    functions (``nn_core.activations``: ``f`` in place on a copy, ``f'`` as its
    derivative applied to an error of ones, the way backpropagation applies it), in
    float64. For the activation figure (``figures.activation_curves``)."""
    from nn_core import activations as act

    if activation not in act.ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {', '.join(act.ACTIVATIONS)}; got {activation!r}")
    values = np.array(z, dtype=np.float64)
    f = act.ACTIVATIONS[activation](values.copy())
    slope = np.ones_like(f)
    act.DERIVATIVES[activation](f.copy(), slope, np.empty_like(f))
    return f, slope
