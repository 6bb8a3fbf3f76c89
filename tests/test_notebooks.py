"""Every chapter, executed once per environment a reader has.

1. In the book's pinned environment (this one), nbval runs each chapter alone:
   copied into an empty folder, so a chapter that reads a file of the
   repository fails, and every output is compared with the stored one, so the
   pages, the downloads and GitHub show exactly what the code produces.
2. In each of Colab's images (`tests/environments/*.txt`, a venv built from
   each under `.venvs/`, with the Python version the image has), each chapter
   runs alone, without myst-nb (Colab has none), and must finish. Outputs are
   not compared there: numbers differ between library versions, and a chapter
   explains such differences in its output instead of failing.

Each chapter is executed once per environment. The runs in Colab's images
go on in background workers (one per core, `COLAB_WORKERS`), started with
the session. A chapter's kernel keeps about one core busy (small ops,
threads handing work to each other; measured with /proc/stat), so the test
command is bound by the machine's cores, and its wall time is lowest when
no core idles. While the pinned environment's nbval runs, one kernel fewer
than the workers may run in Colab's images (`ColabGate`: on two cores, one
beside nbval's); when nbval is done, all of them, so that the Colab runs
left go on beside the site build and the browser tests, which keep only
about one core busy and used to run mostly alone at the end. The site
build renders the stored outputs that test 1 verified in this run (see
conftest.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from notebooks import (
    CELL_TIMEOUT,
    CHECK_NOTES,
    COLAB_TEST,
    ENVIRONMENT_NOTES,
    PINNED_TEST,
    REGENERATE,
    ROOT,
    STRICT,
    VERIFIED,
    chapters,
    environment_files,
    execute,
    make_environment,
    record_time,
)

SANITIZE = ROOT / "tests" / "sanitize.cfg"
BLOCKER = 'raise ImportError("myst_nb is not installed here, as on Colab")\n'


def alone(path, tmp_path):
    """A copy of the chapter, alone in an empty folder."""
    folder = tmp_path / "alone"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    return folder


def assert_left_nothing(folder, path):
    left = sorted(p.name for p in folder.iterdir() if p.name != path.name)
    assert not left, (
        f"{path.relative_to(ROOT)} left files in its folder: {left}; "
        "write them under a temporary directory and remove them"
    )


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_stored_outputs_are_what_the_code_produces(path, tmp_path):
    folder = alone(path, tmp_path)
    settings = tmp_path / "pytest.ini"
    settings.write_text("[pytest]\n")  # not the book's own settings
    command = [
        sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
        f"--nbval-sanitize-with={SANITIZE}",
        f"--nbval-cell-timeout={CELL_TIMEOUT}",
        "-p", "no:cacheprovider", "-q", "-c", str(settings),
        "--rootdir", str(folder), path.name,
    ]  # fmt: skip
    start = time.perf_counter()
    try:
        result = subprocess.run(
            command,
            cwd=folder,
            capture_output=True,
            text=True,
            env=os.environ | {STRICT: "1"},  # a failed check() is an error
        )
    finally:
        GATE.pinned_done()  # passed or not: the Colab runs need not wait
    record_time("pinned", path, time.perf_counter() - start)
    assert result.returncode == 0, (
        f"nbval: the stored outputs of {path.relative_to(ROOT)} are not what "
        f"its code produces now. If the change is intended, run `{REGENERATE} "
        f"{path.relative_to(ROOT)}` and commit.\n{result.stdout[-8000:]}"
    )
    assert_left_nothing(folder, path)
    VERIFIED.add(path)


def run_in_environment(requirements, path, folder):
    """Run the chapter alone in the venv of `requirements`, without myst-nb.

    Returns what the test needs to know; never raises for a failing cell.
    """
    environment = make_environment(requirements)
    where = (
        f"{path.relative_to(ROOT)} in {environment['name']} "
        f"({environment['note']}, TensorFlow {environment['tensorflow']}, "
        f"Keras {environment['keras']})"
    )
    blocker = folder / "blocker"
    blocker.mkdir(parents=True)
    (blocker / "myst_nb.py").write_text(BLOCKER)
    env = os.environ | {"PYTHONPATH": str(blocker)}
    env.pop(STRICT, None)  # as for a reader: a failed check() prints a note
    work = folder / "alone"
    work.mkdir()
    shutil.copy(path, work / path.name)
    nb = nbformat.read(work / path.name, as_version=4)
    with GATE.slot():  # the venv above is built outside the gate
        start = time.perf_counter()
        try:
            execute(nb, work, python=environment["python"], env=env)
            error = None
        except CellExecutionError as failure:
            error = str(failure)
        seconds = time.perf_counter() - start
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
    return {
        "environment": environment,
        "where": where,
        "error": error,
        "seconds": seconds,
        "printed": "".join(o.get("text", "") for o in first_code.outputs),
        "notes": [
            line
            for cell in nb.cells
            for output in cell.get("outputs", [])
            for line in output.get("text", "").splitlines()
            if line.startswith("Note: on your versions")
        ],
        "left": sorted(p.name for p in work.iterdir() if p.name != path.name),
    }


# Background workers for the runs in Colab's images: one per core, or
# BOOK_COLAB_WORKERS (e.g. 1 to time each chapter with less contention).
COLAB_WORKERS = int(
    os.environ.get("BOOK_COLAB_WORKERS", 0) or os.cpu_count() or 1
)


class ColabGate:
    """How many chapters may execute in Colab's images at once: one fewer
    than the workers (at least one) while the pinned environment's nbval
    tests are still to finish, then every worker. Each pinned test calls
    `pinned_done()` when its chapter has run, passed or not."""

    def __init__(self, workers):
        self._condition = threading.Condition()
        self._running = 0
        self._pinned_left = 0
        self._workers = self._limit = workers

    def expect_pinned(self, count):
        with self._condition:
            self._pinned_left = count
            self._limit = max(1, self._workers - 1) if count else self._workers

    def pinned_done(self):
        with self._condition:
            self._pinned_left -= 1
            if self._pinned_left <= 0:
                self._limit = self._workers
                self._condition.notify_all()

    @contextmanager
    def slot(self):
        with self._condition:
            self._condition.wait_for(lambda: self._running < self._limit)
            self._running += 1
        try:
            yield
        finally:
            with self._condition:
                self._running -= 1
                self._condition.notify_all()


GATE = ColabGate(COLAB_WORKERS)


@pytest.fixture(scope="session")
def colab_runs(request, tmp_path_factory):
    """Every selected (image, chapter) run, started in COLAB_WORKERS
    background workers when the test session starts, so that these
    executions overlap with the pinned environment's and with the site
    tests; `GATE` holds one of them back while nbval runs. They are queued
    chapter by chapter (each chapter in each image, then the next), so that
    the workers finish close together. Each test below waits for its own
    run."""
    params = [
        item.callspec.params
        for item in request.session.items
        if getattr(item, "originalname", "") == COLAB_TEST
    ]
    wanted = sorted(
        ((p["path"], p["requirements"]) for p in params),
        key=lambda pair: (pair[0].name, pair[1].name),
    )
    GATE.expect_pinned(
        sum(
            getattr(item, "originalname", "") == PINNED_TEST
            for item in request.session.items
        )
    )
    pool = ThreadPoolExecutor(max_workers=COLAB_WORKERS)
    runs = {
        (requirements, path): pool.submit(
            run_in_environment,
            requirements,
            path,
            tmp_path_factory.mktemp(f"{requirements.stem}-{path.stem}"),
        )
        for path, requirements in wanted
    }
    yield runs
    pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="session", autouse=True)
def start_colab_runs_early(request):
    """Start the background worker with the first test of the session."""
    if any(
        getattr(item, "originalname", "") == COLAB_TEST
        for item in request.session.items
    ):
        request.getfixturevalue("colab_runs")


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
@pytest.mark.parametrize(
    "requirements", environment_files(), ids=lambda path: path.stem
)
def test_chapter_runs_alone_in_colab_image(colab_runs, requirements, path):
    run = colab_runs[requirements, path].result()
    environment, where = run["environment"], run["where"]
    ENVIRONMENT_NOTES[environment["name"]] = (
        f"{environment['note']}, TensorFlow {environment['tensorflow']}, "
        f"Keras {environment['keras']} (tests/environments/"
        f"{requirements.name})"
    )
    record_time(environment["name"], path, run["seconds"])
    print(f"ran {where}")
    for note in run["notes"]:  # results that differ from the book's
        CHECK_NOTES.setdefault(environment["name"], []).append(
            (path.name, note)
        )
    assert run["error"] is None, (
        f"{where} fails when run alone without myst-nb:\n{run['error']}"
    )
    assert f"Keras {environment['keras']}" in run["printed"], (
        f"{where}: the first code cell must print the versions it runs "
        f"with; it printed {run['printed']!r}"
    )
    assert not run["left"], (
        f"{where} left files in its folder: {run['left']}; write them "
        "under a temporary directory and remove them"
    )


def test_colab_gate_holds_one_run_back_until_nbval_is_done():
    """The harness itself: with two workers and pinned chapters still to
    run, a second Colab run waits; the last pinned chapter lets it go."""
    gate = ColabGate(2)
    gate.expect_pinned(2)
    entered = threading.Event()

    def second_run():
        with gate.slot():
            entered.set()

    with gate.slot():  # the first run
        waiting = threading.Thread(target=second_run)
        waiting.start()
        assert not entered.wait(0.3), "two runs beside nbval"
        gate.pinned_done()
        assert not entered.wait(0.3), "let go before the last pinned chapter"
        gate.pinned_done()
        assert entered.wait(5), "still held after nbval was done"
    waiting.join()
    alone = ColabGate(2)
    alone.expect_pinned(0)  # no pinned test selected: every worker at once
    with alone.slot(), alone.slot():
        pass
