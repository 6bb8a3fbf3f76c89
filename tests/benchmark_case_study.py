"""Benchmark: the case study's `fit`, the tutorial's way against the book's.

    python tests/benchmark_case_study.py [--epochs 1000] [--repeats 3]

It runs chapter 6's own cells tagged `benchmark` (setup, data, model, input
pipeline, and the two ways: `seed_way` feeds NumPy arrays as the tutorial
does, `our_way` the cached, repeated `tf.data` pipelines), so it measures
exactly the code the chapter teaches. Same model, data, seed and epoch count;
prints the per-epoch time of each (best of `--repeats`), the ratio, and
checks that both give the same curves.
Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time
from pathlib import Path

import nbformat
import numpy as np

CHAPTER = (
    Path(__file__).resolve().parent.parent / "book" / "06_case_study.ipynb"
)
TAG = "benchmark"


def chapter_namespace():
    """Run the chapter's tagged cells; return what they define."""
    nb = nbformat.read(CHAPTER, as_version=4)
    cells = [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])
    ]
    if not cells:
        raise SystemExit(f"no cell of {CHAPTER.name} is tagged {TAG!r}")
    namespace = {}
    os.chdir(CHAPTER.parent)
    with contextlib.redirect_stdout(io.StringIO()):
        for source in cells:
            exec(compile(source, CHAPTER.name, "exec"), namespace)
    for name in ("seed_way", "our_way"):
        if name not in namespace:
            raise SystemExit(f"{CHAPTER.name}'s tagged cells define no {name}")
    return namespace


def best_time(way, epochs, repeats):
    times, history = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        history = way(epochs)
        times.append(time.perf_counter() - start)
    return min(times), history


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    chapter = chapter_namespace()  # also warms TensorFlow up
    tutorial_seconds, tutorial = best_time(
        chapter["seed_way"], args.epochs, args.repeats
    )
    book_seconds, book = best_time(
        chapter["our_way"], args.epochs, args.repeats
    )

    print(f"chapter 6's cells tagged {TAG!r}")
    print(f"epochs per run: {args.epochs}, best of {args.repeats} runs")
    print(f"{'way':<24}{'total s':>10}{'ms/epoch':>10}")
    for name, seconds in [
        ("tutorial (NumPy arrays)", tutorial_seconds),
        ("book (tf.data, cached)", book_seconds),
    ]:
        per_epoch = seconds / args.epochs * 1000
        print(f"{name:<24}{seconds:>10.2f}{per_epoch:>10.2f}")
    print(
        f"ratio: the book's way is {tutorial_seconds / book_seconds:.1f}x "
        "faster per epoch"
    )

    worst = max(
        float(
            np.max(np.abs(np.subtract(tutorial.history[k], book.history[k])))
        )
        for k in ["loss", "accuracy", "val_loss", "val_accuracy"]
    )
    print(f"largest difference in any logged value: {worst:.1e}")
    # The tutorial's way shuffles the 30 rows of its one batch every epoch,
    # which changes the order of float32 sums; the curves agree to the 4
    # decimals Keras prints, not to the last bit.
    if worst >= 5e-5:
        raise SystemExit("the two ways do not give the same curves")
    print("same curves to 4 decimals")


if __name__ == "__main__":
    main()
