"""Shared fixtures for the playground tests (app, figures, glue, browser)."""

import os

# scikit-learn's estimator checks include "array API dispatch on NumPy input does not
# change results"; SciPy only allows that dispatch when this is set before it is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402


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
