"""Checks for chapter 3 (the likelihood ratio and the score).

check_softmax_score(fn), for

    fn(logits, action) -> (A,)
    ∇_z log softmax(z)[a] = e_a − softmax(z),   softmax(z)_k = exp(z_k) / Σ_j exp(z_j)

the score of a softmax policy with respect to its logits z (A,), for the
action a (an int). Computing it must not overflow for huge logits: softmax(z)
equals softmax(z − max z), and exp(z − max z) ≤ 1.
"""

from __future__ import annotations

import numpy as np

from .core import Case, CheckResult, check_function, function_name

__all__ = ["softmax_score", "check_softmax_score"]


def _softmax(logits) -> np.ndarray:
    z = np.asarray(logits, dtype=float)
    w = np.exp(z - z.max())
    return w / w.sum()


def softmax_score(logits, action) -> np.ndarray:
    """e_action − softmax(logits), shape (A,) (reference solution)."""
    score = -_softmax(logits)
    score[int(action)] += 1.0
    return score + 0.0  # turns -0.0 into 0.0, for tidy messages


def _cases() -> list[Case]:
    return [
        Case("one action (A = 1): the policy is certain, the score is 0", (np.array([0.7]), 0)),
        Case("two actions with equal logits, action 0", (np.array([0.0, 0.0]), 0)),
        Case("three actions, logits [1, 2, 3], action 2", (np.array([1.0, 2.0, 3.0]), 2)),
        Case("four actions, negative logits, action 1", (np.array([-0.5, -2.0, -1.0, -3.0]), 1)),
        Case("huge logits [1000, 0, -1000], action 1: exp(1000) overflows float64",
             (np.array([1000.0, 0.0, -1000.0]), 1)),
        Case("very negative logits [-1000, -1001], action 1: exp(-1000) underflows to 0",
             (np.array([-1000.0, -1001.0]), 1)),
    ]


def _flipped(logits, action):
    return -softmax_score(logits, action)


def _no_indicator(logits, action):
    return -_softmax(logits)


def _probabilities(logits, action):
    return _softmax(logits)


MISTAKES = [
    (_flipped, "the sign is flipped: the score is e_a − softmax(logits), which is positive at "
               "the chosen action."),
    (_no_indicator, "the one-hot e_a is missing: log softmax(z)[a] = z_a − log Σ_j exp(z_j), and "
                    "the derivative of z_a is e_a."),
    (_probabilities, "that is softmax(logits) itself, not the gradient of its log."),
]


def check_softmax_score(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(logits, action)`` against e_action − softmax(logits), huge logits included."""
    name = function_name(fn, "softmax_score")
    return check_function(fn, softmax_score, _cases(), name, mistakes=MISTAKES,
                          all_cases=all_cases, case=case)
