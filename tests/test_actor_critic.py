"""pgbook.actor_critic: REINFORCE's loop with GAE(λ) from a linear critic learned alongside θ."""

import numpy as np
import pytest

from pgbook.actor_critic import ActorCriticCurve, actor_critic, time_state_features
from pgbook.policies import LinearSoftmax
from pgbook.rollout import rollout
from pgbook.train import LearningCurve, reinforce


def test_actor_critic_learns_cartpole():
    """Linear softmax actor, linear critic on [1, 1 − t/500, s, s²]: a batch mean return of 475 (seed 0)."""
    policy = LinearSoftmax(4, 2)
    curve = actor_critic("CartPole-v1", policy, policy.init_theta(), iterations=60,
                         rng=np.random.default_rng(0), progress=False, target_return=475)
    assert isinstance(curve, ActorCriticCurve) and isinstance(curve, LearningCurve)
    assert curve.reached_target and curve.mean_return[-1] >= 475
    assert curve.env_steps[-1] <= 150_000
    assert curve.critic.shape == (10,)
    n = curve.iterations
    for field in (curve.env_steps, curve.episodes, curve.wall_time, curve.mean_return):
        assert field.shape == (n,)
    # the θ returned is the one whose batch reached the target: it balances
    assert rollout("CartPole-v1", policy, curve.theta, 16, np.random.default_rng(1)).returns.mean() > 400


def test_with_lambda_1_and_no_critic_yet_the_first_step_is_reinforces():
    """The critic starts at V = 0, so with λ = 1 the first step is reward-to-go with no baseline."""
    policy = LinearSoftmax(4, 2)
    kw = dict(iterations=1, batch_steps=300, progress=False)
    ac = actor_critic("CartPole-v1", policy, policy.init_theta(), lam=1.0, rng=np.random.default_rng(4), **kw)
    rf = reinforce("CartPole-v1", policy, policy.init_theta(), baseline="none", rng=np.random.default_rng(4), **kw)
    np.testing.assert_allclose(ac.theta, rf.theta, atol=1e-12)
    np.testing.assert_array_equal(ac.mean_return, rf.mean_return)


def test_actor_critic_is_reproducible_and_its_callback_can_stop_it():
    policy = LinearSoftmax(4, 2)
    seen = []

    def callback(curve):
        seen.append(curve.iterations)
        return curve.iterations < 3

    runs = [actor_critic("CartPole-v1", policy, policy.init_theta(), iterations=10, batch_steps=300,
                         rng=np.random.default_rng(9), progress=False, callback=cb) for cb in (callback, None)]
    assert seen == [1, 2, 3] and runs[0].iterations == 3
    np.testing.assert_array_equal(runs[0].mean_return, runs[1].mean_return[:3])


def test_time_state_features():
    obs = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    phi = time_state_features(obs, horizon=10)
    assert phi.shape == (2, 3, 10)
    np.testing.assert_array_equal(phi[..., 0], 1.0)
    np.testing.assert_allclose(phi[1, :, 1], 0.9)  # 1 − t/H at t = 1
    np.testing.assert_array_equal(phi[..., 2:6], obs)
    np.testing.assert_array_equal(phi[..., 6:], obs**2)


def test_bad_arguments_are_refused():
    policy = LinearSoftmax(4, 2)
    with pytest.raises(ValueError, match=r"lam: expected λ in \[0, 1\], got 1.2"):
        actor_critic("CartPole-v1", policy, policy.init_theta(), iterations=1, rng=np.random.default_rng(0),
                     lam=1.2, progress=False)
    with pytest.raises(ValueError, match=r"critic_features: expected shape \("):
        actor_critic("CartPole-v1", policy, policy.init_theta(), iterations=1, rng=np.random.default_rng(0),
                     critic_features=lambda obs, H: obs[0], batch_steps=50, progress=False)
    with pytest.raises(ValueError, match=r"theta0: expected shape \(8,\)"):
        actor_critic("CartPole-v1", policy, np.zeros(3), iterations=1, rng=np.random.default_rng(0),
                     progress=False)
