"""Shared fixtures for the playground tests (app, figures, glue, browser).

Browser tests carry ``@pytest.mark.browser``. Where Debian's Chromium or Playwright is
missing they are skipped with the reason; with ``MLP_PLAYGROUND_REQUIRE_BROWSER=1``
(set by ``.ci/run``) they fail instead, so CI can't pass without having run them.
"""

import importlib.util
import os
import sys
from pathlib import Path

# scikit-learn's estimator checks include "array API dispatch on NumPy input does not
# change results"; SciPy only allows that dispatch when this is set before it is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REQUIRE_BROWSER_ENV = "MLP_PLAYGROUND_REQUIRE_BROWSER"


def load_script(stem: str):
    """``scripts/<stem>.py`` (the scripts folder is not a package), loaded once."""
    name = f"mlp_playground_script_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def load_browser_helpers():
    """``scripts/browser.py``: the server, Chromium and drawing helpers."""
    return load_script("browser")


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") is None:
        return
    reason = load_browser_helpers().chromium_missing_reason()
    if reason is None:
        return
    if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(f"{REQUIRE_BROWSER_ENV}=1 but the browser test can't run: {reason}",
                    pytrace=False)
    pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture(scope="session")
def browser():
    """The browser helpers of ``scripts/browser.py`` (server, Chromium, drawing)."""
    return load_browser_helpers()


@pytest.fixture(scope="session")
def digits():
    from nn_core import datasets

    return datasets.load("digits")


@pytest.fixture(scope="session")
def mnist_sample():
    from nn_core import datasets

    return datasets.load("mnist-sample")


@pytest.fixture(scope="session")
def draw_default_run(mnist_sample):
    """Draw's default 28x28 model, trained as Draw trains it on arrival (about 2 s).
    Tests that change its network must work on a copy."""
    from playground.common.runs import TrainingRun
    from playground.common.vocab import DEFAULT_MODEL_CONFIG

    run = TrainingRun(DEFAULT_MODEL_CONFIG, mnist_sample)
    run.run_to_end()
    return run


@pytest.fixture(scope="session")
def default_run(digits):
    """The app's default digits model, trained once (about a second)."""
    from playground.common.runs import TrainingRun
    from playground.common.vocab import TrainConfig

    run = TrainingRun(TrainConfig(), digits)
    run.run_to_end()
    return run


@pytest.fixture(scope="module")
def app_url(browser):
    """A fresh ``streamlit run app.py`` for each browser test module (its first visitor
    is that module's first page)."""
    with browser.serve_app() as url:
        yield url


@pytest.fixture(scope="module")
def chromium(browser):
    """Debian's Chromium, driven by Playwright, for one browser test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = browser.launch(p)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where a browser test saves its screenshots: ``docs/screenshots`` when
    ``UPDATE_SCREENSHOTS=1`` (to refresh the docs' pictures), else a temporary folder."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        return ROOT / "docs" / "screenshots"
    return tmp_path_factory.mktemp("screenshots")
