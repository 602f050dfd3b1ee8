"""Checks for chapter 4 (the log factorization: REINFORCE with the total return).

check_total_return_estimator(fn), for

    fn(scores, rewards, mask) -> (n_params,)
    ĝ = (1/N) Σ_i (Σ_t m_ti ∇log π(a_ti|s_ti)) (Σ_t m_ti r_ti)

with scores (T, N, n_params) the score ∇_θ log π_θ(a_t|s_t) of step t of episode i,
rewards (T, N), and mask (T, N) bool (m_ti: step t of episode i happened).
The normaliser is 1/N, the number of episodes: each episode contributes one
term, its summed score times its whole return R(ξ_i).
"""

from __future__ import annotations

import numpy as np

from ._batches import junk_outside, lengths_mask, random_batch
from .core import Case, CheckResult, check_function, function_name

__all__ = ["total_return_estimator", "check_total_return_estimator"]


def total_return_estimator(scores, rewards, mask) -> np.ndarray:
    """(1/N) Σ_i (Σ_t mask·score)(Σ_t mask·r), shape (n_params,) (reference solution)."""
    scores, rewards = np.asarray(scores, dtype=float), np.asarray(rewards, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    summed_scores = (scores * mask[..., None]).sum(axis=0)  # (N, n_params)
    returns = (rewards * mask).sum(axis=0)  # (N,)
    return (summed_scores * returns[:, None]).mean(axis=0)


def _cases() -> list[Case]:
    rng = np.random.default_rng(4)
    one = np.ones((1, 1), dtype=bool)
    full3 = np.ones((3, 1), dtype=bool)
    mask_31 = lengths_mask([3, 1], 3)
    cases = [
        Case("one episode of one step (T = 1, N = 1, n_params = 1)",
             (np.array([[[0.5]]]), np.array([[2.0]]), one)),
        Case("one episode of 3 steps (T = 3, N = 1, n_params = 1)",
             (np.array([[[0.5]], [[-1.0]], [[2.0]]]), np.array([[1.0], [0.0], [3.0]]), full3)),
        Case("two episodes of 3 steps, two parameters (T = 3, N = 2, n_params = 2)",
             (np.array([[[1.0, 0.0], [0.5, -0.5]], [[0.0, 1.0], [-1.0, 0.0]], [[2.0, 1.0], [0.0, 0.5]]]),
              np.array([[1.0, 2.0], [0.0, -1.0], [1.0, 1.0]]), np.ones((3, 2), dtype=bool))),
        Case("episodes of lengths 3 and 1 (mask; scores and rewards hold junk where it is False)",
             (junk_outside(np.array([[[1.0], [2.0]], [[0.5], [0.0]], [[-1.0], [0.0]]]), mask_31, -5.0),
              junk_outside(np.array([[1.0, 4.0], [2.0, 0.0], [3.0, 0.0]]), mask_31), mask_31)),
    ]
    cases.append(Case("five episodes of lengths 4, 2, 1, 3, 4 (T = 4, n_params = 3)",
                      random_batch(rng, [4, 2, 1, 3, 4], 4, n_params=3)))
    return cases


def _per_step_mean(scores, rewards, mask):
    return total_return_estimator(scores, rewards, mask) / np.asarray(scores).shape[0]


def _per_real_step(scores, rewards, mask):
    n = np.asarray(scores).shape[1]
    return total_return_estimator(scores, rewards, mask) * n / np.asarray(mask).sum()


def _unmasked(scores, rewards, mask):
    return total_return_estimator(scores, rewards, np.ones_like(np.asarray(mask), dtype=bool))


def _step_by_step(scores, rewards, mask):
    scores, rewards, mask = np.asarray(scores), np.asarray(rewards), np.asarray(mask)
    return np.einsum("tnp,tn->p", scores * mask[..., None], rewards * mask) / scores.shape[1]


MISTAKES = [
    (_per_step_mean, "the answer is the right one divided by T: the normaliser is 1/N (episodes), "
                     "not 1/(N·T) (steps). Each episode's term is already a sum over its steps."),
    (_per_real_step, "the answer is divided by the number of real steps, mask.sum(); the "
                     "normaliser is 1/N, the number of episodes."),
    (_unmasked, "steps where the mask is False were counted: multiply scores and rewards by the "
                "mask before summing over t."),
    (_step_by_step, "each step's score was multiplied by that step's reward only; the total-return "
                    "estimator multiplies the summed score by the whole return R(ξ_i)."),
]


def check_total_return_estimator(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(scores, rewards, mask)`` against the total-return estimator on 5 batches."""
    name = function_name(fn, "total_return_estimator")
    return check_function(fn, total_return_estimator, _cases(), name, mistakes=MISTAKES,
                          all_cases=all_cases, case=case)
