"""The exact oracle: dynamic programming against finite differences, enumeration and sampling."""

import numpy as np
import pytest

from pgbook import exact
from pgbook.envs import corridor
from pgbook.mdp import TabularMDP, random_mdp
from pgbook.policies import TabularSoftmax


def setup(seed, S, A, T, gamma=1.0):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(S, A, T, rng, gamma=gamma)
    policy = TabularSoftmax(S, A)
    theta = rng.standard_normal(policy.n_params)
    return mdp, policy, theta


@pytest.mark.parametrize("gamma", [1.0, 0.9])
@pytest.mark.parametrize("seed, S, A", [(0, 2, 2), (1, 5, 3), (2, 10, 4), (3, 7, 4), (4, 10, 2)])
def test_exact_gradient_matches_finite_differences(seed, S, A, gamma):
    mdp, policy, theta = setup(seed, S, A, 20, gamma)
    grad = exact.exact_gradient(mdp, policy, theta)
    fd = exact.finite_difference_gradient(lambda th: exact.objective(mdp, policy, th), theta)
    # central differences with eps = 1e-5: truncation ~ eps², rounding ~ 1e-16·|J|/eps ~ 1e-10
    assert np.max(np.abs(grad - fd)) <= 1e-6 * np.max(np.abs(grad))


def test_recursions_are_consistent():
    mdp, policy, theta = setup(5, 4, 3, 6, gamma=0.8)
    pi = policy.probs(theta)
    d = exact.state_distributions(mdp, policy, theta)
    Q = exact.q_values(mdp, policy, theta)
    V = exact.state_values(mdp, policy, theta)
    assert d.shape == (6, 4) and Q.shape == (6, 4, 3) and V.shape == (6, 4)
    np.testing.assert_allclose(d.sum(axis=1), 1.0)
    np.testing.assert_allclose(Q[-1], mdp.R)  # last step: only r(s,a) is left
    # J two ways: backward (p0·V_0) and forward (Σ_t γ^t Σ_s d_t(s) Σ_a π(a|s) r(s,a))
    forward = sum(mdp.gamma**t * d[t] @ (pi * mdp.R).sum(axis=1) for t in range(mdp.T))
    assert exact.objective(mdp, policy, theta) == pytest.approx(forward, rel=1e-12)
    np.testing.assert_allclose(V[0] @ mdp.p0, forward)


@pytest.mark.parametrize("gamma", [1.0, 0.8])
@pytest.mark.parametrize("S, T", [(2, 2), (2, 3), (3, 2), (3, 4), (2, 4)])
def test_enumeration_agrees_with_dynamic_programming(S, T, gamma):
    mdp, policy, theta = setup(10 * S + T, S, 2, T, gamma)
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    assert enum.n_trajectories == (S * 2) ** T  # Dirichlet rows: every trajectory possible
    assert len({tuple(x) for x in np.hstack([enum.states, enum.actions])}) == enum.n_trajectories
    np.testing.assert_allclose(enum.probs.sum(), 1.0)
    J = exact.objective(mdp, policy, theta)
    assert exact.objective_by_enumeration(mdp, policy, theta) == pytest.approx(J, rel=1e-12)
    np.testing.assert_allclose(
        exact.gradient_by_enumeration(mdp, policy, theta),
        exact.exact_gradient(mdp, policy, theta), rtol=1e-10, atol=1e-12,
    )


def test_enumeration_probability_of_one_trajectory_by_hand():
    mdp, policy, theta = setup(3, 2, 2, 3)
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    pi = policy.probs(theta)
    k = 17
    s, a = enum.states[k], enum.actions[k]
    by_hand = mdp.p0[s[0]]
    for t in range(3):
        by_hand *= pi[s[t], a[t]] * (mdp.P[s[t], a[t], s[t + 1]] if t < 2 else 1.0)
    assert enum.probs[k] == pytest.approx(by_hand, rel=1e-12)
    batch = enum.as_batch()
    assert batch.rewards.shape == (3, enum.n_trajectories) and batch.mask.all()
    np.testing.assert_array_equal(batch.obs[:, k], s)


