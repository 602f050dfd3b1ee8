"""Sphinx extension: the built book is self-contained and asks no other host.

Jupyter Book 1 loads MathJax, RequireJS and the ipywidgets HTML manager from
public CDNs by default, and its thebe integration declares a script that points
at one. This extension:

1. refuses to build when the local copies in ``_vendor/`` are missing (they
   come from ``tools/vendor_assets.py``, run by ``make book``);
2. removes sphinx-thebe's per-build script injection: this book runs no
   remote kernels, and the injection is what declares ``const THEBE_JS_URL``
   twice on a page (a JavaScript error in every page's console);
3. warns, for every page, about any script or stylesheet that still points at
   another host, so ``-W`` turns such a regression into a failed build.

The configuration itself (``mathjax_path``, ``nb_ipywidgets_js``,
``html_static_path``) lives in ``_config.yml``; the small script that points the
widget manager at ``_static/`` is ``_ext/static/pgbook-widgets-config.js``.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

REQUIRED = [
    "mathjax/es5/tex-mml-chtml.js",
    "mathjax/es5/node-main.js",  # run by node to typeset the maths at build time (static_math.py)
    "requirejs/require.js",
    "@jupyter-widgets/html-manager/dist/embed-amd.js",
]


def check_vendor(app: Sphinx) -> None:
    vendor = Path(app.confdir) / "_vendor"
    missing = [p for p in REQUIRED if not (vendor / p).exists()]
    if missing:
        raise ConfigError(
            f"offline assets missing from {vendor}: {', '.join(missing)}. "
            "Run `make book` (or `python tools/vendor_assets.py`) to fetch them."
        )


def drop_thebe(app: Sphinx) -> None:
    """Disconnect sphinx-thebe's ``init_thebe_core``, which injects its CDN config script."""
    for listener in list(app.events.listeners.get("env-before-read-docs", [])):
        handler = listener.handler
        if handler.__module__ == "sphinx_thebe" and handler.__name__ == "init_thebe_core":
            app.disconnect(listener.id)


def static_changed(app: Sphinx, env, added, changed, removed) -> list[str]:
    """The root page, to be rebuilt when a file of ``_ext/static`` differs from its built copy.

    Sphinx copies the static files only when it writes some page: with no page
    out of date it stops early ("no targets are out of date"), and an edited
    script in ``_ext/static`` would never reach the built book.
    """
    source = Path(app.confdir) / "_ext" / "static"
    built = Path(app.outdir) / "_static"
    for path in source.rglob("*"):
        if path.is_file():
            copy = built / path.relative_to(source)
            if not copy.is_file() or copy.read_bytes() != path.read_bytes():
                return [app.config.root_doc]
    return []


def _is_external(uri: str | None) -> bool:
    return bool(uri) and (uri.startswith("//") or "://" in uri)


def check_page_assets(app: Sphinx, pagename: str, templatename, context: dict, doctree) -> None:
    for kind in ("script_files", "css_files"):
        for asset in context.get(kind, []):
            uri = getattr(asset, "filename", asset)
            if _is_external(uri):
                logger.warning(
                    "page %s loads %s from another host: %s", pagename, kind[:-6], uri,
                    type="pgbook", subtype="offline",
                )


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", check_vendor)
    app.connect("env-get-outdated", static_changed)
    drop_thebe(app)
    # after myst-nb has added its per-page widget scripts (priority 500)
    app.connect("html-page-context", check_page_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
