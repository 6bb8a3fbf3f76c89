"""Shared helpers: find the chapters, execute a notebook, clean its metadata.

`python tests/execute_notebooks.py` (the authors' command) and the tests use
these, so a notebook is always executed the same way.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CELL_TIMEOUT = 600  # seconds, the same as the site build's per-cell limit
KERNEL = "python3"
REGENERATE = "python tests/execute_notebooks.py"


def chapters() -> list[Path]:
    """Every notebook under book/, sorted by name."""
    return sorted(BOOK.glob("*.ipynb"))


def toc_files() -> list[str]:
    """The files listed in _toc.yml, as written there (no suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell in order in a fresh `python3` kernel, in `cwd`."""
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def clean_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only metadata that means something to a reader or a tool."""
    nb.metadata = nbformat.NotebookNode(
        kernelspec={
            "display_name": "Python 3",
            "language": "python",
            "name": KERNEL,
        },
        language_info={"name": "python"},
    )
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
    return nb
