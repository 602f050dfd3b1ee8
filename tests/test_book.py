"""The built book: it builds clean, and every page works in a real browser, offline.

For every page: no request leaves the host serving the book, nothing is logged
as an error, no image is broken, math is typeset (no raw TeX left), and every
widget output is rendered.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

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

WAIT_FOR_RENDER = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  // the widget library loads when a widget nears the viewport (pgbook-widgets-loader.js)
  if (views.length) { views[0].parentElement.scrollIntoView(); }
  const deadline = Date.now() + 10000;
  // (lazy frames load when scrolled to; the broken-image check loads them itself)
  while (Date.now() < deadline) {
    const rendered = Array.from(views).every(s => s.parentElement.querySelector('.jupyter-widgets'));
    if (rendered) break;
    await new Promise(r => setTimeout(r, 100));
  }
}"""

# Text a reader sees, with code removed (code may legitimately hold "$" and "\\(").
VISIBLE_PROSE = """() => {
  const main = document.querySelector('main') || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, .cell_input').forEach(e => e.remove());
  return copy.innerText;
}"""


@pytest.fixture(scope="module")
def visits(browser, book_url):
    """Open each page once; record requests, console errors, and what rendered."""
    results = {}
    host = urlsplit(book_url).netloc
    for path in PAGES:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        record = {"external": [], "errors": [], "failed": []}

        def on_request(request, record=record):
            url = urlsplit(request.url)
            # data: and blob: URLs are made inside the page itself
            if url.scheme not in ("data", "blob") and url.netloc != host:
                record["external"].append(request.url)

        page.on("request", on_request)
        page.on("console", lambda m, r=record: r["errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, r=record: r["errors"].append(f"page error: {e}"))
        page.on("response", lambda resp, r=record: r["failed"].append(f"{resp.status} {resp.url}") if resp.status >= 400 else None)
        page.on("requestfailed", lambda req, r=record: r["failed"].append(f"failed {req.url}"))
        response = page.goto(book_url + path, wait_until="networkidle")
        record["status"] = response.status
        page.evaluate(WAIT_FOR_RENDER)
        page.wait_for_load_state("networkidle")
        record["math_sources"] = page.locator("main .math, main div.math, main span.math").count()
        record["mathjax"] = page.locator("mjx-container").count()
        record["prose"] = page.evaluate(VISIBLE_PROSE)
        # Lazy frames below the fold may not have loaded yet: load each, then decode it
        # (decode() rejects for a missing or undecodable file)
        record["broken_images"] = page.evaluate(
            """async () => {
                 const broken = [];
                 await Promise.all(Array.from(document.images).map(async i => {
                   i.loading = 'eager';
                   try { await i.decode(); } catch (e) { broken.push(i.src); }
                 }));
                 return broken;
               }"""
        )
        record["figures"] = page.locator("main .cell_output img:not(.widget-image)").count()
        record["widget_views"] = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        record["widgets_rendered"] = page.evaluate(
            """() => Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'))
                 .filter(s => s.parentElement.querySelector('.jupyter-widgets')).length"""
        )
        results[path] = record
        page.close()
    return results


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
