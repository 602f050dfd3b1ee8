"""Sampling estimators of the policy gradient ∇J(θ).

Every estimator here averages one term per trajectory,

    ĝ = (1/N) Σ_i g(ξ_i),

and returns both ĝ and the N terms g(ξ_i), so a chapter can measure the
variance of an estimator, not only its mean. The normaliser is 1/N, the number
of *trajectories*, never the number of steps: each g(ξ_i) is already a sum over
the steps of episode i.

The terms, from the book's chapters 4 and 5 (s_t, a_t, r_t of one trajectory,
γ = 1 unless a discount is asked for):

    total return   g(ξ) = (Σ_t ∇log π_θ(a_t|s_t)) (Σ_t γ^t r_t)
    reward-to-go   g(ξ) = Σ_t γ^t ∇log π_θ(a_t|s_t) (G_t − b_t),
                   G_t = Σ_{t'≥t} γ^{t'−t} r_{t'}
    weighted       g(ξ) = Σ_t γ^t ∇log π_θ(a_t|s_t) w_t   (w_t = Q_t(s_t,a_t): the Q-weighted form)

All three are unbiased for ∇J(θ) with J(θ) = E[Σ_{t<T} γ^t r_t]. The baseline
b_t may depend on the whole history h_t = (s_0, a_0, …, s_t) of its own episode
and on anything independent of that episode, such as the returns of *other*
episodes (the leave-one-out mean of :func:`pgbook.train.baseline_values`, the
package's default), but not on a_t or on anything after it: the baseline
theorem of chapter 5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batch import Batch
from .validate import as_array, check_finite, check_shape

__all__ = [
    "Estimate",
    "scores",
    "reward_to_go",
    "total_return_estimator",
    "reward_to_go_estimator",
    "weighted_score_estimator",
]


@dataclass(frozen=True)
class Estimate:
    """A gradient estimate ĝ = terms.mean(axis=0), with its per-trajectory terms.

    gradient: (n_params,)     ĝ
    terms:    (N, n_params)   g(ξ_i), one row per trajectory
    """

    gradient: np.ndarray
    terms: np.ndarray

    @property
    def stderr(self) -> np.ndarray:
        """Standard error of each coordinate of ĝ: std(g) / √N, shape (n_params,)."""
        n = self.terms.shape[0]
        return self.terms.std(axis=0, ddof=1) / np.sqrt(n)

    @property
    def covariance(self) -> np.ndarray:
        """Sample covariance of one trajectory's term g(ξ), shape (n_params, n_params)."""
        return np.atleast_2d(np.cov(self.terms, rowvar=False))


def _estimate(terms: np.ndarray) -> Estimate:
    return Estimate(gradient=terms.mean(axis=0), terms=terms)


def _discounts(horizon: int, gamma: float) -> np.ndarray:
    """γ^t for t = 0..T−1, shape (T,)."""
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma: expected a discount in (0, 1], got {gamma}")
    return gamma ** np.arange(horizon)


def scores(batch: Batch, policy, theta) -> np.ndarray:
    """∇_θ log π_θ(a_t|s_t) at every step, zero where the mask is False.

    Returns shape (T, N, n_params). Masked-out steps are zeroed so that sums over t
    count only the steps that happened.
    """
    score = policy.score(theta, batch.obs, batch.actions)
    return score * batch.mask[..., None]


def reward_to_go(rewards, mask=None, gamma: float = 1.0) -> np.ndarray:
    """G_t = Σ_{t'≥t} γ^{t'−t} r_{t'}: the reward still to come from step t on.

    rewards: (T, N); mask: (T, N) bool or None (all steps real).
    Returns (T, N). Note the sum starts at t' = t, *including* r_t: the action
    a_t earns the reward of its own step. Computed by the backwards recursion
    G_t = r_t + γ G_{t+1}, G_T = 0.
    """
    rewards = check_finite("rewards", as_array("rewards", rewards))
    if rewards.ndim == 1:  # one episode given as (T,)
        return reward_to_go(rewards[:, None], None if mask is None else np.asarray(mask)[:, None], gamma)[:, 0]
    if mask is not None:
        mask = check_shape("mask", np.asarray(mask, dtype=bool), rewards.shape)
        rewards = rewards * mask
    _discounts(1, gamma)  # validates gamma
    togo = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1:])
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * running
        togo[t] = running
    return togo


def total_return_estimator(batch: Batch, policy, theta, gamma: float = 1.0) -> Estimate:
    """REINFORCE as first derived: g(ξ) = (Σ_t ∇log π_θ(a_t|s_t)) · R(ξ).

    R(ξ) = Σ_t γ^t r_t is the whole return, the same factor for every step, which
    is why a per-step implementation repeats it at each step of the episode.
    """
    g = scores(batch, policy, theta)  # (T, N, n_params)
    discount = _discounts(batch.horizon, gamma)[:, None]
    ret = (batch.rewards * batch.mask * discount).sum(axis=0)  # (N,)
    terms = g.sum(axis=0) * ret[:, None]
    return _estimate(terms)


def weighted_score_estimator(batch: Batch, policy, theta, weights, gamma: float = 1.0) -> Estimate:
    """g(ξ) = Σ_t γ^t ∇log π_θ(a_t|s_t) w_t, for any per-step weights w (T, N).

    With w_t = Q_t(s_t, a_t) (exact, from the tabular oracle) this is the
    Q-weighted estimator; with w_t = G_t − b_t it is reward-to-go with a baseline.
    """
    weights = check_finite("weights", as_array("weights", weights))
    check_shape("weights", weights, batch.rewards.shape)
    g = scores(batch, policy, theta)
    discount = _discounts(batch.horizon, gamma)[:, None]
    terms = np.einsum("tnp,tn->np", g, discount * weights)
    return _estimate(terms)


def reward_to_go_estimator(
    batch: Batch, policy, theta, baseline=None, gamma: float = 1.0
) -> Estimate:
    """g(ξ) = Σ_t γ^t ∇log π_θ(a_t|s_t) (G_t − b_t), with G_t the reward-to-go.

    baseline b_t may be
      None          no baseline, b_t = 0
      a float       a constant b
      shape (T,)    a time-dependent b_t
      shape (T, N)  any per-step value, e.g. V_t(s_t) looked up for each step
    Any of these adds no bias as long as b_t is a function of episode i's
    history h_t and of things independent of episode i: a fixed number, V_t(s_t),
    or an average over the *other* episodes of the batch (leave-one-out, as
    :func:`pgbook.train.baseline_values` builds it). Only a baseline that
    includes episode i's own return, such as the plain batch mean of G_t, is
    correlated with episode i's scores and adds a bias, of order 1/N.
    """
    togo = reward_to_go(batch.rewards, batch.mask, gamma)
    b = _baseline_array(baseline, batch.rewards.shape)
    return weighted_score_estimator(batch, policy, theta, (togo - b) * batch.mask, gamma)


def _baseline_array(baseline, shape) -> np.ndarray:
    """Broadcast a baseline given as None, a number, (T,) or (T, N) to shape (T, N)."""
    if baseline is None:
        return np.zeros(shape)
    b = check_finite("baseline", as_array("baseline", baseline))
    if b.ndim == 0:
        return np.full(shape, float(b))
    if b.ndim == 1:
        check_shape("baseline", b, (shape[0],))
        return np.broadcast_to(b[:, None], shape)
    return check_shape("baseline", b, shape)
