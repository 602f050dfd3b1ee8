"""Chapter 6: where Q comes from. A critic V, the advantages built from it, and what they cost.

The derivation ends on Σ_t γ^t ∇log π_θ(a_t|s_t) Q_t(s_t, a_t). A learner that
does not know Q puts an estimate Â_t of the advantage Q_t − V_t in its place,
built from rewards and a learned state value V (the *critic*):

    δ_t       = r_t + γ V(s_{t+1}) − V(s_t)                      the TD error
    Â^(k)_t   = r_t + γ r_{t+1} + … + γ^{k−1} r_{t+k−1} + γ^k V(s_{t+k}) − V(s_t)
              = Σ_{l<k} γ^l δ_{t+l}                              k-step estimate
    Â_t(λ)    = Σ_{l≥0} (γλ)^l δ_{t+l}
              = Σ_{k≥1} (1−λ) λ^{k−1} Â^(k)_t                    GAE(λ)

λ = 0 gives δ_t and λ = 1 gives G_t − V(s_t). With V = V^π every one of them
is unbiased; with any other V only λ = 1 is (there V is a baseline). This
module computes them on the (T, N) layout of a :class:`pgbook.batch.Batch`,
fits V by least squares, and, on a tiny tabular MDP, gives the *exact* mean
and covariance of the gradient estimate they weight (by enumeration, as
:func:`pgbook.exact.exact_moments`).

Ends of episodes. The steps after an episode's last one are masked out and
count for nothing. The value of the state *after* the last step is
``bootstrap`` (shape (N,)): 0 when the episode terminated or when the horizon
T of a finite-horizon objective was reached (nothing more is earned), V of the
last next state when a time limit cut an episode that would have gone on.
For a tabular MDP the critic's value of a terminal state is taken as 0 (the
episode has ended there; :func:`value_table`).

Notation as in the book: t = 0..T−1, γ the discount, G_t = Σ_{t'≥t} γ^{t'−t} r_t'.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from . import exact
from .batch import Batch
from .estimators import Estimate, weighted_score_estimator
from .mdp import TabularMDP
from .validate import as_array, check_finite, check_int, check_shape

__all__ = [
    "td_errors",
    "k_step_advantage",
    "gae",
    "one_hot_features",
    "fit_value",
    "value_table",
    "gae_estimator",
    "gae_moments",
    "BiasVariance",
    "gae_bias_variance",
]


# ---------------------------------------------------------------------- checks
def check_lambda(lam) -> float:
    """λ as a float in [0, 1], or an error naming ``lam``."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"lam: expected a number λ in [0, 1], got {lam!r}")
    lam = float(lam)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam: expected λ in [0, 1], got {lam:g}")
    return lam


def _check_gamma(gamma) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
        raise TypeError(f"gamma: expected a discount in (0, 1], got {gamma!r}")
    gamma = float(gamma)
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma: expected a discount in (0, 1], got {gamma:g}")
    return gamma


def _steps(rewards, values, mask, bootstrap):
    """rewards, values (T, N), mask (T, N) bool, bootstrap (N,), checked; rewards and values zeroed where masked."""
    rewards = check_finite("rewards", as_array("rewards", rewards))
    if rewards.ndim != 2:
        raise ValueError(f"rewards: expected shape (T, N), one column per episode, got shape {rewards.shape}")
    values = as_array("values", values)
    if values.shape != rewards.shape:
        raise ValueError(f"values: expected V(s_t) at every step, shape {rewards.shape} like rewards, "
                         f"got shape {values.shape}")
    if mask is None:
        mask = np.ones(rewards.shape, dtype=bool)
    else:
        mask = check_shape("mask", np.asarray(mask, dtype=bool), rewards.shape)
        # each episode's steps come first: True then False down every column
        if np.any(mask[1:] & ~mask[:-1]):
            t, i = np.argwhere(mask[1:] & ~mask[:-1])[0]
            raise ValueError(f"mask: expected each episode's steps first (True, then False down each column), "
                             f"got False at step {t} and True at step {t + 1} of episode {i}")
    values = np.where(mask, values, 0.0)
    check_finite("values", values)
    if bootstrap is None:
        bootstrap = np.zeros(rewards.shape[1])
    else:
        bootstrap = check_finite("bootstrap", as_array("bootstrap", bootstrap))
        bootstrap = np.broadcast_to(bootstrap, (rewards.shape[1],)) if bootstrap.ndim == 0 else \
            check_shape("bootstrap", bootstrap, (rewards.shape[1],))
    return rewards * mask, values, mask, bootstrap


