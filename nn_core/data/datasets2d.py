"""Two-dimensional toy datasets and input features, as in TensorFlow Playground.

Points live on the plane ``[-6, 6] x [-6, 6]`` (``DOMAIN``). Each generator takes
``n`` points, a ``noise`` level from 0 to 0.5 (what the Boundaries page shows as
0-50%) and a ``seed``, and returns ``(X, y)``: float64 coordinates ``(n, 2)`` and
int64 labels ``0..K-1``. The same arguments give the same points.

=========  =====  ==================================================================
name       K      what
=========  =====  ==================================================================
circle     2      scikit-learn ``make_circles``: a ring (class 0) round a circle (1)
xor        2      uniform points in four squares; class 1 where ``x1 * x2 >= 0``
gauss      2      scikit-learn ``make_blobs``: two Gaussian blobs
spiral     2      two interleaved spiral arms
moons      2      scikit-learn ``make_moons``: two interleaved half circles
blobs3     3      ``make_blobs``: three Gaussian blobs
spiral3    3      three interleaved spiral arms
=========  =====  ==================================================================

``features(X, names)`` maps the coordinates to the network's inputs, the ones
TensorFlow Playground offers (``FEATURES``): x1, x2, x1², x2², x1·x2, sin x1 and
sin x2. They are computed from the coordinates and then scaled so that every one
lies in ``[-1, 1]`` on the plane (``x1 / 6``, ``x1² / 36``, ``x1·x2 / 36``; the
sines already do): unscaled, x1² reaches 36 and saturates a tanh unit at once.

What it trades away: the noise of each generator is its own kind (Gaussian for
scikit-learn's, uniform jitter for XOR and the spirals, as TensorFlow Playground
does), scaled so that 50% makes every dataset hard but not hopeless; the levels
are not comparable across datasets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

#: Half the side of the square the points live in: x1, x2 in [-DOMAIN, DOMAIN].
DOMAIN = 6.0
#: Points per dataset (TensorFlow Playground uses 500 too).
DEFAULT_POINTS = 500
MAX_NOISE = 0.5

#: name -> number of classes, in the order the page offers them.
DATASETS: dict[str, int] = {
    "circle": 2,
    "xor": 2,
    "gauss": 2,
    "spiral": 2,
    "moons": 2,
    "blobs3": 3,
    "spiral3": 3,
}
LABELS = {
    "circle": "Circle",
    "xor": "XOR",
    "gauss": "Gaussian",
    "spiral": "Spiral",
    "moons": "Moons",
    "blobs3": "Blobs (3 classes)",
    "spiral3": "Spiral (3 classes)",
}


def _sin(X: np.ndarray, column: int) -> np.ndarray:
    return np.sin(X[:, column])


#: Input features: key -> (label, function of the coordinates ``(n, 2)``), in the
#: order TensorFlow Playground lists them. Every one lies in [-1, 1] on the plane.
FEATURES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "x1": ("x1", lambda X: X[:, 0] / DOMAIN),
    "x2": ("x2", lambda X: X[:, 1] / DOMAIN),
    "x1sq": ("x1²", lambda X: (X[:, 0] / DOMAIN) ** 2),
    "x2sq": ("x2²", lambda X: (X[:, 1] / DOMAIN) ** 2),
    "x1x2": ("x1·x2", lambda X: X[:, 0] * X[:, 1] / DOMAIN**2),
    "sinx1": ("sin x1", lambda X: _sin(X, 0)),
    "sinx2": ("sin x2", lambda X: _sin(X, 1)),
}
#: How each feature is computed from the plane's coordinates, in words (for hover text).
FEATURE_FORMULAS = {
    "x1": "x1 / 6",
    "x2": "x2 / 6",
    "x1sq": "x1² / 36",
    "x2sq": "x2² / 36",
    "x1x2": "x1·x2 / 36",
    "sinx1": "sin(x1)",
    "sinx2": "sin(x2)",
}


def n_classes(name: str) -> int:
    _check_name(name)
    return DATASETS[name]


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"unknown 2-D dataset {name!r}; use one of {', '.join(DATASETS)}")


def _check(n: int, noise: float) -> tuple[int, float]:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 6:
        raise ValueError(f"n must be a whole number of points, at least 6; got {n!r}")
    noise = float(noise)
    if not 0.0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be between 0 and {MAX_NOISE}; got {noise!r}")
    return int(n), noise


def _uniform(rng: np.random.Generator, low: float, high: float, size) -> np.ndarray:
    return rng.uniform(low, high, size=size)


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles

    # Radii 5 (class 0, the ring) and 2.5 (class 1); at 50% the Gaussian noise (sd 1)
    # spills each class well into the gap between them.
    X, y = make_circles(n, noise=0.4 * noise, factor=0.5, random_state=_sk_seed(rng))
    return X * 5.0, y


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # TensorFlow Playground's: uniform in [-5, 5]^2 pushed 0.3 off the axes; the label
    # is taken where uniform jitter (up to noise * 5) would move the point, so noise
    # flips labels near the axes.
    X = _uniform(rng, -5.0, 5.0, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    jitter = _uniform(rng, -5.0, 5.0, (n, 2)) * noise
    moved = X + jitter
    y = (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)
    return X, y


def _blob_sd(noise: float) -> float:
    # TensorFlow Playground's variance 0.5 -> 4 over noise 0 -> 0.5.
    return math.sqrt(0.5 + 7.0 * noise)


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n, centers=[[-2.0, -2.0], [2.0, 2.0]], cluster_std=_blob_sd(noise),
                      random_state=_sk_seed(rng))
    return X, y


def _blobs3(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_blobs

    angles = np.deg2rad([90.0, 210.0, 330.0])
    centers = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    X, y = make_blobs(n, centers=centers, cluster_std=0.8 * _blob_sd(noise),
                      random_state=_sk_seed(rng))
    return X, y


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    X, y = make_moons(n, noise=0.5 * noise, random_state=_sk_seed(rng))
    # From x1 in [-1, 2], x2 in [-0.5, 1] to the middle of the plane.
    return (X - [0.5, 0.25]) * 3.2, y


def _spiral_arms(n: int, noise: float, rng: np.random.Generator,
                 k: int) -> tuple[np.ndarray, np.ndarray]:
    # TensorFlow Playground's: arm c turns 1.75 times from the centre to radius 5,
    # rotated by 2 pi c / k, each point jittered uniformly by up to noise * 2.
    sizes = [n // k + (1 if c < n % k else 0) for c in range(k)]
    parts, labels = [], []
    for c, m in enumerate(sizes):
        i = np.arange(m) / m
        r = 5.0 * i
        t = 1.75 * i * 2.0 * np.pi + 2.0 * np.pi * c / k
        arm = np.column_stack([r * np.sin(t), r * np.cos(t)])
        arm += _uniform(rng, -1.0, 1.0, (m, 2)) * (2.0 * noise)
        parts.append(arm)
        labels.append(np.full(m, c, dtype=np.int64))
    return np.vstack(parts), np.concatenate(labels)


_GENERATORS: dict[str, Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]] = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": lambda n, noise, rng: _spiral_arms(n, noise, rng, 2),
    "moons": _moons,
    "blobs3": _blobs3,
    "spiral3": lambda n, noise, rng: _spiral_arms(n, noise, rng, 3),
}
assert set(_GENERATORS) == set(DATASETS)


def _sk_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def make(name: str, n: int = DEFAULT_POINTS, noise: float = 0.0,
         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of dataset ``name`` with ``noise`` (0 to 0.5): ``(X (n, 2), y (n,))``.

    Seeded: the same arguments give the same points. The rows come shuffled.
    """
    _check_name(name)
    n, noise = _check(n, noise)
    rng = np.random.default_rng(seed)
    X, y = _GENERATORS[name](n, noise, rng)
    order = rng.permutation(n)
    return np.ascontiguousarray(X[order], dtype=np.float64), y[order].astype(np.int64)