def test_enumeration_keeps_only_what_the_dynamics_allow():
    mdp = corridor(horizon=4)  # deterministic, one start state: 2^4 action sequences
    policy = TabularSoftmax(4, 2)
    enum = exact.enumerate_trajectories(mdp, policy, np.zeros(8))
    assert enum.n_trajectories == 2**4
    np.testing.assert_allclose(enum.probs, 1 / 16)
    assert exact.objective_by_enumeration(mdp, policy, np.zeros(8)) == pytest.approx(
        exact.objective(mdp, policy, np.zeros(8)))


def test_enumeration_refuses_too_many_trajectories():
    mdp, policy, theta = setup(0, 3, 2, 8)
    with pytest.raises(ValueError, match="max_trajectories") as err:
        exact.enumerate_trajectories(mdp, policy, theta, max_trajectories=10_000)
    assert "S=3" in str(err.value) and "T=8" in str(err.value) and "1,679,616" in str(err.value)


@pytest.mark.parametrize("S, T", [(2, 2), (2, 3), (3, 3)])
def test_chain_rule_gradient_agrees_and_costs_T_times_SA_to_the_T(S, T):
    mdp, policy, theta = setup(S + T, S, 2, T, gamma=0.9)
    result = exact.chain_rule_gradient(mdp, policy, theta)
    np.testing.assert_allclose(result.gradient, exact.exact_gradient(mdp, policy, theta),
                               rtol=1e-10, atol=1e-12)
    n_traj = (S * 2) ** T
    assert result.n_trajectories == n_traj
    assert result.n_terms == T * n_traj
    assert result.n_multiplications == T * n_traj * (2 * T - 1 + policy.n_params)
    # one more step multiplies the work by (T+1)/T · S·A
    longer = exact.chain_rule_gradient(random_mdp(S, 2, T + 1, np.random.default_rng(0)), policy, theta)
    assert longer.n_terms * T == result.n_terms * (T + 1) * S * 2


@pytest.mark.parametrize("gamma", [1.0, 0.7])
def test_sampled_returns_match_J(gamma):
    mdp, policy, theta = setup(8, 4, 3, 6, gamma)
    batch = exact.sample_trajectories(mdp, policy, theta, 20_000, np.random.default_rng(1))
    assert batch.rewards.shape == (6, 20_000) and batch.mask.all()
    returns = batch.rewards.T @ mdp.discounts
    se = returns.std(ddof=1) / np.sqrt(returns.size)
    assert abs(returns.mean() - exact.objective(mdp, policy, theta)) <= 4 * se
    # state frequencies at each t against d_t
    d = exact.state_distributions(mdp, policy, theta)
    freq = np.stack([np.bincount(batch.obs[t], minlength=4) for t in range(6)]) / 20_000
    assert np.all(np.abs(freq - d) <= 4 * np.sqrt(d * (1 - d) / 20_000) + 1e-12)


def test_sampling_is_reproducible():
    mdp, policy, theta = setup(2, 3, 2, 5)
    a = exact.sample_trajectories(mdp, policy, theta, 50, np.random.default_rng(4))
    b = exact.sample_trajectories(mdp, policy, theta, 50, np.random.default_rng(4))
    np.testing.assert_array_equal(a.obs, b.obs)
    np.testing.assert_array_equal(a.actions, b.actions)


def test_along_trajectories_looks_up_each_step():
    mdp, policy, theta = setup(2, 3, 2, 5)
    batch = exact.sample_trajectories(mdp, policy, theta, 7, np.random.default_rng(0))
    Q = exact.q_values(mdp, policy, theta)
    V = exact.state_values(mdp, policy, theta)
    q = exact.along_trajectories(Q, batch)
    v = exact.along_trajectories(V, batch)
    t, i = 3, 5
    assert q[t, i] == Q[t, batch.obs[t, i], batch.actions[t, i]]
    assert v[t, i] == V[t, batch.obs[t, i]]


def test_terminal_states_must_be_absorbing_and_free():
    mdp = corridor(horizon=5)
    assert mdp.terminal.tolist() == [False, False, False, True]
    with pytest.raises(ValueError, match="terminal"):
        TabularMDP(p0=mdp.p0, P=mdp.P, R=mdp.R, horizon=5, terminal=np.array([True, False, False, False]))
