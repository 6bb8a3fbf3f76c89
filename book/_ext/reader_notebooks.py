"""Reader notebooks: what Colab, GitHub and the download button show.

The chapters in book/ are the authors' sources: their Markdown holds MyST
roles and directives ({glue:text}, {doc}, {numref}, {cite}, ```{note}) that
only the site resolves. After the HTML build, this module builds one reader
notebook per page, in which the prose reads as it does on the site:

1. sphinx-tojupyter (a maintained Sphinx builder) turns each page's doctree,
   where myst-nb has already put every glued value in its place, into a
   notebook of Markdown cells: numbers, links, admonitions as block quotes,
   exercises and solutions under headings, citations linked to the
   bibliography on the introduction page.
2. Its Markdown cells are kept, and the cells it turned into Markdown code
   blocks are replaced, one for one and in order, by the chapter's own code
   cells, unchanged (with their stored outputs), so the notebook still runs
   alone. The cells the site hides (`remove-cell`, which only glue values)
   go back in their place, so nothing the code defines is lost.

The result goes to `_build/reader/book/` (the tree the Pages workflow
publishes as the `notebooks` branch, which the Colab button opens) and over
the download button's copy in `_build/html/_sources/book/`.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

# A Markdown cell that sphinx-tojupyter made from a code cell
CODE_MARK = "hide-output"
# What must never reach a reader notebook's Markdown
MYST = re.compile(r"\{(?:glue|doc|ref|numref|cite|eq|term|download)[:}]|```\{")
SOLUTION_LINK = re.compile(r"Solution to\[ (Exercise [\d.]+)\]\(#([\w-]+)\)")
NOTEBOOK_LINK = re.compile(r"\]\(([\w.-]+)\.ipynb(#[\w.-]*)?\)")


def reader_build(root: Path, work: Path) -> Path:
    """Run the jupyter builder on the stored outputs; return its folder."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    sphinx = config.setdefault("sphinx", {})
    # paths in a config file are read from the file's folder
    sphinx["local_extensions"] = {
        name: str(root / folder)
        for name, folder in sphinx.get("local_extensions", {}).items()
    }
    config["bibtex_bibfiles"] = [
        str(root / bib) for bib in config.get("bibtex_bibfiles", [])
    ]
    config.setdefault("html", {})["favicon"] = ""
    sphinx.setdefault("extra_extensions", []).append("sphinx_tojupyter")
    sphinx.setdefault("config", {}).update(
        tojupyter_conversion_mode="all", tojupyter_drop_solutions=False
    )
    work.mkdir(parents=True, exist_ok=True)
    config_file = work / "_config.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(jupyter_book), "build", str(root), "--config", str(config_file),
        "--builder", "custom", "--custom-builder", "jupyter",
        "--path-output", str(work),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            "the reader notebooks' build failed:\n"
            + (result.stdout + result.stderr)[-4000:]
        )
    return work / "_build" / "jupyter"


def site_url(repository_url: str) -> str:
    """GitHub Pages' address of the repository's site."""
    org, repo = repository_url.removeprefix("https://github.com/").split("/")[
        :2
    ]
    return f"https://{org.lower()}.github.io/{repo}/"


def tidy(markdown: str, notebooks: set, site: str, here: str) -> str:
    """sphinx-exercise's solution title; a link to a page that is not a
    reader notebook (the introduction, the status page) goes to the site."""
    markdown = SOLUTION_LINK.sub(r"Solution to [\1](#\2)", markdown)

    def link(match):
        target, anchor = match.group(1), match.group(2) or ""
        if f"{here}/{target}" in notebooks:
            return match.group(0)
        return f"]({site}{here}/{target}.html{anchor})"

    return NOTEBOOK_LINK.sub(link, markdown)


