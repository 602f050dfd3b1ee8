"""The coursework checks: each passes its reference, fails plausible wrong answers
with a message naming the failing case, and never lets a student's error escape."""

from __future__ import annotations

import signal
import threading
import time

import numpy as np
import pytest

from pgbook import checks
from pgbook.checks import Case, CheckResult, check_function
from pgbook.checks import chain_rule, likelihood_ratio, log_factorization, objective, q_weighted

REFERENCES = [
    (checks.check_trajectory_probability, objective.trajectory_probability, objective._cases),
    (checks.check_finite_difference_gradient, chain_rule.finite_difference_gradient, chain_rule._cases),
    (checks.check_softmax_score, likelihood_ratio.softmax_score, likelihood_ratio._cases),
    (checks.check_total_return_estimator, log_factorization.total_return_estimator, log_factorization._cases),
    (checks.check_reward_to_go, q_weighted.reward_to_go, q_weighted._rtg_cases),
    (checks.check_baseline_estimator, q_weighted.baseline_estimator, q_weighted._baseline_cases),
]


def failing(result: CheckResult, case_fragment: str, *fragments: str) -> str:
    """Assert ``result`` failed on the case whose description holds ``case_fragment``."""
    assert isinstance(result, CheckResult)
    assert not result and not result.passed
    first = result.message.splitlines()[0]
    assert first.startswith("✗") and case_fragment in first, result.message
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result.message


# ------------------------------------------------------------ references pass

@pytest.mark.parametrize("check, reference, cases", REFERENCES, ids=lambda x: getattr(x, "__name__", ""))
def test_reference_passes(check, reference, cases):
    result = check(reference)
    assert result and result.passed, result.message
    assert result.message == f"✓ {reference.__name__} passed {len(cases())} cases"


@pytest.mark.parametrize("check, reference, cases", REFERENCES, ids=lambda x: getattr(x, "__name__", ""))
def test_cases_are_smallest_first(check, reference, cases):
    sizes = [sum(np.size(a) for a in case.args if isinstance(a, np.ndarray)) for case in cases()]
    assert sizes[0] == min(sizes)


# ------------------------------------------------------------ chapter 1

def test_trajectory_probability_without_p0_fails():
    def trajectory_probability(p0, P, pi, states, actions):
        prob = np.prod(pi[states, actions])
        return prob * np.prod(P[states[:-1], actions[:-1], states[1:]])

    failing(checks.check_trajectory_probability(trajectory_probability), "one step (T = 1)",
            "P(s_0) seems to be missing", "expected:", "got:")


def test_trajectory_probability_without_last_transition_fails():
    def trajectory_probability(p0, P, pi, states, actions):
        prob = p0[states[0]] * np.prod(pi[states, actions])
        return prob * np.prod(P[states[:-2], actions[:-2], states[1:-1]])

    failing(checks.check_trajectory_probability(trajectory_probability), "two steps (T = 2)",
            "last transition seems to be missing")


def test_trajectory_probability_with_transposed_dynamics_fails():
    def trajectory_probability(p0, P, pi, states, actions):
        prob = p0[states[0]] * np.prod(pi[states, actions])
        return prob * np.prod(P[states[1:], actions[:-1], states[:-1]])

    failing(checks.check_trajectory_probability(trajectory_probability), "two steps", "indexed the wrong way")


# ------------------------------------------------------------ chapter 2

def test_forward_difference_fails():
    def finite_difference_gradient(f, theta, eps):
        return np.array([(f(theta + eps * e) - f(theta)) / eps for e in np.eye(len(theta))])

    failing(checks.check_finite_difference_gradient(finite_difference_gradient), "θ_0³",
            "forward difference", "f = f(θ) = θ_0³")


