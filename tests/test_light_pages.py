"""Light pages: maths typeset at build time, a head that holds up no text, lazy figures.

_ext/static_math.py typesets every formula with the vendored MathJax in node
and takes MathJax's script off the page; _ext/light_pages.py drops the scripts
a page never uses and defers the rest. These tests check the functions on
small pages, and the built book as a whole. tests/test_book.py checks in
Chromium that the maths shows, with no raw TeX, on every page; here the search
page, which keeps Sphinx's search scripts, is checked to still find things.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
from light_pages import CODE, lighten, plain_tokens, unwrap_plain_tokens  # noqa: E402
from static_math import formulas, replace, typeset  # noqa: E402
from sphinx.errors import ExtensionError  # noqa: E402

NODE_MAIN = ROOT / "_vendor" / "mathjax" / "es5" / "node-main.js"

PAGE = """<html><head>
<script>window.MathJax = {"options": {}}</script>
<script defer="defer" src="../_static/mathjax/es5/tex-mml-chtml.js?v=1"></script>
</head><body>
<p>The return <span class="math notranslate nohighlight">\\(G_t &lt; \\gamma^t\\)</span> and</p>
<div class="math notranslate nohighlight" id="equation-x">
<span class="eqno">(1.2)<a class="headerlink" href="#equation-x">#</a></span>\\[\\sum_{t=0}^{T-1} r_t\\]</div>
</body></html>"""


def needs_mathjax():
    if not NODE_MAIN.exists():
        pytest.skip("run tools/vendor_assets.py first (the vendored MathJax is missing)")


def test_formulas_are_found_in_order_and_unescaped():
    assert formulas(PAGE) == [("G_t < \\gamma^t", False), ("\\sum_{t=0}^{T-1} r_t", True)]


def test_a_page_is_typeset_in_place():
    needs_mathjax()
    [result] = typeset([{"name": "p", "items": formulas(PAGE)}], NODE_MAIN)
    page = replace(PAGE, result["html"], result["css"], result["glyphs"])
    assert page.count("<mjx-container") == 2
    assert 'display="true"' in page.split('id="equation-x"')[1]
    assert "\\(" not in page and "\\[" not in page
    assert "window.MathJax" not in page and "tex-mml-chtml.js" not in page
    assert '<span class="eqno">(1.2)' in page, "the equation number stays"
    assert page.count("<mjx-assistive-mml") == 2, "each formula keeps its MathML copy for screen readers"
    assert "<g data-mml-node" not in page, "MathJax's nested groups are folded into the glyphs"
    body = page[page.index("<body>"):]
    assert body.startswith('<body><svg style="display: none;" id="MJX-SVG-global-cache"'), \
        "the glyphs open the body, before any formula uses them"
    assert glyphs_missing(page) == set()
    assert ".woff" not in page, "SVG maths loads no font"


def test_a_glyph_keeps_its_place_when_its_groups_are_folded():
    """Σ's limits are scaled and moved twice by MathJax's groups; folded, the moves compose."""
    needs_mathjax()
    [result] = typeset([{"name": "p", "items": [["\\sum_{t=0}^{T-1} r_t", True]]}], NODE_MAIN)
    svg = result["html"][0]
    # t, the first character below the sum: MathJax's munderover group moves by (0,0), its
    # TeXAtom by (x, y) and scale(0.707); folded, one transform does both
    lower = re.search(r'<use href="#MJX-TEX-I-1D461" transform="translate\(([-\d.]+),([-\d.]+)\) scale\(0\.707\)"', svg)
    assert lower, svg[:600]
    assert float(lower.group(2)) < -500, "the lower limit sits below the baseline (y is flipped once, outside)"
    assert re.search(r'<use href="#MJX-TEX-LO-2211"', svg), "the large Σ, unmoved"


def glyphs_missing(page: str) -> set[str]:
    """The glyphs a page's formulas <use> that its glyph cache does not define."""
    used = set(re.findall(r'<use [^>]*href="#([^"]+)"', page))
    return used - set(re.findall(r'<path id="([^"]+)"', page))


def test_a_tex_error_names_the_page_and_the_formula():
    needs_mathjax()
    with pytest.raises(ExtensionError, match=r"book/x\.html: cannot typeset .*\\\\nosuchmacro"):
        typeset([{"name": "book/x.html", "items": [["x + \\nosuchmacro", False]]}], NODE_MAIN)


HEAD = """<html><head>
<script defer src="../_static/scripts/fontawesome.js?digest=1"></script>
<script src="../_static/documentation_options.js?v=1"></script>
<script src="../_static/doctools.js?v=1"></script>
<script data-sd-tabs-storage-prefix="p-" src="../_static/design-tabs.js?v=1"></script>
<script>DOCUMENTATION_OPTIONS.pagename = 'x';</script>
<script src="../_static/searchtools.js"></script>
<script src="../_static/language_data.js"></script>
<script src="../searchindex.js"></script>
</head><body><img alt="A plot" src="{png}" /><img alt="B" src="{png}" style="width: 10px;" /></body></html>"""


