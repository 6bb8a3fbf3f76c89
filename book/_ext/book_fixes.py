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
"""

import posixpath
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
    context["script_files"] = unique


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


def setup(app):
    # runs first: html-page-context stops at the first handler that returns
    app.connect("html-page-context", drop_duplicate_scripts, priority=100)
    app.add_post_transform(TitlesInExecutionTable)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect(
        "html-page-context", colab_opens_reader_notebooks, priority=900
    )
    app.connect("build-finished", build_reader_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
