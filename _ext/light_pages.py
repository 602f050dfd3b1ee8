"""Sphinx extension: a page asks only for what it uses, and nothing holds up its text.

Found with Lighthouse's mobile profile on the chapters (``make bench``):

- ``fontawesome.js`` (530 KB): the theme draws its icons twice over, with the
  Font Awesome web font in its CSS and with this script, which swaps every
  icon for an SVG and then watches the whole page for changes. The CSS alone
  draws the same icons, so the script goes.
- ``searchtools.js``, ``language_data.js`` and ``searchindex.js``: the theme
  loads Sphinx's search on every page for its search-as-you-type, which the
  book leaves off (``search_as_you_type`` is false). The search page, which
  does use them, loads them itself and keeps them.
- Every other script in ``<head>`` is deferred: it runs once the page is
  parsed, in the same order as before, so the text paints first. Only
  ``documentation_options.js`` runs where it stands, because the inline scripts
  after it add fields to ``DOCUMENTATION_OPTIONS``; its dozen lines are
  written into the page, so the text does not wait for a request either.

- A figure (an ``<img>`` in a cell's output) is fetched when it comes near
  the screen (``loading="lazy"``), not with the page, except the page's first
  figure, which loads with it (``bench_pages.py``: shown within 1.5 s of
  loading, for a reader who scrolls straight to it); each carries its pixel
  size as ``width`` and ``height``, so the column keeps its place for it and
  nothing below it moves when it arrives.

- In highlighted code, a token whose colour is the code's own colour, in the
  light and the dark theme alike (names, punctuation and spaces, with the
  book's Pygments styles), loses its ``<span>``: it looks the same, and the
  chapter with the most code had 3,000 fewer elements to style and lay out.

The pages are edited after they are written, because these tags come from the
theme's templates. Each edit is idempotent, so a page an incremental build left
alone is unchanged.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from sphinx.application import Sphinx

FONTAWESOME = re.compile(r'\s*<script defer src="[^"]*/fontawesome\.js[^"]*"></script>')
SEARCH = re.compile(r'\s*<script src="[^"]*(?:_static/searchtools|_static/language_data|searchindex)\.js"></script>')
SCRIPT = re.compile(r"<script( [^>]*)?\ssrc=\"([^\"]+)\"([^>]*)></script>")
KEEP = ("documentation_options.js",)
OPTIONS = re.compile(r'<script src="([^"?]*documentation_options\.js)(?:\?[^"]*)?"></script>')
FIGURE = re.compile(r"<img (?![^>]*loading=)([^>]*?)\s*/?>")
SOURCE = re.compile(r'src="([^"]+\.png)"')
CODE = re.compile(r'(<div class="highlight"><pre>)(.*?)(</pre>)', re.S)
TOKEN_RULE = re.compile(r'html\[data-theme="(light|dark)"\] \.highlight (?:\.([\w-]+) )?\{ ([^}]*?) ?\}')


def _defer(match: re.Match) -> str:
    tag = match.group(0)
    attrs = (match.group(1) or "") + match.group(3)
    if "defer" in attrs or "async" in attrs or any(name in match.group(2) for name in KEEP):
        return tag
    return tag.replace("<script", "<script defer", 1)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels, from the PNG's header."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"light_pages: {path} is not a PNG")
    return struct.unpack(">II", header[16:24])


def plain_tokens(pygments_css: str) -> set[str]:
    """The Pygments token classes drawn exactly as the code around them, in both colour themes."""
    base, rules = {}, {}
    for theme, token, declarations in TOKEN_RULE.findall(pygments_css):
        colour = re.search(r"(?:^|; )color: (#[0-9A-Fa-f]+)", declarations)
        if not token:
            base[theme] = colour.group(1).lower() if colour else None
        else:
            rules.setdefault(token, {})[theme] = declarations.strip().lower()
    return {token for token, by_theme in rules.items()
            if all(base.get(theme) and by_theme.get(theme) == f"color: {base[theme]}" for theme in ("light", "dark"))}


def unwrap_plain_tokens(page: str, plain: set[str]) -> str:
    """Highlighted code without the ``<span>`` of each token in ``plain``."""
    if not plain:
        return page
    span = re.compile(r'<span class="(?:%s)">([^<]*)</span>' % "|".join(map(re.escape, sorted(plain))))
    return CODE.sub(lambda m: m.group(1) + span.sub(r"\1", m.group(2)) + m.group(3), page)


def lighten(page: str, search_page: bool, folder: Path) -> str:
    """The page with a lighter ``<head>`` and lazy figures; ``folder`` holds the page."""
    end = page.find("</head>")
    if end < 0:
        return page
    head = FONTAWESOME.sub("", page[:end])
    if not search_page:
        head = SEARCH.sub("", head)
    head = SCRIPT.sub(_defer, head)
    head = OPTIONS.sub(lambda m: f"<script>{(folder / m.group(1)).read_text(encoding='utf-8').strip()}</script>", head)

    first = True

    def figure(match: re.Match) -> str:
        nonlocal first
        attrs = match.group(1)
        source = SOURCE.search(attrs)
        if source and not re.search(r"\b(style|width)=", attrs):
            width, height = png_size(folder / source.group(1))
            attrs += f' width="{width}" height="{height}"'
        # the page's first figure loads with the page: a reader who scrolls to it finds it drawn
        loading = "eager" if first and source and "_images/" in source.group(1) else "lazy"
        first = first and loading == "lazy"
        return f'<img {attrs} loading="{loading}" decoding="async" />'

    return head + FIGURE.sub(figure, page[end:])


def lighten_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pygments = out / "_static" / "pygments.css"
    plain = plain_tokens(pygments.read_text(encoding="utf-8")) if pygments.exists() else set()
    for path in out.rglob("*.html"):
        rel = path.relative_to(out)
        if rel.parts[0] in ("_static", "_sources"):
            continue
        page = path.read_text(encoding="utf-8")
        light = unwrap_plain_tokens(lighten(page, search_page=rel.as_posix() == "search.html", folder=path.parent),
                                    plain)
        if light != page:
            path.write_text(light, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    # after the other handlers: the theme writes its light and dark Pygments rules into
    # pygments.css at build-finished, and plain_tokens reads them
    app.connect("build-finished", lighten_pages, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
