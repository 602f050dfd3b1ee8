"""pgbook.off_policy: importance weights, the importance-sampled estimators and their exact moments.

Sampled-versus-exact comparisons: a fixed seed, 4 standard errors per compared
number (false alarm rate 6·10⁻⁵ per number for a normal estimate; about 30
numbers here, so about 0.2% for a random seed).
"""

import numpy as np
import pytest

from pgbook import estimators as est
from pgbook import exact, off_policy
from pgbook.batch import Batch
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax


def problem(gamma=0.9, T=4, distance=0.5, seed=5):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(3, 2, T, rng, gamma=gamma)
    policy = TabularSoftmax(3, 2)
    theta_old = rng.normal(size=6)
    theta = theta_old + distance * rng.normal(size=6)
    return mdp, policy, theta, theta_old


def test_the_trajectory_weight_is_the_ratio_of_trajectory_probabilities():
    """P_θ(ξ)/P_θold(ξ) from the enumeration (dynamics included) equals the product of policy ratios."""
    mdp, policy, theta, theta_old = problem()
    new = exact.enumerate_trajectories(mdp, policy, theta)
    old = exact.enumerate_trajectories(mdp, policy, theta_old)
    assert np.array_equal(new.states, old.states) and np.array_equal(new.actions, old.actions)
    w = off_policy.importance_weights(old.as_batch(), policy, theta, theta_old)
    np.testing.assert_allclose(w, new.probs / old.probs, rtol=1e-10)
    assert np.isclose(old.probs @ w, 1.0)  # E_old[w] = 1
    per_decision = off_policy.importance_weights(old.as_batch(), policy, theta, theta_old, "per-decision")
    np.testing.assert_allclose(old.probs @ per_decision.T, 1.0, atol=1e-12)  # E_old[w_{0:t}] = 1, every t
    np.testing.assert_allclose(per_decision[-1], w, rtol=1e-12)
    rho = off_policy.importance_weights(old.as_batch(), policy, theta, theta_old, "per-step")
    np.testing.assert_allclose(np.cumprod(rho, axis=0), per_decision, rtol=1e-12)


@pytest.mark.parametrize("gamma", [1.0, 0.9])
def test_trajectory_and_per_decision_weights_are_unbiased(gamma):
    mdp, policy, theta, theta_old = problem(gamma)
    grad = exact.exact_gradient(mdp, policy, theta)
    for kind in ("trajectory", "per-decision"):
        mean, _ = off_policy.off_policy_moments(mdp, policy, theta, theta_old, kind)
        np.testing.assert_allclose(mean, grad, atol=1e-12, err_msg=kind)
    for kind in ("per-step", "clipped"):  # they drop the change of the state distribution
        mean, _ = off_policy.off_policy_moments(mdp, policy, theta, theta_old, kind)
        assert np.linalg.norm(mean - grad) > 1e-3, kind


def test_at_theta_old_every_kind_is_the_on_policy_estimator():
    mdp, policy, theta, _ = problem()
    total = exact.exact_moments(est.total_return_estimator, mdp, policy, theta)
    togo = exact.exact_moments(est.reward_to_go_estimator, mdp, policy, theta)
    for kind, want in zip(off_policy.KINDS, (total, togo, togo, togo)):
        mean, cov = off_policy.off_policy_moments(mdp, policy, theta, theta, kind)
        np.testing.assert_allclose(mean, want.mean, atol=1e-12, err_msg=kind)
        np.testing.assert_allclose(cov, want.covariance, atol=1e-11, err_msg=kind)


@pytest.mark.parametrize("kind", off_policy.KINDS)
def test_exact_mean_and_variance_match_sampling_under_theta_old(kind):
    mdp, policy, theta, theta_old = problem()
    mean, cov = off_policy.off_policy_moments(mdp, policy, theta, theta_old, kind)
    N = 20_000
    batch = exact.sample_trajectories(mdp, policy, theta_old, N, np.random.default_rng(12))
    terms = off_policy.importance_sampled_estimator(batch, policy, theta, theta_old, kind, mdp.gamma).terms
    se = terms.std(axis=0, ddof=1) / np.sqrt(N)
    assert np.all(np.abs(terms.mean(axis=0) - mean) <= 4 * se)
    squared = ((terms - terms.mean(axis=0)) ** 2).sum(axis=1)
    assert abs(squared.mean() - np.trace(cov)) <= 4 * squared.std(ddof=1) / np.sqrt(N)


def test_a_baseline_moves_the_per_step_mean_not_at_all_but_the_clipped_one_does():
    mdp, policy, theta, theta_old = problem()
    V_old = exact.state_values(mdp, policy, theta_old)
    plain = off_policy.off_policy_moments(mdp, policy, theta, theta_old, "per-step")
    with_v = off_policy.off_policy_moments(mdp, policy, theta, theta_old, "per-step", V=V_old)
    np.testing.assert_allclose(with_v.mean, plain.mean, atol=1e-12)
    clipped = off_policy.off_policy_moments(mdp, policy, theta, theta_old, "clipped")
    clipped_v = off_policy.off_policy_moments(mdp, policy, theta, theta_old, "clipped", V=V_old)
    assert np.linalg.norm(clipped_v.mean - clipped.mean) > 1e-3
    # sampled, with the same advantages G_t − V_old(s_t)
    N = 20_000
    batch = exact.sample_trajectories(mdp, policy, theta_old, N, np.random.default_rng(13))
    adv = est.reward_to_go(batch.rewards, batch.mask, mdp.gamma) - exact.along_trajectories(V_old, batch)
    terms = off_policy.importance_sampled_estimator(batch, policy, theta, theta_old, "clipped", mdp.gamma,
                                                    advantages=adv).terms
    se = terms.std(axis=0, ddof=1) / np.sqrt(N)
    assert np.all(np.abs(terms.mean(axis=0) - clipped_v.mean) <= 4 * se)
    with pytest.raises(ValueError, match="V: the trajectory kind weighs the rewards themselves"):
        off_policy.off_policy_moments(mdp, policy, theta, theta_old, "trajectory", V=V_old)


