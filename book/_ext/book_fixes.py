"""Small fixes to the stock jupyter-book 1.x site, loaded from _config.yml.

sphinx-thebe 0.3 and sphinx-togglebutton register inline scripts that reach
every page twice under Sphinx 7.4 (once with filename None, once with "").
The second copy of sphinx-thebe's fails in the browser with "Identifier
'THEBE_JS_URL' has already been declared". We drop exact duplicates of any
script before a page is written.

myst-nb's execution table (the status page) names each chapter by its file
name (book/01_callbacks); we let Sphinx write the chapter's title instead.
"""

import posixpath

from sphinx.addnodes import pending_xref
from sphinx.transforms.post_transforms import SphinxPostTransform


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


def setup(app):
    # runs first: html-page-context stops at the first handler that returns
    app.connect("html-page-context", drop_duplicate_scripts, priority=100)
    app.add_post_transform(TitlesInExecutionTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
