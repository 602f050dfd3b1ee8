"""Rolling out π_θ: sample whole episodes from a gymnasium env into a :class:`Batch`.

    s_0 ~ reset,  a_t ~ π_θ(·|s_t),  (s_{t+1}, r_t) ~ env.step(a_t),  until the episode ends

Episodes are run k at a time in a vector env (gymnasium's numpy-vectorized env
where it has one, e.g. CartPole-v1) and written into fixed-shape arrays
(T, N) = (time, episode) with a mask, T being the longest episode in the batch.

Three gymnasium rules shape the code:

* **terminated vs truncated.** Both end an episode. ``terminated`` means the
  MDP reached a terminal state; ``truncated`` means a time limit cut it (the
  env's TimeLimit, or our ``max_steps``). :func:`collect` reports which.
* **the autoreset step.** A gymnasium 1.x vector env in its default
  ``AutoresetMode.NEXT_STEP`` resets a finished sub-env on the *next* call to
  ``step``: that call ignores the action, returns the new episode's first
  observation and a reward of 0. It is not a step of any episode, and is never
  recorded. (``SAME_STEP`` envs reset within the final step; both are handled.)
* **no bias from stopping.** An episode is kept or not at the moment it
  *starts*: the first ``n_episodes`` episodes to start (or those starting
  while the episodes started so far have taken fewer than ``n_steps`` steps)
  are kept, and each is run to its end, however long. Keeping "whichever episodes finished first" would favour
  short episodes, since long ones are still running when we stop.

Episodes appear in the batch in the order they started (ties by sub-env).

Seeding: the env is reset with a seed drawn from ``rng`` at every call (a
VectorEnv passed in is reset too), and actions are drawn from ``rng``, so the
same Generator state gives the same batch, bit for bit.

An env whose episodes never end would keep the loop stepping forever: give
such envs a time limit, or pass ``max_steps``.

Speed: the inner loop is one vector-env step, one batched policy sample
written straight into the action buffer (its noise drawn 64 steps at a time),
and copies into preallocated (step, sub-env) buffers. The loop looks for ended
episodes only once enough steps could have been taken to close the batch.
Episodes are found afterwards from the list of (step, sub-env) pairs where one
ended, and copied into (T, N) with one gather per array.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from .batch import Batch
from .validate import check_generator, check_int

__all__ = ["RolloutInfo", "make_vector_env", "rollout", "rollout_steps", "collect"]

_CHECK_EVERY = 4  # vector steps between looks at which episodes ended


def make_vector_env(env_id: str, num_envs: int = 16) -> VectorEnv:
    """k = ``num_envs`` copies of ``env_id`` stepped together.

    Uses gymnasium's numpy-vectorized env when the id registers one
    (``vector_entry_point``, e.g. CartPole-v1: all k envs in one array
    operation), else a ``SyncVectorEnv`` looping over k ordinary envs.
    """
    num_envs = check_int("num_envs", num_envs, minimum=1)
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as err:
        raise ValueError(f"env: no gymnasium env registered as {env_id!r}") from err
    mode = "vector_entry_point" if spec.vector_entry_point is not None else "sync"
    return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode)


@dataclass(frozen=True)
class RolloutInfo:
    """How each episode of a batch ended, and what the collection cost.

    terminated: (N,) bool  the env reached a terminal state
    truncated:  (N,) bool  a time limit cut the episode (exactly one of the two is True)
    env_steps:  int        every sub-env step simulated, including autoreset
                           steps and episodes started too late to be kept
    """

    terminated: np.ndarray
    truncated: np.ndarray
    env_steps: int


def rollout(env, policy, theta, n_episodes: int, rng, max_steps=None, *, num_envs: int = 16) -> Batch:
    """Exactly ``n_episodes`` complete episodes of π_θ, as a Batch of shape (T, N = n_episodes).

    env: a gymnasium env id (a vector env of min(num_envs, n_episodes) copies is
    made and closed), a ``gymnasium.Env``, or a ``gymnasium.vector.VectorEnv``.
    max_steps: cut episodes after this many steps (counted as truncated unless
    the env terminated at that very step). A sub-env of a vector env runs on,
    unrecorded, to the real end of a cut episode before its next one starts.
    The mask is True exactly at the steps each episode took; T is the longest.
    """
    return collect(env, policy, theta, rng, n_episodes=n_episodes, max_steps=max_steps,
                   num_envs=num_envs)[0]


def rollout_steps(env, policy, theta, n_steps: int, rng, max_steps=None, *, num_envs: int = 16) -> Batch:
    """Complete episodes of π_θ holding at least ``n_steps`` steps in all, as a Batch.

    Episodes keep starting until the ones started hold n_steps steps; then those
    are run to their ends (never cut) and later starts are dropped. So
    mask.sum() ≥ n_steps, exceeding it by less than one episode per sub-env.
    """
    return collect(env, policy, theta, rng, n_steps=n_steps, max_steps=max_steps,
                   num_envs=num_envs)[0]


def collect(env, policy, theta, rng, *, n_episodes=None, n_steps=None, max_steps=None,
            num_envs: int = 16) -> tuple[Batch, RolloutInfo]:
    """:func:`rollout` (given ``n_episodes``) or :func:`rollout_steps` (given ``n_steps``), plus a RolloutInfo."""
    rng = check_generator("rng", rng)
    if (n_episodes is None) == (n_steps is None):
        raise TypeError("collect: give exactly one of n_episodes and n_steps")
    by_steps = n_steps is not None
    budget = check_int("n_steps", n_steps, 1) if by_steps else check_int("n_episodes", n_episodes, 1)
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, minimum=1)
    num_envs = check_int("num_envs", num_envs, minimum=1)

    venv, owned = _as_vector_env(env, num_envs if by_steps else min(num_envs, budget))
    try:
        rule = _Rule(budget, by_steps, venv.num_envs, _autoreset_gap(venv), max_steps)
        stream = _run(venv, policy, theta, rng, rule)
    finally:
        if owned:
            venv.close()
    return _assemble(stream, rule)


# ---------------------------------------------------------------- the env
def _as_vector_env(env, num_envs: int) -> tuple[VectorEnv, bool]:
    """The env as a VectorEnv, and whether we made it (and so must close it)."""
    if isinstance(env, str):
        return make_vector_env(env, num_envs), True
    if isinstance(env, VectorEnv):
        return env, False
    if isinstance(env, gym.Env):
        # One env behind the vector API, so one code path handles its resets too.
        # Not closed by us: the caller owns ``env``.
        return gym.vector.SyncVectorEnv([lambda: env]), False
    raise TypeError(
        "env: expected a gymnasium env id, a gymnasium.Env or a gymnasium.vector.VectorEnv, "
        f"got {type(env).__name__}"
    )


def _autoreset_gap(venv: VectorEnv) -> int:
    """Rows from an episode's last step to the next episode's first step in a sub-env.

    2 for AutoresetMode.NEXT_STEP (the row in between is the unrecorded autoreset
    step), 1 for SAME_STEP (the final step already returned the next first obs).
    """
    mode = venv.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    mode = AutoresetMode(mode) if isinstance(mode, str) else mode
    if mode == AutoresetMode.DISABLED:
        raise ValueError("env: vector envs with autoreset_mode=DISABLED are not supported; "
                         "use the default NEXT_STEP or SAME_STEP")
    return 2 if mode == AutoresetMode.NEXT_STEP else 1


# ---------------------------------------------------------- the sampling loop
@dataclass
class _Stream:
    """What k sub-envs did: row i of each array is vector step i, shapes (rows, k, ...).

    ends_row, ends_env: where an env reported terminated or truncated, in row order.
    """

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    ends_row: np.ndarray
    ends_env: np.ndarray


def _run(venv, policy, theta, rng, rule: "_Rule") -> _Stream:
    """Step every sub-env until every kept episode has ended; return the raw stream."""
    k = venv.num_envs
    obs, _ = venv.reset(seed=int(rng.integers(2**31)))
    # The first draw goes through the checked ``sample`` (a wrong θ or an obs the
    # policy cannot read fails here, with a clear message); later draws skip the checks.
    action = np.asarray(policy.sample(theta, obs, rng))
    draw = _sampler(policy, theta, rng, action.shape)

    cap = 64 if not rule.by_steps else int(1.5 * rule.budget / k) + 2 * _CHECK_EVERY
    bufs = [np.empty((cap,) + obs.shape, obs.dtype), np.empty((cap,) + action.shape, action.dtype),
            np.empty((cap, k)), np.empty((cap, k), bool), np.empty((cap, k), bool)]
    B_obs, B_act, B_rew, B_term, B_trunc = bufs
    B_act[0] = action
    ends_row, ends_env = [], []
    watch = _Watch(rule)
    look_at = watch.first_look   # the next row at which to look for ended episodes
    i = checked = 0
    while True:
        # --- the hot loop: one vector step, one batched policy draw, four row copies
        B_obs[i] = obs
        obs, reward, terminated, truncated, _ = venv.step(B_act[i])
        B_rew[i] = reward
        B_term[i] = terminated
        B_trunc[i] = truncated
        i += 1
        if i >= look_at:
            rows, envs = np.nonzero(B_term[checked:i] | B_trunc[checked:i])  # row-major order
            ends_row.append(rows + checked)
            ends_env.append(envs)
            checked = i
            look_at = watch.next_look(ends_row, ends_env, i)
            if look_at is None:
                break
        if i == cap:  # grow every buffer by doubling
            bufs = [np.concatenate([b, np.empty_like(b)]) for b in bufs]
            B_obs, B_act, B_rew, B_term, B_trunc = bufs
            cap *= 2
        draw(obs, B_act[i])
    return _Stream(B_obs[:i], B_act[:i], B_rew[:i], B_term[:i],
                   np.concatenate(ends_row), np.concatenate(ends_env))


def _sampler(policy, theta, rng, shape):
    """draw(obs, out): a ~ π_θ(·|obs) written into ``out``, by the policy's fast path if it has one."""
    if hasattr(policy, "_sampler"):
        return policy._sampler(theta, rng, shape[:1])  # shape[:1] = (k,), one draw per sub-env

    def draw(obs, out):
        out[...] = policy.sample(theta, obs, rng)

    return draw


