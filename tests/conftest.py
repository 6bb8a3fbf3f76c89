"""Shared fixtures, the order of the tests, and the summary of a run.

The tests import helpers from tests/notebooks.py.
"""

import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from notebooks import (  # noqa: E402
    CHECK_NOTES,
    COLAB_TEST,
    ENVIRONMENT_NOTES,
    PINNED_TEST,
    ROOT,
    TIMES,
    VERIFIED,
    chapters,
)

FIRST = PINNED_TEST
LAST = COLAB_TEST


def pytest_collection_modifyitems(items):
    """nbval first (the site renders what it verified), Colab's images last."""

    def rank(item):
        name = getattr(item, "originalname", item.name)
        return 0 if name == FIRST else 2 if name == LAST else 1

    items.sort(key=rank)  # stable: the rest keep their order


def seed_execution_cache(cache_path):
    """Put the chapters nbval verified in this run into the build's cache.

    The site build then renders those stored outputs instead of executing the
    chapters again: nbval has just proven that each is exactly what its code
    produces. A chapter nbval did not verify in this run (a run of the site
    tests alone, or a chapter that failed nbval) is not seeded, so the build
    executes it itself. jupyter-cache keys on the code, so a seeded chapter
    whose code differs from its stored outputs' is executed anyway.
    """
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path))
    for path in chapters():
        if path in VERIFIED:
            cache.cache_notebook_file(
                path, check_validity=False, overwrite=True
            )
    return sorted(path.name for path in set(chapters()) - VERIFIED)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Build the site as the README does, with warnings as errors.

    It is built from scratch in a temporary folder, so the tests never reuse
    (or overwrite) the pages of an earlier `jupyter-book build` in _build/,
    whose timing outputs come from another execution.
    """
    output = tmp_path_factory.mktemp("site")
    executed = seed_execution_cache(output / "_build" / ".jupyter_cache")
    if executed:
        print(f"\nnot verified by nbval in this run, so executed: {executed}")
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


def pytest_terminal_summary(terminalreporter):
    """Seconds per chapter in each environment that executed chapters."""
    if not TIMES:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        tensorflow = version("tensorflow-cpu")
    except PackageNotFoundError:
        tensorflow = version("tensorflow")
    notes = {
        "pinned": f"Python {platform.python_version()}, TensorFlow "
        f"{tensorflow}, Keras {version('keras')} (requirements.txt)",
        **ENVIRONMENT_NOTES,
    }
    write = terminalreporter.write_line
    terminalreporter.section("chapters executed, seconds per environment")
    for environment in TIMES:
        write(f"{environment}: {notes.get(environment, '')}")
    names = sorted({name for seconds in TIMES.values() for name in seconds})
    columns = list(TIMES)
    write(f"{'chapter':<36}" + "".join(f"{c[:18]:>20}" for c in columns))
    for name in names:
        write(
            f"{name:<36}"
            + "".join(
                f"{TIMES[c][name]:>20.1f}"
                if name in TIMES[c]
                else f"{'-':>20}"
                for c in columns
            )
        )
    write(
        f"{'total':<36}"
        + "".join(f"{sum(TIMES[c].values()):>20.1f}" for c in columns)
    )
    if CHECK_NOTES:
        terminalreporter.section("results that differ from the book's")
        for environment, notes in CHECK_NOTES.items():
            for chapter, note in notes:
                write(f"{environment}, {chapter}: {note}")