def _next_values(values, mask, bootstrap) -> np.ndarray:
    """V(s_{t+1}) at every real step: the next row, or ``bootstrap`` after an episode's last step; (T, N)."""
    T, N = values.shape
    after = np.zeros((T + 1, N))
    after[:T] = values
    lengths = mask.sum(axis=0)
    after[lengths, np.arange(N)] = bootstrap  # the state after the last step of episode i
    return after[1:] * mask


# ------------------------------------------------------------ the advantages
def td_errors(rewards, values, mask=None, gamma: float = 1.0, bootstrap=None) -> np.ndarray:
    """The TD errors δ_t = r_t + γ V(s_{t+1}) − V(s_t), one per step; 0 where the mask is False.

    At the last step of episode i, V(s_{t+1}) is ``bootstrap[i]`` (default 0:
    the episode terminated, or the horizon ended it). If V = V^π then
    E[δ_t | s_t, a_t] = Q_t(s_t, a_t) − V_t(s_t), the advantage.

    Shapes
    ------
    rewards : (T, N)
        r_t of episode i at [t, i]
    values : (T, N)
        V(s_t), the critic's value of each state visited (ignored where masked)
    mask : (T, N)
        bool, True at the steps that happened; None: all of them
    bootstrap : (N,)
        V of the state after each episode's last step; None: zeros
    δ : (T, N)
        the result
    """
    gamma = _check_gamma(gamma)
    rewards, values, mask, bootstrap = _steps(rewards, values, mask, bootstrap)
    return (rewards + gamma * _next_values(values, mask, bootstrap) - values) * mask


def k_step_advantage(rewards, values, k: int, mask=None, gamma: float = 1.0, bootstrap=None) -> np.ndarray:
    """The k-step estimate Â^(k)_t: k rewards, then the critic.

        Â^(k)_t = Σ_{l<k} γ^l r_{t+l} + γ^k V(s_{t+k}) − V(s_t)

    Computed from rewards and values as written (not from δ), so that
    Â^(k)_t = Σ_{l<k} γ^l δ_{t+l} is something to check. When t + k passes the
    episode's end L, the sum stops at its last reward and V(s_{t+k}) becomes
    ``bootstrap`` at L: Â^(k)_t = G_t + γ^{L−t} bootstrap − V(s_t) for every
    k ≥ L − t. k = 1 is δ_t.

    Shapes
    ------
    rewards, values, mask : (T, N)
        as in :func:`td_errors`
    bootstrap : (N,)
        V after each episode's last step; None: zeros
    Â^(k) : (T, N)
        the result, 0 where masked
    """
    k = check_int("k", k, minimum=1)
    gamma = _check_gamma(gamma)
    rewards, values, mask, bootstrap = _steps(rewards, values, mask, bootstrap)
    T, N = rewards.shape
    lengths = mask.sum(axis=0)                       # L_i
    padded = np.zeros((T + k, N))
    padded[:T] = rewards                             # masked rewards are already 0
    summed = sum(gamma**l * padded[l:l + T] for l in range(k))  # Σ_{l<k} γ^l r_{t+l}
    after = np.zeros((T + 1, N))
    after[:T] = values
    after[lengths, np.arange(N)] = bootstrap
    t = np.arange(T)[:, None]
    end = np.minimum(t + k, lengths[None, :])        # where the critic takes over: t+k, or L
    tail = gamma ** (end - t) * after[end, np.arange(N)[None, :]]
    return (summed + tail - values) * mask


def gae(rewards, values, mask=None, gamma: float = 1.0, *, lam: float, bootstrap=None) -> np.ndarray:
    """Generalized advantage estimation (Schulman et al., 2016): Â_t = Σ_{l≥0} (γλ)^l δ_{t+l}.

    The sum stops at each episode's end. By the backward recursion

        Â_t = δ_t + γλ Â_{t+1},   Â = 0 after the last step,

    one pass over t. It is also the (1−λ)λ^{k−1}-weighted average of the k-step
    estimates of :func:`k_step_advantage` (the weight of every k past the
    episode's end falls on its whole return). λ = 0: Â_t = δ_t.
    λ = 1: Â_t = G_t + γ^{L−t} bootstrap − V(s_t), which is G_t − V(s_t) when
    bootstrap = 0. ``lam`` must be given: λ ∈ [0, 1].

    Shapes
    ------
    rewards, values, mask : (T, N)
        as in :func:`td_errors`
    bootstrap : (N,)
        V after each episode's last step; None: zeros
    Â : (T, N)
        the result, 0 where masked
    """
    lam = check_lambda(lam)
    delta = td_errors(rewards, values, mask, gamma, bootstrap)  # checks the rest; 0 where masked
    advantage = np.zeros_like(delta)
    running = np.zeros(delta.shape[1])
    for t in range(delta.shape[0] - 1, -1, -1):
        running = delta[t] + gamma * lam * running
        advantage[t] = running
    return advantage