def test_difference_over_eps_instead_of_two_eps_fails():
    def finite_difference_gradient(f, theta, eps):
        return np.array([(f(theta + eps * e) - f(theta - eps * e)) / eps for e in np.eye(len(theta))])

    failing(checks.check_finite_difference_gradient(finite_difference_gradient), "f linear", "divide by 2h")


def test_finite_difference_that_mutates_theta_still_passes():
    def finite_difference_gradient(f, theta, eps):
        grad = np.zeros_like(theta)
        for i in range(len(theta)):
            theta[i] += eps
            up = f(theta)
            theta[i] -= 2 * eps
            down = f(theta)
            theta[i] += eps
            grad[i] = (up - down) / (2 * eps)
        return grad

    assert checks.check_finite_difference_gradient(finite_difference_gradient)


# ------------------------------------------------------------ chapter 3

def stable_softmax(z):
    w = np.exp(z - z.max())
    return w / w.sum()


def test_softmax_score_sign_flipped_fails():
    def softmax_score(logits, action):
        return stable_softmax(logits) - np.eye(len(logits))[action]

    failing(checks.check_softmax_score(softmax_score), "two actions with equal logits", "sign is flipped")


def test_softmax_score_without_indicator_fails():
    def softmax_score(logits, action):
        return -stable_softmax(logits)

    failing(checks.check_softmax_score(softmax_score), "one action (A = 1)", "one-hot e_a is missing")


def test_naive_softmax_overflows_on_huge_logits():
    def softmax_score(logits, action):
        p = np.exp(logits) / np.exp(logits).sum()
        return np.eye(len(logits))[action] - p

    failing(checks.check_softmax_score(softmax_score), "huge logits", "it returned nan", "expected finite numbers")


# ------------------------------------------------------------ chapter 4

def test_total_return_divided_by_n_times_t_fails():
    def total_return_estimator(scores, rewards, mask):
        T, N, _ = scores.shape
        summed = (scores * mask[..., None]).sum(axis=0)
        returns = (rewards * mask).sum(axis=0)
        return (summed * returns[:, None]).sum(axis=0) / (N * T)

    failing(checks.check_total_return_estimator(total_return_estimator), "one episode of 3 steps (T = 3",
            "not 1/(N·T)")


def test_total_return_ignoring_the_mask_fails():
    def total_return_estimator(scores, rewards, mask):
        return (scores.sum(axis=0) * rewards.sum(axis=0)[:, None]).mean(axis=0)

    failing(checks.check_total_return_estimator(total_return_estimator), "lengths 3 and 1 (mask",
            "mask is False were counted")


def test_total_return_step_by_step_fails():
    def total_return_estimator(scores, rewards, mask):
        return np.einsum("tnp,tn->p", scores * mask[..., None], rewards * mask) / scores.shape[1]

    failing(checks.check_total_return_estimator(total_return_estimator), "one episode of 3 steps",
            "whole return R(ξ_i)")


# ------------------------------------------------------------ chapter 5

def reward_to_go_loop(rewards, mask, gamma, start=0, discount=True):
    """A student's double loop; start=1 sums from t + 1, discount=False drops γ."""
    T = rewards.shape[0]
    togo = np.zeros_like(rewards, dtype=float)
    for t in range(T):
        for u in range(t + start, T):
            togo[t] += (gamma ** (u - t) if discount else 1.0) * rewards[u] * mask[u]
    return togo * mask


def test_reward_to_go_off_by_one_fails():
    def reward_to_go(rewards, mask, gamma):
        return reward_to_go_loop(rewards, mask, gamma, start=1)

    failing(checks.check_reward_to_go(reward_to_go), "one episode of length 1", "off by one",
            "rewards = array([[2.]])", "expected:\n    array([[2.]])", "got:\n    array([[0.]])")


def test_reward_to_go_without_discount_fails():
    def reward_to_go(rewards, mask, gamma):
        return reward_to_go_loop(rewards, mask, gamma, discount=False)

    failing(checks.check_reward_to_go(reward_to_go), "one episode of 3 steps, gamma = 0.5",
            "discount is missing")


