"""Finite differences of a Monte Carlo objective: their bias and their noise (chapter 2).

With no model P, a learner can only estimate J(θ) from N rollouts,

    Ĵ_N(θ) = (1/N) Σ_{i=1}^{N} R(ξ_i),   ξ_i ~ P_θ,

and differentiate that numerically, one coordinate k = 0, …, dim θ − 1 at a time,
with a step h > 0:

    ĝ_k = (Ĵ_N(θ + h e_k) − Ĵ_N(θ − h e_k)) / (2h).

Its error has two parts. The *bias* is that of central differences on the true J,

    E[ĝ_k] − ∂J/∂θ_k = (J(θ+h·e_k) − J(θ−h·e_k))/(2h) − ∂J/∂θ_k = h² ∂³J/∂θ_k³ / 6 + O(h⁴),

and the *noise*, with independent rollouts at θ ± h e_k, has variance

    Var[ĝ_k] = (σ²(θ+h·e_k) + σ²(θ−h·e_k)) / (4 h² N),   σ²(θ) = Var_{ξ~P_θ}[R(ξ)],

so its standard deviation is about σ / (h √(2N)): it grows without bound as h
shrinks. :func:`predicted_error` gives both parts exactly on a tiny MDP (DP for
J, enumeration for σ²); :func:`monte_carlo_partials` draws the estimates.

Common random numbers (``common=True``) run rollout i at θ+h·e_k and at θ−h·e_k
from the same random draws, so most of the noise cancels in the difference.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .exact import enumerate_trajectories, exact_gradient, objective, sample_trajectories
from .validate import check_int

__all__ = ["monte_carlo_objective", "monte_carlo_partials", "measured_rmse",
           "return_variance", "FiniteDifferenceError", "predicted_error", "predicted_rmse"]


def monte_carlo_objective(mdp, policy, theta, n: int, rng) -> float:
    """Ĵ_N(θ) = (1/N) Σ_i R(ξ_i) over ``n`` sampled trajectories (R discounted by the MDP's γ)."""
    batch = sample_trajectories(mdp, policy, theta, n, rng)
    return float((mdp.discounts @ batch.rewards).mean())


def _unit(theta, k: int) -> np.ndarray:
    e = np.zeros(len(theta))
    e[k] = 1.0
    return e


def monte_carlo_partials(mdp, policy, theta, k: int, h: float, n: int, reps: int,
                         seed, common: bool = False) -> np.ndarray:
    """``reps`` independent estimates ĝ_k = (Ĵ_N(θ+h·e_k) − Ĵ_N(θ−h·e_k)) / 2h, shape (reps,).

    ``h`` is the step. Each estimate uses 2n fresh rollouts: n at θ + h·e_k and
    n at θ − h·e_k. All reps·n rollouts at one point are drawn in one vectorized
    call, from ``default_rng([*seed, 0])`` at θ+h·e_k and
    ``default_rng([*seed, 1])`` at θ−h·e_k (``seed`` an int or a list of ints);
    with ``common=True`` both use ``default_rng(seed)``, so the i-th rollout at
    θ+h·e_k and at θ−h·e_k share their random numbers.
    """
    k = check_int("k", k, minimum=0)
    n, reps = check_int("n", n, minimum=1), check_int("reps", reps, minimum=1)
    step = h * _unit(theta, k)
    base = [int(x) for x in np.atleast_1d(seed)]
    seeds = (base, base) if common else (base + [0], base + [1])
    means = []
    for sign, s in zip((+1, -1), seeds):
        batch = sample_trajectories(mdp, policy, theta + sign * step, n * reps,
                                    np.random.default_rng(s))
        returns = mdp.discounts @ batch.rewards  # (n·reps,)
        means.append(returns.reshape(reps, n).mean(axis=1))
    return (means[0] - means[1]) / (2 * h)


def measured_rmse(mdp, policy, theta, k: int, steps, n: int, reps: int = 100,
                  seed: int = 0, common: bool = False) -> np.ndarray:
    """√(mean over reps of (ĝ_k − ∂J/∂θ_k)²) for each step h in ``steps``, shape (len(steps),).

    ĝ_k from :func:`monte_carlo_partials` with seed [seed, j] for the j-th step;
    ∂J/∂θ_k from the DP oracle.
    """
    exact = exact_gradient(mdp, policy, theta)[k]
    return np.array([
        np.sqrt(np.mean((monte_carlo_partials(mdp, policy, theta, k, h, n, reps,
                                              [seed, j], common) - exact) ** 2))
        for j, h in enumerate(np.atleast_1d(steps))])


def return_variance(mdp, policy, theta) -> float:
    """σ²(θ) = Σ_ξ P_θ(ξ) R(ξ)² − J(θ)², exactly, by enumeration (tiny MDPs only)."""
    enum = enumerate_trajectories(mdp, policy, theta)
    mean = enum.probs @ enum.returns
    return float(enum.probs @ enum.returns**2 - mean**2)


class FiniteDifferenceError(NamedTuple):
    """The two parts of the error of ĝ_k (module docstring), exactly.

    bias   (J(θ+h·e_k) − J(θ−h·e_k))/(2h) − ∂J/∂θ_k, from the DP oracle
    sd     √((σ²(θ+h·e_k) + σ²(θ−h·e_k)) / (4h²N)), independent rollouts
    rmse   √(bias² + sd²), the root-mean-square error against ∂J/∂θ_k
    """

    bias: float
    sd: float
    rmse: float


def predicted_error(mdp, policy, theta, k: int, h: float, n: int) -> FiniteDifferenceError:
    """Bias, standard deviation and RMSE of ĝ_k at step ``h``, N = n independent rollouts per side."""
    e = h * _unit(theta, k)
    fd = (objective(mdp, policy, theta + e) - objective(mdp, policy, theta - e)) / (2 * h)
    bias = fd - exact_gradient(mdp, policy, theta)[k]
    var = (return_variance(mdp, policy, theta + e)
           + return_variance(mdp, policy, theta - e)) / (4 * h**2 * n)
    return FiniteDifferenceError(bias=float(bias), sd=float(np.sqrt(var)),
                                 rmse=float(np.sqrt(bias**2 + var)))


def predicted_rmse(mdp, policy, theta, k: int, steps, n: int) -> np.ndarray:
    """:func:`predicted_error` ``.rmse`` for each step h in ``steps``, shape (len(steps),)."""
    return np.array([predicted_error(mdp, policy, theta, k, h, n).rmse
                     for h in np.atleast_1d(steps)])
