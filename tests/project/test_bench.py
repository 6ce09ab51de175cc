"""Smoke test of the speed benchmark's worker and summary: structure only, no timing asserts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# The benchmark children run in subprocesses.
pytestmark = [pytest.mark.subprocess]

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_worker(system: str, shape: str = "tiny") -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCH / "_worker.py"), system, shape],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("system", ["nn_core", "gemm"])
def test_worker_prints_one_json_result(system):
    result = run_worker(system)
    assert result["ok"] is True
    assert (result["system"], result["shape"]) == (system, "tiny")
    assert result["seconds"] > 0 and result["cpu_seconds"] >= 0
    assert result["n_rows"] == 512 and result["batches_per_epoch"] == 16
    assert result["dataset_bytes"] == 512 * 64 * 4
    assert result["rss_extra_bytes"] >= 0
    assert isinstance(result["blas"], list) and len(result["load_average"]) == 3
    if system == "nn_core":
        assert result["loss"] > 0


def test_summary_and_report_structure(speed):
    def run(system, seconds, r):
        return {"ok": True, "system": system, "shape": "tiny", "round": r, "seconds": seconds,
                "cpu_seconds": seconds, "rss_extra_bytes": 1000, "dataset_bytes": 131072,
                "loss": 1.0, "blas": []}

    runs = [run("nn_core", 2.0, 0), run("nn_core", 4.0, 1), run("gemm", 1.0, 0),
            run("gemm", 1.0, 1), {"ok": False, "system": "torch", "shape": "tiny",
                                  "skipped": "not installed"}]
    summary = speed.summarize(runs)
    assert summary["tiny"]["nn_core"]["median"] == 3.0
    assert summary["tiny"]["gemm"]["nn_core_ratio"] == 3.0
    table = speed.training_table(summary, ["tiny"], ["nn_core", "gemm"])
    assert "3.000 [2.000-4.000]" in table and "3.00x" in table


def test_plan_interleaves_and_rotates(speed):
    order = speed.plan(2, ["a"], ["x", "y", "z"])
    assert [system for _, _, system in order] == ["x", "y", "z", "y", "z", "x"]


def test_mnist_bench_synthetic_data_is_mnist_shaped(mnist_bench):
    X, y, X_test, y_test = mnist_bench.synthetic(n_train=500, n_test=100)
    assert X.shape == (500, 784) and X_test.shape == (100, 784) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0 and set(np.unique(y)) <= set(range(10))


def test_the_mnist_preset_is_the_measured_fastest_recipe_and_its_time():
    """The Train page's "MNIST in N seconds" is what was measured: the recipe that
    ``bench/mnist_recipes.py`` found reached 98% soonest, with its epochs, and N the
    "Training time" the page showed for it in Chromium (``scripts/measure_threads.py``)."""
    import math

    from nn_core.recipe import Recipe
    from playground.common import vocab

    measured = json.loads((BENCH / "results" / "mnist_recipes.json").read_text())
    reached = [r for r in measured["runs"] if r["seconds_to_target"] is not None]
    fastest = min(reached, key=lambda r: r["seconds_to_target"])
    assert fastest["recipe"] == measured["fastest"]
    preset = vocab.MNIST_PRESET
    assert preset.dataset == "mnist" and measured["threads"] == 1  # as the app trains
    recipe = {**fastest["recipe"], "epochs": fastest["epochs_to_target"]}
    assert Recipe.of(preset) == Recipe(**{**recipe, "hidden": tuple(recipe["hidden"])})
    assert fastest["test_accuracy"][-1] >= measured["target"] == 0.98
    # N is what the page itself showed for the preset in Chromium, at the app's one thread.
    in_browser = json.loads((BENCH / "results" / "train_threads_browser.json").read_text())
    shown = [r for r in in_browser["runs"] if r["threads"] == 1]
    assert shown and all(float(r["test_accuracy"].rstrip("%")) >= 98.0 for r in shown)
    assert vocab.MNIST_PRESET_SECONDS == max(
        math.ceil(float(r["training_time"].removesuffix(" s"))) for r in shown)


def test_blas_wait_interleaves_every_case_and_counts_slow_runs(blas_wait, monkeypatch):
    order = blas_wait.order(3)
    cases = {(s, w) for s in blas_wait.SYSTEMS for w in blas_wait.WAITS}
    for r in range(3):
        assert {(s, w) for rr, s, w in order if rr == r} == cases  # each case once a round
    assert order[0][1:] != order[len(cases)][1:]  # rotated
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "20")
    default, short = blas_wait.child_env("default"), blas_wait.child_env("short")
    assert "OPENBLAS_CORETYPE" not in default and "OPENBLAS_THREAD_TIMEOUT" not in default
    assert default["OPENBLAS_NUM_THREADS"] == default["OMP_NUM_THREADS"] == "2"
    assert short["OPENBLAS_THREAD_TIMEOUT"] == "8" and short["GOMP_SPINCOUNT"] == "10000"
    runs = [{"ok": True, "system": "nn_core", "wait": "default", "seconds": s}
            for s in (0.2, 0.21, 0.5)] + [
            {"ok": True, "system": "nn_core", "wait": "short", "seconds": 0.25}]
    summary = blas_wait.summarize(runs)["nn_core"]
    assert summary["default"]["median"] == 0.21 and summary["default"]["best"] == 0.2
    assert summary["default"]["slow_share"] == pytest.approx(1 / 3)  # 0.5 > 1.5 x 0.2
    assert summary["short"]["slow_share"] == 0.0


def test_the_docs_give_the_blas_wait_figures_as_measured():
    """docs/figures.md's two-thread peers and wait settings are bench/results/blas_wait.json's."""
    saved = json.loads((BENCH / "results" / "blas_wait.json").read_text())
    summary = saved["summary"]
    docs = (BENCH.parent / "docs" / "figures.md").read_text()
    for system in ("nn_core", "sklearn", "torch", "gemm"):
        for wait in ("default", "short"):
            assert f"{summary[system][wait]['median']:.3f}" in docs, (system, wait)
    nn_core = summary["nn_core"]["default"]["median"]
    for peer in ("sklearn", "torch"):
        assert f"**{nn_core / summary[peer]['default']['median']:.2f}x**" in docs, peer
