"""Small helpers shared by the AppTest suites (imported as ``tests.apptest_helpers``)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from playground.common.state import STATE_KEY

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app_session(pg=None, *, timeout: float = 60, **query) -> AppTest:
    """The app in a new session, not yet run: ``pg`` (a ``Playground``) as the tab's state,
    ``query`` as the address's parameters (a link's, or a reload's with its ``sid``)."""
    app = AppTest.from_file(APP, default_timeout=timeout)
    if pg is not None:
        app.session_state[STATE_KEY] = pg
    for name, value in query.items():
        app.query_params[name] = value
    return app


def started(pg=None, **query) -> AppTest:
    """:func:`app_session` after its first run, which must raise nothing."""
    app = app_session(pg, **query)
    app.run()
    assert not app.exception, app.exception
    return app


def assert_calm(app) -> None:
    """No exception and no error box on the page."""
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]


def keyed_chart(app, key: str) -> dict:
    """The Plotly figure (arrays decoded) of the chart with widget key ``key``."""
    elements = app.get("plotly_chart")
    found = [fig for el, fig in zip(elements, plotly_figures(app), strict=True)
             if el.proto.id.endswith(f"-{key}")]
    assert len(found) == 1, f"{len(found)} charts keyed {key!r}"
    return found[0]


def served_files(monkeypatch) -> dict[str, bytes]:
    """From now on, every file the app hands to Streamlit's media store (a download
    button's payload), by its file id: what a click on the button would download."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    served: dict[str, bytes] = {}
    real_store = MemoryMediaFileStorage.load_and_get_id

    def keep_bytes(self, path_or_data, mimetype, kind, filename=None):
        file_id = real_store(self, path_or_data, mimetype, kind, filename)
        served[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep_bytes)
    return served


def metrics(app) -> dict[str, str]:
    """Every ``st.metric`` on the page, label -> shown value."""
    return {m.label: m.value for m in app.metric}


def run_until(app, done, max_runs: int = 80):
    """Rerun the app (as fragment ticks would) until ``done(app)``, then once more, so the
    page shows the state that met it (Train's run trains in a worker thread, which can
    end it after the page was drawn); no exception allowed."""
    for _ in range(max_runs):
        if done(app):
            app.run()
            assert not app.exception, app.exception
            return app
        app.run()
        assert not app.exception, app.exception
    raise AssertionError("condition not reached")


def plotly_figures(app) -> list[dict]:
    """Every Plotly chart on the page as its figure dict, arrays decoded to lists
    (Plotly sends NumPy arrays as ``{"dtype", "bdata"}`` base64 blocks)."""
    import base64
    import json

    import numpy as np

    def decode(value):
        if isinstance(value, dict):
            if set(value) >= {"dtype", "bdata"}:
                flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
                shape = value.get("shape")
                if shape:
                    flat = flat.reshape([int(n) for n in str(shape).split(",")])
                return flat.tolist()
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    return [decode(json.loads(chart.proto.spec)) for chart in app.get("plotly_chart")]


def gallery_tiles(app) -> list[tuple[object, str]] | None:
    """Inspect's gallery of mistakes on an AppTest page (see :func:`read_gallery`); None
    when the page shows no gallery."""
    bodies = [el.proto.body for el in app.get("html") if 'class="insp-gallery"' in el.proto.body]
    if not bodies:
        return None
    assert len(bodies) == 1, f"{len(bodies)} galleries"
    return read_gallery(bodies[0])


def read_gallery(body: str) -> list[tuple[object, str]]:
    """A gallery's HTML read back as ``[(image 0..1, title)]`` (each image is a PNG data URI)."""
    import base64
    import html
    import io
    import re

    import numpy as np
    from PIL import Image

    tiles = []
    for uri, caption in re.findall(
        r'<img src="data:image/png;base64,([^"]+)"[^>]*><figcaption>([^<]*)</figcaption>', body
    ):
        png = Image.open(io.BytesIO(base64.b64decode(uri)))
        tiles.append((np.asarray(png, dtype=np.float32) / 255.0, html.unescape(caption)))
    return tiles


def components(app, name: str) -> list[dict]:
    """The data of every custom component (``st.components.v2``) called ``name``."""
    import json

    return [json.loads(c.proto.json) for c in app.get("bidi_component")
            if c.proto.component_name == name]


def copy_links(app) -> list[str]:
    """The link each **Copy link** button on the page copies."""
    from playground.shell import copy_link

    return [data["link"] for data in components(app, copy_link.NAME)]


def live_views(app) -> list[dict]:
    """The payloads of the page's live views (``playground.shell.livechart``), as sent."""
    import json

    return [json.loads(c.proto.json) for c in app.get("bidi_component")
            if c.proto.component_name.endswith("mlp_playground_livechart")]
