"""Teach the network your handwriting: the personal set and fine-tuning on it.

A tab's :class:`TeachState` (``teach.of(pg)``, in the tab's rooms) holds the drawings the person corrected
("Wrong? It's a …"), as the network's input with the right label, and the outcome of the
last **Fine-tune**. It lives in the tab's ``Playground``, so a reload keeps it, and it
downloads and uploads as ``.npz`` (``nn_core.drawings.personal``, validated like model files).

Pure functions and plain objects: the Draw page calls them, the tests call them directly.
"""

from __future__ import annotations

import copy
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.common.i18n import _, ngettext
from playground.common.models import ActiveModel, predict_proba

#: The personal set's size limit in the app (each drawing is one example).
MAX_PERSONAL = 500
#: Largest personal-set upload accepted (2,000 28x28 drawings are about 6 MB).
MAX_UPLOAD_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class FineTuneResult:
    """What one **Fine-tune** did: the drawing's reading and the test accuracy, before and after."""

    n_examples: int
    steps: int
    seconds: float
    test_before: float
    test_after: float
    #: The drawing on the canvas at the time (None if the canvas was blank).
    drawing_before: tuple[int, float] | None  # (digit, probability)
    drawing_after: tuple[int, float] | None
    #: How many of the personal drawings the network read right, before and after.
    personal_before: int
    personal_after: int

    @property
    def test_change_points(self) -> float:
        return 100.0 * (self.test_after - self.test_before)


@dataclass
class TeachState:
    """A tab's personal set and what the last fine-tune did."""

    examples: Any = None  # nn_core.drawings.personal.ExampleSet, or None before the first correction
    #: Canvas version -> index of the example added from that drawing, so picking another
    #: digit for the same drawing relabels it instead of adding it twice.
    taught: dict[int, int] = field(default_factory=dict)
    result: FineTuneResult | None = None
    #: The network the last fine-tune made (weakly held: its result is shown while it
    #: answers) and the set it was fine-tuned on. Being weak, it keeps no memory alive:
    #: this state has no ``networks()`` for the session store to count (the tab's model,
    #: which holds that network, is counted).
    _tuned: Any = None
    tuned_on: Any = None
    #: The canvas (its version) the last fine-tune read "This drawing" on.
    result_canvas: int | None = None
    message: tuple[str, str] | None = None  # (level, text) shown once by the Draw page
    #: What is on the canvas now, as (network input, dataset): what a correction adds.
    current: tuple[np.ndarray, str] | None = None
    #: Set by a fine-tune (in a callback): the Draw page then reruns as a whole.
    rerun_page: bool = False

    def __len__(self) -> int:
        return 0 if self.examples is None else len(self.examples)

    @property
    def image_shape(self) -> tuple[int, int] | None:
        return None if self.examples is None else tuple(self.examples.images.shape[1:])

    def fits(self, dataset: str) -> bool:
        """Whether the set's drawings are inputs of the same shape as ``dataset``'s."""
        from nn_core.drawings.preprocess import DATASET_IMAGE_SHAPES

        shape = self.image_shape
        return shape is None or DATASET_IMAGE_SHAPES.get(dataset) == shape

    def counts(self) -> list[int]:
        """Drawings per digit, 0-9."""
        if self.examples is None:
            return [0] * 10
        return np.bincount(self.examples.labels, minlength=10).tolist()

    def say(self, level: str, text: str) -> None:
        self.message = (level, text)

    def pop_message(self) -> tuple[str, str] | None:
        message, self.message = self.message, None
        return message

    def add(self, image: np.ndarray, label: int, dataset: str, canvas_version: int) -> None:
        """Put the drawing (as network input) in the set with ``label``; the same drawing
        corrected again is relabelled, not added twice."""
        from nn_core.drawings.personal import ExampleSet

        image = np.asarray(image, dtype=np.float32)
        if not self.fits(dataset):
            h, w = self.image_shape
            self.say("warning", _("Your set holds {h}×{w} drawings, but this model reads "
                     "{shape}×{shape2} ones. Empty the set first to start "
                     "one for this model.").format(h=h, w=w, shape=image.shape[0], shape2=image.shape[1]))
            return
        examples = self.examples if self.examples is not None else ExampleSet.empty(dataset)
        index = self.taught.get(canvas_version)
        if (index is not None and index < len(examples)
                and np.array_equal(examples.images[index], image)):
            labels = examples.labels.copy()
            labels[index] = int(label)
            self.examples = ExampleSet(examples.images, labels, examples.dataset)
            self.say("success", _("Relabelled this drawing as a {label}. {summary}").format(label=label, summary=self.summary()))
            return
        if len(examples) >= MAX_PERSONAL:
            self.say("warning", _("Your set is full ({MAX_PERSONAL} drawings). Download it, "
                     "then empty it to start another.").format(MAX_PERSONAL=MAX_PERSONAL))
            return
        self.examples = examples.added(image, int(label))
        self.taught[canvas_version] = len(self.examples) - 1
        self.say("success", _("Added this drawing as a {label}. {summary}").format(label=label, summary=self.summary()))

    def summary(self) -> str:
        n = len(self)
        if n == 0:
            return _("Your set is empty.")
        per_digit = ", ".join(f"{d}: {c}" for d, c in enumerate(self.counts()) if c)
        return ngettext("Your set: {n} drawing ({per_digit}).", "Your set: {n} drawings ({per_digit}).",
                        n).format(n=n, per_digit=per_digit)

    def clear(self) -> None:
        self.examples = None
        self.taught.clear()
        self.result = self.result_canvas = None
        self._tuned = self.tuned_on = None

    def remember(self, result: FineTuneResult, net: Any, canvas_version: int) -> None:
        """Keep what a fine-tune did, which network it made from which set, and on which
        canvas."""
        self.result, self._tuned, self.tuned_on = result, weakref.ref(net), self.examples
        self.result_canvas = canvas_version

    @property
    def tuned_net(self) -> Any:
        return None if self._tuned is None else self._tuned()

    def result_for(self, net: Any, canvas_version: int) -> FineTuneResult | None:
        """The last fine-tune's result while it describes what is on screen: ``net`` is
        the network it made and the canvas is the one it read (Clear starts a new
        canvas, and "This drawing, was 8" would then name a drawing no longer there)."""
        if self.result is None or net is None or net is not self.tuned_net:
            return None
        return self.result if canvas_version == self.result_canvas else None

    def taught_to(self, net: Any) -> Any:
        """The set ``net`` was fine-tuned on (None if it was not fine-tuned here)."""
        return self.tuned_on if net is not None and net is self.tuned_net else None

    def correct(self, label: Any, canvas_version: int) -> None:
        """ "Wrong? It's a …": add what is on the canvas now with ``label``."""
        if label is None or self.current is None:
            return
        image, dataset = self.current
        self.add(image, int(label), dataset, canvas_version)

    def to_bytes(self) -> bytes | None:
        return None if self.examples is None or len(self.examples) == 0 else self.examples.to_bytes()

    def load(self, payload: bytes, name: str, dataset: str) -> bool:
        """Replace the set by an uploaded one (validated), or say why not (keeping it)."""
        from nn_core.drawings.personal import load_examples

        try:
            loaded = load_examples(payload, MAX_UPLOAD_BYTES)
        except ValueError as exc:
            self.say("error", _("Couldn't load {name}: {exc}. Upload a file made with "
                     "“Download my set”. Your set is unchanged.").format(name=name, exc=exc))
            return False
        if len(loaded) > MAX_PERSONAL:
            self.say("error", _("Couldn't load {name}: it holds {loaded} drawings, more "
                     "than the {MAX_PERSONAL} a set can hold here. Your set is unchanged.").format(name=name, loaded=len(loaded), MAX_PERSONAL=MAX_PERSONAL))
            return False
        if len(loaded) == 0:
            self.say("error", _("Couldn't load {name}: it holds no drawings. Your set is unchanged.").format(name=name))
            return False
        previous, self.examples = self.examples, loaded
        if not self.fits(dataset):
            self.examples = previous
            h, w = loaded.images.shape[1:]
            self.say("error", _("Couldn't load {name}: its drawings are {h}×{w}, but the model "
                     "answering now reads {dataset} inputs. Your set is unchanged.").format(name=name, h=h, w=w, dataset=dataset))
            return False
        self.taught.clear()
        self.say("success", f"Loaded {name}. {self.summary()}")
        return True


