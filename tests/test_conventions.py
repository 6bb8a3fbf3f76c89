"""Copies that must not drift: each chapter runs alone, so the setup cell and
a few helpers are copied into every chapter that needs them. These tests hold
the one canonical text of each, and fail naming the chapter whose copy
differs. To change one, change it here and in every chapter, then regenerate.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from notebooks import ROOT, chapters

SETUP_HEAD = """\
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # hide TensorFlow's C++ info lines
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # same floating-point path
"""

GLUE_FALLBACK = """\
try:
    from myst_nb import glue
except ImportError:  # Colab: no myst-nb, so show the value instead

    def glue(name, value, display=True):
        if display:
            print(f"{name} = {value}")
"""

SETUP_TAIL = """\
SEED = 1
keras.utils.set_random_seed(SEED)  # Python, NumPy and TensorFlow seeds
tf.config.experimental.enable_op_determinism()
tf.get_logger().setLevel("ERROR")  # no notices about tf.function retracing
print(
    f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
    f"scikit-learn {sklearn.__version__}"
)
"""

# The case study's network (chapter 6), seeded the one way.
CASE_STUDY_MODEL = '''\
def build_model(seed=SEED):
    """The case study's network (chapter 6)."""
    keras.utils.set_random_seed(seed)
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
'''

# The appendix builds it without reseeding, to show what seeds do.
UNSEEDED = {"appendix_reproducibility"}
UNSEEDED_MODEL = CASE_STUDY_MODEL.replace("seed=SEED", "").replace(
    "    keras.utils.set_random_seed(seed)\n", ""
)

# The input pipeline that makes an epoch cheap (chapter 6).
PIPELINE = '''\
def pipeline(features, targets):
    """Batches built once and cached, repeated without end (pass steps)."""
    return (
        tf.data.Dataset.from_tensor_slices((features, targets))
        .batch(BATCH_SIZE)
        .cache()
        .repeat()
    )
'''


INLINE_PIPELINE = re.compile(
    r"\.batch\(BATCH_SIZE\)\s*\.cache\(\)\s*\.repeat\(\)"
)


def code_of(path):
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def functions(path):
    """Each top-level function of the chapter: (its text, its AST dump)."""
    found = []
    for source in code_of(path):
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found.append((ast.get_source_segment(source, node), node))
    return found


def shape(node, name):
    """The function's AST with its name replaced, for comparison."""
    node = ast.parse(ast.unparse(node)).body[0]
    node.name = name
    return ast.dump(node)


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_setup_cell_is_the_canonical_one(path):
    setup = code_of(path)[0]
    for name, text in [
        ("SETUP_HEAD", SETUP_HEAD),
        ("GLUE_FALLBACK", GLUE_FALLBACK),
        ("SETUP_TAIL", SETUP_TAIL),
    ]:
        assert text in setup + "\n", (
            f"the first code cell of {path.relative_to(ROOT)} differs from "
            f"{name} in tests/test_conventions.py:\n{text}"
        )


def copies(path, marker):
    return [(text, node) for text, node in functions(path) if marker in text]


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_case_study_model_is_the_canonical_one(path):
    name = "UNSEEDED_MODEL" if path.stem in UNSEEDED else "CASE_STUDY_MODEL"
    canonical = ast.parse(globals()[name]).body[0]
    for text, node in copies(path, "Dense(500"):
        assert shape(node, "f") == shape(canonical, "f"), (
            f"{path.relative_to(ROOT)}: {node.name} differs from "
            f"{name} in tests/test_conventions.py:\n{text}"
        )


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_cached_pipeline_is_the_canonical_one(path):
    canonical = ast.parse(PIPELINE).body[0]
    for text, node in copies(path, ".cache()"):
        if ".repeat()" in text and "shuffle" not in text:
            assert shape(node, "f") == shape(canonical, "f"), (
                f"{path.relative_to(ROOT)}: {node.name} differs from "
                f"PIPELINE in tests/test_conventions.py:\n{text}"
            )
    inline = [
        source
        for source in code_of(path)
        if INLINE_PIPELINE.search(source) and "def pipeline" not in source
    ]
    assert not inline, (
        f"{path.relative_to(ROOT)} builds a cached, repeated pipeline inline; "
        "use the canonical `pipeline` (tests/test_conventions.py):\n"
        + inline[0]
    )


def test_the_copies_are_found():
    """The tests above check something: the copies exist where expected."""
    with_model = [p.stem for p in chapters() if copies(p, "Dense(500")]
    with_pipeline = [p.stem for p in chapters() if copies(p, ".cache()")]
    assert len(with_model) >= 5, with_model
    assert len(with_pipeline) >= 4, with_pipeline
