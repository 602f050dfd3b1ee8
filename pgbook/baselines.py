"""The variance-optimal baseline: one number b*, or one number b_k per coordinate of θ.

Write one trajectory's reward-to-go term with a constant baseline b as

    g(b) = u − b v,   u = Σ_t γ^t ∇log π_θ(a_t|s_t) G_t,   v = Σ_t γ^t ∇log π_θ(a_t|s_t).

E[v] = 0, so every b gives the same mean ∇J(θ); only the variance moves. It
is a parabola in b, smallest at

    scalar           b* = E[u · v] / E[v · v]            minimises tr Cov[g]
    per coordinate   b_k = E[u_k v_k] / E[v_k²]          minimises each Var[g_k]

For the total-return estimator, u = v R(ξ) with R the whole return, and b_k
becomes E[v_k² R] / E[v_k²], the form of Levine's CS285 (there written
E[g_k² r] / E[g_k²], g being the score of the trajectory). Each b_k is
optimal for its own coordinate, so the per-coordinate baseline beats or ties
the scalar b* in every coordinate, and hence in total.

Both are computed here exactly, by enumeration of every trajectory, and
:func:`baseline_moments` sets them beside chapter 5's time baseline b_t = E[G_t]
and state-value baseline V_t(s_t), whose baselines may vary along the
trajectory (and so are not in the family b* optimises over).

References: Greensmith, Bartlett & Baxter (2004), *Variance reduction
techniques for gradient estimates in reinforcement learning*, JMLR 5; Levine,
CS285 lecture 5 (policy gradients).
"""

from __future__ import annotations

import numpy as np

from . import estimators, exact
from .batch import Batch
from .estimators import Estimate
from .mdp import TabularMDP
from .validate import as_array, check_finite, check_shape

__all__ = [
    "ESTIMATOR_KINDS",
    "score_and_weighted_score",
    "vector_baseline_estimator",
    "optimal_baseline",
    "baseline_moments",
]

#: The estimators a constant baseline can be optimal for.
ESTIMATOR_KINDS = ("reward-to-go", "total return")


def _check_kind(estimator: str) -> str:
    if estimator not in ESTIMATOR_KINDS:
        raise ValueError(f"estimator: expected one of {ESTIMATOR_KINDS}, got {estimator!r}")
    return estimator


def score_and_weighted_score(batch: Batch, policy, theta, gamma: float = 1.0,
                             estimator: str = "reward-to-go") -> tuple[np.ndarray, np.ndarray]:
    """(u, v) of every trajectory, so that g(b) = u − b v is its term with the constant baseline b.

        reward-to-go:  u = Σ_t γ^t ∇log π_θ(a_t|s_t) G_t,    v = Σ_t γ^t ∇log π_θ(a_t|s_t)
        total return:  u = (Σ_t ∇log π_θ(a_t|s_t)) R(ξ),    v = Σ_t ∇log π_θ(a_t|s_t)

    with G_t = Σ_{t'≥t} γ^{t'−t} r_t' and R(ξ) = Σ_t γ^t r_t.

    Shapes
    ------
    u : (N, n_params)
        the estimator's term with no baseline
    v : (N, n_params)
        what a baseline of 1 takes away
    """
    _check_kind(estimator)
    psi = estimators.scores(batch, policy, theta)  # (T, N, n_params), 0 where masked
    if estimator == "total return":
        v = psi.sum(axis=0)
        u = estimators.total_return_estimator(batch, policy, theta, gamma).terms
        return u, v
    u = estimators.reward_to_go_estimator(batch, policy, theta, gamma=gamma).terms  # checks gamma
    v = np.einsum("t,tnp->np", gamma ** np.arange(batch.horizon), psi)
    return u, v


def vector_baseline_estimator(batch: Batch, policy, theta, baseline, gamma: float = 1.0,
                              estimator: str = "reward-to-go") -> Estimate:
    """The estimate with a baseline per coordinate of θ: g_k = u_k − b_k v_k (see :func:`score_and_weighted_score`).

    Coordinate k of the estimate uses its own constant b_k; a scalar baseline
    is the case b_k = b for all k. Unbiased for any fixed b, since E[v] = 0.

    Shapes
    ------
    baseline : (n_params,) or ()
        b_k, one number per coordinate (or one for all)
    terms : (N, n_params)
        g(ξ_i), in the returned Estimate
    """
    u, v = score_and_weighted_score(batch, policy, theta, gamma, estimator)
    b = check_finite("baseline", as_array("baseline", baseline))
    if b.ndim == 1:
        check_shape("baseline", b, (u.shape[1],))
    elif b.ndim != 0:
        raise ValueError(f"baseline: expected a number or shape ({u.shape[1]},), one per parameter, "
                         f"got shape {b.shape}")
    terms = u - b * v
    return Estimate(gradient=terms.mean(axis=0), terms=terms)


