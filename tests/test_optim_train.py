"""Optimizers (gradient ascent) and the REINFORCE loop."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from pgbook import estimators
from pgbook.batch import Batch
from pgbook.optim import SGD, Adam
from pgbook.policies import LinearGaussian, LinearSoftmax
from pgbook.train import LearningCurve, baseline_values, reinforce

# J(θ) = −½ (θ − c)ᵀ A (θ − c): concave, maximised at θ = c
A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.3]])
C = np.array([1.0, -2.0, 0.5])


def grad_J(theta):
    return -A @ (theta - C)


@pytest.mark.parametrize("optimizer, steps", [(SGD(lr=0.3), 500), (Adam(lr=0.05), 2000)], ids=repr)
def test_optimizers_climb_to_the_maximiser(optimizer, steps):
    theta = np.zeros(3)
    for _ in range(steps):
        theta = optimizer.step(theta, grad_J(theta))
    np.testing.assert_allclose(theta, C, atol=1e-3)


@pytest.mark.parametrize("optimizer", [SGD(lr=0.1), Adam(lr=0.1)], ids=repr)
def test_step_does_not_mutate_its_inputs(optimizer):
    theta, grad = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    theta_before, grad_before = theta.copy(), grad.copy()
    new = optimizer.step(theta, grad)
    np.testing.assert_array_equal(theta, theta_before)
    np.testing.assert_array_equal(grad, grad_before)
    assert new is not theta
    assert np.all((new - theta) * grad > 0)  # ascent: moved along the gradient


def test_sgd_is_theta_plus_lr_grad():
    np.testing.assert_allclose(SGD(lr=0.5).step(np.array([1.0]), np.array([4.0])), [3.0])


def test_adam_first_step_moves_each_coordinate_by_lr():
    """With bias correction, step 1 is α ĝ/(|ĝ| + eps) ≈ α sign(ĝ), whatever ĝ's scale."""
    adam = Adam(lr=0.1)
    new = adam.step(np.zeros(3), np.array([1e-3, -50.0, 7.0]))
    np.testing.assert_allclose(new, [0.1, -0.1, 0.1], rtol=1e-4)
    adam.reset()
    assert adam.k == 0 and adam.m is None


def test_adam_refuses_a_new_shape_until_reset():
    adam = Adam(lr=0.1)
    adam.step(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="grad"):
        adam.step(np.zeros(3), np.ones(3))
    adam.reset()
    adam.step(np.zeros(3), np.ones(3))


