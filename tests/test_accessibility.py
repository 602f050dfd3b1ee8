"""Every page of the built book, for every reader: a screen reader, a keyboard, a phone, a 2× screen.

Measured with real tools in Debian's Chromium: axe-core (npm, pinned and
integrity-checked by ``tools/vendor_assets.py --test``) injected into each page,
and the page's own DOM. For every page:

- axe-core finds no critical or serious violation (known theme exceptions are
  listed below, each with its reason);
- every ``<img>`` has alt text that says something (not empty, not a file name,
  not the frame extension's fallback);
- every raster figure carries at least 2 image pixels per CSS pixel (or is SVG);
- no MathJax equation is a tab stop;
- nothing overflows sideways at 390 or at 320 px, and no figure is shrunk there
  (its type would shrink with it: a wide figure scrolls in its own box), and
  every widget control and readout is on screen there;
- each slider handle has a name and announces the value shown, and each toggle
  button says whether it is selected;
- each chapter's HTML is at most 1 MB.
"""

from __future__ import annotations

import re
import sys

import pytest

from conftest import PAGES, ROOT
from page_visits import PHONES

sys.path.insert(0, str(ROOT / "tools"))
import vendor_assets  # noqa: E402

sys.path.insert(0, str(ROOT / "_ext"))
from widget_frames import FALLBACK_ALT  # noqa: E402

pytestmark = [pytest.mark.slow]

# Violations made by the theme (sphinx-book-theme / pydata-sphinx-theme), not by
# the book, that the book cannot fix from its sources. Rule id -> reason.
KNOWN_THEME_VIOLATIONS: dict[str, str] = {}

def chapter_pages() -> list[str]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [f"{c['file']}.html" for part in toc["parts"] if part.get("numbered") for c in part["chapters"]]


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_critical_or_serious_violation(desktop, path):
    bad = [v for v in desktop[path]["violations"]
           if v["impact"] in ("critical", "serious") and v["id"] not in KNOWN_THEME_VIOLATIONS]
    assert bad == [], f"{path}: axe-core violations: {bad}"


def meaningful(alt: str | None) -> bool:
    if alt is None:
        return False
    alt = alt.strip()
    return (len(alt) >= 12 and alt != FALLBACK_ALT and not re.search(r"\.(png|svg|jpe?g|webp)$", alt)
            and "/" not in alt.split()[0] and not alt.startswith("Figure at "))


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_every_image_has_meaningful_alt_text(desktop, path):
    bad = [(i["src"][-40:], i["alt"]) for i in desktop[path]["images"] if not meaningful(i["alt"])]
    assert bad == [], f"{path}: images without meaningful alt text: {bad[:5]}"


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_every_figure_is_at_least_2x_or_svg(desktop, path):
    bad = [(i["src"][-40:], i["natural"], round(i["css"])) for i in desktop[path]["images"]
           if not i["src"].endswith(".svg") and not i["src"].startswith("data:image/svg")
           and i["css"] and i["natural"] < 2 * i["css"] - 1]
    assert bad == [], f"{path}: figures under 2 image px per CSS px (src, natural, css): {bad[:5]}"


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_no_equation_is_a_tab_stop(desktop, path):
    assert desktop[path]["math_tab_stops"] == 0


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_widget_controls_expose_a_name_and_the_value_shown(desktop, path):
    controls = desktop[path]["controls"]
    for slider in controls["sliders"]:
        assert slider["name"], f"{path}: a slider handle has no accessible name"
        assert slider["valuetext"] == slider["readout"] != "", (
            f"{path}: slider {slider['name']!r} announces {slider['valuetext']!r} but shows {slider['readout']!r}")
    for toggle in controls["toggles"]:
        assert toggle["pressed"] == ("true" if toggle["active"] else "false"), (
            f"{path}: a toggle button's aria-pressed does not say whether it is selected")


@pytest.fixture(scope="module")
def desktop(visits):
    """Each page as loaded once at 1280 px (tests/page_visits.py), with axe-core's findings."""
    return visits


@pytest.mark.browser
@pytest.mark.parametrize("width,height", PHONES)
def test_no_page_overflows_on_a_phone(visits, width, height):
    overflowing = {path: r["overflow"][width, height] for path, r in visits.items()
                   if r["overflow"][width, height]["scroll"] > r["overflow"][width, height]["client"]}
    assert overflowing == {}, f"pages wider than a {width} px screen: {overflowing}"


def found_on_a_phone(visits, finding: str, size) -> dict:
    """Each page's non-empty ``finding`` (a list tests/page_visits.py measured) at one phone size."""
    return {path: r[finding][size] for path, r in visits.items() if r[finding][size]}


@pytest.mark.browser
@pytest.mark.parametrize("width,height", PHONES)
def test_no_figure_is_shrunk_on_a_phone(visits, width, height):
    shrunk = found_on_a_phone(visits, "shrunk_figures", (width, height))
    assert shrunk == {}, f"figures drawn smaller than their type was set for at {width} px: {shrunk}"


@pytest.mark.browser
@pytest.mark.parametrize("width,height", PHONES)
def test_widget_controls_are_on_screen_on_a_phone(visits, width, height):
    off = found_on_a_phone(visits, "controls_off_screen", (width, height))
    assert off == {}, f"widget controls or readouts off a {width} px screen: {off}"


@pytest.mark.browser
@pytest.mark.parametrize("width,height", PHONES)
def test_what_scrolls_sideways_on_a_phone_shows_it(visits, width, height):
    """An equation or figure wider than the screen is a named tab stop with a shadow at its edge;
    an inline formula wider than its paragraph scrolls on a line of its own, not cut off."""
    hidden = found_on_a_phone(visits, "scrollers_without_cue", (width, height))
    assert hidden == {}, f"boxes that scroll sideways at {width} px with no cue or no name: {hidden}"


@pytest.mark.parametrize("path", chapter_pages())
def test_chapter_html_is_at_most_1_mb(built_book, path):
    size = (built_book / path).stat().st_size
    assert size <= 1_000_000, f"{path} weighs {size / 1e6:.2f} MB"


def test_axe_is_the_pinned_release(axe_script):
    """Guard: the injected script is the real axe-core at the pinned version."""
    head = open(axe_script, encoding="utf-8").read(400)
    version = vendor_assets.TEST_PACKAGES[0][1]
    assert f"axe v{version}" in head, head[:200]
