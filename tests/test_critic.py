"""pgbook.critic: TD errors, k-step estimates, GAE(λ), fitted critics, and their exact bias and variance.

Sampled-versus-exact comparisons use a fixed seed and a tolerance of 4
standard errors per compared number. For a normal estimate that is a false
alarm rate of 6·10⁻⁵ per number; this file compares about 40 numbers that way,
so a correct implementation would fail with probability about 0.3% for a
random seed (and, the seed being fixed, either always or never).
"""

import numpy as np
import pytest

from pgbook import critic, exact
from pgbook import estimators as est
from pgbook.batch import Batch
from pgbook.envs import TabularEnv, corridor
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax
from pgbook.rollout import rollout

LAMBDAS = (0.0, 0.3, 0.7, 1.0)


def ragged(seed=0, T=7, N=6, gamma=0.9):
    """A batch of random rewards and values with episodes of lengths T, …, 1 (early ends)."""
    rng = np.random.default_rng(seed)
    lengths = np.array([T, 4, 1, T, 2, 5])[:N]
    mask = np.arange(T)[:, None] < lengths[None, :]
    rewards = rng.normal(size=(T, N)) * mask
    values = rng.normal(size=(T, N))  # garbage where masked: must be ignored
    return rewards, values, mask, lengths, gamma


def problem(gamma, seed=2024, S=3, A=2, T=4):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(S, A, T, rng, gamma=gamma)
    policy = TabularSoftmax(S, A)
    theta = rng.standard_normal(policy.n_params)
    return mdp, policy, theta


# ------------------------------------------------------------- the limits of GAE
@pytest.mark.parametrize("gamma", [1.0, 0.9])
def test_gae_at_lambda_0_is_the_td_error_exactly(gamma):
    rewards, values, mask, _, _ = ragged()
    delta = critic.td_errors(rewards, values, mask, gamma)
    assert np.array_equal(critic.gae(rewards, values, mask, gamma, lam=0.0), delta)
    # δ_t written out, one episode at a time; V after the last step is 0
    for i in range(rewards.shape[1]):
        L = mask[:, i].sum()
        v = np.append(values[:L, i], 0.0)
        np.testing.assert_allclose(delta[:L, i], rewards[:L, i] + gamma * v[1:] - v[:-1], atol=1e-15)
        assert np.all(delta[L:, i] == 0)


@pytest.mark.parametrize("gamma", [1.0, 0.9])
def test_gae_at_lambda_1_is_the_return_minus_the_critic(gamma):
    rewards, values, mask, _, _ = ragged()
    G = est.reward_to_go(rewards, mask, gamma)
    np.testing.assert_allclose(critic.gae(rewards, values, mask, gamma, lam=1.0),
                               (G - values) * mask, rtol=0, atol=1e-13)


def test_bootstrap_is_the_value_after_a_cut_episode():
    rewards, values, mask, lengths, gamma = ragged()
    boot = np.arange(1.0, rewards.shape[1] + 1)
    delta = critic.td_errors(rewards, values, mask, gamma, bootstrap=boot)
    last = lengths - 1
    i = np.arange(rewards.shape[1])
    np.testing.assert_allclose(delta[last, i], rewards[last, i] + gamma * boot - values[last, i])
    # λ = 1: G_t + γ^{L−t} bootstrap − V(s_t)
    G = est.reward_to_go(rewards, mask, gamma)
    t = np.arange(rewards.shape[0])[:, None]
    want = (G + gamma ** (lengths[None, :] - t) * boot - values) * mask
    np.testing.assert_allclose(critic.gae(rewards, values, mask, gamma, lam=1.0, bootstrap=boot), want, atol=1e-13)


