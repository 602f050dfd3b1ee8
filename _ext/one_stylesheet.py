"""Sphinx extension: each page loads one stylesheet, not thirteen.

The theme and the extensions each add a stylesheet to every page's ``<head>``:
thirteen files, fourteen with the one ``theme.css`` imports, and the browser
paints nothing until it has them all. On Lighthouse's mobile profile (slow 4G:
150 ms a round trip, six connections) that was the largest part of the wait
for the first paint that the book could remove (``make bench``).

After the pages are written, this extension joins a page's stylesheets, in
their order, into one file, ``_static/pgbook-styles-<hash>.css``, named by its
content, and links that instead. ``@import``s are inlined where they stand and
relative ``url()``s are rewritten to hold from ``_static/``, so the fonts and
images the styles name still load. The cascade is unchanged: the same rules in
the same order.

The link keeps the list it replaced (``data-pgbook-styles``), and every build
joins each page's list again from the current files, so a page an incremental
build left alone still gets the current styles (a file changed in
``_ext/static`` makes a new bundle, with a new name).
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

STATIC = "_static"
# a stylesheet link the theme or an extension wrote (Sphinx writes its attributes in either order)
LINK = re.compile(r'<link (?=[^>]*rel="stylesheet")[^>]*href="([^"?]+)(?:\?[^"]*)?"[^>]*/>\s*')
BUNDLE = re.compile(r'<link rel="stylesheet" href="[^"]*pgbook-styles-[0-9a-f]+\.css" '
                    r'data-pgbook-styles="([^"]*)" />\s*')
# an @import, or a url() elsewhere
IMPORT_OR_URL = re.compile(r'@import\s+(?:url\()?\s*["\']?(?P<imported>[^"\')\s;]+)["\']?\s*\)?\s*;'
                           r'|url\(\s*(?P<quote>["\']?)(?P<url>[^"\')]+)(?P=quote)\s*\)')
SOURCE_MAP = re.compile(r"/\*#\s*sourceMappingURL=[^*]*\*/")


def is_relative(url: str) -> bool:
    return not re.match(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", url, re.I)


def joined(static: Path, name: str, seen: tuple[str, ...] = ()) -> str:
    """The stylesheet ``name`` (a path under ``static``) with its imports inlined and its
    relative URLs rewritten to hold from ``static``."""
    if name in seen:
        raise ExtensionError(f"one_stylesheet: {name} imports itself (through {' -> '.join(seen)})")
    path = static / name
    if not path.is_file():
        raise ExtensionError(f"one_stylesheet: a page links {STATIC}/{name}, which the build did not write")
    folder = posixpath.dirname(name)
    text = SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))

    def from_static(url: str) -> str:
        return posixpath.normpath(posixpath.join(folder, url)) if is_relative(url) else url

    def imported(match: re.Match) -> str:
        return joined(static, from_static(match.group("imported")), seen + (name,))

    def url_of(match: re.Match) -> str:
        quote, target = match.group("quote"), match.group("url").strip()
        return f"url({quote}{from_static(target)}{quote})"

    # one pass, so the text an import brings in is not rewritten a second time
    text = IMPORT_OR_URL.sub(lambda m: imported(m) if m.group("imported") else url_of(m), text)
    if "@import" in text:  # one with a media query, say: inlined it would apply everywhere
        raise ExtensionError(f"one_stylesheet: {STATIC}/{name} has an @import it cannot inline")
    return text


def bundle(static: Path, names: list[str]) -> str:
    """The file name under ``static`` of the one stylesheet made of ``names``, in order (written once)."""
    parts = [f"/* {name} */\n{joined(static, name)}" for name in names]
    css = "\n".join(parts) + "\n"
    file = f"pgbook-styles-{hashlib.sha256(css.encode()).hexdigest()[:16]}.css"
    target = static / file
    if not target.exists():
        target.write_text(css, encoding="utf-8")
    return file


def one_link(page: str, static: Path, prefix: str) -> str:
    """The page with its stylesheet links (or the bundle an earlier build made) replaced by one link.

    ``prefix`` is the way from the page's folder to the output root ("../" for book/x.html).
    """
    end = page.find("</head>")
    if end < 0:
        return page
    head = page[:end]
    found = BUNDLE.search(head)
    if found:
        names = html.unescape(found.group(1)).split()
        start, stop = found.start(), found.end()
        head = head[:start] + "\x00" + head[stop:]
    else:
        own = f"{prefix}{STATIC}/"
        links = [m for m in LINK.finditer(head) if m.group(1).startswith(own) and "media=" not in m.group(0)]
        if not links:
            return page
        names = [m.group(1)[len(own):] for m in links]
        first = links[0].start()
        for m in reversed(links):
            head = head[:m.start()] + ("\x00" if m.start() == first else "") + head[m.end():]
    file = bundle(static, names)
    link = (f'<link rel="stylesheet" href="{prefix}{STATIC}/{file}" '
            f'data-pgbook-styles="{html.escape(" ".join(names))}" />\n')
    return head.replace("\x00", link, 1) + page[end:]


def one_stylesheet(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    static = out / STATIC
    bundles = set()
    for path in sorted(out.rglob("*.html")):
        rel = path.relative_to(out)
        if rel.parts[0] in (STATIC, "_sources"):
            continue
        page = path.read_text(encoding="utf-8")
        joined_page = one_link(page, static, "../" * (len(rel.parts) - 1))
        bundles.update(re.findall(r"pgbook-styles-[0-9a-f]+\.css", joined_page))
        if joined_page != page:
            path.write_text(joined_page, encoding="utf-8")
    # bundles no page links any more (their styles changed since) go
    for stale in static.glob("pgbook-styles-*.css"):
        if stale.name not in bundles:
            stale.unlink()
    logger.info("one_stylesheet: %d stylesheet(s) for %s", len(bundles), out.name)


def setup(app: Sphinx) -> dict:
    # after the theme writes its light and dark rules into pygments.css (at build-finished)
    app.connect("build-finished", one_stylesheet, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