def _read(net: Any, image: np.ndarray | None) -> tuple[int, float] | None:
    if image is None:
        return None
    proba = predict_proba(net, np.asarray(image, dtype=np.float32).reshape(1, -1))[0]
    digit = int(np.argmax(proba))
    return digit, float(proba[digit])


def fine_tune_model(
    model: ActiveModel, examples: Any, dataset: Any, drawing: np.ndarray | None = None, **kwargs: Any
) -> tuple[ActiveModel, FineTuneResult]:
    """Fine-tune a copy of ``model``'s network on the personal ``examples`` mixed with
    ``dataset``'s training rows (``nn_core.drawings.personal.fine_tune``); returns the new model
    and what changed. ``drawing`` (the canvas's network input, or None) is read before
    and after. The original model is left as it was."""
    from nn_core.drawings.personal import fine_tune

    if examples is None or len(examples) == 0:
        raise ValueError("the personal set is empty: correct a drawing with “Wrong? It's a …” first")
    net = copy.deepcopy(model.net)
    X_new, y_new = examples.X, examples.labels
    with np.errstate(all="ignore"):
        test_before = float(model.net.score(dataset.X_test, dataset.y_test))
        personal_before = int(np.sum(model.net.predict(X_new) == y_new))
    drawing_before = _read(model.net, drawing)
    started = time.perf_counter()
    steps, history = fine_tune(net, X_new, y_new, dataset.X_train, dataset.y_train, **kwargs)
    seconds = time.perf_counter() - started
    if history.diverged:
        raise ValueError(f"fine-tuning diverged ({history.diverged_reason}); the model is unchanged")
    with np.errstate(all="ignore"):
        test_after = float(net.score(dataset.X_test, dataset.y_test))
        personal_after = int(np.sum(net.predict(X_new) == y_new))
    result = FineTuneResult(
        n_examples=len(examples),
        steps=steps,
        seconds=seconds,
        test_before=test_before,
        test_after=test_after,
        drawing_before=drawing_before,
        drawing_after=_read(net, drawing),
        personal_before=personal_before,
        personal_after=personal_after,
    )
    base = model.source.split(" · fine-tuned")[0]
    tuned = ActiveModel(
        net=net,
        dataset=model.dataset,
        test_accuracy=test_after,
        source=_("{base} · fine-tuned on {examples} of your drawings").format(base=base, examples=len(examples)),
    )
    return tuned, result


def of(pg: Any) -> TeachState:
    """The tab's personal set and last fine-tune (made on first use; kept across reloads)."""
    return pg.room("teach", TeachState)
