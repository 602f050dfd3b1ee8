"""Finite tabular MDPs with a horizon T, as in the derivation.

An MDP here is five arrays and two numbers (their shapes are listed under
:class:`TabularMDP`):

    p0[s]         P(s_0 = s)
    P[s, a, s']   P(s_{t+1} = s' | s_t = s, a_t = a)
    R[s, a]       r(s, a), the reward for a in s
    T             the horizon: steps t = 0, …, T−1
    gamma         the discount γ (1 unless asked)
    terminal[s]   True for goal states that end an episode (optional)

and the objective of a policy π_θ is the expected (discounted) return

    J(θ) = E_{ξ ~ P_θ} [ Σ_{t<T} γ^t r(s_t, a_t) ],
    s_0 ~ p0,  a_t ~ π_θ(·|s_t),  s_{t+1} ~ P(·|s_t, a_t).

:mod:`pgbook.exact` computes J, its gradient and friends exactly from these arrays.

A terminal state must be absorbing (every action leads back to it) and pay no
reward, so "the episode ends there" and "the agent stays there, earning 0 until
T" give the same J. The math only needs the second reading; the gymnasium
adapter :class:`pgbook.envs.TabularEnv` uses the first and reports ``terminated``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .validate import (
    as_array,
    check_distribution,
    check_finite,
    check_generator,
    check_int,
    check_shape,
)

__all__ = ["TabularMDP", "random_mdp"]


@dataclass(frozen=True, eq=False)
class TabularMDP:
    """A finite MDP with S states, A actions and horizon T.

    The arrays are checked and stored as read-only arrays, so an MDP cannot be
    changed by accident after it is built. ``horizon`` is also available as ``T``.

    Parameters
    ----------
    p0 : array
        P(s_0 = s), the start distribution.
    P : array
        P[s, a, s'] = P(s_{t+1} = s' | s_t = s, a_t = a), the dynamics.
    R : array
        R[s, a] = r(s, a), the reward for action a in state s.
    horizon : int
        T, the number of steps t = 0, …, T−1.
    gamma : float
        The discount γ in (0, 1]; 1 (none) unless asked.
    name, description : str
        What to call the MDP when it is printed, and a line about it.
    terminal : bool array, optional
        True for goal states that end an episode: absorbing, and paying 0.

    Shapes
    ------
    p0 : (S,)
        sums to 1
    P : (S, A, S)
        each P[s, a] sums to 1 over s'
    R : (S, A)
        any finite numbers
    terminal : (S,)
        bool; all False when not given
    """

    p0: np.ndarray
    P: np.ndarray
    R: np.ndarray
    horizon: int
    gamma: float = 1.0
    name: str = "TabularMDP"
    description: str = ""
    terminal: np.ndarray | None = None

    def __post_init__(self):
        # the sizes come from the transition table P, shape (S, A, S)
        P = as_array("P", self.P)
        if P.ndim != 3 or P.shape[0] != P.shape[2]:
            raise ValueError(f"P: expected shape (S, A, S) with P[s, a, s'], got shape {P.shape}")
        S, A = P.shape[:2]
        if S == 0 or A == 0:
            raise ValueError(f"P: expected at least one state and one action, got shape {P.shape}")
        p0 = check_shape("p0", as_array("p0", self.p0), (S,))
        R = check_shape("R", as_array("R", self.R), (S, A))
        check_distribution("p0", p0)
        check_distribution("P", P, axis=-1)
        check_finite("R", R)
        horizon = check_int("horizon", self.horizon, minimum=1)
        gamma = self.gamma
        if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
            raise TypeError(f"gamma: expected a number in (0, 1], got {gamma!r}")
        gamma = float(gamma)
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma: expected a number in (0, 1], got {gamma}")
        terminal = self._check_terminal(P, R)
        for attr, value in (("p0", p0), ("P", P), ("R", R), ("terminal", terminal)):
            value = value.copy()
            value.flags.writeable = False
            object.__setattr__(self, attr, value)
        object.__setattr__(self, "horizon", horizon)
        object.__setattr__(self, "gamma", gamma)

    def _check_terminal(self, P: np.ndarray, R: np.ndarray) -> np.ndarray:
        """Terminal states as a bool (S,) array; each must be absorbing and reward-free."""
        S = P.shape[0]
        if self.terminal is None:
            return np.zeros(S, dtype=bool)
        terminal = np.asarray(self.terminal)
        if terminal.dtype != bool:
            raise TypeError(f"terminal: expected a bool array of shape ({S},), got dtype {terminal.dtype}")
        check_shape("terminal", terminal, (S,))
        for s in np.flatnonzero(terminal):
            if not np.allclose(P[s, :, s], 1.0):
                raise ValueError(f"terminal: state {s} is marked terminal but is not absorbing "
                                 f"(P[{s}, a, {s}] must be 1 for every action a)")
            if np.any(R[s] != 0):
                raise ValueError(f"terminal: state {s} is marked terminal but R[{s}] is not 0")
        return terminal

    @property
    def n_states(self) -> int:
        """S."""
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        """A."""
        return self.P.shape[1]

    @property
    def T(self) -> int:
        """The horizon T (the same number as ``horizon``, named as in the math)."""
        return self.horizon

    @property
    def discounts(self) -> np.ndarray:
        """γ^t for t = 0, …, T−1.

        Shapes
        ------
        discounts : (T,)
        """
        return self.gamma ** np.arange(self.horizon)

    def __repr__(self) -> str:
        return (
            f"TabularMDP(name={self.name!r}, n_states={self.n_states}, "
            f"n_actions={self.n_actions}, horizon={self.horizon}, gamma={self.gamma})"
        )


def random_mdp(n_states: int, n_actions: int, horizon: int, rng, gamma: float = 1.0) -> TabularMDP:
    """A random MDP for tests: Dirichlet(1) rows for p0 and P, standard normal rewards.

    Every draw goes through ``rng`` (a numpy Generator), so a seed fixes the MDP.
    """
    rng = check_generator("rng", rng)
    S = check_int("n_states", n_states, minimum=1)
    A = check_int("n_actions", n_actions, minimum=1)
    p0 = rng.dirichlet(np.ones(S))
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.standard_normal((S, A))
    return TabularMDP(
        p0=p0, P=P, R=R, horizon=horizon, gamma=gamma,
        name=f"random_mdp(S={S}, A={A}, T={horizon})",
    )
