"""Every sampling estimator against the exact oracle: unbiased, with the exact covariance.

The exact mean and covariance of one trajectory's term g(ξ) come from
``exact_moments`` (a probability-weighted sum over all (S·A)^T trajectories);
the sampled ones from N = 10^4 trajectories drawn with a fixed seed.
"""

import numpy as np
import pytest

from pgbook import estimators as est
from pgbook import exact
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax

N = 10_000
S, A, T = 3, 2, 4  # (S·A)^T = 1296 trajectories


def problem(gamma):
    rng = np.random.default_rng(2024)
    mdp = random_mdp(S, A, T, rng, gamma=gamma)
    policy = TabularSoftmax(S, A)
    theta = rng.standard_normal(policy.n_params)
    return mdp, policy, theta


def estimators(mdp, policy, theta):
    """(name, estimator, keyword arguments); callables are looked up on the batch."""
    V = exact.state_values(mdp, policy, theta)
    Q = exact.q_values(mdp, policy, theta)
    return [
        ("total return", est.total_return_estimator, {}),
        ("reward-to-go", est.reward_to_go_estimator, {}),
        ("constant baseline", est.reward_to_go_estimator, {"baseline": 1.5}),
        ("time baseline", est.reward_to_go_estimator, {"baseline": V.mean(axis=1)}),
        ("state-value baseline", est.reward_to_go_estimator,
         {"baseline": lambda b: exact.along_trajectories(V, b)}),
        ("Q-weighted", est.weighted_score_estimator,
         {"weights": lambda b: exact.along_trajectories(Q, b)}),
    ]


def run(estimator, batch, mdp, policy, theta, kw):
    kw = {k: v(batch) if callable(v) else v for k, v in kw.items()}
    return estimator(batch, policy, theta, gamma=mdp.gamma, **kw)


CASES = [(gamma, i) for gamma in (1.0, 0.8) for i in range(6)]


@pytest.fixture(scope="module")
def sampled():
    """One sampled batch per γ, shared by all estimators (they are compared to exact values)."""
    out = {}
    for gamma in (1.0, 0.8):
        mdp, policy, theta = problem(gamma)
        out[gamma] = exact.sample_trajectories(mdp, policy, theta, N, np.random.default_rng(11))
    return out


@pytest.mark.parametrize("gamma, index", CASES)
def test_exact_mean_is_the_exact_gradient(gamma, index):
    mdp, policy, theta = problem(gamma)
    name, estimator, kw = estimators(mdp, policy, theta)[index]
    mean, cov = exact.exact_moments(estimator, mdp, policy, theta, **kw)
    np.testing.assert_allclose(mean, exact.exact_gradient(mdp, policy, theta), rtol=0, atol=1e-10,
                               err_msg=name)
    assert cov.shape == (policy.n_params, policy.n_params)
    np.testing.assert_allclose(cov, cov.T, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(cov) >= -1e-10)


@pytest.mark.parametrize("gamma, index", CASES)
def test_sampled_mean_within_4_standard_errors(gamma, index, sampled):
    mdp, policy, theta = problem(gamma)
    name, estimator, kw = estimators(mdp, policy, theta)[index]
    estimate = run(estimator, sampled[gamma], mdp, policy, theta, kw)
    grad = exact.exact_gradient(mdp, policy, theta)
    _, cov = exact.exact_moments(estimator, mdp, policy, theta, **kw)
    se = estimate.terms.std(axis=0, ddof=1) / np.sqrt(N)
    # a coordinate whose exact variance is ~0 has a ~0 standard error too: 4 SE would
    # ask for exact equality, so those get an absolute tolerance instead
    degenerate = np.diag(cov) < 1e-12
    bound = np.where(degenerate, 1e-8, 4 * se)
    assert np.all(np.abs(estimate.gradient - grad) <= bound), name


@pytest.mark.parametrize("gamma, index", CASES)
def test_sampled_covariance_matches_exact_covariance(gamma, index, sampled):
    mdp, policy, theta = problem(gamma)
    name, estimator, kw = estimators(mdp, policy, theta)[index]
    terms = run(estimator, sampled[gamma], mdp, policy, theta, kw).terms
    _, cov = exact.exact_moments(estimator, mdp, policy, theta, **kw)
    centred = terms - terms.mean(axis=0)
    products = centred[:, :, None] * centred[:, None, :]  # (N, n_params, n_params)
    sample_cov = products.mean(axis=0) * N / (N - 1)
    # standard error of each covariance entry, from the spread of the products
    # (x_i − x̄_i)(x_j − x̄_j), i.e. from the 4th moments; 5 SE because there are
    # 21 distinct entries per estimator and 12 estimator × γ cases
    se = products.std(axis=0, ddof=1) / np.sqrt(N)
    assert np.all(np.abs(sample_cov - cov) <= 5 * se + 1e-12), name
    # the trace (total variance) is the mean of |g − ḡ|², whose standard error is
    # the spread of |g − ḡ|² over √N (1–2.5% of the trace in these cases)
    squared = (centred**2).sum(axis=1)
    se_trace = squared.std(ddof=1) / np.sqrt(N)
    assert abs(np.trace(sample_cov) - np.trace(cov)) <= 4 * se_trace, name


def test_exact_covariance_by_a_loop_over_trajectories():
    """exact_moments against a plain loop: g(ξ) = (Σ_t ∇log π)(Σ_t γ^t r_t), one ξ at a time."""
    mdp, policy, theta = problem(0.8)
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    second = np.zeros((policy.n_params, policy.n_params))
    first = np.zeros(policy.n_params)
    for s, a, r, p in zip(enum.states, enum.actions, enum.rewards, enum.probs):
        g = policy.score(theta, s, a).sum(axis=0) * (r @ mdp.discounts)
        first += p * g
        second += p * np.outer(g, g)
    mean, cov = exact.exact_moments(est.total_return_estimator, mdp, policy, theta)
    np.testing.assert_allclose(mean, first, atol=1e-12)
    np.testing.assert_allclose(cov, second - np.outer(first, first), atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reward_to_go_has_less_variance_than_total_return_here(seed):
    """In these tiny random MDPs, not as a theorem: dropping past rewards lowers the variance.

    (The total variance trace(Cov g) is compared; the ordering is typical, and is
    checked exactly here, but is not guaranteed for every MDP and θ.)
    """
    rng = np.random.default_rng(seed)
    mdp = random_mdp(2, 2, 3, rng)
    policy = TabularSoftmax(2, 2)
    theta = rng.standard_normal(4)
    _, cov_total = exact.exact_moments(est.total_return_estimator, mdp, policy, theta)
    _, cov_togo = exact.exact_moments(est.reward_to_go_estimator, mdp, policy, theta)
    assert np.trace(cov_total) >= np.trace(cov_togo)
