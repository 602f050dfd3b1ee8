"""The classic MDPs and the gymnasium adapter."""

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from pgbook import exact
from pgbook.envs import TabularEnv, corridor, gridworld, two_state_mdp
from pgbook.policies import TabularSoftmax

MDPS = [two_state_mdp, corridor, gridworld]
IDS = ["pgbook/TwoState-v0", "pgbook/Corridor-v0", "pgbook/Gridworld-v0"]


@pytest.mark.parametrize("make_mdp", MDPS)
def test_env_checker_passes_on_the_plain_env(make_mdp):
    # built directly, the env has no spec, so gymnasium cannot re-make it to test
    # render modes (it warns); that one check runs on the registered ids below
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(TabularEnv(make_mdp()), skip_render_check=True)


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("disable_env_checker", [False, True])
def test_env_checker_passes_on_registered_envs(env_id, disable_env_checker):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gymnasium.make(env_id, disable_env_checker=disable_env_checker)
        check_env(env.unwrapped)
        # whole episodes through the wrappers (incl. the passive checker) warn about nothing
        env.reset(seed=0)
        for _ in range(2):
            done = False
            while not done:
                _, _, terminated, truncated, _ = env.step(env.action_space.sample())
                done = terminated or truncated
            env.reset()
        env.close()


def rollout(env, policy, theta, n, rng, seed):
    """n episodes through the gymnasium API; returns their (undiscounted) returns and states."""
    returns, paths = [], []
    for i in range(n):
        s, _ = env.reset(seed=seed + i)
        total, path, done = 0.0, [s], False
        while not done:
            a = int(policy.sample(theta, np.array(s), rng))
            s, r, terminated, truncated, _ = env.step(a)
            total += r
            path.append(s)
            done = terminated or truncated
        returns.append(total)
        paths.append(path)
    return np.array(returns), paths


def test_same_seed_same_trajectories():
    env = TabularEnv(gridworld(horizon=8))
    policy = TabularSoftmax(16, 4)
    a = rollout(env, policy, np.zeros(64), 20, np.random.default_rng(1), seed=5)
    b = rollout(env, policy, np.zeros(64), 20, np.random.default_rng(1), seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]


@pytest.mark.parametrize(
    "mdp, policy",
    [
        (two_state_mdp(), TabularSoftmax(2, 2)),
        (corridor(horizon=12), TabularSoftmax(4, 2, observe=np.zeros(4, dtype=int))),
        (gridworld(size=3, horizon=6), TabularSoftmax(9, 4)),
    ],
    ids=["two_state", "corridor_aliased", "gridworld3"],
)
def test_returns_through_gymnasium_match_exact_J(mdp, policy):
    rng = np.random.default_rng(3)
    theta = rng.standard_normal(policy.n_params) * 0.5
    returns, paths = rollout(TabularEnv(mdp), policy, theta, 3000, rng, seed=100)
    se = returns.std(ddof=1) / np.sqrt(returns.size)
    assert abs(returns.mean() - exact.objective(mdp, policy, theta)) <= 4 * se
    assert max(len(p) for p in paths) <= mdp.T + 1  # never more than T steps


def test_corridor_matches_sutton_barto():
    """Long horizon: J(p) equals the linear-equation value of the book's corridor, best p ≈ 0.59."""
    mdp = corridor(horizon=1000)
    policy = TabularSoftmax(4, 2, observe=np.zeros(4, dtype=int))
    ps = np.linspace(0.3, 0.9, 61)
    J = np.array([exact.objective(mdp, policy, np.array([0.0, np.log(p / (1 - p))])) for p in ps])
    for p, j in zip(ps[::10], J[::10]):
        # v = −1 + M v for the three cells (p = P(right)); cell 1 is switched
        M = np.array([[1 - p, p, 0], [p, 0, 1 - p], [0, 1 - p, 0]])
        v = np.linalg.solve(np.eye(3) - M, -np.ones(3))
        assert j == pytest.approx(v[0], rel=1e-6)
    assert abs(ps[np.argmax(J)] - 0.59) <= 0.011  # Sutton & Barto (2018), Example 13.1
    assert J.max() == pytest.approx(-11.6, abs=0.1)
    # seen as true states, the corridor is easy: right, (switched) left, right
    tabular = TabularSoftmax(4, 2)
    theta = np.array([-20, 20, 20, -20, -20, 20, 0, 0.0])
    assert exact.objective(mdp, tabular, theta) == pytest.approx(-3.0, abs=1e-6)


def test_gridworld_random_policy_values_match_sutton_barto_figure_4_1():
    mdp = gridworld(size=4, horizon=1000)
    V = exact.state_values(mdp, TabularSoftmax(16, 4), np.zeros(64))[0].reshape(4, 4)
    book = np.array([[0, -14, -20, -22], [-14, -18, -20, -20],
                     [-20, -20, -18, -14], [-22, -20, -14, 0]])
    np.testing.assert_allclose(V, book, atol=1e-6)


def test_two_state_mdp_best_action_depends_on_the_steps_left():
    """Optimal Q* by backward induction with a max: run when 1–2 steps are left, else service."""
    mdp = two_state_mdp(horizon=5)
    V = np.zeros(2)
    best_in_worn = []
    for t in range(mdp.T - 1, -1, -1):
        Q = mdp.R + mdp.P @ V
        V = Q.max(axis=1)
        best_in_worn.append(int(Q[0].argmax()))
    assert best_in_worn[::-1] == [1, 1, 1, 0, 0]  # t = 0..4: service, service, service, run, run


def test_env_refuses_misuse():
    env = TabularEnv(two_state_mdp())
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(5)
    with pytest.raises(ValueError, match="render_mode"):
        TabularEnv(two_state_mdp(), render_mode="human")
