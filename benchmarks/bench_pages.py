"""Page weight and time to first figure for every page of the built book.

Targets from the figures-and-widgets issue: each chapter's HTML <= 1 MB (the
widget frames are image files, not base64 in the page), and the first figure
(a cell's image or a widget's) shows within 1.5 s of loading, here over
loopback in headless Chromium, for a reader who scrolls straight to it (figures
load as they near the screen). Medians over --repeat loads; the machine is shared, so
read the figures as ratios to the target.

    python benchmarks/bench_pages.py [--repeat 3]   (after `make book`)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from _table import print_table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from book_server import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402

HTML = ROOT / "_build" / "html"
FIRST_FIGURE = "main .cell_output img, main img.widget-image"
WIDGET = 'main script[type=\\"application/vnd.jupyter.widget-view+json\\"]'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (HTML / "index.html").exists():
        sys.exit("bench_pages: build the book first (`make book`)")
    pages = sorted(p.relative_to(HTML).as_posix() for p in (HTML / "book").glob("*.html"))

    from playwright.sync_api import sync_playwright

    rows = []
    with serve(HTML) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for path in pages:
            weight = (HTML / path).stat().st_size / 1e6
            rows.append((f"{path}: html weight", weight, "MB", "<= 1 MB", weight <= 1))
            html = (HTML / path).read_text(encoding="utf-8")
            if 'class="cell_output' not in html or ("<img" not in html and "widget-view+json" not in html):
                continue  # no figure on this page
            times = []
            for _ in range(args.repeat):
                page = browser.new_page()
                start = time.perf_counter()
                page.goto(base + path, wait_until="commit")
                try:
                    # figures load as they near the screen (loading="lazy"), so go to the
                    # first one as a reader scrolling to it would, and wait until it shows
                    page.wait_for_function(
                        f"""() => {{
                          const img = document.querySelector('{FIRST_FIGURE}');
                          if (img) {{ img.scrollIntoView(); return img.complete && img.naturalWidth > 0; }}
                          // no figure yet: widget frames appear once the widget library, which
                          // loads when a widget nears the screen, has drawn the widgets
                          const view = document.querySelector('{WIDGET}');
                          if (view) view.parentElement.scrollIntoView();
                          return false;
                        }}""", timeout=15000)
                    times.append(time.perf_counter() - start)
                except Exception:
                    times.append(float("inf"))  # never shown: a failure, not a page without figures
                page.close()
            first = statistics.median(times)
            rows.append((f"{path}: first figure", first, "s", "<= 1.5 s", first <= 1.5))
        browser.close()
    print_table("Pages of the built book (pages with no figure show weight only)", rows)


if __name__ == "__main__":
    main()