# ------------------------------------------------------------- fitting a critic
def one_hot_features(states, n_states: int, horizon: int | None = None) -> np.ndarray:
    """Tabular features: φ(s) = e_s, or φ(t, s) = e_{t·S + s} for a critic V_t(s) that also sees time.

    A linear critic φᵀw with these features *is* a table: w[s] = V(s), or
    w.reshape(T, S)[t, s] = V_t(s). With ``horizon`` the time of each entry is
    its row in ``states`` (the (T, N) layout).

    Shapes
    ------
    states : (T, N)
        integer states s_t (any shape without ``horizon``)
    φ : (T, N, S) or (T, N, T·S)
        the result
    """
    n_states = check_int("n_states", n_states, minimum=1)
    states = np.asarray(states)
    if not np.issubdtype(states.dtype, np.integer) or (states.size and (states.min() < 0 or states.max() >= n_states)):
        raise ValueError(f"states: expected integers in [0, {n_states}), got {_describe_states(states)}")
    if horizon is None:
        return np.eye(n_states)[states]
    horizon = check_int("horizon", horizon, minimum=1)
    if states.ndim != 2 or states.shape[0] != horizon:
        raise ValueError(f"states: expected shape (T, N) with T = horizon = {horizon}, got shape {states.shape}")
    index = np.arange(horizon)[:, None] * n_states + states
    return np.eye(horizon * n_states)[index]


def _describe_states(states: np.ndarray) -> str:
    if not np.issubdtype(states.dtype, np.integer):
        return f"dtype {states.dtype}"
    return f"values from {states.min()} to {states.max()}"


def fit_value(features, targets, mask=None, ridge: float = 0.0) -> np.ndarray:
    """Least squares: the weights w of the critic V_w(s) = φ(s)ᵀw fitted to targets (e.g. returns G_t).

        w = argmin_w Σ_{t,i real} (φ(s_t^i)ᵀ w − y_t^i)² + ridge · ‖w‖²

    Every real step counts once (the masked steps not at all). With
    :func:`one_hot_features` this is the tabular fit: w[s] is the mean of the
    targets over the visits to s (0 for a state never visited, the
    minimum-norm solution). Solved by ``numpy.linalg.lstsq`` (ridge = 0) or
    the normal equations (ΦᵀΦ + ridge·I) w = Φᵀy.

    Unbiasedness: V_w used as a baseline (λ = 1) adds no bias when w does not
    depend on the episode it weighs, e.g. when it was fitted on an *earlier*
    batch. Fitted on the same batch, it carries the O(1/N) bias of any baseline
    built from the episode's own return.

    Shapes
    ------
    features : (T, N, d)
        φ(s_t) at every step (any leading shape matching ``targets``)
    targets : (T, N)
        what V should predict, e.g. the reward-to-go G_t
    mask : (T, N)
        bool, the steps that count; None: all
    w : (d,)
        the result
    """
    phi = check_finite("features", as_array("features", features))
    y = check_finite("targets", as_array("targets", targets))
    if phi.ndim != y.ndim + 1 or phi.shape[:-1] != y.shape:
        raise ValueError(f"features: expected shape {y.shape + ('d',)} (one feature vector per target), "
                         f"got shape {phi.shape}")
    keep = np.ones(y.shape, dtype=bool) if mask is None else check_shape(
        "mask", np.asarray(mask, dtype=bool), y.shape)
    if isinstance(ridge, bool) or not isinstance(ridge, numbers.Real) or ridge < 0:
        raise ValueError(f"ridge: expected a number >= 0, got {ridge!r}")
    X, y = phi[keep], y[keep]  # (n_steps, d), (n_steps,)
    if ridge == 0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    return np.linalg.solve(X.T @ X + ridge * np.eye(X.shape[1]), X.T @ y)


# --------------------------------------------------- exact bias and variance
def value_table(mdp: TabularMDP, V) -> np.ndarray:
    """A tabular critic as a (T, S) table V_t(s), checked; 0 at the MDP's terminal states.

    V may be a state-only critic V(s), shape (S,), the same at every t, or a
    time-indexed one V_t(s), shape (T, S), such as V^π from
    :func:`pgbook.exact.state_values`. A terminal state's value is 0 whatever
    V says: the episode has ended there (this is what makes the enumeration,
    where the agent stays in the goal, agree with an env that stops).

    Shapes
    ------
    V : (S,) or (T, S)
        the critic
    V_t(s) : (T, S)
        the result
    """
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp: expected a pgbook.mdp.TabularMDP, got {type(mdp).__name__}")
    V = as_array("V", V)
    S, T = mdp.n_states, mdp.horizon
    if V.shape == (S,):
        V = np.broadcast_to(V, (T, S))
    elif V.shape != (T, S):
        raise ValueError(f"V: expected a value table of shape (S,) = ({S},) or (T, S) = ({T}, {S}) "
                         f"for {mdp.name}, got shape {V.shape}")
    check_finite("V", V)
    return np.where(mdp.terminal[None, :], 0.0, V)


