"""pgbook.visitation: ∇J = Σ_s ρ^γ(s) Σ_a ∇π_θ(a|s) Q̄(s, a) equals the book's sum over time, exactly."""

import numpy as np
import pytest

from pgbook import exact, visitation
from pgbook.envs import corridor, gridworld, two_state_mdp
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax


def problems():
    for gamma in (1.0, 0.8):
        rng = np.random.default_rng(3)
        yield f"random γ={gamma}", random_mdp(4, 3, 6, rng, gamma=gamma), TabularSoftmax(4, 3), rng.normal(size=12)
    yield "two-state", two_state_mdp(horizon=7), TabularSoftmax(2, 2), np.array([0.5, 0.0, -0.3, 0.2])
    # the book's corridor agent sees one shared row of logits (state aliasing)
    yield "corridor, aliased", corridor(), TabularSoftmax(4, 2, observe=np.zeros(4, int)), np.array([0.0, 0.35])
    mdp = gridworld(horizon=10)
    yield "gridworld", mdp, TabularSoftmax(16, 4), np.random.default_rng(4).normal(size=64)


PROBLEMS = list(problems())


@pytest.mark.parametrize("name, mdp, policy, theta", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_visitation_form_equals_the_exact_gradient(name, mdp, policy, theta):
    grad = exact.exact_gradient(mdp, policy, theta)
    np.testing.assert_allclose(visitation.visitation_gradient(mdp, policy, theta), grad, rtol=1e-10, atol=1e-12)
    rho = visitation.discounted_visitation(mdp, policy, theta)
    assert rho.shape == (mdp.n_states,) and np.all(rho >= 0)
    np.testing.assert_allclose(rho.sum(), mdp.discounts.sum())  # Σ_s ρ^γ(s) = Σ_t γ^t


def test_in_a_finite_horizon_q_depends_on_time_so_no_single_q_t_will_do():
    """Q̄ is needed: putting Q_0 (or any one Q_t) in its place gives another vector."""
    name, mdp, policy, theta = PROBLEMS[4]  # gridworld: fewer steps left, less to lose
    grad = exact.exact_gradient(mdp, policy, theta)
    pi = policy.probs(theta)
    s, a = np.meshgrid(np.arange(mdp.n_states), np.arange(mdp.n_actions), indexing="ij")
    grad_pi = pi[:, :, None] * policy.score(theta, s, a)
    rho = visitation.discounted_visitation(mdp, policy, theta)
    Q = exact.q_values(mdp, policy, theta)
    gaps = [np.linalg.norm(np.einsum("s,sap,sa->p", rho, grad_pi, Q[t]) - grad) / np.linalg.norm(grad)
            for t in range(mdp.horizon)]
    assert min(gaps) > 0.1 and gaps[0] > 0.5  # Q_0 is off by more than half of ∇J


def test_dropping_the_discount_from_the_visits_is_not_the_gradient():
    name, mdp, policy, theta = PROBLEMS[1]  # γ = 0.8
    d = exact.state_distributions(mdp, policy, theta)
    Q = exact.q_values(mdp, policy, theta)
    pi = policy.probs(theta)
    s, a = np.meshgrid(np.arange(4), np.arange(3), indexing="ij")
    grad_pi = pi[:, :, None] * policy.score(theta, s, a)
    undiscounted = np.einsum("ts,sap,tsa->p", d, grad_pi, Q)  # Σ_t d_t, no γ^t
    grad = exact.exact_gradient(mdp, policy, theta)
    assert np.linalg.norm(undiscounted - grad) > 1e-2 * np.linalg.norm(grad)
