"""Small helpers shared by the AppTest suites (imported as ``tests.apptest_helpers``)."""

from __future__ import annotations


def metrics(app) -> dict[str, str]:
    """Every ``st.metric`` on the page, label -> shown value."""
    return {m.label: m.value for m in app.metric}


def run_until(app, done, max_runs: int = 80):
    """Rerun the app (as fragment ticks would) until ``done(app)``; no exception allowed."""
    for _ in range(max_runs):
        if done(app):
            return app
        app.run()
        assert not app.exception, app.exception
    raise AssertionError("condition not reached")
