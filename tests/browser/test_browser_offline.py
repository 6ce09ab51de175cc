"""Each of the eight pages, opened by its address in a browser that can reach nothing but
this machine, loads without a console error and asks nothing of the internet.

The browser context aborts every request to a host other than localhost and records
it; console errors, page errors, failed requests and error responses are collected
per page. The icons' font (Material Symbols) ships with Streamlit; the favicon is an
emoji, which Streamlit draws as an inline SVG (a ``:material/...:`` favicon is fetched
from fonts.gstatic.com, see app.py).

One thing is allowed, and only exactly it: Streamlit's client, opened at a page's own
address (``/draw``), first looks for the server under that address
(``/draw/_stcore/health`` and ``/draw/_stcore/host-config``), gets 404 and then finds
it at the root. That is Streamlit's open bug #7074
(https://github.com/streamlit/streamlit/issues/7074), the same online and offline; no
public setting of ``streamlit run`` avoids it. The test checks that those are the only
404s, that each is followed by the same request answered at the root, and counts them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
# Every page's address (playground.shell.navigation.PAGES: Streamlit names each page's
# address after its file, and the default page, Train, after the root).
PAGE_PATHS = ("/", "/draw", "/inspect", "/boundaries", "/sweep", "/backprop",
              "/optimizers", "/fix_tutorial")
# Streamlit's probe of a page's address for its server (issue #7074; see above).
PROBE = re.compile(r"^/(?P<page>[a-z_]+)/_stcore/(?P<what>health|host-config)$")


def test_page_paths_are_the_navigation_pages():
    from playground.shell.navigation import PAGES

    paths = ["/" if default else "/" + file.removeprefix("pages/").removesuffix(".py")
             for _, file, _, _, default in PAGES]
    assert tuple(paths) == PAGE_PATHS


def test_app_icon_needs_no_download():
    # A ":material/...:" favicon is the one icon Streamlit fetches from the internet.
    source = (Path(__file__).resolve().parents[2] / "app.py").read_text(encoding="utf-8")
    icon = re.search(r"page_icon=(['\"])(.*?)\1", source).group(2)
    assert not icon.startswith(":material/") and len(icon) == 1, icon


def _visit(chromium, url: str, path: str) -> dict:
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    seen = {"external": [], "console": [], "page_errors": [], "failed": [], "bad_status": [],
            "ok": set()}

    def route(request_route):
        host = urlsplit(request_route.request.url).hostname or ""
        if host in LOCAL_HOSTS:
            request_route.continue_()
        else:
            seen["external"].append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and seen["console"].append(
        (m.text, m.location.get("url", ""))))
    page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
    page.on("requestfailed", lambda r: seen["failed"].append((r.url, r.failure)))

    def response(r):
        target = urlsplit(r.url).path
        (seen["bad_status"].append((r.status, target)) if r.status >= 400
         else seen["ok"].add(target))

    page.on("response", response)
    page.goto(url + path)
    page.get_by_role("heading", level=1).first.wait_for(timeout=90_000)
    # Let the page finish: its components, charts and icons load after the heading.
    page.wait_for_load_state("networkidle", timeout=60_000)
    page.wait_for_timeout(1500)
    # The sidebar's page icons are drawn with Streamlit's bundled Material Symbols font.
    seen["icons_font"] = page.evaluate(
        "() => [...document.fonts].some(f => f.family.includes('Material Symbols')"
        " && f.status === 'loaded')")
    context.close()
    return seen


def test_every_page_opens_offline_without_a_console_error(chromium, app_url):
    report = {}
    for path in PAGE_PATHS:
        seen = _visit(chromium, app_url, path)
        probes = [target for status, target in seen["bad_status"]
                  if status == 404 and (m := PROBE.match(target)) and "/" + m["page"] == path]
        other_status = [(s, t) for s, t in seen["bad_status"] if t not in probes]
        # The probe's 404s are Streamlit's, and it then found the server at the root.
        for target in probes:
            assert "/_stcore/" + PROBE.match(target)["what"] in seen["ok"], (path, target)
        # A 404 logs "Failed to load resource: ... 404"; only the probes' may appear.
        errors = list(seen["console"])
        for target in probes:
            match = next((e for e in errors if "404" in e[0] and urlsplit(e[1]).path == target),
                         None)
            if match is not None:
                errors.remove(match)
        # A request the page itself cancels (a media file replaced by the next rerun)
        # fails with ERR_ABORTED and logs nothing; any other failure counts.
        failed = [(u, f) for u, f in seen["failed"] if f != "net::ERR_ABORTED"]
        report[path] = {"console errors": len(seen["console"]), "Streamlit's probe": len(probes)}
        assert seen["external"] == [], (path, seen["external"])
        assert errors == [], (path, errors)
        assert seen["page_errors"] == [], (path, seen["page_errors"])
        assert failed == [], (path, failed)
        assert other_status == [], (path, other_status)
        assert seen["icons_font"], f"{path}: the Material Symbols font did not load"
    print("\noffline:", report)
