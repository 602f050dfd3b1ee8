"""The linear policies: analytic scores against finite differences, sampling
against the probabilities, and the Gaussian policy gradient against a closed form."""

import numpy as np
import pytest
from gymnasium import spaces

from pgbook import estimators
from pgbook.batch import Batch
from pgbook.policies import LinearGaussian, LinearSoftmax, TabularSoftmax


def finite_difference_score(policy, theta, obs, actions, eps=1e-6):
    """(log π(θ + ε e_k) − log π(θ − ε e_k)) / 2ε for every coordinate k: shape batch + (P,)."""
    columns = []
    for k in range(policy.n_params):
        e = np.zeros_like(theta)
        e[k] = eps
        columns.append((policy.log_prob(theta + e, obs, actions) - policy.log_prob(theta - e, obs, actions)) / (2 * eps))
    return np.stack(columns, axis=-1)


POLICIES = [
    LinearSoftmax(4, 2),
    LinearSoftmax(3, 5),
    LinearSoftmax(3, 3, bias=True),
    LinearSoftmax(6, 3, features=lambda s: np.concatenate([s, s**2], axis=-1)),
    LinearGaussian(4, 1),
    LinearGaussian(3, 2, bias=True),
    LinearGaussian(6, 2, features=lambda s: np.concatenate([s, np.sin(s)], axis=-1)),
]


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
def test_score_matches_finite_differences(policy):
    rng = np.random.default_rng(0)
    theta = rng.normal(size=policy.n_params)
    obs_dim = 3 if policy.phi.map is not None else policy.n_features
    obs = rng.normal(size=(5, 7, obs_dim))  # a (T, N) batch of observations
    actions = policy.sample(theta, obs, rng)
    score = policy.score(theta, obs, actions)
    assert score.shape == (5, 7, policy.n_params)
    np.testing.assert_allclose(score, finite_difference_score(policy, theta, obs, actions), atol=1e-6)


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
def test_n_params_and_init_theta(policy):
    theta = policy.init_theta()
    assert theta.shape == (policy.n_params,)
    assert policy.init_theta(np.random.default_rng(0)).shape == (policy.n_params,)


def test_linear_softmax_shapes_and_layout():
    policy = LinearSoftmax(4, 3)
    assert policy.n_params == 12
    assert LinearSoftmax(4, 3, bias=True).n_params == 15
    theta = np.arange(12.0) / 10
    s = np.array([1.0, -2.0, 0.5, 3.0])
    # θ read row-major as W (d, A): logits = sᵀW
    np.testing.assert_allclose(policy.logits(theta, s), s @ theta.reshape(4, 3))
    np.testing.assert_allclose(policy.probs(theta, s).sum(), 1.0)


def test_log_softmax_is_stable_for_huge_logits():
    policy = LinearSoftmax(2, 3)
    theta = np.array([1e4, 0, -1e4, 0, 0, 0])
    logp = policy.log_probs(theta, np.array([1.0, 0.0]))
    assert np.all(np.isfinite(logp[:2])) and logp[0] == 0.0
    np.testing.assert_allclose(np.exp(policy.log_probs(theta, np.array([1e-4, 0.0]))).sum(), 1.0)


def test_one_hot_features_give_the_tabular_softmax():
    S, A = 4, 3
    rng = np.random.default_rng(1)
    theta = rng.normal(size=S * A)
    linear = LinearSoftmax(S, A, features=lambda s: np.eye(S)[np.asarray(s, dtype=int)])
    states = rng.integers(0, S, size=20)
    actions = rng.integers(0, A, size=20)
    tabular = TabularSoftmax(S, A)
    np.testing.assert_allclose(linear.log_prob(theta, states, actions), tabular.log_prob(theta, states, actions))
    np.testing.assert_allclose(linear.score(theta, states, actions), tabular.score(theta, states, actions))


