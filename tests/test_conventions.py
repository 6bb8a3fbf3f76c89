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

# Chapters whose text relies on a result of their runs define this after
# the glue fallback: under the book's tests (EARLY_STOPPING_BOOK_STRICT, set
# by tests/notebooks.py's users) a failed check is an error; a reader whose
# versions give another result reads a note and the chapter carries on.
CHECK = '''\
def check(condition, message):
    """A result the text relies on: an error in the book's own tests, a
    note for a reader whose versions give another result."""
    if not condition:
        if os.environ.get("EARLY_STOPPING_BOOK_STRICT"):
            raise AssertionError(message)
        print(f"Note: on your versions, {message}")
'''

# Chapters that plot: one style for the whole book (the reader-page issue).
PLOT_IMPORT = (
    "from matplotlib_inline.backend_inline import set_matplotlib_formats\n"
)
PLOT_STYLE = """\
# One plotting style for the whole book: sized for the page column, fonts
# readable on a phone, sharp on high-density screens (PNG at twice the size)
set_matplotlib_formats("retina")
plt.rcParams.update(
    {
        "figure.figsize": (6, 3.75),
        "figure.dpi": 96,
        "figure.facecolor": "white",
        "font.size": 11,
        "legend.fontsize": 10,
        "axes.titlesize": 11,
        "figure.titlesize": 12,
    }
)
"""
# Sizes below the style's 10 pt, or a style set again outside the setup
SMALL_FONT = re.compile(
    r"fontsize\s*=\s*(?:[1-9](?:\.\d+)?\b|\"(?:small|x-small|xx-small)\")"
)
RESTYLE = re.compile(r"rcParams|plt\.style|set_matplotlib_formats")

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


# A list of result rows shown as a table (a Markdown table, rendered by
# myst-nb on the site and by Jupyter in a notebook).
TABLE = '''\
def table(rows):
    """Rows (dicts with the same keys) as a Markdown table."""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(row[c]) for c in columns) + " |")
    return Markdown("\\n".join(lines))
'''

# Helpers that replay EarlyStopping on recorded curves and compare runs:
# every chapter's copy must compute what these compute (docstrings aside).
# A copy with other parameters is another function (the recipe's replay
# adds min_delta and start_from_epoch) and is not held to this one.
REPLAY = """\
def replay_early_stopping(val_losses, patience):
    best, best_epoch, wait = None, 0, 0
    for epoch, current in enumerate(val_losses):
        wait += 1
        if best is None or current < best:  # a strict improvement
            best, best_epoch, wait = current, epoch, 0
            continue  # an improving epoch never stops training
        if wait >= patience and epoch > 0:
            return epoch, best_epoch
    return 0, best_epoch
"""
INTERVAL = """\
def interval(differences):
    means = np.asarray(differences)[RESAMPLES].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(np.mean(differences)), float(low), float(high)
"""
HOLM = """\
def holm(p_values):
    p_values = np.asarray(p_values, dtype=float)
    order = np.argsort(p_values)
    factors = len(p_values) - np.arange(len(p_values))  # m, m - 1, ..., 1
    adjusted = np.maximum.accumulate(factors * p_values[order])
    result = np.empty_like(p_values)
    result[order] = np.minimum(adjusted, 1.0)
    return result
"""
HELPERS = {"REPLAY": REPLAY, "INTERVAL": INTERVAL, "HOLM": HOLM}


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


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_plots_use_the_one_style(path):
    code = code_of(path)
    if not any("matplotlib" in source for source in code):
        return
    setup = code[0] + "\n"
    for name, text in [
        ("PLOT_IMPORT", PLOT_IMPORT),
        ("PLOT_STYLE", PLOT_STYLE),
    ]:
        assert text in setup, (
            f"the setup cell of {path.relative_to(ROOT)} lacks {name} of "
            f"tests/test_conventions.py:\n{text}"
        )
    for index, source in enumerate(code[1:], 1):
        for pattern, what in [
            (SMALL_FONT, "a font below 10 pt"),
            (RESTYLE, "a plotting style of its own"),
        ]:
            found = pattern.search(source)
            assert not found, (
                f"{path.relative_to(ROOT)}, code cell {index}: {what} "
                f"({found.group(0)}); the setup cell sets the book's style"
            )


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_checks_use_the_canonical_check(path):
    code = code_of(path)
    calls = [i for i, source in enumerate(code) if "check(" in source]
    if not calls:
        return
    assert CHECK in code[0] + "\n", (
        f"{path.relative_to(ROOT)} calls check() in code cells {calls}; its "
        f"setup cell must define CHECK of tests/test_conventions.py:\n{CHECK}"
    )
    others = [i for i, s in enumerate(code[1:], 1) if "def check(" in s]
    assert not others, (
        f"{path.relative_to(ROOT)} defines check() again in cells {others}"
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


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_table_helper_is_the_canonical_one(path):
    canonical = ast.parse(TABLE).body[0]
    for text, node in copies(path, '"|---" * len('):
        assert shape(node, "f") == shape(canonical, "f"), (
            f"{path.relative_to(ROOT)}: {node.name} differs from "
            f"TABLE in tests/test_conventions.py:\n{text}"
        )


def test_the_copies_are_found():
    """The tests above check something: the copies exist where expected."""
    with_model = [p.stem for p in chapters() if copies(p, "Dense(500")]
    with_pipeline = [p.stem for p in chapters() if copies(p, ".cache()")]
    assert len(with_model) >= 5, with_model
    assert len(with_pipeline) >= 4, with_pipeline
    with_table = [p.stem for p in chapters() if copies(p, '"|---" * len(')]
    assert len(with_table) >= 3, with_table


def without_docstring(node):
    """The function's AST, renamed, with its docstring dropped."""
    node = ast.parse(ast.unparse(node)).body[0]
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
    ):
        node.body = body[1:]
    node.name = "f"
    return ast.dump(node)


def helper_copies(path, canonical):
    """The chapter's functions with the canonical's name and parameters."""
    wanted = ast.parse(canonical).body[0]
    return [
        (text, node)
        for text, node in functions(path)
        if node.name == wanted.name
        and ast.dump(node.args) == ast.dump(wanted.args)
    ]


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.name)
def test_replay_and_statistics_helpers_are_canonical(path):
    for name, text in HELPERS.items():
        canonical = without_docstring(ast.parse(text).body[0])
        for copy, node in helper_copies(path, text):
            assert without_docstring(node) == canonical, (
                f"{path.relative_to(ROOT)}: {node.name} differs from {name} "
                f"in tests/test_conventions.py:\n{copy}"
            )


def test_the_helper_copies_are_found():
    """The test above checks something: the copies exist where expected."""
    for name, text, at_least in [
        ("REPLAY", REPLAY, 4),
        ("INTERVAL", INTERVAL, 3),
        ("HOLM", HOLM, 2),
    ]:
        found = [p.stem for p in chapters() if helper_copies(p, text)]
        assert len(found) >= at_least, (name, found)
