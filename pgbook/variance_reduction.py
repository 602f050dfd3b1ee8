"""Chapter 5: causality, Q as the expected reward-to-go, baselines, and what each buys.

The chapter starts from REINFORCE's estimator, one term per trajectory,

    g(ξ) = (Σ_t ∇log π_θ(a_t|s_t)) (Σ_t' r_t') = Σ_t Σ_t' ∇log π_θ(a_t|s_t) r_t',

drops the pairs with t' < t (their expectation is zero: causality), then
replaces the reward-to-go G_t by its conditional mean Q_t(s_t, a_t), and
subtracts baselines. This module holds what the chapter computes more than once:

* :func:`score_reward_terms`: the T×T pairs ∇log π_θ(a_t|s_t) r_t' of each
  trajectory, whose expectation is zero below the diagonal;
* :func:`conditional_reward_to_go`: E[G_t | s_t = s, a_t = a] by enumeration,
  to compare with the oracle's Q_t(s, a);
* :func:`estimate` and :func:`estimator_moments`: the seven estimators of the
  chapter (:data:`ESTIMATORS`) on a sampled batch, and their exact mean and
  covariance on a tiny MDP, with baselines taken from the exact oracle;
* :func:`tabular_reinforce`: REINFORCE on a tabular MDP with any of the seven,
  recording the exact J(θ) after every step (a learning curve with no noise
  in the measurement, only in the learning).

Notation as in the book: t = 0..T−1, G_t = Σ_{t'≥t} γ^{t'−t} r_t', and every
estimator is unbiased for ∇J(θ) with J(θ) = E[Σ_t γ^t r_t].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import estimators, exact
from .batch import Batch
from .mdp import TabularMDP
from .optim import SGD
from .validate import check_generator, check_int

__all__ = [
    "ESTIMATORS",
    "score_reward_terms",
    "conditional_reward_to_go",
    "oracle_baselines",
    "estimate",
    "estimator_moments",
    "variance_table",
    "ExactCurve",
    "tabular_reinforce",
]

#: The chapter's estimators, in the order the chapter derives them. The names
#: are the keys of ``pgbook.plots.ESTIMATOR_COLORS``.
ESTIMATORS = (
    "total return",
    "reward-to-go",
    "reward-to-go, constant baseline",
    "reward-to-go, time baseline",
    "reward-to-go, state-value baseline",
    "exact Q",
    "exact advantage",
)


# ------------------------------------------------------------------- causality
def score_reward_terms(batch: Batch, policy, theta) -> np.ndarray:
    """The pairs ∇log π_θ(a_t|s_t) · r_t' of every trajectory, shape (N, T, T, n_params).

    ``terms[i, t, t2]`` is ∇log π_θ(a_t|s_t) r_t2 for trajectory i (undiscounted).
    Summing over t and t2 gives the total-return term of trajectory i; summing
    over t2 ≥ t only gives its reward-to-go term. Weighted by P_θ(ξ) (exact) or
    averaged (sampled) over i, entry [t, t2] is E[∇log π_θ(a_t|s_t) r_t2].
    """
    psi = estimators.scores(batch, policy, theta)  # (T, N, n_params), zero on masked steps
    rewards = batch.rewards * batch.mask  # (T, N)
    return np.einsum("tnp,un->ntup", psi, rewards)


def conditional_reward_to_go(enum: exact.Enumeration, n_states: int, n_actions: int) -> np.ndarray:
    """E[G_t | s_t = s, a_t = a] from every trajectory and its probability, shape (T, S, A).

        E[G_t | s_t=s, a_t=a] = Σ_ξ P_θ(ξ) 1{s_t=s, a_t=a} G_t(ξ) / Σ_ξ P_θ(ξ) 1{s_t=s, a_t=a}

    with G_t = Σ_{t'≥t} γ^{t'−t} r_t'. NaN where P(s_t = s, a_t = a) = 0 (the
    condition cannot happen, so the conditional mean is undefined there).
    """
    G = estimators.reward_to_go(enum.rewards.T, None, enum.gamma).T  # (|Ξ|, T)
    n_traj, T = G.shape
    pair = enum.states * n_actions + enum.actions  # (|Ξ|, T) flat (s, a)
    index = (np.arange(T) * n_states * n_actions + pair).ravel()  # flat (t, s, a)
    size = T * n_states * n_actions
    w = np.broadcast_to(enum.probs[:, None], (n_traj, T)).ravel()
    mass = np.bincount(index, weights=w, minlength=size)
    total = np.bincount(index, weights=w * G.ravel(), minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(mass > 0, total / np.where(mass > 0, mass, 1.0), np.nan)
    return mean.reshape(T, n_states, n_actions)


# -------------------------------------------------------- the seven estimators
@dataclass(frozen=True)
class OracleBaselines:
    """The baselines and weights of the chapter, from the exact oracle at θ.

    constant  b = (1/T) Σ_t E[G_t]               a number
    time      b_t = E[G_t] = Σ_s d_t(s) V_t(s)   shape (T,)
    V         V_t(s), looked up as V_t(s_t)      shape (T, S)
    Q         Q_t(s, a), looked up as Q_t(s_t, a_t)   shape (T, S, A)
    A         the advantage Q_t(s, a) − V_t(s)        shape (T, S, A)
    """

    constant: float
    time: np.ndarray
    V: np.ndarray
    Q: np.ndarray

    @property
    def A(self) -> np.ndarray:
        """Q_t(s, a) − V_t(s), shape (T, S, A)."""
        return self.Q - self.V[:, :, None]


def oracle_baselines(mdp: TabularMDP, policy, theta) -> OracleBaselines:
    """The chapter's baselines at θ, exactly (dynamic programming, no sampling)."""
    Q = exact.q_values(mdp, policy, theta)
    V = (policy.probs(theta)[None] * Q).sum(axis=2)  # V_t(s) = Σ_a π_θ(a|s) Q_t(s,a)
    d = exact.state_distributions(mdp, policy, theta)
    time = (d * V).sum(axis=1)  # E[G_t] = Σ_s d_t(s) V_t(s)
    return OracleBaselines(constant=float(time.mean()), time=time, V=V, Q=Q)


