"""Checks for chapter 5 (causality, reward-to-go, baselines).

check_reward_to_go(fn), for

    fn(rewards, mask, gamma) -> (T, N)
    G_t = Σ_{t'≥t} γ^{t'−t} m_{t'} r_{t'}   where m_t is True, and G_t = 0 where it is False

with rewards (T, N), mask (T, N) bool and gamma in (0, 1]. The sum includes
r_t itself: the action a_t earns the reward of its own step.

check_baseline_estimator(fn), for

    fn(scores, rewards, mask, baseline) -> (n_params,)
    ĝ = (1/N) Σ_i Σ_t m_ti ∇log π(a_ti|s_ti) (G_ti − b_t)

with scores (T, N, n_params), rewards (T, N), mask (T, N) bool, baseline (T,), and
G the undiscounted reward-to-go (γ = 1).
"""

from __future__ import annotations

import numpy as np

from .. import estimators
from ._batches import junk_outside, lengths_mask, random_batch
from .core import Case, CheckResult, check_function, function_name

__all__ = ["reward_to_go", "baseline_estimator", "check_reward_to_go", "check_baseline_estimator"]


def reward_to_go(rewards, mask, gamma) -> np.ndarray:
    """G_t = Σ_{t'≥t} γ^{t'−t} r_{t'} on real steps, 0 elsewhere, shape (T, N) (reference solution)."""
    mask = np.asarray(mask, dtype=bool)
    return estimators.reward_to_go(rewards, mask, gamma) * mask


def baseline_estimator(scores, rewards, mask, baseline) -> np.ndarray:
    """(1/N) Σ_i Σ_t mask·score_t (G_t − b_t), shape (n_params,) (reference solution)."""
    scores = np.asarray(scores, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    advantage = (reward_to_go(rewards, mask, 1.0) - np.asarray(baseline, dtype=float)[:, None]) * mask
    return np.einsum("tnp,tn->p", scores * mask[..., None], advantage) / scores.shape[1]


# ----------------------------------------------------------------- reward-to-go

def _rtg_cases() -> list[Case]:
    rng = np.random.default_rng(5)
    mask_31 = lengths_mask([3, 1], 3)
    mask_423 = lengths_mask([4, 2, 3], 4)
    big_rewards, big_mask = random_batch(rng, [6, 3, 1, 5], 6)
    return [
        Case("one episode of length 1 (T = 1, N = 1), gamma = 1",
             (np.array([[2.0]]), np.ones((1, 1), dtype=bool), 1.0)),
        Case("one episode of 3 steps, gamma = 1",
             (np.array([[1.0], [2.0], [3.0]]), np.ones((3, 1), dtype=bool), 1.0)),
        Case("one episode of 3 steps, gamma = 0.5",
             (np.array([[1.0], [2.0], [4.0]]), np.ones((3, 1), dtype=bool), 0.5)),
        Case("two episodes of lengths 3 and 1 (mask; rewards hold junk where it is False), gamma = 1",
             (junk_outside(np.array([[1.0, 5.0], [2.0, 0.0], [3.0, 0.0]]), mask_31), mask_31, 1.0)),
        Case("three episodes of lengths 4, 2 and 3 (mask), gamma = 0.9",
             (junk_outside(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [2.0, 0.0, -1.0], [1.0, 0.0, 0.0]]),
                           mask_423), mask_423, 0.9)),
        Case("four episodes of lengths 6, 3, 1 and 5, gamma = 0.99",
             (big_rewards, big_mask, 0.99)),
    ]


def _from_next_step(rewards, mask, gamma):
    togo = reward_to_go(rewards, mask, gamma)
    later = np.zeros_like(togo)
    later[:-1] = togo[1:]
    return later * np.asarray(mask, dtype=bool)


def _undiscounted(rewards, mask, gamma):
    return reward_to_go(rewards, mask, 1.0)


def _discount_from_start(rewards, mask, gamma):
    mask = np.asarray(mask, dtype=bool)
    discount = gamma ** np.arange(len(mask))[:, None]
    return reward_to_go(np.asarray(rewards) * discount, mask, 1.0)


def _unmasked_rtg(rewards, mask, gamma):
    return estimators.reward_to_go(rewards, None, gamma)


def _so_far(rewards, mask, gamma):
    mask = np.asarray(mask, dtype=bool)
    return np.cumsum(np.asarray(rewards) * mask, axis=0) * mask


RTG_MISTAKES = [
    (_from_next_step, "off by one: G_t starts at t' = t and includes r_t; this answer starts at t + 1."),
    (_undiscounted, "the discount is missing: weigh r_{t'} by γ^{t'−t}."),
    (_discount_from_start, "the discount counts from the start of the episode (γ^{t'}); for G_t it "
                           "counts from step t (γ^{t'−t})."),
    (_unmasked_rtg, "steps where the mask is False were counted (or left non-zero): multiply the "
                    "rewards by the mask, and G_t must be 0 where the mask is False."),
    (_so_far, "this is the reward collected so far (a sum over t' ≤ t); reward-to-go sums over "
              "t' ≥ t, so compute it backwards: G_t = r_t + γ G_{t+1}."),
]


