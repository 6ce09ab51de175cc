"""The Sweep page through AppTest: a small sweep runs on local processes and fills the
heatmap with the engine's numbers; Best opens that run's settings on Train; Cancel,
a bad or unreachable scheduler address and a missing Dask each get a clear answer;
a reload keeps the finished sweep. AppTest fires no fragment timers: every full
rerun of the page looks for new results too, which is what ``run_until`` drives.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nn_core.sweep import train_config
from playground.common.state import STATE_KEY
from playground.common.vocab import TrainConfig
from playground.sweep import view as sweep_view
from tests.apptest_helpers import metrics, plotly_figures, run_until, served_files, started

# The page runs its sweeps on local worker processes (a loky pool).
pytestmark = pytest.mark.subprocess

def sweep_page(**query) -> AppTest:
    app = started(**query)
    app.switch_page("pages/sweep.py")
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Sweep"
    return app


def small_sweep(app: AppTest, hidden=((16,), (64,)), lr=(1e-2, 1.0), epochs=3) -> AppTest:
    """Learning rates 0.01, 0.1, 1 across, the hidden sizes down: 6 runs of 3 epochs."""
    app.multiselect(key="sweep-values-hidden").set_value(list(hidden))
    app.select_slider(key="sweep-lr-range").set_value(lr)
    app.slider(key="sweep-epochs").set_value(epochs)
    app.slider(key="sweep-jobs").set_value(2)
    app.run()
    assert not app.exception, app.exception
    return app


def status(app: AppTest) -> str:
    return " ".join(p.proto.text for p in app.get("progress"))


def finished(app: AppTest) -> bool:
    return status(app).startswith(("All ", "Cancelled", "The sweep stopped"))


def chart(app: AppTest, kind: str) -> dict:
    found = [f for f in plotly_figures(app) if f["data"][0]["type"] == kind]
    assert len(found) == 1, [f["data"][0]["type"] for f in plotly_figures(app)]
    return found[0]


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


@pytest.mark.slow
def test_a_small_sweep_fills_the_heatmap_with_the_engines_numbers(digits, monkeypatch):
    served = served_files(monkeypatch)
    app = small_sweep(sweep_page())
    assert "6 runs, about" in texts(app.markdown) and "on this machine" in texts(app.markdown)
    app.button(key="btn-sweep-run").click().run()
    assert not app.exception, app.exception
    assert app.button(key="btn-sweep-run").disabled and not app.button(key="btn-sweep-cancel").disabled
    run_until(app, finished, max_runs=400)
    assert status(app).startswith("All 6 runs done on this machine (2 processes)")

    heat = chart(app, "heatmap")["data"][0]
    assert heat["x"] == ["0.01", "0.1", "1"] and heat["y"] == ["16", "64"]
    assert all(v is not None and v == v for row in heat["z"] for v in row)  # every cell in
    # The cell for 64 units at lr 0.1 is the engine's own run of those settings.
    state = app.session_state[STATE_KEY].room("sweep")
    settings = {**sweep_view.base_settings(TrainConfig()), "hidden": (64,),
                "learning_rate": 0.1, "epochs": 3}
    expected = train_config(settings, digits)
    assert heat["z"][1][1] == pytest.approx(100 * expected["val_accuracy"])
    assert {r["worker"] for r in state.results} and len(state.results) == 6
    parallel = chart(app, "parcoords")["data"][0]
    assert [d["label"] for d in parallel["dimensions"]][-1] == "validation accuracy %"

    best = sweep_view.best_result(state.results)
    assert metrics(app)["Best validation accuracy"] == f"{best['val_accuracy']:.1%}"
    button = next(b for b in app.get("download_button") if b.key == "download-sweep-csv")
    rows = list(csv.DictReader(io.StringIO(served[Path(button.proto.url).stem].decode())))
    assert len(rows) == 6 and {r["learning_rate"] for r in rows} == {"0.01", "0.1", "1.0"}

    # Best: the Train page, set to the best run's settings.
    app.button(key="btn-sweep-best").click().run()
    assert app.title[0].value == "Train"
    assert app.session_state[STATE_KEY].config == sweep_view.train_config_of(best, "digits")
    assert app.select_slider(key="cfg-lr").value == best["learning_rate"]
    assert app.query_params["lr"] == f"{best['learning_rate']:g}"


@pytest.mark.slow
def test_a_reload_keeps_the_finished_sweep():
    app = small_sweep(sweep_page(), hidden=((16,),), lr=(1e-2, 0.1), epochs=2)
    app.button(key="btn-sweep-run").click().run()
    run_until(app, finished, max_runs=400)
    pg = app.session_state[STATE_KEY]
    reloaded = sweep_page(**dict(app.query_params.items()))
    assert reloaded.session_state[STATE_KEY] is pg
    assert status(reloaded).startswith("All 2 runs done")
    assert "Best validation accuracy" in metrics(reloaded)


def test_cancel_stops_a_sweep_and_keeps_what_finished():
    app = small_sweep(sweep_page(), hidden=((512, 512),), lr=(1e-4, 1.0), epochs=100)
    app.button(key="btn-sweep-run").click().run()
    app.button(key="btn-sweep-cancel").click().run()
    assert not app.exception, app.exception
    run_until(app, finished, max_runs=50)
    assert status(app).startswith("Cancelled after 0 of 5 runs")
    assert not app.button(key="btn-sweep-run").disabled


def test_a_bad_scheduler_address_is_named_and_run_waits_for_a_good_one():
    app = sweep_page()
    app.radio(key="sweep-where").set_value("A Dask cluster").run()
    app.text_input(key="sweep-scheduler").input("localhost:8786").run()
    assert "use the form tcp://host:port" in texts(app.info)
    assert app.button(key="btn-sweep-run").disabled


@pytest.mark.slow
def test_an_unreachable_scheduler_gets_a_clear_error(monkeypatch):
    import socket

    monkeypatch.setattr(sweep_view, "CONNECT_TIMEOUT_SECONDS", 1.0)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = small_sweep(sweep_page(), hidden=((16,),), lr=(1e-2, 0.1), epochs=2)
    app.radio(key="sweep-where").set_value("A Dask cluster").run()
    app.text_input(key="sweep-scheduler").input(f"tcp://127.0.0.1:{port}").run()
    assert not app.button(key="btn-sweep-run").disabled
    app.button(key="btn-sweep-run").click().run()
    assert not app.exception, app.exception
    assert f"Couldn't reach the Dask scheduler at tcp://127.0.0.1:{port}" in texts(app.error)
    assert app.session_state[STATE_KEY].room("sweep") is None


def test_without_dask_the_page_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(sweep_view, "dask_available", lambda: False)
    app = sweep_page()
    app.radio(key="sweep-where").set_value("A Dask cluster").run()
    assert 'pip install "dask[distributed]"' in texts(app.info)
    assert app.button(key="btn-sweep-run").disabled
    app.radio(key="sweep-where").set_value("This machine").run()
    assert not app.button(key="btn-sweep-run").disabled  # local sweeps need no Dask
