"""Benchmark the whole book on this machine and print a table.

    python tests/benchmark_book.py            # about 40 minutes on 2 cores

Measures, in a fresh copy of the committed files (so nothing in your
working tree or build folder is touched or reused):

1. the cold build: `jupyter-book build` with an empty execution cache, every
   chapter executed, with each chapter's execution time;
2. the warm rebuild: the same command again, nothing changed;
3. the test command's wall time (`python -m pytest`; the main install
   excluded, the venvs of Colab's images built inside it as on a fresh
   clone), and its table of seconds per chapter in each environment;
4. the peak memory (resident set size) of each chapter's kernel during the
   cold build, sampled every 0.2 s;
5. the case study's per-epoch ratio against the tutorial's way
   (tests/benchmark_case_study.py).

Not part of the test command: timings depend on the machine and its load.
Run it on an otherwise idle machine. Targets on the reference machine
(2 cores): cold build under 12 min, warm rebuild under 60 s, peak memory
under 4 GB, the test command under 40 min (every chapter executed once in
each of three environments: the pinned one and two Colab images).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
TARGETS = {
    "cold": 12 * 60,
    "warm": 60,
    "memory": 4 * 1024**3,
    "tests": 40 * 60,
}


def copy_committed_files(destination: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def timed(command, cwd) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{log[-4000:]}")
    return seconds, log


class KernelMemory(threading.Thread):
    """Samples the memory of every Jupyter kernel started under a process."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.done = psutil.Process(pid), threading.Event()
        self.peaks: dict[tuple[int, float], int] = {}  # (pid, start) -> bytes

    def run(self):
        while not self.done.is_set():
            try:
                children = self.root.children(recursive=True)
            except psutil.Error:
                return
            for child in children:
                try:
                    if "ipykernel" not in " ".join(child.cmdline()):
                        continue
                    key = (child.pid, child.create_time())
                    rss = child.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[key] = max(self.peaks.get(key, 0), rss)
            time.sleep(0.2)

    def in_start_order(self) -> list[int]:
        return [
            self.peaks[key] for key in sorted(self.peaks, key=lambda k: k[1])
        ]


def cold_build(command, cwd) -> tuple[float, dict[str, int]]:
    """Time a build and return each executed document's kernel peak memory."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    sampler = KernelMemory(process.pid)
    sampler.start()
    log, _ = process.communicate()
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"the cold build failed:\n{log[-4000:]}")
    # myst-nb executes documents one at a time, logging each as it starts
    executed = re.findall(r"([^/\s]+\.(?:ipynb|md)): Executing notebook", log)
    peaks = sampler.in_start_order()
    return seconds, dict(zip(executed, peaks))


def chapter_times(book: Path) -> dict[str, float]:
    """Execution seconds per document, from the build's execution cache."""
    from jupyter_cache import get_cache

    cache = get_cache(str(book / "_build" / ".jupyter_cache"))
    times = {}
    for record in cache.list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        if seconds is not None:
            times[Path(record.uri).name] = seconds
    return times


def human_bytes(n: int) -> str:
    return f"{n / 1024**3:.2f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tests", action="store_true",
                        help="do not time the test command")  # fmt: skip
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book-copy"
        copy_committed_files(book)
        build = [JUPYTER_BOOK, "build", ".", "-W", "-n", "--keep-going"]

        cold, memory = cold_build(build, book)
        rows.append(("cold build (every chapter executed)", cold,
                     TARGETS["cold"]))  # fmt: skip
        per_chapter = chapter_times(book)
        warm, _ = timed(build, book)
        rows.append(("warm rebuild (nothing changed)", warm, TARGETS["warm"]))

        if not args.skip_tests:
            start = time.perf_counter()
            result = subprocess.run(
                [PYTHON, "-m", "pytest", "-q"], cwd=book,
                capture_output=True, text=True,
            )  # fmt: skip
            tests = time.perf_counter() - start
            summary = re.findall(r"^=+ (.*) in [\d.]+s", result.stdout, re.M)
            outcome = summary[-1] if summary else f"exit {result.returncode}"
            rows.append((f"test command ({outcome})", tests, TARGETS["tests"]))
            per_environment = re.search(
                r"=+ chapters executed, seconds per environment =+\n"
                r"(.*?)\n(?:=|$)",
                result.stdout,
                re.S,
            )

    print("\n## Whole book\n")
    print("| measure | seconds | target | met |\n|---|---:|---:|---|")
    for name, seconds, target in rows:
        met = "" if target is None else ("yes" if seconds < target else "NO")
        shown = "" if target is None else f"< {target}"
        print(f"| {name} | {seconds:.1f} | {shown} | {met} |")

    if not args.skip_tests:
        print("\n## Each chapter in each environment (test command)\n")
        print(per_environment.group(1) if per_environment else "(not found)")

    print("\n## Each chapter\n")
    print("| document | execution s (cold build) | peak memory |")
    print("|---|---:|---:|")
    for name in sorted(set(per_chapter) | set(memory)):
        seconds = per_chapter.get(name)
        shown = f"{seconds:.1f}" if seconds is not None else ""
        mem = human_bytes(memory[name]) if name in memory else ""
        print(f"| {name} | {shown} | {mem} |")
    heaviest = max(memory, key=memory.get)
    met = "yes" if memory[heaviest] < TARGETS["memory"] else "NO"
    print(f"\nheaviest chapter: {heaviest}, {human_bytes(memory[heaviest])} "
          f"(target < 4 GB: {met})")  # fmt: skip

    print("\n## Case study, per epoch\n", flush=True)
    ratio = subprocess.run(
        [PYTHON, str(ROOT / "tests" / "benchmark_case_study.py"),
         "--epochs", "500", "--repeats", "2"],
        capture_output=True, text=True,
    )  # fmt: skip
    print(ratio.stdout + ratio.stderr[-2000:])


if __name__ == "__main__":
    main()
