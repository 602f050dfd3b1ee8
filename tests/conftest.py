"""Fixtures shared by the tests: the built book, a local server for it, and Chromium.

The browser tests drive Debian's Chromium (``/usr/bin/chromium``) through the
Python ``playwright`` package; nothing downloads a browser. Without Chromium,
the browser tests skip with the reason, except under CI (``CI=true``), where a
missing browser is a failure: a green CI must mean the pages were really opened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from book_server import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402
HTML = ROOT / "_build" / "html"
BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


SOURCE_PAGE_SAMPLE = ["_modules/pgbook/exact.html", "_modules/pgbook/estimators.html",
                      "_modules/pgbook/widgets/core.html"]


def toc_pages() -> list[str]:
    """The HTML path of every page in _toc.yml, plus the pages Sphinx adds."""
    from build_book import toc_files

    files = toc_files(ROOT)
    # index.html redirects to the root page; the others are written by Sphinx. There is
    # no domain index (sphinx-proof's prf-prf.html, py-modindex.html): html_domain_indices
    # is off in _config.yml
    pages = ["index.html", "genindex.html", "search.html"] + [f"{f}.html" for f in files]
    if any(f.startswith("book/api/") for f in files):
        # the package's reference adds viewcode's source pages, its index and one for
        # each public module of pgbook (_ext/api_reference.py)
        sys.path.insert(0, str(ROOT / "_ext"))
        from api_reference import public_modules

        # viewcode's 37 source pages are all made by one template: the browser tests
        # open its index and a sample of three (all of them added 9 minutes to
        # `make test`); test_api_reference.py checks every one exists.
        modules = [f"_modules/{name.replace('.', '/')}.html" for name in public_modules()]
        pages += ["_modules/index.html"] + SOURCE_PAGE_SAMPLE
        assert set(SOURCE_PAGE_SAMPLE) <= set(modules), "the source page sample names a module that is gone"
    return pages


PAGES = toc_pages()


def run_in_kernel(*sources: str, timeout: int = 120) -> str:
    """Run code cells in a fresh python3 kernel (as Jupyter would); return the last cell's stdout.

    A cell that raises fails the test with the kernel's traceback (nbclient's
    CellExecutionError). The widget tests use it to move controls in a live kernel.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(notebook, kernel_name="python3", timeout=timeout,
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return "".join(o.get("text", "") for o in notebook.cells[-1].outputs)


def build_book() -> subprocess.CompletedProcess:
    """Build the book exactly as ``make book`` does (tools/build_book.py); return the finished build."""
    from build_book import build, build_env

    subprocess.run([sys.executable, str(ROOT / "tools" / "vendor_assets.py")], check=True, env=build_env())
    return build(ROOT, capture_output=True, text=True)


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The HTML folder of a fresh build (incremental: cached cells are not re-run)."""
    done = build_book()
    if done.returncode != 0:
        pytest.fail(f"book build failed (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return HTML


@pytest.fixture(scope="session")
def book_url(built_book):
    """Serve the built book on a free loopback port; yields its base URL."""
    with serve(built_book) as url:
        yield url


def _no_browser(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (under CI a missing browser is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium, driven by playwright with Debian's binary."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        _no_browser(f"Chromium not found at {CHROMIUM}: install Debian's package `chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the Python package playwright is not installed")
    with sync_playwright() as p:
        executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's axe.min.js, fetched once from npm at its pinned version and integrity."""
    import vendor_assets

    folder = vendor_assets.fetch(vendor_assets.TEST_PACKAGES, vendor_assets.TEST_VENDOR)
    return str(folder / "axe-core" / "axe.min.js")


@pytest.fixture(scope="session")
def visits(browser, book_url, axe_script):
    """Every page loaded once and measured for all the browser tests (tests/page_visits.py)."""
    from page_visits import visit

    return {path: visit(browser, book_url, path, axe_script) for path in PAGES}
