"""Every chapter runs alone, as on Colab.

Each chapter is copied into an empty folder and executed there in a fresh
kernel in which `import myst_nb` fails (Colab does not have it), so a chapter
that imports a file of the repository, reads a file beside it, or needs
myst-nb fails here.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from notebooks import ROOT, chapters, execute

BLOCKER = 'raise ImportError("myst_nb is not installed here, as on Colab")\n'


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_chapter_runs_alone_without_myst_nb(path, tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "myst_nb.py").write_text(BLOCKER)
    monkeypatch.setenv("PYTHONPATH", str(blocker))  # the kernel inherits it

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(path, alone / path.name)
    nb = nbformat.read(alone / path.name, as_version=4)
    try:
        execute(nb, alone)
    except CellExecutionError as error:
        pytest.fail(
            f"{path.relative_to(ROOT)} fails when run alone "
            f"without myst-nb:\n{error}"
        )
    left = sorted(p.name for p in alone.iterdir() if p.name != path.name)
    assert not left, (
        f"{path.relative_to(ROOT)} left files in its folder: {left}; "
        "write them under a temporary directory and remove them"
    )
