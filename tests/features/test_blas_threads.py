"""The BLAS threads a training run gets: one unless the operator says otherwise."""

import logging

import pytest

from playground.shell import server


def test_one_thread_by_default(monkeypatch):
    monkeypatch.delenv(server.BLAS_THREADS_ENV, raising=False)
    assert server.blas_threads() == 1


def test_the_setting_gives_two(monkeypatch):
    monkeypatch.setenv(server.BLAS_THREADS_ENV, "2")
    assert server.blas_threads() == 2


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", ""])
def test_a_bad_setting_gives_one_and_says_why(monkeypatch, caplog, value):
    monkeypatch.setenv(server.BLAS_THREADS_ENV, value)
    with caplog.at_level(logging.WARNING):
        assert server.blas_threads() == 1
    assert server.BLAS_THREADS_ENV in caplog.text and repr(value) in caplog.text
