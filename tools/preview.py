"""Build the book in a private copy and look at its pages in headless Chromium.

For writers: builds every chapter file present in book/ (in the book's order),
in /tmp/pgbook-preview/NAME, so several people can build at once without
touching the working tree's _build/. With --shot, serves the result on
loopback, opens each page in Debian's Chromium, saves full-page screenshots to
/tmp/pgbook-preview/NAME/shots/ and prints every console error, failed request
and request to another host.

    .venv/bin/python tools/preview.py --name me --shot book/objective.html
    .venv/bin/python tools/preview.py --name me --shot all
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

from book_server import CHROMIUM, CHROMIUM_ARGS, copy_tree, serve

ROOT = Path(__file__).resolve().parent.parent
# The derivation's order; files that do not exist yet are left out.
CHAPTERS = ["objective", "chain_rule", "likelihood_ratio", "log_factorization", "q_weighted", "critics"]
APPENDIX = ["proofs", "confusions", "next_steps", "notation", "references"]
# The package's reference: book/api/index.md and its sections (kept with --only: no page cites them).
API = ["problems", "exact", "estimators", "widgets", "coursework"]


def write_toc(dest: Path, only: list[str] | None = None) -> list[str]:
    def present(names):
        return [n for n in names if (dest / "book" / f"{n}.md").exists()]

    chapters = [c for c in present(CHAPTERS) if only is None or c in only]
    # the appendix cites every chapter; with --only, keep just the pages that don't
    appendix = present(APPENDIX + ["instructor"] if only is None else ["notation", "references"])
    lines = ["format: jb-book", "root: book/intro", "parts:"]
    front = present(["run"])
    if front:
        lines += ["  - caption: Before you start", "    chapters:"] + [f"      - file: book/{c}" for c in front]
    if chapters:
        lines += ["  - caption: The derivation", "    numbered: true", "    chapters:"]
        lines += [f"      - file: book/{c}" for c in chapters]
    lines += ["  - caption: Appendix", "    chapters:"] + [f"      - file: book/{c}" for c in appendix]
    api = ["api/index"] + [f"api/{a}" for a in API] if (dest / "book" / "api" / "index.md").exists() else []
    api = [a for a in api if (dest / "book" / f"{a}.md").exists()]
    lines += [f"      - file: book/{a}" for a in api]
    (dest / "_toc.yml").write_text("\n".join(lines) + "\n")
    return ["book/intro"] + [f"book/{c}" for c in front + chapters + appendix + api]


def build(dest: Path) -> int:
    from build_book import build as build_as_make_book

    done = build_as_make_book(dest, capture_output=True, text=True)
    out = done.stdout + done.stderr
    for line in out.splitlines():
        if "WARNING" in line or "ERROR" in line or "Error" in line:
            if "IPKernelApp" not in line:
                print(line)
    print(f"build exit code {done.returncode}; html in {dest / '_build' / 'html'}")
    reports = dest / "_build" / "html" / "reports"
    for log in reports.rglob("*.log") if reports.exists() else []:
        print(f"--- {log}\n{log.read_text()[-3000:]}")
    return done.returncode


def shoot(html: Path, pages: list[str], shots: Path, width: int = 1280, measure: bool = False,
          part_height: int = 2400) -> None:
    """Full-page screenshots, also cut into parts of ``part_height`` px (easier to look at)."""
    from playwright.sync_api import sync_playwright
    from PIL import Image

    from reading_path import MEASURE

    shots.mkdir(parents=True, exist_ok=True)
    with serve(html) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for path in pages:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m, path=path: print(f"{path}: console {m.type}: {m.text[:300]}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e, path=path: print(f"{path}: page error: {e}"))
            page.on("response", lambda r, path=path: print(f"{path}: HTTP {r.status} {r.url}")
                    if r.status >= 400 else None)
            page.on("request", lambda r, path=path: print(f"{path}: EXTERNAL {r.url}")
                    if urlsplit(r.url).scheme not in ("data", "blob") and not r.url.startswith(base) else None)
            page.goto(base + path, wait_until="networkidle", timeout=120_000)
            # scroll through once: widgets and their frames load when they come into view
            height = page.evaluate("document.documentElement.scrollHeight")
            for y in range(0, height, 800):
                page.evaluate(f"window.scrollTo(0, {y})")
                page.wait_for_timeout(50)
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(1500)
            stem = path.replace("/", "_").removesuffix(".html") + f"_{width}"
            out = shots / f"{stem}.png"
            page.screenshot(path=str(out), full_page=True)
            for old in shots.glob(f"{stem}_part*.png"):
                old.unlink()
            with Image.open(out) as image:
                for k, top in enumerate(range(0, image.height, part_height)):
                    part = image.crop((0, top, image.width, min(top + part_height, image.height)))
                    part.save(shots / f"{stem}_part{k:02d}.png")
            print(f"{path}: screenshot {out} (and {stem}_partNN.png, {part_height} px each)")
            if measure:
                m = page.evaluate(MEASURE)
                print(f"{path}: reading path: {m['code']} visible code lines, {len(m['asserts'])} visible "
                      f"asserts {m['asserts'][:3]}, {m['glued']} glued numbers, "
                      f"{len(m['folded'])} folded checks; not one '✓ checked:' line: "
                      f"{[f for f in m['folded'] if not f['result'].startswith('✓ checked: ') or chr(10) in f['result']][:3]}; "
                      f"reference shown: {m['referenceShown']}; passes outside solutions: {m['passes']}")
            page.close()
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="private folder name under /tmp/pgbook-preview/")
    parser.add_argument("--shot", nargs="*", default=None,
                        help="pages to screenshot, e.g. book/objective.html, or 'all'")
    parser.add_argument("--only", nargs="*", default=None,
                        help="build only these chapters (default: every chapter file present)")
    parser.add_argument("--no-build", action="store_true", help="only take screenshots of the last build")
    parser.add_argument("--width", type=int, default=1280, help="viewport width in CSS px (390: a phone)")
    parser.add_argument("--measure", action="store_true",
                        help="print the reading-path figures of each page (tools/reading_path.py)")
    args = parser.parse_args()
    dest = Path("/tmp/pgbook-preview") / args.name
    dest.mkdir(parents=True, exist_ok=True)
    copy_tree(dest, untracked=True)
    docs = write_toc(dest, args.only)
    code = 0 if args.no_build else build(dest)
    if args.shot is not None:
        pages = [f"{d}.html" for d in docs] if args.shot in ([], ["all"]) else args.shot
        shoot(dest / "_build" / "html", pages, dest / "shots", width=args.width, measure=args.measure)
    return code


if __name__ == "__main__":
    sys.exit(main())
