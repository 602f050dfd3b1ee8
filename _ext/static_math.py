"""Sphinx extension: the book's maths is typeset once, when the book is built.

Sphinx writes each formula as TeX, ``\\(...\\)`` or ``\\[...\\]`` inside an
element of class ``math``, and MathJax used to typeset it in the reader's
browser, on every visit. On a phone that was the largest single cost of a
chapter: about 3 s of script under Lighthouse's mobile profile, with the first
paragraph repainted only once it was done.

After the build, this extension hands every page's TeX to the same MathJax
(the vendored mathjax 3.2.2, run by node: ``_ext/typeset_math.js``), writes the
SVG it returns in place of the TeX, puts the outlines of the glyphs the page
uses once at the top of its ``<body>`` and MathJax's few CSS rules in its
``<head>``, and removes the MathJax script from the page. Each formula keeps
MathJax's hidden MathML copy, which a screen reader reads; no equation is in
the tab order.

SVG rather than MathJax's CommonHTML: for the same maths it has fewer than
half the elements (one ``<use>`` per glyph, once ``typeset_math.js`` folds
MathJax's nested groups: 4.9k against 11.5k on q_weighted), and it needs no
web font. On the chapter with the
most maths that took the browser's first layout from about 2.9 s to 1.6 s
under a 4x CPU throttle. Its sizes are in ex, so the maths matches the
x-height of whatever font the text is set in. A TeX error, such as an
undefined macro, fails the build with the page and the TeX.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

MATHJAX = "_static/mathjax/es5"
SCRIPT = Path(__file__).with_name("typeset_math.js")

# an element Sphinx wrote for a formula; a display formula's <div> also holds its number
ELEMENT = re.compile(r'(<(span|div) class="math notranslate nohighlight"[^>]*>)(.*?)(</\2>)', re.S)
TEX = re.compile(r"\\\[(.*?)\\\]|\\\((.*?)\\\)", re.S)
CONFIG = re.compile(r"<script>window\.MathJax = .*?</script>\s*", re.S)
LOADER = re.compile(r'<script defer="defer" src="[^"]*mathjax/es5/[^"]*"></script>\s*')
BODY = re.compile(r"<body[^>]*>")
# every formula's box: MathJax put this on each <mjx-container>; once here keeps the HTML small
CONTAINER_CSS = 'mjx-container[jax="SVG"] { position: relative; }\n'
CONTAINER_STYLE = re.compile(r'(<mjx-container [^>]*?) style="position: relative;"')
MATHML_NS = ' xmlns="http://www.w3.org/1998/Math/MathML"'  # implied by <math> in HTML
EMPTY_SVG = re.compile(r"(<(use|rect) [^>]*)></\2>")  # HTML reads <use/> in an <svg> as closed


def formulas(page: str) -> list[tuple[str, bool]]:
    """Every formula of a page, in order: (TeX, display?)."""
    found = []
    for element in ELEMENT.finditer(page):
        for tex in TEX.finditer(element.group(3)):
            display = tex.group(1) is not None
            found.append((html.unescape(tex.group(1) if display else tex.group(2)), display))
    return found


def compact(svg: str) -> str:
    """One formula's markup without what the page's CSS or HTML already says."""
    return EMPTY_SVG.sub(r"\1/>", CONTAINER_STYLE.sub(r"\1", svg, count=1).replace(MATHML_NS, ""))


def replace(page: str, typeset: list[str], css: str, glyphs: str) -> str:
    """The page with each formula's TeX replaced by its SVG, in order, and no MathJax script.

    ``glyphs`` is the hidden ``<svg>`` with the outlines the formulas ``<use>``: it
    opens the ``<body>``, so each formula can be drawn as soon as it is parsed.
    """
    rendered = iter(typeset)

    def element(match: re.Match) -> str:
        inner = TEX.sub(lambda _: compact(next(rendered)), match.group(3))
        return match.group(1) + inner + match.group(4)

    page = ELEMENT.sub(element, page)
    page = CONFIG.sub("", page)
    page = LOADER.sub("", page)
    if css:
        page = page.replace("</head>", f'<style id="MJX-SVG-styles">\n{CONTAINER_CSS}{css}</style>\n</head>', 1)
    if glyphs:
        page = BODY.sub(lambda body: body.group(0) + glyphs, page, count=1)
    return page


def typeset(pages: list[dict], mathjax: Path) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        raise ExtensionError("static_math: node is needed to typeset the maths (install Node.js)")
    request = json.dumps({"mathjax": str(mathjax), "pages": pages})
    done = subprocess.run([node, str(SCRIPT)], input=request, capture_output=True, text=True)
    if done.returncode != 0:
        raise ExtensionError(f"static_math: {done.stderr.strip()}")
    return json.loads(done.stdout)["pages"]


def typeset_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    mathjax = out / MATHJAX / "node-main.js"
    files, requests = [], []
    for path in sorted(out.rglob("*.html")):
        rel = path.relative_to(out)
        if rel.parts[0] in ("_static", "_sources"):
            continue
        page = path.read_text(encoding="utf-8")
        if not LOADER.search(page):  # typeset already (an incremental build left it alone)
            continue
        files.append((path, page))
        requests.append({"name": str(rel), "items": formulas(page)})
    with_math = [r for r in requests if r["items"]]
    results = iter(typeset(with_math, mathjax) if with_math else [])
    for (path, page), request in zip(files, requests):
        result = next(results) if request["items"] else {"html": [], "css": "", "glyphs": ""}
        path.write_text(replace(page, result["html"], result["css"], result["glyphs"]), encoding="utf-8")
    logger.info("static_math: typeset %d formulas on %d pages",
                sum(len(r["items"]) for r in with_math), len(with_math))


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", typeset_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
