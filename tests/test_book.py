"""The built book: it builds clean, and every page works in a real browser, offline.

For every page: no request leaves the host serving the book, nothing is logged
as an error, no image is broken, math is typeset (no raw TeX left), and every
widget output is rendered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PAGES, build_book

pytestmark = pytest.mark.slow




def built_pages(html: Path) -> set[str]:
    """Every built page, except viewcode's source pages beyond the sampled ones (see conftest)."""
    skip = ("_static/", "_sources/", "reports/")
    pages = {
        p.relative_to(html).as_posix()
        for p in html.rglob("*.html")
        if not p.relative_to(html).as_posix().startswith(skip)
    }
    return {p for p in pages if not p.startswith("_modules/") or p in PAGES}


def test_build_is_clean_and_rebuild_runs_no_cell(built_book):
    """A second build with nothing changed passes -W -n and executes no notebook."""
    again = build_book()
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "Executing notebook" not in again.stdout + again.stderr


def test_every_built_page_is_tested(built_book):
    """No page escapes the browser tests: every built page is in PAGES, and vice versa."""
    built = built_pages(built_book)
    assert built - set(PAGES) == set(), f"pages not covered by the browser tests: {sorted(built - set(PAGES))}"
    assert set(PAGES) - built == set(), f"pages in the toc that were not built: {sorted(set(PAGES) - built)}"


def test_no_external_assets_in_html(built_book):
    """Statically: no script, stylesheet, image or icon in any page points at another host."""
    attr = re.compile(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"')
    offenders = {}
    for page in sorted(built_pages(built_book)):
        found = attr.findall((built_book / page).read_text(encoding="utf-8"))
        # <link rel="canonical"> etc. would be navigation, not loading; we have none
        if found:
            offenders[page] = found[:3]
    assert not offenders, f"pages that load from another host: {offenders}"


def test_favicon_exists(built_book):
    html = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    match = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert match, "no <link rel=icon> in the intro page"
    assert (built_book / "book" / match.group(1)).resolve().is_file()


def test_root_redirect_inlines_the_favicon(built_book):
    """The root redirect (_ext/root_page.py) names its icon inline: without one the browser
    asks for /favicon.ico (a 404); a link to a file is aborted by the redirect."""
    html = (built_book / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<link rel="icon" href="data:image/svg\+xml,([^"]+)"', html)
    assert match, "no inline <link rel=icon> in the root index.html"
    assert "%3Csvg" in match.group(1)
    assert 'http-equiv="Refresh" content="0; url=book/intro.html"' in html


# --- in the browser -----------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_page_loads_from_its_own_host_only(visits, path):
    record = visits[path]
    assert record["status"] == 200
    assert record["external"] == [], f"{path} asked other hosts: {record['external']}"
    assert record["failed"] == [], f"{path} had failed requests: {record['failed']}"


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_page_logs_no_error(visits, path):
    assert visits[path]["errors"] == [], f"{path} logged errors: {visits[path]['errors']}"


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_broken_image(visits, path):
    assert visits[path]["broken_images"] == []


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_page_math_is_typeset(visits, path):
    record = visits[path]
    if record["math_sources"]:
        assert record["mathjax"] >= record["math_sources"], "some math was not typeset"
    # no prose in this book uses a literal "$": any left is an unparsed delimiter
    leftovers = re.findall(r"\\\(|\\\)|\\\[|\\\]|\$|\\frac|\\theta|\\nabla", record["prose"])
    assert not leftovers, f"{path} shows raw TeX: {leftovers[:5]}"


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_page_widgets_render(visits, path):
    record = visits[path]
    assert record["widgets_rendered"] == record["widget_views"], (
        f"{path}: {record['widgets_rendered']} of {record['widget_views']} widget outputs rendered"
    )
    assert record["stills_left"] == 0, f"{path}: a widget's still stayed next to the drawn widget"


@pytest.mark.browser
def test_the_book_has_math_and_widgets(visits):
    """Guard against a vacuous pass: the checks above saw real math, figures and widgets."""
    assert sum(r["mathjax"] for r in visits.values()) > 20
    # plain matplotlib figures from chapter cells (the inline backend must be in use)
    assert sum(r["figures"] for r in visits.values()) >= 1
    assert sum(r["widgets_rendered"] for r in visits.values()) >= 1


@pytest.mark.parametrize("path", PAGES)
def test_page_weight_at_most_3_mb(built_book, path):
    """Widgets carry their precomputed figures in the page; keep each page <= 3 MB."""
    size = (built_book / path).stat().st_size
    assert size <= 3_000_000, f"{path} weighs {size / 1e6:.2f} MB"
