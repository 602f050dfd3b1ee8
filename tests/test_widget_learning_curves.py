"""Widget 5 (learning curves) and chapter 5's helpers in ``pgbook.variance_reduction``.

* The helpers against the exact oracle: every estimator of the chapter has mean
  ∇J(θ) exactly; the pairs ψ_t r_t' have zero expectation for t' < t;
  E[G_t | s_t, a_t] by enumeration is Q_t; a tabular REINFORCE run records the
  exact J of its parameters.
* Training runs: deterministic for a seed, cached by their settings, and a
  callback returning False stops them.
* Static page: the widget holds the grid only (the live panel is made on first
  use), and each frame's text alternative states the runs it shows.
* Live kernel (nbclient): moving the grid's controls draws the new state from
  runs with the new (α, N); ``run`` redraws the live figure at least once per
  iteration and keeps earlier runs overlaid; the Stop button stops a run
  started in the background.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_in_kernel

from pgbook import exact
from pgbook import variance_reduction as vr
from pgbook.envs import gridworld, two_state_mdp
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax
from pgbook.widgets import learning_curves as lc


def _setup(S=3, A=2, T=3, seed=0, gamma=1.0):
    mdp = random_mdp(S, A, T, np.random.default_rng(seed), gamma=gamma)
    policy = TabularSoftmax(S, A)
    theta = np.random.default_rng(seed + 1).standard_normal(policy.n_params)
    return mdp, policy, theta


# ------------------------------------------------------------- the helpers
@pytest.mark.parametrize("gamma", [1.0, 0.7])
@pytest.mark.parametrize("name", vr.ESTIMATORS)
def test_every_estimator_is_unbiased_exactly(name, gamma):
    mdp, policy, theta = _setup(gamma=gamma)
    moments = vr.estimator_moments(name, mdp, policy, theta)
    assert np.allclose(moments.mean, exact.exact_gradient(mdp, policy, theta), atol=1e-12)


def test_sampled_estimate_matches_the_exact_mean():
    mdp, policy, theta = _setup(seed=3)
    batch = exact.sample_trajectories(mdp, policy, theta, 4000, np.random.default_rng(7))
    grad = exact.exact_gradient(mdp, policy, theta)
    for name in vr.ESTIMATORS:
        est = vr.estimate(name, batch, mdp, policy, theta)
        assert est.terms.shape == (4000, policy.n_params)
        assert np.all(np.abs(est.gradient - grad) <= 5 * est.stderr + 1e-12), name


def test_causality_pairs_vanish_below_the_diagonal():
    mdp, policy, theta = _setup(T=4, seed=5)
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    pairs = vr.score_reward_terms(enum.as_batch(), policy, theta)
    assert pairs.shape == (enum.n_trajectories, 4, 4, policy.n_params)
    expected = np.einsum("k,ktup->tup", enum.probs, pairs)
    assert np.allclose(expected[np.tril_indices(4, k=-1)], 0.0, atol=1e-12)
    assert np.linalg.norm(expected[np.triu_indices(4)], axis=-1).min() > 1e-4
    assert np.allclose(expected.sum(axis=(0, 1)), exact.exact_gradient(mdp, policy, theta))


@pytest.mark.parametrize("gamma", [1.0, 0.5])
def test_conditional_reward_to_go_is_q(gamma):
    mdp, policy, theta = _setup(S=3, A=2, T=4, seed=2, gamma=gamma)
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    cq = vr.conditional_reward_to_go(enum, mdp.n_states, mdp.n_actions)
    assert not np.isnan(cq).any()  # random_mdp has no zeros: every (t, s, a) can happen
    assert np.allclose(cq, exact.q_values(mdp, policy, theta))


def test_conditional_reward_to_go_is_nan_where_impossible():
    mdp = two_state_mdp(horizon=3)  # always starts worn: (t=0, s=tuned) cannot happen
    policy = TabularSoftmax(2, 2)
    enum = exact.enumerate_trajectories(mdp, policy, np.zeros(4))
    cq = vr.conditional_reward_to_go(enum, 2, 2)
    assert np.isnan(cq[0, 1]).all() and not np.isnan(cq[1:]).any()


def test_oracle_baselines():
    mdp, policy, theta = _setup(seed=4)
    o = vr.oracle_baselines(mdp, policy, theta)
    # E[G_t] by enumeration
    enum = exact.enumerate_trajectories(mdp, policy, theta)
    togo = np.cumsum(enum.rewards[:, ::-1], axis=1)[:, ::-1]
    assert np.allclose(o.time, enum.probs @ togo)
    assert o.constant == pytest.approx(o.time.mean())
    assert np.allclose((policy.probs(theta)[None] * o.A).sum(axis=2), 0.0)  # E_a[A] = 0


def test_variance_table_agrees_with_exact():
    mdp, policy, theta = _setup(seed=6)
    table = vr.variance_table(mdp, policy, theta, 3000, np.random.default_rng(0))
    assert table["estimator"] == list(vr.ESTIMATORS)
    ex, sa, se = (np.array(table[k]) for k in ("exact", "sampled", "stderr"))
    assert np.all(np.abs(sa - ex) <= 5 * se)
    assert max(table["bias"]) < 1e-12


def test_tabular_reinforce_records_exact_objective():
    mdp = gridworld(size=3, horizon=8)
    policy = TabularSoftmax(mdp.n_states, mdp.n_actions)
    seen = []
    curve = vr.tabular_reinforce(mdp, policy, policy.init_theta(), "exact advantage", lr=0.5,
                                 n_episodes=4, iterations=10, rng=np.random.default_rng(0),
                                 callback=lambda c: seen.append(c.iterations))
    assert curve.iterations == 10 and seen == list(range(1, 11))
    assert curve.objective.shape == (11,)
    assert curve.objective[0] == pytest.approx(exact.objective(mdp, policy, policy.init_theta()))
    assert curve.objective[-1] == pytest.approx(exact.objective(mdp, policy, curve.theta))
    assert curve.objective[-1] > curve.objective[0]
    stopped = vr.tabular_reinforce(mdp, policy, policy.init_theta(), "total return", lr=0.5,
                                   n_episodes=2, iterations=10, rng=np.random.default_rng(0),
                                   callback=lambda c: c.iterations < 3)
    assert stopped.iterations == 3


def test_unknown_estimator_is_refused():
    mdp, policy, theta = _setup()
    with pytest.raises(ValueError, match="estimator"):
        vr.estimator_moments("reward to go", mdp, policy, theta)
    with pytest.raises(ValueError, match="estimator"):
        lc.train("CartPole-v1", "exact Q", 0.1, 5)


# ------------------------------------------------------------- training runs
def test_tabular_runs_are_deterministic_and_cached():
    mdp = gridworld(size=3, horizon=8)
    a = lc.train(mdp, "reward-to-go", 0.5, 2, seed=1, budget=5)
    assert lc.train(mdp, "reward-to-go", 0.5, 2, seed=1, budget=5) is a
    lc._CACHE.clear()
    b = lc.train(mdp, "reward-to-go", 0.5, 2, seed=1, budget=5)
    assert b is not a and np.array_equal(a.y, b.y)
    assert a.iterations == 5 and a.x.tolist() == list(range(6))
    c = lc.train(mdp, "reward-to-go", 0.5, 2, seed=2, budget=5)
    assert not np.array_equal(a.y, c.y)


def test_cartpole_run_respects_its_budget_and_callback():
    run = lc.train("CartPole-v1", "reward-to-go, batch baseline", 0.1, 5, seed=0, budget=1500)
    assert run.x[-1] >= 1500 and run.x[-2] < 1500  # stops at the first batch past the budget
    assert np.all(np.diff(run.x) > 0) and len(run.y) == run.iterations
    calls = []
    stopped = lc.train("CartPole-v1", "total return", 0.1, 5, seed=9, budget=10**6,
                       callback=lambda r: calls.append(r.iterations) or r.iterations < 2)
    assert stopped.stopped and stopped.iterations == 2 and calls == [1, 2]


def test_cartpole_baseline_is_named_batch_baseline():
    # on CartPole the baseline is the leave-one-out batch mean, not the exact time baseline
    assert "reward-to-go, batch baseline" in lc.CARTPOLE_ESTIMATORS
    assert "reward-to-go, time baseline" not in lc.CARTPOLE_ESTIMATORS
    assert lc.COLORS["reward-to-go, batch baseline"] != lc.COLORS["reward-to-go, time baseline"]
    # the old name still works on a gymnasium env, as an alias sharing the cache
    new = lc.train("CartPole-v1", "reward-to-go, batch baseline", 0.1, 5, seed=0, budget=1500)
    old = lc.train("CartPole-v1", "reward-to-go, time baseline", 0.1, 5, seed=0, budget=1500)
    assert old is new and new.estimator == "reward-to-go, batch baseline"
    w = lc.learning_curves("CartPole-v1", precompute=False, live=False,
                           estimators=["reward-to-go, time baseline"])
    assert w.estimators == ("reward-to-go, batch baseline",)


def test_comparison_figure_has_one_line_per_estimator():
    mdp = gridworld(size=3, horizon=8)
    fig = lc.draw_comparison(mdp, 0.5, 2, budget=5)
    assert len(fig.axes[0].lines) == len(lc.TABULAR_ESTIMATORS)


def test_static_widget_holds_no_live_panel_and_describes_its_frames():
    """A static page shows the grid only: no empty live image, no buttons without a kernel.

    (An empty Image in the saved widget state is not a PNG, and _ext/widget_frames.py
    refuses it.) Each grid frame's text alternative states the runs' final values.
    """
    import ipywidgets as widgets

    def shown(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from shown(child)

    mdp = gridworld(size=3, horizon=8)
    w = lc.learning_curves(mdp, precompute=True, live=False, budget=4,
                           learning_rates=[0.5], batch_sizes=[2])
    made = list(shown(w.widget))
    images = [m for m in made if isinstance(m, widgets.Image)]
    assert w._panel is None and not any(isinstance(m, widgets.Button) for m in made)
    assert len(images) == 1 and images[0].value[:8] == b"\x89PNG\r\n\x1a\n"
    runs = w.last_drawn[1]
    for run in runs:
        assert f"{run.estimator} {run.y[-1]:.1f}" in images[0].tooltip
    assert "α = 0.5, N = 2" in images[0].tooltip
    assert w.run_button.description == "Run" and w._panel is not None  # made on first use


# ------------------------------------------------------------- live kernel
LIVE = r"""
import time
import numpy as np
from pgbook.widgets.learning_curves import learning_curves

