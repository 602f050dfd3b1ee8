"""Bad input gets one sentence naming the argument, not a numpy traceback."""

import numpy as np
import pytest

from pgbook import exact
from pgbook.envs import TabularEnv, two_state_mdp
from pgbook.mdp import TabularMDP, random_mdp
from pgbook.policies import TabularSoftmax

POLICY = TabularSoftmax(2, 2)
THETA = np.zeros(4)
MDP = two_state_mdp(horizon=3)
GOOD = dict(p0=MDP.p0, P=MDP.P, R=MDP.R, horizon=3)


def mdp_with(**changes):
    return lambda: TabularMDP(**{**GOOD, **changes})


def nan_at(array, index):
    out = np.array(array, dtype=float)
    out[index] = np.nan
    return out


BAD_P = MDP.P.copy()
BAD_P[1, 0] = [0.5, 0.6]

CASES = [
    # policy construction and θ
    ("n_states", ValueError, lambda: TabularSoftmax(0, 2)),
    ("n_actions", TypeError, lambda: TabularSoftmax(2, 2.5)),
    ("observe", ValueError, lambda: TabularSoftmax(3, 2, observe=[0, 1])),
    ("theta", ValueError, lambda: POLICY.probs(np.zeros(5))),
    ("theta", ValueError, lambda: POLICY.probs(np.zeros((2, 2)))),
    ("theta", ValueError, lambda: POLICY.log_prob(nan_at(THETA, 2), 0, 0)),
    ("theta", TypeError, lambda: POLICY.probs("zeros")),
    # states and actions
    ("states", ValueError, lambda: POLICY.log_prob(THETA, np.array([0, 2]), np.array([0, 0]))),
    ("states", ValueError, lambda: POLICY.score(THETA, np.array([-1]), np.array([0]))),
    ("states", ValueError, lambda: POLICY.log_prob(THETA, np.array([0.5]), np.array([0]))),
    ("states", TypeError, lambda: POLICY.log_prob(THETA, np.array(["a"]), np.array([0]))),
    ("actions", ValueError, lambda: POLICY.score(THETA, np.array([0]), np.array([2]))),
    ("actions", ValueError, lambda: POLICY.score(THETA, np.array([0, 1]), np.array([0]))),
    ("states", ValueError, lambda: POLICY.sample(THETA, np.array([3]), np.random.default_rng(0))),
    # random generators
    ("rng", TypeError, lambda: POLICY.sample(THETA, np.array([0]), 42)),
    ("rng", TypeError, lambda: POLICY.sample(THETA, np.array([0]), np.random.RandomState(0))),
    ("rng", TypeError, lambda: POLICY.init_theta("seed")),
    ("rng", TypeError, lambda: random_mdp(2, 2, 3, rng=None)),
    ("rng", TypeError, lambda: exact.sample_trajectories(MDP, POLICY, THETA, 5, 1)),
    # the MDP
    ("p0", ValueError, mdp_with(p0=np.array([0.5, 0.6]))),
    ("p0", ValueError, mdp_with(p0=np.array([1.0, 0.0, 0.0]))),
    ("p0", ValueError, mdp_with(p0=np.array([1.5, -0.5]))),
    ("P", ValueError, mdp_with(P=BAD_P)),
    ("P", ValueError, mdp_with(P=np.ones((2, 2)) / 2)),
    ("P", ValueError, mdp_with(P=np.ones((2, 2, 3)) / 3)),
    ("P", ValueError, mdp_with(P=nan_at(MDP.P, (0, 0, 0)))),
    ("R", ValueError, mdp_with(R=np.zeros((2, 3)))),
    ("R", ValueError, mdp_with(R=nan_at(MDP.R, (1, 1)))),
    ("R", ValueError, mdp_with(R=np.array([[0, np.inf], [0, 0]]))),
    ("horizon", ValueError, mdp_with(horizon=0)),
    ("horizon", ValueError, mdp_with(horizon=-3)),
    ("horizon", TypeError, mdp_with(horizon=2.0)),
    ("gamma", ValueError, mdp_with(gamma=0.0)),
    ("gamma", ValueError, mdp_with(gamma=1.5)),
    ("gamma", ValueError, mdp_with(gamma=float("nan"))),
    ("gamma", TypeError, mdp_with(gamma="0.9")),
    ("terminal", ValueError, mdp_with(terminal=np.array([True, False]))),
    ("terminal", ValueError, mdp_with(terminal=np.array([True]))),
    # the exact oracle
    ("mdp", TypeError, lambda: exact.objective("mdp", POLICY, THETA)),
    ("policy", ValueError, lambda: exact.exact_gradient(MDP, TabularSoftmax(3, 2), np.zeros(6))),
    ("policy", TypeError, lambda: exact.q_values(MDP, object(), THETA)),
    ("theta", ValueError, lambda: exact.objective(MDP, POLICY, nan_at(THETA, 0))),
    ("n", ValueError, lambda: exact.sample_trajectories(MDP, POLICY, THETA, -5, np.random.default_rng(0))),
    ("n", ValueError, lambda: exact.sample_trajectories(MDP, POLICY, THETA, 0, np.random.default_rng(0))),
    ("n", TypeError, lambda: exact.sample_trajectories(MDP, POLICY, THETA, 10.0, np.random.default_rng(0))),
    ("max_trajectories", ValueError,
     lambda: exact.enumerate_trajectories(MDP, POLICY, THETA, max_trajectories=10)),
    ("max_trajectories", ValueError,
     lambda: exact.enumerate_trajectories(MDP, POLICY, THETA, max_trajectories=0)),
    ("table", ValueError,
     lambda: exact.along_trajectories(np.zeros((5, 2)),
                                      exact.sample_trajectories(MDP, POLICY, THETA, 4, np.random.default_rng(0)))),
    ("eps", ValueError, lambda: exact.finite_difference_gradient(np.sum, THETA, eps=0.0)),
    ("theta", ValueError, lambda: exact.finite_difference_gradient(np.sum, nan_at(THETA, 1))),
    # the gymnasium adapter
    ("mdp", TypeError, lambda: TabularEnv("corridor")),
    ("render_mode", ValueError, lambda: TabularEnv(MDP, render_mode="rgb_array")),
]


@pytest.mark.parametrize("argument, error, call", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_names_the_argument(argument, error, call):
    with pytest.raises(error) as info:
        call()
    assert argument in str(info.value)
    # the sentence starts with the argument's name, "name: expected ..., got ..."
    assert str(info.value).startswith(f"{argument}:"), str(info.value)
