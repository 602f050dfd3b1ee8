"""Sphinx extension: the book's maths is typeset once, when the book is built.

Sphinx writes each formula as TeX, ``\\(...\\)`` or ``\\[...\\]`` inside an
element of class ``math``, and MathJax used to typeset it in the reader's
browser, on every visit. On a phone that was the largest single cost of a
chapter: about 3 s of script under Lighthouse's mobile profile, with the first
paragraph repainted only once it was done.

After the build, this extension hands every page's TeX to the same MathJax
(the vendored mathjax 3.2.2, run by node: ``_ext/typeset_math.js``), writes the
CommonHTML it returns in place of the TeX, puts the CSS of the characters the
page uses in its ``<head>``, and removes the MathJax script from the page.
The result is what MathJax drew in the browser, including the hidden MathML
copy a screen reader reads, with no script and no equation in the tab order.

``MATH_SCALE`` is the size MathJax chose in the browser to match the ex-height
of the book's text font (127.3% in Chromium), fixed here because node has no
fonts to measure. A TeX error, such as an undefined macro, fails the build
with the page and the TeX.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

MATH_SCALE = 1.273
MATHJAX = "_static/mathjax/es5"
FONTS = f"{MATHJAX}/output/chtml/fonts/woff-v2"
SCRIPT = Path(__file__).with_name("typeset_math.js")

# an element Sphinx wrote for a formula; a display formula's <div> also holds its number
ELEMENT = re.compile(r'(<(span|div) class="math notranslate nohighlight"[^>]*>)(.*?)(</\2>)', re.S)
TEX = re.compile(r"\\\[(.*?)\\\]|\\\((.*?)\\\)", re.S)
CONFIG = re.compile(r"<script>window\.MathJax = .*?</script>\s*", re.S)
LOADER = re.compile(r'<script defer="defer" src="[^"]*mathjax/es5/[^"]*"></script>\s*')
FONT_CLASS = re.compile(r'class="mjx-c[0-9A-F]+ (TEX-[A-Z0-9]+)"')
FONT_FILE = re.compile(r'@font-face[^{]*\{[^}]*?font-family: ([A-Z0-9-]+);\s*src: url\("([^"]+\.woff)"\)')
# every formula's box: MathJax put this on each <mjx-container>; once here keeps the HTML small
CONTAINER_CSS = f"mjx-container[jax=\"CHTML\"] {{ font-size: {100 * MATH_SCALE:.1f}%; position: relative; }}\n"
CONTAINER_STYLE = re.compile(r'(<mjx-container [^>]*?) style="position: relative;"')
MATHML_NS = ' xmlns="http://www.w3.org/1998/Math/MathML"'  # implied by <math> in HTML


def formulas(page: str) -> list[tuple[str, bool]]:
    """Every formula of a page, in order: (TeX, display?)."""
    found = []
    for element in ELEMENT.finditer(page):
        for tex in TEX.finditer(element.group(3)):
            display = tex.group(1) is not None
            found.append((html.unescape(tex.group(1) if display else tex.group(2)), display))
    return found


def fonts_used(page: str, css: str) -> list[str]:
    """The font files the page's formulas draw with (the CSS declares all of MathJax's)."""
    families = {"MJXZERO", "MJXTEX"} | {f"MJX{name}" for name in set(FONT_CLASS.findall(page))}
    return [url for family, url in FONT_FILE.findall(css) if family in families]


def compact(chtml: str) -> str:
    """One formula's markup without what the page's CSS or HTML already says."""
    return CONTAINER_STYLE.sub(r"\1", chtml, count=1).replace(MATHML_NS, "")


def replace(page: str, typeset: list[str], css: str) -> str:
    """The page with each formula's TeX replaced by its CommonHTML, in order, and no MathJax script."""
    rendered = iter(typeset)

    def element(match: re.Match) -> str:
        inner = TEX.sub(lambda _: compact(next(rendered)), match.group(3))
        return match.group(1) + inner + match.group(4)

    page = ELEMENT.sub(element, page)
    page = CONFIG.sub("", page)
    page = LOADER.sub("", page)
    if css:
        # the fonts the formulas use are asked for with the page, not once the layout finds them
        preload = "".join(f'<link rel="preload" href="{url}" as="font" type="font/woff" crossorigin>\n'
                          for url in fonts_used(page, css))
        style = f'<style id="MJX-CHTML-styles">\n{CONTAINER_CSS}{css}</style>'
        page = page.replace("</head>", f"{preload}{style}\n</head>", 1)
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
        font_url = os.path.relpath(out / FONTS, path.parent).replace(os.sep, "/")
        requests.append({"name": str(rel), "fontURL": font_url, "items": formulas(page)})
    with_math = [r for r in requests if r["items"]]
    results = iter(typeset(with_math, mathjax) if with_math else [])
    for (path, page), request in zip(files, requests):
        result = next(results) if request["items"] else {"html": [], "css": ""}
        path.write_text(replace(page, result["html"], result["css"]), encoding="utf-8")
    logger.info("static_math: typeset %d formulas on %d pages",
                sum(len(r["items"]) for r in with_math), len(with_math))


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", typeset_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
