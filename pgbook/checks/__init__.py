"""Automatic checks for the book's code exercises.

Call a check with your function (the function itself, not its result)::

    from pgbook.checks import check_reward_to_go
    check_reward_to_go(reward_to_go)      # ✓ reward_to_go passed 6 cases

Each check tests the function on several cases, smallest first, and reports the
first that fails: its input, the expected output and what came back. Checks
never raise. For an autograder (see :mod:`pgbook.checks.grading`):

- partial credit, for nbgrader: ``grade(check_reward_to_go, reward_to_go, points=3)``
  prints the message and returns 3 × the fraction of cases passed;
- all or nothing: ``result = check_reward_to_go(reward_to_go)`` then
  ``assert result, result.message`` (a bare ``assert check_reward_to_go(...)``
  would raise ``AssertionError`` with no message); ``.assert_passed()`` does the
  same in one call;
- one case alone: ``check_reward_to_go(reward_to_go, case=2)``.

=================================  =======  ==================================================
check                              chapter  the function it checks
=================================  =======  ==================================================
check_trajectory_probability       1        fn(p0, P, pi, states, actions) -> float
check_finite_difference_gradient   2        fn(f, theta, h) -> (n_params,)
check_softmax_score                3        fn(logits, action) -> (A,)
check_total_return_estimator       4        fn(scores, rewards, mask) -> (n_params,)
check_reward_to_go                 5        fn(rewards, mask, gamma) -> (T, N)
check_baseline_estimator           5        fn(scores, rewards, mask, baseline) -> (n_params,)
check_gae                          6        fn(rewards, values, mask, gamma, lam) -> (T, N)
check_per_decision_weights         6        fn(pi_new, pi_old, mask) -> (T, N)
check_per_coordinate_baseline      6        fn(u, v, probs) -> (n_params,)
=================================  =======  ==================================================

(P in the first row is the dynamics; n_params = dim θ, the number of parameters.)
"""

from .chain_rule import check_finite_difference_gradient
from .core import Case, CheckResult, check_function
from .critic import check_gae, check_per_coordinate_baseline, check_per_decision_weights
from .grading import case_count, grade
from .likelihood_ratio import check_softmax_score
from .log_factorization import check_total_return_estimator
from .objective import check_trajectory_probability
from .q_weighted import check_baseline_estimator, check_reward_to_go

__all__ = [
    "Case",
    "CheckResult",
    "check_function",
    "grade",
    "case_count",
    "check_trajectory_probability",
    "check_finite_difference_gradient",
    "check_softmax_score",
    "check_total_return_estimator",
    "check_reward_to_go",
    "check_baseline_estimator",
    "check_gae",
    "check_per_decision_weights",
    "check_per_coordinate_baseline",
]
