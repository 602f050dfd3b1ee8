"""Bad input gets one sentence naming the argument; sampling is reproducible from a seed."""

import re

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from pgbook.optim import SGD, Adam
from pgbook.policies import LinearGaussian, LinearSoftmax
from pgbook.rollout import collect, rollout, rollout_steps
from pgbook.train import reinforce

RNG = np.random.default_rng(0)
SOFTMAX = LinearSoftmax(4, 2)
GAUSS = LinearGaussian(3, 2)
OK = np.zeros(8)
NAN = np.array([0, 0, 0, np.nan, 0, 0, 0, 0])
CARTPOLE_OBS = gym.make("CartPole-v1").observation_space


def run(**kw):
    """reinforce on CartPole with sensible arguments, overridden by kw."""
    args = dict(env="CartPole-v1", policy=SOFTMAX, theta0=OK, iterations=1, rng=np.random.default_rng(0),
                batch_steps=50, progress=False)
    args.update(kw)
    return reinforce(args.pop("env"), args.pop("policy"), args.pop("theta0"), **args)


BAD_INPUT = [
    # (what, call, exception, message pattern)
    ("obs of the wrong size", lambda: SOFTMAX.sample(OK, np.zeros(2), RNG), ValueError,
     r"^obs: policy expects 4 features, got observation of shape \(2,\)$"),
    ("obs of the wrong size, batched", lambda: SOFTMAX.log_prob(OK, np.zeros((5, 3)), np.zeros(5, int)),
     ValueError, r"^obs: policy expects 4 features, got observation of shape \(3,\)$"),
    ("env whose obs the policy cannot read", lambda: rollout("Pendulum-v1", SOFTMAX, OK, 1, RNG),
     ValueError, r"^obs: policy expects 4 features, got observation of shape \(3,\)$"),
    ("Box action space to LinearSoftmax",
     lambda: LinearSoftmax.from_space(CARTPOLE_OBS, spaces.Box(-1, 1, (2,))), TypeError,
     r"^action_space: expected a Discrete action space, got Box\("),
    ("Discrete action space to LinearGaussian",
     lambda: LinearGaussian.from_space(CARTPOLE_OBS, spaces.Discrete(2)), TypeError,
     r"^action_space: expected a 1-D Box action space, got Discrete\(2\)"),
    ("Discrete actions not numbered from 0",
     lambda: LinearSoftmax.from_space(CARTPOLE_OBS, spaces.Discrete(3, start=-1)), ValueError,
     r"^action_space: expected actions numbered from 0"),
    ("Discrete observations to LinearSoftmax",
     lambda: LinearSoftmax.from_space(spaces.Discrete(5), spaces.Discrete(2)), TypeError,
     r"^observation_space: expected a 1-D Box observation space"),
    ("n_episodes zero", lambda: rollout("CartPole-v1", SOFTMAX, OK, 0, RNG), ValueError, r"^n_episodes: .*>= 1, got 0"),
    ("n_episodes negative", lambda: rollout("CartPole-v1", SOFTMAX, OK, -3, RNG), ValueError, r"^n_episodes: "),
    ("n_episodes not whole", lambda: rollout("CartPole-v1", SOFTMAX, OK, 2.5, RNG), TypeError, r"^n_episodes: "),
    ("n_steps zero", lambda: rollout_steps("CartPole-v1", SOFTMAX, OK, 0, RNG), ValueError, r"^n_steps: "),
    ("max_steps zero", lambda: rollout("CartPole-v1", SOFTMAX, OK, 1, RNG, max_steps=0), ValueError, r"^max_steps: "),
    ("NaN theta to a policy", lambda: SOFTMAX.log_prob(NAN, np.zeros(4), 0), ValueError, r"^theta: expected finite"),
    ("NaN theta to rollout", lambda: rollout("CartPole-v1", SOFTMAX, NAN, 1, RNG), ValueError, r"^theta: expected finite"),
    ("NaN theta to reinforce", lambda: run(theta0=NAN), ValueError, r"^theta0: expected finite"),
    ("NaN theta to the Gaussian", lambda: GAUSS.sample(np.full(8, np.nan), np.zeros(3), RNG), ValueError, r"^theta: "),
    ("theta of the wrong length", lambda: SOFTMAX.score(np.zeros(6), np.zeros(4), 0), ValueError,
     r"^theta: expected shape \(8,\), got shape \(6,\)"),
    ("rng an int", lambda: rollout("CartPole-v1", SOFTMAX, OK, 1, 0), TypeError, r"^rng: expected a numpy.random.Generator"),
    ("rng a RandomState", lambda: run(rng=np.random.RandomState(0)), TypeError, r"^rng: "),
    ("rng None to sample", lambda: SOFTMAX.sample(OK, np.zeros(4), None), TypeError, r"^rng: "),
    ("rng None to the Gaussian", lambda: GAUSS.sample(np.zeros(8), np.zeros(3), None), TypeError, r"^rng: "),
    ("lr zero (SGD)", lambda: SGD(lr=0), ValueError, r"^lr: expected a number in \(0, inf\), got 0"),
    ("lr negative (Adam)", lambda: Adam(lr=-0.1), ValueError, r"^lr: "),
    ("lr not a number", lambda: SGD(lr="fast"), TypeError, r"^lr: "),
    ("beta1 of 1", lambda: Adam(lr=0.1, beta1=1.0), ValueError, r"^beta1: expected a number in \[0, 1\)"),
    ("grad shape differs from theta", lambda: SGD(0.1).step(np.zeros(3), np.zeros(2)), ValueError, r"^grad: "),
    ("NaN gradient", lambda: Adam(0.1).step(np.zeros(2), np.array([np.nan, 0])), ValueError, r"^grad: expected finite"),
    ("action out of range", lambda: SOFTMAX.log_prob(OK, np.zeros(4), 2), ValueError, r"^actions: expected integers in \[0, 2\)"),
    ("Gaussian action of the wrong size", lambda: GAUSS.log_prob(np.zeros(8), np.zeros(3), np.zeros(3)),
     ValueError, r"^actions: expected shape \(2,\)"),
    ("env of the wrong type", lambda: rollout(42, SOFTMAX, OK, 1, RNG), TypeError, r"^env: expected a gymnasium"),
    ("unknown env id", lambda: rollout("NoSuchEnv-v0", SOFTMAX, OK, 1, RNG), ValueError, r"^env: no gymnasium env"),
    ("iterations zero", lambda: run(iterations=0), ValueError, r"^iterations: "),
    ("batch_steps zero", lambda: run(batch_steps=0), ValueError, r"^batch_steps: "),
    ("both batch sizes", lambda: run(batch_episodes=3), TypeError, r"^batch_steps: give batch_steps or batch_episodes"),
    ("unknown baseline", lambda: run(baseline="median"), ValueError, r"^baseline: expected one of"),
    ("n_features zero", lambda: LinearSoftmax(0, 2), ValueError, r"^n_features: "),
    ("features not callable", lambda: LinearSoftmax(4, 2, features=3), TypeError, r"^features: "),
]


