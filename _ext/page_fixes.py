"""Sphinx extension: small fixes to the HTML that docutils and the theme write, found by axe-core.

- The references page: docutils writes the bibliography as a ``role="list"``
  whose entries have ``role="doc-biblioentry"``, so the list has no list items
  (axe-core: aria-required-children, critical). Each entry becomes a
  ``role="listitem"``.
- Folded cells (MyST-NB's ``hide-input``, the book's proof layer): the
  ``<summary>`` is labelled "Toggle hidden content" while it shows "Show the
  code" (axe-core: label-content-name-mismatch, serious). The label goes, so
  its name is the text it shows.
"""

from __future__ import annotations

from sphinx.application import Sphinx


FIXES = [
    ('role="doc-biblioentry"', 'role="listitem"'),
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
]


def fix_body(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body")
    if not body:
        return
    for old, new in FIXES:
        body = body.replace(old, new)
    context["body"] = body


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", fix_body)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