# ------------------------------------------------- which episodes to keep
@dataclass(frozen=True)
class _Rule:
    """Which episodes to keep: decided when each episode starts, never by how it goes.

    by episodes: the first ``budget`` episodes to start, in order of start
    (ties within one vector step broken by sub-env index).
    by steps: every episode starting while the episodes started so far have
    taken fewer than ``budget`` steps in all.
    """

    budget: int
    by_steps: bool
    k: int
    gap: int
    max_steps: int | None


@dataclass
class _Episodes:
    """Every episode begun in the stream's first n_rows rows, one entry each.

    env, start: the sub-env and row of its first step
    length:     its steps so far (at most max_steps)
    ended:      it has ended (by the env, or by reaching max_steps)
    end_row:    the row of its last step, if ended
    """

    env: np.ndarray
    start: np.ndarray
    length: np.ndarray
    ended: np.ndarray
    end_row: np.ndarray


def _episodes(ends_row, ends_env, n_rows: int, rule: _Rule) -> _Episodes:
    """Cut each sub-env's row sequence into episodes, from the rows where the env said "done".

    In sub-env j, episode 0 starts at row 0, and each end at row d starts the
    next episode at row d + gap. One episode per sub-env may still be running.
    """
    order = np.argsort(ends_env, kind="stable")  # sub-env by sub-env, rows ascending
    env_d, row_d = ends_env[order], ends_row[order]
    first = np.ones(env_d.size, bool)
    first[1:] = env_d[1:] != env_d[:-1]  # the first end in its sub-env
    start_d = np.where(first, 0, np.concatenate([[0], row_d[:-1] + rule.gap]))
    # the episode each sub-env is running now (or is about to start)
    last_end = np.full(rule.k, -rule.gap)
    last_end[env_d] = row_d  # fancy assignment keeps the last, i.e. latest, end per sub-env
    run_start = last_end + rule.gap
    running = np.nonzero(run_start < n_rows)[0]

    env = np.concatenate([env_d, running])
    start = np.concatenate([start_d, run_start[running]])
    end_row = np.concatenate([row_d, np.full(running.size, n_rows - 1)])
    ended = np.concatenate([np.ones(env_d.size, bool), np.zeros(running.size, bool)])
    length = end_row - start + 1
    if rule.max_steps is not None:  # an episode reaching max_steps ends there
        cut = length >= rule.max_steps
        ended |= cut
        length = np.minimum(length, rule.max_steps)
        end_row = start + length - 1
    return _Episodes(env, start, length, ended, end_row)