def split(n: int, train_ratio: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers ``(train, test)`` of ``n`` points, ``train_ratio`` (0.1-0.9) for training.

    Stratification is left out on purpose: the data already come shuffled, and a
    person who lowers the ratio to 10% should see how unlucky a small sample can be.
    """
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train_ratio must be between 0 and 1; got {train_ratio!r}")
    n_train = min(max(1, int(round(n * train_ratio))), n - 1)
    order = np.random.default_rng([seed, 1]).permutation(n)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def check_features(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as a tuple in ``FEATURES`` order, checked (at least one, all known)."""
    chosen = tuple(names)
    unknown = [n for n in chosen if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; use some of {', '.join(FEATURES)}")
    if not chosen:
        raise ValueError("choose at least one input feature")
    return tuple(name for name in FEATURES if name in chosen)


def features(X: np.ndarray, names: Sequence[str], dtype=np.float32) -> np.ndarray:
    """The chosen input features of the points ``X (n, 2)``: ``(n, len(names))``, in
    ``FEATURES`` order."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must be (n, 2) coordinates; got shape {X.shape}")
    chosen = check_features(names)
    out = np.empty((X.shape[0], len(chosen)), dtype=dtype)
    for column, name in enumerate(chosen):
        out[:, column] = FEATURES[name][1](X)
    return out


def grid(resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """The plane sampled at ``resolution x resolution`` cell centres: ``(axis, points)``
    with ``axis`` the ``resolution`` coordinates along x1 (and x2) and ``points``
    ``(resolution**2, 2)`` row-major, x1 varying fastest (row ``i`` of the image is
    ``x2 = axis[i]``)."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or resolution < 2:
        raise ValueError(f"resolution must be a whole number, at least 2; got {resolution!r}")
    step = 2.0 * DOMAIN / resolution
    axis = -DOMAIN + step * (np.arange(resolution) + 0.5)
    x1, x2 = np.meshgrid(axis, axis)
    return axis, np.column_stack([x1.ravel(), x2.ravel()])


__all__ = [
    "DATASETS",
    "DEFAULT_POINTS",
    "DOMAIN",
    "FEATURES",
    "FEATURE_FORMULAS",
    "LABELS",
    "MAX_NOISE",
    "check_features",
    "features",
    "grid",
    "make",
    "n_classes",
    "split",
]
