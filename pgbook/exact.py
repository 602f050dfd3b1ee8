"""The exact oracle: J(θ), Q_t, V_t, d_t and ∇J(θ) of a tabular MDP, with no sampling.

Notation (the book's): a trajectory is ξ = (s_0, a_0, …, s_{T−1}, a_{T−1}), its
probability under π_θ is

    P_θ(ξ) = p0(s_0) Π_{t<T} π_θ(a_t|s_t) Π_{t<T−1} P(s_{t+1}|s_t, a_t),

its return is R(ξ) = Σ_{t<T} γ^t r(s_t, a_t), and J(θ) = Σ_ξ P_θ(ξ) R(ξ).

Two ways to get the same numbers:

* dynamic programming, cheap for any size: :func:`state_distributions` (forward
  in time), :func:`q_values` / :func:`state_values` (backward in time),
  :func:`objective` and :func:`exact_gradient`;
* enumeration of every trajectory, costly like (S·A)^T, only for tiny MDPs:
  :func:`enumerate_trajectories`, :func:`objective_by_enumeration`,
  :func:`gradient_by_enumeration`, :func:`chain_rule_gradient` (chapter 2's bad
  idea) and :func:`exact_moments` (the exact mean and covariance of a sampling
  estimator).

Every function takes ``(mdp, policy, theta)``; ``policy`` is a
:class:`pgbook.policies.TabularSoftmax`, or anything with ``probs(theta)`` giving
the (S, A) table π_θ(a|s) and ``score(theta, states, actions)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .batch import Batch
from .mdp import TabularMDP
from .validate import as_array, check_finite, check_generator, check_int, check_shape

__all__ = [
    "state_distributions",
    "q_values",
    "state_values",
    "objective",
    "exact_gradient",
    "Enumeration",
    "enumerate_trajectories",
    "objective_by_enumeration",
    "gradient_by_enumeration",
    "Moments",
    "exact_moments",
    "ChainRuleGradient",
    "chain_rule_gradient",
    "sample_trajectories",
    "along_trajectories",
    "finite_difference_gradient",
]


# ---------------------------------------------------------------------- checks
def _check_mdp(mdp) -> TabularMDP:
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp: expected a pgbook.mdp.TabularMDP, got {type(mdp).__name__}")
    return mdp


def _policy_table(mdp, policy, theta) -> np.ndarray:
    """π_θ(a|s) as an (S, A) table, checked against the MDP's sizes."""
    _check_mdp(mdp)
    if not hasattr(policy, "probs"):
        raise TypeError(
            f"policy: expected a tabular policy with probs(theta) -> (S, A), "
            f"got {type(policy).__name__}"
        )
    pi = np.asarray(policy.probs(theta), dtype=float)
    if pi.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(
            f"policy: expected probabilities over the MDP's {mdp.n_states} states and "
            f"{mdp.n_actions} actions, shape ({mdp.n_states}, {mdp.n_actions}), got shape {pi.shape}"
        )
    return pi


def _score_table(mdp, policy, theta) -> np.ndarray:
    """∇_θ log π_θ(a|s) for every (s, a), shape (S, A, n_params)."""
    s, a = np.meshgrid(np.arange(mdp.n_states), np.arange(mdp.n_actions), indexing="ij")
    return np.asarray(policy.score(theta, s, a), dtype=float)


