"""Reusing old trajectories: the likelihood ratio again, as importance sampling.

Trajectories drawn from an older policy π_θold still estimate ∇J(θ), once
each is reweighted by how much likelier it is under π_θ:

    ∇J(θ) = E_{ξ ~ P_θold} [ (P_θ(ξ) / P_θold(ξ)) ∇log P_θ(ξ) R(ξ) ].

The dynamics cancel in the ratio (the log-factorization move of chapter 4):
P_θ(ξ) / P_θold(ξ) = Π_t π_θ(a_t|s_t) / π_θold(a_t|s_t), so the weight needs
the two policies only, never the MDP. The estimators here, from the exact to
the one PPO uses, each one term per trajectory:

    trajectory     g = w(ξ) (Σ_t ∇log π_θ(a_t|s_t)) R(ξ),   w(ξ) = Π_{t<T} ρ_t
    per-decision   g = Σ_t ∇log π_θ(a_t|s_t) Σ_{t'≥t} γ^{t'} w_{0:t'} r_t',   w_{0:t'} = Π_{u≤t'} ρ_u
    per-step       g = Σ_t γ^t ρ_t ∇log π_θ(a_t|s_t) G_t
    clipped        as per-step, but 0 where PPO's clipped objective is flat

with ρ_t = π_θ(a_t|s_t) / π_θold(a_t|s_t) and G_t = Σ_{t'≥t} γ^{t'−t} r_t'.
The first two are unbiased for ∇J(θ) (the reward r_t' needs the ratio of the
steps up to t' only). The per-step ratio drops the change in the state
distribution, and clipping drops more: both are biased once θ ≠ θold, which
is what buys their low variance. At θ = θold all four are the reward-to-go or
total-return estimator of chapter 4/5.

Importance sampling needs π_θold(a|s) > 0 wherever the batch holds a, and,
for the exact moments, wherever π_θ(a|s) > 0. Variance: E_old[w(ξ)²] =
Σ_ξ P_θ(ξ)² / P_θold(ξ) grows geometrically with T once θ ≠ θold
(:func:`weight_second_moment` computes it exactly for any T).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import exact
from .batch import Batch
from .critic import value_table
from .estimators import Estimate, reward_to_go, scores
from .mdp import TabularMDP
from .validate import as_array, check_finite, check_shape

__all__ = [
    "KINDS",
    "log_ratios",
    "importance_weights",
    "clipped_ratio",
    "importance_sampled_estimator",
    "off_policy_moments",
    "weight_second_moment",
]

#: The importance-sampled estimators, from the exact to PPO's.
KINDS = ("trajectory", "per-decision", "per-step", "clipped")


# ---------------------------------------------------------------------- checks
def _thetas(policy, theta, theta_old) -> tuple[np.ndarray, np.ndarray]:
    """θ and θold as flat float arrays of the policy's length, or an error naming the one that is not."""
    n = policy.n_params
    theta = check_finite("theta", as_array("theta", theta))
    theta_old = check_finite("theta_old", as_array("theta_old", theta_old))
    if theta.shape != (n,):
        raise ValueError(f"theta: expected shape ({n},), the policy's {n} parameters, got shape {theta.shape}")
    if theta_old.shape != theta.shape:
        raise ValueError(f"theta_old: expected the same number of parameters as theta, shape ({n},), "
                         f"got shape {theta_old.shape}")
    return theta, theta_old


def _check_epsilon(epsilon) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not 0 < epsilon < 1:
        raise ValueError(f"epsilon: expected a clip range ε in (0, 1), got {epsilon!r}")
    return float(epsilon)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    return kind


