"""Rollouts from gymnasium envs: masks, returns, terminated vs truncated, the
autoreset step, seeding, and the rule that decides which episodes are kept."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from pgbook.policies import LinearGaussian, LinearSoftmax
from pgbook.rollout import collect, make_vector_env, rollout, rollout_steps


class Counter(gym.Env):
    """A tiny deterministic env whose observation is the step count t within the episode.

    Step t with action a: reward 10·t + a, next observation t + 1. The episode
    terminates when a = 1 and is truncated after 4 steps. So a recorded episode
    is correct exactly when obs_t = t and r_t = 10·t + a_t at every step: the
    autoreset step (obs 0 → returned with reward 0 while the old obs is the
    terminal count) would break that pattern.
    Under uniform actions, P(L = l) = 2^−l for l < 4 and P(L = 4) = 1/8.
    """

    observation_space = spaces.Box(0.0, 10.0, (1,), np.float64)
    action_space = spaces.Discrete(2)
    max_length = 4

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0]), {}

    def step(self, action):
        reward = 10.0 * self.t + int(action)
        self.t += 1
        terminated = int(action) == 1
        truncated = not terminated and self.t >= self.max_length
        return np.array([float(self.t)]), reward, terminated, truncated, {}


UNIFORM = LinearSoftmax(1, 2)
THETA0 = np.zeros(2)


def check_mask_and_layout(batch):
    """mask is True exactly for the first L_i steps of episode i; zeros elsewhere."""
    T, N = batch.rewards.shape
    lengths = batch.lengths
    assert lengths.min() >= 1
    assert lengths.max() == T
    expected = np.arange(T)[:, None] < lengths[None, :]
    np.testing.assert_array_equal(batch.mask, expected)
    assert np.all(batch.rewards[~batch.mask] == 0)
    assert np.all(batch.obs[~batch.mask] == 0)
    np.testing.assert_allclose(batch.returns, (batch.rewards * batch.mask).sum(axis=0))


def check_counter_episodes(batch, info):
    """Every recorded step of Counter is a real one: obs_t = t, r_t = 10t + a_t."""
    check_mask_and_layout(batch)
    t = np.broadcast_to(np.arange(batch.horizon)[:, None], batch.mask.shape)
    m = batch.mask
    np.testing.assert_array_equal(batch.obs[..., 0][m], t[m])
    np.testing.assert_array_equal(batch.rewards[m], 10 * t[m] + batch.actions[m])
    last = batch.actions[batch.lengths - 1, np.arange(batch.n_episodes)]
    np.testing.assert_array_equal(info.terminated, last == 1)
    np.testing.assert_array_equal(info.truncated, (last == 0) & (batch.lengths == 4))
    assert np.all(info.terminated ^ info.truncated)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("k", [1, 3, 8])
def test_autoreset_step_is_never_recorded(mode, k):
    venv = SyncVectorEnv([Counter for _ in range(k)], autoreset_mode=mode)
    batch, info = collect(venv, UNIFORM, THETA0, np.random.default_rng(0), n_episodes=50)
    assert batch.n_episodes == 50
    check_counter_episodes(batch, info)


def test_single_env_is_accepted():
    batch, info = collect(Counter(), UNIFORM, THETA0, np.random.default_rng(1), n_episodes=20)
    assert batch.n_episodes == 20
    check_counter_episodes(batch, info)


def test_max_steps_cuts_and_marks_truncated():
    theta = np.array([0.0, -3.0])  # mostly action 0, so episodes run to the cut
    venv = SyncVectorEnv([Counter for _ in range(4)])
    batch, info = collect(venv, UNIFORM, theta, np.random.default_rng(2), n_episodes=40, max_steps=2)
    check_mask_and_layout(batch)
    assert batch.lengths.max() == 2
    last = batch.actions[batch.lengths - 1, np.arange(batch.n_episodes)]
    np.testing.assert_array_equal(info.terminated, last == 1)
    np.testing.assert_array_equal(info.truncated, last == 0)  # cut at 2 steps: truncated


def test_kept_episodes_have_the_right_length_distribution():
    """Episodes are kept when they start, so short ones are not favoured.

    Under uniform actions E[L] = 1/2 + 2/4 + 3/8 + 4/8 = 1.875. Keeping whichever
    episodes finished first, 2 per sub-env over 64 sub-envs, would come out short.
    """
    lengths = []
    venv = SyncVectorEnv([Counter for _ in range(64)])
    rng = np.random.default_rng(3)
    for _ in range(30):
        lengths.append(rollout(venv, UNIFORM, THETA0, 128, rng).lengths)
    lengths = np.concatenate(lengths)
    se = lengths.std() / np.sqrt(lengths.size)
    assert abs(lengths.mean() - 1.875) < 4 * se


def test_cartpole_vector_env_batch():
    policy = LinearSoftmax(4, 2)
    batch, info = collect("CartPole-v1", policy, policy.init_theta(), np.random.default_rng(4), n_episodes=37)
    assert batch.n_episodes == 37
    assert batch.obs.shape == (batch.horizon, 37, 4)
    check_mask_and_layout(batch)
    assert batch.lengths.max() <= 500
    np.testing.assert_array_equal(batch.returns, batch.lengths)  # reward 1 per step
    assert info.terminated.all()  # a random policy drops the pole well before 500 steps


def test_cartpole_time_limit_is_truncation():
    # push the way the pole falls (and the cart drifts): W[:, 1] = −W[:, 0] = 5·w
    w = np.array([0.5, 1.0, 10.0, 2.0])
    balance = 5 * np.stack([-w, w], axis=1).ravel()
    policy = LinearSoftmax(4, 2)
    env = gym.make("CartPole-v1", max_episode_steps=20)
    batch, info = collect(env, policy, balance, np.random.default_rng(5), n_episodes=6)
    np.testing.assert_array_equal(batch.lengths, 20)
    assert info.truncated.all() and not info.terminated.any()
    # the vector env's own limit of 500
    venv = make_vector_env("CartPole-v1", 4)
    batch, info = collect(venv, policy, balance, np.random.default_rng(5), n_episodes=4)
    np.testing.assert_array_equal(batch.lengths, 500)
    assert info.truncated.all()


def test_same_seed_same_batch_different_seed_different():
    policy = LinearSoftmax(4, 2)
    theta = np.random.default_rng(0).normal(size=8)
    venv = make_vector_env("CartPole-v1", 8)
    a = rollout(venv, policy, theta, 20, np.random.default_rng(42))
    b = rollout(venv, policy, theta, 20, np.random.default_rng(42))
    c = rollout(venv, policy, theta, 20, np.random.default_rng(43))
    for field in ("obs", "actions", "rewards", "mask"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.obs.shape != c.obs.shape or not np.array_equal(a.obs, c.obs)


def test_rollout_steps_holds_the_step_budget():
    policy = LinearSoftmax(4, 2)
    venv = make_vector_env("CartPole-v1", 16)
    batch = rollout_steps(venv, policy, policy.init_theta(), 2000, np.random.default_rng(6))
    check_mask_and_layout(batch)
    assert 2000 <= batch.mask.sum() < 2000 + 16 * 500
    # a string id gives the same batch as the same vector env
    again = rollout_steps("CartPole-v1", policy, policy.init_theta(), 2000, np.random.default_rng(6))
    np.testing.assert_array_equal(batch.obs, again.obs)


def test_exactly_n_episodes_with_fewer_than_num_envs():
    policy = LinearSoftmax(4, 2)
    venv = make_vector_env("CartPole-v1", 16)
    assert rollout(venv, policy, policy.init_theta(), 3, np.random.default_rng(7)).n_episodes == 3
    assert rollout(venv, policy, policy.init_theta(), 1, np.random.default_rng(7)).n_episodes == 1


def test_gaussian_policy_on_pendulum():
    env = gym.make("Pendulum-v1")
    policy = LinearGaussian.from_space(env.observation_space, env.action_space)
    batch, info = collect(env, policy, policy.init_theta(), np.random.default_rng(8), n_episodes=2)
    assert batch.actions.shape == (200, 2, 1) and batch.obs.shape == (200, 2, 3)
    assert info.truncated.all()
    check_mask_and_layout(batch)


def test_disabled_autoreset_is_refused():
    venv = SyncVectorEnv([Counter], autoreset_mode=AutoresetMode.DISABLED)
    with pytest.raises(ValueError, match="autoreset_mode"):
        rollout(venv, UNIFORM, THETA0, 2, np.random.default_rng(0))
