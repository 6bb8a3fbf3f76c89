"""Run the book locally, as the README and the intro say: `jupyter lab book/`.

The test starts that command headless on 127.0.0.1, opens the first chapter
(the reader notebook the site's download button serves) in Chromium, runs
its first cell through JupyterLab's interface, reads the versions it prints
and the prose it renders. It stops the server it started.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from notebooks import ROOT, first_chapter
from playwright.sync_api import expect
from test_browser import browser  # noqa: F401  (the Chromium fixture)

JUPYTER = Path(sys.executable).with_name("jupyter")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def jupyter_lab(tmp_path, site):
    """`jupyter lab book/` on 127.0.0.1, no browser, a token of our own."""
    port, token = free_port(), secrets.token_hex(16)
    env = os.environ | {
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # no user settings
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    command = [
        JUPYTER, "lab", "book/", "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", f"--IdentityProvider.token={token}",
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI runs as root; Jupyter refuses without this
        command.append("--allow-root")
    log = (tmp_path / "server.log").open("w")
    # JupyterLab saves the notebooks it opens: work on a copy of book/,
    # with the reader notebooks a reader downloads from the site
    shutil.copytree(ROOT / "book", tmp_path / "book")
    for reader in (site.parent / "reader" / "book").glob("*.ipynb"):
        shutil.copy(reader, tmp_path / "book" / reader.name)
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "`jupyter lab book/` did not start:\n"
                        + (tmp_path / "server.log").read_text()[-3000:]
                    )
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_jupyter_lab_opens_and_runs_a_chapter(jupyter_lab, browser):  # noqa: F811
    url, token = jupyter_lab
    chapter = first_chapter()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/lab/tree/{chapter.name}?token={token}")
    first_code = page.locator(".jp-Notebook .jp-CodeCell").first
    first_code.wait_for(timeout=120_000)
    # the kernel has started when the toolbar shows it idle
    page.locator(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']"
    ).wait_for(timeout=60_000)
    # the chapter is stored with its outputs: clear them, so that what the
    # test reads below is what this kernel printed
    page.get_by_role("menuitem", name="Edit").click()
    page.get_by_text("Clear Outputs of All Cells").click()
    expect(first_code.locator(".jp-OutputArea-output")).to_have_count(
        0, timeout=30_000
    )
    first_code.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    output = first_code.locator(".jp-OutputArea-output")
    output.filter(has_text="Keras").first.wait_for(timeout=240_000)
    text = output.all_inner_texts()
    # the prose JupyterLab rendered reads like the site: no MyST markup
    prose = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown")
    rendered = prose.all_inner_texts()
    page.close()
    assert rendered, "JupyterLab rendered no Markdown cell"
    left = [t for t in rendered if re.search(r"\{(glue|doc|numref|cite)", t)]
    assert not left, f"MyST markup in the reader notebook's prose: {left}"
    import keras

    assert any(f"Keras {keras.__version__}" in t for t in text), text
