"""Rollout throughput: pgbook's rollout with a linear softmax policy against
gymnasium's own vector env stepped with random actions, side by side.

Both use ``gymnasium.make_vec("CartPole-v1", num_envs=256,
vectorization_mode="vector_entry_point")``. The raw loop only calls
``env.step(env.action_space.sample())``. pgbook's figure is end to end: steps
in the returned Batch per second of ``rollout_steps`` (sampling the policy,
recording, finishing the kept episodes, laying out the (T, N) arrays).

Two policies: θ = 0 acts uniformly at random, so its episodes are distributed
exactly like the raw loop's (short: about 22 steps); a trained θ balances the
pole to the 500-step limit. Rounds alternate raw and pgbook; the ratio quoted
is the median over rounds of pgbook's rate over the raw rate of the same round.

The end-to-end time splits in two, and the table shows both:
* the sampling loop (stepping, drawing actions, recording each vector step);
* the layout: copying the kept steps into the (T, N) arrays, T being the
  longest episode. At θ = 0 the longest of ~12k episodes is 110-170 steps
  against a mean of 22, so the arrays hold about 6 padding cells per step, and
  zeroing and filling them costs about a quarter of the run.

Run: python benchmarks/bench_rollout.py [vector steps per batch, default 1000]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import print_table  # noqa: E402

import pgbook.rollout  # noqa: E402
from pgbook.policies import LinearSoftmax  # noqa: E402
from pgbook.rollout import collect, make_vector_env  # noqa: E402

NUM_ENVS = 256
ROWS = 1000            # vector steps per measurement, raw and pgbook alike
ROUNDS = 11
TARGET = 0.70          # pgbook ≥ 70% of the raw step rate
ASSEMBLE = pgbook.rollout._assemble  # timed by wrapping it (see timed_layout)

# a balancing linear controller: push the way the pole falls and the cart drifts
W = np.array([0.5, 1.0, 10.0, 2.0])
TRAINED = 5 * np.stack([-W, W], axis=1).ravel()


def raw_rate(env, rows: int, seed: int) -> float:
    """Random-action env steps per second: k·rows / seconds."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    start = time.perf_counter()
    for _ in range(rows):
        env.step(env.action_space.sample())
    return env.num_envs * rows / (time.perf_counter() - start)


def timed_layout(seconds: list):
    """pgbook.rollout._assemble, the (T, N) layout step, appending the time of each call to ``seconds``."""

    def timed(*args):
        start = time.perf_counter()
        out = ASSEMBLE(*args)
        seconds.append(time.perf_counter() - start)
        return out

    return timed


def pgbook_rates(env, policy, theta, n_steps: int, seed: int) -> tuple[float, float, float]:
    """Per second of one rollout: (steps kept in the Batch, env steps simulated,
    steps kept per second of the sampling loop alone, without the (T, N) layout)."""
    rng = np.random.default_rng(seed)
    layout = []
    pgbook.rollout._assemble = timed_layout(layout)
    try:
        start = time.perf_counter()
        batch, info = collect(env, policy, theta, rng, n_steps=n_steps)
        seconds = time.perf_counter() - start
    finally:
        pgbook.rollout._assemble = ASSEMBLE
    kept = batch.mask.sum()
    return kept / seconds, info.env_steps / seconds, kept / (seconds - layout[0])


def main(rows_per_batch: int = ROWS) -> None:
    env = make_vector_env("CartPole-v1", NUM_ENVS)
    policy = LinearSoftmax(4, 2)
    n_steps = NUM_ENVS * rows_per_batch
    rows = []
    for name, theta in (("θ = 0 (uniform)", policy.init_theta()), ("θ trained", TRAINED)):
        pgbook_rates(env, policy, theta, n_steps, seed=0)  # warm up
        raw_rate(env, 100, seed=0)
        raw, kept, simulated, loop = [], [], [], []
        for r in range(ROUNDS):  # raw and pgbook back to back, so both see the same machine load
            raw.append(raw_rate(env, rows_per_batch, seed=r))
            k, s, l = pgbook_rates(env, policy, theta, n_steps, seed=r)
            kept.append(k)
            simulated.append(s)
            loop.append(l)
        raw, kept, simulated, loop = map(np.array, (raw, kept, simulated, loop))
        ratio = float(np.median(kept / raw))  # median over rounds of the per-round ratio
        rows += [
            (f"raw vector env, random actions [{name}]", np.median(raw), "steps/s", "reference", True),
            (f"pgbook rollout, steps kept [{name}]", np.median(kept), "steps/s", "", True),
            (f"  ratio kept / raw [{name}]", ratio, "", f">= {TARGET:.2f}", ratio >= TARGET),
            (f"  ratio simulated / raw [{name}]", float(np.median(simulated / raw)), "", "(info)", True),
            (f"  ratio kept / raw, sampling loop only [{name}]", float(np.median(loop / raw)), "",
             "(info)", True),
            (f"  layout share of the rollout's time [{name}]", float(np.median(1 - kept / loop)), "",
             "(info)", True),
        ]
    print_table(f"rollout throughput, CartPole-v1, {NUM_ENVS} vector envs, "
                f"batches of {n_steps:,} steps, median of {ROUNDS} rounds", rows)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)
