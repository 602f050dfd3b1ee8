"""The book's root ``index.html``: a redirect to the first chapter that also names the favicon.

sphinx-external-toc writes a bare ``<meta http-equiv="Refresh">`` line as the
root index.html when none exists. A page with no ``<link rel="icon">`` makes the
browser ask for ``/favicon.ico``, which the book does not have: a 404 in the
console whenever the redirect is slower than that request (about one visit in
six). This extension writes the root page first (sphinx-external-toc leaves an
existing index.html alone): the same redirect, with the favicon, a title, and a
plain link for a browser that does not follow the redirect.

The icon is inlined as a data: URI. A link to ``_static/favicon.svg`` would be
fetched while the redirect navigates away, and that request is aborted.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from sphinx.application import Sphinx

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="data:image/svg+xml,{favicon}">
<meta http-equiv="Refresh" content="0; url={target}">
</head>
<body><p><a href="{target}">{title}</a></p></body>
</html>
"""


def write_root_page(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.name != "html" or app.config.root_doc == "index":
        return
    if not str(app.config.html_favicon or "").endswith(".svg"):
        raise ValueError("html_favicon: the root page inlines the favicon and expects an .svg file, "
                         f"got {app.config.html_favicon!r}")
    svg = (Path(app.confdir) / app.config.html_favicon).read_text(encoding="utf-8")
    page = PAGE.format(title=html.escape(app.config.html_title or app.config.project),
                       favicon=quote(svg), target=f"{app.config.root_doc}.html")
    (Path(app.outdir) / "index.html").write_text(page, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    # before sphinx-external-toc's own build-finished handler (default priority 500)
    app.connect("build-finished", write_root_page, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
