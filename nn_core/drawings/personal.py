"""A person's own labelled drawings, saved and loaded safely, and fine-tuning on them.

- ``ExampleSet``: network inputs (images with values in [0, 1]) with their labels 0-9 and
  the dataset whose input they are (``"mnist-sample"``, ``"digits"``, ...). Saved as
  ``.npz`` arrays plus JSON metadata, like model files, and loaded the same careful way
  (``allow_pickle=False``, size limits, entries, shapes, labels 0-9, finite values in
  [0, 1]): every problem is a ``ValueError`` that says what is wrong.
- ``fine_tune(net, X_new, y_new, X_train, y_train)``: a few hundred steps of the engine's
  own ``Trainer`` on one array that mixes the new examples (repeated, about a tenth of
  every batch) with training rows, so the network learns them without forgetting the rest.

What it trades away: the new examples are repeated as they are, not augmented, so the
network learns the style of a handful of drawings, and the drawings most like them in
other classes may be read as that style afterwards (teaching a slashed zero makes
some 8s read as 0).
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..model_io import read_json_meta, read_npz

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMAT",
    "MAX_EXAMPLES",
    "ExampleSet",
    "fine_tune",
    "load_examples",
    "mix",
]

FORMAT = "mlp-playground/examples"
VERSION = 1
#: Most examples a set may hold (a personal set is a few dozen drawings).
MAX_EXAMPLES = 2_000
#: Largest file (and largest inflated content) accepted: 2,000 28x28 float32 images are 6.3 MB.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
_ENTRIES = {"meta", "images", "labels"}
_N_CLASSES = 10

# Fine-tuning defaults, measured on the default Draw model (784-256-10): 300 steps of 32
# with a tenth of new examples learn 5 drawings of a style the model misread (30% -> 100%
# of fresh drawings of it read right) and move the test accuracy by less than 0.1 point.
DEFAULT_STEPS = 300
DEFAULT_BATCH = 32
DEFAULT_SHARE = 0.1
DEFAULT_LEARNING_RATE = 2e-4


def _invalid(problem: str) -> ValueError:
    return ValueError(f"not a valid set of drawings: {problem}")


def _image_shapes() -> dict[str, tuple[int, int]]:
    from .preprocess import DATASET_IMAGE_SHAPES

    return DATASET_IMAGE_SHAPES


@dataclass(eq=False)
class ExampleSet:
    """Labelled network inputs: ``images`` (n, h, w) float32 in [0, 1], ``labels`` (n,)
    int64 in 0..9, ``dataset`` the name of the dataset whose input they are."""

    images: np.ndarray
    labels: np.ndarray
    dataset: str

    def __post_init__(self) -> None:
        shapes = _image_shapes()
        if not isinstance(self.dataset, str) or self.dataset not in shapes:
            raise _invalid(f"dataset must be one of {', '.join(shapes)}, got {self.dataset!r}")
        images = np.asarray(self.images)
        labels = np.asarray(self.labels)
        if images.dtype.kind != "f":
            raise _invalid(f"images must be floating-point numbers, got {images.dtype}")
        shape = shapes[self.dataset]
        if images.ndim != 3 or images.shape[1:] != shape:
            raise _invalid(
                f"images must be (n, {shape[0]}, {shape[1]}) for {self.dataset}, got {images.shape}"
            )
        n = images.shape[0]
        if n > MAX_EXAMPLES:
            raise _invalid(f"it holds {n:,} drawings, more than the {MAX_EXAMPLES:,} allowed")
        if not np.isfinite(images).all():
            raise _invalid("images contain NaN or infinite values")
        if n and (images.min() < 0.0 or images.max() > 1.0):
            raise _invalid(
                f"image values must be within [0, 1], found {images.min():.3g}..{images.max():.3g}"
            )
        if labels.shape != (n,):
            raise _invalid(f"labels must be one per image, ({n},), got {labels.shape}")
        if labels.dtype.kind not in "iu":
            raise _invalid(f"labels must be integers, got {labels.dtype}")
        if n and (labels.min() < 0 or labels.max() >= _N_CLASSES):
            raise _invalid(f"labels must be digits 0-9, found {labels.min()}..{labels.max()}")
        self.images = np.ascontiguousarray(images, dtype=np.float32)
        self.labels = labels.astype(np.int64)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def X(self) -> np.ndarray:
        """The images as rows of features, ``(n, h * w)``."""
        return self.images.reshape(len(self), -1)

    @classmethod
    def empty(cls, dataset: str) -> ExampleSet:
        shape = _image_shapes()[dataset]
        return cls(np.zeros((0, *shape), np.float32), np.zeros(0, np.int64), dataset)

    def added(self, image: Any, label: int) -> ExampleSet:
        """A new set with one more example (validated like the rest)."""
        image = np.asarray(image, dtype=np.float32).reshape(1, *self.images.shape[1:])
        return ExampleSet(
            np.concatenate([self.images, image]),
            np.concatenate([self.labels, np.asarray([label], dtype=np.int64)]),
            self.dataset,
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    def save(self, file: str | Path | BinaryIO) -> None:
        """``.npz``: ``images``, ``labels`` and a JSON ``meta`` entry (no pickles)."""
        meta = {"format": FORMAT, "version": VERSION, "dataset": self.dataset, "n": len(self)}
        arrays = {"meta": np.array(json.dumps(meta)), "images": self.images, "labels": self.labels}
        if isinstance(file, (str, os.PathLike)):
            with open(file, "wb") as handle:
                np.savez_compressed(handle, **arrays)
        else:
            np.savez_compressed(file, **arrays)


def load_examples(file: str | Path | BinaryIO | bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ExampleSet:
    """Read a set saved by ``ExampleSet.save``, checking everything before using it.

    Raises ``ValueError`` saying what is wrong: too large, not a zip archive, damaged,
    entries missing or extra, an object (pickled) array, bad metadata, wrong shapes,
    labels outside 0-9, values that are not finite or outside [0, 1].
    """
    entries = read_npz(file, max_bytes, _invalid, expected=set(_ENTRIES))
    meta = _parse_meta(entries["meta"])
    images, labels = entries["images"], entries["labels"]
    if images.ndim >= 1 and images.shape[0] != meta["n"]:
        raise _invalid(f"meta says {meta['n']} drawings, images hold {images.shape[0]}")
    return ExampleSet(images, labels, meta["dataset"])


def _parse_meta(raw: np.ndarray) -> dict[str, Any]:
    meta = read_json_meta(raw, _invalid, FORMAT, VERSION)
    n = meta.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_EXAMPLES:
        raise _invalid(f"meta n must be a count 0..{MAX_EXAMPLES:,}, got {n!r}")
    if not isinstance(meta.get("dataset"), str):
        raise _invalid("meta dataset must be a dataset name")
    return meta


# --------------------------------------------------------------------------- fine-tuning


def mix(
    X_new: Any,
    y_new: Any,
    X_train: Any,
    y_train: Any,
    n_rows: int,
    share: float = DEFAULT_SHARE,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """One array of about ``n_rows`` rows: training rows drawn without replacement (all
    of them if there are fewer) and the new examples repeated to make ``share`` of the
    whole. Rows are in no particular order: the trainer shuffles."""
    X_new = np.asarray(X_new)
    y_new = np.asarray(y_new)
    X_train = np.asarray(X_train)
    y_train = np.asarray(y_train)
    if X_new.ndim != 2 or X_new.shape[0] == 0:
        raise ValueError(f"X_new must hold at least one row of features, got shape {X_new.shape}")
    if X_train.ndim != 2 or X_train.shape[1] != X_new.shape[1]:
        raise ValueError(
            f"X_train {X_train.shape} and X_new {X_new.shape} must have the same features"
        )
    if not 0.0 < share < 1.0:
        raise ValueError(f"share must be between 0 and 1, got {share!r}")
    n_rows = int(n_rows)
    n_train = min(X_train.shape[0], max(1, round(n_rows * (1.0 - share))))
    repeats = max(1, round(n_train * share / ((1.0 - share) * X_new.shape[0])))
    rows = np.random.default_rng(seed).choice(X_train.shape[0], n_train, replace=False)
    rows.sort()  # gathers in memory order
    X = np.concatenate([X_train[rows], np.repeat(X_new, repeats, axis=0)]).astype(X_new.dtype)
    y = np.concatenate([y_train[rows], np.repeat(y_new, repeats)])
    return X, y


def fine_tune(
    net: Any,
    X_new: Any,
    y_new: Any,
    X_train: Any,
    y_train: Any,
    steps: int = DEFAULT_STEPS,
    batch_size: int = DEFAULT_BATCH,
    share: float = DEFAULT_SHARE,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    seed: int = 0,
) -> tuple[int, Any]:
    """Train ``net`` in place for ``steps`` batches on the new examples mixed with
    training rows (``mix``), with the engine's ``Trainer``. Returns the batches trained
    and the trainer's ``History`` (``diverged`` says if it blew up and was rolled back).

    The network's optimizer carries on (Adam if it has none), at ``learning_rate``.
    """
    steps = int(steps)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps!r}")
    X, y = mix(X_new, y_new, X_train, y_train, steps * int(batch_size), share, seed)
    epochs = max(1, math.ceil(steps * int(batch_size) / X.shape[0]))
    trainer = net.trainer(X, y, epochs=epochs, batch_size=int(batch_size), optimizer=None,
                          learning_rate=learning_rate, health_samples=0)
    done = trainer.step(max_batches=steps)
    trainer.finish()  # the run is these steps: the network keeps its learning rate
    return done, trainer.history
