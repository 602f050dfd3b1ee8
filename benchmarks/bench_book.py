"""Book build times: a clean build, and a rebuild with nothing changed.

Builds a copy of the repository (the tracked files and the fetched _vendor/)
in a temporary folder, so the working tree's _build/ and its execution cache are
left alone. Targets from the foundation issue, for this 2-core machine: a clean
build of the full book in <= 180 s, a rebuild with nothing changed in <= 30 s.

    python benchmarks/bench_book.py [--repeat N]   (the median of N rebuilds)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _table import print_table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from book_server import copy_tree  # noqa: E402
from build_book import build  # noqa: E402


def timed_build(where: Path) -> float:
    """Seconds for one build of the copy at ``where``, as ``make book`` runs it."""
    start = time.perf_counter()
    done = build(where, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_book: the build failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rebuilds to take the median of")
    args = parser.parse_args()
    if not (ROOT / "_vendor" / "versions.json").exists():
        sys.exit("bench_book: run `make vendor` first (the offline assets are missing)")
    with tempfile.TemporaryDirectory(prefix="pgbook-bench-") as tmp:
        where = Path(tmp)
        copy_tree(where)
        clean = timed_build(where)
        rebuilds = [timed_build(where) for _ in range(args.repeat)]
    rebuild = statistics.median(rebuilds)
    print_table(
        "Book build (make book: chapters run 2 at a time, then jupyter-book build -W -n)",
        [
            ("clean build", clean, "s", "<= 180 s", clean <= 180),
            (f"rebuild, nothing changed (median of {args.repeat})", rebuild, "s", "<= 30 s", rebuild <= 30),
        ],
    )


if __name__ == "__main__":
    main()
