"""Widget 4 (variance explorer): construction time and the latency of a redraw.

The expensive parts happen once, at construction: one pool of M = 100,000
sampled trajectories, each estimator's M terms g(ξ_i) on it, and each
estimator's exact moments by enumeration. A control change in a live kernel
only reshapes cached terms into ⌊M/N⌋ estimates and updates the artists of one
persistent figure. This script builds the widget as chapter 5 would (four
estimators × seven N, precompute=False, as in a live kernel), then times
``render(i, j)`` for every state, as a control move would call it, and prints
the median against the 150 ms target of the widgets issue.

    python benchmarks/bench_widget_variance.py [--repeat R]
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

from pgbook.envs import two_state_mdp  # noqa: E402
from pgbook.policies import TabularSoftmax  # noqa: E402
from pgbook.widgets.variance import variance_explorer  # noqa: E402

ESTIMATORS = ["total return", "reward-to-go", "reward-to-go, state-value baseline", "exact Q"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over every state")
    args = parser.parse_args()

    mdp, policy = two_state_mdp(horizon=4), TabularSoftmax(2, 2)
    theta = np.array([0.5, -0.5, -1.0, 1.0])
    start = time.perf_counter()
    w = variance_explorer(mdp, policy, theta, estimators=ESTIMATORS, precompute=False)
    built = time.perf_counter() - start
    states = [(i, j) for i in range(len(ESTIMATORS)) for j in range(len(w.n_values))]
    times, cpu = [], []
    for _ in range(args.repeat):
        for i, j in states:
            t0, c0 = time.perf_counter(), time.process_time()
            w.render(i, j)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    sizes = [len(w.figures.images[i][j].value) for i, j in states]
    median_ms = 1e3 * statistics.median(times)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print_table("widget 4, variance explorer: live kernel (precompute=False)", [
        (f"construction ({len(ESTIMATORS)} estimators: pool, terms, exact moments)", built,
         "s", "once", True),
        (f"redraw, median over {len(times)} renders ({len(states)} states)", median_ms, "ms",
         "<= 150 ms", median_ms <= 150),
        (f"redraw, slowest of {len(times)} (includes the first, which lays out the figure)",
         1e3 * max(times), "ms", "-", True),
        ("redraw, median CPU time of this process", 1e3 * statistics.median(cpu), "ms",
         "-", True),
        (f"load average (1 min) on {os.cpu_count()} cores, for context", load, "", "-", True),
        ("figure PNG, mean size", statistics.mean(sizes) / 1e3, "KB", "-", True),
        (f"all {len(states)} states, total PNG", sum(sizes) / 1e6, "MB", "<= 3 MB page",
         sum(sizes) < 3e6),
    ])


if __name__ == "__main__":
    main()