def test_mean_baseline_leaves_each_episode_out():
    rewards = np.array([[1.0, 2.0, 4.0], [1.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    mask = np.array([[1, 1, 1], [1, 0, 1], [0, 0, 1]], bool)
    batch = Batch(obs=np.zeros((3, 3, 1)), actions=np.zeros((3, 3), int), rewards=rewards, mask=mask)
    togo = estimators.reward_to_go(rewards, mask)  # [[2, 2, 12], [1, 0, 8], [0, 0, 5]]
    b = baseline_values(batch, "mean")
    # t = 0: all three run; episode 0's baseline is the mean of the others' G_0 = (2 + 12)/2
    np.testing.assert_allclose(b[0], [(2 + 12) / 2, (2 + 12) / 2, (2 + 2) / 2])
    # t = 1: episodes 0 and 2 run
    np.testing.assert_allclose(b[1, [0, 2]], [togo[1, 2], togo[1, 0]])
    # t = 2: only episode 2 runs, no other to compare with
    assert b[2, 2] == 0.0
    assert baseline_values(batch, "none") is None


def _leave_one_out_by_hand(rewards, mask, gamma):
    """b[t, i]: the mean over episodes j != i running at t of sum_{t' >= t} gamma^(t'-t) r[t', j]."""
    T, N = rewards.shape
    b = np.zeros((T, N))
    for t in range(T):
        for i in range(N):
            others = [j for j in range(N) if j != i and mask[t, j]]
            togo = [sum(gamma ** (u - t) * rewards[u, j] for u in range(t, T) if mask[u, j])
                    for j in others]
            b[t, i] = np.mean(togo) if togo else 0.0
    return b


@pytest.mark.parametrize("gamma", [1.0, 0.9, 0.5])
def test_mean_baseline_is_on_the_scale_of_the_discounted_reward_to_go(gamma):
    """With gamma < 1 the estimator weights G^γ_t − b_t, so b_t must average G^γ_t, not G_t."""
    rng = np.random.default_rng(3)
    T, N = 6, 5
    mask = np.arange(T)[:, None] < np.array([6, 2, 4, 6, 1])[None, :]
    rewards = rng.normal(1.0, 1.0, size=(T, N)) * mask
    batch = Batch(obs=np.zeros((T, N, 1)), actions=np.zeros((T, N), int), rewards=rewards, mask=mask)
    np.testing.assert_allclose(baseline_values(batch, "mean", gamma),
                               _leave_one_out_by_hand(rewards, mask, gamma), atol=1e-12)


def test_reinforce_hands_the_estimator_a_discounted_baseline():
    """reinforce(gamma=0.9) passes the estimator b_t built from G^γ_t (CartPole pays 1 per step)."""
    seen = []

    def spy(batch, policy, theta, baseline=None, gamma=1.0):
        seen.append((batch, baseline, gamma))
        return estimators.reward_to_go_estimator(batch, policy, theta, baseline, gamma)

    policy = LinearSoftmax(4, 2)
    reinforce("CartPole-v1", policy, policy.init_theta(), iterations=1, batch_episodes=4,
              num_envs=4, gamma=0.9, estimator=spy, rng=np.random.default_rng(0), progress=False)
    (batch, b, gamma), = seen
    assert gamma == 0.9
    np.testing.assert_allclose(b, _leave_one_out_by_hand(batch.rewards, batch.mask, 0.9), atol=1e-9)


def test_reinforce_learns_cartpole():
    """Linear softmax REINFORCE reaches a batch mean return of 195 within 100k steps (seed 0)."""
    policy = LinearSoftmax(4, 2)
    curve = reinforce("CartPole-v1", policy, policy.init_theta(), iterations=60,
                      rng=np.random.default_rng(0), progress=False, target_return=195)
    assert isinstance(curve, LearningCurve)
    assert curve.reached_target and curve.mean_return[-1] >= 195
    assert curve.env_steps[-1] <= 100_000
    # the curve's bookkeeping
    n = curve.iterations
    for field in (curve.env_steps, curve.episodes, curve.wall_time, curve.mean_return):
        assert field.shape == (n,)
    assert np.all(np.diff(curve.env_steps) >= 2000) and np.all(np.diff(curve.wall_time) > 0)
    assert np.all(np.diff(curve.episodes) > 0)
    # the θ returned is the one whose batch reached the target: it balances
    check = LinearSoftmax(4, 2)
    from pgbook.rollout import rollout
    assert rollout("CartPole-v1", check, curve.theta, 32, np.random.default_rng(1)).returns.mean() > 150


def test_callback_sees_every_iteration_and_can_stop():
    policy = LinearSoftmax(4, 2)
    seen = []

    def callback(curve):
        seen.append(curve.iterations)
        return curve.iterations < 3  # False at iteration 3: stop

    curve = reinforce("CartPole-v1", policy, policy.init_theta(), iterations=10, batch_steps=200,
                      rng=np.random.default_rng(0), progress=False, callback=callback)
    assert seen == [1, 2, 3] and curve.iterations == 3

    def stop(curve):
        if curve.iterations == 2:
            raise StopIteration

    curve = reinforce("CartPole-v1", policy, policy.init_theta(), iterations=10, batch_episodes=5,
                      rng=np.random.default_rng(0), progress=False, callback=stop)
    assert curve.iterations == 2 and curve.episodes.tolist() == [5, 10]


def test_reinforce_is_reproducible_and_shows_progress(capsys):
    policy = LinearSoftmax(4, 2)
    runs = [reinforce("CartPole-v1", policy, policy.init_theta(), iterations=3, batch_steps=300,
                      rng=np.random.default_rng(9), progress=p) for p in (False, True)]
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)
    np.testing.assert_array_equal(runs[0].mean_return, runs[1].mean_return)
    assert "REINFORCE" in capsys.readouterr().err


class QuadraticBandit(gym.Env):
    """One step: observe 1, act a ∈ R, get r(a) = −(a − c)² and terminate."""

    observation_space = spaces.Box(1.0, 1.0, (1,), np.float64)
    action_space = spaces.Box(-np.inf, np.inf, (1,), np.float64)
    c = 1.5

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.ones(1), {}

    def step(self, action):
        return np.ones(1), -float((action[0] - self.c) ** 2), True, False, {}


def test_reinforce_with_gaussian_policy_finds_the_best_action():
    policy = LinearGaussian(1, 1)
    venv = gym.vector.SyncVectorEnv([QuadraticBandit for _ in range(8)])
    curve = reinforce(venv, policy, policy.init_theta(), iterations=150, batch_episodes=64,
                      optimizer=Adam(lr=0.05), baseline="mean", rng=np.random.default_rng(0),
                      progress=False)
    w, log_sigma = curve.theta
    assert abs(w - QuadraticBandit.c) < 0.2
    assert log_sigma < -0.5  # σ shrinks: J = −((μ − c)² + σ²) prefers σ → 0
    assert curve.mean_return[-5:].mean() > curve.mean_return[:5].mean()


def test_total_return_estimator_takes_no_baseline():
    policy = LinearSoftmax(4, 2)
    with pytest.raises(TypeError, match="baseline"):
        reinforce("CartPole-v1", policy, policy.init_theta(), iterations=1, rng=np.random.default_rng(0),
                  estimator=estimators.total_return_estimator, progress=False)
    curve = reinforce("CartPole-v1", policy, policy.init_theta(), iterations=2, batch_steps=100,
                      rng=np.random.default_rng(0), estimator=estimators.total_return_estimator,
                      baseline="none", progress=False)
    assert curve.iterations == 2


def test_callback_returning_numpy_false_stops_training():
    """A callback whose answer is a numpy bool (e.g. `steps[-1] < budget`) can stop training."""
    import numpy as np
    from pgbook.optim import Adam
    from pgbook.policies import LinearSoftmax
    from pgbook.train import reinforce

    policy = LinearSoftmax(4, 2)
    seen = []

    def stop_after_two(curve):
        seen.append(len(curve.mean_return))
        return np.bool_(len(curve.mean_return) < 2)

    curve = reinforce("CartPole-v1", policy, policy.init_theta(), iterations=10,
                      rng=np.random.default_rng(0), batch_episodes=4, optimizer=Adam(0.05),
                      callback=stop_after_two, progress=False)
    assert seen == [1, 2]
    assert len(curve.mean_return) == 2
