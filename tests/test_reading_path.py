"""The reading path, measured in Chromium on the built book as a reader sees it (1280 px).

Every numbered chapter has two layers. The reading layer shows prose, equations,
the code a reader should read, figures and widgets. The proof layer is every
cell that checks a claim: folded (``hide-input``), with a one-line result
written by ``pgbook.book.checked`` showing. In the default view of each chapter:

- no visible line of code is an ``assert``;
- at most 150 lines of code are visible;
- at least 3 numbers in the prose are glued from the cells that compute them;
- every folded cell that asserts shows its "✓ checked: ..." line, and only that line;
- a code exercise shows its stub, not its reference solution, and no check
  reports a pass under the exercise.
"""

from __future__ import annotations

import pytest
import yaml

from conftest import ROOT
from reading_path import MEASURE  # tools/: also used by tools/preview.py --measure

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MAX_VISIBLE_CODE_LINES = 150
MIN_GLUED_NUMBERS = 3


def numbered_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [f"{c['file']}.html" for part in toc["parts"] if part.get("numbered")
            for c in part["chapters"]]


CHAPTERS = numbered_chapters()




@pytest.fixture(scope="module")
def measured(browser, book_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    out = {}
    try:
        for chapter in CHAPTERS:
            page.goto(f"{book_url}/{chapter}", wait_until="load")
            out[chapter] = page.evaluate(MEASURE)
    finally:
        page.close()
    return out


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_visible_assert(measured, chapter):
    assert measured[chapter]["asserts"] == [], (
        f"{chapter}: asserts in the reading layer (fold their cells with hide-input): "
        f"{measured[chapter]['asserts'][:5]}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_visible_code_is_short(measured, chapter):
    assert measured[chapter]["code"] <= MAX_VISIBLE_CODE_LINES, (
        f"{chapter}: {measured[chapter]['code']} visible code lines, "
        f"expected at most {MAX_VISIBLE_CODE_LINES}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_prose_numbers_are_glued(measured, chapter):
    assert measured[chapter]["glued"] >= MIN_GLUED_NUMBERS, (
        f"{chapter}: {measured[chapter]['glued']} glued numbers in the prose, "
        f"expected at least {MIN_GLUED_NUMBERS}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_folded_check_shows_one_result_line(measured, chapter):
    folded = measured[chapter]["folded"]
    assert folded, f"{chapter}: no folded check cell found"
    bad = [f for f in folded if not f["result"].startswith("✓ checked: ") or "\n" in f["result"]]
    assert bad == [], f"{chapter}: folded checks without a one-line '✓ checked:' result: {bad[:3]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercises_show_stubs_and_no_early_pass(measured, chapter):
    m = measured[chapter]
    assert m["referenceShown"] == [], f"{chapter}: solution markers visible on the page: {m['referenceShown']}"
    assert m["passes"] == [], f"{chapter}: a check reports a pass outside its solution: {m['passes']}"
