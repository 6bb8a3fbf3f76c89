"""The built site in a real browser: every page loads cleanly.

Uses Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`) driven
by Python playwright, against the site served on 127.0.0.1. Screenshots land
in _build/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest
from notebooks import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
SHOTS = ROOT / "_build" / "screenshots"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's package with "
            "`apt-get install chromium` (.ci/run does this)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


def site_pages():
    html = ROOT / "_build" / "html"
    # index.html is a redirect to the root page; genindex has no content
    skip = {"index.html", "genindex.html"}
    return sorted(
        str(p.relative_to(html))
        for p in html.rglob("*.html")
        if p.name not in skip and "_static" not in p.parts
        and "_sources" not in p.parts
    )  # fmt: skip


def visit(browser, url):
    """Open url; return the page and the problems the browser reported."""
    problems = []
    page = browser.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"console: {m.text}"),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "requestfailed",
        lambda r: problems.append(f"request failed: {r.url}"),
    )
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"),
    )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, problems


def test_site_has_pages(site):
    assert "book/01_callbacks.html" in site_pages()


def test_every_page_loads_cleanly(site, server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    failures = {}
    for name in site_pages():
        page, problems = visit(browser, f"{server}/{name}")
        images = page.eval_on_selector_all(
            "main img",
            "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth,"
            " i.getAttribute('alt')])",
        )
        for src, width, alt in images:
            if not width:
                problems.append(f"image did not load: {src}")
            if not alt:
                problems.append(f"image without alt text: {src}")
        h1_count = page.locator("main h1:visible").count()
        if name != "search.html" and h1_count != 1:
            problems.append(
                f"{h1_count} h1 headings, expected exactly 1 visible"
            )
        page.screenshot(path=SHOTS / (name.replace("/", "_") + ".png"))
        page.close()
        if problems:
            failures[name] = problems
    assert not failures, "\n".join(
        f"{name}:\n  " + "\n  ".join(problems)
        for name, problems in failures.items()
    )
