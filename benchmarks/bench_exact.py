"""Exact gradients: dynamic programming against enumeration of every trajectory, as T grows.

Both give the same ∇J(θ) (checked here to 1e-9); DP costs O(T·S²·A), enumeration
O(T·(S·A)^T). Prints the median time of each over --repeat runs and their ratio,
for a random MDP with 2 states and 2 actions.

    python benchmarks/bench_exact.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from _table import print_table
from pgbook.exact import exact_gradient, gradient_by_enumeration
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for horizon in (2, 4, 6, 8, 10):
        mdp = random_mdp(2, 2, horizon, rng)
        policy = TabularSoftmax(2, 2)
        theta = policy.init_theta(rng)
        dp = exact_gradient(mdp, policy, theta)
        enum = gradient_by_enumeration(mdp, policy, theta)
        assert np.allclose(dp, enum, atol=1e-9), "DP and enumeration disagree"
        t_dp = median_time(lambda: exact_gradient(mdp, policy, theta), args.repeat)
        t_enum = median_time(lambda: gradient_by_enumeration(mdp, policy, theta), args.repeat)
        rows.append((f"T = {horizon:2d}: DP", t_dp * 1e3, "ms", "", True))
        rows.append((f"T = {horizon:2d}: enumeration ({4 ** horizon:,} trajectories)", t_enum * 1e3, "ms", "", True))
        rows.append((f"T = {horizon:2d}: enumeration / DP", t_enum / t_dp, "x", "(info)", True))
    print_table("Exact ∇J: DP vs enumeration (S = 2, A = 2; same gradient to 1e-9)", rows)


if __name__ == "__main__":
    main()
