"""Run the book locally, as the README and the intro say: `jupyter lab book/`.

The test starts that command headless on 127.0.0.1, opens the first chapter
(the reader notebook the site's download button serves) in Chromium, clears
its stored outputs and runs it top to bottom through JupyterLab's menus (Run
All Cells), saves it, and reads the saved notebook through the server: the
versions its first cell printed, no error output, every code cell run; and
the prose JupyterLab rendered, without MyST markup. On failure it keeps a
screenshot and the server's log. It stops the server it started.
"""

from __future__ import annotations

import json
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
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
    }
    # every cell in the page, not only those scrolled into view, so that
    # the test can read each cell's prompt after "Run All Cells"
    tracker = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
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
    # without their stored outputs, so that what the test reads is what
    # this kernel printed
    for reader in (site.parent / "reader" / "book").glob("*.ipynb"):
        nb = json.loads(reader.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        (tmp_path / "book" / reader.name).write_text(json.dumps(nb))
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
        yield url, token, tmp_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def saved_notebook(url, token, name):
    with urllib.request.urlopen(
        f"{url}/api/contents/{name}?content=1&token={token}"
    ) as response:
        return json.loads(response.read())["content"]


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


PROMPTS = "[...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
# done when no cell is queued or running ("[*]") and the kernel is idle
# (after an error, JupyterLab leaves the cells below it not run)
RUN_OVER = f"""() => {{
    const p = {PROMPTS};
    const ran = p.filter(x => /\\[\\d+\\]/.test(x.textContent)).length;
    const idle = document.querySelector(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']");
    return ran > 0 && idle !== null
        && !p.some(x => x.textContent.includes("*"));
}}"""
RAN = f"() => {PROMPTS}.filter(x => /\\[\\d+\\]/.test(x.textContent)).length"


def run_top_to_bottom(page, url, token, name):
    """Run All Cells, save; the notebook as the server saved it."""
    first_code = page.locator(".jp-Notebook .jp-CodeCell").first
    first_code.wait_for(timeout=120_000)
    # the kernel has started when the toolbar shows it idle
    page.locator(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']"
    ).wait_for(timeout=120_000)
    expect(page.locator(".jp-Notebook .jp-OutputArea-output")).to_have_count(
        0, timeout=30_000
    )
    # make the notebook the active panel, so that its menu commands apply
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.get_by_role("menuitem", name="Run").click()
    page.get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function(RUN_OVER, timeout=900_000)
    ran = page.evaluate(RAN)
    # save, and read back what the server has (saving again until it has it)
    deadline = time.monotonic() + 120
    while True:
        page.get_by_role("menuitem", name="File").click()
        page.get_by_text("Save Notebook", exact=True).click()
        time.sleep(3)
        saved = saved_notebook(url, token, name)
        done = [c for c in code_cells(saved) if c.get("execution_count")]
        if len(done) == ran:
            return saved
        if time.monotonic() > deadline:
            raise AssertionError(f"JupyterLab did not save {name}")


def test_jupyter_lab_opens_and_runs_a_chapter(jupyter_lab, browser):  # noqa: F811
    url, token, folder = jupyter_lab
    chapter = first_chapter()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/lab/tree/{chapter.name}?token={token}")
    try:
        saved = run_top_to_bottom(page, url, token, chapter.name)
        # the prose JupyterLab rendered reads like the site: no MyST markup
        prose = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown")
        rendered = prose.all_inner_texts()
    except Exception as error:
        shot = folder / "jupyterlab.png"
        page.screenshot(path=shot, full_page=True)
        prompts = page.locator(".jp-InputPrompt").all_inner_texts()
        log = (folder / "server.log").read_text()[-3000:]
        pytest.fail(
            f"{chapter.name} did not run top to bottom: {error}\n"
            f"prompts: {prompts}\nscreenshot: {shot}\nserver log:\n{log}"
        )
    finally:
        page.close()
    import keras

    code = code_cells(saved)
    printed = "".join(
        "".join(out.get("text", "")) for out in code[0].get("outputs", [])
    )
    assert f"Keras {keras.__version__}" in printed, printed
    errors = [
        (i, out.get("ename"), out.get("evalue"))
        for i, cell in enumerate(code)
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{chapter.name} raised in JupyterLab: {errors}"
    not_run = [i for i, cell in enumerate(code) if not cell["execution_count"]]
    assert not not_run, f"code cells {not_run} of {chapter.name} did not run"
    assert rendered, "JupyterLab rendered no Markdown cell"
    left = [t for t in rendered if re.search(r"\{(glue|doc|numref|cite)", t)]
    assert not left, f"MyST markup in the reader notebook's prose: {left}"