def gae_estimator(batch: Batch, policy, theta, values, *, lam: float, gamma: float = 1.0,
                  bootstrap=None) -> Estimate:
    """The policy-gradient estimate weighted by GAE(λ): g(ξ) = Σ_t γ^t ∇log π_θ(a_t|s_t) Â_t(λ).

    One term per trajectory; the estimate is their mean over the N episodes.
    With λ = 1 and bootstrap 0 this is reward-to-go with the baseline V(s_t);
    with V = V^π it is unbiased for every λ.

    Shapes
    ------
    values : (T, N)
        V(s_t) at every step of the batch
    bootstrap : (N,)
        V after each episode's last step; None: zeros
    terms : (N, n_params)
        g(ξ_i), in the returned Estimate
    """
    advantage = gae(batch.rewards, values, batch.mask, gamma, lam=lam, bootstrap=bootstrap)
    return weighted_score_estimator(batch, policy, theta, advantage, gamma)


def gae_moments(mdp: TabularMDP, policy, theta, V, lam: float, **kw) -> exact.Moments:
    """Exact mean and covariance of one term of :func:`gae_estimator` with the critic table V.

        mean = Σ_ξ P_θ(ξ) g(ξ),   cov = Σ_ξ P_θ(ξ) (g − mean)(g − mean)ᵀ

    by enumeration of every trajectory (tiny MDPs only). The exact bias is
    ``mean − pgbook.exact.exact_gradient(mdp, policy, theta)``. The discount is
    the MDP's γ; at the horizon the bootstrap is 0 (V_T = 0).

    Shapes
    ------
    V : (S,) or (T, S)
        the critic (see :func:`value_table`)
    mean : (n_params,)
        in the returned Moments
    covariance : (n_params, n_params)
        in the returned Moments
    """
    table = value_table(mdp, V)
    lam = check_lambda(lam)
    return exact.exact_moments(gae_estimator, mdp, policy, theta,
                               values=lambda b: exact.along_trajectories(table, b), lam=lam, **kw)


class BiasVariance(NamedTuple):
    """Exact bias and variance of the GAE(λ)-weighted estimator, one row per λ.

    lam         (L,)                      the λ values
    bias        (L, n_params)             E[g(ξ)] − ∇J(θ)
    covariance  (L, n_params, n_params)   Cov[g(ξ)] of one trajectory's term
    variance    (L,)                      tr Cov[g(ξ)], the total variance
    gradient    (n_params,)               ∇J(θ), exact

    The mean squared error of a mean of N terms is ‖bias‖² + variance / N.
    """

    lam: np.ndarray
    bias: np.ndarray
    covariance: np.ndarray
    variance: np.ndarray
    gradient: np.ndarray


def gae_bias_variance(mdp: TabularMDP, policy, theta, V, lams, max_trajectories: int = 2_000_000) -> BiasVariance:
    """:func:`gae_moments` for several λ at once, from one enumeration of the trajectories.

    For each λ: bias = Σ_ξ P_θ(ξ) g_λ(ξ) − ∇J(θ) and the covariance of g_λ(ξ),
    with g_λ(ξ) = Σ_t γ^t ∇log π_θ(a_t|s_t) Â_t(λ) and Â from the critic V.

    Shapes
    ------
    V : (S,) or (T, S)
        the critic (see :func:`value_table`)
    lams : (L,)
        λ values, each in [0, 1]
    """
    table = value_table(mdp, V)
    lams = np.array([check_lambda(lam) for lam in np.atleast_1d(lams).tolist()])
    enum = exact.enumerate_trajectories(mdp, policy, theta, max_trajectories=max_trajectories)
    batch = enum.as_batch()
    values = exact.along_trajectories(table, batch)  # V_t(s_t), (T, n_traj)
    grad = exact.exact_gradient(mdp, policy, theta)
    # γ^t ∇log π_θ(a_t|s_t), (T, n_traj, n_params): the same for every λ
    psi = policy.score(theta, batch.obs, batch.actions) * mdp.discounts[:, None, None]
    means, covs = [], []
    for lam in lams:
        advantage = gae(batch.rewards, values, None, mdp.gamma, lam=lam)
        terms = np.einsum("tnp,tn->np", psi, advantage)
        mean = enum.probs @ terms
        centred = terms - mean
        means.append(mean)
        covs.append((centred * enum.probs[:, None]).T @ centred)
    covs = np.array(covs)
    return BiasVariance(lam=lams, bias=np.array(means) - grad, covariance=covs,
                        variance=np.trace(covs, axis1=1, axis2=2), gradient=grad)