def optimal_baseline(mdp: TabularMDP, policy, theta, per_coordinate: bool = False,
                     estimator: str = "reward-to-go", max_trajectories: int = 2_000_000):
    """The constant baseline of least variance, exactly, by enumeration (tiny MDPs only).

        per_coordinate=False:  b* = E[u · v] / E[v · v]          a float
        per_coordinate=True:   b_k = E[u_k v_k] / E[v_k²]        shape (n_params,)

    E is Σ_ξ P_θ(ξ)(·) over every trajectory, and u, v are those of
    :func:`score_and_weighted_score` for ``estimator`` ("reward-to-go", the
    default, or "total return", where b_k = E[v_k² R] / E[v_k²]). A coordinate
    whose score is always 0 (E[v_k²] = 0) has no variance to reduce; its b_k
    is set to 0.
    """
    _check_kind(estimator)
    enum = exact.enumerate_trajectories(mdp, policy, theta, max_trajectories=max_trajectories)
    u, v = score_and_weighted_score(enum.as_batch(), policy, theta, mdp.gamma, estimator)
    p = enum.probs
    if not per_coordinate:
        vv = float(p @ (v * v).sum(axis=1))
        return float(p @ (u * v).sum(axis=1)) / vv if vv > 0 else 0.0
    uv, vv = p @ (u * v), p @ (v * v)  # (n_params,)
    return np.where(vv > 0, uv / np.where(vv > 0, vv, 1.0), 0.0)


def baseline_moments(mdp: TabularMDP, policy, theta, estimator: str = "reward-to-go",
                     max_trajectories: int = 2_000_000) -> dict:
    """Exact moments of one term of the estimator with each baseline, on one MDP, from one enumeration.

    Returns a dict name → :class:`pgbook.exact.Moments` (mean (n_params,),
    covariance (n_params, n_params)), in this order:

      none              b = 0
      mean return       b = E[R(ξ)], a common constant
      scalar b*         the best single constant (:func:`optimal_baseline`)
      per-coordinate    b_k, the best constant per coordinate
      time              b_t = E[G_t] (chapter 5's; reward-to-go only)
      state value       V_t(s_t), exact (chapter 5's; reward-to-go only)

    Compare ``np.trace(m.covariance)`` (total variance) or ``np.diag(m.covariance)``
    (per coordinate). Every mean is ∇J(θ).
    """
    _check_kind(estimator)
    enum = exact.enumerate_trajectories(mdp, policy, theta, max_trajectories=max_trajectories)
    batch = enum.as_batch()
    u, v = score_and_weighted_score(batch, policy, theta, mdp.gamma, estimator)
    p = enum.probs
    vv = p @ (v * v)
    b_scalar = float(p @ (u * v).sum(axis=1)) / vv.sum() if vv.sum() > 0 else 0.0
    b_vector = np.where(vv > 0, (p @ (u * v)) / np.where(vv > 0, vv, 1.0), 0.0)

    def moments(terms):
        mean = p @ terms
        centred = terms - mean
        return exact.Moments(mean=mean, covariance=(centred * p[:, None]).T @ centred)

    out = {
        "none": moments(u),
        "mean return": moments(u - float(p @ enum.returns) * v),
        "scalar b*": moments(u - b_scalar * v),
        "per-coordinate": moments(u - b_vector * v),
    }
    if estimator == "reward-to-go":
        V = exact.state_values(mdp, policy, theta)
        d = exact.state_distributions(mdp, policy, theta)
        time = (d * V).sum(axis=1)  # b_t = E[G_t] = Σ_s d_t(s) V_t(s)
        rtg = estimators.reward_to_go_estimator
        out["time"] = moments(rtg(batch, policy, theta, baseline=time, gamma=mdp.gamma).terms)
        out["state value"] = moments(rtg(batch, policy, theta, gamma=mdp.gamma,
                                         baseline=exact.along_trajectories(V, batch)).terms)
    return out