@pytest.mark.parametrize("what, call, error, pattern", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_names_the_argument(what, call, error, pattern):
    with pytest.raises(error) as info:
        call()
    assert re.search(pattern, str(info.value)), str(info.value)


@pytest.mark.parametrize("policy", [LinearSoftmax(4, 3), LinearGaussian(4, 2)], ids=repr)
def test_sample_is_reproducible_from_a_seed(policy):
    theta = np.random.default_rng(1).normal(size=policy.n_params)
    obs = np.random.default_rng(2).normal(size=(10, 4))
    a = policy.sample(theta, obs, np.random.default_rng(3))
    np.testing.assert_array_equal(a, policy.sample(theta, obs, np.random.default_rng(3)))
    assert not np.array_equal(a, policy.sample(theta, obs, np.random.default_rng(4)))


def test_rollout_draws_only_from_the_generator_it_is_given():
    """Global numpy state plays no part: reseeding it changes nothing."""
    policy = LinearSoftmax(4, 2)
    np.random.seed(0)
    a = collect("CartPole-v1", policy, OK, np.random.default_rng(5), n_episodes=4)[0]
    np.random.seed(1)
    b = collect("CartPole-v1", policy, OK, np.random.default_rng(5), n_episodes=4)[0]
    np.testing.assert_array_equal(a.actions, b.actions)
