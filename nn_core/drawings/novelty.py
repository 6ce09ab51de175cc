"""Is this drawing a digit at all? Class-conditional Gaussians over two views of it.

A classifier answers every input with some class, often confidently: a horizontal line
read as "4, 100% sure". This module scores how unlike the training digits an input is,
so that an app can say "that doesn't look like a digit" and still show its best guess.

The method is the Mahalanobis detector of Lee et al. (2018, "A simple unified framework
for detecting out-of-distribution samples"), with one Gaussian per class and per
feature space, over two views of the input:

- **hidden**: the network's last hidden layer (what the classifier itself computes).
  Catches blobs, dots and scribbles: their hidden activity is far from every digit's.
- **shape**: the input scaled to unit length (so the amount of ink does not count),
  projected on the top principal components of the training inputs scaled the same way.
  Catches lines: a line has the ink of a "1", so in the hidden view it sits close to the
  small-activity digits, but its shape is like none of them.

For each view, ``ClassGaussians`` fits a mean and a covariance per class (shrunk towards
a multiple of the identity, since ReLU units that never fire have no variance), and
scores a feature vector by its negative log-likelihood under the most likely class,
without the constant: ``min_c (f - mu_c)' S_c^-1 (f - mu_c) + log det S_c``.

Thresholds are calibrated on *generated* drawn digits (``generated_digit_inputs``:
``nn_core.drawings.strokes`` drawings through the canvas preprocessing), not on the training
set, because drawings differ from scanned digits; a drawing is flagged when either
view's score is above that view's ``quantile`` (default 99%) of the calibration scores.
So about 2% of ordinary drawings (1% per view) are flagged by construction, whatever the model.

Pure NumPy. What it trades away: the Gaussians are fitted to one network's hidden layer,
so they must be refitted when the network changes (fine-tuning): ~0.2 s for 256 units
(the shape view depends on the data only, ~0.5 s once per dataset).
The bar it was tuned to (``bench/not_a_digit.py``): at most 1 in 20 drawn digits
flagged, at least 3 of 4 kinds of non-digit (line, dot, scribble, blob) flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "VIEWS",
    "ClassGaussians",
    "DigitNovelty",
    "HiddenView",
    "Novelty",
    "ShapeView",
    "generated_digit_inputs",
    "hidden_features",
    "shape_features",
]

#: The two views, in the order of ``DigitNovelty.scores``' columns.
VIEWS: tuple[str, ...] = ("hidden", "shape")
DEFAULT_QUANTILE = 0.99
DEFAULT_SHRINKAGE = 0.2
DEFAULT_SHAPE_COMPONENTS = 50
_TINY = 1e-12


def _as_2d_float(X: Any, name: str) -> np.ndarray:
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (rows, features), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


@dataclass(frozen=True, eq=False)
class ClassGaussians:
    """One Gaussian per class over feature vectors; ``score`` is the negative
    log-likelihood (times 2, without the constant) under the most likely class.

    ``whiteners[c]`` is ``L_c^-1`` for the Cholesky factor ``S_c = L_c L_c'``, so
    ``|L_c^-1 (f - mu_c)|^2`` is the squared Mahalanobis distance to class ``c``.
    """

    means: np.ndarray  # (K, d)
    whiteners: np.ndarray  # (K, d, d), lower triangular
    log_dets: np.ndarray  # (K,)

    @classmethod
    def fit(
        cls, features: Any, labels: Any, shrinkage: float = DEFAULT_SHRINKAGE
    ) -> ClassGaussians:
        """Fit a mean and a covariance per class (labels 0..K-1, each present at least once).

        Each covariance (the maximum-likelihood one, divided by n) is shrunk:
        ``(1 - shrinkage) S + shrinkage * trace(S) / d * I``, so it can be inverted
        even when some features never vary within a class.
        """
        F = _as_2d_float(features, "features")
        y = np.asarray(labels)
        if y.shape != (F.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"labels must be {F.shape[0]} integer class labels, got {y.shape} {y.dtype}")
        if not 0.0 < float(shrinkage) <= 1.0:
            raise ValueError(f"shrinkage must be in (0, 1], got {shrinkage!r}")
        if y.min() < 0:
            raise ValueError("labels must be 0 or more")
        n_classes = int(y.max()) + 1
        counts = np.bincount(y, minlength=n_classes)
        if (counts == 0).any():
            raise ValueError(f"every class 0..{n_classes - 1} needs examples; missing {np.flatnonzero(counts == 0).tolist()}")
        d = F.shape[1]
        means = np.empty((n_classes, d))
        whiteners = np.empty((n_classes, d, d))
        log_dets = np.empty(n_classes)
        for c in range(n_classes):
            rows = F[y == c]
            mean = rows.mean(axis=0)
            centred = rows - mean
            cov = centred.T @ centred / rows.shape[0]
            scale = max(float(np.trace(cov)) / d, _TINY)
            cov = (1.0 - shrinkage) * cov + shrinkage * scale * np.eye(d)
            chol = np.linalg.cholesky(cov)
            means[c] = mean
            whiteners[c] = np.linalg.inv(chol)
            log_dets[c] = 2.0 * float(np.log(np.diag(chol)).sum())
        return cls(means, whiteners, log_dets)

    @property
    def n_features(self) -> int:
        return int(self.means.shape[1])

    def mahalanobis(self, features: Any) -> np.ndarray:
        """Squared Mahalanobis distance of every row to every class, ``(n, K)``."""
        F = _as_2d_float(features, "features")
        if F.shape[1] != self.n_features:
            raise ValueError(f"features have {F.shape[1]} columns, the Gaussians {self.n_features}")
        out = np.empty((F.shape[0], self.means.shape[0]))
        for c, (mean, whitener) in enumerate(zip(self.means, self.whiteners, strict=True)):
            z = (F - mean) @ whitener.T
            out[:, c] = np.einsum("ij,ij->i", z, z)
        return out

    def score(self, features: Any) -> np.ndarray:
        """``min_c`` squared Mahalanobis distance + ``log det S_c``: low for typical rows."""
        return (self.mahalanobis(features) + self.log_dets).min(axis=1)


def hidden_features(net: Any, X: Any) -> np.ndarray:
    """The network's last hidden layer for ``X`` (its logits if it has no hidden layer)."""
    zs, activations = net.forward_trace(X)
    if len(activations) > 2:
        return np.asarray(activations[-2], dtype=np.float64)
    return np.asarray(zs[-1], dtype=np.float64)


