"""Widget 2 (chain-rule cost): construction time and the latency of a redraw.

The widget measures its times once, at construction (the chain-rule gradient
for the small cases, the DP for every horizon); a control change in a live
kernel only redraws a figure from those cached numbers. This script builds the
widget as in a live kernel (precompute=False), then times ``render(i, j)`` for
every state of the grid, as a control change would call it, and prints the
median against the 150 ms target of the widgets issue.

    python benchmarks/bench_widget_chain_rule.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _table import print_table  # noqa: E402

from pgbook.widgets.chain_rule import chain_rule_cost  # noqa: E402


def main() -> None:
    start = time.perf_counter()
    w = chain_rule_cost(precompute=False)
    built = time.perf_counter() - start
    times, sizes = [], []
    for i in range(len(w.pairs)):
        for j in range(len(w.horizons)):
            t0 = time.perf_counter()
            w.render(i, j)
            times.append(time.perf_counter() - t0)
            sizes.append(len(w.images[i][j].value))
    median_ms = 1e3 * statistics.median(times)
    n = len(times)
    print_table("widget 2, chain-rule cost: live kernel (precompute=False)", [
        ("construction (measures every case once)", built, "s", "once", True),
        (f"redraw, median over {n} states", median_ms, "ms", "<= 150 ms", median_ms <= 150),
        (f"redraw, slowest of {n}", 1e3 * max(times), "ms", "-", True),
        ("figure PNG, mean size", statistics.mean(sizes) / 1e3, "KB", "-", True),
        ("all states, total PNG", sum(sizes) / 1e6, "MB", "<= 3 MB page", sum(sizes) < 3e6),
    ])


if __name__ == "__main__":
    main()
