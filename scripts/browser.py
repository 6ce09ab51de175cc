"""Drive the real app in headless Chromium: start the server, draw with the mouse, read answers.

Used by ``tests/browser/test_browser.py`` and ``scripts/measure_browser.py``. Needs Playwright (the
Python package) and Debian's Chromium at ``/usr/bin/chromium``; nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # for nn_core when run as a script
    sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CANVAS = "canvas.upper-canvas"
PEN_WIDTH = 18  # the Draw page's default pen width


def chromium_missing_reason() -> str | None:
    """Why a browser test can't run here, or None if it can."""
    if not Path(CHROMIUM).exists():
        return f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(NamedTuple):
    url: str
    pid: int


@contextlib.contextmanager
def serve(port: int | None = None, env: dict[str, str] | None = None,
          timeout: float = 60.0, root: Path | None = None) -> Iterator[Server]:
    """Run ``streamlit run app.py`` on a free localhost port; yields its URL and process id,
    stops it after. ``root``: another checkout's app (to measure before and after)."""
    port = port or free_port()
    root = ROOT if root is None else Path(root)
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(root / "app.py"),
        "--server.port", str(port),
        "--server.address", "localhost",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]
    # The server's log goes to a file, not a pipe: a pipe nobody reads fills up after
    # 64 KB of log and then blocks the server mid-write.
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            cmd, cwd=root, env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL, stderr=log, text=True,
        )
        url = f"http://localhost:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"streamlit exited early:\n{log.read()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")
                time.sleep(0.1)
            yield Server(url, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def serve_app(port: int | None = None, env: dict[str, str] | None = None,
              timeout: float = 60.0, root: Path | None = None) -> Iterator[str]:
    """:func:`serve`, yielding only the URL."""
    with serve(port, env, timeout, root) as server:
        yield server.url


def health_seconds(url: str, timeout: float = 1.0) -> float:
    """Time for ``GET /_stcore/health`` to answer 200; ``inf`` if it fails or times out."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            r.read()
            ok = r.status == 200
    except OSError:
        ok = False
    return time.perf_counter() - t0 if ok else math.inf


def _proc_status_kib(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc; just ``[pid]`` where /proc has no list)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                todo.extend(int(c) for c in task.read_text().split())
    return pids


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MB (2**20 bytes)."""
    return sum(_proc_status_kib(p, "VmHWM") for p in process_tree(pid)) / 1024


def rss_mb(pid: int) -> float:
    """Current resident memory (VmRSS) of a process and its children, in MB."""
    return sum(_proc_status_kib(p, "VmRSS") for p in process_tree(pid)) / 1024


def page_problems(page) -> list[str]:
    """Exception boxes, error messages or tracebacks the page shows (empty when all is well)."""
    problems = []
    for selector, what in (
        ('[data-testid="stException"]', "exception"),
        ('[data-testid="stAlertContentError"]', "error message"),
    ):
        for text in page.locator(selector).all_inner_texts():
            problems.append(f"{what}: {text.strip()[:300]}")
    body = page.locator("body").inner_text()
    if "Traceback" in body:
        problems.append("the page shows a traceback")
    return problems


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


def open_app(chromium, url: str, width: int = 1400, height: int = 1100):
    """A new tab of ``chromium`` at ``url``, returned once the app shows its Train button
    (the first page), and the seconds that took."""
    page = chromium.new_page(viewport={"width": width, "height": height})
    started = time.perf_counter()
    page.goto(url)
    page.get_by_role("button", name="Train").first.wait_for(timeout=60_000)
    return page, time.perf_counter() - started


# --------------------------------------------------------------------------- drawing


def digit_strokes(digit: int, rng: np.random.Generator, size: int = 280,
                  pen: float = PEN_WIDTH) -> list[np.ndarray]:
    """Mouse paths ``[(n, 2) (x, y) arrays]`` of one mouse-drawn digit, as ``nn_core.drawings.strokes``
    makes them for ``render_digit`` (same templates, wobble, slant and placement)."""
    from nn_core.drawings.strokes import digit_paths

    return digit_paths(digit, rng, size=size, stroke_width=pen)


def draw(page, strokes: list[np.ndarray], step: int = 3) -> float:
    """Draw the strokes on the canvas with the mouse; returns the time of the last mouse-up."""
    canvas = current_canvas(page)
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    # Hover first, as a person does. The canvas's toolbar sits invisible over the top-right
    # ~30 px of the canvas until the pointer has hovered for ~0.2 s (drawable-canvas CSS:
    # .dc-toolbar top:-1rem, opacity 0; on hover it moves up after a 0.1 s delay), so a
    # stroke that starts there at once would land on the toolbar instead.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    up = time.perf_counter()
    for stroke in strokes:
        points = stroke[::step] if len(stroke) > 2 * step else stroke
        if not np.array_equal(points[-1], stroke[-1]):
            points = np.vstack([points, stroke[-1:]])
        page.mouse.move(box["x"] + points[0, 0], box["y"] + points[0, 1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + float(x), box["y"] + float(y))
        page.mouse.up()
        up = time.perf_counter()
    return up


def touch_draw(page, strokes: list[np.ndarray], step: int = 3) -> float:
    """Draw the strokes on the canvas with a finger (touch events through the Chrome
    DevTools protocol; the page's context needs ``has_touch=True``). Returns the time
    of the last touch-end."""
    canvas = current_canvas(page)
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float | None = None, y: float | None = None) -> None:
        points = [] if x is None else [{"x": box["x"] + float(x), "y": box["y"] + float(y), "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    up = time.perf_counter()
    for stroke in strokes:
        points = stroke[::step] if len(stroke) > 2 * step else stroke
        if not np.array_equal(points[-1], stroke[-1]):
            points = np.vstack([points, stroke[-1:]])
        touch("touchStart", *points[0])
        for x, y in points[1:]:
            touch("touchMove", x, y)
        touch("touchEnd")
        up = time.perf_counter()
    cdp.detach()
    return up


_ARM_METRIC_TIMER = """([label, wanted]) => {
  // From the next pointer-down until the metric ``label`` shows ``wanted`` (and is not
  // the value it had at the click): the browser's own clock at both ends.
  const value = () => { const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
      .find(e => e.innerText.includes(label));
      const v = m && m.querySelector('[data-testid="stMetricValue"]');
      return v ? v.innerText.trim() : null; };
  window.__metricTimer = {};
  document.addEventListener('pointerdown', () => {
      window.__metricTimer.click = performance.now(); window.__metricTimer.before = value();
  }, {capture: true, once: true});
  const observer = new MutationObserver(() => {
    const t = window.__metricTimer;
    if (t.click !== undefined && t.seen === undefined && value() === wanted) {
      t.seen = performance.now(); observer.disconnect(); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def click_until_metric(page, button_name: str, label: str, wanted: str,
                       timeout: float = 60.0) -> dict:
    """Click the button and time, in the browser, until the metric ``label`` shows
    ``wanted``: ``{"seconds", "before"}`` (``before``: the metric's value at the click)."""
    page.evaluate(_ARM_METRIC_TIMER, [label, wanted])
    page.get_by_role("button", name=button_name).first.click()
    page.wait_for_function("() => window.__metricTimer.seen !== undefined", timeout=timeout * 1000)
    t = page.evaluate("() => window.__metricTimer")
    return {"seconds": (t["seen"] - t["click"]) / 1000, "before": t["before"]}


def correct_as(page, digit: int) -> None:
    """Draw's "Wrong? It's a …": pick ``digit``, and wait until the drawing is in the set."""
    group = page.get_by_role("radiogroup", name="Wrong? It's a …")
    group.get_by_role("radio", name=str(digit), exact=True).click()
    page.get_by_text(f"as a {digit}.").first.wait_for(timeout=30_000)


def metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def wait_for_strokes(page, n_strokes: int, timeout: float = 10.0) -> float:
    """Wait until the Draw page has read a drawing of ``n_strokes`` strokes; returns when."""
    caption = f"· {n_strokes} stroke{'s' if n_strokes != 1 else ''}"
    # Checked every animation frame (a locator wait backs off to 500 ms polls, which would
    # round the measured latency up).
    page.wait_for_function(
        """(text) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                      .some(e => e.innerText.includes(text))""",
        arg=caption,
        polling="raf",
        timeout=timeout * 1000,
    )
    return time.perf_counter()


def canvas_version(page) -> int:
    """The Draw page keys its canvas ``canvas-<n>`` and bumps n on Clear; the newest n."""
    versions = page.evaluate(
        """() => [...document.querySelectorAll('[class*="st-key-canvas-"]')]
                 .map(e => parseInt(e.className.match(/st-key-canvas-(\\d+)/)[1]))"""
    )
    return max(versions) if versions else 0


def current_canvas(page):
    """The live drawing surface (not a stale one still fading out after Clear)."""
    return page.locator(f".st-key-canvas-{canvas_version(page)} {CANVAS}")


def blocked_canvas_points(page, margin: int = 10) -> list[tuple[int, int]]:
    """Points of a grid over the canvas where a click would hit something else."""
    canvas = current_canvas(page)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # hover, see draw()
    page.wait_for_timeout(300)
    points = [(x, y) for x in range(margin, 281 - margin, 30) for y in range(margin, 281 - margin, 30)]
    hits = page.evaluate(
        """(pts) => pts.map(([x, y]) => { let el = document.elementFromPoint(x, y);
               for (let d = 0; el && el.shadowRoot && d < 5; d++) {
                   const inner = el.shadowRoot.elementFromPoint(x, y);
                   if (!inner || inner === el) break;
                   el = inner;
               }
               return !!el && el.tagName === 'CANVAS' && el.classList.contains('upper-canvas'); })""",
        [[box["x"] + x, box["y"] + y] for x, y in points],
    )
    return [p for p, hit in zip(points, hits, strict=True) if not hit]


def draw_until_misread(page, make_strokes, digit: int, tries: int = 10) -> bool:
    """Draw ``make_strokes()`` until the model reads something other than ``digit``
    (the drawing stays on the canvas) or ``tries`` drawings were read right; True if one
    was misread."""
    for _ in range(tries):
        strokes = make_strokes()
        draw(page, strokes)
        wait_for_strokes(page, len(strokes))
        if metric_value(page, "Prediction") != str(digit):
            return True
        clear(page)
    return False


def clear(page) -> None:
    """Press Clear and wait for a fresh, empty canvas and the "—" prediction."""
    version = canvas_version(page)
    page.get_by_role("button", name="Clear").click()
    page.locator(f".st-key-canvas-{version + 1} {CANVAS}").wait_for(state="visible", timeout=10_000)
    page.locator(f".st-key-canvas-{version}").wait_for(state="detached", timeout=10_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .some(m => m.innerText.includes('Prediction') && m.innerText.includes('—'))""",
        timeout=10_000,
    )


def goto_page(page, title: str) -> None:
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)


def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main pane, so grow the viewport to fit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # let charts finish drawing
    size = page.viewport_size
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]');
                   return m ? m.scrollHeight : document.body.scrollHeight; }"""
    )
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": int(height) + 20})
        page.wait_for_timeout(400)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


# ----------------------------------------------------------------------------- steering

_ARM_CLICK_TIMER = """(word) => {
  const bars = () => [...document.querySelectorAll('[data-testid="stProgress"]')]
      .map(e => e.innerText).join('|');
  window.__clickTimer = {};
  document.addEventListener('pointerdown', () => {
      window.__clickTimer.click = performance.now();
      window.__clickTimer.before = bars();
  }, {capture: true, once: true});
  const seen = () => {
    const t = window.__clickTimer;
    if (t.click !== undefined && t.seen === undefined && bars().includes(word)) {
      t.seen = performance.now(); t.after = bars(); return true;
    }
    return false;
  };
  const observer = new MutationObserver(() => { if (seen()) observer.disconnect(); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def click_and_time(page, button_name: str, word: str, timeout: float = 30.0) -> dict:
    """Click the button, and time in the browser itself how long until a progress bar
    says ``word``: ``{"seconds", "before", "after"}`` with the bar's text at the click
    (pointer down) and when ``word`` showed. Browser clock both ends: no Playwright lag."""
    page.evaluate(_ARM_CLICK_TIMER, word)
    page.get_by_role("button", name=button_name).first.click()
    page.wait_for_function("() => window.__clickTimer.seen !== undefined",
                           timeout=timeout * 1000)
    t = page.evaluate("() => window.__clickTimer")
    return {"seconds": (t["seen"] - t["click"]) / 1000, "before": t["before"], "after": t["after"]}


def epoch_shown(text: str) -> int:
    """The ``N`` of ``Epoch N/M`` in a progress bar's text."""
    import re

    match = re.search(r"Epoch (\d+)/", text)
    if match is None:
        raise ValueError(f"no epoch in {text!r}")
    return int(match.group(1))


def progress_text(page) -> str:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stProgress"]')]
            .map(e => e.innerText).join('|')"""
    )


#: JavaScript, to paste into a page function: ``deepFind(selector, root = document)``, the
#: first element matching ``selector``, looking inside open shadow roots too (where the
#: app's own components draw).
DEEP_FIND = """const deepFind = (selector, root = document) => {
    const hit = root.querySelector(selector);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const inner = deepFind(selector, el.shadowRoot); if (inner) return inner; }
    }
    return null;
  };"""


_COUNT_FRAMES = """(seconds) => new Promise(resolve => {
  // A frame is a redraw of the live curves (the live view's data-frames count goes up);
  // counted until the run ends or ``seconds`` pass.
  DEEP_FIND
  let frames = 0, last = -1, element = null;
  const start = performance.now();
  const points = () => {
    if (!element || !element.isConnected) element = deepFind('[data-live=curves]');
    return element ? Number(element.dataset.frames) : -1;
  };
  const running = () => [...document.querySelectorAll('[data-testid="stProgress"]')]
      .some(e => e.innerText.includes('so far') && !e.innerText.includes('paused'));
  const tick = () => {
    const n = points();
    if (n !== last) { if (last >= 0) frames += 1; last = n; }
    const elapsed = performance.now() - start;
    if (elapsed < seconds * 1000 && running()) requestAnimationFrame(tick);
    else resolve({frames: frames, seconds: elapsed / 1000});
  };
  tick();
})""".replace("DEEP_FIND", DEEP_FIND)


def chart_frames_per_second(page, seconds: float) -> tuple[float, int]:
    """How often per second the live curves are redrawn while a run goes,
    watched for up to ``seconds``; returns ``(frames per second, frames seen)``."""
    seen = page.evaluate(_COUNT_FRAMES, seconds)
    return seen["frames"] / max(seen["seconds"], 1e-9), int(seen["frames"])


WATCH_LONG_TASKS = """() => {
  // Long tasks (over 50 ms) on the main thread, from the next click until the page
  // shows "Test accuracy": how much of a run the browser spends busy, mostly drawing.
  const state = {tasks: [], start: null, end: null};
  new PerformanceObserver(list => state.tasks.push(...list.getEntries()))
      .observe({type: 'longtask', buffered: false});
  document.addEventListener('pointerdown', () => { state.start = performance.now(); },
                            {capture: true, once: true});
  const done = new MutationObserver(() => {
    if (state.start !== null && document.body.innerText.includes('Test accuracy')) {
      state.end = performance.now(); done.disconnect(); }
  });
  done.observe(document.body, {subtree: true, childList: true, characterData: true});
  state.busyShare = () => {
    const end = state.end ?? performance.now();
    const busy = state.tasks.filter(t => t.startTime >= state.start && t.startTime <= end)
        .reduce((sum, t) => sum + t.duration, 0);
    return busy / Math.max(end - state.start, 1);
  };
  window.__longTasks = state;
}"""


_COUNT_FRAMES_ATTRIBUTE = """([selector, seconds]) => new Promise(resolve => {
  // Redraws of the element matching ``selector`` (searched through open shadow roots):
  // one each time its data-frame attribute changes. Polled every animation frame.
  DEEP_FIND
  let frames = 0, last, element = null;
  const start = performance.now();
  const tick = () => {
    if (!element || !element.isConnected) element = deepFind(selector);
    const f = element ? element.dataset.frame : undefined;
    if (f !== undefined && f !== last) { if (last !== undefined) frames += 1; last = f; }
    const elapsed = performance.now() - start;
    if (elapsed < seconds * 1000) requestAnimationFrame(tick);
    else resolve({frames: frames, seconds: elapsed / 1000, last: last});
  };
  tick();
})""".replace("DEEP_FIND", DEEP_FIND)


def frames_per_second(page, selector: str, seconds: float) -> tuple[float, int]:
    """How often per second the element ``selector`` (found through shadow roots) shows a
    new ``data-frame``, watched for ``seconds`` in the browser: ``(rate, frames seen)``."""
    seen = page.evaluate(_COUNT_FRAMES_ATTRIBUTE, [selector, seconds])
    return seen["frames"] / max(seen["seconds"], 1e-9), int(seen["frames"])


# ----------------------------------------------------------------------------- live view

WATCH_LIVE_VIEW = """() => {
  // From the next click until the page shows "Test accuracy": redraws of the live
  // curves and of the weight pictures, and the main thread's long tasks (over 50 ms).
  // The live component counts its own redraws (data-frames on [data-live=curves] and
  // [data-live=weights], inside shadow roots); a page without it (the Plotly charts of
  // before) is counted by each new plot of its loss chart and of its weight heatmap.
  DEEP_FIND
  const state = {tasks: [], start: null, end: null, curves: 0, weights: 0, kind: null};
  new PerformanceObserver(list => state.tasks.push(...list.getEntries()))
      .observe({type: 'longtask', buffered: false});
  let last = {curves: undefined, weights: undefined}, elements = {};
  const plotly = (heatmap) => [...document.querySelectorAll('.js-plotly-plot')].find(p =>
      p._fullData && p._fullData[0] && (p._fullData[0].type === 'heatmap') === heatmap);
  const read = (which) => {
    let el = elements[which];
    if (!el || !el.isConnected) el = elements[which] = deepFind(`[data-live=${which}]`);
    if (el) { state.kind = 'component'; return el.dataset.frames; }
    const p = plotly(which === 'weights');
    return p ? p._fullData : undefined;  // a new plot makes a new _fullData
  };
  const tick = () => {
    if (state.start !== null && state.end === null) {
      for (const which of ['curves', 'weights']) {
        const now = read(which);
        if (now !== undefined && now !== last[which]) {
          if (last[which] !== undefined) state[which] += 1;
          last[which] = now;
        }
      }
      if (document.body.innerText.includes('Test accuracy')) state.end = performance.now();
    } else if (state.start === null) {
      for (const which of ['curves', 'weights']) last[which] = read(which);
    }
    if (state.end === null) requestAnimationFrame(tick);
  };
  document.addEventListener('pointerdown', () => { state.start = performance.now(); },
                            {capture: true, once: true});
  requestAnimationFrame(tick);
  state.figures = () => {
    const end = state.end ?? performance.now();
    const seconds = Math.max(end - state.start, 1) / 1000;
    const busy = state.tasks.filter(t => t.startTime >= state.start && t.startTime <= end)
        .reduce((sum, t) => sum + t.duration, 0);
    return {seconds, curve_frames: state.curves, weight_frames: state.weights,
            curves_per_second: state.curves / seconds,
            weights_per_second: state.weights / seconds,
            long_task_share: busy / 1000 / seconds, kind: state.kind || 'plotly'};
  };
  window.__liveView = state;
}""".replace("DEEP_FIND", DEEP_FIND)


def watch_live_run(page, timeout: float = 300.0) -> dict:
    """Click Train on the open Train page and watch the run to its end (see
    ``WATCH_LIVE_VIEW``): ``{"seconds", "curve_frames", "weight_frames",
    "curves_per_second", "weights_per_second", "long_task_share", "kind"}``."""
    page.evaluate(WATCH_LIVE_VIEW)
    page.get_by_role("button", name="Train").first.click()
    page.wait_for_function("() => window.__liveView.end !== null", timeout=timeout * 1000)
    return page.evaluate("() => window.__liveView.figures()")