def shape_features(X: Any) -> np.ndarray:
    """Each row scaled to unit length (the amount of ink does not count)."""
    F = _as_2d_float(X, "X")
    return F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), _TINY)


class HiddenView:
    """Class Gaussians over a network's last hidden layer."""

    name = "hidden"

    def __init__(self, net: Any, gaussians: ClassGaussians) -> None:
        self.net = net
        self.gaussians = gaussians

    @classmethod
    def fit(cls, net: Any, X_train: Any, y_train: Any, shrinkage: float = DEFAULT_SHRINKAGE) -> HiddenView:
        X = np.asarray(X_train, dtype=net.dtype)
        return cls(net, ClassGaussians.fit(hidden_features(net, X), y_train, shrinkage))

    def scores(self, X: Any) -> np.ndarray:
        return self.gaussians.score(hidden_features(self.net, np.asarray(X, dtype=self.net.dtype)))


class ShapeView:
    """Class Gaussians over the inputs scaled to unit length, projected on their top
    principal components. Depends on the data only: one per dataset serves every model."""

    name = "shape"

    def __init__(self, mean: np.ndarray, basis: np.ndarray, gaussians: ClassGaussians) -> None:
        self.mean = mean
        self.basis = basis  # (n_features, k), largest variance first
        self.gaussians = gaussians

    @classmethod
    def fit(
        cls,
        X_train: Any,
        y_train: Any,
        shrinkage: float = DEFAULT_SHRINKAGE,
        components: int = DEFAULT_SHAPE_COMPONENTS,
    ) -> ShapeView:
        S = shape_features(X_train)
        k = int(min(components, S.shape[1], S.shape[0] - 1))
        if k < 1:
            raise ValueError("need at least two training rows")
        mean = S.mean(axis=0)
        centred = S - mean
        # Principal directions from the covariance's eigenvectors (d x d: cheaper than an
        # SVD of the n x d data when n >> d), largest eigenvalues first. The product in
        # float32 takes half the time and moves the leading directions by ~1e-6.
        c32 = centred.astype(np.float32)
        _, vectors = np.linalg.eigh((c32.T @ c32).astype(np.float64))
        basis = np.ascontiguousarray(vectors[:, ::-1][:, :k])
        return cls(mean, basis, ClassGaussians.fit(centred @ basis, y_train, shrinkage))

    def project(self, X: Any) -> np.ndarray:
        return (shape_features(X) - self.mean) @ self.basis

    def scores(self, X: Any) -> np.ndarray:
        return self.gaussians.score(self.project(X))


