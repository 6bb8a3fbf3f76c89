"""Shared fixtures. The tests import helpers from tests/notebooks.py."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notebooks import ROOT, chapters  # noqa: E402


def seed_execution_cache(cache_path):
    """Put the stored, executed chapters into the build's execution cache.

    nbval (in this same test run) proves that each stored notebook is exactly
    what its code produces, so the site build can render those outputs instead
    of executing every chapter a third time. jupyter-cache keys on the code:
    a chapter whose code differs from its stored outputs' is executed anyway.
    """
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path))
    for path in chapters():
        cache.cache_notebook_file(path, check_validity=False, overwrite=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Build the site as the README does, with warnings as errors.

    It is built from scratch in a temporary folder, so the tests never reuse
    (or overwrite) the pages of an earlier `jupyter-book build` in _build/,
    whose timing outputs come from another execution.
    """
    output = tmp_path_factory.mktemp("site")
    seed_execution_cache(output / "_build" / ".jupyter_cache")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        jupyter_book, "build", ".", "-W", "-n", "--keep-going",
        "--path-output", output,
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"jupyter-book build failed:\n{log[-6000:]}"
    warnings = [
        line for line in log.splitlines() if re.search(r"WARNING|ERROR", line)
        and "Kernel is running over TCP" not in line
    ]  # fmt: skip
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)
    return output / "_build" / "html"