def test_reward_to_go_ignoring_the_mask_fails():
    def reward_to_go(rewards, mask, gamma):
        return reward_to_go_loop(rewards, np.ones_like(mask), gamma)

    failing(checks.check_reward_to_go(reward_to_go), "lengths 3 and 1 (mask", "mask is False")


def test_reward_so_far_fails():
    def reward_to_go(rewards, mask, gamma):
        return np.cumsum(rewards * mask, axis=0) * mask

    failing(checks.check_reward_to_go(reward_to_go), "one episode of 3 steps, gamma = 1", "collected so far")


def baseline_student(scores, rewards, mask, baseline, sign=-1.0, normaliser="N", use_togo=True):
    togo = q_weighted.reward_to_go(rewards, mask, 1.0) if use_togo else (rewards * mask).sum(0)[None, :]
    weight = (togo + sign * baseline[:, None]) * mask
    total = np.einsum("tnp,tn->p", scores * mask[..., None], weight)
    T, N, _ = scores.shape
    return total / (N if normaliser == "N" else N * T)


def test_baseline_added_fails():
    def baseline_estimator(scores, rewards, mask, baseline):
        return baseline_student(scores, rewards, mask, baseline, sign=+1.0)

    failing(checks.check_baseline_estimator(baseline_estimator), "constant baseline", "subtract it")


def test_baseline_with_total_return_fails():
    def baseline_estimator(scores, rewards, mask, baseline):
        return baseline_student(scores, rewards, mask, baseline, use_togo=False)

    failing(checks.check_baseline_estimator(baseline_estimator), "one episode of 3 steps", "reward-to-go G_t − b_t")


def test_baseline_per_step_mean_fails():
    def baseline_estimator(scores, rewards, mask, baseline):
        return baseline_student(scores, rewards, mask, baseline, normaliser="NT")

    failing(checks.check_baseline_estimator(baseline_estimator), "one episode of 3 steps", "1/(N·T)")


def test_baseline_ignored_fails():
    def baseline_estimator(scores, rewards, mask, baseline):
        return baseline_student(scores, rewards, mask, baseline * 0)

    failing(checks.check_baseline_estimator(baseline_estimator), "constant baseline", "baseline seems to be ignored")


# ------------------------------------------------ what a student function may do

def test_stub_is_not_implemented_yet():
    def reward_to_go(rewards, mask, gamma):
        # YOUR CODE HERE
        raise NotImplementedError()

    result = checks.check_reward_to_go(reward_to_go)
    assert not result
    assert result.message == (
        "✗ `reward_to_go` is not implemented yet: replace `raise NotImplementedError()` with your code."
    )


@pytest.mark.parametrize("check, reference, cases", REFERENCES, ids=lambda x: getattr(x, "__name__", ""))
def test_every_check_reports_a_stub(check, reference, cases):
    def stub(*args):
        raise NotImplementedError()

    assert "is not implemented yet" in check(stub).message


def test_an_error_is_reported_with_the_case_and_no_traceback():
    def reward_to_go(rewards, mask, gamma):
        return rewards[5]

    message = failing(checks.check_reward_to_go(reward_to_go), "one episode of length 1",
                      "it raised IndexError: index 5 is out of bounds", "in `reward_to_go`, line",
                      "return rewards[5]", "rewards = array([[2.]])")
    assert "Traceback" not in message and "pgbook" not in message


def test_wrong_shape():
    def reward_to_go(rewards, mask, gamma):
        return rewards.sum(axis=0)

    failing(checks.check_reward_to_go(reward_to_go), "length 1",
            "wrong shape: expected shape (1, 1), got shape (1,)")


def test_nan():
    def softmax_score(logits, action):
        return np.full(len(logits), np.nan)

    failing(checks.check_softmax_score(softmax_score), "one action", "it returned nan at index (0,)")