# ---------------------------------------------------------------- the ratios
def log_ratios(batch: Batch, policy, theta, theta_old) -> np.ndarray:
    """log ρ_t = log π_θ(a_t|s_t) − log π_θold(a_t|s_t) at every step; 0 where the mask is False.

    Raises ValueError, naming the step, if an action of the batch has
    probability 0 under π_θold: such a batch cannot have come from π_θold, and
    its ratio is undefined.

    Shapes
    ------
    log ρ : (T, N)
        the result
    """
    theta, theta_old = _thetas(policy, theta, theta_old)
    new = np.asarray(policy.log_prob(theta, batch.obs, batch.actions), dtype=float)
    old = np.asarray(policy.log_prob(theta_old, batch.obs, batch.actions), dtype=float)
    impossible = batch.mask & ~(np.exp(old) > 0)  # π_θold(a_t|s_t) = 0 (or underflows to 0)
    if impossible.any():
        t, i = np.argwhere(impossible)[0]
        raise ValueError(
            f"theta_old: the action a_t = {np.asarray(batch.actions[t, i]).tolist()} at step t = {t} "
            f"of episode {i} (state {np.asarray(batch.obs[t, i]).tolist()}) has probability 0 under π_θold, so the batch cannot come from "
            f"π_θold and the importance weight π_θ/π_θold is undefined")
    return np.where(batch.mask, new - old, 0.0)


def importance_weights(batch: Batch, policy, theta, theta_old, kind: str = "trajectory") -> np.ndarray:
    """The importance weights of a batch drawn from π_θold, for estimating under π_θ.

        trajectory     w(ξ) = P_θ(ξ)/P_θold(ξ) = Π_{t<T} ρ_t       shape (N,)
        per-decision   w_{0:t} = Π_{u≤t} ρ_u                       shape (T, N)
        per-step       ρ_t = π_θ(a_t|s_t) / π_θold(a_t|s_t)        shape (T, N)

    The dynamics p0 and P cancel in P_θ(ξ)/P_θold(ξ): only policy terms are
    left. Products are taken as exp of sums of :func:`log_ratios`. Masked steps
    have ρ_t = 1 (they change nothing); per-decision weights are 0 there.
    E_old[w(ξ)] = 1 and E_old[w_{0:t}] = 1.
    """
    if kind not in ("trajectory", "per-decision", "per-step"):
        raise ValueError(f"kind: expected 'trajectory', 'per-decision' or 'per-step', got {kind!r}")
    log_rho = log_ratios(batch, policy, theta, theta_old)
    if kind == "trajectory":
        return np.exp(log_rho.sum(axis=0))
    if kind == "per-decision":
        return np.exp(np.cumsum(log_rho, axis=0)) * batch.mask
    return np.exp(log_rho)


def clipped_ratio(ratio, epsilon: float = 0.2) -> np.ndarray:
    """PPO's clipped ratio clip(ρ, 1 − ε, 1 + ε): ρ kept within ε of 1.

    Shapes
    ------
    ratio : any
        ρ_t
    clip(ρ) : same as ratio
        the result
    """
    epsilon = _check_epsilon(epsilon)
    ratio = check_finite("ratio", as_array("ratio", ratio))
    return np.clip(ratio, 1.0 - epsilon, 1.0 + epsilon)