def test_the_weights_second_moment_grows_with_the_horizon_and_the_distance():
    mdp, policy, theta, theta_old = problem()
    enum_new = exact.enumerate_trajectories(mdp, policy, theta)
    enum_old = exact.enumerate_trajectories(mdp, policy, theta_old)
    np.testing.assert_allclose(off_policy.weight_second_moment(mdp, policy, theta, theta_old),
                               np.sum(enum_new.probs**2 / enum_old.probs), rtol=1e-12)
    by_T = [off_policy.weight_second_moment(*problem(T=T)) for T in (1, 2, 4, 8, 16)]
    assert np.all(np.diff(by_T) > 0) and by_T[-1] > 2 * by_T[0]
    by_distance = [off_policy.weight_second_moment(*problem(distance=d)) for d in (0.0, 0.25, 0.5, 1.0)]
    assert by_distance[0] == pytest.approx(1.0) and np.all(np.diff(by_distance) > 0)


def test_the_clipped_estimate_is_the_gradient_of_ppos_objective():
    """Σ_t γ^t min(ρ_t Â_t, clip(ρ_t) Â_t), averaged over episodes, differentiated by central differences."""
    mdp, policy, theta, theta_old = problem(distance=0.3)
    batch = exact.sample_trajectories(mdp, policy, theta_old, 200, np.random.default_rng(3))
    A = est.reward_to_go(batch.rewards, batch.mask, mdp.gamma)
    eps = 0.2

    def ppo_objective(th):
        rho = off_policy.importance_weights(batch, policy, th, theta_old, "per-step")
        clipped = off_policy.clipped_ratio(rho, eps)
        return np.mean((mdp.discounts[:, None] * np.minimum(rho * A, clipped * A)).sum(axis=0))

    rho = off_policy.importance_weights(batch, policy, theta, theta_old, "per-step")
    assert np.min(np.abs(np.abs(rho - 1) - eps)) > 1e-4  # no ratio sits on a kink
    assert np.any(np.abs(rho - 1) > eps)                  # some are clipped
    g = off_policy.importance_sampled_estimator(batch, policy, theta, theta_old, "clipped", mdp.gamma, eps)
    fd = exact.finite_difference_gradient(ppo_objective, theta, eps=1e-7)
    np.testing.assert_allclose(g.gradient, fd, atol=1e-6)


# ----------------------------------------------------------------- bad input
def test_theta_old_with_another_number_of_parameters_is_refused():
    mdp, policy, theta, theta_old = problem()
    batch = exact.sample_trajectories(mdp, policy, theta_old, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"theta_old: expected the same number of parameters as theta, "
                                         r"shape \(6,\), got shape \(4,\)"):
        off_policy.importance_weights(batch, policy, theta, theta_old[:4])
    with pytest.raises(ValueError, match="theta_old: expected the same number of parameters"):
        off_policy.off_policy_moments(mdp, policy, theta, np.zeros(7))


def test_an_action_with_probability_zero_under_theta_old_is_refused():
    mdp, policy, theta, _ = problem()
    theta_old = np.zeros(6)
    theta_old[1] = -1e4  # π_θold(a=1|s=0) = 0 in floating point
    batch = Batch(obs=np.array([[0], [0]]), actions=np.array([[0], [1]]), rewards=np.zeros((2, 1)),
                  mask=np.ones((2, 1), bool))
    with pytest.raises(ValueError, match=r"theta_old: the action a_t = 1 at step t = 1 of episode 0 "
                                         r"\(state 0\) has probability 0 under π_θold"):
        off_policy.log_ratios(batch, policy, theta, theta_old)
    with pytest.raises(ValueError, match=r"theta_old: π_θold\(a=1\|s=0\) = 0 where π_θ\(a=1\|s=0\)"):
        off_policy.off_policy_moments(mdp, policy, theta, theta_old)
    with pytest.raises(ValueError, match=r"theta_old: π_θold\(a=1\|s=0\) = 0"):
        off_policy.weight_second_moment(mdp, policy, theta, theta_old)


def test_other_bad_arguments_are_refused():
    mdp, policy, theta, theta_old = problem()
    batch = exact.sample_trajectories(mdp, policy, theta_old, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="kind: expected one of"):
        off_policy.importance_sampled_estimator(batch, policy, theta, theta_old, "ppo")
    with pytest.raises(ValueError, match=r"epsilon: expected a clip range ε in \(0, 1\)"):
        off_policy.clipped_ratio(np.ones(3), 1.5)
    with pytest.raises(ValueError, match=r"advantages: expected shape \(4, 5\)"):
        off_policy.importance_sampled_estimator(batch, policy, theta, theta_old, "per-step",
                                                advantages=np.zeros((3, 5)))