@pytest.mark.parametrize("n_actions", [2, 4])
def test_linear_softmax_sample_frequencies_match_probs(n_actions):
    """Each action's frequency within 4 standard errors of π(a|s), for several states."""
    rng = np.random.default_rng(2)
    policy = LinearSoftmax(3, n_actions)
    theta = rng.normal(size=policy.n_params)
    states = rng.normal(size=(4, 3))
    n = 40_000
    actions = policy.sample(theta, np.repeat(states[:, None, :], n, axis=1), rng)  # (4, n)
    for i, s in enumerate(states):
        p = policy.probs(theta, s)
        freq = np.bincount(actions[i], minlength=n_actions) / n
        se = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(freq - p) <= 4 * se + 1e-12), (freq, p)


@pytest.mark.parametrize("policy", [LinearSoftmax(4, 2), LinearSoftmax(4, 3), LinearGaussian(4, 2)], ids=repr)
def test_fast_sampler_draws_what_sample_draws(policy):
    """The rollout's unchecked sampler, with its noise drawn in blocks, agrees draw for draw
    with calling the checked ``sample`` once per step, over more steps than one block."""
    theta = np.random.default_rng(3).normal(size=policy.n_params)
    obs = np.random.default_rng(4).normal(size=(150, 64, 4)).astype(np.float32)  # 150 steps > 2 blocks
    rng = np.random.default_rng(5)
    expected = np.stack([policy.sample(theta, o, rng) for o in obs])
    draw = policy._sampler(theta, np.random.default_rng(5), (64,))
    got = np.empty_like(expected)
    for o, out in zip(obs, got):
        draw(o, out)
    np.testing.assert_array_equal(got, expected)


def test_gaussian_log_prob_is_the_normal_density():
    policy = LinearGaussian(2, 1)
    theta = np.array([0.5, -1.0, np.log(0.7)])
    s, a = np.array([1.0, 2.0]), np.array([0.3])
    mu, sigma = 0.5 - 2.0, 0.7
    expected = -0.5 * ((a[0] - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(policy.log_prob(theta, s, a), expected)


def test_gaussian_sample_moments():
    rng = np.random.default_rng(6)
    policy = LinearGaussian(2, 2)
    theta = np.array([1.0, 0.0, 0.0, -1.0, np.log(0.5), np.log(2.0)])
    s = np.array([2.0, 3.0])
    n = 20_000
    a = policy.sample(theta, np.tile(s, (n, 1)), rng)
    mu = policy.mean(theta, s)
    np.testing.assert_allclose(mu, [2.0, -3.0])
    sigma = np.array([0.5, 2.0])
    assert np.all(np.abs(a.mean(axis=0) - mu) < 4 * sigma / np.sqrt(n))
    assert np.all(np.abs(a.std(axis=0) - sigma) < 4 * sigma / np.sqrt(2 * n))


def test_gaussian_from_space():
    policy = LinearGaussian.from_space(spaces.Box(-1, 1, (3,)), spaces.Box(-2, 2, (2,)))
    assert (policy.n_features, policy.action_dim, policy.n_params) == (3, 2, 8)


@pytest.mark.parametrize("learn_sigma_at", [0.0, np.log(0.3)])
def test_gaussian_score_function_gradient_matches_closed_form(learn_sigma_at):
    """One step, r(a) = −(a − c)², μ = w (a constant feature), σ = exp(log σ):

        J = E[−(a − c)²] = −((μ − c)² + σ²),  ∇_w J = −2(μ − c),  ∇_{log σ} J = −2σ².

    The score-function estimator on N = 10⁴ samples (a Batch with T = 1) lands
    within 4 standard errors of the exact gradient, coordinate by coordinate.
    """
    rng = np.random.default_rng(7)
    c, w = 1.5, 0.2
    policy = LinearGaussian(1, 1)
    theta = np.array([w, learn_sigma_at])
    n = 10_000
    obs = np.ones((1, n, 1))
    actions = policy.sample(theta, obs, rng)
    batch = Batch(obs=obs, actions=actions, rewards=-((actions[..., 0] - c) ** 2), mask=np.ones((1, n), bool))
    estimate = estimators.reward_to_go_estimator(batch, policy, theta)
    sigma = np.exp(learn_sigma_at)
    exact = np.array([-2 * (w - c), -2 * sigma**2])
    assert np.all(np.abs(estimate.gradient - exact) <= 4 * estimate.stderr), (estimate.gradient, exact, estimate.stderr)
