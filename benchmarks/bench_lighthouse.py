"""Lighthouse scores of every chapter of the built book: performance and accessibility.

Targets from the figures-and-widgets issue: Lighthouse's mobile profile (its
default: a mid-range phone on simulated slow 4G) scores performance >= 60 and
accessibility >= 95 on every chapter. Lighthouse comes from npm at a pinned
version, installed once into .test_vendor/lighthouse-<version>/, and drives
Debian's Chromium (CHROME_PATH) against the book served on loopback, with
gzip as any static web host would serve it. Each
score is the median of --repeat runs (the machine is shared; performance
varies from run to run).

    python benchmarks/bench_lighthouse.py [--repeat 3] [--pages book/objective.html ...]   (after `make book`)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from _table import print_table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from book_server import CHROMIUM, serve  # noqa: E402

HTML = Path(os.environ.get("PGBOOK_HTML", ROOT / "_build" / "html"))
VERSION = "12.8.2"
TOOL = ROOT / ".test_vendor" / f"lighthouse-{VERSION}"
TARGETS = {"performance": 60, "accessibility": 95}


def lighthouse() -> Path:
    """The lighthouse CLI, installed from npm at VERSION on first use."""
    cli = TOOL / "node_modules" / ".bin" / "lighthouse"
    if not cli.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("bench_lighthouse: npm is needed to install lighthouse (install Node.js)")
        TOOL.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(TOOL), "--no-audit", "--no-fund", "--silent",
                        f"lighthouse@{VERSION}"], check=True)
    return cli


def chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [f"{c['file']}.html" for part in toc["parts"] if part.get("numbered") for c in part["chapters"]]


def scores(cli: Path, url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        flags = ("--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
                 "--disable-background-networking --disable-component-update --disable-sync "
                 f"--user-data-dir={tmp}/profile")
        subprocess.run([str(cli), url, "--quiet", "--output=json", f"--output-path={out}",
                        "--only-categories=performance,accessibility", f"--chrome-flags={flags}"],
                       check=True, env=dict(os.environ, CHROME_PATH=str(CHROMIUM)))
        report = json.loads(out.read_text())
    return {k: 100 * report["categories"][k]["score"] for k in TARGETS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", nargs="*", default=None, help="default: every numbered chapter")
    args = parser.parse_args()
    if not (HTML / "index.html").exists():
        sys.exit("bench_lighthouse: build the book first (`make book`)")
    cli = lighthouse()
    rows = []
    with serve(HTML, gzip=True) as base:  # compressed, as any static host serves it
        for path in args.pages or chapters():
            runs = [scores(cli, base + path) for _ in range(args.repeat)]
            for category, target in TARGETS.items():
                median = statistics.median(r[category] for r in runs)
                rows.append((f"{path}: {category}", median, "/100", f">= {target}", median >= target))
    print_table(f"Lighthouse {VERSION}, mobile profile (median of {args.repeat} runs)", rows)


if __name__ == "__main__":
    main()