def check_reward_to_go(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(rewards, mask, gamma)`` against G_t on 6 batches, the one-step episode first."""
    name = function_name(fn, "reward_to_go")
    return check_function(fn, reward_to_go, _rtg_cases(), name, mistakes=RTG_MISTAKES,
                          all_cases=all_cases, case=case)


# ------------------------------------------------------------------- baseline

def _baseline_cases() -> list[Case]:
    rng = np.random.default_rng(6)
    mask_31 = lengths_mask([3, 1], 3)
    big = random_batch(rng, [5, 2, 4, 1], 5, n_params=3)
    return [
        Case("one episode of one step (T = 1, N = 1, n_params = 1), baseline 0",
             (np.array([[[0.5]]]), np.array([[2.0]]), np.ones((1, 1), dtype=bool), np.array([0.0]))),
        Case("one episode of 3 steps, constant baseline b_t = 1",
             (np.array([[[0.5]], [[-1.0]], [[2.0]]]), np.array([[1.0], [0.0], [3.0]]),
              np.ones((3, 1), dtype=bool), np.array([1.0, 1.0, 1.0]))),
        Case("two episodes of 3 steps, two parameters, baseline b_t = [3, 2, 1]",
             (np.array([[[1.0, 0.0], [0.5, -0.5]], [[0.0, 1.0], [-1.0, 0.0]], [[2.0, 1.0], [0.0, 0.5]]]),
              np.array([[1.0, 2.0], [0.0, -1.0], [1.0, 1.0]]), np.ones((3, 2), dtype=bool),
              np.array([3.0, 2.0, 1.0]))),
        Case("episodes of lengths 3 and 1 (mask; junk where it is False), baseline b_t = [0.5, 1, 1.5]",
             (junk_outside(np.array([[[1.0], [2.0]], [[0.5], [0.0]], [[-1.0], [0.0]]]), mask_31, -5.0),
              junk_outside(np.array([[1.0, 4.0], [2.0, 0.0], [3.0, 0.0]]), mask_31), mask_31,
              np.array([0.5, 1.0, 1.5]))),
        Case("four episodes of lengths 5, 2, 4 and 1 (T = 5, n_params = 3), baseline b_t = [2, 1.5, 1, 0.5, 0]",
             big + (np.array([2.0, 1.5, 1.0, 0.5, 0.0]),)),
    ]


def _no_baseline(scores, rewards, mask, baseline):
    return baseline_estimator(scores, rewards, mask, np.zeros_like(np.asarray(baseline, dtype=float)))


def _baseline_added(scores, rewards, mask, baseline):
    return baseline_estimator(scores, rewards, mask, -np.asarray(baseline, dtype=float))


def _total_return_minus_b(scores, rewards, mask, baseline):
    scores, mask = np.asarray(scores, dtype=float), np.asarray(mask, dtype=bool)
    returns = (np.asarray(rewards) * mask).sum(axis=0)  # (N,)
    weight = (returns[None, :] - np.asarray(baseline, dtype=float)[:, None]) * mask
    return np.einsum("tnp,tn->p", scores * mask[..., None], weight) / scores.shape[1]


def _baseline_per_step_mean(scores, rewards, mask, baseline):
    return baseline_estimator(scores, rewards, mask, baseline) / np.asarray(scores).shape[0]


def _baseline_unmasked(scores, rewards, mask, baseline):
    return baseline_estimator(scores, rewards, np.ones_like(np.asarray(mask), dtype=bool), baseline)


BASELINE_MISTAKES = [
    (_no_baseline, "the baseline seems to be ignored: weigh each score by G_t − b_t."),
    (_baseline_added, "the baseline was added; subtract it: G_t − b_t."),
    (_total_return_minus_b, "each step was weighted by the whole return R(ξ) − b_t; use the "
                            "reward-to-go G_t − b_t (rewards before step t do not depend on a_t)."),
    (_baseline_per_step_mean, "the answer is the right one divided by T: the normaliser is 1/N "
                              "(episodes), not 1/(N·T)."),
    (_baseline_unmasked, "steps where the mask is False were counted: multiply by the mask."),
]


def check_baseline_estimator(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(scores, rewards, mask, baseline)`` against the baseline estimator on 5 batches."""
    name = function_name(fn, "baseline_estimator")
    return check_function(fn, baseline_estimator, _baseline_cases(), name, mistakes=BASELINE_MISTAKES,
                          all_cases=all_cases, case=case)