def _spec(name: str, oracle: OracleBaselines):
    """(estimator, keywords) for ``name``; a keyword may be a function of the batch."""
    rtg = estimators.reward_to_go_estimator
    specs = {
        "total return": (estimators.total_return_estimator, {}),
        "reward-to-go": (rtg, {}),
        "reward-to-go, constant baseline": (rtg, {"baseline": oracle.constant}),
        "reward-to-go, time baseline": (rtg, {"baseline": oracle.time}),
        "reward-to-go, state-value baseline": (
            rtg, {"baseline": lambda b: exact.along_trajectories(oracle.V[: b.horizon], b)}),
        "exact Q": (estimators.weighted_score_estimator,
                    {"weights": lambda b: exact.along_trajectories(oracle.Q[: b.horizon], b)}),
        "exact advantage": (estimators.weighted_score_estimator,
                            {"weights": lambda b: exact.along_trajectories(oracle.A[: b.horizon], b)}),
    }
    if name not in specs:
        raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {name!r}")
    return specs[name]


def estimate(name: str, batch: Batch, mdp: TabularMDP, policy, theta,
             oracle: OracleBaselines | None = None) -> estimators.Estimate:
    """The estimate of ∇J(θ) by estimator ``name`` (one of :data:`ESTIMATORS`) on a sampled batch.

    Baselines and Q come from the exact oracle at θ (pass ``oracle`` to reuse
    one computed already); the discount is the MDP's γ.
    """
    oracle = oracle_baselines(mdp, policy, theta) if oracle is None else oracle
    fn, kw = _spec(name, oracle)
    kw = {key: value(batch) if callable(value) else value for key, value in kw.items()}
    return fn(batch, policy, theta, gamma=mdp.gamma, **kw)


def estimator_moments(name: str, mdp: TabularMDP, policy, theta) -> exact.Moments:
    """Exact mean (n_params,) and covariance (n_params, n_params) of one term of estimator ``name``.

    By enumeration of every trajectory (:func:`pgbook.exact.exact_moments`):
    mean = Σ_ξ P_θ(ξ) g(ξ), cov = Σ_ξ P_θ(ξ) (g − mean)(g − mean)ᵀ. Tiny MDPs only.
    """
    fn, kw = _spec(name, oracle_baselines(mdp, policy, theta))
    return exact.exact_moments(fn, mdp, policy, theta, **kw)


