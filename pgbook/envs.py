"""A few small classic MDPs, and a gymnasium adapter to sample any tabular MDP.

Each MDP is a function returning a :class:`pgbook.mdp.TabularMDP`, so the exact
oracle (``pgbook.exact``) applies to it, and :class:`TabularEnv` wraps it as a
``gymnasium.Env`` so the same MDP can be sampled through gymnasium's API:

    two_state_mdp()         2 states, 2 actions: earn now or invest for later
    corridor()              Sutton & Barto's short corridor with switched actions
    gridworld()             Sutton & Barto's 4×4 gridworld, reward −1 per step

Importing this module also registers ``pgbook/TwoState-v0``,
``pgbook/Corridor-v0`` and ``pgbook/Gridworld-v0`` with gymnasium, so
``gymnasium.make("pgbook/Corridor-v0")`` works (keyword arguments go to the MDP
function).

Reference: Sutton, R. S., & Barto, A. G. (2018). *Reinforcement Learning: An
Introduction* (2nd ed.). MIT Press. http://incompleteideas.net/book/the-book-2nd.html
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces

from .mdp import TabularMDP
from .validate import check_int

__all__ = ["two_state_mdp", "corridor", "gridworld", "TabularEnv"]


def two_state_mdp(horizon: int = 5) -> TabularMDP:
    """A machine that can be run (earn now) or serviced (earn more later).

    ## Description
    Two states, two actions, and one trade-off: running a worn machine pays a
    little at once, servicing it pays nothing now but makes later runs pay
    double. Which is better depends on how many steps are left: in the worn
    state the optimal action is to run when one or two steps remain, and to
    service when three or more do. So the best policy changes with the horizon T.

    ## States
    | s | meaning |
    |---|---------|
    | 0 | worn    |
    | 1 | tuned   |

    ## Actions
    | a | meaning |
    |---|---------|
    | 0 | run     |
    | 1 | service |

    ## Transitions and rewards
    | s, a            | r(s,a) | next state                    |
    |-----------------|--------|-------------------------------|
    | worn, run       | +1     | worn                          |
    | worn, service   | 0      | tuned w.p. 0.9, worn w.p. 0.1 |
    | tuned, run      | +2     | tuned w.p. 0.8, worn w.p. 0.2 |
    | tuned, service  | 0      | tuned                         |

    ## Starting state
    Always worn (s_0 = 0).

    ## Horizon
    ``horizon`` steps (default 5), no discount, no terminal state.

    ## Source
    Ours, made for this book. The story is the trade-off of the recycling robot
    of Sutton & Barto (2018), Example 3.3, cut down to two actions in both states.
    """
    P = np.zeros((2, 2, 2))
    P[0, 0] = [1.0, 0.0]
    P[0, 1] = [0.1, 0.9]
    P[1, 0] = [0.2, 0.8]
    P[1, 1] = [0.0, 1.0]
    R = np.array([[1.0, 0.0], [2.0, 0.0]])
    return TabularMDP(
        p0=np.array([1.0, 0.0]), P=P, R=R, horizon=horizon, name="two_state_mdp",
        description="a machine that can be run (earn now) or serviced (earn more later)",
    )


def corridor(horizon: int = 50, n: int = 3) -> TabularMDP:
    """The short corridor with switched actions of Sutton & Barto (2018), Example 13.1.

    ## Description
    A corridor of ``n`` cells (3 in the book) followed by a goal G. Actions
    move left or right, except in cell 1 where they are switched: "right" moves
    left and "left" moves right. Sutton & Barto's agent sees every cell as the
    same (its features are x(s, right) = [1, 0], x(s, left) = [0, 1] for all s),
    so it can only choose one probability p of "right" for all cells. The best
    such p is about 0.59 (value about −11.6 from the start): a stochastic policy
    beats both deterministic ones, whose episodes never end.

    **State aliasing.** A tabular policy over the true cells, ``TabularSoftmax(n + 1, 2)``,
    sees more than the book's agent and simply learns to go right, right-switched,
    right (3 steps, value −3). To reproduce the book's agent, give the policy one
    shared row of logits: ``TabularSoftmax(n + 1, 2, observe=np.zeros(n + 1, int))``.

    ## States
    | s      | meaning                                                |
    |--------|--------------------------------------------------------|
    | 0      | start cell (left end; "left" bumps into the wall)      |
    | 1      | the switched cell                                      |
    | 2..n−1 | ordinary cells                                         |
    | n      | the goal G, terminal (absorbing, reward 0)             |

    ## Actions
    | a | meaning |
    |---|---------|
    | 0 | left    |
    | 1 | right   |

    ## Transitions
    Deterministic. From cell s < n, "right" goes to s + 1 and "left" to
    max(s − 1, 0), except in cell 1 where the two are swapped. G stays G.

    ## Rewards
    −1 for every step taken outside G (so the return is minus the number of
    steps to reach G, capped at the horizon).

    ## Starting state
    Cell 0.

    ## Horizon
    Sutton & Barto's episodes last until G is reached. Here they are cut at
    ``horizon`` steps (default 50), needed for a finite-horizon objective; with
    p = 0.59 fewer than 1% of episodes last longer than 50 steps, so the optimum
    barely moves (the exact oracle gives p ≈ 0.586 and J ≈ −11.60 at T = 50,
    against −11.66 = −(6 + 4√2) with no cut-off). Reaching G ends the episode (``terminated`` in
    :class:`TabularEnv`); in the math the agent stays in G earning 0.

    ## Source
    Sutton & Barto (2018), *Reinforcement Learning: An Introduction*, 2nd ed.,
    Example 13.1 (Short corridor with switched actions), in chapter 13.
    """
    n = check_int("n", n, minimum=2)
    S, G, LEFT, RIGHT = n + 1, n, 0, 1
    P = np.zeros((S, 2, S))
    for s in range(n):
        left, right = max(s - 1, 0), s + 1
        if s == 1:  # the switched cell
            left, right = right, left
        P[s, LEFT, left] = 1.0
        P[s, RIGHT, right] = 1.0
    P[G, :, G] = 1.0
    R = np.full((S, 2), -1.0)
    R[G] = 0.0
    p0 = np.zeros(S)
    p0[0] = 1.0
    terminal = np.zeros(S, dtype=bool)
    terminal[G] = True
    return TabularMDP(
        p0=p0, P=P, R=R, horizon=horizon, name="corridor",
        description="Sutton & Barto (2018) Example 13.1, short corridor with switched actions",
        terminal=terminal,
    )


def gridworld(size: int = 4, horizon: int = 20) -> TabularMDP:
    """The gridworld of Sutton & Barto (2018), Example 4.1: walk to a corner, −1 per step.

    ## Description
    A ``size`` × ``size`` grid (4 × 4 in the book). The top-left and
    bottom-right corners are terminal; every step elsewhere costs −1, so the
    return is minus the number of steps to reach a corner.

    ## States
    Cell (row, col) is state s = row·size + col (row 0 at the top). States 0 and
    size² − 1 are the terminal corners. (The book treats them as one terminal
    state drawn twice; two absorbing states give the same values.)

    ## Actions
    | a | meaning |
    |---|---------|
    | 0 | up      |
    | 1 | down    |
    | 2 | right   |
    | 3 | left    |

    ## Transitions
    Deterministic moves; an action that would leave the grid leaves the state
    unchanged. The corners are absorbing.

    ## Rewards
    −1 on every step taken from a non-terminal cell, 0 in the corners.

    ## Starting state
    Uniform over the size² − 2 non-terminal cells (the book's example is a
    planning problem with no start state).

    ## Horizon
    ``horizon`` steps (default 20), no discount; reaching a corner ends the
    episode (``terminated`` in :class:`TabularEnv`).

    ## Source
    Sutton & Barto (2018), *Reinforcement Learning: An Introduction*, 2nd ed.,
    Example 4.1, in chapter 4 (dynamic programming).
    """
    size = check_int("size", size, minimum=2)
    S = size * size
    moves = [(-1, 0), (1, 0), (0, 1), (0, -1)]  # up, down, right, left as (d_row, d_col)
    P = np.zeros((S, 4, S))
    terminal = np.zeros(S, dtype=bool)
    terminal[[0, S - 1]] = True
    for s in range(S):
        row, col = divmod(s, size)
        for a, (dr, dc) in enumerate(moves):
            r2, c2 = row + dr, col + dc
            inside = 0 <= r2 < size and 0 <= c2 < size
            nxt = s if terminal[s] or not inside else r2 * size + c2
            P[s, a, nxt] = 1.0
    R = np.where(terminal[:, None], 0.0, -1.0) * np.ones((S, 4))
    p0 = np.where(terminal, 0.0, 1.0 / (S - 2))
    return TabularMDP(
        p0=p0, P=P, R=R, horizon=horizon, name=f"gridworld({size}x{size})",
        description="Sutton & Barto (2018) Example 4.1, gridworld with two terminal corners",
        terminal=terminal,
    )


class TabularEnv(gymnasium.Env):
    """A :class:`pgbook.mdp.TabularMDP` as a ``gymnasium.Env``.

    ## Action Space
    ``Discrete(A)``: the MDP's actions 0, …, A−1.

    ## Observation Space
    ``Discrete(S)``: the index of the current state s_t.

    ## Rewards
    ``step(a)`` in state s returns r(s, a) from the MDP (undiscounted: the
    discount γ belongs to the objective, not to the environment).

    ## Starting State
    s_0 ~ p0, drawn with ``self.np_random``, seeded by ``reset(seed=...)``.

    ## Episode End
    * ``terminated`` is True when the next state is one of the MDP's terminal
      states (an absorbing goal);
    * ``truncated`` is True after T steps (the horizon) if not terminated first.

    So an episode yields the same rewards r_0, …, r_{T−1} as a trajectory of the
    MDP, with the steps after a terminal state (all zero reward) left out.

    ## Arguments
    * ``mdp``: the TabularMDP to simulate.
    * ``render_mode``: only ``None`` (these MDPs are tables, not pictures).
    """

    metadata = {"render_modes": []}

    def __init__(self, mdp: TabularMDP, render_mode=None):
        if not isinstance(mdp, TabularMDP):
            raise TypeError(f"mdp: expected a pgbook.mdp.TabularMDP, got {type(mdp).__name__}")
        if render_mode is not None:
            raise ValueError(f"render_mode: expected None (TabularEnv does not render), got {render_mode!r}")
        self.mdp = mdp
        self.render_mode = None
        self.observation_space = spaces.Discrete(mdp.n_states)
        self.action_space = spaces.Discrete(mdp.n_actions)
        self._cdf_p0 = np.cumsum(mdp.p0)
        self._cdf_P = np.cumsum(mdp.P, axis=-1)
        self._state = None
        self._t = 0

    def _draw(self, cdf: np.ndarray) -> int:
        """An index drawn from the distribution with cumulative sums ``cdf``."""
        return int(min(np.searchsorted(cdf, self.np_random.random(), side="right"), cdf.size - 1))

    def reset(self, *, seed=None, options=None):
        """Start an episode: s_0 ~ p0. Returns (s_0, info)."""
        super().reset(seed=seed)
        self._state = self._draw(self._cdf_p0)
        self._t = 0
        return self._state, {"t": 0}

    def step(self, action):
        """Take a_t in s_t: returns (s_{t+1}, r(s_t, a_t), terminated, truncated, info)."""
        if self._state is None:
            raise RuntimeError("step: call reset() before the first step and after an episode ends")
        if not self.action_space.contains(action):
            raise ValueError(f"action: expected an integer in [0, {self.mdp.n_actions}), got {action!r}")
        s, a = self._state, int(action)
        reward = float(self.mdp.R[s, a])
        nxt = self._draw(self._cdf_P[s, a])
        self._t += 1
        terminated = bool(self.mdp.terminal[nxt])
        truncated = self._t >= self.mdp.horizon and not terminated
        self._state = None if (terminated or truncated) else nxt
        return nxt, reward, terminated, truncated, {"t": self._t}


def _make(mdp_function):
    """An entry point for gymnasium.make: keyword arguments go to the MDP function."""

    def make(render_mode=None, **kwargs):
        return TabularEnv(mdp_function(**kwargs), render_mode=render_mode)

    make.__name__ = f"make_{mdp_function.__name__}"
    return make


make_two_state = _make(two_state_mdp)
make_corridor = _make(corridor)
make_gridworld = _make(gridworld)

for _id, _entry in (
    ("pgbook/TwoState-v0", "pgbook.envs:make_two_state"),
    ("pgbook/Corridor-v0", "pgbook.envs:make_corridor"),
    ("pgbook/Gridworld-v0", "pgbook.envs:make_gridworld"),
):
    if _id not in gymnasium.registry:  # importing twice (e.g. a reload) must not warn
        gymnasium.register(id=_id, entry_point=_entry)