# ------------------------------------------------------------- the estimators
def importance_sampled_estimator(batch: Batch, policy, theta, theta_old, kind: str = "trajectory",
                                 gamma: float = 1.0, epsilon: float = 0.2, advantages=None) -> Estimate:
    """∇J(θ) estimated from trajectories of π_θold, with importance weights of one ``kind``.

        trajectory     g = w(ξ) (Σ_t ∇log π_θ(a_t|s_t)) R(ξ)                  unbiased
        per-decision   g = Σ_t ∇log π_θ(a_t|s_t) Σ_{t'≥t} γ^{t'} w_{0:t'} r_t'  unbiased
        per-step       g = Σ_t γ^t ρ_t ∇log π_θ(a_t|s_t) Â_t                  biased if θ ≠ θold
        clipped        g = Σ_t γ^t c_t ρ_t ∇log π_θ(a_t|s_t) Â_t              biased if θ ≠ θold

    R(ξ) = Σ_t γ^t r_t. Â_t is ``advantages`` (default G_t, the reward-to-go).
    The clipped one is the gradient at θ of PPO's objective
    Σ_t γ^t min(ρ_t Â_t, clip(ρ_t, 1−ε, 1+ε) Â_t): c_t = 0 where the clipped
    term is the smaller one, i.e. ρ_t > 1 + ε with Â_t > 0, or ρ_t < 1 − ε with
    Â_t < 0 (the step would gain by moving further), else c_t = 1. The score is
    at θ. The normaliser is 1/N, the number of trajectories.

    Shapes
    ------
    advantages : (T, N)
        Â_t for the per-step and clipped kinds; None: G_t
    terms : (N, n_params)
        g(ξ_i), in the returned Estimate
    """
    _check_kind(kind)
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma: expected a discount in (0, 1], got {gamma}")
    log_rho = log_ratios(batch, policy, theta, theta_old)  # checks θ, θold
    psi = scores(batch, policy, theta)                     # (T, N, n_params), 0 where masked
    T = batch.horizon
    discount = gamma ** np.arange(T)
    rewards = batch.rewards * batch.mask
    if kind == "trajectory":
        w = np.exp(log_rho.sum(axis=0))                    # (N,)
        R = discount @ rewards                             # (N,)
        terms = psi.sum(axis=0) * (w * R)[:, None]
    elif kind == "per-decision":
        w = np.exp(np.cumsum(log_rho, axis=0)) * batch.mask  # w_{0:t'}, (T, N)
        # Σ_{t'≥t} γ^{t'} w_{0:t'} r_t', a reward-to-go of the weighted, discounted rewards
        weighted_togo = np.cumsum((discount[:, None] * w * rewards)[::-1], axis=0)[::-1]
        terms = np.einsum("tnp,tn->np", psi, weighted_togo)
    else:
        if advantages is None:
            adv = reward_to_go(batch.rewards, batch.mask, gamma)
        else:
            adv = check_shape("advantages", check_finite("advantages", as_array("advantages", advantages)),
                              batch.rewards.shape)
        rho = np.exp(log_rho)
        if kind == "clipped":
            epsilon = _check_epsilon(epsilon)
            flat = ((rho > 1 + epsilon) & (adv > 0)) | ((rho < 1 - epsilon) & (adv < 0))
            rho = np.where(flat, 0.0, rho)
        terms = np.einsum("tnp,tn->np", psi, discount[:, None] * rho * adv * batch.mask)
    return Estimate(gradient=terms.mean(axis=0), terms=terms)


# -------------------------------------------------------------- exact moments
def _check_support(mdp: TabularMDP, policy, theta, theta_old) -> None:
    """π_θold(a|s) > 0 wherever π_θ(a|s) > 0 at a state the MDP can reach under π_θ."""
    pi = exact._policy_table(mdp, policy, theta)
    pi_old = exact._policy_table(mdp, policy, theta_old)
    reach = exact.state_distributions(mdp, policy, theta).sum(axis=0) > 0  # (S,)
    bad = reach[:, None] & (pi > 0) & ~(pi_old > 0)
    if bad.any():
        s, a = np.argwhere(bad)[0]
        raise ValueError(
            f"theta_old: π_θold(a={a}|s={s}) = 0 where π_θ(a={a}|s={s}) = {pi[s, a]:.3g}; trajectories "
            f"through that action are never drawn from π_θold, so importance sampling cannot see them")