# ---------------------------------------------------------- dynamic programming
def state_distributions(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """d_t(s) = P(s_t = s) under π_θ, shape (T, S); each row sums to 1.

    Forward recursion: d_0 = p0,  d_{t+1}(s') = Σ_{s,a} d_t(s) π_θ(a|s) P(s'|s,a).
    """
    pi = _policy_table(mdp, policy, theta)
    d = np.zeros((mdp.horizon, mdp.n_states))
    d[0] = mdp.p0
    for t in range(mdp.horizon - 1):
        d[t + 1] = np.einsum("s,sa,sax->x", d[t], pi, mdp.P)
    return d


def q_values(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """Q_t(s,a) = r(s,a) + γ Σ_{s'} P(s'|s,a) V_{t+1}(s'), with V_T = 0; shape (T, S, A).

    Q_t(s,a) is the expected discounted reward-to-go E[Σ_{t'≥t} γ^{t'−t} r_{t'} | s_t=s, a_t=a].
    Backward recursion, with V_{t+1}(s') = Σ_a π_θ(a|s') Q_{t+1}(s',a).
    """
    pi = _policy_table(mdp, policy, theta)
    Q = np.zeros((mdp.horizon, mdp.n_states, mdp.n_actions))
    v_next = np.zeros(mdp.n_states)  # V_T = 0: nothing is earned after the horizon
    for t in range(mdp.horizon - 1, -1, -1):
        Q[t] = mdp.R + mdp.gamma * mdp.P @ v_next
        v_next = (pi * Q[t]).sum(axis=1)
    return Q


def state_values(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """V_t(s) = Σ_a π_θ(a|s) Q_t(s,a), shape (T, S)."""
    pi = _policy_table(mdp, policy, theta)
    return (pi[None] * q_values(mdp, policy, theta)).sum(axis=2)


def objective(mdp: TabularMDP, policy, theta) -> float:
    """J(θ) = Σ_s p0(s) V_0(s) = E[Σ_{t<T} γ^t r(s_t, a_t)]."""
    V = state_values(mdp, policy, theta)
    return float(mdp.p0 @ V[0])


def exact_gradient(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """∇J(θ) = Σ_t γ^t Σ_s d_t(s) Σ_a π_θ(a|s) ∇log π_θ(a|s) Q_t(s,a), shape (n_params,).

    The γ^t in front discounts to time 0; Q_t discounts from time t on. This is
    the expectation of every unbiased estimator in ``pgbook.estimators``.
    """
    pi = _policy_table(mdp, policy, theta)
    d = state_distributions(mdp, policy, theta)  # (T, S)
    Q = q_values(mdp, policy, theta)  # (T, S, A)
    # weight of each (s, a): Σ_t γ^t d_t(s) π(a|s) Q_t(s,a), shape (S, A)
    weight = np.einsum("t,ts,sa,tsa->sa", mdp.discounts, d, pi, Q)
    return np.einsum("sa,sap->p", weight, _score_table(mdp, policy, theta))


# ------------------------------------------------------------------ enumeration
@dataclass(frozen=True)
class Enumeration:
    """Every trajectory ξ_k of an MDP with its probability P_θ(ξ_k), k = 0, …, n_traj−1.

    Ξ is the set of all trajectories; n_traj = ``n_trajectories`` is their
    number, ``|Ξ|`` in the book.

    states  (n_traj, T) int   s_t of trajectory k at [k, t] (int32 to save memory)
    actions (n_traj, T) int   a_t
    rewards (n_traj, T)       r(s_t, a_t), undiscounted
    probs   (n_traj,)         P_θ(ξ_k); sums to 1
    gamma                     the MDP's discount γ
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    probs: np.ndarray
    gamma: float = 1.0

    @property
    def n_trajectories(self) -> int:
        """The number of trajectories (``|Ξ|`` in the book)."""
        return self.probs.shape[0]

    @property
    def returns(self) -> np.ndarray:
        """R(ξ_k) = Σ_t γ^t r_t, shape (n_traj,)."""
        return self.rewards @ (self.gamma ** np.arange(self.rewards.shape[1]))

    def as_batch(self) -> Batch:
        """The n_traj trajectories as a :class:`pgbook.batch.Batch` of shape (T, n_traj), mask all True.

        A batch has no probabilities: an average over it weighs every trajectory
        1/n_traj. Weigh by ``probs`` for expectations (as :func:`exact_moments` does).
        """
        return Batch(
            obs=self.states.T.copy(),
            actions=self.actions.T.copy(),
            rewards=self.rewards.T.copy(),
            mask=np.ones(self.rewards.T.shape, dtype=bool),
        )


def enumerate_trajectories(
    mdp: TabularMDP, policy, theta, max_trajectories: int = 2_000_000
) -> Enumeration:
    """All trajectories ξ = (s_0, a_0, …, s_{T−1}, a_{T−1}) the dynamics allow, with P_θ(ξ).

    "Allow" means p0(s_0) > 0 and P(s_{t+1}|s_t,a_t) > 0 at every step: every
    action sequence is kept (a softmax policy gives every action some
    probability, however small), but states the dynamics cannot reach are left
    out. When p0 and P have no zeros this is all (S·A)^T trajectories; a
    deterministic MDP has only |supp p0|·A^T.

    Built one step at a time, with no recursion: each prefix is repeated A times
    (one copy per action a_t), then once per next state s_{t+1} with
    P(s_{t+1}|s_t,a_t) > 0. Raises ValueError when the count would exceed
    ``max_trajectories`` (memory grows like n_traj·T).
    """
    pi = _policy_table(mdp, policy, theta)
    max_trajectories = check_int("max_trajectories", max_trajectories, minimum=1)
    S, A, T = mdp.n_states, mdp.n_actions, mdp.horizon

    def count(n: int) -> str:
        return f"{n:,}" if n < 10**15 else f"{float(n):.3g}"

    def refuse(at_least: int):
        raise ValueError(
            f"max_trajectories: {mdp.name} with S={S} states, A={A} actions and horizon "
            f"T={T} has at least {count(at_least)} trajectories (at most (S·A)^T = {count((S * A) ** T)}), "
            f"more than max_trajectories={max_trajectories:,}; use a shorter horizon, "
            f"fewer states, or sample_trajectories"
        )

    # prefixes so far: states (n, t+1), actions (n, t), and their probability (n,)
    index = np.int32  # indices are small numbers, but there are |Ξ|·T of them
    states = np.flatnonzero(mdp.p0 > 0).astype(index)[:, None]
    actions = np.zeros((states.shape[0], 0), dtype=index)
    probs = mdp.p0[states[:, 0]]
    for t in range(T):
        n = states.shape[0]  # prefixes so far
        if n * A ** (T - t) > max_trajectories:  # every prefix grows by ≥ A per step left
            refuse(n * A ** (T - t))
        # choose a_t: prefix k becomes A prefixes, one per action; times π_θ(a_t|s_t)
        states = np.repeat(states, A, axis=0)
        a_t = np.tile(np.arange(A, dtype=index), n)
        actions = np.concatenate([np.repeat(actions, A, axis=0), a_t[:, None]], axis=1)
        probs = np.repeat(probs, A) * pi[states[:, -1], a_t]
        if t == T - 1:
            break
        # choose s_{t+1}: keep the pairs (prefix, s') with P(s'|s_t,a_t) > 0
        next_probs = mdp.P[states[:, -1], a_t]  # (n·A, S)
        k, s_next = np.nonzero(next_probs > 0)
        probs = probs[k] * next_probs[k, s_next]
        states = np.concatenate([states[k], s_next.astype(index)[:, None]], axis=1)
        actions = actions[k]

    return Enumeration(
        states=states, actions=actions, rewards=mdp.R[states, actions], probs=probs, gamma=mdp.gamma
    )


def objective_by_enumeration(mdp: TabularMDP, policy, theta, **kw) -> float:
    """J(θ) = Σ_ξ P_θ(ξ) R(ξ), summed over every trajectory (tiny MDPs only)."""
    enum = enumerate_trajectories(mdp, policy, theta, **kw)
    return float(enum.probs @ enum.returns)


def _sum_over_steps(per_pair: np.ndarray, enum: Enumeration, weights: np.ndarray) -> np.ndarray:
    """Σ_k weights[k] Σ_t per_pair[s_kt, a_kt] for a table per_pair of shape (S, A, n_params).

    The sum is regrouped by (s, a): count how much weight lands on each pair,
    then multiply by the table once, instead of building a (n_traj, T, n_params) array.
    """
    S, A = per_pair.shape[:2]
    pair = (enum.states * A + enum.actions).ravel()  # (|Ξ|·T,) flat index of (s_t, a_t)
    w = np.broadcast_to(weights[:, None], enum.states.shape).ravel()
    mass = np.bincount(pair, weights=w, minlength=S * A).reshape(S, A)
    return np.einsum("sa,sap->p", mass, per_pair)


def gradient_by_enumeration(mdp: TabularMDP, policy, theta, **kw) -> np.ndarray:
    """∇J(θ) = Σ_ξ P_θ(ξ) (Σ_t ∇log π_θ(a_t|s_t)) R(ξ), shape (n_params,) (tiny MDPs only).

    The likelihood-ratio form: ∇P_θ(ξ) = P_θ(ξ) ∇log P_θ(ξ), and the dynamics
    drop out of ∇log P_θ(ξ) = Σ_t ∇log π_θ(a_t|s_t).
    """
    enum = enumerate_trajectories(mdp, policy, theta, **kw)
    return _sum_over_steps(_score_table(mdp, policy, theta), enum, enum.probs * enum.returns)


class ChainRuleGradient(NamedTuple):
    """What :func:`chain_rule_gradient` computed, and what it cost.

    gradient           ∇J(θ), shape (n_params,)
    n_terms            product-rule terms evaluated: n_traj·T (one per trajectory and step)
    n_multiplications  n_traj·T·(2T−1+dim θ): per term, 2T−2 products of the other
                       factors, one by R(ξ), and dim θ (= n_params) for scaling
                       the vector ∇π
    n_trajectories     n_traj, the number of trajectories summed over
    """

    gradient: np.ndarray
    n_terms: int
    n_multiplications: int
    n_trajectories: int


def chain_rule_gradient(mdp: TabularMDP, policy, theta, max_trajectories: int = 2_000_000,
                        chunk: int = 65_536) -> ChainRuleGradient:
    """∇J(θ) by the product rule over every trajectory: chapter 2's bad idea, costed.

    J(θ) = Σ_ξ P_θ(ξ) R(ξ), and P_θ(ξ) is a product of 2T factors:
    p0(s_0), the T policy factors π_θ(a_t|s_t), and T−1 dynamics factors. Only
    the policy factors depend on θ, so the product rule gives one term per step,

        ∇P_θ(ξ) = Σ_t [ p0(s_0) Π_{t'≠t} π_θ(a_{t'}|s_{t'}) Π_{t'} P(s_{t'+1}|s_{t'},a_{t'}) ] ∇π_θ(a_t|s_t),

    with ∇π_θ(a|s) = π_θ(a|s) (e_{s,a} − π_θ(·|s)) for the softmax (the quotient
    rule; no logarithm is taken). Each bracket is multiplied out literally, for
    every trajectory and every t: n_traj·T terms over n_traj ≤ (S·A)^T trajectories, each
    a product of 2T−1 numbers. Compare :func:`exact_gradient`, which costs
    about T·S²·A.
    """
    enum = enumerate_trajectories(mdp, policy, theta, max_trajectories=max_trajectories)
    pi = _policy_table(mdp, policy, theta)
    # ∂π(a|s)/∂θ for every (s, a), shape (S, A, n_params); the same numbers as π·score
    grad_pi = pi[:, :, None] * _score_table(mdp, policy, theta)
    s, a = enum.states, enum.actions
    n_traj, T = s.shape  # |Ξ| and T
    # the 2T scalar factors of P_θ(ξ), one column each: [p0, π_0, …, π_{T−1}, P_0, …, P_{T−2}]
    factors = np.concatenate(
        [mdp.p0[s[:, :1]], pi[s, a], mdp.P[s[:, :-1], a[:, :-1], s[:, 1:]]], axis=1
    )
    returns = enum.returns
    gradient = np.zeros(grad_pi.shape[2])
    for t in range(T):
        others = np.delete(factors, 1 + t, axis=1)  # every factor except π_θ(a_t|s_t)
        coeff = np.prod(others, axis=1) * returns  # (|Ξ|,): bracket times R(ξ)
        for lo in range(0, n_traj, chunk):  # in chunks so (chunk, n_params) stays small
            hi = min(lo + chunk, n_traj)
            gradient += (coeff[lo:hi, None] * grad_pi[s[lo:hi, t], a[lo:hi, t]]).sum(axis=0)
    n_params = grad_pi.shape[2]
    return ChainRuleGradient(
        gradient=gradient,
        n_terms=n_traj * T,
        n_multiplications=n_traj * T * (2 * T - 1 + n_params),
        n_trajectories=n_traj,
    )


def along_trajectories(table, batch: Batch) -> np.ndarray:
    """Look a table up at each step of a batch: x_t(s_t) or x_t(s_t, a_t), shape (T, N).

    table: (T, S) such as V from :func:`state_values` (a state-value baseline),
    or (T, S, A) such as Q from :func:`q_values` (the weights of the Q-weighted
    estimator). Entries at masked-out steps are set to 0.
    """
    table = check_finite("table", as_array("table", table))
    T, N = batch.rewards.shape
    if table.ndim not in (2, 3) or table.shape[0] != T:
        raise ValueError(f"table: expected shape (T, S) or (T, S, A) with T={T}, got shape {table.shape}")
    t = np.broadcast_to(np.arange(T)[:, None], (T, N))
    s = batch.obs.astype(np.int64)
    values = table[t, s] if table.ndim == 2 else table[t, s, batch.actions.astype(np.int64)]
    return values * batch.mask


class Moments(NamedTuple):
    """The exact mean (n_params,) and covariance (n_params, n_params) of one trajectory's term g(ξ)."""

    mean: np.ndarray
    covariance: np.ndarray


def exact_moments(estimator, mdp: TabularMDP, policy, theta, max_trajectories: int = 2_000_000,
                  **kw) -> Moments:
    """Exact mean and covariance of one trajectory's term g(ξ) of a sampling estimator.

        mean = Σ_ξ P_θ(ξ) g(ξ),          shape (n_params,)
        cov  = Σ_ξ P_θ(ξ) (g(ξ) − mean)(g(ξ) − mean)ᵀ,   shape (n_params, n_params)

    ``estimator(batch, policy, theta, **kw)`` is any estimator of
    ``pgbook.estimators``; it is run once on the batch of all trajectories
    (:func:`enumerate_trajectories`) and its ``terms`` (n_traj, n_params) are weighed by
    P_θ(ξ). ``gamma`` defaults to the MDP's γ. An average of N sampled terms
    then has mean ``mean`` and covariance ``cov / N``.

    Only *fixed* baselines and weights make sense here: a number, a (T,) array,
    or a per-step array computed from the enumeration batch, e.g. V_t(s_t). Pass
    those per-step ones as a function of the batch, ``baseline=lambda b:
    along_trajectories(V, b)``: every keyword whose value is callable is called
    with the enumeration batch first. A baseline estimated from the batch itself
    (such as the mean return of the batch) would be computed here over all n_traj
    trajectories with equal weights, which is not what it is over a sample.
    """
    enum = enumerate_trajectories(mdp, policy, theta, max_trajectories=max_trajectories)
    batch = enum.as_batch()
    kw = {key: value(batch) if callable(value) else value for key, value in kw.items()}
    kw.setdefault("gamma", mdp.gamma)
    terms = np.asarray(estimator(batch, policy, theta, **kw).terms, dtype=float)
    mean = enum.probs @ terms
    centred = terms - mean
    cov = (centred * enum.probs[:, None]).T @ centred
    return Moments(mean=mean, covariance=cov)


# --------------------------------------------------------------------- sampling
def _draw(cdf: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of a batch of CDFs (..., n): inverse-CDF sampling."""
    u = rng.random(cdf.shape[:-1] + (1,))
    return np.minimum((u >= cdf).sum(axis=-1), cdf.shape[-1] - 1)


def sample_trajectories(mdp: TabularMDP, policy, theta, n: int, rng) -> Batch:
    """n trajectories ξ ~ P_θ, as a :class:`pgbook.batch.Batch` of shape (T, n), mask all True.

    s_0 ~ p0, a_t ~ π_θ(·|s_t), r_t = r(s_t, a_t), s_{t+1} ~ P(·|s_t, a_t); the
    n episodes advance together, one step t at a time. Rewards are stored
    undiscounted; the estimators apply γ^t.
    """
    _policy_table(mdp, policy, theta)  # checks mdp, policy and theta before any draw
    n = check_int("n", n, minimum=1)
    rng = check_generator("rng", rng)
    T = mdp.horizon
    obs = np.zeros((T, n), dtype=np.int64)
    actions = np.zeros((T, n), dtype=np.int64)
    cdf_P = np.cumsum(mdp.P, axis=-1)
    s = _draw(np.broadcast_to(np.cumsum(mdp.p0), (n, mdp.n_states)), rng)
    for t in range(T):
        obs[t] = s
        actions[t] = policy.sample(theta, s, rng)
        if t < T - 1:
            s = _draw(cdf_P[s, actions[t]], rng)
    return Batch(obs=obs, actions=actions, rewards=mdp.R[obs, actions],
                 mask=np.ones((T, n), dtype=bool))


# -------------------------------------------------------------- finite differences
def finite_difference_gradient(f, theta, eps: float = 1e-5) -> np.ndarray:
    """Central differences: ∂f/∂θ_i ≈ (f(θ + h e_i) − f(θ − h e_i)) / 2h, shape (len θ,).

    ``eps`` is the step h. Costs 2·len(θ) calls of the scalar function f; the
    error is O(h²) plus the rounding error of f divided by h.
    """
    theta = check_finite("theta", check_shape("theta", as_array("theta", theta), (None,)))
    if not (np.isscalar(eps) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps: expected a positive step size, got {eps!r}")
    grad = np.zeros(theta.shape[0])
    for i in range(theta.shape[0]):
        step = np.zeros_like(theta)
        step[i] = eps
        grad[i] = (float(f(theta + step)) - float(f(theta - step))) / (2 * eps)
    return grad
