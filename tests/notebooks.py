"""Shared helpers: find the chapters, execute a notebook, clean its metadata.

`python tests/execute_notebooks.py` (the authors' command) and the tests use
these, so a notebook is always executed the same way.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
# One per-cell time limit for the build, nbval and every test that executes
# a chapter: the one the README's build uses, read from _config.yml.
CELL_TIMEOUT = int(CONFIG["execute"]["timeout"])
KERNEL = "python3"
REGENERATE = "python tests/execute_notebooks.py"
ENVIRONMENTS = ROOT / "tests" / "environments"
VENVS = ROOT / ".venvs"


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


def chapters() -> list[Path]:
    """Every notebook under book/, sorted by name."""
    return sorted(BOOK.glob("*.ipynb"))


def first_chapter() -> Path:
    """The first notebook in the reading order of _toc.yml."""
    for entry in toc_files():
        path = ROOT / f"{entry}.ipynb"
        if path.exists():
            return path
    raise LookupError("_toc.yml lists no notebook")


# A chapter's `check(condition, message)` (its setup cell) raises when this
# is set and prints a note for the reader otherwise: the book's own runs in
# the pinned environment (nbval, the authors' command) set it; readers and
# the runs in Colab's images do not.
STRICT = "EARLY_STOPPING_BOOK_STRICT"

# The two tests that execute chapters (tests/test_notebooks.py), by name:
# conftest.py orders the session by them and the Colab runs wait on the first.
PINNED_TEST = "test_stored_outputs_are_what_the_code_produces"
COLAB_TEST = "test_chapter_runs_alone_in_colab_image"


def execute(
    nb: nbformat.NotebookNode,
    cwd: Path,
    python: str | None = None,
    env: dict | None = None,
) -> nbformat.NotebookNode:
    """Run every cell in order in a fresh kernel, in `cwd`.

    The kernel is this environment's `python3`, or, given `python`, a kernel
    running that interpreter (another venv's). `env` replaces the kernel's
    environment variables (the default: this process's).
    """
    km = None
    if python is not None:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        kernels = Path(cwd).parent / "kernels"
        spec = kernels / "other"
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [python, "-m", "ipykernel_launcher", "-f",
                             "{connection_file}"],
                    "display_name": "other",
                    "language": "python",
                }
            )
        )  # fmt: skip
        specs = KernelSpecManager(kernel_dirs=[str(kernels)])
        km = KernelManager(kernel_name="other", kernel_spec_manager=specs)
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        if env is None:
            client.execute()
        else:
            client.execute(env=env)
    finally:
        # nbclient shuts down only a kernel it started itself; one started
        # from our KernelManager would live on (about 1 GB each) until the
        # test run ends
        if km is not None:
            if client.kc is not None:
                client.kc.stop_channels()
            if km.has_kernel:
                km.shutdown_kernel(now=True)
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


# Readers' environments (Colab's images), one pinned requirements file each.


def environment_files() -> list[Path]:
    return sorted(ENVIRONMENTS.glob("*.txt"))


def wanted_python(requirements: Path) -> str:
    """The Python version a requirements file asks for (`# python: 3.12`)."""
    match = re.search(
        r"^# python: (\d+\.\d+)$", requirements.read_text(), re.M
    )
    if not match:
        raise ValueError(f"{requirements} has no `# python: X.Y` line")
    return match.group(1)


def find_python(version: str) -> tuple[str, str]:
    """An interpreter of `version`: on the PATH, else under pyenv.

    Returns (path, its own `--version`). Falls back to the interpreter
    running the tests when the machine has no such Python; the caller says
    so in the test's output.
    """
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [f"python{version}"] + sorted(
        str(path)
        for path in pyenv.glob(f"versions/{version}*/bin/python{version}")
    )
    for candidate in candidates:
        try:
            result = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True
            )
        except OSError:
            continue
        if result.returncode == 0 and result.stdout.startswith(
            f"Python {version}."
        ):
            return candidate, result.stdout.strip()
    return sys.executable, f"Python {sys.version.split()[0]}"


_BUILDING = threading.Lock()


def make_environment(requirements: Path) -> dict:
    """A venv under .venvs/ built from `requirements`, made once.

    It is rebuilt when the requirements file changes (its text is stored
    beside the venv). Returns the venv's python, its version and a note.
    Safe to call from several threads at once (the tests run chapters in
    Colab's images in background workers): one build per file, and a
    caller asking for a venv that another is building waits for it.
    """
    with _BUILDING:
        lock = _ENVIRONMENT_LOCKS.setdefault(requirements, threading.Lock())
    with lock:
        return _make_environment(requirements)


_ENVIRONMENT_LOCKS: dict[Path, threading.Lock] = {}


@functools.cache
def _make_environment(requirements: Path) -> dict:
    venv = VENVS / requirements.stem
    python = venv / "bin" / "python"
    stamp = venv / "requirements.txt"
    version = wanted_python(requirements)
    interpreter, found = find_python(version)
    note = (
        f"{found}"
        if found.startswith(f"Python {version}.")
        else f"{found} (no Python {version} on this machine)"
    )
    if not (python.exists() and stamp.exists()) or (
        stamp.read_text() != requirements.read_text()
    ):
        subprocess.run(
            [interpreter, "-m", "venv", "--clear", str(venv)], check=True
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-r",
             str(requirements)],
            check=True,
        )  # fmt: skip
        stamp.write_text(requirements.read_text())
    versions = subprocess.run(
        [str(python), "-c",
         "import sys, keras, tensorflow as tf;"
         "print(sys.version.split()[0], tf.__version__, keras.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return {
        "name": requirements.stem,
        "python": str(python),
        "note": note,
        "python_version": versions[0],
        "tensorflow": versions[1],
        "keras": versions[2],
    }


# What this test run found, for the site build and the closing summary.

VERIFIED: set[Path] = set()  # chapters whose stored outputs nbval verified
TIMES: dict[str, dict[str, float]] = {}  # environment -> chapter -> seconds
ENVIRONMENT_NOTES: dict[str, str] = {}  # environment -> Python and versions
# Notes a chapter printed for a reader because a check() failed there:
# {environment: [(chapter, note)]}, shown at the end of the test run.
CHECK_NOTES: dict[str, list[tuple[str, str]]] = {}


def record_time(environment: str, path: Path, seconds: float) -> None:
    TIMES.setdefault(environment, {})[path.name] = seconds
