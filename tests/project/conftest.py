"""The benchmark scripts (``bench/``) as modules, for the tests that check them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@contextmanager
def bench_module(name: str) -> Iterator[ModuleType]:
    """``bench/<name>.py`` imported, with ``bench/`` on the import path until the block ends
    (a benchmark imports its siblings)."""
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def speed() -> Iterator[ModuleType]:
    with bench_module("speed") as module:
        yield module


@pytest.fixture(scope="module")
def dropin() -> Iterator[ModuleType]:
    with bench_module("sklearn_dropin") as module:
        yield module


@pytest.fixture(scope="module")
def mnist_bench() -> Iterator[ModuleType]:
    with bench_module("mnist") as module:
        yield module


@pytest.fixture(scope="module")
def blas_wait() -> Iterator[ModuleType]:
    with bench_module("blas_wait") as module:
        yield module
