"""Checks for chapter 6 (where Q comes from: critics, GAE, the optimal baseline, old trajectories).

check_gae(fn), for

    fn(rewards, values, mask, gamma, lam) -> (T, N)
    Â_t = Σ_{l≥0} (γλ)^l δ_{t+l},   δ_t = r_t + γ V(s_{t+1}) − V(s_t)

on real steps (0 where the mask is False), the sum stopping at each episode's
end, where the value after the last step is 0 (the episode is over).
rewards and values (T, N), mask (T, N) bool, gamma in (0, 1], lam in [0, 1].

check_per_decision_weights(fn), for

    fn(pi_new, pi_old, mask) -> (T, N)
    w_{0:t} = Π_{u≤t} π_new(a_u|s_u) / π_old(a_u|s_u)   on real steps, 0 elsewhere

with pi_new, pi_old (T, N) the probabilities of the action taken at each step
under the new and the old policy.

check_per_coordinate_baseline(fn), for

    fn(u, v, probs) -> (n_params,)
    b_k = E[u_k v_k] / E[v_k²] = Σ_j p_j u_jk v_jk / Σ_j p_j v_jk²

with u, v (n_traj, n_params) the reward-to-go term and the summed score of
each trajectory (g(b) = u − b v), and probs (n_traj,) their probabilities.
"""

from __future__ import annotations

import numpy as np

from .. import critic
from ._batches import junk_outside, lengths_mask, random_batch
from .core import Case, CheckResult, check_function, function_name

__all__ = [
    "gae",
    "per_decision_weights",
    "per_coordinate_baseline",
    "check_gae",
    "check_per_decision_weights",
    "check_per_coordinate_baseline",
]


# ------------------------------------------------------------------------ GAE
def gae(rewards, values, mask, gamma, lam) -> np.ndarray:
    """Σ_l (γλ)^l δ_{t+l} on real steps, 0 elsewhere, shape (T, N) (reference solution)."""
    return critic.gae(rewards, values, np.asarray(mask, dtype=bool), gamma, lam=lam)


def _gae_cases() -> list[Case]:
    rng = np.random.default_rng(61)
    one = np.ones((1, 1), dtype=bool)
    full3 = np.ones((3, 1), dtype=bool)
    mask_31 = lengths_mask([3, 1], 3)
    big_rewards, big_mask = random_batch(rng, [6, 2, 1, 4], 6)
    big_values = junk_outside(np.round(rng.normal(2.0, 1.0, size=big_rewards.shape), 2), big_mask, -3.0)
    r3, v3 = np.array([[1.0], [0.0], [2.0]]), np.array([[0.5], [1.0], [1.5]])
    return [
        Case("one step (T = 1, N = 1), gamma = 1, lam = 0.5",
             (np.array([[2.0]]), np.array([[0.5]]), one, 1.0, 0.5)),
        Case("one episode of 3 steps, gamma = 1, lam = 0: the TD errors δ_t",
             (r3, v3, full3, 1.0, 0.0)),
        Case("one episode of 3 steps, gamma = 1, lam = 1: G_t − V(s_t)", (r3, v3, full3, 1.0, 1.0)),
        Case("one episode of 3 steps, gamma = 0.9, lam = 0.5", (r3, v3, full3, 0.9, 0.5)),
        Case("episodes of lengths 3 and 1 (mask; junk where it is False), gamma = 0.9, lam = 0.8",
             (junk_outside(np.array([[1.0, 2.0], [0.0, 0.0], [2.0, 0.0]]), mask_31),
              junk_outside(np.array([[0.5, 1.0], [1.0, 0.0], [1.5, 0.0]]), mask_31, -3.0), mask_31, 0.9, 0.8)),
        Case("four episodes of lengths 6, 2, 1 and 4, gamma = 0.99, lam = 0.95",
             (big_rewards, big_values, big_mask, 0.99, 0.95)),
    ]


def _gae_no_gamma_in_trace(rewards, values, mask, gamma, lam):
    """Σ_l λ^l δ_{t+l}: the γ of the trace forgotten."""
    delta = critic.td_errors(rewards, values, np.asarray(mask, dtype=bool), gamma)
    out, running = np.zeros_like(delta), np.zeros(delta.shape[1])
    for t in range(delta.shape[0] - 1, -1, -1):
        running = delta[t] + lam * running
        out[t] = running
    return out


def _gae_bootstraps_past_the_end(rewards, values, mask, gamma, lam):
    """V(s_{t+1}) read from the next row even after the episode ended (junk there)."""
    mask = np.asarray(mask, dtype=bool)
    values = np.asarray(values, dtype=float)
    nxt = np.zeros_like(values)
    nxt[:-1] = values[1:]
    delta = (np.asarray(rewards) * mask + gamma * nxt - values) * mask
    out, running = np.zeros_like(delta), np.zeros(delta.shape[1])
    for t in range(delta.shape[0] - 1, -1, -1):
        running = delta[t] + gamma * lam * running
        out[t] = running
    return out


