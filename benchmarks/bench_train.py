"""REINFORCE on CartPole-v1 with pgbook's defaults: how fast to a batch mean return of 475?

Linear softmax policy on the raw 4-d observation (8 parameters, θ_0 = 0),
reward-to-go with the leave-one-out mean baseline, Adam(lr=0.2), batches of
≥ 2000 steps over 16 vectorized envs: ``pgbook.train.reinforce``'s defaults.
A run stops at the first batch whose mean return reaches 475. Wall time is the
whole ``reinforce`` call (env creation included); env steps are the steps in
all its batches. Medians over 5 seeds.

Run: python benchmarks/bench_train.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402

from pgbook.policies import LinearSoftmax  # noqa: E402
from pgbook.train import reinforce  # noqa: E402

SEEDS = range(5)
TARGET_RETURN = 475
MAX_ITERATIONS = 400


def one_run(seed: int) -> tuple[float, int, bool]:
    """(seconds, env steps, reached 475?) for one seed."""
    policy = LinearSoftmax(4, 2)
    start = time.perf_counter()
    curve = reinforce("CartPole-v1", policy, policy.init_theta(), iterations=MAX_ITERATIONS,
                      rng=np.random.default_rng(seed), target_return=TARGET_RETURN, progress=False)
    return time.perf_counter() - start, int(curve.env_steps[-1]), curve.reached_target


def main() -> None:
    one_run(100)  # warm up imports and caches
    runs = [one_run(seed) for seed in SEEDS]
    seconds, steps, reached = (np.array(x) for x in zip(*runs))
    med_s, med_steps = float(np.median(seconds)), float(np.median(steps))
    rows = [
        ("median wall time to mean return 475", med_s, "s", "<= 1.0", med_s <= 1.0),
        ("median env steps to mean return 475", med_steps, "steps", "<= 150,000", med_steps <= 150_000),
        ("seeds reaching 475", float(reached.sum()), f"of {len(SEEDS)}", f"{len(SEEDS)}", reached.all()),
    ]
    print_table("REINFORCE, linear softmax, CartPole-v1 (defaults: Adam 0.2, 2000-step batches, 16 envs)", rows)
    print("per seed: " + ", ".join(f"{s:.2f} s / {n:,} steps" for s, n in zip(seconds, steps)))


if __name__ == "__main__":
    main()
