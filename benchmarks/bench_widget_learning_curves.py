"""Widget 5 (learning curves): what a control change and a live run cost.

A grid state is the learning curves of every estimator at one (α, N). The
first time a state is shown it trains those runs (one CartPole run is about
50,000 environment steps); after that the runs are cached in the module and a
redraw only plots. The live panel redraws its figure after every iteration of
training. This script, as in a live kernel (precompute=False):

* times ``render(i, j)`` for every grid state twice, cold (training the runs)
  and warm (plotting cached runs), and a control change back to a state
  already drawn (its image is kept: no redraw), for CartPole and the gridworld;
* times a live run with a redraw per iteration against the same run with no
  drawing, and the redraw itself;
* adds up the PNG sizes (page weight of the static grid).

The 150 ms target of the widgets issue applies to widgets 1–4, which never
train; here it is the target of a control change to a drawn state and of a
live redraw.

    python benchmarks/bench_widget_learning_curves.py
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

from pgbook.envs import gridworld  # noqa: E402
from pgbook.widgets import learning_curves as lc  # noqa: E402


def grid_rows(env, label: str) -> tuple[list, float]:
    w = lc.learning_curves(env, precompute=False, live=False)
    cells = [(i, j) for i in range(len(w.learning_rates)) for j in range(len(w.batch_sizes))]
    cold, warm, sizes = [], [], []
    for i, j in cells:
        w.grid.images[i][j].value = b""
        t0 = time.perf_counter()
        w.grid.render(i, j)
        cold.append(time.perf_counter() - t0)
        sizes.append(len(w.grid.images[i][j].value))
    back = []
    for i, j in cells:
        t0 = time.perf_counter()
        w.grid.render(i, j)
        warm.append(time.perf_counter() - t0)
        t0 = time.perf_counter()  # a control change back to a state already drawn
        w.grid.outer_control.index, w.grid.inner_control.index = i, j
        back.append(time.perf_counter() - t0)
    n, warm_ms = len(cells), 1e3 * statistics.median(warm)
    back_ms = 1e3 * statistics.median(back)
    rows = [
        (f"{label}: first draw of a state (trains), median of {n}", statistics.median(cold), "s",
         "-", True),
        (f"{label}: whole grid, cold (the book build)", sum(cold), "s", "-", True),
        (f"{label}: control change to a drawn state, median", back_ms, "ms", "<= 150 ms",
         back_ms <= 150),
        (f"{label}: re-render from cached runs, median", warm_ms, "ms", "-", True),
        (f"{label}: grid PNGs, total", sum(sizes) / 1e3, "KB", "<= 3 MB page", sum(sizes) < 3e6),
    ]
    return rows, sum(sizes)


def live_rows() -> list:
    w = lc.learning_curves("CartPole-v1", precompute=False, live=True)
    times = []
    redraw = w.redraw

    def timed_redraw():
        t0 = time.perf_counter()
        redraw()
        times.append(time.perf_counter() - t0)

    w.redraw = timed_redraw
    t0 = time.perf_counter()
    run = w.run("reward-to-go, batch baseline", lr=0.1, batch=5, seed=100, budget=30_000)
    drawn = time.perf_counter() - t0
    lc._CACHE.clear()
    t0 = time.perf_counter()
    bare = lc.train("CartPole-v1", "reward-to-go, batch baseline", 0.1, 5, seed=100, budget=30_000)
    plain = time.perf_counter() - t0
    assert bare.iterations == run.iterations
    median_ms = 1e3 * statistics.median(times)
    return [
        ("live: redraws per iteration", len(times) / run.iterations, "", ">= 1",
         len(times) >= run.iterations),
        ("live: redraw, median", median_ms, "ms", "<= 150 ms", median_ms <= 150),
        (f"live: {run.iterations} iterations, drawing each", drawn, "s", "-", True),
        (f"live: the same {run.iterations} iterations, no drawing", plain, "s", "-", True),
    ]


def main() -> None:
    rows_c, size_c = grid_rows("CartPole-v1", "CartPole")
    rows_t, size_t = grid_rows(gridworld(size=4, horizon=20), "gridworld")
    print_table("widget 5, learning curves: live kernel (precompute=False)",
                rows_c + rows_t + live_rows())


if __name__ == "__main__":
    main()
