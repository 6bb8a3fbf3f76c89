"""Notebook hygiene: what book/ stores is complete, executed and clean."""

from __future__ import annotations

import ast
import json
import re

import nbformat
import pytest
from notebooks import BOOK, REGENERATE, ROOT, chapters, toc_files

MAX_BYTES = 2_000_000  # a stored chapter, outputs and plots included

# Paths of the machine that executed a notebook must not leak into it.
MACHINE_PATH = re.compile(
    r"(/home/|/root/|/Users/|/tmp/|/var/folders/|[A-Z]:\\\\Users|site-packages"
    + "|"
    + re.escape(str(ROOT))
    + ")"
)


def rel(path):
    return path.relative_to(ROOT)


def test_there_are_chapters():
    assert chapters(), "no notebook found under book/"


def test_toc_lists_every_notebook():
    listed = set(toc_files())
    missing = [
        str(rel(nb)) for nb in chapters() if f"book/{nb.stem}" not in listed
    ]
    assert not missing, (
        f"{', '.join(missing)} exist(s) under book/ but not in _toc.yml: "
        "add each as `- file: book/<name>` (without .ipynb) to _toc.yml"
    )


def test_every_toc_entry_exists():
    absent = [
        entry
        for entry in toc_files()
        if not any(
            (ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")
        )
    ]
    assert not absent, f"_toc.yml lists files that do not exist: {absent}"


@pytest.fixture(params=chapters(), ids=lambda path: path.name)
def notebook(request):
    path = request.param
    return path, nbformat.read(path, as_version=4)


def test_stored_executed_in_order(notebook):
    path, nb = notebook
    counts = [
        cell.execution_count
        for cell in nb.cells
        if cell.cell_type == "code" and cell.source.strip()
    ]
    expected = list(range(1, len(counts) + 1))
    assert counts == expected, (
        f"{rel(path)} is not stored executed top to bottom in one run "
        f"(execution counts {counts}); run `{REGENERATE} {rel(path)}` "
        "and commit the result"
    )


def test_no_error_outputs(notebook):
    path, nb = notebook
    errors = [
        (index, output.get("ename"))
        for index, cell in enumerate(nb.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert not errors, f"{rel(path)} stores error outputs in cells {errors}"


def test_kernel_is_python3(notebook):
    path, nb = notebook
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{rel(path)}: the kernelspec must be `python3`; "
        f"run `{REGENERATE} {rel(path)}`"
    )


def test_no_machine_paths(notebook):
    path, nb = notebook
    leaks = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            text = json.dumps(
                {k: v for k, v in output.items() if k != "data"}
                | {
                    k: v
                    for k, v in output.get("data", {}).items()
                    if not k.startswith("image/")
                }
            )
            if match := MACHINE_PATH.search(text):
                leaks.append((index, match.group(0)))
    assert not leaks, (
        f"{rel(path)} stores paths of the machine that ran it "
        f"(cell index, path): {leaks}"
    )


def test_size_budget(notebook):
    path, _ = notebook
    size = path.stat().st_size
    assert size <= MAX_BYTES, (
        f"{rel(path)} is {size:,} bytes, over the {MAX_BYTES:,} budget: "
        "smaller figures (dpi, size) or fewer of them"
    )


def test_no_notebook_outside_book():
    stray = [
        str(rel(path))
        for path in ROOT.rglob("*.ipynb")
        if not any(
            part.startswith((".", "_build")) for part in rel(path).parts
        )
        and path.parent != BOOK
        and "venv" not in rel(path).parts
    ]
    assert not stray, f"notebooks outside book/ are not in the book: {stray}"


def test_no_bare_glued_value(notebook):
    """A glued value belongs in the prose; an output box holding only the
    number (myst-nb's `glue` with its default display=True) says nothing."""
    path, nb = notebook
    bare = [
        index
        for index, cell in enumerate(nb.cells)
        for output in cell.get("outputs", [])
        if output.get("metadata", {}).get("scrapbook", {}).get("mime_prefix")
        == ""
    ]
    assert not bare, (
        f"{rel(path)} shows glued values as bare output boxes in cells "
        f"{bare}: glue them with display=False, and print a labelled line "
        "where the reader should see the value"
    )


def test_every_heading_is_markdown(notebook):
    """A `# ## Heading` comment in a code cell is lost from the page."""
    path, nb = notebook
    buried = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(line.startswith("# #") for line in cell.source.splitlines())
    ]
    assert not buried, (
        f"{rel(path)} has Markdown headings inside code cells {buried}: "
        "move them into Markdown cells"
    )


CHAPTER_MENTION = re.compile(r"(?<![\[\w/])[Cc]hapter\s+(\d+)\b(?!\]|\.ipynb)")
EXERCISE_MENTION = re.compile(r"(?<![{\w])[Ee]xercise\s+\d")


def prose_outside_code(source):
    """Markdown text without headings, fenced blocks and inline code."""
    source = re.sub(r"```.*?```", "", source, flags=re.S)
    lines = [
        ln for ln in source.splitlines() if not ln.lstrip().startswith("#")
    ]
    return re.sub(r"`[^`]*`", "", "\n".join(lines))


def test_every_chapter_mention_is_a_link(notebook):
    """ "chapter 7" in the prose is a link to chapter 7 (its own number is
    not: a chapter does not link to itself)."""
    path, nb = notebook
    own = path.stem[:2]
    plain = [
        (index, match.group(0))
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for match in CHAPTER_MENTION.finditer(prose_outside_code(cell.source))
        if match.group(1).zfill(2) != own
    ]
    assert not plain, (
        f"{rel(path)} names chapters without linking them (cell, text): "
        f"{plain}; write [chapter N](0N_name.ipynb)"
    )
    exercises = [
        (index, match.group(0))
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for match in EXERCISE_MENTION.finditer(prose_outside_code(cell.source))
    ]
    assert not exercises, (
        f"{rel(path)} names exercises by a bare number (cell, text): "
        f"{exercises}; the boxes are numbered per chapter: write "
        "{numref}`Exercise %s <chN-exercise-K>`"
    )


def test_exercises_are_exercise_directives(notebook):
    """Exercises are sphinx-exercise boxes, each followed by its solution in
    a collapsed solution box that holds the solution's code cells."""
    path, nb = notebook
    sources = [(cell.cell_type, cell.source) for cell in nb.cells]
    exercises = [s for t, s in sources if s.startswith("```{exercise}")]
    starts = [s for t, s in sources if s.startswith("```{solution-start}")]
    ends = [s for t, s in sources if s.startswith("```{solution-end}")]
    assert exercises, f"{rel(path)} has no ```{{exercise}} box"
    assert len(starts) == len(ends) == len(exercises), (
        f"{rel(path)}: {len(exercises)} exercises, {len(starts)} solution "
        f"starts, {len(ends)} solution ends"
    )
    labels = [re.search(r":label: (\S+)", s).group(1) for s in exercises]
    solved = [s.split()[1] for s in starts]
    assert labels == solved, (
        f"{rel(path)}: exercises {labels}, solved {solved}"
    )
    hidden = [
        index
        for index, cell in enumerate(nb.cells)
        if "hide-cell" in cell.metadata.get("tags", [])
        and "solution" in cell.source.lower()[:40]
    ]
    assert not hidden, f"{rel(path)}: solutions hidden as plain cells {hidden}"


def test_setup_and_glue_only_cells_are_out_of_the_way(notebook):
    """The setup cell's code is collapsed (its printed versions stay), and a
    cell that only glues values is removed from the page."""
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "hide-input" in code[0].metadata.get("tags", []), (
        f"{rel(path)}: tag the setup cell hide-input"
    )
    shown = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            body = ast.parse(cell.source).body
        except SyntaxError:
            continue
        only_glue = body and all(
            isinstance(s, ast.Expr)
            and isinstance(s.value, ast.Call)
            and getattr(s.value.func, "id", None) == "glue"
            for s in body
        )
        if only_glue and "remove-cell" not in cell.metadata.get("tags", []):
            shown.append(index)
    assert not shown, (
        f"{rel(path)}: cells {shown} only call glue; tag them remove-cell"
    )