w = learning_curves("CartPole-v1", precompute=False, live=True, budget=1500)
drawn = [[bool(im.value) for im in row] for row in w.grid.images]
assert sum(map(sum, drawn)) == 1 and drawn[1][1]          # only the initial state
assert w.last_drawn[0] == (0.1, 20)

# move both grid controls: the new state is drawn, from runs with the new (α, N)
w.grid.outer_control.index = 0
w.grid.inner_control.index = 0
assert w.grid.images[0][0].value
(lr, batch), runs = w.last_drawn
assert (lr, batch) == (0.01, 5)
assert [r.estimator for r in runs] == list(w.estimators)
assert all(r.lr == 0.01 and r.batch == 5 and r.x[-1] >= 1500 for r in runs)

# a blocking run: the live figure is redrawn at least once per iteration
updates = []
w.live_image.observe(lambda change: updates.append(len(change["new"])), names="value")
w.estimator_control.index = 1
run = w.run(budget=2000)
assert run.estimator == "reward-to-go" and (run.lr, run.batch) == (0.01, 5)
assert run.iterations >= 2 and not run.stopped
assert len(updates) >= run.iterations and w.n_draws >= run.iterations
assert all(n > 0 for n in updates)

# the Stop button stops a run started in the background, by the Run button
w.grid.outer_control.index = 2
w.budget = 10**6                        # far more than it will get to run
w.run_button.click()                    # returns at once; training runs in a thread
assert w.running and w.runs[-1].lr == 1.0 and w.runs[-1].seed == 0
assert not w.stop_button.disabled and w.run_button.disabled
deadline = time.time() + 60
while w.runs[-1].iterations < 2 and time.time() < deadline:
    time.sleep(0.05)
w.stop_button.click()
w.join(60)
assert not w.running and not w.run_button.disabled and w.stop_button.disabled
last = w.runs[-1]
assert last.stopped and 2 <= last.iterations and last.x[-1] < 10**6
assert len(w.runs) == 2                                  # earlier runs stay in the figure
w.clear()
assert w.runs == []
print("live ok", len(updates), run.iterations)
"""


def test_live_kernel_draws_each_iteration_and_stops():
    assert "live ok" in run_in_kernel(LIVE, timeout=240)


LIVE_TABULAR = r"""
from pgbook.envs import gridworld
from pgbook.widgets.learning_curves import learning_curves

w = learning_curves(gridworld(size=3, horizon=8), precompute=False, live=True, budget=6)
w.grid.outer_control.index = 0
(lr, batch), runs = w.last_drawn
assert (lr, batch) == (0.3, 8) and all(len(r.y) == 7 for r in runs)
run = w.run("exact advantage")
assert run.iterations == 6 and w.n_draws >= 6
print("tabular ok")
"""


def test_live_kernel_tabular():
    assert "tabular ok" in run_in_kernel(LIVE_TABULAR)
