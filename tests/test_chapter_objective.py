"""pgbook.monte_carlo, the helper of chapter 1: Ĵ_N, its standard error, and exact σ².

Every number is compared with an exact one: the enumeration of every
trajectory, the DP objective, or a closed form; sampled claims are checked
within 4 standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from pgbook import exact
from pgbook.envs import corridor, two_state_mdp
from pgbook.mdp import random_mdp
from pgbook.monte_carlo import monte_carlo_objective, return_moments, running_mean
from pgbook.policies import TabularSoftmax


@pytest.mark.parametrize("mdp, seed", [
    (two_state_mdp(4), 0),
    (random_mdp(3, 2, 4, np.random.default_rng(0), gamma=0.9), 1),
    (corridor(horizon=8), 2),
    (random_mdp(2, 3, 1, np.random.default_rng(3)), 3),
])
def test_return_moments_match_enumeration(mdp, seed):
    policy = TabularSoftmax(mdp.n_states, mdp.n_actions)
    theta = np.random.default_rng(seed).normal(size=policy.n_params)
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    mean = enum.probs @ enum.returns
    moments = return_moments(mdp, policy, theta)
    assert np.isclose(moments.mean, mean)
    assert np.isclose(moments.mean, exact.objective(mdp, policy, theta))
    assert np.isclose(moments.variance, enum.probs @ (enum.returns - mean) ** 2)


def test_return_moments_of_a_deterministic_return_is_zero_variance():
    # the corridor with the "seeing" optimal policy reaches G in 3 steps, always
    policy = TabularSoftmax(4, 2)
    theta = 40.0 * np.array([-1, 1, 1, -1, -1, 1, 0, 0])
    mean, var = return_moments(corridor(horizon=10), policy, theta)
    assert np.isclose(mean, -3.0) and abs(var) < 1e-9


def test_monte_carlo_objective_and_running_mean():
    returns = np.array([1.0, 3.0, 2.0, 6.0])
    est = monte_carlo_objective(returns)
    assert est.estimate == 3.0 and est.n == 4
    assert np.isclose(est.standard_error, returns.std(ddof=1) / 2)
    assert np.allclose(running_mean(returns), [1.0, 2.0, 2.0, 3.0])
    assert np.isnan(monte_carlo_objective([5.0]).standard_error)


def test_monte_carlo_objective_errors_speak_plainly():
    with pytest.raises(ValueError, match="at least one return"):
        monte_carlo_objective(np.array([]))
    with pytest.raises(ValueError, match="returns"):
        monte_carlo_objective(np.ones((2, 2)))


def test_monte_carlo_estimate_is_unbiased_with_sigma_over_root_n():
    mdp, policy = two_state_mdp(5), TabularSoftmax(2, 2)
    theta = np.array([0.0, 0.5, 1.0, 0.0])
    J, var = return_moments(mdp, policy, theta)
    M, N = 2000, 16
    R = exact.sample_trajectories(mdp, policy, theta, M * N, np.random.default_rng(0))
    estimates = R.returns.reshape(M, N).mean(axis=1)
    assert abs(estimates.mean() - J) < 4 * np.sqrt(var / N / M)       # unbiased, 4 SE
    sq = (estimates - J) ** 2
    assert abs(sq.mean() - var / N) < 4 * sq.std(ddof=1) / np.sqrt(M)  # Var = σ²/N, 4 SE
