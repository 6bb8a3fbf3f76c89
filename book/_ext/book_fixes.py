"""Small fixes to the stock jupyter-book 1.x site, loaded from _config.yml.

sphinx-thebe 0.3 and sphinx-togglebutton register inline scripts that reach
every page twice under Sphinx 7.4 (once with filename None, once with "").
The second copy of sphinx-thebe's fails in the browser with "Identifier
'THEBE_JS_URL' has already been declared". We drop exact duplicates of any
script before a page is written.

myst-nb's execution table (the status page) names each chapter by its file
name (book/01_callbacks); we let Sphinx write the chapter's title instead.

Readers of Colab and of the download button get the reader notebooks
(reader_notebooks.py), built when the HTML build finishes: the download
button's copy is replaced by the reader notebook, and the Colab button opens
the published reader notebooks on the `notebooks` branch, where the Pages
workflow puts them. Both follow from `repository.url` alone.

Formulas are typeset by MathJax 3 served from the site itself, so a page
needs no network (and the browser tests stay offline): `mathjax_path` in
_config.yml names _static/mathjax/tex-chtml.js, and when the HTML build
finishes we copy MathJax from the pinned sphinx-mathjax-offline wheel (see
requirements.txt) into _static/mathjax/: tex-chtml.js and what it loads on
demand (fonts, TeX extensions, the menu's accessibility and SVG options).
"""

import posixpath
import shutil
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from sphinx.addnodes import pending_xref
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _script_key(script):
    # an inline script is registered once with filename None, once with ""
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (
        str(filename),
        tuple(sorted((k, str(v)) for k, v in attributes.items())),
    )


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # in place: this list is the builder's, to which handlers that run
    # later (sphinx.ext.mathjax, on pages with formulas) add their scripts
    scripts[:] = unique


class TitlesInExecutionTable(SphinxPostTransform):
    """Runs after myst-nb's ExecutionStatsPostTransform (same priority,
    later by name) and before references are resolved."""

    default_priority = 8

    def run(self, **kwargs):
        here = posixpath.dirname(self.env.docname)
        for node in self.document.findall(pending_xref):
            target = posixpath.normpath(
                posixpath.join(here, node.get("reftarget", ""))
            )
            if (
                node.get("reftype") == "doc"
                and node.get("refexplicit")
                and node.astext() == target
            ):
                node["refexplicit"] = False  # the title, not the file name


READER_BRANCH = "notebooks"


def colab_opens_reader_notebooks(
    app, pagename, templatename, context, doctree
):
    """Point the Colab button at the reader notebook's branch."""
    theme = app.config.html_theme_options
    colab = theme.get("launch_buttons", {}).get("colab_url", "").strip("/")
    branch = theme.get("repository_branch") or "master"

    def walk(buttons):
        for button in buttons:
            walk(button.get("buttons", []))
            url = button.get("url", "")
            if colab and url.startswith(colab):
                button["url"] = url.replace(
                    f"/blob/{branch}/", f"/blob/{READER_BRANCH}/", 1
                )

    walk(context.get("header_buttons", []))


def build_reader_notebooks(app, exception):
    if exception is not None or app.builder.name != "html":
        return
    import reader_notebooks

    pages = sorted(app.env.found_docs)
    root = Path(app.srcdir)
    written = reader_notebooks.build(root, Path(app.outdir), pages)
    logger.info(f"reader notebooks: {len(written)} in _build/reader")


# tex-chtml.js, and what it can load at run time (relative to its folder)
MATHJAX_FILES = [
    "tex-chtml.js",
    "output/chtml/fonts/woff-v2",  # the fonts, named by its CSS
    "input/tex/extensions",  # \color, \cancel, ... (autoload)
    "ui",  # the right-click menu, lazy typesetting
    "a11y",  # assistive MathML (on by default), the menu's explorer
    "sre",  # the speech rule engine's maps, for the explorer
    "input/mml.js",  # the explorer reads the MathML it makes
    "output/svg.js",  # the menu's "Math Renderer: SVG"
    "output/svg/fonts",
]


def mathjax_folder():
    """MathJax's folder inside the sphinx-mathjax-offline wheel."""
    try:
        files = distribution("sphinx-mathjax-offline").files or []
    except PackageNotFoundError:
        files = []
    for file in files:
        if file.as_posix().endswith("static/mathjax/tex-chtml.js"):
            return Path(file.locate()).parent
    raise RuntimeError(
        "MathJax not found: the site serves it from the sphinx-mathjax-"
        "offline wheel; pip install -r requirements.txt"
    )


def check_mathjax(app):
    if app.builder.name == "html":
        mathjax_folder()  # a missing wheel fails before the build, not after


def copy_mathjax(app, exception):
    if exception is not None or app.builder.name != "html":
        return
    source = mathjax_folder()
    target = Path(app.outdir) / "_static" / "mathjax"
    for name in MATHJAX_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        else:
            shutil.copy2(source / name, target / name)
    logger.info(f"MathJax copied to {target}")


def setup(app):
    # runs first: html-page-context stops at the first handler that returns
    app.connect("html-page-context", drop_duplicate_scripts, priority=100)
    app.add_post_transform(TitlesInExecutionTable)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect(
        "html-page-context", colab_opens_reader_notebooks, priority=900
    )
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", build_reader_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
