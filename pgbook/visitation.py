"""The policy gradient theorem in state-visitation form, exactly, for a finite horizon.

Sutton & Barto (2018, §13.2) state the theorem as

    ∇J(θ) ∝ Σ_s μ(s) Σ_a q_π(s, a) ∇π_θ(a|s),

with μ the on-policy distribution of states. The book's form is a sum over
time, ∇J(θ) = Σ_t γ^t Σ_s d_t(s) Σ_a ∇π_θ(a|s) Q_t(s, a) (with
∇π = π ∇log π). The two meet by swapping the sums over t and s, which is
allowed because the policy is *stationary*: π_θ(a|s), hence ∇π_θ(a|s), is
the same at every t. What is exactly true, for any finite T and γ ∈ (0, 1]:

    ∇J(θ) = Σ_s ρ^γ(s) Σ_a ∇π_θ(a|s) Q̄(s, a),

    ρ^γ(s)   = Σ_{t<T} γ^t d_t(s)                          discounted visits to s
    Q̄(s, a)  = Σ_{t<T} γ^t d_t(s) Q_t(s, a) / ρ^γ(s)        Q_t averaged over the visits to s

In a finite horizon Q_t depends on t (fewer steps are left), so the Q of the
statement is Q̄, the average of Q_t over *when* s is visited, weighted as the
visits are. (With an infinite horizon and γ < 1, Q_t = Q for every t and the
average changes nothing.) Normalising ρ^γ gives Sutton & Barto's "∝":
μ(s) = ρ^γ(s) / Σ_s ρ^γ(s) and the constant is Σ_s ρ^γ(s) = Σ_{t<T} γ^t, the
expected (discounted) number of steps. The γ^t stays in ρ^γ: sampling states
from the undiscounted visits d_t instead (as many implementations do) gives a
different vector, not ∇J, when γ < 1.

A policy that changed with t, π_θ(a|s, t), would need the sum over (s, t)
pairs: ρ(s, t) = γ^t d_t(s) and Q_t, which is the book's form itself.
"""

from __future__ import annotations

import numpy as np

from . import exact
from .mdp import TabularMDP

__all__ = ["discounted_visitation", "visitation_q_values", "visitation_gradient"]


def discounted_visitation(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """ρ^γ(s) = Σ_{t<T} γ^t d_t(s), the discounted expected number of visits to s under π_θ.

    Sums to Σ_{t<T} γ^t (T when γ = 1): ρ^γ / that sum is the on-policy
    distribution μ(s) of Sutton & Barto's statement.

    Shapes
    ------
    ρ^γ : (S,)
        the result
    """
    d = exact.state_distributions(mdp, policy, theta)  # (T, S)
    return mdp.discounts @ d


def visitation_q_values(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """Q̄(s, a) = Σ_t γ^t d_t(s) Q_t(s, a) / ρ^γ(s): Q_t averaged over the (discounted) visits to s.

    Where ρ^γ(s) = 0 (s is never reached) Q̄ is set to Q_0(s, a); those states
    carry no weight in the theorem.

    Shapes
    ------
    Q̄ : (S, A)
        the result
    """
    d = exact.state_distributions(mdp, policy, theta)  # (T, S)
    Q = exact.q_values(mdp, policy, theta)             # (T, S, A)
    rho = mdp.discounts @ d
    weighted = np.einsum("t,ts,tsa->sa", mdp.discounts, d, Q)
    reached = rho > 0
    return np.where(reached[:, None], weighted / np.where(reached, rho, 1.0)[:, None], Q[0])


def visitation_gradient(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """∇J(θ) = Σ_s ρ^γ(s) Σ_a ∇π_θ(a|s) Q̄(s, a), the state-visitation form; equals ``exact_gradient``.

    ∇π_θ(a|s) = π_θ(a|s) ∇log π_θ(a|s), from the policy's score.

    Shapes
    ------
    ∇J : (n_params,)
        the result
    """
    pi = exact._policy_table(mdp, policy, theta)
    grad_pi = pi[:, :, None] * exact._score_table(mdp, policy, theta)  # ∇π_θ(a|s), (S, A, n_params)
    rho = discounted_visitation(mdp, policy, theta)
    Qbar = visitation_q_values(mdp, policy, theta)
    return np.einsum("s,sap,sa->p", rho, grad_pi, Qbar)
