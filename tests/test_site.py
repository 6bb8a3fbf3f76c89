"""The site: it builds without a warning, and each chapter page is complete."""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml
from notebooks import ROOT, chapters

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO = CONFIG["repository"]["url"].removeprefix("https://github.com/")
COLAB = re.compile(
    r'href="(https://colab\.research\.google\.com/github/'
    + re.escape(REPO)
    + r'/blob/notebooks/([^"]+\.ipynb))"'
)  # the reader notebooks' branch (book/_ext/book_fixes.py)
GLUE_TEXT = re.compile(r"\{glue:text\}`([A-Za-z0-9_]+)")
# MyST roles and directives, which only the site resolves
MYST = re.compile(
    r"\{(?:glue|doc|ref|numref|cite|eq|term|download)[:}]|```\{|:::\{"
)


def page(site, path):
    return (site / "book" / f"{path.stem}.html").read_text()


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_colab_button_points_at_the_chapter(site, path):
    links = COLAB.findall(page(site, path))
    assert links, f"no Colab link on the page of {path.name}"
    for url, target in links:
        assert target == f"book/{path.name}", url
        # the Pages workflow publishes _build/reader as the notebooks branch
        assert (site.parent / "reader" / target).exists(), (
            f"{url} names a reader notebook the build did not make"
        )


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_download_button_offers_the_notebook(site, path):
    html = page(site, path)
    assert f'href="../_sources/book/{path.name}"' in html, (
        f"no download link for {path.name}"
    )
    stored = site / "_sources" / "book" / path.name
    downloaded = nbformat.read(stored, as_version=4)
    assert any(cell.get("outputs") for cell in downloaded.cells)
    assert downloaded == nbformat.read(
        site.parent / "reader" / "book" / path.name, as_version=4
    ), (
        f"the download button of {path.name} serves the source, "
        "not the reader notebook"
    )


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_reader_notebook_reads_like_the_site(site, path):
    """No MyST markup left in the prose, every glued number in it, and the
    chapter's own code cells, unchanged and in order."""
    reader = nbformat.read(site.parent / "reader" / "book" / path.name, 4)
    source = nbformat.read(path, as_version=4)
    markdown = [c.source for c in reader.cells if c.cell_type == "markdown"]
    left = [m.group(0) for text in markdown for m in MYST.finditer(text)]
    assert not left, f"{path.name}'s reader notebook still holds MyST: {left}"
    prose = "\n".join(markdown)
    values = glued_values(path)
    referenced = GLUE_TEXT.findall(
        "\n".join(c.source for c in source.cells if c.cell_type == "markdown")
    )
    missing = [key for key in referenced if values[key] not in prose]
    assert not missing, f"{path.name}'s reader notebook lacks {missing}"
    code = [c.source for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in reader.cells if c.cell_type == "code"] == code, (
        f"{path.name}'s reader notebook changed the chapter's code cells"
    )
    assert not any(
        "scrapbook" in output.get("metadata", {})
        for cell in reader.cells
        for output in cell.get("outputs", [])
    ), f"{path.name}'s reader notebook shows glue outputs the prose shows"


def glued_values(path):
    """The text/plain value stored for each key the notebook glues."""
    values = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = output["data"]
                text = next(v for k, v in data.items() if k.endswith("plain"))
                values[name] = text.strip("'\"")
    return values


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_glued_numbers_appear_in_the_prose(site, path):
    nb = nbformat.read(path, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    referenced = set(GLUE_TEXT.findall(prose))
    values = glued_values(path)
    assert referenced <= set(values), (
        f"{path.name} references glue keys it never glues: "
        f"{sorted(referenced - set(values))}"
    )
    html = page(site, path)
    for key in referenced:
        assert re.search(
            r'class="pasted-text">' + re.escape(values[key]) + "<", html
        ), f"{key} = {values[key]} is not in the page of {path.name}"


def test_every_chapter_glues_a_number_into_its_prose():
    silent = [
        path.name
        for path in chapters()
        if not GLUE_TEXT.search(
            "\n".join(
                cell.source
                for cell in nbformat.read(path, as_version=4).cells
                if cell.cell_type == "markdown"
            )
        )
    ]
    assert not silent, f"chapters that quote no glued number: {silent}"


def test_chapters_are_numbered_and_the_status_page_names_them(site):
    """The navigation numbers the chapters ("6. Case study: ..."), and the
    status page's execution table names each chapter by its title."""
    html = page(site, chapters()[5])
    assert re.search(r'<span class="section-number">6\. </span>', html), (
        "chapter 6's title carries no number: numbered: true in _toc.yml"
    )
    status = (site / "book" / "status.html").read_text()
    table = status[status.index("Document") :]
    table = table[: table.index("</table>")]
    cells = re.findall(
        r"<tr[^>]*>\s*<td><p><a[^>]*>(?:<span[^>]*>)?([^<]*)<", table
    )
    assert cells, "the status page's execution table lists no chapter"
    named_by_file = [cell for cell in cells if re.match(r"book/", cell)]
    assert not named_by_file, (
        f"the status page names chapters by file name: {named_by_file}"
    )


MATH = 'class="math notranslate nohighlight"'  # a formula, as Sphinx writes it
MATHJAX_SCRIPT = re.compile(r'<script[^>]*\bsrc="([^"]*tex-chtml[^"]*)"')


def html_pages(site):
    return sorted(
        p for p in site.rglob("*.html")
        if not {"_static", "_sources"} & set(p.relative_to(site).parts)
    )  # fmt: skip


def test_mathjax_is_served_by_the_site(site):
    """Formulas need no network: MathJax and its fonts are in _static/
    (copied by book/_ext/book_fixes.py), every page with a formula loads
    that copy, and no page names a CDN."""
    mathjax = (site / "_static" / "mathjax").resolve()
    assert (mathjax / "tex-chtml.js").is_file(), "no _static/mathjax"
    fonts = mathjax / "output" / "chtml" / "fonts" / "woff-v2"
    assert len(list(fonts.glob("*.woff"))) > 20, f"no MathJax fonts in {fonts}"
    assert (mathjax / "input" / "tex" / "extensions" / "ams.js").is_file()
    problems = []
    for path in html_pages(site):
        html, name = path.read_text(), path.relative_to(site)
        if re.search(r"cdn\.jsdelivr|//[^\s\"'<>]*mathjax", html, re.I):
            problems.append(f"{name} names a remote MathJax or a CDN")
        for src in MATHJAX_SCRIPT.findall(html):
            local = (path.parent / src.split("?")[0]).resolve()
            if local != mathjax / "tex-chtml.js":
                problems.append(f"{name} loads MathJax from {src}")
        if MATH in html and not MATHJAX_SCRIPT.search(html):
            problems.append(f"{name} has a formula but loads no MathJax")
    assert not problems, "\n".join(problems)
