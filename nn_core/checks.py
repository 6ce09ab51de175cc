"""Argument checks shared by the network, its trainer and the training recipe.

Each returns the value in its plain Python form or raises ``ValueError`` naming the
argument, what it must be and what it got. One module so that ``network.py`` and
``trainer.py`` word their errors alike without importing each other.
"""

from __future__ import annotations

import math
from collections.abc import Container
from typing import Any

import numpy as np


def choice(kind: str, value: Any, valid: Container[str]) -> str:
    """``value`` if it is one of the names in ``valid``."""
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"{kind} must be one of {', '.join(sorted(valid))}; got {value!r}")
    return value


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}")
    return int(value)


def positive_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number; got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive, finite number; got {value!r}")
    return number


def non_negative_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-negative number; got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a non-negative, finite number; got {value!r}")
    return number
