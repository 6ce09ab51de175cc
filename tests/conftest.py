"""Shared fixtures for the playground tests (app, figures, glue, browser)."""

import pytest


@pytest.fixture(scope="session")
def digits():
    from nn_core import datasets

    return datasets.load("digits")


@pytest.fixture(scope="session")
def default_run(digits):
    """The app's default digits model, trained once (about a second)."""
    from playground.training import TrainConfig, TrainingRun

    run = TrainingRun(TrainConfig(), digits)
    run.run_to_end()
    return run