@pytest.mark.parametrize("lam", LAMBDAS + (0.95,))
@pytest.mark.parametrize("gamma", [1.0, 0.8])
def test_gae_is_the_lambda_weighted_average_of_k_step_estimates(lam, gamma):
    """Â_t = Σ_k (1−λ)λ^{k−1} Â^(k)_t, the weight of every k ≥ T falling on Â^(T) (the whole return)."""
    rewards, values, mask, _, _ = ragged(seed=3)
    T = rewards.shape[0]
    boot = np.linspace(-1, 1, rewards.shape[1])
    k_step = [critic.k_step_advantage(rewards, values, k, mask, gamma, boot) for k in range(1, T + 1)]
    weights = [(1 - lam) * lam ** (k - 1) for k in range(1, T)] + [lam ** (T - 1)]
    assert np.isclose(sum(weights), 1.0)
    average = sum(w * a for w, a in zip(weights, k_step))
    np.testing.assert_allclose(critic.gae(rewards, values, mask, gamma, lam=lam, bootstrap=boot),
                               average, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 10])
def test_k_step_estimate_is_a_sum_of_k_td_errors(k):
    rewards, values, mask, _, gamma = ragged(seed=4)
    delta = critic.td_errors(rewards, values, mask, gamma)
    T = rewards.shape[0]
    padded = np.vstack([delta, np.zeros((k, delta.shape[1]))])
    want = sum(gamma**l * padded[l:l + T] for l in range(k))
    np.testing.assert_allclose(critic.k_step_advantage(rewards, values, k, mask, gamma), want, atol=1e-13)
    if k == 1:
        np.testing.assert_allclose(critic.k_step_advantage(rewards, values, 1, mask, gamma), delta, atol=1e-15)


def test_an_episode_that_ends_in_the_goal_agrees_with_one_that_stays_there():
    """The env stops at the corridor's goal; the math keeps the agent there, earning 0, until T.

    With the critic's value of the goal taken as 0 (value_table), GAE on the
    short episode equals GAE on the padded one at every real step, for every λ.
    """
    mdp = corridor(horizon=12)
    policy = TabularSoftmax(mdp.n_states, 2)
    theta = np.tile([0.0, 1.5], mdp.n_states)
    env = TabularEnv(mdp)
    batch = rollout(env, policy, theta, 40, np.random.default_rng(0), num_envs=1)
    assert (batch.lengths < mdp.horizon).any()  # some episodes reach the goal early
    V = critic.value_table(mdp, np.random.default_rng(1).normal(size=mdp.n_states))  # (T, S)
    assert np.all(V[:, mdp.n_states - 1] == 0)  # the goal's value is 0, whatever the critic says
    # pad each episode to T steps in the goal, reward 0, as the enumeration sees it
    T, N = mdp.horizon, batch.n_episodes
    obs = np.full((T, N), mdp.n_states - 1)
    obs[: batch.horizon] = np.where(batch.mask, batch.obs, mdp.n_states - 1)
    rewards = np.zeros((T, N))
    rewards[: batch.horizon] = batch.rewards * batch.mask
    padded = Batch(obs=obs, actions=np.zeros((T, N), int), rewards=rewards, mask=np.ones((T, N), bool))
    short_values = exact.along_trajectories(V[: batch.horizon], batch)
    long_values = exact.along_trajectories(V, padded)
    for lam in LAMBDAS:
        short = critic.gae(batch.rewards, short_values, batch.mask, mdp.gamma, lam=lam)
        long = critic.gae(padded.rewards, long_values, None, mdp.gamma, lam=lam)
        np.testing.assert_allclose(long[: batch.horizon] * batch.mask, short, atol=1e-12)
        assert np.all(long[batch.horizon:] == 0)


# ------------------------------------------------- exact bias: when it is zero
@pytest.mark.parametrize("gamma", [1.0, 0.8])
def test_with_the_true_values_every_lambda_is_unbiased(gamma):
    mdp, policy, theta = problem(gamma)
    V = exact.state_values(mdp, policy, theta)  # V^π_t(s), (T, S)
    grad = exact.exact_gradient(mdp, policy, theta)
    table = critic.gae_bias_variance(mdp, policy, theta, V, LAMBDAS)
    np.testing.assert_allclose(table.bias, 0.0, atol=1e-12)
    for k, lam in enumerate(LAMBDAS):  # the one-λ function agrees with the table
        mean, cov = critic.gae_moments(mdp, policy, theta, V, lam)
        np.testing.assert_allclose(mean, grad, atol=1e-12)
        np.testing.assert_allclose(cov, table.covariance[k], atol=1e-12)
    # each k-step estimate too, with V = V^π
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    batch = enum.as_batch()
    values = exact.along_trajectories(V, batch)
    for k in (1, 2, 3):
        weights = critic.k_step_advantage(batch.rewards, values, k, None, mdp.gamma)
        terms = est.weighted_score_estimator(batch, policy, theta, weights, mdp.gamma).terms
        np.testing.assert_allclose(enum.probs @ terms, grad, atol=1e-12)