def off_policy_moments(mdp: TabularMDP, policy, theta, theta_old, kind: str = "trajectory",
                       epsilon: float = 0.2, V=None, max_trajectories: int = 2_000_000) -> exact.Moments:
    """Exact mean and covariance of one term of :func:`importance_sampled_estimator`, under θold.

        mean = Σ_ξ P_θold(ξ) g(ξ),   cov = Σ_ξ P_θold(ξ) (g − mean)(g − mean)ᵀ

    every trajectory enumerated with its probability under π_θold (tiny MDPs
    only), the terms computed at θ. The exact bias is
    ``mean − pgbook.exact.exact_gradient(mdp, policy, theta)``: zero for the
    trajectory and per-decision kinds. The discount is the MDP's γ.

    For the per-step and clipped kinds, Â_t = G_t − V_t(s_t) with the table
    ``V`` (None: Â_t = G_t). PPO's choice is V = V^{π_θold}, the old policy's
    values (:func:`pgbook.exact.state_values` at θold): its Â_t estimates the
    old policy's advantage. V moves the per-step mean not at all (it is a
    baseline there), but it moves the clipped one, because where the ratio is
    clipped depends on the sign of Â_t.

    Shapes
    ------
    V : (S,) or (T, S)
        a state-value table (see :func:`pgbook.critic.value_table`); per-step and clipped only
    mean : (n_params,)
        in the returned Moments
    covariance : (n_params, n_params)
        in the returned Moments
    """
    _check_kind(kind)
    theta, theta_old = _thetas(policy, theta, theta_old)
    _check_support(mdp, policy, theta, theta_old)
    if V is not None and kind in ("trajectory", "per-decision"):
        raise ValueError(f"V: the {kind} kind weighs the rewards themselves and takes no V; "
                         f"give V with kind 'per-step' or 'clipped'")
    table = None if V is None else value_table(mdp, V)
    enum = exact.enumerate_trajectories(mdp, policy, theta_old, max_trajectories=max_trajectories)
    keep = enum.probs > 0  # trajectories π_θold never draws carry no weight (and no ratio)
    batch = enum.as_batch()
    batch = Batch(obs=batch.obs[:, keep], actions=batch.actions[:, keep], rewards=batch.rewards[:, keep],
                  mask=batch.mask[:, keep])
    p = enum.probs[keep]
    advantages = None
    if table is not None:
        advantages = reward_to_go(batch.rewards, batch.mask, mdp.gamma) - exact.along_trajectories(table, batch)
    terms = importance_sampled_estimator(batch, policy, theta, theta_old, kind, mdp.gamma, epsilon,
                                         advantages).terms
    mean = p @ terms
    centred = terms - mean
    return exact.Moments(mean=mean, covariance=(centred * p[:, None]).T @ centred)


def weight_second_moment(mdp: TabularMDP, policy, theta, theta_old) -> float:
    """E_{ξ~P_θold}[w(ξ)²] = Σ_ξ P_θ(ξ)² / P_θold(ξ), exactly, by a forward recursion (any T).

    The variance of the trajectory weight is this minus 1 (E_old[w] = 1). The
    dynamics stay in (they cancel in w, not in its distribution):

        m_0(s) = p0(s),   m_{t+1}(s') = Σ_{s,a} m_t(s) (π_θ(a|s)² / π_θold(a|s)) P(s'|s,a),
        E_old[w²] = Σ_s Σ_a m_{T−1}(s) π_θ(a|s)² / π_θold(a|s).

    Each step multiplies by a factor of about 1 + χ²(π_θ(·|s) ‖ π_θold(·|s)) ≥ 1,
    so it grows geometrically with T as soon as θ ≠ θold.
    """
    theta, theta_old = _thetas(policy, theta, theta_old)
    _check_support(mdp, policy, theta, theta_old)
    pi = exact._policy_table(mdp, policy, theta)
    pi_old = exact._policy_table(mdp, policy, theta_old)
    factor = np.where(pi > 0, pi**2 / np.where(pi_old > 0, pi_old, 1.0), 0.0)  # (S, A)
    m = mdp.p0.copy()
    for _ in range(mdp.horizon - 1):
        m = np.einsum("s,sa,sax->x", m, factor, mdp.P)
    return float(m @ factor.sum(axis=1))