def _gae_unmasked(rewards, values, mask, gamma, lam):
    return critic.gae(rewards, values, None, gamma, lam=lam)


def _gae_reward_to_go(rewards, values, mask, gamma, lam):
    return gae(rewards, values, mask, gamma, 1.0)


def _gae_td_only(rewards, values, mask, gamma, lam):
    return gae(rewards, values, mask, gamma, 0.0)


def _gae_weights_on_k_step(rewards, values, mask, gamma, lam):
    """Σ_k (γλ)^k Â^(k)_t, normalised: the trace's weights put on the k-step estimates."""
    mask = np.asarray(mask, dtype=bool)
    T = mask.shape[0]
    weights = (gamma * lam) ** np.arange(1, T + 1)
    if weights.sum() == 0:
        return gae(rewards, values, mask, gamma, 0.0)
    total = sum(w * critic.k_step_advantage(rewards, values, k, mask, gamma)
                for k, w in enumerate(weights, start=1))
    return total / weights.sum()


GAE_MISTAKES = [
    (_gae_td_only, "this is the TD error δ_t alone (λ = 0): add the later errors, weighted (γλ)^l."),
    (_gae_reward_to_go, "this is G_t − V(s_t) (λ = 1 whatever lam is): weight δ_{t+l} by (γλ)^l."),
    (_gae_no_gamma_in_trace, "the discount is missing from the trace: δ_{t+l} is weighted by "
                             "(γλ)^l, not λ^l. In the recursion, Â_t = δ_t + γλ Â_{t+1}."),
    (_gae_bootstraps_past_the_end, "after an episode's last step, V(s_{t+1}) was read from the next row, "
                                   "which is past the end: the value after the last step is 0."),
    (_gae_unmasked, "steps where the mask is False were counted: the sum stops at each episode's end, "
                    "and Â_t must be 0 where the mask is False."),
    (_gae_weights_on_k_step, "the weights (γλ)^k were put on the k-step estimates Â^(k)_t; GAE puts "
                             "(γλ)^l on the TD errors δ_{t+l} (and (1−λ)λ^(k−1) on Â^(k)_t)."),
]


