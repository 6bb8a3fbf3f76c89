"""Lint: ruff over the Python files and over the notebooks' code cells.

ruff reads .ipynb files natively (each code cell is checked as Python), so one
tool covers the scripts, the tests and the chapters.
"""

import subprocess
import sys

from notebooks import ROOT


def ruff(*args):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_ruff_check_passes():
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, (
        "run `ruff format .` and regenerate the changed notebooks:\n"
        + result.stdout
        + result.stderr
    )


def test_ruff_sees_the_notebooks():
    result = ruff("check", "--show-files", ".")
    listed = result.stdout
    assert "01_callbacks.ipynb" in listed, listed
