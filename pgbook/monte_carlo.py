"""The Monte Carlo estimate of the objective J(θ), and the exact numbers to judge it by.

The objective is an expectation over trajectories, J(θ) = E_{ξ ~ P_θ}[R(ξ)].
Its Monte Carlo estimate from N trajectories ξ_1, …, ξ_N drawn from P_θ is the
sample mean of their returns,

    Ĵ_N = (1/N) Σ_i R(ξ_i),

which is unbiased, E[Ĵ_N] = J(θ), with variance Var[Ĵ_N] = σ²/N, where
σ² = Var_{ξ ~ P_θ}[R(ξ)] is the variance of one return. So its typical error,
the standard error σ/√N, shrinks like 1/√N.

* :func:`monte_carlo_objective`: Ĵ_N and its estimated standard error s/√N
  from a sample of returns;
* :func:`running_mean`: Ĵ_1, Ĵ_2, …, Ĵ_N along one sequence of returns;
* :func:`return_moments`: the exact J(θ) and σ² of a tabular MDP, by dynamic
  programming (no enumeration, so any horizon works).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .exact import _policy_table
from .mdp import TabularMDP
from .validate import as_array, check_finite, check_shape

__all__ = ["MonteCarloEstimate", "monte_carlo_objective", "running_mean", "ReturnMoments",
           "return_moments"]


class MonteCarloEstimate(NamedTuple):
    """Ĵ_N = (1/N) Σ_i R(ξ_i), its standard error s/√N, and N.

    s is the sample standard deviation of the N returns (divisor N − 1), so
    standard_error estimates σ/√N; it is NaN when N = 1 (one return says
    nothing about the spread).
    """

    estimate: float
    standard_error: float
    n: int


def _returns(returns) -> np.ndarray:
    returns = check_finite("returns", check_shape("returns", as_array("returns", returns), (None,)))
    if returns.shape[0] == 0:
        raise ValueError("returns: expected at least one return, got an empty array")
    return returns


def monte_carlo_objective(returns) -> MonteCarloEstimate:
    """Ĵ_N = (1/N) Σ_i R(ξ_i) and its standard error s/√N, from N returns (shape (N,)).

    The normaliser is N, the number of trajectories: each R(ξ_i) is already a
    sum over the steps of trajectory i.
    """
    returns = _returns(returns)
    n = returns.shape[0]
    se = float(returns.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return MonteCarloEstimate(estimate=float(returns.mean()), standard_error=se, n=n)


def running_mean(returns) -> np.ndarray:
    """Ĵ_n = (1/n) Σ_{i≤n} R(ξ_i) for n = 1, …, N, shape (N,): the estimate as N grows."""
    returns = _returns(returns)
    return np.cumsum(returns) / np.arange(1, returns.shape[0] + 1)


class ReturnMoments(NamedTuple):
    """The exact mean J(θ) = E[R(ξ)] and variance σ² = Var[R(ξ)] of one trajectory's return."""

    mean: float
    variance: float


def return_moments(mdp: TabularMDP, policy, theta) -> ReturnMoments:
    """J(θ) = E[R(ξ)] and σ² = E[R(ξ)²] − J(θ)², exactly, by a backward recursion.

    With G_t = Σ_{t'≥t} γ^{t'−t} r_{t'} the return from step t on, so that
    G_t = r_t + γ G_{t+1} and G_T = 0, the first two conditional moments
    V_t(s) = E[G_t | s_t = s] and M_t(s) = E[G_t² | s_t = s] obey::

        V_t(s) = Σ_a π_θ(a|s) [ r(s,a) + γ Σ_{s'} P(s'|s,a) V_{t+1}(s') ],
        M_t(s) = Σ_a π_θ(a|s) [ r(s,a)² + 2γ r(s,a) Σ_{s'} P(s'|s,a) V_{t+1}(s')
                                 + γ² Σ_{s'} P(s'|s,a) M_{t+1}(s') ],

    from V_T = M_T = 0 (expand (r + γG)² and use the Markov property). Then
    J = Σ_s p0(s) V_0(s) and E[R²] = Σ_s p0(s) M_0(s). Costs T·S²·A, like
    :func:`pgbook.exact.objective`, however many trajectories there are.
    """
    pi = _policy_table(mdp, policy, theta)
    g = mdp.gamma
    V = np.zeros(mdp.n_states)
    M = np.zeros(mdp.n_states)
    for _ in range(mdp.horizon):
        PV, PM = mdp.P @ V, mdp.P @ M  # (S, A): Σ_{s'} P(s'|s,a) V_{t+1}(s'), likewise M
        V, M = ((pi * (mdp.R + g * PV)).sum(axis=1),
                (pi * (mdp.R ** 2 + 2 * g * mdp.R * PV + g ** 2 * PM)).sum(axis=1))
    mean = float(mdp.p0 @ V)
    variance = max(float(mdp.p0 @ M) - mean ** 2, 0.0)  # clip a rounding error below 0
    return ReturnMoments(mean=mean, variance=variance)