def test_none_asks_about_return():
    def trajectory_probability(p0, P, pi, states, actions):
        p0[states[0]] * np.prod(pi[states, actions])

    failing(checks.check_trajectory_probability(trajectory_probability), "one step",
            "it returned None: did you forget `return`?")


def test_wrong_type():
    def trajectory_probability(p0, P, pi, states, actions):
        return "0.3"

    failing(checks.check_trajectory_probability(trajectory_probability), "one step",
            "it returned a str; expected a single number")


def test_array_where_a_number_is_expected():
    def trajectory_probability(p0, P, pi, states, actions):
        return pi[states, actions]

    failing(checks.check_trajectory_probability(trajectory_probability), "one step",
            "wrong shape: expected a single number, got an array of shape (1,)")


def test_not_a_function():
    result = checks.check_reward_to_go(np.zeros((2, 2)))
    assert not result and "expected a function, got an array" in result.message


def test_time_limit_stops_a_slow_function():
    def reward_to_go(rewards, mask, gamma):
        time.sleep(30)

    started = time.monotonic()
    message = failing(checks.check_reward_to_go(reward_to_go), "length 1", "time limit of 2 s")
    assert time.monotonic() - started < 5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert "rewards = array([[2.]])" in message


def test_time_limit_is_a_base_exception_a_bare_except_cannot_swallow():
    def slow(x):
        try:
            while True:
                pass
        except Exception:  # noqa: BLE001 - what a student might write
            return x

    result = check_function(slow, lambda x: x, [Case("x = 1", (1.0,))], "slow", time_limit=0.2)
    assert "time limit of 0.2 s" in result.message


def test_an_outer_alarm_is_put_back():
    previous = signal.signal(signal.SIGALRM, lambda *a: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100.0)
        assert checks.check_reward_to_go(q_weighted.reward_to_go)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left <= 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_there_is_no_limit_but_it_works():
    results = []
    thread = threading.Thread(target=lambda: results.append(checks.check_reward_to_go(q_weighted.reward_to_go)))
    thread.start()
    thread.join()
    assert results and results[0]


def test_a_function_that_changes_its_input_does_not_change_the_cases():
    def reward_to_go(rewards, mask, gamma):
        rewards *= mask
        for t in range(rewards.shape[0] - 2, -1, -1):
            rewards[t] += gamma * rewards[t + 1]
        return rewards

    assert checks.check_reward_to_go(reward_to_go)


def test_the_student_name_is_used():
    def my_rtg(rewards, mask, gamma):
        raise NotImplementedError()

    assert "`my_rtg` is not implemented yet" in checks.check_reward_to_go(my_rtg).message
    assert checks.check_reward_to_go(lambda r, m, g: q_weighted.reward_to_go(r, m, g)).message.startswith(
        "✓ reward_to_go passed")


# ------------------------------------------------------------ the result

def test_result_for_notebooks_and_autograders():
    good = checks.check_reward_to_go(q_weighted.reward_to_go)
    assert good.assert_passed() is None
    assert repr(good) == str(good) == "✓ reward_to_go passed 6 cases"
    assert "✓ reward_to_go passed 6 cases" in good._repr_html_()

    bad = checks.check_reward_to_go(lambda r, m, g: r)
    with pytest.raises(AssertionError, match="failed case"):
        bad.assert_passed()
    with pytest.raises(AssertionError, match="failed case"):
        assert bad, bad.message
    html = bad._repr_html_()
    assert "<pre" in html and "✗" in html and "expected:" in html


def test_a_custom_comparison():
    result = check_function(lambda x: x + 1, lambda x: x, [Case("x = 1", (1,))], "plus",
                            compare=lambda got, want: None if got == want else f"{got} is not {want}")
    assert "2 is not 1" in result.message
    assert check_function(lambda x: x, lambda x: x, [Case("x = 1", (1,))], "same", compare=lambda g, w: g == w)