@dataclass(frozen=True)
class Novelty:
    """How one input compares with the calibration drawings."""

    flagged: bool  #: unlike the training digits (some view's score above its threshold)
    #: Per view, the share of the calibration drawings that score lower (0..1).
    percentiles: dict[str, float]
    #: The view that finds it most unusual.
    view: str

    @property
    def percentile(self) -> float:
        return max(self.percentiles.values())


class DigitNovelty:
    """Says whether inputs look like the digits a network was trained on.

    >>> detector = DigitNovelty.fit(net, X_train, y_train, generated_digit_inputs("mnist"))
    >>> detector.is_novel(X)          # (n,) bool
    >>> detector.assess(x)            # Novelty(flagged=..., percentiles=..., view=...)

    It keeps ``net``: refit after the network's weights change (the shape view, which
    does not depend on the network, can be passed in again: ``shape=old.shape``).
    """

    def __init__(
        self,
        hidden: HiddenView,
        shape: ShapeView,
        X_calibration: Any,
        quantile: float = DEFAULT_QUANTILE,
    ) -> None:
        if not 0.5 <= float(quantile) < 1.0:
            raise ValueError(f"quantile must be in [0.5, 1), got {quantile!r}")
        self.hidden = hidden
        self.shape = shape
        self.quantile = float(quantile)
        #: (n_calibration, 2): the calibration drawings' scores, each column sorted.
        self.calibration_scores = np.sort(self.scores(X_calibration), axis=0)
        #: Per view: above this score, an input is unlike the calibration drawings.
        self.thresholds = np.quantile(self.calibration_scores, self.quantile, axis=0)

    @property
    def net(self) -> Any:
        return self.hidden.net

    @classmethod
    def fit(
        cls,
        net: Any,
        X_train: Any,
        y_train: Any,
        X_calibration: Any,
        quantile: float = DEFAULT_QUANTILE,
        shrinkage: float = DEFAULT_SHRINKAGE,
        shape: ShapeView | None = None,
    ) -> DigitNovelty:
        """Fit the class Gaussians of both views on the training digits (``shape``: a
        shape view already fitted on them), then set each view's threshold at
        ``quantile`` of the scores of ``X_calibration`` (ordinary drawn digits, such as
        ``generated_digit_inputs``)."""
        hidden = HiddenView.fit(net, X_train, y_train, shrinkage)
        if shape is None:
            shape = ShapeView.fit(X_train, y_train, shrinkage)
        return cls(hidden, shape, X_calibration, quantile)

    def scores(self, X: Any) -> np.ndarray:
        """``(n, 2)``: each row's score in the hidden and the shape view (higher: stranger)."""
        F = _as_2d_float(X, "X")
        return np.column_stack([self.hidden.scores(F), self.shape.scores(F)])

    def is_novel(self, X: Any) -> np.ndarray:
        """``(n,)`` bool: above the threshold in at least one view."""
        return (self.scores(X) > self.thresholds).any(axis=1)

    def assess(self, x: Any) -> Novelty:
        """One input (a row or a flat vector): flagged or not, and how unusual per view."""
        row = np.asarray(x, dtype=np.float64).reshape(1, -1)
        scores = self.scores(row)[0]
        n = self.calibration_scores.shape[0]
        percentiles = {
            view: float(np.searchsorted(self.calibration_scores[:, i], scores[i])) / n
            for i, view in enumerate(VIEWS)
        }
        flagged = bool((scores > self.thresholds).any())
        view = max(VIEWS, key=lambda v: percentiles[v])
        return Novelty(flagged, percentiles, view)


def generated_digit_inputs(
    dataset_name: str, n_per_class: int = 30, seed: int = 1, size: int = 280
) -> np.ndarray:
    """Ordinary drawn digits as network inputs, ``(10 * n_per_class, n_features)``:
    ``nn_core.drawings.strokes`` drawings (mouse-like, ``size`` px canvas) through
    ``nn_core.drawings.preprocess``, as the Draw page reads a canvas. For calibrating thresholds
    (300 drawings take about 1.5 s). Use the canvas's own size: drawings rendered
    smaller, though rescaled by the preprocessing, score as less unusual.
    """
    from .preprocess import drawing_to_input
    from .strokes import make_drawn_digit_set

    images, _ = make_drawn_digit_set(n_per_class, seed=seed, size=size)
    if images.shape[0] == 0:
        raise ValueError("n_per_class must be at least 1")
    return np.stack([drawing_to_input(image, dataset_name) for image in images])
