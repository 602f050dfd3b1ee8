"""TabularSoftmax: probabilities, the analytic score against finite differences, sampling."""

import numpy as np
import pytest

from pgbook.exact import finite_difference_gradient
from pgbook.policies import TabularSoftmax


def naive_softmax_table(theta, S, A):
    """softmax(θ[s,:]) written the textbook way, for moderate logits only."""
    e = np.exp(theta.reshape(S, A))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("seed", range(4))
def test_probs_are_the_softmax_of_each_row(seed):
    rng = np.random.default_rng(seed)
    S, A = rng.integers(1, 7), rng.integers(1, 5)
    policy = TabularSoftmax(S, A)
    theta = rng.standard_normal(policy.n_params) * 3
    pi = policy.probs(theta)
    assert pi.shape == (S, A)
    assert np.all(pi >= 0)
    np.testing.assert_allclose(pi.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(pi, naive_softmax_table(theta, S, A), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_score_matches_finite_differences_of_log_prob(seed):
    rng = np.random.default_rng(seed)
    S, A = 4, 3
    policy = TabularSoftmax(S, A)
    theta = rng.standard_normal(policy.n_params)
    states = rng.integers(0, S, size=(2, 5))
    actions = rng.integers(0, A, size=(2, 5))
    score = policy.score(theta, states, actions)
    assert score.shape == (2, 5, S * A)
    for i in np.ndindex(states.shape):
        fd = finite_difference_gradient(
            lambda th: policy.log_prob(th, states[i], actions[i]), theta
        )
        np.testing.assert_allclose(score[i], fd, atol=1e-9)


def test_score_is_indicator_minus_probabilities_on_row_s():
    policy = TabularSoftmax(3, 2)
    theta = np.arange(6.0) / 5
    pi = policy.probs(theta)
    score = policy.score(theta, np.array(1), np.array(0)).reshape(3, 2)
    expected = np.zeros((3, 2))
    expected[1] = np.array([1.0, 0.0]) - pi[1]
    np.testing.assert_allclose(score, expected, atol=1e-15)


def test_aliased_policy_shares_one_row_and_its_score_matches_finite_differences():
    policy = TabularSoftmax(4, 2, observe=np.zeros(4, dtype=int))
    assert policy.n_params == 2
    theta = np.array([0.3, -0.4])
    pi = policy.probs(theta)
    assert pi.shape == (4, 2)
    np.testing.assert_allclose(pi, np.broadcast_to(pi[0], (4, 2)))
    for s in range(4):
        for a in range(2):
            fd = finite_difference_gradient(lambda th: policy.log_prob(th, s, a), theta)
            np.testing.assert_allclose(policy.score(theta, s, a), fd, atol=1e-9)


def test_huge_logits_stay_finite():
    policy = TabularSoftmax(2, 3)
    same = np.full(6, 1000.0)
    np.testing.assert_allclose(policy.probs(same), 1 / 3, rtol=1e-12)
    one_big = np.array([1000.0, 0, 0, -1000.0, 0, 1000.0])
    pi = policy.probs(one_big)
    assert np.all(np.isfinite(pi))
    np.testing.assert_allclose(pi.sum(axis=1), 1.0)
    np.testing.assert_allclose(pi[0], [1.0, 0.0, 0.0], atol=1e-300)
    logp = policy.log_prob(one_big, np.array([0, 0, 1]), np.array([0, 1, 0]))
    np.testing.assert_allclose(logp, [0.0, -1000.0, -2000.0])
    assert np.all(np.isfinite(policy.score(one_big, np.array([0, 1]), np.array([1, 2]))))


def test_log_prob_and_score_broadcast_over_any_batch_shape():
    policy = TabularSoftmax(3, 2)
    theta = np.linspace(-1, 1, 6)
    states = np.zeros((2, 3, 4), dtype=int)
    actions = np.ones((2, 3, 4), dtype=int)
    assert policy.log_prob(theta, states, actions).shape == (2, 3, 4)
    assert policy.score(theta, states, actions).shape == (2, 3, 4, 6)
    assert policy.sample(theta, states, np.random.default_rng(0)).shape == (2, 3, 4)
    assert np.ndim(policy.log_prob(theta, 1, 0)) == 0


def test_sample_frequencies_match_probs():
    rng = np.random.default_rng(7)
    policy = TabularSoftmax(2, 3)
    theta = np.array([0.0, 1.0, -1.0, 2.0, 0.0, 0.5])
    n = 20_000
    states = np.repeat([0, 1], n)
    actions = policy.sample(theta, states, rng)
    pi = policy.probs(theta)
    for s in range(2):
        freq = np.bincount(actions[states == s], minlength=3) / n
        se = np.sqrt(pi[s] * (1 - pi[s]) / n)
        assert np.all(np.abs(freq - pi[s]) <= 4 * se)


def test_same_seed_same_samples_and_init_theta():
    policy = TabularSoftmax(3, 2)
    theta = np.zeros(6)
    states = np.arange(3).repeat(10)
    a = policy.sample(theta, states, np.random.default_rng(3))
    b = policy.sample(theta, states, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(policy.init_theta(), np.zeros(6))
    np.testing.assert_array_equal(
        policy.init_theta(np.random.default_rng(1)), policy.init_theta(np.random.default_rng(1))
    )