def reader_notebook(
    source: Path, converted: Path, notebooks: set, site: str
) -> nbformat.NotebookNode:
    """The converted Markdown, with the source's own code cells."""
    src = nbformat.read(source, as_version=4)
    conv = nbformat.read(converted, as_version=4)
    code = [c for c in src.cells if c.cell_type == "code"]
    shown = [
        c for c in code if "remove-cell" not in c.metadata.get("tags", [])
    ]
    # each hidden cell goes back right before the next shown one (or the end)
    before = {id(cell): [] for cell in shown}
    pending = []
    for cell in code:
        if cell in shown:
            before[id(cell)], pending = pending, []
        else:
            pending.append(cell)
    cells, waiting = [], list(shown)
    labels = exercise_labels(src)
    for cell in conv.cells:
        # a code cell, or a code block the prose shows (kept as Markdown)
        if (
            CODE_MARK in cell.metadata
            and waiting
            and same_code(cell, waiting[0])
        ):
            own = waiting.pop(0)
            figure = (
                own.metadata.get("mystnb", {}).get("figure", {}).get("name")
            )
            if figure and cells and cells[-1].cell_type == "markdown":
                # the target of "Figure 6.1" links, as on the site
                cells[-1].source += f'\n\n<a id="{figure}"></a>'
            cells += [code_cell(c) for c in before[id(own)]] + [code_cell(own)]
        else:
            text = tidy(cell.source, notebooks, site, source.parent.name)
            for title, label in labels.items():
                if text == f"## {title}" or text.startswith(f"## {title}\n"):
                    text = f'<a id="{label}"></a>\n\n{text}'
            cells.append(nbformat.v4.new_markdown_cell(text))
    if waiting:
        raise RuntimeError(
            f"{source.name}: {len(waiting)} code cells shown on the site are "
            f"not in the conversion, from: {waiting[0].source[:80]!r}"
        )
    cells += [code_cell(c) for c in pending]
    nb = nbformat.v4.new_notebook(
        cells=cells, metadata=copy.deepcopy(src.metadata)
    )
    return nb


def same_code(converted: nbformat.NotebookNode, cell) -> bool:
    """Is this converted code block the source's code cell?"""
    lines = converted.source.strip().splitlines()
    if lines and lines[0].startswith("```") and lines[-1].strip() == "```":
        lines = lines[1:-1]
    block = [line.rstrip() for line in lines]
    own = [line.rstrip() for line in cell.source.strip().splitlines()]
    return [x for x in block if x] == [x for x in own if x]


def exercise_labels(src: nbformat.NotebookNode) -> dict:
    """{"Exercise 6.1": "ch6-exercise-1", ...}: the titles the site gives
    the source's exercise labels (chapters are numbered, the appendix not)."""
    markdown = "\n".join(
        c.source for c in src.cells if c.cell_type == "markdown"
    )
    titles = {}
    for label in re.findall(r":label: ([\w-]+-exercise-\d+)", markdown):
        number = re.match(r"(?:ch(\d+)|\w+)-exercise-(\d+)", label).groups()
        title = ".".join(str(int(n)) for n in number if n)
        titles[f"Exercise {title}"] = label
    return titles


def code_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source's cell, without the outputs that only carry glued values
    (the prose shows them)."""
    cell = copy.deepcopy(cell)
    cell.outputs = [
        out for out in cell.get("outputs", [])
        if "scrapbook" not in out.get("metadata", {})
    ]  # fmt: skip
    return cell


def build(root: Path, html: Path, pages: list[str]) -> list[Path]:
    """Write the reader notebooks of `pages` (toc entries such as
    "book/06_case_study" that are notebooks); return their paths."""
    reader = html.parent / "reader"
    config = yaml.safe_load((root / "_config.yml").read_text())
    site = site_url(config["repository"]["url"])
    notebooks = {page for page in pages if (root / f"{page}.ipynb").exists()}
    with tempfile.TemporaryDirectory(dir=html.parent) as work:
        converted = reader_build(root, Path(work))
        written = []
        for page in pages:
            source = root / f"{page}.ipynb"
            if not source.exists():
                continue
            nb = reader_notebook(
                source, converted / f"{page}.ipynb", notebooks, site
            )
            for target in (
                reader / f"{page}.ipynb",
                html / "_sources" / f"{page}.ipynb",
            ):
                target.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, target)
            written.append(reader / f"{page}.ipynb")
    return written
