"""Benchmark: the case study's `fit`, the tutorial's way against the book's.

    python tests/benchmark_case_study.py [--epochs 1000] [--repeats 3]

Same model, data, seed and epoch count; the only difference is how the data
reaches `fit`: NumPy arrays (the tutorial, a new input pipeline every epoch
and every validation pass) or cached, repeated `tf.data` pipelines with
explicit steps (chapter 6). Prints the per-epoch time of each (best of
`--repeats`), the ratio, and checks that both give the same curves.
Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

SEED = 1
BATCH_SIZE = 32


def data():
    X, y = make_moons(n_samples=100, noise=0.2, random_state=1)
    return X[:30], y[:30], X[30:], y[30:]


def build_model():
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(500, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"]
    )
    return model


def tutorial_way(epochs):
    train_X, train_y, test_X, test_y = data()
    model = build_model()
    return model.fit(
        train_X,
        train_y,
        validation_data=(test_X, test_y),
        epochs=epochs,
        verbose=0,
    )


def book_way(epochs):
    train_X, train_y, test_X, test_y = data()

    def pipeline(X, y):
        dataset = tf.data.Dataset.from_tensor_slices((X, y))
        return dataset.batch(BATCH_SIZE).cache().repeat()

    model = build_model()
    return model.fit(
        pipeline(train_X, train_y),
        steps_per_epoch=int(np.ceil(len(train_X) / BATCH_SIZE)),
        validation_data=pipeline(test_X, test_y),
        validation_steps=int(np.ceil(len(test_X) / BATCH_SIZE)),
        shuffle=False,
        epochs=epochs,
        verbose=0,
    )


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

    book_way(3)  # warm up TensorFlow once
    tutorial_seconds, tutorial = best_time(
        tutorial_way, args.epochs, args.repeats
    )
    book_seconds, book = best_time(book_way, args.epochs, args.repeats)

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