def test_on_the_corridor_with_its_goal_the_true_values_are_unbiased_too():
    mdp = corridor(horizon=7)
    policy = TabularSoftmax(mdp.n_states, 2)
    theta = np.random.default_rng(5).normal(size=policy.n_params)
    V = exact.state_values(mdp, policy, theta)
    table = critic.gae_bias_variance(mdp, policy, theta, V, LAMBDAS)
    np.testing.assert_allclose(table.bias, 0.0, atol=1e-11)


@pytest.mark.parametrize("shape", ["S", "TS"])
def test_at_lambda_1_any_state_critic_is_a_baseline_and_adds_no_bias(shape):
    mdp, policy, theta = problem(0.9)
    rng = np.random.default_rng(7)
    V = 3 * rng.normal(size=(mdp.n_states,) if shape == "S" else (mdp.horizon, mdp.n_states))
    table = critic.gae_bias_variance(mdp, policy, theta, V, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(table.bias[-1], 0.0, atol=1e-12)
    assert np.all(np.linalg.norm(table.bias[:2], axis=1) > 1e-3)  # λ < 1 pays for the wrong critic


def test_the_bias_is_linear_in_the_critics_error():
    """Â is linear in V and unbiased at V^π, so bias(V^π + εΔ) = ε · bias(V^π + Δ)."""
    mdp, policy, theta = problem(1.0)
    V = exact.state_values(mdp, policy, theta)
    error = np.random.default_rng(8).normal(size=V.shape)
    lams = [0.0, 0.5, 0.9]
    one = critic.gae_bias_variance(mdp, policy, theta, V + error, lams).bias
    for eps in (0.1, 0.5, 2.0):
        np.testing.assert_allclose(critic.gae_bias_variance(mdp, policy, theta, V + eps * error, lams).bias,
                                   eps * one, atol=1e-12)


# ----------------------------------------------- exact moments against samples
@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_exact_bias_and_variance_match_sampling(lam):
    mdp, policy, theta = problem(0.9)
    V = exact.state_values(mdp, policy, theta) + np.random.default_rng(9).normal(size=(mdp.horizon, mdp.n_states))
    moments = critic.gae_moments(mdp, policy, theta, V, lam)
    N = 20_000
    batch = exact.sample_trajectories(mdp, policy, theta, N, np.random.default_rng(10))
    table = critic.value_table(mdp, V)
    terms = critic.gae_estimator(batch, policy, theta, exact.along_trajectories(table, batch),
                                 lam=lam, gamma=mdp.gamma).terms
    se = terms.std(axis=0, ddof=1) / np.sqrt(N)
    assert np.all(np.abs(terms.mean(axis=0) - moments.mean) <= 4 * se)
    squared = ((terms - terms.mean(axis=0)) ** 2).sum(axis=1)
    se_trace = squared.std(ddof=1) / np.sqrt(N)
    assert abs(squared.mean() - np.trace(moments.covariance)) <= 4 * se_trace


# ------------------------------------------------------------ fitting a critic
def test_fit_value_with_one_hot_features_is_the_mean_return_per_state():
    mdp, policy, theta = problem(1.0)
    batch = exact.sample_trajectories(mdp, policy, theta, 200, np.random.default_rng(1))
    G = est.reward_to_go(batch.rewards, batch.mask, mdp.gamma)
    w = critic.fit_value(critic.one_hot_features(batch.obs, mdp.n_states), G)
    for s in range(mdp.n_states):
        np.testing.assert_allclose(w[s], G[batch.obs == s].mean(), atol=1e-12)
    w_t = critic.fit_value(critic.one_hot_features(batch.obs, mdp.n_states, mdp.horizon), G).reshape(mdp.horizon, -1)
    t, s = 2, int(batch.obs[2, 0])
    np.testing.assert_allclose(w_t[t, s], G[t][batch.obs[t] == s].mean(), atol=1e-12)


def test_a_time_indexed_tabular_fit_approaches_the_true_values():
    mdp, policy, theta = problem(1.0)
    N = 20_000
    batch = exact.sample_trajectories(mdp, policy, theta, N, np.random.default_rng(2))
    G = est.reward_to_go(batch.rewards, batch.mask, mdp.gamma)
    fitted = critic.fit_value(critic.one_hot_features(batch.obs, mdp.n_states, mdp.horizon), G)
    V = exact.state_values(mdp, policy, theta)
    counts = np.array([[np.sum(batch.obs[t] == s) for s in range(mdp.n_states)] for t in range(mdp.horizon)])
    se = np.array([[G[t][batch.obs[t] == s].std() for s in range(mdp.n_states)]
                   for t in range(mdp.horizon)]) / np.sqrt(np.maximum(counts, 1))
    assert counts.min() > 100
    assert np.all(np.abs(fitted.reshape(V.shape) - V) <= 4 * se + 1e-12)


def test_fit_value_with_linear_features_is_least_squares_on_the_real_steps():
    rewards, _, mask, _, _ = ragged(seed=6)
    rng = np.random.default_rng(6)
    phi = rng.normal(size=rewards.shape + (3,))
    G = est.reward_to_go(rewards, mask, 0.9)
    w = critic.fit_value(phi, G, mask)
    np.testing.assert_allclose(w, np.linalg.lstsq(phi[mask], G[mask], rcond=None)[0], atol=1e-12)
    # masked steps do not count, whatever their targets
    garbage = np.where(mask, G, 1e6)
    np.testing.assert_allclose(critic.fit_value(phi, garbage, mask), w, atol=1e-10)
    ridge = critic.fit_value(phi, G, mask, ridge=2.0)
    X, y = phi[mask], G[mask]
    np.testing.assert_allclose(ridge, np.linalg.solve(X.T @ X + 2 * np.eye(3), X.T @ y), atol=1e-12)


# ----------------------------------------------------------------- bad input
def test_lambda_outside_0_1_is_refused():
    rewards, values, mask, _, _ = ragged()
    for lam in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"lam: expected λ in \[0, 1\], got"):
            critic.gae(rewards, values, mask, lam=lam)
    with pytest.raises(TypeError, match="lam: expected a number"):
        critic.gae(rewards, values, mask, lam="0.5")
    mdp, policy, theta = problem(1.0)
    with pytest.raises(ValueError, match="lam: expected λ in"):
        critic.gae_bias_variance(mdp, policy, theta, np.zeros(3), [0.5, 2.0])


