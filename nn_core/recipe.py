"""The one training recipe: a config becomes a network and the trainer that trains it.

A :class:`Recipe` holds what a training config says (hidden layers, activation,
optimizer, learning rate, batch size, L2, epochs, seed); its defaults are the
project's defaults (30 epochs of Adam at 0.003 on a 64-unit ReLU layer learn the
8x8 digits to about 97% in about a second). ``recipe.start(X, y)`` holds out the
validation rows (:data:`VALIDATION_FRACTION` of them, chosen by the seed), builds the
network and its :class:`~nn_core.trainer.Trainer`, and returns them as a
:class:`Training`. The app's Train page, the sweeps (``nn_core.sweep``), the
Boundaries page and the benchmarks all build their networks here, so that a sweep
cell and a Train run with the same settings are the same run, bit for bit, by
construction.

What it trades away: one architecture family (dense layers, one hidden activation, a
softmax output, float32), the one the app offers; anything else is ``MLP``'s own
constructor and ``fit``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .network import MLP
from .trainer import History, Trainer

#: Share of the training rows held out to draw the validation curve (and score a
#: sweep's configs), chosen by the config's seed.
VALIDATION_FRACTION = 0.1


def split_validation(
    n: int, fraction: float = VALIDATION_FRACTION, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, validation)``: a seeded ``fraction`` of ``range(n)`` held out
    (at least one row on each side), both sorted. The project's one validation split."""
    if n < 2:
        raise ValueError("need at least two training examples")
    n_val = min(max(1, int(round(n * fraction))), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


@dataclass(frozen=True)
class Training:
    """What :meth:`Recipe.start` made: the network, its trainer (not stepped yet), the
    rows it trains on and the held-out validation pair."""

    net: MLP
    trainer: Trainer
    train_rows: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


@dataclass(frozen=True)
class Recipe:
    """A training config (its fields are the settings a sweep may vary) and how it
    becomes a network and a trainer. ``hidden`` may be given as one size or a list."""

    hidden: tuple[int, ...] = (64,)
    activation: str = "relu"
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    batch_size: int = 32
    l2: float = 0.0
    epochs: int = 30
    seed: int = 0

    def __post_init__(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence | np.ndarray):
            raise ValueError(f"hidden must be a tuple of layer sizes such as (64, 32); got {hidden!r}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))

    @classmethod
    def of(cls, config: Any) -> Recipe:
        """The recipe of any object with the recipe's fields as attributes (the app's
        ``TrainConfig`` is one), or of a mapping holding them."""
        if isinstance(config, Mapping):
            return cls(**{f.name: config[f.name] for f in fields(cls) if f.name in config})
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    def network(self, n_features: int, n_classes: int) -> MLP:
        """A fresh, seeded, untrained network: ``n_features`` inputs, the hidden layers,
        a softmax over ``n_classes``; float32."""
        return MLP([int(n_features), *self.hidden, int(n_classes)], activation=self.activation,
                   output="softmax", seed=self.seed, dtype=np.float32)

    def settings(self) -> dict[str, Any]:
        """The recipe's training keywords (``TrainSettings`` fields)."""
        return {"epochs": self.epochs, "batch_size": self.batch_size,
                "optimizer": self.optimizer, "learning_rate": self.learning_rate, "l2": self.l2}

    def keywords(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        """The recipe's settings plus ``extra``: the keywords it leaves open (``rows``,
        ``validation_data``, ``l1``, ``health_samples``, ``callback``, ...), never one of
        its own (ValueError)."""
        own = self.settings()
        clash = sorted(set(extra) & set(own))
        if clash:
            raise ValueError(f"{', '.join(clash)} belong to the recipe: make a Recipe with them")
        return {**own, **extra}

    def trainer(self, net: MLP, X: Any, y: Any, **extra: Any) -> Trainer:
        """``net.trainer(X, y)`` with this recipe's settings (``extra``: see ``keywords``)."""
        return net.trainer(X, y, **self.keywords(extra))

    def fit(self, net: MLP, X: Any, y: Any, **extra: Any) -> History:
        """``net.fit(X, y)`` with this recipe's settings (``extra``: see ``keywords``)."""
        return net.fit(X, y, **self.keywords(extra))

    def start(
        self, X: Any, y: Any, *, n_classes: int | None = None,
        validation_fraction: float = VALIDATION_FRACTION, **extra: Any,
    ) -> Training:
        """The recipe on a labelled training set: the validation rows held out (seeded
        by ``seed``), the network for ``X``'s features and ``n_classes`` (by default
        the largest label + 1), and its trainer on the other rows, scoring the held-out
        ones after each epoch. ``extra`` as in ``trainer`` (but not ``rows`` or
        ``validation_data``: the split is the recipe's)."""
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(f"start needs X (n, features) and y (n,) labels; got {X.shape} and {y.shape}")
        train_rows, val_rows = split_validation(len(y), validation_fraction, self.seed)
        X_val, y_val = X[val_rows], y[val_rows]
        net = self.network(X.shape[1], n_classes or int(y.max()) + 1)
        trainer = self.trainer(net, X, y, rows=train_rows, validation_data=(X_val, y_val), **extra)
        return Training(net, trainer, train_rows, X_val, y_val)


#: The project's defaults, as one recipe.
DEFAULT = Recipe()

__all__ = ["DEFAULT", "VALIDATION_FRACTION", "Recipe", "Training", "split_validation"]
