"""Why did the network give this answer? Gradient x input, and the hidden units behind it.

- ``gradient_times_input(net, x, c)``: for every input feature, ``x_i * dz_c/dx_i``, where
  ``z_c`` is class ``c``'s score (its logit). Positive: this pixel's ink pushed the
  score up; negative: it pushed it down; zero: no ink, or the score ignores it. The
  gradient is the engine's ``MLP.score_gradient`` (the training backward pass, seeded
  with the class instead of the loss).
- ``unit_contributions(net, x, c)``: every first-hidden-layer unit's activation ``a_j``
  and its share of the score, ``a_j * dz_c/da_j``. With one hidden layer that is exactly
  the term ``a_j * W[j, c]`` that the unit adds to the logit; deeper, it is gradient x
  activation at that layer. The unit's incoming weights, reshaped to the image, show
  what it looks for (``unit_weight_image``).

Both are local, first-order explanations: they say what the score is sensitive to
around this drawing, not what a different drawing would get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "UnitContribution",
    "gradient_times_input",
    "hidden_gradient",
    "top_units",
    "unit_contributions",
    "unit_weight_image",
]


def _row(net: Any, x: Any) -> np.ndarray:
    row = np.asarray(x, dtype=net.dtype).reshape(1, -1)
    if row.shape[1] != net.layer_sizes[0]:
        raise ValueError(f"x has {row.shape[1]} features, the network takes {net.layer_sizes[0]}")
    return row


def _check_class(net: Any, cls: Any) -> int:
    if isinstance(cls, bool) or not isinstance(cls, (int, np.integer)) or not 0 <= cls < net.layer_sizes[-1]:
        raise ValueError(f"class must be an integer 0..{net.layer_sizes[-1] - 1}, got {cls!r}")
    return int(cls)


def gradient_times_input(net: Any, x: Any, cls: int) -> np.ndarray:
    """``x * dz_cls/dx`` for one input ``x`` (flat or one row): ``(n_features,)``."""
    row = _row(net, x)
    gradient = net.score_gradient(row, _check_class(net, cls))
    return (row * gradient)[0]


def hidden_gradient(net: Any, x: Any, cls: int) -> tuple[np.ndarray, np.ndarray]:
    """The first hidden layer's activations ``a`` for ``x`` and ``dz_cls/da``, both
    ``(n_hidden,)``. Needs at least one hidden layer.

    The gradient is ``score_gradient`` of the network above that layer: an ``MLP`` made
    of the same layers from the second on, sharing no memory with ``net``.
    """
    from ..network import MLP

    cls = _check_class(net, cls)
    if len(net.layer_sizes) < 3:
        raise ValueError("the network has no hidden layer")
    _, activations = net.forward_trace(_row(net, x))
    hidden = activations[1]
    upper = MLP(list(net.layer_sizes[1:]), activation=net.activation, output=net.output,
                seed=0, dtype=net.dtype)
    for mine, theirs in zip(upper.weights, net.weights[1:], strict=True):
        mine[...] = theirs
    for mine, theirs in zip(upper.biases, net.biases[1:], strict=True):
        mine[...] = theirs
    return hidden[0], upper.score_gradient(hidden, cls)[0]


def unit_contributions(net: Any, x: Any, cls: int) -> tuple[np.ndarray, np.ndarray]:
    """``(activations, contributions)`` of the first hidden layer's units to class
    ``cls``'s score for input ``x``: ``contributions = a * dz_cls/da``."""
    activations, gradient = hidden_gradient(net, x, cls)
    return activations, activations * gradient


@dataclass(frozen=True)
class UnitContribution:
    unit: int
    activation: float
    contribution: float


def top_units(net: Any, x: Any, cls: int, k: int = 6) -> list[UnitContribution]:
    """The ``k`` first-hidden-layer units that add most to class ``cls``'s score for
    ``x`` (largest contributions first; units that pull it down come last, if there are
    not ``k`` that push it up)."""
    activations, contributions = unit_contributions(net, x, cls)
    order = np.argsort(-contributions, kind="stable")[: max(0, int(k))]
    return [UnitContribution(int(j), float(activations[j]), float(contributions[j])) for j in order]


def unit_weight_image(net: Any, unit: int, image_shape: tuple[int, int]) -> np.ndarray:
    """A first-hidden-layer unit's incoming weights in the input's image shape."""
    weights = net.weights[0]
    if not 0 <= int(unit) < weights.shape[1]:
        raise ValueError(f"unit must be 0..{weights.shape[1] - 1}, got {unit!r}")
    return np.asarray(weights[:, int(unit)]).reshape(image_shape)