def _keep(ep: _Episodes, n_rows: int, rule: _Rule) -> tuple[np.ndarray, bool]:
    """Which of ``ep`` the rule keeps, and whether it is closed (no later episode can be kept)."""
    if rule.by_steps:
        # steps taken in rows before r, by all episodes: a difference array over rows
        delta = (np.bincount(ep.start, minlength=n_rows + 1)
                 - np.bincount(ep.start + ep.length, minlength=n_rows + 1))  # +1 at starts, −1 after ends
        per_row = np.cumsum(delta)[:n_rows]
        before = np.concatenate([[0], np.cumsum(per_row)])  # before[r] = steps in rows < r
        return before[ep.start] < rule.budget, bool(before[-1] >= rule.budget)
    rank = np.empty(ep.env.size, np.int64)
    rank[np.lexsort((ep.env, ep.start))] = np.arange(ep.env.size)  # order of start, then sub-env
    return rank < rule.budget, ep.env.size >= rule.budget


class _Watch:
    """Decides when the run can stop: closed (no later episode can be kept) and every kept episode ended.

    Looking costs a scan of the rows since the last look, so the loop looks
    only when the run could have stopped: not before enough rows for the
    budget (each row adds at most k steps and starts at most k episodes), and
    then every ``_CHECK_EVERY`` rows.
    """

    def __init__(self, rule: _Rule):
        self.rule = rule
        self.n_ends = 0
        self.waiting = None   # after closing: (k,) bool, sub-envs whose kept episode still runs
        self.deadline = None  # ... and the row at which max_steps would end it
        self.first_look = self._rows_to(rule.budget, 0)

    def _rows_to(self, missing: int, n_rows: int) -> int:
        """The first row worth a look when ``missing`` steps (or episodes) are still to start."""
        return n_rows + max(_CHECK_EVERY, -(-missing // self.rule.k))  # ⌈missing / k⌉ rows at least

    def next_look(self, ends_row, ends_env, n_rows: int) -> int | None:
        """None if the run can stop after ``n_rows`` rows, else the row at which to look again.

        ends_row, ends_env: lists of arrays, the last holding the ends since the previous look.
        """
        rule = self.rule
        self.n_ends += ends_row[-1].size
        if self.waiting is None:
            # Is the rule closed yet? Count cheaply from the ends alone: an end at
            # row r starts an episode at row r + gap and (NEXT_STEP) leaves one
            # autoreset row after it. (With max_steps, rows past the cut don't
            # count, so by steps this is an upper bound; _keep below decides.)
            late = int(np.count_nonzero(ends_row[-1] > n_rows - 1 - rule.gap))
            if rule.by_steps:
                last_row = int(np.count_nonzero(ends_row[-1] == n_rows - 1))
                used = n_rows * rule.k - (rule.gap - 1) * (self.n_ends - last_row)
            else:
                used = rule.k + self.n_ends - late  # episodes started so far
            if used < rule.budget:
                return self._rows_to(rule.budget - used, n_rows)
            ep = _episodes(np.concatenate(ends_row), np.concatenate(ends_env), n_rows, rule)
            keep, closed = _keep(ep, n_rows, rule)
            if not closed:
                return n_rows + _CHECK_EVERY
            pending = keep & ~ep.ended  # at most one per sub-env: the one it runs now
            self.waiting = np.zeros(rule.k, bool)
            self.waiting[ep.env[pending]] = True
            self.deadline = np.full(rule.k, np.iinfo(np.int64).max)
            if rule.max_steps is not None:
                self.deadline[ep.env[pending]] = ep.start[pending] + rule.max_steps
        else:
            self.waiting[ends_env[-1]] = False  # the next end in a sub-env ends its kept episode
            self.waiting &= n_rows < self.deadline
        return n_rows + _CHECK_EVERY if self.waiting.any() else None


# ---------------------------------------------------- stream → (T, N) batch
def _assemble(stream: _Stream, rule: _Rule) -> tuple[Batch, RolloutInfo]:
    """Find the kept episodes and copy their steps into (T, N) arrays with a mask.

    Episodes are numbered in order of start (then sub-env). Step t of episode n,
    which started at row s in sub-env j, is row s + t, column j of the stream;
    one gather per array copies them all.
    """
    rows, k = stream.rewards.shape
    ep = _episodes(stream.ends_row, stream.ends_env, rows, rule)
    keep, _ = _keep(ep, rows, rule)
    order = np.lexsort((ep.env[keep], ep.start[keep]))  # by start, then sub-env
    env, start, length, end_row = (x[keep][order] for x in (ep.env, ep.start, ep.length, ep.end_row))
    N, T = env.size, int(length.max())

    mask = np.arange(T)[:, None] < length[None, :]  # (T, N): True at the steps episode n took
    # Every kept step in (T, N) order, so the writes below go forward through memory.
    dst = np.flatnonzero(mask)         # flat index t·N + n into the (T, N) batch
    t, n = np.divmod(dst, N)
    src = (start * k + env)[n] + t * k  # flat index (s_n + t)·k + j_n into the (rows, k) stream

    def gather(x):
        """x: (rows, k, ...) → (T, N, ...), zeros at the steps no episode took."""
        flat = np.ascontiguousarray(x).reshape(rows * k, -1)
        # Move each (row, sub-env) entry as one opaque block of bytes: a 1-D gather
        # of np.void items is several times faster than gathering rows of a 2-D array.
        item = np.dtype((np.void, flat.shape[1] * flat.itemsize))
        out = np.zeros((T * N, flat.shape[1]), x.dtype)
        out.view(item).reshape(-1)[dst] = flat.view(item).reshape(-1)[src]
        return out.reshape((T, N) + x.shape[2:])

    # terminated: the env said so at the last kept step (False when max_steps cut it)
    terminated = stream.terminated[end_row, env]
    info = RolloutInfo(terminated=terminated, truncated=~terminated, env_steps=rows * k)
    batch = Batch(obs=gather(stream.obs), actions=gather(stream.actions),
                  rewards=gather(stream.rewards), mask=mask)
    return batch, info
