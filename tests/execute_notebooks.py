"""Execute chapters in place and store their outputs (the authors' command).

    python tests/execute_notebooks.py                      # every chapter
    python tests/execute_notebooks.py book/01_callbacks.ipynb

Each notebook runs top to bottom in a fresh kernel, from the book/ folder,
and is written back with its outputs and clean metadata. Run it after every
change to a chapter and commit the result: nbval checks that the stored
outputs are exactly what the code produces.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import (  # noqa: E402
    BOOK,
    STRICT,
    chapters,
    clean_metadata,
    execute,
)


def main(argv: list[str]) -> int:
    paths = [Path(arg).resolve() for arg in argv] or chapters()
    os.environ[STRICT] = "1"  # a failed check() stops the chapter
    for path in paths:
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        execute(nb, BOOK)
        clean_metadata(nb)
        nbformat.validate(nb)
        nbformat.write(nb, path)
        seconds = time.perf_counter() - start
        print(f"{path.relative_to(BOOK.parent)}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
