"""Actor-critic beside REINFORCE on CartPole-v1: steps and seconds to a batch mean return of 475.

Same policy, optimizer and batches for all three (linear softmax on the raw
4-d observation, θ_0 = 0, Adam(lr=0.2), batches of ≥ 2000 steps over 16
vectorized envs), on the same seeds:

* REINFORCE: reward-to-go with the leave-one-out mean baseline
  (``pgbook.train.reinforce``'s defaults, as in bench_train.py);
* actor-critic, λ = 1: the linear critic on [1, 1 − t/500, s, s²] used as a
  baseline only (unbiased);
* actor-critic, λ = 0.95: the same critic, bootstrapped by GAE (biased by the
  critic's error, less variance).

A run stops at the first batch whose mean return reaches 475. Wall time is the
whole call (env creation included); env steps are the steps in all its
batches. Medians over 10 seeds. The chapter's question is whether a learned
critic helps here; the targets below only ask that actor-critic is not worse
than REINFORCE by more than a quarter.

Run: python benchmarks/bench_actor_critic.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402

from pgbook.actor_critic import actor_critic  # noqa: E402
from pgbook.policies import LinearSoftmax  # noqa: E402
from pgbook.train import reinforce  # noqa: E402

SEEDS = range(10)
TARGET_RETURN = 475
MAX_ITERATIONS = 400


def one_run(method: str, seed: int) -> tuple[float, int, bool]:
    """(seconds, env steps, reached 475?) for one method and seed."""
    policy = LinearSoftmax(4, 2)
    kw = dict(iterations=MAX_ITERATIONS, rng=np.random.default_rng(seed), target_return=TARGET_RETURN,
              progress=False)
    start = time.perf_counter()
    if method == "REINFORCE":
        curve = reinforce("CartPole-v1", policy, policy.init_theta(), **kw)
    else:
        curve = actor_critic("CartPole-v1", policy, policy.init_theta(), lam=float(method.split("=")[1]), **kw)
    return time.perf_counter() - start, int(curve.env_steps[-1]), curve.reached_target


def main() -> None:
    methods = ["REINFORCE", "actor-critic λ=1", "actor-critic λ=0.95"]
    one_run(methods[-1], 100)  # warm up imports and caches
    results = {m: [one_run(m, seed) for seed in SEEDS] for m in methods}
    medians = {}
    rows = []
    for m in methods:
        seconds, steps, reached = (np.array(x) for x in zip(*results[m]))
        medians[m] = float(np.median(steps))
        rows.append((f"{m}: median env steps to 475", medians[m], "steps", "", True))
        rows.append((f"{m}: median wall time to 475", float(np.median(seconds)), "s", "", True))
        rows.append((f"{m}: seeds reaching 475", float(reached.sum()), f"of {len(SEEDS)}", f"{len(SEEDS)}",
                     bool(reached.all())))
    base = medians["REINFORCE"]
    rows = [(name, value, unit, target or (f"<= {1.25 * base:,.0f}" if "actor" in name and unit == "steps" else ""),
             met if not ("actor" in name and unit == "steps") else value <= 1.25 * base)
            for name, value, unit, target, met in rows]
    print_table("Actor-critic vs REINFORCE, linear softmax, CartPole-v1 (Adam 0.2, 2000-step batches, 16 envs)", rows)
    for m in methods:
        print(f"{m}: " + ", ".join(f"{s:.2f} s / {n:,} steps" for s, n, _ in results[m]))


if __name__ == "__main__":
    main()
