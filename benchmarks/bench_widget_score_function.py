"""Widget 3 (score-function estimator): construction time and the latency of a redraw.

All sampling happens once, at construction: for each N on the grid, 2000
independent N-sample estimates drawn with a seed fixed per N. A control change
in a live kernel only redraws a figure from those cached numbers. This script
builds the widget as the chapter does, as in a live kernel (precompute=False),
then times ``render(i)`` for every N, as a slider move would call it, and
prints the median against the 150 ms target of the widgets issue.

    python benchmarks/bench_widget_score_function.py [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from _table import print_table  # noqa: E402

from pgbook.score_function import SoftmaxBandit  # noqa: E402
from pgbook.widgets.score_function import score_function_explorer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over every state")
    args = parser.parse_args()

    bandit, theta = SoftmaxBandit([1.0, 2.0, 4.0]), np.array([0.0, 0.5, -0.5])
    start = time.perf_counter()
    w = score_function_explorer(bandit, theta, coordinate=2, precompute=False)
    built = time.perf_counter() - start
    times, cpu, sizes = [], [], []
    for _ in range(args.repeat):
        for i in range(len(w.sizes)):
            t0, c0 = time.perf_counter(), time.process_time()
            w.render(i)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            sizes.append(len(w.images[i].value))
    median_ms = 1e3 * statistics.median(times)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    n = len(w.sizes)
    per_state = sizes[-n:]
    print_table("widget 3, score-function estimator: live kernel (precompute=False)", [
        ("construction (samples every N once, draws N = 10)", built, "s", "once", True),
        (f"redraw, median over {len(times)} renders ({n} states)", median_ms, "ms",
         "<= 150 ms", median_ms <= 150),
        (f"redraw, slowest of {len(times)}", 1e3 * max(times), "ms", "-", True),
        ("redraw, median CPU time of this process", 1e3 * statistics.median(cpu), "ms",
         "-", True),
        (f"load average (1 min) on {os.cpu_count()} cores, for context", load, "", "-", True),
        ("figure PNG, mean size", statistics.mean(per_state) / 1e3, "KB", "-", True),
        ("all states, total PNG", sum(per_state) / 1e6, "MB", "<= 3 MB page",
         sum(per_state) < 3e6),
    ])


if __name__ == "__main__":
    main()
