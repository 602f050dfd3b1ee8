"""pgbook.baselines: the scalar b* and the per-coordinate b_k, exactly, against every other baseline."""

import numpy as np
import pytest

from pgbook import baselines, exact
from pgbook import estimators as est
from pgbook.envs import corridor, two_state_mdp
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax


def problems():
    rng = np.random.default_rng(2024)
    mdp = random_mdp(3, 2, 4, rng, gamma=0.9)
    yield "random", mdp, TabularSoftmax(3, 2), rng.standard_normal(6)
    yield "two-state", two_state_mdp(), TabularSoftmax(2, 2), np.array([0.3, -0.2, 0.0, 0.5])
    mdp = corridor(horizon=8)
    yield "corridor", mdp, TabularSoftmax(4, 2), np.random.default_rng(1).normal(size=8)


PROBLEMS = list(problems())
IDS = [p[0] for p in PROBLEMS]


def exact_variances(mdp, policy, theta, b, estimator):
    """Var[g_k] for every k, with the baseline b (a number or one per coordinate), by enumeration."""
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    terms = baselines.vector_baseline_estimator(enum.as_batch(), policy, theta, b, mdp.gamma, estimator).terms
    mean = enum.probs @ terms
    return enum.probs @ (terms - mean) ** 2


@pytest.mark.parametrize("estimator", baselines.ESTIMATOR_KINDS)
@pytest.mark.parametrize("name, mdp, policy, theta", PROBLEMS, ids=IDS)
def test_per_coordinate_baseline_minimises_each_coordinates_exact_variance(name, mdp, policy, theta, estimator):
    b = baselines.optimal_baseline(mdp, policy, theta, per_coordinate=True, estimator=estimator)
    assert b.shape == (policy.n_params,)
    best = exact_variances(mdp, policy, theta, b, estimator)
    b_star = baselines.optimal_baseline(mdp, policy, theta, estimator=estimator)
    # every coordinate at least as good as with the scalar b*, and as with any other constant
    assert np.all(best <= exact_variances(mdp, policy, theta, b_star, estimator) + 1e-12)
    for shift in (-1.0, -0.1, 0.1, 1.0):
        for k in range(policy.n_params):
            moved = b.copy()
            moved[k] += shift
            assert exact_variances(mdp, policy, theta, moved, estimator)[k] >= best[k] - 1e-12


@pytest.mark.parametrize("name, mdp, policy, theta", PROBLEMS, ids=IDS)
def test_scalar_b_star_minimises_the_total_variance(name, mdp, policy, theta):
    b = baselines.optimal_baseline(mdp, policy, theta)
    assert isinstance(b, float)
    total = exact_variances(mdp, policy, theta, b, "reward-to-go").sum()
    for shift in (-1.0, -0.1, 0.1, 1.0):
        assert exact_variances(mdp, policy, theta, b + shift, "reward-to-go").sum() >= total - 1e-12


def test_total_return_form_is_cs285s_formula():
    """b_k = E[v_k² R] / E[v_k²], v = Σ_t ∇log π_θ(a_t|s_t), by a plain loop over trajectories."""
    name, mdp, policy, theta = PROBLEMS[0]
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    num = np.zeros(policy.n_params)
    den = np.zeros(policy.n_params)
    for s, a, r, p in zip(enum.states, enum.actions, enum.rewards, enum.probs):
        v = policy.score(theta, s, a).sum(axis=0)
        num += p * v**2 * (r @ mdp.discounts)
        den += p * v**2
    b = baselines.optimal_baseline(mdp, policy, theta, per_coordinate=True, estimator="total return")
    np.testing.assert_allclose(b, num / den, rtol=1e-12)


@pytest.mark.parametrize("name, mdp, policy, theta", PROBLEMS, ids=IDS)
def test_every_baseline_is_unbiased_and_the_comparison_is_on_one_mdp(name, mdp, policy, theta):
    grad = exact.exact_gradient(mdp, policy, theta)
    table = baselines.baseline_moments(mdp, policy, theta)
    assert list(table) == ["none", "mean return", "scalar b*", "per-coordinate", "time", "state value"]
    for key, m in table.items():
        np.testing.assert_allclose(m.mean, grad, atol=1e-11, err_msg=key)
    trace = {key: np.trace(m.covariance) for key, m in table.items()}
    assert trace["per-coordinate"] <= trace["scalar b*"] + 1e-12 <= trace["none"] + 2e-12
    assert trace["scalar b*"] <= trace["mean return"] + 1e-12
    # agrees with chapter 5's estimators for the baselines they share
    m = exact.exact_moments(est.reward_to_go_estimator, mdp, policy, theta,
                            baseline=baselines.optimal_baseline(mdp, policy, theta))
    np.testing.assert_allclose(m.covariance, table["scalar b*"].covariance, atol=1e-11)


def test_a_scalar_vector_baseline_is_the_constant_baseline():
    name, mdp, policy, theta = PROBLEMS[0]
    batch = exact.sample_trajectories(mdp, policy, theta, 50, np.random.default_rng(0))
    one = baselines.vector_baseline_estimator(batch, policy, theta, 0.7, mdp.gamma).terms
    every = baselines.vector_baseline_estimator(batch, policy, theta, np.full(6, 0.7), mdp.gamma).terms
    want = est.reward_to_go_estimator(batch, policy, theta, baseline=0.7, gamma=mdp.gamma).terms
    np.testing.assert_allclose(one, want, atol=1e-12)
    np.testing.assert_allclose(every, want, atol=1e-12)


def test_bad_baselines_are_refused():
    name, mdp, policy, theta = PROBLEMS[0]
    batch = exact.sample_trajectories(mdp, policy, theta, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"baseline: expected shape \(6,\)"):
        baselines.vector_baseline_estimator(batch, policy, theta, np.zeros(4))
    with pytest.raises(ValueError, match="estimator: expected one of"):
        baselines.optimal_baseline(mdp, policy, theta, estimator="q")