def test_the_head_is_lightened(tmp_path):
    book = tmp_path / "book"  # the page's folder; ../_static/ is the book's static folder
    (book / "_images").mkdir(parents=True)
    png = book / "_images" / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big"))
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "documentation_options.js").write_text("const DOCUMENTATION_OPTIONS = {\n    VERSION: '',\n};\n")
    page = lighten(HEAD.replace("{png}", "_images/f.png"), search_page=False, folder=book)
    assert "fontawesome.js" not in page
    assert "searchindex.js" not in page and "searchtools.js" not in page
    assert "documentation_options.js" not in page
    assert "<script>const DOCUMENTATION_OPTIONS = {\n    VERSION: '',\n};</script>\n<script defer" in page, \
        "the options are written in the page, where the script stood: the inline scripts need them first"
    assert '<script defer src="../_static/doctools.js?v=1">' in page
    assert '<script defer data-sd-tabs-storage-prefix="p-" src="../_static/design-tabs.js?v=1">' in page
    assert '<img alt="A plot" src="_images/f.png" width="640" height="480" loading="eager" decoding="async" />' \
        in page, "the first figure loads with the page"
    assert '<img alt="B" src="_images/f.png" style="width: 10px;" loading="lazy" decoding="async" />' in page
    assert lighten(page, search_page=False, folder=book) == page, "lightening twice changes nothing"
    search = lighten(HEAD.replace("{png}", "_images/f.png"), search_page=True, folder=book)
    assert "searchindex.js" in search, "the search page keeps its search scripts"


PYGMENTS = """html[data-theme="light"] .highlight { background: #fefefe; color: #080808 }
html[data-theme="light"] .highlight .n { color: #080808 } /* Name */
html[data-theme="light"] .highlight .k { color: #080808; font-weight: bold } /* Keyword */
html[data-theme="light"] .highlight .o { color: #00622F } /* Operator */
html[data-theme="light"] .highlight .p { color: #080808 } /* Punctuation */
html[data-theme="dark"] .highlight { background: #2b2b2b; color: #F8F8F2 }
html[data-theme="dark"] .highlight .n { color: #F8F8F2 } /* Name */
html[data-theme="dark"] .highlight .k { color: #F8F8F2; font-weight: bold } /* Keyword */
html[data-theme="dark"] .highlight .o { color: #ABE338 } /* Operator */
html[data-theme="dark"] .highlight .p { color: #ABE338 } /* Punctuation */
"""


def test_only_tokens_drawn_like_the_code_around_them_in_both_themes_are_plain():
    # .k is bold, .o coloured, .p coloured in the dark theme
    assert plain_tokens(PYGMENTS) == {"n"}


def test_plain_tokens_lose_their_span_in_code_only():
    page = ('<p><span class="n">prose</span></p><div class="highlight"><pre><span></span>'
            '<span class="n">x</span> <span class="o">=</span> <span class="n">np</span><span class="p">.</span>'
            '<span class="n">zeros</span></pre></div>')
    code = unwrap_plain_tokens(page, {"n", "p"})
    assert code == ('<p><span class="n">prose</span></p><div class="highlight"><pre><span></span>'
                    'x <span class="o">=</span> np.zeros</pre></div>')
    assert unwrap_plain_tokens(code, {"n", "p"}) == code


@pytest.mark.slow
def test_no_built_page_loads_mathjax_or_blocks_on_a_script(built_book):
    loader = re.compile(r"<script[^>]*src=\"[^\"]*(?:mathjax/|fontawesome\.js)")
    blocking = re.compile(r"<script (?![^>]*\bdefer\b)[^>]*src=\"([^\"]+)\"")
    math = re.compile(r'<(span|div) class="math notranslate nohighlight"[^>]*>(.*?)</\1>', re.S)
    plain = plain_tokens((built_book / "_static" / "pygments.css").read_text(encoding="utf-8"))
    assert {"n", "p"} <= plain, "names and punctuation are drawn in the code's own colour"
    plain_span = re.compile(r'<span class="(?:%s)">' % "|".join(sorted(plain)))
    checked = 0
    for path in sorted(built_book.rglob("*.html")):
        rel = path.relative_to(built_book).as_posix()
        if rel.startswith(("_static/", "_sources/")):
            continue
        page = path.read_text(encoding="utf-8")
        head = page[: page.find("</head>")]
        assert not loader.search(page), f"{rel} still loads MathJax or fontawesome.js"
        assert not any(plain_span.search(code.group(2)) for code in CODE.finditer(page)), \
            f"{rel}: code tokens drawn like plain code keep their <span>"
        if rel != "search.html":
            assert "searchindex.js" not in head, f"{rel} loads the search index"
            assert blocking.findall(head) == [], f"{rel} has scripts that block the text"
        for element in math.finditer(page):
            assert "<mjx-container" in element.group(2) and "\\(" not in element.group(2), \
                f"{rel}: a formula was not typeset: {element.group(0)[:120]}"
            checked += 1
        assert glyphs_missing(page) == set(), f"{rel} draws glyphs it does not define"
    assert checked > 1000, f"only {checked} formulas in the whole book?"


@pytest.mark.slow
@pytest.mark.browser
def test_the_search_page_still_finds_pages(browser, book_url):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(book_url + "search.html?q=baseline")
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=20000)
        assert results.count() >= 3
        assert any("q_weighted" in (a.get_attribute("href") or "")
                   for a in page.locator("#search-results ul.search li a").all())
        assert errors == []
    finally:
        page.close()