def test_a_value_table_of_the_wrong_shape_is_refused():
    mdp, policy, theta = problem(1.0)
    with pytest.raises(ValueError, match=r"V: expected a value table of shape \(S,\) = \(3,\) or "
                                         r"\(T, S\) = \(4, 3\) for .*, got shape \(4,\)"):
        critic.gae_moments(mdp, policy, theta, np.zeros(4), 0.5)
    with pytest.raises(ValueError, match=r"V: .* got shape \(3, 4\)"):
        critic.gae_bias_variance(mdp, policy, theta, np.zeros((3, 4)), [0.5])


def test_values_and_masks_of_the_wrong_shape_are_refused():
    rewards, values, mask, _, _ = ragged()
    with pytest.raises(ValueError, match=r"values: expected V\(s_t\) at every step, shape \(7, 6\)"):
        critic.td_errors(rewards, values[:-1], mask)
    with pytest.raises(ValueError, match="mask: expected each episode's steps first"):
        critic.td_errors(rewards, values, mask[::-1])
    with pytest.raises(ValueError, match=r"bootstrap: expected shape \(6,\)"):
        critic.td_errors(rewards, values, mask, bootstrap=np.zeros(5))
    with pytest.raises(ValueError, match="gamma: expected a discount in"):
        critic.td_errors(rewards, values, mask, gamma=1.5)
    with pytest.raises(ValueError, match=r"features: expected shape \(7, 6, 'd'\)"):
        critic.fit_value(np.zeros((7, 5, 2)), rewards)
