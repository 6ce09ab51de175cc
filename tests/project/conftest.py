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


def _bench_fixture(script: str, name: str):
    """A module-scoped fixture ``name`` giving ``bench/<script>.py`` as a module."""

    @pytest.fixture(scope="module", name=name)
    def fixture() -> Iterator[ModuleType]:
        with bench_module(script) as module:
            yield module

    return fixture


speed = _bench_fixture("speed", "speed")
dropin = _bench_fixture("sklearn_dropin", "dropin")
mnist_bench = _bench_fixture("mnist", "mnist_bench")
blas_wait = _bench_fixture("blas_wait", "blas_wait")
