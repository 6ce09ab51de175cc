"""Smoke test of bench/sklearn_dropin.py: one real child run, the plan, the child
environment and the summary. Structure only, no timing asserts."""

from __future__ import annotations

import pytest

# The benchmark children run in subprocesses.
pytestmark = [pytest.mark.subprocess]



@pytest.mark.slow
def test_a_child_cross_validates_in_its_own_process(dropin):
    result = dropin.run_child("nn_core", "moons", seed=0, timeout=300)
    assert result["ok"] is True, result
    assert (result["system"], result["task"], result["seed"]) == ("nn_core", "moons", 0)
    assert len(result["fold_scores"]) == 5 and len(result["n_iter"]) == 5
    assert result["score"] > 0.9  # measured 0.948
    assert result["fit_seconds"] > 0 and result["fit_cpu_seconds"] > 0
    print(f"moons 5-fold fit: {result['fit_cpu_seconds']:.2f} s CPU")


def test_plan_interleaves_and_rotates(dropin):
    order = dropin.plan(2, ["digits", "moons"])
    assert order == [(0, "digits", "nn_core"), (0, "digits", "sklearn"),
                     (0, "moons", "nn_core"), (0, "moons", "sklearn"),
                     (1, "digits", "sklearn"), (1, "digits", "nn_core"),
                     (1, "moons", "sklearn"), (1, "moons", "nn_core")]


def test_children_run_without_the_forced_openblas_kernel(dropin, monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")
    env = dropin.child_env()
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == "1"
    import os

    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"  # the parent's is left alone


def test_summary_and_table(dropin):
    def run(system, cpu, wall, score, r):
        return {"ok": True, "system": system, "task": "moons", "round": r, "seed": r,
                "score": score, "fit_seconds": wall, "fit_cpu_seconds": cpu, "n_iter": [200] * 5}

    runs = [run("nn_core", 1.0, 2.0, 0.95, 0), run("nn_core", 3.0, 4.0, 0.94, 1),
            run("nn_core", 2.0, 9.0, 0.96, 2), run("sklearn", 4.0, 4.0, 0.95, 0),
            run("sklearn", 6.0, 6.0, 0.95, 1), run("sklearn", 5.0, 5.0, 0.95, 2),
            {"ok": False, "system": "sklearn", "task": "moons", "error": "exit 1"}]
    summary = dropin.summarise(runs, ["moons"])
    row = summary["moons"]
    assert row["nn_core"]["fit_cpu_seconds_median"] == 2.0
    assert row["sklearn"]["rounds"] == 3
    assert row["speedup"] == 2.5 and row["speedup_wall"] == 5.0 / 4.0
    table = dropin.table(summary)
    assert "| moons | accuracy | 95.0% [94.0-96.0] | 95.0% [95.0-95.0] |" in table
    assert "**2.5x**" in table