def variance_table(mdp: TabularMDP, policy, theta, n: int, rng, names=ESTIMATORS) -> dict:
    """Exact and sampled variance of each estimator's per-trajectory term, as columns.

    For each estimator, on ``n`` trajectories drawn with ``rng`` (the same
    trajectories for every estimator):

      exact     tr Cov[g(ξ)], by enumeration
      sampled   (1/n) Σ_i ‖g(ξ_i) − ḡ‖², the trace of the sample covariance
      stderr    std_i(‖g(ξ_i) − ḡ‖²) / √n, the standard error of ``sampled``
      bias      ‖E[g(ξ)] − ∇J(θ)‖, exact

    Returns a dict of lists, one entry per name (easy to print as a table).
    The variance of the average of N terms is ``exact / N``.
    """
    rng = check_generator("rng", rng)
    n = check_int("n", n, minimum=2)
    batch = exact.sample_trajectories(mdp, policy, theta, n, rng)
    oracle = oracle_baselines(mdp, policy, theta)
    grad = exact.exact_gradient(mdp, policy, theta)
    table = {"estimator": [], "exact": [], "sampled": [], "stderr": [], "bias": []}
    for name in names:
        moments = estimator_moments(name, mdp, policy, theta)
        terms = estimate(name, batch, mdp, policy, theta, oracle).terms
        sq = ((terms - terms.mean(axis=0)) ** 2).sum(axis=1)  # ‖g_i − ḡ‖², (n,)
        table["estimator"].append(name)
        table["exact"].append(float(np.trace(moments.covariance)))
        table["sampled"].append(float(sq.mean()))
        table["stderr"].append(float(sq.std(ddof=1) / np.sqrt(n)))
        table["bias"].append(float(np.linalg.norm(moments.mean - grad)))
    return table


# ------------------------------------------------------------ learning curves
@dataclass(frozen=True)
class ExactCurve:
    """REINFORCE on a tabular MDP, measured exactly.

    objective:   (M+1,) J(θ_k) for k = 0..M, exact (θ_0 first, then after each step)
    mean_return: (M,)   the mean sampled return of batch k (what a model-free learner sees)
    theta:       (n_params,) θ_K, the last parameters
    """

    objective: np.ndarray
    mean_return: np.ndarray
    theta: np.ndarray

    @property
    def iterations(self) -> int:
        """M, the number of steps taken."""
        return len(self.mean_return)


def tabular_reinforce(mdp: TabularMDP, policy, theta0, name: str, *, lr: float, n_episodes: int,
                      iterations: int, rng, callback=None) -> ExactCurve:
    """REINFORCE with estimator ``name`` and plain gradient ascent θ ← θ + α ĝ.

    Each iteration k samples ``n_episodes`` trajectories from π_θk, computes
    ĝ_k by estimator ``name`` (baselines and Q from the oracle at θ_k, as in
    :func:`estimate`), steps θ, and records the exact J(θ_{k+1}).
    ``callback(curve_so_far)`` is called after every iteration; returning
    False stops training there.
    """
    rng = check_generator("rng", rng)
    iterations = check_int("iterations", iterations, minimum=1)
    optimizer = SGD(lr)
    theta = np.array(theta0, dtype=float)
    oracle = oracle_baselines(mdp, policy, theta)
    objective, returns = [_objective(mdp, oracle)], []
    for _ in range(iterations):
        batch = _sample(mdp, policy.probs(theta), n_episodes, rng)
        grad = estimate(name, batch, mdp, policy, theta, oracle).gradient
        theta = optimizer.step(theta, grad)
        oracle = oracle_baselines(mdp, policy, theta)  # at θ_{k+1}: its J, and next step's baselines
        returns.append(float(batch.returns.mean()))
        objective.append(_objective(mdp, oracle))
        if callback is not None:
            curve = ExactCurve(np.array(objective), np.array(returns), theta.copy())
            if callback(curve) is False:
                break
    return ExactCurve(np.array(objective), np.array(returns), theta)


def _sample(mdp: TabularMDP, pi: np.ndarray, n: int, rng) -> Batch:
    """n trajectories of π (an (S, A) table), as :func:`pgbook.exact.sample_trajectories` draws them.

    s_0 ~ p0, a_t ~ π(·|s_t), s_{t+1} ~ P(·|s_t, a_t), by inverse-CDF draws for
    all n episodes at once. The policy table is computed once per batch, not
    once per step: this is the inner loop of :func:`tabular_reinforce`.
    """
    T = mdp.horizon
    cdf_pi, cdf_P = np.cumsum(pi, axis=1), np.cumsum(mdp.P, axis=2)

    def draw(cdf):  # one index per row of cdf (n, k)
        return np.minimum((rng.random((len(cdf), 1)) >= cdf).sum(axis=1), cdf.shape[1] - 1)

    obs = np.zeros((T, n), dtype=np.int64)
    actions = np.zeros((T, n), dtype=np.int64)
    s = draw(np.broadcast_to(np.cumsum(mdp.p0), (n, mdp.n_states)))
    for t in range(T):
        obs[t] = s
        actions[t] = draw(cdf_pi[s])
        if t < T - 1:
            s = draw(cdf_P[s, actions[t]])
    return Batch(obs=obs, actions=actions, rewards=mdp.R[obs, actions],
                 mask=np.ones((T, n), dtype=bool))


def _objective(mdp: TabularMDP, oracle: OracleBaselines) -> float:
    """J(θ) = Σ_s p0(s) V_0(s), from the oracle's V."""
    return float(mdp.p0 @ oracle.V[0])
