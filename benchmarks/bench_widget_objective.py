"""Widget 1 (objective explorer): construction time and the latency of a redraw.

All sampling happens once, at construction: 1024 corridor rollouts at each of
the 9 policies, with a seed fixed per policy, plus the exact J curve. A control
change in a live kernel only averages cached returns and updates the artists of
one persistent figure. This script builds the widget as chapter 1 does, as in
a live kernel (precompute=False), then times ``render(i, j)`` for every (x, N)
state, as a slider move would call it, and prints the median against the
150 ms target of the widgets issue.

    python benchmarks/bench_widget_objective.py [--repeat R]
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

from pgbook.envs import corridor  # noqa: E402
from pgbook.policies import TabularSoftmax  # noqa: E402
from pgbook.widgets.objective import objective_explorer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="passes over every state")
    args = parser.parse_args()

    hall = corridor(horizon=50)
    aliased = TabularSoftmax(4, 2, observe=np.zeros(4, int))
    start = time.perf_counter()
    w = objective_explorer(hall, aliased, direction=[0, 1], xs=np.linspace(-2, 2, 9),
                           ns=[1, 4, 16, 64, 256, 1024], x_label="x",
                           precompute=False)
    built = time.perf_counter() - start
    states = [(i, j) for i in range(len(w.xs)) for j in range(len(w.ns))]
    times = []
    for _ in range(args.repeat):
        for i, j in states:
            t0 = time.perf_counter()
            w.grid.render(i, j)
            times.append(time.perf_counter() - t0)
    sizes = [len(w.images[i][j].value) for i, j in states]
    median_ms = 1e3 * statistics.median(times)
    print_table("widget 1, objective explorer: live kernel (precompute=False)", [
        ("construction (exact curve, 9 × 1024 rollouts, first state)", built, "s", "once", True),
        (f"redraw, median over {len(times)} renders ({len(states)} states)", median_ms, "ms",
         "<= 150 ms", median_ms <= 150),
        (f"redraw, slowest of {len(times)}", 1e3 * max(times), "ms", "-", True),
        ("figure PNG, mean size", statistics.mean(sizes) / 1e3, "KB", "-", True),
        ("all states, total PNG", sum(sizes) / 1e6, "MB", "<= 3 MB page", sum(sizes) < 3e6),
    ])


if __name__ == "__main__":
    main()
