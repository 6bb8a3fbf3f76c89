"""Benchmark: the case study's `fit`, the tutorial's way against the book's.

    python tests/benchmark_case_study.py [--epochs 1000] [--repeats 3]

It runs chapter 6's own cells tagged `benchmark` (setup, data, model, input
pipeline, and the two ways: `seed_way` feeds NumPy arrays as the tutorial
does, `our_way` the cached, repeated `tf.data` pipelines), so it measures
exactly the code the chapter teaches. Same model, data, seed and epoch count;
prints the time of an epoch each way as the chapter, the appendix and this
script all measure it, with the chapter's `EpochTimer`: the median epoch
after the first `WARM_UP` (10), which also trace Keras's functions (best of
`--repeats` runs); then the ratio, and checks that both give the same
curves.
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
    for name in ("seed_way", "our_way", "EpochTimer", "steady_ms_per_epoch"):
        if name not in namespace:
            raise SystemExit(f"{CHAPTER.name}'s tagged cells define no {name}")
    return namespace


def best_time(chapter, way, epochs, repeats):
    """Best of `repeats` runs: (steady ms per epoch, total s, history)."""
    runs = []
    for _ in range(repeats):
        timer = chapter["EpochTimer"]()
        start = time.perf_counter()
        history = chapter[way](epochs, [timer])
        seconds = time.perf_counter() - start
        runs.append((chapter["steady_ms_per_epoch"](timer), seconds, history))
    return min(runs, key=lambda run: run[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    chapter = chapter_namespace()  # also warms TensorFlow up
    if args.epochs <= chapter["WARM_UP"]:
        raise SystemExit(f"--epochs must exceed {chapter['WARM_UP']}")
    tutorial_ms, tutorial_seconds, tutorial = best_time(
        chapter, "seed_way", args.epochs, args.repeats
    )
    book_ms, book_seconds, book = best_time(
        chapter, "our_way", args.epochs, args.repeats
    )

    print(f"chapter 6's cells tagged {TAG!r}")
    print(f"epochs per run: {args.epochs}, best of {args.repeats} runs")
    print(
        f"ms/epoch: median epoch after the first {chapter['WARM_UP']}; "
        "total s: the whole run, warm-up included"
    )
    print(f"{'way':<24}{'ms/epoch':>10}{'total s':>10}")
    for name, per_epoch, seconds in [
        ("tutorial (NumPy arrays)", tutorial_ms, tutorial_seconds),
        ("book (tf.data, cached)", book_ms, book_seconds),
    ]:
        print(f"{name:<24}{per_epoch:>10.2f}{seconds:>10.2f}")
    print(
        f"ratio: the book's way is {tutorial_ms / book_ms:.1f}x faster "
        "per epoch"
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