def check_gae(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(rewards, values, mask, gamma, lam)`` against GAE(λ) on 6 batches, one step first."""
    name = function_name(fn, "gae")
    return check_function(fn, gae, _gae_cases(), name, mistakes=GAE_MISTAKES,
                          all_cases=all_cases, case=case)


# ---------------------------------------------------- per-decision weights
def per_decision_weights(pi_new, pi_old, mask) -> np.ndarray:
    """w_{0:t} = Π_{u≤t} π_new/π_old on real steps, 0 elsewhere, shape (T, N) (reference solution)."""
    mask = np.asarray(mask, dtype=bool)
    ratio = np.where(mask, np.asarray(pi_new, dtype=float) / np.where(mask, pi_old, 1.0), 1.0)
    return np.cumprod(ratio, axis=0) * mask


def _pdw_cases() -> list[Case]:
    rng = np.random.default_rng(62)
    mask_31 = lengths_mask([3, 1], 3)
    mask_big = lengths_mask([5, 2, 4], 5)
    new_big = junk_outside(np.round(rng.uniform(0.1, 0.9, size=(5, 3)), 2), mask_big, 0.0)
    old_big = junk_outside(np.round(rng.uniform(0.1, 0.9, size=(5, 3)), 2), mask_big, 0.0)
    return [
        Case("one step (T = 1, N = 1)", (np.array([[0.6]]), np.array([[0.3]]), np.ones((1, 1), bool))),
        Case("one episode of 3 steps", (np.array([[0.5], [0.2], [0.9]]), np.array([[0.25], [0.4], [0.3]]),
                                         np.ones((3, 1), bool))),
        Case("episodes of lengths 3 and 1 (mask; probabilities 0 where it is False)",
             (junk_outside(np.array([[0.5, 0.8], [0.2, 0.0], [0.9, 0.0]]), mask_31, 0.0),
              junk_outside(np.array([[0.25, 0.4], [0.4, 0.0], [0.3, 0.0]]), mask_31, 0.0), mask_31)),
        Case("three episodes of lengths 5, 2 and 4", (new_big, old_big, mask_big)),
    ]


def _pdw_trajectory(pi_new, pi_old, mask):
    w = per_decision_weights(pi_new, pi_old, mask)
    mask = np.asarray(mask, dtype=bool)
    last = w[mask.sum(axis=0) - 1, np.arange(mask.shape[1])]
    return last[None, :] * mask


def _pdw_per_step(pi_new, pi_old, mask):
    mask = np.asarray(mask, dtype=bool)
    return np.where(mask, np.asarray(pi_new, dtype=float) / np.where(mask, pi_old, 1.0), 0.0)


def _pdw_inverted(pi_new, pi_old, mask):
    return per_decision_weights(pi_old, pi_new, mask)


def _pdw_exclusive(pi_new, pi_old, mask):
    w = per_decision_weights(pi_new, pi_old, mask)
    out = np.ones_like(w)
    out[1:] = w[:-1]
    return out * np.asarray(mask, dtype=bool)


PDW_MISTAKES = [
    (_pdw_inverted, "the ratio is upside down: the weight is π_new / π_old (new over old), since the "
                    "batch came from the old policy."),
    (_pdw_per_step, "this is the ratio of step t alone; the per-decision weight multiplies the ratios "
                    "of every step u ≤ t."),
    (_pdw_exclusive, "the product stops at t − 1; it includes step t itself: Π_{u≤t}."),
    (_pdw_trajectory, "this is the whole trajectory's weight Π_{u<T} at every step; the per-decision "
                      "weight of step t multiplies the ratios up to t only."),
]


def check_per_decision_weights(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(pi_new, pi_old, mask)`` against w_{0:t} = Π_{u≤t} π_new/π_old on 4 batches."""
    name = function_name(fn, "per_decision_weights")
    return check_function(fn, per_decision_weights, _pdw_cases(), name, mistakes=PDW_MISTAKES,
                          all_cases=all_cases, case=case)


# ---------------------------------------------- the per-coordinate baseline
def per_coordinate_baseline(u, v, probs) -> np.ndarray:
    """b_k = Σ_j p_j u_jk v_jk / Σ_j p_j v_jk², shape (n_params,) (reference solution)."""
    u, v, p = (np.asarray(x, dtype=float) for x in (u, v, probs))
    return (p @ (u * v)) / (p @ (v * v))


def _baseline_cases() -> list[Case]:
    rng = np.random.default_rng(63)
    n, k = 6, 3
    p = rng.dirichlet(np.ones(n)).round(3)
    p[-1] = 1 - p[:-1].sum()
    return [
        Case("one trajectory, one parameter", (np.array([[3.0]]), np.array([[2.0]]), np.array([1.0]))),
        Case("two trajectories, one parameter", (np.array([[2.0], [-1.0]]), np.array([[1.0], [-0.5]]),
                                                  np.array([0.25, 0.75]))),
        Case("three trajectories, two parameters",
             (np.array([[2.0, 0.0], [-1.0, 1.0], [0.5, 3.0]]), np.array([[1.0, -1.0], [-0.5, 0.5], [0.0, 2.0]]),
              np.array([0.5, 0.3, 0.2]))),
        Case(f"{n} trajectories, {k} parameters", (np.round(rng.normal(size=(n, k)), 2),
                                                    np.round(rng.normal(size=(n, k)), 2), p)),
    ]


def _baseline_scalar(u, v, probs):
    u, v, p = (np.asarray(x, dtype=float) for x in (u, v, probs))
    return np.full(u.shape[1], (p @ (u * v).sum(axis=1)) / (p @ (v * v).sum(axis=1)))


def _baseline_unweighted(u, v, probs):
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    return (u * v).mean(axis=0) / (v * v).mean(axis=0)


def _baseline_ratio_of_means(u, v, probs):
    u, v, p = (np.asarray(x, dtype=float) for x in (u, v, probs))
    return (p @ u) / (p @ v)


def _baseline_square_of_mean(u, v, probs):
    u, v, p = (np.asarray(x, dtype=float) for x in (u, v, probs))
    return (p @ (u * v)) / (p @ v) ** 2


BASELINE_MISTAKES = [
    (_baseline_scalar, "this is the one scalar b* = E[u·v]/E[v·v] for every coordinate; each coordinate "
                       "gets its own b_k = E[u_k v_k]/E[v_k²]."),
    (_baseline_unweighted, "the trajectories were averaged with equal weights; weigh each by its "
                           "probability p_j."),
    (_baseline_ratio_of_means, "this is E[u_k]/E[v_k]; minimising E[(u_k − b v_k)²] gives "
                               "E[u_k v_k]/E[v_k²]."),
    (_baseline_square_of_mean, "the denominator is E[v_k]², the square of the mean; it is the mean of "
                               "the square, E[v_k²]."),
]


def check_per_coordinate_baseline(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(u, v, probs)`` against b_k = E[u_k v_k] / E[v_k²] on 4 small sets of trajectories."""
    name = function_name(fn, "per_coordinate_baseline")
    return check_function(fn, per_coordinate_baseline, _baseline_cases(), name, mistakes=BASELINE_MISTAKES,
                          all_cases=all_cases, case=case)
