"""Checks for chapter 1 (the objective J(θ) as a sum over trajectories).

check_trajectory_probability(fn), for

    fn(p0, P, pi, states, actions) -> float
    P_θ(ξ) = P(s_0) Π_{t<T} π(a_t|s_t) Π_{t<T−1} P(s_{t+1}|s_t, a_t)

with p0 (S,) the start distribution, P (S, A, S) the dynamics P[s, a, s'],
pi (S, A) the policy pi[s, a], and states, actions (T,) integer arrays: the
first T states and actions of the trajectory, so there are T − 1 transitions.
"""

from __future__ import annotations

import numpy as np

from .core import Case, CheckResult, check_function, function_name

__all__ = ["trajectory_probability", "check_trajectory_probability"]


def trajectory_probability(p0, P, pi, states, actions) -> float:
    """P(s_0) Π_t π(a_t|s_t) Π_{t<T−1} P(s_{t+1}|s_t, a_t), a float (reference solution)."""
    states = np.asarray(states, dtype=int)
    actions = np.asarray(actions, dtype=int)
    start = p0[states[0]]
    choices = np.prod(pi[states, actions])
    moves = np.prod(P[states[:-1], actions[:-1], states[1:]])
    return float(start * choices * moves)


def _random_mdp(rng, n_states, n_actions):
    p0 = rng.dirichlet(np.ones(n_states))
    P = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    pi = rng.dirichlet(np.ones(n_actions), size=n_states)
    return p0, P, pi


def _cases() -> list[Case]:
    rng = np.random.default_rng(1)
    p0 = np.array([0.3, 0.7])
    P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.25, 0.75]]])
    pi = np.array([[0.4, 0.6], [0.1, 0.9]])
    cases = [
        Case("one step (T = 1): no transition yet, only P(s_0) π(a_0|s_0)",
             (p0, P, pi, np.array([1]), np.array([0]))),
        Case("two steps (T = 2): one transition",
             (p0, P, pi, np.array([0, 1]), np.array([1, 0]))),
        Case("three steps in a 2-state, 2-action MDP",
             (p0, P, pi, np.array([1, 1, 0]), np.array([1, 0, 0]))),
    ]
    p0, P, pi = _random_mdp(rng, 3, 2)
    cases.append(Case("four steps, 3 states and 2 actions (so P[s, a, s'] is not square in s, a)",
                      (p0, P, pi, np.array([2, 0, 1, 1]), np.array([1, 1, 0, 1]))))
    P0 = P.copy()
    P0[0, 1] = [0.0, 0.5, 0.5]
    cases.append(Case("a trajectory through a transition of probability 0",
                      (p0, P0, pi, np.array([2, 0, 0]), np.array([1, 1, 0]))))
    p0, P, pi = _random_mdp(rng, 4, 3)
    cases.append(Case("seven steps, 4 states and 3 actions",
                      (p0, P, pi, np.array([3, 1, 0, 2, 2, 1, 0]), np.array([2, 0, 1, 1, 2, 0, 1]))))
    return cases


def _without_start(p0, P, pi, states, actions):
    return trajectory_probability(np.ones_like(p0), P, pi, states, actions)


def _without_last_transition(p0, P, pi, states, actions):
    states, actions = np.asarray(states), np.asarray(actions)
    if len(states) < 2:
        return trajectory_probability(p0, P, pi, states, actions)
    last = P[states[-2], actions[-2], states[-1]]
    return trajectory_probability(p0, P, pi, states, actions) / last if last else np.nan


def _transposed_dynamics(p0, P, pi, states, actions):
    return trajectory_probability(p0, np.transpose(P, (2, 1, 0)), pi, states, actions)


MISTAKES = [
    (_without_start, "P(s_0) seems to be missing: the probability of a trajectory starts "
                     "with the probability of its start state, p0[states[0]]."),
    (_without_last_transition, "the last transition seems to be missing: T states give T − 1 "
                               "transitions, P[states[t], actions[t], states[t+1]] for t = 0..T−2."),
    (_transposed_dynamics, "P seems to be indexed the wrong way round: P[s, a, s_next] is the "
                           "probability of moving from s to s_next after action a."),
]


def check_trajectory_probability(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(p0, P, pi, states, actions)`` against P_θ(ξ) on 6 trajectories, shortest first."""
    name = function_name(fn, "trajectory_probability")
    return check_function(fn, trajectory_probability, _cases(), name, mistakes=MISTAKES,
                          all_cases=all_cases, case=case)
