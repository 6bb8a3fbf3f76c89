"""The built site in a real browser: every page loads cleanly.

Uses Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`) driven
by Python playwright, against the site served on 127.0.0.1. Screenshots land
in _build/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
import urllib.request
from urllib.parse import urlsplit

import nbformat
import pytest
from notebooks import ROOT, chapters, first_chapter, toc_files

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


def site_pages(html):
    # index.html is a redirect to the root page; genindex has no content
    skip = {"index.html", "genindex.html"}
    return sorted(
        str(p.relative_to(html))
        for p in html.rglob("*.html")
        if p.name not in skip and "_static" not in p.parts
        and "_sources" not in p.parts
    )  # fmt: skip


def leaves_the_machine(request):
    """A request to another host (the tests run offline)."""
    parts = urlsplit(request.url)
    return parts.scheme in {"http", "https", "ws", "wss"} and (
        parts.hostname not in {"127.0.0.1", "localhost"}
    )


def visit(browser, url):
    """Open url; return the page and the problems the browser reported."""
    problems = []
    page = browser.new_page()
    page.on(
        "request",
        lambda r: (
            leaves_the_machine(r)
            and problems.append(f"remote request: {r.url}")
        ),
    )
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
    page.goto(url)  # waits for the load event: images and scripts are in
    wait_until_ready(page)
    return page, problems


def wait_until_ready(page):
    """The theme has run: it sets the page's mode and shows the sidebar
    toggles; pages with figures have each image decoded; pages that load
    MathJax have their formulas typeset, in fonts that have loaded."""
    page.wait_for_function(
        "() => document.documentElement.dataset.mode !== undefined"
        " && [...document.images].every(i => i.complete)"
    )
    # MathJax (a deferred script) has started by the load event
    page.evaluate(
        "async () => { await window.MathJax?.startup?.promise;"
        " await document.fonts.ready; }"
    )


def test_site_has_pages(site):
    assert f"book/{first_chapter().stem}.html" in site_pages(site)


def test_every_page_loads_cleanly(site, server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    failures = {}
    for name in site_pages(site):
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


def test_search_finds_the_chapters_that_use_a_term(site, server, browser):
    term = "patience"
    expected = {
        f"book/{path.stem}.html"
        for path in chapters()
        if (site / "book" / f"{path.stem}.html").exists()  # toc: test_hygiene
        and any(
            term in cell.source.lower()
            for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "markdown"
        )
    }
    page, problems = visit(browser, f"{server}/book/intro.html")
    page.locator("button.search-button-field").first.click()
    field = page.locator("#pst-search-dialog input[name=q]")
    field.fill(term)
    field.press("Enter")
    page.wait_for_url(re.compile(r"search\.html"))
    # Sphinx shows results one by one, then says it has finished
    page.wait_for_function(
        "() => /Search finished/.test("
        "document.querySelector('#search-results')?.textContent ?? '')",
        timeout=30000,
    )
    hrefs = page.eval_on_selector_all(
        "#search-results li a", "links => links.map(a => a.href)"
    )
    found = {
        re.sub(r"^.*?/(book/[^?#]+\.html).*$", r"\1", href) for href in hrefs
    }
    page.close()
    assert not problems, problems
    assert expected, f"no chapter mentions {term!r}: pick another term"
    assert expected <= found, (
        f"search for {term!r} missed {sorted(expected - found)}; "
        f"it found {sorted(found)}"
    )


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_download_button_serves_the_executed_notebook(
    site, server, browser, path
):
    page, problems = visit(browser, f"{server}/book/{path.stem}.html")
    href = page.eval_on_selector(
        f"a[href$='{path.name}'][href*='_sources']", "a => a.href"
    )
    page.close()
    assert not problems, problems
    with urllib.request.urlopen(href) as response:
        downloaded = json.loads(response.read())
    code = [c for c in downloaded["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("outputs") is not None for c in code)
    assert any(c["outputs"] for c in code), f"{href} has no outputs"


MATH = 'class="math notranslate nohighlight"'  # a formula, as Sphinx writes it
# book/16_regularization, the chapter with formulas (once it is in _toc.yml)
MATH_CHAPTER = "book/16_regularization"


def test_formulas_are_typeset_offline(site, server, browser):
    """On every page with a formula, MathJax (served by the site: see
    test_site.py) typesets each one, with no error, no file missing and no
    request leaving the machine."""
    math_pages = [
        name for name in site_pages(site) if MATH in (site / name).read_text()
    ]
    if MATH_CHAPTER in toc_files():
        assert f"{MATH_CHAPTER}.html" in math_pages, (
            f"{MATH_CHAPTER}.html shows no formula"
        )
    if not math_pages:
        pytest.skip("no page has a formula")
    failures = {}
    for name in math_pages:
        page, problems = visit(browser, f"{server}/{name}")
        result = page.evaluate(
            """() => ({
            started: Boolean(window.MathJax?.startup?.promise),
            typeset: document.querySelectorAll(
                'mjx-container[jax="CHTML"]').length,
            left: [...document.querySelectorAll('.math.notranslate')]
                .filter(e => !e.querySelector('mjx-container'))
                .map(e => e.textContent.trim().slice(0, 60)),
            errors: [...document.querySelectorAll('mjx-merror')]
                .map(e => e.getAttribute('data-mjx-error') || e.textContent),
        })"""
        )
        page.close()
        if not result["started"]:
            problems.append("MathJax did not load")
        elif not result["typeset"]:
            problems.append("no formula typeset (no mjx-container)")
        problems += [f"formula not typeset: {tex}" for tex in result["left"]]
        problems += [f"MathJax error: {error}" for error in result["errors"]]
        if problems:
            failures[name] = problems
    assert not failures, "\n".join(
        f"{name}:\n  " + "\n  ".join(problems)
        for name, problems in failures.items()
    )


SCREENS = {"desktop": (1280, 900), "phone": (390, 844)}
PAGES = [entry.removeprefix("book/") for entry in toc_files()]

READER_CHECKS = (ROOT / "tests" / "reader_checks.js").read_text()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("name", PAGES)
def test_what_the_reader_sees(site, server, browser, name, screen):
    """Each page at desktop and phone width, light and dark: no Markdown
    table left as text, every table with a header, no output box holding
    only a number, sharp plots, nothing wider than the screen. Full-page
    screenshots land in _build/screenshots/ for a person to look at."""
    width, height = SCREENS[screen]
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for mode in ("light", "dark"):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=mode,
        )
        page = context.new_page()
        page.goto(f"{server}/book/{name}.html")
        page.evaluate(
            "mode => document.documentElement.dataset.theme = mode", mode
        )
        wait_until_ready(page)
        if mode == "light":
            problems += page.evaluate(READER_CHECKS)
        page.screenshot(
            path=SHOTS / f"{name}-{screen}-{mode}.png", full_page=True
        )
        context.close()
    assert not problems, f"book/{name}.html at {width} px:\n" + "\n".join(
        problems
    )
