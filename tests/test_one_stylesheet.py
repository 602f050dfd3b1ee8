"""One stylesheet per page: _ext/one_stylesheet.py joins a page's stylesheets into one file.

The joined file must say what the files said, in their order: imports inlined
where they stood, and every relative url() still pointing at the same file
from its new place in _static/. tests/test_book.py loads every page in Chromium
and fails on any request that fails, so a font the rewrite lost shows there.
"""

from __future__ import annotations

import re
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
from one_stylesheet import joined, one_link  # noqa: E402
from sphinx.errors import ExtensionError  # noqa: E402

HEAD = """<html><head>
<meta charset="utf-8" />
<link href="../_static/styles/theme.css?digest=1" rel="stylesheet" />
<link rel="stylesheet" type="text/css" href="../_static/pygments.css?v=2" />
<link rel="stylesheet" type="text/css" href="../_static/pgbook.css?v=3" />
<link rel="stylesheet" href="https://elsewhere.example/x.css" />
<script src="x.js"></script>
</head><body>text</body></html>"""


@pytest.fixture
def static(tmp_path):
    s = tmp_path / "_static"
    (s / "styles").mkdir(parents=True)
    (s / "styles" / "theme.css").write_text('@import "../basic.css";\n.theme { background: url(../vendor/a.png); }\n'
                                            "/*# sourceMappingURL=theme.css.map */\n")
    (s / "basic.css").write_text('.basic { background-image: url("file.png"); }\n')
    (s / "pygments.css").write_text(".highlight { color: #080808 }\n")
    (s / "pgbook.css").write_text(".icon { background: url(\"data:image/svg+xml;utf8,<svg fill='red'/>\"); }\n"
                                  "@font-face { src: url('fonts/x.woff2') format('woff2'), url(https://cdn.example/y.woff); }\n")
    return s


def test_imports_are_inlined_and_urls_hold_from_static(static):
    css = joined(static, "styles/theme.css")
    assert css.index(".basic") < css.index(".theme"), "the import's rules come where the import stood"
    assert 'url("file.png")' in css, "basic.css's own url, relative to _static/ already, is rewritten once only"
    assert "url(vendor/a.png)" in css
    assert "sourceMappingURL" not in css
    other = joined(static, "pgbook.css")
    assert "url(\"data:image/svg+xml;utf8,<svg fill='red'/>\")" in other, "data URIs are left alone"
    assert "url('fonts/x.woff2')" in other and "url(https://cdn.example/y.woff)" in other


def test_a_page_links_one_stylesheet_where_the_first_stood(static):
    page = one_link(HEAD, static, "../")
    links = re.findall(r"<link [^>]*>", page)
    [file] = re.findall(r'href="\.\./_static/(pgbook-styles-[0-9a-f]+\.css)"', page)
    assert links[0].startswith('<link rel="stylesheet" href="../_static/pgbook-styles-')
    assert links[1] == '<link rel="stylesheet" href="https://elsewhere.example/x.css" />', "another host's is left"
    assert page.index("<meta charset") < page.index(file) < page.index("x.js")
    css = (static / file).read_text()
    assert css.index(".basic") < css.index(".theme") < css.index(".highlight") < css.index(".icon"), "the order is kept"
    assert one_link(page, static, "../") == page, "joining twice changes nothing"


def test_a_page_left_alone_gets_the_current_styles(static):
    page = one_link(HEAD, static, "../")
    (static / "pgbook.css").write_text(".icon { color: red; }\n")
    again = one_link(page, static, "../")
    [file] = re.findall(r"pgbook-styles-[0-9a-f]+\.css", again)
    assert again != page and ".icon { color: red; }" in (static / file).read_text()


def test_a_missing_or_circular_stylesheet_is_an_error(static):
    with pytest.raises(ExtensionError, match=r"_static/nope\.css, which the build did not write"):
        joined(static, "nope.css")
    (static / "loop.css").write_text('@import "loop.css";')
    with pytest.raises(ExtensionError, match="loop.css imports itself"):
        joined(static, "loop.css")
    (static / "print.css").write_text('@import url(basic.css) print;')
    with pytest.raises(ExtensionError, match="an @import it cannot inline"):
        joined(static, "print.css")


@pytest.mark.slow
def test_every_built_page_has_one_stylesheet(built_book):
    checked = 0
    for path in sorted(built_book.rglob("*.html")):
        rel = path.relative_to(built_book)
        if rel.parts[0] in ("_static", "_sources"):
            continue
        head = path.read_text(encoding="utf-8").split("</head>")[0]
        if rel.as_posix() == "index.html":
            continue  # the redirect to the introduction (_ext/root_page.py): styles of its own, inline
        links = re.findall(r'<link [^>]*rel="stylesheet"[^>]*href="([^"]+)"', head)
        assert len(links) == 1 and "pgbook-styles-" in links[0], f"{rel}: {links}"
        assert (path.parent / links[0]).is_file(), f"{rel} links {links[0]}, which is not there"
        checked += 1
    assert checked > 20
